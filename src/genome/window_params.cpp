#include "genome/window_params.h"

#include <utility>

#include <fmt/format.h>

#include "core/error.h"

namespace oncolm::genome {

std::int64_t WindowParams::length_for(VariantType type) const {
  switch (type) {
    case VariantType::snv: return snv_length;
    case VariantType::mnv: return mnv_length;
    default: return indel_length;
  }
}

Json WindowParams::to_json() const {
  return {{"snv_length", snv_length},
          {"mnv_length", mnv_length},
          {"indel_length", indel_length},
          {"sv_length", sv_length},
          {"keep_filtered", keep_filtered},
          {"max_indel_length", max_indel_length},
          {"ref_mismatch", ref_mismatch_error ? "error" : "skip"},
          {"contig_map", contig_map},
          {"min_mapq", min_mapq},
          {"min_baseq", min_baseq},
          {"max_depth", read_filters().max_depth},
          {"personalise", personalise},
          {"germline_min_depth", germline_min_depth},
          {"germline_hom_fraction", germline_hom_fraction},
          {"germline_het_range", {germline_het_min, germline_het_max}},
          {"germline_phasing_min_reads", germline_phasing_min_reads},
          {"germline_phasing_agreement", germline_phasing_agreement},
          {"fasta_line_width", line_width},
          {"compression_level", compression_level}};
}

void WindowParams::validate() const {
  for (auto [name, length] : {std::pair{"--snv-length", snv_length}, std::pair{"--mnv-length", mnv_length},
                              std::pair{"--indel-length", indel_length}, std::pair{"--sv-length", sv_length}})
    if (length < 6) throw InputError(fmt::format("{} must be at least 6 (one 6-mer token), got {}", name, length));
  if (line_width < 0) throw InputError(fmt::format("--line-width must be 0 (one line) or more, got {}", line_width));
  if (compression_level < 0 || compression_level > 9)
    throw InputError(fmt::format("--compression-level must lie in 0-9, got {}", compression_level));
  if (germline_min_depth < 1)
    throw InputError(fmt::format("--germline-min-depth must be at least 1, got {}", germline_min_depth));
  if (!(germline_hom_fraction > 0 && germline_hom_fraction <= 1))
    throw InputError(fmt::format("--germline-hom-fraction must lie in (0, 1], got {}", germline_hom_fraction));
  // The het range must lie below the hom threshold, or one fraction would be both.
  if (!(germline_het_min > 0 && germline_het_min <= germline_het_max && germline_het_max < germline_hom_fraction))
    throw InputError(fmt::format("--germline-het-range {}-{} must satisfy 0 < LOW <= HIGH < --germline-hom-fraction "
                                 "({})", germline_het_min, germline_het_max, germline_hom_fraction));
}

ReadFilters WindowParams::read_filters() const {
  ReadFilters filters;
  filters.min_mapq = min_mapq;
  filters.min_baseq = min_baseq;
  return filters;
}

}  // namespace oncolm::genome
