// Just enough of the zip format to read what torch.save writes: the central directory (with ZIP64
// for shards over 4 GiB), stored entries in place, and deflated entries inflated with zlib. No
// encryption, no multi-disk archives.
#pragma once
#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "model/mapped_file.h"

namespace oncolm::model {

struct ZipEntry {
  std::string name;
  std::size_t local_header_offset = 0;
  std::size_t compressed_size = 0;
  std::size_t size = 0;
  int method = 0;  // 0 stored, 8 deflate
};

// The bytes of one entry: a view into the mapping when stored, an owned buffer when inflated.
struct ZipData {
  const std::byte* data = nullptr;
  std::size_t size = 0;
  std::shared_ptr<const void> owner;
};

class ZipArchive {
 public:
  // Throws InputError naming the file when it is not a zip archive or is damaged.
  explicit ZipArchive(std::shared_ptr<const MappedFile> file);
  const std::vector<ZipEntry>& entries() const { return entries_; }
  const ZipEntry* find(const std::string& name) const;
  ZipData read(const ZipEntry& entry) const;
  const std::string& path() const { return file_->path(); }

 private:
  void read_central_directory();
  std::shared_ptr<const MappedFile> file_;
  std::vector<ZipEntry> entries_;
};

// True when the file starts with a zip local-file signature ("PK\3\4").
bool looks_like_zip(const MappedFile& file);

}  // namespace oncolm::model
