// The donor-grouped stratified splitter and the metrics, on small hand-checked cases.
#include <gtest/gtest.h>

#include <map>
#include <set>

#include "downstream/cv.h"
#include "downstream/metrics.h"

using namespace oncolm::downstream;

TEST(StratifiedGroupKFold, KeepsDonorsTogetherAndBalancesClasses) {
  std::vector<int> y;
  std::vector<std::string> groups;
  // 3 classes x 20 samples; every fourth donor has two samples.
  for (int c = 0; c < 3; ++c)
    for (int i = 0, donor = 0; i < 20; ++donor) {
      int copies = donor % 4 == 0 && i + 2 <= 20 ? 2 : 1;
      for (int k = 0; k < copies; ++k, ++i) {
        y.push_back(c);
        groups.push_back("c" + std::to_string(c) + "d" + std::to_string(donor));
      }
    }
  for (bool shuffle : {false, true}) {
    std::vector<int> fold = stratified_group_kfold(y, groups, 3, 5, shuffle, 7);
    std::map<std::string, std::set<int>> folds_of_group;
    std::map<std::pair<int, int>, int> per_fold_class;
    for (std::size_t i = 0; i < y.size(); ++i) {
      folds_of_group[groups[i]].insert(fold[i]);
      per_fold_class[{fold[i], y[i]}] += 1;
    }
    for (const auto& [group, folds] : folds_of_group) EXPECT_EQ(folds.size(), 1u) << group;
    for (int f = 0; f < 5; ++f)
      for (int c = 0; c < 3; ++c) {
        int count = per_fold_class[std::make_pair(f, c)];
        EXPECT_GE(count, 3) << "fold " << f << " class " << c;
        EXPECT_LE(count, 5) << "fold " << f << " class " << c;
      }
  }
  EXPECT_EQ(stratified_group_kfold(y, groups, 3, 5, true, 7), stratified_group_kfold(y, groups, 3, 5, true, 7));
  EXPECT_NE(stratified_group_kfold(y, groups, 3, 5, true, 7), stratified_group_kfold(y, groups, 3, 5, true, 8));
}

TEST(StratifiedGroupKFold, RefusesFewerDonorsThanFolds) {
  std::vector<int> y = {0, 0, 1, 1};
  std::vector<std::string> groups = {"a", "a", "b", "c"};
  EXPECT_THROW(stratified_group_kfold(y, groups, 2, 4, false, 0), std::invalid_argument);
  EXPECT_THROW(stratified_group_kfold(y, groups, 2, 1, false, 0), std::invalid_argument);
  EXPECT_NO_THROW(stratified_group_kfold(y, groups, 2, 3, false, 0));
}

TEST(StratifiedGroupKFold, MatchesScikitLearnWithoutShuffle) {
  // Expected: scikit-learn 1.2, StratifiedGroupKFold(3).split(X, y, groups), test fold of each sample.
  std::vector<int> y = {0, 0, 0, 1, 1, 1, 1, 2, 2, 2};
  std::vector<std::string> g = {"a", "a", "b", "c", "d", "d", "e", "f", "g", "h"};
  EXPECT_EQ(stratified_group_kfold(y, g, 3, 3, false, 0), (std::vector<int>{0, 0, 2, 2, 1, 1, 0, 1, 2, 0}));
}

TEST(Metrics, MatchHandComputedValues) {
  // true:  0 0 0 1 1 2      pred: 0 0 1 1 2 2
  std::vector<int> truth = {0, 0, 0, 1, 1, 2}, predicted = {0, 0, 1, 1, 2, 2};
  Matrix proba(6, 3);
  double rows[6][3] = {{.8, .1, .1}, {.6, .3, .1}, {.2, .5, .3}, {.1, .8, .1}, {.5, .1, .4}, {.1, .2, .7}};
  for (std::size_t i = 0; i < 6; ++i)
    for (std::size_t c = 0; c < 3; ++c) proba(i, c) = rows[i][c];
  // row 4 (true 1) has argmax 0 in proba but we pass predicted separately; argmax_rows is tested below.
  ClassificationMetrics m = classification_metrics(truth, predicted, proba, 3);
  EXPECT_DOUBLE_EQ(m.accuracy, 4.0 / 6);
  // recall: 2/3, 1/2, 1/1 -> balanced 0.7222
  EXPECT_NEAR(m.balanced_accuracy, (2.0 / 3 + 0.5 + 1.0) / 3, 1e-12);
  // precision: 2/2, 1/2, 1/2; F1: 0.8, 0.5, 0.6667
  EXPECT_NEAR(m.per_class[0].f1, 0.8, 1e-12);
  EXPECT_NEAR(m.per_class[1].f1, 0.5, 1e-12);
  EXPECT_NEAR(m.per_class[2].f1, 2.0 / 3, 1e-12);
  EXPECT_NEAR(m.macro_f1, (0.8 + 0.5 + 2.0 / 3) / 3, 1e-12);
  EXPECT_EQ(m.per_class[0].support, 3);
  EXPECT_EQ(m.confusion[0][1], 1);
  EXPECT_EQ(m.confusion[1][2], 1);
  EXPECT_DOUBLE_EQ(m.top3_accuracy, 1.0);  // three classes: always in the top 3
  EXPECT_EQ(argmax_rows(proba), (std::vector<int>{0, 0, 1, 1, 0, 2}));
}

TEST(Metrics, MacroF1CountsPredictedOnlyClassesAndBalancedAccuracySkipsAbsentOnes) {
  std::vector<int> truth = {0, 0}, predicted = {0, 1};
  Matrix proba(2, 3, 0.0);
  proba(0, 0) = 1;
  proba(1, 1) = 1;
  ClassificationMetrics m = classification_metrics(truth, predicted, proba, 3);
  EXPECT_DOUBLE_EQ(m.balanced_accuracy, 0.5);                // class 0 only
  EXPECT_NEAR(m.macro_f1, (2.0 / 3 + 0.0) / 2, 1e-12);      // classes 0 and 1 (2 never appears)
}
