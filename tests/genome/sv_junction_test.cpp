// Junction windows are checked against derivative chromosomes built independently by string
// surgery on a hand-made reference: each rearrangement is applied to the reference text, and the
// junction window must be the stretch of the derived sequence around the join.
#include <gtest/gtest.h>

#include <map>

#include "genome/sv/sv_junction.h"

using namespace oncolm::genome;

namespace {

std::string pseudo_random_bases(std::size_t length, unsigned seed) {
  std::string bases;
  for (std::size_t i = 0; i < length; ++i) {
    seed = seed * 1103515245u + 12345u;
    bases += "ACGT"[(seed >> 16) & 3];
  }
  return bases;
}

const std::map<std::string, std::string>& genome() {
  static const std::map<std::string, std::string> contigs = {{"1", pseudo_random_bases(200, 7)},
                                                             {"2", pseudo_random_bases(150, 11)}};
  return contigs;
}

int rank(const std::string& chrom) { return chrom == "1" ? 0 : 1; }

std::string fetch(const std::string& chrom, std::int64_t start, std::int64_t end) {
  const std::string& contig = genome().at(chrom);
  end = std::min<std::int64_t>(end, static_cast<std::int64_t>(contig.size()));
  return contig.substr(start - 1, end - start + 1);
}

// 1-based inclusive slice of contig "1" or "2".
std::string ref(const std::string& chrom, std::int64_t start, std::int64_t end) {
  return fetch(chrom, start, end);
}

constexpr std::int64_t L = 20;

// The L bases of `derived` centred on the join that sits after `join_offset` bases.
std::string around_join(const std::string& derived, std::int64_t join_offset,
                        std::int64_t inserted = 0) {
  return derived.substr(join_offset - (L - inserted) / 2, L);
}

SvJunction from_vcf(const std::string& chrom, std::int64_t pos, const std::string& ref_base,
                    const std::string& alt) {
  return junction_from_bnd("r", BreakendSide{chrom, pos, Direction::left}, parse_bnd_alt(alt, ref_base),
                           rank);
}

std::string window_of(const SvJunction& junction) {
  return build_junction_window(junction, L, fetch).sequence;
}

}  // namespace

TEST(BndAlt, ParsesAllFourBracketForms) {
  BndAlt a = parse_bnd_alt("G[2:40[", "G");
  EXPECT_EQ(a.this_direction, Direction::left);
  EXPECT_EQ(a.mate.direction, Direction::right);
  EXPECT_EQ(a.mate.chrom, "2");
  EXPECT_EQ(a.mate.pos, 40);
  EXPECT_EQ(a.inserted, "");
  BndAlt b = parse_bnd_alt("GTTA]2:40]", "G");
  EXPECT_EQ(b.this_direction, Direction::left);
  EXPECT_EQ(b.mate.direction, Direction::left);
  EXPECT_EQ(b.inserted, "TTA");
  BndAlt c = parse_bnd_alt("]2:40]CAG", "G");
  EXPECT_EQ(c.this_direction, Direction::right);
  EXPECT_EQ(c.mate.direction, Direction::left);
  EXPECT_EQ(c.inserted, "CA");
  BndAlt d = parse_bnd_alt("[HLA-A*01:01:1:40[G", "G");
  EXPECT_EQ(d.this_direction, Direction::right);
  EXPECT_EQ(d.mate.direction, Direction::right);
  EXPECT_EQ(d.mate.chrom, "HLA-A*01:01:1");
}

TEST(BndAlt, RejectsMalformedAltsWithAReason) {
  EXPECT_THROW(parse_bnd_alt("G", "G"), std::invalid_argument);
  EXPECT_THROW(parse_bnd_alt("G[2:40", "G"), std::invalid_argument);
  EXPECT_THROW(parse_bnd_alt("G[2:x[", "G"), std::invalid_argument);
  EXPECT_THROW(parse_bnd_alt("G[2:40[G", "G"), std::invalid_argument);
  EXPECT_THROW(parse_bnd_alt("[2:40[", "G"), std::invalid_argument);
}

TEST(Junction, DeletionTypeFromEitherMateMatchesTheDerivedChromosome) {
  // Deletion of 1:61-119: t[p[ at 60 joined to 120, seen from both mates.
  std::string derived = ref("1", 1, 60) + ref("1", 120, 200);
  std::string expected = around_join(derived, 60);
  SvJunction from_first = from_vcf("1", 60, ref("1", 60, 60), ref("1", 60, 60) + "[1:120[");
  SvJunction from_second = from_vcf("1", 120, ref("1", 120, 120), "]1:60]" + ref("1", 120, 120));
  EXPECT_EQ(window_of(from_first), expected);
  EXPECT_EQ(window_of(from_second), expected);
  EXPECT_EQ(from_first.sv_class, SvClass::del);
  EXPECT_EQ(from_first.size, 59);
  EXPECT_EQ(from_second.bp1.pos, 60);
}

