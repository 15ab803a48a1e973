#include "genome/sv/sv_junction.h"

#include <algorithm>
#include <stdexcept>
#include <tuple>

#include <fmt/format.h>

namespace oncolm::genome {
namespace {

char complement(char base) {
  switch (base) {
    case 'A': return 'T'; case 'C': return 'G'; case 'G': return 'C'; case 'T': return 'A';
    case 'a': return 't'; case 'c': return 'g'; case 'g': return 'c'; case 't': return 'a';
    case 'R': return 'Y'; case 'Y': return 'R'; case 'K': return 'M'; case 'M': return 'K';
    case 'B': return 'V'; case 'V': return 'B'; case 'D': return 'H'; case 'H': return 'D';
    default: return base;  // N, S, W are their own complements
  }
}

bool is_lower_side(const BreakendSide& a, const BreakendSide& b, const ContigRank& rank) {
  return std::make_tuple(rank(a.chrom), a.pos) <= std::make_tuple(rank(b.chrom), b.pos);
}

SvClass classify(const BreakendSide& bp1, const BreakendSide& bp2) {
  if (bp1.chrom != bp2.chrom) return SvClass::tra;
  if (bp1.direction == bp2.direction) return SvClass::inv;
  return bp1.direction == Direction::left ? SvClass::del : SvClass::dup;
}

// Event size as a user reads it: deleted bases, duplicated bases, inverted span; 0 across contigs.
std::int64_t event_size(SvClass sv_class, const BreakendSide& bp1, const BreakendSide& bp2) {
  switch (sv_class) {
    case SvClass::del: return bp2.pos - bp1.pos - 1;
    case SvClass::dup: return bp2.pos - bp1.pos + 1;
    case SvClass::inv: return bp2.pos - bp1.pos;
    default: return 0;
  }
}

SvJunction make_junction(std::string id, BreakendSide bp1, BreakendSide bp2, std::string inserted) {
  SvJunction junction;
  junction.id = std::move(id);
  junction.sv_class = classify(bp1, bp2);
  junction.size = event_size(junction.sv_class, bp1, bp2);
  // Adjacent bases joined through new sequence (a BND pair as GRIDSS writes an insertion) delete
  // nothing: an insertion of the new bases, as `oncolm breakpoints` classes it.
  if (junction.sv_class == SvClass::del && junction.size == 0 && !inserted.empty()) {
    junction.sv_class = SvClass::ins;
    junction.size = static_cast<std::int64_t>(inserted.size());
  }
  junction.bp1 = std::move(bp1);
  junction.bp2 = std::move(bp2);
  junction.inserted = std::move(inserted);
  return junction;
}

Direction direction_from_strand(const std::string& strand) {
  if (strand == "+") return Direction::left;
  if (strand == "-") return Direction::right;
  throw std::invalid_argument(fmt::format("strand '{}' is not + or -", strand));
}

// Fetches a piece of `length` bases that ends at (left) or starts at (right) the side's position.
PieceSpan piece_span(const BreakendSide& side, std::int64_t length, bool reverse) {
  PieceSpan span{side.chrom, 0, 0, reverse};
  if (side.direction == Direction::left) {
    span.start = std::max<std::int64_t>(1, side.pos - length + 1);
    span.end = side.pos;
  } else {
    span.start = side.pos;
    span.end = side.pos + length - 1;
  }
  return span;
}

std::string fetch_piece(PieceSpan& span, const FetchSequence& fetch) {
  if (span.end < span.start) return {};
  std::string bases = fetch(span.chrom, span.start, span.end);
  span.end = span.start + static_cast<std::int64_t>(bases.size()) - 1;  // clipped at contig end
  return span.reverse_complemented ? reverse_complement(bases) : bases;
}

}  // namespace

const char* sv_class_name(SvClass value) {
  switch (value) {
    case SvClass::del: return "DEL";
    case SvClass::dup: return "DUP";
    case SvClass::inv: return "INV";
    case SvClass::tra: return "TRA";
    case SvClass::ins: return "INS";
  }
  return "?";
}

std::string reverse_complement(const std::string& bases) {
  std::string result(bases.rbegin(), bases.rend());
  std::transform(result.begin(), result.end(), result.begin(), complement);
  return result;
}

BndAlt parse_bnd_alt(const std::string& alt, const std::string& ref) {
  std::size_t open = alt.find_first_of("[]");
  if (open == std::string::npos)
    throw std::invalid_argument(fmt::format("ALT '{}' is not a breakend (no [ or ])", alt));
  char bracket = alt[open];
  std::size_t close = alt.find(bracket, open + 1);
  if (close == std::string::npos)
    throw std::invalid_argument(fmt::format("ALT '{}' has an unclosed '{}'", alt, bracket));
  std::string mate_text = alt.substr(open + 1, close - open - 1);
  std::size_t colon = mate_text.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == mate_text.size())
    throw std::invalid_argument(fmt::format("ALT '{}': mate '{}' is not CHROM:POS", alt, mate_text));

