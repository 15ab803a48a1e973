#include "downstream/features.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <mutex>
#include <sstream>
#include <stdexcept>
#include <unordered_map>

#include <zlib.h>

#include "core/error.h"
#include "core/fasta_reader.h"
#include "core/file_contract.h"
#include "core/json_file.h"
#include "core/paths.h"
#include "core/sha256.h"
#include "core/text.h"
#include "core/threads.h"
#include "core/windows_output.h"
#include "downstream/mutation_classes.h"
#include "downstream/npy_reader.h"

namespace oncolm::downstream {
namespace {

// Lines of a plain, gzip or BGZF text file, one at a time, with errors naming the file.
class LineReader {
 public:
  explicit LineReader(const std::string& path) : path_(path) {
    file_ = gzopen(path.c_str(), "rb");
    if (file_ == nullptr) throw input_error(path, 0, "cannot open: {}", std::strerror(errno ? errno : ENOENT));
    gzbuffer(file_, 1 << 17);
  }
  ~LineReader() { gzclose(file_); }
  LineReader(const LineReader&) = delete;
  LineReader& operator=(const LineReader&) = delete;
  bool next(std::string& line) {
    line.clear();
    char buffer[65536];
    while (true) {
      if (gzgets(file_, buffer, sizeof buffer) == nullptr) {
        int status = Z_OK;
        const char* message = gzerror(file_, &status);
        if (status != Z_OK && status != Z_STREAM_END)
          throw input_error(path_, number_ + 1, "cannot decompress ({}): truncated or corrupt file", message);
        if (line.empty()) return false;
        break;
      }
      line += buffer;
      if (!line.empty() && line.back() == '\n') break;
    }
    while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.pop_back();
    ++number_;
    return true;
  }
  long line_number() const { return number_; }

 private:
  std::string path_;
  gzFile file_ = nullptr;
  long number_ = 0;
};

struct Table {
  std::string path;
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows;
  std::size_t column(const std::string& name) const {
    auto it = std::find(header.begin(), header.end(), name);
    if (it == header.end()) throw input_error(path, 1, "no column '{}'", name);
    return static_cast<std::size_t>(it - header.begin());
  }
};

// A whole TSV; `expected` are the first columns the header must have (the file contract).
Table read_table(const std::string& path, const std::vector<std::string>& expected) {
  Table table;
  table.path = path;
  LineReader reader(path);
  std::string line;
  if (!reader.next(line)) throw input_error(path, 0, "empty file: no header line");
  table.header = split_tabs(line);
  for (std::size_t i = 0; i < expected.size(); ++i)
    if (i >= table.header.size() || table.header[i] != expected[i])
      throw input_error(path, 1, "not an oncolm windows table: column {} is '{}', expected '{}'", i + 1,
                        i < table.header.size() ? table.header[i] : "", expected[i]);
  while (reader.next(line)) {
    if (line.empty()) continue;
    auto cells = split_tabs(line);
    if (cells.size() != table.header.size())
      throw input_error(path, reader.line_number(), "{} fields, the header has {} (truncated file?)", cells.size(),
                        table.header.size());
    table.rows.push_back(std::move(cells));
  }
  return table;
}

long parse_long(const std::string& text, const std::string& path, long line, const std::string& column) {
  char* end = nullptr;
  errno = 0;
  long value = std::strtol(text.c_str(), &end, 10);
  if (text.empty() || *end != '\0' || errno != 0)
    throw input_error(path, line, "column {}: '{}' is not an integer", column, text);
  return value;
}

std::string stem_of(const std::string& fasta_name) {
  std::string suffix = std::string(contract::windows_set) + std::string(contract::fasta_suffix);
  if (fasta_name.size() > suffix.size() &&
      fasta_name.compare(fasta_name.size() - suffix.size(), suffix.size(), suffix) == 0)
    return fasta_name.substr(0, fasta_name.size() - suffix.size());
  return fasta_name;
}

enum VariantType { snv = 0, mnv = 1, indel = 2, sv = 3 };
const std::vector<std::string> type_names = {"snv", "mnv", "indel", "sv"};

// One small variant of a windows TSV.
struct SmallVariant {
  VariantType type;
  std::string chrom;
  long pos;
  std::string ref, alt;
  std::size_t offset;
  std::string ref_record, alt_record;
};

constexpr std::size_t n_sbs = 96, n_id = 84, n_dbs = 79;

struct SampleFeatures {
  std::vector<double> signature, density, embedding;
  SignatureLeftOut left_out;
};

class SampleExtractor {
 public:
  SampleExtractor(const Cohort& cohort, const CohortSample& sample, const FeatureOptions& options)
      : cohort_(cohort), sample_(sample), options_(options) {}

