#include "core/windows_output.h"

#include <algorithm>
#include <fstream>
#include <iterator>
#include <set>
#include <vector>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "core/error.h"
#include "core/file_contract.h"
#include "core/paths.h"
#include "core/text.h"

namespace oncolm {
namespace {

bool is_sample_stats_file(const std::string& name) {
  const std::string suffix(contract::stats_suffix);
  return name.size() > suffix.size() && name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// The `stats` column of manifest.tsv: the sample stats files the merged cohort is made of.
std::set<std::string> listed_stats_files(const std::string& manifest) {
  std::ifstream in(manifest);
  std::string line;
  if (!in || !std::getline(in, line)) throw input_error(manifest, 0, "cannot read it, or it is empty");
  const std::vector<std::string> header = split_tabs(line);
  const auto column = std::find(header.begin(), header.end(), "stats");
  if (column == header.end()) throw input_error(manifest, 1, "no 'stats' column: not a manifest of `oncolm windows`");
  const std::size_t index = static_cast<std::size_t>(column - header.begin());
  std::set<std::string> listed;
  long number = 1;
  while (std::getline(in, line)) {
    ++number;
    if (line.empty()) continue;
    const std::vector<std::string> fields = split_tabs(line);
    if (fields.size() <= index) throw input_error(manifest, number, "{} fields, no 'stats' column", fields.size());
    listed.insert(file_name(fields[index]));
  }
  return listed;
}

}  // namespace

void check_finished_windows_output(const std::string& dir) {
  std::set<std::string> present;
  for (const std::string& name : list_directory(dir))
    if (is_sample_stats_file(name)) present.insert(name);
  if (present.empty()) return;
  for (std::string_view cohort_file : {contract::cohort_manifest_file, contract::cohort_stats_file})
    if (!path_exists(path_join(dir, std::string(cohort_file))))
      throw input_error(path_join(dir, std::string(cohort_file)), 0,
                        "missing: `oncolm windows` did not finish in {} (a failed or killed run, or `--sample` runs "
                        "not yet merged); rerun `oncolm windows`, or `oncolm windows merge -o {}` once every sample "
                        "is done",
                        dir, dir);
  const std::string manifest = path_join(dir, std::string(contract::cohort_manifest_file));
  const std::set<std::string> listed = listed_stats_files(manifest);
  std::vector<std::string> unlisted, missing;
  std::set_difference(present.begin(), present.end(), listed.begin(), listed.end(), std::back_inserter(unlisted));
  std::set_difference(listed.begin(), listed.end(), present.begin(), present.end(), std::back_inserter(missing));
  if (!unlisted.empty())
    throw input_error(manifest, 0,
                      "does not list {} sample(s) whose outputs are in {} (left by another run, perhaps with other "
                      "parameters): {}; remove their files, or run `oncolm windows merge -o {}` if they belong",
                      unlisted.size(), dir, fmt::join(unlisted, ", "), dir);
  if (!missing.empty())
    throw input_error(manifest, 0, "lists {} sample(s) whose stats file is missing from {}: {}", missing.size(), dir,
                      fmt::join(missing, ", "));
}

}  // namespace oncolm
