#include "model/config.h"

#include <climits>
#include <cmath>
#include <fstream>
#include <stdexcept>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "core/error.h"
#include "core/json_file.h"
#include "core/paths.h"

namespace oncolm::model {
namespace {

// Range-checked before narrowing: a 2^32 + 8 in a hand-edited config must not become 8.
int required_int(const nlohmann::json& json, const char* key, const std::string& source) {
  if (!json.contains(key) || !json[key].is_number_integer())
    throw input_error(source, 0, "'{}' is missing or not an integer", key);
  long long value = json[key].is_number_unsigned() && json[key].get<unsigned long long>() > LLONG_MAX
                        ? LLONG_MAX
                        : json[key].get<long long>();
  if (value <= 0 || value > INT_MAX)
    throw input_error(source, 0, "'{}' must be a positive integer below 2^31, found {}", key, json[key].dump());
  return static_cast<int>(value);
}

// Optional keys take their default when absent; present with the wrong type (null included) is an
// error naming the key, not a bare nlohmann type_error.
int optional_token_id(const nlohmann::json& json, const char* key, int fallback, const std::string& source) {
  if (!json.contains(key)) return fallback;
  const auto& value = json[key];
  if (!value.is_number_integer() || value.get<long long>() < 0 || value.get<long long>() > INT_MAX)
    throw input_error(source, 0, "'{}' must be a token id (a non-negative integer), found {}", key, value.dump());
  return static_cast<int>(value.get<long long>());
}

bool optional_bool(const nlohmann::json& json, const char* key, bool fallback, const std::string& source) {
  if (!json.contains(key)) return fallback;
  if (!json[key].is_boolean())
    throw input_error(source, 0, "'{}' must be true or false, found {}", key, json[key].dump());
  return json[key].get<bool>();
}

std::string optional_string(const nlohmann::json& json, const char* key, const std::string& fallback,
                            const std::string& source) {
  if (!json.contains(key)) return fallback;
  if (!json[key].is_string()) throw input_error(source, 0, "'{}' must be a string, found {}", key, json[key].dump());
  return json[key].get<std::string>();
}

void check_consistent(const NtConfig& config, const std::string& source) {
  if (config.hidden_size % config.num_heads != 0)
    throw input_error(source, 0, "hidden_size {} is not a multiple of num_attention_heads {}",
                      config.hidden_size, config.num_heads);
  if (config.positions == PositionEncoding::rotary && config.head_dim() % 2 != 0)
    throw input_error(source, 0, "rotary positions need an even head size, found {}", config.head_dim());
  // Positions 0 and 1 are never used and <cls> takes the next: fewer than 3 leave no sequence.
  if (config.max_position_embeddings < 3)
    throw input_error(source, 0, "'max_position_embeddings' is {}: at least 3 (<cls> and one token after positions "
                      "0 and 1, which Hugging Face's NT never uses)", config.max_position_embeddings);
  for (const auto& [key, id] : {std::pair<const char*, std::int64_t>{"pad_token_id", config.pad_token_id},
                                std::pair<const char*, std::int64_t>{"mask_token_id", config.mask_token_id}})
    if (id >= config.vocab_size)
      throw input_error(source, 0, "'{}' is {}, outside the vocabulary of {} tokens ('vocab_size')", key, id,
                        config.vocab_size);
}


}  // namespace

NtConfig NtConfig::from_json(const nlohmann::json& json, const std::string& source) {
  NtConfig c;
  c.hidden_size = required_int(json, "hidden_size", source);
  c.num_layers = required_int(json, "num_hidden_layers", source);
  c.num_heads = required_int(json, "num_attention_heads", source);
  c.intermediate_size = required_int(json, "intermediate_size", source);
  c.vocab_size = required_int(json, "vocab_size", source);
  c.max_position_embeddings = required_int(json, "max_position_embeddings", source);
  try {
    c.layer_norm_eps = json.value("layer_norm_eps", 1e-12);
  } catch (const nlohmann::json::exception& error) {
    throw input_error(source, 0, "layer_norm_eps is not a number: {}", error.what());
  }
  if (!(c.layer_norm_eps > 0 && std::isfinite(c.layer_norm_eps)))  // a negative one gives NaN in every LayerNorm
    throw input_error(source, 0, "layer_norm_eps is {}, not a small positive number", c.layer_norm_eps);
  c.pad_token_id = optional_token_id(json, "pad_token_id", 1, source);
  c.mask_token_id = optional_token_id(json, "mask_token_id", 2, source);
  c.token_dropout = optional_bool(json, "token_dropout", false, source);
  std::string positions = optional_string(json, "position_embedding_type", "absolute", source);
  if (positions == "absolute") {
    c.positions = PositionEncoding::absolute;
  } else if (positions == "rotary") {
    c.positions = PositionEncoding::rotary;
  } else {
    throw input_error(source, 0, "position_embedding_type '{}' is not supported (absolute or rotary)",
                      positions);
  }
  // InstaDeep's v2 remote code (the configs that carry add_bias_fnn) always uses the gated SiLU
  // feed-forward; stock ESM (NT v1) uses GELU with biases.
  if (json.contains("add_bias_fnn")) {
    c.feed_forward = FeedForward::swiglu;
    c.ffn_bias = optional_bool(json, "add_bias_fnn", true, source);
  } else {
    c.feed_forward = FeedForward::gelu;
    c.ffn_bias = true;
  }
  if (optional_bool(json, "emb_layer_norm_before", false, source))
    throw input_error(source, 0, "emb_layer_norm_before = true is not an NT configuration");
  std::string act = optional_string(json, "hidden_act", "gelu", source);
  if (act != "gelu") throw input_error(source, 0, "hidden_act '{}' is not supported (gelu)", act);
  // HF's limit: positions 0 and 1 of the learned table are never used (<cls> sits at 2).
  c.max_tokens = c.max_position_embeddings - 2;
  check_consistent(c, source);
  return c;
}

NtConfig NtConfig::load_dir(const std::string& model_dir) {
  if (!is_directory(model_dir))
    throw input_error(model_dir, 0, "not a model directory (a Hugging Face NT checkpoint: config.json, vocab.txt, "
                      "model.safetensors or pytorch_model.bin)");
  std::string path = path_join(model_dir, "config.json");
  NtConfig config = from_json(read_json_file(path), path);
  std::string tokenizer_path = path_join(model_dir, "tokenizer_config.json");
  if (path_exists(tokenizer_path)) {
    auto json = read_json_file(tokenizer_path);
    if (json.contains("model_max_length") && json["model_max_length"].is_number_integer()) {
      long long limit = json["model_max_length"].get<long long>();
      if (limit > 1 && limit < config.max_tokens) config.max_tokens = static_cast<int>(limit);
    }
  }
  return config;
}

std::string NtConfig::describe() const {
  return fmt::format("NT {} ({} positions{}, {} FFN {} bias)",
                     feed_forward == FeedForward::swiglu ? "v2" : "v1",
                     positions == PositionEncoding::rotary ? "rotary" : "learned absolute",
                     token_dropout ? ", token-dropout scaling" : "",
                     feed_forward == FeedForward::swiglu ? "SwiGLU" : "GELU",
                     ffn_bias ? "with" : "without");
}

std::int64_t NtConfig::parameter_count(bool with_lm_head) const {
  const std::int64_t h = hidden_size, i = intermediate_size, v = vocab_size;
  const std::int64_t ffn_in_rows = feed_forward == FeedForward::swiglu ? 2 * i : i;
  std::int64_t layer = 4 * (h * h + h)               // q, k, v, attention output
                       + 4 * h                       // two LayerNorms
                       + ffn_in_rows * h + i * h     // feed-forward weights
                       + (ffn_bias ? ffn_in_rows + h : 0);
  // The learned position table only counts where it is used (v2 files carry an unused one).
  std::int64_t positions_table =
      this->positions == PositionEncoding::absolute ? static_cast<std::int64_t>(max_position_embeddings) * h : 0;
  std::int64_t total = v * h + positions_table + num_layers * layer + 2 * h;  // + final LayerNorm
  if (with_lm_head) total += h * h + h + 2 * h + v * h + v;
  return total;
}

double NtConfig::forward_flops_per_token(int tokens) const {
  const double h = hidden_size, i = intermediate_size, l = num_layers;
  const double c = feed_forward == FeedForward::swiglu ? 3.0 : 2.0;
  return 2.0 * l * (4.0 * h * h + c * h * i) + 4.0 * l * tokens * h;
}

NtConfig NtConfig::preset(const std::string& name) {
  NtConfig c;
  auto v2 = [&](int h, int layers, int heads, int ffn) {
    c.hidden_size = h; c.num_layers = layers; c.num_heads = heads; c.intermediate_size = ffn;
    c.vocab_size = 4107; c.max_position_embeddings = 2050; c.max_tokens = 2048;
    c.positions = PositionEncoding::rotary; c.feed_forward = FeedForward::swiglu;
    c.ffn_bias = false; c.token_dropout = false;
  };
  auto v1 = [&](int h, int layers, int heads, int ffn) {
    c.hidden_size = h; c.num_layers = layers; c.num_heads = heads; c.intermediate_size = ffn;
    c.vocab_size = 4105; c.max_position_embeddings = 1002; c.max_tokens = 1000;
    c.positions = PositionEncoding::absolute; c.feed_forward = FeedForward::gelu;
    c.ffn_bias = true; c.token_dropout = true;
  };
  if (name == "nt-v2-50m") v2(512, 12, 16, 2048);
  else if (name == "nt-v2-100m") v2(512, 22, 16, 2048);
  else if (name == "nt-v2-250m") v2(768, 24, 16, 3072);
  else if (name == "nt-v2-500m") v2(1024, 29, 16, 4096);
  else if (name == "nt-v1-500m") v1(1280, 24, 20, 5120);
  else if (name == "nt-v1-2.5b") v1(2560, 32, 20, 10240);
  else throw std::invalid_argument("unknown model shape '" + name + "'");
  return c;
}

}  // namespace oncolm::model
