// `oncolm windows` end to end on the real test cohort (tests/data/genome): outputs checked against
// samtools faidx and bcftools consensus/norm, counts against the inputs, determinism across
// --threads, --sample + merge against a plain run.
#include <gtest/gtest.h>

#include <random>

#include <algorithm>
#include <set>

#include <nlohmann/json.hpp>

#include "test_support.h"

using namespace oncolm::test;
using Json = nlohmann::json;

namespace {

const std::string sheet_header =
    "sample_id\tdonor_id\ttumour_bam\tnormal_bam\tsnv_vcf\tindel_vcf\tsv_vcf\thistology_abbreviation\torgan_system\n";

CommandResult run_windows(const std::string& sheet, const std::string& out, const std::string& extra = "") {
  return run_oncolm("windows '" + sheet + "' --reference '" + reference() + "' -o '" + out + "' " + extra);
}

// Provenance records the command line, which names --threads and OUTDIR; everything else must match.
Json without_command_lines(Json json) {
  if (json.contains("provenance")) {
    json["provenance"].erase("command_line");
    json["provenance"].erase("sample_command_lines");
  }
  return json;
}

}  // namespace

TEST(WindowsCli, CohortWindowsMatchSamtoolsAndBcftoolsConsensus) {
  ScratchDir dir;
  CommandResult result = run_windows(data("sheet.tsv"), dir / "out");
  ASSERT_EQ(result.status, 0) << result.err;
  auto manifest = read_tsv(dir / "out/manifest.tsv");
  ASSERT_EQ(manifest.size(), 4u);
  std::size_t checked_indels = 0;
  for (const auto& sample : manifest) {
    std::string tsv = dir / ("out/" + sample.at("tsv"));
    std::string fasta = dir / ("out/" + sample.at("fasta"));
    auto rows = read_tsv(tsv);
    EXPECT_EQ(std::to_string(rows.size()), sample.at("windows"));
    std::vector<std::string> names = fai_names(fasta + ".fai");
    ASSERT_EQ(names.size(), 2 * rows.size());
    std::size_t snvs_checked = 0;
    for (std::size_t i = 0; i < rows.size(); ++i) {
      const auto& row = rows[i];
      // REF then ALT, named after the TSV row index.
      EXPECT_EQ(names[2 * i], row.at("ref_record"));
      EXPECT_EQ(names[2 * i + 1], row.at("alt_record"));
      EXPECT_EQ(split(row.at("ref_record"), '|')[1], std::to_string(i));
      EXPECT_EQ(row.at("histology_abbreviation"), sample.at("histology_abbreviation"));
      for (const char* column : {"t_depth", "t_ref_count", "t_alt_count", "t_vaf", "n_depth", "n_ref_count",
                                 "n_alt_count", "n_vaf"})
        EXPECT_EQ(row.at(column), ".") << column << ": the test cohort has no BAMs";
      if (row.at("type") == "snv" && snvs_checked++ >= 4) continue;  // every indel, a few SNVs (time)
      checked_indels += row.at("type") == "indel";
      std::string ref_window = samtools_faidx(fasta, row.at("ref_record"));
      std::string alt_window = samtools_faidx(fasta, row.at("alt_record"));
      EXPECT_EQ(ref_window, samtools_faidx(reference(), row.at("chrom") + ":" + row.at("window_start") + "-" +
                                                             row.at("window_end")));
      EXPECT_EQ(alt_window, bcftools_consensus(dir.str(), row.at("chrom"), std::stol(row.at("alt_window_start")),
                                               std::stol(row.at("alt_window_end")), std::stol(row.at("pos")),
                                               row.at("ref"), row.at("alt")))
          << row.at("alt_record");
      EXPECT_EQ(std::to_string(ref_window.size()), row.at("ref_length"));
      EXPECT_EQ(std::to_string(alt_window.size()), row.at("alt_length"));
      EXPECT_EQ(ref_window.size(), 5994u);  // no variant of the test set is near a contig end
      EXPECT_EQ(alt_window.size(), 5994u);
      EXPECT_EQ(row.at("offset"), "2997");
    }
  }
  EXPECT_EQ(checked_indels, 11u);  // 8 blood-AC + 1 blood-BCH + 2 liver2 indels in the sample VCFs
}