  SampleFeatures run() {
    bool want_signature = has(FeatureSet::signature), want_density = has(FeatureSet::density),
         want_embedding = has(FeatureSet::embedding);
    read_small_variants();
    read_svs();
    SampleFeatures out;
    if (want_signature) out.signature = signature(out.left_out);
    if (want_density) out.density = density();
    if (want_embedding) out.embedding = embedding();
    return out;
  }

 private:
  bool has(FeatureSet set) const {
    return std::find(options_.sets.begin(), options_.sets.end(), set) != options_.sets.end();
  }
  std::string in_dir(const std::string& name) const { return path_join(cohort_.dir, name); }

  void read_small_variants() {
    std::string path = in_dir(sample_.tsv);
    Table table = read_table(path, contract::window_tsv_columns);
    std::size_t c_sample = table.column("sample_id"), c_chrom = table.column("chrom"),
                c_pos = table.column("norm_pos"), c_ref = table.column("norm_ref"), c_alt = table.column("norm_alt"),
                c_type = table.column("type"), c_offset = table.column("offset"),
                c_ref_record = table.column("ref_record"), c_alt_record = table.column("alt_record");
    long line = 1;
    for (auto& row : table.rows) {
      ++line;
      if (row[c_sample] != sample_.sample_id && row[c_sample] != sample_.name)
        throw input_error(path, line, "sample_id is '{}', the manifest says '{}'", row[c_sample], sample_.sample_id);
      SmallVariant v;
      const std::string& type = row[c_type];
      if (type == "snv") v.type = snv;
      else if (type == "mnv") v.type = mnv;
      else if (type == "indel") v.type = indel;
      else throw input_error(path, line, "unknown variant type '{}' (expected snv, mnv or indel)", type);
      v.chrom = row[c_chrom];
      v.pos = parse_long(row[c_pos], path, line, "norm_pos");
      v.ref = row[c_ref];
      v.alt = row[c_alt];
      long offset = parse_long(row[c_offset], path, line, "offset");
      if (offset < 0) throw input_error(path, line, "negative offset {}", offset);
      v.offset = static_cast<std::size_t>(offset);
      v.ref_record = row[c_ref_record];
      v.alt_record = row[c_alt_record];
      variants_.push_back(std::move(v));
    }
    // A TSV cut short but still a valid gzip (or another run's) would give features from part of the sample.
    if (sample_.windows >= 0 && static_cast<long>(variants_.size()) != sample_.windows)
      throw input_error(path, 0, "has {} rows; manifest.tsv counts {} windows for sample '{}'", variants_.size(),
                        sample_.windows, sample_.sample_id);
  }

  void read_svs() {
    std::string path = in_dir(sample_.sv_tsv);
    sv_table_ = read_table(path, contract::sv_window_tsv_columns);
    std::size_t c_class = sv_table_.column("class");
    for (const auto& row : sv_table_.rows) sv_classes_.push_back(sv_class_index(row[c_class]));
    if (sample_.sv_junctions >= 0 && static_cast<long>(sv_table_.rows.size()) != sample_.sv_junctions)
      throw input_error(path, 0, "has {} rows; manifest.tsv counts {} SV junctions for sample '{}'",
                        sv_table_.rows.size(), sample_.sv_junctions, sample_.sample_id);
  }