  BndAlt parsed;
  parsed.mate.chrom = mate_text.substr(0, colon);
  try {
    std::size_t used = 0;
    parsed.mate.pos = std::stoll(mate_text.substr(colon + 1), &used);
    if (used != mate_text.size() - colon - 1 || parsed.mate.pos < 1) throw std::invalid_argument("");
  } catch (const std::exception&) {
    throw std::invalid_argument(fmt::format("ALT '{}': mate position is not a positive integer", alt));
  }

  std::string before = alt.substr(0, open);
  std::string after = alt.substr(close + 1);
  if (!before.empty() == !after.empty())
    throw std::invalid_argument(
        fmt::format("ALT '{}': bases must stand on exactly one side of the brackets", alt));
  if (ref.empty()) throw std::invalid_argument("breakend record has an empty REF");
  // The record's own base is the first of `t` in t[p[ / t]p] and the last in ]p]t / [p[t; the
  // other bases of `t` are inserted at the junction.
  if (!before.empty()) {
    parsed.this_direction = Direction::left;
    parsed.inserted = before.substr(1);
    parsed.mate.direction = bracket == '[' ? Direction::right : Direction::left;
  } else {
    parsed.this_direction = Direction::right;
    parsed.inserted = after.substr(0, after.size() - 1);
    parsed.mate.direction = bracket == ']' ? Direction::left : Direction::right;
  }
  return parsed;
}

SvJunction junction_from_bnd(const std::string& id, const BreakendSide& this_side, const BndAlt& alt,
                             const ContigRank& rank) {
  BreakendSide self{this_side.chrom, this_side.pos, alt.this_direction};
  bool self_is_bp1 = is_lower_side(self, alt.mate, rank);
  // Same-direction joins (inversion type) read the mate reverse-complemented; seen from the mate
  // the whole junction is reverse-complemented, inserted bases included.
  bool flip = !self_is_bp1 && self.direction == alt.mate.direction;
  std::string inserted = flip ? reverse_complement(alt.inserted) : alt.inserted;
  return self_is_bp1 ? make_junction(id, self, alt.mate, inserted)
                     : make_junction(id, alt.mate, self, inserted);
}

std::vector<SvJunction> junctions_from_symbolic(const std::string& id, const std::string& chrom,
                                                std::int64_t pos, std::int64_t end,
                                                const std::string& symbol,
                                                const std::string& inserted) {
  auto side = [&chrom](std::int64_t position, Direction direction) {
    return BreakendSide{chrom, position, direction};
  };
  // Subtypes such as <DEL:ME> or <DUP:TANDEM> join like their main type.
  bool is_insertion = symbol.rfind("<INS", 0) == 0;
  if (!is_insertion && end <= pos)
    throw std::invalid_argument(fmt::format("{} needs END > POS (END={}, POS={})", symbol, end, pos));
  // Inserted bases at a deletion or duplication junction (manta's SVINSSEQ) are kept, on the forward
  // strand as a BND record of breakend 1 would write them: REF[..POS] + ins + REF[END+1..] for <DEL>,
  // REF[..END] + ins + REF[POS+1..] for <DUP>.
  if (symbol.rfind("<DEL", 0) == 0)
    return {make_junction(id, side(pos, Direction::left), side(end + 1, Direction::right), inserted)};
  // An inverted duplication (<DUP:INV>, GATK-SV) has no tandem junction: not a <DUP>.
  if (symbol == "<DUP>" || symbol.rfind("<DUP:TANDEM", 0) == 0)
    return {make_junction(id, side(pos + 1, Direction::right), side(end, Direction::left), inserted)};
  if (symbol.rfind("<INV", 0) == 0)
    return {make_junction(id + ".j1", side(pos, Direction::left), side(end, Direction::left), ""),
            make_junction(id + ".j2", side(pos + 1, Direction::right), side(end + 1, Direction::right),
                          "")};
  if (is_insertion) {
    if (inserted.empty()) return {};  // no ALT sequence can be built; the caller counts it
    SvJunction junction = make_junction(id, side(pos, Direction::left), side(pos + 1, Direction::right),
                                        inserted);
    junction.sv_class = SvClass::ins;
    junction.size = static_cast<std::int64_t>(inserted.size());
    return {junction};
  }
  throw std::invalid_argument(fmt::format("symbolic allele {} is not supported", symbol));
}

