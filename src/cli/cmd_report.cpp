// `oncolm report`: one self-contained HTML file from whatever stage outputs exist.
#include <cstdio>
#include <string>
#include <vector>

#include "commands.h"
#include "common_options.h"
#include "report/report.h"

namespace oncolm::cli {

int run_report(int argc, char** argv) {
  CLI::App app{
      "One self-contained HTML report (offline: the Vega-Lite runtime is inlined) with the figures of the stage "
      "outputs found in the given directories or the directories in them: windows (cohort labels, window and "
      "indel lengths, 6-mers, base composition), train (losses, accuracy, learning rate), embed (PCA), classify "
      "cv (accuracy, confusion matrix), score (LLR distribution) and breakpoints (classes, sizes, microhomology). "
      "Every figure has its data as TSV and a caption naming its source.",
      "oncolm report"};
  CommonOptions common;
  report::ReportOptions options;
  app.add_option("RESULTS_DIR", options.inputs, "stage output directories, or a directory holding them (e.g. out/demo)")
      ->required();
  app.add_option("-o,--out,--output", options.output, "the HTML file to write")->required();
  app.add_option("--data-dir", options.data_dir, "also write every figure's data as <figure>.tsv into this directory");
  app.add_option("--png-dir", options.png_dir,
                 "also write every figure as <figure>.png (2x scale) into this directory, for a paper; renders the "
                 "report in headless Chromium (Debian's chromium)");
  app.add_option("--title", options.title, "the report's title")->capture_default_str();
  app.add_option("--vega-dir", options.vega_dir,
                 "directory with vega.min.js, vega-lite.min.js and vega-embed.min.js (default: the vendored copy)");
  add_common_options(app, common, false, false);
  return run_subcommand(app, common, argc, argv, [&]() {
    options.command_line = command_line(argc, argv);
    report::ReportSummary summary = report::write_report(options);
    std::printf("oncolm report: %zu figures in %s\n", summary.figure_ids.size(), options.output.c_str());
    for (const auto& stage : summary.stages_found) std::printf("  found %s\n", stage.c_str());
    for (const auto& stage : summary.stages_missing) std::printf("  no outputs of %s among the inputs\n", stage.c_str());
    return 0;
  });
}

}  // namespace oncolm::cli
