// `oncolm windows`: variant-centred REF/ALT windows for every SNV, MNV and indel of a cohort,
// REF/ALT junction windows for its structural variants, and tumour/normal read evidence for both.
// This is the library entry point the CLI (src/cli/cmd_windows.cpp), tests and benchmarks call.
//
// Per sample (in OUTDIR): <safe_id>.windows.fa.gz (+.fai/.gzi) and <safe_id>.windows.tsv.gz
// (small variants), <safe_id>.sv_windows.fa.gz (+.fai/.gzi) and <safe_id>.sv_windows.tsv.gz (SV
// junctions; written, empty, also for samples without an sv_vcf) and <safe_id>.stats.json; for
// the cohort: manifest.tsv and stats.json (see stats/window_stats.h).
//
// Memory: the small-variant VCFs are streamed through a buffer of about one window (variant_buffer.h);
// the sv_vcf is streamed too, holding only the BND records still waiting for their mate.
#pragma once
#include <cstdint>
#include <string>

#include "genome/window_params.h"

namespace oncolm {
class Progress;
}

namespace oncolm::genome {

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
// With `sheet_path`, the per-sample outputs must be exactly the sheet's samples: one missing, or
// one the sheet does not list (left by a run on an earlier sheet), is an error naming them.
void merge_windows(const std::string& out_dir, const std::string& command_line, const std::string& sheet_path = "");

}  // namespace oncolm::genome
