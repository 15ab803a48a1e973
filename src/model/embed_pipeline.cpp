#include "model/embed_pipeline.h"

#include <algorithm>
#include <limits>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <map>
#include <optional>
#include <set>
#include <unordered_map>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "core/windows_output.h"
#include "core/atomic_file.h"
#include "core/blas_kernels.h"
#include "core/error.h"
#include "core/file_contract.h"
#include "core/fasta_reader.h"
#include "core/json_file.h"
#include "core/log.h"
#include "core/paths.h"
#include "core/progress.h"
#include "core/text.h"
#include "core/version.h"
#include "model/checkpoint.h"
#include "model/npy_writer.h"
#include "model/window_manifest.h"

namespace oncolm::model {
namespace {

// The windows directory's files (core/file_contract.h).
const std::string windows_fasta_suffix = contract::fasta_name(std::string(contract::windows_set));
const std::string windows_manifest_suffix = contract::tsv_name(std::string(contract::windows_set));
const std::string sv_fasta_suffix = contract::fasta_name(std::string(contract::sv_windows_set));
const std::string sv_manifest_suffix = contract::tsv_name(std::string(contract::sv_windows_set));

bool ends_with(const std::string& text, const std::string& suffix) {
  return text.size() >= suffix.size() && text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
}

std::string file_stem(const std::string& path) {
  std::string name = file_name(path);
  for (const char* suffix : {".gz", ".bgz"})
    if (ends_with(name, suffix)) name.resize(name.size() - std::string(suffix).size());
  for (const char* suffix : {".fasta", ".fa", ".fna", ".fas"})
    if (ends_with(name, suffix)) name.resize(name.size() - std::string(suffix).size());
  return name;
}

std::string join_tabs(const std::vector<std::string>& cells) {
  std::string line;
  for (const auto& cell : cells) line += (line.empty() ? "" : "\t") + cell;
  return line;
}

// The sample sheet's id for a source's rows: the stats file's when the windows run wrote one, else
// the windows TSV's sample_id column; they must agree (a mismatch means files of different samples
// were put side by side). A plain FASTA has no sheet: its stem. A windows TSV without the column
// (hand-made windows) falls back to the file's safe id, with a warning.
std::string resolve_sample_id(const EmbedSource& source, const std::string& tsv_sample_id) {
  if (!source.sample_id.empty() && !tsv_sample_id.empty() && source.sample_id != tsv_sample_id)
    throw input_error(source.manifest, 2, "sample_id '{}', but {} says '{}': files of different samples",
                      tsv_sample_id, contract::sample_stats_name(source.sample), source.sample_id);
  if (!source.sample_id.empty()) return source.sample_id;
  if (!tsv_sample_id.empty()) return tsv_sample_id;
  if (!source.manifest.empty())
    log(Level::warning, "{}: no sample_id column or stats file; sample_id '{}' is the file's name", source.manifest,
        source.sample);
  return source.sample;
}

// What one FASTA record becomes: one item, or several tiles, plus its TSV fields.
struct PreparedRecord {
  std::string name;
  std::size_t line = 0;  // of its header in the FASTA, for errors found after the batch ran
  std::size_t bases = 0;
  std::size_t tokens = 0;
  std::size_t cut_left = 0, cut_right = 0;
  std::size_t first_item = 0, item_count = 0;
  std::optional<VariantSite> site;
  std::optional<std::pair<std::int32_t, std::int32_t>> span;  // token span of the variant
};

// Records embedded other than whole, counted per source (warned about and written to embed.json).
struct RecordNotes {
  struct Count {
    std::size_t records = 0;
    std::size_t first_line = 0;
    void add(std::size_t line) {
      if (records++ == 0) first_line = line;
    }
  };
  Count truncated;             // cut to --max-tokens around the variant (or the record's centre)
  Count empty;                 // no bases: the row is <cls> alone
  Count without_manifest_row;  // a windows source's record the manifest does not name: no variant span
  nlohmann::json to_json() const {
    return {{"truncated", truncated.records}, {"empty", empty.records},
            {"without_manifest_row", without_manifest_row.records}};
  }
  // Cutting to --max-tokens is the documented policy (info); the other two point at damaged input.
  void report(const std::string& fasta) const {
    auto say = [&](Level level, const Count& count, const char* what) {
      if (count.records > 0)
        log(level, "{}: {} record(s) {} (first at line {})", fasta, count.records, what, count.first_line);
    };
    say(Level::info, truncated, "longer than --max-tokens, cut around the variant or the record's centre (--tile "
                                "embeds them whole; cut_left/cut_right in the TSV)");
    say(Level::warning, empty, "without bases, embedded as <cls> alone");
    say(Level::warning, without_manifest_row, "not named by the windows manifest: no variant span");
  }
};

class SourceEmbedder {
 public:
  SourceEmbedder(const Embedder& embedder, const EmbedPipelineOptions& options, std::size_t max_tokens)
      : embedder_(embedder), options_(options), max_tokens_(max_tokens) {}

