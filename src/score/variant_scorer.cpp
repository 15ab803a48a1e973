#include "score/variant_scorer.h"

#include <cmath>
#include <stdexcept>

#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <c10/core/InferenceMode.h>
#include <fmt/format.h>

#include "core/error.h"
#include "core/paths.h"
#include "core/threads.h"
#include "model/batching.h"
#include "model/checkpoint.h"
#include "model/nt_encoder.h"

namespace oncolm::score {
namespace {

// One forward pass over one window. Masked passes score tokens (log-probabilities of `targets` at
// [begin, end), each target set summed into its own slot); unmasked passes pool the last hidden
// state (mean over all tokens, and over [begin, end)).
struct Pass {
  std::vector<std::int32_t> ids;
  std::int32_t begin = 0, end = 0;
  struct Target {
    std::vector<std::int32_t> tokens;  // end - begin token ids
    double* sum = nullptr;
  };
  std::vector<Target> targets;
  float* mean_out = nullptr;  // unmasked passes: [hidden] each
  float* span_out = nullptr;
};

// Per variant: the four log-likelihood terms and the four pooled embeddings.
struct Terms {
  double ref[2] = {0, 0}, alt[2] = {0, 0};  // [strand]: 0 forward, 1 reverse
  std::vector<float> ref_mean, alt_mean, ref_span, alt_span;
};

std::vector<std::int32_t> masked(const std::vector<std::int32_t>& ids, std::int32_t begin, std::int32_t end,
                                 std::int32_t mask_id) {
  std::vector<std::int32_t> out = ids;
  std::fill(out.begin() + begin, out.begin() + end, mask_id);
  return out;
}

std::vector<std::int32_t> slice(const std::vector<std::int32_t>& ids, std::int32_t begin, std::int32_t end) {
  return {ids.begin() + begin, ids.begin() + end};
}

Pass make_pass(std::vector<std::int32_t> ids, std::int32_t begin, std::int32_t end) {
  Pass pass;
  pass.ids = std::move(ids);
  pass.begin = begin;
  pass.end = end;
  return pass;
}

// The masked passes of one strand: REF and ALT, or one pass for both when masking leaves the two
// windows identical (a substitution changes only masked tokens), which halves the work for SNVs.
void add_masked_passes(const StrandTokens& strand, std::int32_t mask_id, double* ref_sum, double* alt_sum,
                       std::vector<Pass>& passes) {
  Pass ref =
      make_pass(masked(strand.ref_ids, strand.ref_begin, strand.ref_end, mask_id), strand.ref_begin, strand.ref_end);
  ref.targets.push_back({slice(strand.ref_ids, strand.ref_begin, strand.ref_end), ref_sum});
  std::vector<std::int32_t> alt_ids = masked(strand.alt_ids, strand.alt_begin, strand.alt_end, mask_id);
  if (alt_ids == ref.ids) {
    ref.targets.push_back({slice(strand.alt_ids, strand.alt_begin, strand.alt_end), alt_sum});
    passes.push_back(std::move(ref));
    return;
  }
  passes.push_back(std::move(ref));
  Pass alt = make_pass(std::move(alt_ids), strand.alt_begin, strand.alt_end);
  alt.targets.push_back({slice(strand.alt_ids, strand.alt_begin, strand.alt_end), alt_sum});
  passes.push_back(std::move(alt));
}

void add_embedding_pass(const std::vector<std::int32_t>& ids, std::int32_t begin, std::int32_t end, std::int64_t hidden,
                        std::vector<float>& mean, std::vector<float>& span, std::vector<Pass>& passes) {
  mean.assign(static_cast<std::size_t>(hidden), 0.0f);
  span.assign(static_cast<std::size_t>(hidden), 0.0f);
  Pass pass = make_pass(ids, begin, end);
  pass.mean_out = mean.data();
  pass.span_out = span.data();
  passes.push_back(std::move(pass));
}

std::pair<double, double> distances(const std::vector<float>& a, const std::vector<float>& b) {
  double dot = 0, aa = 0, bb = 0, diff = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    dot += double(a[i]) * b[i];
    aa += double(a[i]) * a[i];
    bb += double(b[i]) * b[i];
    diff += (double(a[i]) - b[i]) * (double(a[i]) - b[i]);
  }
  return {1.0 - dot / std::sqrt(aa * bb), std::sqrt(diff)};
}

at::Device parse_device(const std::string& name) {
  try {
    at::Device device(name);
    if (device.is_cuda() && !at::hasCUDA())
      throw std::runtime_error("device '" + name + "' requested, but this LibTorch build or machine has no CUDA");
    return device;
  } catch (const c10::Error&) {
    throw std::runtime_error("unknown device '" + name + "' (cpu, cuda, cuda:N)");
  }
}

}  // namespace

