// Read evidence on real CHM1 Illumina reads (tests/data/reads, see its make_reads_data.sh),
// compared with bcftools mpileup run with the same thresholds.
#include <unistd.h>

#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <cctype>
#include <map>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "core/error.h"
#include "genome/evidence/bam_counts.h"
#include "test_support.h"

using namespace oncolm::genome;

namespace {

const std::string reads_dir = std::string(ONCOLM_TEST_DATA_DIR) + "/reads";
const std::string reference_path = reads_dir + "/chr1_1-239940.fa.gz";
const std::string bam_path = reads_dir + "/CHM1.chr1_10k-40k.bam";
const ContigLengths reference_contigs = {{"1", 239940}};

std::string run_command(const std::string& command) {
  std::unique_ptr<FILE, int (*)(FILE*)> pipe(popen(command.c_str(), "r"), pclose);
  if (!pipe) throw std::runtime_error("cannot run " + command);
  std::string output;
  char buffer[4096];
  while (std::size_t n = fread(buffer, 1, sizeof buffer, pipe.get())) output.append(buffer, n);
  return output;
}

std::vector<std::string> split(const std::string& text, char separator) {
  std::vector<std::string> fields;
  std::stringstream stream(text);
  std::string field;
  while (std::getline(stream, field, separator)) fields.push_back(field);
  return fields;
}

using oncolm::test::MpileupSite;

std::vector<MpileupSite> bcftools_allele_depths(const std::string& region, const ReadFilters& filters) {
  return oncolm::test::bcftools_allele_depths(bam_path, reference_path, region, filters.min_mapq, filters.min_baseq);
}

}  // namespace

// Every site of a region, every allele bcftools saw, plus one it did not see (which must be 0).
void expect_counts_equal_bcftools(const std::string& region, const ReadFilters& filters) {
  AlignmentReader reader(bam_path, reference_path, reference_contigs);
  std::vector<MpileupSite> sites = bcftools_allele_depths(region, filters);
  ASSERT_GT(sites.size(), 1500u) << "bcftools produced too few sites to compare";
  int sites_with_alt_reads = 0;
  for (const MpileupSite& site : sites) {
    if (site.ref == "N") continue;
    // With no observed alternative, count a base that is not the reference: it must get 0.
    std::vector<std::string> alts = site.alts;
    if (alts.empty()) alts.push_back(site.ref == "A" ? "C" : "A");
    for (std::size_t i = 0; i < alts.size(); ++i) {
      AlleleCounts counts = reader.count_substitution("1", site.pos, site.ref, alts[i], filters);
      int expected_alt = i < site.alts.size() ? site.depths[i + 1] : 0;
      ASSERT_EQ(counts.ref, site.depths[0]) << "REF reads at 1:" << site.pos;
      ASSERT_EQ(counts.alt, expected_alt) << "ALT " << alts[i] << " reads at 1:" << site.pos;
      sites_with_alt_reads += expected_alt > 0;
    }
  }
  EXPECT_GT(sites_with_alt_reads, 10) << "the region should contain sequencing errors or variants";
}

TEST(ReadEvidence, SnvAlleleCountsEqualBcftoolsMpileupAD) {
  // Default thresholds (MAPQ >= 20, BQ >= 13) where reads map uniquely, and MAPQ 0 with a
  // stricter base quality over the segmental duplication next to it.
  expect_counts_equal_bcftools("1:10001-14000", ReadFilters{});
  expect_counts_equal_bcftools("1:20001-23000", ReadFilters{0, 20, 100000});
}

// Reads whose bases are N at full quality (every A of the reads named ...1 set to N): an N is no
// allele, so bcftools' AD leaves it out of the depth, and so does oncolm.
TEST(ReadEvidence, NBasesAreInNoCountAsInBcftoolsAD) {
  const std::string dir = std::string(::testing::TempDir()) + "oncolm_nbases_" + std::to_string(::getpid());
  ASSERT_EQ(std::system(("mkdir -p '" + dir + "' && samtools view -h '" + bam_path + "' 1:10001-10400 | awk 'BEGIN "
                         "{OFS=\"\\t\"} !/^@/ && $1 ~ /1$/ {gsub(/A/, \"N\", $10)} {print}' | samtools view -b -o '" +
                         dir + "/n.bam' - && samtools index '" + dir + "/n.bam'").c_str()), 0);
  AlignmentReader reader(dir + "/n.bam", reference_path, reference_contigs);
  std::vector<MpileupSite> sites =
      oncolm::test::bcftools_allele_depths(dir + "/n.bam", reference_path, "1:10101-10300", 20, 13);
  ASSERT_GT(sites.size(), 150u);
  int with_n_reads = 0;
  for (const MpileupSite& site : sites) {
    if (site.ref == "N") continue;
    AlleleCounts counts = reader.count_substitution("1", site.pos, site.ref, site.ref == "A" ? "C" : "A", ReadFilters{});
    EXPECT_EQ(counts.depth, site.total_depth()) << "1:" << site.pos;
    EXPECT_EQ(counts.ref, site.depths[0]) << "1:" << site.pos;
    with_n_reads += site.ref == "A";
  }
  EXPECT_GT(with_n_reads, 20) << "reference A sites, where the edited reads show N";
  std::system(("rm -rf '" + dir + "'").c_str());
}

