// Bad input: each case gets a clear message naming the file (and line or record), is counted by
// reason where it is skipped, and a failing run leaves no output that looks complete. Inputs are
// real test records with one thing broken.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "genome/io/reference.h"
#include "test_support.h"

using namespace oncolm::test;
using Json = nlohmann::json;

namespace {

const std::string sheet_header =
    "sample_id\tdonor_id\ttumour_bam\tnormal_bam\tsnv_vcf\tindel_vcf\tsv_vcf\thistology_abbreviation\torgan_system\n";

// liver2's 12 real SNVs; line 7 is the first record.
const std::string liver2 = data("samples/liver2.snv_mnv.vcf");
constexpr long first_record_line = 7;

std::string sheet_for(const ScratchDir& dir, const std::string& snv_vcf, const std::string& indel_vcf = "") {
  std::string path = dir / "sheet.tsv";
  write_file(path, sheet_header + "s1\td1\t\t\t" + snv_vcf + "\t" + indel_vcf + "\t\tLiver-ASC\tliver\n");
  return path;
}

CommandResult run_windows(const std::string& sheet, const std::string& out, const std::string& extra = "") {
  return run_oncolm("windows '" + sheet + "' --reference '" + reference() + "' -o '" + out + "' " + extra);
}

std::vector<std::string> lines_of(const std::string& path) { return split(read_text(path), '\n'); }

std::string join_lines(const std::vector<std::string>& lines) {
  std::string text;
  for (const auto& line : lines) text += line + "\n";
  return text;
}

// liver2 with line `number` (1-based) passed through `edit`.
std::string edited_liver2(const ScratchDir& dir, long number, const std::function<std::string(std::string)>& edit) {
  auto lines = lines_of(liver2);
  lines[static_cast<std::size_t>(number - 1)] = edit(lines[static_cast<std::size_t>(number - 1)]);
  std::string path = dir / "edited.vcf";
  write_file(path, join_lines(lines));
  return path;
}

std::string set_column(const std::string& line, std::size_t column, const std::string& value) {
  auto cells = split(line, '\t');
  cells[column] = value;
  std::string out;
  for (std::size_t i = 0; i < cells.size(); ++i) out += (i ? "\t" : "") + cells[i];
  return out;
}

Json stats_of(const std::string& dir) { return Json::parse(read_file(dir + "/s1.stats.json")); }

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

// Nothing that looks complete: no stats files, no cohort files, no temporary files.
void expect_no_complete_output(const std::string& out) {
  if (!fs::exists(out)) return;
  for (const auto& entry : fs::directory_iterator(out)) {
    std::string name = entry.path().filename().string();
    EXPECT_FALSE(contains(name, "stats.json")) << name;
    EXPECT_FALSE(contains(name, "manifest.tsv")) << name;
    EXPECT_FALSE(contains(name, ".tmp.")) << name;
  }
}

}  // namespace

TEST(BadInput, MissingVcfNamesSheetLineAndFile) {
  ScratchDir dir;
  CommandResult result = run_windows(sheet_for(dir, "no_such.vcf"), dir / "out");
  EXPECT_EQ(result.status, 1);
  EXPECT_TRUE(contains(result.err, "sheet.tsv:2")) << result.err;
  EXPECT_TRUE(contains(result.err, "no_such.vcf")) << result.err;
  expect_no_complete_output(dir / "out");
}

// A repeated header column would silently override the first one (here: the real VCF's records).
TEST(BadInput, RepeatedSheetColumnIsNamed) {
  ScratchDir dir;
  write_file(dir / "sheet.tsv", "sample_id\tdonor_id\tsnv_vcf\tsnv_vcf\ns1\td1\t" + liver2 + "\t\n");
  CommandResult result = run_windows(dir / "sheet.tsv", dir / "out");
  EXPECT_EQ(result.status, 1);
  EXPECT_TRUE(contains(result.err, "sheet.tsv:1: column 'snv_vcf' appears twice")) << result.err;
  expect_no_complete_output(dir / "out");
}

