#include "genome/breakpoints/junction_features.h"

#include <algorithm>
#include <set>
#include <stdexcept>
#include <tuple>

#include <fmt/format.h>

#include "genome/sv/sv_junction.h"

namespace oncolm::genome::breakpoints {
namespace {

bool is_acgt(char base) { return base == 'A' || base == 'C' || base == 'G' || base == 'T'; }
// Bases are equal only when both are the same one of ACGT: N (masked, unknown) matches nothing.
bool same_base(char a, char b) { return a == b && is_acgt(a); }

}  // namespace

OrientedStrip orient_strip(const std::string& window, std::int64_t offset, bool reverse_complemented) {
  if (offset < 0 || offset >= static_cast<std::int64_t>(window.size()))
    throw std::invalid_argument(
        fmt::format("breakend offset {} lies outside a window of {} bases", offset, window.size()));
  if (!reverse_complemented) return {window, offset};
  return {reverse_complement(window), static_cast<std::int64_t>(window.size()) - 1 - offset};
}

PieceLayout piece_layout(const std::string& strands) {
  if (strands.size() != 2 || (strands[0] != '+' && strands[0] != '-') || (strands[1] != '+' && strands[1] != '-'))
    throw std::invalid_argument(fmt::format("strands '{}' is not two of + and -", strands));
  bool same = strands[0] == strands[1];
  PieceLayout layout;
  // Breakend 1 is read forward; it comes first when its left side is retained ("+").
  layout.first_is_breakend1 = strands[0] == '+';
  layout.first_reverse = layout.first_is_breakend1 ? false : same;
  layout.second_reverse = layout.first_is_breakend1 ? same : false;
  return layout;
}

Microhomology microhomology(const OrientedStrip& first, const OrientedStrip& second) {
  const std::string& a = first.bases;
  const std::string& b = second.bases;
  const std::int64_t a_size = static_cast<std::int64_t>(a.size());
  const std::int64_t b_size = static_cast<std::int64_t>(b.size());
  Microhomology result;
  // Towards the second piece: the first piece's reference continuation against the second piece.
  std::int64_t k = 0;
  while (true) {
    std::int64_t i = first.breakend + 1 + k, j = second.breakend + k;
    if (i >= a_size || j >= b_size) {
      result.complete = false;
      break;
    }
    if (!same_base(a[i], b[j])) break;
    ++k;
  }
  result.right = k;
  // Towards the first piece: the first piece's last bases against what precedes the second piece.
  k = 0;
  while (true) {
    std::int64_t i = first.breakend - k, j = second.breakend - 1 - k;
    if (i < 0 || j < 0) {
      result.complete = false;
      break;
    }
    if (!same_base(a[i], b[j])) break;
    ++k;
  }
  result.left = k;
  if (result.length() > 0)
    result.sequence =
        a.substr(static_cast<std::size_t>(first.breakend - result.left + 1), static_cast<std::size_t>(result.length()));
  return result;
}

JunctionClass junction_class(const std::string& chrom1, std::int64_t pos1, const std::string& chrom2, std::int64_t pos2,
                             const std::string& strands, const std::string& inserted) {
  piece_layout(strands);  // validates
  if (chrom1 != chrom2) return {"TRA", 0};
  if (strands[0] == strands[1]) return {"INV", pos2 - pos1};
  if (strands == "-+") return {"DUP", pos2 - pos1 + 1};
  if (pos2 == pos1 + 1 && !inserted.empty()) return {"INS", static_cast<std::int64_t>(inserted.size())};
  return {"DEL", pos2 - pos1 - 1};
}

std::string TemplatedSource::text() const { return fmt::format("{}:{}-{}:{}", chrom, start, end, strand); }

std::vector<TemplatedSource> templated_sources(const std::string& inserted, const std::vector<SearchRegion>& regions,
                                               std::int64_t min_length) {
  std::vector<TemplatedSource> found;
  const std::int64_t length = static_cast<std::int64_t>(inserted.size());
  if (length == 0 || length < min_length) return found;
  if (!std::all_of(inserted.begin(), inserted.end(), is_acgt)) return found;
  const std::string reverse = reverse_complement(inserted);
  for (const SearchRegion& region : regions) {
    for (char strand : {'+', '-'}) {
      const std::string& needle = strand == '+' ? inserted : reverse;
      for (std::size_t at = region.bases.find(needle); at != std::string::npos;
           at = region.bases.find(needle, at + 1)) {
        TemplatedSource source;
        source.chrom = region.chrom;
        source.start = region.start + static_cast<std::int64_t>(at);
        source.end = source.start + length - 1;
        source.strand = strand;
        source.breakend = region.breakend;
        source.distance = region.breakend_pos < source.start ? source.start - region.breakend_pos
                          : region.breakend_pos > source.end ? region.breakend_pos - source.end
                                                             : 0;
        found.push_back(source);
      }
    }
  }
  std::sort(found.begin(), found.end(), [](const TemplatedSource& x, const TemplatedSource& y) {
    return std::make_tuple(x.distance, x.breakend, x.strand == '-', x.start) <
           std::make_tuple(y.distance, y.breakend, y.strand == '-', y.start);
  });
  // The two breakend regions may overlap (events of a few kb): one source is listed once, with its
  // smallest distance.
  std::vector<TemplatedSource> unique;
  std::set<std::tuple<std::string, std::int64_t, char>> seen;
  for (TemplatedSource& source : found)
    if (seen.insert({source.chrom, source.start, source.strand}).second) unique.push_back(std::move(source));
  found = std::move(unique);
  return found;
}

std::string mechanism(bool imprecise, std::int64_t inserted_length, std::int64_t homlen, const MechanismRules& rules) {
  if (imprecise) return "imprecise";
  if (inserted_length > 0) return "insertion";
  if (homlen > rules.max_microhomology) return "homology_mediated";
  if (homlen >= rules.min_microhomology) return "microhomology_mediated";
  return "blunt";
}

const std::vector<std::string>& mechanism_labels() {
  static const std::vector<std::string> labels = {"blunt", "microhomology_mediated", "homology_mediated", "insertion",
                                                  "imprecise"};
  return labels;
}

Microhomology junction_microhomology(const JunctionCall& call) {
  PieceLayout layout = piece_layout(call.strands);
  const BreakendWindow& first = layout.first_is_breakend1 ? call.breakend1 : call.breakend2;
  const BreakendWindow& second = layout.first_is_breakend1 ? call.breakend2 : call.breakend1;
  return microhomology(orient_strip(first.bases, first.pos - first.start, layout.first_reverse),
                       orient_strip(second.bases, second.pos - second.start, layout.second_reverse));
}

JunctionFeatures analyse_junction(const JunctionCall& call, const MechanismRules& rules) {
  JunctionFeatures features;
  features.sv_class = junction_class(call.breakend1.chrom, call.breakend1.pos, call.breakend2.chrom, call.breakend2.pos,
                                     call.strands, call.inserted);
  features.homology_computed = !call.imprecise && call.inserted.empty();
  if (features.homology_computed) features.homology = junction_microhomology(call);
  if (!call.inserted.empty()) {
    std::vector<SearchRegion> regions;
    int number = 1;
    for (const BreakendWindow* window : {&call.breakend1, &call.breakend2})
      regions.push_back({window->chrom, window->start, window->bases, window->pos, number++});
    features.templates = templated_sources(call.inserted, regions, rules.min_templated_length);
  }
  features.mechanism =
      mechanism(call.imprecise, static_cast<std::int64_t>(call.inserted.size()), features.homology.length(), rules);
  return features;
}

}  // namespace oncolm::genome::breakpoints
