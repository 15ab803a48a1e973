#include "train/masking.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace oncolm::train {
namespace {

bool is_special(const model::Vocabulary& vocabulary, std::int32_t id) {
  const std::string& token = vocabulary.token(id);
  return !token.empty() && token.front() == '<';
}

std::uint64_t splitmix64(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

}  // namespace

double uniform01(std::mt19937_64& rng) { return static_cast<double>(rng() >> 11) * 0x1.0p-53; }

std::uint64_t uniform_below(std::mt19937_64& rng, std::uint64_t n) {
  if (n == 0) throw std::invalid_argument("uniform_below(0)");
  // Rejection keeps it exactly uniform.
  const std::uint64_t limit = (~std::uint64_t{0}) - (~std::uint64_t{0}) % n;
  std::uint64_t value;
  do value = rng();
  while (value >= limit);
  return value % n;
}

std::uint64_t stream_seed(std::uint64_t seed, std::uint64_t a, std::uint64_t b, std::uint64_t c) {
  return splitmix64(splitmix64(splitmix64(splitmix64(seed) ^ a) ^ b) ^ c);
}

std::vector<std::int32_t> maskable_ids(const model::Vocabulary& vocabulary, int vocab_rows) {
  std::vector<std::int32_t> ids;
  for (int id = 0; id < std::min(vocab_rows, vocabulary.size()); ++id)
    if (!is_special(vocabulary, id)) ids.push_back(id);
  return ids;
}

MaskedTokens mask_tokens(const std::vector<std::int32_t>& ids, const std::vector<std::int32_t>& replacement_ids,
                         const model::Vocabulary& vocabulary, const MaskingOptions& options, std::mt19937_64& rng,
                         std::optional<std::pair<std::int32_t, std::int32_t>> always_select) {
  MaskedTokens out{ids, std::vector<std::int32_t>(ids.size(), ignore_label)};
  std::vector<std::size_t> forced, candidates;
  for (std::size_t t = 0; t < ids.size(); ++t) {
    if (is_special(vocabulary, ids[t])) continue;
    bool in_span = always_select && static_cast<std::int32_t>(t) >= always_select->first &&
                   static_cast<std::int32_t>(t) < always_select->second;
    (in_span ? forced : candidates).push_back(t);
  }
  const std::size_t total = forced.size() + candidates.size();
  if (total == 0) return out;
  const std::size_t k =
      std::max<std::size_t>(1, static_cast<std::size_t>(std::llround(options.fraction * static_cast<double>(total))));
  std::vector<std::size_t> selected = forced;
  // Partial Fisher-Yates: the first `wanted` candidates become a uniform sample without replacement.
  const std::size_t wanted = k > forced.size() ? std::min(k - forced.size(), candidates.size()) : 0;
  for (std::size_t i = 0; i < wanted; ++i) {
    std::swap(candidates[i], candidates[i + uniform_below(rng, candidates.size() - i)]);
    selected.push_back(candidates[i]);
  }
  std::sort(selected.begin(), selected.end());
  for (std::size_t t : selected) {
    out.labels[t] = ids[t];
    double u = uniform01(rng);
    if (u < options.mask_share)
      out.ids[t] = vocabulary.mask_id();
    else if (u < options.mask_share + options.random_share)
      out.ids[t] = replacement_ids[uniform_below(rng, replacement_ids.size())];
  }
  return out;
}

}  // namespace oncolm::train
