// Where a small variant sits in the model's tokens, on both strands: the token ids of its REF and ALT
// windows and the token span that carries the change in each. The zero-shot score masks exactly these
// spans. Torch-free, so the geometry is tested without a model.
//
// Forward strand: the windows as `oncolm windows` wrote them. REF and ALT share their left flank,
// so they share its tokens (6-mers are read left to right); the span of each is
// model::token_span() of the record's variant site (model::small_variant_sites), i.e. exactly
// `oncolm embed`'s variant_token_start/end.
//
// Reverse strand: both windows reverse-complemented. An indel makes the REF and ALT windows end at
// different reference positions (the ALT window is extended or trimmed on the right to the REF
// window's length), so their reverse complements would start out of frame with each other and
// share no token. Both windows are therefore first cut on the right to their common flank (the
// shorter of the two tails after the changed bases; REF and ALT tails are the same sequence), so
// the reverse complements share their first bases and tokens just as the forward windows do. The
// sites are mirrored ([b, e) -> [n - e, n - b)) and their spans found the same way.
//
// Windows longer than the token limit keep the run of tokens centred on the REF record's variant
// (model::truncate_centred); the ALT record keeps the same first token, so both see the same left
// context.
#pragma once
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "model/tokenizer.h"
#include "score/score_inputs.h"

namespace oncolm::score {

// One strand: REF and ALT token ids (ids[0] = <cls>) and the span [begin, end) that carries the change.
struct StrandTokens {
  std::vector<std::int32_t> ref_ids, alt_ids;
  std::int32_t ref_begin = 0, ref_end = 0;
  std::int32_t alt_begin = 0, alt_end = 0;
};

struct VariantTokens {
  StrandTokens forward, reverse;
};

// Both strands of a variant, or nothing when its changed bases do not fit in max_tokens (including
// <cls>) on a strand: the caller reports it as skipped (variant_exceeds_max_tokens). Throws
// InputError (naming variant.where) when the windows' right flanks are not the same sequence.
std::optional<VariantTokens> variant_tokens(const model::Tokenizer& tokenizer, const ScoreVariant& variant,
                                            std::size_t max_tokens);

// The REF and ALT windows the reverse strand reads (reverse complements of the forward windows cut
// to their common right flank), with the variant sites mirrored onto them.
struct ReverseWindows {
  std::string ref, alt;
  std::size_t ref_begin = 0, ref_end = 0, alt_begin = 0, alt_end = 0;  // sites, in bases
};
ReverseWindows reverse_windows(const ScoreVariant& variant);

}  // namespace oncolm::score
