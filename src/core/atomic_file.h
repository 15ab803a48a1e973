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
  void forget_temporary();

  std::string final_path_;
  std::string temp_path_;
  bool committed_ = false;
  int slot_ = -1;  // in the table the signal handler reads; -1 when not there
};

// Installs SIGINT/SIGTERM/SIGHUP handlers that remove the temporary files of the AtomicFiles alive
// at that moment, then let the signal end the process as it would have (a command that handles
// these signals itself, as `train` does, replaces the handlers while it runs). A SIGKILL still
// leaves them: their names (<output>.tmp.<pid>) never look like a finished output.
void remove_temporary_files_on_signal();

// Writes whole text to `path` atomically.
void write_file_atomically(const std::string& path, const std::string& contents);

}  // namespace oncolm