  std::size_t run(const EmbedSource& source, const std::string& npy_path, const std::string& tsv_path);
  const std::string& sample_id() const { return sample_id_; }  // of the last source run
  const RecordNotes& notes() const { return notes_; }            // of the last source run

 private:
  void prepare(FastaRecord& record, const EmbedSource& source);
  void flush(NpyWriter& npy, std::ofstream& tsv, const std::string& fasta);
  void check_finite(const std::vector<float>& item_rows, std::size_t dim, const std::string& fasta) const;
  void check_every_manifest_record_seen(const EmbedSource& source, const std::set<std::string>& seen) const;

  const Embedder& embedder_;
  const EmbedPipelineOptions& options_;
  std::size_t max_tokens_;
  std::unordered_map<std::string, VariantSite> sites_;
  std::string sample_id_;  // the source's sample_id column value
  RecordNotes notes_;
  std::vector<PreparedRecord> records_;
  std::vector<EmbedItem> items_;
  std::vector<std::size_t> item_tokens_;
};

void SourceEmbedder::prepare(FastaRecord& record, const EmbedSource& source) {
  CleanupReport cleanup = clean_sequence(record.sequence);
  if (cleanup.invalid > 0)
    throw input_error(source.fasta, static_cast<long>(record.line),
                      "record '{}' has {} character(s) that are no nucleotide code (first '{}' at base {})",
                      record.name, cleanup.invalid, record.sequence[cleanup.first_invalid], cleanup.first_invalid + 1);
  if (record.sequence.size() > static_cast<std::size_t>(std::numeric_limits<std::int32_t>::max()))
    throw input_error(source.fasta, static_cast<long>(record.line),
                      "record '{}' has {} bases: more than the tokenizer's 2^31 - 1", record.name,
                      record.sequence.size());
  // pandas.read_csv (the documented loader of .emb.tsv) reads a field that starts with '"' as quoted
  // and would join rows: the TSV would no longer match the .npy row for row.
  if (!record.name.empty() && record.name[0] == '"')
    throw input_error(source.fasta, static_cast<long>(record.line),
                      "record name '{}' starts with '\"', which pandas.read_csv reads as a quoted field: rename it",
                      record.name);
  PreparedRecord prepared;
  prepared.name = record.name;
  prepared.line = record.line;
  prepared.bases = record.sequence.size();
  auto site = sites_.find(record.name);
  if (site != sites_.end()) prepared.site = site->second;
  else if (!source.manifest.empty()) notes_.without_manifest_row.add(record.line);
  if (record.sequence.empty()) notes_.empty.add(record.line);
  Encoding encoding = embedder_.tokenizer().encode(record.sequence);
  double centre = prepared.site ? 0.5 * static_cast<double>(prepared.site->begin + prepared.site->end)
                                : 0.5 * static_cast<double>(record.sequence.size());
  prepared.first_item = items_.size();
  if (options_.tile && encoding.size() > max_tokens_) {
    // Consecutive tiles of body tokens, each with its own <cls>; the record's row is their
    // token-weighted mean, i.e. the mean over every embedded token.
    const std::size_t per_tile = max_tokens_ - 1;
    for (std::size_t first = 1; first < encoding.size(); first += per_tile) {
      EmbedItem item;
      item.ids.push_back(encoding.ids[0]);
      std::size_t last = std::min(encoding.size(), first + per_tile);
      item.ids.insert(item.ids.end(), encoding.ids.begin() + static_cast<std::ptrdiff_t>(first),
                      encoding.ids.begin() + static_cast<std::ptrdiff_t>(last));
      prepared.tokens += item.ids.size();
      item_tokens_.push_back(item.ids.size());
      items_.push_back(std::move(item));
    }
  } else {
    Truncation cut = truncate_centred(encoding, record.sequence.size(), max_tokens_, centre);
    prepared.cut_left = cut.cut_left;
    prepared.cut_right = cut.cut_right;
    if (cut.cut_left + cut.cut_right > 0) notes_.truncated.add(record.line);
    if (prepared.site) prepared.span = token_span(encoding, *prepared.site);
    EmbedItem item;
    item.ids = std::move(encoding.ids);
    if (prepared.span) std::tie(item.span_begin, item.span_end) = *prepared.span;
    if (options_.embedder.pooling == Pooling::variant && !prepared.span)
      throw input_error(
          source.fasta, static_cast<long>(record.line),
          "record '{}': --pooling variant needs the variant's position, which {}", record.name,
          source.manifest.empty() ? "only a windows manifest gives" : "the manifest does not give for it");
    prepared.tokens = item.ids.size();
    item_tokens_.push_back(item.ids.size());
    items_.push_back(std::move(item));
  }
  prepared.item_count = items_.size() - prepared.first_item;
  records_.push_back(std::move(prepared));
}

// NaN or inf comes from the model (NaN weights, a config.json such as a negative layer_norm_eps),
// never from a sequence: stop, naming the first record it reached, rather than write it.
void SourceEmbedder::check_finite(const std::vector<float>& item_rows, std::size_t dim, const std::string& fasta) const {
  // float16 output holds at most 65504: a larger value (hidden states before the final LayerNorm,
  // `--layer`) would be written as inf.
  const float limit = options_.float16_output ? 65504.0f : std::numeric_limits<float>::max();
  const auto bad = std::find_if(item_rows.begin(), item_rows.end(),
                                [limit](float v) { return !std::isfinite(v) || std::fabs(v) > limit; });
  if (bad == item_rows.end()) return;
  const std::size_t item = static_cast<std::size_t>(bad - item_rows.begin()) / dim;
  const auto record = std::find_if(records_.begin(), records_.end(), [item](const PreparedRecord& r) {
    return item >= r.first_item && item < r.first_item + r.item_count;
  });
  const bool found = record != records_.end();
  if (std::isfinite(*bad))
    throw input_error(fasta, found ? static_cast<long>(record->line) : 0,
                      "record {}: its embedding holds {}, beyond float16's range (65504): write float32 (--dtype "
                      "float32)", found ? record->name : std::string("?"), *bad);
  throw input_error(fasta, found ? static_cast<long>(record->line) : 0,
                    "the model gives non-finite embeddings (NaN or inf) for record {}: its weights or config.json "
                    "give NaN or inf", found ? record->name : std::string("?"));
}

void SourceEmbedder::flush(NpyWriter& npy, std::ofstream& tsv, const std::string& fasta) {
  if (records_.empty()) return;
  const std::int64_t dim = embedder_.dim();
  std::vector<float> item_rows(items_.size() * static_cast<std::size_t>(dim));
  embedder_.embed(items_, item_rows.data());
  check_finite(item_rows, static_cast<std::size_t>(dim), fasta);
  std::vector<float> rows(records_.size() * static_cast<std::size_t>(dim), 0.0f);
  for (std::size_t r = 0; r < records_.size(); ++r) {
    const PreparedRecord& record = records_[r];
    float* row = rows.data() + r * static_cast<std::size_t>(dim);
    for (std::size_t i = record.first_item; i < record.first_item + record.item_count; ++i) {
      float weight = static_cast<float>(item_tokens_[i]) / static_cast<float>(record.tokens);
      for (std::int64_t d = 0; d < dim; ++d)
        row[d] += weight * item_rows[i * static_cast<std::size_t>(dim) + static_cast<std::size_t>(d)];
    }
    std::string span_start, span_end;
    if (record.span) {
      span_start = std::to_string(record.span->first);
      span_end = std::to_string(record.span->second);
    }
    tsv << record.name << '\t' << sample_id_ << '\t' << (record.site ? record.site->allele : "") << '\t'
        << record.bases << '\t' << record.tokens << '\t' << record.cut_left << '\t' << record.cut_right << '\t'
        << record.item_count << '\t' << span_start << '\t' << span_end << '\n';
  }
  npy.write_rows(rows.data(), static_cast<std::int64_t>(records_.size()));
  records_.clear();
  items_.clear();
  item_tokens_.clear();
}

// A windows FASTA that lacks records its manifest names was cut short (a gzip file cut at a member
// boundary still reads cleanly) or comes from another run: embedding what is there would drop
// those windows without a trace.
void SourceEmbedder::check_every_manifest_record_seen(const EmbedSource& source, const std::set<std::string>& seen) const {
  std::size_t missing = 0;
  std::string first;
  for (const auto& [name, site] : sites_) {
    if (seen.count(name)) continue;
    if (missing++ == 0 || name < first) first = name;
  }
  if (missing > 0)
    throw input_error(source.fasta, 0, "lacks {} record(s) that {} lists (e.g. '{}'): the FASTA is cut short or "
                      "from another run; rerun `oncolm windows` for this sample", missing, source.manifest, first);
}

std::size_t SourceEmbedder::run(const EmbedSource& source, const std::string& npy_path, const std::string& tsv_path) {
  WindowManifest manifest;
  if (!source.manifest.empty()) manifest = read_window_manifest(source.manifest);
  sites_ = std::move(manifest.sites);
  notes_ = RecordNotes{};
  sample_id_ = resolve_sample_id(source, manifest.sample_id);
  NpyWriter npy(npy_path, embedder_.dim(), options_.float16_output);
  std::ofstream tsv(tsv_path, std::ios::binary);
  if (!tsv) throw std::runtime_error("cannot create " + tsv_path);
  tsv << join_tabs(contract::embedding_tsv_columns) << '\n';
  FastaReader reader(source.fasta);
  FastaRecord record;
  Progress progress("embed " + source.name, 0, "records");
  std::size_t count = 0;
  std::set<std::string> seen;
  while (reader.next(record)) {
    if (!seen.insert(record.name).second)
      log(Level::warning, "{}: record name '{}' appears more than once", source.fasta, record.name);
    prepare(record, source);
    ++count;
    if (records_.size() >= options_.chunk_records) {
      flush(npy, tsv, source.fasta);
      progress.advance(options_.chunk_records);
    }
  }
  std::size_t tail = records_.size();
  flush(npy, tsv, source.fasta);
  progress.advance(tail);
  progress.finish();
  npy.finish();
  tsv.close();
  if (!tsv) throw std::runtime_error("cannot write " + tsv_path);
  if (count == 0) log(Level::warning, "{}: no FASTA records", source.fasta);
  check_every_manifest_record_seen(source, seen);
  notes_.report(source.fasta);
  return count;
}

nlohmann::json provenance(const EmbedPipelineOptions& options, const Embedder& embedder, std::size_t max_tokens) {
  Checkpoint checkpoint = Checkpoint::load_dir(options.model_dir);
  nlohmann::json json;
  json["oncolm_version"] = version_string();
  json["git_hash"] = git_hash();
  json["command"] = options.command_line;
  json["blas_kernels"] = blas_kernels_description();  // "" on a build without OpenBLAS
  json["openmp_wait_policy"] = openmp_wait_description();
  json["model"] = {{"dir", absolute_path(options.model_dir)},
                   {"architecture", embedder.config().describe()},
                   {"weights_format", embedder.weights_format()},
                   {"sha256", checkpoint_checksum(checkpoint)}};
  json["layer"] = embedder.layer();
  json["layer_note"] = fmt::format("hidden state index 0..{}; {} = after the final LayerNorm",
                                   embedder.config().num_layers, embedder.config().num_layers);
  json["pooling"] = pooling_name(options.embedder.pooling);
  json["dtype"] = options.float16_output ? "float16" : "float32";
  json["compute"] = embedder.compute_description();
  json["clean_up"] = "upper-case; IUPAC ambiguity codes -> N; other characters are an error";
  json["truncation"] = {
      {"max_tokens", max_tokens},
      {"policy", options.tile ? "tile: consecutive tiles, token-weighted mean"
                              : "centre: keep the tokens centred on the variant (or the record centre)"}};
  json["load"] = {{"numpy", "numpy.load('<name>.emb.npy')"},
                  {"pandas", "pandas.read_csv('<name>.emb.tsv', sep='\\t')"}};
  return json;
}

std::uint64_t file_size(const std::string& path) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  return in ? static_cast<std::uint64_t>(in.tellg()) : 0;
}

// Whether a windows FASTA holds a record: its .fai says so without reading it; a directory copied
// without its index files is read (SV windows must not be left out because an index is missing).
bool holds_records(const std::string& fasta) {
  if (!path_exists(fasta)) return false;
  const std::string index = fasta + ".fai";
  if (path_exists(index)) return file_size(index) > 0;
  FastaReader reader(fasta);
  FastaRecord record;
  return reader.next(record);
}

// Whether a sample has SV junction windows. `oncolm windows` writes the SV FASTA and TSV for every
// sample, junctions or not: in its output both must be there (a copy by `*.windows.*` leaves them
// behind), and the TSV's rows count too, so that a FASTA whose index says "empty" cannot hide
// junctions the TSV lists (the embedding then checks each of them is in the FASTA).
bool has_sv_windows(const std::string& dir, const std::string& sample, bool windows_output) {
  const std::string fasta = path_join(dir, sample + sv_fasta_suffix);
  const std::string tsv = path_join(dir, sample + sv_manifest_suffix);
  if (windows_output)
    for (const std::string& file : {fasta, tsv})
      if (!path_exists(file))
        throw input_error(file, 0, "missing, though {} says the sample finished (`oncolm windows` writes it for every "
                          "sample, with or without SV junctions)", contract::sample_stats_name(sample));
  if (holds_records(fasta)) return true;
  return windows_output && !read_window_manifest(tsv).sites.empty();
}

// The sample sheet's id as <safe_id>.stats.json records it (written last by `oncolm windows`); empty
// when the file is absent (hand-made or partial windows directories).
std::string stats_sample_id(const std::string& dir, const std::string& safe_id) {
  std::string path = path_join(dir, contract::sample_stats_name(safe_id));
  if (!path_exists(path)) return "";
  nlohmann::json json = read_json_file(path);
  if (!json.contains("sample_id") || !json["sample_id"].is_string())
    throw input_error(path, 0, "no sample_id string: not an `oncolm windows` sample stats file");
  return json["sample_id"].get<std::string>();
}

EmbedSource windows_source(const std::string& dir, const std::string& sample, const std::string& name,
                           const std::string& fasta_suffix, const std::string& manifest_suffix) {
  EmbedSource source;
  source.sample = sample;
  source.sample_id = stats_sample_id(dir, sample);
  source.name = name;
  source.fasta = path_join(dir, sample + fasta_suffix);
  std::string manifest = path_join(dir, sample + manifest_suffix);
  if (path_exists(manifest)) source.manifest = manifest;
  else log(Level::warning, "{}: no {}; alleles and variant spans unknown", source.fasta, manifest);
  return source;
}

}  // namespace

