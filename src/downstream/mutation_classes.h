// Mutation classes of the published signature schemes, as pure functions of a variant and its REF
// window (the sequence `oncolm windows` cut around it): SBS-96, ID-83 (plus one class for complex
// indels), DBS-78 (plus one class for longer MNVs) and SV classes. Names follow COSMIC
// ("A[C>A]A", "1:Del:C:0", "AC>CA"), in COSMIC's order.
#pragma once
#include <cstddef>
#include <string>
#include <vector>

namespace oncolm::downstream {

// SBS-96: substitution (C>A C>G C>T T>A T>C T>G) x 5' base x 3' base, pyrimidine-centred (a purine
// REF is reverse-complemented together with its context).
const std::vector<std::string>& sbs96_classes();
// Index into sbs96_classes(), or -1 when a base is not A/C/G/T or ref == alt.
int sbs96_index(char five_prime, char ref, char alt, char three_prime);
// The SNV at `offset` of the REF window (0-based); -1 at a window edge or for N in the context.
int sbs96_index_in_window(const std::string& ref_window, std::size_t offset, char alt);

// ID-83 (COSMIC order) and one more class, "complex" (index 83), for an indel that both deletes and
// inserts bases after normalisation (ID-83 has no class for it).
//   1 bp:  Del/Ins, C or T (the pyrimidine of the base), and the repeat count 0..5 (5 = 5+): for a
//          deletion the other copies of the base next to it (0 = not in a homopolymer), for an
//          insertion the copies of the inserted base next to the insertion point.
//   2..5+ bp, Del:R / Ins:R: the copies of the deleted (inserted) unit next to it, 0..5+.
//   2..5+ bp, Del:M: deletions not in a repeat (0 copies) whose ends match the flanking sequence
//          (microhomology), 1..length-1 bases (1..5+ for 5+ bp deletions).
// Copies and microhomology are counted on both sides of the event in the REF window; they stop at
// the window's ends (a 5994-base window holds every repeat an indel below 100 bp can have, except
// at contig ends).
const std::vector<std::string>& id83_classes();  // 84 names: ID-83 then "complex"
constexpr int id_complex_index = 83;
// `offset` is the 0-based position of the first changed base in the REF window (the windows TSV's
// `offset`); norm_ref/norm_alt are the normalised alleles (VCF style, with their anchor base).
// Returns -1 when the alleles are not an indel.
int id83_index(const std::string& ref_window, std::size_t offset, const std::string& norm_ref,
               const std::string& norm_alt);

// DBS-78 for doublets (two adjacent changed bases), with the REF dinucleotide in COSMIC's
// canonical strand (AC AT CC CG CT GC TA TC TG TT); index 78 ("MNV") for every other MNV (three or
// more bases, or a base unchanged inside it).
const std::vector<std::string>& dbs78_classes();  // 79 names: DBS-78 then "MNV"
constexpr int dbs_other_index = 78;
int dbs78_index(const std::string& norm_ref, const std::string& norm_alt);

// SV classes as `oncolm windows` writes them in the SV TSV's `class` column, then "other".
const std::vector<std::string>& sv_classes();  // DEL DUP INS INV TRA other
int sv_class_index(const std::string& name);

char complement(char base);                       // A<->T, C<->G, anything else -> N
std::string reverse_complement(const std::string& bases);

}  // namespace oncolm::downstream
