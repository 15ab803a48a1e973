// `oncolm breakpoints -o OUTDIR WINDOWS_DIR... [--reference REF]`: per SV junction of every sample
// in `oncolm windows` output directories, its class, size, exact microhomology, inserted and
// templated sequence and a mechanism label (junction_features.h), one
// `<safe_id>.breakpoints.tsv` per sample and `breakpoints.json` (provenance and counts).
//
// Sequence. Without --reference the REF1/REF2 records of `<safe_id>.sv_windows.fa.gz` are used:
// reference windows centred on each breakend (personalised with the donor's germline alleles when
// the windows were made with --personalise), so a homology can be followed up to half a window
// (2,997 bases at the default 5,994) on each side; a longer one is reported with
// homology_complete 0. With --reference the same spans are cut from that FASTA instead (its .fai
// must be the one `oncolm windows` used, checked against the sample's stats.json), and a homology
// that reaches a span's end is followed further, up to the contig ends. Templated insertions are
// searched in the two REF window spans in both modes, so both give the same templated sources.
//
// Embeddings (--embeddings EMBED_DIR, optional): the junctions' ALT-window rows of `oncolm embed`
// output for the same windows (<safe_id>.sv.emb.npy/.tsv, joined on the record name) are projected
// on principal components and clustered by k-means (junction_clusters.h) into
// junction_clusters.tsv, for plotting. The model runs in `oncolm embed`, so this command needs no
// LibTorch.
#pragma once
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "core/file_contract.h"
#include "genome/breakpoints/junction_features.h"

namespace oncolm::genome::breakpoints {

// Output names and columns: core/file_contract.h.
using contract::breakpoints_suffix;
using contract::breakpoints_provenance_file;
using contract::junction_clusters_file;
using contract::breakpoints_tsv_columns;

// The SV windows TSV columns this command reads (file_contract.h names them all).
const std::vector<std::string>& required_sv_columns();

struct BreakpointsRun {
  std::vector<std::string> windows_dirs;
  std::string out_dir;
  std::string reference;  // optional
  MechanismRules rules;
  std::string command_line;
  // --embeddings: an `oncolm embed` output directory of these windows; its ALT rows are projected
  // on `components` principal components and clustered by k-means into `clusters` (junction_clusters.h).
  std::string embeddings_dir;
  int components = 10;
  int clusters = 4;
  unsigned seed = 1;
  int restarts = 10;
};

struct SampleBreakpoints {
  std::string sample_id, safe_id, windows_dir, output;
  std::uint64_t junctions = 0;
  std::map<std::string, std::uint64_t> by_class;      // DEL DUP INV TRA INS
  std::map<std::string, std::uint64_t> by_mechanism;  // mechanism_labels()
  std::uint64_t templated_insertions = 0;             // junctions with a templated source
  std::uint64_t homology_incomplete = 0;              // homology reached the end of the sequence available
  std::uint64_t caller_homology_compared = 0;         // precise, no inserted bases, caller wrote HOMLEN
  std::uint64_t caller_homology_agree = 0;            // ... and HOMLEN/HOMSEQ equal ours
};

struct ClusterSummary {
  std::int64_t junctions = 0;
  int components = 0;
  std::vector<double> explained_variance_ratio;
  std::vector<std::int64_t> sizes;  // per cluster, largest first
  double inertia = 0;
};

struct BreakpointsSummary {
  std::vector<SampleBreakpoints> samples;
  SampleBreakpoints total;  // summed over samples
  bool clustered = false;
  ClusterSummary clusters;
};

// Throws InputError naming the file (and line) for a missing or partial windows directory, a TSV
// without the required columns or with a short row, SV FASTA records that do not match the TSV,
// a reference of another assembly, two directories holding the same sample, or (--embeddings)
// missing embedding files, embedding rows that do not match the windows, or fewer junctions than
// clusters.
BreakpointsSummary run_breakpoints(const BreakpointsRun& run);

}  // namespace oncolm::genome::breakpoints