struct VariantScorer::Impl {
  model::NtConfig config;
  std::unique_ptr<model::Tokenizer> tokenizer;
  std::unique_ptr<model::NtEncoder> encoder;
  std::string format, checksum;
  at::Device device{at::kCPU};
  std::int64_t batch_tokens = 0;
  std::size_t max_rows = 256;
  // The MLM head's weights (NtEncoder names), applied only at masked positions: on the tokens of a
  // 1,000-token window the head's 4,107-way projection costs more than a small encoder, and the
  // score needs its output at a handful of positions.
  at::Tensor dense_weight, dense_bias, norm_weight, norm_bias, decoder_weight, decoder_bias;

  at::Tensor head_log_probs(const at::Tensor& hidden) const {
    at::Tensor h = at::gelu(at::linear(hidden, dense_weight, dense_bias));
    h = at::layer_norm(h, {h.size(-1)}, norm_weight, norm_bias, config.layer_norm_eps);
    return at::log_softmax(at::linear(h, decoder_weight, decoder_bias).to(at::kFloat), -1);
  }
  void take_head() {
    for (const model::NamedTensor& named : encoder->named_tensors()) {
      if (named.name == "lm_head.dense.weight") dense_weight = named.tensor;
      if (named.name == "lm_head.dense.bias") dense_bias = named.tensor;
      if (named.name == "lm_head.layer_norm.weight") norm_weight = named.tensor;
      if (named.name == "lm_head.layer_norm.bias") norm_bias = named.tensor;
      if (named.name == "lm_head.decoder.weight") decoder_weight = named.tensor;
      if (named.name == "lm_head.bias") decoder_bias = named.tensor;
    }
  }
  void run_batch(std::vector<Pass>& passes, const model::PlannedBatch& batch) const;
  void score_tokens(std::vector<Pass>& passes, const model::PlannedBatch& batch, const at::Tensor& hidden) const;
  void pool(std::vector<Pass>& passes, const model::PlannedBatch& batch, const at::Tensor& hidden) const;
};

VariantScorer::VariantScorer(const std::string& model_dir, const ScorerOptions& options)
    : impl_(std::make_unique<Impl>()) {
  Impl& s = *impl_;
  s.config = model::NtConfig::load_dir(model_dir);
  model::Vocabulary vocabulary = model::Vocabulary::load_model(model_dir, s.config.vocab_size);
  s.tokenizer = std::make_unique<model::Tokenizer>(std::move(vocabulary));
  s.device = parse_device(options.device);
  if (s.device.is_cpu()) {
    at::set_num_threads(std::max(1, options.threads));
    set_blas_threads(std::max(1, options.threads));
    model::tune_cpu_allocator();
  }
  {
    model::Checkpoint checkpoint = model::Checkpoint::load_dir(model_dir);
    s.format = checkpoint.format();
    s.checksum = model::checkpoint_checksum(checkpoint);
    s.encoder = std::make_unique<model::NtEncoder>(s.config, checkpoint);
  }
  if (!s.encoder->has_lm_head())
    throw input_error(model_dir, 0,
                      "the checkpoint has no MLM head (no lm_head.* weights): `oncolm score` needs a masked "
                      "language model (EsmForMaskedLM), such as a published NT checkpoint or `oncolm train` output");
  s.encoder->to(s.device, at::kFloat);
  s.take_head();
  s.batch_tokens = options.batch_tokens > 0 ? options.batch_tokens : s.device.is_cpu() ? 4096 : 65536;
  s.max_rows = std::max<std::size_t>(1, options.max_rows);
}

