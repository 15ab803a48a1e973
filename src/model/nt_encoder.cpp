#include "model/nt_encoder.h"

#include <malloc.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <map>
#include <set>

#include <ATen/CPUGeneratorImpl.h>
#include <torch/csrc/autograd/autograd.h>
#include <torch/csrc/autograd/custom_function.h>
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

#if TORCH_VERSION_MAJOR < 2
// The score of a masked key: the lowest finite value of the scores' dtype, as HF uses finfo(dtype).min
// (float's lowest does not fit in bfloat16).
double lowest_score(at::ScalarType dtype) {
  if (dtype == at::kBFloat16) return static_cast<double>(std::numeric_limits<c10::BFloat16>::lowest());
  if (dtype == at::kHalf) return static_cast<double>(std::numeric_limits<c10::Half>::lowest());
  return std::numeric_limits<float>::lowest();
}

// The same math in whole tensors with out-of-place ops, for training: the sliced inference path
// writes into a preallocated output (bmm_out), which autograd cannot differentiate.
at::Tensor differentiable_attention(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v,
                                    const at::Tensor& key_mask) {
  const double scale = 1.0 / std::sqrt(static_cast<double>(q.size(-1)));
  auto scores = at::matmul(q, k.transpose(-2, -1)) * scale;
  if (key_mask.defined())
    scores = scores.masked_fill(key_mask.logical_not().view({key_mask.size(0), 1, 1, key_mask.size(1)}),
                                lowest_score(scores.scalar_type()));
  return at::matmul(at::softmax(scores, -1), v);
}
#endif

// PEFT's LoRA A initialisation: kaiming_uniform_(a = sqrt(5)), i.e. uniform in +-1/sqrt(fan_in).
at::Tensor lora_a_init(std::int64_t rank, std::int64_t fan_in, at::Generator& generator) {
  const double bound = 1.0 / std::sqrt(static_cast<double>(fan_in));
  return at::rand({rank, fan_in}, generator, at::TensorOptions().dtype(at::kFloat)) * (2 * bound) - bound;
}

}  // namespace

unsigned parse_lora_targets(const std::string& comma_separated) {
  static const std::map<std::string, unsigned> names = {
      {"query", lora_query},   {"key", lora_key},       {"value", lora_value},
      {"attention-output", lora_attention_output}, {"ffn-in", lora_ffn_in}, {"ffn-out", lora_ffn_out}};
  unsigned targets = 0;
  std::size_t begin = 0;
  while (begin <= comma_separated.size()) {
    std::size_t end = std::min(comma_separated.find(',', begin), comma_separated.size());
    std::string name = comma_separated.substr(begin, end - begin);
    auto found = names.find(name);
    if (found == names.end())
      throw std::invalid_argument("unknown LoRA target '" + name +
                                  "' (query, key, value, attention-output, ffn-in, ffn-out)");
    targets |= found->second;
    begin = end + 1;
  }
  return targets;
}

std::string lora_target_names(unsigned targets) {
  std::string names;
  const std::pair<unsigned, const char*> all[] = {{lora_query, "query"}, {lora_key, "key"}, {lora_value, "value"},
                                                  {lora_attention_output, "attention-output"},
                                                  {lora_ffn_in, "ffn-in"}, {lora_ffn_out, "ffn-out"}};
  for (const auto& [flag, name] : all)
    if (targets & flag) names += (names.empty() ? "" : ",") + std::string(name);
  return names;
}

std::string peft_target_regex(unsigned targets) {
  const std::pair<unsigned, const char*> all[] = {{lora_query, "attention\\.self\\.query"},
                                                  {lora_key, "attention\\.self\\.key"},
                                                  {lora_value, "attention\\.self\\.value"},
                                                  {lora_attention_output, "attention\\.output\\.dense"},
                                                  {lora_ffn_in, "intermediate\\.dense"},
                                                  {lora_ffn_out, "output\\.dense"}};
  std::string alternatives;
  for (const auto& [flag, module] : all)
    if (targets & flag) alternatives += (alternatives.empty() ? "" : "|") + std::string(module);
  return ".*\\.layer\\.\\d+\\.(" + alternatives + ")";
}

