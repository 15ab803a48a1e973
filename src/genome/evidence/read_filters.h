// Which reads and bases count as evidence: the flags and thresholds bcftools mpileup applies by
// default (bam_counts.h says how they are used). Kept apart so that parameters can name them
// without the counting code.
#pragma once

namespace oncolm::genome {

struct ReadFilters {
  int min_mapq = 20;
  int min_baseq = 13;
  int max_depth = 100000;  // per position, as bcftools mpileup -d
};

}  // namespace oncolm::genome
