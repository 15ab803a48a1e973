// Small text helpers shared by the TSV readers (sample sheet, BEDPE, windows manifests) and the
// commands that quote a path or argument for a POSIX shell.
#pragma once
#include <string>
#include <vector>

namespace oncolm {

// Fields of one tab-separated line; empty fields (also a trailing one) are kept, so an empty cell
// stays a cell.
std::vector<std::string> split_tabs(const std::string& line);

// `text` as one word for a POSIX shell: in single quotes, each ' written as '\''.
std::string shell_quote(const std::string& text);

}  // namespace oncolm
