// How germline sites are written into windows (personalise.h, steps 4-5), on a made-up contig
// with hand-placed sites: deletions, insertions, overlaps, the contig start, and the search
// widening. The expected windows are cut from the whole contig with every applied site written
// in (right to left, by string replacement), at the offset of the plain window.
// tests/genome/personalise_cli_test.cpp checks the same against bcftools consensus on real reads.
#include <gtest/gtest.h>

#include <optional>
#include <random>

#include "genome/small_variants/normalise.h"
#include "genome/small_variants/personalise.h"
#include "genome/small_variants/window_geometry.h"

namespace oncolm::genome {
namespace {

constexpr std::int64_t length = 16;  // window length L of these tests

std::string made_up_contig(std::size_t size) {
  std::mt19937 random(20261126);
  std::string contig;
  for (std::size_t i = 0; i < size; ++i) contig += "ACGT"[random() % 4];
  return contig;
}

struct Case {
  std::string contig = made_up_contig(2000);
  SomaticAllele somatic;
  WindowGeometry plain;

  explicit Case(std::int64_t pos, std::string alt_bases = "", std::int64_t ref_length = 1) {
    somatic.pos = pos;
    somatic.ref = contig.substr(static_cast<std::size_t>(pos - 1), static_cast<std::size_t>(ref_length));
    // An SNV by default: the base that follows the reference base in ACGT.
    somatic.alt = alt_bases.empty() ? std::string(1, "CGTA"[std::string("ACGT").find(somatic.ref[0])]) : alt_bases;
    plain = *window_geometry(pos, somatic.ref, somatic.alt, static_cast<std::int64_t>(contig.size()), length);
  }
  ReferenceFetch fetch() const {
    return [this](std::int64_t start, std::int64_t end) {
      return contig.substr(static_cast<std::size_t>(start - 1), static_cast<std::size_t>(end - start + 1));
    };
  }
  // A germline site with the contig's bases as REF.
  GermlineSite snv(std::int64_t pos, GermlineKind kind = GermlineKind::hom) const {
    char base = contig[static_cast<std::size_t>(pos - 1)];
    return {"20", pos, std::string(1, base), std::string(1, base == 'A' ? 'C' : 'A'), kind};
  }
  GermlineSite deletion(std::int64_t anchor, std::size_t deleted, GermlineKind kind = GermlineKind::hom) const {
    return {"20", anchor, contig.substr(static_cast<std::size_t>(anchor - 1), deleted + 1),
            contig.substr(static_cast<std::size_t>(anchor - 1), 1), kind};
  }
  GermlineSite insertion(std::int64_t anchor, const std::string& bases, GermlineKind kind = GermlineKind::hom) const {
    std::string base = contig.substr(static_cast<std::size_t>(anchor - 1), 1);
    return {"20", anchor, base, base + bases, kind};
  }
  std::optional<PersonalisedWindows> cut(const std::vector<GermlineSite>& sites, SearchRange searched,
                                         SearchRange* wider = nullptr) const {
    SearchRange unused;
    return cut_personalised_windows(sites, plain, somatic, static_cast<std::int64_t>(contig.size()), searched, fetch(),
                                    wider ? *wider : unused);
  }
  // Searched as personalise_windows starts: search_margin left of the window, to its end.
  SearchRange first_search() const {
    return {std::max<std::int64_t>(1, plain.start - search_margin), std::max(plain.end, plain.alt_end)};
  }
  SearchRange whole_contig() const { return {1, static_cast<std::int64_t>(contig.size())}; }

