// The oncolm dispatcher: `oncolm <subcommand> [options]`. Subcommands exist when their
// dependencies were found at build time (see `oncolm --version`).
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "commands.h"
#include "core/version.h"
#include "oncolm/build_info.h"

namespace {

struct Subcommand {
  const char* name;
  const char* summary;
  int (*run)(int argc, char** argv);
};

const std::vector<Subcommand>& subcommands() {
  static const std::vector<Subcommand> table = {
#if ONCOLM_WITH_HTSLIB
      {"windows", "variant-centred REF/ALT windows from somatic VCFs", oncolm::cli::run_windows},
      {"breakpoints", "SV junctions: class, microhomology, insertions, mechanism", oncolm::cli::run_breakpoints},
#endif
#if ONCOLM_WITH_TORCH
      {"model", "inspect a Nucleotide Transformer checkpoint (model info DIR)", oncolm::cli::run_model},
      {"embed", "embeddings for every window or FASTA record", oncolm::cli::run_embed},
#endif
  };
  return table;
}

void print_usage(std::FILE* stream) {
  std::fprintf(stream,
               "oncolm %s: genomic foundation models for cancer genomes\n\n"
               "Usage: oncolm <command> [options]\n\nCommands:\n",
               oncolm::version_string().c_str());
  for (const auto& command : subcommands())
    std::fprintf(stream, "  %-10s %s\n", command.name, command.summary);
  std::fprintf(stream, "  %-10s %s\n\n", "version", "version, git hash and build features");
  std::fprintf(stream, "Run `oncolm <command>` without arguments for its options.\n");
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    print_usage(stderr);
    return 1;
  }
  std::string name = argv[1];
  if (name == "--version" || name == "version") {
    std::fputs(oncolm::version_text().c_str(), stdout);
    return 0;
  }
  if (name == "-h" || name == "--help" || name == "help") {
    print_usage(stdout);
    return 0;
  }
  for (const auto& command : subcommands())
    if (name == command.name) return command.run(argc - 1, argv + 1);
  std::fprintf(stderr, "oncolm: unknown command '%s'\n\n", name.c_str());
  print_usage(stderr);
  return 1;
}
