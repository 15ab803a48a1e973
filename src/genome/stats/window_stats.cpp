#include "genome/stats/window_stats.h"

#include <algorithm>
#include <cstring>
#include <numeric>
#include <tuple>

#include <fmt/format.h>

#include "core/error.h"
#include "core/file_contract.h"
#include "genome/io/reference.h"
#include "genome/sv/sv_junction.h"
#include "genome/sv/sv_reader.h"

namespace oncolm::genome {

const std::vector<std::string> skip_reasons = {
    "filtered",            // FILTER other than PASS/. (kept with --keep-filtered)
    "unknown_contig",      // contig not in the reference (after reconciliation)
    "ref_mismatch",        // REF disagrees with the reference (--ref-mismatch skip)
    "iupac_alt",           // ALT with IUPAC codes other than ACGT (N included)
    "no_alt",              // ALT '.', '*', or equal to REF
    "duplicate",           // same normalised variant already seen in this sample
    "alt_exceeds_window",  // ALT allele longer than the right half of the window
    "sv_indel_length",     // |len(REF)-len(ALT)| >= --max-indel-length (PCAWG: an SV)
    "sv_symbolic",         // symbolic or breakend ALT in a small-variant VCF
};
const std::vector<std::string> window_types = {"snv", "mnv", "indel"};

namespace {
constexpr const char* base_names = "ACGTN";


template <typename Map>
Json counts_json(const Map& map) {
  Json out = Json::object();
  for (const auto& [key, value] : map) out[fmt::format("{}", key)] = value;
  return out;
}

std::map<std::string, std::uint64_t> read_counts(const Json& json) {
  std::map<std::string, std::uint64_t> out;
  for (const auto& [key, value] : json.items()) out[key] = value.get<std::uint64_t>();
  return out;
}

double fraction(std::uint64_t part, std::uint64_t total) {
  return total ? static_cast<double>(part) / static_cast<double>(total) : 0.0;
}

Json sv_json(const SvStats& sv) {
  Json out;
  out["records"] = sv.records;
  out["junctions"] = sv.junctions();
  out["junctions_by_class"] = counts_json(sv.junctions_by_class);
  out["skipped"] = Json::object();
  for (const auto& reason : sv_skip_reasons) out["skipped"][reason] = sv.skipped.at(reason);
  out["ref_base_mismatches"] = sv.ref_base_mismatches;
  out["unpaired_breakends"] = sv.unpaired_breakends;
  out["imprecise"] = sv.imprecise;
  out["max_waiting_mates"] = sv.max_waiting_mates;
  out["window_lengths"] = counts_json(sv.window_lengths);
  return out;
}

SvStats sv_from_json(const Json& json) {
  SvStats sv;
  sv.records = json.at("records").get<std::uint64_t>();
  for (const auto& [key, value] : read_counts(json.at("junctions_by_class"))) sv.junctions_by_class[key] = value;
  for (const auto& [key, value] : read_counts(json.at("skipped"))) sv.skipped[key] = value;
  sv.ref_base_mismatches = json.at("ref_base_mismatches").get<std::uint64_t>();
  sv.unpaired_breakends = json.at("unpaired_breakends").get<std::uint64_t>();
  sv.imprecise = json.at("imprecise").get<std::uint64_t>();
  sv.max_waiting_mates = json.at("max_waiting_mates").get<std::uint64_t>();
  for (const auto& [key, value] : read_counts(json.at("window_lengths"))) sv.window_lengths[std::stoll(key)] = value;
  return sv;
}

Json evidence_json(const std::map<std::string, BamStats>& bams, std::uint64_t indels_without_evidence) {
  Json out;
  out["bams"] = Json::object();
  for (const auto& [role, bam] : bams)
    out["bams"][role] = {{"contigs_outside_reference", bam.contigs_outside_reference},
                         {"reads_with_mate_outside_reference", bam.reads_with_mate_outside_reference}};
  out["indels_without_evidence"] = indels_without_evidence;
  return out;
}

void evidence_from_json(const Json& json, SampleStats& s) {
  for (const auto& [role, bam] : json.at("bams").items()) {
    s.bams[role] = BamStats{bam.at("contigs_outside_reference").get<std::uint64_t>(),
                            bam.at("reads_with_mate_outside_reference").get<std::uint64_t>()};
  }
  s.indels_without_evidence = json.at("indels_without_evidence").get<std::uint64_t>();
}
// GermlineStats' counters in the order stats.json lists them, after "personalised": the JSON writer,
// the reader and += all go through this list, so a new counter is one member and one row here.
// Rows not required were added later; stats files written before them lack them (read as 0).
struct GermlineCounter {
  const char* key;
  std::uint64_t GermlineStats::*member;
  bool required;
};
const GermlineCounter germline_counters[] = {
    {"windows_changed", &GermlineStats::windows_changed, true},
    {"hom_applied", &GermlineStats::hom_applied, true},
    {"het_phased_applied", &GermlineStats::het_phased_applied, true},
    {"het_other_haplotype_listed", &GermlineStats::het_other_haplotype_listed, true},
    {"het_unphased_listed", &GermlineStats::het_unphased_listed, true},
    {"overlapping_listed", &GermlineStats::overlapping_listed, false},
    {"indels_applied", &GermlineStats::indels_applied, false},
};

Json germline_json(const GermlineStats& g) {
  Json out = {{"personalised", g.personalised}};
  for (const auto& counter : germline_counters) out[counter.key] = g.*counter.member;
  return out;
}

// Stats files written before --personalise existed have no such section: nothing was applied.
GermlineStats germline_from_json(const Json& json) {
  GermlineStats g;
  if (json.is_null()) return g;
  g.personalised = json.at("personalised").get<bool>();
  for (const auto& counter : germline_counters)
    g.*counter.member = counter.required ? json.at(counter.key).get<std::uint64_t>()
                                         : json.value(counter.key, std::uint64_t{0});
  return g;
}
}  // namespace

template <typename Key>
void add_counts(std::map<Key, std::uint64_t>& total, const std::map<Key, std::uint64_t>& counts) {
  for (const auto& [key, value] : counts) total[key] += value;
}

SvStats& SvStats::operator+=(const SvStats& other) {
  records += other.records;
  add_counts(junctions_by_class, other.junctions_by_class);
  add_counts(skipped, other.skipped);
  ref_base_mismatches += other.ref_base_mismatches;
  unpaired_breakends += other.unpaired_breakends;
  imprecise += other.imprecise;
  max_waiting_mates = std::max(max_waiting_mates, other.max_waiting_mates);  // a bound, not a count
  add_counts(window_lengths, other.window_lengths);
  return *this;
}

BamStats& BamStats::operator+=(const BamStats& other) {
  contigs_outside_reference += other.contigs_outside_reference;
  reads_with_mate_outside_reference += other.reads_with_mate_outside_reference;
  return *this;
}

GermlineStats& GermlineStats::operator+=(const GermlineStats& other) {
  personalised = personalised || other.personalised;
  for (const auto& counter : germline_counters) this->*counter.member += other.*counter.member;
  return *this;
}

SampleStats& SampleStats::operator+=(const SampleStats& other) {
  records_read += other.records_read;
  multiallelic_split += other.multiallelic_split;
  add_counts(windows_by_type, other.windows_by_type);
  add_counts(skipped, other.skipped);
  normalised_changed += other.normalised_changed;
  normalised_moved += other.normalised_moved;
  add_counts(window_lengths, other.window_lengths);
  for (std::size_t i = 0; i < kmer6.size(); ++i) kmer6[i] += other.kmer6[i];
  for (std::size_t i = 0; i < loose_bases.size(); ++i) loose_bases[i] += other.loose_bases[i];
  reference_changes.soft_masked += other.reference_changes.soft_masked;
  reference_changes.iupac += other.reference_changes.iupac;
  sv += other.sv;
  for (const auto& [role, bam] : other.bams) bams[role] += bam;
  indels_without_evidence += other.indels_without_evidence;
  germline += other.germline;
  return *this;
}

SvStats::SvStats() {
  for (SvClass value : {SvClass::del, SvClass::dup, SvClass::inv, SvClass::tra, SvClass::ins})
    junctions_by_class[sv_class_name(value)] = 0;
  for (const auto& reason : sv_skip_reasons) skipped[reason] = 0;
}

std::uint64_t SvStats::junctions() const {
  std::uint64_t total = 0;
  for (const auto& [sv_class, count] : junctions_by_class) total += count;
  return total;
}

SampleStats::SampleStats() {
  for (const auto& type : window_types) windows_by_type[type] = 0;
  for (const auto& reason : skip_reasons) skipped[reason] = 0;
}

std::uint64_t SampleStats::windows() const {
  std::uint64_t total = 0;
  for (const auto& [type, count] : windows_by_type) total += count;
  return total;
}

std::uint64_t SampleStats::set_aside_sv() const {
  return skipped.at("sv_indel_length") + skipped.at("sv_symbolic");
}

std::uint64_t SampleStats::skipped_total() const {
  std::uint64_t total = 0;
  for (const auto& [reason, count] : skipped) total += count;
  return total - set_aside_sv();
}

namespace {
// A=0 C=1 G=2 T=3, 4 for anything else (N): acgt_index as a table, for the per-base loops below.
struct BaseCodes {
  std::uint8_t code[256];
  BaseCodes() {
    for (int byte = 0; byte < 256; ++byte) {
      int index = acgt_index(static_cast<char>(byte));
      code[byte] = static_cast<std::uint8_t>(index < 0 ? 4 : index);
    }
  }
};
const BaseCodes base_codes;

// Two bases at a time (the first in the low byte of a little-endian 16-bit read): their 4-bit
// 6-mer digits, or 4096 when either is not ACGT, so that a token's index is three lookups and
// any N lifts it out of 0..4095. Only the ~25 entries of ACGTN pairs are hot, so the table stays
// in cache.
struct PairCodes {
  std::uint16_t code[65536];
  PairCodes() {
    for (unsigned pair = 0; pair < 65536; ++pair) {
      unsigned first = base_codes.code[pair & 0xffu], second = base_codes.code[pair >> 8];
      code[pair] = static_cast<std::uint16_t>(first < 4 && second < 4 ? first * 4 + second : 4096);
    }
  }
};
const PairCodes pair_codes;

unsigned pair_at(const unsigned char* bytes) {
  return static_cast<unsigned>(bytes[0]) | static_cast<unsigned>(bytes[1]) << 8;
}
}  // namespace

namespace {
// Adds `weight` per 6-mer token of bytes[from, to) (both multiples of 6 from the record start) to
// kmer6, and the bases of tokens holding an N to loose_bases.
void count_tokens(const unsigned char* bytes, std::size_t from, std::size_t to, std::uint64_t weight,
                  std::vector<std::uint64_t>& kmer6, std::array<std::uint64_t, 5>& loose_bases) {
  for (std::size_t start = from; start < to; start += 6) {
    unsigned index = pair_codes.code[pair_at(bytes + start)] << 8 | pair_codes.code[pair_at(bytes + start + 2)] << 4 |
                     pair_codes.code[pair_at(bytes + start + 4)];
    if (index < 4096) {
      kmer6[index] += weight;
    } else {
      for (std::size_t i = start; i < start + 6; ++i) loose_bases[base_codes.code[bytes[i]]] += weight;
    }
  }
}

void count_loose(const unsigned char* bytes, std::size_t from, std::size_t to, std::uint64_t weight,
                 std::array<std::uint64_t, 5>& loose_bases) {
  for (std::size_t i = from; i < to; ++i) loose_bases[base_codes.code[bytes[i]]] += weight;
}

// Leading bytes that a and b share, of the first `length`; 8 bytes per step.
std::size_t common_prefix(const char* a, const char* b, std::size_t length) {
  std::size_t at = 0;
  for (; at + 8 <= length; at += 8) {
    std::uint64_t x, y;
    std::memcpy(&x, a + at, 8);
    std::memcpy(&y, b + at, 8);
    if (x != y) return at + static_cast<std::size_t>(__builtin_ctzll(x ^ y) / 8);  // little-endian
  }
  while (at < length && a[at] == b[at]) ++at;
  return at;
}

// Trailing bytes that a and b (both `length` long) share.
std::size_t common_suffix(const char* a, const char* b, std::size_t length) {
  std::size_t shared = 0;
  for (; shared + 8 <= length; shared += 8) {
    std::uint64_t x, y;
    std::memcpy(&x, a + length - shared - 8, 8);
    std::memcpy(&y, b + length - shared - 8, 8);
    if (x != y) return shared + static_cast<std::size_t>(__builtin_clzll(x ^ y) / 8);  // little-endian
  }
  while (shared < length && a[length - 1 - shared] == b[length - 1 - shared]) ++shared;
  return shared;
}

const unsigned char* as_bytes(const std::string& text) { return reinterpret_cast<const unsigned char*>(text.data()); }
}  // namespace

std::array<std::uint64_t, 5> SampleStats::base_counts() const {
  std::array<std::uint64_t, 5> counts = loose_bases;
  for (std::size_t index = 0; index < kmer6.size(); ++index) {
    if (!kmer6[index]) continue;
    for (int shift = 0; shift < 12; shift += 2) counts[(index >> shift) & 3u] += kmer6[index];
  }
  return counts;
}

void SampleStats::add_sequence(const std::string& sequence) {
  ++window_lengths[static_cast<std::int64_t>(sequence.size())];
  std::size_t whole_tokens = sequence.size() / 6 * 6;
  count_tokens(as_bytes(sequence), 0, whole_tokens, 1, kmer6, loose_bases);
  count_loose(as_bytes(sequence), whole_tokens, sequence.size(), 1, loose_bases);
}

void SampleStats::add_window_pair(const std::string& ref, const std::string& alt) {
  ++window_lengths[static_cast<std::int64_t>(ref.size())];
  ++window_lengths[static_cast<std::int64_t>(alt.size())];
  std::size_t shortest = std::min(ref.size(), alt.size());
  std::size_t prefix = common_prefix(ref.data(), alt.data(), shortest);
  // Tokens wholly inside the shared prefix are the same tokens in both records.
  std::size_t shared_before = prefix / 6 * 6;
  std::size_t ref_tokens_end = ref.size() / 6 * 6, alt_tokens_end = alt.size() / 6 * 6;
  count_tokens(as_bytes(ref), 0, shared_before, 2, kmer6, loose_bases);
  if (ref.size() != alt.size() || prefix == ref.size()) {
    // An indel shifts the token frame right of it: the rest is counted record by record.
    count_tokens(as_bytes(ref), shared_before, ref_tokens_end, 1, kmer6, loose_bases);
    count_tokens(as_bytes(alt), shared_before, alt_tokens_end, 1, kmer6, loose_bases);
    count_loose(as_bytes(ref), std::max(shared_before, ref_tokens_end), ref.size(), 1, loose_bases);
    count_loose(as_bytes(alt), std::max(shared_before, alt_tokens_end), alt.size(), 1, loose_bases);
    return;
  }
  // Same length (SNV, MNV): tokens right of the last difference are shared too.
  std::size_t last_difference = ref.size() - 1 - common_suffix(ref.data(), alt.data(), ref.size());
  std::size_t shared_after = std::min((last_difference / 6 + 1) * 6, ref_tokens_end);
  for (const std::string* record : {&ref, &alt})
    count_tokens(as_bytes(*record), shared_before, shared_after, 1, kmer6, loose_bases);
  count_tokens(as_bytes(ref), shared_after, ref_tokens_end, 2, kmer6, loose_bases);
  if (last_difference >= ref_tokens_end) {
    for (const std::string* record : {&ref, &alt})
      count_loose(as_bytes(*record), ref_tokens_end, ref.size(), 1, loose_bases);
  } else {
    count_loose(as_bytes(ref), ref_tokens_end, ref.size(), 2, loose_bases);
  }
}

std::string kmer6_name(std::size_t index) {
  std::string name(6, 'A');
  for (int i = 5; i >= 0; --i, index /= 4) name[static_cast<std::size_t>(i)] = base_names[index % 4];
  return name;
}

namespace {

// The sequence statistics, in the same shape in <sample>.stats.json and in the cohort's stats.json.
Json length_distribution(const std::map<std::int64_t, std::uint64_t>& window_lengths) {
  std::uint64_t records = 0, bases_in_records = 0;
  for (const auto& [length, count] : window_lengths) {
    records += count;
    bases_in_records += count * static_cast<std::uint64_t>(length);
  }
  Json lengths;
  lengths["records"] = records;
  lengths["min"] = window_lengths.empty() ? 0 : window_lengths.begin()->first;
  lengths["max"] = window_lengths.empty() ? 0 : window_lengths.rbegin()->first;
  lengths["mean"] = records ? static_cast<double>(bases_in_records) / static_cast<double>(records) : 0.0;
  lengths["histogram"] = counts_json(window_lengths);
  return lengths;
}

// The 15 most frequent 6-mer tokens; equal counts keep index order (alphabetical: A < C < G < T).
Json top_kmer6(const std::vector<std::uint64_t>& kmer6) {
  std::vector<std::size_t> order(kmer6.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return kmer6[a] > kmer6[b]; });
  std::uint64_t tokens = std::accumulate(kmer6.begin(), kmer6.end(), std::uint64_t{0});
  Json top = Json::array();
  for (std::size_t i = 0; i < 15 && i < order.size() && kmer6[order[i]] > 0; ++i)
    top.push_back({{"kmer", kmer6_name(order[i])},
                   {"count", kmer6[order[i]]},
                   {"fraction", fraction(kmer6[order[i]], tokens)}});
  // Every 6-mer seen, alphabetical: what `oncolm windows merge` adds up. Appended to the object's
  // storage directly: the indices are unique and already in key order, and operator[] would search
  // the ordered object linearly for each of up to 4,096 keys.
  Json counts = Json::object();
  auto& entries = *counts.get_ptr<Json::object_t*>();
  for (std::size_t i = 0; i < kmer6.size(); ++i)
    if (kmer6[i]) entries.Container::emplace_back(kmer6_name(i), kmer6[i]);
  return {{"total", tokens}, {"top15", top}, {"counts", counts}};
}

Json base_composition(const std::array<std::uint64_t, 5>& bases) {
  std::uint64_t all_bases = std::accumulate(bases.begin(), bases.end(), std::uint64_t{0});
  Json composition = Json::object();
  for (std::size_t i = 0; i < 5; ++i)
    composition[std::string(1, base_names[i])] = {{"count", bases[i]}, {"fraction", fraction(bases[i], all_bases)}};
  return composition;
}

std::uint64_t sv_skipped_total(const SvStats& sv) {
  std::uint64_t total = 0;
  for (const auto& [reason, count] : sv.skipped) total += count;
  return total;
}

}  // namespace

