// The file contract between stages (core/file_contract.h), pinned: every name, suffix and column
// order is written out here by hand, so renaming or reordering one in the header fails this test
// (and the stages' readers, which look columns up by these names, are changed in the same commit).
#include <gtest/gtest.h>

#include <algorithm>

#include "core/file_contract.h"

using namespace oncolm::contract;

TEST(FileContract, SampleIdToFileName) {
  EXPECT_EQ(safe_name("TCGA-W5-AA39-01A-11D-A417-09"), "TCGA_W5_AA39_01A_11D_A417_09");
  EXPECT_EQ(safe_name("a.b_C9"), "a.b_C9");
  EXPECT_EQ(safe_name("x y/z:*"), "x_y_z__");
}

TEST(FileContract, WindowsOutputNames) {
  EXPECT_EQ(fasta_name(windows_stem("S1")), "S1.windows.fa.gz");
  EXPECT_EQ(tsv_name(windows_stem("S1")), "S1.windows.tsv.gz");
  EXPECT_EQ(fasta_name(sv_windows_stem("S1")), "S1.sv_windows.fa.gz");
  EXPECT_EQ(tsv_name(sv_windows_stem("S1")), "S1.sv_windows.tsv.gz");
  EXPECT_EQ(sample_stats_name("S1"), "S1.stats.json");
  EXPECT_EQ(cohort_manifest_file, "manifest.tsv");
  EXPECT_EQ(cohort_stats_file, "stats.json");
  EXPECT_EQ(embedding_npy_suffix, ".emb.npy");
  EXPECT_EQ(embedding_tsv_suffix, ".emb.tsv");
  EXPECT_EQ(sv_embedding_name_suffix, ".sv");
}

TEST(FileContract, RecordNamesUseOnlyFaidxSafeCharacters) {
  EXPECT_EQ(window_record_name("blood_AC", 3, "20", 169821, false), "blood_AC|3|20_169821|REF");
  EXPECT_EQ(window_record_name(safe_name("TCGA-3X:AAV9/01"), 0, "HLA-A*01:01", 5, true),
            "TCGA_3X_AAV9_01|0|HLA_A_01_01_5|ALT");
  EXPECT_EQ(sv_window_record_name("COLO829T", 7, "GL000192.1", 12, "REF2"), "COLO829T|sv7|GL000192.1_12|REF2");
}

TEST(FileContract, WindowsTsvColumns) {
  const std::vector<std::string> expected = {
      "sample_id", "chrom", "pos", "ref", "alt", "filter", "norm_pos", "norm_ref", "norm_alt", "type",
      "window_start", "window_end", "alt_window_start", "alt_window_end", "offset", "ref_record", "alt_record",
      "ref_length", "alt_length", "normalised_shift", "nearby_variants", "t_depth", "t_ref_count", "t_alt_count",
      "t_vaf", "n_depth", "n_ref_count", "n_alt_count", "n_vaf", "germline_applied", "germline_not_applied"};
  EXPECT_EQ(window_tsv_columns, expected);
}

TEST(FileContract, SvWindowsTsvColumns) {
  const std::vector<std::string> expected = {
      "sample_id", "id", "chrom", "pos", "mate_chrom", "mate_pos", "class", "size", "strands",
      "inserted_sequence", "homlen", "homseq", "imprecise", "cipos", "ciend", "ref1_window_start", "ref1_window_end",
      "ref1_offset", "ref1_record", "ref2_window_start", "ref2_window_end", "ref2_offset", "ref2_record",
      "alt_record", "alt_length", "alt_junction_offset", "alt_first_piece", "alt_second_piece", "t_split_reads",
      "t_discordant_pairs", "n_split_reads", "n_discordant_pairs", "germline_applied", "germline_not_applied"};
  EXPECT_EQ(sv_window_tsv_columns, expected);
}

TEST(FileContract, ManifestColumns) {
  const std::vector<std::string> expected = {"sample_id", "donor_id",     "fasta",        "tsv",    "sv_fasta",
                                             "sv_tsv",    "stats",        "records_read", "windows", "snv",
                                             "mnv",       "indel",        "sv_junctions", "sv_set_aside", "skipped",
                                             "sv_records_read", "sv_skipped"};
  EXPECT_EQ(manifest_columns, expected);
}

TEST(FileContract, BreakpointsOutputs) {
  EXPECT_EQ(breakpoints_suffix, ".breakpoints.tsv");
  EXPECT_EQ(breakpoints_provenance_file, "breakpoints.json");
  EXPECT_EQ(junction_clusters_file, "junction_clusters.tsv");
  const std::vector<std::string> expected = {"sample_id", "id",     "chrom",  "pos",    "mate_chrom",
                                             "mate_pos",  "strands", "class", "size",   "homlen",
                                             "homseq",    "insseq", "templated_source", "mechanism",
                                             "homology_complete"};
  EXPECT_EQ(breakpoints_tsv_columns, expected);
}

// Every table keys its rows by the sample sheet's id in a column named sample_id (embed included).
TEST(FileContract, EmbedOutputs) {
  EXPECT_EQ(embed_provenance_file, "embed.json");
  const std::vector<std::string> expected = {"record", "sample_id", "allele", "bases", "tokens",
                                             "cut_left", "cut_right", "tiles", "variant_token_start",
                                             "variant_token_end"};
  EXPECT_EQ(embedding_tsv_columns, expected);
}

TEST(FileContract, ScoreOutputs) {
  EXPECT_EQ(scores_suffix, ".scores.tsv");
  EXPECT_EQ(score_provenance_file, "score.json");
  const std::vector<std::string> keys = {"sample_id", "chrom",    "pos",      "ref", "alt",
                                         "norm_pos",  "norm_ref", "norm_alt", "type"};
  EXPECT_EQ(score_key_columns, keys);
  // The keys are the windows TSV's own columns, so scores join the windows on them.
  for (const auto& key : score_key_columns)
    EXPECT_NE(std::find(window_tsv_columns.begin(), window_tsv_columns.end(), key), window_tsv_columns.end()) << key;
  const std::vector<std::string> values = {"llr",         "cosine_mean",     "l2_mean",       "cosine_variant",
                                           "l2_variant",  "llr_forward",     "llr_reverse",   "ref_token_start",
                                           "ref_token_end", "alt_token_start", "alt_token_end"};
  EXPECT_EQ(score_value_columns, values);
}
