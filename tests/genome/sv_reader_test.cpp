// SV calls of the real COLO829 call sets (truth set, manta, GRIDSS) on chr20/chrX
// (tests/data/sv, see make_sv_data.py), end to end: pairing, skips, REF base checks, and
// junction windows compared with derivative sequences cut from the reference with samtools.
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <map>
#include <memory>
#include <regex>
#include <set>
#include <sstream>

#include "genome/io/contigs.h"
#include "genome/io/reference.h"
#include "core/error.h"
#include "genome/sv/sv_reader.h"

using namespace oncolm::genome;

namespace {

const std::string sv_dir = std::string(ONCOLM_TEST_DATA_DIR) + "/sv";
const std::string reference_path = sv_dir + "/ref_20_X.masked.fa.gz";

std::string run_command(const std::string& command) {
  std::unique_ptr<FILE, int (*)(FILE*)> pipe(popen(command.c_str(), "r"), pclose);
  std::string output;
  char buffer[4096];
  while (std::size_t n = fread(buffer, 1, sizeof buffer, pipe.get())) output.append(buffer, n);
  return output;
}

// Reference bases start..end via samtools, independent of oncolm's Reference.
std::string samtools_bases(const std::string& chrom, long start, long end) {
  std::string text = run_command("samtools faidx " + reference_path + " " + chrom + ":" + std::to_string(start) +
                                 "-" + std::to_string(end));
  std::string bases;
  std::stringstream lines(text);
  std::string line;
  std::getline(lines, line);  // header
  while (std::getline(lines, line)) bases += line;
  for (char& c : bases) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return bases;
}

struct VcfRow {
  std::string chrom, ref, alt;
  long pos;
};

std::vector<VcfRow> data_rows(const std::string& path) {
  std::string text = run_command((path.size() > 3 && path.substr(path.size() - 3) == ".gz" ? "zcat " : "cat ") + path);
  std::vector<VcfRow> rows;
  std::stringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::stringstream fields(line);
    VcfRow row;
    std::string pos, id;
    std::getline(fields, row.chrom, '\t');
    std::getline(fields, pos, '\t');
    std::getline(fields, id, '\t');
    std::getline(fields, row.ref, '\t');
    std::getline(fields, row.alt, '\t');
    row.pos = std::stol(pos);
    rows.push_back(row);
  }
  return rows;
}

struct Result {
  std::vector<SvCall> calls;
  SvReadCounts counts;
};

Result read_all(const std::string& file, bool keep_filtered = true) {
  Reference reference(reference_path);
  ContigResolver contigs(reference, {});
  Result result;
  read_sv_calls(sv_dir + "/" + file, reference, contigs, SvReadOptions{keep_filtered}, result.counts,
                [&](SvCall&& call) { result.calls.push_back(std::move(call)); });
  return result;
}

const SvCall* find_call(const Result& result, const std::string& chrom, long pos) {
  for (const SvCall& call : result.calls)
    if (call.junction.bp1.chrom == chrom && call.junction.bp1.pos == pos) return &call;
  return nullptr;
}

std::string junction_sequence(const SvJunction& junction, std::int64_t length) {
  Reference reference(reference_path);
  return build_junction_window(junction, length, [&](const std::string& chrom, std::int64_t start, std::int64_t end) {
           int contig = reference.find(chrom);
           return reference.fetch(contig, start, std::min(end, reference.length(contig)));
         }).sequence;
}

}  // namespace