Json to_json(const SampleStats& s) {
  Json out;
  out["sample_id"] = s.sample_id;
  out["safe_id"] = s.safe_id;
  out["donor_id"] = s.donor_id;
  out["sheet_row"] = s.sheet_row;
  out["labels"] = Json::object();
  for (const auto& [key, value] : s.labels) out["labels"][key] = value;
  out["inputs"] = Json::object();
  for (const auto& [key, value] : s.inputs) out["inputs"][key] = value;
  out["outputs"] = Json::object();
  for (const auto& [key, value] : s.outputs) out["outputs"][key] = value;
  out["contig_names"] = Json::object();
  for (const auto& [vcf_name, reference_name] : s.contig_names) out["contig_names"][vcf_name] = reference_name;
  out["records_read"] = s.records_read;
  out["multiallelic_records_split"] = s.multiallelic_split;
  out["windows"] = s.windows();
  out["windows_by_type"] = counts_json(s.windows_by_type);
  out["set_aside_sv"] = s.set_aside_sv();
  out["skipped"] = Json::object();
  for (const auto& reason : skip_reasons) out["skipped"][reason] = s.skipped.at(reason);
  out["normalisation"] = {{"changed", s.normalised_changed}, {"moved", s.normalised_moved}};
  out["window_length_distribution"] = length_distribution(s.window_lengths);
  out["kmer6_tokens"] = top_kmer6(s.kmer6);
  out["base_composition"] = base_composition(s.base_counts());
  out["reference_bases_changed"] = {{"soft_masked_upper_cased", s.reference_changes.soft_masked},
                                    {"iupac_to_n", s.reference_changes.iupac}};
  out["sv"] = sv_json(s.sv);
  out["read_evidence"] = evidence_json(s.bams, s.indels_without_evidence);
  out["germline"] = germline_json(s.germline);
  out["provenance"] = s.provenance;
  return out;
}

