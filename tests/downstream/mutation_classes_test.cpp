// The signature schemes: class counts and order (COSMIC's), and hand-worked examples of each rule.
#include <gtest/gtest.h>

#include "downstream/mutation_classes.h"

using namespace oncolm::downstream;

TEST(MutationClasses, SchemesHaveCosmicSizesAndOrder) {
  ASSERT_EQ(sbs96_classes().size(), 96u);
  EXPECT_EQ(sbs96_classes().front(), "A[C>A]A");
  EXPECT_EQ(sbs96_classes()[1], "A[C>A]C");
  EXPECT_EQ(sbs96_classes()[16], "A[C>G]A");
  EXPECT_EQ(sbs96_classes().back(), "T[T>G]T");
  ASSERT_EQ(id83_classes().size(), 84u);  // ID-83 + complex
  EXPECT_EQ(id83_classes()[0], "1:Del:C:0");
  EXPECT_EQ(id83_classes()[23], "1:Ins:T:5");
  EXPECT_EQ(id83_classes()[24], "2:Del:R:0");
  EXPECT_EQ(id83_classes()[72], "2:Del:M:1");
  EXPECT_EQ(id83_classes()[82], "5:Del:M:5");
  EXPECT_EQ(id83_classes()[id_complex_index], "complex");
  ASSERT_EQ(dbs78_classes().size(), 79u);  // DBS-78 + MNV
  EXPECT_EQ(dbs78_classes()[0], "AC>CA");
  EXPECT_EQ(dbs78_classes()[9], "AT>CA");
  EXPECT_EQ(dbs78_classes()[77], "TT>GG");
  EXPECT_EQ(dbs78_classes()[dbs_other_index], "MNV");
  // COSMIC's names for the REF pairs that read the same on both strands (its DBS-78 list).
  std::vector<std::string> palindromic;
  for (const auto& name : dbs78_classes())
    for (const char* ref : {"AT>", "CG>", "GC>", "TA>"})
      if (name.rfind(ref, 0) == 0) palindromic.push_back(name);
  EXPECT_EQ(palindromic, (std::vector<std::string>{"AT>CA", "AT>CC", "AT>CG", "AT>GA", "AT>GC", "AT>TA",
                                                   "CG>AT", "CG>GC", "CG>GT", "CG>TA", "CG>TC", "CG>TT",
                                                   "GC>AA", "GC>AG", "GC>AT", "GC>CA", "GC>CG", "GC>TA",
                                                   "TA>AT", "TA>CG", "TA>CT", "TA>GC", "TA>GG", "TA>GT"}));
  EXPECT_EQ(dbs78_classes()[static_cast<std::size_t>(dbs78_index("CG", "AA"))], "CG>TT");
  EXPECT_EQ(dbs78_classes()[static_cast<std::size_t>(dbs78_index("TA", "AC"))], "TA>GT");
  EXPECT_EQ(dbs78_classes()[static_cast<std::size_t>(dbs78_index("AT", "TG"))], "AT>CA");
}

TEST(MutationClasses, Sbs96IsPyrimidineCentred) {
  EXPECT_EQ(sbs96_classes()[sbs96_index('A', 'C', 'A', 'A')], "A[C>A]A");
  EXPECT_EQ(sbs96_classes()[sbs96_index('T', 'C', 'T', 'G')], "T[C>T]G");
  // G>T in A G C is C>A in G C T on the other strand.
  EXPECT_EQ(sbs96_classes()[sbs96_index('A', 'G', 'T', 'C')], "G[C>A]T");
  EXPECT_EQ(sbs96_classes()[sbs96_index('C', 'A', 'G', 'T')], "A[T>C]G");
  EXPECT_EQ(sbs96_index('N', 'C', 'A', 'A'), -1);
  EXPECT_EQ(sbs96_index('A', 'C', 'C', 'A'), -1);
  EXPECT_EQ(sbs96_classes()[sbs96_index_in_window("GGTCAGG", 3, 'T')], "T[C>T]A");
  EXPECT_EQ(sbs96_index_in_window("ACA", 0, 'T'), -1);  // no 5' base
  EXPECT_EQ(sbs96_index_in_window("ACA", 2, 'T'), -1);  // no 3' base
}