TEST(SvReader, TruthSetPairsMatesCountsOffReferenceMatesAndFlagsWrongRefBases) {
  Result result = read_all("truthset.20_X.vcf");
  std::vector<VcfRow> rows = data_rows(sv_dir + "/truthset.20_X.vcf");
  std::regex mate_pattern(R"([\[\]]([^:\[\]]+):\d+[\[\]])");
  std::size_t mates_elsewhere = 0, mates_here = 0, wrong_ref = 0;
  for (const VcfRow& row : rows) {
    std::smatch mate;
    ASSERT_TRUE(std::regex_search(row.alt, mate, mate_pattern)) << row.alt;
    (mate[1] == "20" || mate[1] == "X") ? ++mates_here : ++mates_elsewhere;
    wrong_ref += samtools_bases(row.chrom, row.pos, row.pos) != row.ref.substr(0, 1);
  }
  EXPECT_EQ(result.counts.records, rows.size());
  EXPECT_EQ(result.counts.skipped["sv_mate_contig_not_in_reference"], mates_elsewhere);
  EXPECT_EQ(result.counts.junctions, mates_here / 2) << "both mates of each 20/X pair are in the file";
  EXPECT_EQ(result.counts.unpaired_breakends, 0u);
  EXPECT_EQ(result.counts.ref_base_mismatches, wrong_ref);
  EXPECT_GT(wrong_ref, 0u) << "the truth set's wrong REF bases are a known property of the data";
  EXPECT_EQ(result.counts.max_waiting_mates > 0, mates_here > 0);
}

TEST(SvReader, GridssDeletionJunctionEqualsTheDerivedSequence) {
  Result result = read_all("gridss.20_X.vcf.gz");
  // gridss273fb_7674o: 20:13160728 G -> G[20:13164101[ (a 3.4 kb deletion with its mate record).
  const SvCall* call = find_call(result, "20", 13160728);
  ASSERT_NE(call, nullptr);
  EXPECT_EQ(call->junction.sv_class, SvClass::del);
  EXPECT_EQ(call->junction.bp2.pos, 13164101);
  EXPECT_EQ(call->junction.id, "gridss273fb_7674o,gridss273fb_7674h");
  std::string derived = samtools_bases("20", 13160728 - 99, 13160728) + samtools_bases("20", 13164101, 13164101 + 99);
  EXPECT_EQ(junction_sequence(call->junction, 200), derived);
}

TEST(SvReader, MantaSymbolicDeletionAndFilteredRecords) {
  Result all = read_all("manta.20_X.vcf");
  // MantaDEL X:1450356 <DEL> END=1453448, IMPRECISE with CIPOS.
  const SvCall* deletion = find_call(all, "X", 1450356);
  ASSERT_NE(deletion, nullptr);
  EXPECT_EQ(deletion->junction.sv_class, SvClass::del);
  EXPECT_EQ(deletion->junction.size, 1453448 - 1450356);
  EXPECT_TRUE(deletion->junction.imprecise);
  // CIPOS is around POS (breakend 1), CIEND around END (breakend 2).
  EXPECT_TRUE(deletion->junction.bp1_interval.stated);
  EXPECT_EQ(deletion->junction.bp1_interval.low, -211);
  EXPECT_EQ(deletion->junction.bp1_interval.high, 212);
  EXPECT_EQ(deletion->junction.bp2_interval.low, -333);
  EXPECT_EQ(deletion->junction.bp2_interval.high, 334);
  std::string derived = samtools_bases("X", 1450356 - 49, 1450356) + samtools_bases("X", 1453449, 1453449 + 49);
  EXPECT_EQ(junction_sequence(deletion->junction, 100), derived);

  // Without --keep-filtered, manta's MinSomaticScore records are skipped and counted.
  Result passing = read_all("manta.20_X.vcf", false);
  std::string text = run_command("grep -v '^#' " + sv_dir + "/manta.20_X.vcf | awk -F'\\t' '$7 != \"PASS\" && $7 != \".\"' | wc -l");
  EXPECT_EQ(passing.counts.skipped["sv_filtered"], std::stoul(text));
  EXPECT_GT(passing.counts.skipped["sv_filtered"], 0u);
  EXPECT_EQ(passing.counts.records, all.counts.records);
}