namespace {

// A window-length histogram key: a length in bases, written as a decimal string.
long long window_length_key(const std::string& key, const std::string& file) {
  const bool digits = !key.empty() && key.size() < 19 &&
                      std::all_of(key.begin(), key.end(), [](char c) { return c >= '0' && c <= '9'; });
  if (!digits) throw input_error(file, 0, "window_length_distribution: '{}' is not a window length", key);
  return std::stoll(key);
}

// A 6-mer key of kmer6_tokens: six of A, C, G, T; its index in the 4^6 table (A=0 .. T=3, first base
// most significant).
std::size_t kmer6_key_index(const std::string& key, const std::string& file) {
  const bool acgt = key.size() == 6 && key.find_first_not_of("ACGT") == std::string::npos;
  if (!acgt) throw input_error(file, 0, "kmer6_tokens: '{}' is not a 6-mer of A, C, G, T", key);
  std::size_t index = 0;
  for (char base : key) index = index * 4 + static_cast<std::size_t>(acgt_index(base));
  return index;
}

}  // namespace

SampleStats sample_stats_from_json(const Json& json, const std::string& file) {
  try {
    SampleStats s;
    s.sample_id = json.at("sample_id").get<std::string>();
    s.safe_id = json.at("safe_id").get<std::string>();
    s.donor_id = json.at("donor_id").get<std::string>();
    s.sheet_row = json.at("sheet_row").get<int>();
    for (const auto& [key, value] : json.at("labels").items()) s.labels.emplace_back(key, value.get<std::string>());
    for (const auto& [key, value] : json.at("inputs").items()) s.inputs.emplace_back(key, value.get<std::string>());
    for (const auto& [key, value] : json.at("outputs").items()) s.outputs.emplace_back(key, value.get<std::string>());
    const Json contig_names = json.value("contig_names", Json::object());  // absent in older stats files
    for (const auto& [key, value] : contig_names.items()) s.contig_names[key] = value.get<std::string>();
    s.records_read = json.at("records_read").get<std::uint64_t>();
    s.multiallelic_split = json.at("multiallelic_records_split").get<std::uint64_t>();
    for (const auto& [key, value] : read_counts(json.at("windows_by_type"))) s.windows_by_type[key] = value;
    for (const auto& [key, value] : read_counts(json.at("skipped"))) s.skipped[key] = value;
    s.normalised_changed = json.at("normalisation").at("changed").get<std::uint64_t>();
    s.normalised_moved = json.at("normalisation").at("moved").get<std::uint64_t>();
    for (const auto& [key, value] : read_counts(json.at("window_length_distribution").at("histogram")))
      s.window_lengths[window_length_key(key, file)] = value;
    for (const auto& [key, value] : json.at("kmer6_tokens").at("counts").items())
      s.kmer6[kmer6_key_index(key, file)] = value.get<std::uint64_t>();
    std::array<std::uint64_t, 5> in_tokens = s.base_counts();  // loose_bases are still 0 here
    for (std::size_t i = 0; i < 5; ++i) {
      auto count = json.at("base_composition").at(std::string(1, base_names[i])).at("count").get<std::uint64_t>();
      if (count < in_tokens[i])
        throw input_error(file, 0, "base_composition counts {} {} bases, fewer than its 6-mer tokens hold ({})", count,
                          base_names[i], in_tokens[i]);
      s.loose_bases[i] = count - in_tokens[i];
    }
    s.reference_changes.soft_masked =
        json.at("reference_bases_changed").at("soft_masked_upper_cased").get<std::uint64_t>();
    s.reference_changes.iupac = json.at("reference_bases_changed").at("iupac_to_n").get<std::uint64_t>();
    s.sv = sv_from_json(json.at("sv"));
    evidence_from_json(json.at("read_evidence"), s);
    s.germline = germline_from_json(json.value("germline", Json()));
    s.provenance = json.at("provenance");
    return s;
  } catch (const nlohmann::json::exception& error) {
    throw input_error(file, 0, "not a per-sample stats file of `oncolm windows`: {}", error.what());
  }
}

