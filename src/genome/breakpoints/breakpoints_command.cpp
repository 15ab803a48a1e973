#include "genome/breakpoints/breakpoints_command.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <fstream>
#include <memory>
#include <set>
#include <stdexcept>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

#include "core/windows_output.h"
#include "core/atomic_file.h"
#include "core/error.h"
#include "core/fasta_reader.h"
#include "core/file_contract.h"
#include "core/json_file.h"
#include "core/log.h"
#include "core/paths.h"
#include "core/text.h"
#include "core/version.h"
#include "genome/breakpoints/junction_clusters.h"
#include "genome/io/hts_handles.h"
#include "genome/io/reference.h"

namespace oncolm::genome::breakpoints {
namespace {

using Json = nlohmann::json;

bool ends_with(const std::string& text, std::string_view suffix) {
  return text.size() >= suffix.size() && text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
}

std::string or_dot(const std::string& text) { return text.empty() ? "." : text; }

// Lines of a plain or BGZF text file.
class LineReader {
 public:
  explicit LineReader(std::string path) : path_(std::move(path)) {
    if (::oncolm::path_exists(path_) && bgzf_eof_state(path_) == 0)
      throw input_error(path_, 0, "truncated BGZF file (no end-of-file marker)");
    file_.reset(hts_open(path_.c_str(), "r"));
    if (!file_) throw input_error(path_, 0, "cannot read file (missing or unreadable)");
  }
  bool next(std::string& line) {
    int got = hts_getline(file_.get(), '\n', text_.get());
    if (got == -1) return false;
    if (got < -1) throw input_error(path_, line_ + 1, "read error (truncated or corrupt file?)");
    ++line_;
    line.assign(text_.c_str(), text_.size());
    if (!line.empty() && line.back() == '\r') line.pop_back();
    return true;
  }
  long line() const { return line_; }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  HtsFilePtr file_;
  KString text_;
  long line_ = 0;
};

std::int64_t parse_integer(const std::string& text, const std::string& path, long line, const std::string& column) {
  try {
    std::size_t used = 0;
    long long value = std::stoll(text, &used);
    if (used == text.size()) return value;
  } catch (const std::exception&) {
  }
  throw input_error(path, line, "column {} is '{}', not an integer", column, text);
}

// One sample of a windows directory: the files its stats.json names.
struct SampleInputs {
  std::string dir, sample_id, safe_id, stats, sv_tsv, sv_fasta, reference_fai_sha256;
};

std::string stats_text(const Json& stats, const char* key, const std::string& path) {
  if (!stats.contains(key) || !stats[key].is_string())
    throw input_error(path, 0, "no '{}' string: not a per-sample stats file of `oncolm windows`", key);
  return stats[key].get<std::string>();
}

std::vector<SampleInputs> discover(const std::string& dir) {
  if (!is_directory(dir)) throw input_error(dir, 0, "not a directory (give `oncolm windows` output directories)");
  check_finished_windows_output(dir);
  std::vector<std::string> names = list_directory(dir);
  std::set<std::string> present(names.begin(), names.end());
  const std::string stats_suffix(contract::stats_suffix);
  const std::string sv_tsv_suffix = contract::tsv_name(std::string(contract::sv_windows_set));
  std::vector<SampleInputs> samples;
  for (const std::string& name : names) {
    if (!ends_with(name, stats_suffix) || name == contract::cohort_stats_file) continue;
    SampleInputs sample;
    sample.dir = dir;
    sample.stats = path_join(dir, name);
    Json stats = read_json_file(sample.stats);
    sample.sample_id = stats_text(stats, "sample_id", sample.stats);
    sample.safe_id = stats_text(stats, "safe_id", sample.stats);
    std::string stem = contract::sv_windows_stem(sample.safe_id);
    for (auto [file, member] : {std::pair{contract::tsv_name(stem), &SampleInputs::sv_tsv},
                                std::pair{contract::fasta_name(stem), &SampleInputs::sv_fasta}}) {
      if (!present.count(file))
        throw input_error(sample.stats, 0, "sample {} has no {} in {}: partial windows directory", sample.sample_id,
                          file, dir);
      sample.*member = path_join(dir, file);
    }
    if (stats.contains("provenance") && stats["provenance"].is_object() &&
        stats["provenance"].contains("reference_fai_sha256")) {
      const auto& checksum = stats["provenance"]["reference_fai_sha256"];
      if (!checksum.is_string())
        throw input_error(sample.stats, 0, "provenance.reference_fai_sha256 is {}, not a checksum string",
                          checksum.dump());
      sample.reference_fai_sha256 = checksum.get<std::string>();
    }
    samples.push_back(std::move(sample));
  }
  // An SV TSV without its stats file is a sample whose `oncolm windows` run did not finish.
  std::set<std::string> complete;
  for (const SampleInputs& sample : samples) complete.insert(file_name(sample.sv_tsv));
  for (const std::string& name : names)
    if (ends_with(name, sv_tsv_suffix) && !complete.count(name))
      throw input_error(path_join(dir, name), 0,
                        "no {}{} next to it: the sample's windows are incomplete (`oncolm windows` writes the "
                        "stats file last); rerun `oncolm windows` for it",
                        name.substr(0, name.size() - sv_tsv_suffix.size()), stats_suffix);
  if (samples.empty())
    throw input_error(dir, 0, "no sample outputs of `oncolm windows` (no <sample>{} files)", stats_suffix);
  return samples;
}

// The SV windows TSV, row by row, with its REF1/REF2 records from the SV FASTA.
class SvWindowsReader {
 public:
  explicit SvWindowsReader(const SampleInputs& sample) : tsv_(sample.sv_tsv), fasta_(sample.sv_fasta) {
    std::string header;
    if (!tsv_.next(header)) throw input_error(tsv_.path(), 0, "empty file: no header line");
    std::vector<std::string> names = split_tabs(header);
    for (std::size_t i = 0; i < names.size(); ++i) index_.emplace(names[i], i);
    std::vector<std::string> missing;
    for (const std::string& column : required_sv_columns())
      if (!index_.count(column)) missing.push_back(column);
    if (!missing.empty())
      throw input_error(tsv_.path(), 1, "header lacks column(s) {} (an SV windows TSV of `oncolm windows` has {})",
                        fmt::join(missing, ", "), fmt::join(contract::sv_window_tsv_columns, " "));
    columns_ = names.size();
  }

