// A report figure: a Vega-Lite spec, the rows it draws (which are also its downloadable TSV), and
// a caption saying where the numbers came from.
#pragma once
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace oncolm::report {

struct Figure {
  std::string id;       // HTML id and TSV file stem: [a-z0-9_]
  std::string section;  // heading it is listed under
  std::string title;
  std::string caption;
  nlohmann::json spec;  // Vega-Lite, without "data" (the values are attached when rendering)
  std::vector<std::string> columns;  // TSV column order
  nlohmann::json rows = nlohmann::json::array();  // one object per row, keys = columns
};

// The figure's rows as TSV with a header line (numbers as JSON writes them).
std::string figure_tsv(const Figure& figure);

// A plain-text table read from TSV (plain or gzip): header and rows of cells.
struct Table {
  std::string path;
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows;
  // Index of `name` in the header; throws InputError naming the file when the column is absent.
  std::size_t column(const std::string& name) const;
  bool has_column(const std::string& name) const;
};
Table read_table(const std::string& path);

}  // namespace oncolm::report