std::string id_class(const std::string& window, std::size_t offset, const std::string& ref, const std::string& alt) {
  int index = id83_index(window, offset, ref, alt);
  return index < 0 ? "none" : id83_classes()[static_cast<std::size_t>(index)];
}

TEST(MutationClasses, Id83CountsRepeatsAndMicrohomology) {
  // window:     G A T T T C G  (the first changed base at offset 2)
  // 1 bp deletion of a T from TTT: two other copies -> 1:Del:T:2
  EXPECT_EQ(id_class("GATTTCG", 2, "AT", "A"), "1:Del:T:2");
  // deleted G (purine) outside a homopolymer -> its pyrimidine C, 0 copies
  EXPECT_EQ(id_class("AAGTT", 2, "AG", "A"), "1:Del:C:0");
  // 1 bp insertion of T before TTT: three copies -> 1:Ins:T:3
  EXPECT_EQ(id_class("GATTTCG", 2, "A", "AT"), "1:Ins:T:3");
  // insertion of C where no C is adjacent -> 1:Ins:C:0
  EXPECT_EQ(id_class("AATTAA", 2, "A", "AC"), "1:Ins:C:0");
  // homopolymer of 8 A's, one deleted: 7 other copies, capped at 5
  EXPECT_EQ(id_class("CAAAAAAAAG", 1, "CA", "C"), "1:Del:T:5");
  // deletion of CA from CACACA: two more copies -> 2:Del:R:2
  EXPECT_EQ(id_class("GCACACAT", 1, "GCA", "G"), "2:Del:R:2");
  // insertion of AG next to one AG -> 2:Ins:R:1
  EXPECT_EQ(id_class("TAGCC", 1, "T", "TAG"), "2:Ins:R:1");
  // deletion of ACGT followed by ACTT: microhomology AC (2 bases) -> 4:Del:M:2
  EXPECT_EQ(id_class("GACGTACTT", 1, "GACGT", "G"), "4:Del:M:2");
  // microhomology on the 5' side: deleted TGCA ends in CA, and CA precedes it -> 2 bases
  EXPECT_EQ(id_class("CATGCAGG", 2, "ATGCA", "A"), "4:Del:M:2");
  // 7 bp deletion, no repeat, no homology -> 5:Del:R:0
  EXPECT_EQ(id_class("AGGGCCCTAA", 1, "AGGGCCCT", "A"), "5:Del:R:0");
  // both deleted and inserted bases: complex
  EXPECT_EQ(id_class("AACGT", 1, "ACG", "AT"), "complex");
  EXPECT_EQ(id83_index("ACGT", 1, "C", "T"), -1);  // not an indel
}

std::string dbs_class(const std::string& ref, const std::string& alt) {
  int index = dbs78_index(ref, alt);
  return index < 0 ? "none" : dbs78_classes()[static_cast<std::size_t>(index)];
}

TEST(MutationClasses, Dbs78UsesTheCanonicalStrand) {
  EXPECT_EQ(dbs_class("CC", "TT"), "CC>TT");
  EXPECT_EQ(dbs_class("GG", "AA"), "CC>TT");  // reverse complement of CC>TT
  EXPECT_EQ(dbs_class("TG", "GT"), "TG>GT");
  EXPECT_EQ(dbs_class("CA", "AC"), "TG>GT");  // CA is not canonical: TG>GT on the other strand
  EXPECT_EQ(dbs_class("AT", "TG"), "AT>CA");  // palindromic REF: the smaller of TG and its reverse complement CA
  EXPECT_EQ(dbs_class("AGA", "GGG"), "MNV");
  EXPECT_EQ(dbs_class("AC", "AT"), "MNV");  // one base unchanged: not a doublet
  EXPECT_EQ(dbs_class("A", "T"), "none");
  EXPECT_EQ(sv_classes()[sv_class_index("INV")], "INV");
  EXPECT_EQ(sv_classes()[sv_class_index("BND")], "other");
}
