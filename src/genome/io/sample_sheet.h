// The cohort's sample sheet: a TSV with the header
//   sample_id donor_id tumour_bam normal_bam snv_vcf indel_vcf sv_vcf [label columns...]
// Paths are relative to the sheet's directory; empty cells mean "no such file".
#pragma once
#include <string>
#include <utility>
#include <vector>

#include "core/file_contract.h"

namespace oncolm::genome {

struct Sample {
  std::string id;
  std::string safe_id;  // file-name form of id: contract::safe_name
  std::string donor_id;
  std::string tumour_bam, normal_bam;      // BAM/CRAM (indexed): resolved paths, or ""
  std::string snv_vcf, indel_vcf, sv_vcf;  // resolved paths, or ""
  std::vector<std::pair<std::string, std::string>> labels;  // label columns in sheet order
  int row = 0;    // 0-based data row
  long line = 0;  // line in the sheet
};

struct SampleSheet {
  std::string path;
  std::vector<std::string> label_columns;
  std::vector<Sample> samples;
};

// Throws InputError naming the sheet (and line) for: unreadable sheet, missing required columns,
// rows with the wrong number of cells, empty or duplicated sample ids (also ids that become equal
// once made file-safe). Files are checked per sample (check_sample_files), so that a job for one
// sample does not fail on another sample's missing file.
SampleSheet read_sample_sheet(const std::string& path);

// Throws InputError naming the sheet line when one of the sample's VCFs or BAMs is missing or
// unreadable (a BAM's index is checked when it is opened).
void check_sample_files(const SampleSheet& sheet, const Sample& sample);

// The sample-id-to-file-name rule (core/file_contract.h).
using contract::safe_name;

// The sample with this id; throws InputError naming the sheet when there is none.
const Sample& find_sample(const SampleSheet& sheet, const std::string& id);

}  // namespace oncolm::genome