VariantScorer::~VariantScorer() = default;

const model::NtConfig& VariantScorer::config() const { return impl_->config; }
const model::Tokenizer& VariantScorer::tokenizer() const { return *impl_->tokenizer; }
const std::string& VariantScorer::weights_format() const { return impl_->format; }
const std::string& VariantScorer::checksum() const { return impl_->checksum; }
std::int64_t VariantScorer::batch_tokens() const { return impl_->batch_tokens; }

std::string VariantScorer::compute_description() const {
  std::string text = impl_->device.str() + " float32";
  if (impl_->device.is_cpu()) {
    int threads = at::get_num_threads();
    text += fmt::format(" ({} thread{})", threads, threads == 1 ? "" : "s");
  }
  return text;
}

// Log-probabilities of every target token at its masked position, summed per target set.
void VariantScorer::Impl::score_tokens(std::vector<Pass>& passes, const model::PlannedBatch& batch,
                                       const at::Tensor& hidden) const {
  std::vector<std::int64_t> rows;   // flat [row * width + t] of each masked position
  std::vector<std::int64_t> picks;  // flat [position * vocab + token] of each target
  std::vector<double*> sums;
  const std::int64_t vocab = config.vocab_size;
  for (std::size_t r = 0; r < batch.members.size(); ++r) {
    Pass& pass = passes[batch.members[r]];
    for (const Pass::Target& target : pass.targets) {
      for (std::int32_t t = pass.begin; t < pass.end; ++t) {
        picks.push_back(static_cast<std::int64_t>(rows.size() + static_cast<std::size_t>(t - pass.begin)) * vocab +
                        target.tokens[static_cast<std::size_t>(t - pass.begin)]);
        sums.push_back(target.sum);
      }
    }
    for (std::int32_t t = pass.begin; t < pass.end; ++t) rows.push_back(static_cast<std::int64_t>(r) * batch.width + t);
  }
  if (rows.empty()) return;
  const std::int64_t dim = hidden.size(-1);
  at::Tensor at_masked = hidden.reshape({-1, dim}).index_select(0, at::tensor(rows).to(device));
  at::Tensor values = head_log_probs(at_masked).reshape({-1}).index_select(0, at::tensor(picks).to(device));
  values = values.to(at::kDouble).to(at::kCPU).contiguous();
  const double* data = values.data_ptr<double>();
  for (std::size_t i = 0; i < sums.size(); ++i) *sums[i] += data[i];
}

// Mean over all real tokens (<cls> included) and over the span, as `oncolm embed` pools.
void VariantScorer::Impl::pool(std::vector<Pass>& passes, const model::PlannedBatch& batch,
                               const at::Tensor& hidden) const {
  const auto rows = static_cast<std::int64_t>(batch.members.size());
  at::Tensor all = at::zeros({rows, batch.width}, at::kFloat), span = at::zeros({rows, batch.width}, at::kFloat);
  bool any = false;
  for (std::int64_t r = 0; r < rows; ++r) {
    const Pass& pass = passes[batch.members[static_cast<std::size_t>(r)]];
    if (!pass.mean_out) continue;
    any = true;
    all[r].slice(0, 0, static_cast<std::int64_t>(pass.ids.size())).fill_(1.0f);
    span[r].slice(0, pass.begin, pass.end).fill_(1.0f);
  }
  if (!any) return;
  at::Tensor means = model::masked_mean(hidden, all.to(device)).to(at::kCPU).contiguous();
  at::Tensor spans = model::masked_mean(hidden, span.to(device)).to(at::kCPU).contiguous();
  const std::int64_t dim = hidden.size(-1);
  for (std::int64_t r = 0; r < rows; ++r) {
    const Pass& pass = passes[batch.members[static_cast<std::size_t>(r)]];
    if (!pass.mean_out) continue;
    std::copy_n(means.data_ptr<float>() + r * dim, dim, pass.mean_out);
    std::copy_n(spans.data_ptr<float>() + r * dim, dim, pass.span_out);
  }
}

