// Whether a directory of `oncolm windows` output is a finished cohort, for the stages that read it.
#pragma once
#include <string>

namespace oncolm {

// Throws InputError unless `dir`, when it holds `oncolm windows` sample outputs (<safe_id>.stats.json),
// is a finished cohort: manifest.tsv and stats.json present (a killed run, or `--sample` runs not
// yet merged, have neither) and its sample stats files exactly those manifest.tsv lists (others
// are left by another run, perhaps with other parameters). A directory without sample stats files
// is not windows output; the caller decides what it is.
void check_finished_windows_output(const std::string& dir);

}  // namespace oncolm
