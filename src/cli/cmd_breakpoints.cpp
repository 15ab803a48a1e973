// `oncolm breakpoints -o OUTDIR WINDOWS_DIR... [--reference REF]`
// The work is in the genome library (src/genome/breakpoints/breakpoints_command.h); this file maps
// options and prints the summary.
#include <cstdio>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "commands.h"
#include "common_options.h"
#include "genome/breakpoints/breakpoints_command.h"

namespace oncolm::cli {
namespace {

void print_summary(const genome::breakpoints::BreakpointsSummary& summary, const std::string& out_dir) {
  const auto& total = summary.total;
  std::string classes, mechanisms;
  for (const auto& [name, count] : total.by_class)
    if (count > 0) classes += fmt::format("{}{} {}", classes.empty() ? "" : ", ", name, count);
  for (const std::string& name : genome::breakpoints::mechanism_labels())
    mechanisms += fmt::format("{}{} {}", mechanisms.empty() ? "" : ", ", name, total.by_mechanism.at(name));
  std::string text = fmt::format("breakpoints: {} junction(s) in {} sample(s) -> {}\n", total.junctions,
                                 summary.samples.size(), out_dir);
  text += fmt::format("  class:     {}\n", classes.empty() ? "none" : classes);
  text += fmt::format("  mechanism: {}\n", mechanisms);
  text += fmt::format("  templated insertions: {}; homology reaching the end of the sequence: {}\n",
                      total.templated_insertions, total.homology_incomplete);
  text += fmt::format("  caller HOMLEN/HOMSEQ: {} of {} precise junctions without inserted bases agree\n",
                      total.caller_homology_agree, total.caller_homology_compared);
  if (summary.clustered) {
    std::string ratios;
    for (double ratio : summary.clusters.explained_variance_ratio)
      ratios += fmt::format("{}{:.3f}", ratios.empty() ? "" : " ", ratio);
    text += fmt::format("  clusters: {} junction(s) in {} clusters of sizes {} on {} PCs (variance explained {})\n",
                        summary.clusters.junctions, summary.clusters.sizes.size(),
                        fmt::join(summary.clusters.sizes, "/"), summary.clusters.components, ratios);
  }
  std::fputs(text.c_str(), stdout);
}

}  // namespace

int run_breakpoints(int argc, char** argv) {
  CLI::App app{
      "Per SV junction of `oncolm windows` outputs: class and size from the breakend orientations,\n"
      "exact microhomology (length and sequence), inserted and templated sequence, and a mechanism\n"
      "label. Writes <sample>.breakpoints.tsv per sample and breakpoints.json to OUTDIR.",
      "oncolm breakpoints"};
  CommonOptions options;
  genome::breakpoints::BreakpointsRun run;
  app.add_option("WINDOWS_DIR", run.windows_dirs, "`oncolm windows` output directories")->required();
  add_common_options(app, options, false, true);
  app.add_option("--reference", run.reference,
                 "Reference FASTA the windows were made with (optional): sequence from it instead of the "
                 "REF1/REF2 windows, and homology followed past the window ends");
  app.add_option("--min-microhomology", run.rules.min_microhomology,
                 "Shortest homology labelled microhomology_mediated (shorter: blunt)")
      ->capture_default_str();
  app.add_option("--max-microhomology", run.rules.max_microhomology,
                 "Longest homology labelled microhomology_mediated (longer: homology_mediated)")
      ->capture_default_str();
  app.add_option("--min-templated-length", run.rules.min_templated_length,
                 "Inserted sequences at least this long are searched for near both breakends")
      ->capture_default_str();
  app.add_option("--embeddings", run.embeddings_dir,
                 "`oncolm embed` output of these windows: the junctions' ALT-window embeddings are projected on "
                 "principal components and clustered by k-means (junction_clusters.tsv)");
  app.add_option("--components", run.components, "--embeddings: principal components kept")->capture_default_str();
  app.add_option("--clusters", run.clusters, "--embeddings: k of k-means")->capture_default_str();
  app.add_option("--seed", run.seed, "--embeddings: seed of the PCA start and the k-means++ starts")
      ->capture_default_str();
  return run_subcommand(app, options, argc, argv, [&]() {
    run.out_dir = options.out;
    run.command_line = command_line(argc, argv);
    print_summary(genome::breakpoints::run_breakpoints(run), run.out_dir);
    return 0;
  });
}

}  // namespace oncolm::cli
