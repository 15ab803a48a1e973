// The NT architecture as read from a checkpoint's config.json. NT v1 and v2 are one ESM-style
// encoder with switches (docs/nt-model.md): v1 = learned absolute positions, token-dropout scaling,
// GELU feed-forward with biases; v2 = rotary positions, SwiGLU feed-forward without biases.
#pragma once
#include <cstdint>
#include <string>

#include <nlohmann/json_fwd.hpp>

namespace oncolm::model {

enum class PositionEncoding { absolute, rotary };
enum class FeedForward { gelu, swiglu };

struct NtConfig {
  int hidden_size = 0;
  int num_layers = 0;
  int num_heads = 0;
  int intermediate_size = 0;  // I; SwiGLU's input projection has 2*I rows
  int vocab_size = 0;
  int max_position_embeddings = 0;
  int max_tokens = 0;  // longest input including <cls> (HF model_max_length)
  double layer_norm_eps = 1e-12;
  int pad_token_id = 1;
  int mask_token_id = 2;
  PositionEncoding positions = PositionEncoding::rotary;
  FeedForward feed_forward = FeedForward::swiglu;
  bool ffn_bias = false;
  bool token_dropout = false;

  int head_dim() const { return hidden_size / num_heads; }
  // "NT v2 (rotary positions, SwiGLU FFN without bias)" and similar.
  std::string describe() const;
  // Parameters the encoder (and MLM head) use; the position table only for absolute positions.
  std::int64_t parameter_count(bool with_lm_head = true) const;
  // Forward FLOPs per token of the encoder at sequence length T (docs/performance.md).
  double forward_flops_per_token(int tokens) const;

  // Reads DIR/config.json (and DIR/tokenizer_config.json for model_max_length when present).
  // Throws InputError naming the file and the key that is missing or unsupported.
  static NtConfig load_dir(const std::string& model_dir);
  static NtConfig from_json(const nlohmann::json& json, const std::string& source);
  // Shapes of published checkpoints, for benchmarks: nt-v2-50m, nt-v2-100m, nt-v2-250m,
  // nt-v2-500m, nt-v1-500m, nt-v1-2.5b. Throws std::invalid_argument for other names.
  static NtConfig preset(const std::string& name);
};

}  // namespace oncolm::model
