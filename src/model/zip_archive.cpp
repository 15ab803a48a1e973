#include "model/zip_archive.h"

#include <cstdint>
#include <cstring>
#include <limits>

#include <zlib.h>

#include "core/error.h"

namespace oncolm::model {
namespace {

constexpr std::uint32_t local_signature = 0x04034b50;
constexpr std::uint32_t central_signature = 0x02014b50;
constexpr std::uint32_t end_signature = 0x06054b50;
constexpr std::uint32_t zip64_end_signature = 0x06064b50;
constexpr std::uint32_t zip64_locator_signature = 0x07064b50;
constexpr std::size_t end_record_size = 22;
constexpr std::size_t central_header_size = 46;
constexpr std::size_t local_header_size = 30;

// Little-endian reads with bounds checks; the zip format is little-endian on every platform.
class Reader {
 public:
  Reader(const MappedFile& file) : file_(file) {}
  std::uint64_t le(std::size_t offset, int bytes) const {
    // Offsets come from the file (ZIP64 fields hold 64 bits): compared without a sum that could wrap.
    if (offset > file_.size() || static_cast<std::size_t>(bytes) > file_.size() - offset)
      throw input_error(file_.path(), 0, "zip structure points past the end of the file (truncated?)");
    std::uint64_t value = 0;
    for (int i = bytes - 1; i >= 0; --i)
      value = (value << 8) | static_cast<std::uint8_t>(file_.data()[offset + static_cast<std::size_t>(i)]);
    return value;
  }
  std::uint16_t u16(std::size_t offset) const { return static_cast<std::uint16_t>(le(offset, 2)); }
  std::uint32_t u32(std::size_t offset) const { return static_cast<std::uint32_t>(le(offset, 4)); }
  std::uint64_t u64(std::size_t offset) const { return le(offset, 8); }

