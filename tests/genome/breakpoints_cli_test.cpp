// `oncolm breakpoints` end to end on the real COLO829 manta and GRIDSS calls on chr20/chrX
// (tests/data/sv): `oncolm windows` makes the SV windows, `oncolm breakpoints` reads them, and every
// call of both VCFs is compared with the caller's own HOMLEN/HOMSEQ (and inserted bases). Calls
// that never reach a junction window (sequence-resolved manta deletions) are computed with the
// same library function on the same reference. Every call that does not agree has its
// explanation asserted. Then the command's outputs, provenance, reference mode and bad input.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <random>
#include <regex>
#include <set>

#include "genome/breakpoints/breakpoints_command.h"
#include "genome/breakpoints/junction_features.h"
#include "genome/io/reference.h"
#include "genome/sv/sv_junction.h"
#include "test_support.h"

using namespace oncolm::test;
using namespace oncolm::genome;
using Json = nlohmann::json;

namespace {

const std::string sv_reference = test_data("sv", "ref_20_X.masked.fa.gz");
const std::string sheet_header =
    "sample_id\tdonor_id\ttumour_bam\tnormal_bam\tsnv_vcf\tindel_vcf\tsv_vcf\thistology_abbreviation\n";
constexpr long half_window = 2997;  // default --sv-length 5994

struct Record {
  std::string chrom, id, ref, alt, filter;
  long pos = 0;
  std::map<std::string, std::string> info;  // flags map to ""
  bool has(const std::string& key) const { return info.count(key) > 0; }
  std::string get(const std::string& key) const { return has(key) ? info.at(key) : ""; }
  bool breakend() const { return alt.find_first_of("[]") != std::string::npos; }
  std::string mate_chrom() const {
    std::smatch match;
    std::regex_search(alt, match, std::regex(R"([\[\]]([^:\[\]]+):(\d+)[\[\]])"));
    return match[1];
  }
  // The inserted bases of a breakend ALT (on this record's forward strand), else SVINSSEQ.
  std::string inserted() const {
    if (!breakend()) return get("SVINSSEQ");
    std::size_t open = alt.find_first_of("[]");
    return open > 0 ? alt.substr(1, open - 1) : alt.substr(alt.rfind(alt[0]) + 1, alt.size() - alt.rfind(alt[0]) - 2);
  }
};

std::vector<Record> read_records(const std::string& path) {
  std::vector<Record> records;
  for (const auto& line : split(read_text(path), '\n')) {
    if (line.empty() || line[0] == '#') continue;
    auto cells = split(line, '\t');
    Record record{cells[0], cells[2], cells[3], cells[4], cells[6], std::stol(cells[1]), {}};
    for (const auto& item : split(cells[7], ';')) {
      auto equals = item.find('=');
      record.info[item.substr(0, equals)] = equals == std::string::npos ? "" : item.substr(equals + 1);
    }
    records.push_back(record);
  }
  return records;
}

// Runs `oncolm windows` (all calls, --keep-filtered) and `oncolm breakpoints` on the two callers.
struct CallerRun {
  std::string windows, out;
  CommandResult breakpoints;
};

CallerRun run_callers(const ScratchDir& dir, const std::string& extra = "") {
  std::string sheet = dir / "sheet.tsv";
  write_file(sheet, sheet_header + "manta\tCOLO829\t\t\t\t\t" + test_data("sv", "manta.20_X.vcf") +
                        "\tSkin-Melanoma\ngridss\tCOLO829\t\t\t\t\t" + test_data("sv", "gridss.20_X.vcf.gz") +
                        "\tSkin-Melanoma\n");
  CallerRun run{dir / "windows", dir / "breakpoints", {}};
  CommandResult windows =
      run_oncolm("windows '" + sheet + "' --reference '" + sv_reference + "' -o '" + run.windows + "' --keep-filtered");
  EXPECT_EQ(windows.status, 0) << windows.err;
  run.breakpoints = run_oncolm("breakpoints -o '" + run.out + "' '" + run.windows + "'" + extra);
  EXPECT_EQ(run.breakpoints.status, 0) << run.breakpoints.err;
  return run;
}

// Rows of a breakpoints TSV by record id (a BND pair's row under both ids).
std::map<std::string, std::map<std::string, std::string>> rows_by_record(const std::string& path) {
  std::map<std::string, std::map<std::string, std::string>> rows;
  for (const auto& row : read_tsv(path))
    for (const auto& id : split(row.at("id"), ',')) rows[id] = row;
  return rows;
}

// The features of a deletion-type junction (keep ..pos1, resume at pos2) with these inserted
// bases, from REF windows cut from the reference as `oncolm windows` cuts them.
breakpoints::JunctionFeatures deletion_features(Reference& reference, const std::string& chrom, long pos1, long pos2,
                                                const std::string& inserted) {
  int contig = reference.find(chrom);
  auto window = [&](long pos) {
    long start = std::max(1L, pos - half_window);
    long end = std::min<long>(reference.length(contig), pos + half_window);
    return breakpoints::BreakendWindow{chrom, pos, start, reference.fetch(contig, start, end)};
  };
  breakpoints::JunctionCall call{window(pos1), window(pos2), "+-", inserted, false};
  return breakpoints::analyse_junction(call, breakpoints::MechanismRules{});
}

struct Tally {
  int calls = 0, compared = 0, agree = 0;
  std::map<std::string, int> explained;  // explanation -> calls
};

}  // namespace

