// Classification metrics as plain functions of true labels, predicted labels and probabilities
// (scikit-learn's definitions, stated per function).
#pragma once
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "downstream/matrix.h"

namespace oncolm::downstream {

struct ClassMetrics {
  double precision = 0, recall = 0, f1 = 0;  // 0 where undefined (zero_division=0)
  int support = 0;                           // true samples of the class
};

struct ClassificationMetrics {
  std::size_t n = 0;
  double accuracy = 0;           // correct / n
  double balanced_accuracy = 0;  // mean recall over classes present in y_true
  double macro_f1 = 0;           // mean F1 over classes present in y_true or y_pred
  double top3_accuracy = 0;      // true class among the 3 most probable (ties: lower class index first)
  std::vector<ClassMetrics> per_class;
  std::vector<std::vector<int>> confusion;  // [true][predicted]
};

// y_true and y_pred hold class indices 0..n_classes-1; proba is n x n_classes.
ClassificationMetrics classification_metrics(const std::vector<int>& y_true, const std::vector<int>& y_pred,
                                             const Matrix& proba, int n_classes);

// The argmax of each row (the lowest index on ties, as numpy.argmax).
std::vector<int> argmax_rows(const Matrix& proba);

nlohmann::json metrics_to_json(const ClassificationMetrics& metrics, const std::vector<std::string>& classes);

}  // namespace oncolm::downstream
