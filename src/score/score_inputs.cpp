#include "score/score_inputs.h"

#include <algorithm>
#include <map>
#include <optional>
#include <set>

#include <nlohmann/json.hpp>

#include "core/windows_output.h"
#include "core/error.h"
#include "core/fasta_reader.h"
#include "core/file_contract.h"
#include "core/json_file.h"
#include "core/paths.h"
#include "core/text.h"
#include "model/tokenizer.h"
#include "model/window_manifest.h"

namespace oncolm::score {
namespace {

bool ends_with(const std::string& text, const std::string& suffix) {
  return text.size() >= suffix.size() && text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
}

std::string stats_text(const nlohmann::json& stats, const char* key, const std::string& path) {
  if (!stats.contains(key) || !stats[key].is_string())
    throw input_error(path, 0, "no '{}' string: not a per-sample stats file of `oncolm windows`", key);
  return stats[key].get<std::string>();
}

// A sample named by its stats file; its windows files must all be there.
ScoreSample sample_from_stats(const std::string& dir, const std::string& stats_path,
                              const std::set<std::string>& present) {
  nlohmann::json stats = read_json_file(stats_path);
  ScoreSample sample;
  sample.dir = dir;
  sample.sample_id = stats_text(stats, "sample_id", stats_path);
  sample.safe_id = stats_text(stats, "safe_id", stats_path);
  const std::string stem = contract::windows_stem(sample.safe_id), sv_stem = contract::sv_windows_stem(sample.safe_id);
  for (auto [file, member] : {std::pair{contract::tsv_name(stem), &ScoreSample::tsv},
                              std::pair{contract::fasta_name(stem), &ScoreSample::fasta},
                              std::pair{contract::tsv_name(sv_stem), &ScoreSample::sv_tsv}}) {
    if (!present.count(file))
      throw input_error(stats_path, 0, "sample {} has no {} in {}: partial windows directory", sample.sample_id, file,
                        dir);
    sample.*member = path_join(dir, file);
  }
  return sample;
}

std::vector<ScoreSample> discover_in(const std::string& dir) {
  if (!path_exists(dir)) throw input_error(dir, 0, "no such directory (give `oncolm windows` output directories)");
  if (!is_directory(dir)) throw input_error(dir, 0, "not a directory (give `oncolm windows` output directories)");
  check_finished_windows_output(dir);
  std::vector<std::string> names = list_directory(dir);
  std::set<std::string> present(names.begin(), names.end());
  const std::string stats_suffix(contract::stats_suffix);
  const std::string tsv_suffix = contract::tsv_name(std::string(contract::windows_set));
  std::vector<ScoreSample> samples;
  std::set<std::string> complete;
  for (const std::string& name : names) {
    if (!ends_with(name, stats_suffix) || name == contract::cohort_stats_file) continue;
    samples.push_back(sample_from_stats(dir, path_join(dir, name), present));
    complete.insert(file_name(samples.back().tsv));
  }
  // A windows TSV without its stats file is a sample whose `oncolm windows` run did not finish:
  // scoring it would silently score part of a sample.
  for (const std::string& name : names)
    if (ends_with(name, tsv_suffix) && !complete.count(name))
      throw input_error(path_join(dir, name), 0,
                        "no {}{} next to it: the sample's windows are incomplete (`oncolm windows` writes the stats "
                        "file last); rerun `oncolm windows` for it",
                        name.substr(0, name.size() - tsv_suffix.size()), stats_suffix);
  if (samples.empty())
    throw input_error(dir, 0, "no sample outputs of `oncolm windows` (no <sample>{} files)", stats_suffix);
  return samples;
}

// Column positions of a TSV header, looked up by name.
class Header {
 public:
  Header(const std::string& line, std::string path) : cells_(split_tabs(line)), path_(std::move(path)) {}
  std::size_t at(const std::string& name) const {
    auto found = std::find(cells_.begin(), cells_.end(), name);
    if (found == cells_.end()) throw input_error(path_, 1, "no column '{}': not an `oncolm windows` TSV", name);
    return static_cast<std::size_t>(found - cells_.begin());
  }
  std::size_t size() const { return cells_.size(); }

 private:
  std::vector<std::string> cells_;
  std::string path_;
};

std::size_t parse_offset(const std::string& text, const std::string& where) {
  try {
    std::size_t used = 0;
    unsigned long long value = std::stoull(text, &used);
    if (used == text.size() && text[0] != '-') return static_cast<std::size_t>(value);
  } catch (const std::exception&) {
  }
  throw InputError(where + ": offset '" + text + "' is not a number");
}

}  // namespace

std::vector<ScoreSample> discover_score_samples(const std::vector<std::string>& windows_dirs) {
  if (windows_dirs.empty()) throw std::invalid_argument("no windows directory given");
  std::vector<ScoreSample> samples;
  std::map<std::string, std::string> by_safe_id;
  for (const std::string& dir : windows_dirs) {
    for (ScoreSample& sample : discover_in(dir)) {
      auto [at, fresh] = by_safe_id.emplace(sample.safe_id, sample.tsv);
      if (!fresh)
        throw input_error(sample.tsv, 0, "sample {} is also in {}: two inputs would write the same {}{}",
                          sample.sample_id, at->second, sample.safe_id, contract::scores_suffix);
      samples.push_back(std::move(sample));
    }
  }
  return samples;
}

std::size_t count_sv_junctions(const ScoreSample& sample) {
  model::GzLines lines(sample.sv_tsv);
  std::string line;
  if (!lines.next(line)) throw input_error(sample.sv_tsv, 0, "empty file: no header line");
  std::size_t rows = 0;
  while (lines.next(line))
    if (!line.empty()) ++rows;
  return rows;
}

struct SampleVariantReader::Impl {
  ScoreSample sample;
  model::GzLines tsv;
  FastaReader fasta;
  std::optional<Header> header;
  std::vector<std::size_t> key_columns;
  std::size_t type = 0, offset = 0, ref_record = 0, alt_record = 0, norm_ref = 0, norm_alt = 0, sample_id = 0;

