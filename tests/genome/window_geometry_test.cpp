// Window geometry worked out by hand, and window sequences checked against samtools faidx (REF)
// and bcftools consensus (ALT) on the real chr20 test reference.
#include <gtest/gtest.h>

#include <cctype>
#include <random>

#include "genome/small_variants/normalise.h"
#include "genome/small_variants/window_geometry.h"
#include "test_support.h"

using namespace oncolm;
using namespace oncolm::genome;
using namespace oncolm::test;

TEST(WindowGeometry, SnvSitsAtHalfTheWindow) {
  auto g = window_geometry(10000, "A", "G", 1000000, 5994);
  ASSERT_TRUE(g);
  EXPECT_EQ(g->offset, 2997);
  EXPECT_EQ(g->start, 10000 - 2997);
  EXPECT_EQ(g->end - g->start + 1, 5994);
  EXPECT_EQ(g->alt_start, g->start);
  EXPECT_EQ(g->alt_end, g->end);  // same length alleles: same span
  EXPECT_EQ(g->alt_length, 5994);
}

TEST(WindowGeometry, DeletionAndInsertionKeepLengthAndOffset) {
  // Deletion CAT>C at 10000: first changed base is 10001 (the A), deleted bases 10001-10002.
  auto del = window_geometry(10000, "CAT", "C", 1000000, 100);
  ASSERT_TRUE(del);
  EXPECT_EQ(del->start, 10001 - 50);
  EXPECT_EQ(del->offset, 50);
  // ALT = left flank 9951..9999 (49 bases) + ALT "C" + 50 bases right of the deleted AT
  // (10003..10052): 49 + 1 + 50 = 100.
  EXPECT_EQ(del->alt_end, 10052);
  EXPECT_EQ(del->alt_length, 100);
  // Insertion C>CGG at 10000: first changed base 10001 in the REF frame; ALT right flank 48 bases.
  auto ins = window_geometry(10000, "C", "CGG", 1000000, 100);
  ASSERT_TRUE(ins);
  EXPECT_EQ(ins->start, 10001 - 50);
  EXPECT_EQ(ins->alt_end, 10000 + 100 - 49 - 3);
  EXPECT_EQ(ins->alt_length, 100);
}

TEST(WindowGeometry, ClipsAtContigEndsAndRecordsTheOffset) {
  auto left = window_geometry(10, "A", "G", 1000, 100);
  ASSERT_TRUE(left);
  EXPECT_EQ(left->start, 1);
  EXPECT_EQ(left->offset, 9);
  EXPECT_EQ(left->end, 10 - 50 + 99);  // the right end stays where the unclipped window ends
  auto right = window_geometry(990, "A", "G", 1000, 100);
  ASSERT_TRUE(right);
  EXPECT_EQ(right->offset, 50);
  EXPECT_EQ(right->end, 1000);
  EXPECT_EQ(right->alt_end, 1000);
  EXPECT_EQ(right->alt_length, 1000 - 940 + 1);
}

TEST(WindowGeometry, RefusesAnInsertionLongerThanHalfTheWindow) {
  EXPECT_FALSE(window_geometry(10000, "C", "C" + std::string(60, 'A'), 1000000, 100));
  EXPECT_TRUE(window_geometry(10000, "C", "C" + std::string(49, 'A'), 1000000, 100));
}