TEST(BreakpointCallers, HomologyAgreesWithMantaAndGridssOrEachDifferenceIsExplained) {
  ScratchDir dir;
  CallerRun run = run_callers(dir);
  Reference reference(sv_reference);
  const std::set<std::string> test_contigs = {"20", "X"};
  std::map<std::string, Tally> tallies;
  for (const std::string caller : {"manta", "gridss"}) {
    auto rows = rows_by_record(run.out + "/" + caller + ".breakpoints.tsv");
    auto windows_rows = rows_by_record(run.windows + "/" + caller + ".sv_windows.tsv.gz");
    std::string vcf = caller == "manta" ? test_data("sv", "manta.20_X.vcf") : test_data("sv", "gridss.20_X.vcf.gz");
    Tally& tally = tallies[caller];
    for (const Record& record : read_records(vcf)) {
      ++tally.calls;
      std::string where = caller + " " + record.id;
      std::string caller_homlen = record.has("HOMLEN") ? record.get("HOMLEN") : "0";
      std::string caller_homseq = record.has("HOMSEQ") ? record.get("HOMSEQ") : ".";
      // 1. The mate lies on a contig outside the chr20/chrX test reference: no junction window, so no
      //    sequence to compare (windows counts it under sv_mate_contig_not_in_reference).
      if (record.breakend() && !test_contigs.count(record.mate_chrom())) {
        EXPECT_FALSE(rows.count(record.id)) << where;
        ++tally.explained["mate contig outside the chr20/chrX test reference"];
        continue;
      }
      // 2. Sequence-resolved deletions (manta's precise SVs of 100-1,000 bp, REF holding the deleted
      //    bases) are junctions like the others: compared below.
      ASSERT_TRUE(rows.count(record.id)) << where;
      const auto& row = rows.at(record.id);
      const auto& windows_row = windows_rows.at(record.id);
      // 3. IMPRECISE: the position is uncertain by CIPOS (hundreds of bases), so no homology is
      //    computed; the caller writes none either.
      if (record.has("IMPRECISE")) {
        EXPECT_EQ(row.at("homlen"), ".") << where;
        EXPECT_EQ(row.at("mechanism"), "imprecise") << where;
        EXPECT_FALSE(record.has("HOMLEN")) << where;
        ++tally.explained["imprecise call: no homology computed (caller reports none)"];
        continue;
      }
      std::string inserted = record.inserted();
      if (!inserted.empty() && windows_row.at("inserted_sequence") == ".") {
        // 4. A manta <DEL> with SVINSSEQ: `oncolm windows` (sv_reader, junctions_from_symbolic)
        //    drops the inserted bases of symbolic deletions, so the row is computed as a join
        //    without insertion. With the inserted bases the junction is an insertion (homlen 0),
        //    which is what manta says (no HOMLEN) and what GRIDSS reports for the same event.
        EXPECT_EQ(record.alt, "<DEL>") << where;
        EXPECT_FALSE(record.has("HOMLEN")) << where;
        EXPECT_NE(row.at("mechanism"), "insertion") << where;
        breakpoints::JunctionFeatures with_bases =
            deletion_features(reference, record.chrom, record.pos, std::stol(record.get("END")) + 1, inserted);
        EXPECT_EQ(with_bases.mechanism, "insertion") << where;
        EXPECT_FALSE(with_bases.homology_computed) << where;
        // GRIDSS calls the same event with the same inserted bases.
        const auto gridss = rows_by_record(run.out + "/gridss.breakpoints.tsv");
        bool same_in_gridss = std::any_of(gridss.begin(), gridss.end(), [&](const auto& entry) {
          return entry.second.at("chrom") == record.chrom && entry.second.at("pos") == std::to_string(record.pos) &&
                 entry.second.at("insseq") == inserted;
        });
        EXPECT_TRUE(same_in_gridss) << where;
        ++tally.explained["windows TSV lacks the SVINSSEQ of a symbolic <DEL> (problem in oncolm windows)"];
        continue;
      }
      ++tally.compared;
      // Inserted bases: the pair's breakend-1 record's, as windows stores them.
      if (!inserted.empty()) {
        EXPECT_EQ(row.at("mechanism"), "insertion") << where;
        EXPECT_EQ(row.at("insseq"), windows_row.at("inserted_sequence")) << where;
        // The caller's inserted bases (GRIDSS: the BND ALT's; on the other mate's strand for inversions).
        EXPECT_TRUE(row.at("insseq") == inserted || row.at("insseq") == reverse_complement(inserted))
            << where << ": " << row.at("insseq") << " vs " << inserted;
      }
      if (row.at("homlen") == caller_homlen && row.at("homseq") == caller_homseq) {
        ++tally.agree;
        continue;
      }
      ADD_FAILURE() << where << ": ours " << row.at("homlen") << " " << row.at("homseq") << ", caller " << caller_homlen
                    << " " << caller_homseq;
    }
  }
  // The figures (also in the README): every call of both files is compared or explained.
  for (const auto& [caller, tally] : tallies) {
    int explained = 0;
    std::string text;
    for (const auto& [why, count] : tally.explained) {
      explained += count;
      text += "\n  " + std::to_string(count) + " " + why;
    }
    std::printf("%s: %d calls, %d compared, %d agree; not compared:%s\n", caller.c_str(), tally.calls, tally.compared,
                tally.agree, text.c_str());
    EXPECT_EQ(tally.compared + explained, tally.calls) << caller;
  }
  EXPECT_EQ(tallies["manta"].calls, 29);
  EXPECT_EQ(tallies["gridss"].calls, 22);
  EXPECT_EQ(tallies["manta"].agree, tallies["manta"].compared);
  EXPECT_EQ(tallies["gridss"].agree, tallies["gridss"].compared);
  EXPECT_GE(tallies["manta"].compared, 10);
  EXPECT_GE(tallies["gridss"].compared, 18);
}

