// The alphabet every stage sees: upper-case ACGT and N. Reference sequence is sanitised into it as
// it is fetched (reference.h), and base and 6-mer counts index it with acgt_index. No htslib here,
// so that statistics and parameters can be used without the reader's headers.
#pragma once
#include <cstdint>
#include <string>

namespace oncolm::genome {

// How many bases of fetched sequence were changed by sanitising.
struct SanitiseCounts {
  std::uint64_t soft_masked = 0;  // lower-case bases upper-cased
  std::uint64_t iupac = 0;        // non-ACGTN codes (IUPAC or anything else) turned into N
};

// A=0, C=1, G=2, T=3 (upper case), -1 for anything else: the index used for base and 6-mer counts.
inline int acgt_index(char base) {
  switch (base) {
    case 'A': return 0;
    case 'C': return 1;
    case 'G': return 2;
    case 'T': return 3;
    default: return -1;
  }
}

// Upper-cases and maps everything outside ACGT to N, in place; adds to counts when given.
void sanitise_sequence(std::string& sequence, SanitiseCounts* counts = nullptr);

}  // namespace oncolm::genome