template <typename L>
auto NtEncoder::lora_slots(L& layer) {
  using Slot = std::pair<const char*, decltype(&layer.lora_query)>;
  return std::array<Slot, 6>{
      Slot{"attention.self.query", &layer.lora_query}, Slot{"attention.self.key", &layer.lora_key},
      Slot{"attention.self.value", &layer.lora_value}, Slot{"attention.output.dense", &layer.lora_out},
      Slot{"intermediate.dense", &layer.lora_ffn_in},  Slot{"output.dense", &layer.lora_ffn_out}};
}

template <typename L>
auto NtEncoder::ia3_slots(L& layer) {
  using Slot = std::pair<const char*, decltype(&layer.ia3_key)>;
  return std::array<Slot, 3>{Slot{"attention.self.key", &layer.ia3_key}, Slot{"attention.self.value", &layer.ia3_value},
                             Slot{"output.dense", &layer.ia3_ffn}};
}

void tune_cpu_allocator() {
  // glibc returns blocks above the mmap threshold (128 KiB to 32 MiB, adaptive) to the kernel on
  // free, so every layer would fault its activations in afresh; keep them in the heap instead.
  mallopt(M_MMAP_THRESHOLD, 256 << 20);
  mallopt(M_TRIM_THRESHOLD, 1 << 30);
}

at::Tensor tensor_from_view(const TensorView& view) { return view_as_tensor(view).clone(); }

bool restrict_attention_backend(const std::string& name) {
  if (name == "auto") return true;
#if TORCH_VERSION_MAJOR >= 2
  const bool known = name == "flash" || name == "efficient" || name == "math";
#if TORCH_VERSION_MAJOR > 2 || TORCH_VERSION_MINOR >= 4
  if (!known && name != "cudnn") return false;
  at::globalContext().setSDPUseCuDNN(name == "cudnn");
#else
  if (!known) return false;
#endif
  at::globalContext().setSDPUseFlash(name == "flash");
  at::globalContext().setSDPUseMemEfficient(name == "efficient");
  at::globalContext().setSDPUseMath(name == "math");
  return true;
#else
  return false;
#endif
}

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
  if (at::GradMode::is_enabled() && (q.requires_grad() || k.requires_grad() || v.requires_grad()))
    return differentiable_attention(q, k, v, key_mask);
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
               .masked_fill_(key_mask.logical_not().view({batch, 1, tokens}), lowest_score(q.scalar_type()))
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
  prefix_ = weight_prefix(checkpoint);
  WeightReader esm(checkpoint, prefix_);
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
    Layer layer;  // assigned in declaration order: the random draws keep their sequence
    layer.ln1_weight = ones(h);
    layer.ln1_bias = zeros(h);
    layer.qkv_weight = normal({3 * h, h});
    layer.qkv_bias = zeros(3 * h);
    layer.out_weight = normal({h, h});
    layer.out_bias = zeros(h);
    layer.ln2_weight = ones(h);
    layer.ln2_bias = zeros(h);
    layer.ffn_in_weight = normal({ffn_rows, h});
    layer.ffn_out_weight = normal({h, i});
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
  encoder.rotary_sin_signed_ =
      encoder.rotary_sin_signed_.defined() ? encoder.rotary_sin_signed_.to(device, dtype) : at::Tensor();
  return encoder;
}

std::vector<at::Tensor*> NtEncoder::tensors() {
  std::vector<at::Tensor*> all = {&word_embeddings_, &position_embeddings_, &final_ln_weight_,
                                  &final_ln_bias_, &rotary_cos_, &rotary_sin_signed_,
                                  &lm_head_.dense_weight, &lm_head_.dense_bias, &lm_head_.ln_weight,
                                  &lm_head_.ln_bias, &lm_head_.decoder_weight, &lm_head_.bias};
  for (auto& layer : layers_)
    for (at::Tensor* t : {&layer.ln1_weight, &layer.ln1_bias, &layer.qkv_weight, &layer.qkv_bias,
                          &layer.out_weight, &layer.out_bias, &layer.ln2_weight, &layer.ln2_bias,
                          &layer.ffn_in_weight, &layer.ffn_in_bias, &layer.ffn_out_weight, &layer.ffn_out_bias,
                          &layer.ia3_key, &layer.ia3_value, &layer.ia3_ffn})
      all.push_back(t);
  for (auto& layer : layers_)
    for (auto& [name, lora] : lora_slots(layer)) {
      (void)name;
      all.push_back(&lora->a);
      all.push_back(&lora->b);
    }
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
  rotary_cos_ = at::cat({freqs, freqs}, -1).cos();
  rotary_sin_signed_ = at::cat({freqs.sin().neg(), freqs.sin()}, -1);
}

