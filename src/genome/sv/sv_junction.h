// Structural-variant junctions: the pure logic of breakends, with no htslib (records reach it as
// plain fields, sequences through a fetch function), so it is testable on hand-built references.
//
// A breakend side is a reference position plus the direction in which the sequence retained at
// that breakend extends: `left` = the base at `pos` and everything before it is kept (PCAWG strand
// "+"), `right` = the base at `pos` and everything after it is kept (strand "-").
//
//   VCF ALT   junction (this record's forward strand)         sides (this, mate)
//   t[p[      ref[..pos] + ins + ref[p..]                      left,  right
//   t]p]      ref[..pos] + ins + revcomp(ref[..p])             left,  left
//   ]p]t      ref[..p]   + ins + ref[pos..]                    right, left
//   [p[t      revcomp(ref[p..]) + ins + ref[pos..]             right, right
//
// Breakend 1 is the side with the lower coordinate (reference contig order, then position). The
// junction sequence is always written with breakend 1's retained sequence on the forward strand,
// so the same junction gives the same sequence whichever mate record it was built from.
#pragma once
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace oncolm::genome {

enum class Direction { left, right };

struct BreakendSide {
  std::string chrom;
  std::int64_t pos = 0;  // 1-based
  Direction direction = Direction::left;
};

struct BndAlt {
  BreakendSide mate;
  Direction this_direction = Direction::left;
  std::string inserted;  // bases between the junction pieces, on this record's forward strand
};

// Parses a VCF 4.x breakend ALT (four bracket forms). Throws std::invalid_argument saying what is
// wrong; the caller adds file and record.
BndAlt parse_bnd_alt(const std::string& alt, const std::string& ref);

enum class SvClass { del, dup, inv, tra, ins };

// A caller's confidence interval around a breakend (VCF CIPOS, CIEND): the breakend lies somewhere
// in [pos + low, pos + high]. Imprecise calls state hundreds of bases; precise ones the homology
// the junction can slide through (Manta's CIPOS=0,HOMLEN).
struct ConfidenceInterval {
  std::int64_t low = 0, high = 0;
  bool stated = false;  // false: the caller gave none (low = high = 0)
};
const char* sv_class_name(SvClass value);

struct SvJunction {
  std::string id;              // record id(s), e.g. "gridss1o,gridss1h"
  BreakendSide bp1, bp2;       // bp1 has the lower coordinate
  std::string inserted;        // on breakend 1's forward strand
  SvClass sv_class = SvClass::tra;
  std::int64_t size = 0;       // |pos2 - pos1| (+ inserted length for INS); 0 for TRA
  bool imprecise = false;
  ConfidenceInterval bp1_interval, bp2_interval;  // around bp1.pos and bp2.pos
  std::string homlen, homseq;  // as the caller wrote them; empty when absent
};

// Contig order for choosing breakend 1: the reference's contig index.
using ContigRank = std::function<int(const std::string& chrom)>;

// The mate-pair junction built from one BND record's own view. `this_side` is the record's
// position; the result is oriented on breakend 1.
SvJunction junction_from_bnd(const std::string& id, const BreakendSide& this_side, const BndAlt& alt,
                             const ContigRank& rank);

// Junctions of symbolic alleles: <DEL> (1), <DUP> tandem (1), <INV> (2), <INS> with a known
// inserted sequence (1). pos is the VCF POS (the base before the event), end the INFO END;
// inserted (SVINSSEQ) is kept at <DEL> and <DUP> junctions too (not at <INV>'s two).
std::vector<SvJunction> junctions_from_symbolic(const std::string& id, const std::string& chrom,
                                                std::int64_t pos, std::int64_t end,
                                                const std::string& symbol,
                                                const std::string& inserted);

// Which junctions of an <INV> record exist. An inversion has two; Manta writes each as its own
// <INV> record flagged INV3 (left/left, at POS and END) or INV5 (right/right, at POS+1 and END+1),
// Delly as CT=3to3 (left/left) or CT=5to5 (right/right): then only that one junction is the call.
enum class InversionJunctions { both, left_left, right_right };
// Keeps the called junction of junctions_from_symbolic's two for an <INV> (under the record's id).
void keep_called_inversion_junctions(std::vector<SvJunction>& junctions, InversionJunctions called);

// The junction of a sequence-resolved allele (REF and ALT written out, as Manta writes precise
// deletions and insertions): shared leading and trailing bases trimmed, breakend 1 the last base
// kept on the left (direction left), breakend 2 the first kept on the right, the rest of ALT the
// inserted bases; an allele that deletes nothing is an insertion after breakend 1. Throws
// std::invalid_argument when the alleles are equal or nothing is left of the contig's first base.
SvJunction junction_from_sequence_allele(const std::string& id, const std::string& chrom, std::int64_t pos,
                                         const std::string& ref, const std::string& alt);

// A PCAWG BEDPE row: 0-based start, strands "+"/"-" (+ = left, - = right), svclass.
SvJunction junction_from_bedpe(const std::string& id, const std::string& chrom1, std::int64_t start1,
                               const std::string& strand1, const std::string& chrom2,
                               std::int64_t start2, const std::string& strand2, const ContigRank& rank);

// Fetches ref[start, end] (1-based inclusive, clipped to the contig by the callee: it may return
// fewer bases near contig ends), upper-case.
using FetchSequence = std::function<std::string(const std::string& chrom, std::int64_t start,
                                                std::int64_t end)>;

// Where a piece of a junction window comes from: ref[start, end] (1-based inclusive), reverse
// complemented or not.
struct PieceSpan {
  std::string chrom;
  std::int64_t start = 0, end = 0;
  bool reverse_complemented = false;
  std::int64_t length() const { return end >= start ? end - start + 1 : 0; }
};

struct JunctionWindow {
  std::string sequence;              // first piece + inserted + second piece
  std::int64_t junction_offset = 0;  // 0-based offset of the first base after the first piece
  PieceSpan first, second;
  std::int64_t inserted_used = 0;    // inserted bases kept (a long insertion is trimmed to fit)
};

// The ALT junction window of length up to `length`, centred on the junction: the first piece gives
// floor((length - inserted)/2) bases, the second the rest (fewer where a contig ends).
JunctionWindow build_junction_window(const SvJunction& junction, std::int64_t length,
                                     const FetchSequence& fetch);

std::string reverse_complement(const std::string& bases);

// Pairs BND records with their mates (by MATEID, else by the `_1`/`_2`, `o`/`h` id conventions).
// Memory is bounded by the number of records still waiting for their mate.
class BndPairer {
 public:
  struct Pending {
    std::string id;
    BreakendSide side;
    BndAlt alt;
    ConfidenceInterval interval;       // around this record's breakend (its CIPOS)
    ConfidenceInterval mate_interval;  // around the mate's, when the record states it (CIEND)
    std::string homlen, homseq;
    bool imprecise = false;
  };
  explicit BndPairer(ContigRank rank) : rank_(std::move(rank)) {}
  // Returns the junction when this record completes a pair, nothing while it waits. A record that
  // names no mate (no MATEID, no id convention) pairs with the record of the same two breakends.
  std::optional<SvJunction> add(Pending record, const std::string& mate_id);
  // Records whose mate never came (a caller that writes one record per junction, or a mate
  // filtered out): built from their own view, so no junction is lost; the caller counts them.
  std::vector<SvJunction> flush_unpaired();
  std::size_t waiting() const { return pending_.size(); }

 private:
  SvJunction to_junction(const Pending& record) const;
  ContigRank rank_;
  // Keyed by what the mate will look up: the record's id, or its breakend pair when the record
  // names no mate (MATEID absent, no id convention). A multimap, so that a repeated id or a
  // junction called twice waits for two mates instead of being dropped.
  std::multimap<std::string, Pending> pending_;
};

// The mate id a BND record implies when MATEID is absent: PCAWG `X_1` <-> `X_2`, GRIDSS `Xo` <->
// `Xh`. Empty when no convention applies.
std::string implied_mate_id(const std::string& id);

}  // namespace oncolm::genome