TEST(WindowSequences, MatchSamtoolsAndBcftoolsConsensusOnRealIndels) {
  ScratchDir dir;
  Reference reference(oncolm::test::reference());
  int contig = reference.find("20");
  // Real indels of blood-AC (chr20) including the 54-bp insertion, and a real SNV.
  struct Case { long pos; std::string ref, alt; } cases[] = {
      {21481655, "GC", "G"}, {33404988, "ACTGATATTC", "A"}, {21026694, "A", "AAGG"},
      {8670617, "T", "TTTTTTTTTTTTTTTTTTTTTTTTGAGACGGAGTCTCGTTCTGTCGCCCAGGCGG"}, {169821, "G", "A"}};
  for (const auto& c : cases) {
    for (long length : {5994L, 1001L}) {
      auto g = window_geometry(c.pos, c.ref, c.alt, reference.length(contig), length);
      ASSERT_TRUE(g);
      SanitiseCounts counts;
      WindowSequences seq = window_sequences(reference, contig, *g, c.pos, c.ref, c.alt, &counts);
      std::string region = "20:" + std::to_string(g->start) + "-" + std::to_string(g->end);
      EXPECT_EQ(seq.ref, samtools_faidx(oncolm::test::reference(), region)) << region;
      EXPECT_EQ(seq.alt, bcftools_consensus(dir.str(), "20", g->alt_start, g->alt_end, c.pos, c.ref, c.alt))
          << c.pos << " " << c.ref << ">" << c.alt;
      EXPECT_EQ(static_cast<long>(seq.ref.size()), length);
      EXPECT_EQ(static_cast<long>(seq.alt.size()), length);
      // The changed base: the ALT allele past its shared prefix sits at the offset.
      std::size_t k = common_prefix(c.ref, c.alt);
      EXPECT_EQ(seq.alt.substr(static_cast<std::size_t>(g->offset), c.alt.size() - k), c.alt.substr(k));
      EXPECT_EQ(seq.ref.substr(0, static_cast<std::size_t>(g->offset)), seq.alt.substr(0, static_cast<std::size_t>(g->offset)));
    }
  }
}

TEST(Reference, UpperCasesSoftMaskAndTurnsIupacIntoN) {
  ScratchDir dir;
  // A real 60-base piece of chr20 with soft-masking and IUPAC codes written into it.
  std::string real = samtools_faidx(oncolm::test::reference(), "20:169791-169850");
  ASSERT_EQ(real.size(), 60u);
  std::string masked = real;
  for (std::size_t i = 0; i < 10; ++i) masked[i] = static_cast<char>(std::tolower(masked[i]));
  masked[20] = 'R';
  masked[21] = 'y';
  write_file(dir / "mini.fa", ">mini\n" + masked + "\n");
  ASSERT_EQ(run_command("samtools faidx '" + (dir / "mini.fa") + "'").status, 0);
  Reference reference(dir / "mini.fa");
  SanitiseCounts counts;
  std::string got = reference.fetch(0, 1, 60, &counts);
  std::string expected = real;
  expected[20] = 'N';
  expected[21] = 'N';
  EXPECT_EQ(got, expected);
  EXPECT_EQ(counts.soft_masked, 11u);  // 10 lower-case bases and the lower-case y
  EXPECT_EQ(counts.iupac, 2u);
}

