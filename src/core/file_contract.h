// The files one stage hands to the next, in one place: names, suffixes, TSV columns, FASTA record
// names and the rule that turns a sample id into a file name. `oncolm windows` writes them,
// `oncolm embed` (and every later stage) reads them; tests/core/file_contract_test.cpp pins every
// name and column order, so a rename shows up as a failing test instead of a silent mismatch.
// Standard library only: every stage includes it, whatever it links. docs/architecture.md describes
// the same contract for users.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace oncolm::contract {

// ---- Sample ids and file names ----
// Every stage's tables carry the sample id exactly as the sample sheet gives it, in a column named
// sample_id, so that tables of different stages join on it unchanged (pandas.merge on sample_id).
// File names and FASTA record names use its safe form: every character outside [A-Za-z0-9_.]
// replaced by '_' (TCGA-W5-AA39 -> TCGA_W5_AA39). The windows manifest.tsv maps each id to its files
// (and each <safe_id>.stats.json names its sample_id); embed.json and score.json list, per output,
// its sample_id beside its file names. Inputs without a sample sheet (a plain FASTA given to
// `oncolm embed`) carry the FASTA file's name without its FASTA/compression suffixes, the same
// string that names their output files. Contig names in record names go through the same rule.
inline std::string safe_name(std::string_view name) {
  std::string out(name);
  for (char& c : out)
    if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.'))
      c = '_';
  return out;
}

// ---- `oncolm windows` OUTDIR ----
// Per sample: two window sets, each a BGZF FASTA (+ .fai, .gzi) and a BGZF TSV, and a stats file
// written last (its presence means the sample is complete).
inline constexpr std::string_view windows_set = ".windows";        // small variants: REF and ALT per variant
inline constexpr std::string_view sv_windows_set = ".sv_windows";  // SV junctions: REF1, REF2 and ALT
inline constexpr std::string_view fasta_suffix = ".fa.gz";
inline constexpr std::string_view tsv_suffix = ".tsv.gz";
inline constexpr std::string_view stats_suffix = ".stats.json";
inline constexpr std::string_view cohort_manifest_file = "manifest.tsv";
inline constexpr std::string_view cohort_stats_file = "stats.json";

inline std::string windows_stem(const std::string& safe_id) { return safe_id + std::string(windows_set); }
inline std::string sv_windows_stem(const std::string& safe_id) { return safe_id + std::string(sv_windows_set); }
inline std::string fasta_name(const std::string& stem) { return stem + std::string(fasta_suffix); }
inline std::string tsv_name(const std::string& stem) { return stem + std::string(tsv_suffix); }
inline std::string sample_stats_name(const std::string& safe_id) { return safe_id + std::string(stats_suffix); }

// The columns of <sample>.windows.tsv.gz before the label columns, in order. The read evidence
// columns (t_depth ... n_vaf) are '.' when the sample has no tumour (normal) BAM; a VAF is '.'
// when no read passed the filters, and the counts of indels that are neither a pure insertion nor
// a pure deletion are '.' (no counting method; counted in stats.json). `offset` is the 0-based
// position of the variant's first changed base in both records.
inline const std::vector<std::string> window_tsv_columns = {
    "sample_id",     "chrom",          "pos",          "ref",          "alt",
    "filter",        "norm_pos",       "norm_ref",     "norm_alt",     "type",
    "window_start",  "window_end",     "alt_window_start", "alt_window_end", "offset",
    "ref_record",    "alt_record",     "ref_length",   "alt_length",   "normalised_shift",
    "nearby_variants", "t_depth",      "t_ref_count",  "t_alt_count",  "t_vaf",
    "n_depth",       "n_ref_count",    "n_alt_count",  "n_vaf",        "germline_applied",
    "germline_not_applied"};

// The columns of <sample>.sv_windows.tsv.gz before the label columns: one row per junction.
// chrom/pos are breakend 1 (the lower coordinate), mate_chrom/mate_pos breakend 2; strands are
// PCAWG's ("+" = sequence left of the breakend retained), breakend 1 first; pieces of the ALT
// window are chrom:start-end, "(rc)" when reverse-complemented; cipos/ciend are the caller's
// confidence intervals around pos/mate_pos as "low,high" offsets; '.' marks an empty field.
inline const std::vector<std::string> sv_window_tsv_columns = {
    "sample_id",          "id",                "chrom",          "pos",               "mate_chrom",
    "mate_pos",           "class",             "size",           "strands",           "inserted_sequence",
    "homlen",             "homseq",            "imprecise",      "cipos",             "ciend",             "ref1_window_start",
    "ref1_window_end",    "ref1_offset",       "ref1_record",    "ref2_window_start", "ref2_window_end",
    "ref2_offset",        "ref2_record",       "alt_record",     "alt_length",        "alt_junction_offset",
    "alt_first_piece",    "alt_second_piece",  "t_split_reads",  "t_discordant_pairs", "n_split_reads",
    "n_discordant_pairs", "germline_applied",  "germline_not_applied"};

