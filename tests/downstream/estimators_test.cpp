// The estimators on small generated data: the logistic regression reaches the optimum of
// scikit-learn's objective (its gradient is zero), the MLP learns separable clusters, both are
// reproducible and survive a JSON round trip; the scaler and the .npy reader.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <fstream>
#include <random>

#include "../test_fs.h"
#include "core/error.h"
#include "downstream/dense.h"
#include "downstream/estimators.h"
#include "downstream/metrics.h"
#include "downstream/npy_reader.h"

using namespace oncolm::downstream;
namespace fs = oncolm::test_fs;

namespace {

// Three Gaussian clusters in `d` dimensions, overlapping enough that the fit is not trivial.
void clusters(std::size_t per_class, std::size_t d, double spread, Matrix& x, std::vector<int>& y, unsigned seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<double> noise(0.0, spread);
  x = Matrix(3 * per_class, d);
  y.clear();
  for (std::size_t c = 0; c < 3; ++c)
    for (std::size_t i = 0; i < per_class; ++i) {
      std::size_t r = c * per_class + i;
      for (std::size_t j = 0; j < d; ++j) x(r, j) = (j % 3 == c ? 1.0 : 0.0) + noise(rng);
      y.push_back(static_cast<int>(c));
    }
}

}  // namespace

TEST(StandardScaler, UsesPopulationStandardDeviationAndLeavesConstantColumns) {
  Matrix x(4, 2);
  double values[4][2] = {{1, 5}, {2, 5}, {3, 5}, {4, 5}};
  for (std::size_t r = 0; r < 4; ++r)
    for (std::size_t c = 0; c < 2; ++c) x(r, c) = values[r][c];
  StandardScaler scaler;
  scaler.fit(x);
  EXPECT_DOUBLE_EQ(scaler.mean[0], 2.5);
  EXPECT_DOUBLE_EQ(scaler.scale[0], std::sqrt(1.25));
  EXPECT_DOUBLE_EQ(scaler.scale[1], 1.0);  // constant column
  Matrix z = scaler.transform(x);
  EXPECT_DOUBLE_EQ(z(0, 1), 0.0);
  EXPECT_NEAR(z(3, 0), 1.5 / std::sqrt(1.25), 1e-12);
}

// The hand-written kernels against the textbook formulas, on sizes that leave partial blocks of rows
// (4) and of vector lanes (8).
TEST(DenseKernels, LossAndGradientEqualTheDirectFormulas) {
  std::mt19937 rng(7);
  std::normal_distribution<double> normal(0.0, 1.0);
  std::size_t n = 11, d = 13, m = 3;
  std::vector<double> x(n * d), w(d * m), b(m);
  std::vector<long> y(n);
  for (auto& v : x) v = normal(rng);
  for (auto& v : w) v = 0.3 * normal(rng);
  for (auto& v : b) v = normal(rng);
  for (std::size_t i = 0; i < n; ++i) y[i] = static_cast<long>(i % m);
  double penalty = 0.05;
  std::vector<double> grad_w(d * m), grad_b(m);
  double loss = multinomial_loss_gradient(x.data(), n, d, y.data(), w.data(), b.data(), m, penalty, grad_w.data(),
                                          grad_b.data());
  double want_loss = 0;
  std::vector<double> want_w(d * m), want_b(m);
  for (std::size_t i = 0; i < n; ++i) {
    std::vector<double> z(b);
    for (std::size_t c = 0; c < m; ++c)
      for (std::size_t j = 0; j < d; ++j) z[c] += x[i * d + j] * w[j * m + c];
    double norm = 0;
    for (double v : z) norm += std::exp(v);
    want_loss += std::log(norm) - z[static_cast<std::size_t>(y[i])];
    for (std::size_t c = 0; c < m; ++c) {
      double r = (std::exp(z[c]) / norm - (static_cast<long>(c) == y[i])) / static_cast<double>(n);
      want_b[c] += r;
      for (std::size_t j = 0; j < d; ++j) want_w[j * m + c] += r * x[i * d + j];
    }
  }
  want_loss /= static_cast<double>(n);
  for (std::size_t k = 0; k < d * m; ++k) {
    want_loss += penalty * w[k] * w[k];
    want_w[k] += 2 * penalty * w[k];
  }
  EXPECT_NEAR(loss, want_loss, 1e-12);
  for (std::size_t k = 0; k < d * m; ++k) EXPECT_NEAR(grad_w[k], want_w[k], 1e-12) << k;
  for (std::size_t c = 0; c < m; ++c) EXPECT_NEAR(grad_b[c], want_b[c], 1e-12) << c;
}

