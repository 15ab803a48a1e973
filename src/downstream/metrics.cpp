#include "downstream/metrics.h"

#include <algorithm>
#include <numeric>
#include <stdexcept>

namespace oncolm::downstream {

std::vector<int> argmax_rows(const Matrix& proba) {
  std::vector<int> out(proba.rows);
  for (std::size_t r = 0; r < proba.rows; ++r) {
    const double* row = proba.row(r);
    out[r] = static_cast<int>(std::max_element(row, row + proba.cols) - row);
  }
  return out;
}

ClassificationMetrics classification_metrics(const std::vector<int>& y_true, const std::vector<int>& y_pred,
                                             const Matrix& proba, int n_classes) {
  if (y_true.size() != y_pred.size() || proba.rows != y_true.size())
    throw std::invalid_argument("metrics: inputs differ in length");
  std::size_t k = static_cast<std::size_t>(n_classes);
  ClassificationMetrics m;
  m.n = y_true.size();
  m.confusion.assign(k, std::vector<int>(k, 0));
  std::size_t correct = 0, top3 = 0;
  for (std::size_t i = 0; i < m.n; ++i) {
    m.confusion[static_cast<std::size_t>(y_true[i])][static_cast<std::size_t>(y_pred[i])] += 1;
    correct += y_true[i] == y_pred[i];
    std::vector<std::size_t> order(k);
    std::iota(order.begin(), order.end(), 0);
    const double* row = proba.row(i);
    // Ties (classes absent from a training fold all get probability 0) go to the higher class index,
    // as scikit-learn's top_k_accuracy_score ranks (a stable ascending sort, reversed).
    std::sort(order.begin(), order.end(),
              [&](std::size_t a, std::size_t b) { return row[a] > row[b] || (row[a] == row[b] && a > b); });
    for (std::size_t j = 0; j < std::min<std::size_t>(3, k); ++j)
      top3 += order[j] == static_cast<std::size_t>(y_true[i]);
  }
  m.accuracy = m.n ? static_cast<double>(correct) / static_cast<double>(m.n) : 0;
  m.top3_accuracy = m.n ? static_cast<double>(top3) / static_cast<double>(m.n) : 0;
  double recall_sum = 0, f1_sum = 0;
  int recall_classes = 0, f1_classes = 0;
  for (std::size_t c = 0; c < k; ++c) {
    int tp = m.confusion[c][c], support = 0, predicted = 0;
    for (std::size_t j = 0; j < k; ++j) {
      support += m.confusion[c][j];
      predicted += m.confusion[j][c];
    }
    ClassMetrics cm;
    cm.support = support;
    cm.precision = predicted ? static_cast<double>(tp) / predicted : 0;
    cm.recall = support ? static_cast<double>(tp) / support : 0;
    cm.f1 = (cm.precision + cm.recall) > 0 ? 2 * cm.precision * cm.recall / (cm.precision + cm.recall) : 0;
    if (support > 0) {
      recall_sum += cm.recall;
      ++recall_classes;
    }
    if (support > 0 || predicted > 0) {
      f1_sum += cm.f1;
      ++f1_classes;
    }
    m.per_class.push_back(cm);
  }
  m.balanced_accuracy = recall_classes ? recall_sum / recall_classes : 0;
  m.macro_f1 = f1_classes ? f1_sum / f1_classes : 0;
  return m;
}

nlohmann::json metrics_to_json(const ClassificationMetrics& m, const std::vector<std::string>& classes) {
  nlohmann::json per_class = nlohmann::json::object();
  for (std::size_t c = 0; c < classes.size(); ++c)
    per_class[classes[c]] = {{"precision", m.per_class[c].precision},
                             {"recall", m.per_class[c].recall},
                             {"f1", m.per_class[c].f1},
                             {"support", m.per_class[c].support}};
  return {{"n", m.n},
          {"accuracy", m.accuracy},
          {"balanced_accuracy", m.balanced_accuracy},
          {"macro_f1", m.macro_f1},
          {"top3_accuracy", m.top3_accuracy},
          {"classes", classes},
          {"per_class", per_class},
          {"confusion_matrix", m.confusion}};
}

}  // namespace oncolm::downstream
