// The training objectives of `oncolm train` (ATen; included by the trainer and the tests only).
//
// MLM (masking in train/masking.h): with S the selected positions of the whole batch,
//   L_mlm = (1/|S|) sum_{(b,t) in S} -log softmax(logits[b, t])[label[b, t]]
// and the masked-token accuracy is the share of S where argmax(logits) = label.
//
// Tumour-normal contrastive (InfoNCE with a matched-normal hard negative). A batch holds N variants;
// for variant i: its ALT window a_i, a second view a'_i of the same ALT window (its reverse
// complement, or the window shifted by a few bases with the variant kept inside), and its REF
// window(s) r_i (one for a small variant, REF1 and REF2 for an SV junction). Each window x is
// embedded as z(x) = g(pool(f(x))) / ||g(pool(f(x)))||, where f is the encoder's last hidden
// state, pool is the mean over its real tokens (<cls> included) or the mean over the variant's
// tokens widened by k on each side, and g is the projection head Linear-GELU-Linear. With
// s(x, y) = z(x).z(y) / tau, each of the 2N views u in {a_i, a'_i} is an anchor whose positive p(u)
// is the other view of the same variant, and
//   L(u) = -s(u, p(u)) + log( sum_{c in C, c != u} w(u, c) exp(s(u, c)) )
// where C holds all 2N ALT views and all REF windows of the batch, w(u, c) = w_hard (the hard-
// negative weight) when c is a REF window of u's own variant and 1 otherwise (so the positive and
// the other variants' windows count once). L_con = mean of L(u) over the 2N anchors.
// With --separation-weight w_sep > 0 the contrastive objective adds w_sep L_sep (below) in every
// batch of two or more variants: L_con + w_sep L_sep.
// `both`: L = lambda_mlm L_mlm + lambda_con (L_con + w_sep L_sep).
#pragma once
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include <ATen/ATen.h>

#include "model/nt_encoder.h"

namespace oncolm::train {

struct MlmResult {
  at::Tensor loss;            // scalar
  std::int64_t selected = 0;  // |S|
  std::int64_t correct = 0;   // argmax hits among S
};

// logits [B, T, V]; labels [B, T] int64 with ignore_label (-100) where not selected. Or logits [N, V]
// and labels [N] (the head run on the selected positions only: ForwardOptions::logits_positions).
MlmResult mlm_loss(const at::Tensor& logits, const at::Tensor& labels);

// One pooling choice for the contrastive embedding.
struct PoolingOptions {
  bool variant_span = true;  // false: mean over real tokens
  int context_tokens = 2;    // k: tokens added on each side of the variant span
};

// hidden [B, T, H], attention mask [B, T] (1 = real); spans[b] = variant tokens [first, last) with
// <cls> = 0 (ignored for mean pooling). The span pooling averages tokens max(1, first - k) ..
// min(real tokens, last + k) - 1. Computed in hidden's dtype.
at::Tensor pool_hidden(const at::Tensor& hidden, const at::Tensor& attention_mask,
                       const std::vector<std::pair<std::int32_t, std::int32_t>>& spans, const PoolingOptions& options);

// The projection head g: Linear(H -> hidden) - GELU - Linear(hidden -> out).
struct ProjectionHead {
  at::Tensor w1, b1, w2, b2;
  static ProjectionHead create(std::int64_t in, std::int64_t hidden, std::int64_t out, std::uint64_t seed,
                               at::Device device, at::ScalarType dtype);
  at::Tensor forward(const at::Tensor& x) const;
  std::vector<model::NamedTensor> named_tensors() const;  // projection.{0,2}.{weight,bias}
  void set_requires_grad(bool trainable);
};

// views1, views2: [N, P] projections (not yet normalised) of a_i and a'_i; refs: [R, P] projections
// of the REF windows, ref_owner[m] = the variant i that REF m belongs to.
at::Tensor contrastive_loss(const at::Tensor& views1, const at::Tensor& views2, const at::Tensor& refs,
                            const std::vector<std::int64_t>& ref_owner, double temperature,
                            double hard_negative_weight);

// Variant separation: with d(x, y) = 1 - cos(pool(f(x)), pool(f(y))) the cosine distance between
// pooled encoder embeddings (no projection), for each ALT a_i, the mean D_own(i) of d(a_i, r) over
// its own REF window(s) r and the mean D_other(i) over the REF windows of the batch's other variants,
//   L_sep = (1/N) sum_i [ log D_other(i) - log D_own(i) ],
// minus the log of the ALT-REF / unrelated distance ratio that validation reports, per variant.
// (Distances are clamped at 1e-12 before the log.) alt [N, H], refs [R, H] with ref_owner[m] = the
// variant of REF m; needs two or more variants.
at::Tensor separation_loss(const at::Tensor& alt, const at::Tensor& refs, const std::vector<std::int64_t>& ref_owner);

}  // namespace oncolm::train
