#include "report/figure.h"

#include <zlib.h>

#include <algorithm>
#include <sstream>

#include "core/error.h"
#include "core/text.h"

namespace oncolm::report {

namespace {

std::string cell_text(const nlohmann::json& value) {
  if (value.is_null()) return "";
  if (value.is_string()) return value.get<std::string>();
  return value.dump();
}

// The whole file through zlib, which reads plain and gzip (and bgzip) alike.
std::string read_gz_or_plain(const std::string& path) {
  gzFile file = gzopen(path.c_str(), "rb");
  if (file == nullptr) throw input_error(path, 0, "cannot open");
  std::string text;
  char buffer[1 << 16];
  int got = 0;
  while ((got = gzread(file, buffer, sizeof buffer)) > 0) text.append(buffer, static_cast<std::size_t>(got));
  int error = 0;
  const char* message = gzerror(file, &error);
  std::string reason = error < 0 ? message : "";
  gzclose(file);
  if (got < 0 || !reason.empty()) throw input_error(path, 0, "unreadable or truncated gzip stream: {}", reason);
  return text;
}

}  // namespace

std::string figure_tsv(const Figure& figure) {
  std::string out;
  for (std::size_t c = 0; c < figure.columns.size(); ++c) out += (c ? "\t" : "") + figure.columns[c];
  out += '\n';
  for (const auto& row : figure.rows) {
    for (std::size_t c = 0; c < figure.columns.size(); ++c) {
      auto cell = row.find(figure.columns[c]);
      out += (c ? "\t" : "") + (cell == row.end() ? std::string() : cell_text(*cell));
    }
    out += '\n';
  }
  return out;
}

std::size_t Table::column(const std::string& name) const {
  auto found = std::find(header.begin(), header.end(), name);
  if (found == header.end()) throw input_error(path, 1, "no column '{}' in the header", name);
  return static_cast<std::size_t>(found - header.begin());
}

bool Table::has_column(const std::string& name) const {
  return std::find(header.begin(), header.end(), name) != header.end();
}

Table read_table(const std::string& path) {
  Table table;
  table.path = path;
  std::istringstream lines(read_gz_or_plain(path));
  std::string line;
  std::size_t number = 0;
  while (std::getline(lines, line)) {
    ++number;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) continue;
    std::vector<std::string> cells = split_tabs(line);
    if (table.header.empty()) {
      table.header = std::move(cells);
      continue;
    }
    if (cells.size() != table.header.size())
      throw input_error(path, static_cast<long>(number), "has {} fields, the header {}", cells.size(),
                        table.header.size());
    table.rows.push_back(std::move(cells));
  }
  if (table.header.empty()) throw input_error(path, 0, "is empty (no header line)");
  return table;
}

}  // namespace oncolm::report