namespace {

std::string base_at(const std::string& chrom, long pos) {
  return samtools_faidx(sv_reference, chrom + ":" + std::to_string(pos) + "-" + std::to_string(pos));
}
std::string bases(const std::string& chrom, long start, long end) {
  return samtools_faidx(sv_reference, chrom + ":" + std::to_string(start) + "-" + std::to_string(end));
}

// Junctions of every orientation on real chr20/chrX sequence, at positions where the join has 4-5
// bases of homology; a symbolic deletion with 36 bases of homology (manta's MantaDEL:285799 as a
// symbolic allele); insertions templated on either strand near a breakend, and one that is not.
std::string handmade_vcf(const std::string& dir) {
  std::string text;
  for (const auto& line : split(read_text(test_data("sv", "manta.20_X.vcf")), '\n'))
    if (!line.empty() && line[0] == '#') text += line + "\n";
  auto add = [&text](const std::string& chrom, long pos, const std::string& id, const std::string& alt,
                     const std::string& info) {
    text += chrom + "\t" + std::to_string(pos) + "\t" + id + "\t" + base_at(chrom, pos) + "\t" + alt + "\t.\tPASS\t" +
            info + "\tPR\t0,0\t0,0\n";
  };
  add("20", 13160901, "inv_hh", base_at("20", 13160901) + "]20:14963138]", "SVTYPE=BND");
  add("20", 13161002, "inv_tt", "[20:14963017[" + base_at("20", 13161002), "SVTYPE=BND");
  add("20", 15000731, "tra", base_at("20", 15000731) + "[X:31197035[", "SVTYPE=BND");
  add("20", 48395962, "long_homology", "<DEL>", "END=48396290;SVTYPE=DEL");
  add("X", 32098302, "dup", "]X:32201500]" + base_at("X", 32098302), "SVTYPE=BND");
  add("X", 34059778, "ins_plus", "<INS>", "SVTYPE=INS;SVINSSEQ=" + bases("X", 34059800, 34059814));
  add("X", 34062705, "ins_minus", "<INS>", "SVTYPE=INS;SVINSSEQ=" + reverse_complement(bases("X", 34062650, 34062665)));
  add("X", 34062800, "ins_random", "<INS>", "SVTYPE=INS;SVINSSEQ=ACGTTGCAACGTTGCATT");
  std::string path = dir + "/handmade.vcf";
  write_file(path, text);
  return path;
}

std::string windows_for(const ScratchDir& dir, const std::string& vcf, const std::string& extra = "") {
  std::string sheet = dir / "handmade_sheet.tsv";
  write_file(sheet, sheet_header + "handmade\tD1\t\t\t\t\t" + vcf + "\tSkin-Melanoma\n");
  std::string out = dir / (extra.empty() ? "windows" : "windows_options");
  CommandResult result =
      run_oncolm("windows '" + sheet + "' --reference '" + sv_reference + "' -o '" + out + "'" + extra);
  EXPECT_EQ(result.status, 0) << result.err;
  return out;
}

// Homology by the junction windows of `oncolm windows` itself (sv_junction.h): the join moved s
// bases keeps the junction when the two ALT windows agree where they overlap.
std::pair<long, std::string> window_oracle(Reference& reference, const std::map<std::string, std::string>& row) {
  auto direction = [](char strand) { return strand == '+' ? Direction::left : Direction::right; };
  const std::string strands = row.at("strands");
  SvJunction junction;
  junction.bp1 = {row.at("chrom"), std::stol(row.at("pos")), direction(strands[0])};
  junction.bp2 = {row.at("mate_chrom"), std::stol(row.at("mate_pos")), direction(strands[1])};
  FetchSequence fetch = [&reference](const std::string& chrom, std::int64_t start, std::int64_t end) {
    return reference.fetch(reference.find(chrom), start, end);
  };
  constexpr long length = 160, limit = 40;
  std::string join = build_junction_window(junction, length, fetch).sequence;
  auto shifted = [&](long s) {
    SvJunction moved = junction;
    // The first piece gains s bases, the second loses them (PCAWG strands, breakend 1 forward).
    bool bp1_first = strands[0] == '+';
    BreakendSide& first = bp1_first ? moved.bp1 : moved.bp2;
    BreakendSide& second = bp1_first ? moved.bp2 : moved.bp1;
    first.pos += first.direction == Direction::left ? s : -s;
    second.pos += second.direction == Direction::right ? s : -s;
    std::string window = build_junction_window(moved, length, fetch).sequence;
    return s >= 0 ? join.substr(s) == window.substr(0, length - s) : join.substr(0, length + s) == window.substr(-s);
  };
  long right = 0, left = 0;
  while (right < limit && shifted(right + 1)) ++right;
  while (left < limit && shifted(-(left + 1))) ++left;
  return {left + right, join.substr(length / 2 - left, left + right)};
}

}  // namespace

