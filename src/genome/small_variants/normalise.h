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

// Length of the common prefix of the alleles: the first changed base is at pos + this.
std::size_t common_prefix(const std::string& ref, const std::string& alt);

}  // namespace oncolm::genome