// A caller writing one record per junction may name two junctions bnd_1 and bnd_2: the id
// convention only pairs records that point at each other. And an <INS> without END ends at POS
// (its SVLEN is the inserted length), so one near the contig end is not outside it.
TEST(SvReader, IdConventionPairsOnlyMirroredBreakendsAndInsertionsEndAtPos) {
  const std::string path = ::testing::TempDir() + "/one_record_per_junction.vcf";
  const long ins_pos = 69999920;  // X is 69,999,930 bases here: POS + SVLEN would pass its end
  std::ofstream(path) << "##fileformat=VCFv4.2\n##contig=<ID=20,length=63025520>\n##contig=<ID=X,length=69999930>\n"
                      << "##INFO=<ID=SVTYPE,Number=1,Type=String,Description=\"t\">\n"
                      << "##INFO=<ID=SVLEN,Number=.,Type=Integer,Description=\"l\">\n"
                      << "##INFO=<ID=SVINSSEQ,Number=.,Type=String,Description=\"s\">\n"
                      << "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n"
                      << "20\t10001000\tbnd_1\t" << samtools_bases("20", 10001000, 10001000) << "\t"
                      << samtools_bases("20", 10001000, 10001000) << "[20:10005000[\t.\tPASS\tSVTYPE=BND\n"
                      << "20\t10002000\tbnd_2\t" << samtools_bases("20", 10002000, 10002000) << "\t"
                      << samtools_bases("20", 10002000, 10002000) << "[20:10008000[\t.\tPASS\tSVTYPE=BND\n"
                      << "X\t" << ins_pos << "\tins\t" << samtools_bases("X", ins_pos, ins_pos)
                      << "\t<INS>\t.\tPASS\tSVTYPE=INS;SVLEN=30;SVINSSEQ=ACGTACGTACGTACGTACGTACGTACGTAC\n";
  Reference reference(reference_path);
  ContigResolver contigs(reference, {});
  SvReadCounts counts;
  std::vector<SvCall> calls;
  read_sv_calls(path, reference, contigs, {}, counts, [&](SvCall&& call) { calls.push_back(std::move(call)); });
  EXPECT_EQ(counts.records, 3u);
  EXPECT_EQ(counts.junctions, 3u);
  EXPECT_EQ(counts.unpaired_breakends, 2u);
  EXPECT_EQ(counts.skipped["sv_position_outside_contig"], 0u);
  std::set<long> starts;
  for (const SvCall& call : calls) starts.insert(static_cast<long>(call.junction.bp1.pos));
  EXPECT_EQ(starts, (std::set<long>{10001000, 10002000, ins_pos}));
}

