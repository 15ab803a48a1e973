// `oncolm windows` on structural variants, end to end: the real COLO829 GRIDSS, manta and truth-set
// calls on chr20/chrX (tests/data/sv) and a VCF built here on the same real breakpoints with every
// BND bracket form, symbolic alleles, inserted bases, contig-end clipping and records that must be
// skipped. Every window is checked against sequence cut with `samtools faidx`, every row against
// the VCF record(s) it names, and the counts in stats.json against counts derived from the VCF.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <regex>
#include <set>

#include "test_support.h"

using namespace oncolm::test;
using Json = nlohmann::json;

namespace {

const std::string sv_reference = test_data("sv", "ref_20_X.masked.fa.gz");
const std::string sheet_header =
    "sample_id\tdonor_id\ttumour_bam\tnormal_bam\tsnv_vcf\tindel_vcf\tsv_vcf\thistology_abbreviation\n";
constexpr long window_length = 5994;

std::string upper(std::string text) {
  for (char& c : text) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return text;
}

std::string reverse_complement(const std::string& bases) {
  std::string out(bases.rbegin(), bases.rend());
  for (char& c : out) c = c == 'A' ? 'T' : c == 'C' ? 'G' : c == 'G' ? 'C' : c == 'T' ? 'A' : c;
  return out;
}

std::string reference_bases(const std::string& chrom, long start, long end) {
  return upper(samtools_faidx(sv_reference, chrom + ":" + std::to_string(start) + "-" + std::to_string(end)));
}

std::map<std::string, long> contig_lengths() {
  std::map<std::string, long> lengths;
  for (const auto& line : split(read_file(sv_reference + ".fai"), '\n'))
    if (!line.empty()) lengths[split(line, '\t')[0]] = std::stol(split(line, '\t')[1]);
  return lengths;
}

struct Record {
  std::string chrom, id, ref, alt, filter;
  long pos = 0;
  std::map<std::string, std::string> info;  // flags map to ""
  bool passes() const { return filter == "PASS" || filter == "."; }
  bool breakend() const { return alt.find_first_of("[]") != std::string::npos; }
  std::string mate_chrom() const {
    std::smatch match;
    std::regex_search(alt, match, std::regex(R"([\[\]]([^:\[\]]+):(\d+)[\[\]])"));
    return match[1];
  }
  // PCAWG strands of (this record, its mate) by bracket form (docs/pcawg-inputs.md):
  // t[p[ + -, t]p] + +, ]p]t - +, [p[t - -.
  std::pair<char, char> strands() const {
    bool bases_first = alt[0] != '[' && alt[0] != ']';
    char bracket = alt[alt.find_first_of("[]")];
    if (bases_first) return {'+', bracket == '[' ? '-' : '+'};
    return {'-', bracket == ']' ? '+' : '-'};
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

// What the VCF says oncolm must produce: junction ids (record ids, <INV> as id.j1/id.j2) and skip counts.
struct Derived {
  std::map<std::string, const Record*> junction_ids;
  std::map<std::string, std::size_t> skipped;
  std::size_t ref_base_mismatches = 0, unpaired = 0;
};

Derived derive(const std::vector<Record>& records, bool keep_filtered) {
  Derived d;
  std::set<std::string> in_reference = {"20", "X"};
  for (const Record& r : records) {
    if (!keep_filtered && !r.passes()) { ++d.skipped["sv_filtered"]; continue; }
    d.ref_base_mismatches += reference_bases(r.chrom, r.pos, r.pos) != upper(r.ref.substr(0, 1));
    if (r.breakend()) {
      if (in_reference.count(r.mate_chrom())) d.junction_ids[r.id] = &r;
      else ++d.skipped["sv_mate_contig_not_in_reference"];
    } else if (r.alt.rfind("<INV", 0) == 0) {
      d.junction_ids[r.id + ".j1"] = d.junction_ids[r.id + ".j2"] = &r;
    } else if (r.alt.rfind("<INS", 0) == 0 && !r.info.count("SVINSSEQ")) {
      ++d.skipped["sv_ins_without_sequence"];
    } else if (r.alt[0] == '<') {
      d.junction_ids[r.id] = &r;
    } else if (r.alt.front() == '.' || r.alt.back() == '.') {
      ++d.skipped["sv_single_breakend"];
    } else if (r.ref.size() >= r.alt.size() + 100 || r.alt.size() >= r.ref.size() + 100) {
      d.junction_ids[r.id] = &r;  // sequence-resolved, as long as a small-variant VCF's set-aside SVs
    } else {
      ++d.skipped["sv_sequence_allele"];
    }
  }
  for (const auto& [id, record] : d.junction_ids)
    d.unpaired += record->breakend() && !d.junction_ids.count(record->info.count("MATEID") ? record->info.at("MATEID") : "");
  return d;
}

// The junction's sides as the VCF record states them: (chrom, pos, strand) of breakend 1 and 2.
struct Sides {
  std::string chrom1, chrom2;
  long pos1 = 0, pos2 = 0;
  std::string strands;
};

// Symbolic alleles by the VCF spec: <DEL> joins POS to END+1, <DUP> END to POS+1, <INV> POS to END
// (head to head) and POS+1 to END+1 (tail to tail), <INS> POS to POS+1.
Sides symbolic_sides(const Record& r, const std::string& junction_id) {
  // A sequence-resolved deletion padded with the base before it (REF TXXX, ALT T): POS to the base
  // after REF.
  if (r.alt[0] != '<' && r.alt.size() == 1) return {r.chrom, r.chrom, r.pos, r.pos + static_cast<long>(r.ref.size()), "+-"};
  long end = r.info.count("END") ? std::stol(r.info.at("END")) : r.pos;
  if (r.alt.rfind("<DEL", 0) == 0) return {r.chrom, r.chrom, r.pos, end + 1, "+-"};
  if (r.alt.rfind("<DUP", 0) == 0) return {r.chrom, r.chrom, r.pos + 1, end, "-+"};
  if (r.alt.rfind("<INS", 0) == 0) return {r.chrom, r.chrom, r.pos, r.pos + 1, "+-"};
  bool first = junction_id.size() > 3 && junction_id.substr(junction_id.size() - 3) == ".j1";
  return first ? Sides{r.chrom, r.chrom, r.pos, end, "++"} : Sides{r.chrom, r.chrom, r.pos + 1, end + 1, "--"};
}

std::string expected_class(const Sides& s, const Record& r) {
  if (r.alt.rfind("<INS", 0) == 0) return "INS";
  if (s.chrom1 != s.chrom2) return "TRA";
  if (s.strands[0] == s.strands[1]) return "INV";
  return s.strands == "+-" ? "DEL" : "DUP";
}

struct Piece {
  std::string chrom;
  long start = 0, end = 0;
  bool rc = false;
  long length() const { return end - start + 1; }
};

Piece parse_piece(const std::string& text) {
  std::smatch m;
  EXPECT_TRUE(std::regex_match(text, m, std::regex(R"(([^:]+):(\d+)-(\d+)(\(rc\))?)"))) << text;
  return {m[1], std::stol(m[2]), std::stol(m[3]), m[4].matched};
}

std::string piece_bases(const Piece& p) {
  std::string bases = reference_bases(p.chrom, p.start, p.end);
  return p.rc ? reverse_complement(bases) : bases;
}

// A REF window centred on a breakend: span, offset and bases against samtools.
void expect_ref_window(const std::map<std::string, std::string>& row, const std::string& which,
                       const std::string& chrom, long pos, const std::string& fasta) {
  long contig_length = contig_lengths().at(chrom);
  long start = std::max(1L, pos - window_length / 2);
  long end = std::min(contig_length, pos - window_length / 2 + window_length - 1);
  std::string record = row.at(which + "_record");
  EXPECT_EQ(row.at(which + "_window_start"), std::to_string(start)) << record;
  EXPECT_EQ(row.at(which + "_window_end"), std::to_string(end)) << record;
  EXPECT_EQ(row.at(which + "_offset"), std::to_string(pos - start)) << record;
  EXPECT_EQ(samtools_faidx(fasta, record), reference_bases(chrom, start, end)) << record;
}

// The ALT window: the pieces abut the breakends as the strands say, and the record is exactly
// piece 1 + the central inserted bases + piece 2, cut with samtools.
void expect_alt_window(const std::map<std::string, std::string>& row, const Sides& s, const std::string& fasta) {
  Piece first = parse_piece(row.at("alt_first_piece")), second = parse_piece(row.at("alt_second_piece"));
  std::string record = row.at("alt_record");
  // Breakend 1 is read forward: first when its retained sequence lies left (+), second otherwise.
  const Piece& own = s.strands[0] == '+' ? first : second;
  const Piece& mate = s.strands[0] == '+' ? second : first;
  EXPECT_FALSE(own.rc) << record;
  EXPECT_EQ(s.strands[0] == '+' ? own.end : own.start, s.pos1) << record;
  EXPECT_EQ(own.chrom, s.chrom1);
  EXPECT_EQ(mate.chrom, s.chrom2);
  EXPECT_EQ(mate.rc, s.strands[0] == s.strands[1]) << record;
  EXPECT_EQ(s.strands[1] == '+' ? mate.end : mate.start, s.pos2) << record;

  std::string inserted = row.at("inserted_sequence") == "." ? "" : row.at("inserted_sequence");
  long used = std::stol(row.at("alt_length")) - first.length() - second.length();
  ASSERT_GE(used, 0);
  ASSERT_LE(used, static_cast<long>(inserted.size()));
  std::string expected = piece_bases(first) + inserted.substr((inserted.size() - used) / 2, used) + piece_bases(second);
  EXPECT_EQ(samtools_faidx(fasta, record), expected) << record;
  EXPECT_EQ(row.at("alt_junction_offset"), std::to_string(first.length())) << record;
  // Full length L unless a piece stops at a contig end.
  auto lengths = contig_lengths();
  auto at_contig_end = [&](const Piece& p) { return p.start == 1 || p.end == lengths.at(p.chrom); };
  if (!at_contig_end(first) && !at_contig_end(second)) {
    EXPECT_EQ(row.at("alt_length"), std::to_string(window_length)) << record;
  }
  EXPECT_EQ(first.length(), std::min((window_length - used) / 2, first.length())) << record;
}

// The sides of a row's junction from the VCF record(s) it names.
Sides sides_from_vcf(const std::map<std::string, std::string>& row, const Derived& derived) {
  std::string id = split(row.at("id"), ',')[0];
  const Record& r = *derived.junction_ids.at(id);
  if (!r.breakend()) return symbolic_sides(r, id);
  auto [own, mate] = r.strands();
  Sides s{row.at("chrom"), row.at("mate_chrom"), std::stol(row.at("pos")), std::stol(row.at("mate_pos")), ""};
  bool record_is_bp1 = r.chrom == s.chrom1 && r.pos == s.pos1;
  EXPECT_TRUE(record_is_bp1 || (r.chrom == s.chrom2 && r.pos == s.pos2)) << row.at("id");
  s.strands = record_is_bp1 ? std::string{own, mate} : std::string{mate, own};
  return s;
}

void expect_sample(const std::string& out, const std::string& safe_id, const std::string& vcf, bool keep_filtered) {
  SCOPED_TRACE(safe_id);
  std::vector<Record> records = read_records(vcf);
  Derived derived = derive(records, keep_filtered);
  std::string fasta = out + "/" + safe_id + ".sv_windows.fa.gz";
  auto rows = read_tsv(out + "/" + safe_id + ".sv_windows.tsv.gz");
  std::vector<std::string> names = fai_names(fasta + ".fai");
  ASSERT_EQ(names.size(), 3 * rows.size());
  std::map<std::string, std::size_t> classes, covered;
  std::size_t imprecise = 0;
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const auto& row = rows[i];
    std::string prefix = safe_id + "|sv" + std::to_string(i) + "|" + row.at("chrom") + "_" + row.at("pos") + "|";
    EXPECT_EQ(names[3 * i], prefix + "REF1");
    EXPECT_EQ(names[3 * i + 1], prefix + "REF2");
    EXPECT_EQ(names[3 * i + 2], prefix + "ALT");
    EXPECT_EQ(row.at("ref1_record"), names[3 * i]);
    EXPECT_EQ(row.at("ref2_record"), names[3 * i + 1]);
    EXPECT_EQ(row.at("alt_record"), names[3 * i + 2]);
    EXPECT_TRUE(std::regex_match(names[3 * i + 2], std::regex(R"([A-Za-z0-9_.|]+)"))) << names[3 * i + 2];
    bool row_imprecise = false;
    for (const auto& id : split(row.at("id"), ',')) {
      ASSERT_TRUE(derived.junction_ids.count(id)) << "row id " << id << " is no junction of the VCF";
      ++covered[id];
      row_imprecise |= derived.junction_ids.at(id)->info.count("IMPRECISE") > 0;
    }
    Sides sides = sides_from_vcf(row, derived);
    EXPECT_EQ(row.at("chrom"), sides.chrom1);
    EXPECT_EQ(row.at("pos"), std::to_string(sides.pos1)) << row.at("id");
    EXPECT_EQ(row.at("mate_chrom"), sides.chrom2);
    EXPECT_EQ(row.at("mate_pos"), std::to_string(sides.pos2)) << row.at("id");
    EXPECT_EQ(row.at("strands"), sides.strands) << row.at("id");
    std::string sv_class = expected_class(sides, *derived.junction_ids.at(split(row.at("id"), ',')[0]));
    EXPECT_EQ(row.at("class"), sv_class) << row.at("id");
    EXPECT_EQ(row.at("imprecise"), row_imprecise ? "1" : "0") << row.at("id");
    for (const char* column : {"t_split_reads", "t_discordant_pairs", "n_split_reads", "n_discordant_pairs"})
      EXPECT_EQ(row.at(column), ".") << "no BAMs";
    ++classes[row.at("class")];
    imprecise += row_imprecise;
    expect_ref_window(row, "ref1", sides.chrom1, sides.pos1, fasta);
    expect_ref_window(row, "ref2", sides.chrom2, sides.pos2, fasta);
    expect_alt_window(row, sides, fasta);
  }
  // Every junction of the VCF is in exactly one row.
  for (const auto& [id, record] : derived.junction_ids) EXPECT_EQ(covered[id], 1u) << id;

  Json sv = read_json(out + "/" + safe_id + ".stats.json")["sv"];
  EXPECT_EQ(sv["records"].get<std::size_t>(), records.size());
  EXPECT_EQ(sv["junctions"].get<std::size_t>(), rows.size());
  for (const auto& [name, count] : sv["junctions_by_class"].items())
    EXPECT_EQ(count.get<std::size_t>(), classes[name]) << name;
  for (const auto& [reason, count] : sv["skipped"].items())
    EXPECT_EQ(count.get<std::size_t>(), derived.skipped[reason]) << reason;
  EXPECT_EQ(sv["ref_base_mismatches"].get<std::size_t>(), derived.ref_base_mismatches);
  EXPECT_EQ(sv["unpaired_breakends"].get<std::size_t>(), derived.unpaired);
  EXPECT_EQ(sv["imprecise"].get<std::size_t>(), imprecise);
  EXPECT_EQ(sv["window_lengths"].size() > 0, !rows.empty());
}

std::string bnd_alt(const std::string& t, const std::string& inserted, const std::string& form, const std::string& mate) {
  if (form == "t[p[") return t + inserted + "[" + mate + "[";
  if (form == "t]p]") return t + inserted + "]" + mate + "]";
  if (form == "]p]t") return "]" + mate + "]" + inserted + t;
  return "[" + mate + "[" + inserted + t;
}

// Real COLO829 breakpoints (unmasked in the test reference) joined in every way, plus records that
// are skipped. REF bases are the reference's, except where the record says otherwise.
std::string handmade_vcf(const std::string& dir) {
  auto base = [](const std::string& chrom, long pos) { return reference_bases(chrom, pos, pos); };
  std::string text =
      "##fileformat=VCFv4.2\n##contig=<ID=20,length=63025520>\n##contig=<ID=X,length=69999930>\n"
      "##INFO=<ID=MATEID,Number=1,Type=String,Description=\"mate\">\n"
      "##INFO=<ID=END,Number=1,Type=Integer,Description=\"end\">\n"
      "##INFO=<ID=SVINSSEQ,Number=1,Type=String,Description=\"inserted\">\n"
      "##INFO=<ID=IMPRECISE,Number=0,Type=Flag,Description=\"imprecise\">\n"
      "##INFO=<ID=HOMLEN,Number=1,Type=Integer,Description=\"homology length\">\n"
      "##INFO=<ID=HOMSEQ,Number=1,Type=String,Description=\"homology\">\n"
      "##FILTER=<ID=LowQual,Description=\"low\">\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n";
  auto add = [&](const std::string& chrom, long pos, const std::string& id, const std::string& ref,
                 const std::string& alt, const std::string& filter, const std::string& info) {
    text += chrom + "\t" + std::to_string(pos) + "\t" + id + "\t" + ref + "\t" + alt + "\t.\t" + filter + "\t" + info + "\n";
  };
  struct Pair { std::string id, c1; long p1; std::string form1, ins1, c2; long p2; std::string form2, ins2, info; };
  const std::vector<Pair> pairs = {
      {"del", "20", 13160728, "t[p[", "", "20", 14962956, "]p]t", "", "HOMLEN=2;HOMSEQ=AC"},
      {"dup", "20", 15000623, "]p]t", "", "20", 15013949, "t[p[", "", "IMPRECISE"},
      {"h2h", "X", 31196943, "t]p]", "GA", "X", 32098532, "t]p]", "TC", ""},
      {"t2t", "X", 32098532, "[p[t", "", "X", 34059778, "[p[t", "", ""},
      {"tra", "20", 37274468, "t[p[", "ACG", "X", 31196943, "]p]t", "ACG", ""},
      {"edge", "20", 100, "t]p]", "", "X", 69999900, "t]p]", "", ""},  // both pieces clipped at contig ends
  };
  for (const Pair& p : pairs) {
    std::string t1 = base(p.c1, p.p1), t2 = base(p.c2, p.p2);
    std::string info1 = "MATEID=" + p.id + "_2" + (p.info.empty() ? "" : ";" + p.info);
    std::string info2 = "MATEID=" + p.id + "_1" + (p.info.empty() ? "" : ";" + p.info);
    add(p.c1, p.p1, p.id + "_1", t1, bnd_alt(t1, p.ins1, p.form1, p.c2 + ":" + std::to_string(p.p2)), "PASS", info1);
    add(p.c2, p.p2, p.id + "_2", t2, bnd_alt(t2, p.ins2, p.form2, p.c1 + ":" + std::to_string(p.p1)), "PASS", info2);
  }
  std::string t = base("20", 13160728);
  add("20", 13160728, "lone_1", t, bnd_alt(t, "", "t[p[", "20:15013949"), "PASS", "MATEID=lone_2");  // mate absent
  add("20", 13160728, "wrongref_1", t == "A" ? "C" : "A", bnd_alt(t, "", "]p]t", "20:37274468"), "PASS", ".");
  add("20", 13160728, "filtered_1", t, bnd_alt(t, "", "t[p[", "20:14962956"), "LowQual", ".");
  add("20", 13160728, "elsewhere_1", t, bnd_alt(t, "", "t[p[", "7:1000"), "PASS", ".");
  add("20", 13160728, "single", t, t + ".", "PASS", ".");
  add("20", 14962955, "sdel", base("20", 14962955), "<DEL>", "PASS", "END=15000623");
  add("X", 31196943, "sdup", base("X", 31196943), "<DUP>", "PASS", "END=31197500");
  add("X", 32098532, "sinv", base("X", 32098532), "<INV>", "PASS", "END=32100000");
  add("20", 15013949, "sins", base("20", 15013949), "<INS>", "PASS", "SVINSSEQ=ACGTTGCAAC");
  add("20", 15013949, "sins_noseq", base("20", 15013949), "<INS>", "PASS", ".");
  add("20", 15013949, "seq", base("20", 15013949) + "A", base("20", 15013949), "PASS", ".");
  std::string path = dir + "/handmade.sv.vcf";
  write_file(path, text);
  return path;
}

struct Cohort {
  std::string sheet;
  std::vector<std::pair<std::string, std::string>> samples;  // safe id, VCF
};

Cohort sv_cohort(const ScratchDir& dir) {
  Cohort cohort{dir / "sheet.tsv",
                {{"gridss", test_data("sv", "gridss.20_X.vcf.gz")},
                 {"manta", test_data("sv", "manta.20_X.vcf")},
                 {"truthset", test_data("sv", "truthset.20_X.vcf")},
                 {"handmade", handmade_vcf(dir.str())}}};
  std::string sheet = sheet_header;
  for (const auto& [id, vcf] : cohort.samples) sheet += id + "\tCOLO829\t\t\t\t\t" + vcf + "\tSkin-Melanoma\n";
  write_file(cohort.sheet, sheet);
  return cohort;
}

}  // namespace

TEST(SvWindowsCli, JunctionWindowsMatchSamtoolsAndCountsMatchTheVcf) {
  ScratchDir dir;
  Cohort cohort = sv_cohort(dir);
  for (bool keep_filtered : {false, true}) {
    std::string out = dir / (keep_filtered ? "keep" : "pass");
    CommandResult result = run_oncolm("windows '" + cohort.sheet + "' --reference '" + sv_reference + "' -o '" + out +
                                      "'" + (keep_filtered ? " --keep-filtered" : ""));
    ASSERT_EQ(result.status, 0) << result.err;
    std::size_t junctions = 0;
    for (const auto& [id, vcf] : cohort.samples) {
      expect_sample(out, id, vcf, keep_filtered);
      junctions += read_tsv(out + "/" + id + ".sv_windows.tsv.gz").size();
    }
    Json stats = read_json(out + "/stats.json");
    EXPECT_EQ(stats["sv"]["junctions"].get<std::size_t>(), junctions);
    EXPECT_EQ(stats["counts_by_type"]["sv"].get<std::size_t>(), junctions);
    for (const auto& row : read_tsv(out + "/manifest.tsv"))
      EXPECT_EQ(row.at("sv_junctions"), std::to_string(read_tsv(out + "/" + row.at("sv_tsv")).size()));
  }
}

TEST(SvWindowsCli, WrongSvRefBasesAreWarnedNamingTheRecord) {
  ScratchDir dir;
  Cohort cohort = sv_cohort(dir);
  CommandResult result = run_oncolm("windows '" + cohort.sheet + "' --reference '" + sv_reference + "' -o '" +
                                    (dir / "out") + "' --sample handmade");
  ASSERT_EQ(result.status, 0) << result.err;
  EXPECT_NE(result.err.find("handmade.sv.vcf:"), std::string::npos) << result.err;
  EXPECT_NE(result.err.find("the reference base is used"), std::string::npos) << result.err;
}

TEST(SvWindowsCli, SvLengthSetsEveryJunctionWindow) {
  ScratchDir dir;
  Cohort cohort = sv_cohort(dir);
  CommandResult result = run_oncolm("windows '" + cohort.sheet + "' --reference '" + sv_reference + "' -o '" +
                                    (dir / "out") + "' --sample gridss --sv-length 1000");
  ASSERT_EQ(result.status, 0) << result.err;
  auto rows = read_tsv(dir / "out/gridss.sv_windows.tsv.gz");
  ASSERT_FALSE(rows.empty());
  for (const auto& row : rows) {
    EXPECT_EQ(std::stol(row.at("ref1_window_end")) - std::stol(row.at("ref1_window_start")) + 1, 1000);
    EXPECT_EQ(row.at("ref1_offset"), "500");
    EXPECT_EQ(row.at("alt_length"), "1000");
  }
  EXPECT_EQ(read_json(dir / "out/gridss.stats.json")["provenance"]["parameters"]["sv_length"], 1000);
}

// Every SV record read (one per ALT allele) is a junction or skipped for a reason: ALT '.', each
// allele of a multi-allelic record, and breakends beyond their contig (a mate or END past the end,
// which would give an empty window).
TEST(SvWindowsCli, EveryRecordIsAJunctionOrSkippedForAReason) {
  ScratchDir dir;
  auto base = [](long pos) { return reference_bases("20", pos, pos); };
  std::string vcf = "##fileformat=VCFv4.2\n##contig=<ID=20,length=63025520>\n"
                    "##INFO=<ID=END,Number=1,Type=Integer,Description=\"end\">\n"
                    "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n";
  vcf += "20\t15000000\tnoalt\t" + base(15000000) + "\t.\t.\tPASS\t.\n";
  vcf += "20\t15000100\tcnv\t" + base(15000100) + "\t<CNV>,<FOO>\t.\tPASS\tEND=15000200\n";
  vcf += "20\t15000300\tfar\t" + base(15000300) + "\t" + base(15000300) + "[20:63025600[\t.\tPASS\t.\n";
  vcf += "20\t15000400\tlongdel\t" + base(15000400) + "\t<DEL>\t.\tPASS\tEND=63025999\n";
  vcf += "20\t15000500\tdel\t" + base(15000500) + "\t<DEL>\t.\tPASS\tEND=15000900\n";
  write_file(dir / "calls.vcf", vcf);
  write_file(dir / "sheet.tsv", sheet_header + "s1\td1\t\t\t\t\t" + (dir / "calls.vcf") + "\tSkin-Melanoma\n");
  CommandResult result =
      run_oncolm("windows '" + (dir / "sheet.tsv") + "' --reference '" + sv_reference + "' -o '" + (dir / "out") + "'");
  ASSERT_EQ(result.status, 0) << result.err;
  EXPECT_NE(result.err.find("calls.vcf:7: mate position 63025600 is outside 20"), std::string::npos) << result.err;
  Json sv = read_json(dir / "out/s1.stats.json")["sv"];
  EXPECT_EQ(sv["records"], 6);
  EXPECT_EQ(sv["skipped"]["sv_no_alt"], 1);
  EXPECT_EQ(sv["skipped"]["sv_unsupported_symbolic"], 2);
  EXPECT_EQ(sv["skipped"]["sv_position_outside_contig"], 2);
  EXPECT_EQ(sv["junctions"], 1);
  std::size_t skipped = 0;
  for (const auto& [reason, count] : sv["skipped"].items()) skipped += count.get<std::size_t>();
  EXPECT_EQ(skipped + sv["junctions"].get<std::size_t>(), sv["records"].get<std::size_t>());
  EXPECT_EQ(read_tsv(dir / "out/s1.sv_windows.tsv.gz").size(), 1u);
}

// Breakend records that name no mate (no MATEID, no id convention) pair with the record of the
// same two breakends, so a pair gives one junction and a lone record is counted unpaired; a BND
// pair joining adjacent bases through new sequence is an insertion, as `oncolm breakpoints` calls
// it; a <DEL> whose END is the contig's last base joins a base that does not exist and is skipped.
TEST(SvWindowsCli, MatelessBreakendsPairByPositionAndAdjacentJoinsAreInsertions) {
  ScratchDir dir;
  const long contig_end = contig_lengths().at("20");
  auto base = [](long pos) { return reference_bases("20", pos, pos); };
  std::string vcf = "##fileformat=VCFv4.2\n##contig=<ID=20,length=" + std::to_string(contig_end) + ">\n"
                    "##INFO=<ID=END,Number=1,Type=Integer,Description=\"end\">\n"
                    "##INFO=<ID=MATEID,Number=.,Type=String,Description=\"mate\">\n"
                    "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n";
  vcf += "20\t15000000\tbndA\t" + base(15000000) + "\t" + base(15000000) + "[20:15000500[\t.\tPASS\t.\n";
  vcf += "20\t15000500\tbndB\t" + base(15000500) + "\t]20:15000000]" + base(15000500) + "\t.\tPASS\t.\n";
  vcf += "20\t15001000\tlone\t" + base(15001000) + "\t" + base(15001000) + "]20:15002000]\t.\tPASS\t.\n";
  vcf += "20\t15003000\tinsD\t" + base(15003000) + "\t" + base(15003000) + "ACGTACGT[20:15003001[\t.\tPASS\tMATEID=insE\n";
  vcf += "20\t15003001\tinsE\t" + base(15003001) + "\t]20:15003000]ACGTACGT" + base(15003001) + "\t.\tPASS\tMATEID=insD\n";
  vcf += "20\t" + std::to_string(contig_end - 100) + "\ttodel\t" + base(contig_end - 100) + "\t<DEL>\t.\tPASS\tEND=" +
         std::to_string(contig_end) + "\n";
  write_file(dir / "calls.vcf", vcf);
  write_file(dir / "sheet.tsv", sheet_header + "s1\td1\t\t\t\t\t" + (dir / "calls.vcf") + "\tSkin-Melanoma\n");
  CommandResult result =
      run_oncolm("windows '" + (dir / "sheet.tsv") + "' --reference '" + sv_reference + "' -o '" + (dir / "out") + "'");
  ASSERT_EQ(result.status, 0) << result.err;
  EXPECT_NE(result.err.find("calls.vcf:11: junction breakend " + std::to_string(contig_end + 1) + " is outside 20"),
            std::string::npos)
      << result.err;
  Json sv = read_json(dir / "out/s1.stats.json")["sv"];
  EXPECT_EQ(sv["records"], 6);
  EXPECT_EQ(sv["junctions"], 3);
  EXPECT_EQ(sv["unpaired_breakends"], 1);
  EXPECT_EQ(sv["skipped"]["sv_position_outside_contig"], 1);
  std::map<std::string, std::map<std::string, std::string>> rows;
  for (const auto& row : read_tsv(dir / "out/s1.sv_windows.tsv.gz")) rows[row.at("id")] = row;
  ASSERT_EQ(rows.size(), 3u);
  ASSERT_EQ(rows.count("bndA,bndB"), 1u);
  EXPECT_EQ(rows["bndA,bndB"].at("class"), "DEL");
  EXPECT_EQ(rows["bndA,bndB"].at("size"), "499");
  ASSERT_EQ(rows.count("lone"), 1u);
  EXPECT_EQ(rows["lone"].at("class"), "INV");
  ASSERT_EQ(rows.count("insD,insE"), 1u);
  EXPECT_EQ(rows["insD,insE"].at("class"), "INS");
  EXPECT_EQ(rows["insD,insE"].at("size"), "8");
  EXPECT_EQ(rows["insD,insE"].at("inserted_sequence"), "ACGTACGT");
}

// INFO numbers that are not numbers never reach the output as htslib's missing value (INT32_MIN):
// HOMLEN/CIPOS are left empty, an END that is not an integer is an error naming the record, and a
// breakend that names its own position as its mate is skipped and counted.
TEST(SvWindowsCli, NonNumericInfoAndSelfJoinsAreNotTurnedIntoNumbers) {
  ScratchDir dir;
  auto base = [](long pos) { return reference_bases("20", pos, pos); };
  const std::string header = "##fileformat=VCFv4.2\n##contig=<ID=20,length=63025520>\n"
                             "##INFO=<ID=END,Number=1,Type=Integer,Description=\"end\">\n"
                             "##INFO=<ID=HOMLEN,Number=.,Type=Integer,Description=\"h\">\n"
                             "##INFO=<ID=CIPOS,Number=2,Type=Integer,Description=\"c\">\n"
                             "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n";
  std::string vcf = header;
  vcf += "20\t15000000\tdel\t" + base(15000000) + "\t<DEL>\t.\tPASS\tEND=15000400;HOMLEN=abc;CIPOS=x,y\n";
  vcf += "20\t15001000\tself\t" + base(15001000) + "\t" + base(15001000) + "[20:15001000[\t.\tPASS\t.\n";
  write_file(dir / "calls.vcf", vcf);
  write_file(dir / "sheet.tsv", sheet_header + "s1\td1\t\t\t\t\t" + (dir / "calls.vcf") + "\tSkin-Melanoma\n");
  CommandResult result =
      run_oncolm("windows '" + (dir / "sheet.tsv") + "' --reference '" + sv_reference + "' -o '" + (dir / "out") + "'");
  ASSERT_EQ(result.status, 0) << result.err;
  EXPECT_NE(result.err.find("calls.vcf:8: breakend self names its own position"), std::string::npos) << result.err;
  Json sv = read_json(dir / "out/s1.stats.json")["sv"];
  EXPECT_EQ(sv["skipped"]["sv_self_join"], 1);
  auto rows = read_tsv(dir / "out/s1.sv_windows.tsv.gz");
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].at("homlen"), ".");
  EXPECT_EQ(rows[0].at("cipos"), ".");
  EXPECT_EQ(rows[0].at("ciend"), ".");
  write_file(dir / "calls.vcf", header + "20\t15000000\tdel\t" + base(15000000) + "\t<DEL>\t.\tPASS\tEND=abc\n");
  CommandResult bad_end = run_oncolm("windows '" + (dir / "sheet.tsv") + "' --reference '" + sv_reference + "' -o '" +
                                     (dir / "out2") + "'");
  EXPECT_EQ(bad_end.status, 1);
  EXPECT_NE(bad_end.err.find("calls.vcf:7: INFO END of <DEL> is not an integer"), std::string::npos) << bad_end.err;
}
