// Writes safetensors files (the format checkpoint.h reads): u64 little-endian header length, a JSON
// header {name: {dtype, shape, data_offsets}} padded with spaces to a multiple of 8 bytes, then the
// raw little-endian data. Torch-free: callers hand over contiguous bytes.
#pragma once
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "model/checkpoint.h"

namespace oncolm::model {

struct SafetensorsEntry {
  std::string name;
  DType dtype = DType::f32;
  std::vector<std::int64_t> shape;
  const void* data = nullptr;  // numel(shape) * dtype_size(dtype) contiguous bytes
};

// Writes `path` under a temporary name and renames it into place (core/atomic_file.h). Tensors are
// stored in name order; `metadata` becomes the header's "__metadata__" (string values only, as the
// format requires). Throws std::invalid_argument for duplicate names.
void write_safetensors(const std::string& path, const std::vector<SafetensorsEntry>& entries,
                       const std::map<std::string, std::string>& metadata = {});

}  // namespace oncolm::model