TEST(BadInput, SheetWithoutDonorOrSamplesIsNamed) {
  ScratchDir dir;
  write_file(dir / "sheet.tsv", sheet_header + "s1\t\t\t\t" + liver2 + "\t\t\tLiver-ASC\tliver\n");
  CommandResult no_donor = run_windows(dir / "sheet.tsv", dir / "out");
  EXPECT_EQ(no_donor.status, 1);
  EXPECT_TRUE(contains(no_donor.err, "sheet.tsv:2: sample 's1' has no donor_id")) << no_donor.err;
  write_file(dir / "sheet.tsv", sheet_header);
  CommandResult empty = run_windows(dir / "sheet.tsv", dir / "out");
  EXPECT_EQ(empty.status, 1);
  EXPECT_TRUE(contains(empty.err, "sheet.tsv: no samples")) << empty.err;
  expect_no_complete_output(dir / "out");
}

TEST(BadInput, TruncatedBgzfVcf) {
  ScratchDir dir;
  std::string whole = read_file(data("samples/blood_BCH.snv_mnv.vcf.gz"));
  write_file(dir / "no_eof.vcf.gz", whole.substr(0, whole.size() - 28));  // the 28-byte EOF block gone
  write_file(dir / "cut.vcf.gz", whole.substr(0, whole.size() / 2));
  for (const char* name : {"no_eof.vcf.gz", "cut.vcf.gz"}) {
    CommandResult result = run_windows(sheet_for(dir, name), dir / "out");
    EXPECT_EQ(result.status, 1) << name;
    EXPECT_TRUE(contains(result.err, name)) << result.err;
    EXPECT_TRUE(contains(result.err, "truncated")) << result.err;
    expect_no_complete_output(dir / "out");
  }
}

TEST(BadInput, TruncatedReference) {
  ScratchDir dir;
  std::string whole = read_file(reference());
  write_file(dir / "ref.fa.gz", whole.substr(0, whole.size() - 28));
  fs::copy_file(reference() + ".fai", dir / "ref.fa.gz.fai");
  fs::copy_file(reference() + ".gzi", dir / "ref.fa.gz.gzi");
  CommandResult result = run_oncolm("windows '" + sheet_for(dir, liver2) + "' --reference '" + (dir / "ref.fa.gz") +
                                    "' -o '" + (dir / "out") + "'");
  EXPECT_EQ(result.status, 1);
  EXPECT_TRUE(contains(result.err, "ref.fa.gz: truncated")) << result.err;
  expect_no_complete_output(dir / "out");
}

TEST(BadInput, MalformedLineNamesFileAndLine) {
  ScratchDir dir;
  long line = first_record_line + 3;
  std::string bad_pos = edited_liver2(dir, line, [](std::string text) { return set_column(text, 1, "12x4"); });
  CommandResult result = run_windows(sheet_for(dir, bad_pos), dir / "out");
  EXPECT_EQ(result.status, 1);
  EXPECT_TRUE(contains(result.err, "edited.vcf:" + std::to_string(line) + ": malformed")) << result.err;
  std::string short_line = edited_liver2(dir, line, [](std::string text) { return text.substr(0, text.find("\t.\t")); });
  result = run_windows(sheet_for(dir, short_line), dir / "out");
  EXPECT_EQ(result.status, 1);
  EXPECT_TRUE(contains(result.err, "edited.vcf:" + std::to_string(line) + ": malformed")) << result.err;
  expect_no_complete_output(dir / "out");
}

TEST(BadInput, RefMismatchIsSkippedAndCountedOrAnError) {
  ScratchDir dir;
  long line = first_record_line + 1;
  std::string wrong;
  std::string vcf = edited_liver2(dir, line, [&](std::string text) {
    std::string ref = split(text, '\t')[3];
    wrong = ref == "A" ? "C" : "A";  // any other base than the real one
    std::string alt = split(text, '\t')[4] == wrong ? "G" : split(text, '\t')[4];
    return set_column(set_column(text, 3, wrong), 4, alt == wrong ? "T" : alt);
  });
  CommandResult skip = run_windows(sheet_for(dir, vcf), dir / "skip");
  ASSERT_EQ(skip.status, 0) << skip.err;
  EXPECT_TRUE(contains(skip.err, "edited.vcf:" + std::to_string(line))) << skip.err;
  Json stats = stats_of(dir / "skip");
  EXPECT_EQ(stats["skipped"]["ref_mismatch"], 1);
  EXPECT_EQ(stats["windows"].get<std::size_t>(), 12u - 1);
  CommandResult error = run_windows(sheet_for(dir, vcf), dir / "error", "--ref-mismatch error");
  EXPECT_EQ(error.status, 1);
  EXPECT_TRUE(contains(error.err, "edited.vcf:" + std::to_string(line) + ": REF " + wrong)) << error.err;
  expect_no_complete_output(dir / "error");
}