TEST(ReadEvidence, MnvCountsNeedEveryBaseOnOneRead) {
  AlignmentReader reader(bam_path, reference_path, reference_contigs);
  ReadFilters filters;
  std::vector<MpileupSite> sites = bcftools_allele_depths("1:10001-14000", filters);
  int pairs_checked = 0;
  for (std::size_t i = 0; i + 1 < sites.size() && pairs_checked < 50; ++i) {
    const MpileupSite& first = sites[i];
    const MpileupSite& second = sites[i + 1];
    if (second.pos != first.pos + 1 || first.depths[0] < 10 || second.depths[0] < 10) continue;
    // Reads carrying both reference bases are REF: never more than either single-base REF count.
    // No read carries an invented dinucleotide that neither site shows, so its ALT count is 0.
    std::string ref = first.ref + second.ref;
    std::string alt = std::string(first.ref == "A" ? "C" : "A") + (second.ref == "A" ? "C" : "A");
    bool invented = true;
    for (const std::string& seen : first.alts) invented &= seen != alt.substr(0, 1);
    if (!invented) continue;
    AlleleCounts pair = reader.count_substitution("1", first.pos, ref, alt, filters);
    EXPECT_EQ(pair.alt, 0) << "at 1:" << first.pos;
    EXPECT_GT(pair.ref, 0) << "at 1:" << first.pos;
    EXPECT_LE(pair.ref, std::min(first.depths[0], second.depths[0])) << "at 1:" << first.pos;
    EXPECT_GE(pair.depth, pair.ref);
    ++pairs_checked;
  }
  EXPECT_EQ(pairs_checked, 50);
}

std::map<std::pair<long, std::string>, std::set<std::string>> samtools_indel_reads(const std::string& region) {
  return oncolm::test::samtools_indel_reads(bam_path, reference_path, region);
}

TEST(ReadEvidence, IndelAltCountsEqualReadsSamtoolsShowsCarryingTheIndel) {
  AlignmentReader reader(bam_path, reference_path, reference_contigs);
  ReadFilters filters;
  auto expected = samtools_indel_reads("1:10001-10400");
  ASSERT_GT(expected.size(), 50u) << "the telomeric repeat region should hold many indel reads";
  for (const auto& [site, names] : expected) {
    auto [pos, indel] = site;
    std::string anchor = split(run_command("samtools faidx " + reference_path + " 1:" + std::to_string(pos) +
                                           "-" + std::to_string(pos)), '\n').at(1);
    std::string bases = indel.substr(indel.find_first_not_of("+-0123456789"));
    bool deletion = indel[0] == '-';
    std::string ref = deletion ? anchor + bases : anchor;
    std::string alt = deletion ? anchor : anchor + bases;
    // ALT calls do not depend on the slide through the repeat (it decides REF calls only): 0.
    AlleleCounts counts = reader.count_indel("1", pos, ref, alt, 0, filters);
    EXPECT_EQ(counts.alt, static_cast<int>(names.size())) << indel << " after 1:" << pos;
    EXPECT_GE(counts.depth, counts.alt + counts.ref);
  }
}

// A hand-built contig `c1` and aligned reads, written as a real reference and sorted, indexed BAM
// by samtools, in a directory of their own.
class HandBuiltReads {
 public:
  explicit HandBuiltReads(const std::string& contig)
      : dir_(std::string(::testing::TempDir()) + "oncolm_reads_" + std::to_string(::getpid()) + "_" +
             std::to_string(counter_++)),
        contig_(contig),
        sam_("@HD\tVN:1.6\tSO:coordinate\n@SQ\tSN:c1\tLN:" + std::to_string(contig.size()) + "\n") {}
  ~HandBuiltReads() { std::system(("rm -rf '" + dir_ + "'").c_str()); }

