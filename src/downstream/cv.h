// Cross-validation splitters, separate from the estimators (as scikit-learn's model_selection).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace oncolm::downstream {

// Stratified k-fold grouped by donor: scikit-learn's StratifiedGroupKFold algorithm. Returns the
// test fold (0..folds-1) of each sample. A group's samples always share a fold.
//   1. Groups are numbered in sorted order of their ids (numpy.unique); each gets its class counts.
//   2. With `shuffle`, the group order is permuted by a Fisher-Yates shuffle driven by a
//      SplitMix64 generator seeded with `seed` (j = next() % (i + 1) for i = G-1 .. 1), so the same
//      seed gives the same folds on every platform. Without it, the order is the sorted one and
//      the folds equal scikit-learn's StratifiedGroupKFold(n_splits=folds, shuffle=False).
//   3. Groups are stably sorted by decreasing standard deviation (population) of their class
//      counts.
//   4. Each group in turn goes to the fold that, with it added, gives the smallest mean over
//      classes of the standard deviation across folds of (class count in fold / class total);
//      near-ties (numpy.isclose) go to the fold with fewer samples, then to the lower fold.
// `y` holds class indices 0..n_classes-1. Throws std::invalid_argument when folds < 2 or there
// are fewer groups than folds.
std::vector<int> stratified_group_kfold(const std::vector<int>& y, const std::vector<std::string>& groups,
                                        int n_classes, int folds, bool shuffle, std::uint64_t seed);

// SplitMix64, the generator behind the shuffle (public for tests).
class SplitMix64 {
 public:
  explicit SplitMix64(std::uint64_t seed) : state_(seed) {}
  std::uint64_t next();

 private:
  std::uint64_t state_;
};

}  // namespace oncolm::downstream