  // SBS-96 and ID-83 need each variant's REF window: stream the FASTA and classify REF records as
  // they come (memory holds one record).
  void classify_small_variants(std::vector<double>& sbs, std::vector<double>& id, std::vector<double>& dbs,
                               SignatureLeftOut& left_out) {
    std::unordered_map<std::string, std::size_t> wanted;
    for (std::size_t i = 0; i < variants_.size(); ++i)
      if (variants_[i].type != mnv) wanted.emplace(variants_[i].ref_record, i);
    for (const auto& v : variants_) {
      if (v.type != mnv) continue;
      int index = dbs78_index(v.ref, v.alt);
      if (index >= 0) dbs[static_cast<std::size_t>(index)] += 1;
      else ++left_out.mnvs;
    }
    if (wanted.empty()) return;
    std::string path = in_dir(sample_.fasta);
    FastaReader reader(path);
    FastaRecord record;
    std::vector<bool> seen(variants_.size(), false);
    std::size_t found = 0;
    while (found < wanted.size() && reader.next(record)) {
      auto it = wanted.find(record.name);
      if (it == wanted.end() || seen[it->second]) continue;
      seen[it->second] = true;
      ++found;
      const SmallVariant& v = variants_[it->second];
      // ASCII upper case (what std::toupper does in the C locale) without a libc call per base.
      for (char& c : record.sequence)
        if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
      if (v.type == snv) {
        int index = v.alt.size() == 1 ? sbs96_index_in_window(record.sequence, v.offset, v.alt[0]) : -1;
        if (index >= 0) sbs[static_cast<std::size_t>(index)] += 1;
        else ++left_out.snvs;  // an N next to it, or at the window's edge
      } else {
        int index = id83_index(record.sequence, v.offset, v.ref, v.alt);
        if (index >= 0) id[static_cast<std::size_t>(index)] += 1;
        else ++left_out.indels;
      }
    }
    if (found < wanted.size())
      for (std::size_t i = 0; i < variants_.size(); ++i)
        if (variants_[i].type != mnv && !seen[i])
          throw input_error(path, 0, "no record '{}', which {} names (partial or mismatched windows directory)",
                            variants_[i].ref_record, in_dir(sample_.tsv));
  }

  static void append_proportions(std::vector<double>& out, const std::vector<double>& counts) {
    double total = 0;
    for (double c : counts) total += c;
    for (double c : counts) out.push_back(total > 0 ? c / total : 0.0);
  }

  std::vector<double> signature(SignatureLeftOut& left_out) {
    std::vector<double> sbs(n_sbs), id(n_id), dbs(n_dbs), svc(sv_classes().size());
    classify_small_variants(sbs, id, dbs, left_out);
    for (int c : sv_classes_) svc[static_cast<std::size_t>(c)] += 1;
    double counts[4] = {0, 0, 0, 0};
    for (const auto& v : variants_) counts[v.type] += 1;
    counts[sv] = static_cast<double>(sv_classes_.size());
    std::vector<double> out;
    append_proportions(out, sbs);
    append_proportions(out, id);
    append_proportions(out, dbs);
    append_proportions(out, svc);
    for (double c : counts) out.push_back(std::log1p(c));
    return out;
  }

