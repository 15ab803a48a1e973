#include "score/supervised.h"

#include <zlib.h>

#include <algorithm>
#include <cstdio>
#include <cmath>
#include <map>
#include <numeric>
#include <set>
#include <sstream>
#include <stdexcept>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "core/atomic_file.h"
#include "core/error.h"
#include "core/file_contract.h"
#include "core/json_file.h"
#include "core/log.h"
#include "core/paths.h"
#include "core/text.h"
#include "core/version.h"
#include "downstream/cv.h"
#include "downstream/estimators.h"

namespace oncolm::score {

using nlohmann::json;

namespace {

const std::vector<std::string> feature_columns = {"llr",     "llr_forward",    "llr_reverse", "cosine_mean",
                                                  "l2_mean", "cosine_variant", "l2_variant"};

std::vector<std::string> read_lines(const std::string& path) {
  gzFile file = gzopen(path.c_str(), "rb");
  if (file == nullptr) throw input_error(path, 0, "cannot open");
  std::string text;
  char buffer[1 << 16];
  int got = 0;
  while ((got = gzread(file, buffer, sizeof buffer)) > 0) text.append(buffer, static_cast<std::size_t>(got));
  gzclose(file);
  if (got < 0) throw input_error(path, 0, "unreadable or truncated");
  std::vector<std::string> lines;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    lines.push_back(line);
  }
  return lines;
}

// chrom without a leading "chr" and M as MT, so that 1/chr1, X/chrX and MT/chrM labels join either naming.
std::string variant_key(std::string chrom, const std::string& pos, const std::string& ref, const std::string& alt) {
  if (chrom.rfind("chr", 0) == 0) chrom = chrom.substr(3);
  if (chrom == "M") chrom = "MT";
  return chrom + ":" + pos + ":" + ref + ":" + alt;
}

struct Labels {
  std::map<std::string, int> by_key;  // variant key -> 1 positive, 0 negative
  std::map<std::string, long> skipped;
  std::string positive;               // what counts as positive, as it goes into supervised.json
  std::set<std::string> conflicting;  // variants labelled both ways: left out

