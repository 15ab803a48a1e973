#include "genome/io/contigs.h"

#include <fstream>
#include <sstream>
#include <vector>

#include "core/error.h"

namespace oncolm::genome {

std::string alias_of(const std::string& name) {
  if (name == "chrM") return "MT";
  if (name == "MT") return "chrM";
  if (name.rfind("chr", 0) == 0) return name.substr(3);
  return "chr" + name;
}

std::map<std::string, std::string> read_contig_map(const std::string& path, const Reference& reference) {
  std::ifstream in(path);
  if (!in) throw input_error(path, 0, "cannot read contig map (missing or unreadable)");
  std::map<std::string, std::string> map;
  std::string line;
  for (long number = 1; std::getline(in, line); ++number) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty() || line[0] == '#') continue;
    std::istringstream fields(line);
    std::string from, to, extra;
    if (!(fields >> from >> to) || (fields >> extra))
      throw input_error(path, number, "expected two columns (VCF contig, reference contig), got '{}'", line);
    if (reference.find(to) < 0)
      throw input_error(path, number, "contig '{}' is not in the reference {}", to, reference.path());
    if (!map.emplace(from, to).second)
      throw input_error(path, number, "contig '{}' is mapped twice", from);
  }
  return map;
}

ContigMatch ContigResolver::resolve(const std::string& vcf_name, std::int64_t declared_length,
                                    const std::string& file) const {
  auto check_length = [&](int contig, const std::string& how) {
    std::int64_t length = reference_.length(contig);
    if (declared_length > 0 && declared_length != length)
      throw input_error(file, 0,
                        "##contig {} has length {} but reference contig {} ({}) has length {}: "
                        "the calls are on another assembly",
                        vcf_name, declared_length, reference_.contigs()[contig].name, how, length);
    return ContigMatch{contig, how};
  };
  auto mapped = map_.find(vcf_name);
  if (mapped != map_.end()) return check_length(reference_.find(mapped->second), "--contig-map");
  int exact = reference_.find(vcf_name);
  if (exact >= 0) return check_length(exact, "same name");

  std::string alias = alias_of(vcf_name);
  int other = reference_.find(alias);
  if (other < 0) return {-1, "not in the reference"};
  std::int64_t length = reference_.length(other);
  if (declared_length == 0)
    return {-1, "not in the reference; " + alias + " is, but the VCF declares no length for " + vcf_name +
                    " to confirm they are the same (use --contig-map)"};
  if (declared_length != length)
    return {-1, "not in the reference; " + alias + " is, but with another length (" +
                    std::to_string(declared_length) + " vs " + std::to_string(length) + " bp)"};
  return {other, "renamed to " + alias + " (same length)"};
}

}  // namespace oncolm::genome