TEST(Junction, TandemDuplicationTypeJoinsEndToStart) {
  // Tandem duplication of 1:80-130: ]p]t at 80 with mate 130.
  std::string derived = ref("1", 1, 130) + ref("1", 80, 200);
  SvJunction junction = from_vcf("1", 80, ref("1", 80, 80), "]1:130]" + ref("1", 80, 80));
  EXPECT_EQ(junction.sv_class, SvClass::dup);
  EXPECT_EQ(junction.size, 51);
  EXPECT_EQ(window_of(junction), around_join(derived, 130));
}

TEST(Junction, InversionJunctionsFromBothBracketFormsAndBothMates) {
  // Inversion of 1:101-150: derived = ref[..100] + revcomp(ref[101..150]) + ref[151..].
  std::string derived = ref("1", 1, 100) + reverse_complement(ref("1", 101, 150)) + ref("1", 151, 200);
  std::string head = around_join(derived, 100);  // t]p] joins (100, left) with (150, left)
  SvJunction h1 = from_vcf("1", 100, ref("1", 100, 100), ref("1", 100, 100) + "]1:150]");
  SvJunction h2 = from_vcf("1", 150, ref("1", 150, 150), ref("1", 150, 150) + "]1:100]");
  EXPECT_EQ(window_of(h1), head);
  EXPECT_EQ(window_of(h2), head);
  EXPECT_EQ(h1.sv_class, SvClass::inv);
  // [p[t joins (101, right) with (151, right); on breakend 1's forward strand that is the
  // reverse complement of the derived chromosome around its second join.
  std::string tail = reverse_complement(around_join(derived, 150));
  SvJunction t1 = from_vcf("1", 101, ref("1", 101, 101), "[1:151[" + ref("1", 101, 101));
  SvJunction t2 = from_vcf("1", 151, ref("1", 151, 151), "[1:101[" + ref("1", 151, 151));
  EXPECT_EQ(window_of(t1), tail);
  EXPECT_EQ(window_of(t2), tail);
}

TEST(Junction, TranslocationWithInsertedBasesKeepsThemOnBreakendOnesStrand) {
  // 1:90 (left) joined to 2:60 (left, reverse-complemented) with "TTA" inserted after 1:90.
  std::string derived = ref("1", 1, 90) + "TTA" + reverse_complement(ref("2", 1, 60));
  std::string expected = derived.substr(90 - (L - 3) / 2, L);
  SvJunction from_first = from_vcf("1", 90, ref("1", 90, 90), ref("1", 90, 90) + "TTA]2:60]");
  // The mate record writes the same join on its own strand: its inserted bases are reversed.
  SvJunction from_mate = from_vcf("2", 60, ref("2", 60, 60), ref("2", 60, 60) + "TAA]1:90]");
  EXPECT_EQ(from_first.sv_class, SvClass::tra);
  EXPECT_EQ(window_of(from_first), expected);
  EXPECT_EQ(window_of(from_mate), expected);
  JunctionWindow window = build_junction_window(from_first, L, fetch);
  EXPECT_EQ(window.junction_offset, (L - 3) / 2);
  EXPECT_EQ(window.first.end, 90);
  EXPECT_TRUE(window.second.reverse_complemented);
}

TEST(Junction, SymbolicAllelesMatchTheirDerivedChromosomes) {
  auto symbolic = [](std::int64_t pos, std::int64_t end, const std::string& symbol,
                     const std::string& inserted = "") {
    return junctions_from_symbolic("s", "1", pos, end, symbol, inserted);
  };
  // <DEL> POS=60 END=119 deletes 61-119.
  EXPECT_EQ(window_of(symbolic(60, 119, "<DEL>").at(0)),
            around_join(ref("1", 1, 60) + ref("1", 120, 200), 60));
  // <DUP:TANDEM> POS=79 END=130 duplicates 80-130.
  EXPECT_EQ(window_of(symbolic(79, 130, "<DUP:TANDEM>").at(0)),
            around_join(ref("1", 1, 130) + ref("1", 80, 200), 130));
  // <INV> POS=100 END=150 inverts 101-150: two junctions.
  std::string inverted = ref("1", 1, 100) + reverse_complement(ref("1", 101, 150)) + ref("1", 151, 200);
  std::vector<SvJunction> inversion = symbolic(100, 150, "<INV>");
  ASSERT_EQ(inversion.size(), 2u);
  EXPECT_EQ(window_of(inversion[0]), around_join(inverted, 100));
  EXPECT_EQ(window_of(inversion[1]), reverse_complement(around_join(inverted, 150)));
  // <INS> with its sequence, and without (no ALT can be built).
  std::vector<SvJunction> insertion = symbolic(70, 70, "<INS>", "GGGCCC");
  ASSERT_EQ(insertion.size(), 1u);
  EXPECT_EQ(insertion[0].sv_class, SvClass::ins);
  EXPECT_EQ(window_of(insertion[0]), around_join(ref("1", 1, 70) + "GGGCCC" + ref("1", 71, 200), 70, 6));
  EXPECT_TRUE(symbolic(70, 70, "<INS>").empty());
  EXPECT_THROW(symbolic(70, 60, "<DEL>"), std::invalid_argument);
  EXPECT_THROW(symbolic(70, 90, "<CNV>"), std::invalid_argument);
}