  // Bases of the contig from 1-based `start`.
  std::string piece(long start, long length) const {
    return contig_.substr(static_cast<std::size_t>(start - 1), static_cast<std::size_t>(length));
  }
  void add(const std::string& name, int flag, long pos, const std::string& cigar, const std::string& bases,
           long mate_pos = 0, long template_length = 0, const std::string& tags = "") {
    sam_ += name + "\t" + std::to_string(flag) + "\tc1\t" + std::to_string(pos) + "\t60\t" + cigar + "\t" +
            (mate_pos ? "=" : "*") + "\t" + std::to_string(mate_pos) + "\t" + std::to_string(template_length) + "\t" +
            bases + "\t" + std::string(bases.size(), 'I') + (tags.empty() ? "" : "\t" + tags) + "\n";
  }
  // A contig the BAM has and the reference lacks (a decoy): declare before adding reads.
  void declare_other_contig(const std::string& name, long length) {
    sam_ += "@SQ\tSN:" + name + "\tLN:" + std::to_string(length) + "\n";
  }
  // A read whose mate is on another contig, as SAM text: RNEXT names it.
  void add_with_mate_on(const std::string& name, int flag, long pos, const std::string& cigar, const std::string& bases,
                        const std::string& mate_contig, long mate_pos) {
    sam_ += name + "\t" + std::to_string(flag) + "\tc1\t" + std::to_string(pos) + "\t60\t" + cigar + "\t" +
            mate_contig + "\t" + std::to_string(mate_pos) + "\t0\t" + bases + "\t" + std::string(bases.size(), 'I') +
            "\n";
  }
  // Writes ref.fa (+ .fai) and reads.bam (+ .bai); returns the BAM's path.
  std::string write() const {
    EXPECT_EQ(std::system(("mkdir -p '" + dir_ + "'").c_str()), 0);
    oncolm::test::write_file(dir_ + "/ref.fa", ">c1\n" + contig_ + "\n");
    oncolm::test::write_file(dir_ + "/reads.sam", sam_);
    EXPECT_EQ(std::system(("cd '" + dir_ + "' && samtools faidx ref.fa && samtools sort -o reads.bam reads.sam "
                           "2>/dev/null && samtools index reads.bam").c_str()), 0);
    return dir_ + "/reads.bam";
  }
  std::string reference() const { return dir_ + "/ref.fa"; }
  const std::string& dir() const { return dir_; }
  ContigLengths lengths() const { return {{"c1", static_cast<std::int64_t>(contig_.size())}}; }

 private:
  static inline int counter_ = 0;
  std::string dir_, contig_, sam_;
};

// `filler` repeated to `length` bases.
std::string repeated(const std::string& filler, std::size_t length) {
  std::string out;
  while (out.size() < length) out += filler;
  return out.substr(0, length);
}

