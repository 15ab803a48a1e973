#include "downstream/classify.h"

#include <algorithm>
#include <cstdio>
#include <chrono>
#include <cmath>
#include <functional>
#include <initializer_list>
#include <map>
#include <numeric>
#include <set>
#include <sstream>
#include <stdexcept>
#include <utility>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "core/atomic_file.h"
#include "core/error.h"
#include "core/file_contract.h"
#include "core/json_file.h"
#include "core/log.h"
#include "core/paths.h"
#include "core/sha256.h"
#include "core/threads.h"
#include "core/version.h"
#include "downstream/cv.h"
#include "downstream/metrics.h"

namespace oncolm::downstream {
namespace {

struct Loaded {
  Cohort cohort;
  FeatureOptions feature_options;
  FeatureTable table;
};

bool has_set(const std::vector<FeatureSet>& sets, FeatureSet set) {
  return std::find(sets.begin(), sets.end(), set) != sets.end();
}

// The density bins come from the reference's .fai: one of another assembly or contig set than the
// windows were made from would bin the variants against the wrong contig lengths.
void check_same_index(const Cohort& cohort, const std::string& reference) {
  const std::string recorded =
      cohort.provenance.is_object() ? cohort.provenance.value("reference_fai_sha256", "") : "";
  if (recorded.empty()) return;  // windows of a version that did not record it
  const bool is_index = reference.size() > 4 && reference.compare(reference.size() - 4, 4, ".fai") == 0;
  const std::string fai = is_index ? reference : reference + ".fai";
  if (!path_exists(fai)) return;  // read_contig_bins names the missing file
  if (sha256_file_hex(fai) != recorded)
    throw input_error(fai, 0, "differs from the index of the reference the windows were made from ({} records its "
                      "sha256 {}): another assembly or contig set",
                      path_join(cohort.dir, std::string(contract::cohort_stats_file)), recorded);
}

Loaded load(const ClassifyInputs& inputs, const ContigBins* model_bins, Cohort cohort) {
  Loaded loaded;
  loaded.cohort = std::move(cohort);
  loaded.feature_options.sets = inputs.sets;
  loaded.feature_options.threads = inputs.threads;
  if (has_set(inputs.sets, FeatureSet::density)) {
    if (model_bins != nullptr) {
      const std::string windows_fai =
          loaded.cohort.provenance.is_object() ? loaded.cohort.provenance.value("reference_fai_sha256", "") : "";
      if (!model_bins->fai_sha256.empty() && !windows_fai.empty() && model_bins->fai_sha256 != windows_fai)
        throw input_error(path_join(loaded.cohort.dir, std::string(contract::cohort_stats_file)), 0,
                          "these windows were made on a reference whose index (sha256 {}) differs from the one the "
                          "classifier's density bins came from ({}, sha256 {}): another assembly or contig set",
                          windows_fai, model_bins->source, model_bins->fai_sha256);
      loaded.feature_options.bins = *model_bins;
    } else {
      std::string reference = find_reference(loaded.cohort, inputs.reference);
      check_same_index(loaded.cohort, reference);
      loaded.feature_options.bins = read_contig_bins(reference, inputs.bin_size);
    }
  }
  if (has_set(inputs.sets, FeatureSet::embedding)) {
    if (inputs.embeddings_dir.empty())
      throw std::invalid_argument("the embedding feature set needs --embeddings (an `oncolm embed` output directory)");
    loaded.feature_options.embeddings = open_embeddings(inputs.embeddings_dir);
  }
  log(Level::info, "reading features ({}) of {} samples from {}", [&] {
        std::string names;
        for (auto set : inputs.sets) names += (names.empty() ? "" : ",") + feature_set_name(set);
        return names;
      }(), loaded.cohort.samples.size(), inputs.windows_dir);
  loaded.table = extract_features(loaded.cohort, loaded.feature_options);
  const SignatureLeftOut& left_out = loaded.table.left_out;
  if (has_set(inputs.sets, FeatureSet::signature) && left_out.total() > 0)
    log(Level::warning, "signature features: {} SNV(s) without a trinucleotide context (an N beside them or at a "
        "window edge), {} MNV(s) and {} indel(s) without a class are left out of the class proportions (they count "
        "in log_count:*; classify.json: signature_left_out)", left_out.snvs, left_out.mnvs, left_out.indels);
  return loaded;
}

std::string number(double x) { return fmt::format("{:.10g}", x); }

// The files a run writes last go first: a run that stops part way must not leave an earlier
// run's provenance (or model) describing its new files.
void remove_earlier(const std::string& out_dir, std::initializer_list<const char*> names) {
  for (const char* name : names) std::remove(path_join(out_dir, name).c_str());
}

void write_features(const std::string& path, const FeatureTable& table) {
  std::string text = "sample_id";
  for (const auto& name : table.names) text += "\t" + name;
  text += "\n";
  for (std::size_t r = 0; r < table.values.rows; ++r) {
    text += table.sample_ids[r];
    for (std::size_t c = 0; c < table.values.cols; ++c) text += "\t" + number(table.values(r, c));
    text += "\n";
  }
  write_file_atomically(path, text);
}

bool unlabelled(const std::string& value) { return contract::is_missing_label(value); }

// The samples usable for training: labelled, in a class with at least min_class_size samples.
struct Labelled {
  std::vector<std::size_t> rows;  // indices into the cohort / feature table
  std::vector<int> y;
  std::vector<std::string> classes;  // sorted
  std::map<std::string, int> dropped_classes;
  std::vector<std::string> unlabelled_samples;
};

Labelled select_labelled(const Cohort& cohort, const std::string& label, int min_class_size) {
  if (std::find(cohort.label_columns.begin(), cohort.label_columns.end(), label) == cohort.label_columns.end()) {
    std::string available;
    for (const auto& c : cohort.label_columns) available += (available.empty() ? "" : ", ") + c;
    throw input_error(cohort.manifest, 1, "no label column '{}' (label columns: {})", label,
                      available.empty() ? "none" : available);
  }
  std::map<std::string, int> counts;
  Labelled out;
  for (const auto& sample : cohort.samples) {
    const std::string& value = sample.labels.at(label);
    if (unlabelled(value)) out.unlabelled_samples.push_back(sample.sample_id);
    else counts[value] += 1;
  }
  for (const auto& [name, count] : counts)
    if (count >= min_class_size) out.classes.push_back(name);
    else out.dropped_classes[name] = count;
  if (out.classes.size() < 2) {
    std::string all;
    for (const auto& [name, count] : counts) all += fmt::format("{}{} {}", all.empty() ? "" : ", ", name, count);
    throw input_error(cohort.manifest, 0,
                      "label column '{}' has {} class(es) with at least --min-class-size {} samples; a classifier "
                      "needs two or more (samples per class: {})",
                      label, out.classes.size(), min_class_size, all.empty() ? "no labelled samples" : all);
  }
  for (std::size_t i = 0; i < cohort.samples.size(); ++i) {
    const std::string& value = cohort.samples[i].labels.at(label);
    auto it = std::lower_bound(out.classes.begin(), out.classes.end(), value);
    if (unlabelled(value) || it == out.classes.end() || *it != value) continue;
    out.rows.push_back(i);
    out.y.push_back(static_cast<int>(it - out.classes.begin()));
  }
  return out;
}

std::unique_ptr<Classifier> make_classifier(const std::string& name, const TrainingOptions& options, int fold) {
  if (name == "logreg") return std::make_unique<LogisticRegression>(options.logreg);
  if (name == "mlp") {
    MlpParams params = options.mlp;
    params.seed += static_cast<std::uint64_t>(fold);
    return std::make_unique<Mlp>(params);
  }
  throw std::invalid_argument("unknown classifier '" + name + "' (logreg, mlp)");
}

std::string sets_name(const std::vector<FeatureSet>& sets) {
  std::string name;
  for (auto set : sets) name += (name.empty() ? "" : "+") + feature_set_name(set);
  return name;
}

nlohmann::json base_provenance(const std::string& command, const std::string& command_line) {
  return {{"command", command},
          {"oncolm_version", version_string()},
          {"git_hash", git_hash()},
          {"command_line", command_line}};
}

// What made a set of embeddings: a classifier fitted on one kind must be given the same kind.
nlohmann::json embedding_json(const EmbeddingSource& e) {
  return {{"model_sha256", e.model_sha256}, {"model_dir", e.model_dir},       {"layer", e.layer},
          {"pooling", e.pooling},           {"max_tokens", e.max_tokens},     {"truncation_policy", e.truncation_policy},
          {"hidden", e.hidden}};
}

// Refuses embeddings made differently from those the classifier at `model_path` was fitted on,
// naming every setting that differs (a key the classifier did not record is not compared).
void check_embeddings_match(const EmbeddingSource& source, const nlohmann::json& fitted, const std::string& model_path) {
  const nlohmann::json given = embedding_json(source);
  std::vector<std::string> differences;
  for (const char* key : {"model_sha256", "layer", "pooling", "max_tokens", "truncation_policy"})
    if (fitted.contains(key) && fitted.at(key) != given.at(key))
      differences.push_back(fmt::format("{} {} (fitted on {})", key, given.at(key).dump(), fitted.at(key).dump()));
  if (!differences.empty())
    throw input_error(path_join(source.dir, "embed.json"), 0,
                      "embeddings made differently from those the classifier {} was fitted on: {}; embed the windows "
                      "with the same model and options",
                      model_path, fmt::join(differences, "; "));
}

nlohmann::json inputs_json(const ClassifyInputs& inputs, const Loaded& loaded) {
  nlohmann::json json = {{"windows_dir", absolute_path(inputs.windows_dir)},
                         {"manifest", absolute_path(loaded.cohort.manifest)},
                         {"samples", loaded.cohort.samples.size()}};
  std::vector<std::string> sets;
  for (auto set : inputs.sets) sets.push_back(feature_set_name(set));
  json["feature_sets"] = sets;
  if (has_set(inputs.sets, FeatureSet::signature)) {
    const SignatureLeftOut& left_out = loaded.table.left_out;
    json["signature_left_out"] = {{"snv_without_context", left_out.snvs}, {"mnv_without_class", left_out.mnvs},
                                  {"indel_without_class", left_out.indels}};
  }
  if (has_set(inputs.sets, FeatureSet::density)) json["density_bins"] = loaded.feature_options.bins.to_json();
  if (loaded.feature_options.embeddings) {
    const auto& e = *loaded.feature_options.embeddings;
    json["embeddings"] = embedding_json(e);
    json["embeddings"]["dir"] = absolute_path(e.dir);
  }
  return json;
}

std::string prediction_header(const std::vector<std::string>& classes, bool with_training_columns) {
  std::string header = with_training_columns ? "sample_id\tdonor_id\tfeature_set\tmodel\tfold\ttrue\tpredicted"
                                             : "sample_id\tdonor_id\ttrue\tpredicted";
  for (const auto& c : classes) header += "\tprob_" + c;
  return header + "\n";
}

std::string probabilities(const Matrix& proba, std::size_t row) {
  std::string text;
  for (std::size_t c = 0; c < proba.cols; ++c) text += fmt::format("\t{:.6f}", proba(row, c));
  return text;
}

void check_training_inputs(const TrainingOptions& options) {
  if (options.label.empty()) throw std::invalid_argument("--label is required");
  if (options.min_class_size < 1) throw std::invalid_argument("--min-class-size must be at least 1");
  // Written so that NaN fails every check (NaN compares false).
  if (!(options.logreg.C > 0 && std::isfinite(options.logreg.C)))
    throw std::invalid_argument(fmt::format("--C must be a positive number, got {}", options.logreg.C));
  if (options.logreg.max_iter < 1) throw std::invalid_argument("--max-iter must be at least 1");
  if (options.mlp.hidden < 1 || options.mlp.epochs < 1 || options.mlp.batch_size < 1)
    throw std::invalid_argument("--hidden, --epochs and --batch-size must be at least 1");
  if (!(options.mlp.dropout >= 0 && options.mlp.dropout < 1))
    throw std::invalid_argument("--dropout must be in [0, 1)");
  if (!(options.mlp.learning_rate > 0 && std::isfinite(options.mlp.learning_rate)))
    throw std::invalid_argument(fmt::format("--lr must be a positive number, got {}", options.mlp.learning_rate));
  if (!(options.mlp.weight_decay >= 0 && std::isfinite(options.mlp.weight_decay)))
    throw std::invalid_argument(
        fmt::format("--weight-decay must be a number >= 0, got {}", options.mlp.weight_decay));
}

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// The training and test rows (and training labels) of each cross-validation fold.
struct FoldSplit {
  std::vector<std::vector<std::size_t>> train, test;
  std::vector<std::vector<int>> y_train;
  FoldSplit(const std::vector<int>& y, const std::vector<int>& fold, int folds)
      : train(static_cast<std::size_t>(folds)), test(train.size()), y_train(train.size()) {
    for (std::size_t f = 0; f < train.size(); ++f)
      for (std::size_t i = 0; i < y.size(); ++i) {
        if (static_cast<std::size_t>(fold[i]) == f) {
          test[f].push_back(i);
        } else {
          train[f].push_back(i);
          y_train[f].push_back(y[i]);
        }
      }
  }
};

// One fit of the cross-validation: a feature combination, a classifier and the fold held out.
struct FoldTask {
  std::size_t combination, model;
  int fold;
  double cost;  // relative amount of arithmetic, so that the largest fits start first
};
struct FoldResult {
  Matrix proba;  // the held-out rows x classes
  double seconds = 0;
};

// Multiply-adds per training sample, up to a common factor: an MLP epoch costs features x hidden, a
// logistic-regression evaluation features x classes.
double fit_cost(const TrainingOptions& options, const std::string& model, std::size_t features, int classes) {
  double per_feature = model == "mlp" ? static_cast<double>(options.mlp.hidden) * options.mlp.epochs
                                      : static_cast<double>(classes) * options.logreg.max_iter;
  return static_cast<double>(features) * per_feature;
}

// A fit that diverged (a learning rate far too large) leaves NaN or inf probabilities, which argmax
// would read as class 0 and the metrics as real predictions.
Matrix finite_probabilities(Matrix proba, const std::string& model_name, const std::string& where) {
  for (double p : proba.values)
    if (!std::isfinite(p))
      throw std::runtime_error(fmt::format("the {} classifier ({}) gave probabilities that are not finite numbers: "
                                           "its fit diverged (try a smaller --lr)", model_name, where));
  return proba;
}

// Standardise on the training rows, fit, predict the held-out rows.
FoldResult fit_fold(const Matrix& x, const FoldSplit& split, int fold, const std::string& model_name,
                    const TrainingOptions& options, int k) {
  auto started = std::chrono::steady_clock::now();
  std::size_t f = static_cast<std::size_t>(fold);
  StandardScaler scaler;
  Matrix x_train = take_rows(x, split.train[f]);
  scaler.fit(x_train);
  auto model = make_classifier(model_name, options, fold);
  model->fit(scaler.transform(x_train), split.y_train[f], k);
  FoldResult result;
  result.proba = finite_probabilities(model->predict_proba(scaler.transform(take_rows(x, split.test[f]))), model_name,
                                      fmt::format("fold {}", fold + 1));
  result.seconds = seconds_since(started);
  return result;
}

// Runs run(t) for every task on `threads` threads (this one included), the costliest first. Each fit
// keeps to its thread (LibTorch and BLAS pinned to one), so a fit computes the same numbers whatever
// the thread count. The first failure in cost order is rethrown once all have stopped.
void run_tasks(const std::vector<FoldTask>& tasks, int threads, const std::function<void(std::size_t)>& run) {
  std::vector<std::size_t> order(tasks.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t a, std::size_t b) { return tasks[a].cost > tasks[b].cost; });
  set_estimator_threads(1);
  set_blas_threads(1);
  try {
    parallel_for_each(order.size(), threads, [&](std::size_t i) { run(order[i]); });
  } catch (...) {
    set_blas_threads(std::max(1, threads));
    throw;
  }
  set_blas_threads(std::max(1, threads));
}

}  // namespace

