// `oncolm windows` with tumour/normal BAMs, end to end on real CHM1 Illumina reads
// (tests/data/reads): the evidence columns of every SNV row equal the allele depths
// `bcftools mpileup -a AD` gives with the same thresholds. The VCF is made here from bcftools' own
// view of the reads: sites where reads show other bases than the reference, with every alternative
// bcftools saw (multi-allelic records, split by oncolm), plus sites where no read shows the ALT.
#include <gtest/gtest.h>

#include <fmt/format.h>

#include <map>

#include "test_support.h"

using namespace oncolm::test;

namespace {

const std::string reads_reference = test_data("reads", "chr1_1-239940.fa.gz");
const std::string bam = test_data("reads", "CHM1.chr1_10k-40k.bam");
const std::string sheet_header =
    "sample_id\tdonor_id\ttumour_bam\tnormal_bam\tsnv_vcf\tindel_vcf\tsv_vcf\thistology_abbreviation\n";

struct Expected {
  int depth = 0, ref = 0, alt = 0;
};

// A VCF of up to `with_alt` sites whose reads show alternatives and `without_alt` sites whose
// reads show none (ALT: a base no read shows); fills the expected counts per "pos:alt".
std::string vcf_from_mpileup(const std::vector<MpileupSite>& sites, std::size_t with_alt, std::size_t without_alt,
                             std::map<std::string, Expected>& expected) {
  std::string vcf = "##fileformat=VCFv4.2\n##contig=<ID=1,length=239940>\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n";
  std::size_t n_with = 0, n_without = 0;
  for (const MpileupSite& site : sites) {
    if (site.ref == "N") continue;
    bool shows_alt = false;
    for (std::size_t i = 0; i < site.alts.size(); ++i) shows_alt |= site.depths[i + 1] > 0;
    std::vector<std::string> alts = site.alts;
    if (shows_alt ? n_with++ >= with_alt : n_without++ >= without_alt) continue;
    std::vector<int> alt_depths(site.depths.begin() + 1, site.depths.begin() + 1 + static_cast<long>(alts.size()));
    if (alts.empty()) {
      for (const char* base : {"A", "C", "G", "T"})
        if (site.ref != base) {
          alts.push_back(base);
          alt_depths.push_back(0);  // <*> covers it: with no alternative seen, it is 0
          break;
        }
    }
    std::string joined;
    for (std::size_t i = 0; i < alts.size(); ++i) {
      joined += (i ? "," : "") + alts[i];
      expected[std::to_string(site.pos) + ":" + alts[i]] = {site.total_depth(), site.depths[0], alt_depths[i]};
    }
    vcf += "1\t" + std::to_string(site.pos) + "\t.\t" + site.ref + "\t" + joined + "\t.\tPASS\t.\n";
  }
  return vcf;
}

std::string vaf_text(int alt, int depth) {
  return depth > 0 ? fmt::format("{:.4f}", static_cast<double>(alt) / depth) : ".";
}

// Runs oncolm on one sample (tumour = normal = the CHM1 BAM) and compares every row with bcftools.
void expect_evidence_equals_bcftools(const ScratchDir& dir, const std::string& region, int min_mapq, int min_baseq) {
  std::vector<MpileupSite> sites = bcftools_allele_depths(bam, reads_reference, region, min_mapq, min_baseq);
  ASSERT_GT(sites.size(), 1000u) << "bcftools produced too few sites in " << region;
  std::map<std::string, Expected> expected;
  write_file(dir / "calls.vcf", vcf_from_mpileup(sites, 60, 20, expected));
  write_file(dir / "sheet.tsv", sheet_header + "chm1\tCHM1\t" + bam + "\t" + bam + "\t" + (dir / "calls.vcf") +
                                    "\t\t\tnone\n");
  std::string out = dir / "out";
  CommandResult result = run_oncolm("windows '" + (dir / "sheet.tsv") + "' --reference '" + reads_reference +
                                    "' -o '" + out + "' --min-mapq " + std::to_string(min_mapq) + " --min-baseq " +
                                    std::to_string(min_baseq));
  ASSERT_EQ(result.status, 0) << result.err;
  auto rows = read_tsv(out + "/chm1.windows.tsv.gz");
  ASSERT_EQ(rows.size(), expected.size());
  int rows_with_alt_reads = 0;
  for (const auto& row : rows) {
    std::string key = row.at("pos") + ":" + row.at("alt");
    ASSERT_TRUE(expected.count(key)) << key;
    const Expected& want = expected.at(key);
    for (const char* prefix : {"t_", "n_"}) {
      std::string p = prefix;
      EXPECT_EQ(row.at(p + "ref_count"), std::to_string(want.ref)) << p << "REF reads at " << key;
      EXPECT_EQ(row.at(p + "alt_count"), std::to_string(want.alt)) << p << "ALT reads at " << key;
      EXPECT_EQ(row.at(p + "depth"), std::to_string(want.depth)) << p << "depth at " << key;
      EXPECT_EQ(row.at(p + "vaf"), vaf_text(want.alt, want.depth)) << key;
    }
    rows_with_alt_reads += want.alt > 0;
  }
  EXPECT_GE(rows_with_alt_reads, 60);
  auto stats = read_json(out + "/chm1.stats.json");
  EXPECT_EQ(stats["provenance"]["parameters"]["min_mapq"], min_mapq);
  EXPECT_EQ(stats["provenance"]["parameters"]["min_baseq"], min_baseq);
  EXPECT_EQ(stats["inputs"]["tumour_bam"], bam);
  // The BAM header holds only the reference's contig, so nothing lies outside it.
  std::size_t sq_lines = 0;
  for (const auto& line : split(run_command("samtools view -H '" + bam + "'").out, '\n')) sq_lines += line.rfind("@SQ", 0) == 0;
  std::size_t outside = sq_lines - data_lines(reads_reference + ".fai");
  for (const char* role : {"tumour", "normal"})
    EXPECT_EQ(stats["read_evidence"]["bams"][role]["contigs_outside_reference"], outside) << role;
}

}  // namespace

