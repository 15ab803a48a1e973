// Masked-language-model inputs as NT was pre-trained (BERT's recipe, per sequence):
//   * the candidates are the non-special tokens of the sequence (6-mers and single bases; <cls>,
//     <pad>, <mask>, <unk>, <eos>, <bos> are never selected);
//   * exactly k = max(1, round(fraction * candidates)) of them are selected, uniformly without
//     replacement; with `always_select` (--mlm-centre) the given token span (the variant) is
//     selected first and counts towards k (all of it is selected even where it is longer than k);
//   * each selected token becomes <mask> with probability mask_share (0.8), a uniformly drawn
//     non-special token with probability random_share (0.1), and stays unchanged otherwise;
//   * labels hold the original id at selected positions and ignore_label (-100) elsewhere.
// Torch-free; the random stream is a std::mt19937_64 the caller seeds, so a step's masks are a
// function of (seed, step) and a resumed run draws the same ones.
#pragma once
#include <cstdint>
#include <optional>
#include <random>
#include <utility>
#include <vector>

#include "model/tokenizer.h"

namespace oncolm::train {

constexpr std::int32_t ignore_label = -100;

struct MaskingOptions {
  double fraction = 0.15;
  double mask_share = 0.8;
  double random_share = 0.1;
};

struct MaskedTokens {
  std::vector<std::int32_t> ids;     // model input
  std::vector<std::int32_t> labels;  // original id where selected, ignore_label elsewhere
};

// Token ids that MLM may select or draw as replacements: every vocabulary entry below `vocab_rows`
// (the embedding's rows) that is not written <...>.
std::vector<std::int32_t> maskable_ids(const model::Vocabulary& vocabulary, int vocab_rows);

MaskedTokens mask_tokens(const std::vector<std::int32_t>& ids, const std::vector<std::int32_t>& replacement_ids,
                         const model::Vocabulary& vocabulary, const MaskingOptions& options, std::mt19937_64& rng,
                         std::optional<std::pair<std::int32_t, std::int32_t>> always_select = std::nullopt);

// Uniform helpers on mt19937_64 with the same results on every standard library (the std
// distributions are implementation-defined).
double uniform01(std::mt19937_64& rng);
std::uint64_t uniform_below(std::mt19937_64& rng, std::uint64_t n);
// A seed for an independent stream from a run seed and stream coordinates (splitmix64 mixing).
std::uint64_t stream_seed(std::uint64_t seed, std::uint64_t a, std::uint64_t b = 0, std::uint64_t c = 0);

}  // namespace oncolm::train
