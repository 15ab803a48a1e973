#include "genome/small_variants/window_geometry.h"

#include <algorithm>

#include "genome/small_variants/normalise.h"

namespace oncolm::genome {

CentredSpan centred_span(std::int64_t centre, std::int64_t contig_length, std::int64_t window_length) {
  std::int64_t unclipped_start = centre - window_length / 2;
  CentredSpan span;
  span.start = std::max<std::int64_t>(1, unclipped_start);
  span.end = std::min(contig_length, unclipped_start + window_length - 1);
  span.offset = centre - span.start;
  return span;
}

std::optional<WindowGeometry> window_geometry(std::int64_t pos, const std::string& ref, const std::string& alt,
                                              std::int64_t contig_length, std::int64_t window_length) {
  std::int64_t changed = pos + static_cast<std::int64_t>(common_prefix(ref, alt));
  std::int64_t unclipped_end = changed - window_length / 2 + window_length - 1;
  CentredSpan span = centred_span(changed, contig_length, window_length);
  WindowGeometry g;
  g.start = span.start;
  g.end = span.end;
  g.offset = span.offset;
  g.alt_start = g.start;
  // ALT = left flank + ALT allele + right flank; the right flank takes what is left of the length
  // the REF window has before clipping at the contig end.
  std::int64_t wanted = unclipped_end - g.start + 1;
  std::int64_t left_flank = pos - g.start;
  std::int64_t right_flank = wanted - left_flank - static_cast<std::int64_t>(alt.size());
  if (left_flank < 0 || right_flank < 0) return std::nullopt;
  std::int64_t after_ref = pos + static_cast<std::int64_t>(ref.size());  // first base right of REF
  g.alt_end = std::min(contig_length, after_ref - 1 + right_flank);
  g.alt_length = left_flank + static_cast<std::int64_t>(alt.size()) + (g.alt_end - after_ref + 1);
  return g;
}

WindowSequences window_sequences(Reference& reference, int contig, const WindowGeometry& geometry,
                                 std::int64_t pos, const std::string& ref, const std::string& alt,
                                 SanitiseCounts* counts) {
  WindowSequences out;
  out.ref = reference.fetch(contig, geometry.start, geometry.end, counts);
  // The ALT flanks are cut from the same fetched bases where they overlap the REF window, so the
  // left flank is identical by construction.
  std::int64_t after_ref = pos + static_cast<std::int64_t>(ref.size());
  std::string_view right_flank = reference.fetch_view(contig, after_ref, geometry.alt_end);
  auto left_flank = static_cast<std::size_t>(pos - geometry.start);
  out.alt.reserve(left_flank + alt.size() + right_flank.size());
  out.alt.append(out.ref, 0, left_flank);
  out.alt += alt;
  out.alt += right_flank;
  return out;
}

}  // namespace oncolm::genome
