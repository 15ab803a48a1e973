// Helpers shared by the genome tests: a scratch directory per test, running the oncolm binary and
// the samtools/bcftools reference implementations, and reading (bgzip) text files.
#pragma once
#include <unistd.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <cctype>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <zlib.h>

namespace oncolm::test {

namespace fs = std::filesystem;

inline std::string data_dir() { return std::string(ONCOLM_TEST_DATA_DIR) + "/genome"; }
inline std::string data(const std::string& name) { return data_dir() + "/" + name; }
inline std::string reference() { return data("ref.fa.gz"); }
// Other test data folders (tests/data/<folder>/<name>).
inline std::string test_data(const std::string& folder, const std::string& name) {
  return std::string(ONCOLM_TEST_DATA_DIR) + "/" + folder + "/" + name;
}

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

// Records of a plain or bgzip FASTA: name -> sequence.
inline std::map<std::string, std::string> read_fasta(const std::string& path) {
  std::map<std::string, std::string> records;
  std::string* current = nullptr;
  for (const std::string& line : split(read_text(path), '\n')) {
    if (!line.empty() && line[0] == '>') {
      current = &records[line.substr(1)];
    } else if (current) {
      *current += line;
    }
  }
  return records;
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

inline nlohmann::json read_json(const std::string& path) { return nlohmann::json::parse(read_file(path)); }

// Data lines (not '#') of a plain or bgzip text file.
inline std::size_t data_lines(const std::string& path) {
  std::size_t n = 0;
  for (const auto& line : split(read_text(path), '\n')) n += !line.empty() && line[0] != '#';
  return n;
}

// Record names of a FASTA index, in file order.
inline std::vector<std::string> fai_names(const std::string& fai) {
  std::vector<std::string> names;
  for (const auto& line : split(read_file(fai), '\n'))
    if (!line.empty()) names.push_back(split(line, '\t')[0]);
  return names;
}

// One site of `bcftools mpileup -a AD`: the reference base, the alternative bases reads show
// (without <*>), and AD: REF first, then each of those alternatives, then <*> (all other bases).
struct MpileupSite {
  long pos = 0;
  std::string ref;
  std::vector<std::string> alts;
  std::vector<int> depths;
  int total_depth() const {
    int total = 0;
    for (int depth : depths) total += depth;
    return total;
  }
};

// The comparison command for read evidence: the given MAPQ/BQ thresholds, BAQ off (-B), no depth
// cap (-d 100000), orphan reads counted (-A), and the default skipped flags stated explicitly;
// indel sites left out.
inline std::vector<MpileupSite> bcftools_allele_depths(const std::string& bam, const std::string& fasta,
                                                       const std::string& region, int min_mapq, int min_baseq) {
  std::string command = "bcftools mpileup -f '" + fasta + "' -r " + region + " -a AD -B -d 100000 -q " +
                        std::to_string(min_mapq) + " -Q " + std::to_string(min_baseq) +
                        " -A --ns UNMAP,SECONDARY,QCFAIL,DUP '" + bam + "' 2>/dev/null | bcftools view -V indels" +
                        " 2>/dev/null | bcftools query -f '%POS\\t%REF\\t%ALT\\t[%AD]\\n'";
  std::vector<MpileupSite> sites;
  for (const std::string& line : split(run_command(command).out, '\n')) {
    std::vector<std::string> fields = split(line, '\t');
    if (fields.size() != 4) continue;
    MpileupSite site{std::stol(fields[0]), fields[1], {}, {}};
    std::vector<std::string> alts = split(fields[2], ',');
    std::vector<std::string> depths = split(fields[3], ',');
    site.depths.push_back(std::stoi(depths.at(0)));
    for (std::size_t i = 0; i < alts.size(); ++i) {
      if (alts[i] != "<*>") site.alts.push_back(alts[i]);
      site.depths.push_back(std::stoi(depths.at(i + 1)));
    }
    sites.push_back(site);
  }
  return sites;
}

// The bases column of one `samtools mpileup` line, read by read: on_base(read, c) for the read's
// base character (. , ACGTN acgtn, * for a deletion, < > for a reference skip), on_indel(read, key)
// for an indel after it ("-2" + deleted bases or "+2" + inserted bases, upper-cased).
template <typename OnBase, typename OnIndel>
void parse_pileup_bases(const std::string& bases, OnBase on_base, OnIndel on_indel) {
  int read = -1;
  for (std::size_t i = 0; i < bases.size(); ++i) {
    char c = bases[i];
    if (c == '^') { ++i; continue; }  // read start marker and its MAPQ character
    if (c == '$') continue;
    if (c == '+' || c == '-') {
      std::size_t digits = i + 1;
      while (std::isdigit(static_cast<unsigned char>(bases[digits]))) ++digits;
      std::size_t length = std::stoul(bases.substr(i + 1, digits - i - 1));
      std::string indel = bases.substr(digits, length);
      for (char& b : indel) b = static_cast<char>(std::toupper(static_cast<unsigned char>(b)));
      on_indel(read, c + std::to_string(length) + indel);
      i = digits + length - 1;
      continue;
    }
    on_base(++read, c);  // one base character per read
  }
}

// Indels following each base of a region as `samtools mpileup --output-QNAME` shows them (MAPQ >=
// 20, no base-quality filter): for every site and indel ("-2" + deleted bases or "+2" + inserted
// bases), the distinct read names.
inline std::map<std::pair<long, std::string>, std::set<std::string>> samtools_indel_reads(const std::string& bam,
                                                                                        const std::string& fasta,
                                                                                        const std::string& region) {
  std::string command = "samtools mpileup -f '" + fasta + "' -r " + region +
                        " -q 20 -Q 0 -B -A -d 100000 --ff UNMAP,SECONDARY,QCFAIL,DUP --output-QNAME '" + bam + "'";
  std::map<std::pair<long, std::string>, std::set<std::string>> reads;
  for (const std::string& line : split(run_command(command).out, '\n')) {
    std::vector<std::string> fields = split(line, '\t');
    if (fields.size() < 7) continue;
    long pos = std::stol(fields[1]);
    std::vector<std::string> names = split(fields[6], ',');
    parse_pileup_bases(
        fields[4], [](int, char) {},
        [&](int read, const std::string& key) { reads[{pos, key}].insert(names.at(static_cast<std::size_t>(read))); });
  }
  return reads;
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
