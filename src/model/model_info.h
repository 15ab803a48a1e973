// `oncolm model info DIR`: what a checkpoint directory holds, without loading it into LibTorch.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "model/config.h"

namespace oncolm::model {

struct ModelInfo {
  std::string dir;
  NtConfig config;
  std::string vocab_layout;  // nt-v1 / nt-v2
  int vocab_tokens = 0;
  std::string weights_format;
  std::vector<std::string> files;
  std::int64_t tensors = 0;
  std::int64_t parameters = 0;  // floating-point tensors, buffers (position_ids, inv_freq) excluded
  bool has_lm_head = false;
  std::string sha256;           // checkpoint_checksum()
};

// Reads config.json, vocab.txt and the weight headers (tensors are not read); hashes the weights.
ModelInfo inspect_model(const std::string& dir);
std::string format_model_info(const ModelInfo& info);  // human-readable lines
nlohmann::json model_info_json(const ModelInfo& info);

}  // namespace oncolm::model