TEST(BadInput, UnknownContigsAreCountedAndChrNamesNeedEqualLengths) {
  ScratchDir dir;
  auto rename = [&](const std::string& contig_line, const std::string& name) {
    std::string text;
    for (const auto& line : lines_of(liver2)) {
      if (line.rfind("##contig=<ID=20,", 0) == 0) text += contig_line + "\n";
      else if (!line.empty() && line[0] != '#') text += name + line.substr(2) + "\n";
      else text += line + "\n";
    }
    std::string path = dir / (name + std::to_string(contig_line.size()) + ".vcf");
    write_file(path, text);
    return path;
  };
  // chr20 without a declared length: not reconciled.
  CommandResult unknown = run_windows(sheet_for(dir, rename("##contig=<ID=chr20>", "chr20")), dir / "unknown");
  ASSERT_EQ(unknown.status, 0) << unknown.err;
  EXPECT_TRUE(contains(unknown.err, "contig chr20")) << unknown.err;
  EXPECT_EQ(stats_of(dir / "unknown")["skipped"]["unknown_contig"], 12);
  EXPECT_EQ(stats_of(dir / "unknown")["windows"], 0);
  // chr20 with GRCh37's chr20 length: reconciled, the same windows as with "20".
  CommandResult renamed =
      run_windows(sheet_for(dir, rename("##contig=<ID=chr20,length=63025520>", "chr20")), dir / "renamed");
  ASSERT_EQ(renamed.status, 0) << renamed.err;
  EXPECT_EQ(stats_of(dir / "renamed")["windows"], 12);
  // 20 declared with another length: another assembly, an error.
  CommandResult wrong = run_windows(sheet_for(dir, rename("##contig=<ID=20,length=64444167>", "20")), dir / "wrong");
  EXPECT_EQ(wrong.status, 1);
  EXPECT_TRUE(contains(wrong.err, "##contig 20 has length 64444167")) << wrong.err;
  expect_no_complete_output(dir / "wrong");
}

TEST(BadInput, EmptyVcfGivesValidEmptyOutputs) {
  ScratchDir dir;
  std::string header;
  for (const auto& line : lines_of(liver2))
    if (!line.empty() && line[0] == '#') header += line + "\n";
  write_file(dir / "empty.vcf", header);
  CommandResult result = run_windows(sheet_for(dir, dir / "empty.vcf"), dir / "out");
  ASSERT_EQ(result.status, 0) << result.err;
  EXPECT_EQ(stats_of(dir / "out")["windows"], 0);
  auto tsv_lines = split(read_text(dir / "out/s1.windows.tsv.gz"), '\n');
  ASSERT_EQ(tsv_lines.size(), 1u);
  EXPECT_EQ(tsv_lines[0].rfind("sample_id\tchrom\tpos", 0), 0u);
  EXPECT_EQ(read_text(dir / "out/s1.windows.fa.gz"), "");
  EXPECT_EQ(run_command("bgzip -t '" + (dir / "out/s1.windows.fa.gz") + "'").status, 0);
  // The index of an empty FASTA: no entries, and htslib loads it.
  EXPECT_EQ(read_file(dir / "out/s1.windows.fa.gz.fai"), "");
  EXPECT_EQ(read_file(dir / "out/s1.windows.fa.gz.gzi"), std::string(8, '\0'));
  EXPECT_TRUE(oncolm::genome::Reference(dir / "out/s1.windows.fa.gz").contigs().empty());
  EXPECT_EQ(read_tsv(dir / "out/manifest.tsv").at(0).at("windows"), "0");
  // Without an sv_vcf the SV files exist too, with only their header: every sample has the same files.
  auto sv_lines = split(read_text(dir / "out/s1.sv_windows.tsv.gz"), '\n');
  ASSERT_EQ(sv_lines.size(), 1u);
  EXPECT_EQ(sv_lines[0].rfind("sample_id\tid\tchrom\tpos\tmate_chrom", 0), 0u);
  EXPECT_EQ(read_text(dir / "out/s1.sv_windows.fa.gz"), "");
  EXPECT_EQ(read_file(dir / "out/s1.sv_windows.fa.gz.fai"), "");
  EXPECT_EQ(read_tsv(dir / "out/manifest.tsv").at(0).at("sv_junctions"), "0");
  // A file without even a header is not a VCF.
  write_file(dir / "zero.vcf", "");
  CommandResult zero = run_windows(sheet_for(dir, dir / "zero.vcf"), dir / "zero");
  EXPECT_EQ(zero.status, 1);
  EXPECT_TRUE(contains(zero.err, "zero.vcf: empty file")) << zero.err;
}