namespace {

std::string manifest(const std::vector<SampleStats>& samples, const std::vector<std::string>& label_columns) {
  std::string out;
  for (const auto& column : contract::manifest_columns) out += (out.empty() ? "" : "\t") + column;
  for (const auto& column : label_columns) out += "\t" + column;
  out += "\n";
  for (const auto& s : samples) {
    auto output = [&](const std::string& kind) {
      for (const auto& [key, value] : s.outputs)
        if (key == kind) return value;
      return std::string();
    };
    out += fmt::format("{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}", s.sample_id,
                       s.donor_id, output("fasta"), output("tsv"), output("sv_fasta"), output("sv_tsv"), output("stats"),
                       s.records_read, s.windows(), s.windows_by_type.at("snv"), s.windows_by_type.at("mnv"),
                       s.windows_by_type.at("indel"), s.sv.junctions(), s.set_aside_sv(), s.skipped_total(),
                       s.sv.records, sv_skipped_total(s.sv));
    for (const auto& column : label_columns) {
      std::string value;
      for (const auto& [key, label] : s.labels)
        if (key == column) value = label;
      out += "\t" + value;
    }
    out += "\n";
  }
  return out;
}

// The parameters and reference must be the same for every sample of a cohort.
void check_consistent(const std::vector<SampleStats>& samples) {
  for (const auto& s : samples) {
    for (const char* key : {"reference_fai_sha256", "parameters"})
      if (s.provenance.value(key, Json()) != samples.front().provenance.value(key, Json()))
        throw InputError(fmt::format("{}.stats.json: {} differs from that of sample {}: samples of one cohort "
                                     "must be made with the same reference and parameters",
                                     s.safe_id, key, samples.front().sample_id));
  }
}

// The cohort's counts_by_sample entry of one sample.
Json sample_counts(const SampleStats& s) {
  Json entry = counts_json(s.windows_by_type);
  entry["sv"] = s.sv.junctions();
  entry["set_aside_sv"] = s.set_aside_sv();
  entry["windows"] = s.windows();
  entry["records_read"] = s.records_read;
  entry["skipped"] = Json::object();
  for (const auto& reason : skip_reasons) entry["skipped"][reason] = s.skipped.at(reason);
  entry["sv_records_read"] = s.sv.records;
  entry["sv_skipped"] = counts_json(s.sv.skipped);
  return entry;
}

}  // namespace

