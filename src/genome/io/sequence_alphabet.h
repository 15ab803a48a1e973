// The alphabet every stage sees: upper-case ACGT and N. Reference sequence is sanitised into it as
// it is fetched (reference.h), and base and 6-mer counts index it with acgt_index. No htslib here,
// so that statistics and parameters can be used without the reader's headers.
#pragma once
#include <cstdint>
#include <string>

#include "core/bases.h"

namespace oncolm::genome {

using oncolm::acgt_index;

// How many bases of fetched sequence were changed by sanitising.
struct SanitiseCounts {
  std::uint64_t soft_masked = 0;  // lower-case bases upper-cased
  std::uint64_t iupac = 0;        // non-ACGTN codes (IUPAC or anything else) turned into N
};

// Upper-cases and maps everything outside ACGT to N, in place; adds to counts when given.
void sanitise_sequence(std::string& sequence, SanitiseCounts* counts = nullptr);

}  // namespace oncolm::genome
