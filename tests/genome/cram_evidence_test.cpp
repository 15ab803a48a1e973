// Read evidence from CRAM: the CHM1 reads (tests/data/reads) converted here with
// `samtools view -C -T chr1_1-239940.fa.gz` and indexed give exactly the counts the BAM gives, both
// through AlignmentReader (reference path given) and in the evidence columns of `oncolm windows`.
#include <gtest/gtest.h>

#include <cstdlib>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "core/error.h"
#include "genome/evidence/bam_counts.h"
#include "test_support.h"

using namespace oncolm::genome;
using namespace oncolm::test;

namespace {

const std::string reads_reference = test_data("reads", "chr1_1-239940.fa.gz");
const std::string bam = test_data("reads", "CHM1.chr1_10k-40k.bam");
const ContigLengths reference_contigs = {{"1", 239940}};

// Sets an environment variable for the scope, restoring its previous value.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const std::string& value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    ::setenv(name, value.c_str(), 1);
  }
  ~ScopedEnv() {
    if (old_) ::setenv(name_, old_->c_str(), 1);
    else ::unsetenv(name_);
  }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  const char* name_;
  std::optional<std::string> old_;
};

// The scratch folder with the BAM converted to an indexed CRAM. The CRAM is written against a copy
// of the reference that is deleted afterwards, so its @SQ UR: field names no file, and REF_PATH /
// REF_CACHE point at an empty folder (no lookup by MD5, no download): reads decode only through
// the reference path handed to AlignmentReader / `oncolm windows --reference`.
class CramEvidence : public ::testing::Test {
 protected:
  void SetUp() override {
    fs::create_directories(no_reference_);
    std::string copy = dir_ / "deleted_reference.fa.gz";
    for (const char* suffix : {"", ".fai", ".gzi"}) fs::copy_file(reads_reference + suffix, copy + suffix);
    CommandResult made = run_command("samtools view -C -T '" + copy + "' -o '" + cram_ + "' '" + bam +
                                     "' && samtools index '" + cram_ + "'");
    ASSERT_EQ(made.status, 0) << made.err;
    for (const char* suffix : {"", ".fai", ".gzi"}) fs::remove(copy + suffix);
    ASSERT_TRUE(fs::exists(cram_ + ".crai"));
    ASSERT_EQ(read_file(cram_).compare(0, 4, "CRAM"), 0) << "not a CRAM file";
    CommandResult header = run_command("samtools view -H '" + cram_ + "'");
    ASSERT_NE(header.out.find("UR:" + copy), std::string::npos) << header.out;
  }

  ScratchDir dir_;
  std::string no_reference_ = dir_ / "no_reference";
  ScopedEnv ref_path_{"REF_PATH", no_reference_ + "/%2s/%2s/%s"};
  ScopedEnv ref_cache_{"REF_CACHE", no_reference_ + "/%2s/%2s/%s"};
  std::string cram_ = dir_ / "CHM1.chr1_10k-40k.cram";
};

struct Substitution {
  long pos;
  std::string ref, alt;
};
struct Indel {
  long pos;
  std::string ref, alt;
};

// Sites as bcftools mpileup reports them, one in `stride` (a CRAM query decodes a whole slice, so
// the tests stay short) and, with `every_alt`, all where reads show another base: each base reads
// show there besides the reference, or a base no read shows; and at every other site of the
// stride followed by its neighbour, a two-base MNV.
std::vector<Substitution> substitutions(const std::vector<MpileupSite>& sites, std::size_t stride,
                                        bool every_alt = false) {
  std::vector<Substitution> chosen;
  for (std::size_t i = 0; i < sites.size(); ++i) {
    const MpileupSite& site = sites[i];
    if (site.ref == "N" || (i % stride != 0 && !(every_alt && !site.alts.empty()))) continue;
    for (const std::string& alt : site.alts) chosen.push_back({site.pos, site.ref, alt});
    if (site.alts.empty()) chosen.push_back({site.pos, site.ref, site.ref == "A" ? "C" : "A"});
    if (i % (2 * stride) == 0 && i + 1 < sites.size() && sites[i + 1].pos == site.pos + 1 && sites[i + 1].ref != "N") {
      std::string alt = site.alts.empty() ? (site.ref == "G" ? "T" : "G") : site.alts[0];
      chosen.push_back({site.pos, site.ref + sites[i + 1].ref, alt + sites[i + 1].ref});
    }
  }
  return chosen;
}

