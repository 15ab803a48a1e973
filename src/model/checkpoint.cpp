#include "model/checkpoint.h"

#include <algorithm>
#include <climits>
#include <cstdint>
#include <fstream>
#include <optional>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

#include "core/error.h"
#include "core/json_file.h"
#include "core/paths.h"
#include "core/sha256.h"
#include "model/mapped_file.h"
#include "model/unpickler.h"
#include "model/zip_archive.h"


namespace oncolm::model {
namespace {

std::vector<std::int64_t> contiguous_strides(const std::vector<std::int64_t>& shape) {
  std::vector<std::int64_t> strides(shape.size(), 1);
  for (std::size_t i = shape.size(); i-- > 1;) strides[i - 1] = strides[i] * shape[i];
  return strides;
}

DType safetensors_dtype(const std::string& name, const std::string& path, const std::string& tensor) {
  static const std::map<std::string, DType> names = {
      {"F64", DType::f64}, {"F32", DType::f32}, {"F16", DType::f16}, {"BF16", DType::bf16},
      {"I64", DType::i64}, {"I32", DType::i32}, {"I16", DType::i16}, {"I8", DType::i8},
      {"U8", DType::u8},   {"BOOL", DType::boolean}};
  auto found = names.find(name);
  if (found == names.end()) throw input_error(path, 0, "tensor '{}' has unsupported dtype {}", tensor, name);
  return found->second;
}

// Bytes from element `first` to one past the last element a strided view reaches, or nullopt where
// a size or stride is negative or the arithmetic overflows: a damaged header, never a real tensor.
std::optional<std::uint64_t> extent_bytes(const TensorView& view, std::uint64_t first = 0) {
  std::uint64_t last = first, count = 1;
  for (std::size_t i = 0; i < view.shape.size(); ++i) {
    if (view.shape[i] < 0 || view.strides[i] < 0) return std::nullopt;
    if (view.shape[i] == 0) return 0;
    std::uint64_t step = 0;
    if (__builtin_mul_overflow(static_cast<std::uint64_t>(view.shape[i] - 1), static_cast<std::uint64_t>(view.strides[i]),
                               &step) ||
        __builtin_add_overflow(last, step, &last) ||
        __builtin_mul_overflow(count, static_cast<std::uint64_t>(view.shape[i]), &count))
      return std::nullopt;
  }
  std::uint64_t bytes = 0;
  if (__builtin_add_overflow(last, std::uint64_t{1}, &last) || __builtin_mul_overflow(last, dtype_size(view.dtype), &bytes))
    return std::nullopt;
  return bytes;
}

// A safetensors header's list of non-negative integers (shape, data_offsets): negative or
// fractional values are a damaged header, not sizes to wrap around.
std::vector<std::uint64_t> unsigned_list(const nlohmann::json& value, const char* key, const std::string& path,
                                         const std::string& tensor) {
  if (!value.is_array()) throw input_error(path, 0, "tensor '{}': {} is not a list", tensor, key);
  std::vector<std::uint64_t> out;
  for (const auto& item : value) {
    if (!item.is_number_unsigned() || item.get<std::uint64_t>() > static_cast<std::uint64_t>(INT64_MAX))
      throw input_error(path, 0, "tensor '{}': {} holds {}, not a non-negative integer", tensor, key, item.dump());
    out.push_back(item.get<std::uint64_t>());
  }
  return out;
}

// torch.save names entries "<prefix>/data.pkl" and "<prefix>/data/<key>"; the prefix is "archive"
// or the file's stem depending on the torch version.
std::string archive_prefix(const ZipArchive& archive) {
  for (const auto& entry : archive.entries()) {
    const std::string suffix = "/data.pkl";
    if (entry.name.size() > suffix.size() &&
        entry.name.compare(entry.name.size() - suffix.size(), suffix.size(), suffix) == 0 &&
        entry.name.find('/') == entry.name.size() - suffix.size())
      return entry.name.substr(0, entry.name.size() - suffix.size());
  }
  throw input_error(archive.path(), 0, "zip archive without <prefix>/data.pkl: not a torch.save file");
}

}  // namespace

std::size_t dtype_size(DType dtype) {
  switch (dtype) {
    case DType::f64: case DType::i64: return 8;
    case DType::f32: case DType::i32: return 4;
    case DType::f16: case DType::bf16: case DType::i16: return 2;
    case DType::i8: case DType::u8: case DType::boolean: return 1;
  }
  return 0;
}

const char* dtype_name(DType dtype) {
  switch (dtype) {
    case DType::f64: return "F64";
    case DType::f32: return "F32";
    case DType::f16: return "F16";
    case DType::bf16: return "BF16";
    case DType::i64: return "I64";
    case DType::i32: return "I32";
    case DType::i16: return "I16";
    case DType::i8: return "I8";
    case DType::u8: return "U8";
    case DType::boolean: return "BOOL";
  }
  return "?";
}

std::int64_t TensorView::numel() const {
  std::int64_t n = 1;
  for (auto d : shape) n *= d;
  return n;
}

bool TensorView::contiguous() const { return strides == contiguous_strides(shape); }

std::string shape_string(const std::vector<std::int64_t>& shape) {
  return fmt::format("[{}]", fmt::join(shape, ", "));
}

const TensorView* Checkpoint::find(const std::string& name) const {
  auto found = tensors_.find(name);
  return found == tensors_.end() ? nullptr : &found->second;
}

void Checkpoint::merge(Checkpoint&& other) {
  for (auto& [name, view] : other.tensors_) {
    if (tensors_.count(name))
      throw input_error(view.file, 0, "tensor '{}' also appears in {}", name, tensors_.at(name).file);
    tensors_.emplace(name, std::move(view));
  }
  files_.insert(files_.end(), other.files_.begin(), other.files_.end());
  if (format_.empty()) format_ = other.format_;
}

// safetensors: u64 little-endian header length, a JSON header {name: {dtype, shape, data_offsets}},
// then the raw little-endian data that the offsets index.
Checkpoint Checkpoint::load_safetensors(const std::string& path) {
  auto file = MappedFile::open(path);
  if (file->size() < 8) throw input_error(path, 0, "too small to be a safetensors file");
  std::uint64_t header_length = 0;
  for (int i = 7; i >= 0; --i) header_length = (header_length << 8) | static_cast<std::uint8_t>(file->data()[i]);
  if (header_length > file->size() - 8) throw input_error(path, 0, "safetensors header length runs past the file end");
  nlohmann::json header;
  try {
    header = nlohmann::json::parse(reinterpret_cast<const char*>(file->data() + 8),
                                   reinterpret_cast<const char*>(file->data() + 8 + header_length));
  } catch (const nlohmann::json::parse_error& error) {
    throw input_error(path, 0, "safetensors header is not valid JSON: {}", error.what());
  }
  const std::size_t data_start = 8 + header_length;
  Checkpoint checkpoint;
  checkpoint.format_ = "safetensors";
  checkpoint.files_.push_back(path);
  for (const auto& [name, entry] : header.items()) {
    if (name == "__metadata__") continue;
    if (!entry.is_object() || !entry.contains("dtype") || !entry["dtype"].is_string() || !entry.contains("shape") ||
        !entry.contains("data_offsets"))
      throw input_error(path, 0, "tensor '{}': the header entry needs dtype (a string), shape and data_offsets",
                        name);
    TensorView view;
    view.dtype = safetensors_dtype(entry["dtype"].get<std::string>(), path, name);
    for (std::uint64_t size : unsigned_list(entry["shape"], "shape", path, name))
      view.shape.push_back(static_cast<std::int64_t>(size));
    view.strides = contiguous_strides(view.shape);
    auto offsets = unsigned_list(entry["data_offsets"], "data_offsets", path, name);
    if (offsets.size() != 2 || offsets[1] < offsets[0] || offsets[1] > file->size() - data_start)
      throw input_error(path, 0, "tensor '{}' has data offsets outside the file (truncated?)", name);
    const std::optional<std::uint64_t> bytes = extent_bytes(view);
    if (!bytes || offsets[1] - offsets[0] != *bytes)
      throw input_error(path, 0, "tensor '{}': {} bytes do not hold {} {} values", name,
                        offsets[1] - offsets[0], shape_string(view.shape), dtype_name(view.dtype));
    view.data = file->data() + data_start + offsets[0];
    view.file = path;
    view.owner = file;
    checkpoint.tensors_.emplace(name, std::move(view));
  }
  return checkpoint;
}

Checkpoint Checkpoint::load_torch_zip(const std::string& path) {
  auto file = MappedFile::open(path);
  if (!looks_like_zip(*file))
    throw input_error(path, 0, "not a zip archive: legacy (pre-1.6) torch.save files are not supported; "
                      "re-save with a newer torch or convert to safetensors");
  ZipArchive archive(file);
  const std::string prefix = archive_prefix(archive);
  if (const ZipEntry* order = archive.find(prefix + "/byteorder")) {
    ZipData bytes = archive.read(*order);
    if (std::string(reinterpret_cast<const char*>(bytes.data), bytes.size) != "little")
      throw input_error(path, 0, "big-endian torch archives are not supported");
  }
  ZipData pickle = archive.read(*archive.find(prefix + "/data.pkl"));
  Checkpoint checkpoint;
  checkpoint.format_ = "pytorch_model.bin";
  checkpoint.files_.push_back(path);
  std::map<std::string, ZipData> storages;
  for (auto& tensor : unpickle_state_dict(pickle.data, pickle.size, path)) {
    auto stored = storages.find(tensor.storage_key);
    if (stored == storages.end()) {
      const ZipEntry* entry = archive.find(prefix + "/data/" + tensor.storage_key);
      if (entry == nullptr)
        throw input_error(path, 0, "tensor '{}' refers to storage '{}', which the archive lacks",
                          tensor.name, tensor.storage_key);
      stored = storages.emplace(tensor.storage_key, archive.read(*entry)).first;
    }
    TensorView view;
    view.dtype = tensor.dtype;
    view.shape = tensor.shape;
    view.strides = tensor.strides;
    view.file = path;
    view.owner = stored->second.owner;
    const std::optional<std::uint64_t> end =
        tensor.storage_offset < 0 ? std::nullopt : extent_bytes(view, static_cast<std::uint64_t>(tensor.storage_offset));
    if (!end || *end > stored->second.size)
      throw input_error(path, 0, "tensor '{}' reaches past the end of its storage", tensor.name);
    view.data = stored->second.data + static_cast<std::size_t>(tensor.storage_offset) * dtype_size(view.dtype);
    checkpoint.tensors_.emplace(tensor.name, std::move(view));
  }
  return checkpoint;
}

Checkpoint Checkpoint::load_index(const std::string& index_path) {
  nlohmann::json index = read_json_file(index_path);
  if (!index.contains("weight_map") || !index["weight_map"].is_object())
    throw input_error(index_path, 0, "index without a weight_map");
  std::vector<std::string> shards;
  for (const auto& [name, shard] : index["weight_map"].items()) {
    if (!shard.is_string() || shard.get<std::string>().empty())
      throw input_error(index_path, 0, "weight_map entry '{}' is {}, not the name of a shard file", name, shard.dump());
    std::string file = shard.get<std::string>();
    if (std::find(shards.begin(), shards.end(), file) == shards.end()) shards.push_back(file);
  }
  std::sort(shards.begin(), shards.end());
  Checkpoint checkpoint;
  std::string dir = parent_directory(index_path);
  for (const auto& shard : shards) {
    std::string path = path_join(dir, shard);
    bool safetensors = shard.size() > 12 && shard.compare(shard.size() - 12, 12, ".safetensors") == 0;
    checkpoint.merge(safetensors ? load_safetensors(path) : load_torch_zip(path));
  }
  for (const auto& [name, shard] : index["weight_map"].items())
    if (!checkpoint.find(name))
      throw input_error(index_path, 0, "weight_map lists '{}' in {}, which does not hold it", name,
                        shard.get<std::string>());
  return checkpoint;
}

Checkpoint Checkpoint::load_dir(const std::string& model_dir) {
  if (!is_directory(model_dir)) throw input_error(model_dir, 0, "not a model directory");
  for (const char* name : {"model.safetensors", "model.safetensors.index.json", "pytorch_model.bin",
                           "pytorch_model.bin.index.json"}) {
    std::string file = path_join(model_dir, name);
    if (!path_exists(file)) continue;
    if (file.size() > 5 && file.compare(file.size() - 5, 5, ".json") == 0) return load_index(file);
    return file.find(".safetensors") != std::string::npos ? load_safetensors(file) : load_torch_zip(file);
  }
  throw input_error(model_dir, 0, "no model.safetensors, pytorch_model.bin or sharded index in the directory");
}

std::string checkpoint_checksum(const Checkpoint& checkpoint) {
  if (checkpoint.files().size() == 1) return sha256_file_hex(checkpoint.files().front());
  std::string lines;
  for (const auto& file : checkpoint.files())
    lines += sha256_file_hex(file) + "  " + file_name(file) + "\n";
  return sha256_hex(lines);
}

}  // namespace oncolm::model
