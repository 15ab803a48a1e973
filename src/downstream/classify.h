// `oncolm classify cv | fit | predict`: tumour type from a sample's somatic variants. Features
// (features.h) from an `oncolm windows` directory (and an `oncolm embed` directory), estimators
// (estimators.h), a donor-grouped stratified splitter (cv.h) and metrics (metrics.h) put together
// into the three commands. Every output is written atomically.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "downstream/estimators.h"
#include "downstream/features.h"

namespace oncolm::downstream {

struct ClassifyInputs {
  std::string windows_dir;
  std::string embeddings_dir;  // empty: none
  std::string reference;       // FASTA (with .fai) or .fai for the density bins; empty: stats.json's
  std::int64_t bin_size = 1000000;
  std::vector<FeatureSet> sets = {FeatureSet::signature, FeatureSet::density};
  int threads = 1;
};

struct TrainingOptions {
  ClassifyInputs inputs;
  std::string label;        // a label column of the windows manifest
  std::string out_dir;
  int min_class_size = 5;   // classes with fewer labelled samples are dropped (and listed)
  std::vector<std::string> classifiers = {"logreg", "mlp"};  // cv: any of them; fit: exactly one
  LogisticRegressionParams logreg;
  MlpParams mlp;
  std::string command_line;
};

struct CvOptions : TrainingOptions {
  int folds = 5;
  std::uint64_t seed = 0;
  bool shuffle = true;  // false: donors in sorted order (scikit-learn's shuffle=False)
};

struct PredictOptions {
  ClassifyInputs inputs;  // sets come from the model
  std::string model_dir;
  std::string out_dir;
  std::string command_line;
};

// Each returns the short text summary printed on stdout.
// cv: OUT/metrics.json, predictions.tsv, features.tsv, classify.json.
std::string run_classify_cv(const CvOptions& options);
// fit: OUT/model.json (classes, feature sets and names, density bins, embedding model, scaler,
// classifier), features.tsv, classify.json.
std::string run_classify_fit(const TrainingOptions& options);
// predict: OUT/predictions.tsv, features.tsv, classify.json, and metrics.json when the windows
// manifest has the model's label column.
std::string run_classify_predict(const PredictOptions& options);

inline constexpr const char* model_file = "model.json";
inline constexpr const char* model_format = "oncolm-classifier";

}  // namespace oncolm::downstream
