#include "downstream/mutation_classes.h"

#include <algorithm>
#include <array>

#include "core/bases.h"

namespace oncolm::downstream {
namespace {

constexpr std::array<char, 4> bases = {'A', 'C', 'G', 'T'};

bool is_acgt(const std::string& text) {
  return std::all_of(text.begin(), text.end(), [](char c) { return acgt_index(c) >= 0; });
}

// Copies of `unit` right after position `end` (exclusive) and right before `start`, in `window`.
int adjacent_copies(const std::string& window, std::size_t start, std::size_t end, const std::string& unit) {
  int copies = 0;
  std::size_t length = unit.size();
  for (std::size_t at = end; at + length <= window.size() && window.compare(at, length, unit) == 0; at += length)
    ++copies;
  for (std::size_t at = start; at >= length && window.compare(at - length, length, unit) == 0; at -= length) ++copies;
  return copies;
}

// Longest partial match (shorter than the deleted sequence) of its start with the bases after it
// or of its end with the bases before it.
int microhomology(const std::string& window, std::size_t offset, const std::string& deleted) {
  std::size_t length = deleted.size();
  int best = 0;
  for (std::size_t j = length - 1; j >= 1; --j) {
    bool right = offset + length + j <= window.size() && window.compare(offset + length, j, deleted, 0, j) == 0;
    bool left = offset >= j && window.compare(offset - j, j, deleted, length - j, j) == 0;
    if (right || left) {
      best = static_cast<int>(j);
      break;
    }
  }
  return best;
}

std::vector<std::string> make_sbs96() {
  std::vector<std::string> names;
  const std::array<std::pair<char, char>, 6> substitutions = {
      {{'C', 'A'}, {'C', 'G'}, {'C', 'T'}, {'T', 'A'}, {'T', 'C'}, {'T', 'G'}}};
  for (auto [ref, alt] : substitutions)
    for (char five : bases)
      for (char three : bases) names.push_back(std::string(1, five) + "[" + ref + ">" + alt + "]" + three);
  return names;
}

std::vector<std::string> make_id83() {
  std::vector<std::string> names;
  for (std::string kind : {"Del", "Ins"})
    for (std::string base : {"C", "T"})
      for (int n = 0; n <= 5; ++n) names.push_back("1:" + kind + ":" + base + ":" + std::to_string(n));
  for (std::string kind : {"Del", "Ins"})
    for (int length = 2; length <= 5; ++length)
      for (int n = 0; n <= 5; ++n) names.push_back(std::to_string(length) + ":" + kind + ":R:" + std::to_string(n));
  for (int length = 2; length <= 5; ++length)
    for (int n = 1; n <= (length == 5 ? 5 : length - 1); ++n)
      names.push_back(std::to_string(length) + ":Del:M:" + std::to_string(n));
  names.push_back("complex");
  return names;
}

const std::array<std::string, 10> canonical_dbs_ref = {"AC", "AT", "CC", "CG", "CT", "GC", "TA", "TC", "TG", "TT"};

// A REF pair that reads the same on both strands (AT, CG, GC, TA) meets each ALT in two spellings;
// COSMIC's DBS-78 names the alphabetically smaller one for AT and GC and the larger for CG and TA
// (CG>TT, not CG>AA; TA>GT, not TA>AC).
std::string cosmic_palindrome_alt(const std::string& ref, const std::string& alt) {
  const std::string other = reverse_complement(alt);
  return (ref == "CG" || ref == "TA") ? std::max(alt, other) : std::min(alt, other);
}

std::vector<std::string> make_dbs78() {
  std::vector<std::string> names;
  for (const std::string& ref : canonical_dbs_ref) {
    bool palindrome = reverse_complement(ref) == ref;
    for (char a : bases)
      for (char b : bases) {
        std::string alt{a, b};
        if (a == ref[0] || b == ref[1]) continue;
        if (palindrome && cosmic_palindrome_alt(ref, alt) != alt) continue;
        names.push_back(ref + ">" + alt);
      }
  }
  names.push_back("MNV");
  return names;
}

int index_of(const std::vector<std::string>& names, const std::string& name) {
  auto it = std::find(names.begin(), names.end(), name);
  return it == names.end() ? -1 : static_cast<int>(it - names.begin());
}

}  // namespace

char complement(char base) {
  switch (base) {
    case 'A': return 'T';
    case 'C': return 'G';
    case 'G': return 'C';
    case 'T': return 'A';
    default: return 'N';
  }
}

std::string reverse_complement(const std::string& sequence) {
  std::string out(sequence.rbegin(), sequence.rend());
  for (char& c : out) c = complement(c);
  return out;
}

const std::vector<std::string>& sbs96_classes() {
  static const std::vector<std::string> names = make_sbs96();
  return names;
}

int sbs96_index(char five, char ref, char alt, char three) {
  if (acgt_index(five) < 0 || acgt_index(ref) < 0 || acgt_index(alt) < 0 || acgt_index(three) < 0 || ref == alt)
    return -1;
  if (ref == 'A' || ref == 'G') {
    char new_five = complement(three);
    three = complement(five);
    five = new_five;
    ref = complement(ref);
    alt = complement(alt);
  }
  // C>A C>G C>T = 0 1 2; T>A T>C T>G = 3 4 5.
  int substitution = ref == 'C' ? (alt == 'A' ? 0 : alt == 'G' ? 1 : 2) : (alt == 'A' ? 3 : alt == 'C' ? 4 : 5);
  return substitution * 16 + acgt_index(five) * 4 + acgt_index(three);
}

int sbs96_index_in_window(const std::string& window, std::size_t offset, char alt) {
  if (offset == 0 || offset + 1 >= window.size()) return -1;
  return sbs96_index(window[offset - 1], window[offset], alt, window[offset + 1]);
}

const std::vector<std::string>& id83_classes() {
  static const std::vector<std::string> names = make_id83();
  return names;
}

int id83_index(const std::string& window, std::size_t offset, const std::string& norm_ref,
               const std::string& norm_alt) {
  std::size_t prefix = 0;
  while (prefix < norm_ref.size() && prefix < norm_alt.size() && norm_ref[prefix] == norm_alt[prefix]) ++prefix;
  std::string deleted = norm_ref.substr(prefix), inserted = norm_alt.substr(prefix);
  if (deleted.empty() && inserted.empty()) return -1;
  if (!deleted.empty() && !inserted.empty()) return norm_ref.size() == norm_alt.size() ? -1 : id_complex_index;
  bool deletion = !deleted.empty();
  const std::string& unit = deletion ? deleted : inserted;
  if (!is_acgt(unit) || offset > window.size()) return id_complex_index;
  std::size_t length = unit.size();
  std::string kind = deletion ? "Del" : "Ins";
  // A deletion's copies lie around the deleted bases; an insertion's around the insertion point.
  int copies = adjacent_copies(window, offset, deletion ? offset + length : offset, unit);
  int capped = std::min(copies, 5);
  if (length == 1) {
    char pyrimidine = (unit[0] == 'A' || unit[0] == 'G') ? complement(unit[0]) : unit[0];
    return index_of(id83_classes(), "1:" + kind + ":" + pyrimidine + ":" + std::to_string(capped));
  }
  std::string size = std::to_string(std::min<std::size_t>(length, 5));
  if (deletion && copies == 0) {
    int homology = microhomology(window, offset, unit);
    if (homology > 0)
      return index_of(id83_classes(), size + ":Del:M:" + std::to_string(std::min(homology, 5)));
  }
  return index_of(id83_classes(), size + ":" + kind + ":R:" + std::to_string(capped));
}

const std::vector<std::string>& dbs78_classes() {
  static const std::vector<std::string> names = make_dbs78();
  return names;
}

int dbs78_index(const std::string& norm_ref, const std::string& norm_alt) {
  if (norm_ref.size() != norm_alt.size() || norm_ref.size() < 2 || norm_ref == norm_alt) return -1;
  if (norm_ref.size() != 2 || norm_ref[0] == norm_alt[0] || norm_ref[1] == norm_alt[1] || !is_acgt(norm_ref) ||
      !is_acgt(norm_alt))
    return dbs_other_index;
  std::string ref = norm_ref, alt = norm_alt;
  if (std::find(canonical_dbs_ref.begin(), canonical_dbs_ref.end(), ref) == canonical_dbs_ref.end()) {
    ref = reverse_complement(ref);
    alt = reverse_complement(alt);
  }
  if (reverse_complement(ref) == ref) alt = cosmic_palindrome_alt(ref, alt);
  return index_of(dbs78_classes(), ref + ">" + alt);
}

const std::vector<std::string>& sv_classes() {
  static const std::vector<std::string> names = {"DEL", "DUP", "INS", "INV", "TRA", "other"};
  return names;
}

int sv_class_index(const std::string& name) {
  int index = index_of(sv_classes(), name);
  return index < 0 ? static_cast<int>(sv_classes().size()) - 1 : index;
}

}  // namespace oncolm::downstream
