#include "genome/personalise.h"

#include <algorithm>
#include <set>

#include <fmt/format.h>

#include "genome/normalise.h"
#include "genome/reference.h"

namespace oncolm::genome {
namespace {

constexpr const char* bases = "ACGT";

// Step 2: hom, het (still unphased) or nothing, from the fraction of reads carrying the allele.
std::optional<GermlineKind> zygosity(double fraction, const WindowParams& params) {
  if (fraction >= params.germline_hom_fraction) return GermlineKind::hom;
  if (fraction >= params.germline_het_min && fraction <= params.germline_het_max) return GermlineKind::het_unphased;
  return std::nullopt;
}

std::optional<GermlineSite> germline_snv(const PositionPileup& site, char ref_base, const WindowParams& params) {
  int ref = acgt_index(ref_base);
  int depth = site.depth();
  if (ref < 0 || depth < params.germline_min_depth) return std::nullopt;
  int best = ref == 0 ? 1 : 0;
  for (int i = 0; i < 4; ++i)
    if (i != ref && site.bases[static_cast<std::size_t>(i)] > site.bases[static_cast<std::size_t>(best)]) best = i;
  auto kind = zygosity(static_cast<double>(site.bases[static_cast<std::size_t>(best)]) / depth, params);
  if (!kind) return std::nullopt;
  return GermlineSite{site.pos, std::string(1, ref_base), std::string(1, bases[best]), *kind};
}

// The most frequent indel after this base, in VCF form (the base is the anchor).
std::optional<GermlineSite> germline_indel(const PositionPileup& site, char ref_base, const WindowParams& params,
                                           const ReferenceFetch& fetch) {
  if (acgt_index(ref_base) < 0 || site.indels.empty() || site.indel_depth < params.germline_min_depth)
    return std::nullopt;
  auto best = std::max_element(site.indels.begin(), site.indels.end(),
                               [](const auto& a, const auto& b) { return a.second < b.second; });
  auto kind = zygosity(static_cast<double>(best->second) / site.indel_depth, params);
  if (!kind) return std::nullopt;
  const std::string& key = best->first;
  std::string anchor(1, ref_base);
  if (key[0] == '+') return GermlineSite{site.pos, anchor, anchor + key.substr(1), *kind};
  std::int64_t deleted = std::stoll(key.substr(1));
  return GermlineSite{site.pos, fetch(site.pos, site.pos + deleted), anchor, *kind};
}

// Step 3 for one het: which haplotype the tumour's somatic-ALT read pairs put its ALT on.
GermlineKind phase(const AlleleByRead& at_site, const AlleleByRead& somatic, const WindowParams& params) {
  int with_alt = 0, with_ref = 0;
  for (const auto& [name, call] : somatic) {
    if (call != 'A') continue;
    auto allele = at_site.find(name);
    if (allele == at_site.end()) continue;
    with_alt += allele->second == 'A';
    with_ref += allele->second == 'R';
  }
  int informative = with_alt + with_ref;
  if (informative < params.germline_phasing_min_reads) return GermlineKind::het_unphased;
  if (with_alt >= params.germline_phasing_agreement * informative) return GermlineKind::het_phased;
  if (with_ref >= params.germline_phasing_agreement * informative) return GermlineKind::het_other_haplotype;
  return GermlineKind::het_unphased;
}

// The allele each tumour read pair shows at a germline site: an SNV by its base (from one batched
// pileup of all SNV sites), an indel by count_indel's rule.
AlleleByRead alleles_at(const GermlineSite& site, const BasesByRead& snv_bases, AlignmentReader& tumour,
                        const std::string& chrom, const ReadFilters& filters) {
  if (site.is_indel()) return tumour.allele_by_read(chrom, site.pos, site.ref, site.alt, filters);
  AlleleByRead alleles;
  auto at = snv_bases.find(site.pos);
  if (at == snv_bases.end()) return alleles;
  for (const auto& [name, base] : at->second)
    alleles[name] = base == site.alt[0] ? 'A' : (base == site.ref[0] ? 'R' : 'O');
  return alleles;
}

void phase_hets(std::vector<GermlineSite>& sites, AlignmentReader* tumour, const WindowParams& params,
                const std::string& chrom, const SomaticAllele& somatic) {
  bool any_het = std::any_of(sites.begin(), sites.end(),
                             [](const GermlineSite& s) { return s.kind == GermlineKind::het_unphased; });
  if (!tumour || !any_het) return;
  std::vector<std::int64_t> snv_positions;
  for (const GermlineSite& site : sites)
    if (site.kind == GermlineKind::het_unphased && !site.is_indel()) snv_positions.push_back(site.pos);
  ReadFilters filters = params.read_filters();
  AlleleByRead somatic_reads = tumour->allele_by_read(chrom, somatic.pos, somatic.ref, somatic.alt, filters);
  BasesByRead snv_bases = tumour->bases_by_read(chrom, snv_positions, filters);
  for (GermlineSite& site : sites)
    if (site.kind == GermlineKind::het_unphased)
      site.kind = phase(alleles_at(site, snv_bases, *tumour, chrom, filters), somatic_reads, params);
}

// Step 4, as `bcftools consensus` does: in position order, a site overlapping the somatic allele
// or a site already written is not applied.
void mark_overlapping(std::vector<GermlineSite>& sites, const SomaticAllele& somatic) {
  std::stable_sort(sites.begin(), sites.end(),
                   [](const GermlineSite& a, const GermlineSite& b) { return a.pos < b.pos; });
  std::int64_t written_end = 0;
  for (GermlineSite& site : sites) {
    if (!site.applied()) continue;
    bool on_somatic = site.pos <= somatic.end() && site.end() >= somatic.pos;
    if (on_somatic || site.pos <= written_end) {
      site.kind = GermlineKind::overlapping;
      continue;
    }
    written_end = site.end();
  }
}

// The personalised haplotype of a reference range, base by base, with where each base came from.
struct Haplotype {
  std::string bases;
  std::vector<std::int64_t> origin;  // reference position; an inserted base: its anchor's
  std::vector<bool> inserted;
  std::vector<int> writer;           // index of the applied site that wrote the base; -1: the reference
  std::int64_t blocked_until = 0;    // end of a site reaching past the range, before which it stops

