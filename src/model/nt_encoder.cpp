#include "model/nt_encoder.h"

#include <malloc.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <set>

#include <ATen/CPUGeneratorImpl.h>
#include <torch/version.h>

#include "core/error.h"
#include "core/log.h"

namespace oncolm::model {
namespace {

at::ScalarType scalar_type(DType dtype) {
  switch (dtype) {
    case DType::f64: return at::kDouble;
    case DType::f32: return at::kFloat;
    case DType::f16: return at::kHalf;
    case DType::bf16: return at::kBFloat16;
    case DType::i64: return at::kLong;
    case DType::i32: return at::kInt;
    case DType::i16: return at::kShort;
    case DType::i8: return at::kChar;
    case DType::u8: return at::kByte;
    case DType::boolean: return at::kBool;
  }
  return at::kFloat;
}

// A tensor over the mapped bytes (no copy; valid while the view's owner lives).
at::Tensor view_as_tensor(const TensorView& view) {
  return at::from_blob(const_cast<std::byte*>(view.data), view.shape, view.strides,
                       at::TensorOptions().dtype(scalar_type(view.dtype)));
}

// Takes named tensors out of a checkpoint, checking shapes against the config, and remembers
// which ones it used so the rest can be listed.
class WeightReader {
 public:
  WeightReader(const Checkpoint& checkpoint, std::string prefix)
      : checkpoint_(checkpoint), prefix_(std::move(prefix)) {}

  at::Tensor take(const std::string& name, std::vector<std::int64_t> shape) {
    std::string full = prefix_ + name;
    const TensorView* view = checkpoint_.find(full);
    if (view == nullptr)
      throw input_error(checkpoint_.files().front(), 0,
                        "tensor '{}' is missing (config.json describes a model that needs it)", full);
    if (view->shape != shape)
      throw input_error(view->file, 0, "tensor '{}' has shape {} but config.json implies {}", full,
                        shape_string(view->shape), shape_string(shape));
    used_.insert(full);
    // One copy into owned fp32 memory: converts the dtype and leaves the mapping free to go.
    return at::empty(shape, at::kFloat).copy_(view_as_tensor(*view));
  }

  bool has(const std::string& name) const { return checkpoint_.find(prefix_ + name) != nullptr; }

  void log_unused() const {
    for (const auto& [name, view] : checkpoint_.tensors())
      if (!used_.count(name))
        log(Level::debug, "unused tensor {} {} {}", name, dtype_name(view.dtype), shape_string(view.shape));
  }