TEST(WindowsCli, CountsAccountForEveryInputRecord) {
  ScratchDir dir;
  ASSERT_EQ(run_windows(data("sheet.tsv"), dir / "out").status, 0);
  Json cohort = read_json(dir / "out/stats.json");
  std::size_t inputs = 0;
  for (const char* vcf : {"blood_AC.snv_mnv.vcf", "blood_AC.indel.vcf", "blood_BCH.snv_mnv.vcf.gz",
                          "blood_BCH.indel.vcf.gz", "colon2.snv_mnv.vcf", "liver2.snv_mnv.vcf", "liver2.indel.vcf"})
    inputs += data_lines(data(std::string("samples/") + vcf));
  EXPECT_EQ(cohort["records_read"].get<std::size_t>(), inputs);
  EXPECT_EQ(cohort["windows"].get<std::size_t>(), inputs);  // all real calls are PASS and match the reference
  // colon2's SV calls are read as SVs, not as small variants: every record is accounted for there.
  EXPECT_EQ(cohort["sv"]["records"].get<std::size_t>(), data_lines(data("samples/colon2.sv.vcf")));
  EXPECT_EQ(cohort["counts_by_type"]["sv"], cohort["sv"]["junctions"]);
  EXPECT_GT(cohort["sv"]["junctions"].get<std::size_t>(), 0u);
  EXPECT_EQ(cohort["set_aside_sv"], 0);
  EXPECT_EQ(cohort["histology_abbreviation"]["Blood-HSC"], 2);
  EXPECT_EQ(cohort["organ_system"]["liver"], 1);
  EXPECT_EQ(cohort["window_length_distribution"]["histogram"]["5994"].get<std::size_t>(), 2 * inputs);
  // Bases and 6-mer tokens cover every written record: 5994 bases = 999 tokens each.
  std::size_t bases = 0;
  for (auto& [base, entry] : cohort["base_composition"].items()) bases += entry["count"].get<std::size_t>();
  EXPECT_EQ(bases, 2 * inputs * 5994);
  EXPECT_LE(cohort["kmer6_tokens"]["total"].get<std::size_t>(), 2 * inputs * 999);
  EXPECT_EQ(cohort["kmer6_tokens"]["top15"].size(), 15u);
  EXPECT_EQ(cohort["provenance"]["reference_fai_sha256"].get<std::string>().size(), 64u);
  EXPECT_EQ(cohort["provenance"]["parameters"]["snv_length"], 5994);
}

// A sample whose only input is an SV VCF: its SV records are counted in the manifest and in
// counts_by_sample under their own names (the small-variant columns stay 0), and <sample>.stats.json
// describes its sequences with the cohort file's keys and shapes.
// A label cell that is empty, '.' or 'NA' is no label value: counted under labels_missing, as
// classify leaves such samples out and the report counts them apart.
TEST(WindowsCli, MissingLabelsAreCountedApartFromTheLabelValues) {
  ScratchDir dir;
  std::string sheet = read_text(data("sheet.tsv"));
  std::vector<std::string> lines = split(sheet, '\n');
  std::string edited = lines[0] + "\n";
  const char* organ[] = {"NA", ".", "", "liver"};  // the 4 samples' organ_system
  for (std::size_t i = 1; i < lines.size() && i <= 4; ++i) {
    std::vector<std::string> cells = split(lines[i], '\t');
    cells.back() = organ[i - 1];
    std::string row;
    for (std::size_t c = 0; c < cells.size(); ++c) row += (c ? "\t" : "") + cells[c];
    edited += row + "\n";
  }
  write_file(dir / "sheet.tsv", edited);
  ASSERT_EQ(run_command("cp -r '" + data("samples") + "' '" + (dir / "samples") + "'").status, 0);
  CommandResult result = run_windows(dir / "sheet.tsv", dir / "out");
  ASSERT_EQ(result.status, 0) << result.err;
  Json stats = Json::parse(read_text(dir / "out/stats.json"));
  EXPECT_EQ(stats["organ_system"], (Json{{"liver", 1}}));
  EXPECT_EQ(stats["labels"]["organ_system"], (Json{{"liver", 1}}));
  EXPECT_EQ(stats["labels_missing"]["organ_system"], 3);
  EXPECT_EQ(stats["labels_missing"]["histology_abbreviation"], 0);
}