TEST(Junction, PcawgBedpeStrandsGiveTheSameJoinsAsVcf) {
  // DEL row "1 59 60 1 119 120 . . + - DEL" is the t[p[ deletion 60 -> 120.
  SvJunction bedpe = junction_from_bedpe("b", "1", 59, "+", "1", 119, "-", rank);
  SvJunction vcf = from_vcf("1", 60, ref("1", 60, 60), ref("1", 60, 60) + "[1:120[");
  EXPECT_EQ(window_of(bedpe), window_of(vcf));
  EXPECT_EQ(bedpe.sv_class, SvClass::del);
  // Rows may list the higher breakend first; breakend 1 is still the lower one.
  SvJunction swapped = junction_from_bedpe("b", "2", 9, "-", "1", 99, "-", rank);
  EXPECT_EQ(swapped.bp1.chrom, "1");
  EXPECT_EQ(swapped.bp1.pos, 100);
  EXPECT_THROW(junction_from_bedpe("b", "1", 1, "x", "1", 5, "+", rank), std::invalid_argument);
}

TEST(Junction, WindowsAreClippedAtContigEnds) {
  // Deletion 1:6-194: only 5 bases exist left of the join and 6 right of it.
  SvJunction junction = from_vcf("1", 5, ref("1", 5, 5), ref("1", 5, 5) + "[1:195[");
  JunctionWindow window = build_junction_window(junction, L, fetch);
  EXPECT_EQ(window.sequence, ref("1", 1, 5) + ref("1", 195, 200));
  EXPECT_EQ(window.junction_offset, 5);
  EXPECT_EQ(window.second.end, 200);
}

TEST(BndPairer, PairsMatesByMateIdAndByConventionAndKeepsUnpaired) {
  BndPairer pairer(rank);
  auto pending = [](const std::string& id, std::int64_t pos, const std::string& alt) {
    BndPairer::Pending record;
    record.id = id;
    record.alt = parse_bnd_alt(alt, "A");
    record.side = BreakendSide{"1", pos, record.alt.this_direction};  // as the VCF reader sets it
    return record;
  };
  EXPECT_FALSE(pairer.add(pending("m1", 60, "A[1:120["), "m2").has_value());
  EXPECT_EQ(pairer.waiting(), 1u);
  std::optional<SvJunction> pair = pairer.add(pending("m2", 120, "]1:60]A"), "m1");
  ASSERT_TRUE(pair.has_value());
  EXPECT_EQ(pair->id, "m1,m2");
  EXPECT_EQ(pairer.waiting(), 0u);
  // No MATEID: PCAWG's _1/_2 and GRIDSS's o/h conventions.
  EXPECT_FALSE(pairer.add(pending("SVMERGE7_2", 120, "]1:60]A"), "").has_value());
  ASSERT_TRUE(pairer.add(pending("SVMERGE7_1", 60, "A[1:120["), "").has_value());
  // The convention pairs only records that point at each other: SVMERGE8_1 is not SVMERGE8_2's mate.
  EXPECT_FALSE(pairer.add(pending("SVMERGE8_2", 500, "]1:400]A"), "").has_value());
  EXPECT_FALSE(pairer.add(pending("SVMERGE8_1", 60, "A[1:120["), "").has_value());
  EXPECT_EQ(pairer.waiting(), 2u);
  EXPECT_EQ(pairer.flush_unpaired().size(), 2u);
  EXPECT_EQ(implied_mate_id("gridss3_26499o"), "gridss3_26499h");
  EXPECT_EQ(implied_mate_id("plain"), "");
  // A mate that never comes is still turned into a junction by flush_unpaired().
  EXPECT_FALSE(pairer.add(pending("lonely_1", 30, "A[2:40["), "").has_value());
  std::vector<SvJunction> unpaired = pairer.flush_unpaired();
  ASSERT_EQ(unpaired.size(), 1u);
  EXPECT_EQ(unpaired[0].bp2.chrom, "2");
  EXPECT_EQ(pairer.waiting(), 0u);
}
