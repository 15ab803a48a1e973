// Normalisation: compared record by record with `bcftools norm -f` on real indels (CEUtrio and
// blood-AC chr20) written in their original, right-shifted and padded forms; plus cases worked
// out by hand on short sequences.
#include <gtest/gtest.h>

#include <fstream>

#include "genome/small_variants/normalise.h"
#include "core/error.h"
#include "genome/io/reference.h"
#include "test_support.h"

using namespace oncolm;
using namespace oncolm::genome;
using namespace oncolm::test;

namespace {

struct Site {
  long pos;
  std::string ref, alt;
};

std::vector<Site> vcf_sites(const std::string& text) {
  std::vector<Site> sites;
  for (const auto& line : split(text, '\n')) {
    if (line.empty() || line[0] == '#') continue;
    auto cells = split(line, '\t');
    sites.push_back({std::stol(cells[1]), cells[3], cells[4]});
  }
  return sites;
}

// A fetcher over a literal sequence whose first base is position 1.
SequenceFetcher over(const std::string& sequence) {
  return [sequence](std::int64_t start, std::int64_t end) {
    return sequence.substr(static_cast<std::size_t>(start - 1), static_cast<std::size_t>(end - start + 1));
  };
}

}  // namespace

TEST(Normalise, AgreesWithBcftoolsNormOnRealIndels) {
  ScratchDir dir;
  CommandResult norm = run_command("bcftools norm -f '" + reference() + "' -m -any '" + data("norm_cases.vcf") + "'");
  ASSERT_EQ(norm.status, 0) << norm.err;
  std::vector<Site> input = vcf_sites(read_text(data("norm_cases.vcf")));
  std::vector<Site> expected = vcf_sites(norm.out);
  ASSERT_EQ(input.size(), expected.size());
  Reference reference(oncolm::test::reference());
  int contig = reference.find("20");
  auto fetch = [&](std::int64_t start, std::int64_t end) { return reference.fetch(contig, start, end); };
  std::size_t moved_by_bcftools = 0, changed_here = 0;
  for (std::size_t i = 0; i < input.size(); ++i) {
    NormalisedAllele got = normalise(input[i].pos, input[i].ref, input[i].alt, fetch);
    EXPECT_EQ(got.pos, expected[i].pos) << input[i].pos << " " << input[i].ref << ">" << input[i].alt;
    EXPECT_EQ(got.ref, expected[i].ref) << input[i].pos << " " << input[i].ref << ">" << input[i].alt;
    EXPECT_EQ(got.alt, expected[i].alt) << input[i].pos << " " << input[i].ref << ">" << input[i].alt;
    bool bcftools_changed = input[i].pos != expected[i].pos || input[i].ref != expected[i].ref;
    moved_by_bcftools += bcftools_changed;
    changed_here += got.changed;
    EXPECT_EQ(got.changed, bcftools_changed);
  }
  // The case file is built so that most records need work (shifted and padded forms).
  EXPECT_GT(moved_by_bcftools, input.size() / 2);
  EXPECT_EQ(changed_here, moved_by_bcftools);
}

TEST(Normalise, ShiftsDeletionToTheStartOfAHomopolymer) {
  //                 position: 1234567
  SequenceFetcher fetch = over("GCAAAAT");
  // Deleting the last A (pos 5-6 "AA" -> "A") is the same as deleting any A: leftmost is pos 2 C + A.
  NormalisedAllele got = normalise(5, "AA", "A", fetch);
  EXPECT_EQ(got.pos, 2);
  EXPECT_EQ(got.ref, "CA");
  EXPECT_EQ(got.alt, "C");
  EXPECT_TRUE(got.changed);
}

TEST(Normalise, ShiftsInsertionThroughADinucleotideRepeat) {
  //                 position: 123456789
  SequenceFetcher fetch = over("TTCACACAG");
  // Inserting CA after position 8 (A) equals inserting it after position 2 (T): T -> TCA.
  NormalisedAllele got = normalise(8, "A", "ACA", fetch);
  EXPECT_EQ(got.pos, 2);
  EXPECT_EQ(got.ref, "T");
  EXPECT_EQ(got.alt, "TCA");
}

TEST(Normalise, TrimsSharedBasesOfSubstitutions) {
  SequenceFetcher fetch = over("GACGT");
  NormalisedAllele snv = normalise(2, "ACG", "ATG", fetch);  // only C>T differs
  EXPECT_EQ(snv.pos, 3);
  EXPECT_EQ(snv.ref, "C");
  EXPECT_EQ(snv.alt, "T");
  EXPECT_EQ(classify(snv.ref, snv.alt), VariantType::snv);
  NormalisedAllele mnv = normalise(2, "AC", "GT", fetch);  // nothing shared: stays an MNV
  EXPECT_EQ(mnv.pos, 2);
  EXPECT_FALSE(mnv.changed);
  EXPECT_EQ(classify(mnv.ref, mnv.alt), VariantType::mnv);
}

TEST(Normalise, StopsAtTheContigStart) {
  SequenceFetcher fetch = over("AAAAC");
  // A deletion of one A in the leading homopolymer cannot get an anchor base left of position 1.
  NormalisedAllele got = normalise(3, "AA", "A", fetch);
  EXPECT_EQ(got.pos, 1);
  EXPECT_EQ(got.ref, "AA");
  EXPECT_EQ(got.alt, "A");
}

TEST(Normalise, LeavesNormalisedVariantsAlone) {
  SequenceFetcher fetch = over("GATTACA");
  NormalisedAllele got = normalise(4, "T", "G", fetch);
  EXPECT_EQ(got.pos, 4);
  EXPECT_FALSE(got.changed);
  EXPECT_EQ(common_prefix("T", "TGG"), 1u);
  EXPECT_EQ(classify("T", "TGG"), VariantType::indel);
}

// htslib 1.16 reads .fai lengths as int: a contig of 2^31 bases or more is refused by name, not
// read with a wrapped length.
TEST(Reference, ContigsOfTwoToTheThirtyOneBasesAreRefusedByName) {
  const std::string fasta = ::testing::TempDir() + "/oncolm_big_contig.fa";
  std::ofstream(fasta) << ">small\nACGT\n>big\nACGT\n";
  for (const char* length : {"4294967396", "2147483648"}) {
    std::ofstream(fasta + ".fai") << "small\t4\t7\t4\t5\nbig\t" << length << "\t17\t4\t5\n";
    try {
      Reference reference(fasta);
      ADD_FAILURE() << "a contig of " << length << " bases was accepted";
    } catch (const InputError& error) {
      EXPECT_NE(std::string(error.what()).find(fasta + ".fai:2: contig big has " + length + " bases"),
                std::string::npos)
          << error.what();
    }
  }
  std::ofstream(fasta + ".fai") << "small\t4\t7\t4\t5\nbig\t2147483647\t17\t4\t5\n";
  EXPECT_EQ(Reference(fasta).length(1), 2147483647);
}