TEST(BreakpointsCli, EveryOrientationMatchesTheJunctionWindowsOfOncolmWindows) {
  ScratchDir dir;
  std::string windows = windows_for(dir, handmade_vcf(dir.str()));
  CommandResult result = run_oncolm("breakpoints -o '" + (dir / "bp") + "' '" + windows + "'");
  ASSERT_EQ(result.status, 0) << result.err;
  auto rows = rows_by_record(dir / "bp/handmade.breakpoints.tsv");
  ASSERT_EQ(rows.size(), 8u);
  Reference reference(sv_reference);
  std::map<std::string, std::string> expected_class = {
      {"inv_hh", "INV"}, {"inv_tt", "INV"}, {"tra", "TRA"}, {"dup", "DUP"}, {"long_homology", "DEL"}};
  for (const auto& [id, cls] : expected_class) {
    const auto& row = rows.at(id);
    auto [homlen, homseq] = window_oracle(reference, row);
    EXPECT_EQ(row.at("class"), cls) << id;
    EXPECT_EQ(row.at("homlen"), std::to_string(homlen)) << id;
    EXPECT_EQ(row.at("homseq"), homseq) << id;
    EXPECT_EQ(row.at("homology_complete"), "1") << id;
    EXPECT_GE(homlen, 4) << id;
  }
  EXPECT_EQ(rows.at("long_homology").at("homlen"), "36");  // as manta's HOMLEN for the same deletion
  EXPECT_EQ(rows.at("long_homology").at("homseq"), "TGGCTCACGCCTGTAATCCCAGCACTTTGGGAGGCC");
  EXPECT_EQ(rows.at("long_homology").at("mechanism"), "homology_mediated");
  EXPECT_EQ(rows.at("inv_hh").at("mechanism"), "microhomology_mediated");
  EXPECT_EQ(rows.at("inv_hh").at("strands"), "++");
  EXPECT_EQ(rows.at("inv_tt").at("strands"), "--");
  EXPECT_EQ(rows.at("dup").at("size"), std::to_string(32201500 - 32098302 + 1));
  EXPECT_EQ(rows.at("ins_plus").at("templated_source"), "X:34059800-34059814:+");
  EXPECT_EQ(rows.at("ins_plus").at("class"), "INS");
  EXPECT_EQ(rows.at("ins_plus").at("size"), "15");
  EXPECT_EQ(rows.at("ins_minus").at("templated_source"), "X:34062650-34062665:-");
  EXPECT_EQ(rows.at("ins_random").at("templated_source"), ".");
  for (const char* id : {"ins_plus", "ins_minus", "ins_random"}) {
    EXPECT_EQ(rows.at(id).at("mechanism"), "insertion") << id;
    EXPECT_EQ(rows.at(id).at("homlen"), "0") << id;
    EXPECT_EQ(rows.at(id).at("homology_complete"), ".") << id;
  }
}

TEST(BreakpointsCli, LongerHomologyThanTheWindowIsALowerBoundUnlessTheReferenceIsGiven) {
  ScratchDir dir;
  std::string windows = windows_for(dir, handmade_vcf(dir.str()), " --sv-length 40");  // 20 bases each side
  CommandResult plain = run_oncolm("breakpoints -o '" + (dir / "plain") + "' '" + windows + "'");
  ASSERT_EQ(plain.status, 0) << plain.err;
  auto row = rows_by_record(dir / "plain/handmade.breakpoints.tsv").at("long_homology");
  EXPECT_EQ(row.at("homology_complete"), "0");
  EXPECT_LT(std::stol(row.at("homlen")), 36);
  EXPECT_NE(plain.out.find("homology reaching the end of the sequence: 1"), std::string::npos) << plain.out;
  CommandResult with_reference =
      run_oncolm("breakpoints -o '" + (dir / "ref") + "' '" + windows + "' --reference '" + sv_reference + "'");
  ASSERT_EQ(with_reference.status, 0) << with_reference.err;
  row = rows_by_record(dir / "ref/handmade.breakpoints.tsv").at("long_homology");
  EXPECT_EQ(row.at("homology_complete"), "1");
  EXPECT_EQ(row.at("homlen"), "36");
  EXPECT_EQ(read_json(dir / "ref/breakpoints.json")["sequence_source"], "reference");
}

