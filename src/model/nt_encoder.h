// The NT encoder: one ESM-style pre-LayerNorm transformer whose v1/v2 differences are switches in
// NtConfig (docs/nt-model.md gives the op order this follows). This header includes ATen; code that
// only needs embeddings should use model/embedder.h, which does not.
//
// Training switches (used by src/train): weights can be made trainable (leaf tensors with
// requires_grad, the forward pass then runs under autograd), and parameter-efficient adapters sit
// beside the frozen weights as in Hugging Face PEFT: LoRA on any of the six projections and IA3
// scaling vectors on keys, values and the feed-forward activation. merge_adapters() folds them into
// plain weights. Without adapters and outside training the forward pass is the inference one, unchanged.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <ATen/ATen.h>

#include "model/adapter_options.h"
#include "model/checkpoint.h"
#include "model/config.h"

namespace oncolm::model {

struct NamedTensor {
  std::string name;
  at::Tensor tensor;
};

struct ForwardOptions {
  bool all_hidden_states = false;  // HF's hidden_states: L+1 entries
  bool training = false;           // LoRA dropout active (the only stochastic op; NT uses no other dropout)
  // Under autograd: keep only each layer's input and recompute the layer in the backward pass
  // (memory for compute, as torch.utils.checkpoint). Gradients are unchanged. Not with LoRA
  // dropout in training (the recomputation would draw other masks).
  bool checkpoint_activations = false;
  bool logits = false;             // MLM head output
  // With `logits`: when defined, a [B, T] bool tensor on the model's device; the head then runs only
  // on the positions it marks (MLM training scores ~15% of them, and the 4,107-way head is most of a
  // small model's work) and `logits` is [N, vocab], one row per marked position in row-major order.
  at::Tensor logits_positions;
  int layer = -1;                  // which hidden state `selected` holds: 0..L, -1 = L (after the final
                                   // LayerNorm); layers above it are skipped when nothing else needs them
};

struct ForwardOutput {
  at::Tensor selected;                    // [B, T, H] hidden_states[layer]
  std::vector<at::Tensor> hidden_states;  // when requested: [0] embeddings ... [L] final
  at::Tensor logits;                      // when requested: [B, T, vocab] ([N, vocab] with logits_positions)
};

struct LayerCheckpoint;  // the autograd function behind ForwardOptions::checkpoint_activations

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
  // Mixed precision, as torch.autocast does it: the weights stay in dtype() (the float32 master
  // copy an optimizer updates) while GEMMs and attention run in `compute` (bfloat16 on CUDA);
  // LayerNorms, the residual stream and the MLM logits stay in dtype(). compute == dtype() turns
  // it off. Gradients reach the weights in their own dtype through the casts.
  void set_compute_dtype(at::ScalarType compute) { compute_dtype_ = compute; }
  at::ScalarType compute_dtype() const { return compute_dtype_ ? *compute_dtype_ : dtype(); }

  // ids: [B, T] int64 on the model's device, right-padded, ids[:, 0] = <cls>. attention_mask: [B, T]
  // (1 = real token) or an undefined tensor when every row is full length, which lets the fused
  // attention kernels run without a mask. Call under inference mode for embeddings; training calls
  // it with autograd on (no op here modifies a tensor autograd still needs).
  ForwardOutput forward(const at::Tensor& ids, const at::Tensor& attention_mask,
                        const ForwardOptions& options = {}) const;

  // --- training switches ---
  // Adds zero-effect adapters: LoRA B = 0 (A Kaiming-uniform as PEFT), IA3 vectors = 1, so the
  // model's outputs are unchanged until they train. On the model's device and dtype.
  void add_adapters(const AdapterOptions& options);
  bool has_adapters() const { return adapters_.any(); }
  const AdapterOptions& adapter_options() const { return adapters_; }
  // Folds the adapters into the plain weights (W += alpha/r * B A; IA3 scales rows of the key and
  // value projections and columns of the feed-forward output) and removes them.
  void merge_adapters();
  // Which tensors get gradients: adapters always; base weights when `base` is true, except the
  // embeddings and the layers below `freeze_below` (so freeze_below = L trains only the final
  // LayerNorm and the MLM head). Call after to(): requires_grad is set on these leaf tensors.
  void set_trainable(bool base, int freeze_below);
  // The tensors that require grad, in a fixed order (optimizer state follows this order), with
  // their names as in named_tensors() / adapter_tensors().
  std::vector<NamedTensor> trainable_parameters() const;
  // Every weight the encoder holds under its Hugging Face name (query/key/value split again), in
  // the checkpoint's own prefix ("esm." for *ForMaskedLM); adapters not included.
  std::vector<NamedTensor> named_tensors() const;
  // The adapters alone under PEFT's names (base_model.model.<HF module>.lora_A.weight [r, in],
  // .lora_B.weight [out, r], .ia3_l [out, 1] for key/value, [1, I] for output.dense).
  std::vector<NamedTensor> adapter_tensors() const;
  // The same adapter tensors themselves (leaves, IA3 vectors 1-D): what the optimizer updates.
  std::vector<NamedTensor> adapter_parameters() const;
  // Copies saved adapter values (adapter_tensors() names) into the adapters; throws InputError
  // naming `source` for a missing tensor or a shape mismatch.
  void load_adapters(const Checkpoint& checkpoint, const std::string& source);