TEST(WindowsCli, SvOnlySampleCountsItsSvRecordsAndBothStatsLevelsShareOneSchema) {
  ScratchDir dir;
  write_file(dir / "sheet.tsv", sheet_header + "sv-only\tD1\t\t\t\t\t" + data("samples/colon2.sv.vcf") +
                                   "\tColon-Normal\tcolon\n" + "blood-AC\tAC\t\t\t" +
                                   data("samples/blood_AC.snv_mnv.vcf") + "\t\t\tBlood-HSC\tblood\n");
  ASSERT_EQ(run_windows(dir / "sheet.tsv", dir / "out").status, 0);
  Json cohort = read_json(dir / "out/stats.json");
  Json sample = read_json(dir / "out/sv_only.stats.json");
  const std::size_t sv_records = data_lines(data("samples/colon2.sv.vcf"));
  std::size_t sv_skipped = 0;
  for (const auto& [reason, count] : sample["sv"]["skipped"].items()) sv_skipped += count.get<std::size_t>();
  bool found = false;
  for (const auto& row : read_tsv(dir / "out/manifest.tsv")) {
    if (row.at("sample_id") != "sv-only") continue;
    found = true;
    EXPECT_EQ(row.at("records_read"), "0");
    EXPECT_EQ(row.at("windows"), "0");
    EXPECT_EQ(row.at("sv_records_read"), std::to_string(sv_records));
    EXPECT_EQ(row.at("sv_skipped"), std::to_string(sv_skipped));
    EXPECT_EQ(std::stoul(row.at("sv_junctions")), sample["sv"]["junctions"].get<std::size_t>());
  }
  EXPECT_TRUE(found);
  EXPECT_EQ(cohort["counts_by_sample"]["sv-only"]["sv_records_read"].get<std::size_t>(), sv_records);
  EXPECT_EQ(cohort["counts_by_sample"]["sv-only"]["sv_skipped"], sample["sv"]["skipped"]);
  // One schema: the sequence statistics have the same keys at both levels.
  auto keys = [](const Json& object) {
    std::set<std::string> names;
    for (const auto& [key, value] : object.items()) names.insert(key);
    return names;
  };
  for (const char* section : {"window_length_distribution", "base_composition", "kmer6_tokens"})
    EXPECT_EQ(keys(sample.at(section)), keys(cohort.at(section))) << section;
  Json blood = read_json(dir / "out/blood_AC.stats.json");
  std::size_t counted = 0;
  for (const auto& [kmer, count] : blood["kmer6_tokens"]["counts"].items()) counted += count.get<std::size_t>();
  EXPECT_EQ(counted, blood["kmer6_tokens"]["total"].get<std::size_t>());
  EXPECT_EQ(blood["kmer6_tokens"]["top15"].size(), 15u);
  EXPECT_EQ(blood["kmer6_tokens"]["counts"], cohort["kmer6_tokens"]["counts"]) << "the SV-only sample adds no 6-mers";
}

TEST(WindowsCli, NormalisationDuplicatesAndNearbyVariants) {
  ScratchDir dir;
  // norm_cases.vcf holds real indels in original, right-shifted and padded forms: after
  // normalisation the forms of one variant are duplicates, and close variants are each other's
  // neighbours.
  write_file(dir / "sheet.tsv", sheet_header + "cases\tD\t\t\t\t" + data("norm_cases.vcf") + "\t\tX\tY\n");
  ASSERT_EQ(run_windows(dir / "sheet.tsv", dir / "out").status, 0);
  CommandResult norm = run_command("bcftools norm -f '" + reference() + "' -m -any '" + data("norm_cases.vcf") + "'");
  std::set<std::string> distinct;
  std::size_t records = 0, realigned = 0;
  auto input_lines = split(read_text(data("norm_cases.vcf")), '\n');
  std::vector<std::string> inputs;
  for (const auto& line : input_lines)
    if (!line.empty() && line[0] != '#') inputs.push_back(line);
  for (const auto& line : split(norm.out, '\n')) {
    if (line.empty() || line[0] == '#') continue;
    auto cells = split(line, '\t');
    auto in = split(inputs[records], '\t');
    realigned += cells[1] != in[1] || cells[3] != in[3] || cells[4] != in[4];
    ++records;
    distinct.insert(cells[1] + ":" + cells[3] + ">" + cells[4]);
  }
  Json stats = read_json(dir / "out/cases.stats.json");
  EXPECT_EQ(stats["records_read"].get<std::size_t>(), records);
  EXPECT_EQ(stats["windows"].get<std::size_t>(), distinct.size());
  EXPECT_EQ(stats["skipped"]["duplicate"].get<std::size_t>(), records - distinct.size());
  EXPECT_EQ(stats["normalisation"]["changed"].get<std::size_t>(), realigned);

  auto rows = read_tsv(dir / "out/cases.windows.tsv.gz");
  std::size_t with_neighbours = 0;
  for (const auto& row : rows) {
    EXPECT_TRUE(distinct.count(row.at("norm_pos") + ":" + row.at("norm_ref") + ">" + row.at("norm_alt")));
    // Neighbours derived from the other rows: normalised span overlaps this REF window.
    std::vector<std::string> expected;
    for (const auto& other : rows) {
      if (&other == &row) continue;
      long start = std::stol(other.at("norm_pos"));
      long end = start + static_cast<long>(other.at("norm_ref").size()) - 1;
      if (start <= std::stol(row.at("window_end")) && end >= std::stol(row.at("window_start")))
        expected.push_back("20:" + other.at("norm_pos") + ":" + other.at("norm_ref") + ">" + other.at("norm_alt"));
    }
    std::string joined;
    for (const auto& item : expected) joined += (joined.empty() ? "" : ",") + item;
    EXPECT_EQ(row.at("nearby_variants"), joined.empty() ? "." : joined) << row.at("ref_record");
    with_neighbours += !expected.empty();
    EXPECT_EQ(std::stol(row.at("normalised_shift")), std::stol(row.at("pos")) - std::stol(row.at("norm_pos")));
  }
  EXPECT_GT(with_neighbours, 0u);
}

