// Personalised windows (`oncolm windows --personalise`): the donor's germline alleles (SNVs and
// indels), read from the sample's normal BAM, written into a small variant's REF and ALT windows,
// so that REF is the haplotype the somatic mutation arose on before the mutation and ALT the same
// haplotype after it. The two windows then still differ only by the somatic allele.
//
// The rule, per small-variant window of a sample with a normal BAM:
//  1. Sites: the normal is piled up over the reference the windows cover plus `search_margin` bp on
//     the left, where a deletion anchored before a window could still remove its first bases (wider
//     when applied deletions pull more reference into the windows, step 4);
//     positions without reads are absent (miniBAMs cover only ~10-500 bp around calls), and the
//     somatic allele's own REF span is skipped.
//  2. At a position with an A/C/G/T reference base and depth >= germline_min_depth (bases counted
//     as `bcftools mpileup -a AD -B -A` counts them, evidence/bam_counts.h), the most frequent
//     non-reference base has fraction f = its reads / depth: f >= germline_hom_fraction is a
//     homozygous germline SNV, germline_het_min <= f <= germline_het_max a heterozygous one,
//     anything else nothing. The most frequent indel after the base is classed by the same
//     thresholds, its fraction being the read pairs carrying it / the read pairs with a passing
//     base there (N included; overlapping mates once), which must also number germline_min_depth.
//  3. Homozygous: applied. Heterozygous: phased with the tumour read pairs that carry the somatic
//     ALT and show the site (an SNV: a passing base; an indel: count_indel's rule). At least
//     germline_phasing_min_reads of them, germline_phasing_agreement of which carry the germline
//     ALT: it lies on the somatic haplotype (het_phased), applied. The same with the reference
//     allele: it lies on the other haplotype (het_other_haplotype), whose allele the windows already
//     carry; listed, not applied. Otherwise (no tumour BAM, too few reads spanning both,
//     disagreement): het_unphased, listed, not applied.
//  4. Applied sites are written into the reference in position order, as `bcftools consensus` writes
//     a VCF: a site whose REF span overlaps the somatic allele's REF span or an already written site
//     is not applied (`overlapping`), except an indel anchored on the base of an SNV written just
//     before it, which goes in after the SNV (C>T then C>CAA gives TAA). The windows are cut from
//     this personalised haplotype with the plain windows' geometry: the somatic allele's first
//     changed base stays at `offset`, and REF and ALT keep their lengths, so tokens line up exactly
//     as in plain windows. REF = the haplotype
//     from `offset` bases left of that base; ALT = the same left flank + the somatic ALT's changed
//     bases + the haplotype from the base after the somatic REF. A germline deletion left of the
//     somatic allele therefore moves the window start left, an insertion moves it right. Only at a
//     contig end can a window come out shorter, or the offset smaller.
//  5. The geometry reports the reference positions the windows' first and last bases come from (a
//     window that begins inside an inserted sequence starts at the base after its anchor). Listed:
//     the applied sites that put a base into either window (a deletion: its anchor base), and the
//     sites not applied whose position lies in [start, max(end, alt_end)].
//  6. SV junctions: each breakend's REF window and its piece of the ALT junction window are cut the
//     same way from the personalised haplotype around the breakend (no somatic span is skipped):
//     the breakend stays at the REF window's offset, and the piece keeps its length and still ends
//     (left side retained) or starts (right side retained) at the breakend. Hets are phased with
//     the tumour read pairs that support the junction (split reads and discordant pairs, as
//     counted in the evidence columns) instead of those carrying a somatic allele; a het on the
//     side a junction loses has no such reads and stays het_unphased. A deletion removing the
//     breakend's own base would move the junction: it is `overlapping`, not applied.
#pragma once
#include <cstdint>
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "genome/evidence/bam_counts.h"
#include "genome/stats/window_stats.h"
#include "genome/small_variants/window_geometry.h"
#include "genome/window_params.h"

