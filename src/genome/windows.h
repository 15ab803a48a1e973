// `oncolm windows`: variant-centred REF/ALT windows for every SNV, MNV and indel of a cohort,
// REF/ALT junction windows for its structural variants, and tumour/normal read evidence for both.
// This is the library entry point the CLI (tools/cmd_windows.cpp), tests and benchmarks call.
//
// Per sample (in OUTDIR): <safe_id>.windows.fa.gz (+.fai/.gzi) and <safe_id>.windows.tsv.gz
// (small variants), <safe_id>.sv_windows.fa.gz (+.fai/.gzi) and <safe_id>.sv_windows.tsv.gz (SV
// junctions; written, empty, also for samples without an sv_vcf) and <safe_id>.stats.json; for
// the cohort: manifest.tsv and stats.json (see stats.h).
//
// Memory: the small-variant VCFs are streamed through a buffer of about one window (variant_buffer.h);
// the sv_vcf is streamed too, holding only the BND records still waiting for their mate.
#pragma once
#include <cstdint>
#include <string>

#include "genome/normalise.h"
#include "genome/read_evidence.h"
#include "genome/sample_sheet.h"
#include "genome/stats.h"

namespace oncolm {
class Progress;
}

namespace oncolm::genome {

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

  std::int64_t length_for(VariantType type) const;
  ReadFilters read_filters() const;
  Json to_json() const;
  // Throws InputError for a length below one token or germline thresholds outside (0, 1].
  void validate() const;
};

// The columns of <sample>.windows.tsv.gz before the label columns, in order. The read evidence
// columns (t_depth ... n_vaf) are '.' when the sample has no tumour (normal) BAM; a VAF is '.'
// when no read passed the filters, and the counts of indels that are neither a pure insertion nor
// a pure deletion are '.' (no counting method; counted in stats.json).
extern const std::vector<std::string> window_tsv_columns;
// The columns of <sample>.sv_windows.tsv.gz before the label columns: one row per junction.
// chrom/pos are breakend 1 (the lower coordinate), mate_chrom/mate_pos breakend 2; strands are
// PCAWG's ("+" = sequence left of the breakend retained), breakend 1 first; pieces of the ALT
// window are chrom:start-end, "(rc)" when reverse-complemented; '.' marks an empty field.
extern const std::vector<std::string> sv_window_tsv_columns;

struct WindowsRun {
  std::string sheet;
  std::string reference;
  std::string out_dir;
  WindowParams params;
  int threads = 1;
  std::string only_sample;   // --sample: process this sample only, no cohort files
  std::string command_line;  // for provenance
};

// Processes the samples (in parallel over samples, BGZF compression on a shared pool) and, unless
// only_sample is set, writes manifest.tsv and stats.json for exactly the sheet's samples. Throws
// InputError / runtime_error; outputs of a sample that failed are never left looking complete.
void run_windows(const WindowsRun& run);

// `oncolm windows merge`: aggregates every <sample>.stats.json found in out_dir.
void merge_windows(const std::string& out_dir, const std::string& command_line);

// Record name of a window: <safe_sample>|<index>|<safe_chrom>_<norm_pos>|REF (or ALT).
std::string window_record_name(const std::string& safe_sample, std::uint64_t index, const std::string& chrom,
                               std::int64_t norm_pos, bool alt);
// Record name of an SV junction's window: <safe_sample>|sv<index>|<safe_chrom>_<pos>|<kind>, where
// chrom/pos are breakend 1 and kind is REF1, REF2 or ALT.
std::string sv_window_record_name(const std::string& safe_sample, std::uint64_t index, const std::string& chrom,
                                  std::int64_t pos, const char* kind);

}  // namespace oncolm::genome