// Windows in position order, overlapping, across the reloads of the cached chunk and back within
// it: every fetch and its counts equal the raw bases sanitised one by one.
TEST(Reference, OverlappingFetchesAcrossChunksEqualTheRawBasesSanitised) {
  ScratchDir dir;
  std::mt19937 generator(7);
  std::string raw(900000, 'A');
  for (char& base : raw) {
    unsigned draw = generator() % 100;
    base = draw < 2 ? "RYKMSWN"[generator() % 7] : "ACGTacgt"[generator() % (draw < 30 ? 8 : 4)];
  }
  std::string fasta = ">chunky\n";
  for (std::size_t at = 0; at < raw.size(); at += 60) fasta += raw.substr(at, 60) + "\n";
  write_file(dir / "chunky.fa", fasta);
  ASSERT_EQ(run_command("samtools faidx '" + (dir / "chunky.fa") + "'").status, 0);
  Reference reference(dir / "chunky.fa");
  std::vector<std::pair<std::int64_t, std::int64_t>> regions;
  for (std::int64_t start = 1; start + 5993 <= 900000; start += 4111) regions.emplace_back(start, start + 5993);
  regions.emplace_back(600000, 600000);      // back 40 kb after the last
  regions.emplace_back(1, 300000);           // longer than a chunk
  regions.emplace_back(899990, 900000);      // the contig's last bases
  for (const auto& [start, end] : regions) {
    SanitiseCounts counts;
    std::string got = reference.fetch(0, start, end, &counts);
    std::string expected = raw.substr(static_cast<std::size_t>(start - 1), static_cast<std::size_t>(end - start + 1));
    std::uint64_t soft_masked = 0, iupac = 0;
    for (char& base : expected) {
      soft_masked += std::islower(static_cast<unsigned char>(base)) != 0;
      base = static_cast<char>(std::toupper(static_cast<unsigned char>(base)));
      if (std::string("ACGT").find(base) == std::string::npos) {
        iupac += base != 'N';
        base = 'N';
      }
    }
    ASSERT_EQ(got, expected) << start << "-" << end;
    EXPECT_EQ(counts.soft_masked, soft_masked) << start << "-" << end;
    EXPECT_EQ(counts.iupac, iupac) << start << "-" << end;
  }
}

TEST(CentredSpan, OffsetIsHalfTheLengthUnlessClipped) {
  CentredSpan middle = centred_span(5000, 10000, 5994);
  EXPECT_EQ(middle.start, 5000 - 2997);
  EXPECT_EQ(middle.end, middle.start + 5993);
  EXPECT_EQ(middle.offset, 2997);
  CentredSpan near_start = centred_span(10, 10000, 100);  // clipped, not padded
  EXPECT_EQ(near_start.start, 1);
  EXPECT_EQ(near_start.end, 59);
  EXPECT_EQ(near_start.offset, 9);
  CentredSpan near_end = centred_span(9990, 10000, 100);
  EXPECT_EQ(near_end.start, 9940);
  EXPECT_EQ(near_end.end, 10000);
  EXPECT_EQ(near_end.offset, 50);
}

TEST(WindowSequences, ClippedAtBothEndsOfRealMtFromAPlainFasta) {
  ScratchDir dir;
  Reference plain(data("ref_mt.fa"));  // uncompressed FASTA
  ASSERT_EQ(plain.contigs().size(), 1u);
  std::int64_t length = plain.length(0);
  EXPECT_EQ(plain.fetch(0, 1000, 1059), samtools_faidx(data("ref_mt.fa"), "MT:1000-1059"));
  // An SNV 10 bases from the end and a 1-base deletion 20 bases from the start, L = 100.
  std::int64_t snv_pos = length - 10;
  std::string snv_ref = plain.fetch(0, snv_pos, snv_pos);
  std::string snv_alt = snv_ref == "A" ? "C" : "A";
  std::string del_ref = plain.fetch(0, 20, 21);
  struct Case { std::int64_t pos; std::string ref, alt; } cases[] = {{snv_pos, snv_ref, snv_alt},
                                                                  {20, del_ref, del_ref.substr(0, 1)}};
  for (const auto& c : cases) {
    auto g = window_geometry(c.pos, c.ref, c.alt, length, 100);
    ASSERT_TRUE(g);
    WindowSequences seq = window_sequences(plain, 0, *g, c.pos, c.ref, c.alt, nullptr);
    EXPECT_LT(seq.ref.size(), 100u);  // clipped, not padded
    EXPECT_EQ(seq.ref, samtools_faidx(data("ref_mt.fa"), "MT:" + std::to_string(g->start) + "-" + std::to_string(g->end)));
    EXPECT_EQ(seq.alt, bcftools_consensus(dir.str(), "MT", g->alt_start, g->alt_end, c.pos, c.ref, c.alt));
    std::size_t k = common_prefix(c.ref, c.alt);
    EXPECT_EQ(g->offset, c.pos + static_cast<std::int64_t>(k) - g->start);
  }
}
