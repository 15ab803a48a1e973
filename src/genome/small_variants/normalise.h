// Left-normalisation of one biallelic variant against the reference, the algorithm of
// `bcftools norm -f` (realign() in vcfnorm.c): trim the common last base while it is shared,
// padding with reference bases from the left whenever an allele would become empty (this shifts
// indels left through repeats), then trim the common first bases while both alleles keep at least
// one base. Alleles are upper-case ACGTN (callers sanitise); records where REF == ALT are the
// caller's to reject.
#pragma once
#include <cstdint>
#include <functional>
#include <string>

namespace oncolm::genome {

// Reference bases start..end, 1-based inclusive, sanitised like Reference::fetch.
using SequenceFetcher = std::function<std::string(std::int64_t start, std::int64_t end)>;

struct NormalisedAllele {
  std::int64_t pos = 0;  // 1-based
  std::string ref;
  std::string alt;
  bool changed = false;  // position or alleles differ from the input (bcftools' "realigned")
};

NormalisedAllele normalise(std::int64_t pos, std::string ref, std::string alt, const SequenceFetcher& fetch);

enum class VariantType { snv, mnv, indel, sv };
const char* type_name(VariantType type);

// snv: 1 vs 1 base; mnv: equal lengths > 1; indel: lengths differ. Expects normalised alleles.
VariantType classify(const std::string& ref, const std::string& alt);

// How many bases a left-normalised pure indel (one allele a single base, the other that base plus
// the inserted or deleted bases) can slide to the right and still give the same haplotype: the
// length of the repeat it sits in beyond its own bases, up to the contig end (`contig_length`).
// A read without the indel tells REF from ALT only once it covers the slid event and the base
// after it (bam_counts.h); 0 for other alleles.
std::int64_t indel_right_shift(std::int64_t pos, const std::string& ref, const std::string& alt,
                               std::int64_t contig_length, const SequenceFetcher& fetch);

// Length of the common prefix of the alleles: the first changed base is at pos + this.
std::size_t common_prefix(const std::string& ref, const std::string& alt);

}  // namespace oncolm::genome
