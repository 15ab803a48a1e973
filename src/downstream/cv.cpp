#include "downstream/cv.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <numeric>
#include <stdexcept>

namespace oncolm::downstream {
namespace {

// The sum numpy computes along a contiguous axis (np.sum of a vector, np.std(..., axis=1)): pairwise,
// with eight running sums from 8 values on and halves above 128 (numpy's pairwise_sum). The folds
// are decided by exact ties between such sums, so the order of the additions must be numpy's.
double numpy_sum(const double* a, std::size_t n) {
  if (n < 8) {
    double sum = 0;
    for (std::size_t i = 0; i < n; ++i) sum += a[i];
    return sum;
  }
  if (n <= 128) {
    double r[8];
    for (std::size_t j = 0; j < 8; ++j) r[j] = a[j];
    std::size_t i = 8;
    for (; i < n - n % 8; i += 8)
      for (std::size_t j = 0; j < 8; ++j) r[j] += a[i + j];
    double sum = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
    for (; i < n; ++i) sum += a[i];
    return sum;
  }
  std::size_t half = n / 2;
  half -= half % 8;
  return numpy_sum(a, half) + numpy_sum(a + half, n - half);
}

// Along axis 0 of a C-ordered array numpy adds row after row: left to right.
double sequential_sum(const double* a, std::size_t n) {
  double sum = 0;
  for (std::size_t i = 0; i < n; ++i) sum += a[i];
  return sum;
}

// Population standard deviation as np.std computes it: mean = sum / n, then the sum of the squared
// deviations / n, each sum in the order numpy adds along that axis.
double stdev(const std::vector<double>& values, double (*sum_of)(const double*, std::size_t)) {
  const double n = static_cast<double>(values.size());
  const double mean = sum_of(values.data(), values.size()) / n;
  std::vector<double> squares(values.size());
  for (std::size_t i = 0; i < values.size(); ++i) squares[i] = (values[i] - mean) * (values[i] - mean);
  return std::sqrt(sum_of(squares.data(), squares.size()) / n);
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
  // scikit-learn: np.std(y_counts_per_group, axis=1), over the classes of each donor.
  for (std::size_t g = 0; g < n_groups; ++g) spread[g] = stdev(group_counts[g], numpy_sum);
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return spread[a] > spread[b]; });

  std::size_t f_count = static_cast<std::size_t>(folds);
  std::vector<std::vector<double>> fold_counts(f_count, std::vector<double>(k));
  std::vector<int> group_fold(n_groups, -1);
  std::vector<double> column(f_count), class_spread(k);
  for (std::size_t g : order) {
    double min_eval = std::numeric_limits<double>::infinity(), min_samples = min_eval;
    std::size_t best = 0;
    for (std::size_t f = 0; f < f_count; ++f) {
      for (std::size_t c = 0; c < k; ++c) fold_counts[f][c] += group_counts[g][c];
      // scikit-learn: np.mean(np.std(y_counts_per_fold / y_cnt, axis=0)): each class's spread over the
      // folds (axis 0), then their mean (a vector sum).
      for (std::size_t c = 0; c < k; ++c) {
        for (std::size_t h = 0; h < f_count; ++h) column[h] = fold_counts[h][c] / class_total[c];
        class_spread[c] = stdev(column, sequential_sum);
      }
      const double eval = numpy_sum(class_spread.data(), k) / static_cast<double>(k);
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