  bool next() {
    std::string line;
    do {
      if (!tsv_.next(line)) {
        FastaRecord extra;
        if (fasta_.next(extra))
          throw input_error(fasta_.path(), static_cast<long>(extra.line),
                            "record {} has no row in {}: FASTA and TSV do not belong together", extra.name,
                            tsv_.path());
        return false;
      }
    } while (line.empty());
    cells_ = split_tabs(line);
    if (cells_.size() < columns_)
      throw input_error(tsv_.path(), tsv_.line(), "row has {} cells, the header {} columns", cells_.size(), columns_);
    for (const char* kind : {"ref1", "ref2", "alt"}) {
      std::string name = cell(std::string(kind) + "_record");
      FastaRecord& record = kind[3] == '1' ? ref1_ : kind[3] == '2' ? ref2_ : alt_;
      if (!fasta_.next(record))
        throw input_error(fasta_.path(), 0, "ends before record {} that {} line {} names", name, tsv_.path(),
                          tsv_.line());
      if (record.name != name)
        throw input_error(fasta_.path(), static_cast<long>(record.line),
                          "record {} where {} line {} expects {} (records out of order or from another run)",
                          record.name, tsv_.path(), tsv_.line(), name);
    }
    return true;
  }

  const std::string& cell(const std::string& column) const { return cells_[index_.at(column)]; }
  std::int64_t integer(const std::string& column) const {
    return parse_integer(cell(column), tsv_.path(), tsv_.line(), column);
  }
  const std::string& ref1() const { return ref1_.sequence; }
  const std::string& ref2() const { return ref2_.sequence; }
  const std::string& path() const { return tsv_.path(); }
  long line() const { return tsv_.line(); }