namespace oncolm::genome {

enum class GermlineKind { hom, het_phased, het_other_haplotype, het_unphased, overlapping };
const char* germline_kind_name(GermlineKind kind);

struct GermlineSite {
  std::string chrom;
  std::int64_t pos = 0;  // 1-based; an indel's anchor base, VCF style
  std::string ref;
  std::string alt;
  GermlineKind kind = GermlineKind::hom;
  bool applied() const { return kind == GermlineKind::hom || kind == GermlineKind::het_phased; }
  bool is_indel() const { return ref.size() != alt.size(); }
  std::int64_t end() const { return pos + static_cast<std::int64_t>(ref.size()) - 1; }
};

// The somatic allele a window is made for (normalised, as in the windows TSV).
struct SomaticAllele {
  std::int64_t pos = 0;
  std::string ref;
  std::string alt;
  std::int64_t end() const { return pos + static_cast<std::int64_t>(ref.size()) - 1; }
};

// Reference bases [start, end], 1-based inclusive, upper-cased as in the windows.
using ReferenceFetch = std::function<std::string(std::int64_t, std::int64_t)>;

// Reference searched for germline sites beyond the windows on each side (step 1): longer than any
// deletion a short-read aligner writes as one CIGAR D, so a deletion anchored left of a window
// that would remove its first bases is always found.
constexpr std::int64_t search_margin = 300;

struct PersonalisedWindows {
  WindowGeometry geometry;  // where the personalised windows lie on the reference (step 5)
  WindowSequences sequences;
  std::vector<GermlineSite> sites;  // the listed sites, in position order
};

// The tumour read pairs that carry the somatic event (a small variant's ALT, or support for an
// SV junction), against which hets are phased (step 3): read from the tumour BAM on first use.
class SomaticCarriers {
 public:
  using Load = std::function<std::set<std::string>(AlignmentReader& tumour)>;
  // `tumour` may be null: then nothing is phased.
  SomaticCarriers(AlignmentReader* tumour, Load load) : tumour_(tumour), load_(std::move(load)) {}
  AlignmentReader* tumour() const { return tumour_; }
  const std::set<std::string>& names();

 private:
  AlignmentReader* tumour_;
  Load load_;
  std::optional<std::set<std::string>> names_;
};
// Steps 4-5 from the sites found (steps 1-3) over reference `searched`. When the windows need
// bases the search has not covered (on the left, within search_margin of its start) and the range
// does not already reach the contig's end there, nothing is returned and `wider` is set to the
// range to search instead.
struct SearchRange {
  std::int64_t start = 0;
  std::int64_t end = 0;
};
std::optional<PersonalisedWindows> cut_personalised_windows(std::vector<GermlineSite> sites,
                                                            const WindowGeometry& plain,
                                                            const SomaticAllele& somatic,
                                                            std::int64_t contig_length, SearchRange searched,
                                                            const ReferenceFetch& fetch, SearchRange& wider);

// Steps 1-5 for one window: searches, widening the search until the windows are final.
PersonalisedWindows personalise_windows(AlignmentReader& normal, AlignmentReader* tumour, const WindowParams& params,
                                        const std::string& chrom, std::int64_t contig_length,
                                        const WindowGeometry& plain, const SomaticAllele& somatic,
                                        const ReferenceFetch& fetch);

// Step 6 for one breakend of an SV junction: its REF window (plain geometry `ref_plain`) and its
// piece of the ALT junction window (`piece_length` bases on the breakend's retained side, on the
// reference's forward strand).
struct PersonalisedBreakend {
  std::string ref;
  CentredSpan ref_span;  // where the personalised REF window lies (step 5)
  std::string piece;
  std::int64_t piece_start = 0, piece_end = 0;  // reference positions of the piece's first and last bases
  std::vector<GermlineSite> sites;              // listed, in position order
};
std::optional<PersonalisedBreakend> cut_personalised_breakend(std::vector<GermlineSite> sites,
                                                              const BreakendSide& side, const CentredSpan& ref_plain,
                                                              std::int64_t piece_length, std::int64_t contig_length,
                                                              SearchRange searched, const ReferenceFetch& fetch,
                                                              SearchRange& wider);
PersonalisedBreakend personalise_breakend(AlignmentReader& normal, SomaticCarriers& carriers,
                                          const WindowParams& params, const BreakendSide& side,
                                          std::int64_t contig_length, const CentredSpan& ref_plain,
                                          std::int64_t piece_length, const ReferenceFetch& fetch);

// `chrom:pos:REF>ALT:kind` of the applied (or the other) sites, comma-separated; "." for none.
std::string germline_column(const std::vector<GermlineSite>& sites, bool applied);

// Adds a window's (or SV junction's) listed sites to the per-sample counts.
void count_germline(const std::vector<GermlineSite>& sites, GermlineStats& counts);

}  // namespace oncolm::genome