// On a synthetic contig: (1) a deletion beside an N gap written as `bcftools norm` writes it, with
// the N anchor (NC>N): a window, not an IUPAC skip; (2) two indels that normalise to one variant,
// after a 100-base deletion that gets no window (set aside as SV-like): the second is a duplicate,
// though the windowless record before them is already passed on.
TEST(WindowsCli, NAnchorsAndDuplicatesBehindAWindowlessRecord) {
  ScratchDir dir;
  std::mt19937 random(5);
  std::string contig;
  for (int i = 0; i < 942; ++i) contig += "ACGT"[random() % 4];
  auto set = [&](long pos, const std::string& bases) { contig.replace(static_cast<std::size_t>(pos - 1), bases.size(), bases); };
  set(401, std::string(26, 'N'));  // 401-426
  set(427, "CG");
  set(731, "GAATATATG");  // 733-738: ATATAT, so ATA>A at 735 and TAT>T at 736 are both AAT>A at 732
  write_file(dir / "ref.fa", ">c1\n" + contig + "\n");
  ASSERT_EQ(run_command("samtools faidx '" + (dir / "ref.fa") + "'").status, 0);
  auto bases = [&](long pos, std::size_t length) { return contig.substr(static_cast<std::size_t>(pos - 1), length); };
  std::string vcf = "##fileformat=VCFv4.2\n##contig=<ID=c1,length=942>\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n";
  vcf += "c1\t426\t.\tNC\tN\t.\tPASS\t.\n";
  vcf += "c1\t734\t.\t" + bases(734, 101) + "\t" + bases(734, 1) + "\t.\tPASS\t.\n";
  vcf += "c1\t735\t.\tATA\tA\t.\tPASS\t.\n";
  vcf += "c1\t736\t.\tTAT\tT\t.\tPASS\t.\n";
  write_file(dir / "calls.vcf", vcf);
  // bcftools agrees that the two short deletions are one variant.
  CommandResult norm = run_command("bcftools norm -f '" + (dir / "ref.fa") + "' '" + (dir / "calls.vcf") +
                                   "' 2>/dev/null | grep -v '^#' | cut -f2,4,5");
  EXPECT_EQ(split(norm.out, '\n').size(), 4u) << norm.out;
  EXPECT_NE(norm.out.find("732\tAAT\tA\n732\tAAT\tA"), std::string::npos) << norm.out;
  write_file(dir / "sheet.tsv", "sample_id\tdonor_id\ttumour_bam\tnormal_bam\tsnv_vcf\tindel_vcf\tsv_vcf\n"
                                "S\tD\t\t\t\t" + (dir / "calls.vcf") + "\t\n");
  CommandResult result = run_oncolm("windows '" + (dir / "sheet.tsv") + "' --reference '" + (dir / "ref.fa") +
                                    "' -o '" + (dir / "out") + "' --window-length 200");
  ASSERT_EQ(result.status, 0) << result.err;
  Json stats = read_json(dir / "out/S.stats.json");
  EXPECT_EQ(stats["records_read"], 4);
  EXPECT_EQ(stats["windows"], 2);
  EXPECT_EQ(stats["skipped"]["iupac_alt"], 0);
  EXPECT_EQ(stats["skipped"]["duplicate"], 1);
  EXPECT_EQ(stats["set_aside_sv"], 1);
  auto rows = read_tsv(dir / "out/S.windows.tsv.gz");
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].at("norm_pos") + ":" + rows[0].at("norm_ref") + ">" + rows[0].at("norm_alt"), "426:NC>N");
  EXPECT_EQ(rows[1].at("norm_pos") + ":" + rows[1].at("norm_ref") + ">" + rows[1].at("norm_alt"), "732:AAT>A");
}