  void add(char base, std::int64_t from, bool is_inserted, int site) {
    bases += base;
    origin.push_back(from);
    inserted.push_back(is_inserted);
    writer.push_back(site);
  }
  std::int64_t size() const { return static_cast<std::int64_t>(bases.size()); }
  // First base whose origin is >= pos (an anchor comes before its inserted bases); size() if none.
  std::int64_t first_from(std::int64_t pos) const {
    return std::lower_bound(origin.begin(), origin.end(), pos) - origin.begin();
  }
  // The first reference position a window starting at `index` covers.
  std::int64_t start_position(std::int64_t index) const {
    auto i = static_cast<std::size_t>(index);
    return inserted[i] ? origin[i] + 1 : origin[i];
  }
};

// Reference [start, start + size) with the applied sites written in. A site reaching past the
// range's end stops the haplotype before it: the bases after it are not known yet.
Haplotype build_haplotype(const std::string& reference, std::int64_t start, const std::vector<GermlineSite>& sites) {
  std::int64_t end = start + static_cast<std::int64_t>(reference.size()) - 1;
  Haplotype haplotype;
  std::int64_t next = start;  // next reference position to copy
  auto copy_until = [&](std::int64_t last) {
    for (; next <= last; ++next)
      haplotype.add(reference[static_cast<std::size_t>(next - start)], next, false, -1);
  };
  for (std::size_t i = 0; i < sites.size(); ++i) {
    const GermlineSite& site = sites[i];
    if (!site.applied() || site.pos < start) continue;
    copy_until(site.pos - 1);
    if (site.end() > end) {
      haplotype.blocked_until = site.end();
      return haplotype;
    }
    for (std::size_t k = 0; k < site.alt.size(); ++k) {
      bool is_inserted = k >= site.ref.size();
      std::int64_t from = is_inserted ? site.end() : site.pos + static_cast<std::int64_t>(k);
      haplotype.add(site.alt[k], from, is_inserted, static_cast<int>(i));
    }
    next = site.end() + 1;
  }
  copy_until(end);
  return haplotype;
}

// Step 5: applied sites that wrote a base into [begin, begin + length) of the haplotype.
void collect_writers(const Haplotype& haplotype, std::int64_t begin, std::int64_t length, std::set<int>& writers) {
  for (std::int64_t i = begin; i < begin + length; ++i)
    if (haplotype.writer[static_cast<std::size_t>(i)] >= 0) writers.insert(haplotype.writer[static_cast<std::size_t>(i)]);
}

}  // namespace

const char* germline_kind_name(GermlineKind kind) {
  switch (kind) {
    case GermlineKind::hom: return "hom";
    case GermlineKind::het_phased: return "het_phased";
    case GermlineKind::het_other_haplotype: return "het_other_haplotype";
    case GermlineKind::het_unphased: return "het_unphased";
    default: return "overlapping";
  }
}

std::vector<GermlineSite> find_germline_sites(AlignmentReader& normal, AlignmentReader* tumour,
                                              const WindowParams& params, const std::string& chrom,
                                              std::int64_t start, std::int64_t end, const SomaticAllele& somatic,
                                              const ReferenceFetch& fetch) {
  std::string reference = fetch(start, end);
  std::vector<GermlineSite> sites;
  for (const PositionPileup& site : normal.pileup_positions(chrom, start, end, params.read_filters())) {
    // The normal's reads at the somatic allele's own bases are the somatic site's business.
    if (site.pos >= somatic.pos && site.pos <= somatic.end()) continue;
    char ref_base = reference[static_cast<std::size_t>(site.pos - start)];
    if (auto snv = germline_snv(site, ref_base, params)) sites.push_back(*snv);
    if (auto indel = germline_indel(site, ref_base, params, fetch)) sites.push_back(*indel);
  }
  phase_hets(sites, tumour, params, chrom, somatic);
  return sites;
}

std::optional<PersonalisedWindows> cut_personalised_windows(std::vector<GermlineSite> sites,
                                                            const WindowGeometry& plain,
                                                            const SomaticAllele& somatic,
                                                            std::int64_t contig_length, SearchRange searched,
                                                            const ReferenceFetch& fetch, SearchRange& wider) {
  mark_overlapping(sites, somatic);
  Haplotype haplotype = build_haplotype(fetch(searched.start, searched.end), searched.start, sites);
  std::size_t common = common_prefix(somatic.ref, somatic.alt);
  std::string alt_changed = somatic.alt.substr(common);
  std::int64_t at_changed = haplotype.first_from(somatic.pos + static_cast<std::int64_t>(common));
  std::int64_t at_after = haplotype.first_from(somatic.end() + 1);

  // Bases the windows may use: on the left, only those a deletion anchored before the searched
  // range cannot remove; on the right, all that were built.
  std::int64_t first_usable = searched.start == 1 ? 0 : haplotype.first_from(searched.start + search_margin);
  bool at_contig_end = searched.end == contig_length;  // no site reaches past it
  std::int64_t left_have = at_changed - first_usable;
  std::int64_t ref_right_want = plain.end - plain.start + 1 - plain.offset;
  std::int64_t alt_right_want = plain.alt_length - plain.offset - static_cast<std::int64_t>(alt_changed.size());
  std::int64_t right_missing = std::max({ref_right_want - (haplotype.size() - at_changed),
                                         alt_right_want - (haplotype.size() - at_after), std::int64_t{0}});
  std::int64_t left_missing = searched.start == 1 ? 0 : std::max<std::int64_t>(plain.offset - left_have, 0);
  if (left_missing > 0 || (right_missing > 0 && !at_contig_end)) {
    wider.start = std::max<std::int64_t>(1, searched.start - left_missing - (left_missing > 0 ? search_margin : 0));
    wider.end = right_missing > 0 && !at_contig_end
                    ? std::min(contig_length, std::max(searched.end, haplotype.blocked_until) + right_missing)
                    : searched.end;
    return std::nullopt;
  }

  std::int64_t offset = std::min(plain.offset, left_have);  // smaller only at the contig start
  std::int64_t begin = at_changed - offset;
  std::int64_t ref_right = std::min(ref_right_want, haplotype.size() - at_changed);
  std::int64_t alt_right = std::min(alt_right_want, haplotype.size() - at_after);
  PersonalisedWindows out;
  out.sequences.ref = haplotype.bases.substr(static_cast<std::size_t>(begin), static_cast<std::size_t>(offset + ref_right));
  out.sequences.alt = haplotype.bases.substr(static_cast<std::size_t>(begin), static_cast<std::size_t>(offset)) +
                      alt_changed +
                      haplotype.bases.substr(static_cast<std::size_t>(at_after), static_cast<std::size_t>(alt_right));
  WindowGeometry& g = out.geometry;
  g.start = haplotype.start_position(begin);
  g.end = haplotype.origin[static_cast<std::size_t>(begin + offset + ref_right - 1)];
  g.alt_start = g.start;
  g.alt_end = alt_right > 0 ? haplotype.origin[static_cast<std::size_t>(at_after + alt_right - 1)] : somatic.end();
  g.offset = offset;
  g.alt_length = static_cast<std::int64_t>(out.sequences.alt.size());

  std::set<int> writers;
  collect_writers(haplotype, begin, offset + ref_right, writers);
  collect_writers(haplotype, at_after, alt_right, writers);
  std::int64_t listed_end = std::max(g.end, g.alt_end);
  for (std::size_t i = 0; i < sites.size(); ++i) {
    const GermlineSite& site = sites[i];
    bool listed = site.applied() ? writers.count(static_cast<int>(i)) > 0
                                 : site.pos >= g.start && site.pos <= listed_end;
    if (listed) out.sites.push_back(site);
  }
  return out;
}

PersonalisedWindows personalise_windows(AlignmentReader& normal, AlignmentReader* tumour, const WindowParams& params,
                                        const std::string& chrom, std::int64_t contig_length,
                                        const WindowGeometry& plain, const SomaticAllele& somatic,
                                        const ReferenceFetch& fetch) {
  SearchRange searched{std::max<std::int64_t>(1, plain.start - search_margin), std::max(plain.end, plain.alt_end)};
  std::vector<GermlineSite> sites =
      find_germline_sites(normal, tumour, params, chrom, searched.start, searched.end, somatic, fetch);
  while (true) {
    SearchRange wider = searched;
    if (auto windows = cut_personalised_windows(sites, plain, somatic, contig_length, searched, fetch, wider))
      return *windows;
    auto add_sites = [&](std::int64_t start, std::int64_t end) {
      if (start > end) return;
      std::vector<GermlineSite> more = find_germline_sites(normal, tumour, params, chrom, start, end, somatic, fetch);
      sites.insert(sites.end(), more.begin(), more.end());
    };
    add_sites(wider.start, searched.start - 1);
    add_sites(searched.end + 1, wider.end);
    searched = wider;
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