  // Small variants (at norm_pos) per bin, as a fraction of the sample's small variants.
  std::vector<double> density() {
    const ContigBins& bins = options_.bins;
    std::vector<double> out(bins.bins());
    if (contig_first_bin_.empty()) {
      std::size_t first = 0;
      for (std::size_t i = 0; i < bins.contigs.size(); ++i) {
        contig_first_bin_[bins.contigs[i]] = {first, bins.lengths[i]};
        first += static_cast<std::size_t>((bins.lengths[i] + bins.bin_size - 1) / bins.bin_size);
      }
    }
    // The TSV keeps the VCF's contig names; `oncolm windows` records those the reference names
    // otherwise (chr20 for 20, --contig-map) in the sample's stats.json.
    std::map<std::string, std::string> reference_names;
    const nlohmann::json stats = read_json_file(in_dir(sample_.stats));
    if (stats.is_object() && stats.contains("contig_names") && stats.at("contig_names").is_object())
      for (const auto& [vcf_name, reference_name] : stats.at("contig_names").items())
        if (reference_name.is_string()) reference_names[vcf_name] = reference_name.get<std::string>();
    long line = 1;
    for (const auto& v : variants_) {
      ++line;
      auto renamed = reference_names.find(v.chrom);
      auto it = contig_first_bin_.find(renamed == reference_names.end() ? v.chrom : renamed->second);
      if (it == contig_first_bin_.end())
        throw input_error(in_dir(sample_.tsv), line, "contig '{}' is not in the density bins' reference index {}",
                          v.chrom, bins.source);
      if (v.pos < 1 || v.pos > it->second.second)
        throw input_error(in_dir(sample_.tsv), line, "position {}:{} lies outside the contig's length {} in {}",
                          v.chrom, v.pos, it->second.second, bins.source);
      out[it->second.first + static_cast<std::size_t>((v.pos - 1) / bins.bin_size)] += 1;
    }
    if (!variants_.empty())
      for (double& x : out) x /= static_cast<double>(variants_.size());
    return out;
  }

  // Per type, the mean ALT embedding and the mean ALT - REF (SV: ALT - (REF1 + REF2) / 2); zeros for
  // a type the sample lacks.
  std::vector<double> embedding() {
    const EmbeddingSource& source = *options_.embeddings;
    std::size_t hidden = static_cast<std::size_t>(source.hidden);
    std::vector<double> alt_sum(4 * hidden), diff_sum(4 * hidden);
    double n[4] = {0, 0, 0, 0};
    // Small variants: record -> (type, weight into the ALT mean, weight into the difference).
    std::unordered_map<std::string, std::pair<std::size_t, int>>
        roles;  // record -> (type, +1 ALT / -1 REF / -2 half REF)
    for (const auto& v : variants_) {
      roles[v.ref_record] = {static_cast<std::size_t>(v.type), -1};
      roles[v.alt_record] = {static_cast<std::size_t>(v.type), +1};
      n[v.type] += 1;
    }
    accumulate(source, sample_.name, roles, variants_.size() * 2, in_dir(sample_.tsv), alt_sum, diff_sum);
    if (!sv_table_.rows.empty()) {
      std::unordered_map<std::string, std::pair<std::size_t, int>> sv_roles;
      std::size_t c1 = sv_table_.column("ref1_record"), c2 = sv_table_.column("ref2_record"),
                  ca = sv_table_.column("alt_record");
      for (const auto& row : sv_table_.rows) {
        sv_roles[row[c1]] = {sv, -2};
        sv_roles[row[c2]] = {sv, -2};
        sv_roles[row[ca]] = {sv, +1};
      }
      n[sv] = static_cast<double>(sv_table_.rows.size());
      accumulate(source, sample_.name + std::string(contract::sv_embedding_name_suffix), sv_roles,
                 sv_table_.rows.size() * 3, in_dir(sample_.sv_tsv), alt_sum, diff_sum);
    }
    std::vector<double> out;
    for (std::size_t t = 0; t < 4; ++t) {
      for (std::size_t j = 0; j < hidden; ++j) out.push_back(n[t] > 0 ? alt_sum[t * hidden + j] / n[t] : 0.0);
      for (std::size_t j = 0; j < hidden; ++j) out.push_back(n[t] > 0 ? diff_sum[t * hidden + j] / n[t] : 0.0);
    }
    return out;
  }