// The columns of the cohort's manifest.tsv before the sample sheet's label columns: one row per
// sample, file columns naming files in OUTDIR. Two kinds of input, counted apart: small variants
// (records_read of the SNV/MNV and indel VCFs = windows + skipped + sv_set_aside; windows =
// REF/ALT pairs, by type snv/mnv/indel; sv_set_aside = SV-like records found in those VCFs) and
// structural variants (sv_records_read of the sv_vcf, each one either skipped, sv_skipped, or part
// of sv_junctions).
inline const std::vector<std::string> manifest_columns = {
    "sample_id",    "donor_id",     "fasta",   "tsv",             "sv_fasta", "sv_tsv",
    "stats",        "records_read", "windows", "snv",             "mnv",      "indel",
    "sv_junctions", "sv_set_aside", "skipped", "sv_records_read", "sv_skipped"};

// ---- FASTA record names ----
// <safe_sample>|<index>|<safe_chrom>_<pos>|<kind>: only [A-Za-z0-9_.|], so every name is an
// unambiguous samtools faidx region. Small variants: index counts the sample's variants from 0,
// pos is the normalised position, kind REF or ALT. SV junctions: index is sv<N>, pos breakend 1,
// kind REF1, REF2 or ALT.
inline std::string record_name(const std::string& safe_sample, const std::string& index, const std::string& chrom,
                               std::int64_t pos, std::string_view kind) {
  return safe_sample + "|" + index + "|" + safe_name(chrom) + "_" + std::to_string(pos) + "|" + std::string(kind);
}
inline std::string window_record_name(const std::string& safe_sample, std::uint64_t index, const std::string& chrom,
                                      std::int64_t norm_pos, bool alt) {
  return record_name(safe_sample, std::to_string(index), chrom, norm_pos, alt ? "ALT" : "REF");
}
inline std::string sv_window_record_name(const std::string& safe_sample, std::uint64_t index,
                                         const std::string& chrom, std::int64_t pos, std::string_view kind) {
  return record_name(safe_sample, "sv" + std::to_string(index), chrom, pos, kind);
}

// ---- `oncolm embed` OUTDIR ----
// One output set per input FASTA: <name>.emb.npy (float32 [records, hidden]), <name>.emb.tsv (one
// row per record, in npy row order) and the run's embed.json. For a windows directory, name is the
// sample's safe id for its small-variant windows and <safe id>.sv for its SV junction windows.
inline constexpr std::string_view embedding_npy_suffix = ".emb.npy";
inline constexpr std::string_view embedding_tsv_suffix = ".emb.tsv";
inline constexpr std::string_view sv_embedding_name_suffix = ".sv";
inline constexpr std::string_view embed_provenance_file = "embed.json";

// Columns of <name>.emb.tsv: the record name, the sample id (the sheet's, as in the windows TSV; a
// plain FASTA's name), the record's allele (REF/ALT, REF1/REF2/ALT; empty when unknown), bases,
// tokens used, bases cut on each side, tiles, and the variant's token span [start, end) with <cls> =
// 0 (empty when unknown).
inline const std::vector<std::string> embedding_tsv_columns = {
    "record", "sample_id", "allele", "bases", "tokens", "cut_left", "cut_right", "tiles",
    "variant_token_start", "variant_token_end"};

// ---- `oncolm score` OUTDIR ----
// Per sample <safe_id>.scores.tsv (one row per small variant of its windows TSV, in that order) and
// the run's score.json. src/score/score_command.h defines every value.
inline constexpr std::string_view scores_suffix = ".scores.tsv";
inline constexpr std::string_view score_provenance_file = "score.json";

// The windows TSV's keys (copied unchanged), then the zero-shot scores: llr (mean of the forward- and
// reverse-strand log-likelihood ratios, also given alone), REF-ALT embedding distances for mean and
// variant-span pooling, and the forward strand's masked token spans (embed's variant_token_start/end
// of the REF and the ALT record). Values are '.' for a variant that could not be scored.
inline const std::vector<std::string> score_key_columns = {"sample_id", "chrom",    "pos",      "ref", "alt",
                                                           "norm_pos",  "norm_ref", "norm_alt", "type"};
inline const std::vector<std::string> score_value_columns = {
    "llr",         "cosine_mean",     "l2_mean",       "cosine_variant",  "l2_variant",   "llr_forward",
    "llr_reverse", "ref_token_start", "ref_token_end", "alt_token_start", "alt_token_end"};

// ---- `oncolm breakpoints` OUTDIR ----
// Per sample <safe_id>.breakpoints.tsv (one row per junction of its SV windows TSV), the run's
// breakpoints.json, and with --embeddings one junction_clusters.tsv for every sample:
// `sample_id id alt_record class mechanism cluster pc1 .. pcN`.
inline constexpr std::string_view breakpoints_suffix = ".breakpoints.tsv";
inline constexpr std::string_view breakpoints_provenance_file = "breakpoints.json";
inline constexpr std::string_view junction_clusters_file = "junction_clusters.tsv";

// Columns of <safe_id>.breakpoints.tsv: the SV windows TSV's keys, then the junction's features
// (src/genome/breakpoints/junction_features.h defines each).
inline const std::vector<std::string> breakpoints_tsv_columns = {
    "sample_id", "id",     "chrom",  "pos",    "mate_chrom",       "mate_pos",  "strands",          "class",
    "size",      "homlen", "homseq", "insseq", "templated_source", "mechanism", "homology_complete"};

// A sample sheet label cell that holds no label: empty, '.' or 'NA' (as pandas reads NA). The
// stages agree on it: classify leaves such samples out, stats.json and the report count them apart.
inline bool is_missing_label(std::string_view value) { return value.empty() || value == "." || value == "NA"; }

}  // namespace oncolm::contract
