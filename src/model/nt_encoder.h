// The NT encoder: one ESM-style pre-LayerNorm transformer whose v1/v2 differences are switches in
// NtConfig (docs/nt-model.md gives the op order this follows). This header includes ATen; code that
// only needs embeddings should use model/embedder.h, which does not.
#pragma once
#include <cstdint>
#include <vector>

#include <ATen/ATen.h>

#include "model/checkpoint.h"
#include "model/config.h"

namespace oncolm::model {

struct ForwardOptions {
  bool all_hidden_states = false;  // HF's hidden_states: L+1 entries
  bool logits = false;             // MLM head output
  int layer = -1;                  // which hidden state `selected` holds: 0..L, -1 = L (after the final
                                   // LayerNorm); layers above it are skipped when nothing else needs them
};

struct ForwardOutput {
  at::Tensor selected;                    // [B, T, H] hidden_states[layer]
  std::vector<at::Tensor> hidden_states;  // when requested: [0] embeddings ... [L] final
  at::Tensor logits;                      // when requested: [B, T, vocab]
};

class NtEncoder {
 public:
  // Copies the weights out of `checkpoint` (fp32, CPU). A missing tensor or a shape that disagrees
  // with the config is an InputError naming the tensor and file; tensors the encoder does not use
  // (contact head, position ids, rotary buffers) are listed at debug verbosity.
  NtEncoder(NtConfig config, const Checkpoint& checkpoint);
  // Random weights in the config's shapes (benchmarks), created directly on `device` as `dtype`.
  static NtEncoder random(NtConfig config, std::uint64_t seed, at::Device device, at::ScalarType dtype);

  void to(at::Device device, at::ScalarType dtype);
  const NtConfig& config() const { return config_; }
  bool has_lm_head() const { return lm_head_.decoder_weight.defined(); }
  at::Device device() const { return word_embeddings_.device(); }
  at::ScalarType dtype() const { return word_embeddings_.scalar_type(); }

  // ids: [B, T] int64 on the model's device, right-padded, ids[:, 0] = <cls>. attention_mask: [B, T]
  // (1 = real token) or an undefined tensor when every row is full length, which lets the fused
  // attention kernels run without a mask. Call under inference mode.
  ForwardOutput forward(const at::Tensor& ids, const at::Tensor& attention_mask,
                        const ForwardOptions& options = {}) const;

 private:
  struct Layer {
    at::Tensor ln1_weight, ln1_bias;
    at::Tensor qkv_weight, qkv_bias;  // query, key, value stacked: one GEMM instead of three
    at::Tensor out_weight, out_bias;
    at::Tensor ln2_weight, ln2_bias;
    at::Tensor ffn_in_weight, ffn_in_bias;  // biases undefined for v2
    at::Tensor ffn_out_weight, ffn_out_bias;
  };
  struct LmHead {
    at::Tensor dense_weight, dense_bias, ln_weight, ln_bias, decoder_weight, bias;
  };
  explicit NtEncoder(NtConfig config) : config_(std::move(config)) {}
  std::vector<at::Tensor*> tensors();
  void build_rotary_tables();
  at::Tensor embed(const at::Tensor& ids, const at::Tensor& attention_mask) const;
  at::Tensor run_layer(const Layer& layer, at::Tensor x, const at::Tensor& key_mask) const;
  at::Tensor rotate(const at::Tensor& x, std::int64_t tokens) const;
  at::Tensor final_norm(const at::Tensor& x) const;
  at::Tensor lm_logits(const at::Tensor& x) const;

  NtConfig config_;
  at::Tensor word_embeddings_, position_embeddings_;
  std::vector<Layer> layers_;
  at::Tensor final_ln_weight_, final_ln_bias_;
  LmHead lm_head_;
  at::Tensor rotary_cos_, rotary_sin_;  // [max_tokens, head_dim]
};

// Keeps large freed blocks in glibc's heap for reuse (CPU inference allocates the same big
// activations every layer). Process-wide; the embedder calls it when it runs on CPU.
void tune_cpu_allocator();

// Copies a checkpoint tensor view into an owned CPU tensor of its own dtype (tests, tools).
at::Tensor tensor_from_view(const TensorView& view);

// Mean over the tokens where `mask` is non-zero ([B, T]; undefined = all), in fp32: the NT model
// cards' embedding when `hidden` is the last hidden state and `mask` the attention mask.
at::Tensor masked_mean(const at::Tensor& hidden, const at::Tensor& mask);

// The fused-attention entry point: the one place that differs between LibTorch 1.x and 2.x.
// q, k, v: [B, heads, T, d] (q not yet scaled); key_mask: [B, T] bool (true = attend) or undefined.
at::Tensor attention(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v,
                     const at::Tensor& key_mask);

}  // namespace oncolm::model