TEST(BadInput, DuplicatedSampleIdsAndMissingColumns) {
  ScratchDir dir;
  write_file(dir / "dup.tsv", sheet_header + "s1\td1\t\t\t" + liver2 + "\t\t\tA\tB\ns1\td2\t\t\t" + liver2 + "\t\t\tA\tB\n");
  CommandResult dup = run_windows(dir / "dup.tsv", dir / "out");
  EXPECT_EQ(dup.status, 1);
  EXPECT_TRUE(contains(dup.err, "dup.tsv:3: duplicated sample_id 's1' (first on line 2)")) << dup.err;
  write_file(dir / "cols.tsv", "sample_id\tdonor_id\tsnv_vcf\tindel_vcf\ns1\td1\t" + liver2 + "\t\n");
  CommandResult cols = run_windows(dir / "cols.tsv", dir / "out");
  EXPECT_EQ(cols.status, 1);
  EXPECT_TRUE(contains(cols.err, "cols.tsv:1: sample sheet header lacks required column(s): tumour_bam, normal_bam, sv_vcf"))
      << cols.err;
  expect_no_complete_output(dir / "out");
}

TEST(BadInput, IupacAltIsSkippedAndCounted) {
  ScratchDir dir;
  long line = first_record_line + 2;
  std::string vcf = edited_liver2(dir, line, [](std::string text) { return set_column(text, 4, "R"); });
  CommandResult result = run_windows(sheet_for(dir, vcf), dir / "out");
  ASSERT_EQ(result.status, 0) << result.err;
  EXPECT_TRUE(contains(result.err, "edited.vcf:" + std::to_string(line) + ": skipped (iupac_alt)")) << result.err;
  EXPECT_EQ(stats_of(dir / "out")["skipped"]["iupac_alt"], 1);
  EXPECT_EQ(stats_of(dir / "out")["windows"], 11);
}

// A sample's two VCFs need not follow the reference's contig order, only one order between them:
// here both declare MT before 20 (the reference has 20 first), the SNV file has 20 only and the indel
// file MT then 20. The contigs are taken in the files' order; both orders really disagreeing stays
// an error naming the file and line.
TEST(BadInput, TwoVcfsFollowTheirHeadersContigOrderNotTheReferences) {
  ScratchDir dir;
  const std::string mt_first = "##contig=<ID=MT,length=16569>\n##contig=<ID=20,length=63025520>\n";
  auto vcf = [&](const std::string& name, const std::string& contigs, const std::string& records) {
    std::string path = dir / name;
    write_file(path, "##fileformat=VCFv4.1\n" + contigs + "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n" + records);
    return path;
  };
  std::string snv = vcf("snv.vcf", mt_first, "20\t4705126\ta\tG\tA\t.\tPASS\t.\n");
  std::string indel = vcf("indel.vcf", mt_first,
                          "MT\t100\tb\tG\tGA\t.\tPASS\t.\nMT\t2000\tc\tC\tT\t.\tPASS\t.\n"
                          "20\t4705126\td\tG\tGT\t.\tPASS\t.\n");
  CommandResult result = run_windows(sheet_for(dir, snv, indel), dir / "out", "--window-length 21");
  ASSERT_EQ(result.status, 0) << result.err;
  EXPECT_EQ(stats_of(dir / "out")["windows"], 4);
  std::vector<std::string> contigs;
  for (const auto& row : read_tsv(dir / "out/s1.windows.tsv.gz")) contigs.push_back(row.at("chrom"));
  EXPECT_EQ(contigs, (std::vector<std::string>{"MT", "MT", "20", "20"}));
  // Orders that disagree: the SNV file now has 20 then MT.
  std::string crossed = vcf("crossed.vcf", "##contig=<ID=20,length=63025520>\n##contig=<ID=MT,length=16569>\n",
                            "20\t4705126\ta\tG\tA\t.\tPASS\t.\nMT\t2000\te\tC\tA\t.\tPASS\t.\n");
  CommandResult crossing = run_windows(sheet_for(dir, crossed, indel), dir / "crossed", "--window-length 21");
  EXPECT_EQ(crossing.status, 1);
  EXPECT_TRUE(contains(crossing.err, "must list contigs in the same order")) << crossing.err;
  expect_no_complete_output(dir / "crossed");
}

