// Zero-shot variant scores from an NT masked-language model, behind a torch-free interface (LibTorch
// stays in variant_scorer.cpp).
//
// For one strand with REF tokens r, ALT tokens a and variant spans S_r, S_a (score/variant_tokens.h):
//   llr_strand = sum_{t in S_a} log p(a_t | a with S_a masked) - sum_{t in S_r} log p(r_t | r with S_r masked)
// with p the softmax of the MLM logits over the whole vocabulary at position t, every token of the
// span replaced by <mask> at once. llr = (llr_forward + llr_reverse) / 2. When the two masked windows
// are the same token sequence (SNVs and MNVs: the variant only changes masked tokens), one forward
// pass serves both terms.
//
// Embedding distances come from a separate unmasked forward pass of the forward-strand REF and ALT
// windows: the last hidden state (after the final LayerNorm, `oncolm embed`'s default layer), pooled
// as `oncolm embed` pools it: mean over every token including <cls> (mean), and mean over the
// variant span (variant; each record its own span). cosine = 1 - cos(REF, ALT), l2 = ||REF - ALT||.
#pragma once
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "model/config.h"
#include "model/tokenizer.h"
#include "score/variant_tokens.h"

namespace oncolm::score {

struct ScorerOptions {
  std::string device = "cpu";     // cpu, cuda or cuda:N
  int threads = 1;                // CPU intra-op threads
  std::int64_t batch_tokens = 0;  // padded tokens per forward batch; 0 = 4,096 on CPU, 65,536 on CUDA
  std::size_t max_rows = 256;     // sequences per batch
};

struct VariantScore {
  double llr = 0, llr_forward = 0, llr_reverse = 0;
  double cosine_mean = 0, l2_mean = 0, cosine_variant = 0, l2_variant = 0;
};

class VariantScorer {
 public:
  // Loads config.json, vocab.txt and the weights, and moves them to the device (float32: the scores
  // are differences of log-probabilities that bfloat16 would round away). Throws InputError naming
  // the directory for a checkpoint without an MLM head (lm_head.* weights).
  VariantScorer(const std::string& model_dir, const ScorerOptions& options);
  ~VariantScorer();
  VariantScorer(const VariantScorer&) = delete;
  VariantScorer& operator=(const VariantScorer&) = delete;

  const model::NtConfig& config() const;
  const model::Tokenizer& tokenizer() const;
  const std::string& weights_format() const;
  const std::string& checksum() const;      // checkpoint_checksum of the weight files
  std::string compute_description() const;  // "cpu float32 (2 threads)", "cuda:0 float32"
  std::int64_t batch_tokens() const;

  // Scores every variant; length-bucketed batches (model/batching.h) over all their forward passes.
  // `progress(tokens)` is called after each batch with the tokens it computed.
  std::vector<VariantScore> score(const std::vector<VariantTokens>& variants,
                                  const std::function<void(std::size_t)>& progress = {}) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace oncolm::score