  // A variant labelled twice the same way counts once; labelled both ways it is left out, counted.
  void add(const std::string& key, int label) {
    if (conflicting.count(key)) return;
    auto [at, inserted] = by_key.emplace(key, label);
    if (inserted || at->second == label) return;
    by_key.erase(at);
    conflicting.insert(key);
  }
  void count_conflicts() {
    if (!conflicting.empty()) skipped["conflicting_labels"] = static_cast<long>(conflicting.size());
  }
};

Labels labels_from_tsv(const SupervisedOptions& o) {
  std::vector<std::string> lines = read_lines(o.labels);
  if (lines.empty()) throw input_error(o.labels, 0, "is empty");
  std::vector<std::string> header = split_tabs(lines[0]);
  auto column = [&](const std::string& name) {
    auto found = std::find(header.begin(), header.end(), name);
    if (found == header.end())
      throw input_error(o.labels, 1, "no column '{}' (needs chrom, pos, ref, alt and the label column)", name);
    return static_cast<std::size_t>(found - header.begin());
  };
  const std::size_t chrom = column("chrom"), pos = column("pos"), ref = column("ref"), alt = column("alt"),
                    label = column(o.label_column);
  std::set<std::string> values;
  std::vector<std::pair<std::string, std::string>> rows;
  long unlabelled_rows = 0;
  for (std::size_t i = 1; i < lines.size(); ++i) {
    if (lines[i].empty()) continue;
    std::vector<std::string> cells = split_tabs(lines[i]);
    if (cells.size() != header.size())
      throw input_error(o.labels, static_cast<long>(i + 1), "has {} fields, the header {}", cells.size(), header.size());
    if (cells[label].empty() || cells[label] == ".") {  // counted in labels_skipped
      ++unlabelled_rows;
      continue;
    }
    if (cells[pos].empty() || cells[pos].find_first_not_of("0123456789") != std::string::npos)
      throw input_error(o.labels, static_cast<long>(i + 1), "pos is '{}', not a position", cells[pos]);
    values.insert(cells[label]);
    rows.emplace_back(variant_key(cells[chrom], cells[pos], cells[ref], cells[alt]), cells[label]);
  }
  std::string positive = o.positive;
  if (positive.empty() && values == std::set<std::string>{"0", "1"}) positive = "1";
  if (values.size() != 2)
    throw input_error(o.labels, 0, "column '{}' has {} distinct values; a binary label needs exactly 2",
                      o.label_column, values.size());
  if (positive.empty())
    throw input_error(o.labels, 0, "say which value of '{}' is the positive class (--positive; found {})",
                      o.label_column, fmt::format("{}", fmt::join(values, ", ")));
  if (!values.count(positive))
    throw input_error(o.labels, 0, "--positive {} is not a value of '{}' (found {})", positive, o.label_column,
                      fmt::format("{}", fmt::join(values, ", ")));
  Labels labels;
  labels.positive = positive;
  if (unlabelled_rows > 0) labels.skipped["no_label"] = unlabelled_rows;
  for (const auto& [key, value] : rows) labels.add(key, value == positive ? 1 : 0);
  labels.count_conflicts();
  return labels;
}

// ClinVar's CLNSIG: Pathogenic and Likely_pathogenic are positive, Benign and Likely_benign negative,
// anything else (uncertain, conflicting, risk factor, ...) is left out and counted.
Labels labels_from_vcf(const SupervisedOptions& o) {
  Labels labels;
  labels.positive = "CLNSIG Pathogenic/Likely_pathogenic";
  std::vector<std::string> lines = read_lines(o.labels);
  for (std::size_t i = 0; i < lines.size(); ++i) {
    if (lines[i].empty() || lines[i][0] == '#') continue;
    std::vector<std::string> cells = split_tabs(lines[i]);
    if (cells.size() < 8) throw input_error(o.labels, static_cast<long>(i + 1), "fewer than 8 VCF columns");
    std::string significance;
    std::istringstream info(cells[7]);
    std::string field;
    while (std::getline(info, field, ';'))
      if (field.rfind("CLNSIG=", 0) == 0) significance = field.substr(7);
    int label = -1;
    if (significance == "Pathogenic" || significance == "Likely_pathogenic" ||
        significance == "Pathogenic/Likely_pathogenic")
      label = 1;
    else if (significance == "Benign" || significance == "Likely_benign" || significance == "Benign/Likely_benign")
      label = 0;
    if (label < 0) {
      ++labels.skipped[significance.empty() ? "no_CLNSIG" : "CLNSIG_" + significance];
      continue;
    }
    std::istringstream alts(cells[4]);
    std::string alt;
    while (std::getline(alts, alt, ',')) labels.add(variant_key(cells[0], cells[1], cells[3], alt), label);
  }
  labels.count_conflicts();
  return labels;
}

bool is_vcf(const std::string& path) {
  for (const char* suffix : {".vcf", ".vcf.gz", ".vcf.bgz"})
    if (path.size() > std::string(suffix).size() && path.compare(path.size() - std::string(suffix).size(),
                                                                  std::string(suffix).size(), suffix) == 0)
      return true;
  return false;
}

struct Example {
  std::vector<std::string> keys;  // sample_id chrom pos ref alt type
  std::string variant;            // the label's key: the same variant in several samples shares it
  std::vector<double> features;
  int label = 0;
};

// The score files of the run score.json describes (the last one that finished in `score_dir`);
// other *.scores.tsv there (left by other runs) are named in a warning and not read.
std::vector<std::string> scored_files(const std::string& score_dir) {
  const std::string provenance = path_join(score_dir, std::string(contract::score_provenance_file));
  if (!path_exists(provenance))
    throw input_error(score_dir, 0, "no {} (run `oncolm score` into it first; an unfinished run leaves none)",
                      contract::score_provenance_file);
  json run = read_json_file(provenance);
  std::vector<std::string> files;
  std::set<std::string> listed;
  for (const auto& entry : run.at("outputs")) {
    const std::string name = entry.at("scores").get<std::string>();
    listed.insert(name);
    files.push_back(path_join(score_dir, name));
  }
  const std::string suffix(contract::scores_suffix);
  std::vector<std::string> others;
  for (const auto& name : list_directory(score_dir))
    if (name.size() > suffix.size() && name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0 &&
        !listed.count(name))
      others.push_back(name);
  if (!others.empty())
    log(Level::warning, "{}: {} *{} file(s) not in {} (another run's) are not evaluated: {}", score_dir,
        others.size(), suffix, contract::score_provenance_file, fmt::join(others, ", "));
  if (files.empty()) throw input_error(provenance, 0, "lists no scored samples");
  return files;
}

// Scored variants with a label, in file order; counts scored variants without one, and collects
// the label keys that found a scored variant.
std::vector<Example> join(const std::string& score_dir, const Labels& labels, long& unlabelled, long& unscored,
                          std::set<std::string>& joined) {
  std::vector<Example> examples;
  for (const auto& path : scored_files(score_dir)) {
    std::vector<std::string> lines = read_lines(path);
    if (lines.empty()) throw input_error(path, 0, "is empty (not a scores.tsv of `oncolm score`)");
    std::vector<std::string> header = split_tabs(lines[0]);
    auto column = [&](const std::string& name) {
      auto found = std::find(header.begin(), header.end(), name);
      if (found == header.end()) throw input_error(path, 1, "no column '{}'", name);
      return static_cast<std::size_t>(found - header.begin());
    };
    std::vector<std::size_t> features;
    for (const auto& name : feature_columns) features.push_back(column(name));
    const std::size_t sample = column("sample_id"), chrom = column("chrom"), pos = column("pos"),
                      ref = column("ref"), alt = column("alt"), norm_pos = column("norm_pos"),
                      norm_ref = column("norm_ref"), norm_alt = column("norm_alt"), type = column("type");
    for (std::size_t i = 1; i < lines.size(); ++i) {
      if (lines[i].empty()) continue;
      std::vector<std::string> c = split_tabs(lines[i]);
      if (c.size() != header.size())
        throw input_error(path, static_cast<long>(i + 1), "has {} fields, the header {}", c.size(), header.size());
      auto found = labels.by_key.find(variant_key(c[chrom], c[pos], c[ref], c[alt]));
      if (found == labels.by_key.end()) found = labels.by_key.find(variant_key(c[chrom], c[norm_pos], c[norm_ref], c[norm_alt]));
      if (found == labels.by_key.end()) {
        ++unlabelled;
        continue;
      }
      joined.insert(found->first);
      if (c[features[0]] == ".") {
        ++unscored;
        continue;
      }
      Example example;
      example.keys = {c[sample], c[chrom], c[pos], c[ref], c[alt], c[type]};
      for (std::size_t f : features) {
        std::size_t used = 0;
        double value = std::nan("");
        try {
          value = std::stod(c[f], &used);
        } catch (const std::exception&) {
          used = 0;
        }
        if (used == 0 || used != c[f].size() || !std::isfinite(value))
          throw input_error(path, static_cast<long>(i + 1), "{} is '{}', not a finite number", header[f], c[f]);
        example.features.push_back(value);
      }
      example.label = found->second;
      example.variant = found->first;
      examples.push_back(std::move(example));
    }
  }
  return examples;
}

}  // namespace

