// Figures of `oncolm windows` output: the cohort's labels, window lengths, indel lengths, 6-mers and
// base composition, from manifest.tsv, the per-sample TSVs and the cohort's stats.json.
#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <map>
#include <set>
#include <tuple>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

#include "core/error.h"
#include "core/file_contract.h"
#include "core/json_file.h"
#include "core/log.h"
#include "core/paths.h"
#include "core/text.h"
#include "report/figures.h"

namespace oncolm::report {

using nlohmann::json;

namespace {

long to_long(const std::string& text, const Table& table, std::size_t row) {
  try {
    std::size_t used = 0;
    long value = std::stol(text, &used);
    if (used == text.size()) return value;
  } catch (const std::exception&) {
  }
  throw input_error(table.path, static_cast<long>(row + 2), "'{}' is not an integer", text);
}

// Samples per value of a label column of the manifest, top 15, as a horizontal bar chart.
Figure label_figure(const Table& manifest, const std::string& label, const std::string& id, const std::string& what) {
  std::map<std::string, long> counts;
  long unlabelled = 0;
  const std::size_t column = manifest.column(label);
  for (const auto& row : manifest.rows) {
    if (contract::is_missing_label(row[column])) ++unlabelled;
    else ++counts[row[column]];
  }
  Figure figure;
  figure.id = id;
  figure.section = "Cohort";
  figure.title = "Top " + what;
  figure.columns = {label, "samples"};
  json order = json::array();
  for (const auto& [value, count] : top_counts(counts, 15)) {
    figure.rows.push_back({{label, value}, {"samples", count}});
    order.push_back(value);
  }
  figure.caption = fmt::format(
      "Samples per {} of the sample sheet, as `oncolm windows` copied it into manifest.tsv: the {} most "
      "frequent of {} values over {} samples ({} without a value), ties in count broken alphabetically.",
      label, figure.rows.size(), counts.size(), manifest.rows.size(), unlabelled);
  figure.spec = {{"mark", "bar"},
                 {"width", 480},
                 {"encoding",
                  {{"y", {{"field", label}, {"type", "nominal"}, {"sort", order}, {"title", label}}},
                   {"x", {{"field", "samples"}, {"type", "quantitative"}, {"title", "samples"}}},
                   {"tooltip", json::array({{{"field", label}}, {{"field", "samples"}}})}}}};
  return figure;
}

struct LengthTally {
  std::map<std::tuple<std::string, std::string, long>, long> windows;  // (type, allele, length) -> count
  std::map<long, long> indel_lengths;                                  // len(ALT) - len(REF) -> count
};

void tally_small_variants(const std::string& path, LengthTally& tally) {
  Table table = read_table(path);
  const std::size_t type = table.column("type"), ref_length = table.column("ref_length"),
                    alt_length = table.column("alt_length"), norm_ref = table.column("norm_ref"),
                    norm_alt = table.column("norm_alt");
  for (std::size_t r = 0; r < table.rows.size(); ++r) {
    const auto& row = table.rows[r];
    ++tally.windows[{row[type], "REF", to_long(row[ref_length], table, r)}];
    ++tally.windows[{row[type], "ALT", to_long(row[alt_length], table, r)}];
    if (row[type] == "indel")
      ++tally.indel_lengths[static_cast<long>(row[norm_alt].size()) - static_cast<long>(row[norm_ref].size())];
  }
}

// Record name -> length, from a FASTA index (`oncolm windows` writes one beside each FASTA).
std::map<std::string, long> record_lengths(const std::string& fai) {
  std::ifstream in(fai);
  if (!in) throw input_error(fai, 0, "cannot open the FASTA index of the SV windows");
  std::map<std::string, long> lengths;
  std::string line;
  for (long number = 1; std::getline(in, line); ++number) {
    std::vector<std::string> cells = split_tabs(line);
    if (cells.size() < 2) throw input_error(fai, number, "not a FASTA index line (name, length, ...)");
    char* end = nullptr;
    const long length = std::strtol(cells[1].c_str(), &end, 10);
    if (cells[1].empty() || *end != '\0' || length < 0)
      throw input_error(fai, number, "length '{}' is not a whole number", cells[1]);
    lengths[cells[0]] = length;
  }
  return lengths;
}

// The REF windows' lengths are those of their records: with --personalise an applied germline indel
// makes a window's reference span differ from its length.
void tally_sv_junctions(const std::string& path, const std::string& fai, LengthTally& tally) {
  Table table = read_table(path);
  const std::map<std::string, long> lengths = record_lengths(fai);
  const std::size_t ref1 = table.column("ref1_record"), ref2 = table.column("ref2_record"),
                    alt = table.column("alt_length");
  auto length_of = [&](const std::string& record, std::size_t r) {
    auto found = lengths.find(record);
    if (found == lengths.end())
      throw input_error(path, static_cast<long>(r + 2), "record '{}' is not in {}", record, fai);
    return found->second;
  };
  for (std::size_t r = 0; r < table.rows.size(); ++r) {
    const auto& row = table.rows[r];
    ++tally.windows[{"sv", "REF1", length_of(row[ref1], r)}];
    ++tally.windows[{"sv", "REF2", length_of(row[ref2], r)}];
    ++tally.windows[{"sv", "ALT", to_long(row[alt], table, r)}];
  }
}

// REF windows shorter than the most common REF length of their type: windows clipped at a contig end.
long clipped_reference_windows(const LengthTally& tally) {
  std::map<std::string, std::pair<long, long>> usual;  // type -> (length, count) of the commonest
  for (const auto& [key, count] : tally.windows) {
    const auto& [type, allele, length] = key;
    if (allele.rfind("REF", 0) != 0) continue;
    auto& best = usual[type];
    if (count > best.second) best = {length, count};
  }
  long clipped = 0;
  for (const auto& [key, count] : tally.windows) {
    const auto& [type, allele, length] = key;
    if (allele.rfind("REF", 0) == 0 && length < usual[type].first) clipped += count;
  }
  return clipped;
}

Figure window_length_figure(const LengthTally& tally) {
  Figure figure;
  figure.id = "window_lengths";
  figure.section = "Cohort";
  figure.title = "Window lengths by variant type";
  figure.columns = {"type", "allele", "length", "windows"};
  long total = 0;
  for (const auto& [key, count] : tally.windows) {
    const auto& [type, allele, length] = key;
    figure.rows.push_back({{"type", type}, {"allele", allele}, {"length", length}, {"windows", count}});
    total += count;
  }
  figure.caption = fmt::format(
      "Length in bases of every window record, counted from the per-sample windows TSVs (ref_length and "
      "alt_length; SV junctions: the REF1/REF2 window spans and alt_length of the sv_windows TSVs), {} records. "
      "Each type has one nominal length (--window-length or its per-type override) and ALT windows are extended "
      "or trimmed to it, so any other length marks a window clipped at a contig end: {} REF windows are shorter "
      "than the usual length of their type.",
      total, clipped_reference_windows(tally));
  figure.spec = {
      {"facet", {{"row", {{"field", "type"}, {"type", "nominal"}, {"title", "variant type"}}}}},
      {"spec",
       {{"width", {{"step", 28}}},
        {"height", 70},
        {"mark", "bar"},
        {"encoding",
         {{"x", {{"field", "length"}, {"type", "ordinal"}, {"title", "window length (bp)"}}},
          {"y", {{"field", "windows"}, {"type", "quantitative"}, {"title", "windows"}, {"stack", true}}},
          {"color", {{"field", "allele"}, {"type", "nominal"}}},
          {"tooltip", json::array({{{"field", "type"}}, {{"field", "allele"}}, {{"field", "length"}},
                                   {{"field", "windows"}}})}}}}},
      {"resolve", {{"scale", {{"x", "independent"}, {"y", "independent"}}}}}};
  return figure;
}

Figure indel_length_figure(const LengthTally& tally) {
  Figure figure;
  figure.id = "indel_lengths";
  figure.section = "Cohort";
  figure.title = "Indel lengths";
  figure.columns = {"indel_length", "indels"};
  long total = 0;
  for (const auto& [length, count] : tally.indel_lengths) {
    figure.rows.push_back({{"indel_length", length}, {"indels", count}});
    total += count;
  }
  figure.caption = fmt::format(
      "len(norm_alt) - len(norm_ref) of the {} indels of the windows TSVs (after left-normalisation): "
      "positive = insertion, negative = deletion. Indels of 100 bp or more are set aside as SVs by default.",
      total);
  figure.spec = {{"mark", "bar"},
                 {"width", 480},
                 {"encoding",
                  {{"x", {{"field", "indel_length"}, {"type", "ordinal"}, {"title", "indel length (bp)"}}},
                   {"y", {{"field", "indels"}, {"type", "quantitative"}}},
                   {"tooltip", json::array({{{"field", "indel_length"}}, {{"field", "indels"}}})}}}};
  return figure;
}

Figure kmer_figure(const json& stats, const std::string& path) {
  if (!stats.contains("kmer6_tokens") || !stats["kmer6_tokens"].contains("top15"))
    throw input_error(path, 0, "no kmer6_tokens.top15 (not a stats.json of `oncolm windows`)");
  const json& kmers = stats["kmer6_tokens"];
  Figure figure;
  figure.id = "top_6mers";
  figure.section = "Cohort";
  figure.title = "Top 15 6-mers (nucleotide content)";
  figure.columns = {"kmer", "count", "fraction"};
  json order = json::array();
  for (const auto& entry : kmers["top15"]) {
    figure.rows.push_back({{"kmer", entry["kmer"]}, {"count", entry["count"]}, {"fraction", entry["fraction"]}});
    order.push_back(entry["kmer"]);
  }
  figure.caption = fmt::format(
      "The 15 most frequent of {} 6-mer tokens in stats.json (kmer6_tokens): every small-variant REF and ALT "
      "window cut into non-overlapping 6-mers from its first base, as NT's tokenizer reads it, 6-mers with an N "
      "left out; ties in count broken alphabetically. Fraction = count / all counted 6-mers.",
      kmers.value("total", 0L));
  figure.spec = {{"mark", "bar"},
                 {"width", 480},
                 {"encoding",
                  {{"y", {{"field", "kmer"}, {"type", "nominal"}, {"sort", order}, {"title", "6-mer"}}},
                   {"x", {{"field", "count"}, {"type", "quantitative"}}},
                   {"tooltip", json::array({{{"field", "kmer"}}, {{"field", "count"}},
                                            {{"field", "fraction"}, {"format", ".4f"}}})}}}};
  return figure;
}

Figure base_composition_figure(const json& stats, const std::string& path) {
  if (!stats.contains("base_composition")) throw input_error(path, 0, "no base_composition");
  Figure figure;
  figure.id = "base_composition";
  figure.section = "Cohort";
  figure.title = "Base composition";
  figure.columns = {"base", "count", "fraction"};
  for (const char* base : {"A", "C", "G", "T", "N"}) {
    const json& entry = stats["base_composition"].value(base, json::object());
    figure.rows.push_back({{"base", base}, {"count", entry.value("count", 0L)}, {"fraction", entry.value("fraction", 0.0)}});
  }
  figure.caption =
      "Bases of the small-variant REF and ALT window records in stats.json (base_composition), after "
      "upper-casing and IUPAC codes to N (SV junction windows are not counted here).";
  figure.spec = {{"mark", "bar"},
                 {"width", 240},
                 {"encoding",
                  {{"x", {{"field", "base"}, {"type", "nominal"}, {"sort", json::array({"A", "C", "G", "T", "N"})}}},
                   {"y", {{"field", "fraction"}, {"type", "quantitative"}, {"axis", {{"format", ".0%"}}}}},
                   {"tooltip", json::array({{{"field", "base"}}, {{"field", "count"}},
                                            {{"field", "fraction"}, {"format", ".4f"}}})}}}};
  return figure;
}

}  // namespace

std::vector<Figure> cohort_figures(const std::string& windows_dir) {
  const std::string manifest_path = path_join(windows_dir, std::string(contract::cohort_manifest_file));
  const std::string stats_path = path_join(windows_dir, std::string(contract::cohort_stats_file));
  Table manifest = read_table(manifest_path);
  std::vector<Figure> figures;
  if (manifest.has_column("histology_abbreviation"))
    figures.push_back(label_figure(manifest, "histology_abbreviation", "histologies", "15 histological types"));
  if (manifest.has_column("organ_system"))
    figures.push_back(label_figure(manifest, "organ_system", "organ_systems", "15 organ systems"));
  LengthTally tally;
  const std::size_t tsv = manifest.column("tsv"), sv_tsv = manifest.column("sv_tsv"),
                    sv_fasta = manifest.column("sv_fasta");
  for (const auto& row : manifest.rows) {
    if (!row[tsv].empty()) tally_small_variants(path_join(windows_dir, row[tsv]), tally);
    if (!row[sv_tsv].empty())
      tally_sv_junctions(path_join(windows_dir, row[sv_tsv]), path_join(windows_dir, row[sv_fasta]) + ".fai", tally);
  }
  figures.push_back(window_length_figure(tally));
  if (!tally.indel_lengths.empty()) figures.push_back(indel_length_figure(tally));
  json stats = read_json_file(stats_path);
  figures.push_back(kmer_figure(stats, stats_path));
  figures.push_back(base_composition_figure(stats, stats_path));
  return figures;
}

std::vector<std::pair<std::string, long>> top_counts(const std::map<std::string, long>& counts, std::size_t k) {
  std::vector<std::pair<std::string, long>> sorted(counts.begin(), counts.end());  // alphabetical
  std::stable_sort(sorted.begin(), sorted.end(), [](const auto& a, const auto& b) { return a.second > b.second; });
  if (sorted.size() > k) sorted.resize(k);
  return sorted;
}

std::vector<Bin> histogram(const std::vector<double>& values, int bins) {
  if (values.empty() || bins <= 0) return {};
  const auto [low_it, high_it] = std::minmax_element(values.begin(), values.end());
  return histogram(values, bins, *low_it, *high_it);
}

std::vector<Bin> histogram(const std::vector<double>& values, int bins, double low, double high) {
  std::vector<Bin> out;
  if (bins <= 0) return out;
  if (high == low) high = low + 1;
  const double width = (high - low) / bins;
  out.resize(static_cast<std::size_t>(bins));
  for (int b = 0; b < bins; ++b) out[static_cast<std::size_t>(b)] = {low + b * width, low + (b + 1) * width, 0};
  for (double v : values) {
    int b = std::min(bins - 1, static_cast<int>(std::floor((v - low) / width)));
    ++out[static_cast<std::size_t>(b)].count;
  }
  return out;
}

std::vector<std::string> files_with_suffix(const std::string& dir, const std::string& suffix) {
  std::vector<std::string> files;
  for (const auto& name : list_directory(dir))
    if (name.size() > suffix.size() && name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0)
      files.push_back(path_join(dir, name));
  std::sort(files.begin(), files.end());
  return files;
}

std::vector<std::string> listed_outputs(const std::string& dir, const std::string& provenance, const std::string& list,
                                        const std::string& name, const std::string& suffix) {
  const std::string path = path_join(dir, provenance);
  const nlohmann::json run = read_json_file(path);
  if (!run.contains(list) || !run[list].is_array()) throw input_error(path, 0, "no '{}' list of outputs", list);
  std::vector<std::string> files;
  std::set<std::string> listed;
  for (const auto& entry : run[list]) {
    if (!entry.contains(name) || !entry[name].is_string()) throw input_error(path, 0, "an entry of '{}' lacks '{}'", list, name);
    listed.insert(entry[name].get<std::string>());
    files.push_back(path_join(dir, entry[name].get<std::string>()));
  }
  std::vector<std::string> others;
  for (const auto& file : files_with_suffix(dir, suffix))
    if (!listed.count(file_name(file))) others.push_back(file_name(file));
  if (!others.empty())
    log(Level::warning, "{}: {} *{} file(s) not in {} (another run's) are left out of the figures: {}", dir,
        others.size(), suffix, provenance, fmt::format("{}", fmt::join(others, ", ")));
  return files;
}

}  // namespace oncolm::report