// A precise deletion written with its bases, as Manta writes those of ~100-1,000 bp (683 here), is a
// junction, since the small-variant path sets such indels aside as SVs; a 50-base one is a small
// variant. Manta's one-junction <INV> records (INV3, INV5) give that
// junction only; an <INV> reaching the contig's end keeps its junction that exists; <DUP:INV> is
// no tandem duplication.
TEST(SvReader, SequenceDeletionsOneJunctionInversionsAndInvertedDuplications) {
  const std::string path = ::testing::TempDir() + "/sequence_and_inversions.vcf";
  const long del_pos = 10001000, short_pos = 10002000, inv_pos = 10003000, end_pos = 69999900;
  std::string deleted = samtools_bases("20", del_pos, del_pos + 683);  // anchor + 683 bases
  std::string short_deleted = samtools_bases("20", short_pos, short_pos + 50);
  std::ofstream(path) << "##fileformat=VCFv4.2\n##contig=<ID=20,length=63025520>\n##contig=<ID=X,length=69999930>\n"
                      << "##INFO=<ID=END,Number=1,Type=Integer,Description=\"e\">\n"
                      << "##INFO=<ID=INV3,Number=0,Type=Flag,Description=\"i3\">\n"
                      << "##INFO=<ID=INV5,Number=0,Type=Flag,Description=\"i5\">\n"
                      << "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n"
                      << "20\t" << del_pos << "\tseqdel\t" << deleted << "\t" << deleted.substr(0, 1) << "\t.\tPASS\t.\n"
                      << "20\t" << short_pos << "\tshortdel\t" << short_deleted << "\t" << short_deleted.substr(0, 1)
                      << "\t.\tPASS\t.\n"
                      << "20\t" << inv_pos << "\tinv3\t" << samtools_bases("20", inv_pos, inv_pos)
                      << "\t<INV>\t.\tPASS\tEND=" << inv_pos + 500 << ";INV3\n"
                      << "20\t" << inv_pos + 10 << "\tinv5\t" << samtools_bases("20", inv_pos + 10, inv_pos + 10)
                      << "\t<INV>\t.\tPASS\tEND=" << inv_pos + 510 << ";INV5\n"
                      << "20\t" << inv_pos + 20 << "\tinvboth\t" << samtools_bases("20", inv_pos + 20, inv_pos + 20)
                      << "\t<INV>\t.\tPASS\tEND=" << inv_pos + 520 << "\n"
                      << "20\t" << inv_pos + 30 << "\tdupinv\t" << samtools_bases("20", inv_pos + 30, inv_pos + 30)
                      << "\t<DUP:INV>\t.\tPASS\tEND=" << inv_pos + 530 << "\n"
                      << "X\t" << end_pos << "\tinvend\t" << samtools_bases("X", end_pos, end_pos)
                      << "\t<INV>\t.\tPASS\tEND=69999930\n";
  Reference reference(reference_path);
  ContigResolver contigs(reference, {});
  SvReadCounts counts;
  std::map<std::string, SvJunction> by_id;
  read_sv_calls(path, reference, contigs, SvReadOptions{false, 100}, counts,
                [&](SvCall&& call) { by_id[call.junction.id] = call.junction; });
  EXPECT_EQ(counts.records, 7u);
  EXPECT_EQ(counts.skipped["sv_sequence_allele"], 1u);       // the 50-base deletion
  EXPECT_EQ(counts.skipped["sv_unsupported_symbolic"], 1u);  // <DUP:INV>
  std::vector<std::string> ids;
  for (const auto& entry : by_id) ids.push_back(entry.first);
  EXPECT_EQ(ids, (std::vector<std::string>{"inv3", "inv5", "invboth.j1", "invboth.j2", "invend.j1", "seqdel"}));
  EXPECT_EQ(counts.junctions, 6u);
  // The sequence deletion joins its anchor to the base after REF, as a <DEL> with END would.
  const SvJunction& del = by_id.at("seqdel");
  EXPECT_EQ(del.sv_class, SvClass::del);
  EXPECT_EQ(del.size, 683);
  EXPECT_EQ(del.bp2.pos, del_pos + 684);
  EXPECT_EQ(junction_sequence(del, 100), samtools_bases("20", del_pos - 49, del_pos) +
                                             samtools_bases("20", del_pos + 684, del_pos + 684 + 49));
  // INV3: POS and END, both retained to the left; INV5: POS+1 and END+1, both to the right.
  EXPECT_EQ(by_id.at("inv3").bp1.pos, inv_pos);
  EXPECT_EQ(by_id.at("inv3").bp2.pos, inv_pos + 500);
  EXPECT_EQ(by_id.at("inv3").bp1.direction, Direction::left);
  EXPECT_EQ(by_id.at("inv5").bp1.pos, inv_pos + 11);
  EXPECT_EQ(by_id.at("inv5").bp2.pos, inv_pos + 511);
  EXPECT_EQ(by_id.at("inv5").bp1.direction, Direction::right);
  EXPECT_EQ(by_id.at("invend.j1").bp2.pos, 69999930);  // its j2 would join past the contig's last base
}