 private:
  LineReader tsv_;
  FastaReader fasta_;
  std::map<std::string, std::size_t> index_;
  std::size_t columns_ = 0;
  std::vector<std::string> cells_;
  FastaRecord ref1_, ref2_, alt_;
};

// Where sequence comes from: the REF windows, or the reference (then homology may grow past them).
class SequenceSource {
 public:
  explicit SequenceSource(Reference* reference) : reference_(reference) {}

  BreakendWindow window(const SvWindowsReader& row, const char* side) const {
    std::string prefix(side);  // "ref1" or "ref2"
    bool first = prefix == "ref1";
    BreakendWindow window;
    window.chrom = row.cell(first ? "chrom" : "mate_chrom");
    window.pos = row.integer(first ? "pos" : "mate_pos");
    window.start = row.integer(prefix + "_window_start");
    std::int64_t end = row.integer(prefix + "_window_end");
    std::int64_t offset = row.integer(prefix + "_offset");
    // With --personalise an applied germline indel makes the record's length differ from its reference
    // span (start and end name the reference positions of its first and last bases); the breakend
    // stays at `offset` in the record either way.
    const std::string& applied = row.cell("germline_applied");
    const bool personalised = !applied.empty() && applied != ".";
    if (window.pos < window.start || end < window.pos || (!personalised && window.start + offset != window.pos))
      throw input_error(row.path(), row.line(), "{} window {}-{} with offset {} does not hold breakend {}:{}", prefix,
                        window.start, end, offset, window.chrom, window.pos);
    if (reference_) {
      window.bases = reference_->fetch(contig(row, window.chrom), window.start, end);
    } else {
      window.bases = first ? row.ref1() : row.ref2();
      if (!personalised && static_cast<std::int64_t>(window.bases.size()) != end - window.start + 1)
        throw input_error(row.path(), row.line(), "{} record has {} bases, its span {}-{} {}", prefix,
                          window.bases.size(), window.start, end, end - window.start + 1);
      if (offset < 0 || offset >= static_cast<std::int64_t>(window.bases.size()))
        throw input_error(row.path(), row.line(), "{} offset {} lies outside its record of {} bases", prefix, offset,
                          window.bases.size());
      window.start = window.pos - offset;  // record coordinates: the breakend at `offset`, as in the record
    }
    return window;
  }

  // With a reference: the homology followed beyond the REF windows until it ends or the contigs do.
  Microhomology extend(const SvWindowsReader& row, JunctionCall call, Microhomology homology) const {
    if (!reference_) return homology;
    std::int64_t half = std::max<std::int64_t>(call.breakend1.bases.size(), 1000);
    while (!homology.complete) {
      for (BreakendWindow* window : {&call.breakend1, &call.breakend2}) {
        int index = contig(row, window->chrom);
        window->start = std::max<std::int64_t>(1, window->pos - half);
        window->bases =
            reference_->fetch(index, window->start, std::min(reference_->length(index), window->pos + half));
      }
      Microhomology wider = junction_microhomology(call);
      // Twice the sequence and no more homology: a contig end bounds it (complete stays false).
      if (!wider.complete && wider.length() == homology.length()) break;
      homology = std::move(wider);
      half *= 2;
    }
    return homology;
  }