std::vector<EmbedSource> discover_sources(const std::vector<std::string>& inputs) {
  std::vector<EmbedSource> sources;
  for (const auto& input : inputs) {
    if (is_directory(input)) {
      std::vector<std::string> fastas;
      for (const auto& name : list_directory(input))
        if (ends_with(name, windows_fasta_suffix)) fastas.push_back(path_join(input, name));
      if (fastas.empty())
        throw input_error(input, 0, "directory holds no <sample>{} files (oncolm windows output)",
                          windows_fasta_suffix);
      check_finished_windows_output(input);
      // In `oncolm windows` output (stats files present) a sample without its stats file, which
      // that command writes last, is one whose run did not finish; hand-made directories have none.
      bool windows_output = false;
      const std::string stats_suffix(contract::stats_suffix);
      for (const auto& name : list_directory(input)) {
        if (!ends_with(name, stats_suffix) || name == contract::cohort_stats_file) continue;
        windows_output = true;
        // And a finished sample without its FASTA lost it: embedding the others would drop it unseen.
        const std::string fasta = name.substr(0, name.size() - stats_suffix.size()) + windows_fasta_suffix;
        if (!path_exists(path_join(input, fasta)))
          throw input_error(path_join(input, fasta), 0, "missing, though {} says the sample finished", name);
      }
      for (const auto& fasta : fastas) {
        std::string file = file_name(fasta);
        std::string sample = file.substr(0, file.size() - windows_fasta_suffix.size());
        if (windows_output && !path_exists(path_join(input, contract::sample_stats_name(sample))))
          throw input_error(fasta, 0, "no {} next to it: the sample's windows are incomplete (`oncolm windows` "
                            "writes the stats file last); rerun `oncolm windows` for it",
                            contract::sample_stats_name(sample));
        sources.push_back(windows_source(input, sample, sample, windows_fasta_suffix, windows_manifest_suffix));
        // SV junction windows of the same sample, when the windows run found any.
        if (has_sv_windows(input, sample, windows_output))
          sources.push_back(windows_source(input, sample, sample + std::string(contract::sv_embedding_name_suffix),
                                           sv_fasta_suffix, sv_manifest_suffix));
      }
    } else if (path_exists(input)) {
      EmbedSource source;
      source.name = source.sample = source.sample_id = file_stem(input);
      source.fasta = input;
      sources.push_back(std::move(source));
    } else {
      throw input_error(input, 0, "no such file or directory");
    }
  }
  std::map<std::string, std::string> names;
  for (const auto& source : sources) {
    auto [at, fresh] = names.emplace(source.name, source.fasta);
    if (!fresh)
      throw input_error(source.fasta, 0, "gives the same output name '{}' as {}", source.name, at->second);
  }
  return sources;
}

