// Estimators on plain matrices (scikit-learn's fit / predict_proba): a standard scaler, multinomial
// logistic regression and a one-hidden-layer MLP. LibTorch's L-BFGS and random generator drive the
// fits, hand-written kernels (dense.h) do the arithmetic; this header exposes neither. Every
// estimator saves to and loads from JSON.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "downstream/matrix.h"

namespace oncolm::downstream {

// scikit-learn's StandardScaler: per column, subtract the mean and divide by the population standard
// deviation (1 for a constant column).
struct StandardScaler {
  std::vector<double> mean, scale;
  void fit(const Matrix& x);
  Matrix transform(const Matrix& x) const;
  nlohmann::json to_json() const;
  static StandardScaler from_json(const nlohmann::json& json);
};

class Classifier {
 public:
  virtual ~Classifier() = default;
  // y holds class indices 0..n_classes-1; classes absent from y get probability 0 in predict_proba
  // (as scikit-learn, which only knows the classes it saw).
  virtual void fit(const Matrix& x, const std::vector<int>& y, int n_classes) = 0;
  virtual Matrix predict_proba(const Matrix& x) const = 0;  // rows x n_classes
  virtual nlohmann::json to_json() const = 0;
  virtual std::string name() const = 0;
};

// Multinomial logistic regression, scikit-learn's LogisticRegression(C=C, multi_class="multinomial",
// solver="lbfgs") objective: sum over samples of -log softmax(x W + b)[y] + ||W||^2 / (2C), the
// intercept b not penalised; minimised by L-BFGS (strong Wolfe line search) in float64 until the
// largest gradient entry of the objective divided by n is below `tolerance` or after `max_iter`
// iterations (a warning says so, as scikit-learn's ConvergenceWarning).
struct LogisticRegressionParams {
  double C = 1.0;
  int max_iter = 100;       // L-BFGS iterations (scikit-learn's default)
  double tolerance = 1e-6;  // on the largest gradient entry of the objective / n
};
class LogisticRegression : public Classifier {
 public:
  explicit LogisticRegression(LogisticRegressionParams params = {}) : params_(params) {}
  void fit(const Matrix& x, const std::vector<int>& y, int n_classes) override;
  Matrix predict_proba(const Matrix& x) const override;
  nlohmann::json to_json() const override;
  static std::unique_ptr<LogisticRegression> from_json(const nlohmann::json& json);
  std::string name() const override { return "logreg"; }
  bool converged() const { return converged_; }

 private:
  LogisticRegressionParams params_;
  bool converged_ = true;
  int n_classes_ = 0;
  std::vector<int> seen_;        // the classes the fit saw, in order
  Matrix weights_;               // features x seen classes
  std::vector<double> intercept_;
};

// x -> Linear(hidden) -> ReLU -> Dropout(dropout) -> Linear(classes) -> softmax, trained with Adam
// (learning rate, weight decay) on cross-entropy in minibatches for `epochs` epochs. `seed` fixes
// the initial weights, dropout masks and batch order (LibTorch's generator and a SplitMix64 shuffle).
struct MlpParams {
  int hidden = 64;
  double dropout = 0.2;
  int epochs = 100;
  int batch_size = 64;
  double learning_rate = 1e-3;
  double weight_decay = 1e-4;
  std::uint64_t seed = 0;
};
class Mlp : public Classifier {
 public:
  explicit Mlp(MlpParams params = {}) : params_(params) {}
  void fit(const Matrix& x, const std::vector<int>& y, int n_classes) override;
  Matrix predict_proba(const Matrix& x) const override;
  nlohmann::json to_json() const override;
  static std::unique_ptr<Mlp> from_json(const nlohmann::json& json);
  std::string name() const override { return "mlp"; }

 private:
  MlpParams params_;
  int n_classes_ = 0;
  std::vector<int> seen_;
  Matrix w1_, w2_;  // hidden x features, seen classes x hidden (torch's Linear layout)
  std::vector<double> b1_, b2_;
};

std::unique_ptr<Classifier> classifier_from_json(const nlohmann::json& json);

// Threads for LibTorch's intra-op pool (the CLI's --threads).
void set_estimator_threads(int threads);

}  // namespace oncolm::downstream
