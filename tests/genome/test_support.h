// Helpers shared by the genome tests: a scratch directory per test, running the oncolm binary and
// the samtools/bcftools reference implementations, and reading (bgzip) text files.
#pragma once
#include <unistd.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <zlib.h>

namespace oncolm::test {

namespace fs = std::filesystem;

inline std::string data_dir() { return std::string(ONCOLM_TEST_DATA_DIR) + "/genome"; }
inline std::string data(const std::string& name) { return data_dir() + "/" + name; }
inline std::string reference() { return data("ref.fa.gz"); }

// A fresh directory named after the running test, removed when the test ends.
class ScratchDir {
 public:
  ScratchDir() {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    path_ = fs::temp_directory_path() /
            ("oncolm_genome_" + std::to_string(::getpid()) + "_" + info->test_suite_name() + "_" + info->name());
    fs::remove_all(path_);
    fs::create_directories(path_);
  }
  ~ScratchDir() { fs::remove_all(path_); }
  std::string operator/(const std::string& name) const { return (path_ / name).string(); }
  std::string str() const { return path_.string(); }

 private:
  fs::path path_;
};

struct CommandResult {
  int status = -1;
  std::string out;
  std::string err;
};

inline std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

inline void write_file(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text;
}

// Runs a shell command; stdout and stderr are captured through files.
inline CommandResult run_command(const std::string& command) {
  static int counter = 0;
  std::string base = (fs::temp_directory_path() / ("oncolm_cmd_" + std::to_string(::getpid()) + "_" +
                                                    std::to_string(counter++))).string();
  int raw = std::system((command + " >" + base + ".out 2>" + base + ".err").c_str());
  CommandResult result;
  result.status = WIFEXITED(raw) ? WEXITSTATUS(raw) : -1;
  result.out = read_file(base + ".out");
  result.err = read_file(base + ".err");
  fs::remove(base + ".out");
  fs::remove(base + ".err");
  return result;
}

inline CommandResult run_oncolm(const std::string& arguments) {
  return run_command(std::string("'") + ONCOLM_BINARY + "' " + arguments);
}

// Text of a plain or gzip/bgzip file.
inline std::string read_text(const std::string& path) {
  gzFile file = gzopen(path.c_str(), "rb");
  if (!file) return "";
  std::string text;
  std::array<char, 65536> buffer;
  int got;
  while ((got = gzread(file, buffer.data(), static_cast<unsigned>(buffer.size()))) > 0) text.append(buffer.data(), got);
  gzclose(file);
  return text;
}

inline std::vector<std::string> split(const std::string& text, char separator) {
  std::vector<std::string> parts;
  std::string part;
  std::istringstream in(text);
  while (std::getline(in, part, separator)) parts.push_back(part);
  if (!text.empty() && text.back() == separator && separator != '\n') parts.emplace_back();
  return parts;
}

// Rows of a TSV as column-name -> value maps.
inline std::vector<std::map<std::string, std::string>> read_tsv(const std::string& path) {
  std::vector<std::string> lines = split(read_text(path), '\n');
  std::vector<std::map<std::string, std::string>> rows;
  if (lines.empty()) return rows;
  std::vector<std::string> header = split(lines[0], '\t');
  for (std::size_t i = 1; i < lines.size(); ++i) {
    std::vector<std::string> cells = split(lines[i], '\t');
    std::map<std::string, std::string> row;
    for (std::size_t c = 0; c < header.size() && c < cells.size(); ++c) row[header[c]] = cells[c];
    rows.push_back(row);
  }
  return rows;
}

// Sequence of `region` (a region or record name) from an indexed FASTA, by samtools faidx.
inline std::string samtools_faidx(const std::string& fasta, const std::string& region) {
  CommandResult result = run_command("samtools faidx '" + fasta + "' '" + region + "'");
  std::vector<std::string> lines = split(result.out, '\n');
  std::string sequence;
  for (std::size_t i = 1; i < lines.size(); ++i) sequence += lines[i];
  return sequence;
}

// `samtools faidx REF chrom:start-end | bcftools consensus` with one variant.
inline std::string bcftools_consensus(const std::string& dir, const std::string& chrom, long start, long end,
                                      long pos, const std::string& ref, const std::string& alt) {
  std::string vcf = dir + "/consensus_one.vcf";
  write_file(vcf, "##fileformat=VCFv4.2\n##contig=<ID=" + chrom + ">\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n" +
                      chrom + "\t" + std::to_string(pos) + "\t.\t" + ref + "\t" + alt + "\t.\t.\t.\n");
  run_command("bgzip -f '" + vcf + "' && tabix -f '" + vcf + ".gz'");
  CommandResult result = run_command("samtools faidx '" + reference() + "' " + chrom + ":" + std::to_string(start) +
                                     "-" + std::to_string(end) + " | bcftools consensus -f - '" + vcf + ".gz'");
  std::vector<std::string> lines = split(result.out, '\n');
  std::string sequence;
  for (std::size_t i = 1; i < lines.size(); ++i) sequence += lines[i];
  return sequence;
}

}  // namespace oncolm::test
