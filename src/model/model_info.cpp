#include "model/model_info.h"


#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "core/error.h"
#include "core/paths.h"
#include "model/checkpoint.h"
#include "model/tokenizer.h"

namespace oncolm::model {
namespace {

bool is_buffer(const std::string& name) {
  auto ends = [&](const std::string& suffix) {
    return name.size() >= suffix.size() && name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0;
  };
  return ends("position_ids") || ends("inv_freq");
}

bool is_floating(DType dtype) {
  return dtype == DType::f64 || dtype == DType::f32 || dtype == DType::f16 || dtype == DType::bf16;
}

std::string thousands(std::int64_t value) {
  std::string digits = std::to_string(value);
  for (int at = static_cast<int>(digits.size()) - 3; at > 0; at -= 3) digits.insert(static_cast<std::size_t>(at), ",");
  return digits;
}

// What `embed` would refuse when it builds the encoder, found from shapes alone (no tensor is read):
// word embeddings of another vocabulary or width, or fewer weights than config.json describes
// (num_hidden_layers above the layers in the file).
void check_weights_fit_config(const Checkpoint& checkpoint, const ModelInfo& info, const std::string& config_path) {
  const NtConfig& c = info.config;
  const TensorView* embeddings = checkpoint.find("esm.embeddings.word_embeddings.weight");
  if (embeddings == nullptr) embeddings = checkpoint.find("embeddings.word_embeddings.weight");
  if (embeddings == nullptr)
    throw input_error(info.dir, 0, "no 'esm.embeddings.word_embeddings.weight': not an NT/ESM checkpoint");
  if (embeddings->shape.size() != 2 || embeddings->shape[0] != c.vocab_size || embeddings->shape[1] != c.hidden_size)
    throw input_error(config_path, 0, "vocab_size {} and hidden_size {}, but the checkpoint's word embeddings are {}",
                      c.vocab_size, c.hidden_size, shape_string(embeddings->shape));
  if (c.parameter_count(info.has_lm_head) > info.parameters)  // an encoder-only file has no head to count
    throw input_error(config_path, 0, "describes {} parameters ({} layers), the checkpoint holds {}: not this model's "
                      "config.json",
                      thousands(c.parameter_count(info.has_lm_head)), c.num_layers, thousands(info.parameters));
}

}  // namespace

ModelInfo inspect_model(const std::string& dir) {
  ModelInfo info;
  info.dir = dir;
  info.config = NtConfig::load_dir(dir);
  Vocabulary vocabulary = Vocabulary::load_model(dir, info.config.vocab_size);
  info.vocab_layout = vocabulary.layout_name();
  info.vocab_tokens = vocabulary.size();
  Checkpoint checkpoint = Checkpoint::load_dir(dir);
  info.weights_format = checkpoint.format();
  info.files = checkpoint.files();
  info.tensors = static_cast<std::int64_t>(checkpoint.tensors().size());
  for (const auto& [name, view] : checkpoint.tensors())
    if (is_floating(view.dtype) && !is_buffer(name)) info.parameters += view.numel();
  info.has_lm_head = checkpoint.find("lm_head.decoder.weight") != nullptr;
  check_weights_fit_config(checkpoint, info, path_join(dir, "config.json"));
  info.sha256 = checkpoint_checksum(checkpoint);
  return info;
}

std::string format_model_info(const ModelInfo& info) {
  const NtConfig& c = info.config;
  std::string files;
  for (const auto& file : info.files) files += (files.empty() ? "" : ", ") + file_name(file);
  return fmt::format(
      "model:         {}\n"
      "architecture:  {}\n"
      "shape:         {} layers, hidden {}, {} heads (head size {}), FFN {}\n"
      "parameters:    {} in the checkpoint; {} used by the {}\n"
      "vocabulary:    {} layout, {} tokens, embedding rows {}\n"
      "max length:    {} tokens including <cls> (about {} bp of ACGT)\n"
      "MLM head:      {}\n"
      "weights:       {} ({}; {} tensors)\n"
      "sha256:        {}\n",
      info.dir, c.describe(), c.num_layers, c.hidden_size, c.num_heads, c.head_dim(), c.intermediate_size,
      thousands(info.parameters), thousands(c.parameter_count(info.has_lm_head)),
      info.has_lm_head ? "encoder and MLM head" : "encoder (no MLM head in the checkpoint)", info.vocab_layout, info.vocab_tokens,
      c.vocab_size, c.max_tokens, (c.max_tokens - 1) * 6, info.has_lm_head ? "yes" : "no", info.weights_format,
      files, info.tensors, info.sha256);
}

nlohmann::json model_info_json(const ModelInfo& info) {
  const NtConfig& c = info.config;
  nlohmann::json files = nlohmann::json::array();
  for (const auto& file : info.files) files.push_back(file_name(file));
  return {{"dir", info.dir},
          {"architecture", c.describe()},
          {"version", c.feed_forward == FeedForward::swiglu ? "v2" : "v1"},
          {"layers", c.num_layers},
          {"hidden_size", c.hidden_size},
          {"heads", c.num_heads},
          {"intermediate_size", c.intermediate_size},
          {"parameters", info.parameters},
          {"vocab_layout", info.vocab_layout},
          {"vocab_tokens", info.vocab_tokens},
          {"vocab_size", c.vocab_size},
          {"max_tokens", c.max_tokens},
          {"mlm_head", info.has_lm_head},
          {"weights_format", info.weights_format},
          {"files", files},
          {"tensors", info.tensors},
          {"sha256", info.sha256}};
}

}  // namespace oncolm::model