// HF's x * cos + rotate_half(x) * sin, with rotate_half(x) = [-x2, x1], for query and key together
// ([2, B, heads, T, D], a strided view of the QKV projection): out = x * cos, then each half of out
// gets the other half of x times its half of the signed sine table (addcmul on strided views).
// Three kernels instead of five per tensor and no concatenated copy; the result is contiguous.
at::Tensor NtEncoder::rotate_query_key(const at::Tensor& query_key, std::int64_t tokens) const {
  const std::int64_t half = query_key.size(-1) / 2;
  auto cos = compute(rotary_cos_.slice(0, 0, tokens));
  auto sin_signed = compute(rotary_sin_signed_.slice(0, 0, tokens));
  auto rotated = query_key * cos;
  rotated.slice(-1, 0, half).addcmul_(query_key.slice(-1, half), sin_signed.slice(-1, 0, half));
  rotated.slice(-1, half).addcmul_(query_key.slice(-1, 0, half), sin_signed.slice(-1, half));
  return rotated;
}

at::Tensor NtEncoder::compute(const at::Tensor& tensor) const {
  if (!tensor.defined() || !compute_dtype_ || tensor.scalar_type() == *compute_dtype_) return tensor;
  return tensor.to(*compute_dtype_);
}

at::Tensor NtEncoder::linear(const at::Tensor& input, const at::Tensor& weight, const at::Tensor& bias) const {
  return at::linear(compute(input), compute(weight), compute(bias));
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

// A linear projection plus its LoRA update, alpha/r * B A dropout(input), when it has one.
at::Tensor NtEncoder::project(const at::Tensor& input, const at::Tensor& weight, const at::Tensor& bias,
                              const Lora& lora, bool training) const {
  auto out = linear(input, weight, bias);
  if (!lora.a.defined()) return out;
  const double scale = adapters_.lora_alpha / adapters_.lora_rank;
  auto low_rank = linear(linear(at::dropout(input, adapters_.lora_dropout, training), lora.a, {}), lora.b, {});
  return out + low_rank * scale;
}

// LoRA on query/key/value and IA3 on key/value, applied to the stacked projection's three parts
// (IA3 scales the projection's output, bias included, as PEFT does).
at::Tensor NtEncoder::adapt_qkv(const Layer& layer, const at::Tensor& h, const at::Tensor& qkv, bool training) const {
  std::vector<at::Tensor> parts = qkv.chunk(3, -1);
  const Lora* loras[] = {&layer.lora_query, &layer.lora_key, &layer.lora_value};
  for (std::size_t p = 0; p < 3; ++p)
    if (loras[p]->a.defined())
      parts[p] = parts[p] + linear(linear(at::dropout(h, adapters_.lora_dropout, training), loras[p]->a, {}),
                                   loras[p]->b, {}) * (adapters_.lora_alpha / adapters_.lora_rank);
  if (layer.ia3_key.defined()) {
    parts[1] = parts[1] * compute(layer.ia3_key);
    parts[2] = parts[2] * compute(layer.ia3_value);
  }
  return at::cat(parts, -1);
}

at::Tensor NtEncoder::run_layer(const Layer& layer, at::Tensor x, const at::Tensor& key_mask, bool training) const {
  const std::int64_t batch = x.size(0), tokens = x.size(1), hidden = x.size(2);
  const std::int64_t heads = config_.num_heads, head_dim = config_.head_dim();
  const double eps = config_.layer_norm_eps;
  auto h = at::layer_norm(x, {hidden}, layer.ln1_weight, layer.ln1_bias, eps);
  auto qkv = linear(h, layer.qkv_weight, layer.qkv_bias);
  if (adapters_.any()) qkv = adapt_qkv(layer, h, qkv, training);
  qkv = qkv.view({batch, tokens, 3, heads, head_dim}).permute({2, 0, 3, 1, 4});
  at::Tensor q = qkv[0], k = qkv[1], v = qkv[2];
  if (config_.positions == PositionEncoding::rotary) {
    auto query_key = rotate_query_key(qkv.slice(0, 0, 2), tokens);
    q = query_key[0];
    k = query_key[1];
  }
  auto context = attention(q, k, v, key_mask).transpose(1, 2).reshape({batch, tokens, hidden});
  x = x + project(context, layer.out_weight, layer.out_bias, layer.lora_out, training);
  h = at::layer_norm(x, {hidden}, layer.ln2_weight, layer.ln2_bias, eps);
  at::Tensor activated;
  auto ffn_in = project(h, layer.ffn_in_weight, layer.ffn_in_bias, layer.lora_ffn_in, training);
  if (config_.feed_forward == FeedForward::swiglu) {
    auto gate_and_value = ffn_in.chunk(2, -1);
    activated = at::silu(gate_and_value[0]) * gate_and_value[1];  // the first half is the gate
  } else {
    activated = at::gelu(ffn_in);  // erf form
  }
  if (layer.ia3_ffn.defined()) activated = activated * compute(layer.ia3_ffn);
  return x + project(activated, layer.ffn_out_weight, layer.ffn_out_bias, layer.lora_ffn_out, training);
}

at::Tensor NtEncoder::final_norm(const at::Tensor& x) const {
  return at::layer_norm(x, {x.size(-1)}, final_ln_weight_, final_ln_bias_, config_.layer_norm_eps);
}

at::Tensor NtEncoder::lm_logits(const at::Tensor& x) const {
  // Under mixed precision the LayerNorm and the logits (which feed the loss's softmax) are in dtype().
  auto h = at::gelu(linear(x, lm_head_.dense_weight, lm_head_.dense_bias)).to(dtype());
  h = at::layer_norm(h, {h.size(-1)}, lm_head_.ln_weight, lm_head_.ln_bias, config_.layer_norm_eps);
  return linear(h, lm_head_.decoder_weight, lm_head_.bias).to(dtype());
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
  if (options.logits_positions.defined() &&
      (options.logits_positions.scalar_type() != at::kBool || options.logits_positions.sizes() != ids.sizes()))
    throw std::invalid_argument("logits_positions must be a bool tensor shaped like the token ids");
  const bool run_all = options.all_hidden_states || options.logits || layer == num_layers;
  const int last_layer = run_all ? num_layers : layer;
  at::Tensor key_mask = attention_mask.defined() ? attention_mask.ne(0) : at::Tensor();

  ForwardOutput out;
  auto x = embed(ids, attention_mask);
  if (options.all_hidden_states) out.hidden_states.push_back(x);
  if (layer == 0) out.selected = x;
  for (int l = 0; l < last_layer; ++l) {
    if (options.checkpoint_activations && at::GradMode::is_enabled())
      x = checkpointed_layer(static_cast<std::size_t>(l), x, key_mask, options.training);
    else
      x = run_layer(layers_[static_cast<std::size_t>(l)], x, key_mask, options.training);
    if (l + 1 == num_layers) break;  // HF reports the last layer only after the final LayerNorm
    if (options.all_hidden_states) out.hidden_states.push_back(x);
    if (layer == l + 1) out.selected = x;
  }
  if (last_layer == num_layers) {
    x = final_norm(x);
    if (options.all_hidden_states) out.hidden_states.push_back(x);
    if (layer == num_layers) out.selected = x;
    if (options.logits)
      out.logits = lm_logits(options.logits_positions.defined() ? x.index({options.logits_positions}) : x);
  }
  return out;
}


// --- training switches ---

void NtEncoder::add_adapters(const AdapterOptions& options) {
  if (has_adapters()) throw std::logic_error("the encoder already has adapters");
  if (options.lora_rank < 0) throw std::invalid_argument("LoRA rank must be positive");
  if (options.lora_dropout < 0 || options.lora_dropout >= 1)
    throw std::invalid_argument("LoRA dropout must be in [0, 1)");
  adapters_ = options;
  const std::int64_t h = config_.hidden_size, i = config_.intermediate_size;
  const std::int64_t ffn_rows = config_.feed_forward == FeedForward::swiglu ? 2 * i : i;
  const auto place = at::TensorOptions().device(device()).dtype(dtype());
  auto generator = at::detail::createCPUGenerator(options.seed);
  // (in, out) of each projection, in lora_slots order.
  const std::pair<std::int64_t, std::int64_t> shapes[] = {{h, h}, {h, h}, {h, h}, {h, h}, {h, ffn_rows}, {i, h}};
  const unsigned flags[] = {lora_query, lora_key, lora_value, lora_attention_output, lora_ffn_in, lora_ffn_out};
  for (auto& layer : layers_) {
    if (options.lora_rank > 0) {
      auto slots = lora_slots(layer);
      for (std::size_t s = 0; s < slots.size(); ++s) {
        if (!(options.lora_targets & flags[s])) continue;
        slots[s].second->a = lora_a_init(options.lora_rank, shapes[s].first, generator).to(place);
        slots[s].second->b = at::zeros({shapes[s].second, options.lora_rank}, place);
      }
    }
    if (options.ia3) {
      layer.ia3_key = at::ones({h}, place);
      layer.ia3_value = at::ones({h}, place);
      layer.ia3_ffn = at::ones({i}, place);
    }
  }
}

void NtEncoder::merge_adapters() {
  if (!has_adapters()) return;
  at::NoGradGuard no_grad;
  const double scale = adapters_.lora_rank > 0 ? adapters_.lora_alpha / adapters_.lora_rank : 0.0;
  auto delta = [&](const Lora& lora) { return at::matmul(lora.b, lora.a) * scale; };
  for (auto& layer : layers_) {
    std::vector<at::Tensor> w = layer.qkv_weight.chunk(3, 0), b = layer.qkv_bias.chunk(3, 0);
    const Lora* qkv_loras[] = {&layer.lora_query, &layer.lora_key, &layer.lora_value};
    for (std::size_t p = 0; p < 3; ++p)
      if (qkv_loras[p]->a.defined()) w[p] = w[p] + delta(*qkv_loras[p]);
    if (layer.ia3_key.defined()) {
      // IA3 scales the projection's output rows: diag(l) (W h + b).
      w[1] = w[1] * layer.ia3_key.unsqueeze(1);
      b[1] = b[1] * layer.ia3_key;
      w[2] = w[2] * layer.ia3_value.unsqueeze(1);
      b[2] = b[2] * layer.ia3_value;
    }
    layer.qkv_weight = at::cat(w, 0).detach();
    layer.qkv_bias = at::cat(b, 0).detach();
    if (layer.lora_out.a.defined()) layer.out_weight = (layer.out_weight + delta(layer.lora_out)).detach();
    if (layer.lora_ffn_in.a.defined()) layer.ffn_in_weight = (layer.ffn_in_weight + delta(layer.lora_ffn_in)).detach();
    // IA3 on the feed-forward activation scales the input columns of output.dense; the LoRA update
    // of output.dense sees the scaled activation, so it is scaled by the same columns.
    if (layer.lora_ffn_out.a.defined()) layer.ffn_out_weight = layer.ffn_out_weight + delta(layer.lora_ffn_out);
    if (layer.ia3_ffn.defined()) layer.ffn_out_weight = layer.ffn_out_weight * layer.ia3_ffn.unsqueeze(0);
    layer.ffn_out_weight = layer.ffn_out_weight.detach();
    for (auto& [name, lora] : lora_slots(layer)) {
      (void)name;
      *lora = Lora{};
    }
    for (auto& [name, vector] : ia3_slots(layer)) {
      (void)name;
      *vector = at::Tensor();
    }
  }
  adapters_ = AdapterOptions{};
}

void NtEncoder::set_trainable(bool base, int freeze_below) {
  auto mark = [](at::Tensor& t, bool trainable) {
    if (t.defined()) t.set_requires_grad(trainable);
  };
  const bool train_embeddings = base && freeze_below <= 0;
  mark(word_embeddings_, train_embeddings);
  mark(position_embeddings_, train_embeddings);
  for (std::size_t l = 0; l < layers_.size(); ++l) {
    Layer& layer = layers_[l];
    const bool train_layer = base && static_cast<int>(l) >= freeze_below;
    for (at::Tensor* t : {&layer.ln1_weight, &layer.ln1_bias, &layer.qkv_weight, &layer.qkv_bias, &layer.out_weight,
                          &layer.out_bias, &layer.ln2_weight, &layer.ln2_bias, &layer.ffn_in_weight,
                          &layer.ffn_in_bias, &layer.ffn_out_weight, &layer.ffn_out_bias})
      mark(*t, train_layer);
    for (auto& [name, lora] : lora_slots(layer)) {
      (void)name;
      mark(lora->a, true);
      mark(lora->b, true);
    }
    for (auto& [name, vector] : ia3_slots(layer)) {
      (void)name;
      mark(*vector, true);
    }
  }
  for (at::Tensor* t : {&final_ln_weight_, &final_ln_bias_, &lm_head_.dense_weight, &lm_head_.dense_bias,
                        &lm_head_.ln_weight, &lm_head_.ln_bias, &lm_head_.decoder_weight, &lm_head_.bias})
    mark(*t, base);
}

std::vector<NamedTensor> NtEncoder::trainable_parameters() const {
  std::vector<NamedTensor> all;
  auto add = [&](const std::string& name, const at::Tensor& t) {
    if (t.defined() && t.requires_grad()) all.push_back({name, t});
  };
  add(prefix_ + "embeddings.word_embeddings.weight", word_embeddings_);
  add(prefix_ + "embeddings.position_embeddings.weight", position_embeddings_);
  for (std::size_t l = 0; l < layers_.size(); ++l) {
    const Layer& layer = layers_[l];
    const std::string p = prefix_ + "encoder.layer." + std::to_string(l) + ".";
    add(p + "attention.LayerNorm.weight", layer.ln1_weight);
    add(p + "attention.LayerNorm.bias", layer.ln1_bias);
    add(p + "attention.self.qkv.weight", layer.qkv_weight);  // query, key, value stacked
    add(p + "attention.self.qkv.bias", layer.qkv_bias);
    add(p + "attention.output.dense.weight", layer.out_weight);
    add(p + "attention.output.dense.bias", layer.out_bias);
    add(p + "LayerNorm.weight", layer.ln2_weight);
    add(p + "LayerNorm.bias", layer.ln2_bias);
    add(p + "intermediate.dense.weight", layer.ffn_in_weight);
    add(p + "intermediate.dense.bias", layer.ffn_in_bias);
    add(p + "output.dense.weight", layer.ffn_out_weight);
    add(p + "output.dense.bias", layer.ffn_out_bias);
  }
  add(prefix_ + "encoder.emb_layer_norm_after.weight", final_ln_weight_);
  add(prefix_ + "encoder.emb_layer_norm_after.bias", final_ln_bias_);
  add("lm_head.dense.weight", lm_head_.dense_weight);
  add("lm_head.dense.bias", lm_head_.dense_bias);
  add("lm_head.layer_norm.weight", lm_head_.ln_weight);
  add("lm_head.layer_norm.bias", lm_head_.ln_bias);
  add("lm_head.decoder.weight", lm_head_.decoder_weight);
  add("lm_head.bias", lm_head_.bias);
  for (auto& adapter : adapter_parameters()) add(adapter.name, adapter.tensor);
  return all;
}

std::vector<NamedTensor> NtEncoder::named_tensors() const {
  std::vector<NamedTensor> all;
  auto add = [&](const std::string& name, const at::Tensor& t) {
    if (t.defined()) all.push_back({name, t});
  };
  add(prefix_ + "embeddings.word_embeddings.weight", word_embeddings_);
  add(prefix_ + "embeddings.position_embeddings.weight", position_embeddings_);
  for (std::size_t l = 0; l < layers_.size(); ++l) {
    const Layer& layer = layers_[l];
    const std::string p = prefix_ + "encoder.layer." + std::to_string(l) + ".";
    std::vector<at::Tensor> w = layer.qkv_weight.chunk(3, 0), b = layer.qkv_bias.chunk(3, 0);
    const char* parts[] = {"query", "key", "value"};
    for (std::size_t q = 0; q < 3; ++q) {
      add(p + "attention.self." + parts[q] + ".weight", w[q]);
      add(p + "attention.self." + parts[q] + ".bias", b[q]);
    }
    add(p + "attention.output.dense.weight", layer.out_weight);
    add(p + "attention.output.dense.bias", layer.out_bias);
    add(p + "attention.LayerNorm.weight", layer.ln1_weight);
    add(p + "attention.LayerNorm.bias", layer.ln1_bias);
    add(p + "intermediate.dense.weight", layer.ffn_in_weight);
    add(p + "intermediate.dense.bias", layer.ffn_in_bias);
    add(p + "output.dense.weight", layer.ffn_out_weight);
    add(p + "output.dense.bias", layer.ffn_out_bias);
    add(p + "LayerNorm.weight", layer.ln2_weight);
    add(p + "LayerNorm.bias", layer.ln2_bias);
  }
  add(prefix_ + "encoder.emb_layer_norm_after.weight", final_ln_weight_);
  add(prefix_ + "encoder.emb_layer_norm_after.bias", final_ln_bias_);
  add("lm_head.dense.weight", lm_head_.dense_weight);
  add("lm_head.dense.bias", lm_head_.dense_bias);
  add("lm_head.layer_norm.weight", lm_head_.ln_weight);
  add("lm_head.layer_norm.bias", lm_head_.ln_bias);
  add("lm_head.decoder.weight", lm_head_.decoder_weight);
  add("lm_head.bias", lm_head_.bias);
  return all;
}

std::vector<NamedTensor> NtEncoder::adapter_parameters() const {
  std::vector<NamedTensor> all;
  for (std::size_t l = 0; l < layers_.size(); ++l) {
    const std::string p = "base_model.model." + prefix_ + "encoder.layer." + std::to_string(l) + ".";
    for (const auto& [module, lora] : lora_slots(layers_[l]))
      if (lora->a.defined()) {
        all.push_back({p + module + ".lora_A.weight", lora->a});
        all.push_back({p + module + ".lora_B.weight", lora->b});
      }
    for (const auto& [module, vector] : ia3_slots(layers_[l]))
      if (vector->defined()) all.push_back({p + module + ".ia3_l", *vector});
  }
  return all;
}

std::vector<NamedTensor> NtEncoder::adapter_tensors() const {
  std::vector<NamedTensor> all = adapter_parameters();
  for (auto& named : all)
    if (named.tensor.dim() == 1) {
      // PEFT's IA3 shapes: [1, in] where it scales an input (output.dense), [out, 1] where it scales an output.
      bool scales_input = named.name.size() > 18 &&
                          named.name.compare(named.name.size() - 18, 18, "output.dense.ia3_l") == 0 &&
                          named.name.find("attention.output") == std::string::npos;
      named.tensor = scales_input ? named.tensor.view({1, -1}) : named.tensor.view({-1, 1});
    }
  return all;
}

void NtEncoder::load_adapters(const Checkpoint& checkpoint, const std::string& source) {
  at::NoGradGuard no_grad;
  for (auto& adapter : adapter_tensors()) {
    const TensorView* view = checkpoint.find(adapter.name);
    if (view == nullptr) throw input_error(source, 0, "adapter tensor '{}' is missing", adapter.name);
    if (view->shape != adapter.tensor.sizes().vec())
      throw input_error(source, 0, "adapter tensor '{}' has shape {} but the model needs {}", adapter.name,
                        shape_string(view->shape), shape_string(adapter.tensor.sizes().vec()));
    adapter.tensor.copy_(view_as_tensor(*view));  // views share storage with the adapter
  }
}

// --- activation checkpointing ---

// Runs one layer without recording its graph; the backward pass re-runs it from the saved input
// with autograd on and differentiates that. Inputs: the layer input and the layer's trainable
// tensors (so their gradients reach them through this node).
struct LayerCheckpoint : torch::autograd::Function<LayerCheckpoint> {
  static torch::autograd::variable_list forward(torch::autograd::AutogradContext* ctx, const at::Tensor& x,
                                                const c10::optional<at::Tensor>& key_mask, const NtEncoder* encoder,
                                                std::int64_t index, bool training, at::TensorList weights) {
    // The encoder outlives the backward pass (the trainer holds it); the context keeps its address.
    ctx->saved_data["encoder"] = static_cast<std::int64_t>(reinterpret_cast<std::intptr_t>(encoder));
    ctx->saved_data["index"] = index;
    ctx->saved_data["training"] = training;
    const at::Tensor mask = key_mask.value_or(at::Tensor());
    ctx->saved_data["masked"] = mask.defined();
    ctx->save_for_backward(mask.defined() ? torch::autograd::variable_list{x, mask}
                                          : torch::autograd::variable_list{x});
    at::NoGradGuard no_grad;
    return {encoder->run_layer(encoder->layers_[static_cast<std::size_t>(index)], x, mask, training)};
  }

  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx,
                                                 torch::autograd::variable_list grad_outputs) {
    const auto* encoder =
        reinterpret_cast<const NtEncoder*>(static_cast<std::intptr_t>(ctx->saved_data["encoder"].toInt()));
    const auto index = static_cast<std::size_t>(ctx->saved_data["index"].toInt());
    auto saved = ctx->get_saved_variables();
    at::Tensor x = saved[0].detach().requires_grad_(true);
    std::vector<at::Tensor> inputs = {x};
    for (const at::Tensor& w : encoder->layer_weights(index)) inputs.push_back(w);
    at::Tensor y;
    {
      at::AutoGradMode enable(true);
      const at::Tensor mask = ctx->saved_data["masked"].toBool() ? saved[1] : at::Tensor();
      y = encoder->run_layer(encoder->layers_[index], x, mask, ctx->saved_data["training"].toBool());
    }
    auto grads = torch::autograd::grad({y}, inputs, {grad_outputs[0]}, false, false, true);
    // One gradient per forward argument: x, then none for the mask, encoder, index and training,
    // then one per weight.
    torch::autograd::variable_list out = {grads[0], at::Tensor(), at::Tensor(), at::Tensor(), at::Tensor()};
    out.insert(out.end(), grads.begin() + 1, grads.end());
    return out;
  }
};

