// Read-only memory map of a whole file: checkpoints are read in place (safetensors data and the
// stored entries of a torch zip are used without copying), and pages the model never touches are
// never read from disk.
#pragma once
#include <cstddef>
#include <memory>
#include <string>

namespace oncolm::model {

class MappedFile {
 public:
  // Throws InputError naming the file when it cannot be opened or mapped.
  static std::shared_ptr<const MappedFile> open(const std::string& path);
  ~MappedFile();
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;

  const std::byte* data() const { return data_; }
  std::size_t size() const { return size_; }
  const std::string& path() const { return path_; }

 private:
  MappedFile() = default;
  std::string path_;
  const std::byte* data_ = nullptr;
  std::size_t size_ = 0;
};

}  // namespace oncolm::model
