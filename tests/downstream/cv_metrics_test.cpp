// The donor-grouped stratified splitter and the metrics, on small hand-checked cases.
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <map>
#include <random>
#include <sstream>
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

// Cohorts of 3 to 24 classes against scikit-learn itself: the folds are decided by exact ties between
// standard deviations, so they only agree when the sums are added in numpy's order (pairwise from 8
// values on: PCAWG has ~24 histologies).
TEST(StratifiedGroupKFold, MatchesScikitLearnWithManyClasses) {
  const std::string dir = testing::TempDir();
  const std::string cases_path = dir + "oncolm_sgkf_cases.txt", folds_path = dir + "oncolm_sgkf_folds.txt";
  std::mt19937 rng(11);
  struct Case {
    std::vector<int> y;
    std::vector<std::string> groups;
    int classes, folds;
  };
  std::vector<Case> cases;
  for (int classes : {3, 8, 12, 24})
    for (int repeat = 0; repeat < 6; ++repeat) {
      Case c{{}, {}, classes, 5};
      const int samples = classes * (4 + static_cast<int>(rng() % 4));
      const int donors = samples * 3 / 4;
      for (int i = 0; i < samples; ++i) {
        c.y.push_back(i < classes ? i : static_cast<int>(rng() % static_cast<unsigned>(classes)));  // every class
        c.groups.push_back("d" + std::to_string(rng() % static_cast<unsigned>(donors)));
      }
      cases.push_back(c);
    }
  {
    std::ofstream out(cases_path);
    for (const auto& c : cases) {
      for (std::size_t i = 0; i < c.y.size(); ++i) out << (i ? "," : "") << c.y[i];
      out << ";";
      for (std::size_t i = 0; i < c.groups.size(); ++i) out << (i ? "," : "") << c.groups[i];
      out << ";" << c.folds << "\n";
    }
  }
  const std::string command = "/usr/bin/python3 " + std::string(ONCOLM_SOURCE_DIR) +
                              "/tests/downstream/sklearn_folds.py " + cases_path + " > " + folds_path;
  ASSERT_EQ(std::system(command.c_str()), 0) << command << " (scripts/setup.sh installs python3-sklearn)";
  std::ifstream in(folds_path);
  std::string line;
  std::size_t compared = 0;
  for (const auto& c : cases) {
    ASSERT_TRUE(std::getline(in, line)) << "scikit-learn gave fewer fold lists than cases";
    std::vector<int> expected;
    std::stringstream cells(line);
    for (std::string cell; std::getline(cells, cell, ',');) expected.push_back(std::stoi(cell));
    EXPECT_EQ(stratified_group_kfold(c.y, c.groups, c.classes, c.folds, false, 0), expected)
        << c.classes << " classes, " << c.y.size() << " samples";
    ++compared;
  }
  EXPECT_EQ(compared, 24u);
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

// Equal probabilities rank the higher class first in the top 3, as scikit-learn's
// top_k_accuracy_score([2, 2, 3], these rows, k=3, labels=[0, 1, 2, 3]) = 1/3 (scikit-learn 1.2.1).
TEST(Metrics, TopThreeBreaksTiesAsScikitLearn) {
  const double rows[3][4] = {{.6, .4, 0, 0}, {.6, .4, 0, 0}, {.5, .5, 0, 0}};
  Matrix proba(3, 4, 0.0);
  for (std::size_t i = 0; i < 3; ++i)
    for (std::size_t c = 0; c < 4; ++c) proba(i, c) = rows[i][c];
  ClassificationMetrics m = classification_metrics({2, 2, 3}, {0, 0, 0}, proba, 4);
  EXPECT_DOUBLE_EQ(m.top3_accuracy, 1.0 / 3);  // class 3 outranks class 2 at 0; class 3 is third
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