// A one-base deletion in a run of eleven A's (reference 500-510, anchor C at 499), aligned reads as
// an aligner writes them: 5 reads carry the deletion; 5 REF reads span the run; 5 reads of the ALT
// haplotype end inside the run, where they match the reference base for base and are aligned
// without the deletion (55M). Only the first ten tell the alleles apart: VAF 0.5, not 5/15.
TEST(ReadEvidence, IndelReadsEndingInsideTheRepeatCountForNeitherAllele) {
  // C at 499, A at 500-510.
  HandBuiltReads reads(repeated("ACGTTGCAGGCATCCA", 498) + "C" + std::string(11, 'A') + repeated("TGCATTGCAAGTCCGATCGA", 491));
  std::string contig = reads.piece(1, 1000);
  std::string alt_haplotype = contig.substr(0, 510 - 1) + contig.substr(510);  // one A fewer
  for (int i = 0; i < 5; ++i) {
    long start = 440 + i;
    reads.add("ref" + std::to_string(i), 0, start, "90M", reads.piece(start, 90));  // spans 500-511
    // 60 bases of the ALT haplotype from `start`: 499 - start + 1 bases up to the anchor, then the run.
    reads.add("alt" + std::to_string(i), 0, start,
              std::to_string(500 - start) + "M1D" + std::to_string(60 - (500 - start)) + "M",
              alt_haplotype.substr(static_cast<std::size_t>(start - 1), 60));
    reads.add("short" + std::to_string(i), 0, start, std::to_string(507 - start + 1) + "M",
              alt_haplotype.substr(static_cast<std::size_t>(start - 1), static_cast<std::size_t>(507 - start + 1)));
  }
  std::string bam = reads.write();
  // The short reads really match the reference: samtools calmd finds no mismatch (NM:i:0) in them.
  std::string calmd = run_command("cd '" + reads.dir() + "' && samtools calmd reads.bam ref.fa 2>/dev/null | grep '^short'");
  ASSERT_EQ(split(calmd, '\n').size(), 5u);
  for (const std::string& line : split(calmd, '\n')) EXPECT_NE(line.find("NM:i:0"), std::string::npos) << line;

  AlignmentReader reader(bam, reads.reference(), reads.lengths());
  // The deletion slides from after 499 to after 509: the run's last A is the deleted one.
  AlleleCounts counts = reader.count_indel("c1", 499, "CA", "C", 10, ReadFilters{});
  EXPECT_EQ(counts.alt, 5);
  EXPECT_EQ(counts.ref, 5);
  EXPECT_EQ(counts.depth, 10);
  // Without the slide the short reads would count as REF (what the rule must not do).
  AlleleCounts unslid = reader.count_indel("c1", 499, "CA", "C", 0, ReadFilters{});
  EXPECT_EQ(unslid.ref, 10);
  AlleleByRead calls = reader.allele_by_read("c1", 499, "CA", "C", 10, ReadFilters{});
  EXPECT_EQ(calls.size(), 10u);
  EXPECT_EQ(calls.count("short0"), 0u);
  EXPECT_EQ(calls.at("alt0"), 'A');
  EXPECT_EQ(calls.at("ref0"), 'R');
}

// Six proper pairs whose mates overlap completely, each mate carrying a 2-base insertion after
// position 1080: six fragments, as bcftools' AD counts the bases there (6), so the germline indel
// has six reads and a depth of six (it used to count twelve alignments against
// --germline-min-depth).
TEST(ReadEvidence, OverlappingMatesCountOnceForIndelsAsForBases) {
  HandBuiltReads reads(repeated("ACGTTGCAGGCATCCATTGACCGTAG", 2000));
  for (int i = 0; i < 6; ++i) {
    long start = 1030 + i;
    std::string bases = reads.piece(start, 1080 - start + 1) + "GG" + reads.piece(1081, 49);
    std::string cigar = std::to_string(1080 - start + 1) + "M2I49M";
    std::string name = "pair" + std::to_string(i);
    long end = start + (1080 - start + 1) + 49 - 1;
    reads.add(name, 99, start, cigar, bases, start, end - start + 1);     // paired, proper, mate reverse, first
    reads.add(name, 147, start, cigar, bases, start, -(end - start + 1));  // paired, proper, reverse, second
  }
  std::string bam = reads.write();
  AlignmentReader reader(bam, reads.reference(), reads.lengths());
  std::vector<PositionPileup> sites = reader.pileup_positions("c1", 1080, 1080, ReadFilters{});
  ASSERT_EQ(sites.size(), 1u);
  auto allele_depths = oncolm::test::bcftools_allele_depths(bam, reads.reference(), "c1:1080-1080", 20, 13);
  ASSERT_EQ(allele_depths.size(), 1u);
  EXPECT_EQ(allele_depths[0].total_depth(), 6);
  EXPECT_EQ(sites[0].depth(), 6);
  EXPECT_EQ(sites[0].indel_depth, 6);
  EXPECT_EQ(sites[0].indels.at("+GG"), 6);
}

// SV support passes --min-mapq on both parts of the evidence: a split read whose supplementary part
// has MAPQ 0 (SA tag), or a discordant pair whose mate has MAPQ 0 (MQ tag), is no support, as the
// MAPQ-0 alignment itself would be filtered.
TEST(ReadEvidence, SvSupportNeedsBothPartsAboveTheMappingQuality) {
  HandBuiltReads reads(repeated("ACGTTGCAGGCATCCATTGACCGTAG", 3000));
  // A 1-kb deletion: 500 joined to 1501.
  SvJunction junction;
  junction.bp1 = BreakendSide{"c1", 500, Direction::left};
  junction.bp2 = BreakendSide{"c1", 1501, Direction::right};
  std::string split_bases = reads.piece(451, 50) + reads.piece(1501, 50);
  for (const auto& [name, mapq] : {std::pair<std::string, int>{"split60", 60}, {"split0", 0}})
    reads.add(name, 0, 451, "50M50S", split_bases, 0, 0, "SA:Z:c1,1501,+,50S50M," + std::to_string(mapq) + ",0;");
  for (const auto& [name, mapq] : {std::pair<std::string, int>{"pair60", 60}, {"pair0", 0}})
    reads.add(name, 97, 400, "50M", reads.piece(400, 50), 1550, 0, "MQ:i:" + std::to_string(mapq));
  std::string bam = reads.write();
  AlignmentReader reader(bam, reads.reference(), reads.lengths());
  SvSupportingReads support = reader.sv_supporting_reads(junction, ReadFilters{});
  EXPECT_EQ(support.split, (std::set<std::string>{"split60"}));
  EXPECT_EQ(support.discordant, (std::set<std::string>{"pair60"}));
  // With --min-mapq 0 both count.
  ReadFilters any_mapq;
  any_mapq.min_mapq = 0;
  SvSupportingReads all = reader.sv_supporting_reads(junction, any_mapq);
  EXPECT_EQ(all.split.size(), 2u);
  EXPECT_EQ(all.discordant.size(), 2u);
}