double auroc(const std::vector<double>& scores, const std::vector<int>& positive) {
  // NaN has no rank (and breaks the sort and the tie loop below).
  if (std::any_of(scores.begin(), scores.end(), [](double v) { return std::isnan(v); }))
    throw std::invalid_argument("AUROC of scores that include NaN");
  std::vector<std::size_t> order(scores.size());
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return scores[a] < scores[b]; });
  double rank_sum = 0;  // ranks of the positives, ties sharing their mean rank
  long positives = 0;
  for (std::size_t i = 0; i < order.size();) {
    std::size_t j = i;
    while (j < order.size() && scores[order[j]] == scores[order[i]]) ++j;
    const double mean_rank = 0.5 * static_cast<double>(i + 1 + j);
    for (std::size_t k = i; k < j; ++k)
      if (positive[order[k]]) {
        rank_sum += mean_rank;
        ++positives;
      }
    i = j;
  }
  const double negatives = static_cast<double>(scores.size()) - static_cast<double>(positives);
  if (positives == 0 || negatives == 0) return std::nan("");
  const double p = static_cast<double>(positives);
  return (rank_sum - p * (p + 1) / 2) / (p * negatives);
}

double average_precision(const std::vector<double>& scores, const std::vector<int>& positive) {
  std::vector<std::size_t> order(scores.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return scores[a] > scores[b]; });
  const double total = static_cast<double>(std::count(positive.begin(), positive.end(), 1));
  if (total == 0) return std::nan("");
  double ap = 0, true_positives = 0, previous_recall = 0;
  for (std::size_t i = 0; i < order.size();) {
    std::size_t j = i;
    while (j < order.size() && scores[order[j]] == scores[order[i]]) ++j;  // one threshold per distinct score
    for (std::size_t k = i; k < j; ++k) true_positives += positive[order[k]];
    const double recall = true_positives / total, precision = true_positives / static_cast<double>(j);
    ap += (recall - previous_recall) * precision;
    previous_recall = recall;
    i = j;
  }
  return ap;
}