std::size_t run_embed_pipeline(const EmbedPipelineOptions& options) {
  std::vector<EmbedSource> sources = discover_sources(options.inputs);
  Embedder embedder(options.model_dir, options.embedder);
  const int model_max = embedder.config().max_tokens;
  if (options.max_tokens > model_max)
    throw std::invalid_argument(
        fmt::format("--max-tokens {} exceeds the model's maximum of {}", options.max_tokens, model_max));
  if (options.max_tokens == 1) throw std::invalid_argument("--max-tokens must leave room for <cls> and one token");
  if (options.tile && options.embedder.pooling != Pooling::mean)
    throw std::invalid_argument("--tile combines tiles by their mean: use it with --pooling mean");
  const std::size_t max_tokens = static_cast<std::size_t>(options.max_tokens > 0 ? options.max_tokens : model_max);
  log(Level::info, "model {}: {}, {} layers, hidden {}, on {}", options.model_dir, embedder.config().describe(),
      embedder.config().num_layers, embedder.dim(), embedder.compute_description());
  make_directories(options.out_dir);
  // The sample files are committed one by one and embed.json last: an earlier run's must not
  // describe them if this run stops part way.
  std::remove(path_join(options.out_dir, std::string(contract::embed_provenance_file)).c_str());
  SourceEmbedder runner(embedder, options, max_tokens);
  nlohmann::json outputs = nlohmann::json::array();
  std::size_t total = 0;
  for (const auto& source : sources) {
    std::string npy_path = path_join(options.out_dir, source.name + std::string(contract::embedding_npy_suffix));
    std::string tsv_path = path_join(options.out_dir, source.name + std::string(contract::embedding_tsv_suffix));
    AtomicFile npy(npy_path), tsv(tsv_path);
    // The pair is renamed one file after the other: an earlier run's must not pair with a new one.
    std::remove(npy_path.c_str());
    std::remove(tsv_path.c_str());
    std::size_t records = runner.run(source, npy.temp_path(), tsv.temp_path());
    npy.commit();
    tsv.commit();
    total += records;
    outputs.push_back({{"name", source.name}, {"sample_id", runner.sample_id()}, {"fasta", source.fasta},
                       {"manifest", source.manifest}, {"records", records}, {"records_not_whole", runner.notes().to_json()},
                       {"npy", file_name(npy_path)}, {"tsv", file_name(tsv_path)}});
  }
  nlohmann::json json = provenance(options, embedder, max_tokens);
  json["outputs"] = outputs;
  write_file_atomically(path_join(options.out_dir, std::string(contract::embed_provenance_file)), json.dump(1) + "\n");
  return total;
}

}  // namespace oncolm::model