  // The expected windows: the whole contig with `applied` written in, cut at the plain offset.
  WindowSequences expected(const std::vector<GermlineSite>& applied) const {
    std::vector<GermlineSite> edits = applied;
    std::string ref_haplotype = write(contig, edits);
    edits.push_back({"20", somatic.pos, somatic.ref, somatic.alt, GermlineKind::hom});
    std::string alt_haplotype = write(contig, edits);
    std::int64_t changed = somatic.pos + static_cast<std::int64_t>(common_prefix(somatic.ref, somatic.alt));
    std::int64_t at_changed = changed - 1;
    for (const GermlineSite& site : applied)
      if (site.pos < changed)
        at_changed += static_cast<std::int64_t>(site.alt.size()) - static_cast<std::int64_t>(site.ref.size());
    auto begin = static_cast<std::size_t>(at_changed - plain.offset);
    return {ref_haplotype.substr(begin, static_cast<std::size_t>(plain.end - plain.start + 1)),
            alt_haplotype.substr(begin, static_cast<std::size_t>(plain.alt_length))};
  }
  static std::string write(std::string sequence, std::vector<GermlineSite> edits) {
    std::sort(edits.begin(), edits.end(), [](const auto& a, const auto& b) { return a.pos > b.pos; });
    for (const GermlineSite& e : edits) sequence.replace(static_cast<std::size_t>(e.pos - 1), e.ref.size(), e.alt);
    return sequence;
  }
};

// REF and ALT are what Case::expected cuts from the whole contig with `applied` written in.
void expect_cut_from_whole_contig(const Case& c, const PersonalisedWindows& windows,
                                  const std::vector<GermlineSite>& applied) {
  WindowSequences expected = c.expected(applied);
  EXPECT_EQ(windows.sequences.ref, expected.ref);
  EXPECT_EQ(windows.sequences.alt, expected.alt);
}

std::vector<std::string> listed(const PersonalisedWindows& windows) {
  std::vector<std::string> out;
  for (const GermlineSite& s : windows.sites)
    out.push_back(std::to_string(s.pos) + ":" + s.ref + ">" + s.alt + ":" + germline_kind_name(s.kind));
  return out;
}

std::string text(const GermlineSite& s) {
  return std::to_string(s.pos) + ":" + s.ref + ">" + s.alt + ":" + germline_kind_name(s.kind);
}

TEST(PersonaliseWindows, WithoutSitesTheWindowsAreThePlainWindows) {
  Case c(1000);
  auto windows = c.cut({}, c.first_search());
  ASSERT_TRUE(windows);
  EXPECT_EQ(windows->geometry.start, c.plain.start);
  EXPECT_EQ(windows->geometry.end, c.plain.end);
  EXPECT_EQ(windows->geometry.alt_end, c.plain.alt_end);
  EXPECT_EQ(windows->geometry.offset, c.plain.offset);
  EXPECT_EQ(windows->sequences.ref, c.contig.substr(static_cast<std::size_t>(c.plain.start - 1), length));
  EXPECT_EQ(windows->sequences.ref.substr(0, 8), windows->sequences.alt.substr(0, 8));
  EXPECT_EQ(windows->sequences.alt[8], c.somatic.alt[0]);
  EXPECT_TRUE(windows->sites.empty());
}

TEST(PersonaliseWindows, ADeletionLeftOfTheSomaticAlleleMovesTheStartLeft) {
  Case c(1000);  // plain REF window 992-1007, offset 8
  GermlineSite deletion = c.deletion(995, 3);  // removes 996-998
  auto windows = c.cut({deletion}, c.whole_contig());
  ASSERT_TRUE(windows);
  expect_cut_from_whole_contig(c, *windows, {deletion});
  EXPECT_EQ(windows->geometry.start, 989);
  EXPECT_EQ(windows->geometry.end, 1007);
  EXPECT_EQ(windows->geometry.offset, 8);
  EXPECT_EQ(windows->sequences.ref.size(), static_cast<std::size_t>(length));
  EXPECT_EQ(listed(*windows), std::vector<std::string>{text(deletion)});
}

TEST(PersonaliseWindows, AnInsertionRightOfTheSomaticAlleleMovesTheEndLeft) {
  Case c(1000);
  GermlineSite insertion = c.insertion(1003, "TTAA", GermlineKind::het_phased);
  auto windows = c.cut({insertion}, c.whole_contig());
  ASSERT_TRUE(windows);
  expect_cut_from_whole_contig(c, *windows, {insertion});
  EXPECT_EQ(windows->geometry.start, 992);
  EXPECT_EQ(windows->geometry.end, 1003);
  EXPECT_EQ(windows->geometry.alt_end, 1003);
  EXPECT_NE(windows->sequences.ref.find(c.contig.substr(1002, 1) + "TTAA"), std::string::npos);
}

TEST(PersonaliseWindows, ASomaticDeletionKeepsItsOwnBasesAndTheGermlineSitesAroundIt) {
  Case c(1000, "", 4);  // somatic deletion of 1001-1003 (anchor 1000)
  c.somatic.alt = c.somatic.ref.substr(0, 1);
  c.plain = *window_geometry(1000, c.somatic.ref, c.somatic.alt, 2000, length);
  GermlineSite left = c.insertion(996, "G");
  GermlineSite right = c.deletion(1005, 2);  // past the somatic REF: in ALT, and at REF's end
  auto windows = c.cut({left, right}, c.whole_contig());
  ASSERT_TRUE(windows);
  expect_cut_from_whole_contig(c, *windows, {left, right});
  EXPECT_EQ(windows->geometry.offset, c.plain.offset);
  EXPECT_EQ(windows->sequences.alt.size(), static_cast<std::size_t>(c.plain.alt_length));
}

TEST(PersonaliseWindows, SitesOverlappingTheSomaticAlleleOrAnEarlierSiteAreNotApplied) {
  Case c(1000);
  GermlineSite over_somatic = c.deletion(998, 3);  // removes 999-1001, the somatic base among them
  GermlineSite deletion = c.deletion(1003, 3);     // removes 1004-1006
  GermlineSite snv_inside = c.snv(1005);
  auto windows = c.cut({over_somatic, deletion, snv_inside}, c.whole_contig());
  ASSERT_TRUE(windows);
  expect_cut_from_whole_contig(c, *windows, {deletion});
  GermlineSite not_applied = over_somatic, not_applied_snv = snv_inside;
  not_applied.kind = not_applied_snv.kind = GermlineKind::overlapping;
  EXPECT_EQ(listed(*windows), (std::vector<std::string>{text(not_applied), text(deletion), text(not_applied_snv)}));
}

TEST(PersonaliseWindows, AnIndelOnAnSnvsBaseIsWrittenAfterItAsBcftoolsConsensusDoes) {
  // bcftools consensus: "1 C T" then "1 C CAA" gives TAA; an SNV then a deletion at one base, the
  // SNV's base and the deletion.
  Case c(1000);
  GermlineSite snv = c.snv(1004);
  GermlineSite insertion = c.insertion(1004, "GG");
  std::string haplotype = Case::write(c.contig, {snv});
  haplotype.insert(1004, "GG");  // after position 1004 (0-based index 1003)
  auto windows = c.cut({snv, insertion}, c.whole_contig());
  ASSERT_TRUE(windows);
  EXPECT_EQ(windows->sequences.ref, haplotype.substr(991, length));
  EXPECT_EQ(listed(*windows), (std::vector<std::string>{text(snv), text(insertion)}));

  GermlineSite left_snv = c.snv(995);
  GermlineSite deletion = c.deletion(995, 2);  // removes 996-997
  haplotype = Case::write(c.contig, {left_snv});
  haplotype.erase(995, 2);
  windows = c.cut({left_snv, deletion}, c.whole_contig());
  ASSERT_TRUE(windows);
  EXPECT_EQ(windows->sequences.ref, haplotype.substr(991 - 2, length));  // the start moves 2 left
  EXPECT_EQ(windows->geometry.start, 990);
  EXPECT_EQ(listed(*windows), (std::vector<std::string>{text(left_snv), text(deletion)}));
}

TEST(PersonaliseWindows, UnphasedAndOtherHaplotypeSitesAreListedNotApplied) {
  Case c(1000);
  GermlineSite unphased = c.deletion(994, 2, GermlineKind::het_unphased);
  GermlineSite other = c.snv(1005, GermlineKind::het_other_haplotype);
  GermlineSite outside = c.snv(1500, GermlineKind::het_unphased);
  auto windows = c.cut({unphased, other, outside}, c.whole_contig());
  ASSERT_TRUE(windows);
  EXPECT_EQ(windows->sequences.ref, c.expected({}).ref);
  EXPECT_EQ(windows->geometry.start, c.plain.start);
  EXPECT_EQ(listed(*windows), (std::vector<std::string>{text(unphased), text(other)}));
}

TEST(PersonaliseWindows, AppliedSitesOutsideTheFinalWindowsAreNotListed) {
  Case c(1000);
  GermlineSite far_left = c.snv(900);
  GermlineSite inside = c.snv(1002);
  auto windows = c.cut({far_left, inside}, c.whole_contig());
  ASSERT_TRUE(windows);
  EXPECT_EQ(listed(*windows), std::vector<std::string>{text(inside)});
  EXPECT_EQ(windows->sequences.ref, c.expected({far_left, inside}).ref);
}

TEST(PersonaliseWindows, AWindowThatBeginsInsideAnInsertionStartsAfterItsAnchor) {
  Case c(1000);  // REF window 992-1007: an insertion of 5 after 989 puts 2 of its bases in it
  GermlineSite insertion = c.insertion(989, "ACGTA");
  GermlineSite deletion = c.deletion(993, 4);  // pulls 4 more bases in from the left
  auto windows = c.cut({insertion, deletion}, c.whole_contig());
  ASSERT_TRUE(windows);
  EXPECT_EQ(windows->sequences.ref, c.expected({insertion, deletion}).ref);
  EXPECT_EQ(windows->sequences.ref.substr(0, 2), "TA");
  EXPECT_EQ(windows->geometry.start, 990);
  EXPECT_EQ(listed(*windows), (std::vector<std::string>{text(insertion), text(deletion)}));
}

TEST(PersonaliseWindows, DeletionsThatPullInBasesBeyondTheSearchAskForAWiderOne) {
  Case c(1000);
  SearchRange searched = c.first_search();  // 692-1007: bases left of 992 may still be removed
  GermlineSite deletion = c.deletion(995, 3);
  SearchRange wider;
  EXPECT_FALSE(c.cut({deletion}, searched, &wider));
  EXPECT_EQ(wider.start, searched.start - 3 - search_margin);
  EXPECT_EQ(wider.end, searched.end);
  auto windows = c.cut({deletion}, wider);
  ASSERT_TRUE(windows);
  EXPECT_EQ(windows->sequences.ref, c.expected({deletion}).ref);

  // On the right, a deletion reaching past the searched end, and one inside it that pulls bases in.
  GermlineSite pulls = c.deletion(1003, 2);
  GermlineSite straddles = c.deletion(1006, 4);  // 1007-1010, past the end 1007
  EXPECT_FALSE(c.cut({pulls, straddles}, searched, &wider));
  EXPECT_GE(wider.end, 1010);
  EXPECT_EQ(wider.start, searched.start);
  windows = c.cut({pulls, straddles}, wider);
  ASSERT_TRUE(windows);
  EXPECT_EQ(windows->sequences.ref, c.expected({pulls, straddles}).ref);
  EXPECT_EQ(windows->geometry.end, 1013);  // 1000-1003, 1006, 1011-1013
}

TEST(PersonaliseWindows, AtTheContigStartTheOffsetShrinksInsteadOfReadingPastIt) {
  Case c(6);  // plain REF window 1-13, offset 5
  ASSERT_EQ(c.plain.start, 1);
  ASSERT_EQ(c.plain.offset, 5);
  GermlineSite deletion = c.deletion(2, 2);  // removes 3-4
  auto windows = c.cut({deletion}, c.first_search());
  ASSERT_TRUE(windows);
  EXPECT_EQ(windows->geometry.offset, 3);
  EXPECT_EQ(windows->geometry.start, 1);
  std::string haplotype = Case::write(c.contig, {deletion});
  EXPECT_EQ(windows->sequences.ref, haplotype.substr(0, static_cast<std::size_t>(3 + c.plain.end - 5)));
}

// SV breakends (step 6): the REF window keeps the breakend at its offset; the ALT piece ends (left
// side retained) or starts (right side retained) at the breakend.
struct BreakendCase {
  Case contig_case{1000};
  std::optional<PersonalisedBreakend> cut(const BreakendSide& side, std::int64_t piece_length,
                                          const std::vector<GermlineSite>& sites) const {
    SearchRange unused;
    return cut_personalised_breakend(sites, side, centred_span(side.pos, 2000, length), piece_length, 2000,
                                     contig_case.whole_contig(), contig_case.fetch(), unused);
  }
};

TEST(PersonaliseBreakend, PiecesEndOrStartAtTheBreakendWithTheSitesOnTheirSide) {
  BreakendCase b;
  const Case& c = b.contig_case;
  GermlineSite left_snv = c.snv(996), right_insertion = c.insertion(1003, "TT");
  std::vector<GermlineSite> sites{left_snv, right_insertion};
  // The SNV does not move position 1000 and the insertion lies after it, so it keeps its index.
  std::string haplotype = Case::write(c.contig, sites);
  auto left = b.cut({"20", 1000, Direction::left}, 8, sites);
  ASSERT_TRUE(left);
  EXPECT_EQ(left->piece, haplotype.substr(992, 8));  // positions 993-1000
  EXPECT_EQ(left->piece_start, 993);
  EXPECT_EQ(left->piece_end, 1000);
  EXPECT_EQ(left->ref, haplotype.substr(991, length));
  EXPECT_EQ(left->ref_span.offset, 8);
  auto right = b.cut({"20", 1000, Direction::right}, 8, sites);
  ASSERT_TRUE(right);
  EXPECT_EQ(right->piece, haplotype.substr(999, 8));  // 1000-1003, TT, 1004-1005
  EXPECT_EQ(right->piece_start, 1000);
  EXPECT_EQ(right->piece_end, 1005);
}

TEST(PersonaliseBreakend, ADeletionRemovingTheBreakendBaseIsNotApplied) {
  BreakendCase b;
  const Case& c = b.contig_case;
  GermlineSite across = c.deletion(997, 6);  // removes 998-1003, the breakend 1000 among them
  for (Direction direction : {Direction::left, Direction::right}) {
    auto cut = b.cut({"20", 1000, direction}, 8, {across});
    ASSERT_TRUE(cut);
    std::int64_t first = direction == Direction::left ? 993 : 1000;
    EXPECT_EQ(cut->piece, c.contig.substr(static_cast<std::size_t>(first - 1), 8));
    EXPECT_EQ(cut->piece_start, first);
    ASSERT_EQ(cut->sites.size(), 1u);
    EXPECT_EQ(cut->sites[0].kind, GermlineKind::overlapping);
  }
  GermlineSite after = c.deletion(1000, 3);  // anchored on the breakend: it keeps its base
  auto cut = b.cut({"20", 1000, Direction::left}, 8, {after});
  ASSERT_TRUE(cut);
  EXPECT_EQ(cut->piece_end, 1000);
  EXPECT_EQ(cut->ref, Case::write(c.contig, {after}).substr(991, length));
}

}  // namespace
}  // namespace oncolm::genome
