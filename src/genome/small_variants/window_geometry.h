// Where a variant's REF and ALT windows lie on the reference, and their sequences.
//
// With L the window length, c the first changed base (pos + common prefix of the normalised
// alleles) and h = floor(L/2):
//   REF window  = reference[c-h, c-h+L-1], clipped to the contig (never padded); offset = c - start.
//   ALT window  = reference[start, pos-1] + ALT + reference[pos+|REF|, alt_end], where alt_end is
//                 chosen so that the ALT window is as long as the unclipped REF window would be
//                 (clipped at the contig end). The left flank, and so its tokens, are the same in
//                 REF and ALT, and the ALT window is exactly what `bcftools consensus` makes of
//                 reference[start, alt_end] with this one variant.
#pragma once
#include <cstdint>
#include <optional>
#include <string>

#include "genome/io/reference.h"

namespace oncolm::genome {

// A window of `window_length` bases with `centre` at offset floor(L/2), clipped to the contig
// (never padded): reference[start, end], 1-based inclusive; offset = centre - start.
struct CentredSpan {
  std::int64_t start = 0;
  std::int64_t end = 0;
  std::int64_t offset = 0;
};
CentredSpan centred_span(std::int64_t centre, std::int64_t contig_length, std::int64_t window_length);

struct WindowGeometry {
  std::int64_t start = 0;      // REF window, 1-based inclusive
  std::int64_t end = 0;
  std::int64_t alt_start = 0;  // reference span the ALT window is made from (alt_start == start)
  std::int64_t alt_end = 0;
  std::int64_t offset = 0;     // 0-based offset of the first changed base in both windows
  std::int64_t alt_length = 0;
};

// Returns nothing when the ALT allele itself does not fit in the window (an insertion longer than
// the right half of the window): such a window could not carry the whole event.
std::optional<WindowGeometry> window_geometry(std::int64_t pos, const std::string& ref, const std::string& alt,
                                              std::int64_t contig_length, std::int64_t window_length);

struct WindowSequences {
  std::string ref;
  std::string alt;
};

WindowSequences window_sequences(Reference& reference, int contig, const WindowGeometry& geometry,
                                 std::int64_t pos, const std::string& ref, const std::string& alt,
                                 SanitiseCounts* counts);

}  // namespace oncolm::genome