// Indel records of `bcftools mpileup` in the region, each ALT as a pure insertion or deletion
// (common suffix trimmed), plus a 1 bp deletion after one site in `stride` (mostly REF reads).
std::vector<Indel> indels(const std::string& region, const std::vector<MpileupSite>& sites, std::size_t stride) {
  std::string command = "bcftools mpileup -f '" + reads_reference + "' -r " + region +
                        " -B -d 100000 -q 20 -Q 13 -A '" + bam +
                        "' 2>/dev/null | bcftools view -v indels 2>/dev/null | bcftools query -f '%POS\\t%REF\\t%ALT\\n'";
  std::set<std::tuple<long, std::string, std::string>> unique;
  for (const std::string& line : split(run_command(command).out, '\n')) {
    std::vector<std::string> fields = split(line, '\t');
    if (fields.size() != 3) continue;
    for (const std::string& alt_field : split(fields[2], ',')) {
      std::string ref = fields[1], alt = alt_field;
      if (alt == "<*>") continue;
      while (ref.size() > 1 && alt.size() > 1 && ref.back() == alt.back()) {
        ref.pop_back();
        alt.pop_back();
      }
      if ((ref.size() == 1) != (alt.size() == 1) && ref[0] == alt[0]) unique.insert({std::stol(fields[0]), ref, alt});
    }
  }
  for (std::size_t i = 0; i + 1 < sites.size(); i += stride)
    if (sites[i + 1].pos == sites[i].pos + 1 && sites[i].ref != "N" && sites[i + 1].ref != "N")
      unique.insert({sites[i].pos, sites[i].ref + sites[i + 1].ref, sites[i].ref});
  std::vector<Indel> chosen;
  for (const auto& [pos, ref, alt] : unique) chosen.push_back({pos, ref, alt});
  return chosen;
}

std::string describe(const AlleleCounts& counts) {
  return std::to_string(counts.depth) + "/" + std::to_string(counts.ref) + "/" + std::to_string(counts.alt);
}

}  // namespace

// Every count of AlignmentReader on the CRAM equals the BAM's, at the default thresholds and at
// MAPQ 0 with a stricter base quality (fewer sites).
TEST_F(CramEvidence, AlleleCountsEqualThoseFromTheBam) {
  const std::string region = "1:10001-14000";
  std::vector<MpileupSite> sites = bcftools_allele_depths(bam, reads_reference, region, 20, 13);
  ASSERT_GT(sites.size(), 1500u) << "bcftools produced too few sites in " << region;
  AlignmentReader from_bam(bam, reads_reference, reference_contigs);
  AlignmentReader from_cram(cram_, reads_reference, reference_contigs);
  for (const auto& [filters, stride] : {std::pair{ReadFilters{}, 12}, std::pair{ReadFilters{0, 25, 100000}, 48}}) {
    std::string thresholds = " (MAPQ " + std::to_string(filters.min_mapq) + ", BQ " + std::to_string(filters.min_baseq) + ")";
    std::vector<Substitution> subs = substitutions(sites, static_cast<std::size_t>(stride));
    std::vector<Indel> dels_and_ins = indels(region, sites, static_cast<std::size_t>(stride) * 3);
    ASSERT_GT(subs.size(), sites.size() / static_cast<std::size_t>(stride));
    ASSERT_GT(dels_and_ins.size(), sites.size() / static_cast<std::size_t>(stride) / 3);
    int with_alt = 0, total_depth = 0;
    for (const Substitution& s : subs) {
      AlleleCounts want = from_bam.count_substitution("1", s.pos, s.ref, s.alt, filters);
      AlleleCounts got = from_cram.count_substitution("1", s.pos, s.ref, s.alt, filters);
      EXPECT_EQ(describe(got), describe(want)) << "depth/ref/alt of " << s.ref << ">" << s.alt << " at 1:" << s.pos
                                               << thresholds;
      with_alt += want.alt > 0;
      total_depth += want.depth;
    }
    EXPECT_GT(with_alt, 5) << "the region holds sequencing errors and variants" << thresholds;
    EXPECT_GT(total_depth, 10 * static_cast<int>(subs.size())) << thresholds;
    int indel_alt = 0, indel_ref = 0;
    for (const Indel& d : dels_and_ins) {
      AlleleCounts want = from_bam.count_indel("1", d.pos, d.ref, d.alt, 0, filters);
      AlleleCounts got = from_cram.count_indel("1", d.pos, d.ref, d.alt, 0, filters);
      EXPECT_EQ(describe(got), describe(want)) << "depth/ref/alt of " << d.ref << ">" << d.alt << " at 1:" << d.pos
                                               << thresholds;
      indel_alt += want.alt;
      indel_ref += want.ref;
    }
    EXPECT_GT(indel_alt, 0) << thresholds;
    EXPECT_GT(indel_ref, 0) << thresholds;
  }
}