TEST(BadInput, UnsortedVcfIsAnError) {
  ScratchDir dir;
  // The real colon2 calls in their file's own order (not sorted by position).
  CommandResult result = run_windows(sheet_for(dir, data("samples/colon2.unsorted.vcf")), dir / "out");
  EXPECT_EQ(result.status, 1);
  EXPECT_TRUE(contains(result.err, "colon2.unsorted.vcf:")) << result.err;
  EXPECT_TRUE(contains(result.err, "not sorted")) << result.err;
  expect_no_complete_output(dir / "out");
}

TEST(BadInput, OneFailingSampleLeavesNoCohortFilesAndNoPartialSample) {
  ScratchDir dir;
  std::string bad = edited_liver2(dir, first_record_line + 5, [](std::string text) { return set_column(text, 1, "-"); });
  write_file(dir / "sheet.tsv", sheet_header + "good\td1\t\t\t" + liver2 + "\t\t\tA\tB\nbad\td2\t\t\t" + bad + "\t\t\tA\tB\n");
  CommandResult result = run_windows(dir / "sheet.tsv", dir / "out", "--threads 1");
  EXPECT_EQ(result.status, 1);
  EXPECT_FALSE(fs::exists(dir / "out/manifest.tsv"));
  EXPECT_FALSE(fs::exists(dir / "out/stats.json"));
  EXPECT_FALSE(fs::exists(dir / "out/bad.stats.json"));
  EXPECT_FALSE(fs::exists(dir / "out/bad.windows.fa.gz"));
  EXPECT_FALSE(fs::exists(dir / "out/bad.windows.tsv.gz"));
  EXPECT_FALSE(fs::exists(dir / "out/bad.sv_windows.fa.gz"));
  EXPECT_FALSE(fs::exists(dir / "out/bad.sv_windows.tsv.gz"));
  for (const auto& entry : fs::directory_iterator(dir / "out"))
    EXPECT_FALSE(contains(entry.path().filename().string(), ".tmp.")) << entry.path();
}