 private:
  int contig(const SvWindowsReader& row, const std::string& chrom) const {
    int index = reference_->find(chrom);
    if (index < 0)
      throw input_error(row.path(), row.line(), "contig {} is not in the reference {}", chrom, reference_->path());
    return index;
  }
  Reference* reference_;
};

std::string upper(std::string text) {
  for (char& c : text) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return text;
}

// A junction as the clustering needs it.
struct JunctionRef {
  std::string sample_id, safe_id, id, alt_record, sv_class, mechanism;
};

SampleBreakpoints process_sample(const SampleInputs& sample, const std::string& out_dir, Reference* reference,
                                 const MechanismRules& rules, std::vector<JunctionRef>* junctions) {
  SampleBreakpoints result;
  result.sample_id = sample.sample_id;
  result.safe_id = sample.safe_id;
  result.windows_dir = sample.dir;
  result.output = path_join(out_dir, sample.safe_id + std::string(breakpoints_suffix));
  for (const char* name : {"DEL", "DUP", "INV", "TRA", "INS"}) result.by_class[name] = 0;
  for (const std::string& name : mechanism_labels()) result.by_mechanism[name] = 0;

  AtomicFile file(result.output);
  std::ofstream out(file.temp_path());
  if (!out) throw input_error(result.output, 0, "cannot write");
  out << fmt::format("{}\n", fmt::join(breakpoints_tsv_columns, "\t"));
  SvWindowsReader rows(sample);
  SequenceSource source(reference);
  while (rows.next()) {
    if (rows.cell("sample_id") != sample.sample_id)
      throw input_error(rows.path(), rows.line(), "sample_id {} where {} names sample {}", rows.cell("sample_id"),
                        sample.stats, sample.sample_id);
    JunctionCall call;
    call.breakend1 = source.window(rows, "ref1");
    call.breakend2 = source.window(rows, "ref2");
    call.strands = rows.cell("strands");
    call.inserted = rows.cell("inserted_sequence") == "." ? "" : upper(rows.cell("inserted_sequence"));
    call.imprecise = rows.cell("imprecise") == "1";
    JunctionFeatures features;
    try {
      features = analyse_junction(call, rules);
    } catch (const std::invalid_argument& error) {
      throw input_error(rows.path(), rows.line(), "{}", error.what());
    }
    if (features.homology_computed && !features.homology.complete) {
      features.homology = source.extend(rows, call, features.homology);
      features.mechanism = mechanism(call.imprecise, 0, features.homology.length(), rules);
    }
    const Microhomology& homology = features.homology;
    std::string homlen = features.homology_computed ? std::to_string(homology.length()) : call.imprecise ? "." : "0";
    std::string complete = features.homology_computed ? (homology.complete ? "1" : "0") : ".";
    std::string templated = features.templates.empty() ? "." : features.templates.front().text();
    out << fmt::format("{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\n", rows.cell("sample_id"),
                       rows.cell("id"), call.breakend1.chrom, call.breakend1.pos, call.breakend2.chrom,
                       call.breakend2.pos, call.strands, features.sv_class.name, features.sv_class.size, homlen,
                       or_dot(homology.sequence), or_dot(call.inserted), templated, features.mechanism, complete);

    if (junctions)
      junctions->push_back({sample.sample_id, sample.safe_id, rows.cell("id"), rows.cell("alt_record"),
                            features.sv_class.name, features.mechanism});
    ++result.junctions;
    ++result.by_class[features.sv_class.name];
    ++result.by_mechanism[features.mechanism];
    result.templated_insertions += !features.templates.empty();
    result.homology_incomplete += features.homology_computed && !homology.complete;
    const std::string& caller_homlen = rows.cell("homlen");
    if (features.homology_computed && caller_homlen != ".") {
      ++result.caller_homology_compared;
      std::string caller_homseq = rows.cell("homseq") == "." ? "" : upper(rows.cell("homseq"));
      result.caller_homology_agree +=
          caller_homlen == std::to_string(homology.length()) && caller_homseq == homology.sequence;
    }
  }
  out.close();
  if (!out) throw input_error(result.output, 0, "write failed (disk full?)");
  file.commit();
  return result;
}

void add_counts(SampleBreakpoints& total, const SampleBreakpoints& sample) {
  total.junctions += sample.junctions;
  for (const auto& [name, count] : sample.by_class) total.by_class[name] += count;
  for (const auto& [name, count] : sample.by_mechanism) total.by_mechanism[name] += count;
  total.templated_insertions += sample.templated_insertions;
  total.homology_incomplete += sample.homology_incomplete;
  total.caller_homology_compared += sample.caller_homology_compared;
  total.caller_homology_agree += sample.caller_homology_agree;
}

Json counts_json(const SampleBreakpoints& counts) {
  return {{"junctions", counts.junctions},
          {"by_class", counts.by_class},
          {"by_mechanism", counts.by_mechanism},
          {"templated_insertions", counts.templated_insertions},
          {"homology_incomplete", counts.homology_incomplete},
          {"caller_homology_compared", counts.caller_homology_compared},
          {"caller_homology_agree", counts.caller_homology_agree}};
}

// The ALT rows of `oncolm embed`'s <safe_id>.sv.emb.{npy,tsv} for these junctions, in junction order.
std::vector<std::vector<double>> junction_embeddings(const std::string& dir,
                                                     const std::vector<JunctionRef>& junctions) {
  // embed.json, written last, lists the files of a finished run: others are an earlier run's.
  const std::string record = path_join(dir, std::string(contract::embed_provenance_file));
  if (!path_exists(record))
    throw input_error(record, 0, "missing: not a finished `oncolm embed` output directory (rerun `oncolm embed`)");
  std::set<std::string> listed;
  const Json embed = read_json_file(record);
  if (embed.contains("outputs") && embed["outputs"].is_array())
    for (const Json& output : embed["outputs"])
      if (output.contains("npy") && output["npy"].is_string()) listed.insert(output["npy"].get<std::string>());
  std::vector<std::vector<double>> rows;
  std::size_t i = 0;
  std::int64_t columns = -1;
  while (i < junctions.size()) {
    const std::string name = junctions[i].safe_id + std::string(contract::sv_embedding_name_suffix);
    const std::string npy_path = path_join(dir, name + std::string(contract::embedding_npy_suffix));
    const std::string tsv_path = path_join(dir, name + std::string(contract::embedding_tsv_suffix));
    if (path_exists(npy_path) && !listed.count(file_name(npy_path)))
      throw input_error(record, 0, "does not list {}: that file is left from another run (rerun `oncolm embed` on "
                        "the windows directory)", file_name(npy_path));
    if (!path_exists(npy_path) || !path_exists(tsv_path))
      throw input_error(dir, 0, "no {} and {} for sample {} (run `oncolm embed` on the windows directory)",
                        file_name(npy_path), file_name(tsv_path), junctions[i].sample_id);
    NpyMatrix matrix = read_npy(npy_path);
    if (columns >= 0 && matrix.columns != columns)
      throw input_error(npy_path, 0, "{} columns where other samples' embeddings have {} (another model?)",
                        matrix.columns, columns);
    columns = matrix.columns;
    LineReader tsv(tsv_path);
    std::string line;
    if (!tsv.next(line)) throw input_error(tsv_path, 0, "empty file: no header line");
    std::vector<std::string> header = split_tabs(line);
    auto record_column = std::find(header.begin(), header.end(), "record");
    if (record_column == header.end()) throw input_error(tsv_path, 1, "header lacks column record");
    std::size_t column = static_cast<std::size_t>(record_column - header.begin());
    std::map<std::string, std::int64_t> row_of;
    std::int64_t row = 0;
    while (tsv.next(line)) {
      if (line.empty()) continue;
      std::vector<std::string> cells = split_tabs(line);
      if (cells.size() <= column) throw input_error(tsv_path, tsv.line(), "row has no record cell");
      row_of[cells[column]] = row++;
    }
    if (row != matrix.rows)
      throw input_error(npy_path, 0, "{} rows but {} lists {} records: the files do not belong together", matrix.rows,
                        tsv_path, row);
    for (; i < junctions.size() && junctions[i].safe_id + std::string(contract::sv_embedding_name_suffix) == name;
         ++i) {
      auto found = row_of.find(junctions[i].alt_record);
      if (found == row_of.end())
        throw input_error(tsv_path, 0, "no row for {} (junction {} of sample {}): embeddings of other windows?",
                          junctions[i].alt_record, junctions[i].id, junctions[i].sample_id);
      const float* values = matrix.values.data() + found->second * matrix.columns;
      rows.emplace_back(values, values + matrix.columns);
    }
  }
  return rows;
}

ClusterSummary cluster_junctions(const BreakpointsRun& run, const std::vector<JunctionRef>& junctions) {
  if (!is_directory(run.embeddings_dir))
    throw input_error(run.embeddings_dir, 0, "not a directory (give an `oncolm embed` output directory)");
  std::vector<std::vector<double>> embeddings = junction_embeddings(run.embeddings_dir, junctions);
  const std::int64_t n = static_cast<std::int64_t>(embeddings.size());
  if (n < 2 || n < run.clusters)
    throw input_error(run.embeddings_dir, 0, "{} junction(s): too few for --clusters {}", n, run.clusters);
  const std::int64_t columns = static_cast<std::int64_t>(embeddings[0].size());
  ClusterSummary summary;
  summary.junctions = n;
  summary.components = static_cast<int>(std::min<std::int64_t>({run.components, n - 1, columns}));
  Pca pca = principal_components(embeddings, summary.components, run.seed);
  KMeans clusters = kmeans(pca.scores, run.clusters, run.seed, run.restarts);
  summary.explained_variance_ratio = pca.explained_variance_ratio;
  summary.sizes = clusters.sizes;
  summary.inertia = clusters.inertia;
  const std::string path = path_join(run.out_dir, std::string(junction_clusters_file));
  AtomicFile file(path);
  std::ofstream out(file.temp_path());
  out << "sample_id\tid\talt_record\tclass\tmechanism\tcluster";
  for (int c = 1; c <= summary.components; ++c) out << "\tpc" << c;
  out << "\n";
  for (std::size_t i = 0; i < junctions.size(); ++i) {
    const JunctionRef& junction = junctions[i];
    out << fmt::format("{}\t{}\t{}\t{}\t{}\t{}", junction.sample_id, junction.id, junction.alt_record,
                       junction.sv_class, junction.mechanism, clusters.labels[i]);
    for (double score : pca.scores[i]) out << fmt::format("\t{:.6g}", score);
    out << "\n";
  }
  out.close();
  if (!out) throw input_error(path, 0, "write failed (disk full?)");
  file.commit();
  return summary;
}

}  // namespace

const std::vector<std::string>& required_sv_columns() {
  static const std::vector<std::string> columns = {"sample_id",       "id",          "chrom",       "pos",
                                                   "mate_chrom",      "mate_pos",    "strands",     "inserted_sequence",
                                                   "homlen",          "homseq",      "imprecise",   "ref1_window_start",
                                                   "ref1_window_end", "ref1_offset", "ref1_record", "ref2_window_start",
                                                   "ref2_window_end", "ref2_offset", "ref2_record", "alt_record"};
  return columns;
}

BreakpointsSummary run_breakpoints(const BreakpointsRun& run) {
  if (run.windows_dirs.empty()) throw InputError("no windows directory given");
  if (!run.embeddings_dir.empty() && (run.components < 1 || run.clusters < 1 || run.restarts < 1))
    throw InputError("--components and --clusters must be at least 1");
  if (run.rules.min_microhomology < 1 || run.rules.max_microhomology < run.rules.min_microhomology ||
      run.rules.min_templated_length < 1)
    throw InputError(
        fmt::format("need 1 <= --min-microhomology ({}) <= --max-microhomology ({}) and "
                    "--min-templated-length ({}) >= 1",
                    run.rules.min_microhomology, run.rules.max_microhomology, run.rules.min_templated_length));
  // The directories, sample sets and reference are checked before anything is written; a row found
  // malformed later stops the run before breakpoints.json, which is written last (the report and
  // the workflow read only the tables it lists).
  std::vector<SampleInputs> samples;
  std::map<std::string, std::string> seen;  // safe id -> directory
  for (const std::string& dir : run.windows_dirs)
    for (SampleInputs& sample : discover(dir)) {
      auto [where, fresh] = seen.emplace(sample.safe_id, dir);
      if (!fresh)
        throw input_error(sample.stats, 0, "sample {} is also in {}: outputs would collide", sample.sample_id,
                          where->second);
      samples.push_back(std::move(sample));
    }
  std::unique_ptr<Reference> reference;
  std::string fai_sha256;
  if (!run.reference.empty()) {
    reference = std::make_unique<Reference>(run.reference);
    fai_sha256 = reference_fai_sha256(run.reference);
    for (const SampleInputs& sample : samples)
      if (!sample.reference_fai_sha256.empty() && sample.reference_fai_sha256 != fai_sha256)
        throw input_error(run.reference, 0,
                          "its .fai differs from the reference sample {} was made with ({}: reference_fai_sha256 {}); "
                          "give that reference or none",
                          sample.sample_id, sample.stats, sample.reference_fai_sha256);
  }

  make_directories(run.out_dir);
  const std::string provenance_path = path_join(run.out_dir, std::string(breakpoints_provenance_file));
  std::remove(provenance_path.c_str());  // an earlier run's provenance must not describe this one
  const std::string clusters_path = path_join(run.out_dir, std::string(junction_clusters_file));
  std::remove(clusters_path.c_str());
  BreakpointsSummary summary;
  std::vector<JunctionRef> junctions;
  const bool clustering = !run.embeddings_dir.empty();
  for (const SampleInputs& sample : samples) {
    summary.samples.push_back(
        process_sample(sample, run.out_dir, reference.get(), run.rules, clustering ? &junctions : nullptr));
    add_counts(summary.total, summary.samples.back());
  }
  if (clustering) {
    summary.clusters = cluster_junctions(run, junctions);
    summary.clustered = true;
  }

  Json provenance = {{"version", version_string()},
                     {"git_hash", git_hash()},
                     {"command_line", run.command_line},
                     {"windows_dirs", run.windows_dirs},
                     {"sequence_source", reference ? "reference" : "sv_windows_ref_records"},
                     {"reference", reference ? Json(run.reference) : Json(nullptr)},
                     {"reference_fai_sha256", reference ? Json(fai_sha256) : Json(nullptr)},
                     {"parameters",
                      {{"min_microhomology", run.rules.min_microhomology},
                       {"max_microhomology", run.rules.max_microhomology},
                       {"min_templated_length", run.rules.min_templated_length}}},
                     {"columns", breakpoints_tsv_columns},
                     {"total", counts_json(summary.total)}};
  Json per_sample = Json::array();
  for (const SampleBreakpoints& sample : summary.samples) {
    Json entry = counts_json(sample);
    entry["sample_id"] = sample.sample_id;
    entry["safe_id"] = sample.safe_id;
    entry["windows_dir"] = sample.windows_dir;
    entry["output"] = file_name(sample.output);
    per_sample.push_back(entry);
  }
  provenance["samples"] = per_sample;
  if (summary.clustered)
    provenance["clusters"] = {{"embeddings_dir", run.embeddings_dir},
                              {"output", std::string(junction_clusters_file)},
                              {"junctions", summary.clusters.junctions},
                              {"components", summary.clusters.components},
                              {"explained_variance_ratio", summary.clusters.explained_variance_ratio},
                              {"clusters", run.clusters},
                              {"sizes", summary.clusters.sizes},
                              {"inertia", summary.clusters.inertia},
                              {"seed", run.seed},
                              {"restarts", run.restarts}};
  write_file_atomically(provenance_path, provenance.dump(2) + "\n");
  return summary;
}

}  // namespace oncolm::genome::breakpoints
