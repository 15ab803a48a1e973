// Outputs are written under a temporary name in the destination directory and renamed into place
// by commit(), so a failure or a kill never leaves a file that looks complete. An AtomicFile that
// is destroyed without commit() removes its temporary file.
#pragma once
#include <string>

#include "core/paths.h"  // make_directories, used with every output directory

namespace oncolm {

class AtomicFile {
 public:
  explicit AtomicFile(std::string final_path);
  ~AtomicFile();
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;

  const std::string& temp_path() const { return temp_path_; }
  const std::string& final_path() const { return final_path_; }
  // Renames the temporary file to the final name (atomic on one filesystem). Throws on failure.
  void commit();

 private:
  std::string final_path_;
  std::string temp_path_;
  bool committed_ = false;
};

// Writes whole text to `path` atomically.
void write_file_atomically(const std::string& path, const std::string& contents);

}  // namespace oncolm
