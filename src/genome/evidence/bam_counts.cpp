#include "genome/evidence/bam_counts.h"

#include "genome/io/contigs.h"

#include <htslib/sam.h>

#include <algorithm>
#include <set>
#include <sstream>
#include <stdexcept>

#include "core/error.h"
#include "genome/io/reference.h"
#include "core/log.h"

namespace oncolm::genome {

struct AlignmentReader::Handles {
  samFile* file = nullptr;
  sam_hdr_t* header = nullptr;
  hts_idx_t* index = nullptr;
  ~Handles() {
    if (index) hts_idx_destroy(index);
    if (header) sam_hdr_destroy(header);
    if (file) sam_close(file);
  }
};

namespace {

constexpr std::uint16_t excluded_flags = BAM_FUNMAP | BAM_FSECONDARY | BAM_FQCFAIL | BAM_FDUP;
// How far a read may overhang its breakend on the retained side and still count as lying on it.
constexpr std::int64_t breakend_slack = 10;

struct BamRecord {
  bam1_t* record = bam_init1();
  ~BamRecord() { bam_destroy1(record); }
};

struct RegionIterator {
  hts_itr_t* iterator = nullptr;
  ~RegionIterator() { if (iterator) hts_itr_destroy(iterator); }
};

bool passes_read_filters(const bam1_t* read, const ReadFilters& filters) {
  return !(read->core.flag & excluded_flags) && read->core.qual >= filters.min_mapq;
}

struct PileupSource {
  samFile* file;
  hts_itr_t* iterator;
  const ReadFilters* filters;
};

int next_filtered_read(void* data, bam1_t* read) {
  auto* source = static_cast<PileupSource*>(data);
  int status;
  while ((status = sam_itr_next(source->file, source->iterator, read)) >= 0)
    if (passes_read_filters(read, *source->filters)) break;
  return status;
}

std::string read_name(const bam1_t* read) { return bam_get_qname(read); }
std::string record_key(const bam1_t* read) {
  return read_name(read) + ((read->core.flag & BAM_FREAD2) ? "/2" : "/1");
}

[[noreturn]] void throw_read_error(const AlignmentReader::Handles& handles, int tid, std::int64_t start0) {
  throw input_error(handles.file->fn, 0, "cannot read alignments near {}:{} (corrupt file, or a CRAM "
                    "whose reference is not the --reference given)", sam_hdr_tid2name(handles.header, tid), start0 + 1);
}

// Calls visit(offset, pileup entry) for every read at ref positions [start0, start0 + length),
// 0-based, through htslib's pileup with overlapping-mate detection.
template <typename Visit>
void pileup_region(const AlignmentReader::Handles& handles, int tid, std::int64_t start0, std::int64_t length,
                   const ReadFilters& filters, Visit visit) {
  RegionIterator region;
  region.iterator = sam_itr_queryi(handles.index, tid, start0, start0 + length);
  if (!region.iterator) return;
  PileupSource source{handles.file, region.iterator, &filters};
  void* sources[1] = {&source};
  bam_mplp_t pileup = bam_mplp_init(1, next_filtered_read, sources);
  bam_mplp_init_overlaps(pileup);
  bam_mplp_set_maxcnt(pileup, filters.max_depth);
  int pileup_tid = 0, count = 0;
  hts_pos_t position = 0;
  const bam_pileup1_t* entries = nullptr;
  int status;
  while ((status = bam_mplp64_auto(pileup, &pileup_tid, &position, &count, &entries)) > 0) {
    if (pileup_tid != tid || position < start0) continue;
    if (position >= start0 + length) break;
    for (int i = 0; i < count; ++i) visit(position - start0, entries[i]);
  }
  bam_mplp_destroy(pileup);
  // A read error must not pass for "no reads": the counts would silently be zero.
  if (status < 0) throw_read_error(handles, tid, start0);
}

struct SaAlignment {
  std::string chrom;
  std::int64_t start = 0;  // 1-based, inclusive
  std::int64_t end = 0;
  int mapq = 255;          // 255: not given
};

// Reference bases a CIGAR string covers (M, D, N, =, X).
std::int64_t cigar_reference_length(const std::string& cigar) {
  std::int64_t length = 0, number = 0;
  for (char c : cigar) {
    if (c >= '0' && c <= '9') {
      number = number * 10 + (c - '0');
      continue;
    }
    if (c == 'M' || c == 'D' || c == 'N' || c == '=' || c == 'X') length += number;
    number = 0;
  }
  return length;
}

std::vector<SaAlignment> supplementary_alignments(const bam1_t* read) {
  std::vector<SaAlignment> alignments;
  const std::uint8_t* tag = bam_aux_get(read, "SA");
  if (!tag) return alignments;
  const char* text = bam_aux2Z(tag);
  if (!text) return alignments;
  std::stringstream entries(text);
  std::string entry;
  // Each entry: rname,pos,strand,CIGAR,mapQ,NM
  while (std::getline(entries, entry, ';')) {
    std::vector<std::string> fields;
    std::stringstream parts(entry);
    for (std::string field; std::getline(parts, field, ',');) fields.push_back(field);
    if (fields.size() < 4) continue;  // a malformed SA entry is not evidence
    try {
      std::int64_t start = std::stoll(fields[1]);
      std::int64_t length = cigar_reference_length(fields[3]);
      int mapq = fields.size() > 4 ? std::stoi(fields[4]) : 255;
      if (length > 0) alignments.push_back({fields[0], start, start + length - 1, mapq});
    } catch (const std::exception&) {
      continue;
    }
  }
  return alignments;
}

// Order in which one mate's call overrides the other's at an indel.
int call_rank(char call) { return call == 'A' ? 2 : call == 'O' ? 1 : 0; }

bool within(std::int64_t value, std::int64_t low, std::int64_t high) { return value >= low && value <= high; }

// Whether an alignment [start, end] stops at the breakend from its retained side, as the part of a
// split read on that side does: it ends there (left side retained) or starts there (right side).
// The two junctions of a balanced inversion or translocation lie 1 bp apart; this is what tells
// their split reads apart.
bool splits_at(const BreakendSide& side, std::int64_t start, std::int64_t end) {
  std::int64_t edge = side.direction == Direction::left ? end : start;
  return within(edge, side.pos - breakend_slack, side.pos + breakend_slack);
}

// Whether an alignment starting at `start` (1-based) and ending at `end` lies on the retained
// side of `side`, within `distance` of it. The caller's confidence interval widens both bounds:
// the breakend is somewhere in [pos + low, pos + high], so a pair counts wherever in it the
// breakend lies.
bool on_retained_side(const BreakendSide& side, const ConfidenceInterval& interval, std::int64_t start,
                      std::int64_t end, std::int64_t distance) {
  if (side.direction == Direction::left)
    return end <= side.pos + interval.high + breakend_slack && start >= side.pos + interval.low - distance;
  return start >= side.pos + interval.low - breakend_slack && end <= side.pos + interval.high + distance;
}

// The last reference base of a read's mate: from its CIGAR when the aligner wrote it (the MC tag),
// else its read length past its start.
std::int64_t mate_end(const bam1_t* read) {
  std::int64_t mate_start = read->core.mpos + 1;
  if (const std::uint8_t* tag = bam_aux_get(read, "MC"); tag && bam_aux2Z(tag))
    return mate_start + cigar_reference_length(bam_aux2Z(tag)) - 1;
  return mate_start + read->core.l_qseq - 1;
}

}  // namespace

AlignmentReader::AlignmentReader(const std::string& path, const std::string& reference_path,
                                 const ContigLengths& reference)
    : path_(path), handles_(std::make_unique<Handles>()) {
  handles_->file = sam_open(path.c_str(), "r");
  if (!handles_->file) throw input_error(path, 0, "cannot open alignment file");
  if (!reference_path.empty() && hts_set_opt(handles_->file, CRAM_OPT_REFERENCE, reference_path.c_str()) != 0)
    throw input_error(path, 0, "cannot set reference {} for CRAM decoding", reference_path);
  handles_->header = sam_hdr_read(handles_->file);
  if (!handles_->header) throw input_error(path, 0, "cannot read the SAM/BAM/CRAM header");
  handles_->index = sam_index_load(handles_->file, path.c_str());
  if (!handles_->index) throw input_error(path, 0, "no index (.bai/.csi/.crai): run samtools index");
  for (int tid = 0; tid < sam_hdr_nref(handles_->header); ++tid) {
    std::string name = sam_hdr_tid2name(handles_->header, tid);
    std::int64_t length = sam_hdr_tid2len(handles_->header, tid);
    auto contig = reference.find(name);
    if (contig != reference.end() && length != contig->second)
      throw input_error(path, 0, "@SQ {} has length {} but the reference's {} has {}: not the same genome",
                        name, length, name, contig->second);
    if (contig == reference.end()) {
      // The other naming convention, accepted only when the lengths say it is the same contig.
      contig = reference.find(alias_of(name));
      if (contig == reference.end() || contig->second != length) {
        outside_.push_back(name);
        continue;
      }
      log(Level::info, "{}: @SQ {} is read as the reference's {} (same length, {})", path, name, contig->first, length);
    }
    if (!tid_of_reference_contig_.emplace(contig->first, tid).second)
      throw input_error(path, 0, "@SQ {} and @SQ {} both stand for the reference's {}", name,
                        sam_hdr_tid2name(handles_->header, tid_of_reference_contig_.at(contig->first)), contig->first);
    reference_name_of_bam_contig_[name] = contig->first;
    ++shared_;
  }
  if (!outside_.empty())
    log(Level::debug, "{}: {} @SQ contigs are not in the reference; their reads are ignored", path,
        outside_.size());
}

AlignmentReader::~AlignmentReader() = default;

int AlignmentReader::tid_of(const std::string& reference_contig) const {
  auto found = tid_of_reference_contig_.find(reference_contig);
  return found == tid_of_reference_contig_.end() ? -1 : found->second;
}

std::string AlignmentReader::reference_name(const std::string& bam_contig) const {
  auto found = reference_name_of_bam_contig_.find(bam_contig);
  return found == reference_name_of_bam_contig_.end() ? std::string() : found->second;
}

namespace {

using ReadKey = std::string (*)(const bam1_t*);

// Read -> its bases over [pos, pos + length) ('.' = none that passed).
std::map<std::string, std::string> substitution_bases(const AlignmentReader::Handles& handles, int tid, std::int64_t pos,
                                                      std::size_t length, ReadKey key, const ReadFilters& filters) {
  std::map<std::string, std::string> bases_by_read;
  pileup_region(handles, tid, pos - 1, static_cast<std::int64_t>(length), filters,
                [&](std::int64_t offset, const bam_pileup1_t& entry) {
                  std::string& bases = bases_by_read.try_emplace(key(entry.b), length, '.').first->second;
                  if (entry.is_del || entry.is_refskip) return;
                  if (bam_get_qual(entry.b)[entry.qpos] < filters.min_baseq) return;
                  const char base = seq_nt16_str[bam_seqi(bam_get_seq(entry.b), entry.qpos)];
                  // An N (or other ambiguity code) is no allele: bcftools' AD leaves it out of every count.
                  if (base != 'A' && base != 'C' && base != 'G' && base != 'T') return;
                  bases[static_cast<std::size_t>(offset)] = base;
                });
  return bases_by_read;
}

// Read name -> 'R'ef, 'A'lt or 'O'ther indel at a pure indel (see count_indel in the header).
std::map<std::string, char> indel_calls(const AlignmentReader::Handles& handles, int tid, std::int64_t pos,
                                        const std::string& ref, const std::string& alt, std::int64_t right_shift,
                                        const ReadFilters& filters) {
  bool insertion = alt.size() > 1;
  int expected_indel = insertion ? static_cast<int>(alt.size()) - 1 : -(static_cast<int>(ref.size()) - 1);
  std::string inserted = insertion ? alt.substr(1) : "";
  // The last base a REF read must cover: the base after the event slid to the right end of its
  // repeat. An ALT read that stops short of it matches the reference base for base, so it would
  // be aligned without the indel and taken for REF.
  std::int64_t span_end = pos + right_shift + static_cast<std::int64_t>(ref.size());
  std::map<std::string, char> call_by_read;
  pileup_region(handles, tid, pos - 1, 1, filters, [&](std::int64_t, const bam_pileup1_t& entry) {
    if (entry.is_del || entry.is_refskip) return;
    char call = 'O';
    if (entry.indel == expected_indel) {
      std::string read_inserted;
      for (int i = 1; i <= entry.indel; ++i)
        read_inserted += seq_nt16_str[bam_seqi(bam_get_seq(entry.b), entry.qpos + i)];
      call = read_inserted == inserted ? 'A' : 'O';
    } else if (entry.indel == 0 && bam_endpos(entry.b) >= span_end) {
      call = 'R';
    } else if (entry.indel == 0) {
      return;  // ends inside the event or its repeat: says nothing about it
    }
    // Mates may be aligned differently in a repeat: a pair supports ALT when one of its reads
    // carries the indel, and REF only when neither carries any indel.
    auto [slot, added] = call_by_read.try_emplace(read_name(entry.b), call);
    if (!added && call_rank(call) > call_rank(slot->second)) slot->second = call;
  });
  return call_by_read;
}

bool pure_indel(const std::string& ref, const std::string& alt) {
  bool deletion = ref.size() > 1 && alt.size() == 1;
  bool insertion = alt.size() > 1 && ref.size() == 1;
  return (deletion || insertion) && ref[0] == alt[0];
}

// "+ACG" for bases inserted after this aligned base, "-3" for three deleted after it, "" for none.
std::string indel_key(const bam_pileup1_t& entry) {
  if (entry.indel < 0) return "-" + std::to_string(-entry.indel);
  std::string key = "+";
  for (int i = 1; i <= entry.indel; ++i) key += seq_nt16_str[bam_seqi(bam_get_seq(entry.b), entry.qpos + i)];
  return key;
}


}  // namespace

AlleleCounts AlignmentReader::count_substitution(const std::string& chrom, std::int64_t pos,
                                                 const std::string& ref, const std::string& alt,
                                                 const ReadFilters& filters) {
  AlleleCounts counts;
  int tid = tid_of(chrom);
  if (tid < 0 || ref.size() != alt.size() || ref.empty()) return counts;
  // A single base is keyed by record: htslib's overlap rule has already zeroed the weaker base of
  // overlapping proper mates, exactly as in bcftools mpileup. Over several bases that rule may
  // zero a different mate at each position, so multi-base alleles are keyed by read name and the
  // mates' bases combine.
  ReadKey key = ref.size() == 1 ? record_key : read_name;
  for (const auto& read : substitution_bases(*handles_, tid, pos, ref.size(), key, filters)) {
    if (read.second.find('.') != std::string::npos) continue;
    ++counts.depth;
    if (read.second == ref) ++counts.ref;
    if (read.second == alt) ++counts.alt;
  }
  return counts;
}

AlleleCounts AlignmentReader::count_indel(const std::string& chrom, std::int64_t pos, const std::string& ref,
                                          const std::string& alt, std::int64_t right_shift,
                                          const ReadFilters& filters) {
  AlleleCounts counts;
  if (!pure_indel(ref, alt)) throw std::invalid_argument("count_indel needs a normalised indel sharing its first base");
  int tid = tid_of(chrom);
  if (tid < 0) return counts;  // as for substitutions: no reads on this contig
  for (const auto& read : indel_calls(*handles_, tid, pos, ref, alt, right_shift, filters)) {
    ++counts.depth;
    counts.ref += read.second == 'R';
    counts.alt += read.second == 'A';
  }
  return counts;
}

std::vector<PositionPileup> AlignmentReader::pileup_positions(const std::string& chrom, std::int64_t start,
                                                              std::int64_t end, const ReadFilters& filters) {
  std::vector<PositionPileup> sites;
  int tid = tid_of(chrom);
  if (tid < 0 || end < start) return sites;
  // The pileup visits positions in order, so the current site is always the last one.
  pileup_region(*handles_, tid, start - 1, end - start + 1, filters,
                [&](std::int64_t offset, const bam_pileup1_t& entry) {
                  std::int64_t pos = start + offset;
                  if (sites.empty() || sites.back().pos != pos) sites.push_back(PositionPileup{pos, {}, 0, {}});
                  PositionPileup& site = sites.back();
                  if (entry.is_del || entry.is_refskip) return;
                  // The weaker of two overlapping mates has quality 0 here (htslib's overlap rule):
                  // each read pair counts once, for indels as for bases.
                  if (bam_get_qual(entry.b)[entry.qpos] < filters.min_baseq) return;
                  ++site.indel_depth;
                  if (entry.indel != 0) ++site.indels[indel_key(entry)];
                  int base = acgt_index(seq_nt16_str[bam_seqi(bam_get_seq(entry.b), entry.qpos)]);
                  if (base >= 0) ++site.bases[static_cast<std::size_t>(base)];
                });
  return sites;
}

AlleleByRead AlignmentReader::allele_by_read(const std::string& chrom, std::int64_t pos, const std::string& ref,
                                             const std::string& alt, std::int64_t right_shift,
                                             const ReadFilters& filters) {
  AlleleByRead calls;
  int tid = tid_of(chrom);
  if (tid < 0 || ref.empty() || alt.empty()) return calls;
  if (ref.size() == alt.size()) {
    for (const auto& [name, bases] : substitution_bases(*handles_, tid, pos, ref.size(),
                                                        read_name, filters))
      if (bases.find('.') == std::string::npos) calls[name] = bases == alt ? 'A' : bases == ref ? 'R' : 'O';
    return calls;
  }
  if (!pure_indel(ref, alt)) return calls;
  return indel_calls(*handles_, tid, pos, ref, alt, right_shift, filters);
}

BasesByRead AlignmentReader::bases_by_read(const std::string& chrom, const std::vector<std::int64_t>& positions,
                                           const ReadFilters& filters) {
  BasesByRead bases;
  int tid = tid_of(chrom);
  if (tid < 0 || positions.empty()) return bases;
  for (std::int64_t pos : positions) bases[pos];
  auto [low, high] = std::minmax_element(positions.begin(), positions.end());
  pileup_region(*handles_, tid, *low - 1, *high - *low + 1, filters,
                [&](std::int64_t offset, const bam_pileup1_t& entry) {
                  auto site = bases.find(*low + offset);
                  if (site == bases.end() || entry.is_del || entry.is_refskip) return;
                  if (bam_get_qual(entry.b)[entry.qpos] < filters.min_baseq) return;
                  char base = seq_nt16_str[bam_seqi(bam_get_seq(entry.b), entry.qpos)];
                  // The overlap rule leaves one mate's base; should both pass and disagree, the
                  // pair says nothing.
                  auto [slot, added] = site->second.try_emplace(read_name(entry.b), base);
                  if (!added && slot->second != base) slot->second = 'N';
                });
  return bases;
}

SvSupportingReads AlignmentReader::sv_supporting_reads(const SvJunction& junction, const ReadFilters& filters,
                                                       std::int64_t search_distance) {
  std::set<std::string> split_names, discordant_names;
  auto scan = [&](const BreakendSide& here, const ConfidenceInterval& here_interval, const BreakendSide& there,
                  const ConfidenceInterval& there_interval) {
    int tid = tid_of(here.chrom);
    int mate_tid = tid_of(there.chrom);
    if (tid < 0) return;
    RegionIterator region;
    region.iterator =
        sam_itr_queryi(handles_->index, tid, std::max<std::int64_t>(0, here.pos + here_interval.low - search_distance - 1),
                       here.pos + here_interval.high + search_distance);
    if (!region.iterator) return;
    BamRecord read;
    int status;
    while ((status = sam_itr_next(handles_->file, region.iterator, read.record)) >= 0) {
      const bam1_t* b = read.record;
      if (!passes_read_filters(b, filters)) continue;
      std::int64_t start = b->core.pos + 1, end = bam_endpos(b);
      // Split read: this alignment and one of its SA alignments stop at the two breakends from their
      // retained sides.
      if (splits_at(here, start, end))
        for (const SaAlignment& sa : supplementary_alignments(b))
          // The other part must pass --min-mapq too (a MAPQ-0 supplementary would be filtered in its own scan).
          if (reference_name(sa.chrom) == there.chrom && splits_at(there, sa.start, sa.end) &&
              sa.mapq >= filters.min_mapq)
            split_names.insert(read_name(b));
      if (!(b->core.flag & BAM_FPAIRED) || (b->core.flag & (BAM_FMUNMAP | BAM_FPROPER_PAIR | BAM_FSUPPLEMENTARY)))
        continue;
      if (b->core.mtid >= 0 && b->core.mtid != mate_tid) {
        std::string mate_contig = sam_hdr_tid2name(handles_->header, b->core.mtid);
        // By name: a read near several junctions (or both breakends of a short one) counts once.
        if (std::find(outside_.begin(), outside_.end(), mate_contig) != outside_.end())
          mate_outside_.insert(read_name(b));
        continue;
      }
      // Discordant pair: this read on the retained side pointing at the junction, its mate on the
      // retained side of the other breakend pointing at it too.
      // The mate must pass --min-mapq too where the aligner records its MAPQ (the MQ tag).
      if (const std::uint8_t* mate_mapq = bam_aux_get(b, "MQ"); mate_mapq && bam_aux2i(mate_mapq) < filters.min_mapq)
        continue;
      bool read_points_in = (here.direction == Direction::left) != bool(b->core.flag & BAM_FREVERSE);
      bool mate_points_in = (there.direction == Direction::left) != bool(b->core.flag & BAM_FMREVERSE);
      std::int64_t mate_start = b->core.mpos + 1;
      if (read_points_in && mate_points_in && on_retained_side(here, here_interval, start, end, search_distance) &&
          on_retained_side(there, there_interval, mate_start, mate_end(b), search_distance))
        discordant_names.insert(read_name(b));
    }
    if (status < -1) throw_read_error(*handles_, tid, here.pos - 1);
  };
  scan(junction.bp1, junction.bp1_interval, junction.bp2, junction.bp2_interval);
  scan(junction.bp2, junction.bp2_interval, junction.bp1, junction.bp1_interval);
  return SvSupportingReads{std::move(split_names), std::move(discordant_names)};
}

}  // namespace oncolm::genome