TEST(EvidenceCli, SnvCountsEqualBcftoolsMpileupAD) {
  ScratchDir dir;
  expect_evidence_equals_bcftools(dir, "1:10001-18000", 20, 13);  // the defaults, where reads map uniquely
}

TEST(EvidenceCli, QualityThresholdsComeFromTheOptions) {
  ScratchDir dir;
  // MAPQ 0 and a stricter base quality over the segmental duplication after 20 kb.
  expect_evidence_equals_bcftools(dir, "1:20001-23000", 0, 20);
}

TEST(EvidenceCli, RelativeBamPathsAndMissingBams) {
  ScratchDir dir;
  // BAM paths are relative to the sheet like VCF paths; a sample without a normal gets '.'.
  fs::copy_file(bam, dir / "t.bam");
  fs::copy_file(bam + ".bai", dir / "t.bam.bai");
  std::vector<MpileupSite> sites = bcftools_allele_depths(bam, reads_reference, "1:12001-13000", 20, 13);
  std::map<std::string, Expected> expected;
  write_file(dir / "calls.vcf", vcf_from_mpileup(sites, 5, 0, expected));
  write_file(dir / "sheet.tsv", sheet_header + "s\tD\tt.bam\t\tcalls.vcf\t\t\tnone\n");
  CommandResult result = run_oncolm("windows '" + (dir / "sheet.tsv") + "' --reference '" + reads_reference +
                                    "' -o '" + (dir / "out") + "'");
  ASSERT_EQ(result.status, 0) << result.err;
  auto rows = read_tsv(dir / "out/s.windows.tsv.gz");
  ASSERT_EQ(rows.size(), expected.size());
  for (const auto& row : rows) {
    EXPECT_EQ(row.at("t_alt_count"), std::to_string(expected.at(row.at("pos") + ":" + row.at("alt")).alt));
    EXPECT_EQ(row.at("n_depth"), ".");
    EXPECT_EQ(row.at("n_vaf"), ".");
  }
  auto stats = read_json(dir / "out/s.stats.json");
  EXPECT_TRUE(stats["read_evidence"]["bams"].contains("tumour"));
  EXPECT_FALSE(stats["read_evidence"]["bams"].contains("normal"));
}