  explicit Impl(const ScoreSample& s) : sample(s), tsv(s.tsv), fasta(s.fasta) {
    std::string line;
    if (!tsv.next(line)) throw input_error(sample.tsv, 0, "empty file: no header line");
    header.emplace(line, sample.tsv);
    for (const auto& name : contract::score_key_columns) key_columns.push_back(header->at(name));
    type = header->at("type");
    offset = header->at("offset");
    ref_record = header->at("ref_record");
    alt_record = header->at("alt_record");
    norm_ref = header->at("norm_ref");
    norm_alt = header->at("norm_alt");
    sample_id = header->at("sample_id");
  }

  // The next FASTA record, which must be the one the TSV row names.
  std::string record(const std::string& name, const std::string& where) {
    FastaRecord record;
    if (!fasta.next(record)) throw input_error(sample.fasta, 0, "ends before record '{}' that {} names", name, where);
    if (record.name != name)
      throw input_error(sample.fasta, static_cast<long>(record.line), "record '{}' where {} names '{}' next",
                        record.name, where, name);
    model::CleanupReport cleanup = model::clean_sequence(record.sequence);
    if (cleanup.invalid > 0)
      throw input_error(sample.fasta, static_cast<long>(record.line),
                        "record '{}' has {} character(s) that are no nucleotide code (first '{}' at base {})",
                        record.name, cleanup.invalid, record.sequence[cleanup.first_invalid],
                        cleanup.first_invalid + 1);
    return std::move(record.sequence);
  }
};

// The window must carry the allele's changed bases at `offset`: otherwise the TSV and FASTA do not
// belong together, and every score computed from them would be wrong.
void check_allele(const std::string& window, std::size_t offset, const std::string& allele, std::size_t changed,
                  const std::string& what, const std::string& where) {
  if (changed > allele.size() || allele.find_first_not_of("ACGTN") != std::string::npos) return;  // nothing to compare
  std::string bases = allele.substr(allele.size() - changed);
  if (offset + changed > window.size() || window.compare(offset, changed, bases) != 0)
    throw InputError(where + ": the " + what + " window does not carry '" + bases + "' at offset " +
                     std::to_string(offset) + " (TSV and FASTA do not belong together)");
}

SampleVariantReader::SampleVariantReader(const ScoreSample& sample) : impl_(std::make_unique<Impl>(sample)) {}
SampleVariantReader::~SampleVariantReader() = default;

bool SampleVariantReader::next(ScoreVariant& variant) {
  Impl& s = *impl_;
  std::string line;
  do {
    if (!s.tsv.next(line)) {
      FastaRecord extra;
      if (s.fasta.next(extra))
        throw input_error(s.sample.fasta, static_cast<long>(extra.line),
                          "record '{}' has no row in {}: the files do not belong together", extra.name, s.sample.tsv);
      return false;
    }
  } while (line.empty());
  std::vector<std::string> cells = split_tabs(line);
  variant.where = s.sample.tsv + ":" + std::to_string(s.tsv.number());
  if (cells.size() != s.header->size())
    throw InputError(variant.where + ": " + std::to_string(cells.size()) + " fields where the header has " +
                     std::to_string(s.header->size()));
  if (cells[s.sample_id] != s.sample.sample_id)
    throw InputError(variant.where + ": sample_id '" + cells[s.sample_id] + "', but the stats file says '" +
                     s.sample.sample_id + "'");
  variant.keys.clear();
  for (std::size_t column : s.key_columns) variant.keys.push_back(cells[column]);
  variant.type = cells[s.type];
  variant.offset = parse_offset(cells[s.offset], variant.where);
  variant.norm_ref = cells[s.norm_ref];
  variant.norm_alt = cells[s.norm_alt];
  variant.ref_window = s.record(cells[s.ref_record], variant.where);
  variant.alt_window = s.record(cells[s.alt_record], variant.where);
  auto [ref_changed, alt_changed] = model::changed_lengths(variant.norm_ref, variant.norm_alt);
  check_allele(variant.ref_window, variant.offset, variant.norm_ref, ref_changed, "REF", variant.where);
  check_allele(variant.alt_window, variant.offset, variant.norm_alt, alt_changed, "ALT", variant.where);
  return true;
}

}  // namespace oncolm::score
