// The parameters of `oncolm windows`: window lengths per variant type, which records are kept,
// read-evidence thresholds and --personalise's germline thresholds. Every part of the command reads
// them (sample processing, SV windows, personalisation), and they are recorded in provenance, so
// they live apart from the command's entry point (windows_command.h).
#pragma once
#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "genome/evidence/read_filters.h"
#include "genome/io/output_format.h"
#include "genome/small_variants/normalise.h"

namespace oncolm::genome {

using Json = nlohmann::ordered_json;

constexpr std::int64_t default_window_length = 5994;  // NT v1: 1,000 tokens with <cls>

struct WindowParams {
  std::int64_t snv_length = default_window_length;
  std::int64_t mnv_length = default_window_length;
  std::int64_t indel_length = default_window_length;
  std::int64_t sv_length = default_window_length;  // REF windows at each breakend and the ALT junction window
  bool keep_filtered = false;
  std::int64_t max_indel_length = 100;  // PCAWG: |len(REF)-len(ALT)| >= 100 is an SV; 0 = no limit
  bool ref_mismatch_error = false;      // --ref-mismatch error (default: skip and count)
  std::string contig_map;               // --contig-map FILE, or ""
  int min_mapq = ReadFilters{}.min_mapq;    // read evidence: --min-mapq
  int min_baseq = ReadFilters{}.min_baseq;  // read evidence: --min-baseq
  // --personalise: germline SNVs and indels from the normal BAM applied to small-variant windows (personalise.h).
  bool personalise = false;
  int germline_min_depth = 10;          // --germline-min-depth: normal reads with a passing base
  double germline_hom_fraction = 0.9;   // --germline-hom-fraction: non-reference reads / depth >= this
  double germline_het_min = 0.3;        // --germline-het-range LOW-HIGH
  double germline_het_max = 0.7;
  // Fixed, recorded in provenance: a het is phased when at least this many tumour read pairs
  // carrying the somatic ALT cover it, and this fraction of them agree on its allele.
  int germline_phasing_min_reads = 2;
  double germline_phasing_agreement = 0.9;

  // Output layout (window_files.h): --line-width, --compression-level. In provenance, so that
  // samples of one cohort are written alike.
  int line_width = OutputFormat{}.line_width;
  int compression_level = OutputFormat{}.compression_level;

  std::int64_t length_for(VariantType type) const;
  OutputFormat output_format() const { return {line_width, compression_level}; }
  ReadFilters read_filters() const;
  Json to_json() const;
  // Throws InputError for a length below one token or germline thresholds outside (0, 1].
  void validate() const;
};

}  // namespace oncolm::genome
