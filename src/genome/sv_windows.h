// The SV junction windows of one sample: every junction of its sv_vcf (sv_reader.h, streamed in
// the order junctions complete) becomes three FASTA records, REF1 and REF2 (reference windows of
// --sv-length centred on breakend 1 and breakend 2, clipped at contig ends like small-variant
// windows) and ALT (the junction window of sv_junction.h, same length), and one row of the sample's
// sv_windows TSV (columns: core/file_contract.h). Memory is bounded by the BND records waiting for their mate.
// Internal to the genome library.
#pragma once
#include <string>

#include "genome/io/contigs.h"
#include "genome/io/window_files.h"
#include "genome/io/reference.h"
#include "genome/evidence/sample_evidence.h"
#include "genome/io/sample_sheet.h"
#include "genome/stats/window_stats.h"
#include "genome/window_params.h"

namespace oncolm {
class Progress;
}

namespace oncolm::genome {

// Writes the header and one row per junction (nothing more when the sample has no sv_vcf) and
// fills stats.sv; REF window bases changed by sanitising add to stats.reference_changes.
void write_sv_windows(const Sample& sample, Reference& reference, const ContigResolver& contigs,
                      const WindowParams& params, SampleEvidence& evidence, WindowFiles& out, SampleStats& stats,
                      Progress* progress);

}  // namespace oncolm::genome