CohortOutputs aggregate_cohort(std::vector<SampleStats> samples, const Json& run_provenance) {
  std::sort(samples.begin(), samples.end(), [](const SampleStats& a, const SampleStats& b) {
    return std::tie(a.sheet_row, a.sample_id) < std::tie(b.sheet_row, b.sample_id);
  });
  for (std::size_t i = 1; i < samples.size(); ++i)
    if (samples[i].sample_id == samples[i - 1].sample_id)
      throw InputError(fmt::format("{}.stats.json and {}.stats.json are both for sample {}", samples[i - 1].safe_id,
                                   samples[i].safe_id, samples[i].sample_id));
  if (!samples.empty()) check_consistent(samples);
  std::vector<std::string> label_columns;
  SampleStats total;
  Json by_sample = Json::object();
  std::map<std::string, std::map<std::string, std::uint64_t>> label_counts;
  std::map<std::string, std::uint64_t> missing_labels;  // samples without a value, per column
  for (const auto& s : samples) {
    for (const auto& [column, value] : s.labels) {
      if (std::find(label_columns.begin(), label_columns.end(), column) == label_columns.end())
        label_columns.push_back(column);
      if (contract::is_missing_label(value)) ++missing_labels[column];
      else ++label_counts[column][value];
    }
    total += s;
    by_sample[s.sample_id] = sample_counts(s);
  }

  Json stats;
  stats["samples"] = samples.size();
  stats["records_read"] = total.records_read;
  stats["multiallelic_records_split"] = total.multiallelic_split;
  stats["windows"] = total.windows();
  stats["counts_by_type"] = counts_json(total.windows_by_type);
  stats["counts_by_type"]["sv"] = total.sv.junctions();
  stats["set_aside_sv"] = total.set_aside_sv();
  stats["counts_by_sample"] = by_sample;
  stats["skipped_by_reason"] = Json::object();
  for (const auto& reason : skip_reasons) stats["skipped_by_reason"][reason] = total.skipped.at(reason);
  stats["normalisation"] = {{"changed", total.normalised_changed}, {"moved", total.normalised_moved}};
  stats["window_length_distribution"] = length_distribution(total.window_lengths);
  stats["kmer6_tokens"] = top_kmer6(total.kmer6);
  stats["base_composition"] = base_composition(total.base_counts());
  for (const char* column : {"histology_abbreviation", "organ_system"})
    stats[column] = label_counts.count(column) ? counts_json(label_counts[column]) : Json::object();
  stats["labels"] = Json::object();
  for (const auto& column : label_columns) stats["labels"][column] = counts_json(label_counts[column]);
  // Samples whose cell is empty, '.' or 'NA' (contract::is_missing_label): not a label value.
  stats["labels_missing"] = Json::object();
  for (const auto& column : label_columns) stats["labels_missing"][column] = missing_labels[column];
  stats["reference_bases_changed"] = {{"soft_masked_upper_cased", total.reference_changes.soft_masked},
                                      {"iupac_to_n", total.reference_changes.iupac}};
  stats["sv"] = sv_json(total.sv);
  stats["read_evidence"] = evidence_json(total.bams, total.indels_without_evidence);
  stats["germline"] = germline_json(total.germline);
  Json provenance = run_provenance;
  if (!samples.empty()) {
    for (const char* key : {"reference", "reference_fai_sha256", "parameters"})
      provenance[key] = samples.front().provenance.value(key, Json());
    Json sample_runs = Json::object();
    for (const auto& s : samples) sample_runs[s.sample_id] = s.provenance.value("command_line", "");
    provenance["sample_command_lines"] = sample_runs;
  }
  stats["provenance"] = provenance;
  return {manifest(samples, label_columns), stats};
}

}  // namespace oncolm::genome
