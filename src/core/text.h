// Small text helpers shared by the TSV readers (sample sheet, BEDPE, windows manifests).
#pragma once
#include <string>
#include <vector>

namespace oncolm {

// Fields of one tab-separated line; empty fields (also a trailing one) are kept, so an empty cell
// stays a cell.
std::vector<std::string> split_tabs(const std::string& line);

}  // namespace oncolm
