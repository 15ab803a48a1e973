#include "train/losses.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>

#include <ATen/CPUGeneratorImpl.h>

#include "train/masking.h"

namespace oncolm::train {

MlmResult mlm_loss(const at::Tensor& logits, const at::Tensor& labels) {
  auto selected = labels.ne(ignore_label);
  auto chosen_logits = logits.index({selected});  // [|S|, V]
  auto chosen_labels = labels.index({selected});
  MlmResult result;
  result.selected = chosen_labels.size(0);
  if (result.selected == 0) {
    result.loss = logits.sum() * 0.0;  // keeps the graph (and the dtype) when nothing was selected
    return result;
  }
  result.loss = at::nll_loss(at::log_softmax(chosen_logits, -1), chosen_labels);
  result.correct = chosen_logits.argmax(-1).eq(chosen_labels).sum().item<std::int64_t>();
  return result;
}

at::Tensor pool_hidden(const at::Tensor& hidden, const at::Tensor& attention_mask,
                       const std::vector<std::pair<std::int32_t, std::int32_t>>& spans, const PoolingOptions& options) {
  const std::int64_t batch = hidden.size(0), tokens = hidden.size(1);
  at::Tensor weights;
  if (!options.variant_span) {
    weights = attention_mask.to(hidden.scalar_type());
  } else {
    if (static_cast<std::int64_t>(spans.size()) != batch) throw std::invalid_argument("pool_hidden: one span per row");
    auto real = attention_mask.sum(1).to(at::kCPU).to(at::kLong);
    auto cpu = at::zeros({batch, tokens}, at::kDouble);
    for (std::int64_t b = 0; b < batch; ++b) {
      const std::int64_t first =
          std::max<std::int64_t>(1, spans[static_cast<std::size_t>(b)].first - options.context_tokens);
      const std::int64_t last = std::min<std::int64_t>(
          real[b].item<std::int64_t>(), spans[static_cast<std::size_t>(b)].second + options.context_tokens);
      if (last <= first) throw std::invalid_argument("pool_hidden: empty variant span");
      cpu[b].slice(0, first, last).fill_(1.0);
    }
    weights = cpu.to(hidden.device(), hidden.scalar_type());
  }
  auto w = weights.unsqueeze(-1);
  return (hidden * w).sum(1) / w.sum(1);
}

ProjectionHead ProjectionHead::create(std::int64_t in, std::int64_t hidden, std::int64_t out, std::uint64_t seed,
                                      at::Device device, at::ScalarType dtype) {
  // PyTorch's nn.Linear initialisation: weights and biases uniform in +-1/sqrt(fan_in).
  auto generator = at::detail::createCPUGenerator(seed);
  auto uniform = [&](std::vector<std::int64_t> shape, std::int64_t fan_in) {
    const double bound = 1.0 / std::sqrt(static_cast<double>(fan_in));
    return (at::rand(shape, generator, at::TensorOptions().dtype(at::kFloat)) * (2 * bound) - bound).to(device, dtype);
  };
  ProjectionHead head;
  head.w1 = uniform({hidden, in}, in);
  head.b1 = uniform({hidden}, in);
  head.w2 = uniform({out, hidden}, hidden);
  head.b2 = uniform({out}, hidden);
  return head;
}

at::Tensor ProjectionHead::forward(const at::Tensor& x) const {
  return at::linear(at::gelu(at::linear(x, w1, b1)), w2, b2);
}

std::vector<model::NamedTensor> ProjectionHead::named_tensors() const {
  return {
      {"projection.0.weight", w1}, {"projection.0.bias", b1}, {"projection.2.weight", w2}, {"projection.2.bias", b2}};
}

void ProjectionHead::set_requires_grad(bool trainable) {
  for (at::Tensor* t : {&w1, &b1, &w2, &b2}) t->set_requires_grad(trainable);
}

at::Tensor contrastive_loss(const at::Tensor& views1, const at::Tensor& views2, const at::Tensor& refs,
                            const std::vector<std::int64_t>& ref_owner, double temperature,
                            double hard_negative_weight) {
  const std::int64_t n = views1.size(0), r = refs.defined() ? refs.size(0) : 0;
  if (views2.size(0) != n || static_cast<std::int64_t>(ref_owner.size()) != r)
    throw std::invalid_argument("contrastive_loss: mismatched batch sizes");
  auto anchors = at::cat({views1, views2}, 0);
  anchors = anchors / anchors.norm(2, -1, true);
  auto candidates = anchors;
  if (r > 0) {
    auto z_refs = refs / refs.norm(2, -1, true);
    candidates = at::cat({anchors, z_refs}, 0);
  }
  auto scores = at::matmul(anchors, candidates.t()) / temperature;  // [2N, 2N + R]
  // log w(u, c): -inf for c = u, log(w_hard) for u's own REF windows, 0 elsewhere.
  const std::int64_t columns = 2 * n + r;
  std::vector<double> log_w(static_cast<std::size_t>(2 * n * columns), 0.0);
  const double minus_infinity = -std::numeric_limits<double>::infinity();
  const double log_hard = hard_negative_weight > 0 ? std::log(hard_negative_weight) : minus_infinity;
  for (std::int64_t a = 0; a < 2 * n; ++a) {
    log_w[static_cast<std::size_t>(a * columns + a)] = minus_infinity;
    for (std::int64_t m = 0; m < r; ++m)
      if (ref_owner[static_cast<std::size_t>(m)] == a % n)
        log_w[static_cast<std::size_t>(a * columns + 2 * n + m)] = log_hard;
  }
  auto log_weights = at::from_blob(log_w.data(), {2 * n, columns}, at::kDouble).clone();
  auto targets = at::cat({at::arange(n, 2 * n, at::kLong), at::arange(0, n, at::kLong)}).to(scores.device());
  auto logits = scores + log_weights.to(scores.device(), scores.scalar_type());
  return at::nll_loss(at::log_softmax(logits, -1), targets);
}

at::Tensor separation_loss(const at::Tensor& alt, const at::Tensor& refs, const std::vector<std::int64_t>& ref_owner) {
  const std::int64_t n = alt.size(0), r = refs.size(0);
  if (static_cast<std::int64_t>(ref_owner.size()) != r) throw std::invalid_argument("separation_loss: mismatched REF owners");
  if (n < 2) throw std::invalid_argument("separation_loss: needs two or more variants (one has no unrelated REF)");
  auto a = alt / alt.norm(2, -1, true);
  auto b = refs / refs.norm(2, -1, true);
  auto distance = 1 - at::matmul(a, b.t());  // [N, R]
  std::vector<float> own(static_cast<std::size_t>(n * r), 0.0f);
  for (std::int64_t m = 0; m < r; ++m) own[static_cast<std::size_t>(ref_owner[static_cast<std::size_t>(m)] * r + m)] = 1.0f;
  auto own_mask = at::from_blob(own.data(), {n, r}, at::kFloat).clone().to(distance.device(), distance.scalar_type());
  auto other_mask = 1 - own_mask;
  const double tiny = 1e-12;
  auto own_distance = (distance * own_mask).sum(-1) / own_mask.sum(-1).clamp_min(1);
  auto other_distance = (distance * other_mask).sum(-1) / other_mask.sum(-1).clamp_min(1);
  return (at::log(other_distance.clamp_min(tiny)) - at::log(own_distance.clamp_min(tiny))).mean();
}

}  // namespace oncolm::train
