#include "common_options.h"

#include <cmath>
#include <stdexcept>

#include <cstdio>

#include "core/atomic_file.h"
#include "core/blas_kernels.h"
#include "core/error.h"
#include "core/log.h"
#include "core/progress.h"
#include "core/text.h"
#include "core/threads.h"

namespace oncolm::cli {
namespace {
Level parse_level(const std::string& name) {
  if (name == "error" || name == "quiet") return Level::error;
  if (name == "warning") return Level::warning;
  if (name == "debug") return Level::debug;
  return Level::info;
}
}  // namespace

void add_common_options(CLI::App& app, CommonOptions& options, bool with_reference, bool with_out) {
  app.add_option("-@,--threads", options.threads, "Worker threads (0 = all cores)")
      ->check(non_negative_number);
  app.add_option("--verbosity", options.verbosity, "error, warning, info or debug")
      ->check(CLI::IsMember({"quiet", "error", "warning", "info", "debug"}));
  if (with_reference)
    app.add_option("--reference", options.reference, "Reference FASTA (plain or bgzip, with .fai)")
        ->required();
  if (with_out) app.add_option("-o,--out", options.out, "Output directory")->required();
}

namespace {

CLI::Validator finite_number_at_least(double lowest, bool strictly, const std::string& description) {
  return CLI::Validator(
      [=](std::string& text) -> std::string {
        double value = 0;
        std::size_t used = 0;
        try {
          value = std::stod(text, &used);
        } catch (const std::exception&) {
          used = 0;
        }
        const bool number = used > 0 && used == text.size() && std::isfinite(value);
        if (number && (strictly ? value > lowest : value >= lowest)) return {};
        return "must be a number " + description + ", got '" + text + "'";
      },
      description);
}

}  // namespace

const CLI::Validator positive_number = finite_number_at_least(0, true, "> 0");
const CLI::Validator non_negative_number = finite_number_at_least(0, false, ">= 0");

int run_subcommand(CLI::App& app, CommonOptions& options, int argc, char** argv,
                   const std::function<int()>& body) {
  if (argc <= 1) {
    std::fputs(app.help().c_str(), stderr);
    return 1;
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    // --help gives 0; a bad option or value exits 1 as bad input does (CLI11's own codes, 105-109,
    // would say nothing more to a shell or a workflow engine than "failed").
    return app.exit(error) == 0 ? 0 : 1;
  }
  Level level = parse_level(options.verbosity);
  set_verbosity(level);
  Progress::set_enabled(level >= Level::info);
  options.threads = resolve_thread_count(options.threads);
  if (std::string kernels = blas_kernels_description(); !kernels.empty())
    log(Level::info, "OpenBLAS kernels: {}; OpenMP wait policy: {}", kernels, openmp_wait_description());
  remove_temporary_files_on_signal();  // Ctrl-C or a scheduler's SIGTERM leaves no <output>.tmp.<pid>
  try {
    return body();
  } catch (const InputError& error) {
    log(Level::error, "{}", error.what());
  } catch (const std::exception& error) {
    log(Level::error, "{}", error.what());
  }
  return 1;
}

std::string command_line(int argc, char** argv) {
  std::string text = "oncolm";
  for (int i = 0; i < argc; ++i) {
    std::string arg = argv[i];
    bool plain = !arg.empty() && arg.find_first_of(" \t\n'\"\\$`*?[]{}();&|<>~#!") == std::string::npos;
    if (plain) {
      text += " " + arg;
      continue;
    }
    text += " " + shell_quote(arg);
  }
  return text;
}

}  // namespace oncolm::cli
