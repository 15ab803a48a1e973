// `oncolm windows --line-width` and `--compression-level` on the real test cohort: the layout and
// the level change the bytes on disk, never the records; samtools faidx indexes every layout to the
// same .fai/.gzi oncolm writes, and reads the same windows back from each.
#include <gtest/gtest.h>

#include <string>

#include "test_support.h"

using namespace oncolm::test;

namespace {

CommandResult run_windows(const std::string& out, const std::string& extra) {
  return run_oncolm("windows '" + data("sheet.tsv") + "' --reference '" + reference() + "' -o '" + out +
                    "' --threads 1 " + extra);
}

// samtools faidx builds its own index of a copy of the FASTA: it must equal oncolm's, byte for byte.
void expect_samtools_indexes_alike(const std::string& fasta, const std::string& scratch) {
  std::string copy = scratch + "/copy.fa.gz";
  ASSERT_EQ(run_command("cp '" + fasta + "' '" + copy + "'").status, 0);
  ASSERT_EQ(run_command("samtools faidx '" + copy + "'").status, 0) << fasta;
  EXPECT_EQ(read_file(copy + ".fai"), read_file(fasta + ".fai")) << fasta;
  EXPECT_EQ(read_file(copy + ".gzi"), read_file(fasta + ".gzi")) << fasta;
}

// Lines of the uncompressed FASTA longer than `width` bases (headers excluded).
int lines_longer_than(const std::string& fasta, std::size_t width) {
  int longer = 0;
  for (const auto& line : split(read_text(fasta), '\n'))
    if (!line.empty() && line[0] != '>' && line.size() > width) ++longer;
  return longer;
}

}  // namespace

TEST(OutputFormat, LayoutsHoldTheSameRecordsAndSamtoolsIndexesEach) {
  ScratchDir dir;
  ASSERT_EQ(run_windows(dir / "one_line", "").status, 0);
  ASSERT_EQ(run_windows(dir / "wrapped", "--line-width 60").status, 0);
  // Wider than every record: each record's only line is shorter than the width, and samtools takes
  // the line length from that line.
  ASSERT_EQ(run_windows(dir / "wide", "--line-width 100000").status, 0);
  std::string sample = "colon2.windows.fa.gz";
  for (const char* layout : {"one_line", "wrapped", "wide"}) {
    std::string fasta = dir / (std::string(layout) + "/" + sample);
    expect_samtools_indexes_alike(fasta, dir.str());
  }
  auto one_line = read_fasta(dir / ("one_line/" + sample));
  auto wrapped = read_fasta(dir / ("wrapped/" + sample));
  ASSERT_FALSE(one_line.empty());
  EXPECT_EQ(one_line, wrapped);
  EXPECT_EQ(read_text(dir / ("one_line/" + sample)), read_text(dir / ("wide/" + sample)));
  // Default: each record is one line; --line-width 60 wraps as samtools does.
  EXPECT_GT(lines_longer_than(dir / ("one_line/" + sample), 60), 0);
  EXPECT_EQ(lines_longer_than(dir / ("wrapped/" + sample), 60), 0);
  for (const auto& [name, sequence] : one_line)
    EXPECT_EQ(samtools_faidx(dir / ("one_line/" + sample), name), sequence) << name;
  // The TSVs do not depend on the FASTA layout.
  std::string tsv = "colon2.windows.tsv.gz";
  EXPECT_EQ(read_text(dir / ("one_line/" + tsv)), read_text(dir / ("wrapped/" + tsv)));
}

TEST(OutputFormat, CompressionLevelChangesSizeNotContent) {
  ScratchDir dir;
  ASSERT_EQ(run_windows(dir / "fast", "--compression-level 1").status, 0);
  ASSERT_EQ(run_windows(dir / "small", "--compression-level 9").status, 0);
  std::string fasta = "colon2.windows.fa.gz";
  EXPECT_EQ(read_text(dir / ("fast/" + fasta)), read_text(dir / ("small/" + fasta)));
  EXPECT_GT(fs::file_size(dir / ("fast/" + fasta)), fs::file_size(dir / ("small/" + fasta)));
  expect_samtools_indexes_alike(dir / ("fast/" + fasta), dir.str());
  auto stats = read_json(dir / "small/stats.json");
  EXPECT_EQ(stats["provenance"]["parameters"]["compression_level"], 9);
  EXPECT_EQ(stats["provenance"]["parameters"]["fasta_line_width"], 0);
}

TEST(OutputFormat, OutOfRangeValuesAreRefusedBeforeAnyOutput) {
  ScratchDir dir;
  for (const char* option : {"--compression-level 10", "--compression-level -1", "--line-width -5"}) {
    CommandResult result = run_windows(dir / "out", option);
    EXPECT_EQ(result.status, 1) << option;
    EXPECT_NE(result.err.find(std::string(option).substr(0, std::string(option).find(' '))), std::string::npos)
        << option << ": " << result.err;
    EXPECT_FALSE(fs::exists(dir / "out/manifest.tsv")) << option;
  }
}
