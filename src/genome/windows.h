// `oncolm windows`: variant-centred REF/ALT windows for every SNV, MNV and indel of a cohort.
// This is the library entry point the CLI (tools/cmd_windows.cpp), tests and benchmarks call.
//
// Per sample (in OUTDIR): <safe_id>.windows.fa.gz (+.fai/.gzi), <safe_id>.windows.tsv.gz and
// <safe_id>.stats.json; for the cohort: manifest.tsv and stats.json (see stats.h).
#pragma once
#include <cstdint>
#include <string>

#include "genome/normalise.h"
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
  bool keep_filtered = false;
  std::int64_t max_indel_length = 100;  // PCAWG: |len(REF)-len(ALT)| >= 100 is an SV; 0 = no limit
  bool ref_mismatch_error = false;      // --ref-mismatch error (default: skip and count)
  std::string contig_map;               // --contig-map FILE, or ""

  std::int64_t length_for(VariantType type) const;
  Json to_json() const;
};

// The TSV columns before the label columns, in order.
extern const std::vector<std::string> window_tsv_columns;

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

}  // namespace oncolm::genome