 private:
  const Checkpoint& checkpoint_;
  std::string prefix_;
  std::set<std::string> used_;
};

// HF names everything under "esm." in *ForMaskedLM checkpoints; a bare EsmModel has no prefix.
std::string weight_prefix(const Checkpoint& checkpoint) {
  if (checkpoint.find("esm.embeddings.word_embeddings.weight")) return "esm.";
  if (checkpoint.find("embeddings.word_embeddings.weight")) return "";
  throw input_error(checkpoint.files().front(), 0,
                    "no 'esm.embeddings.word_embeddings.weight': not an NT/ESM checkpoint");
}

}  // namespace

void tune_cpu_allocator() {
  // glibc returns blocks above the mmap threshold (128 KiB to 32 MiB, adaptive) to the kernel on
  // free, so every layer would fault its activations in afresh; keep them in the heap instead.
  mallopt(M_MMAP_THRESHOLD, 256 << 20);
  mallopt(M_TRIM_THRESHOLD, 1 << 30);
}

at::Tensor tensor_from_view(const TensorView& view) { return view_as_tensor(view).clone(); }

at::Tensor masked_mean(const at::Tensor& hidden, const at::Tensor& mask) {
  auto values = hidden.to(at::kFloat);
  if (!mask.defined()) return values.mean(1);
  auto weights = mask.to(at::kFloat).unsqueeze(-1);
  return (values * weights).sum(1) / weights.sum(1);
}

at::Tensor attention(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v,
                     const at::Tensor& key_mask) {
#if TORCH_VERSION_MAJOR >= 2
  // Flash attention when there is no mask; the memory-efficient kernel with one.
  if (key_mask.defined())
    return at::scaled_dot_product_attention(q, k, v, key_mask.view({key_mask.size(0), 1, 1, key_mask.size(1)}));
  return at::scaled_dot_product_attention(q, k, v);
#else
  // HF's eager math (scaled scores, masked keys at the lowest float, softmax, weighted sum), done a
  // few (batch, head) slices at a time: whole [B, heads, T, T] score tensors are hundreds of MB at
  // T = 1,000, and allocating and faulting them in cost more than the arithmetic on CPU.
  const std::int64_t batch = q.size(0), heads = q.size(1), tokens = q.size(2), head_dim = q.size(3);
  auto qs = q.reshape({batch * heads, tokens, head_dim});
  auto ks = k.reshape({batch * heads, tokens, head_dim}).transpose(1, 2);
  auto vs = v.reshape({batch * heads, tokens, head_dim});
  at::Tensor bias;  // [B * heads, 1, T]: 0 for real keys, the lowest float for padding
  if (key_mask.defined())
    bias = at::zeros({batch, 1, tokens}, q.options())
               .masked_fill_(key_mask.logical_not().view({batch, 1, tokens}), std::numeric_limits<float>::lowest())
               .repeat_interleave(heads, 0);
  auto out = at::empty({batch * heads, tokens, head_dim}, q.options());
  const double scale = 1.0 / std::sqrt(static_cast<double>(head_dim));
  const std::int64_t step = std::max<std::int64_t>(1, (std::int64_t{4} << 20) / (tokens * tokens));
  for (std::int64_t first = 0; first < batch * heads; first += step) {
    const std::int64_t last = std::min(batch * heads, first + step);
    auto scores = at::bmm(qs.slice(0, first, last), ks.slice(0, first, last)).mul_(scale);
    if (bias.defined()) scores.add_(bias.slice(0, first, last));
    auto slice = out.slice(0, first, last);
    at::bmm_out(slice, at::softmax(scores, -1), vs.slice(0, first, last));
  }
  return out.view({batch, heads, tokens, head_dim});
#endif
}

NtEncoder::NtEncoder(NtConfig config, const Checkpoint& checkpoint) : config_(std::move(config)) {
  const std::int64_t h = config_.hidden_size, i = config_.intermediate_size;
  const std::int64_t ffn_rows = config_.feed_forward == FeedForward::swiglu ? 2 * i : i;
  WeightReader esm(checkpoint, weight_prefix(checkpoint));
  word_embeddings_ = esm.take("embeddings.word_embeddings.weight", {config_.vocab_size, h});
  if (config_.positions == PositionEncoding::absolute)
    position_embeddings_ = esm.take("embeddings.position_embeddings.weight", {config_.max_position_embeddings, h});
  for (int l = 0; l < config_.num_layers; ++l) {
    std::string p = "encoder.layer." + std::to_string(l) + ".";
    Layer layer;
    layer.ln1_weight = esm.take(p + "attention.LayerNorm.weight", {h});
    layer.ln1_bias = esm.take(p + "attention.LayerNorm.bias", {h});
    std::vector<at::Tensor> weights, biases;
    for (const char* part : {"query", "key", "value"}) {
      weights.push_back(esm.take(p + "attention.self." + part + ".weight", {h, h}));
      biases.push_back(esm.take(p + "attention.self." + part + ".bias", {h}));
    }
    layer.qkv_weight = at::cat(weights, 0);
    layer.qkv_bias = at::cat(biases, 0);
    layer.out_weight = esm.take(p + "attention.output.dense.weight", {h, h});
    layer.out_bias = esm.take(p + "attention.output.dense.bias", {h});
    layer.ln2_weight = esm.take(p + "LayerNorm.weight", {h});
    layer.ln2_bias = esm.take(p + "LayerNorm.bias", {h});
    layer.ffn_in_weight = esm.take(p + "intermediate.dense.weight", {ffn_rows, h});
    layer.ffn_out_weight = esm.take(p + "output.dense.weight", {h, i});
    if (config_.ffn_bias) {
      layer.ffn_in_bias = esm.take(p + "intermediate.dense.bias", {ffn_rows});
      layer.ffn_out_bias = esm.take(p + "output.dense.bias", {h});
    }
    layers_.push_back(std::move(layer));
  }
  final_ln_weight_ = esm.take("encoder.emb_layer_norm_after.weight", {h});
  final_ln_bias_ = esm.take("encoder.emb_layer_norm_after.bias", {h});
  // The MLM head is optional: fine-tuned classification checkpoints drop it.
  WeightReader head(checkpoint, "lm_head.");
  if (head.has("decoder.weight")) {
    lm_head_.dense_weight = head.take("dense.weight", {h, h});
    lm_head_.dense_bias = head.take("dense.bias", {h});
    lm_head_.ln_weight = head.take("layer_norm.weight", {h});
    lm_head_.ln_bias = head.take("layer_norm.bias", {h});
    lm_head_.decoder_weight = head.take("decoder.weight", {config_.vocab_size, h});
    lm_head_.bias = head.take("bias", {config_.vocab_size});
  }
  if (log_enabled(Level::debug)) {
    esm.log_unused();
  }
  build_rotary_tables();
}

NtEncoder NtEncoder::random(NtConfig config, std::uint64_t seed, at::Device device, at::ScalarType dtype) {
  NtEncoder encoder(std::move(config));
  const NtConfig& c = encoder.config_;
  const std::int64_t h = c.hidden_size, i = c.intermediate_size;
  const std::int64_t ffn_rows = c.feed_forward == FeedForward::swiglu ? 2 * i : i;
  auto generator = at::detail::createCPUGenerator(seed);
  auto options = at::TensorOptions().dtype(at::kFloat);
  auto normal = [&](std::vector<std::int64_t> shape) {
    return (at::randn(shape, generator, options) * 0.02).to(device, dtype);
  };
  auto ones = [&](std::int64_t n) { return at::ones({n}, options.device(device).dtype(dtype)); };
  auto zeros = [&](std::int64_t n) { return at::zeros({n}, options.device(device).dtype(dtype)); };
  encoder.word_embeddings_ = normal({c.vocab_size, h});
  if (c.positions == PositionEncoding::absolute) encoder.position_embeddings_ = normal({c.max_position_embeddings, h});
  for (int l = 0; l < c.num_layers; ++l) {
    Layer layer{ones(h), zeros(h), normal({3 * h, h}), zeros(3 * h), normal({h, h}), zeros(h),
                ones(h), zeros(h), normal({ffn_rows, h}), {}, normal({h, i}), {}};
    if (c.ffn_bias) {
      layer.ffn_in_bias = zeros(ffn_rows);
      layer.ffn_out_bias = zeros(h);
    }
    encoder.layers_.push_back(std::move(layer));
  }
  encoder.final_ln_weight_ = ones(h);
  encoder.final_ln_bias_ = zeros(h);
  encoder.build_rotary_tables();
  encoder.rotary_cos_ = encoder.rotary_cos_.defined() ? encoder.rotary_cos_.to(device, dtype) : at::Tensor();
  encoder.rotary_sin_ = encoder.rotary_sin_.defined() ? encoder.rotary_sin_.to(device, dtype) : at::Tensor();
  return encoder;
}

std::vector<at::Tensor*> NtEncoder::tensors() {
  std::vector<at::Tensor*> all = {&word_embeddings_, &position_embeddings_, &final_ln_weight_,
                                  &final_ln_bias_, &rotary_cos_, &rotary_sin_,
                                  &lm_head_.dense_weight, &lm_head_.dense_bias, &lm_head_.ln_weight,
                                  &lm_head_.ln_bias, &lm_head_.decoder_weight, &lm_head_.bias};
  for (auto& layer : layers_)
    for (at::Tensor* t : {&layer.ln1_weight, &layer.ln1_bias, &layer.qkv_weight, &layer.qkv_bias,
                          &layer.out_weight, &layer.out_bias, &layer.ln2_weight, &layer.ln2_bias,
                          &layer.ffn_in_weight, &layer.ffn_in_bias, &layer.ffn_out_weight, &layer.ffn_out_bias})
      all.push_back(t);
  return all;
}

void NtEncoder::to(at::Device device, at::ScalarType dtype) {
  for (at::Tensor* t : tensors())
    if (t->defined()) *t = t->to(device, dtype);
}

// HF's rotary tables, in fp32 as HF computes them: inv_freq[j] = 1 / 10000^(2j/d), angles t * inv_freq
// for t = 0.. (counted from <cls>), duplicated to the full head width (halves, not interleaved).
void NtEncoder::build_rotary_tables() {
  if (config_.positions != PositionEncoding::rotary) return;
  const std::int64_t d = config_.head_dim();
  auto inv_freq = 1.0 / at::pow(10000.0, at::arange(0, d, 2, at::kLong).to(at::kFloat) / static_cast<double>(d));
  auto t = at::arange(config_.max_tokens, at::kFloat);
  auto freqs = at::outer(t, inv_freq);
  auto angles = at::cat({freqs, freqs}, -1);
  rotary_cos_ = angles.cos();
  rotary_sin_ = angles.sin();
}

at::Tensor NtEncoder::rotate(const at::Tensor& x, std::int64_t tokens) const {
  const std::int64_t half = x.size(-1) / 2;
  auto cos = rotary_cos_.slice(0, 0, tokens);
  auto sin = rotary_sin_.slice(0, 0, tokens);
  auto rotated = at::cat({x.slice(-1, half).neg(), x.slice(-1, 0, half)}, -1);
  return x * cos + rotated * sin;
}

at::Tensor NtEncoder::embed(const at::Tensor& ids, const at::Tensor& attention_mask) const {
  auto x = at::embedding(word_embeddings_, ids);
  if (config_.token_dropout) {
    // ESM's token-dropout rescaling, applied at inference too: <mask> rows zeroed and every row
    // scaled by (1 - 0.15*0.8) / (1 - observed mask share); 0.88 when there is no <mask>.
    auto is_mask = ids.eq(config_.mask_token_id);
    x = x.masked_fill(is_mask.unsqueeze(-1), 0.0);
    auto real = attention_mask.defined() ? attention_mask.sum(-1).to(at::kFloat)
                                         : at::full({ids.size(0)}, static_cast<double>(ids.size(1)),
                                                    ids.options().dtype(at::kFloat));
    auto observed = is_mask.sum(-1).to(at::kFloat) / real;
    x = (x * (1.0 - 0.15 * 0.8) / (1.0 - observed).view({-1, 1, 1})).to(x.scalar_type());
  }
  if (config_.positions == PositionEncoding::absolute) {
    // <cls> sits at position pad_id + 1 = 2; padding keeps pad_id.
    auto not_pad = ids.ne(config_.pad_token_id).to(at::kLong);
    auto positions = at::cumsum(not_pad, 1) * not_pad + config_.pad_token_id;
    x = x + at::embedding(position_embeddings_, positions);
  }
  if (attention_mask.defined()) x = x * attention_mask.unsqueeze(-1).to(x.scalar_type());
  return x;
}

at::Tensor NtEncoder::run_layer(const Layer& layer, at::Tensor x, const at::Tensor& key_mask) const {
  const std::int64_t batch = x.size(0), tokens = x.size(1), hidden = x.size(2);
  const std::int64_t heads = config_.num_heads, head_dim = config_.head_dim();
  const double eps = config_.layer_norm_eps;
  auto h = at::layer_norm(x, {hidden}, layer.ln1_weight, layer.ln1_bias, eps);
  auto qkv = at::linear(h, layer.qkv_weight, layer.qkv_bias)
                 .view({batch, tokens, 3, heads, head_dim})
                 .permute({2, 0, 3, 1, 4});
  at::Tensor q = qkv[0], k = qkv[1], v = qkv[2];
  if (config_.positions == PositionEncoding::rotary) {
    q = rotate(q, tokens);
    k = rotate(k, tokens);
  }
  auto context = attention(q, k, v, key_mask).transpose(1, 2).reshape({batch, tokens, hidden});
  x = x + at::linear(context, layer.out_weight, layer.out_bias);
  h = at::layer_norm(x, {hidden}, layer.ln2_weight, layer.ln2_bias, eps);
  at::Tensor activated;
  if (config_.feed_forward == FeedForward::swiglu) {
    auto gate_and_value = at::linear(h, layer.ffn_in_weight, layer.ffn_in_bias).chunk(2, -1);
    activated = at::silu(gate_and_value[0]) * gate_and_value[1];  // the first half is the gate
  } else {
    activated = at::gelu(at::linear(h, layer.ffn_in_weight, layer.ffn_in_bias));  // erf form
  }
  return x + at::linear(activated, layer.ffn_out_weight, layer.ffn_out_bias);
}

at::Tensor NtEncoder::final_norm(const at::Tensor& x) const {
  return at::layer_norm(x, {x.size(-1)}, final_ln_weight_, final_ln_bias_, config_.layer_norm_eps);
}

at::Tensor NtEncoder::lm_logits(const at::Tensor& x) const {
  auto h = at::gelu(at::linear(x, lm_head_.dense_weight, lm_head_.dense_bias));
  h = at::layer_norm(h, {h.size(-1)}, lm_head_.ln_weight, lm_head_.ln_bias, config_.layer_norm_eps);
  return at::linear(h, lm_head_.decoder_weight, lm_head_.bias);
}

ForwardOutput NtEncoder::forward(const at::Tensor& ids, const at::Tensor& attention_mask,
                                 const ForwardOptions& options) const {
  const int num_layers = config_.num_layers;
  const int layer = options.layer < 0 ? num_layers : options.layer;
  if (layer > num_layers)
    throw std::invalid_argument("layer " + std::to_string(layer) + " does not exist (0.." +
                                std::to_string(num_layers) + ")");
  if (ids.dim() != 2) throw std::invalid_argument("token ids must be [batch, tokens]");
  if (ids.size(1) > config_.max_tokens)
    throw std::invalid_argument("a batch of " + std::to_string(ids.size(1)) +
                                " tokens exceeds the model's maximum of " + std::to_string(config_.max_tokens));
  if (options.logits && !has_lm_head()) throw std::invalid_argument("this checkpoint has no MLM head");
  const bool run_all = options.all_hidden_states || options.logits || layer == num_layers;
  const int last_layer = run_all ? num_layers : layer;
  at::Tensor key_mask = attention_mask.defined() ? attention_mask.ne(0) : at::Tensor();

  ForwardOutput out;
  auto x = embed(ids, attention_mask);
  if (options.all_hidden_states) out.hidden_states.push_back(x);
  if (layer == 0) out.selected = x;
  for (int l = 0; l < last_layer; ++l) {
    x = run_layer(layers_[static_cast<std::size_t>(l)], x, key_mask);
    if (l + 1 == num_layers) break;  // HF reports the last layer only after the final LayerNorm
    if (options.all_hidden_states) out.hidden_states.push_back(x);
    if (layer == l + 1) out.selected = x;
  }
  if (last_layer == num_layers) {
    x = final_norm(x);
    if (options.all_hidden_states) out.hidden_states.push_back(x);
    if (layer == num_layers) out.selected = x;
    if (options.logits) out.logits = lm_logits(x);
  }
  return out;
}

}  // namespace oncolm::model