 private:
  struct Lora {
    at::Tensor a, b;  // [r, in], [out, r]; undefined when the projection has none
  };
  struct Layer {
    at::Tensor ln1_weight, ln1_bias;
    at::Tensor qkv_weight, qkv_bias;  // query, key, value stacked: one GEMM instead of three
    at::Tensor out_weight, out_bias;
    at::Tensor ln2_weight, ln2_bias;
    at::Tensor ffn_in_weight, ffn_in_bias;  // biases undefined for v2
    at::Tensor ffn_out_weight, ffn_out_bias;
    Lora lora_query, lora_key, lora_value, lora_out, lora_ffn_in, lora_ffn_out;
    at::Tensor ia3_key, ia3_value, ia3_ffn;  // [H], [H], [I]; undefined without IA3
  };
  struct LmHead {
    at::Tensor dense_weight, dense_bias, ln_weight, ln_bias, decoder_weight, bias;
  };
  friend struct LayerCheckpoint;
  explicit NtEncoder(NtConfig config) : config_(std::move(config)) {}
  at::Tensor checkpointed_layer(std::size_t index, const at::Tensor& x, const at::Tensor& key_mask,
                                bool training) const;
  std::vector<at::Tensor> layer_weights(std::size_t index) const;  // a layer's tensors that require grad
  std::vector<at::Tensor*> tensors();
  void build_rotary_tables();
  at::Tensor embed(const at::Tensor& ids, const at::Tensor& attention_mask) const;
  at::Tensor run_layer(const Layer& layer, at::Tensor x, const at::Tensor& key_mask, bool training) const;
  at::Tensor adapt_qkv(const Layer& layer, const at::Tensor& h, const at::Tensor& qkv, bool training) const;
  at::Tensor project(const at::Tensor& input, const at::Tensor& weight, const at::Tensor& bias,
                     const Lora& lora, bool training) const;
  // The adapter slots of a layer with their HF module names (const and non-const layers alike).
  template <typename L> static auto lora_slots(L& layer);
  template <typename L> static auto ia3_slots(L& layer);
  at::Tensor rotate_query_key(const at::Tensor& query_key, std::int64_t tokens) const;
  at::Tensor compute(const at::Tensor& tensor) const;  // `tensor` in the compute dtype
  at::Tensor linear(const at::Tensor& input, const at::Tensor& weight, const at::Tensor& bias) const;
  at::Tensor final_norm(const at::Tensor& x) const;
  at::Tensor lm_logits(const at::Tensor& x) const;

  NtConfig config_;
  std::string prefix_ = "esm.";  // HF name prefix of the encoder weights in the source checkpoint
  AdapterOptions adapters_;
  at::Tensor word_embeddings_, position_embeddings_;
  std::vector<Layer> layers_;
  at::Tensor final_ln_weight_, final_ln_bias_;
  LmHead lm_head_;
  // [max_tokens, head_dim]: cos, and sin with rotate_half's sign folded in (minus on the first half)
  at::Tensor rotary_cos_, rotary_sin_signed_;
  std::optional<at::ScalarType> compute_dtype_;  // unset: compute in dtype()
};

// LibTorch 2.x: leaves only `name` (flash, efficient, math; cudnn from 2.4) enabled among the
// backends scaled_dot_product_attention may pick, process-wide; "auto" changes nothing. False when
// the backend does not exist in this LibTorch (1.x has no SDPA).
bool restrict_attention_backend(const std::string& name);

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