// Reads near SV junctions whose mate lies on a contig outside the reference (a decoy) are no
// support and are counted by name: once, however many junctions or breakends they are near.
TEST(ReadEvidence, ReadsWithMatesOutsideTheReferenceCountOnceByName) {
  HandBuiltReads reads(repeated("ACGTTGCAGGCATCCATTGACCGTAG", 3000));
  reads.declare_other_contig("hs37d5", 5000);
  const int first_of_pair = 1 | 64, second_of_pair = 1 | 128;
  // Near both breakends of the 1-kb deletion below (within the search distance of each).
  reads.add_with_mate_on("near_both", first_of_pair, 900, "50M", reads.piece(900, 50), "hs37d5", 100);
  // Near breakend 1 only; its mate is the read of the same name on the decoy (not in this file's c1 reads).
  reads.add_with_mate_on("near_one", second_of_pair, 450, "50M", reads.piece(450, 50), "hs37d5", 200);
  std::string bam = reads.write();
  AlignmentReader reader(bam, reads.reference(), reads.lengths());
  EXPECT_EQ(reader.contigs_outside_reference(), std::vector<std::string>{"hs37d5"});
  SvJunction deletion;
  deletion.bp1 = BreakendSide{"c1", 500, Direction::left};
  deletion.bp2 = BreakendSide{"c1", 1501, Direction::right};
  SvSupportingReads support = reader.sv_supporting_reads(deletion, ReadFilters{});
  EXPECT_TRUE(support.discordant.empty());
  EXPECT_EQ(reader.reads_with_mate_outside_reference(), 2);
  // A second junction near the same reads adds no new names.
  SvJunction nearby = deletion;
  nearby.bp1.pos = 520;
  reader.sv_supporting_reads(nearby, ReadFilters{});
  EXPECT_EQ(reader.reads_with_mate_outside_reference(), 2);
}

TEST(ReadEvidence, HeaderLengthThatDisagreesWithTheReferenceIsAnError) {
  ContigLengths other_genome = {{"1", 249250621}};  // full-length hs37d5 chr1: not this BAM's
  try {
    AlignmentReader reader(bam_path, reference_path, other_genome);
    FAIL() << "expected an error";
  } catch (const oncolm::InputError& error) {
    std::string message = error.what();
    EXPECT_NE(message.find(bam_path), std::string::npos);
    EXPECT_NE(message.find("@SQ 1 has length 239940"), std::string::npos) << message;
  }
}

TEST(ReadEvidence, ContigsOutsideTheReferenceAreListedNotFatal) {
  // chr1 of another length is not the BAM's 1: that contig lies outside the reference.
  ContigLengths reference_with_other_contigs = {{"chr1", 239941}, {"2", 1000}};
  AlignmentReader reader(bam_path, reference_path, reference_with_other_contigs);
  EXPECT_EQ(reader.contigs_outside_reference(), std::vector<std::string>{"1"});
  // Named the other way with the same length, it is read as the reference's contig.
  ContigLengths reference_with_other_names = {{"chr1", 239940}};
  AlignmentReader renamed(bam_path, reference_path, reference_with_other_names);
  EXPECT_TRUE(renamed.contigs_outside_reference().empty());
  EXPECT_EQ(renamed.contigs_in_reference(), 1u);
}

TEST(ReadEvidence, MissingIndexIsReportedWithThePath) {
  EXPECT_THROW(AlignmentReader(reads_dir + "/no_such.bam", reference_path, reference_contigs),
               oncolm::InputError);
}