TEST(SvReader, BedpeRowsFollowPcawgStrands) {
  std::string path = ::testing::TempDir() + "/calls.bedpe";
  std::ofstream(path) << "chrom1\tstart1\tend1\tchrom2\tstart2\tend2\tsv_id\tpe_support\tstrand1\tstrand2\tsvclass\tsvmethod\n"
                      << "20\t13160727\t13160728\t20\t13164100\t13164101\tSVMERGE1\t37\t+\t-\tDEL\tX\n"
                      << "20\t13160727\t13160728\tGL000192.1\t10\t11\tSVMERGE2\t5\t+\t-\tTRA\tX\n";
  Reference reference(reference_path);
  ContigResolver contigs(reference, {});
  SvReadCounts counts;
  std::vector<SvCall> calls;
  read_sv_calls(path, reference, contigs, {}, counts, [&](SvCall&& call) { calls.push_back(std::move(call)); });
  ASSERT_EQ(calls.size(), 1u);
  EXPECT_EQ(calls[0].junction.sv_class, SvClass::del);
  EXPECT_EQ(calls[0].junction.bp1.pos, 13160728);
  EXPECT_EQ(calls[0].junction.bp2.pos, 13164101);
  EXPECT_EQ(counts.skipped["sv_unknown_contig"], 1u);
  EXPECT_FALSE(calls[0].junction.imprecise);
  EXPECT_EQ(counts.imprecise, 0u);

  // A confidence interval (LUMPY/svtools-style) instead of PCAWG's one base: placed at its start,
  // flagged imprecise, the interval kept around that base. The second row names its breakends the
  // other way round (X first): the intervals follow their breakends.
  std::ofstream(path) << "20\t13160700\t13160760\t20\t13164100\t13164101\tSVWIDE\t37\t+\t-\tDEL\tX\n"
                      << "X\t20000000\t20000100\t20\t10005000\t10005010\tSVSWAP\t9\t+\t-\tTRA\tX\n";
  calls.clear();
  SvReadCounts wide_counts;
  read_sv_calls(path, reference, contigs, {}, wide_counts, [&](SvCall&& call) { calls.push_back(std::move(call)); });
  ASSERT_EQ(calls.size(), 2u);
  EXPECT_EQ(calls[0].junction.bp1.pos, 13160701);
  EXPECT_TRUE(calls[0].junction.imprecise);
  EXPECT_EQ(wide_counts.imprecise, 2u);
  EXPECT_EQ(calls[0].junction.bp1_interval.low, 0);
  EXPECT_EQ(calls[0].junction.bp1_interval.high, 59);  // bases 13160701..13160760
  EXPECT_EQ(calls[0].junction.bp2_interval.high, 0);
  const SvJunction& swapped = calls[1].junction;
  EXPECT_EQ(swapped.bp1.chrom, "20");
  EXPECT_EQ(swapped.bp1.pos, 10005001);
  EXPECT_EQ(swapped.bp1_interval.high, 9);
  EXPECT_EQ(swapped.bp2.chrom, "X");
  EXPECT_EQ(swapped.bp2_interval.high, 99);

  std::ofstream(path) << "20\t13160727\t13160728\t20\tx\t13164101\tSVMERGE1\t37\t+\t-\tDEL\tX\n";
  try {
    read_sv_calls(path, reference, contigs, {}, counts, [](SvCall&&) {});
    FAIL() << "expected an error";
  } catch (const oncolm::InputError& error) {
    EXPECT_NE(std::string(error.what()).find(path + ":1: BEDPE column start2"), std::string::npos) << error.what();
  }
}

