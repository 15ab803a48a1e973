// `oncolm classify cv | fit | predict`: tumour type from a sample's somatic variants (features from
// `oncolm windows`, optionally `oncolm embed`, output; logistic regression or an MLP).
#include <cstdio>
#include <cstring>
#include <stdexcept>
#include <string>

#include "commands.h"
#include "common_options.h"
#include "downstream/classify.h"

namespace oncolm::cli {
namespace {

struct InputOptions {
  std::string features = "signature,density";
};

void add_input_options(CLI::App& app, downstream::ClassifyInputs& inputs, InputOptions& extra, bool with_features) {
  app.add_option("--windows", inputs.windows_dir, "`oncolm windows` output directory (manifest.tsv, per-sample files)")
      ->required();
  app.add_option("--embeddings", inputs.embeddings_dir,
                 "`oncolm embed` output directory of the same windows (needed for the embedding features)");
  if (with_features) {
    app.add_option("--features", extra.features, "feature sets, comma-separated: signature, density, embedding")
        ->capture_default_str();
    app.add_option("--reference", inputs.reference,
                   "FASTA with .fai (or the .fai) whose contigs make the density bins (default: the reference in "
                   "the windows directory's stats.json)");
    app.add_option("--bin-size", inputs.bin_size, "density bin size in bases")
        ->capture_default_str()
        ->check(positive_number);
  }
}

void add_training_options(CLI::App& app, downstream::TrainingOptions& options, std::string& classifiers) {
  app.add_option("--label", options.label, "label column of the sample sheet (windows manifest), e.g. "
                 "histology_abbreviation")->required();
  app.add_option("--min-class-size", options.min_class_size, "drop classes with fewer labelled samples (listed in "
                 "the output)")->capture_default_str();
  app.add_option("--classifier", classifiers, "logreg and/or mlp (cv: comma-separated; fit: one)")
      ->capture_default_str();
  app.add_option("--C", options.logreg.C, "logistic regression: inverse L2 strength (scikit-learn's C)")
      ->capture_default_str();
  app.add_option("--max-iter", options.logreg.max_iter, "logistic regression: L-BFGS iterations at most")
      ->capture_default_str();
  app.add_option("--hidden", options.mlp.hidden, "MLP: hidden units")->capture_default_str();
  app.add_option("--dropout", options.mlp.dropout, "MLP: dropout after the hidden layer")->capture_default_str();
  app.add_option("--epochs", options.mlp.epochs, "MLP: training epochs")->capture_default_str();
  app.add_option("--batch-size", options.mlp.batch_size, "MLP: minibatch size")->capture_default_str();
  app.add_option("--lr", options.mlp.learning_rate, "MLP: Adam learning rate")->capture_default_str();
  app.add_option("--weight-decay", options.mlp.weight_decay, "MLP: Adam weight decay")->capture_default_str();
}

std::vector<std::string> split_commas(const std::string& text) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  while (start <= text.size()) {
    std::size_t comma = text.find(',', start);
    if (comma == std::string::npos) comma = text.size();
    if (comma > start) parts.push_back(text.substr(start, comma - start));
    start = comma + 1;
  }
  return parts;
}

int run_cv(int argc, char** argv) {
  CLI::App app{"Cross-validated tumour-type classification: stratified k-fold grouped by donor (a donor's samples "
               "never split), features standardised inside each training fold. Writes OUTDIR/metrics.json, "
               "predictions.tsv, features.tsv, classify.json.",
               "oncolm classify cv"};
  CommonOptions common;
  add_common_options(app, common, false, true);
  downstream::CvOptions options;
  InputOptions extra;
  std::string classifiers = "logreg,mlp";
  bool no_shuffle = false;
  add_input_options(app, options.inputs, extra, true);
  add_training_options(app, options, classifiers);
  app.add_option("--folds", options.folds, "cross-validation folds")->capture_default_str();
  app.add_option("--seed", options.seed, "seed of the donor shuffle (and of the MLP: seed + fold)")
      ->capture_default_str();
  app.add_flag("--no-shuffle", no_shuffle,
               "donors in sorted order (scikit-learn's StratifiedGroupKFold(shuffle=False))");
  return run_subcommand(app, common, argc, argv, [&]() {
    options.inputs.sets = downstream::parse_feature_sets(extra.features);
    options.inputs.threads = common.threads;
    options.out_dir = common.out;
    options.classifiers = split_commas(classifiers);
    options.shuffle = !no_shuffle;
    options.mlp.seed = options.seed;
    options.command_line = command_line(argc + 1, argv - 1);  // argv[-1] is "classify"
    std::fputs(downstream::run_classify_cv(options).c_str(), stdout);
    return 0;
  });
}

int run_fit(int argc, char** argv) {
  CLI::App app{"Fits one classifier on every labelled sample and saves it to OUTDIR/model.json (with the feature "
               "names, scaler, density bins and embedding model it expects) for `oncolm classify predict`.",
               "oncolm classify fit"};
  CommonOptions common;
  add_common_options(app, common, false, true);
  downstream::TrainingOptions options;
  InputOptions extra;
  std::string classifiers = "logreg";
  add_input_options(app, options.inputs, extra, true);
  add_training_options(app, options, classifiers);
  app.add_option("--seed", options.mlp.seed, "MLP seed")->capture_default_str();
  return run_subcommand(app, common, argc, argv, [&]() {
    options.inputs.sets = downstream::parse_feature_sets(extra.features);
    options.inputs.threads = common.threads;
    options.out_dir = common.out;
    options.classifiers = split_commas(classifiers);
    options.command_line = command_line(argc + 1, argv - 1);  // argv[-1] is "classify"
    std::fputs(downstream::run_classify_fit(options).c_str(), stdout);
    return 0;
  });
}

int run_predict(int argc, char** argv) {
  CLI::App app{"Predicts the tumour type of every sample of a windows directory with a saved classifier. Writes "
               "OUTDIR/predictions.tsv, features.tsv, classify.json (and metrics.json when the manifest has the "
               "model's label column).",
               "oncolm classify predict"};
  CommonOptions common;
  add_common_options(app, common, false, true);
  downstream::PredictOptions options;
  InputOptions extra;
  app.add_option("--model", options.model_dir, "`oncolm classify fit` output directory")->required();
  add_input_options(app, options.inputs, extra, false);
  return run_subcommand(app, common, argc, argv, [&]() {
    options.inputs.threads = common.threads;
    options.out_dir = common.out;
    options.command_line = command_line(argc + 1, argv - 1);  // argv[-1] is "classify"
    std::fputs(downstream::run_classify_predict(options).c_str(), stdout);
    return 0;
  });
}

void usage(std::FILE* stream) {
  std::fputs("Usage: oncolm classify <cv|fit|predict> [options]\n"
             "  cv       cross-validated accuracy per feature set and classifier\n"
             "  fit      fit one classifier on all labelled samples, save it\n"
             "  predict  apply a saved classifier to a windows directory\n"
             "Run `oncolm classify <cv|fit|predict>` without arguments for its options.\n",
             stream);
}

}  // namespace

int run_classify(int argc, char** argv) {
  if (argc < 2) {
    usage(stderr);
    return 1;
  }
  std::string mode = argv[1];
  if (mode == "cv") return run_cv(argc - 1, argv + 1);
  if (mode == "fit") return run_fit(argc - 1, argv + 1);
  if (mode == "predict") return run_predict(argc - 1, argv + 1);
  if (mode == "-h" || mode == "--help") {
    usage(stdout);
    return 0;
  }
  std::fprintf(stderr, "oncolm classify: unknown mode '%s'\n", mode.c_str());
  usage(stderr);
  return 1;
}

}  // namespace oncolm::cli