void keep_called_inversion_junctions(std::vector<SvJunction>& junctions, InversionJunctions called) {
  if (called == InversionJunctions::both || junctions.size() != 2) return;
  SvJunction kept = std::move(junctions[called == InversionJunctions::left_left ? 0 : 1]);
  kept.id = kept.id.substr(0, kept.id.rfind('.'));  // the record's own junction: its id unchanged
  junctions = {std::move(kept)};
}

SvJunction junction_from_sequence_allele(const std::string& id, const std::string& chrom, std::int64_t pos,
                                         const std::string& ref, const std::string& alt) {
  if (ref == alt) throw std::invalid_argument("REF equals ALT: no junction");
  std::size_t prefix = 0;
  while (prefix < ref.size() && prefix < alt.size() && ref[prefix] == alt[prefix]) ++prefix;
  std::size_t suffix = 0;
  while (suffix < ref.size() - prefix && suffix < alt.size() - prefix &&
         ref[ref.size() - 1 - suffix] == alt[alt.size() - 1 - suffix])
    ++suffix;
  std::int64_t left = pos + static_cast<std::int64_t>(prefix) - 1;  // last base kept on the left
  if (left < 1) throw std::invalid_argument("the allele changes the contig's first base: no base to join from");
  std::int64_t right = pos + static_cast<std::int64_t>(ref.size() - suffix);  // first base kept on the right
  std::string inserted = alt.substr(prefix, alt.size() - suffix - prefix);
  SvJunction junction = make_junction(id, BreakendSide{chrom, left, Direction::left},
                                      BreakendSide{chrom, right, Direction::right}, inserted);
  if (right == left + 1) {  // nothing deleted: an insertion, sized by its bases as an <INS>
    junction.sv_class = SvClass::ins;
    junction.size = static_cast<std::int64_t>(junction.inserted.size());
  }
  return junction;
}

SvJunction junction_from_bedpe(const std::string& id, const std::string& chrom1, std::int64_t start1,
                               const std::string& strand1, const std::string& chrom2,
                               std::int64_t start2, const std::string& strand2, const ContigRank& rank) {
  BreakendSide first{chrom1, start1 + 1, direction_from_strand(strand1)};
  BreakendSide second{chrom2, start2 + 1, direction_from_strand(strand2)};
  return is_lower_side(first, second, rank) ? make_junction(id, first, second, "")
                                            : make_junction(id, second, first, "");
}

JunctionWindow build_junction_window(const SvJunction& junction, std::int64_t length,
                                     const FetchSequence& fetch) {
  JunctionWindow window;
  std::int64_t inserted_length = static_cast<std::int64_t>(junction.inserted.size());
  window.inserted_used = std::min(inserted_length, length);
  std::string inserted =
      junction.inserted.substr((inserted_length - window.inserted_used) / 2, window.inserted_used);
  std::int64_t first_length = (length - window.inserted_used) / 2;
  std::int64_t second_length = length - window.inserted_used - first_length;

  const BreakendSide& bp1 = junction.bp1;
  const BreakendSide& bp2 = junction.bp2;
  bool same_direction = bp1.direction == bp2.direction;
  // Breakend 1 is always read forward; it comes first when its retained sequence lies left.
  if (bp1.direction == Direction::left) {
    window.first = piece_span(bp1, first_length, false);
    window.second = piece_span(bp2, second_length, same_direction);
  } else {
    window.first = piece_span(bp2, first_length, same_direction);
    window.second = piece_span(bp1, second_length, false);
  }
  std::string first = fetch_piece(window.first, fetch);
  std::string second = fetch_piece(window.second, fetch);
  window.junction_offset = static_cast<std::int64_t>(first.size());
  window.sequence = first + inserted + second;
  return window;
}

