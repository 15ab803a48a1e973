// `oncolm score`: zero-shot variant-effect scores for every small variant (SNV, MNV, indel) of
// `oncolm windows` output directories, from an NT masked-language model. Torch-free header.
//
// Per sample, in OUTDIR: <safe_id>.scores.tsv, one row per small variant of its windows TSV, in that
// order (contract::score_key_columns, then contract::score_value_columns; '.' for a variant whose
// changed tokens do not fit in --max-tokens); and for the run score.json (provenance: version, git
// hash, command, model checksum, compute, the definitions, per sample its sample_id, files and
// counts, skipped variants by reason, mean llr per type). SV junctions are counted as skipped
// (reason sv_junction): they have no single REF/ALT token pair to compare. score/variant_scorer.h
// and score/variant_tokens.h define every value. Every file is written under a temporary name and
// renamed when complete.
#pragma once
#include <cstddef>
#include <string>
#include <vector>

#include "score/variant_scorer.h"

namespace oncolm::score {

struct ScoreOptions {
  std::string model_dir;
  std::string out_dir;
  std::vector<std::string> windows_dirs;
  ScorerOptions scorer;
  int max_tokens = 0;                // tokens per window including <cls>; 0 = the model's maximum
  std::size_t max_windows = 0;       // small variants scored per sample (the first N); 0 = all
  std::size_t chunk_variants = 512;  // variants read and scored at a time (bounds memory)
  std::string command_line;          // for score.json
};

// Runs the whole command; returns the summary printed on stdout (variants scored, skipped by reason,
// mean llr per type). Throws InputError for bad inputs (naming the file), std::invalid_argument for
// bad options.
std::string run_score(const ScoreOptions& options);

}  // namespace oncolm::score
