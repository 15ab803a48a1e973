#include "genome/io/sample_sheet.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <fstream>
#include <map>

#include "core/error.h"
#include "core/paths.h"
#include "core/text.h"

namespace oncolm::genome {
namespace {

const std::array<const char*, 7> required_columns = {"sample_id", "donor_id", "tumour_bam", "normal_bam",
                                                     "snv_vcf", "indel_vcf", "sv_vcf"};


std::string resolve_path(const std::string& sheet, const std::string& cell) {
  if (cell.empty()) return "";
  return normalise_path(cell[0] == '/' ? cell : path_join(parent_directory(sheet), cell));
}

}  // namespace

SampleSheet read_sample_sheet(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw input_error(path, 0, "cannot read sample sheet (missing or unreadable)");
  SampleSheet sheet;
  sheet.path = path;
  std::string line;
  long number = 0;
  std::vector<std::string> header;
  std::map<std::string, long> seen_ids, seen_safe_ids;
  while (std::getline(in, line)) {
    ++number;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) continue;
    std::vector<std::string> cells = split_tabs(line);
    if (header.empty()) {
      header = cells;
      // A second column of the same name would silently override the first (its VCF, its id).
      for (std::size_t i = 0; i < header.size(); ++i)
        if (std::find(header.begin(), header.begin() + static_cast<long>(i), header[i]) != header.begin() + static_cast<long>(i))
          throw input_error(path, number, "column '{}' appears twice in the header", header[i]);
      std::string missing;
      for (const char* column : required_columns)
        if (std::find(header.begin(), header.end(), column) == header.end())
          missing += (missing.empty() ? "" : ", ") + std::string(column);
      if (!missing.empty())
        throw input_error(path, number, "sample sheet header lacks required column(s): {}", missing);
      for (const auto& column : header)
        if (std::find(required_columns.begin(), required_columns.end(), column) == required_columns.end())
          sheet.label_columns.push_back(column);
      continue;
    }
    if (cells.size() != header.size())
      throw input_error(path, number, "expected {} tab-separated cells as in the header, found {}", header.size(),
                        cells.size());
    Sample sample;
    sample.row = static_cast<int>(sheet.samples.size());
    sample.line = number;
    for (std::size_t i = 0; i < header.size(); ++i) {
      const std::string& column = header[i];
      const std::string& cell = cells[i];
      if (column == "sample_id") sample.id = cell;
      else if (column == "donor_id") sample.donor_id = cell;
      else if (column == "tumour_bam") sample.tumour_bam = resolve_path(path, cell);
      else if (column == "normal_bam") sample.normal_bam = resolve_path(path, cell);
      else if (column == "snv_vcf") sample.snv_vcf = resolve_path(path, cell);
      else if (column == "indel_vcf") sample.indel_vcf = resolve_path(path, cell);
      else if (column == "sv_vcf") sample.sv_vcf = resolve_path(path, cell);
      else sample.labels.emplace_back(column, cell);
    }
    if (sample.id.empty()) throw input_error(path, number, "empty sample_id");
    // Every later stage groups by donor (train/validation split, cross-validation folds).
    if (sample.donor_id.empty() || sample.donor_id == ".")
      throw input_error(path, number, "sample '{}' has no donor_id (give the donor; a sample of its own donor may "
                        "repeat its sample_id)", sample.id);
    sample.safe_id = safe_name(sample.id);
    if (auto it = seen_ids.find(sample.id); it != seen_ids.end())
      throw input_error(path, number, "duplicated sample_id '{}' (first on line {})", sample.id, it->second);
    if (auto it = seen_safe_ids.find(sample.safe_id); it != seen_safe_ids.end())
      throw input_error(path, number, "sample_id '{}' gives the same file name '{}' as the sample on line {}",
                        sample.id, sample.safe_id, it->second);
    seen_ids.emplace(sample.id, number);
    seen_safe_ids.emplace(sample.safe_id, number);
    sheet.samples.push_back(std::move(sample));
  }
  if (header.empty()) throw input_error(path, 0, "empty sample sheet (no header line)");
  if (sheet.samples.empty()) throw input_error(path, 0, "no samples (a header line only)");
  return sheet;
}

void check_sample_files(const SampleSheet& sheet, const Sample& sample) {
  const std::pair<const char*, const std::string*> files[] = {
      {"tumour_bam", &sample.tumour_bam}, {"normal_bam", &sample.normal_bam}, {"snv_vcf", &sample.snv_vcf},
      {"indel_vcf", &sample.indel_vcf},   {"sv_vcf", &sample.sv_vcf}};
  for (const auto& [column, file] : files) {
    if (file->empty()) continue;
    struct stat status {};
    if (::stat(file->c_str(), &status) == 0 && S_ISDIR(status.st_mode))
      throw input_error(sheet.path, sample.line, "sample {}: {} {} is a directory, not a file (leave the cell empty "
                        "when the sample has none)", sample.id, column, *file);
    if (::access(file->c_str(), R_OK) != 0)
      throw input_error(sheet.path, sample.line, "sample {}: {} file {} does not exist or cannot be read", sample.id,
                        column, *file);
  }
}

const Sample& find_sample(const SampleSheet& sheet, const std::string& id) {
  for (const auto& sample : sheet.samples)
    if (sample.id == id) return sample;
  throw input_error(sheet.path, 0, "no sample '{}' in the sample sheet", id);
}

}  // namespace oncolm::genome