TEST(BreakpointsCli, WritesTablesProvenanceAndSummaryAndTheReferenceGivesTheSameRows) {
  ScratchDir dir;
  CallerRun run = run_callers(dir);
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(run.out)) names.push_back(entry.path().filename().string());
  std::sort(names.begin(), names.end());
  EXPECT_EQ(names, (std::vector<std::string>{"breakpoints.json", "gridss.breakpoints.tsv", "manta.breakpoints.tsv"}));
  std::string manta = read_file(run.out + "/manta.breakpoints.tsv");
  EXPECT_EQ(split(manta, '\n').at(0),
            "sample_id\tid\tchrom\tpos\tmate_chrom\tmate_pos\tstrands\tclass\tsize\thomlen\t"
            "homseq\tinsseq\ttemplated_source\tmechanism\thomology_complete");
  std::map<std::string, int> by_class, by_mechanism;
  int junctions = 0;
  for (const std::string sample : {"manta", "gridss"}) {
    auto rows = read_tsv(run.out + "/" + sample + ".breakpoints.tsv");
    auto windows_rows = read_tsv(run.windows + "/" + sample + ".sv_windows.tsv.gz");
    ASSERT_EQ(rows.size(), windows_rows.size());
    for (std::size_t i = 0; i < rows.size(); ++i) {
      for (const char* key : {"sample_id", "id", "chrom", "pos", "mate_chrom", "mate_pos", "strands", "class", "size"})
        EXPECT_EQ(rows[i].at(key), windows_rows[i].at(key)) << sample << " row " << i << " " << key;
      ++by_class[rows[i].at("class")];
      ++by_mechanism[rows[i].at("mechanism")];
      ++junctions;
    }
  }
  Json provenance = read_json(run.out + "/breakpoints.json");
  EXPECT_EQ(provenance["total"]["junctions"], junctions);
  for (const auto& [name, count] : by_class) EXPECT_EQ(provenance["total"]["by_class"][name], count) << name;
  for (const auto& [name, count] : by_mechanism) EXPECT_EQ(provenance["total"]["by_mechanism"][name], count) << name;
  EXPECT_EQ(provenance["sequence_source"], "sv_windows_ref_records");
  EXPECT_NE(provenance["command_line"].get<std::string>().find("oncolm breakpoints -o"), std::string::npos);
  EXPECT_EQ(provenance["parameters"]["min_microhomology"], 2);
  EXPECT_EQ(provenance["samples"].size(), 2u);
  EXPECT_NE(run.breakpoints.out.find("breakpoints: " + std::to_string(junctions) + " junction(s) in 2 sample(s)"),
            std::string::npos)
      << run.breakpoints.out;
  EXPECT_NE(run.breakpoints.out.find("mechanism: blunt " + std::to_string(by_mechanism["blunt"])), std::string::npos)
      << run.breakpoints.out;
  // The same rows from the reference.
  CommandResult with_reference =
      run_oncolm("breakpoints -o '" + (dir / "ref") + "' '" + run.windows + "' --reference '" + sv_reference + "'");
  ASSERT_EQ(with_reference.status, 0) << with_reference.err;
  for (const std::string sample : {"manta", "gridss"})
    EXPECT_EQ(read_file(dir / ("ref/" + sample + ".breakpoints.tsv")),
              read_file(run.out + "/" + sample + ".breakpoints.tsv"))
        << sample;
}

namespace {

// A copy of a windows directory holding one sample, to break: its files, and the cohort files with
// the manifest cut to its row.
std::string copy_sample(const std::string& from, const std::string& to, const std::string& sample) {
  fs::create_directories(to);
  for (const std::string suffix : {".stats.json", ".sv_windows.tsv.gz", ".sv_windows.fa.gz"})
    fs::copy_file(from + "/" + sample + suffix, to + "/" + sample + suffix);
  fs::copy_file(from + "/stats.json", to + "/stats.json");
  std::vector<std::string> lines = split(read_file(from + "/manifest.tsv"), '\n');
  std::string manifest = lines.at(0) + "\n";
  for (const std::string& line : lines)
    if (line.rfind(sample + "\t", 0) == 0) manifest += line + "\n";
  write_file(to + "/manifest.tsv", manifest);
  return to;
}

CommandResult breakpoints_on(const ScratchDir& dir, const std::string& windows, const std::string& extra = "") {
  return run_oncolm("breakpoints -o '" + (dir / "bad_out") + "' '" + windows + "'" + extra);
}

void expect_error(const CommandResult& result, const std::vector<std::string>& parts) {
  EXPECT_EQ(result.status, 1) << result.err;
  for (const std::string& part : parts)
    EXPECT_NE(result.err.find(part), std::string::npos) << part << "\n" << result.err;
}

}  // namespace

