// Figures of `oncolm train`, `oncolm classify cv`, `oncolm score` and `oncolm breakpoints` outputs.
#include <algorithm>
#include <cmath>
#include <fstream>
#include <map>
#include <sstream>

#include <fmt/format.h>

#include "core/error.h"
#include "core/file_contract.h"
#include "core/json_file.h"
#include "core/paths.h"
#include "report/figures.h"

namespace oncolm::report {

using nlohmann::json;

namespace {

json tooltip(std::initializer_list<const char*> fields) {
  json out = json::array();
  for (const char* field : fields) out.push_back({{"field", field}});
  return out;
}

std::vector<json> read_metrics(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw input_error(path, 0, "cannot open");
  std::vector<json> records;
  std::string line;
  long number = 0;
  while (std::getline(in, line)) {
    ++number;
    if (line.empty()) continue;
    try {
      records.push_back(json::parse(line));
    } catch (const json::exception& error) {
      throw input_error(path, number, "not a JSON object: {}", error.what());
    }
  }
  return records;
}

Figure line_figure(const std::string& id, const std::string& title, const std::string& y_title) {
  Figure figure;
  figure.id = id;
  figure.section = "Training";
  figure.title = title;
  figure.columns = {"step", "split", "metric", "value"};
  figure.spec = {{"width", 480},
                 {"mark", {{"type", "line"}, {"point", true}}},
                 {"encoding",
                  {{"x", {{"field", "step"}, {"type", "quantitative"}}},
                   {"y", {{"field", "value"}, {"type", "quantitative"}, {"title", y_title}, {"scale", {{"zero", false}}}}},
                   {"color", {{"field", "metric"}, {"type", "nominal"}}},
                   {"strokeDash", {{"field", "split"}, {"type", "nominal"}}},
                   {"tooltip", tooltip({"step", "split", "metric", "value"})}}}};
  return figure;
}

void add_points(Figure& figure, const std::vector<json>& records, const std::vector<std::string>& metrics,
                const std::string& only_split = "") {
  for (const auto& record : records)
    for (const auto& metric : metrics) {
      if (!record.contains(metric) || !record[metric].is_number()) continue;
      const std::string split = record.value("split", "");
      if (!only_split.empty() && split != only_split) continue;
      figure.rows.push_back({{"step", record.value("step", 0L)}, {"split", split}, {"metric", metric},
                             {"value", record[metric]}});
    }
}

}  // namespace

std::vector<Figure> training_figures(const std::string& train_dir) {
  const std::string path = path_join(train_dir, "metrics.jsonl");
  const std::vector<json> records = read_metrics(path);
  std::vector<Figure> figures;
  Figure losses = line_figure("training_losses", "Training and validation losses", "loss");
  add_points(losses, records, {"loss", "mlm_loss", "contrastive_loss", "separation_loss"});
  losses.caption = "Losses per logged training step and per evaluation (metrics.jsonl of `oncolm train`): loss is "
                   "the weighted total, mlm_loss the cross-entropy on the masked tokens, contrastive_loss the "
                   "InfoNCE term, separation_loss (with --separation-weight) the log of the unrelated / ALT-REF "
                   "distance ratio; validation rows are on the held-out donors (step 0 = the model before training).";
  figures.push_back(losses);
  Figure accuracy = line_figure("training_accuracy", "Masked-token accuracy", "accuracy");
  add_points(accuracy, records, {"mlm_accuracy"});
  accuracy.caption = "Share of masked tokens whose most probable prediction is the true token (metrics.jsonl, "
                     "mlm_accuracy), training steps and validation evaluations.";
  if (!accuracy.rows.empty()) figures.push_back(accuracy);
  Figure rate = line_figure("learning_rate", "Learning rate", "learning rate");
  add_points(rate, records, {"lr"}, "train");
  rate.caption = "Learning rate at each logged step (metrics.jsonl, lr): linear warm-up, then the decay schedule.";
  figures.push_back(rate);
  Figure distances = line_figure("alt_ref_distances", "ALT-REF distance on validation donors", "cosine distance / ratio");
  add_points(distances, records, {"alt_ref_distance", "unrelated_distance", "alt_ref_distance_ratio"}, "validation");
  distances.caption = "Mean cosine distance between each validation ALT window's pooled embedding and its own REF "
                      "(alt_ref_distance), and the REF windows of other variants (unrelated_distance), and their "
                      "ratio, per evaluation (metrics.jsonl; contrastive objectives only).";
  if (!distances.rows.empty()) figures.push_back(distances);
  return figures;
}

std::vector<Figure> classify_figures_of(const std::string& path, const json& metrics);

// A metrics.json whose fields are missing or of another type is an error naming it.
std::vector<Figure> classify_figures(const std::string& classify_dir) {
  const std::string path = path_join(classify_dir, "metrics.json");
  json metrics = read_json_file(path);
  try {
    return classify_figures_of(path, metrics);
  } catch (const json::exception& error) {
    throw input_error(path, 0, "not a metrics.json of `oncolm classify cv`: {}", error.what());
  }
}

std::vector<Figure> classify_figures_of(const std::string& path, const json& metrics) {
  if (!metrics.contains("results") || metrics["results"].empty())
    throw input_error(path, 0, "no results (not a metrics.json of `oncolm classify cv`)");
  const std::string label = metrics.value("label", "label");
  std::vector<Figure> figures;

  Figure summary;
  summary.id = "classify_accuracy";
  summary.section = "Classification";
  summary.title = "Cross-validated accuracy by feature set and model";
  summary.columns = {"feature_set", "model", "accuracy", "balanced_accuracy", "macro_f1", "top3_accuracy"};
  const json* best = nullptr;
  for (const auto& result : metrics["results"]) {
    summary.rows.push_back({{"feature_set", result["feature_set"]}, {"model", result["model"]},
                            {"accuracy", result["accuracy"]}, {"balanced_accuracy", result["balanced_accuracy"]},
                            {"macro_f1", result["macro_f1"]}, {"top3_accuracy", result["top3_accuracy"]}});
    if (best == nullptr || result["accuracy"].get<double>() > (*best)["accuracy"].get<double>()) best = &result;
  }
  summary.caption = fmt::format(
      "{}-fold cross-validation grouped by donor over {} samples of {} classes of {} (metrics.json of `oncolm "
      "classify cv`; classes with fewer than {} samples dropped); the rule marks chance, the accuracy of always "
      "predicting the largest class ({:.3f}).",
      metrics.value("folds", 0), metrics.value("n_samples", 0), metrics["classes"].size(), label,
      metrics.value("min_class_size", 0), metrics.value("chance_accuracy", 0.0));
  json bars = {{"mark", "bar"},
               {"encoding",
                {{"y", {{"field", "feature_set"}, {"type", "nominal"}, {"title", "feature set"}}},
                 {"yOffset", {{"field", "model"}}},
                 {"x", {{"field", "accuracy"}, {"type", "quantitative"}, {"scale", {{"domain", {0, 1}}}}}},
                 {"color", {{"field", "model"}, {"type", "nominal"}}},
                 {"tooltip", tooltip({"feature_set", "model", "accuracy", "balanced_accuracy", "macro_f1"})}}}};
  json chance = {{"data", {{"values", json::array({{{"chance", metrics.value("chance_accuracy", 0.0)}}})}}},
                 {"mark", {{"type", "rule"}, {"strokeDash", {4, 4}}}},
                 {"encoding", {{"x", {{"field", "chance"}, {"type", "quantitative"}}}}}};
  summary.spec = {{"width", 420}, {"layer", json::array({bars, chance})}};
  figures.push_back(summary);

  const json& result = *best;
  const std::string which = fmt::format("{} features, {}", result["feature_set"].get<std::string>(),
                                        result["model"].get<std::string>());
  Figure confusion;
  confusion.id = "confusion_matrix";
  confusion.section = "Classification";
  confusion.title = "Confusion matrix (" + which + ")";
  confusion.columns = {"true", "predicted", "samples"};
  const json& classes = result["classes"];
  for (std::size_t t = 0; t < classes.size(); ++t)
    for (std::size_t p = 0; p < classes.size(); ++p)
      confusion.rows.push_back(
          {{"true", classes[t]}, {"predicted", classes[p]}, {"samples", result["confusion_matrix"][t][p]}});
  confusion.caption = fmt::format(
      "Out-of-fold predictions of the most accurate feature set and model ({}, accuracy {:.3f}), from metrics.json "
      "(confusion_matrix; rows = true {}, columns = predicted). predictions.tsv holds every sample's prediction.",
      which, result["accuracy"].get<double>(), label);
  json cells = {{"mark", "rect"},
                {"encoding",
                 {{"color", {{"field", "samples"}, {"type", "quantitative"}, {"scale", {{"scheme", "blues"}}}}}}}};
  json numbers = {{"mark", "text"}, {"encoding", {{"text", {{"field", "samples"}, {"type", "quantitative"}}}}}};
  confusion.spec = {{"width", {{"step", 40}}},
                    {"height", {{"step", 40}}},
                    {"encoding",
                     {{"y", {{"field", "true"}, {"type", "nominal"}, {"sort", classes}}},
                      {"x", {{"field", "predicted"}, {"type", "nominal"}, {"sort", classes}}}}},
                    {"layer", json::array({cells, numbers})}};
  figures.push_back(confusion);

  Figure per_class;
  per_class.id = "classify_per_class";
  per_class.section = "Classification";
  per_class.title = "Per-class precision, recall and F1 (" + which + ")";
  per_class.columns = {"class", "metric", "value", "support"};
  for (const auto& name : classes)
    for (const char* metric : {"precision", "recall", "f1"}) {
      const json& entry = result["per_class"][name.get<std::string>()];
      per_class.rows.push_back({{"class", name}, {"metric", metric}, {"value", entry[metric]}, {"support", entry["support"]}});
    }
  per_class.caption = "Per-class metrics of the same model from metrics.json (per_class); support = samples of the class.";
  per_class.spec = {{"width", 420},
                    {"mark", "bar"},
                    {"encoding",
                     {{"y", {{"field", "class"}, {"type", "nominal"}, {"sort", classes}}},
                      {"yOffset", {{"field", "metric"}}},
                      {"x", {{"field", "value"}, {"type", "quantitative"}, {"scale", {{"domain", {0, 1}}}}}},
                      {"color", {{"field", "metric"}, {"type", "nominal"}}},
                      {"tooltip", tooltip({"class", "metric", "value", "support"})}}}};
  figures.push_back(per_class);
  return figures;
}

std::vector<Figure> score_figures(const std::string& score_dir) {
  std::map<std::string, std::vector<double>> llr_by_type;
  long scored = 0, unscored = 0;
  const auto files = listed_outputs(score_dir, std::string(contract::score_provenance_file), "outputs", "scores",
                                    std::string(contract::scores_suffix));
  for (const auto& path : files) {
    Table table = read_table(path);
    const std::size_t type = table.column("type"), llr = table.column("llr");
    for (std::size_t r = 0; r < table.rows.size(); ++r) {
      const std::string& value = table.rows[r][llr];
      if (value == "." || value.empty()) {
        ++unscored;
        continue;
      }
      double number = 0;
      try {
        number = std::stod(value);
      } catch (const std::exception&) {
        throw input_error(path, static_cast<long>(r + 2), "llr '{}' is not a number", value);
      }
      if (!std::isfinite(number)) {  // nan or inf: no place on the axis
        ++unscored;
        continue;
      }
      llr_by_type[table.rows[r][type]].push_back(number);
      ++scored;
    }
  }
  Figure figure;
  figure.id = "llr_distribution";
  figure.section = "Variant effect";
  figure.title = "Zero-shot log-likelihood ratio by variant type";
  figure.columns = {"type", "llr_from", "llr_to", "variants"};
  // One set of bin edges over every type's range: the bars stack, so each type's must line up.
  double low = 0, high = 0;
  bool any = false;
  for (const auto& [type, values] : llr_by_type)
    for (double value : values) {
      low = any ? std::min(low, value) : value;
      high = any ? std::max(high, value) : value;
      any = true;
    }
  for (const auto& [type, values] : llr_by_type)
    for (const Bin& bin : histogram(values, 30, low, high))
      if (bin.count > 0)
        figure.rows.push_back({{"type", type}, {"llr_from", bin.start}, {"llr_to", bin.end}, {"variants", bin.count}});
  figure.caption = fmt::format(
      "llr (log P(ALT) - log P(REF) at the masked variant tokens, mean of both strands) of {} small variants in {} "
      "scores.tsv files of `oncolm score`, in 30 equal bins over their range, stacked by type; {} variants without a "
      "finite score are left out.",
      scored, files.size(), unscored);
  figure.spec = {{"width", 480},
                 {"mark", "bar"},
                 {"encoding",
                  {{"x", {{"field", "llr_from"}, {"type", "quantitative"}, {"bin", {{"binned", true}}}, {"title", "llr"}}},
                   {"x2", {{"field", "llr_to"}}},
                   {"y", {{"field", "variants"}, {"type", "quantitative"}, {"stack", true}}},
                   {"color", {{"field", "type"}, {"type", "nominal"}}},
                   {"tooltip", tooltip({"type", "llr_from", "llr_to", "variants"})}}}};
  return {figure};
}

std::vector<Figure> breakpoint_figures(const std::string& breakpoints_dir) {
  std::map<std::pair<std::string, std::string>, long> by_class;  // (class, mechanism) -> junctions
  std::map<std::pair<std::string, long>, long> sizes;            // (class, floor(log10 size)) -> junctions
  // (homlen, exact?) -> junctions: homology_complete 0 (the slide reached the end of the sequence it
  // had) makes homlen a lower bound, drawn apart from the exact lengths.
  std::map<std::pair<long, bool>, long> homology;
  long junctions = 0, without_size = 0, without_homology = 0;
  const auto files = listed_outputs(breakpoints_dir, std::string(contract::breakpoints_provenance_file), "samples",
                                    "output", std::string(contract::breakpoints_suffix));
  for (const auto& path : files) {
    Table table = read_table(path);
    const std::size_t cls = table.column("class"), mechanism = table.column("mechanism"),
                      size = table.column("size"), homlen = table.column("homlen"),
                      complete = table.column("homology_complete");
    for (std::size_t r = 0; r < table.rows.size(); ++r) {
      const auto& row = table.rows[r];
      ++junctions;
      ++by_class[{row[cls], row[mechanism]}];
      auto number = [&](std::size_t column) {
        try {
          std::size_t used = 0;
          long value = std::stol(row[column], &used);
          if (used == row[column].size()) return value;
        } catch (const std::exception&) {
        }
        throw input_error(path, static_cast<long>(r + 2), "{} '{}' is not a whole number", table.header[column],
                          row[column]);
      };
      // homology_complete '.': not computed (insertions, imprecise calls), whatever homlen says.
      if (row[complete] == "." || row[homlen] == "." || row[homlen].empty()) ++without_homology;
      else ++homology[{number(homlen), row[complete] != "0"}];
      long bases = row[size] == "." || row[size].empty() ? -1 : number(size);
      if (bases > 0) ++sizes[{row[cls], static_cast<long>(std::floor(std::log10(static_cast<double>(bases))))}];
      else ++without_size;
    }
  }
  std::vector<Figure> figures;
  Figure classes;
  classes.id = "sv_classes";
  classes.section = "Structural-variant junctions";
  classes.title = "Junction classes and mechanisms";
  classes.columns = {"class", "mechanism", "junctions"};
  for (const auto& [key, count] : by_class)
    classes.rows.push_back({{"class", key.first}, {"mechanism", key.second}, {"junctions", count}});
  classes.caption = fmt::format(
      "{} junctions in {} breakpoints.tsv files of `oncolm breakpoints`: class from the breakend orientations "
      "(DEL, DUP, INV, TRA; INS for adjacent bases joined through inserted sequence) and the mechanism label from the exact microhomology and inserted sequence "
      "(thresholds in breakpoints.json).",
      junctions, files.size());
  classes.spec = {{"width", 420},
                  {"mark", "bar"},
                  {"encoding",
                   {{"y", {{"field", "class"}, {"type", "nominal"}}},
                    {"x", {{"field", "junctions"}, {"type", "quantitative"}, {"stack", true}}},
                    {"color", {{"field", "mechanism"}, {"type", "nominal"}}},
                    {"tooltip", tooltip({"class", "mechanism", "junctions"})}}}};
  figures.push_back(classes);

  Figure size_figure;
  size_figure.id = "sv_sizes";
  size_figure.section = "Structural-variant junctions";
  size_figure.title = "Junction sizes";
  size_figure.columns = {"class", "size_from", "size_to", "junctions"};
  for (const auto& [key, count] : sizes)
    size_figure.rows.push_back({{"class", key.first}, {"size_from", std::pow(10.0, key.second)},
                                {"size_to", std::pow(10.0, key.second + 1)}, {"junctions", count}});
  size_figure.caption = fmt::format(
      "Size (from breakpoints.tsv: the distance between the breakends; for INS the inserted length) in decades: "
      "[10^k, 10^(k+1)) bases; {} junctions without a size (translocations, or a size of 0) are left out.",
      without_size);
  size_figure.spec = {{"width", 420},
                      {"mark", "bar"},
                      {"encoding",
                       {{"x", {{"field", "size_from"}, {"type", "quantitative"}, {"scale", {{"type", "log"}}},
                               {"bin", {{"binned", true}}}, {"title", "size (bp)"}}},
                        {"x2", {{"field", "size_to"}}},
                        {"y", {{"field", "junctions"}, {"type", "quantitative"}, {"stack", true}}},
                        {"color", {{"field", "class"}, {"type", "nominal"}}},
                        {"tooltip", tooltip({"class", "size_from", "size_to", "junctions"})}}}};
  figures.push_back(size_figure);

  Figure homology_figure;
  homology_figure.id = "sv_microhomology";
  homology_figure.section = "Structural-variant junctions";
  homology_figure.title = "Microhomology lengths";
  homology_figure.columns = {"homlen", "homology", "junctions"};
  long lower_bounds = 0;
  for (const auto& [key, count] : homology) {
    homology_figure.rows.push_back(
        {{"homlen", key.first}, {"homology", key.second ? "exact" : "lower bound"}, {"junctions", count}});
    if (!key.second) lower_bounds += count;
  }
  homology_figure.caption = fmt::format(
      "Microhomology length at each junction (homlen of breakpoints.tsv: bases identical on both sides of the join, "
      "from the REF windows around both breakends, or from the reference FASTA when `oncolm breakpoints` ran with "
      "--reference); {} junctions whose slide reached the end of that sequence (homology_complete 0) have a lower "
      "bound, not an exact length, and are drawn apart; {} junctions whose homology was not computed "
      "(homology_complete '.': insertions, imprecise calls) are left out.",
      lower_bounds, without_homology);
  homology_figure.spec = {{"width", 420},
                          {"mark", "bar"},
                          {"encoding",
                           {{"x", {{"field", "homlen"}, {"type", "ordinal"}, {"title", "microhomology (bp)"}}},
                            {"y", {{"field", "junctions"}, {"type", "quantitative"}, {"stack", true}}},
                            {"color", {{"field", "homology"}, {"type", "nominal"}}},
                            {"tooltip", tooltip({"homlen", "homology", "junctions"})}}}};
  figures.push_back(homology_figure);
  return figures;
}

}  // namespace oncolm::report
