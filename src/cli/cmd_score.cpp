// `oncolm score --model DIR -o OUTDIR WINDOWS_DIR...`: zero-shot variant-effect scores for every small
// variant of `oncolm windows` output directories.
#include <cstdio>
#include <stdexcept>
#include <string>

#include "commands.h"
#include "common_options.h"
#include "score/score_command.h"

namespace oncolm::cli {

int run_score(int argc, char** argv) {
  CLI::App app{
      "Zero-shot variant-effect scores with a Nucleotide Transformer masked-language model: per small "
      "variant (SNV, MNV, indel) the log-likelihood ratio of its ALT and REF tokens, each masked in its "
      "own window and averaged over both strands, and REF-ALT embedding distances. Writes "
      "OUTDIR/<sample>.scores.tsv (pandas.read_csv(path, sep='\\t', na_values='.')) and "
      "OUTDIR/score.json. SV junctions are counted as skipped.",
      "oncolm score"};
  CommonOptions options;
  add_common_options(app, options, false, true);
  score::ScoreOptions run;
  app.add_option("--model", run.model_dir, "model directory with an MLM head (config.json, vocab.txt, weights)")
      ->required();
  app.add_option("WINDOWS_DIR", run.windows_dirs, "`oncolm windows` output directories")->required();
  app.add_option("--device", run.scorer.device, "cpu, cuda or cuda:N")->capture_default_str();
  app.add_option("--batch-tokens", run.scorer.batch_tokens, "padded tokens per batch (0 = 4096 CPU, 65536 CUDA)")
      ->check(CLI::NonNegativeNumber);
  app.add_option("--max-windows", run.max_windows,
                 "score the first N small variants of each sample (0 = all; the "
                 "rest are counted as skipped)")
      ->check(CLI::NonNegativeNumber);
  app.add_option("--max-tokens", run.max_tokens,
                 "cap on tokens per window including <cls> (0 = the model's "
                 "maximum); longer windows keep the tokens centred on the variant")
      ->check(CLI::NonNegativeNumber);
  return run_subcommand(app, options, argc, argv, [&]() {
    run.out_dir = options.out;
    run.scorer.threads = options.threads;
    run.command_line = command_line(argc, argv);
    std::fputs(score::run_score(run).c_str(), stdout);
    return 0;
  });
}

}  // namespace oncolm::cli