 private:
  const MappedFile& file_;
};

// ZIP64 extra field (id 1): 64-bit values for whichever 32-bit fields hold 0xFFFFFFFF, in order.
void apply_zip64_extra(const Reader& reader, std::size_t extra, std::size_t extra_length,
                       ZipEntry& entry, bool size_max, bool compressed_max, bool offset_max) {
  std::size_t at = extra;
  while (at + 4 <= extra + extra_length) {
    std::uint16_t id = reader.u16(at);
    std::uint16_t length = reader.u16(at + 2);
    if (id == 1) {
      std::size_t field = at + 4;
      if (size_max) { entry.size = reader.u64(field); field += 8; }
      if (compressed_max) { entry.compressed_size = reader.u64(field); field += 8; }
      if (offset_max) entry.local_header_offset = reader.u64(field);
      return;
    }
    at += 4 + length;
  }
}

}  // namespace

bool looks_like_zip(const MappedFile& file) {
  return file.size() >= 4 && Reader(file).u32(0) == local_signature;
}

ZipArchive::ZipArchive(std::shared_ptr<const MappedFile> file) : file_(std::move(file)) {
  read_central_directory();
}

void ZipArchive::read_central_directory() {
  const MappedFile& file = *file_;
  Reader reader(file);
  if (file.size() < end_record_size) throw input_error(file.path(), 0, "too small to be a zip archive");
  // The end record sits in the last 22 bytes plus an optional comment of up to 64 KiB.
  std::size_t lowest = file.size() > end_record_size + 65535 ? file.size() - end_record_size - 65535 : 0;
  std::size_t end = file.size() - end_record_size;
  while (reader.u32(end) != end_signature) {
    if (end == lowest) throw input_error(file.path(), 0, "no zip end-of-central-directory record (truncated?)");
    --end;
  }
  std::uint64_t count = reader.u16(end + 10);
  std::uint64_t directory = reader.u32(end + 16);
  bool zip64 = count == 0xFFFF || directory == 0xFFFFFFFF;
  if (zip64) {
    if (end < 20 || reader.u32(end - 20) != zip64_locator_signature)
      throw input_error(file.path(), 0, "ZIP64 archive without its locator record");
    std::size_t record = reader.u64(end - 20 + 8);
    if (reader.u32(record) != zip64_end_signature)
      throw input_error(file.path(), 0, "damaged ZIP64 end-of-central-directory record");
    count = reader.u64(record + 32);
    directory = reader.u64(record + 48);
  }
  std::size_t at = directory;
  for (std::uint64_t i = 0; i < count; ++i) {
    if (reader.u32(at) != central_signature)
      throw input_error(file.path(), 0, "damaged zip central directory (entry {})", i);
    ZipEntry entry;
    entry.method = reader.u16(at + 10);
    std::uint32_t compressed = reader.u32(at + 20);
    std::uint32_t size = reader.u32(at + 24);
    std::size_t name_length = reader.u16(at + 28);
    std::size_t extra_length = reader.u16(at + 30);
    std::size_t comment_length = reader.u16(at + 32);
    std::uint32_t offset = reader.u32(at + 42);
    if (at > file.size() || central_header_size + name_length > file.size() - at)
      throw input_error(file.path(), 0, "zip central directory runs past the end of the file");
    entry.name.assign(reinterpret_cast<const char*>(file.data() + at + central_header_size), name_length);
    entry.compressed_size = compressed;
    entry.size = size;
    entry.local_header_offset = offset;
    apply_zip64_extra(reader, at + central_header_size + name_length, extra_length, entry,
                      size == 0xFFFFFFFF, compressed == 0xFFFFFFFF, offset == 0xFFFFFFFF);
    entries_.push_back(std::move(entry));
    at += central_header_size + name_length + extra_length + comment_length;
  }
}

const ZipEntry* ZipArchive::find(const std::string& name) const {
  for (const auto& entry : entries_)
    if (entry.name == name) return &entry;
  return nullptr;
}

ZipData ZipArchive::read(const ZipEntry& entry) const {
  const MappedFile& file = *file_;
  Reader reader(file);
  std::size_t header = entry.local_header_offset;
  if (reader.u32(header) != local_signature)
    throw input_error(file.path(), 0, "damaged zip entry '{}'", entry.name);
  // The header was read, so `header` lies inside the file: adding at most 30 + 2 x 65535 cannot wrap.
  std::size_t data = header + local_header_size + reader.u16(header + 26) + reader.u16(header + 28);
  if (data > file.size() || entry.compressed_size > file.size() - data)
    throw input_error(file.path(), 0, "zip entry '{}' runs past the end of the file (truncated?)", entry.name);
  ZipData out;
  if (entry.method == 0) {
    // A stored entry is its own bytes: a size other than the stored one is a damaged directory.
    if (entry.size != entry.compressed_size)
      throw input_error(file.path(), 0, "damaged zip entry '{}': stored with {} bytes but its size says {}",
                        entry.name, entry.compressed_size, entry.size);
    out.data = file.data() + data;
    out.size = entry.size;
    out.owner = file_;
    return out;
  }
  if (entry.method != 8)
    throw input_error(file.path(), 0, "zip entry '{}' uses compression method {} (only stored and deflate)",
                      entry.name, entry.method);
  auto buffer = std::make_shared<std::vector<std::byte>>(entry.size);
  z_stream stream{};
  if (inflateInit2(&stream, -MAX_WBITS) != Z_OK) throw std::runtime_error("zlib inflateInit2 failed");
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<std::byte*>(file.data() + data));
  stream.next_out = reinterpret_cast<Bytef*>(buffer->data());
  // Large entries are inflated in chunks that fit zlib's 32-bit counters.
  std::size_t in_left = entry.compressed_size, out_left = entry.size;
  int status = Z_OK;
  while (status == Z_OK) {
    auto chunk_in = static_cast<uInt>(std::min<std::size_t>(in_left, std::numeric_limits<uInt>::max()));
    auto chunk_out = static_cast<uInt>(std::min<std::size_t>(out_left, std::numeric_limits<uInt>::max()));
    stream.avail_in = chunk_in;
    stream.avail_out = chunk_out;
    status = inflate(&stream, Z_NO_FLUSH);
    in_left -= chunk_in - stream.avail_in;
    out_left -= chunk_out - stream.avail_out;
    if (status == Z_OK && chunk_in == stream.avail_in && chunk_out == stream.avail_out) break;
  }
  inflateEnd(&stream);
  if (status != Z_STREAM_END || out_left != 0)
    throw input_error(file.path(), 0, "zip entry '{}' does not inflate to its recorded size", entry.name);
  out.data = buffer->data();
  out.size = buffer->size();
  out.owner = buffer;
  return out;
}

}  // namespace oncolm::model
