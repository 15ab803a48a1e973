#include "genome/small_variants/normalise.h"

#include <algorithm>

namespace oncolm::genome {
namespace {
// bcftools pads 100 bases at a time; any amount gives the same result, this one keeps fetches few.
constexpr std::int64_t pad_step = 100;

void trim_right(std::int64_t& pos, std::string& ref, std::string& alt, const SequenceFetcher& fetch) {
  while (ref.back() == alt.back()) {
    std::size_t shortest = std::min(ref.size(), alt.size());
    if (shortest <= 1 && pos == 1) break;  // nothing left of the contig start to pad with
    ref.pop_back();
    alt.pop_back();
    if (ref.empty() || alt.empty()) {
      std::int64_t pad = std::min(pad_step, pos - 1);
      std::string bases = fetch(pos - pad, pos - 1);
      ref.insert(0, bases);
      alt.insert(0, bases);
      pos -= pad;
    }
  }
}

void trim_left(std::int64_t& pos, std::string& ref, std::string& alt) {
  std::size_t trim = 0;
  while (ref[trim] == alt[trim] && std::min(ref.size(), alt.size()) - trim > 1) ++trim;
  ref.erase(0, trim);
  alt.erase(0, trim);
  pos += static_cast<std::int64_t>(trim);
}

}  // namespace

NormalisedAllele normalise(std::int64_t pos, std::string ref, std::string alt, const SequenceFetcher& fetch) {
  NormalisedAllele out{pos, ref, alt, false};
  if (ref.empty() || alt.empty() || ref == alt) return out;
  trim_right(out.pos, out.ref, out.alt, fetch);
  trim_left(out.pos, out.ref, out.alt);
  out.changed = out.pos != pos || out.ref != ref || out.alt != alt;
  return out;
}

std::int64_t indel_right_shift(std::int64_t pos, const std::string& ref, const std::string& alt,
                               std::int64_t contig_length, const SequenceFetcher& fetch) {
  bool deletion = ref.size() > 1 && alt.size() == 1;
  bool insertion = alt.size() > 1 && ref.size() == 1;
  if ((!deletion && !insertion) || ref[0] != alt[0]) return 0;
  // Sliding right by one base keeps the haplotype when the base after the event repeats the
  // event's first base; the event's bases then rotate, so the reference from there on is compared
  // with the event's bases repeated.
  const std::string unit = deletion ? ref.substr(1) : alt.substr(1);
  std::int64_t first = pos + 1 + (deletion ? static_cast<std::int64_t>(unit.size()) : 0);
  std::int64_t shift = 0;
  for (std::int64_t start = first; start <= contig_length; start += pad_step) {
    std::string bases = fetch(start, std::min(contig_length, start + pad_step - 1));
    for (char base : bases) {
      if (base != unit[static_cast<std::size_t>(shift) % unit.size()]) return shift;
      ++shift;
    }
  }
  return shift;
}

const char* type_name(VariantType type) {
  switch (type) {
    case VariantType::snv: return "snv";
    case VariantType::mnv: return "mnv";
    case VariantType::indel: return "indel";
    case VariantType::sv: return "sv";
  }
  return "?";
}

VariantType classify(const std::string& ref, const std::string& alt) {
  if (ref.size() != alt.size()) return VariantType::indel;
  return ref.size() == 1 ? VariantType::snv : VariantType::mnv;
}

std::size_t common_prefix(const std::string& ref, const std::string& alt) {
  std::size_t n = 0;
  while (n < ref.size() && n < alt.size() && ref[n] == alt[n]) ++n;
  return n;
}

}  // namespace oncolm::genome