// Confidence intervals belong to breakends: CIPOS/CIEND of a symbolic record to POS/END, each BND
// mate's CIPOS to its own breakend whichever record comes first, a one-record BND's CIEND (Delly's
// translocations) to its mate; intervals that are not low <= high are ignored with a warning.
// Delly's one-junction inversions (CT=3to3, CT=5to5) give that junction only, as Manta's do.
TEST(SvReader, ConfidenceIntervalsFollowTheirBreakendsAndDellyInversionsGiveOneJunction) {
  const std::string path = ::testing::TempDir() + "/intervals.vcf";
  auto base = [](const std::string& chrom, long pos) { return samtools_bases(chrom, pos, pos); };
  std::ofstream(path) << "##fileformat=VCFv4.2\n##contig=<ID=20,length=63025520>\n##contig=<ID=X,length=69999930>\n"
                      << "##INFO=<ID=END,Number=1,Type=Integer,Description=\"e\">\n"
                      << "##INFO=<ID=CIPOS,Number=2,Type=Integer,Description=\"p\">\n"
                      << "##INFO=<ID=CIEND,Number=2,Type=Integer,Description=\"e\">\n"
                      << "##INFO=<ID=CT,Number=1,Type=String,Description=\"c\">\n"
                      << "##INFO=<ID=MATEID,Number=1,Type=String,Description=\"m\">\n"
                      << "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n"
                      // The X mate first: the pair completes at the chr20 record, breakend 1.
                      << "X\t20000000\tbndB\t" << base("X", 20000000) << "\t]20:10005000]" << base("X", 20000000)
                      << "\t.\tPASS\tMATEID=bndA;CIPOS=-30,40\n"
                      << "20\t10005000\tbndA\t" << base("20", 10005000) << "\t" << base("20", 10005000)
                      << "[X:20000000[\t.\tPASS\tMATEID=bndB;CIPOS=-5,7\n"
                      << "X\t30000000\tdellyBND\t" << base("X", 30000000) << "\t" << base("X", 30000000)
                      << "[20:10006000[\t.\tPASS\tCT=3to5;CIPOS=-3,3;CIEND=-50,60\n"
                      << "20\t10007000\tdinv3\t" << base("20", 10007000)
                      << "\t<INV>\t.\tPASS\tEND=10007500;CT=3to3;CIPOS=-10,10;CIEND=-20,20\n"
                      << "20\t10008000\tdinv5\t" << base("20", 10008000)
                      << "\t<INV>\t.\tPASS\tEND=10008500;CT=5to5;CIPOS=-10,10;CIEND=-20,20\n"
                      << "20\t10009000\tbadci\t" << base("20", 10009000)
                      << "\t<DEL>\t.\tPASS\tEND=10009500;CIPOS=10,-10;CIEND=5\n";
  Reference reference(reference_path);
  ContigResolver contigs(reference, {});
  SvReadCounts counts;
  std::map<std::string, SvJunction> by_id;
  testing::internal::CaptureStderr();
  read_sv_calls(path, reference, contigs, SvReadOptions{}, counts,
                [&](SvCall&& call) { by_id[call.junction.id] = call.junction; });
  const std::string warnings = testing::internal::GetCapturedStderr();
  std::vector<std::string> ids;
  for (const auto& entry : by_id) ids.push_back(entry.first);
  EXPECT_EQ(ids, (std::vector<std::string>{"badci", "bndA,bndB", "dellyBND", "dinv3", "dinv5"}));
  auto expect_interval = [](const ConfidenceInterval& interval, long low, long high, const std::string& what) {
    EXPECT_TRUE(interval.stated) << what;
    EXPECT_EQ(interval.low, low) << what;
    EXPECT_EQ(interval.high, high) << what;
  };
  const SvJunction& pair = by_id.at("bndA,bndB");
  EXPECT_EQ(pair.bp1.chrom, "20");
  expect_interval(pair.bp1_interval, -5, 7, "chr20 mate");
  expect_interval(pair.bp2_interval, -30, 40, "chrX mate");
  const SvJunction& single = by_id.at("dellyBND");  // oriented on its mate, 20:10006000
  EXPECT_EQ(single.bp1.chrom, "20");
  expect_interval(single.bp1_interval, -50, 60, "CIEND, around POS2");
  expect_interval(single.bp2_interval, -3, 3, "CIPOS");
  const SvJunction& inv3 = by_id.at("dinv3");
  EXPECT_EQ(inv3.bp1.direction, Direction::left);
  EXPECT_EQ(inv3.bp2.direction, Direction::left);
  EXPECT_EQ(inv3.bp1.pos, 10007000);
  EXPECT_EQ(inv3.bp2.pos, 10007500);
  expect_interval(inv3.bp1_interval, -10, 10, "CIPOS of 3to3");
  expect_interval(inv3.bp2_interval, -20, 20, "CIEND of 3to3");
  const SvJunction& inv5 = by_id.at("dinv5");
  EXPECT_EQ(inv5.bp1.direction, Direction::right);
  EXPECT_EQ(inv5.bp2.direction, Direction::right);
  EXPECT_EQ(inv5.bp1.pos, 10008001);
  EXPECT_EQ(inv5.bp2.pos, 10008501);
  EXPECT_FALSE(by_id.at("badci").bp1_interval.stated);
  EXPECT_FALSE(by_id.at("badci").bp2_interval.stated);
  EXPECT_NE(warnings.find("intervals.vcf:15: INFO CIPOS=10,-10 is not an interval"), std::string::npos) << warnings;
  EXPECT_NE(warnings.find("intervals.vcf:15: INFO CIEND=5 is not an interval"), std::string::npos) << warnings;
}