std::string run_classify_cv(const CvOptions& options) {
  check_training_inputs(options);
  if (options.classifiers.empty()) throw std::invalid_argument("--classifier names no classifier (logreg, mlp)");
  if (options.folds < 2) throw std::invalid_argument(fmt::format("--folds must be at least 2, got {}", options.folds));
  for (const auto& name : options.classifiers) make_classifier(name, options, 0);
  set_estimator_threads(options.inputs.threads);
  Cohort cohort = read_cohort(options.inputs.windows_dir);
  Labelled labelled = select_labelled(cohort, options.label, options.min_class_size);
  std::size_t n = labelled.rows.size();
  std::vector<std::string> donors;
  for (auto row : labelled.rows) donors.push_back(cohort.samples[row].donor_id);
  std::size_t n_donors = std::set<std::string>(donors.begin(), donors.end()).size();
  if (n < static_cast<std::size_t>(options.folds) || n_donors < static_cast<std::size_t>(options.folds))
    throw input_error(cohort.manifest, 0,
                      "{} labelled samples from {} donors in the kept classes: fewer than --folds {} (each fold needs "
                      "a donor of its own)",
                      n, n_donors, options.folds);
  int k = static_cast<int>(labelled.classes.size());
  // Folds keep a donor's samples together: a class all of whose samples are one donor's is never in
  // the training side when it is tested, so it cannot be predicted (scikit-learn's
  // StratifiedGroupKFold warns likewise).
  std::map<int, std::set<std::string>> class_donors;
  for (std::size_t i = 0; i < n; ++i) class_donors[labelled.y[i]].insert(donors[i]);
  std::vector<std::string> single_donor_classes;
  for (const auto& [c, members] : class_donors)
    if (members.size() < 2) single_donor_classes.push_back(labelled.classes[static_cast<std::size_t>(c)]);
  if (!single_donor_classes.empty())
    log(Level::warning,
        "class(es) with samples of one donor only, never in the training folds when tested (so never predicted "
        "right): {}; raise --min-class-size or relabel",
        fmt::join(single_donor_classes, ", "));
  std::vector<int> fold = stratified_group_kfold(labelled.y, donors, k, options.folds, options.shuffle, options.seed);
  for (int f = 0; f < options.folds; ++f)
    if (std::find(fold.begin(), fold.end(), f) == fold.end())
      throw input_error(cohort.manifest, 0, "fold {} got no samples", f);
  auto load_started = std::chrono::steady_clock::now();
  Loaded loaded = load(options.inputs, nullptr, std::move(cohort));
  log(Level::info, "features read in {:.1f} s", seconds_since(load_started));

  Matrix x_all = take_rows(loaded.table.values, labelled.rows);
  std::vector<std::vector<FeatureSet>> combinations;
  for (auto set : options.inputs.sets) combinations.push_back({set});
  if (options.inputs.sets.size() > 1) combinations.push_back(options.inputs.sets);
  std::vector<Matrix> x;
  for (const auto& sets : combinations) x.push_back(take_columns(x_all, loaded.table.columns_of(sets)));
  FoldSplit split(labelled.y, fold, options.folds);

  // Every (feature set, classifier, fold) fit is independent: run them all on the --threads pool,
  // then put the results together in a fixed order, so the outputs do not depend on --threads.
  std::vector<FoldTask> tasks;
  for (std::size_t c = 0; c < combinations.size(); ++c)
    for (std::size_t m = 0; m < options.classifiers.size(); ++m)
      for (int f = 0; f < options.folds; ++f)
        tasks.push_back({c, m, f, fit_cost(options, options.classifiers[m], x[c].cols, k)});
  std::vector<FoldResult> fold_results(tasks.size());
  auto fits_started = std::chrono::steady_clock::now();
  run_tasks(tasks, options.inputs.threads, [&](std::size_t t) {
    const FoldTask& task = tasks[t];
    fold_results[t] = fit_fold(x[task.combination], split, task.fold, options.classifiers[task.model], options, k);
  });
  set_estimator_threads(options.inputs.threads);
  double fits_seconds = seconds_since(fits_started), fit_seconds_total = 0;
  for (const auto& r : fold_results) fit_seconds_total += r.seconds;
  log(Level::info, "{} fits in {:.1f} s on {} thread(s) ({:.1f} s of fitting summed over fits)", tasks.size(),
      fits_seconds, options.inputs.threads, fit_seconds_total);

  std::string predictions = prediction_header(labelled.classes, true);
  nlohmann::json results = nlohmann::json::array();
  std::string summary = fmt::format("{:<36} {:<7} {:>8} {:>9} {:>8} {:>6}\n", "features", "model", "accuracy",
                                    "balanced", "macro_f1", "top3");
  std::size_t next_task = 0;
  for (std::size_t c = 0; c < combinations.size(); ++c) {
    const auto& sets = combinations[c];
    for (const auto& model_name : options.classifiers) {
      Matrix proba(n, static_cast<std::size_t>(k));
      std::vector<double> fold_accuracy;
      double seconds = 0;
      for (int f = 0; f < options.folds; ++f) {
        const FoldResult& result = fold_results[next_task++];
        const std::vector<std::size_t>& test = split.test[static_cast<std::size_t>(f)];
        std::size_t correct = 0;
        std::vector<int> predicted = argmax_rows(result.proba);
        for (std::size_t j = 0; j < test.size(); ++j) {
          for (std::size_t cls = 0; cls < static_cast<std::size_t>(k); ++cls)
            proba(test[j], cls) = result.proba(j, cls);
          correct += predicted[j] == labelled.y[test[j]];
        }
        fold_accuracy.push_back(static_cast<double>(correct) / static_cast<double>(test.size()));
        seconds += result.seconds;
      }
      std::vector<int> predicted = argmax_rows(proba);
      ClassificationMetrics metrics = classification_metrics(labelled.y, predicted, proba, k);
      nlohmann::json entry = {{"feature_set", sets_name(sets)}, {"model", model_name}, {"n_features", x[c].cols}};
      entry.update(metrics_to_json(metrics, labelled.classes));
      entry["fold_accuracy"] = fold_accuracy;
      results.push_back(entry);
      for (std::size_t i = 0; i < n; ++i) {
        const CohortSample& sample = loaded.cohort.samples[labelled.rows[i]];
        predictions += fmt::format("{}\t{}\t{}\t{}\t{}\t{}\t{}", sample.sample_id, sample.donor_id, sets_name(sets),
                                   model_name, fold[i], labelled.classes[static_cast<std::size_t>(labelled.y[i])],
                                   labelled.classes[static_cast<std::size_t>(predicted[i])]) +
                       probabilities(proba, i) + "\n";
      }
      log(Level::info, "{} {}: {} folds, {:.1f} s of fitting, accuracy {:.3f}", sets_name(sets), model_name,
          options.folds, seconds, metrics.accuracy);
      summary += fmt::format("{:<36} {:<7} {:>8.3f} {:>9.3f} {:>8.3f} {:>6.3f}\n", sets_name(sets), model_name,
                             metrics.accuracy, metrics.balanced_accuracy, metrics.macro_f1, metrics.top3_accuracy);
    }
  }

  auto outputs_started = std::chrono::steady_clock::now();
  make_directories(options.out_dir);
  nlohmann::json metrics = {{"label", options.label},
                            {"classes", labelled.classes},
                            {"n_samples", n},
                            {"n_donors", n_donors},
                            {"folds", options.folds},
                            {"seed", options.seed},
                            {"shuffle", options.shuffle},
                            {"chance_accuracy", 0.0},
                            {"dropped_classes", labelled.dropped_classes},
                            {"single_donor_classes", single_donor_classes},
                            {"min_class_size", options.min_class_size},
                            {"unlabelled_samples", labelled.unlabelled_samples},
                            {"results", results}};
  // Chance: always predicting the largest class.
  std::map<int, int> class_counts;
  for (int y : labelled.y) class_counts[y] += 1;
  int largest = 0;
  for (const auto& [c, count] : class_counts) largest = std::max(largest, count);
  metrics["chance_accuracy"] = static_cast<double>(largest) / static_cast<double>(n);
  remove_earlier(options.out_dir, {"classify.json", "metrics.json"});
  write_features(path_join(options.out_dir, "features.tsv"), loaded.table);
  write_file_atomically(path_join(options.out_dir, "predictions.tsv"), predictions);
  write_file_atomically(path_join(options.out_dir, "metrics.json"), metrics.dump(1) + "\n");
  nlohmann::json provenance = base_provenance("classify cv", options.command_line);
  provenance["inputs"] = inputs_json(options.inputs, loaded);
  provenance["parameters"] = {{"label", options.label}, {"folds", options.folds}, {"seed", options.seed},
                              {"shuffle", options.shuffle}, {"min_class_size", options.min_class_size},
                              {"classifiers", options.classifiers}, {"C", options.logreg.C},
                              {"mlp", {{"hidden", options.mlp.hidden}, {"dropout", options.mlp.dropout},
                                       {"epochs", options.mlp.epochs}, {"batch_size", options.mlp.batch_size},
                                       {"learning_rate", options.mlp.learning_rate},
                                       {"weight_decay", options.mlp.weight_decay}, {"seed", options.mlp.seed}}}};
  provenance["outputs"] = {"metrics.json", "predictions.tsv", "features.tsv"};
  write_file_atomically(path_join(options.out_dir, "classify.json"), provenance.dump(1) + "\n");
  log(Level::info, "outputs written in {:.1f} s", seconds_since(outputs_started));

  std::string head = fmt::format("classify cv: {} samples, {} donors, {} classes of '{}', {} folds", n, n_donors, k,
                                 options.label, options.folds);
  if (!labelled.dropped_classes.empty()) {
    head += "; dropped (fewer than " + std::to_string(options.min_class_size) + "):";
    for (const auto& [name, count] : labelled.dropped_classes) head += fmt::format(" {} ({})", name, count);
  }
  return head + fmt::format("\nchance (largest class): {:.3f}\n", metrics["chance_accuracy"].get<double>()) + summary +
         "outputs: " + options.out_dir + "/{metrics.json,predictions.tsv,features.tsv,classify.json}\n";
}

