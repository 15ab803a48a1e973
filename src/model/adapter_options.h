// The parameter-efficient adapters the encoder can carry (model/nt_encoder.h), as plain options so
// that the CLI and the training options stay torch-free.
#pragma once
#include <cstdint>
#include <string>

namespace oncolm::model {

// The projections LoRA can adapt (bit flags; HF module names in comments).
enum LoraTarget : unsigned {
  lora_query = 1,             // attention.self.query
  lora_key = 2,               // attention.self.key
  lora_value = 4,             // attention.self.value
  lora_attention_output = 8,  // attention.output.dense
  lora_ffn_in = 16,           // intermediate.dense
  lora_ffn_out = 32,          // output.dense
};
// "query,value" -> flags; names: query, key, value, attention-output, ffn-in, ffn-out. Throws
// std::invalid_argument naming an unknown target.
unsigned parse_lora_targets(const std::string& comma_separated);
std::string lora_target_names(unsigned targets);
// PEFT's target_modules for these projections as a regular expression (PEFT full-matches a string
// against module names; a list would match "output.dense" in attention.output.dense too).
std::string peft_target_regex(unsigned targets);

struct AdapterOptions {
  int lora_rank = 0;  // 0 = no LoRA
  double lora_alpha = 16.0;  // LoRA output scale = alpha / rank (PEFT's default scaling)
  double lora_dropout = 0.0;  // on the LoRA input, in training only
  unsigned lora_targets = lora_query | lora_value;
  bool ia3 = false;  // scaling vectors on key, value and the feed-forward activation (IA3 paper)
  std::uint64_t seed = 0;  // LoRA A initialisation
  bool any() const { return lora_rank > 0 || ia3; }
};

}  // namespace oncolm::model
