// Counts kept per sample while windows are written (<sample>.stats.json), and their exact
// aggregation into the cohort's stats.json and manifest.tsv. Every record read from a sample's
// VCFs ends up either as a window or under exactly one skip reason, so nothing leaves silently:
//   records_read == windows + sum(skipped) - skipped["sv_vcf"]   (sv_vcf records are not "read"
//   as small variants; they are only counted, for the SV stage).
#pragma once
#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "genome/reference.h"

namespace oncolm::genome {

using Json = nlohmann::ordered_json;

// Skip reasons, in the order they are reported. The sv_* reasons are the "sv" type: set aside here
// for the structural-variant stage.
extern const std::vector<std::string> skip_reasons;
extern const std::vector<std::string> window_types;  // snv, mnv, indel

struct SampleStats {
  std::string sample_id, safe_id, donor_id;
  int sheet_row = 0;
  std::vector<std::pair<std::string, std::string>> labels;
  std::vector<std::pair<std::string, std::string>> inputs;   // column -> path
  std::vector<std::pair<std::string, std::string>> outputs;  // kind -> file name in OUTDIR

  std::uint64_t records_read = 0;       // alleles of snv/indel VCF records, after splitting
  std::uint64_t multiallelic_split = 0; // VCF lines with more than one ALT
  std::map<std::string, std::uint64_t> windows_by_type;
  std::map<std::string, std::uint64_t> skipped;
  std::uint64_t normalised_changed = 0;  // position or alleles changed (bcftools' "realigned")
  std::uint64_t normalised_moved = 0;    // position changed
  std::map<std::int64_t, std::uint64_t> window_lengths;  // lengths of REF and ALT records
  std::vector<std::uint64_t> kmer6 = std::vector<std::uint64_t>(4096, 0);
  std::array<std::uint64_t, 5> bases{};  // A C G T N over REF and ALT records
  SanitiseCounts reference_changes;      // in REF windows
  Json provenance = Json::object();

  SampleStats();
  std::uint64_t windows() const;
  std::uint64_t set_aside_sv() const;
  std::uint64_t skipped_total() const;  // not counting sv
  // Adds one written record's sequence: length, bases, and its 6-mer tokens.
  void add_sequence(const std::string& sequence);
};

// 6-mer tokens as the Nucleotide Transformer tokenizer cuts them: non-overlapping from the start
// of the sequence; a 6-mer containing N (and the tail shorter than 6) becomes single-base tokens
// and is not counted. Index = base-4 number of the 6-mer (A=0, C=1, G=2, T=3).
void count_kmer6_tokens(const std::string& sequence, std::vector<std::uint64_t>& counts);
std::string kmer6_name(std::size_t index);

Json to_json(const SampleStats& stats);
// Throws InputError naming `file` when the JSON lacks what merge needs.
SampleStats sample_stats_from_json(const Json& json, const std::string& file);

struct CohortOutputs {
  std::string manifest_tsv;
  Json stats;
};

// Aggregates per-sample stats (any order; output is in sheet-row then sample-id order). Throws
// InputError when samples were made with different references or parameters.
CohortOutputs aggregate_cohort(std::vector<SampleStats> samples, const Json& run_provenance);

}  // namespace oncolm::genome
