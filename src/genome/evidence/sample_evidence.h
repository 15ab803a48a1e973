// A sample's read evidence for `oncolm windows`: its tumour and normal BAM/CRAM (either may be
// absent), each opened once per sample (evidence/bam_counts.h) with the reference's contig lengths, and
// the text of the evidence columns of the window TSVs. Internal to the genome library.
#pragma once
#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string>

#include "genome/evidence/bam_counts.h"
#include "genome/io/reference.h"
#include "genome/io/sample_sheet.h"
#include "genome/stats/window_stats.h"

namespace oncolm::genome {

// The evidence columns of one SV junction, and the tumour reads behind them (--personalise phases
// germline hets with them).
struct SvEvidence {
  std::string columns;                      // t_split_reads t_discordant_pairs n_split_reads n_discordant_pairs
  std::set<std::string> tumour_supporting;  // split reads and discordant pairs in the tumour, by name
};

class SampleEvidence {
 public:
  // Throws InputError naming the BAM when it cannot be opened, has no index, disagrees with the
  // reference on a contig length, or shares no contig name with the reference.
  SampleEvidence(const Sample& sample, const Reference& reference, const ReadFilters& filters);

  bool has_reads() const { return tumour_ || normal_; }
  // The sample's reads, for --personalise (personalise.h); null when the sheet gives no such BAM.
  AlignmentReader* tumour_reads() { return tumour_.get(); }
  AlignmentReader* normal_reads() { return normal_.get(); }

  // t_depth t_ref_count t_alt_count t_vaf n_depth n_ref_count n_alt_count n_vaf, tab-separated,
  // for a normalised allele: substitutions (SNV/MNV) and pure indels are counted; the columns of a
  // missing BAM, and all of them for an indel that is neither a pure insertion nor a pure
  // deletion (counted in indels_without_evidence()), are '.'. right_shift: an indel's slide through
  // its repeat (indel_right_shift), which decides the reads that show REF (count_indel).
  std::string small_variant_columns(const std::string& chrom, std::int64_t pos, const std::string& ref,
                                    const std::string& alt, std::int64_t right_shift);
  // Each BAM is scanned once per junction.
  SvEvidence sv_evidence(const SvJunction& junction);

  std::uint64_t indels_without_evidence() const { return indels_without_evidence_; }
  // Per BAM present ("tumour", "normal"): contigs and mates outside the reference.
  std::map<std::string, BamStats> bam_stats() const;

 private:
  ReadFilters filters_;
  std::unique_ptr<AlignmentReader> tumour_, normal_;
  std::uint64_t indels_without_evidence_ = 0;
};

}  // namespace oncolm::genome
