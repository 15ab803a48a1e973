// A restricted unpickler for the data.pkl inside a torch.save zip (pytorch_model.bin). It understands
// the opcodes pickle protocols 2-4 use for an OrderedDict of tensors and accepts only the globals
// such a state dict needs (collections.OrderedDict, torch._utils._rebuild_tensor_v2 and
// _rebuild_parameter, torch.*Storage). Anything else is refused with a message naming it, so a
// checkpoint can never run code. (LibTorch 1.13's torch::pickle_load cannot read these files.)
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "model/checkpoint.h"

namespace oncolm::model {

struct PickledTensor {
  std::string name;
  std::string storage_key;  // the zip entry <prefix>/data/<storage_key> holds the bytes
  DType dtype = DType::f32;
  std::int64_t storage_offset = 0;  // in elements
  std::vector<std::int64_t> shape;
  std::vector<std::int64_t> strides;
};

// Parses a pickled state dict; `source` names the file in errors (InputError).
std::vector<PickledTensor> unpickle_state_dict(const std::byte* data, std::size_t size,
                                               const std::string& source);

}  // namespace oncolm::model
