#include "downstream/estimators.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <set>
#include <stdexcept>

#include <torch/torch.h>

#include "core/log.h"
#include "core/threads.h"
#include "downstream/cv.h"

namespace oncolm::downstream {
namespace {

torch::Tensor to_tensor(const Matrix& x, torch::Dtype dtype) {
  auto options = torch::TensorOptions().dtype(torch::kFloat64);
  torch::Tensor t = torch::from_blob(const_cast<double*>(x.values.data()),
                                     {static_cast<long>(x.rows), static_cast<long>(x.cols)}, options);
  return t.to(dtype).clone();
}

Matrix to_matrix(const torch::Tensor& tensor) {
  torch::Tensor t = tensor.to(torch::kFloat64).contiguous();
  Matrix m(static_cast<std::size_t>(t.size(0)), static_cast<std::size_t>(t.size(1)));
  std::copy(t.data_ptr<double>(), t.data_ptr<double>() + t.numel(), m.values.begin());
  return m;
}

std::vector<double> to_vector(const torch::Tensor& tensor) {
  torch::Tensor t = tensor.to(torch::kFloat64).contiguous();
  return std::vector<double>(t.data_ptr<double>(), t.data_ptr<double>() + t.numel());
}

torch::Tensor vector_tensor(const std::vector<double>& v, torch::Dtype dtype) {
  return torch::tensor(v, torch::TensorOptions().dtype(torch::kFloat64)).to(dtype);
}

// The classes present in y, and y as indices into them.
std::vector<int> seen_classes(const std::vector<int>& y, std::vector<long>& local) {
  std::set<int> present(y.begin(), y.end());
  std::vector<int> seen(present.begin(), present.end());
  local.resize(y.size());
  for (std::size_t i = 0; i < y.size(); ++i)
    local[i] = static_cast<long>(std::lower_bound(seen.begin(), seen.end(), y[i]) - seen.begin());
  return seen;
}

// Columns for the seen classes spread into n_classes columns (zeros for the others).
Matrix spread_columns(const Matrix& seen_proba, const std::vector<int>& seen, int n_classes) {
  Matrix out(seen_proba.rows, static_cast<std::size_t>(n_classes));
  for (std::size_t r = 0; r < seen_proba.rows; ++r)
    for (std::size_t j = 0; j < seen.size(); ++j) out(r, static_cast<std::size_t>(seen[j])) = seen_proba(r, j);
  return out;
}

nlohmann::json matrix_json(const Matrix& m) {
  return {{"rows", m.rows}, {"cols", m.cols}, {"values", m.values}};
}
Matrix matrix_from_json(const nlohmann::json& j) {
  Matrix m(j.at("rows").get<std::size_t>(), j.at("cols").get<std::size_t>());
  m.values = j.at("values").get<std::vector<double>>();
  if (m.values.size() != m.rows * m.cols) throw std::invalid_argument("model JSON: matrix size mismatch");
  return m;
}

}  // namespace

void set_estimator_threads(int threads) { torch::set_num_threads(std::max(1, threads)); }

void StandardScaler::fit(const Matrix& x) {
  mean.assign(x.cols, 0.0);
  scale.assign(x.cols, 1.0);
  if (x.rows == 0) return;
  for (std::size_t r = 0; r < x.rows; ++r)
    for (std::size_t c = 0; c < x.cols; ++c) mean[c] += x(r, c);
  for (double& m : mean) m /= static_cast<double>(x.rows);
  std::vector<double> var(x.cols, 0.0);
  for (std::size_t r = 0; r < x.rows; ++r)
    for (std::size_t c = 0; c < x.cols; ++c) var[c] += (x(r, c) - mean[c]) * (x(r, c) - mean[c]);
  // scikit-learn's rule for a constant column (scale 1): var <= n eps var + (n mean eps)^2.
  double eps = std::numeric_limits<double>::epsilon(), n = static_cast<double>(x.rows);
  for (std::size_t c = 0; c < x.cols; ++c) {
    double v = var[c] / n;
    double bound = n * eps * v + (n * mean[c] * eps) * (n * mean[c] * eps);
    scale[c] = v <= bound ? 1.0 : std::sqrt(v);
  }
}

Matrix StandardScaler::transform(const Matrix& x) const {
  if (x.cols != mean.size()) throw std::invalid_argument("scaler: column count differs from the fit");
  Matrix out(x.rows, x.cols);
  for (std::size_t r = 0; r < x.rows; ++r)
    for (std::size_t c = 0; c < x.cols; ++c) out(r, c) = (x(r, c) - mean[c]) / scale[c];
  return out;
}

nlohmann::json StandardScaler::to_json() const { return {{"mean", mean}, {"scale", scale}}; }

StandardScaler StandardScaler::from_json(const nlohmann::json& json) {
  StandardScaler s;
  s.mean = json.at("mean").get<std::vector<double>>();
  s.scale = json.at("scale").get<std::vector<double>>();
  if (s.mean.size() != s.scale.size()) throw std::invalid_argument("scaler JSON: mean and scale differ in length");
  return s;
}

// ---- logistic regression ----

void LogisticRegression::fit(const Matrix& x, const std::vector<int>& y, int n_classes) {
  if (x.rows != y.size() || x.rows == 0) throw std::invalid_argument("logistic regression: empty or mismatched data");
  n_classes_ = n_classes;
  std::vector<long> local;
  seen_ = seen_classes(y, local);
  long m = static_cast<long>(seen_.size()), d = static_cast<long>(x.cols);
  double n = static_cast<double>(x.rows);
  torch::Tensor X = to_tensor(x, torch::kFloat64);
  torch::Tensor Y = torch::tensor(local, torch::kLong);
  torch::Tensor W = torch::zeros({d, m}, torch::kFloat64).requires_grad_(true);
  torch::Tensor b = torch::zeros({m}, torch::kFloat64).requires_grad_(true);
  if (m > 1) {
    auto options = torch::optim::LBFGSOptions(1.0)
                       .max_iter(params_.max_iter)
                       .max_eval(params_.max_iter * 5 / 4)
                       .tolerance_grad(params_.tolerance)
                       .tolerance_change(1e-15)
                       .history_size(20)
                       .line_search_fn("strong_wolfe");
    torch::optim::LBFGS optimizer({W, b}, options);
    double penalty = 1.0 / (2.0 * params_.C * n);
    int evaluations = 0;
    auto closure = [&]() {
      ++evaluations;
      optimizer.zero_grad();
      torch::Tensor loss =
          torch::nn::functional::cross_entropy(
              X.mm(W) + b, Y, torch::nn::functional::CrossEntropyFuncOptions().reduction(torch::kSum)) /
              n +
          penalty * (W * W).sum();
      loss.backward();
      return loss;
    };
    // One step runs up to max_iter iterations; a line search that stalls early gets one restart.
    optimizer.step(closure);
    auto worst_gradient = [&]() {
      closure();
      return std::max(W.grad().abs().max().item<double>(), b.grad().abs().max().item<double>());
    };
    double worst = worst_gradient();
    if (worst > params_.tolerance && evaluations < params_.max_iter / 2) {
      optimizer.step(closure);
      worst = worst_gradient();
    }
    converged_ = worst <= params_.tolerance;
    if (!converged_)
      log(Level::warning,
          "logistic regression: L-BFGS stopped after {} evaluations with the largest gradient entry {:.2e} above "
          "the tolerance {:.0e} (as scikit-learn's ConvergenceWarning); raise --max-iter to reach the optimum",
          evaluations, worst, params_.tolerance);
  }
  weights_ = to_matrix(W.detach());
  intercept_ = to_vector(b.detach());
}

Matrix LogisticRegression::predict_proba(const Matrix& x) const {
  if (x.cols != weights_.rows) throw std::invalid_argument("logistic regression: feature count differs from the fit");
  torch::NoGradGuard guard;
  torch::Tensor logits = to_tensor(x, torch::kFloat64).mm(to_tensor(weights_, torch::kFloat64)) +
                         vector_tensor(intercept_, torch::kFloat64);
  return spread_columns(to_matrix(torch::softmax(logits, 1)), seen_, n_classes_);
}

nlohmann::json LogisticRegression::to_json() const {
  return {{"type", "logreg"},
          {"C", params_.C},
          {"max_iter", params_.max_iter},
          {"tolerance", params_.tolerance},
          {"n_classes", n_classes_},
          {"seen_classes", seen_},
          {"coef", matrix_json(weights_)},
          {"intercept", intercept_}};
}

std::unique_ptr<LogisticRegression> LogisticRegression::from_json(const nlohmann::json& json) {
  LogisticRegressionParams params;
  params.C = json.at("C").get<double>();
  params.max_iter = json.value("max_iter", 100);
  params.tolerance = json.value("tolerance", 1e-6);
  auto model = std::make_unique<LogisticRegression>(params);
  model->n_classes_ = json.at("n_classes").get<int>();
  model->seen_ = json.at("seen_classes").get<std::vector<int>>();
  model->weights_ = matrix_from_json(json.at("coef"));
  model->intercept_ = json.at("intercept").get<std::vector<double>>();
  if (model->weights_.cols != model->seen_.size() || model->intercept_.size() != model->seen_.size())
    throw std::invalid_argument("model JSON: logistic regression shapes disagree");
  return model;
}

// ---- MLP ----

void Mlp::fit(const Matrix& x, const std::vector<int>& y, int n_classes) {
  if (x.rows != y.size() || x.rows == 0) throw std::invalid_argument("MLP: empty or mismatched data");
  n_classes_ = n_classes;
  std::vector<long> local;
  seen_ = seen_classes(y, local);
  long m = static_cast<long>(seen_.size()), d = static_cast<long>(x.cols), h = params_.hidden;
  // Minibatches are small: thread hand-offs would cost more than they save, so train on one thread.
  int threads = torch::get_num_threads();
  torch::set_num_threads(1);
  set_blas_threads(1);
  torch::manual_seed(params_.seed);
  torch::nn::Linear l1(d, h), l2(h, m);
  std::vector<torch::Tensor> parameters = l1->parameters();
  for (const auto& p : l2->parameters()) parameters.push_back(p);
  torch::optim::Adam optimizer(parameters,
                               torch::optim::AdamOptions(params_.learning_rate).weight_decay(params_.weight_decay));
  torch::Tensor X = to_tensor(x, torch::kFloat32);
  torch::Tensor Y = torch::tensor(local, torch::kLong);
  std::size_t n = x.rows, batch = static_cast<std::size_t>(std::max(1, params_.batch_size));
  std::vector<long> order(n);
  std::iota(order.begin(), order.end(), 0);
  SplitMix64 rng(params_.seed ^ 0x6d6c70ULL);
  for (int epoch = 0; epoch < params_.epochs; ++epoch) {
    for (std::size_t i = n - 1; i >= 1; --i) std::swap(order[i], order[rng.next() % (i + 1)]);
    for (std::size_t start = 0; start < n; start += batch) {
      std::size_t end = std::min(n, start + batch);
      torch::Tensor index = torch::tensor(std::vector<long>(order.begin() + static_cast<long>(start),
                                                            order.begin() + static_cast<long>(end)),
                                          torch::kLong);
      optimizer.zero_grad();
      torch::Tensor hidden = torch::relu(l1->forward(X.index_select(0, index)));
      hidden = torch::nn::functional::dropout(
          hidden, torch::nn::functional::DropoutFuncOptions().p(params_.dropout).training(true));
      torch::Tensor loss = torch::nn::functional::cross_entropy(l2->forward(hidden), Y.index_select(0, index));
      loss.backward();
      optimizer.step();
    }
  }
  torch::set_num_threads(threads);
  set_blas_threads(threads);
  w1_ = to_matrix(l1->weight.detach());
  b1_ = to_vector(l1->bias.detach());
  w2_ = to_matrix(l2->weight.detach());
  b2_ = to_vector(l2->bias.detach());
}

Matrix Mlp::predict_proba(const Matrix& x) const {
  if (x.cols != w1_.cols) throw std::invalid_argument("MLP: feature count differs from the fit");
  torch::NoGradGuard guard;
  torch::Tensor X = to_tensor(x, torch::kFloat32);
  torch::Tensor hidden = torch::relu(X.mm(to_tensor(w1_, torch::kFloat32).t()) + vector_tensor(b1_, torch::kFloat32));
  torch::Tensor logits = hidden.mm(to_tensor(w2_, torch::kFloat32).t()) + vector_tensor(b2_, torch::kFloat32);
  return spread_columns(to_matrix(torch::softmax(logits.to(torch::kFloat64), 1)), seen_, n_classes_);
}

nlohmann::json Mlp::to_json() const {
  return {{"type", "mlp"},
          {"hidden", params_.hidden},
          {"dropout", params_.dropout},
          {"epochs", params_.epochs},
          {"batch_size", params_.batch_size},
          {"learning_rate", params_.learning_rate},
          {"weight_decay", params_.weight_decay},
          {"seed", params_.seed},
          {"n_classes", n_classes_},
          {"seen_classes", seen_},
          {"w1", matrix_json(w1_)},
          {"b1", b1_},
          {"w2", matrix_json(w2_)},
          {"b2", b2_}};
}

std::unique_ptr<Mlp> Mlp::from_json(const nlohmann::json& json) {
  MlpParams params;
  params.hidden = json.at("hidden").get<int>();
  params.dropout = json.at("dropout").get<double>();
  params.epochs = json.at("epochs").get<int>();
  params.batch_size = json.at("batch_size").get<int>();
  params.learning_rate = json.at("learning_rate").get<double>();
  params.weight_decay = json.at("weight_decay").get<double>();
  params.seed = json.at("seed").get<std::uint64_t>();
  auto model = std::make_unique<Mlp>(params);
  model->n_classes_ = json.at("n_classes").get<int>();
  model->seen_ = json.at("seen_classes").get<std::vector<int>>();
  model->w1_ = matrix_from_json(json.at("w1"));
  model->b1_ = json.at("b1").get<std::vector<double>>();
  model->w2_ = matrix_from_json(json.at("w2"));
  model->b2_ = json.at("b2").get<std::vector<double>>();
  if (model->w2_.cols != model->w1_.rows || model->w2_.rows != model->seen_.size())
    throw std::invalid_argument("model JSON: MLP shapes disagree");
  return model;
}

std::unique_ptr<Classifier> classifier_from_json(const nlohmann::json& json) {
  std::string type = json.at("type").get<std::string>();
  if (type == "logreg") return LogisticRegression::from_json(json);
  if (type == "mlp") return Mlp::from_json(json);
  throw std::invalid_argument("model JSON: unknown classifier type '" + type + "'");
}

}  // namespace oncolm::downstream
