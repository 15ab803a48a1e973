// Options every subcommand shares (as samtools injects --threads/--reference into each), and the
// one place that turns exceptions into messages and exit codes.
#pragma once
#include <functional>
#include <string>

#include <CLI/CLI.hpp>

namespace oncolm::cli {

struct CommonOptions {
  int threads = 0;          // 0 = all cores
  std::string reference;    // FASTA (plain or bgzip) with .fai
  std::string out;          // output directory
  std::string verbosity = "info";
};

// Option checks with short messages ("must be a number > 0, got nan"): CLI's PositiveNumber and
// NonNegativeNumber print the whole double range and let NaN and inf through.
extern const CLI::Validator positive_number;
extern const CLI::Validator non_negative_number;

// Adds --threads, --verbosity, and where the subcommand uses them --reference and -o/--out.
void add_common_options(CLI::App& app, CommonOptions& options, bool with_reference, bool with_out);

// Parses argv, prints usage when the subcommand got no arguments, applies verbosity and thread
// settings, runs `body`, and maps errors to exit codes (1: bad input or failure).
int run_subcommand(CLI::App& app, CommonOptions& options, int argc, char** argv,
                   const std::function<int()>& body);

// "oncolm" and the subcommand's argv as a POSIX shell would take them back: arguments with spaces or
// shell characters single-quoted (a ' inside as '\''). Every provenance JSON records this.
std::string command_line(int argc, char** argv);

}  // namespace oncolm::cli