std::string implied_mate_id(const std::string& id) {
  auto ends_with = [&id](const std::string& suffix) {
    return id.size() > suffix.size() && id.compare(id.size() - suffix.size(), suffix.size(), suffix) == 0;
  };
  std::string stem = id.substr(0, id.size() - 1);
  if (ends_with("_1")) return stem + "2";
  if (ends_with("_2")) return stem + "1";
  if (id.rfind("gridss", 0) == 0 && ends_with("o")) return stem + "h";
  if (id.rfind("gridss", 0) == 0 && ends_with("h")) return stem + "o";
  return {};
}

namespace {

std::string breakend_key(const std::string& chrom, std::int64_t pos, Direction direction) {
  return fmt::format("{}:{}:{}", chrom, pos, direction == Direction::left ? '<' : '>');
}

bool same_side(const BreakendSide& a, const BreakendSide& b) {
  return a.chrom == b.chrom && a.pos == b.pos && a.direction == b.direction;
}

}  // namespace

SvJunction BndPairer::to_junction(const Pending& record) const {
  SvJunction junction = junction_from_bnd(record.id, record.side, record.alt, rank_);
  junction.imprecise = record.imprecise;
  // The junction is oriented on breakend 1, which may be the mate's side.
  const bool own_side_is_bp1 =
      same_side(junction.bp1, BreakendSide{record.side.chrom, record.side.pos, record.alt.this_direction});
  (own_side_is_bp1 ? junction.bp1_interval : junction.bp2_interval) = record.interval;
  (own_side_is_bp1 ? junction.bp2_interval : junction.bp1_interval) = record.mate_interval;
  junction.homlen = record.homlen;
  junction.homseq = record.homseq;
  return junction;
}

std::optional<SvJunction> BndPairer::add(Pending record, const std::string& mate_id) {
  std::string mate_key = mate_id.empty() ? implied_mate_id(record.id) : mate_id;
  std::string own_key = record.id;
  if (mate_id.empty() && !mate_key.empty()) {
    // An id convention (X_1/X_2, GRIDSS o/h) only suggests the mate: a caller that writes one record
    // per junction can name two junctions bnd_1 and bnd_2. They pair only if each points at the other.
    auto suggested = pending_.find(mate_key);
    const bool mirrored = suggested != pending_.end() &&
                          same_side(suggested->second.side, record.alt.mate) &&
                          same_side(record.side, suggested->second.alt.mate);
    if (suggested != pending_.end() && !mirrored) mate_key.clear();
  }
  if (mate_key.empty()) {
    // No mate named: the mate is the record whose breakends are these two, the other way round.
    // The leading tab keeps these keys apart from ids (VCF ids hold no tab).
    std::string self = breakend_key(record.side.chrom, record.side.pos, record.alt.this_direction);
    std::string other = breakend_key(record.alt.mate.chrom, record.alt.mate.pos, record.alt.mate.direction);
    own_key = "\t" + self + ">" + other;
    mate_key = "\t" + other + ">" + self;
  }
  auto mate = pending_.find(mate_key);
  if (mate == pending_.end()) {
    pending_.emplace(own_key, std::move(record));
    return std::nullopt;
  }
  Pending other = std::move(mate->second);
  pending_.erase(mate);
  // Build from breakend 1's own record, so its inserted bases and homology fields are used.
  BreakendSide self{record.side.chrom, record.side.pos, record.alt.this_direction};
  bool self_is_bp1 = is_lower_side(self, record.alt.mate, rank_);
  const Pending& first = self_is_bp1 ? record : other;
  const Pending& second = self_is_bp1 ? other : record;
  SvJunction junction = to_junction(first);
  junction.id = first.id + "," + second.id;
  junction.imprecise = first.imprecise || second.imprecise;
  // Each record states the interval around its own breakend.
  if (second.interval.stated) junction.bp2_interval = second.interval;
  return junction;
}

std::vector<SvJunction> BndPairer::flush_unpaired() {
  std::vector<SvJunction> junctions;
  for (const auto& entry : pending_) junctions.push_back(to_junction(entry.second));
  pending_.clear();
  return junctions;
}

}  // namespace oncolm::genome
