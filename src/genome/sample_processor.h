// One sample, streamed: its SNV and indel VCFs are merged in position order, each ALT allele is
// checked, normalised and classified, windows (with tumour/normal read evidence) are emitted
// through the VariantBuffer; then its sv_vcf is streamed into junction windows (sv_windows.h), and
// the outputs are committed atomically. Internal to the genome library (see windows_command.h).
#pragma once
#include <map>
#include <string>

#include "genome/io/hts_handles.h"
#include "genome/io/sample_sheet.h"
#include "genome/stats/window_stats.h"
#include "genome/window_params.h"

namespace oncolm {
class Progress;
}

namespace oncolm::genome {

struct SampleContext {
  std::string reference;
  std::string out_dir;
  WindowParams params;
  std::map<std::string, std::string> contig_map;
  Json provenance;  // version, git hash, command line, reference, checksum, parameters
};

SampleStats process_sample(const SampleSheet& sheet, const Sample& sample, const SampleContext& context,
                           hts_tpool* pool, Progress* progress);

}  // namespace oncolm::genome
