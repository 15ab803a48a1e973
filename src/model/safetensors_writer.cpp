#include "model/safetensors_writer.h"

#include <algorithm>
#include <fstream>
#include <stdexcept>

#include <nlohmann/json.hpp>

#include "core/atomic_file.h"

namespace oncolm::model {
namespace {

std::uint64_t byte_count(const SafetensorsEntry& entry) {
  std::uint64_t n = 1;
  for (auto d : entry.shape) n *= static_cast<std::uint64_t>(d);
  return n * dtype_size(entry.dtype);
}

}  // namespace

void write_safetensors(const std::string& path, const std::vector<SafetensorsEntry>& entries,
                       const std::map<std::string, std::string>& metadata) {
  std::vector<const SafetensorsEntry*> order;
  for (const auto& entry : entries) order.push_back(&entry);
  std::sort(order.begin(), order.end(), [](auto* a, auto* b) { return a->name < b->name; });
  for (std::size_t i = 1; i < order.size(); ++i)
    if (order[i]->name == order[i - 1]->name)
      throw std::invalid_argument("tensor '" + order[i]->name + "' given twice for " + path);
  nlohmann::json header = nlohmann::json::object();
  if (!metadata.empty()) header["__metadata__"] = metadata;
  std::uint64_t offset = 0;
  for (const auto* entry : order) {
    std::uint64_t bytes = byte_count(*entry);
    header[entry->name] = {{"dtype", dtype_name(entry->dtype)}, {"shape", entry->shape},
                           {"data_offsets", {offset, offset + bytes}}};
    offset += bytes;
  }
  std::string text = header.dump();
  text.append((8 - text.size() % 8) % 8, ' ');  // the data then starts 8-byte aligned
  AtomicFile file(path);
  std::ofstream out(file.temp_path(), std::ios::binary);
  if (!out) throw std::runtime_error("cannot create " + file.temp_path());
  unsigned char length[8];
  for (int i = 0; i < 8; ++i) length[i] = static_cast<unsigned char>((text.size() >> (8 * i)) & 0xff);
  out.write(reinterpret_cast<const char*>(length), 8);
  out.write(text.data(), static_cast<std::streamsize>(text.size()));
  for (const auto* entry : order)
    out.write(static_cast<const char*>(entry->data), static_cast<std::streamsize>(byte_count(*entry)));
  out.close();
  if (!out) throw std::runtime_error("cannot write " + file.temp_path());
  file.commit();
}

}  // namespace oncolm::model