  void accumulate(const EmbeddingSource& source, const std::string& name,
                  const std::unordered_map<std::string, std::pair<std::size_t, int>>& roles, std::size_t expected,
                  const std::string& windows_tsv, std::vector<double>& alt_sum, std::vector<double>& diff_sum) {
    std::string tsv = path_join(source.dir, name + std::string(contract::embedding_tsv_suffix));
    std::string npy = path_join(source.dir, name + std::string(contract::embedding_npy_suffix));
    if (!path_exists(tsv) || !path_exists(npy))
      throw input_error(path_exists(tsv) ? npy : tsv, 0,
                        "missing: the embedding directory has no embeddings for sample '{}' ({} windows); run "
                        "`oncolm embed` on the windows directory",
                        sample_.sample_id, expected);
    LineReader reader(tsv);
    std::string line;
    if (!reader.next(line) || split_tabs(line).empty() || split_tabs(line)[0] != "record")
      throw input_error(tsv, 1, "not an oncolm embed table: no 'record' column first");
    std::vector<std::pair<std::size_t, int>> row_roles;
    std::unordered_map<std::string, bool> seen;
    while (reader.next(line)) {
      if (line.empty()) continue;
      std::string record = line.substr(0, line.find('\t'));
      auto it = roles.find(record);
      if (it == roles.end())
        throw input_error(tsv, reader.line_number(),
                          "record '{}' is not a window of {}: the embeddings do not match the windows", record,
                          windows_tsv);
      if (!seen.emplace(record, true).second)
        throw input_error(tsv, reader.line_number(), "record '{}' appears twice", record);
      row_roles.push_back(it->second);
    }
    if (row_roles.size() != expected)
      throw input_error(tsv, 0, "{} embedding rows, but {} has {} windows: the embeddings do not match the windows",
                        row_roles.size(), windows_tsv, expected);
    NpyReader matrix(npy);
    if (matrix.rows() != static_cast<std::int64_t>(row_roles.size()))
      throw input_error(npy, 0, "{} rows, but {} has {}", matrix.rows(), tsv, row_roles.size());
    if (matrix.cols() != source.hidden)
      throw input_error(npy, 0, "{} columns, other samples' embeddings have {}", matrix.cols(), source.hidden);
    std::size_t hidden = static_cast<std::size_t>(source.hidden);
    std::vector<float> row(hidden);
    for (const auto& [type, role] : row_roles) {
      matrix.read_row(row.data());
      double* alt = alt_sum.data() + type * hidden;
      double* diff = diff_sum.data() + type * hidden;
      double weight = role == 1 ? 1.0 : role == -1 ? -1.0 : -0.5;
      for (std::size_t j = 0; j < hidden; ++j) {
        if (role == 1) alt[j] += row[j];
        diff[j] += weight * row[j];
      }
    }
  }