TEST(BreakpointsCli, BadInputIsNamedAndNothingIsWritten) {
  ScratchDir dir;
  CallerRun run = run_callers(dir);
  // Missing directory; a directory without windows outputs.
  expect_error(breakpoints_on(dir, dir / "nowhere"), {dir / "nowhere", "not a directory"});
  fs::create_directories(dir / "empty");
  expect_error(breakpoints_on(dir, dir / "empty"), {dir / "empty", "no sample outputs"});
  // Partial: an SV TSV without its stats file (interrupted run); a stats file without the SV FASTA.
  std::string partial = copy_sample(run.windows, dir / "partial", "gridss");
  fs::remove(partial + "/gridss.stats.json");
  expect_error(breakpoints_on(dir, partial), {partial + "/gridss.sv_windows.tsv.gz", "incomplete"});
  // A killed or unmerged windows run: no manifest.tsv; a sample the manifest does not list.
  std::string unmerged = copy_sample(run.windows, dir / "unmerged", "gridss");
  fs::remove(unmerged + "/manifest.tsv");
  expect_error(breakpoints_on(dir, unmerged), {unmerged + "/manifest.tsv", "did not finish"});
  std::string stale = copy_sample(run.windows, dir / "stale", "gridss");
  for (const std::string suffix : {".stats.json", ".sv_windows.tsv.gz", ".sv_windows.fa.gz"})
    fs::copy_file(run.windows + "/manta" + suffix, stale + "/manta" + suffix);
  expect_error(breakpoints_on(dir, stale), {stale + "/manifest.tsv", "does not list 1 sample(s)", "manta.stats.json"});
  std::string no_fasta = copy_sample(run.windows, dir / "no_fasta", "gridss");
  fs::remove(no_fasta + "/gridss.sv_windows.fa.gz");
  expect_error(breakpoints_on(dir, no_fasta), {no_fasta + "/gridss.stats.json", "gridss.sv_windows.fa.gz", "partial"});
  // A stats file whose reference checksum is not a string (hand-edited): the file and the key named.
  std::string bad_checksum = copy_sample(run.windows, dir / "bad_checksum", "gridss");
  std::string stats = read_file(bad_checksum + "/gridss.stats.json");
  write_file(bad_checksum + "/gridss.stats.json",
             std::regex_replace(stats, std::regex("\"reference_fai_sha256\": *\"[0-9a-f]*\""),
                                "\"reference_fai_sha256\": 42"));
  expect_error(breakpoints_on(dir, bad_checksum),
               {bad_checksum + "/gridss.stats.json", "reference_fai_sha256 is 42, not a checksum string"});
  // A TSV lacking a column; a short row.
  std::string tsv = read_text(run.windows + "/gridss.sv_windows.tsv.gz");
  std::string no_strands = copy_sample(run.windows, dir / "no_strands", "gridss");
  std::string edited = std::regex_replace(tsv, std::regex("\tstrands\t"), "\tstrandz\t");
  write_file(no_strands + "/gridss.sv_windows.tsv.gz", edited);
  expect_error(breakpoints_on(dir, no_strands), {no_strands + "/gridss.sv_windows.tsv.gz:1", "strands"});
  std::string short_row = copy_sample(run.windows, dir / "short_row", "gridss");
  std::vector<std::string> lines = split(tsv, '\n');
  lines[3] = lines[3].substr(0, lines[3].find('\t', 40));
  std::string joined;
  for (const auto& line : lines) joined += line + "\n";
  write_file(short_row + "/gridss.sv_windows.tsv.gz", joined);
  expect_error(breakpoints_on(dir, short_row), {short_row + "/gridss.sv_windows.tsv.gz:4", "cells"});
  // FASTA from another sample: the record names do not match the rows.
  std::string swapped = copy_sample(run.windows, dir / "swapped", "gridss");
  fs::copy_file(run.windows + "/manta.sv_windows.fa.gz", swapped + "/gridss.sv_windows.fa.gz",
                fs::copy_options::overwrite_existing);
  expect_error(breakpoints_on(dir, swapped), {swapped + "/gridss.sv_windows.fa.gz", "manta|sv0"});
  // A reference of another assembly; the same sample in two directories.
  expect_error(breakpoints_on(dir, run.windows, " --reference '" + reference() + "'"),
               {reference(), "differs from the reference"});
  expect_error(breakpoints_on(dir, run.windows + "' '" + copy_sample(run.windows, dir / "again", "gridss")),
               {"gridss", "also in"});
  EXPECT_FALSE(fs::exists(dir / "bad_out/gridss.breakpoints.tsv"));
  EXPECT_FALSE(fs::exists(dir / "bad_out/breakpoints.json"));
}

