#include "downstream/cv.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <numeric>
#include <stdexcept>

namespace oncolm::downstream {
namespace {

// Population standard deviation.
double stdev(const std::vector<double>& values) {
  double mean = std::accumulate(values.begin(), values.end(), 0.0) / static_cast<double>(values.size());
  double sum = 0;
  for (double v : values) sum += (v - mean) * (v - mean);
  return std::sqrt(sum / static_cast<double>(values.size()));
}

bool isclose(double a, double b) { return std::fabs(a - b) <= 1e-8 + 1e-5 * std::fabs(b); }

}  // namespace

std::uint64_t SplitMix64::next() {
  std::uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

std::vector<int> stratified_group_kfold(const std::vector<int>& y, const std::vector<std::string>& groups,
                                        int n_classes, int folds, bool shuffle, std::uint64_t seed) {
  if (folds < 2) throw std::invalid_argument("cross-validation needs at least 2 folds");
  if (y.size() != groups.size()) throw std::invalid_argument("labels and groups differ in length");
  std::map<std::string, std::size_t> group_index;
  for (const auto& g : groups) group_index.emplace(g, 0);
  std::size_t next_index = 0;
  for (auto& [name, index] : group_index) index = next_index++;
  std::size_t n_groups = group_index.size();
  if (n_groups < static_cast<std::size_t>(folds))
    throw std::invalid_argument("cannot make " + std::to_string(folds) + " folds from " + std::to_string(n_groups) +
                                " donors");
  std::size_t k = static_cast<std::size_t>(n_classes);
  std::vector<std::vector<double>> group_counts(n_groups, std::vector<double>(k));
  std::vector<double> class_total(k);
  std::vector<std::size_t> sample_group(y.size());
  for (std::size_t i = 0; i < y.size(); ++i) {
    sample_group[i] = group_index[groups[i]];
    group_counts[sample_group[i]][static_cast<std::size_t>(y[i])] += 1;
    class_total[static_cast<std::size_t>(y[i])] += 1;
  }
  for (double& t : class_total)
    if (t == 0) t = 1;  // an absent class contributes 0 everywhere (numpy would give nan; we avoid it)
  std::vector<std::size_t> order(n_groups);
  std::iota(order.begin(), order.end(), 0);
  if (shuffle) {
    SplitMix64 rng(seed);
    for (std::size_t i = n_groups - 1; i >= 1; --i) std::swap(order[i], order[rng.next() % (i + 1)]);
  }
  std::vector<double> spread(n_groups);
  for (std::size_t g = 0; g < n_groups; ++g) spread[g] = stdev(group_counts[g]);
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return spread[a] > spread[b]; });

  std::size_t f_count = static_cast<std::size_t>(folds);
  std::vector<std::vector<double>> fold_counts(f_count, std::vector<double>(k));
  std::vector<int> group_fold(n_groups, -1);
  std::vector<double> column(f_count);
  for (std::size_t g : order) {
    double min_eval = std::numeric_limits<double>::infinity(), min_samples = min_eval;
    std::size_t best = 0;
    for (std::size_t f = 0; f < f_count; ++f) {
      for (std::size_t c = 0; c < k; ++c) fold_counts[f][c] += group_counts[g][c];
      double eval = 0;
      for (std::size_t c = 0; c < k; ++c) {
        for (std::size_t h = 0; h < f_count; ++h) column[h] = fold_counts[h][c] / class_total[c];
        eval += stdev(column);
      }
      eval /= static_cast<double>(k);
      for (std::size_t c = 0; c < k; ++c) fold_counts[f][c] -= group_counts[g][c];
      double samples = std::accumulate(fold_counts[f].begin(), fold_counts[f].end(), 0.0);
      if (eval < min_eval || (isclose(eval, min_eval) && samples < min_samples)) {
        min_eval = eval;
        min_samples = samples;
        best = f;
      }
    }
    for (std::size_t c = 0; c < k; ++c) fold_counts[best][c] += group_counts[g][c];
    group_fold[g] = static_cast<int>(best);
  }
  std::vector<int> fold(y.size());
  for (std::size_t i = 0; i < y.size(); ++i) fold[i] = group_fold[sample_group[i]];
  return fold;
}

}  // namespace oncolm::downstream
