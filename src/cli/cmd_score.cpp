// `oncolm score --model DIR -o OUTDIR WINDOWS_DIR...`: zero-shot variant-effect scores for every small
// variant of `oncolm windows` output directories.
#include <cstdio>
#include <stdexcept>
#include <string>

#include "commands.h"
#include "common_options.h"
#include "score/score_command.h"
#include "score/supervised.h"

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
  app.add_option("--model", run.model_dir, "model directory with an MLM head (config.json, vocab.txt, weights)");
  app.add_option("WINDOWS_DIR", run.windows_dirs,
                 "`oncolm windows` output directories (none with --labels: evaluate the scores already in OUTDIR)");
  score::SupervisedOptions supervised;
  app.add_option("--labels", supervised.labels,
                 "supervised evaluation: a TSV with chrom, pos, ref, alt and a label column, or a ClinVar-style VCF "
                 "(CLNSIG); cross-validated logistic regression on the zero-shot scores, AUROC and AUPRC");
  app.add_option("--label-column", supervised.label_column, "the TSV's label column")->capture_default_str();
  app.add_option("--positive", supervised.positive, "the TSV label value of the positive class (default 1 for 0/1)");
  app.add_option("--folds", supervised.folds, "cross-validation folds (stratified)")->capture_default_str();
  app.add_option("--seed", supervised.seed, "seed of the fold assignment")->capture_default_str();
  app.add_option("--C", supervised.C, "logistic regression: inverse L2 strength (scikit-learn's C)")
      ->capture_default_str();
  app.add_option("--device", run.scorer.device, "cpu, cuda or cuda:N")->capture_default_str();
  app.add_option("--batch-tokens", run.scorer.batch_tokens, "padded tokens per batch (0 = 4096 CPU, 65536 CUDA)")
      ->check(non_negative_number);
  app.add_option("--max-windows", run.max_windows,
                 "score the first N small variants of each sample (0 = all; the "
                 "rest are counted as skipped)")
      ->check(non_negative_number);
  app.add_option("--max-tokens", run.max_tokens,
                 "cap on tokens per window including <cls> (0 = the model's "
                 "maximum); longer windows keep the tokens centred on the variant")
      ->check(non_negative_number);
  return run_subcommand(app, options, argc, argv, [&]() {
    run.out_dir = options.out;
    run.scorer.threads = options.threads;
    run.command_line = command_line(argc, argv);
    if (run.windows_dirs.empty() && supervised.labels.empty())
      throw std::invalid_argument("give WINDOWS_DIR... to score, or --labels FILE to evaluate the scores in -o OUTDIR");
    if (!run.windows_dirs.empty()) {
      if (run.model_dir.empty()) throw std::invalid_argument("--model is required to score windows");
      std::fputs(score::run_score(run).c_str(), stdout);
    }
    if (!supervised.labels.empty()) {
      supervised.command_line = run.command_line;
      std::fputs(score::run_supervised(run.out_dir, supervised).c_str(), stdout);
    }
    return 0;
  });
}

}  // namespace oncolm::cli