std::vector<at::Tensor> NtEncoder::layer_weights(std::size_t index) const {
  const Layer& layer = layers_[index];
  std::vector<at::Tensor> weights;
  for (const at::Tensor* t : {&layer.ln1_weight, &layer.ln1_bias, &layer.qkv_weight, &layer.qkv_bias, &layer.out_weight,
                              &layer.out_bias, &layer.ln2_weight, &layer.ln2_bias, &layer.ffn_in_weight,
                              &layer.ffn_in_bias, &layer.ffn_out_weight, &layer.ffn_out_bias, &layer.ia3_key,
                              &layer.ia3_value, &layer.ia3_ffn})
    if (t->defined() && t->requires_grad()) weights.push_back(*t);
  for (const auto& [name, lora] : lora_slots(layer)) {
    (void)name;
    if (lora->a.defined()) {
      weights.push_back(lora->a);
      weights.push_back(lora->b);
    }
  }
  return weights;
}

at::Tensor NtEncoder::checkpointed_layer(std::size_t index, const at::Tensor& x, const at::Tensor& key_mask,
                                         bool training) const {
  if (training && adapters_.lora_rank > 0 && adapters_.lora_dropout > 0)
    throw std::invalid_argument(
        "activation checkpointing recomputes layers; LoRA dropout would draw other masks there");
  std::vector<at::Tensor> weights = layer_weights(index);
  if (weights.empty() && !x.requires_grad()) return run_layer(layers_[index], x, key_mask, training);
  c10::optional<at::Tensor> mask;
  if (key_mask.defined()) mask = key_mask;
  return LayerCheckpoint::apply(x, mask, this, static_cast<std::int64_t>(index), training, at::TensorList(weights))[0];
}

}  // namespace oncolm::model
