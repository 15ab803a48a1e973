// Per-sample features for `oncolm classify`, read from an `oncolm windows` directory (and an
// `oncolm embed` directory): the published classifiers' mutation spectra (signature), regional
// mutation density (density) and language-model embeddings (embedding). No htslib: the BGZF TSVs
// and FASTAs are read with zlib (core/fasta_reader.h).
#pragma once
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "downstream/matrix.h"

namespace oncolm::downstream {

enum class FeatureSet { signature, density, embedding };
std::string feature_set_name(FeatureSet set);
// "signature,density" -> sets in the order given; throws std::invalid_argument on an unknown name
// or a repeat.
std::vector<FeatureSet> parse_feature_sets(const std::string& text);

// ---- the windows directory ----
struct CohortSample {
  std::string sample_id;  // as the sample sheet gives it
  std::string donor_id;
  std::string name;       // file stem: <name>.windows.fa.gz (the safe id)
  std::string fasta, tsv, sv_fasta, sv_tsv, stats;  // paths inside the windows directory
  std::map<std::string, std::string> labels;        // the sheet's label columns
  long windows = -1;  // small-variant windows (rows of the windows TSV) manifest.tsv counts
  long sv_junctions = -1;  // SV junctions (rows of the SV windows TSV) manifest.tsv counts
};
struct Cohort {
  std::string dir;
  std::string manifest;  // path of manifest.tsv
  std::vector<std::string> label_columns;
  std::vector<CohortSample> samples;
  nlohmann::json provenance;  // stats.json "provenance" (empty when stats.json is absent)
};
// Reads WINDOWS_DIR/manifest.tsv and checks that every sample's files are there (its stats file
// last, as `oncolm windows` writes it). Throws InputError naming the file and the problem.
Cohort read_cohort(const std::string& windows_dir);

// ---- density bins ----
struct ContigBins {
  std::vector<std::string> contigs;
  std::vector<std::int64_t> lengths;
  std::int64_t bin_size = 1000000;
  std::string source;  // the .fai read
  std::string fai_sha256;  // of that .fai: the windows' stats.json records the one they were made with
  std::size_t bins() const;
  nlohmann::json to_json() const;
  static ContigBins from_json(const nlohmann::json& json);
};
// Contig lengths from a FASTA index: `path` is the .fai itself or a FASTA next to its .fai.
ContigBins read_contig_bins(const std::string& path, std::int64_t bin_size);
// The reference for the density bins: `given` when not empty, else the reference recorded in the
// windows directory's stats.json (absolute, or relative to the directory the windows run started
// in: tried as given, then next to the windows directory). Throws InputError when none is found.
std::string find_reference(const Cohort& cohort, const std::string& given);

// ---- the embedding directory ----
struct EmbeddingSource {
  std::string dir;
  std::string model_sha256;
  std::string model_dir;
  int layer = -1;
  std::string pooling;
  // Records longer than max_tokens were cut to their centre or tiled (embed.json's "truncation"):
  // embeddings made either way differ, so a classifier must be given the kind it was fitted on.
  std::int64_t max_tokens = 0;
  std::string truncation_policy;
  std::int64_t hidden = 0;  // columns of the .emb.npy files (found from the first sample)
};
// Reads EMBED_DIR/embed.json. Throws InputError for a missing directory or embed.json.
EmbeddingSource open_embeddings(const std::string& dir);

// ---- extraction ----
struct FeatureOptions {
  std::vector<FeatureSet> sets;
  ContigBins bins;                          // density
  std::optional<EmbeddingSource> embeddings;  // embedding
  int threads = 1;
};
// Small variants the signature set's class proportions leave out (they still count in log_count:*):
// SNVs with an N beside them or at a window's edge (no trinucleotide), MNVs whose alleles are not a
// substitution of two or more bases, and indels whose alleles are not an indel.
struct SignatureLeftOut {
  long snvs = 0, mnvs = 0, indels = 0;
  long total() const { return snvs + mnvs + indels; }
};
struct FeatureTable {
  SignatureLeftOut left_out;            // summed over the samples
  std::vector<std::string> sample_ids;
  std::vector<std::string> names;       // one per column
  std::vector<FeatureSet> column_sets;  // the set each column belongs to
  Matrix values;                        // samples x features
  // Columns of the given sets, in table order.
  std::vector<std::size_t> columns_of(const std::vector<FeatureSet>& sets) const;
};
// One row per cohort sample, in manifest order. Throws InputError naming the file for unreadable,
// truncated or inconsistent inputs (a TSV record missing from its FASTA, embeddings whose records
// are not the windows' records, a contig missing from the density bins).
FeatureTable extract_features(const Cohort& cohort, FeatureOptions& options);

// The feature names of the signature set (SBS-96, ID-83 + complex, DBS-78 + MNV, SV classes as
// proportions, then log1p counts), for documentation and tests.
std::vector<std::string> signature_feature_names();

}  // namespace oncolm::downstream