TEST(DenseKernels, GemmHandlesEachTransposition) {
  std::size_t m = 5, n = 3, k = 7;
  std::vector<float> a(m * k), b(k * n);
  for (std::size_t i = 0; i < a.size(); ++i) a[i] = static_cast<float>(i % 5) - 2.0f;
  for (std::size_t i = 0; i < b.size(); ++i) b[i] = 0.5f * static_cast<float>(i % 3);
  for (bool trans_a : {false, true})
    for (bool trans_b : {false, true}) {
      // a holds op(A) = m x k either row-major (no transpose) or as its transpose k x m.
      std::vector<float> a_stored(m * k), b_stored(k * n), c(m * n, 1.0f);
      for (std::size_t i = 0; i < m; ++i)
        for (std::size_t p = 0; p < k; ++p) (trans_a ? a_stored[p * m + i] : a_stored[i * k + p]) = a[i * k + p];
      for (std::size_t p = 0; p < k; ++p)
        for (std::size_t j = 0; j < n; ++j) (trans_b ? b_stored[j * k + p] : b_stored[p * n + j]) = b[p * n + j];
      gemm(trans_a, trans_b, m, n, k, 2.0f, a_stored.data(), trans_a ? m : k, b_stored.data(), trans_b ? k : n, 1.0f,
           c.data(), n);
      for (std::size_t i = 0; i < m; ++i)
        for (std::size_t j = 0; j < n; ++j) {
          float want = 1.0f;
          for (std::size_t p = 0; p < k; ++p) want += 2.0f * a[i * k + p] * b[p * n + j];
          EXPECT_FLOAT_EQ(c[i * n + j], want) << trans_a << trans_b << " " << i << "," << j;
        }
    }
}

TEST(LogisticRegression, ReachesTheOptimumOfTheL2Objective) {
  Matrix x;
  std::vector<int> y;
  clusters(30, 6, 0.8, x, y, 1);
  LogisticRegressionParams params;
  params.C = 0.5;
  LogisticRegression model(params);
  model.fit(x, y, 3);
  Matrix p = model.predict_proba(x);
  nlohmann::json json = model.to_json();
  std::vector<double> coef = json["coef"]["values"].get<std::vector<double>>();
  // Gradient of sum(-log p[y]) + ||W||^2 / (2C): X^T (P - Y) + W / C, and sum(P - Y) for b.
  double worst = 0;
  for (std::size_t c = 0; c < 3; ++c) {
    double intercept_gradient = 0;
    for (std::size_t i = 0; i < x.rows; ++i) intercept_gradient += p(i, c) - (y[i] == static_cast<int>(c));
    worst = std::max(worst, std::fabs(intercept_gradient));
    for (std::size_t j = 0; j < x.cols; ++j) {
      double g = coef[j * 3 + c] / params.C;
      for (std::size_t i = 0; i < x.rows; ++i) g += x(i, j) * (p(i, c) - (y[i] == static_cast<int>(c)));
      worst = std::max(worst, std::fabs(g));
    }
  }
  EXPECT_LT(worst, 1e-4) << "largest gradient entry at the returned weights";
  for (std::size_t i = 0; i < x.rows; ++i) EXPECT_NEAR(p(i, 0) + p(i, 1) + p(i, 2), 1.0, 1e-12);
  EXPECT_GT(classification_metrics(y, argmax_rows(p), p, 3).accuracy, 0.8);
  // Round trip through JSON.
  auto loaded = classifier_from_json(nlohmann::json::parse(json.dump()));
  Matrix q = loaded->predict_proba(x);
  for (std::size_t k = 0; k < p.values.size(); ++k) EXPECT_DOUBLE_EQ(p.values[k], q.values[k]);
}