TEST(BadInput, FilteredSymbolicMultiallelicAndNoAltRecords) {
  ScratchDir dir;
  auto lines = lines_of(liver2);
  std::size_t at = first_record_line - 1;
  lines[at] = set_column(lines[at], 6, "LOWSUPPORT");
  lines[at + 1] = set_column(lines[at + 1], 4, "<DEL>");
  std::string ref = split(lines[at + 2], '\t')[3], alt = split(lines[at + 2], '\t')[4];
  std::string third = std::string("ACGT").find(ref) == 0 ? "C" : "A";  // a base that is neither REF nor ALT
  if (third == alt) third = "T";
  lines[at + 2] = set_column(lines[at + 2], 4, alt + "," + third);
  lines[at + 3] = set_column(lines[at + 3], 4, ".");
  // VCF 4.1's insertion of an assembled contig (REF base, then <contig id>): symbolic too.
  lines[at + 4] = set_column(lines[at + 4], 4, split(lines[at + 4], '\t')[3] + "<ctg1>");
  write_file(dir / "mixed.vcf", join_lines(lines));
  ASSERT_EQ(run_windows(sheet_for(dir, dir / "mixed.vcf"), dir / "out").status, 0);
  Json stats = stats_of(dir / "out");
  EXPECT_EQ(stats["skipped"]["filtered"], 1);
  EXPECT_EQ(stats["skipped"]["sv_symbolic"], 2);
  EXPECT_EQ(stats["skipped"]["no_alt"], 1);
  EXPECT_EQ(stats["multiallelic_records_split"], 1);
  EXPECT_EQ(stats["records_read"], 13);  // 12 lines, one with two ALTs
  EXPECT_EQ(stats["windows"], 13 - 4);
  ASSERT_EQ(run_windows(sheet_for(dir, dir / "mixed.vcf"), dir / "keep", "--keep-filtered").status, 0);
  EXPECT_EQ(stats_of(dir / "keep")["windows"], 13 - 3);
  EXPECT_EQ(stats_of(dir / "keep")["provenance"]["parameters"]["keep_filtered"], true);
}

TEST(BadInput, MissingOrForeignBamNamesTheFile) {
  ScratchDir dir;
  write_file(dir / "missing.tsv", sheet_header + "s1\td1\tno_such.bam\t\t" + liver2 + "\t\t\tA\tB\n");
  CommandResult missing = run_windows(dir / "missing.tsv", dir / "out");
  EXPECT_EQ(missing.status, 1);
  EXPECT_TRUE(contains(missing.err, "missing.tsv:2: sample s1: tumour_bam file")) << missing.err;
  EXPECT_TRUE(contains(missing.err, "no_such.bam")) << missing.err;
  // "." (a placeholder some sheets use for "none") is the sheet's directory, not a BAM.
  write_file(dir / "dot.tsv", sheet_header + "s1\td1\t\t.\t" + liver2 + "\t\t\tA\tB\n");
  CommandResult dot = run_windows(dir / "dot.tsv", dir / "out");
  EXPECT_EQ(dot.status, 1);
  EXPECT_TRUE(contains(dot.err, "dot.tsv:2: sample s1: normal_bam")) << dot.err;
  EXPECT_TRUE(contains(dot.err, "is a directory, not a file (leave the cell empty")) << dot.err;
  // Real reads of another genome slice (contig 1 only): no contig in common with this reference.
  std::string foreign = test_data("reads", "CHM1.chr1_10k-40k.bam");
  write_file(dir / "foreign.tsv", sheet_header + "s1\td1\t\t" + foreign + "\t" + liver2 + "\t\t\tA\tB\n");
  CommandResult result = run_windows(dir / "foreign.tsv", dir / "out");
  EXPECT_EQ(result.status, 1);
  EXPECT_TRUE(contains(result.err, foreign + ": none of its @SQ contigs is in the reference")) << result.err;
  expect_no_complete_output(dir / "out");
}

TEST(BadInput, MalformedBreakendNamesSvFileAndLine) {
  ScratchDir dir;
  // colon2's real truth-set SV calls with the closing bracket of one mate position removed.
  auto lines = lines_of(data("samples/colon2.sv.vcf"));
  std::size_t broken = 0;
  while (lines[broken].empty() || lines[broken][0] == '#') ++broken;
  std::string alt = split(lines[broken], '\t')[4];
  lines[broken] = set_column(lines[broken], 4, alt.substr(0, alt.find_last_of("[]")));
  write_file(dir / "broken.sv.vcf", join_lines(lines));
  write_file(dir / "sheet.tsv", sheet_header + "s1\td1\t\t\t" + liver2 + "\t\t" + (dir / "broken.sv.vcf") + "\tA\tB\n");
  CommandResult result = run_windows(dir / "sheet.tsv", dir / "out");
  EXPECT_EQ(result.status, 1);
  EXPECT_TRUE(contains(result.err, "broken.sv.vcf:" + std::to_string(broken + 1) + ":")) << result.err;
  EXPECT_TRUE(contains(result.err, "unclosed")) << result.err;
  expect_no_complete_output(dir / "out");
}