// A BAM whose @SQ says chr1 for the reference's 1 (same length) is read as that contig, as VCF
// contigs are: the same counts, not zero depth everywhere.
TEST(EvidenceCli, BamContigNamedTheOtherWayIsReadAsTheReferenceContig) {
  ScratchDir dir;
  ASSERT_EQ(run_command("samtools view -H '" + bam + "' | sed 's/\tSN:1\t/\tSN:chr1\t/' > '" + (dir / "h.sam") +
                        "' && samtools reheader '" + (dir / "h.sam") + "' '" + bam + "' > '" + (dir / "chr.bam") +
                        "' && samtools index '" + (dir / "chr.bam") + "'")
                .status,
            0);
  ASSERT_NE(run_command("samtools view -H '" + (dir / "chr.bam") + "'").out.find("SN:chr1\t"), std::string::npos);
  std::vector<MpileupSite> sites = bcftools_allele_depths(bam, reads_reference, "1:12001-13000", 20, 13);
  std::map<std::string, Expected> expected;
  write_file(dir / "calls.vcf", vcf_from_mpileup(sites, 5, 3, expected));
  write_file(dir / "sheet.tsv", sheet_header + "s\tD\tchr.bam\t\tcalls.vcf\t\t\tnone\n");
  CommandResult result = run_oncolm("windows '" + (dir / "sheet.tsv") + "' --reference '" + reads_reference +
                                    "' -o '" + (dir / "out") + "'");
  ASSERT_EQ(result.status, 0) << result.err;
  EXPECT_NE(result.err.find("@SQ chr1 is read as the reference's 1"), std::string::npos) << result.err;
  auto rows = read_tsv(dir / "out/s.windows.tsv.gz");
  ASSERT_EQ(rows.size(), expected.size());
  for (const auto& row : rows) {
    const Expected& want = expected.at(row.at("pos") + ":" + row.at("alt"));
    EXPECT_EQ(row.at("t_depth"), std::to_string(want.depth)) << row.at("pos");
    EXPECT_EQ(row.at("t_alt_count"), std::to_string(want.alt)) << row.at("pos");
  }
}

TEST(EvidenceCli, IndelAltCountsEqualReadsSamtoolsShowsCarryingTheIndel) {
  ScratchDir dir;
  // Every indel samtools shows in the reads after the telomeric repeat, as a VCF record.
  auto indel_reads = samtools_indel_reads(bam, reads_reference, "1:10401-18000");
  std::string vcf = "##fileformat=VCFv4.2\n##contig=<ID=1,length=239940>\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n";
  std::map<std::string, std::size_t> expected_alt;  // "pos:ref>alt" -> reads carrying it
  for (const auto& [site, names] : indel_reads) {
    auto [pos, indel] = site;
    std::string anchor = samtools_faidx(reads_reference, "1:" + std::to_string(pos) + "-" + std::to_string(pos));
    std::string bases = indel.substr(indel.find_first_not_of("+-0123456789"));
    std::string ref = indel[0] == '-' ? anchor + bases : anchor;
    std::string alt = indel[0] == '-' ? anchor : anchor + bases;
    expected_alt[std::to_string(pos) + ":" + ref + ">" + alt] = names.size();
    vcf += "1\t" + std::to_string(pos) + "\t.\t" + ref + "\t" + alt + "\t.\tPASS\t.\n";
  }
  ASSERT_GT(expected_alt.size(), 20u);
  write_file(dir / "indels.vcf", vcf);
  write_file(dir / "sheet.tsv", sheet_header + "chm1\tCHM1\t" + bam + "\t" + bam + "\t\t" + (dir / "indels.vcf") + "\t\tnone\n");
  CommandResult result = run_oncolm("windows '" + (dir / "sheet.tsv") + "' --reference '" + reads_reference + "' -o '" +
                                    (dir / "out") + "'");
  ASSERT_EQ(result.status, 0) << result.err;
  std::size_t compared = 0;
  for (const auto& row : read_tsv(dir / "out/chm1.windows.tsv.gz")) {
    // bwa mem left-aligns indels, so most are already normalised; those that moved are not at
    // the position samtools shows them.
    std::string key = row.at("norm_pos") + ":" + row.at("norm_ref") + ">" + row.at("norm_alt");
    if (row.at("normalised_shift") != "0" || !expected_alt.count(key)) continue;
    for (const char* prefix : {"t_", "n_"}) {
      std::string p = prefix;
      EXPECT_EQ(row.at(p + "alt_count"), std::to_string(expected_alt.at(key))) << key;
      EXPECT_GE(std::stol(row.at(p + "depth")), std::stol(row.at(p + "alt_count")) + std::stol(row.at(p + "ref_count")));
    }
    ++compared;
  }
  EXPECT_GT(compared, expected_alt.size() / 2);
}
