// Read evidence from tumour/normal miniBAMs (BAM or CRAM): allele counts at SNVs/MNVs and indels,
// and split-read / discordant-pair support at SV junctions.
//
// Reads counted: mapped, not secondary, not QC-failed, not duplicate, MAPQ >= min_mapq (the same
// flag set bcftools mpileup skips by default). Supplementary alignments are kept, as bcftools
// does. Bases count when their quality is >= min_baseq. Overlapping mates are counted once: the
// pileup uses htslib's overlap rule (bam_mplp_init_overlaps, as bcftools mpileup does: of two
// properly paired mates covering a base, the weaker gets quality 0), and multi-base alleles are
// collected per read name. SNV counts therefore equal `bcftools mpileup -a AD -B -A` with the same
// -q/-Q (tests/genome/bam_counts_test.cpp runs that command).
#pragma once
#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "genome/evidence/read_filters.h"
#include "genome/sv/sv_junction.h"

namespace oncolm::genome {

struct AlleleCounts {
  int depth = 0;  // reads whose bases over the whole allele passed the filters
  int ref = 0;
  int alt = 0;
  double vaf() const { return depth > 0 ? static_cast<double>(alt) / depth : 0.0; }
};

// The reads supporting an SV junction, by name (mates share a name).
struct SvSupportingReads {
  std::set<std::string> split;       // split at the junction: alignment and SA alignment stop at its breakends
  std::set<std::string> discordant;  // pairs with one read at each breakend, pointing into the junction
};

// What the reads show at one reference position (for germline alleles, personalise.h). Bases are
// counted as count_substitution counts an SNV (per alignment, base quality >= min_baseq,
// overlapping mates once through htslib's overlap rule), so they equal `bcftools mpileup -a AD`.
// Indels after the position are counted on the same alignments (the base before the indel passing
// the filters), against indel_depth: those alignments, N bases included, so each read pair once.
struct PositionPileup {
  std::int64_t pos = 0;        // 1-based
  std::array<int, 4> bases{};  // A C G T
  int indel_depth = 0;
  std::map<std::string, int> indels;  // "+ACG" inserted after this base, "-3" deleted after it
  int depth() const { return bases[0] + bases[1] + bases[2] + bases[3]; }
};

// Per read name (mates together): 'A' the read pair carries the allele's ALT, 'R' its REF, 'O'
// something else; pairs that do not cover the whole allele with passing bases are absent.
using AlleleByRead = std::map<std::string, char>;
// Reference position -> read name -> base (quality >= min_baseq; 'N' when mates disagree).
using BasesByRead = std::map<std::int64_t, std::map<std::string, char>>;

// Contig name -> length of the reference the windows come from.
using ContigLengths = std::map<std::string, std::int64_t>;

class AlignmentReader {
 public:
  // Opens a BAM/CRAM with its index. @SQ lines whose name is in the reference must agree on
  // length (InputError naming the file and contig otherwise); an @SQ named the other way (chr20 for
  // 20, chrM for MT) is read as that reference contig when the lengths agree, as VCF contigs are;
  // other @SQ lines (decoys, GL contigs) are listed in contigs_outside_reference() and their reads
  // ignored.
  AlignmentReader(const std::string& path, const std::string& reference_path,
                  const ContigLengths& reference);
  ~AlignmentReader();
  AlignmentReader(const AlignmentReader&) = delete;
  AlignmentReader& operator=(const AlignmentReader&) = delete;

  const std::string& path() const { return path_; }
  const std::vector<std::string>& contigs_outside_reference() const { return outside_; }
  // @SQ contigs that are in the reference (0 means no read can count: e.g. chr1 vs 1 naming).
  std::size_t contigs_in_reference() const { return shared_; }

  // Substitutions (SNV: one base; MNV: several, all must match on one read).
  AlleleCounts count_substitution(const std::string& chrom, std::int64_t pos, const std::string& ref,
                                  const std::string& alt, const ReadFilters& filters);
  // Indels in VCF form (shared first base), left-normalised; a contig without reads in the file
  // gives zero counts, an indel that is not a pure insertion or deletion std::invalid_argument. A read pair supports
  // ALT when one of its reads' alignment carries exactly this indel after the anchor base, REF when none carries an
  // indel there and one spans the anchor through the base after the event slid `right_shift` bases to the right end
  // of its repeat (indel_right_shift, normalise.h): in a homopolymer or microsatellite a read of the ALT haplotype
  // that ends inside the repeat matches the reference and is aligned without the indel, so such reads count for
  // neither allele. Aligners (bwa mem, minimap2) left-align indels, which is why the normalised position is used.
  AlleleCounts count_indel(const std::string& chrom, std::int64_t pos, const std::string& ref,
                           const std::string& alt, std::int64_t right_shift, const ReadFilters& filters);
  // Every position of [start, end] (1-based, inclusive) that has reads; positions without reads
  // are absent.
  std::vector<PositionPileup> pileup_positions(const std::string& chrom, std::int64_t start, std::int64_t end,
                                               const ReadFilters& filters);
  // Which allele each read pair carries: substitutions by their bases (all must pass; right_shift
  // unused), pure indels by the rule of count_indel; empty for other indels.
  AlleleByRead allele_by_read(const std::string& chrom, std::int64_t pos, const std::string& ref,
                              const std::string& alt, std::int64_t right_shift, const ReadFilters& filters);
  // The base each read pair shows at each of `positions` (1-based).
  BasesByRead bases_by_read(const std::string& chrom, const std::vector<std::int64_t>& positions,
                            const ReadFilters& filters);
  // Split reads stop within 10 bp of the stated breakends; discordant pairs lie within
  // `search_distance` of them, both bounds widened by the junction's confidence intervals
  // (bp1_interval, bp2_interval), since the breakend may be anywhere in them.
  SvSupportingReads sv_supporting_reads(const SvJunction& junction, const ReadFilters& filters,
                                        std::int64_t search_distance = 1000);
  // Reads seen near junctions whose mate lies on a contig outside the reference.
  std::int64_t reads_with_mate_outside_reference() const { return static_cast<std::int64_t>(mate_outside_.size()); }

  struct Handles;

 private:
  std::string path_;
  std::unique_ptr<Handles> handles_;
  int tid_of(const std::string& reference_contig) const;  // -1 when the file has no such contig
  std::string reference_name(const std::string& bam_contig) const;  // "" when outside the reference

  std::vector<std::string> outside_;
  std::map<std::string, int> tid_of_reference_contig_;
  std::map<std::string, std::string> reference_name_of_bam_contig_;
  std::size_t shared_ = 0;
  std::set<std::string> mate_outside_;  // read names
};

}  // namespace oncolm::genome
