#include "score/variant_tokens.h"

#include <algorithm>

#include "core/error.h"
#include "model/window_manifest.h"

namespace oncolm::score {
namespace {

using model::Encoding;
using model::VariantSite;

// Keeps body tokens [first_body, first_body + max_tokens - 1) after <cls>.
void keep_tokens(Encoding& encoding, std::size_t first_body, std::size_t max_tokens) {
  auto cut = [&](std::vector<std::int32_t>& v) {
    v.erase(v.begin() + 1, v.begin() + 1 + static_cast<std::ptrdiff_t>(std::min(first_body, v.size() - 1)));
    if (v.size() > max_tokens) v.resize(max_tokens);
  };
  cut(encoding.ids);
  cut(encoding.start);
  cut(encoding.end);
}

// The first body token the centred cut of `ref` keeps (0 when nothing is cut).
std::size_t centred_first_token(const Encoding& ref, std::size_t bases, std::size_t max_tokens,
                                const VariantSite& site) {
  if (ref.size() <= max_tokens) return 0;
  Encoding probe = ref;
  model::truncate_centred(probe, bases, max_tokens, 0.5 * static_cast<double>(site.begin + site.end));
  auto first = std::find(ref.start.begin() + 1, ref.start.end(), probe.start[1]);
  return static_cast<std::size_t>(first - ref.start.begin()) - 1;
}

// The kept tokens that carry the site, when they carry all of its bases.
std::optional<std::pair<std::int32_t, std::int32_t>> whole_span(const Encoding& encoding, const VariantSite& site) {
  auto span = model::token_span(encoding, site);
  if (!span) return std::nullopt;
  bool whole = static_cast<std::size_t>(encoding.start[static_cast<std::size_t>(span->first)]) <= site.begin &&
               static_cast<std::size_t>(encoding.end[static_cast<std::size_t>(span->second - 1)]) >= site.end;
  return whole ? span : std::nullopt;
}

std::optional<StrandTokens> strand_tokens(const model::Tokenizer& tokenizer, const std::string& ref,
                                          const std::string& alt, const VariantSite& ref_site,
                                          const VariantSite& alt_site, std::size_t max_tokens) {
  Encoding ref_tokens = tokenizer.encode(ref), alt_tokens = tokenizer.encode(alt);
  std::size_t first = centred_first_token(ref_tokens, ref.size(), max_tokens, ref_site);
  keep_tokens(ref_tokens, first, max_tokens);
  keep_tokens(alt_tokens, first, max_tokens);
  auto ref_span = whole_span(ref_tokens, ref_site), alt_span = whole_span(alt_tokens, alt_site);
  if (!ref_span || !alt_span) return std::nullopt;
  StrandTokens strand;
  strand.ref_ids = std::move(ref_tokens.ids);
  strand.alt_ids = std::move(alt_tokens.ids);
  std::tie(strand.ref_begin, strand.ref_end) = *ref_span;
  std::tie(strand.alt_begin, strand.alt_end) = *alt_span;
  return strand;
}

// A site on a window of `length` bases, mirrored onto its reverse complement.
VariantSite mirrored(VariantSite site, std::size_t length) {
  site.end = std::min(site.end, length);
  site.begin = std::min(site.begin, site.end);
  return {site.allele, length - site.end, length - site.begin};
}

}  // namespace

ReverseWindows reverse_windows(const ScoreVariant& variant) {
  auto [ref_changed, alt_changed] = model::changed_lengths(variant.norm_ref, variant.norm_alt);
  const std::size_t ref_head = std::min(variant.offset + ref_changed, variant.ref_window.size());
  const std::size_t alt_head = std::min(variant.offset + alt_changed, variant.alt_window.size());
  const std::size_t tail = std::min(variant.ref_window.size() - ref_head, variant.alt_window.size() - alt_head);
  if (variant.ref_window.compare(ref_head, tail, variant.alt_window, alt_head, tail) != 0)
    throw InputError(variant.where +
                     ": the REF and ALT windows differ after the variant (their right flanks must be "
                     "the same sequence)");
  auto [ref_site, alt_site] = model::small_variant_sites(variant.offset, variant.norm_ref, variant.norm_alt);
  ReverseWindows out;
  out.ref = model::reverse_complement(std::string_view(variant.ref_window).substr(0, ref_head + tail));
  out.alt = model::reverse_complement(std::string_view(variant.alt_window).substr(0, alt_head + tail));
  VariantSite ref_mirror = mirrored(ref_site, out.ref.size()), alt_mirror = mirrored(alt_site, out.alt.size());
  out.ref_begin = ref_mirror.begin;
  out.ref_end = ref_mirror.end;
  out.alt_begin = alt_mirror.begin;
  out.alt_end = alt_mirror.end;
  return out;
}

std::optional<VariantTokens> variant_tokens(const model::Tokenizer& tokenizer, const ScoreVariant& variant,
                                            std::size_t max_tokens) {
  auto [ref_site, alt_site] = model::small_variant_sites(variant.offset, variant.norm_ref, variant.norm_alt);
  auto forward = strand_tokens(tokenizer, variant.ref_window, variant.alt_window, ref_site, alt_site, max_tokens);
  ReverseWindows rc = reverse_windows(variant);
  auto reverse = strand_tokens(tokenizer, rc.ref, rc.alt, {"REF", rc.ref_begin, rc.ref_end},
                               {"ALT", rc.alt_begin, rc.alt_end}, max_tokens);
  if (!forward || !reverse) return std::nullopt;
  return VariantTokens{std::move(*forward), std::move(*reverse)};
}

}  // namespace oncolm::score