std::string run_classify_fit(const TrainingOptions& options) {
  check_training_inputs(options);
  if (options.classifiers.size() != 1) throw std::invalid_argument("fit takes exactly one --classifier");
  set_estimator_threads(options.inputs.threads);
  Cohort cohort = read_cohort(options.inputs.windows_dir);
  Labelled labelled = select_labelled(cohort, options.label, options.min_class_size);
  Loaded loaded = load(options.inputs, nullptr, std::move(cohort));
  int k = static_cast<int>(labelled.classes.size());
  Matrix x = take_rows(loaded.table.values, labelled.rows);
  StandardScaler scaler;
  scaler.fit(x);
  auto model = make_classifier(options.classifiers.front(), options, 0);
  // An MLP's minibatch GEMMs are too small to share among threads (cv runs each fit on one, too).
  set_blas_threads(options.classifiers.front() == "mlp" ? 1 : std::max(1, options.inputs.threads));
  model->fit(scaler.transform(x), labelled.y, k);
  Matrix proba = finite_probabilities(model->predict_proba(scaler.transform(x)), options.classifiers.front(), "fit");
  ClassificationMetrics training = classification_metrics(labelled.y, argmax_rows(proba), proba, k);

  nlohmann::json json = {{"format", model_format},
                         {"format_version", 1},
                         {"label", options.label},
                         {"classes", labelled.classes},
                         {"dropped_classes", labelled.dropped_classes},
                         {"n_samples", labelled.rows.size()},
                         {"feature_names", loaded.table.names},
                         {"scaler", scaler.to_json()},
                         {"classifier", model->to_json()},
                         {"training_accuracy", training.accuracy}};
  std::vector<std::string> sets;
  for (auto set : options.inputs.sets) sets.push_back(feature_set_name(set));
  json["feature_sets"] = sets;
  if (has_set(options.inputs.sets, FeatureSet::density)) json["density_bins"] = loaded.feature_options.bins.to_json();
  if (loaded.feature_options.embeddings) {
    const auto& e = *loaded.feature_options.embeddings;
    json["embedding"] = embedding_json(e);
  }
  nlohmann::json provenance = base_provenance("classify fit", options.command_line);
  provenance["inputs"] = inputs_json(options.inputs, loaded);
  json["provenance"] = provenance;
  make_directories(options.out_dir);
  remove_earlier(options.out_dir, {model_file, "classify.json"});
  write_features(path_join(options.out_dir, "features.tsv"), loaded.table);
  write_file_atomically(path_join(options.out_dir, "classify.json"), provenance.dump(1) + "\n");
  write_file_atomically(path_join(options.out_dir, model_file), json.dump() + "\n");
  std::string text = fmt::format("classify fit: {} on {} samples, {} classes of '{}', {} features ({}); training "
                                 "accuracy {:.3f}\n",
                                 model->name(), labelled.rows.size(), k, options.label, loaded.table.names.size(),
                                 fmt::join(sets, ","), training.accuracy);
  for (const auto& [name, count] : labelled.dropped_classes)
    text += fmt::format("dropped class {} ({} samples)\n", name, count);
  return text + "model: " + path_join(options.out_dir, model_file) + "\n";
}