  const Cohort& cohort_;
  const CohortSample& sample_;
  const FeatureOptions& options_;
  std::vector<SmallVariant> variants_;
  Table sv_table_;
  std::vector<int> sv_classes_;
  std::unordered_map<std::string, std::pair<std::size_t, std::int64_t>> contig_first_bin_;
};

std::string prefixed(const std::string& prefix, const std::string& name) { return prefix + ":" + name; }

}  // namespace

std::string feature_set_name(FeatureSet set) {
  switch (set) {
    case FeatureSet::signature: return "signature";
    case FeatureSet::density: return "density";
    case FeatureSet::embedding: return "embedding";
  }
  return "";
}

std::vector<FeatureSet> parse_feature_sets(const std::string& text) {
  std::vector<FeatureSet> sets;
  std::stringstream in(text);
  std::string name;
  while (std::getline(in, name, ',')) {
    FeatureSet set;
    if (name == "signature") set = FeatureSet::signature;
    else if (name == "density") set = FeatureSet::density;
    else if (name == "embedding") set = FeatureSet::embedding;
    else throw std::invalid_argument("--features: unknown feature set '" + name + "' (signature, density, embedding)");
    if (std::find(sets.begin(), sets.end(), set) != sets.end())
      throw std::invalid_argument("--features: '" + name + "' given twice");
    sets.push_back(set);
  }
  if (sets.empty()) throw std::invalid_argument("--features: no feature set given");
  return sets;
}

Cohort read_cohort(const std::string& windows_dir) {
  Cohort cohort;
  cohort.dir = windows_dir;
  if (!is_directory(windows_dir))
    throw input_error(windows_dir, 0, "not a directory (expected `oncolm windows` output)");
  // A killed run, unmerged --sample runs, or sample files of another run beside these: refused, as
  // embed, score and breakpoints refuse them.
  check_finished_windows_output(windows_dir);
  cohort.manifest = path_join(windows_dir, std::string(contract::cohort_manifest_file));
  if (!path_exists(cohort.manifest))
    throw input_error(cohort.manifest, 0,
                      "missing: not a complete `oncolm windows` directory (after --sample runs, run `oncolm windows "
                      "merge`)");
  Table table = read_table(cohort.manifest, contract::manifest_columns);
  cohort.label_columns.assign(table.header.begin() + static_cast<long>(contract::manifest_columns.size()),
                              table.header.end());
  long line = 1;
  for (const auto& row : table.rows) {
    ++line;
    CohortSample sample;
    sample.sample_id = row[0];
    sample.donor_id = row[1];
    sample.fasta = row[2];
    sample.tsv = row[3];
    sample.sv_fasta = row[4];
    sample.sv_tsv = row[5];
    sample.stats = row[6];
    sample.windows = parse_long(row[8], cohort.manifest, line, "windows");
    sample.sv_junctions = parse_long(row[12], cohort.manifest, line, "sv_junctions");
    sample.name = stem_of(sample.fasta);
    for (const CohortSample& earlier : cohort.samples)
      if (earlier.sample_id == sample.sample_id)
        throw input_error(cohort.manifest, line, "sample '{}' is listed twice", sample.sample_id);
    if (sample.donor_id.empty() || sample.donor_id == ".") sample.donor_id = sample.sample_id;
    for (std::size_t c = contract::manifest_columns.size(); c < row.size(); ++c)
      sample.labels[table.header[c]] = row[c];
    for (const std::string* file : {&sample.stats, &sample.tsv, &sample.fasta, &sample.sv_tsv})
      if (file->empty() || !path_exists(path_join(windows_dir, *file)))
        throw input_error(path_join(windows_dir, *file), 0,
                          "missing: sample '{}' of {} (line {}) is incomplete (partial windows directory?)",
                          sample.sample_id, cohort.manifest, line);
    cohort.samples.push_back(std::move(sample));
  }
  if (cohort.samples.empty()) throw input_error(cohort.manifest, 0, "no samples");
  std::string stats = path_join(windows_dir, std::string(contract::cohort_stats_file));
  if (path_exists(stats)) {
    nlohmann::json json = read_json_file(stats);
    if (json.contains("provenance")) cohort.provenance = json["provenance"];
  }
  return cohort;
}

std::size_t ContigBins::bins() const {
  std::size_t total = 0;
  for (auto length : lengths) total += static_cast<std::size_t>((length + bin_size - 1) / bin_size);
  return total;
}

nlohmann::json ContigBins::to_json() const {
  return {{"contigs", contigs}, {"lengths", lengths}, {"bin_size", bin_size}, {"source", source}, {"fai_sha256", fai_sha256}};
}

ContigBins ContigBins::from_json(const nlohmann::json& json) {
  ContigBins bins;
  bins.contigs = json.at("contigs").get<std::vector<std::string>>();
  bins.lengths = json.at("lengths").get<std::vector<std::int64_t>>();
  bins.bin_size = json.at("bin_size").get<std::int64_t>();
  bins.source = json.value("source", "");
  bins.fai_sha256 = json.value("fai_sha256", "");  // absent in classifiers fitted before it was recorded
  return bins;
}

ContigBins read_contig_bins(const std::string& path, std::int64_t bin_size) {
  if (bin_size <= 0) throw std::invalid_argument("density bin size must be positive");
  std::string fai = path.size() > 4 && path.compare(path.size() - 4, 4, ".fai") == 0 ? path : path + ".fai";
  std::ifstream in(fai);
  if (!in)
    throw input_error(fai, 0,
                      "cannot open the reference index (density bins need contig lengths: `samtools faidx REF`)");
  ContigBins bins;
  bins.bin_size = bin_size;
  bins.source = fai;
  std::string line;
  long number = 0;
  while (std::getline(in, line)) {
    ++number;
    if (line.empty()) continue;
    auto cells = split_tabs(line);
    if (cells.size() < 2) throw input_error(fai, number, "not a FASTA index line (name, length, ...)");
    bins.contigs.push_back(cells[0]);
    bins.lengths.push_back(parse_long(cells[1], fai, number, "length"));
  }
  if (bins.contigs.empty()) throw input_error(fai, 0, "no contigs");
  bins.fai_sha256 = sha256_file_hex(fai);
  // Each bin is a feature column of every sample, in every fold's copy of the matrix.
  constexpr std::size_t most_bins = 100000;
  if (bins.bins() > most_bins)
    throw std::invalid_argument(fmt::format(
        "--bin-size {} makes {} density bins over the contigs of {}; at most {} are supported (the published "
        "PCAWG classifiers use 1 Mb bins)",
        bin_size, bins.bins(), fai, most_bins));
  return bins;
}

std::string find_reference(const Cohort& cohort, const std::string& given) {
  if (!given.empty()) return given;
  std::string recorded = cohort.provenance.is_object() ? cohort.provenance.value("reference", "") : "";
  if (recorded.empty())
    throw input_error(path_join(cohort.dir, std::string(contract::cohort_stats_file)), 0,
                      "no reference recorded; the density features need --reference (the FASTA the windows were made "
                      "from, with its .fai)");
  for (const std::string& candidate : {recorded, path_join(parent_directory(cohort.dir), recorded)})
    if (path_exists(candidate + ".fai")) return candidate;
  throw input_error(recorded + ".fai", 0,
                    "the reference recorded in {} is not found from here; give --reference (the FASTA the windows were "
                    "made from, with its .fai)",
                    path_join(cohort.dir, std::string(contract::cohort_stats_file)));
}

EmbeddingSource open_embeddings(const std::string& dir) {
  if (!is_directory(dir)) throw input_error(dir, 0, "not a directory (expected `oncolm embed` output)");
  std::string json_path = path_join(dir, "embed.json");
  if (!path_exists(json_path))
    throw input_error(json_path, 0, "missing: not a complete `oncolm embed` output directory");
  nlohmann::json json = read_json_file(json_path);
  EmbeddingSource source;
  source.dir = dir;
  try {
    source.model_sha256 = json.at("model").at("sha256").get<std::string>();
    source.model_dir = json.at("model").value("dir", "");
    source.layer = json.at("layer").get<int>();
    source.pooling = json.value("pooling", "");
    const nlohmann::json& truncation = json.at("truncation");
    source.max_tokens = truncation.at("max_tokens").get<std::int64_t>();
    source.truncation_policy = truncation.at("policy").get<std::string>();
  } catch (const nlohmann::json::exception& error) {
    throw input_error(json_path, 0, "not an oncolm embed record: {}", error.what());
  }
  return source;
}

std::vector<std::size_t> FeatureTable::columns_of(const std::vector<FeatureSet>& sets) const {
  std::vector<std::size_t> columns;
  for (std::size_t c = 0; c < names.size(); ++c)
    if (std::find(sets.begin(), sets.end(), column_sets[c]) != sets.end()) columns.push_back(c);
  return columns;
}

std::vector<std::string> signature_feature_names() {
  std::vector<std::string> names;
  for (const auto& n : sbs96_classes()) names.push_back(prefixed("sbs", n));
  for (const auto& n : id83_classes()) names.push_back(prefixed("id", n));
  for (const auto& n : dbs78_classes()) names.push_back(prefixed("dbs", n));
  for (const auto& n : sv_classes()) names.push_back(prefixed("sv", n));
  for (const auto& t : type_names) names.push_back(prefixed("log_count", t));
  return names;
}

FeatureTable extract_features(const Cohort& cohort, FeatureOptions& options) {
  bool embedding = std::find(options.sets.begin(), options.sets.end(), FeatureSet::embedding) != options.sets.end();
  if (embedding) {
    if (!options.embeddings)
      throw std::invalid_argument("the embedding features need --embeddings (an `oncolm embed` output directory)");
    // The hidden size from the first sample's .npy header.
    const CohortSample& first = cohort.samples.front();
    std::string npy = path_join(options.embeddings->dir, first.name + std::string(contract::embedding_npy_suffix));
    if (!path_exists(npy))
      throw input_error(npy, 0, "missing: the embedding directory has no embeddings for sample '{}'", first.sample_id);
    options.embeddings->hidden = NpyReader(npy).cols();
  }
  std::size_t n = cohort.samples.size();
  std::vector<SampleFeatures> results(n);
  parallel_for_each(n, options.threads,
                    [&](std::size_t i) { results[i] = SampleExtractor(cohort, cohort.samples[i], options).run(); });

  FeatureTable table;
  for (FeatureSet set : options.sets) {
    std::vector<std::string> names;
    if (set == FeatureSet::signature) names = signature_feature_names();
    if (set == FeatureSet::density) {
      const ContigBins& bins = options.bins;
      for (std::size_t c = 0; c < bins.contigs.size(); ++c)
        for (std::int64_t start = 0; start < bins.lengths[c]; start += bins.bin_size)
          names.push_back("density:" + bins.contigs[c] + ":" + std::to_string(start));
    }
    if (set == FeatureSet::embedding)
      for (const auto& type : type_names)
        for (std::string kind : {"alt", "alt-ref"})
          for (std::int64_t j = 0; j < options.embeddings->hidden; ++j)
            names.push_back("emb:" + type + ":" + kind + ":" + std::to_string(j));
    for (auto& name : names) {
      table.names.push_back(name);
      table.column_sets.push_back(set);
    }
  }
  table.values = Matrix(n, table.names.size());
  for (std::size_t i = 0; i < n; ++i) {
    table.sample_ids.push_back(cohort.samples[i].sample_id);
    table.left_out.snvs += results[i].left_out.snvs;
    table.left_out.mnvs += results[i].left_out.mnvs;
    table.left_out.indels += results[i].left_out.indels;
    std::size_t c = 0;
    for (FeatureSet set : options.sets) {
      const std::vector<double>& part = set == FeatureSet::signature ? results[i].signature
                                        : set == FeatureSet::density ? results[i].density
                                                                     : results[i].embedding;
      for (double x : part) {
        // An embedding file holding NaN or inf (a diverged model) would turn every metric into noise.
        if (!std::isfinite(x))
          throw input_error(set == FeatureSet::embedding ? options.embeddings->dir : cohort.dir, 0,
                            "sample '{}': feature {} is {}, not a finite number", cohort.samples[i].sample_id,
                            table.names[c], x);
        table.values(i, c++) = x;
      }
    }
    if (c != table.names.size()) throw std::logic_error("feature count mismatch");
  }
  return table;
}

}  // namespace oncolm::downstream