TEST(WindowsCli, OutputIsByteIdenticalForAnyThreadCount) {
  ScratchDir dir;
  for (const char* threads : {"1", "2", "3"})
    ASSERT_EQ(run_windows(data("sheet.tsv"), dir / (std::string("t") + threads), std::string("--threads ") + threads)
                  .status,
              0);
  std::size_t compared = 0;
  for (const auto& entry : fs::directory_iterator(dir / "t1")) {
    std::string name = entry.path().filename().string();
    for (const char* other : {"t2", "t3"}) {
      std::string path = dir / (std::string(other) + "/" + name);
      if (name.size() > 5 && name.substr(name.size() - 5) == ".json")
        EXPECT_EQ(without_command_lines(read_json(entry.path().string())), without_command_lines(read_json(path)))
            << name;
      else
        EXPECT_EQ(read_file(entry.path().string()), read_file(path)) << name;
      ++compared;
    }
  }
  // Per sample: windows.{fa.gz,fa.gz.fai,fa.gz.gzi,tsv.gz}, sv_windows.{the same four}, stats.json;
  // and the 2 cohort files.
  EXPECT_EQ(compared, 2u * (4 * 9 + 2));
}

TEST(WindowsCli, PerSampleRunsThenMergeEqualTheCohortRun) {
  ScratchDir dir;
  ASSERT_EQ(run_windows(data("sheet.tsv"), dir / "all").status, 0);
  for (const char* sample : {"liver2", "blood-AC", "colon2", "blood-BCH"}) {
    CommandResult one = run_windows(data("sheet.tsv"), dir / "each", std::string("--sample ") + sample);
    ASSERT_EQ(one.status, 0) << one.err;
  }
  EXPECT_FALSE(fs::exists(dir / "each/manifest.tsv"));
  CommandResult merge = run_oncolm("windows merge -o '" + (dir / "each") + "'");
  ASSERT_EQ(merge.status, 0) << merge.err;
  EXPECT_EQ(read_file(dir / "all/manifest.tsv"), read_file(dir / "each/manifest.tsv"));
  EXPECT_EQ(without_command_lines(read_json(dir / "all/stats.json")),
            without_command_lines(read_json(dir / "each/stats.json")));
  EXPECT_EQ(read_file(dir / "all/blood_AC.windows.fa.gz"), read_file(dir / "each/blood_AC.windows.fa.gz"));
  EXPECT_EQ(read_file(dir / "all/colon2.sv_windows.fa.gz"), read_file(dir / "each/colon2.sv_windows.fa.gz"));
  EXPECT_EQ(read_file(dir / "all/colon2.sv_windows.tsv.gz"), read_file(dir / "each/colon2.sv_windows.tsv.gz"));
  // --sheet: exactly the sheet's samples. The same sheet merges to the same manifest.
  CommandResult checked = run_oncolm("windows merge -o '" + (dir / "each") + "' --sheet '" + data("sheet.tsv") + "'");
  ASSERT_EQ(checked.status, 0) << checked.err;
  EXPECT_EQ(read_file(dir / "all/manifest.tsv"), read_file(dir / "each/manifest.tsv"));
  // A sheet without blood-BCH: its outputs here are another sheet's, an error naming it.
  std::string fewer;
  for (const auto& line : split(read_text(data("sheet.tsv")), '\n'))
    if (!line.empty() && line.rfind("blood-BCH\t", 0) != 0) fewer += line + "\n";
  write_file(dir / "fewer.tsv", fewer);
  CommandResult extra = run_oncolm("windows merge -o '" + (dir / "each") + "' --sheet '" + (dir / "fewer.tsv") + "'");
  EXPECT_EQ(extra.status, 1);
  EXPECT_NE(extra.err.find("not in"), std::string::npos) << extra.err;
  EXPECT_NE(extra.err.find("blood-BCH"), std::string::npos) << extra.err;
  // The failed merge leaves no cohort files describing another set of samples.
  EXPECT_FALSE(fs::exists(dir / "each/manifest.tsv"));
  EXPECT_FALSE(fs::exists(dir / "each/stats.json"));
  // A `--sample` rerun changes the directory: the cohort files go until the next merge.
  ASSERT_EQ(run_oncolm("windows merge -o '" + (dir / "each") + "'").status, 0);
  ASSERT_EQ(run_windows(data("sheet.tsv"), dir / "each", "--sample colon2").status, 0);
  EXPECT_FALSE(fs::exists(dir / "each/manifest.tsv"));
  EXPECT_FALSE(fs::exists(dir / "each/stats.json"));
  // A sample of the sheet whose run did not finish (no stats file): an error naming it.
  fs::remove(dir / "each/colon2.stats.json");
  CommandResult missing = run_oncolm("windows merge -o '" + (dir / "each") + "' --sheet '" + data("sheet.tsv") + "'");
  EXPECT_EQ(missing.status, 1);
  EXPECT_NE(missing.err.find("colon2"), std::string::npos) << missing.err;
}

