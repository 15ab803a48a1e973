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

// The haplotype of a pure indel after 1-based base `pos` (ref[0] == alt[0] is that base).
std::string apply_indel(const std::string& sequence, std::int64_t pos, const std::string& ref, const std::string& alt) {
  auto at = static_cast<std::size_t>(pos - 1);
  return sequence.substr(0, at) + alt + sequence.substr(at + ref.size());
}

// The slide, by brute force: the largest s such that the same-sized event after every base from
// pos to pos + s gives the haplotype of the event at pos.
std::int64_t slide_by_brute_force(const std::string& sequence, std::int64_t pos, const std::string& ref,
                                  const std::string& alt) {
  const std::string haplotype = apply_indel(sequence, pos, ref, alt);
  std::size_t event = std::max(ref.size(), alt.size()) - 1;
  std::int64_t shift = 0;
  for (std::int64_t at = pos + 1; at <= static_cast<std::int64_t>(sequence.size()); ++at) {
    auto i = static_cast<std::size_t>(at - 1);
    bool same;
    if (ref.size() > alt.size()) {  // delete the event's length of bases after `at`
      same = i + 1 + event <= sequence.size() &&
             sequence.substr(0, i + 1) + sequence.substr(i + 1 + event) == haplotype;
    } else {  // insert after `at` the bases the haplotype holds there
      same = sequence.substr(0, i + 1) + haplotype.substr(i + 1, event) + sequence.substr(i + 1) == haplotype;
    }
    if (!same) break;
    shift = at - pos;
  }
  return shift;
}

TEST(Normalise, IndelRightShiftIsTheSlideThroughItsRepeat) {
  //                         position: 1234567890123456
  const std::string sequence = "GCAAAAATCACACAGT";
  SequenceFetcher fetch = over(sequence);
  auto length = static_cast<std::int64_t>(sequence.size());
  EXPECT_EQ(indel_right_shift(2, "CA", "C", length, fetch), 4);    // one A of five: slides to the last
  EXPECT_EQ(indel_right_shift(2, "CAA", "C", length, fetch), 3);
  EXPECT_EQ(indel_right_shift(2, "C", "CA", length, fetch), 5);    // one more A: after any of them
  EXPECT_EQ(indel_right_shift(8, "TCA", "T", length, fetch), 4);   // CA of a CACACA repeat
  EXPECT_EQ(indel_right_shift(8, "T", "TCA", length, fetch), 6);
  EXPECT_EQ(indel_right_shift(8, "T", "TGG", length, fetch), 0);   // not a repeat of the reference
  EXPECT_EQ(indel_right_shift(14, "AGT", "A", length, fetch), 0);  // deletes up to the contig end
  EXPECT_EQ(indel_right_shift(16, "T", "TT", length, fetch), 0);   // after the last base
  EXPECT_EQ(indel_right_shift(5, "A", "G", length, fetch), 0);     // not an indel
  // Every left-normalised indel of up to 3 bases on a sequence of short repeats, against the
  // brute-force slide; the reference is fetched 100 bases at a time, so a long repeat crosses fetches.
  const std::string repeats = "ACGT" + std::string(150, 'A') + "GCGCGCGCT" + std::string(30, 'T') + "CAGCAGCAGCAGG";
  SequenceFetcher fetch_repeats = over(repeats);
  auto repeats_length = static_cast<std::int64_t>(repeats.size());
  int checked = 0, slid = 0;
  for (std::int64_t pos = 1; pos < repeats_length; ++pos) {
    for (std::size_t size = 1; size <= 3; ++size) {
      auto at = static_cast<std::size_t>(pos - 1);
      if (at + 1 + size <= repeats.size()) {  // deletion of the `size` bases after pos
        NormalisedAllele left = normalise(pos, repeats.substr(at, size + 1), repeats.substr(at, 1), fetch_repeats);
        std::int64_t got = indel_right_shift(left.pos, left.ref, left.alt, repeats_length, fetch_repeats);
        ASSERT_EQ(got, slide_by_brute_force(repeats, left.pos, left.ref, left.alt)) << left.pos << " " << left.ref;
        slid += got > 0;
        ++checked;
      }
      for (const std::string& inserted : {std::string(size, 'A'), std::string("GC").substr(0, size),
                                          std::string("CAG").substr(0, size)}) {
        NormalisedAllele left = normalise(pos, repeats.substr(at, 1), repeats.substr(at, 1) + inserted, fetch_repeats);
        std::int64_t got = indel_right_shift(left.pos, left.ref, left.alt, repeats_length, fetch_repeats);
        ASSERT_EQ(got, slide_by_brute_force(repeats, left.pos, left.ref, left.alt)) << left.pos << " " << left.alt;
        slid += got > 0;
        ++checked;
      }
    }
  }
  EXPECT_GT(checked, 1500);
  EXPECT_GT(slid, checked / 2);
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
