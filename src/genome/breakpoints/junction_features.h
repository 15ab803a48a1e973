// What a structural-variant junction tells about how it was joined: class and size from the
// breakend orientations, exact microhomology, templated insertions and a mechanism label. Pure
// logic on sequences (no htslib), so it is tested on hand-made sequences; breakpoints_command.h
// feeds it the REF1/REF2 windows of `oncolm windows` or the reference.
//
// Orientation. The junction is read as `oncolm windows` writes its ALT window (sv_junction.h):
// first piece + inserted bases + second piece, breakend 1 always on its forward strand. Each
// piece's side is an OrientedStrip: reference sequence around its breakend, reverse-complemented
// when the piece is, so that for the FIRST piece strip[breakend] is the last retained base and
// strip[breakend+1..] is what the reference would have continued with; for the SECOND piece
// strip[breakend] is the first retained base and strip[..breakend-1] is what precedes it.
//
// Exact microhomology (junctions without inserted bases). The same junction sequence can be made
// by moving the join `left` bases towards the first piece and `right` bases towards the second:
//   right = the largest k with first[b1+1 .. b1+k] == second[b2 .. b2+k-1]
//   left  = the largest k with first[b1-k+1 .. b1] == second[b2-k .. b2-1]
// homlen = left + right and homseq = first[b1-left+1 .. b1+right]: every base that could belong to
// either side of the join, on breakend 1's forward strand. The result does not depend on where in
// that range the caller put its breakend (manta left-aligns, GRIDSS centres, CIPOS marks the
// range), so both callers' HOMLEN/HOMSEQ are directly comparable with it. N matches nothing.
// A slide that runs off the end of the sequence given (window edge, contig end) leaves `complete`
// false: homlen is then a lower bound. Junctions with inserted bases have no microhomology (the two
// reference sides do not meet; homlen 0, as manta and GRIDSS report them), and imprecise ones get
// none computed (their position is uncertain by CIPOS).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace oncolm::genome::breakpoints {

// Sequence around one breakend in junction orientation; breakend is the index of the breakend's
// own base in bases.
struct OrientedStrip {
  std::string bases;
  std::int64_t breakend = 0;
};

// A forward REF window with the breakend at 0-based `offset`, reverse-complemented when the piece
// is.
OrientedStrip orient_strip(const std::string& window, std::int64_t offset, bool reverse_complemented);

// How the junction's pieces are made from the breakends (as sv_junction.h's build_junction_window):
// strands are PCAWG's ("+" = sequence left of the breakend retained), breakend 1 first.
struct PieceLayout {
  bool first_is_breakend1 = true;  // the first piece comes from breakend 1
  bool first_reverse = false;      // the first piece is reverse-complemented
  bool second_reverse = false;
};
// Throws std::invalid_argument unless strands is one of "++", "+-", "-+", "--".
PieceLayout piece_layout(const std::string& strands);

struct Microhomology {
  std::int64_t left = 0;
  std::int64_t right = 0;
  std::string sequence;  // breakend 1's forward strand; empty when length() is 0
  bool complete = true;  // false: a slide reached the end of a strip, length() is a lower bound
  std::int64_t length() const { return left + right; }
};

Microhomology microhomology(const OrientedStrip& first, const OrientedStrip& second);

// Class and size from the breakends: TRA across contigs (size 0); INV for "++"/"--" (size
// pos2 - pos1); "+-" DEL (pos2 - pos1 - 1 deleted bases), or INS when the breakends are adjacent
// and bases are inserted (size = inserted length); "-+" DUP (pos2 - pos1 + 1). The same classes
// and sizes as the SV windows TSV.
struct JunctionClass {
  std::string name;
  std::int64_t size = 0;
};
JunctionClass junction_class(const std::string& chrom1, std::int64_t pos1, const std::string& chrom2, std::int64_t pos2,
                             const std::string& strands, const std::string& inserted);

// Where an inserted sequence is found in the reference near a breakend: an exact match of all its
// bases, on the forward strand ('+': the inserted bases as written, on breakend 1's forward strand,
// equal reference[start, end]) or the reverse strand ('-': their reverse complement does).
struct TemplatedSource {
  std::string chrom;
  std::int64_t start = 0, end = 0;  // 1-based inclusive
  char strand = '+';
  std::int64_t distance = 0;  // bases between the match and the breakend (0 = touching or covering it)
  int breakend = 1;           // the breakend whose region holds it
  std::string text() const;   // "chrom:start-end:strand"
};

// A forward reference region searched for templates: reference[start, start + |bases| - 1] around
// breakend `breakend` (1 or 2) at `breakend_pos`.
struct SearchRegion {
  std::string chrom;
  std::int64_t start = 0;
  std::string bases;
  std::int64_t breakend_pos = 0;
  int breakend = 1;
};

// Exact matches of `inserted` (either strand) in the regions; the closest to its breakend first
// (ties: breakend 1, '+', lower start). Nothing when inserted is shorter than min_length or holds
// anything other than ACGT.
std::vector<TemplatedSource> templated_sources(const std::string& inserted, const std::vector<SearchRegion>& regions,
                                               std::int64_t min_length);

// Mechanism labels, checked in this order:
//   imprecise               the caller flagged the junction IMPRECISE: its position is uncertain, so
//                           no homology is computed
//   insertion               at least one inserted base (templated or not; templated_source says)
//   homology_mediated       homlen > max_microhomology (long homology: NAHR/SSA-like, e.g. Alu-Alu)
//   microhomology_mediated  min_microhomology <= homlen <= max_microhomology
//   blunt                   homlen < min_microhomology (0, or 1 by default: a 1-base match arises by
//                           chance at 7 of 16 joins of random sequence)
struct MechanismRules {
  std::int64_t min_microhomology = 2;
  std::int64_t max_microhomology = 20;
  std::int64_t min_templated_length = 10;
};
std::string mechanism(bool imprecise, std::int64_t inserted_length, std::int64_t homlen, const MechanismRules& rules);

// The labels in report order (blunt, microhomology_mediated, homology_mediated, insertion, imprecise).
const std::vector<std::string>& mechanism_labels();

// A forward reference window holding a breakend: bases = reference[start, start + |bases| - 1] of
// chrom, the breakend at pos (start <= pos < start + |bases|).
struct BreakendWindow {
  std::string chrom;
  std::int64_t pos = 0;
  std::int64_t start = 0;
  std::string bases;
};

// One junction as the SV windows TSV gives it.
struct JunctionCall {
  BreakendWindow breakend1, breakend2;  // breakend 1 = the lower coordinate
  std::string strands;                  // PCAWG's, breakend 1 first
  std::string inserted;                 // on breakend 1's forward strand; empty for none
  bool imprecise = false;
};

struct JunctionFeatures {
  JunctionClass sv_class;
  bool homology_computed = false;  // false for imprecise junctions and for junctions with inserted bases
  Microhomology homology;
  std::vector<TemplatedSource> templates;  // closest first; searched in both breakend windows
  std::string mechanism;
};

// Class, microhomology (precise junctions without inserted bases), templated sources (inserted
// sequences of at least rules.min_templated_length bases) and mechanism of one junction, all from
// the two breakend windows. Throws std::invalid_argument for bad strands or a breakend outside its
// window.
JunctionFeatures analyse_junction(const JunctionCall& call, const MechanismRules& rules);

// The microhomology alone (as analyse_junction computes it), e.g. to recompute it on longer
// windows when it was not complete.
Microhomology junction_microhomology(const JunctionCall& call);

}  // namespace oncolm::genome::breakpoints