std::string run_classify_predict(const PredictOptions& options) {
  std::string path = path_join(options.model_dir, model_file);
  if (!path_exists(path)) throw input_error(path, 0, "missing: not an `oncolm classify fit` model directory");
  nlohmann::json json = read_json_file(path);
  if (json.value("format", "") != model_format)
    throw input_error(path, 0, "not an oncolm classifier (format '{}')", json.value("format", ""));
  ClassifyInputs inputs = options.inputs;
  std::vector<std::string> classes, names;
  StandardScaler scaler;
  std::unique_ptr<Classifier> model;
  ContigBins bins;
  std::string label;
  try {
    inputs.sets =
        parse_feature_sets(fmt::format("{}", fmt::join(json.at("feature_sets").get<std::vector<std::string>>(), ",")));
    classes = json.at("classes").get<std::vector<std::string>>();
    names = json.at("feature_names").get<std::vector<std::string>>();
    scaler = StandardScaler::from_json(json.at("scaler"));
    model = classifier_from_json(json.at("classifier"));
    if (json.contains("density_bins")) bins = ContigBins::from_json(json.at("density_bins"));
    label = json.at("label").get<std::string>();
  } catch (const std::exception& error) {
    throw input_error(path, 0, "unreadable classifier: {}", error.what());
  }
  if (has_set(inputs.sets, FeatureSet::embedding)) {
    const auto& want = json.at("embedding");
    if (inputs.embeddings_dir.empty())
      throw input_error(path, 0,
                        "the classifier was fitted with embedding features (model {} layer {}); give --embeddings, an "
                        "`oncolm embed` directory of these windows made with that model",
                        want.at("model_sha256").get<std::string>(), want.at("layer").get<int>());
    check_embeddings_match(open_embeddings(inputs.embeddings_dir), want, path);
  } else if (!inputs.embeddings_dir.empty()) {
    log(Level::warning, "--embeddings ignored: the classifier {} uses no embedding features", path);
    inputs.embeddings_dir.clear();
  }
  set_estimator_threads(inputs.threads);
  Loaded loaded =
      load(inputs, has_set(inputs.sets, FeatureSet::density) ? &bins : nullptr, read_cohort(inputs.windows_dir));
  if (loaded.table.names != names) {
    std::size_t i = 0;
    while (i < names.size() && i < loaded.table.names.size() && names[i] == loaded.table.names[i]) ++i;
    throw input_error(path, 0,
                      "the classifier expects {} features, these inputs give {}; first difference at column {}: "
                      "'{}' vs '{}'",
                      names.size(), loaded.table.names.size(), i + 1, i < names.size() ? names[i] : "",
                      i < loaded.table.names.size() ? loaded.table.names[i] : "");
  }
  Matrix proba = finite_probabilities(model->predict_proba(scaler.transform(loaded.table.values)), model->name(),
                                      path);
  std::vector<int> predicted = argmax_rows(proba);
  bool have_label = std::find(loaded.cohort.label_columns.begin(), loaded.cohort.label_columns.end(), label) !=
                    loaded.cohort.label_columns.end();
  std::string predictions = prediction_header(classes, false);
  std::vector<int> y_true, y_pred;
  std::vector<std::size_t> scored;
  for (std::size_t i = 0; i < loaded.cohort.samples.size(); ++i) {
    const CohortSample& sample = loaded.cohort.samples[i];
    std::string truth = have_label ? sample.labels.at(label) : "";
    if (truth.empty()) truth = ".";
    predictions += fmt::format("{}\t{}\t{}\t{}", sample.sample_id, sample.donor_id, truth,
                               classes[static_cast<std::size_t>(predicted[i])]) +
                   probabilities(proba, i) + "\n";
    auto it = std::find(classes.begin(), classes.end(), truth);
    if (have_label && it != classes.end()) {
      y_true.push_back(static_cast<int>(it - classes.begin()));
      y_pred.push_back(predicted[i]);
      scored.push_back(i);
    }
  }
  make_directories(options.out_dir);
  // This run writes metrics.json only when some sample has a label the model knows: an earlier
  // run's must not stand beside these predictions.
  remove_earlier(options.out_dir, {"classify.json", "metrics.json"});
  write_features(path_join(options.out_dir, "features.tsv"), loaded.table);
  write_file_atomically(path_join(options.out_dir, "predictions.tsv"), predictions);
  std::string text = fmt::format("classify predict: {} samples with {} ({} classes of '{}')\n",
                                 loaded.cohort.samples.size(), path, classes.size(), label);
  std::vector<std::string> outputs = {"predictions.tsv", "features.tsv"};
  if (!scored.empty()) {
    ClassificationMetrics metrics =
        classification_metrics(y_true, y_pred, take_rows(proba, scored), static_cast<int>(classes.size()));
    nlohmann::json entry = {
        {"feature_set", fmt::format("{}", fmt::join(json.at("feature_sets").get<std::vector<std::string>>(), "+"))},
        {"model", model->name()}};
    entry.update(metrics_to_json(metrics, classes));
    nlohmann::json m = {{"label", label}, {"classes", classes}, {"n_samples", scored.size()},
                        {"not_scored", loaded.cohort.samples.size() - scored.size()}, {"results", {entry}}};
    write_file_atomically(path_join(options.out_dir, "metrics.json"), m.dump(1) + "\n");
    outputs.push_back("metrics.json");
    text += fmt::format(
        "against the manifest's '{}' ({} samples with a known class): accuracy {:.3f}, balanced {:.3f}, "
        "macro-F1 {:.3f}\n",
        label, scored.size(), metrics.accuracy, metrics.balanced_accuracy, metrics.macro_f1);
  }
  nlohmann::json provenance = base_provenance("classify predict", options.command_line);
  provenance["model"] = {{"dir", absolute_path(options.model_dir)}, {"classifier", model->name()}};
  provenance["inputs"] = inputs_json(inputs, loaded);
  provenance["outputs"] = outputs;
  write_file_atomically(path_join(options.out_dir, "classify.json"), provenance.dump(1) + "\n");
  return text + "outputs: " + options.out_dir + "\n";
}

}  // namespace oncolm::downstream
