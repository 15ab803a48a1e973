#include "downstream/estimators.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <set>
#include <stdexcept>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

#include <ATen/CPUGeneratorImpl.h>
#include <ATen/core/DistributionsHelper.h>
#include <torch/torch.h>

#include "core/log.h"
#include "downstream/cv.h"
#include "downstream/dense.h"

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
    // The objective and its gradient by hand (dense.h): one pass over x per evaluation and no
    // autograd graph; L-BFGS reads the gradient from W.grad() and b.grad().
    W.mutable_grad() = torch::zeros_like(W);
    b.mutable_grad() = torch::zeros_like(b);
    auto closure = [&]() {
      ++evaluations;
      double loss = multinomial_loss_gradient(x.values.data(), x.rows, x.cols, local.data(), W.data_ptr<double>(),
                                              b.data_ptr<double>(), static_cast<std::size_t>(m), penalty,
                                              W.grad().data_ptr<double>(), b.grad().data_ptr<double>());
      return torch::tensor(loss, torch::kFloat64);
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

namespace {

// torch::optim::Adam's update (L2 weight decay added to the gradient), operation by operation in
// float32. The update of the first layer's weights runs after every minibatch and, left scalar,
// costs as much as the minibatch's GEMMs; the compiler keeps it scalar because sqrt may set errno.
// So it runs 16 (AVX-512) or 4 (SSE2) lanes at a time with the same operations in the same order as
// the scalar tail, and never contracted to FMA: all three paths give the same numbers.
struct AdamScalars {
  float decay, beta1, beta2, one_minus_beta1, one_minus_beta2, root_correction2, eps, step_size;
};

__attribute__((optimize("fp-contract=off"))) void adam_scalar(float* value, const float* grad, float* exp_avg,
                                                                float* exp_avg_sq, std::size_t begin, std::size_t n,
                                                                const AdamScalars& a) {
  for (std::size_t i = begin; i < n; ++i) {
    float g = grad[i] + a.decay * value[i];
    exp_avg[i] = exp_avg[i] * a.beta1 + a.one_minus_beta1 * g;
    exp_avg_sq[i] = exp_avg_sq[i] * a.beta2 + a.one_minus_beta2 * g * g;
    float denom = std::sqrt(exp_avg_sq[i]) / a.root_correction2 + a.eps;
    value[i] += a.step_size * (exp_avg[i] / denom);
  }
}

#if defined(__x86_64__)
// Returns how many leading entries it updated (a multiple of 16).
__attribute__((target("avx512f"), optimize("fp-contract=off"))) std::size_t adam_avx512(
    float* value, const float* grad, float* exp_avg, float* exp_avg_sq, std::size_t n, const AdamScalars& a) {
  std::size_t i = 0;
  for (; i + 16 <= n; i += 16) {
    __m512 p = _mm512_loadu_ps(value + i), g = _mm512_loadu_ps(grad + i) + a.decay * p;
    __m512 m = _mm512_loadu_ps(exp_avg + i) * a.beta1 + a.one_minus_beta1 * g;
    __m512 v = _mm512_loadu_ps(exp_avg_sq + i) * a.beta2 + a.one_minus_beta2 * g * g;
    __m512 denom = _mm512_maskz_sqrt_ps(0xffff, v) / a.root_correction2 + a.eps;  // maskz: no -Wmaybe-uninitialized
    _mm512_storeu_ps(exp_avg + i, m);
    _mm512_storeu_ps(exp_avg_sq + i, v);
    _mm512_storeu_ps(value + i, p + a.step_size * (m / denom));
  }
  return i;
}

// The same on SSE2, which every x86-64 CPU has (a multiple of 4).
__attribute__((optimize("fp-contract=off"))) std::size_t adam_sse2(float* value, const float* grad, float* exp_avg,
                                                                     float* exp_avg_sq, std::size_t n,
                                                                     const AdamScalars& a) {
  std::size_t i = 0;
  for (; i + 4 <= n; i += 4) {
    __m128 p = _mm_loadu_ps(value + i), g = _mm_loadu_ps(grad + i) + a.decay * p;
    __m128 m = _mm_loadu_ps(exp_avg + i) * a.beta1 + a.one_minus_beta1 * g;
    __m128 v = _mm_loadu_ps(exp_avg_sq + i) * a.beta2 + a.one_minus_beta2 * g * g;
    __m128 denom = _mm_sqrt_ps(v) / a.root_correction2 + a.eps;
    _mm_storeu_ps(exp_avg + i, m);
    _mm_storeu_ps(exp_avg_sq + i, v);
    _mm_storeu_ps(value + i, p + a.step_size * (m / denom));
  }
  return i;
}
#endif

void adam_update(float* value, const float* grad, float* exp_avg, float* exp_avg_sq, std::size_t n,
                 const AdamScalars& a) {
  std::size_t done = 0;
#if defined(__x86_64__)
  static const bool avx512 = __builtin_cpu_supports("avx512f");
  done = avx512 ? adam_avx512(value, grad, exp_avg, exp_avg_sq, n, a)
                : adam_sse2(value, grad, exp_avg, exp_avg_sq, n, a);
#endif
  adam_scalar(value, grad, exp_avg, exp_avg_sq, done, n, a);
}

// One parameter tensor of the MLP with its gradient and Adam's moments, in float32 as torch::nn::Linear
// and torch::optim::Adam keep them.
struct AdamParameter {
  std::vector<float> value, grad, exp_avg, exp_avg_sq;

  void assign(const torch::Tensor& initial) {
    torch::Tensor t = initial.contiguous();
    value.assign(t.data_ptr<float>(), t.data_ptr<float>() + t.numel());
    grad.assign(value.size(), 0.0f);
    exp_avg.assign(value.size(), 0.0f);
    exp_avg_sq.assign(value.size(), 0.0f);
  }

  // Adam's defaults (betas 0.9, 0.999, eps 1e-8), the scalars rounded to float as LibTorch does.
  void adam_step(const MlpParams& params, long step) {
    const double beta1 = 0.9, beta2 = 0.999, eps = 1e-8, t = static_cast<double>(step);
    AdamScalars a{static_cast<float>(params.weight_decay),
                  static_cast<float>(beta1),
                  static_cast<float>(beta2),
                  static_cast<float>(1 - beta1),
                  static_cast<float>(1 - beta2),
                  static_cast<float>(std::sqrt(1 - std::pow(beta2, t))),
                  static_cast<float>(eps),
                  static_cast<float>(-params.learning_rate / (1 - std::pow(beta1, t)))};
    adam_update(value.data(), grad.data(), exp_avg.data(), exp_avg_sq.data(), value.size(), a);
  }
};

// torch::nn::Linear(in, out)'s initial weight (out x in) and bias, drawn from `generator` in the
// order and with the bounds of its reset_parameters(): kaiming_uniform_(a = sqrt(5)), then
// uniform(-1/sqrt(in), 1/sqrt(in)). The same seed gives the weights torch::manual_seed would.
void init_linear(long in, long out, at::Generator& generator, AdamParameter& weight, AdamParameter& bias) {
  torch::NoGradGuard guard;
  double gain = std::sqrt(2.0 / (1 + std::pow(std::sqrt(5.0), 2)));
  double bound = std::sqrt(3.0) * (gain / std::sqrt(static_cast<double>(in)));
  weight.assign(torch::empty({out, in}, torch::kFloat32).uniform_(-bound, bound, generator));
  double bias_bound = 1 / std::sqrt(static_cast<double>(in));
  bias.assign(torch::empty({out}, torch::kFloat32).uniform_(-bias_bound, bias_bound, generator));
}

// The MLP's parameters and the scratch of one minibatch (rows x features, rows x hidden, ...).
struct MlpState {
  std::size_t d, h, m;
  AdamParameter w1, b1, w2, b2;
  std::vector<float> xb, hidden, active, mask, logits, d_active;

  MlpState(std::size_t features, std::size_t hidden_units, std::size_t classes, std::size_t batch)
      : d(features), h(hidden_units), m(classes), xb(batch * features), hidden(batch * hidden_units),
        active(batch * hidden_units), mask(batch * hidden_units), logits(batch * classes),
        d_active(batch * hidden_units) {}
};

void add_bias_rows(float* out, const std::vector<float>& bias, std::size_t rows) {
  for (std::size_t r = 0; r < rows; ++r) std::copy(bias.begin(), bias.end(), out + r * bias.size());
}

void column_sums(const float* in, std::size_t rows, std::vector<float>& out) {
  std::fill(out.begin(), out.end(), 0.0f);
  for (std::size_t r = 0; r < rows; ++r)
    for (std::size_t c = 0; c < out.size(); ++c) out[c] += in[r * out.size() + c];
}

// Forward with dropout and backward of the mean cross-entropy for the samples `rows`: the gradients
// land in the parameters' grad. The dropout mask takes one Bernoulli draw per hidden activation in
// row-major order, as Tensor::bernoulli_ on CPU does, so it equals torch::nn::functional::dropout's.
void minibatch_gradients(const std::vector<float>& x, const long* rows, const long* labels, std::size_t bs,
                         double dropout, at::CPUGeneratorImpl* generator, MlpState& s) {
  std::size_t d = s.d, h = s.h, m = s.m;
  for (std::size_t r = 0; r < bs; ++r)
    std::copy_n(x.data() + static_cast<std::size_t>(rows[r]) * d, d, s.xb.data() + r * d);
  add_bias_rows(s.hidden.data(), s.b1.value, bs);
  gemm(false, true, bs, h, d, 1.0f, s.xb.data(), d, s.w1.value.data(), d, 1.0f, s.hidden.data(), h);
  float keep_scale = 1.0f / static_cast<float>(1.0 - dropout);  // as noise.div_(1 - p) in float
  at::bernoulli_distribution<double> keep(1.0 - dropout);
  for (std::size_t i = 0; i < bs * h; ++i) {
    s.mask[i] = dropout > 0 ? static_cast<float>(keep(generator)) * keep_scale : 1.0f;
    s.active[i] = std::max(s.hidden[i], 0.0f) * s.mask[i];
  }
  add_bias_rows(s.logits.data(), s.b2.value, bs);
  gemm(false, true, bs, m, h, 1.0f, s.active.data(), h, s.w2.value.data(), h, 1.0f, s.logits.data(), m);
  // logits -> (softmax - one-hot) / bs, the gradient of the mean cross-entropy.
  for (std::size_t r = 0; r < bs; ++r) {
    float* z = s.logits.data() + r * m;
    float top = *std::max_element(z, z + m), sum = 0;
    for (std::size_t c = 0; c < m; ++c) sum += std::exp(z[c] - top);
    for (std::size_t c = 0; c < m; ++c)
      z[c] = (std::exp(z[c] - top) / sum - (static_cast<long>(c) == labels[r] ? 1.0f : 0.0f)) / static_cast<float>(bs);
  }
  gemm(true, false, m, h, bs, 1.0f, s.logits.data(), m, s.active.data(), h, 0.0f, s.w2.grad.data(), h);
  column_sums(s.logits.data(), bs, s.b2.grad);
  gemm(false, false, bs, h, m, 1.0f, s.logits.data(), m, s.w2.value.data(), h, 0.0f, s.d_active.data(), h);
  for (std::size_t i = 0; i < bs * h; ++i) s.d_active[i] = s.hidden[i] > 0 ? s.d_active[i] * s.mask[i] : 0.0f;
  gemm(true, false, h, d, bs, 1.0f, s.d_active.data(), h, s.xb.data(), d, 0.0f, s.w1.grad.data(), d);
  column_sums(s.d_active.data(), bs, s.b1.grad);
}

Matrix float_matrix(const std::vector<float>& values, std::size_t rows, std::size_t cols) {
  Matrix out(rows, cols);
  std::copy(values.begin(), values.end(), out.values.begin());
  return out;
}

}  // namespace

// The same training as torch::nn::Linear layers + dropout + cross_entropy + torch::optim::Adam with
// torch::manual_seed(seed) (same initial weights, dropout masks and batch order), written out on
// float arrays: a minibatch is a few small GEMMs, where LibTorch spent most of its time dispatching
// ops and recording the autograd graph. Results differ from LibTorch's only by float rounding. Uses
// a generator of its own, so fits on several threads do not share one.
void Mlp::fit(const Matrix& x, const std::vector<int>& y, int n_classes) {
  if (x.rows != y.size() || x.rows == 0) throw std::invalid_argument("MLP: empty or mismatched data");
  n_classes_ = n_classes;
  std::vector<long> local;
  seen_ = seen_classes(y, local);
  std::size_t n = x.rows, batch = static_cast<std::size_t>(std::max(1, params_.batch_size));
  MlpState state(x.cols, static_cast<std::size_t>(params_.hidden), seen_.size(), std::min(batch, n));
  at::Generator generator = at::make_generator<at::CPUGeneratorImpl>(params_.seed);
  init_linear(static_cast<long>(state.d), static_cast<long>(state.h), generator, state.w1, state.b1);
  init_linear(static_cast<long>(state.h), static_cast<long>(state.m), generator, state.w2, state.b2);
  auto* draws = generator.get<at::CPUGeneratorImpl>();
  std::vector<float> xf(x.values.begin(), x.values.end());
  std::vector<long> order(n), labels(batch);
  std::iota(order.begin(), order.end(), 0);
  SplitMix64 rng(params_.seed ^ 0x6d6c70ULL);
  long step = 0;
  for (int epoch = 0; epoch < params_.epochs; ++epoch) {
    for (std::size_t i = n - 1; i >= 1; --i) std::swap(order[i], order[rng.next() % (i + 1)]);
    for (std::size_t start = 0; start < n; start += batch) {
      std::size_t bs = std::min(n, start + batch) - start;
      for (std::size_t r = 0; r < bs; ++r) labels[r] = local[static_cast<std::size_t>(order[start + r])];
      minibatch_gradients(xf, order.data() + start, labels.data(), bs, params_.dropout, draws, state);
      ++step;
      for (AdamParameter* p : {&state.w1, &state.b1, &state.w2, &state.b2}) p->adam_step(params_, step);
    }
  }
  w1_ = float_matrix(state.w1.value, state.h, state.d);
  b1_.assign(state.b1.value.begin(), state.b1.value.end());
  w2_ = float_matrix(state.w2.value, state.m, state.h);
  b2_.assign(state.b2.value.begin(), state.b2.value.end());
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