void VariantScorer::Impl::run_batch(std::vector<Pass>& passes, const model::PlannedBatch& batch) const {
  const auto rows = static_cast<std::int64_t>(batch.members.size());
  at::Tensor ids = at::full({rows, batch.width}, config.pad_token_id, at::kLong);
  auto ids_data = ids.accessor<std::int64_t, 2>();
  for (std::int64_t r = 0; r < rows; ++r) {
    const Pass& pass = passes[batch.members[static_cast<std::size_t>(r)]];
    for (std::size_t t = 0; t < pass.ids.size(); ++t) ids_data[r][static_cast<std::int64_t>(t)] = pass.ids[t];
  }
  at::Tensor attention_mask;  // undefined for a batch without padding: the fused attention runs unmasked
  if (!batch.uniform) attention_mask = ids.ne(config.pad_token_id).to(at::kLong).to(device);
  at::Tensor hidden = encoder->forward(ids.to(device), attention_mask).selected;
  score_tokens(passes, batch, hidden);
  pool(passes, batch, hidden);
}

std::vector<VariantScore> VariantScorer::score(const std::vector<VariantTokens>& variants,
                                               const std::function<void(std::size_t)>& progress) const {
  const Impl& s = *impl_;
  c10::InferenceMode inference;
  const std::int32_t mask_id = s.tokenizer->vocabulary().mask_id();
  std::vector<Terms> terms(variants.size());
  std::vector<Pass> passes;
  for (std::size_t v = 0; v < variants.size(); ++v) {
    const VariantTokens& tokens = variants[v];
    Terms& term = terms[v];
    add_masked_passes(tokens.forward, mask_id, &term.ref[0], &term.alt[0], passes);
    add_masked_passes(tokens.reverse, mask_id, &term.ref[1], &term.alt[1], passes);
    const StrandTokens& f = tokens.forward;
    add_embedding_pass(f.ref_ids, f.ref_begin, f.ref_end, s.config.hidden_size, term.ref_mean, term.ref_span, passes);
    add_embedding_pass(f.alt_ids, f.alt_begin, f.alt_end, s.config.hidden_size, term.alt_mean, term.alt_span, passes);
  }
  std::vector<std::int64_t> lengths;
  for (const Pass& pass : passes) {
    if (pass.ids.empty() || static_cast<int>(pass.ids.size()) > s.config.max_tokens)
      throw std::invalid_argument(
          fmt::format("a window of {} tokens (limit {}) reached the scorer", pass.ids.size(), s.config.max_tokens));
    lengths.push_back(static_cast<std::int64_t>(pass.ids.size()));
  }
  for (const model::PlannedBatch& batch : model::plan_batches(lengths, s.batch_tokens, s.max_rows)) {
    s.run_batch(passes, batch);
    if (progress) progress(static_cast<std::size_t>(batch.width) * batch.members.size());
  }
  std::vector<VariantScore> scores(variants.size());
  for (std::size_t v = 0; v < variants.size(); ++v) {
    const Terms& term = terms[v];
    VariantScore& score = scores[v];
    score.llr_forward = term.alt[0] - term.ref[0];
    score.llr_reverse = term.alt[1] - term.ref[1];
    score.llr = 0.5 * (score.llr_forward + score.llr_reverse);
    std::tie(score.cosine_mean, score.l2_mean) = distances(term.ref_mean, term.alt_mean);
    std::tie(score.cosine_variant, score.l2_variant) = distances(term.ref_span, term.alt_span);
  }
  return scores;
}

}  // namespace oncolm::score
