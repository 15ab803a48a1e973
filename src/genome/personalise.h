// Personalised windows (`oncolm windows --personalise`): the donor's germline SNVs, read from the
// sample's normal BAM, written into a small variant's REF and ALT windows, so that REF is the
// haplotype the somatic mutation arose on before the mutation and ALT the same haplotype after it.
// The two windows then still differ only by the somatic allele.
//
// The rule, per small-variant window of a sample with a normal BAM:
//  1. Sites: the normal is piled up over the window's reference span, window_start to
//     max(window_end, alt_window_end); positions without reads are absent (miniBAMs cover only
//     ~10-500 bp around calls), and the somatic allele's own REF span is skipped.
//  2. At a position with an A/C/G/T reference base and depth >= germline_min_depth (bases counted
//     as `bcftools mpileup -a AD -B -A` counts them, read_evidence.h), the most frequent
//     non-reference base has fraction f = its reads / depth: f >= germline_hom_fraction is a
//     homozygous germline SNV, germline_het_min <= f <= germline_het_max a heterozygous one,
//     anything else nothing. Indels after the base carried by >= germline_het_min of the
//     alignments there are germline indels: listed, never applied (SNVs only are applied).
//  3. Homozygous: applied to REF and ALT. Heterozygous: phased with the tumour read pairs that
//     carry the somatic ALT and show a passing base at the site. At least
//     germline_phasing_min_reads of them, germline_phasing_agreement of which show the germline
//     ALT: it lies on the somatic haplotype (het_phased), applied to REF and ALT. The same with the
//     reference base: it lies on the other haplotype (het_other_haplotype), whose base the windows
//     already carry; listed, not applied. Otherwise (no tumour BAM, too few reads spanning both,
//     disagreement): het_unphased, listed, not applied.
//  4. Substitutions keep lengths: a site at reference position p sits at offset p - window_start in
//     REF, and in ALT at the same offset left of the somatic allele or p - window_start +
//     len(ALT) - len(REF) right of it; offsets and the shared left flank do not move.
#pragma once
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "genome/read_evidence.h"
#include "genome/window.h"
#include "genome/windows.h"

namespace oncolm::genome {

enum class GermlineKind { hom, het_phased, het_other_haplotype, het_unphased, indel };
const char* germline_kind_name(GermlineKind kind);

struct GermlineSite {
  std::int64_t pos = 0;  // 1-based; an indel's anchor base, VCF style
  std::string ref;
  std::string alt;
  GermlineKind kind = GermlineKind::hom;
  bool applied() const { return kind == GermlineKind::hom || kind == GermlineKind::het_phased; }
};

// The somatic allele a window is made for (normalised, as in the windows TSV).
struct SomaticAllele {
  std::int64_t pos = 0;
  std::string ref;
  std::string alt;
};

// Reference bases [start, end], 1-based inclusive, upper-cased as in the windows.
using ReferenceFetch = std::function<std::string(std::int64_t, std::int64_t)>;

// Germline sites of one window, in position order (steps 1-3). `tumour` may be null.
std::vector<GermlineSite> find_germline_sites(AlignmentReader& normal, AlignmentReader* tumour,
                                              const WindowParams& params, const std::string& chrom,
                                              const WindowGeometry& geometry, const SomaticAllele& somatic,
                                              const ReferenceFetch& fetch);

// Writes the applied sites into the REF and ALT windows (step 4).
void apply_germline_sites(const std::vector<GermlineSite>& sites, const WindowGeometry& geometry,
                          const SomaticAllele& somatic, WindowSequences& windows);

// `chrom:pos:REF>ALT:kind` of the applied (or the other) sites, comma-separated; "." for none.
std::string germline_column(const std::vector<GermlineSite>& sites, const std::string& chrom, bool applied);

}  // namespace oncolm::genome
