// The oncolm dispatcher: `oncolm <subcommand> [options]`. Two executables are built from this file:
//   oncolm        the commands that need no LibTorch (windows, breakpoints); it hands every other
//                 command to oncolm-torch in its own directory (exec, same arguments), so that
//                 `oncolm windows` never maps LibTorch (~150 MiB, and a tenth of a short run spent
//                 resolving its symbols);
//   oncolm-torch  the commands that run the network (ONCOLM_TORCH_PROGRAM); it first selects the
//                 OpenBLAS kernels that match the CPU (core/blas_kernels.h).
// Subcommands exist when their dependencies were found at build time (see `oncolm --version`).
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "commands.h"
#include "core/blas_kernels.h"
#include "core/version.h"
#include "oncolm/build_info.h"

namespace {

#ifdef ONCOLM_TORCH_PROGRAM
#define ONCOLM_TORCH_COMMAND(function) function
#else
#define ONCOLM_TORCH_COMMAND(function) nullptr
#endif

struct Subcommand {
  const char* name;
  const char* summary;
  int (*run)(int argc, char** argv);  // nullptr: runs in oncolm-torch
};

const std::vector<Subcommand>& subcommands() {
  static const std::vector<Subcommand> table = {
#if ONCOLM_WITH_HTSLIB && !defined(ONCOLM_TORCH_PROGRAM)
      {"windows", "variant-centred REF/ALT windows from somatic VCFs", oncolm::cli::run_windows},
      {"breakpoints", "SV junctions: class, microhomology, insertions, mechanism", oncolm::cli::run_breakpoints},
#endif
#if ONCOLM_WITH_TORCH
      {"model", "inspect a Nucleotide Transformer checkpoint (model info DIR)",
       ONCOLM_TORCH_COMMAND(oncolm::cli::run_model)},
      {"embed", "embeddings for every window or FASTA record", ONCOLM_TORCH_COMMAND(oncolm::cli::run_embed)},
      {"classify", "tumour type from somatic variants (cv, fit, predict)",
       ONCOLM_TORCH_COMMAND(oncolm::cli::run_classify)},
      {"score", "zero-shot variant-effect scores (masked-token log-likelihood ratio, REF-ALT distances)",
       ONCOLM_TORCH_COMMAND(oncolm::cli::run_score)},
      {"train", "fine-tune NT by masked language modelling and tumour-normal contrast",
       ONCOLM_TORCH_COMMAND(oncolm::cli::run_train)},
      {"report", "one offline HTML report with the figures of every stage's outputs",
       ONCOLM_TORCH_COMMAND(oncolm::cli::run_report)},
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
    std::fprintf(stream, "  %-12s %s\n", command.name, command.summary);
  std::fprintf(stream, "  %-12s %s\n\n", "version", "version, git hash and build features");
  std::fprintf(stream, "Run `oncolm <command>` without arguments for its options.\n");
}

// oncolm-torch beside this executable (both are installed together).
std::string torch_program() {
  char path[PATH_MAX];
  ssize_t length = ::readlink("/proc/self/exe", path, sizeof path - 1);
  if (length <= 0) return "oncolm-torch";
  std::string self(path, static_cast<std::size_t>(length));
  return self.substr(0, self.rfind('/') + 1) + "oncolm-torch";
}

int run_in_torch_program(char** argv) {
  std::string program = torch_program();
  oncolm::prefer_passive_openmp_waits();  // before oncolm-torch loads the OpenMP runtime
  ::execv(program.c_str(), argv);
  std::fprintf(stderr, "oncolm: cannot run %s (%s): the commands that use LibTorch live there; it is built "
               "with oncolm when LibTorch is found\n", program.c_str(), std::strerror(errno));
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
#ifdef ONCOLM_TORCH_PROGRAM
  oncolm::select_blas_kernels(argv);
#endif
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
    if (name == command.name) return command.run ? command.run(argc - 1, argv + 1) : run_in_torch_program(argv);
  std::fprintf(stderr, "oncolm: unknown command '%s'\n\n", name.c_str());
  print_usage(stderr);
  return 1;
}
