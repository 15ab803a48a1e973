// End-to-end check of `oncolm windows` on the example cohort (examples/) against samtools and bcftools.
//
// For every SNV, MNV and indel row of every sample:
//  - the REF window equals `samtools faidx REF chrom:window_start-window_end` (upper-cased);
//  - the ALT window equals `samtools faidx REF chrom:alt_window_start-alt_window_end |
//    bcftools consensus -f - <VCF holding only this variant>`;
//  - REF and ALT have length L unless clipped at a contig end, and share their first `offset` bases,
//    and the first changed base of the normalised allele sits at `offset`;
// and, per sample, norm_pos/norm_ref/norm_alt agree record for record with `bcftools norm -f REF -m -any`
// on the sample's VCFs (FILTER PASS or '.', the default). Expected values come from the real tools
// (installed by scripts/setup.sh), never from constants.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <sys/wait.h>
#include <filesystem>
#include <iterator>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <tuple>
#include <vector>

namespace fs = std::filesystem;

namespace {

constexpr long kWindowLength = 5994;  // oncolm windows default L (NT v1: 1,000 tokens with <cls>)

const fs::path kExamples = fs::path(ONCOLM_SOURCE_DIR) / "examples";
const fs::path kCohort = kExamples / "cohort.tsv";
const fs::path kReference = kExamples / "reference" / "GRCh37.20_X.masked.fa.gz";

std::string quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += (c == '\'') ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

struct CmdResult {
  int rc = -1;
  std::string out;
};

// Runs a shell command; stdout is returned, stderr goes to `log` (appended).
CmdResult sh(const std::string& cmd, const fs::path& log) {
  CmdResult r;
  const std::string full = "(" + cmd + ") 2>>" + quote(log.string());
  FILE* p = popen(full.c_str(), "r");
  if (!p) return r;
  std::array<char, 65536> buf{};
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), p)) > 0) r.out.append(buf.data(), n);
  const int status = pclose(p);
  r.rc = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

std::string read_text(const fs::path& p) {
  std::ifstream f(p);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> v;
  std::string cur;
  std::istringstream is(s);
  while (std::getline(is, cur, sep)) v.push_back(cur);
  if (!s.empty() && s.back() == sep) v.emplace_back();
  return v;
}

