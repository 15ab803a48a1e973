#include "genome/evidence/sample_evidence.h"

#include <fmt/format.h>

#include "core/error.h"
#include "core/log.h"

namespace oncolm::genome {
namespace {

constexpr const char* no_allele_counts = ".\t.\t.\t.";
constexpr const char* no_sv_support = ".\t.";

ContigLengths contig_lengths(const Reference& reference) {
  ContigLengths lengths;
  for (const Contig& contig : reference.contigs()) lengths[contig.name] = contig.length;
  return lengths;
}

std::unique_ptr<AlignmentReader> open_reads(const std::string& path, const Reference& reference) {
  if (path.empty()) return nullptr;
  // The reference path is given for CRAM decoding; BAM ignores it.
  auto reader = std::make_unique<AlignmentReader>(path, reference.path(), contig_lengths(reference));
  // Without a shared contig every count would silently be zero.
  if (reader->contigs_in_reference() == 0)
    throw input_error(path, 0, "none of its @SQ contigs is in the reference {} (other contig names, e.g. chr1 "
                      "vs 1, or another assembly?)", reference.path());
  if (!reader->contigs_outside_reference().empty())
    log(Level::info, "{}: {} @SQ contig(s) not in the reference (e.g. {}): their reads are ignored", path,
        reader->contigs_outside_reference().size(), reader->contigs_outside_reference().front());
  return reader;
}

// Substitutions, and indels that insert or delete bases after a shared anchor base: what
// evidence/bam_counts.h has a counting method for.
bool countable(const std::string& ref, const std::string& alt) {
  if (ref.size() == alt.size()) return true;
  return (ref.size() == 1 || alt.size() == 1) && ref[0] == alt[0];
}

std::string count_columns(AlignmentReader* reader, const std::string& chrom, std::int64_t pos,
                          const std::string& ref, const std::string& alt, std::int64_t right_shift,
                          const ReadFilters& filters) {
  if (!reader) return no_allele_counts;
  AlleleCounts counts = ref.size() == alt.size() ? reader->count_substitution(chrom, pos, ref, alt, filters)
                                                 : reader->count_indel(chrom, pos, ref, alt, right_shift, filters);
  // A VAF without reads is undefined, not 0.
  std::string vaf = counts.depth > 0 ? fmt::format("{:.4f}", counts.vaf()) : ".";
  return fmt::format("{}\t{}\t{}\t{}", counts.depth, counts.ref, counts.alt, vaf);
}

std::string support_columns(const SvSupportingReads& reads) {
  return fmt::format("{}\t{}", reads.split.size(), reads.discordant.size());
}

BamStats stats_of(const AlignmentReader& reader) {
  return BamStats{reader.contigs_outside_reference().size(),
                  static_cast<std::uint64_t>(reader.reads_with_mate_outside_reference())};
}

}  // namespace

SampleEvidence::SampleEvidence(const Sample& sample, const Reference& reference, const ReadFilters& filters)
    : filters_(filters), tumour_(open_reads(sample.tumour_bam, reference)),
      normal_(open_reads(sample.normal_bam, reference)) {}

std::string SampleEvidence::small_variant_columns(const std::string& chrom, std::int64_t pos, const std::string& ref,
                                                  const std::string& alt, std::int64_t right_shift) {
  if (!countable(ref, alt)) {
    indels_without_evidence_ += has_reads();
    return std::string(no_allele_counts) + "\t" + no_allele_counts;
  }
  return count_columns(tumour_.get(), chrom, pos, ref, alt, right_shift, filters_) + "\t" +
         count_columns(normal_.get(), chrom, pos, ref, alt, right_shift, filters_);
}

SvEvidence SampleEvidence::sv_evidence(const SvJunction& junction) {
  SvEvidence evidence;
  if (tumour_) {
    SvSupportingReads reads = tumour_->sv_supporting_reads(junction, filters_);
    evidence.columns = support_columns(reads);
    evidence.tumour_supporting = std::move(reads.split);
    evidence.tumour_supporting.insert(reads.discordant.begin(), reads.discordant.end());
  } else {
    evidence.columns = no_sv_support;
  }
  evidence.columns += "\t";
  evidence.columns += normal_ ? support_columns(normal_->sv_supporting_reads(junction, filters_)) : no_sv_support;
  return evidence;
}

std::map<std::string, BamStats> SampleEvidence::bam_stats() const {
  std::map<std::string, BamStats> stats;
  if (tumour_) stats["tumour"] = stats_of(*tumour_);
  if (normal_) stats["normal"] = stats_of(*normal_);
  return stats;
}

}  // namespace oncolm::genome