std::string run_supervised(const std::string& score_dir, const SupervisedOptions& o) {
  if (o.folds < 2) throw std::invalid_argument("--folds must be at least 2");
  Labels labels = is_vcf(o.labels) ? labels_from_vcf(o) : labels_from_tsv(o);
  if (!labels.conflicting.empty())
    log(Level::warning, "{}: {} variant(s) labelled both positive and negative are left out (labels_skipped: "
        "conflicting_labels)", o.labels, labels.conflicting.size());
  long unlabelled = 0, unscored = 0;
  std::set<std::string> joined;
  std::vector<Example> examples = join(score_dir, labels, unlabelled, unscored, joined);
  const long labels_not_joined = static_cast<long>(labels.by_key.size() - joined.size());
  std::vector<int> y;
  for (const auto& e : examples) y.push_back(e.label);
  const long positives = std::count(y.begin(), y.end(), 1), negatives = static_cast<long>(y.size()) - positives;
  if (!(o.C > 0 && std::isfinite(o.C)))
    throw std::invalid_argument(fmt::format("--C must be a positive number, got {}", o.C));
  // Stratified folds grouped by variant: the same variant scored in several samples (near-identical
  // windows, near-identical scores) never sits in a training fold and its test fold at once.
  std::vector<std::string> groups;
  std::set<std::string> distinct[2];
  for (const auto& e : examples) {
    groups.push_back(e.variant);
    distinct[e.label].insert(e.variant);
  }
  const long distinct_positives = static_cast<long>(distinct[1].size());
  const long distinct_negatives = static_cast<long>(distinct[0].size());
  if (distinct_positives < o.folds || distinct_negatives < o.folds)
    throw std::invalid_argument(fmt::format("{} positive and {} negative distinct labelled variants were scored: each "
                                            "class needs at least --folds ({})", distinct_positives,
                                            distinct_negatives, o.folds));
  const std::vector<int> fold = downstream::stratified_group_kfold(y, groups, 2, o.folds, true, o.seed);

  const std::size_t n = examples.size(), d = feature_columns.size();
  std::vector<double> probability(n, 0.0);
  json per_fold = json::array();
  for (int f = 0; f < o.folds; ++f) {
    std::vector<std::size_t> train, test;
    for (std::size_t i = 0; i < n; ++i) (fold[i] == f ? test : train).push_back(i);
    downstream::Matrix x_train(train.size(), d), x_test(test.size(), d);
    std::vector<int> y_train;
    for (std::size_t r = 0; r < train.size(); ++r) {
      std::copy(examples[train[r]].features.begin(), examples[train[r]].features.end(), x_train.row(r));
      y_train.push_back(y[train[r]]);
    }
    for (std::size_t r = 0; r < test.size(); ++r)
      std::copy(examples[test[r]].features.begin(), examples[test[r]].features.end(), x_test.row(r));
    downstream::StandardScaler scaler;
    scaler.fit(x_train);
    downstream::LogisticRegressionParams params;
    params.C = o.C;
    params.max_iter = 1000;
    downstream::LogisticRegression model(params);
    model.fit(scaler.transform(x_train), y_train, 2);
    downstream::Matrix p = model.predict_proba(scaler.transform(x_test));
    std::vector<double> fold_scores;
    std::vector<int> fold_labels;
    for (std::size_t r = 0; r < test.size(); ++r) {
      probability[test[r]] = p(r, 1);
      fold_scores.push_back(p(r, 1));
      fold_labels.push_back(y[test[r]]);
    }
    per_fold.push_back({{"fold", f}, {"n", test.size()}, {"auroc", auroc(fold_scores, fold_labels)},
                        {"auprc", average_precision(fold_scores, fold_labels)}});
  }
  std::vector<double> minus_llr;
  for (const auto& e : examples) minus_llr.push_back(-e.features[0]);
  const double supervised_auroc = auroc(probability, y), supervised_auprc = average_precision(probability, y);
  const double zero_shot_auroc = auroc(minus_llr, y), zero_shot_auprc = average_precision(minus_llr, y);

  std::string tsv = "sample_id\tchrom\tpos\tref\talt\ttype\tlabel\tfold\tprobability\n";
  for (std::size_t i = 0; i < n; ++i) {
    for (const auto& key : examples[i].keys) tsv += key + "\t";
    tsv += fmt::format("{}\t{}\t{:.6f}\n", y[i], fold[i], probability[i]);
  }
  // supervised.json, written last, goes first: it must not describe another run's predictions.
  std::remove(path_join(score_dir, "supervised.json").c_str());
  write_file_atomically(path_join(score_dir, "supervised_predictions.tsv"), tsv);
  json summary = {{"oncolm_version", version_string()},
                  {"git_hash", git_hash()},
                  {"command", o.command_line},
                  {"labels", absolute_path(o.labels)},
                  {"positive", labels.positive},
                  {"variants", n},
                  {"positives", positives},
                  {"negatives", negatives},
                  {"distinct_variants", distinct_positives + distinct_negatives},
                  {"distinct_positives", distinct_positives},
                  {"distinct_negatives", distinct_negatives},
                  {"scored_without_label", unlabelled},
                  {"labelled_without_score", unscored},
                  {"labels_not_joined", labels_not_joined},
                  {"labels_skipped", labels.skipped},
                  {"features", feature_columns},
                  {"model", {{"kind", "logistic regression, L2"}, {"C", o.C}, {"standardised", "inside each fold"}}},
                  {"folds", o.folds},
                  {"seed", o.seed},
                  {"auroc", supervised_auroc},
                  {"auprc", supervised_auprc},
                  {"per_fold", per_fold},
                  {"zero_shot", {{"score", "-llr"}, {"auroc", zero_shot_auroc}, {"auprc", zero_shot_auprc}}}};
  write_file_atomically(path_join(score_dir, "supervised.json"), summary.dump(1) + "\n");
  return fmt::format(
      "supervised: {} labelled variants ({} positive, {} negative; {} distinct, {} positive, {} negative, each in "
      "one fold; {} scored variants without a label; {} of {} labels matched no scored variant), {}-fold logistic "
      "regression on the zero-shot scores: AUROC {:.3f}, AUPRC {:.3f}; zero-shot -llr alone: AUROC {:.3f}, AUPRC "
      "{:.3f}\noutputs: {}/supervised.json, {}/supervised_predictions.tsv\n",
      n, positives, negatives, distinct_positives + distinct_negatives, distinct_positives, distinct_negatives,
      unlabelled, labels_not_joined, labels.by_key.size(), o.folds, supervised_auroc,
      supervised_auprc, zero_shot_auroc, zero_shot_auprc, score_dir, score_dir);
}

}  // namespace oncolm::score