TEST(WindowsCli, OptionsForFiltersIndelLengthAndWindowLengths) {
  ScratchDir dir;
  // blood-AC's real indels include a 54-base insertion: with --max-indel-length 50 it is an SV.
  ASSERT_EQ(run_windows(data("sheet.tsv"), dir / "out", "--sample blood-AC --max-indel-length 50 --snv-length 1000 "
                                                        "--indel-length 2001")
                .status,
            0);
  Json stats = read_json(dir / "out/blood_AC.stats.json");
  std::size_t long_indels = 0;
  for (const auto& line : split(read_text(data("samples/blood_AC.indel.vcf")), '\n')) {
    if (line.empty() || line[0] == '#') continue;
    auto cells = split(line, '\t');
    long change = std::labs(static_cast<long>(cells[3].size()) - static_cast<long>(cells[4].size()));
    long_indels += change >= 50;
  }
  ASSERT_GT(long_indels, 0u);
  EXPECT_EQ(stats["skipped"]["sv_indel_length"].get<std::size_t>(), long_indels);
  EXPECT_EQ(stats["set_aside_sv"].get<std::size_t>(), long_indels);
  for (const auto& row : read_tsv(dir / "out/blood_AC.windows.tsv.gz")) {
    bool snv = row.at("type") == "snv";
    EXPECT_EQ(row.at("ref_length"), snv ? "1000" : "2001");
    EXPECT_EQ(row.at("offset"), snv ? "500" : "1000");
  }
}

TEST(WindowsCli, FastaIndexesEqualThoseSamtoolsFaidxBuilds) {
  ScratchDir dir;
  ASSERT_EQ(run_windows(data("sheet.tsv"), dir / "out", "--threads 2").status, 0);
  std::size_t compared = 0, expected = 0;
  for (const auto& sample : read_tsv(dir / "out/manifest.tsv")) {
    expected += sample.at("windows") != "0";
    expected += sample.at("sv_junctions") != "0";
  }
  for (const auto& entry : fs::directory_iterator(dir / "out")) {
    std::string name = entry.path().filename().string();
    const std::string suffix = "windows.fa.gz";  // .windows.fa.gz and .sv_windows.fa.gz
    if (name.size() < suffix.size() || name.compare(name.size() - suffix.size(), suffix.size(), suffix) != 0) continue;
    if (read_file(entry.path().string() + ".fai").empty()) continue;  // samtools cannot index an empty FASTA
    // samtools builds its own .fai/.gzi from a copy of the FASTA; oncolm's must be byte-identical.
    std::string copy = dir / ("copy_" + name);
    fs::copy_file(entry.path(), copy);
    ASSERT_EQ(run_command("samtools faidx '" + copy + "'").status, 0) << name;
    EXPECT_EQ(read_file(entry.path().string() + ".fai"), read_file(copy + ".fai")) << name;
    EXPECT_EQ(read_file(entry.path().string() + ".gzi"), read_file(copy + ".gzi")) << name;
    ++compared;
  }
  EXPECT_EQ(compared, expected);
  EXPECT_EQ(compared, 5u);  // four samples' small-variant windows, colon2's SV junctions
}
