#include "train/train_data.h"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <map>
#include <set>

#include "core/error.h"
#include "core/fasta_reader.h"
#include "core/log.h"
#include "core/paths.h"
#include "core/sha256.h"
#include "core/text.h"
#include "model/embed_pipeline.h"
#include "train/masking.h"

namespace oncolm::train {
namespace {

// donor_id by sample id and by the file names of its small-variant and SV-junction FASTAs, from a windows
// directory's manifest.tsv (file names are the sanitised id, so the id alone does not find them).
std::map<std::string, std::string> read_donors(const std::string& manifest_path) {
  std::map<std::string, std::string> donors;
  std::ifstream in(manifest_path);
  std::string line;
  if (!std::getline(in, line)) throw input_error(manifest_path, 0, "empty manifest (no header line)");
  std::vector<std::string> header = split_tabs(line);
  auto column = [&](const char* name) {
    auto found = std::find(header.begin(), header.end(), name);
    if (found == header.end()) throw input_error(manifest_path, 1, "manifest lacks the column {}", name);
    return static_cast<std::size_t>(found - header.begin());
  };
  const std::size_t sample = column("sample_id"), donor = column("donor_id"), fasta = column("fasta");
  auto optional_column = std::find(header.begin(), header.end(), "sv_fasta");
  const std::size_t sv_fasta = static_cast<std::size_t>(optional_column - header.begin());
  std::size_t number = 1;
  while (std::getline(in, line)) {
    ++number;
    if (line.empty()) continue;
    auto fields = split_tabs(line);
    if (fields.size() != header.size())
      throw input_error(manifest_path, static_cast<long>(number), "{} fields where the header has {}", fields.size(),
                        header.size());
    donors[fields[sample]] = fields[donor];
    if (!fields[fasta].empty()) donors[file_name(fields[fasta])] = fields[donor];
    if (sv_fasta < fields.size() && !fields[sv_fasta].empty()) donors[file_name(fields[sv_fasta])] = fields[donor];
  }
  return donors;
}

std::string donor_of(const model::EmbedSource& source, const std::set<std::string>& window_dirs,
                     std::map<std::string, std::map<std::string, std::string>>& cache) {
  if (!window_dirs.count(absolute_path(parent_directory(source.fasta)))) return "";  // plain FASTA
  std::string dir = parent_directory(source.fasta);
  std::string manifest = path_join(dir, "manifest.tsv");
  if (!path_exists(manifest)) {
    log(Level::warning, "{}: no manifest.tsv; sample '{}' counts as its own donor", dir, source.sample);
    return source.sample;
  }
  auto& donors = cache.try_emplace(manifest, read_donors(manifest)).first->second;
  for (const std::string& key : {file_name(source.fasta), source.sample}) {
    auto found = donors.find(key);
    if (found != donors.end() && !found->second.empty()) return found->second;
  }
  throw input_error(manifest, 0, "no donor_id for sample '{}' ({})", source.sample, file_name(source.fasta));
}

void read_source(std::size_t index, Corpus& corpus) {
  const TrainSource& source = corpus.sources[index];
  model::WindowManifest manifest;
  if (!source.manifest.empty()) manifest = model::read_window_manifest(source.manifest);
  std::map<std::string, std::size_t> by_name;
  FastaReader reader(source.fasta);
  FastaRecord record;
  while (reader.next(record)) {
    model::CleanupReport cleanup = model::clean_sequence(record.sequence);
    if (cleanup.invalid > 0)
      throw input_error(source.fasta, static_cast<long>(record.line),
                        "record '{}' has {} character(s) that are no nucleotide code (first '{}' at base {})",
                        record.name, cleanup.invalid, record.sequence[cleanup.first_invalid],
                        cleanup.first_invalid + 1);
    if (record.sequence.empty()) continue;
    TrainSequence sequence{record.name, index, record.line, std::move(record.sequence), std::nullopt};
    auto site = manifest.sites.find(sequence.record);
    if (site != manifest.sites.end()) sequence.site = site->second;
    by_name[sequence.record] = corpus.sequences.size();
    corpus.sequences.push_back(std::move(sequence));
  }
  // A manifest pair whose ALT or REF record is not in the FASTA is left out, counted and named.
  std::size_t left_out = 0;
  std::string first_left_out;
  for (const auto& pair : manifest.pairs) {
    TrainPair unit;
    auto alt = by_name.find(pair.alt_record);
    if (alt != by_name.end()) {
      unit.alt = alt->second;
      for (const auto& ref : pair.ref_records) {
        auto found = by_name.find(ref);
        if (found != by_name.end()) unit.refs.push_back(found->second);
      }
      if (unit.refs.size() == pair.ref_records.size()) {
        corpus.pairs.push_back(std::move(unit));
        continue;
      }
    }
    if (left_out++ == 0) first_left_out = pair.alt_record;
  }
  if (left_out > 0)
    log(Level::warning, "{}: {} pair(s) lack their ALT or a REF record in {} (first: the pair of '{}'); left out of "
        "the pairs", source.manifest, left_out, source.fasta, first_left_out);
}

}  // namespace

Corpus load_corpus(const std::vector<std::string>& inputs) {
  Corpus corpus;
  std::map<std::string, std::map<std::string, std::string>> donor_cache;
  std::set<std::string> window_dirs;
  for (const auto& input : inputs)
    if (is_directory(input)) window_dirs.insert(absolute_path(input));
  for (const auto& source : model::discover_sources(inputs))
    corpus.sources.push_back({source.name, source.fasta, source.manifest, donor_of(source, window_dirs, donor_cache)});
  for (std::size_t i = 0; i < corpus.sources.size(); ++i) read_source(i, corpus);
  if (corpus.sequences.empty())
    throw input_error(inputs.front(), 0, "the inputs hold no sequences to train on");
  return corpus;
}

std::vector<std::pair<std::string, std::string>> corpus_files(const Corpus& corpus) {
  std::set<std::string> paths;
  for (const auto& source : corpus.sources) {
    paths.insert(absolute_path(source.fasta));
    if (!source.manifest.empty()) paths.insert(absolute_path(source.manifest));
    std::string manifest = path_join(parent_directory(source.fasta), "manifest.tsv");
    if (!source.donor.empty() && path_exists(manifest)) paths.insert(absolute_path(manifest));
  }
  std::vector<std::pair<std::string, std::string>> files;
  for (const auto& path : paths) files.emplace_back(path, sha256_file_hex(path));
  return files;
}

TokenizedSequence tokenize_sequence(const TrainSequence& sequence, const Corpus& corpus,
                                    const model::Tokenizer& tokenizer, std::size_t max_tokens, bool truncate) {
  model::Encoding encoding = tokenizer.encode(sequence.bases);
  if (encoding.size() > max_tokens) {
    const TrainSource& source = corpus.sources[sequence.source];
    if (!truncate)
      throw input_error(source.fasta, static_cast<long>(sequence.line),
                        "record '{}' is {} tokens long, more than the model's {} positions (with <cls>): pass "
                        "--max-tokens N to train on the N tokens centred on the variant (or the record centre); "
                        "tiling, as `oncolm embed --tile` does, has no training equivalent",
                        sequence.record, encoding.size(), max_tokens);
    double centre = sequence.site ? 0.5 * static_cast<double>(sequence.site->begin + sequence.site->end)
                                  : 0.5 * static_cast<double>(sequence.bases.size());
    model::truncate_centred(encoding, sequence.bases.size(), max_tokens, centre);
  }
  TokenizedSequence out;
  if (sequence.site) out.span = model::token_span(encoding, *sequence.site);
  out.ids = std::move(encoding.ids);
  return out;
}

TrainSequence second_view(const TrainSequence& sequence, SecondView view, int max_shift, std::mt19937_64& rng) {
  TrainSequence out = sequence;
  const std::size_t length = sequence.bases.size();
  if (view == SecondView::reverse_complement) {
    out.bases = model::reverse_complement(sequence.bases);
    if (sequence.site) {
      out.site->begin = length - sequence.site->end;
      out.site->end = length - sequence.site->begin;
    }
    return out;
  }
  // Shift: drop 1..max_shift bases from the left or the right end, never into the variant.
  const std::size_t room_left = sequence.site ? sequence.site->begin : length / 2;
  const std::size_t room_right = sequence.site ? length - sequence.site->end : length / 2;
  std::vector<bool> sides;  // true = the left end
  if (room_left > 0) sides.push_back(true);
  if (room_right > 0) sides.push_back(false);
  if (sides.empty() || max_shift < 1) return out;
  const bool from_left = sides[uniform_below(rng, sides.size())];
  const std::size_t room =
      std::min<std::size_t>(static_cast<std::size_t>(max_shift), from_left ? room_left : room_right);
  const std::size_t drop = 1 + static_cast<std::size_t>(uniform_below(rng, room));
  if (from_left) {
    out.bases.erase(0, drop);
    if (out.site) {
      out.site->begin -= drop;
      out.site->end -= drop;
    }
  } else {
    out.bases.resize(length - drop);
  }
  return out;
}

Split split_units(const std::vector<std::string>& unit_donors, const std::vector<std::string>& unit_keys,
                  double fraction, std::uint64_t seed) {
  Split split;
  const bool by_donor =
      std::any_of(unit_donors.begin(), unit_donors.end(), [](const std::string& d) { return !d.empty(); });
  const bool by_record =
      std::any_of(unit_donors.begin(), unit_donors.end(), [](const std::string& d) { return d.empty(); });
  split.method = by_donor ? (by_record ? "donor, and record for units without one" : "donor") : "record";
  if (fraction <= 0) {
    for (std::size_t u = 0; u < unit_donors.size(); ++u) split.train.push_back(u);
    return split;
  }
  std::set<std::string> validation;
  if (by_donor) {
    std::set<std::string> unique(unit_donors.begin(), unit_donors.end());
    unique.erase("");  // plain FASTA records: no donor, split by record below
    std::vector<std::string> donors(unique.begin(), unique.end());
    if (donors.size() < 2)
      throw input_error(donors.empty() ? "" : donors.front(), 0,
                        "a validation split by donor needs at least two donors, found {}: use --validation-fraction 0",
                        donors.size());
    std::mt19937_64 rng(stream_seed(seed, 0x5e11));
    for (std::size_t i = donors.size(); i > 1; --i) std::swap(donors[i - 1], donors[uniform_below(rng, i)]);
    std::size_t count = static_cast<std::size_t>(std::llround(fraction * static_cast<double>(donors.size())));
    count = std::clamp<std::size_t>(count, 1, donors.size() - 1);
    validation.insert(donors.begin(), donors.begin() + static_cast<std::ptrdiff_t>(count));
    split.validation_donors.assign(validation.begin(), validation.end());
  }
  for (std::size_t u = 0; u < unit_donors.size(); ++u) {
    bool validates;
    if (!unit_donors[u].empty()) {
      validates = validation.count(unit_donors[u]) > 0;
    } else {
      std::uint64_t hash = 1469598103934665603ULL;  // FNV-1a: the same on every platform
      for (unsigned char c : unit_keys[u]) hash = (hash ^ c) * 1099511628211ULL;
      validates = static_cast<double>(stream_seed(seed, hash) >> 11) * 0x1.0p-53 < fraction;
    }
    (validates ? split.validation : split.train).push_back(u);
  }
  return split;
}

}  // namespace oncolm::train