std::string upper(std::string s) {
  for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

// A TSV addressed by column name.
struct Table {
  std::map<std::string, size_t> col;
  std::vector<std::vector<std::string>> rows;

  static Table parse(const std::string& text) {
    Table t;
    std::istringstream is(text);
    std::string line;
    bool header = true;
    while (std::getline(is, line)) {
      if (line.empty()) continue;
      auto f = split(line, '\t');
      if (header) {
        for (size_t i = 0; i < f.size(); ++i) t.col[f[i]] = i;
        header = false;
      } else {
        t.rows.push_back(std::move(f));
      }
    }
    return t;
  }
  bool has(const std::string& name) const { return col.count(name) > 0; }
  const std::string& get(const std::vector<std::string>& row, const std::string& name) const {
    static const std::string empty;
    auto it = col.find(name);
    if (it == col.end() || it->second >= row.size()) return empty;
    return row[it->second];
  }
};

// Multi-FASTA text -> name -> sequence (names up to the first whitespace).
std::map<std::string, std::string> parse_fasta(const std::string& text) {
  std::map<std::string, std::string> seqs;
  std::istringstream is(text);
  std::string line, name;
  while (std::getline(is, line)) {
    if (!line.empty() && line[0] == '>') {
      const size_t space = line.find_first_of(" \t");
      name = line.substr(1, space == std::string::npos ? std::string::npos : space - 1);
      seqs[name];
    } else {
      seqs[name] += line;
    }
  }
  return seqs;
}

using Allele = std::tuple<std::string, long, std::string, std::string>;  // chrom, pos, ref, alt

std::string describe(const Allele& a) {
  return std::get<0>(a) + ":" + std::to_string(std::get<1>(a)) + " " + std::get<2>(a) + ">" + std::get<3>(a);
}

class ConsensusE2E : public ::testing::Test {
 protected:
  static inline fs::path tmp_;
  static inline fs::path out_;
  static inline fs::path log_;
  static inline Table cohort_;
  static inline Table manifest_;
  static inline std::map<std::string, std::pair<fs::path, fs::path>> files_;  // sample -> fasta, tsv
  static inline std::map<std::string, std::multiset<Allele>> norm_;           // sample -> bcftools norm
  static inline std::map<std::string, long> contig_length_;
  static inline std::map<std::string, Table> windows_;                       // sample -> windows.tsv
  static inline std::map<std::string, std::map<std::string, std::string>> seqs_;  // sample -> record -> seq
  static inline bool ran_ = false;

  static void SetUpTestSuite() {
    std::string templ = (fs::temp_directory_path() / "oncolm_consensus_e2e_XXXXXX").string();
    ASSERT_NE(mkdtemp(templ.data()), nullptr);
    tmp_ = templ;
    out_ = tmp_ / "out";
    log_ = tmp_ / "commands.log";
    cohort_ = Table::parse(read_text(kCohort));
    for (const auto& line : split(read_text(kReference.string() + ".fai"), '\n')) {
      auto f = split(line, '\t');
      if (f.size() >= 2) contig_length_[f[0]] = std::stol(f[1]);
    }
    const std::string cmd = quote(ONCOLM_BINARY) + " windows " + quote(kCohort.string()) + " --reference " +
                            quote(kReference.string()) + " -o " + quote(out_.string());
    const CmdResult r = sh(cmd, log_);
    ASSERT_EQ(r.rc, 0) << cmd << "\n" << read_text(log_);
    // per-sample files as the manifest names them (ids are made file-name safe by the tool)
    manifest_ = Table::parse(read_text(out_ / "manifest.tsv"));
    for (const auto& row : cohort_.rows) {
      const std::string sample = cohort_.get(row, "sample_id");
      files_[sample] = {out_ / (sample + ".windows.fa.gz"), out_ / (sample + ".windows.tsv.gz")};
      for (const auto& m : manifest_.rows)
        if (manifest_.get(m, "sample_id") == sample && !manifest_.get(m, "fasta").empty())
          files_[sample] = {out_ / manifest_.get(m, "fasta"), out_ / manifest_.get(m, "tsv")};
      // the expected normalised records: bcftools norm -m -any, FILTER PASS or '.'
      for (const auto& vcf : sample_vcfs(row)) {
        const CmdResult n = sh("bcftools norm -f " + quote(kReference.string()) + " -m -any " + quote(vcf) +
                                   " -Ou | bcftools query -i 'FILTER=\"PASS\" || FILTER=\".\"' "
                                   "-f '%CHROM\\t%POS\\t%REF\\t%ALT\\n'",
                               log_);
        ASSERT_EQ(n.rc, 0) << vcf << "\n" << read_text(log_);
        for (const auto& line : split(n.out, '\n')) {
          auto f = split(line, '\t');
          if (f.size() == 4) norm_[sample].emplace(f[0], std::stol(f[1]), upper(f[2]), upper(f[3]));
        }
      }
      const auto& [fa, tsv] = files_[sample];
      const CmdResult t = sh("bgzip -dc " + quote(tsv.string()), log_);
      ASSERT_EQ(t.rc, 0) << tsv << "\n" << read_text(log_);
      windows_[sample] = Table::parse(t.out);
      // every record of the sample in one samtools call, through the .fai/.gzi the tool wrote
      if (windows_[sample].rows.empty()) continue;
      const fs::path names = tmp_ / "records.txt";
      {
        std::ofstream nf(names);
        const Table& w = windows_[sample];
        for (const auto& wr : w.rows) nf << w.get(wr, "ref_record") << "\n" << w.get(wr, "alt_record") << "\n";
      }
      const CmdResult s = sh("samtools faidx " + quote(fa.string()) + " -r " + quote(names.string()), log_);
      ASSERT_EQ(s.rc, 0) << fa << "\n" << read_text(log_);
      seqs_[sample] = parse_fasta(s.out);
    }
    ran_ = true;
  }

  static void TearDownTestSuite() {
    if (!tmp_.empty() && std::getenv("ONCOLM_KEEP_TEST_OUTPUT") == nullptr) {
      std::error_code ec;
      fs::remove_all(tmp_, ec);
    }
  }

  void SetUp() override { ASSERT_TRUE(ran_) << "oncolm windows did not run; see the first failure"; }

  static std::vector<std::string> sample_vcfs(const std::vector<std::string>& row) {
    std::vector<std::string> v;
    for (const char* c : {"snv_vcf", "indel_vcf"}) {
      const std::string& cell = cohort_.get(row, c);
      if (!cell.empty()) v.push_back((kCohort.parent_path() / cell).string());
    }
    return v;
  }

  static bool clipped(const Table& w, const std::vector<std::string>& r) {
    const long len = contig_length_.at(w.get(r, "chrom"));
    return std::stol(w.get(r, "window_start")) == 1 || std::stol(w.get(r, "window_end")) == len ||
           std::stol(w.get(r, "alt_window_end")) == len;
  }
};

TEST_F(ConsensusE2E, WritesAllOutputs) {
  for (const char* f : {"manifest.tsv", "stats.json"}) EXPECT_TRUE(fs::exists(out_ / f)) << f;
  nlohmann::json stats;
  EXPECT_NO_THROW(stats = nlohmann::json::parse(read_text(out_ / "stats.json")));
  EXPECT_TRUE(stats.is_object());
  std::set<std::string> in_manifest;
  for (const auto& r : manifest_.rows) in_manifest.insert(manifest_.get(r, "sample_id"));
  size_t total = 0;
  for (const auto& row : cohort_.rows) {
    const std::string sample = cohort_.get(row, "sample_id");
    EXPECT_TRUE(in_manifest.count(sample)) << sample;
    const auto& [fa, tsv] = files_.at(sample);
    for (const fs::path& f : {fa, fs::path(fa.string() + ".fai"), fs::path(fa.string() + ".gzi"), tsv})
      EXPECT_TRUE(fs::exists(f)) << sample << ": " << f;
    const Table& w = windows_.at(sample);
    for (const char* c : {"sample_id", "chrom", "pos", "ref", "alt", "filter", "norm_pos", "norm_ref", "norm_alt",
                          "type", "window_start", "window_end", "alt_window_start", "alt_window_end", "offset",
                          "ref_record", "alt_record", "ref_length", "alt_length", "normalised_shift",
                          "nearby_variants", "histology_abbreviation", "organ_system"})
      EXPECT_TRUE(w.has(c)) << sample << ": no column " << c;
    total += w.rows.size();
  }
  EXPECT_GT(total, 0u);
}

// Normalisation: the rows of each sample are exactly bcftools norm's split, left-aligned records
// (FILTER PASS or '.'), and the labels come from the sample sheet.
TEST_F(ConsensusE2E, NormalisationMatchesBcftoolsNorm) {
  size_t checked = 0;
  for (const auto& row : cohort_.rows) {
    const std::string sample = cohort_.get(row, "sample_id");
    const std::multiset<Allele>& expected = norm_[sample];
    std::multiset<Allele> got;
    const Table& w = windows_.at(sample);
    for (const auto& r : w.rows) {
      got.emplace(w.get(r, "chrom"), std::stol(w.get(r, "norm_pos")), w.get(r, "norm_ref"), w.get(r, "norm_alt"));
      EXPECT_EQ(w.get(r, "sample_id"), sample);
      for (const char* label : {"histology_abbreviation", "organ_system"})
        EXPECT_EQ(w.get(r, label), cohort_.get(row, label)) << sample << " " << label;
      const std::string& filter = w.get(r, "filter");
      EXPECT_TRUE(filter == "PASS" || filter == ".") << sample << " filter " << filter;
    }
    std::vector<Allele> missing, unexpected;
    std::set_difference(expected.begin(), expected.end(), got.begin(), got.end(), std::back_inserter(missing));
    std::set_difference(got.begin(), got.end(), expected.begin(), expected.end(), std::back_inserter(unexpected));
    EXPECT_TRUE(missing.empty() && unexpected.empty())
        << sample << ": " << missing.size() << " bcftools norm records without a matching row, e.g. "
        << (missing.empty() ? std::string("-") : describe(missing.front())) << "; " << unexpected.size()
        << " rows without a matching bcftools norm record, e.g. "
        << (unexpected.empty() ? std::string("-") : describe(unexpected.front()));
    checked += expected.size();
  }
  EXPECT_GT(checked, 0u);
}

// Windows: REF from samtools faidx, ALT from bcftools consensus of the same span with only this variant.
TEST_F(ConsensusE2E, WindowsMatchSamtoolsAndBcftoolsConsensus) {
  std::map<std::string, size_t> by_type;
  const fs::path one = tmp_ / "one.vcf";
  for (const auto& row : cohort_.rows) {
    const std::string sample = cohort_.get(row, "sample_id");
    const Table& w = windows_.at(sample);
    const auto& seqs = seqs_[sample];
    for (const auto& r : w.rows) {
      const std::string chrom = w.get(r, "chrom");
      const long ws = std::stol(w.get(r, "window_start")), we = std::stol(w.get(r, "window_end"));
      const long aws = std::stol(w.get(r, "alt_window_start")), awe = std::stol(w.get(r, "alt_window_end"));
      const long offset = std::stol(w.get(r, "offset"));
      const long norm_pos = std::stol(w.get(r, "norm_pos"));
      const std::string nref = w.get(r, "norm_ref"), nalt = w.get(r, "norm_alt"), type = w.get(r, "type");
      const std::string where = sample + " " + chrom + ":" + std::to_string(norm_pos) + " " + nref + ">" + nalt;
      SCOPED_TRACE(where);
      ASSERT_TRUE(seqs.count(w.get(r, "ref_record")) && seqs.count(w.get(r, "alt_record")));
      const std::string& ref_seq = seqs.at(w.get(r, "ref_record"));
      const std::string& alt_seq = seqs.at(w.get(r, "alt_record"));

      // type follows from the normalised alleles
      const std::string want_type = nref.size() != nalt.size() ? "indel" : (nref.size() == 1 ? "snv" : "mnv");
      EXPECT_EQ(type, want_type);
      ++by_type[type];

      // REF window = reference span
      const CmdResult fr = sh("samtools faidx " + quote(kReference.string()) + " " + quote(chrom + ":" +
                              std::to_string(ws) + "-" + std::to_string(we)), log_);
      ASSERT_EQ(fr.rc, 0) << read_text(log_);
      const auto fr_seqs = parse_fasta(fr.out);
      ASSERT_EQ(fr_seqs.size(), 1u);
      EXPECT_EQ(ref_seq, upper(fr_seqs.begin()->second)) << "REF window differs from samtools faidx";

      // ALT window = bcftools consensus of the ALT span with this variant only
      {
        std::ofstream v(one);
        v << "##fileformat=VCFv4.2\n";
        for (const auto& [c, len] : contig_length_) v << "##contig=<ID=" << c << ",length=" << len << ">\n";
        v << "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n"
          << chrom << "\t" << norm_pos << "\t.\t" << nref << "\t" << nalt << "\t.\tPASS\t.\n";
      }
      const std::string gz = one.string() + ".gz";
      ASSERT_EQ(sh("bgzip -f " + quote(one.string()) + " && tabix -f -p vcf " + quote(gz), log_).rc, 0)
          << read_text(log_);
      const CmdResult cons = sh("samtools faidx " + quote(kReference.string()) + " " +
                                    quote(chrom + ":" + std::to_string(aws) + "-" + std::to_string(awe)) +
                                    " | bcftools consensus -f - " + quote(gz),
                                log_);
      ASSERT_EQ(cons.rc, 0) << read_text(log_);
      const auto cons_seqs = parse_fasta(cons.out);
      ASSERT_EQ(cons_seqs.size(), 1u);
      EXPECT_EQ(alt_seq, upper(cons_seqs.begin()->second)) << "ALT window differs from bcftools consensus";

      // lengths, shared left flank, variant position
      EXPECT_EQ(static_cast<long>(ref_seq.size()), we - ws + 1);
      EXPECT_EQ(std::stol(w.get(r, "ref_length")), static_cast<long>(ref_seq.size()));
      EXPECT_EQ(std::stol(w.get(r, "alt_length")), static_cast<long>(alt_seq.size()));
      EXPECT_EQ(aws, ws) << "ALT must start at the same reference position as REF";
      if (!clipped(w, r)) {
        EXPECT_EQ(static_cast<long>(ref_seq.size()), kWindowLength);
        EXPECT_EQ(static_cast<long>(alt_seq.size()), kWindowLength);
        EXPECT_EQ(offset, kWindowLength / 2);
      }
      ASSERT_LE(offset, static_cast<long>(std::min(ref_seq.size(), alt_seq.size())));
      EXPECT_EQ(ref_seq.substr(0, offset), alt_seq.substr(0, offset)) << "left flanks differ";
      size_t common = 0;
      while (common < nref.size() && common < nalt.size() && nref[common] == nalt[common]) ++common;
      EXPECT_EQ(ws + offset, norm_pos + static_cast<long>(common)) << "first changed base is not at offset";
      EXPECT_NE(ref_seq, alt_seq);
      // the example's mask margin keeps every window inside real sequence
      EXPECT_EQ(ref_seq.find('N'), std::string::npos);
      EXPECT_EQ(alt_seq.find('N'), std::string::npos);
    }
  }
  // the example covers every small-variant type
  for (const char* t : {"snv", "mnv", "indel"}) EXPECT_GT(by_type[t], 0u) << t;
}

// nearby_variants: the sample's other kept variants (bcftools norm records, FILTER PASS or '.') whose
// normalised span overlaps the REF window, as chrom:norm_pos:norm_ref>norm_alt.
TEST_F(ConsensusE2E, NearbyVariantsAreTheOtherVariantsInTheWindow) {
  size_t listed = 0;
  for (const auto& row : cohort_.rows) {
    const std::string sample = cohort_.get(row, "sample_id");
    const Table& w = windows_.at(sample);
    for (const auto& r : w.rows) {
      const std::string chrom = w.get(r, "chrom");
      const long ws = std::stol(w.get(r, "window_start")), we = std::stol(w.get(r, "window_end"));
      const Allele self{chrom, std::stol(w.get(r, "norm_pos")), w.get(r, "norm_ref"), w.get(r, "norm_alt")};
      std::set<std::string> expected, got;
      for (const auto& a : norm_[sample]) {
        const long end = std::get<1>(a) + static_cast<long>(std::get<2>(a).size()) - 1;
        if (a != self && std::get<0>(a) == chrom && std::get<1>(a) <= we && end >= ws)
          expected.insert(std::get<0>(a) + ":" + std::to_string(std::get<1>(a)) + ":" + std::get<2>(a) + ">" +
                          std::get<3>(a));
      }
      const std::string& cell = w.get(r, "nearby_variants");
      if (cell != "." && !cell.empty())
        for (const auto& item : split(cell, ',')) got.insert(item);
      EXPECT_EQ(got, expected) << sample << " " << describe(self);
      listed += got.size();
    }
  }
  EXPECT_GT(listed, 0u) << "the example has variants close enough to be listed as nearby";
}

}  // namespace