namespace {

// `oncolm embed`-shaped outputs for a windows directory's SV records: every record gets a 16-value
// row; an ALT row sits near the centre of its junction's mechanism (one axis per mechanism), so
// k-means must find the mechanisms again.
void write_fake_embeddings(const std::string& windows, const std::string& breakpoints, const std::string& out) {
  fs::create_directories(out);
  const std::vector<std::string> mechanisms = {"blunt", "microhomology_mediated", "homology_mediated", "insertion",
                                               "imprecise"};
  std::mt19937 rng(5);
  std::normal_distribution<float> noise(0.0f, 0.1f);
  for (const std::string sample : {"manta", "gridss"}) {
    std::map<std::string, std::string> mechanism_of;  // alt record -> mechanism
    auto windows_rows = read_tsv(windows + "/" + sample + ".sv_windows.tsv.gz");
    auto rows = read_tsv(breakpoints + "/" + sample + ".breakpoints.tsv");
    for (std::size_t i = 0; i < rows.size(); ++i)
      mechanism_of[windows_rows[i].at("alt_record")] = rows[i].at("mechanism");
    std::string tsv = "record\tsample\tallele\n";
    std::vector<float> values;
    for (const std::string& record : fai_names(windows + "/" + sample + ".sv_windows.fa.gz.fai")) {
      tsv += record + "\t" + sample + "\t" + record.substr(record.rfind('|') + 1) + "\n";
      std::vector<float> row(16);
      for (float& value : row) value = noise(rng);
      if (mechanism_of.count(record)) {
        auto axis = std::find(mechanisms.begin(), mechanisms.end(), mechanism_of.at(record)) - mechanisms.begin();
        row[static_cast<std::size_t>(axis)] += 5.0f;
      }
      values.insert(values.end(), row.begin(), row.end());
    }
    write_file(out + "/" + sample + ".sv.emb.tsv", tsv);
    std::string dict =
        "{'descr': '<f4', 'fortran_order': False, 'shape': (" + std::to_string(values.size() / 16) + ", 16), }";
    while ((10 + dict.size() + 1) % 64 != 0) dict += ' ';
    dict += '\n';
    std::string header = std::string("\x93NUMPY\x01\x00", 8) + static_cast<char>(dict.size()) + '\0';
    std::string data(reinterpret_cast<const char*>(values.data()), values.size() * sizeof(float));
    write_file(out + "/" + sample + ".sv.emb.npy", header + dict + data);
  }
  write_file(out + "/embed.json", R"({"outputs": [{"npy": "manta.sv.emb.npy"}, {"npy": "gridss.sv.emb.npy"}]})");
}

}  // namespace

TEST(BreakpointsCli, JunctionEmbeddingsAreClusteredAndMismatchesAreNamed) {
  ScratchDir dir;
  CallerRun run = run_callers(dir);
  std::string embeddings = dir / "embed";
  write_fake_embeddings(run.windows, run.out, embeddings);
  CommandResult result = run_oncolm("breakpoints -o '" + (dir / "clustered") + "' '" + run.windows +
                                    "' --embeddings '" + embeddings + "' --clusters 5 --components 5");
  ASSERT_EQ(result.status, 0) << result.err;
  auto rows = read_tsv(dir / "clustered/junction_clusters.tsv");
  ASSERT_EQ(rows.size(), 27u);  // every junction of both files, manta's 6 sequence-resolved deletions included
  std::map<std::string, std::set<std::string>> mechanisms_of_cluster;
  std::map<std::string, std::set<std::string>> clusters_of_mechanism;
  for (const auto& row : rows) {
    mechanisms_of_cluster[row.at("cluster")].insert(row.at("mechanism"));
    clusters_of_mechanism[row.at("mechanism")].insert(row.at("cluster"));
    EXPECT_TRUE(row.count("pc5")) << row.at("id");
  }
  EXPECT_EQ(mechanisms_of_cluster.size(), 5u);  // the five mechanisms: manta's long deletions bring homology_mediated
  for (const auto& [cluster, mechanisms] : mechanisms_of_cluster) EXPECT_EQ(mechanisms.size(), 1u) << cluster;
  for (const auto& [mechanism, clusters] : clusters_of_mechanism) EXPECT_EQ(clusters.size(), 1u) << mechanism;
  Json provenance = read_json(dir / "clustered/breakpoints.json");
  EXPECT_EQ(provenance["clusters"]["junctions"], 27);
  EXPECT_EQ(provenance["clusters"]["components"], 5);
  EXPECT_EQ(provenance["clusters"]["sizes"].size(), 5u);
  EXPECT_NE(result.out.find("clusters: 27 junction(s) in 5 clusters"), std::string::npos) << result.out;
  // Embeddings of other windows: a row missing; no embeddings for a sample.
  std::string tsv = read_file(embeddings + "/gridss.sv.emb.tsv");
  write_file(embeddings + "/gridss.sv.emb.tsv", tsv.substr(0, tsv.rfind('\n', tsv.size() - 2) + 1));
  expect_error(
      run_oncolm("breakpoints -o '" + (dir / "bad") + "' '" + run.windows + "' --embeddings '" + embeddings + "'"),
      {embeddings + "/gridss.sv.emb.npy", "do not belong together"});
  fs::remove(embeddings + "/gridss.sv.emb.npy");
  expect_error(
      run_oncolm("breakpoints -o '" + (dir / "bad") + "' '" + run.windows + "' --embeddings '" + embeddings + "'"),
      {embeddings, "gridss.sv.emb.npy", "oncolm embed"});
  // Files embed.json does not list are another run's; without embed.json the run did not finish.
  embeddings = dir / "embed_again";
  write_fake_embeddings(run.windows, run.out, embeddings);
  write_file(embeddings + "/embed.json", R"({"outputs": [{"npy": "gridss.sv.emb.npy"}]})");
  expect_error(
      run_oncolm("breakpoints -o '" + (dir / "bad") + "' '" + run.windows + "' --embeddings '" + embeddings + "'"),
      {embeddings + "/embed.json", "does not list manta.sv.emb.npy"});
  fs::remove(embeddings + "/embed.json");
  expect_error(
      run_oncolm("breakpoints -o '" + (dir / "bad") + "' '" + run.windows + "' --embeddings '" + embeddings + "'"),
      {embeddings + "/embed.json", "not a finished `oncolm embed` output"});
  EXPECT_FALSE(fs::exists(dir / "bad/junction_clusters.tsv"));
  EXPECT_FALSE(fs::exists(dir / "bad/breakpoints.json"));
}