TEST_F(CramEvidence, WindowsEvidenceColumnsEqualThoseFromTheBam) {
  // Every site where reads show another base (about 35) and a few others: each CRAM query decodes
  // a whole slice, so the sheet stays small.
  const std::string region = "1:12501-14000";
  std::vector<MpileupSite> sites = bcftools_allele_depths(bam, reads_reference, region, 20, 13);
  ASSERT_GT(sites.size(), 500u);
  // One chr1 VCF of substitutions and indels, sorted by position, no duplicates.
  std::map<long, std::set<std::pair<std::string, std::string>>> records;
  for (const Substitution& s : substitutions(sites, 64, true)) records[s.pos].insert({s.ref, s.alt});
  for (const Indel& d : indels(region, sites, 160)) records[d.pos].insert({d.ref, d.alt});
  std::string vcf = "##fileformat=VCFv4.2\n##contig=<ID=1,length=239940>\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n";
  for (const auto& [pos, alleles] : records)
    for (const auto& [ref, alt] : alleles)
      vcf += "1\t" + std::to_string(pos) + "\t.\t" + ref + "\t" + alt + "\t.\tPASS\t.\n";
  write_file(dir_ / "calls.vcf", vcf);
  std::string sheet = "sample_id\tdonor_id\ttumour_bam\tnormal_bam\tsnv_vcf\tindel_vcf\tsv_vcf\thistology_abbreviation\n";
  sheet += "from_bam\tD1\t" + bam + "\t" + bam + "\t" + (dir_ / "calls.vcf") + "\t\t\tnone\n";
  sheet += "from_cram\tD2\t" + cram_ + "\t" + cram_ + "\t" + (dir_ / "calls.vcf") + "\t\t\tnone\n";
  write_file(dir_ / "sheet.tsv", sheet);
  CommandResult result = run_oncolm("windows '" + (dir_ / "sheet.tsv") + "' --reference '" + reads_reference +
                                    "' -o '" + (dir_ / "out") + "'");
  ASSERT_EQ(result.status, 0) << result.err;
  auto bam_rows = read_tsv(dir_ / "out/from_bam.windows.tsv.gz");
  auto cram_rows = read_tsv(dir_ / "out/from_cram.windows.tsv.gz");
  ASSERT_GT(bam_rows.size(), 50u);
  ASSERT_EQ(cram_rows.size(), bam_rows.size());
  const std::vector<std::string> columns = {"t_depth", "t_ref_count", "t_alt_count", "t_vaf",
                                            "n_depth", "n_ref_count", "n_alt_count", "n_vaf"};
  int indel_rows = 0, rows_with_alt = 0;
  for (std::size_t i = 0; i < bam_rows.size(); ++i) {
    const auto& want = bam_rows[i];
    const auto& got = cram_rows[i];
    std::string key = want.at("pos") + ":" + want.at("ref") + ">" + want.at("alt");
    ASSERT_EQ(got.at("pos") + ":" + got.at("ref") + ">" + got.at("alt"), key);
    for (const std::string& column : columns) EXPECT_EQ(got.at(column), want.at(column)) << column << " at " << key;
    EXPECT_NE(want.at("t_depth"), ".") << key;
    indel_rows += want.at("type") == "indel";
    rows_with_alt += want.at("t_alt_count") != "0";
  }
  EXPECT_GT(indel_rows, 5);
  EXPECT_GT(rows_with_alt, 20);
}

TEST_F(CramEvidence, UndecodableCramIsAnErrorNamingTheFileNotZeroCounts) {
  // No reference given and none findable: every slice fails to decode. That must stop the count
  // with the CRAM's name, not come back as "no reads".
  AlignmentReader reader(cram_, "", ContigLengths{{"1", 239940}});
  try {
    AlleleCounts counts = reader.count_substitution("1", 12001, "A", "C", ReadFilters{});
    FAIL() << "counted " << counts.depth << " reads from a CRAM that cannot be decoded";
  } catch (const oncolm::InputError& error) {
    EXPECT_NE(std::string(error.what()).find(cram_), std::string::npos) << error.what();
    EXPECT_NE(std::string(error.what()).find("near 1:12001"), std::string::npos) << error.what();
  }
}
