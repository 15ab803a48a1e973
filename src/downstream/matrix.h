// A dense row-major matrix of doubles: what the feature extractor returns and what the estimators,
// the scaler and the metrics take (scikit-learn's X), without a dependency on LibTorch.
#pragma once
#include <cstddef>
#include <vector>

namespace oncolm::downstream {

struct Matrix {
  std::size_t rows = 0;
  std::size_t cols = 0;
  std::vector<double> values;  // rows * cols, row-major

  Matrix() = default;
  Matrix(std::size_t r, std::size_t c, double fill = 0.0) : rows(r), cols(c), values(r * c, fill) {}
  double& operator()(std::size_t r, std::size_t c) { return values[r * cols + c]; }
  double operator()(std::size_t r, std::size_t c) const { return values[r * cols + c]; }
  double* row(std::size_t r) { return values.data() + r * cols; }
  const double* row(std::size_t r) const { return values.data() + r * cols; }
};

// The rows `indices` of `m`, in that order.
inline Matrix take_rows(const Matrix& m, const std::vector<std::size_t>& indices) {
  Matrix out(indices.size(), m.cols);
  for (std::size_t i = 0; i < indices.size(); ++i)
    for (std::size_t c = 0; c < m.cols; ++c) out(i, c) = m(indices[i], c);
  return out;
}

// The columns `indices` of `m`, in that order.
inline Matrix take_columns(const Matrix& m, const std::vector<std::size_t>& indices) {
  Matrix out(m.rows, indices.size());
  for (std::size_t r = 0; r < m.rows; ++r)
    for (std::size_t i = 0; i < indices.size(); ++i) out(r, i) = m(r, indices[i]);
  return out;
}

}  // namespace oncolm::downstream