// Personalised windows with an applied germline indel: a record is then not its reference span, and
// the breakend is found at the record's offset. A homozygous 3-base deletion in the normal, 47 bases
// left of a deletion's first breakend: the junction's features equal those of the plain windows,
// with or without --reference, and the report counts the REF windows at their records' length.
TEST(BreakpointsCli, PersonalisedWindowsWithAGermlineIndelGiveThePlainJunction) {
  ScratchDir dir;
  std::mt19937 random(11);
  std::string genome;
  for (int i = 0; i < 20000; ++i) genome += "ACGT"[random() % 4];
  write_file(dir / "ref.fa", ">1\n" + genome + "\n");
  ASSERT_EQ(run_command("samtools faidx '" + (dir / "ref.fa") + "'").status, 0);
  // 60 reads at 4,860-4,962 showing 4,951-4,953 deleted (CIGAR 91M3D9M).
  std::string sam = "@HD\tVN:1.6\tSO:unsorted\n@SQ\tSN:1\tLN:20000\n@RG\tID:n\tSM:normal\n";
  const std::string bases = genome.substr(4859, 91) + genome.substr(4953, 9);
  for (int read = 0; read < 60; ++read)
    sam += "r" + std::to_string(read) + "\t0\t1\t4860\t60\t91M3D9M\t*\t0\t0\t" + bases + "\t" +
           std::string(bases.size(), 'I') + "\tRG:Z:n\n";
  write_file(dir / "normal.sam", sam);
  ASSERT_EQ(run_command("samtools sort -o '" + (dir / "normal.bam") + "' '" + (dir / "normal.sam") +
                        "' && samtools index '" + (dir / "normal.bam") + "'").status, 0);
  write_file(dir / "sv.vcf",
             "##fileformat=VCFv4.2\n##contig=<ID=1,length=20000>\n##ALT=<ID=DEL,Description=\"Deletion\">\n"
             "##INFO=<ID=END,Number=1,Type=Integer,Description=\"End\">\n"
             "##INFO=<ID=SVTYPE,Number=1,Type=String,Description=\"Type\">\n"
             "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n1\t5000\tdel1\t" + genome.substr(4999, 1) +
             "\t<DEL>\t.\tPASS\tSVTYPE=DEL;END=8000\n");
  write_file(dir / "sheet.tsv", "sample_id\tdonor_id\ttumour_bam\tnormal_bam\tsnv_vcf\tindel_vcf\tsv_vcf\n"
                                "S\tD\t\t" + (dir / "normal.bam") + "\t\t\t" + (dir / "sv.vcf") + "\n");
  std::map<std::string, std::vector<std::map<std::string, std::string>>> junctions;
  for (const std::string mode : {"plain", "personal"}) {
    CommandResult windows = run_oncolm("windows '" + (dir / "sheet.tsv") + "' --reference '" + (dir / "ref.fa") +
                                       "' -o '" + (dir / mode) + "'" + (mode == "personal" ? " --personalise" : ""));
    ASSERT_EQ(windows.status, 0) << windows.err;
    for (const std::string& reference : {std::string(), " --reference '" + (dir / "ref.fa") + "'"}) {
      CommandResult breakpoints =
          run_oncolm("breakpoints -o '" + (dir / (mode + "_bp")) + "' '" + (dir / mode) + "'" + reference);
      ASSERT_EQ(breakpoints.status, 0) << mode << reference << ": " << breakpoints.err;
      junctions[mode + reference] = read_tsv(dir / (mode + "_bp/S.breakpoints.tsv"));
    }
  }
  auto sv_rows = read_tsv(dir / "personal/S.sv_windows.tsv.gz");
  ASSERT_EQ(sv_rows.size(), 1u);
  EXPECT_NE(sv_rows[0].at("germline_applied").find(":hom"), std::string::npos) << sv_rows[0].at("germline_applied");
  EXPECT_NE(std::stol(sv_rows[0].at("ref1_window_end")) - std::stol(sv_rows[0].at("ref1_window_start")) + 1, 5994)
      << "the applied deletion widens the REF1 window's reference span";
  ASSERT_EQ(junctions["plain"].size(), 1u);
  for (const auto& [mode, rows] : junctions) EXPECT_EQ(rows, junctions["plain"]) << mode;
  CommandResult report = run_oncolm("report '" + (dir / "personal") + "' -o '" + (dir / "report.html") +
                                    "' --data-dir '" + (dir / "report_data") + "'");
  ASSERT_EQ(report.status, 0) << report.err;
  for (const auto& row : read_tsv(dir / "report_data/window_lengths.tsv"))
    if (row.at("type") == "sv" && row.at("allele") != "ALT") {
      EXPECT_EQ(row.at("length"), "5994") << row.at("allele");
    }
}
