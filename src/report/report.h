// `oncolm report`: one self-contained HTML file with the figures of whatever stage outputs exist
// (windows, embed, train, classify, score, breakpoints), each with its data as TSV and a caption
// naming where the numbers came from. The charts are Vega-Lite specs rendered by the vendored
// Vega runtime (third_party/vega), inlined into the file so it opens offline.
#pragma once
#include <string>
#include <vector>

namespace oncolm::report {

struct ReportOptions {
  std::vector<std::string> inputs;  // stage output directories, or directories holding them
  std::string output;               // the HTML file
  std::string data_dir;             // when set, every figure's data is also written there as <id>.tsv
  std::string png_dir;              // when set, every figure as <id>.png (rendered by headless Chromium)
  std::string title = "oncolm report";
  std::string vega_dir;             // the vendored runtime; empty: default_vega_dir()
  std::string command_line;
};

struct ReportSummary {
  std::vector<std::string> stages_found;    // "windows: DIR", ...
  std::vector<std::string> stages_missing;  // stages without outputs among the inputs
  std::vector<std::string> figure_ids;
};

// Finds the stage outputs, builds the figures and writes the HTML atomically. Throws InputError
// naming the file for an unreadable or malformed input, and std::invalid_argument when no input
// holds any stage output.
ReportSummary write_report(const ReportOptions& options);

// Where the vendored Vega runtime is: $ONCOLM_VEGA_DIR, else <executable>/../share/oncolm/vega,
// else the source tree's third_party/vega.
std::string default_vega_dir();

}  // namespace oncolm::report