TEST(LogisticRegression, GivesZeroProbabilityToClassesAbsentFromTraining) {
  Matrix x;
  std::vector<int> y;
  clusters(10, 3, 0.5, x, y, 2);
  for (int& label : y) label = label == 2 ? 3 : label;  // classes 0, 1, 3 of 4
  LogisticRegression model;
  model.fit(x, y, 4);
  Matrix p = model.predict_proba(x);
  ASSERT_EQ(p.cols, 4u);
  for (std::size_t i = 0; i < p.rows; ++i) EXPECT_EQ(p(i, 2), 0.0);
}

TEST(Mlp, LearnsSeparableClustersReproducibly) {
  Matrix x;
  std::vector<int> y;
  clusters(40, 8, 0.4, x, y, 3);
  MlpParams params;
  params.hidden = 16;
  params.epochs = 40;
  params.seed = 11;
  Mlp a(params), b(params);
  a.fit(x, y, 3);
  b.fit(x, y, 3);
  Matrix pa = a.predict_proba(x), pb = b.predict_proba(x);
  EXPECT_GT(classification_metrics(y, argmax_rows(pa), pa, 3).accuracy, 0.95);
  for (std::size_t k = 0; k < pa.values.size(); ++k) EXPECT_DOUBLE_EQ(pa.values[k], pb.values[k]) << "same seed";
  auto loaded = classifier_from_json(nlohmann::json::parse(a.to_json().dump()));
  Matrix pc = loaded->predict_proba(x);
  for (std::size_t k = 0; k < pa.values.size(); ++k) EXPECT_NEAR(pa.values[k], pc.values[k], 1e-6);
}

TEST(NpyReader, ReadsFloat32AndFloat16RowsAndRefusesTruncatedFiles) {
  fs::path dir = fs::fresh_dir("oncolm_downstream_npy");
  auto write = [&](const std::string& name, const std::string& descr, const std::string& data, int rows, int cols) {
    std::string dict = "{'descr': '" + descr + "', 'fortran_order': False, 'shape': (" + std::to_string(rows) + ", " +
                       std::to_string(cols) + "), }";
    while ((10 + dict.size() + 1) % 64 != 0) dict += ' ';
    dict += '\n';
    std::string header = std::string("\x93NUMPY\x01\x00", 8);
    header += static_cast<char>(dict.size() & 0xff);
    header += static_cast<char>(dict.size() >> 8);
    std::ofstream(dir / name, std::ios::binary) << header << dict << data;
    return (dir / name).string();
  };
  float f32[4] = {1.5f, -2.0f, 0.25f, 3.0f};
  std::string path32 = write("a.npy", "<f4", std::string(reinterpret_cast<const char*>(f32), 16), 2, 2);
  NpyReader reader(path32);
  ASSERT_EQ(reader.rows(), 2);
  ASSERT_EQ(reader.cols(), 2);
  float row[2];
  reader.read_row(row);
  EXPECT_EQ(row[0], 1.5f);
  reader.read_row(row);
  EXPECT_EQ(row[1], 3.0f);
  EXPECT_THROW(reader.read_row(row), oncolm::InputError);
  std::uint16_t f16[2] = {0x3c00, 0xc000};  // 1.0, -2.0
  NpyReader half(write("b.npy", "<f2", std::string(reinterpret_cast<const char*>(f16), 4), 1, 2));
  half.read_row(row);
  EXPECT_EQ(row[0], 1.0f);
  EXPECT_EQ(row[1], -2.0f);
  EXPECT_EQ(half_to_float(0x3555), 0.333251953125f);
  EXPECT_THROW(NpyReader(write("c.npy", "<f4", std::string(8, '\0'), 2, 2)), oncolm::InputError);
  EXPECT_THROW(NpyReader((dir / "missing.npy").string()), oncolm::InputError);
  fs::remove_all(dir);
}
