#include "genome/personalise.h"

#include <algorithm>
#include <optional>

#include <fmt/format.h>

namespace oncolm::genome {
namespace {

constexpr const char* bases = "ACGT";

int base_index(char base) {
  const char* found = std::find(bases, bases + 4, base);
  return found == bases + 4 ? -1 : static_cast<int>(found - bases);
}

// Step 2 for SNVs: hom, het (still unphased) or nothing.
std::optional<GermlineSite> germline_snv(const PositionPileup& site, char ref_base, const WindowParams& params) {
  int ref = base_index(ref_base);
  int depth = site.depth();
  if (ref < 0 || depth < params.germline_min_depth) return std::nullopt;
  int best = ref == 0 ? 1 : 0;
  for (int i = 0; i < 4; ++i)
    if (i != ref && site.bases[static_cast<std::size_t>(i)] > site.bases[static_cast<std::size_t>(best)]) best = i;
  double fraction = static_cast<double>(site.bases[static_cast<std::size_t>(best)]) / depth;
  GermlineKind kind;
  if (fraction >= params.germline_hom_fraction)
    kind = GermlineKind::hom;
  else if (fraction >= params.germline_het_min && fraction <= params.germline_het_max)
    kind = GermlineKind::het_unphased;
  else
    return std::nullopt;
  return GermlineSite{site.pos, std::string(1, ref_base), std::string(1, bases[best]), kind};
}

// Step 2 for indels: the most frequent indel after this base, when at least a het's share of the
// alignments carry it. Only listed, so one threshold for het and hom is enough.
std::optional<GermlineSite> germline_indel(const PositionPileup& site, char ref_base, const WindowParams& params,
                                           const ReferenceFetch& fetch) {
  if (site.indels.empty() || site.indel_depth < params.germline_min_depth) return std::nullopt;
  auto best = std::max_element(site.indels.begin(), site.indels.end(),
                               [](const auto& a, const auto& b) { return a.second < b.second; });
  if (static_cast<double>(best->second) / site.indel_depth < params.germline_het_min) return std::nullopt;
  const std::string& key = best->first;
  std::string anchor(1, ref_base);
  if (key[0] == '+') return GermlineSite{site.pos, anchor, anchor + key.substr(1), GermlineKind::indel};
  std::int64_t deleted = std::stoll(key.substr(1));
  return GermlineSite{site.pos, fetch(site.pos, site.pos + deleted), anchor, GermlineKind::indel};
}

// Step 3 for one het: which haplotype the tumour's somatic-ALT read pairs put its ALT on.
GermlineKind phase(const GermlineSite& site, const std::map<std::string, char>& bases_at_site,
                   const AlleleByRead& somatic, const WindowParams& params) {
  int with_alt = 0, with_ref = 0;
  for (const auto& [name, call] : somatic) {
    if (call != 'A') continue;
    auto base = bases_at_site.find(name);
    if (base == bases_at_site.end()) continue;
    with_alt += base->second == site.alt[0];
    with_ref += base->second == site.ref[0];
  }
  int informative = with_alt + with_ref;
  if (informative < params.germline_phasing_min_reads) return GermlineKind::het_unphased;
  if (with_alt >= params.germline_phasing_agreement * informative) return GermlineKind::het_phased;
  if (with_ref >= params.germline_phasing_agreement * informative) return GermlineKind::het_other_haplotype;
  return GermlineKind::het_unphased;
}

void phase_hets(std::vector<GermlineSite>& sites, AlignmentReader* tumour, const WindowParams& params,
                const std::string& chrom, const SomaticAllele& somatic) {
  std::vector<std::int64_t> positions;
  for (const GermlineSite& site : sites)
    if (site.kind == GermlineKind::het_unphased) positions.push_back(site.pos);
  if (!tumour || positions.empty()) return;
  ReadFilters filters = params.read_filters();
  AlleleByRead somatic_reads = tumour->allele_by_read(chrom, somatic.pos, somatic.ref, somatic.alt, filters);
  BasesByRead bases_by_read = tumour->bases_by_read(chrom, positions, filters);
  for (GermlineSite& site : sites)
    if (site.kind == GermlineKind::het_unphased)
      site.kind = phase(site, bases_by_read.at(site.pos), somatic_reads, params);
}

}  // namespace

const char* germline_kind_name(GermlineKind kind) {
  switch (kind) {
    case GermlineKind::hom: return "hom";
    case GermlineKind::het_phased: return "het_phased";
    case GermlineKind::het_other_haplotype: return "het_other_haplotype";
    case GermlineKind::het_unphased: return "het_unphased";
    default: return "indel";
  }
}

std::vector<GermlineSite> find_germline_sites(AlignmentReader& normal, AlignmentReader* tumour,
                                              const WindowParams& params, const std::string& chrom,
                                              const WindowGeometry& geometry, const SomaticAllele& somatic,
                                              const ReferenceFetch& fetch) {
  // ALT may reach further right than REF (deletions): both windows' reference bases are searched.
  std::int64_t span_end = std::max(geometry.end, geometry.alt_end);
  std::string reference = fetch(geometry.start, span_end);
  std::int64_t somatic_end = somatic.pos + static_cast<std::int64_t>(somatic.ref.size()) - 1;
  std::vector<GermlineSite> sites;
  for (const PositionPileup& site : normal.pileup_positions(chrom, geometry.start, span_end, params.read_filters())) {
    // The normal's reads at the somatic allele's own bases are the somatic site's business.
    if (site.pos >= somatic.pos && site.pos <= somatic_end) continue;
    char ref_base = reference[static_cast<std::size_t>(site.pos - geometry.start)];
    if (auto snv = germline_snv(site, ref_base, params)) sites.push_back(*snv);
    if (auto indel = germline_indel(site, ref_base, params, fetch)) sites.push_back(*indel);
  }
  phase_hets(sites, tumour, params, chrom, somatic);
  return sites;
}

void apply_germline_sites(const std::vector<GermlineSite>& sites, const WindowGeometry& geometry,
                          const SomaticAllele& somatic, WindowSequences& windows) {
  std::int64_t shift = static_cast<std::int64_t>(somatic.alt.size()) - static_cast<std::int64_t>(somatic.ref.size());
  std::int64_t somatic_end = somatic.pos + static_cast<std::int64_t>(somatic.ref.size()) - 1;
  for (const GermlineSite& site : sites) {
    if (!site.applied()) continue;
    char base = site.alt[0];
    std::int64_t p = site.pos;
    if (p >= geometry.start && p <= geometry.end) windows.ref.at(static_cast<std::size_t>(p - geometry.start)) = base;
    if (p < somatic.pos)
      windows.alt.at(static_cast<std::size_t>(p - geometry.start)) = base;
    else if (p > somatic_end && p <= geometry.alt_end)
      windows.alt.at(static_cast<std::size_t>(p - geometry.start + shift)) = base;
  }
}

std::string germline_column(const std::vector<GermlineSite>& sites, const std::string& chrom, bool applied) {
  std::string text;
  for (const GermlineSite& site : sites)
    if (site.applied() == applied)
      text += fmt::format("{}{}:{}:{}>{}:{}", text.empty() ? "" : ",", chrom, site.pos, site.ref, site.alt,
                          germline_kind_name(site.kind));
  return text.empty() ? "." : text;
}

}  // namespace oncolm::genome
