#include "genome/small_variants/personalise.h"

#include <algorithm>
#include <map>
#include <set>

#include <fmt/format.h>

#include "genome/small_variants/normalise.h"
#include "genome/io/reference.h"

namespace oncolm::genome {
namespace {

constexpr const char* bases = "ACGT";

// Step 2: hom, het (still unphased) or nothing, from the fraction of reads carrying the allele.
std::optional<GermlineKind> zygosity(double fraction, const WindowParams& params) {
  if (fraction >= params.germline_hom_fraction) return GermlineKind::hom;
  if (fraction >= params.germline_het_min && fraction <= params.germline_het_max) return GermlineKind::het_unphased;
  return std::nullopt;
}

std::optional<GermlineSite> germline_snv(const std::string& chrom, const PositionPileup& site, char ref_base,
                                         const WindowParams& params) {
  int ref = acgt_index(ref_base);
  int depth = site.depth();
  if (ref < 0 || depth < params.germline_min_depth) return std::nullopt;
  int best = ref == 0 ? 1 : 0;
  for (int i = 0; i < 4; ++i)
    if (i != ref && site.bases[static_cast<std::size_t>(i)] > site.bases[static_cast<std::size_t>(best)]) best = i;
  auto kind = zygosity(static_cast<double>(site.bases[static_cast<std::size_t>(best)]) / depth, params);
  if (!kind) return std::nullopt;
  return GermlineSite{chrom, site.pos, std::string(1, ref_base), std::string(1, bases[best]), *kind};
}

// The most frequent indel after this base, in VCF form (the base is the anchor).
std::optional<GermlineSite> germline_indel(const std::string& chrom, const PositionPileup& site, char ref_base,
                                           const WindowParams& params, const ReferenceFetch& fetch) {
  if (acgt_index(ref_base) < 0 || site.indels.empty() || site.indel_depth < params.germline_min_depth)
    return std::nullopt;
  auto best = std::max_element(site.indels.begin(), site.indels.end(),
                               [](const auto& a, const auto& b) { return a.second < b.second; });
  auto kind = zygosity(static_cast<double>(best->second) / site.indel_depth, params);
  if (!kind) return std::nullopt;
  const std::string& key = best->first;
  std::string anchor(1, ref_base);
  if (key[0] == '+') return GermlineSite{chrom, site.pos, anchor, anchor + key.substr(1), *kind};
  std::int64_t deleted = std::stoll(key.substr(1));
  return GermlineSite{chrom, site.pos, fetch(site.pos, site.pos + deleted), anchor, *kind};
}

// Step 3 for one het: which haplotype the read pairs carrying the somatic event put its ALT on.
GermlineKind phase(const AlleleByRead& at_site, const std::set<std::string>& carriers, const WindowParams& params) {
  int with_alt = 0, with_ref = 0;
  for (const std::string& name : carriers) {
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

// The reference of one contig as the evidence needs it: its length and its bases.
struct ContigReference {
  std::int64_t length;
  const ReferenceFetch& fetch;
};

// The allele each tumour read pair shows at a germline site: an SNV by its base (from one batched
// pileup of all SNV sites), an indel by count_indel's rule (slid through its repeat).
AlleleByRead alleles_at(const GermlineSite& site, const BasesByRead& snv_bases, AlignmentReader& tumour,
                        const ReadFilters& filters, const ContigReference& reference) {
  if (site.is_indel())
    return tumour.allele_by_read(site.chrom, site.pos, site.ref, site.alt,
                                 indel_right_shift(site.pos, site.ref, site.alt, reference.length, reference.fetch),
                                 filters);
  AlleleByRead alleles;
  auto at = snv_bases.find(site.pos);
  if (at == snv_bases.end()) return alleles;
  for (const auto& [name, base] : at->second)
    alleles[name] = base == site.alt[0] ? 'A' : (base == site.ref[0] ? 'R' : 'O');
  return alleles;
}

void phase_hets(std::vector<GermlineSite>& sites, SomaticCarriers& carriers, const WindowParams& params,
                const std::string& chrom, const ContigReference& reference) {
  bool any_het = std::any_of(sites.begin(), sites.end(),
                             [](const GermlineSite& s) { return s.kind == GermlineKind::het_unphased; });
  if (!carriers.tumour() || !any_het) return;
  std::vector<std::int64_t> snv_positions;
  for (const GermlineSite& site : sites)
    if (site.kind == GermlineKind::het_unphased && !site.is_indel()) snv_positions.push_back(site.pos);
  ReadFilters filters = params.read_filters();
  BasesByRead snv_bases = carriers.tumour()->bases_by_read(chrom, snv_positions, filters);
  for (GermlineSite& site : sites)
    if (site.kind == GermlineKind::het_unphased)
      site.kind =
          phase(alleles_at(site, snv_bases, *carriers.tumour(), filters, reference), carriers.names(), params);
}

// Whether `site` continues the site written just before it, as bcftools consensus allows: an
// indel anchored on the base of an SNV written there (C>T then C>CAA gives TAA).
bool continues(const GermlineSite& site, const GermlineSite* previous) {
  return previous && site.is_indel() && !previous->is_indel() && previous->ref.size() == 1 &&
         previous->pos == site.pos;
}

// Step 4, as `bcftools consensus` does: in position order, a site overlapping the somatic allele
// (reference [skip_start, skip_end]) or a site already written is not applied, except an indel
// continuing an SNV at its anchor.
void mark_overlapping(std::vector<GermlineSite>& sites, std::int64_t skip_start, std::int64_t skip_end) {
  std::stable_sort(sites.begin(), sites.end(),
                   [](const GermlineSite& a, const GermlineSite& b) { return a.pos < b.pos; });
  std::int64_t written_end = 0;
  const GermlineSite* previous = nullptr;
  for (GermlineSite& site : sites) {
    if (!site.applied()) continue;
    bool on_somatic = site.pos <= skip_end && site.end() >= skip_start;
    if (on_somatic || (site.pos <= written_end && !continues(site, previous))) {
      site.kind = GermlineKind::overlapping;
      continue;
    }
    written_end = site.end();
    previous = &site;
  }
}

// The personalised haplotype of a reference range, base by base, with where each base came from.
struct Haplotype {
  std::string bases;
  std::vector<std::int64_t> origin;  // reference position; an inserted base: its anchor's
  std::vector<bool> inserted;
  std::vector<int> writer;           // index of the applied site that wrote the base; -1: the reference
  std::map<int, int> continued;      // an indel written on an SNV's base -> that SNV
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
  int previous = -1;  // the applied site written last
  for (std::size_t i = 0; i < sites.size(); ++i) {
    const GermlineSite& site = sites[i];
    if (!site.applied() || site.pos < start) continue;
    // An indel continuing an SNV: its anchor base is the SNV's, already written.
    bool continuation = previous >= 0 && continues(site, &sites[static_cast<std::size_t>(previous)]);
    if (!continuation) copy_until(site.pos - 1);
    if (site.end() > end) {
      haplotype.blocked_until = site.end();
      return haplotype;
    }
    if (continuation) haplotype.continued[static_cast<int>(i)] = previous;
    for (std::size_t k = continuation ? 1 : 0; k < site.alt.size(); ++k) {
      bool is_inserted = k >= site.ref.size();
      std::int64_t from = is_inserted ? site.end() : site.pos + static_cast<std::int64_t>(k);
      haplotype.add(site.alt[k], from, is_inserted, static_cast<int>(i));
    }
    next = site.end() + 1;
    previous = static_cast<int>(i);
  }
  copy_until(end);
  return haplotype;
}

// Step 5: applied sites that wrote a base into [begin, begin + length) of the haplotype (an indel
// continuing an SNV counts as writing the SNV's base too).
void collect_writers(const Haplotype& haplotype, std::int64_t begin, std::int64_t length, std::set<int>& writers) {
  for (std::int64_t i = begin; i < begin + length; ++i)
    if (haplotype.writer[static_cast<std::size_t>(i)] >= 0)
      writers.insert(haplotype.writer[static_cast<std::size_t>(i)]);
  for (const auto& [indel, snv] : haplotype.continued)
    if (writers.count(snv)) writers.insert(indel);
}

// Bases of the personalised haplotype around reference position `anchor`: `before` bases left of
// it and `after` bases from it on.
struct Stretch {
  std::int64_t anchor = 0, before = 0, after = 0;
};
// Where a stretch lies in the haplotype: `length` bases from `begin`, `before` of them left of the anchor.
struct Placed {
  std::int64_t begin = 0, before = 0, length = 0;
};

// Step 4: the stretches in the haplotype built over `searched`. Left of it, only bases that a
// deletion anchored before the searched range cannot remove are used; when a stretch needs more
// (and the range does not already start or end at the contig's ends), `wider` is the range to
// search instead and nothing is returned. At a contig end stretches come out shorter.
std::optional<std::vector<Placed>> place_stretches(const Haplotype& haplotype, const std::vector<Stretch>& stretches,
                                                   SearchRange searched, std::int64_t contig_length,
                                                   SearchRange& wider) {
  std::int64_t first_usable = searched.start == 1 ? 0 : haplotype.first_from(searched.start + search_margin);
  bool at_contig_end = searched.end == contig_length;  // no site reaches past it
  std::int64_t left_missing = 0, right_missing = 0;
  for (const Stretch& stretch : stretches) {
    std::int64_t at = haplotype.first_from(stretch.anchor);
    if (searched.start > 1) left_missing = std::max(left_missing, stretch.before - (at - first_usable));
    if (!at_contig_end) right_missing = std::max(right_missing, stretch.after - (haplotype.size() - at));
  }
  if (left_missing > 0 || right_missing > 0) {
    wider.start = left_missing > 0 ? std::max<std::int64_t>(1, searched.start - left_missing - search_margin)
                                   : searched.start;
    wider.end = right_missing > 0
                    ? std::min(contig_length, std::max(searched.end, haplotype.blocked_until) + right_missing)
                    : searched.end;
    return std::nullopt;
  }
  std::vector<Placed> placed;
  for (const Stretch& stretch : stretches) {
    std::int64_t at = haplotype.first_from(stretch.anchor);
    std::int64_t before = std::min(stretch.before, at - first_usable);
    std::int64_t after = std::min(stretch.after, haplotype.size() - at);
    placed.push_back({at - before, before, before + after});
  }
  return placed;
}

std::string bases_of(const Haplotype& haplotype, const Placed& placed) {
  return haplotype.bases.substr(static_cast<std::size_t>(placed.begin), static_cast<std::size_t>(placed.length));
}

// Step 5: the applied sites that wrote a base into the windows, and the others in [first, last].
std::vector<GermlineSite> listed_sites(const std::vector<GermlineSite>& sites, const std::set<int>& writers,
                                       std::int64_t first, std::int64_t last) {
  std::vector<GermlineSite> listed;
  for (std::size_t i = 0; i < sites.size(); ++i) {
    const GermlineSite& site = sites[i];
    bool shown = site.applied() ? writers.count(static_cast<int>(i)) > 0 : site.pos >= first && site.pos <= last;
    if (shown) listed.push_back(site);
  }
  return listed;
}

// Steps 1 and 4: finds sites over `searched`, and cuts; searches wider while the cut asks for it.
template <typename Result, typename Cut>
Result search_and_cut(SearchRange searched,
                      const std::function<std::vector<GermlineSite>(std::int64_t, std::int64_t)>& find,
                      const Cut& cut) {
  std::vector<GermlineSite> sites = find(searched.start, searched.end);
  while (true) {
    SearchRange wider = searched;
    if (std::optional<Result> result = cut(sites, searched, wider)) return *result;
    auto add_sites = [&](std::int64_t start, std::int64_t end) {
      if (start > end) return;
      std::vector<GermlineSite> more = find(start, end);
      sites.insert(sites.end(), more.begin(), more.end());
    };
    add_sites(wider.start, searched.start - 1);
    add_sites(searched.end + 1, wider.end);
    searched = wider;
  }
}

}  // namespace

const std::set<std::string>& SomaticCarriers::names() {
  if (!names_) names_ = tumour_ ? load_(*tumour_) : std::set<std::string>();
  return *names_;
}

const char* germline_kind_name(GermlineKind kind) {
  switch (kind) {
    case GermlineKind::hom: return "hom";
    case GermlineKind::het_phased: return "het_phased";
    case GermlineKind::het_other_haplotype: return "het_other_haplotype";
    case GermlineKind::het_unphased: return "het_unphased";
    default: return "overlapping";
  }
}

namespace {

// The read pairs whose reads carry a small variant's ALT allele (allele_by_read). Only ALT calls
// are kept, and they do not depend on how far an indel slides (which decides REF calls): 0.
SomaticCarriers small_variant_carriers(AlignmentReader* tumour, const std::string& chrom, const SomaticAllele& somatic,
                                       const ReadFilters& filters) {
  return SomaticCarriers(tumour, [chrom, somatic, filters](AlignmentReader& reads) {
    std::set<std::string> names;
    for (const auto& [name, call] : reads.allele_by_read(chrom, somatic.pos, somatic.ref, somatic.alt, 0, filters))
      if (call == 'A') names.insert(name);
    return names;
  });
}

// Steps 1-3 over reference [start, end], skipping positions [skip_start, skip_end].
std::vector<GermlineSite> find_germline_sites(AlignmentReader& normal, SomaticCarriers& carriers,
                                              const WindowParams& params, const std::string& chrom,
                                              std::int64_t start, std::int64_t end, std::int64_t skip_start,
                                              std::int64_t skip_end, const ContigReference& contig) {
  const ReferenceFetch& fetch = contig.fetch;
  std::string reference = fetch(start, end);
  std::vector<GermlineSite> sites;
  for (const PositionPileup& site : normal.pileup_positions(chrom, start, end, params.read_filters())) {
    // The normal's reads at the somatic allele's own bases are the somatic site's business.
    if (site.pos >= skip_start && site.pos <= skip_end) continue;
    char ref_base = reference[static_cast<std::size_t>(site.pos - start)];
    if (auto snv = germline_snv(chrom, site, ref_base, params)) sites.push_back(*snv);
    if (auto indel = germline_indel(chrom, site, ref_base, params, fetch)) sites.push_back(*indel);
  }
  phase_hets(sites, carriers, params, chrom, contig);
  return sites;
}

}  // namespace

std::optional<PersonalisedWindows> cut_personalised_windows(std::vector<GermlineSite> sites,
                                                            const WindowGeometry& plain,
                                                            const SomaticAllele& somatic,
                                                            std::int64_t contig_length, SearchRange searched,
                                                            const ReferenceFetch& fetch, SearchRange& wider) {
  mark_overlapping(sites, somatic.pos, somatic.end());
  Haplotype haplotype = build_haplotype(fetch(searched.start, searched.end), searched.start, sites);
  std::size_t common = common_prefix(somatic.ref, somatic.alt);
  std::string alt_changed = somatic.alt.substr(common);
  std::int64_t ref_right = plain.end - plain.start + 1 - plain.offset;
  std::int64_t alt_right = plain.alt_length - plain.offset - static_cast<std::int64_t>(alt_changed.size());
  // REF: `offset` bases left of the first changed base and the rest from it; ALT: the same left
  // flank, the changed bases, then the haplotype from the base after the somatic REF.
  auto placed = place_stretches(haplotype,
                                {{somatic.pos + static_cast<std::int64_t>(common), plain.offset, ref_right},
                                 {somatic.end() + 1, 0, alt_right}},
                                searched, contig_length, wider);
  if (!placed) return std::nullopt;
  const Placed& ref = (*placed)[0];
  const Placed& right = (*placed)[1];
  PersonalisedWindows out;
  out.sequences.ref = bases_of(haplotype, ref);
  out.sequences.alt = out.sequences.ref.substr(0, static_cast<std::size_t>(ref.before)) + alt_changed +
                      bases_of(haplotype, right);
  WindowGeometry& g = out.geometry;
  g.start = haplotype.start_position(ref.begin);
  g.end = haplotype.origin[static_cast<std::size_t>(ref.begin + ref.length - 1)];
  g.alt_start = g.start;
  g.alt_end = right.length > 0 ? haplotype.origin[static_cast<std::size_t>(right.begin + right.length - 1)]
                               : somatic.end();
  g.offset = ref.before;
  g.alt_length = static_cast<std::int64_t>(out.sequences.alt.size());
  std::set<int> writers;
  collect_writers(haplotype, ref.begin, ref.length, writers);
  collect_writers(haplotype, right.begin, right.length, writers);
  out.sites = listed_sites(sites, writers, g.start, std::max(g.end, g.alt_end));
  return out;
}

PersonalisedWindows personalise_windows(AlignmentReader& normal, AlignmentReader* tumour, const WindowParams& params,
                                        const std::string& chrom, std::int64_t contig_length,
                                        const WindowGeometry& plain, const SomaticAllele& somatic,
                                        const ReferenceFetch& fetch) {
  SomaticCarriers carriers = small_variant_carriers(tumour, chrom, somatic, params.read_filters());
  auto find = [&](std::int64_t start, std::int64_t end) {
    return find_germline_sites(normal, carriers, params, chrom, start, end, somatic.pos, somatic.end(),
                               ContigReference{contig_length, fetch});
  };
  auto cut = [&](const std::vector<GermlineSite>& sites, SearchRange searched, SearchRange& wider) {
    return cut_personalised_windows(sites, plain, somatic, contig_length, searched, fetch, wider);
  };
  return search_and_cut<PersonalisedWindows>(
      {std::max<std::int64_t>(1, plain.start - search_margin), std::max(plain.end, plain.alt_end)}, find, cut);
}

namespace {

// The breakend's piece of the ALT junction window: `length` bases ending at (left side retained)
// or starting at (right side retained) the breakend.
Stretch piece_stretch(const BreakendSide& side, std::int64_t length) {
  if (length == 0) return {side.pos, 0, 0};
  return side.direction == Direction::left ? Stretch{side.pos, length - 1, 1} : Stretch{side.pos, 0, length};
}

}  // namespace

std::optional<PersonalisedBreakend> cut_personalised_breakend(std::vector<GermlineSite> sites,
                                                              const BreakendSide& side, const CentredSpan& ref_plain,
                                                              std::int64_t piece_length, std::int64_t contig_length,
                                                              SearchRange searched, const ReferenceFetch& fetch,
                                                              SearchRange& wider) {
  // The junction changes no base, but a deletion removing the breakend's own base would move the
  // junction: such a deletion is not applied.
  for (GermlineSite& site : sites)
    if (site.applied() && site.pos < side.pos && site.end() >= side.pos) site.kind = GermlineKind::overlapping;
  mark_overlapping(sites, 0, -1);
  Haplotype haplotype = build_haplotype(fetch(searched.start, searched.end), searched.start, sites);
  std::int64_t ref_length = ref_plain.end - ref_plain.start + 1;
  auto placed = place_stretches(haplotype,
                                {{side.pos, ref_plain.offset, ref_length - ref_plain.offset},
                                 piece_stretch(side, piece_length)},
                                searched, contig_length, wider);
  if (!placed) return std::nullopt;
  const Placed& ref = (*placed)[0];
  const Placed& piece = (*placed)[1];
  PersonalisedBreakend out;
  out.ref = bases_of(haplotype, ref);
  out.ref_span.start = haplotype.start_position(ref.begin);
  out.ref_span.end = haplotype.origin[static_cast<std::size_t>(ref.begin + ref.length - 1)];
  out.ref_span.offset = ref.before;
  out.piece = bases_of(haplotype, piece);
  std::int64_t first = out.ref_span.start, last = out.ref_span.end;
  if (piece.length > 0) {
    out.piece_start = haplotype.start_position(piece.begin);
    out.piece_end = haplotype.origin[static_cast<std::size_t>(piece.begin + piece.length - 1)];
    first = std::min(first, out.piece_start);
    last = std::max(last, out.piece_end);
  }
  std::set<int> writers;
  collect_writers(haplotype, ref.begin, ref.length, writers);
  collect_writers(haplotype, piece.begin, piece.length, writers);
  out.sites = listed_sites(sites, writers, first, last);
  return out;
}

PersonalisedBreakend personalise_breakend(AlignmentReader& normal, SomaticCarriers& carriers,
                                          const WindowParams& params, const BreakendSide& side,
                                          std::int64_t contig_length, const CentredSpan& ref_plain,
                                          std::int64_t piece_length, const ReferenceFetch& fetch) {
  auto find = [&](std::int64_t start, std::int64_t end) {
    return find_germline_sites(normal, carriers, params, side.chrom, start, end, 0, -1,
                               ContigReference{contig_length, fetch});
  };
  auto cut = [&](const std::vector<GermlineSite>& sites, SearchRange searched, SearchRange& wider) {
    return cut_personalised_breakend(sites, side, ref_plain, piece_length, contig_length, searched, fetch, wider);
  };
  std::int64_t piece_start = side.direction == Direction::left ? side.pos - piece_length + 1 : side.pos;
  std::int64_t piece_end = side.direction == Direction::left ? side.pos : side.pos + piece_length - 1;
  SearchRange searched{std::max<std::int64_t>(1, std::min(ref_plain.start, piece_start) - search_margin),
                       std::min(contig_length, std::max(ref_plain.end, piece_end))};
  return search_and_cut<PersonalisedBreakend>(searched, find, cut);
}

std::string germline_column(const std::vector<GermlineSite>& sites, bool applied) {
  std::string text;
  for (const GermlineSite& site : sites)
    if (site.applied() == applied)
      text += fmt::format("{}{}:{}:{}>{}:{}", text.empty() ? "" : ",", site.chrom, site.pos, site.ref, site.alt,
                          germline_kind_name(site.kind));
  return text.empty() ? "." : text;
}

void count_germline(const std::vector<GermlineSite>& sites, GermlineStats& counts) {
  bool changed = false;
  for (const GermlineSite& site : sites) {
    changed = changed || site.applied();
    counts.indels_applied += site.applied() && site.is_indel();
    switch (site.kind) {
      case GermlineKind::hom: ++counts.hom_applied; break;
      case GermlineKind::het_phased: ++counts.het_phased_applied; break;
      case GermlineKind::het_other_haplotype: ++counts.het_other_haplotype_listed; break;
      case GermlineKind::het_unphased: ++counts.het_unphased_listed; break;
      case GermlineKind::overlapping: ++counts.overlapping_listed; break;
    }
  }
  counts.windows_changed += changed;
}

}  // namespace oncolm::genome
