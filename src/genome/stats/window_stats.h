// Counts kept per sample while windows are written (<sample>.stats.json), and their exact
// aggregation into the cohort's stats.json and manifest.tsv. Nothing leaves silently:
//   small variants: every ALT allele read from the snv/indel VCFs ends up either as a window or
//     under exactly one skip reason: records_read == windows + sum(skipped). SV-like records of
//     these VCFs (sv_indel_length, sv_symbolic) are among the skipped: set_aside_sv().
//   structural variants (the sv_vcf): sv.records counts every record (BEDPE row); each is either
//     skipped under a reason of sv.skipped (per record, or per ALT allele for allele-level
//     reasons) or contributes to junctions (a BND mate pair gives one junction, <INV> two).
//     sv.junctions() == sum(sv.junctions_by_class) == rows of <sample>.sv_windows.tsv.gz
//     == records of <sample>.sv_windows.fa.gz / 3 (REF1, REF2, ALT).
// Sequence statistics (window_lengths, bases, kmer6, reference_changes) cover the small-variant
// records; SV records have their own length histogram (sv.window_lengths), and their REF windows
// add to reference_changes.
#pragma once
#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "genome/io/sequence_alphabet.h"

namespace oncolm::genome {

using Json = nlohmann::ordered_json;

// Skip reasons of small-variant records, in the order they are reported. The sv_* reasons are
// SV-like records inside the small-variant VCFs (set aside; the sv_vcf is where SVs are windowed).
extern const std::vector<std::string> skip_reasons;
extern const std::vector<std::string> window_types;  // snv, mnv, indel

// The sample's sv_vcf (sv_reader.h counts, plus what was written).
struct SvStats {
  std::uint64_t records = 0;
  std::map<std::string, std::uint64_t> junctions_by_class;  // DEL DUP INV TRA INS, all present
  std::map<std::string, std::uint64_t> skipped;             // sv_skip_reasons, all present
  std::uint64_t ref_base_mismatches = 0;                    // warned; the reference base was used
  std::uint64_t unpaired_breakends = 0;                     // junction built from one BND record (mate never seen)
  std::uint64_t imprecise = 0;
  std::uint64_t max_waiting_mates = 0;                   // memory bound; for a cohort the largest of any sample
  std::map<std::int64_t, std::uint64_t> window_lengths;  // lengths of REF1, REF2 and ALT records

  SvStats();
  std::uint64_t junctions() const;
  SvStats& operator+=(const SvStats& other);
};

// Read evidence from one of the sample's BAM/CRAMs.
struct BamStats {
  std::uint64_t contigs_outside_reference = 0;          // @SQ lines not in the reference (decoys...)
  std::uint64_t reads_with_mate_outside_reference = 0;  // seen near SV junctions, ignored
  BamStats& operator+=(const BamStats& other);
};

// --personalise (personalise.h): germline sites listed in the windows and SV TSVs, counted per
// window or junction row (a site inside two counts twice), by the tag the TSVs give them.
struct GermlineStats {
  bool personalised = false;          // --personalise given and the sample has a normal BAM
  std::uint64_t windows_changed = 0;  // small-variant windows and SV junction rows with an applied site
  std::uint64_t hom_applied = 0;
  std::uint64_t het_phased_applied = 0;
  std::uint64_t het_other_haplotype_listed = 0;
  std::uint64_t het_unphased_listed = 0;
  std::uint64_t overlapping_listed = 0;  // hom/het_phased sites overlapping the somatic allele or another
  std::uint64_t indels_applied = 0;      // of the applied ones above, indels
  // A new counter also needs its row in germline_counters (window_stats.cpp): JSON and += use it.
  GermlineStats& operator+=(const GermlineStats& other);
};

struct SampleStats {
  std::string sample_id, safe_id, donor_id;
  int sheet_row = 0;
  std::vector<std::pair<std::string, std::string>> labels;
  std::vector<std::pair<std::string, std::string>> inputs;   // column -> path
  std::vector<std::pair<std::string, std::string>> outputs;  // kind -> file name in OUTDIR

  // Contigs of the small-variant VCFs named otherwise in the reference (--contig-map, chr20 -> 20):
  // the TSVs keep the VCF's name, and `classify` bins the variants on the reference's.
  std::map<std::string, std::string> contig_names;
  std::uint64_t records_read = 0;        // alleles of snv/indel VCF records, after splitting
  std::uint64_t multiallelic_split = 0;  // VCF lines with more than one ALT
  std::map<std::string, std::uint64_t> windows_by_type;
  std::map<std::string, std::uint64_t> skipped;
  std::uint64_t normalised_changed = 0;                  // position or alleles changed (bcftools' "realigned")
  std::uint64_t normalised_moved = 0;                    // position changed
  std::map<std::int64_t, std::uint64_t> window_lengths;  // lengths of REF and ALT records
  std::vector<std::uint64_t> kmer6 = std::vector<std::uint64_t>(4096, 0);
  // A C G T N of REF and ALT records outside the counted 6-mer tokens (tokens with an N, tails
  // shorter than 6); base_counts() adds the bases of kmer6, so the per-base loop counts tokens only.
  std::array<std::uint64_t, 5> loose_bases{};
  SanitiseCounts reference_changes;  // in REF windows
  SvStats sv;
  std::map<std::string, BamStats> bams;       // "tumour" / "normal", for the BAMs the sample has
  std::uint64_t indels_without_evidence = 0;  // complex indels: no read counting method (columns '.')
  GermlineStats germline;
  Json provenance = Json::object();

  SampleStats();
  std::uint64_t windows() const;                     // small-variant windows (REF/ALT pairs)
  std::uint64_t set_aside_sv() const;                // SV-like records of the small-variant VCFs
  std::uint64_t skipped_total() const;               // not counting set_aside_sv()
  std::array<std::uint64_t, 5> base_counts() const;  // A C G T N over REF and ALT records
  // Adds one written record's sequence: length, bases, and its 6-mer tokens (kmer6 below).
  void add_sequence(const std::string& sequence);
  // Adds a REF window and its ALT window, as add_sequence on each. The tokens they share (all but
  // those over the variant for an SNV or MNV, those left of it for an indel) are read once and
  // counted twice: this runs on every written pair.
  void add_window_pair(const std::string& ref, const std::string& alt);
  // Adds another sample's counts (identity fields, labels and provenance are left as they are): the
  // cohort's totals are the sum of its samples' stats.
  SampleStats& operator+=(const SampleStats& other);
};

// 6-mer tokens as the Nucleotide Transformer tokenizer cuts them: non-overlapping from the start
// of the sequence; a 6-mer containing N (and the tail shorter than 6) becomes single-base tokens
// and is not counted. Index = base-4 number of the 6-mer (A=0, C=1, G=2, T=3).
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
