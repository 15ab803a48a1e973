// SV read evidence of `oncolm windows` (t_/n_split_reads, t_/n_discordant_pairs) on the example
// COLO829T tumour/normal miniBAMs (simulated reads with real SA tags and discordant pairs at 8
// deletion junctions, the two junctions of an inversion and the two of a reciprocal translocation,
// examples/README.md), checked against an independent count made here from the SAM text of
// `samtools view -F 0xF04 -q 20` around each breakend, following the documented rules (README
// "Read evidence", evidence/bam_counts.h):
//  - split read: a read whose alignment stops at one breakend from its retained side (ends within
//    10 bp of it when the left side is retained, starts within 10 bp when the right side is) and
//    whose SA tag holds an alignment (position + CIGAR) stopping at the other breakend the same way;
//  - discordant pair: paired, not a proper pair, mate mapped; the read lies on the retained side of
//    its breakend (overhanging it by at most 10 bp, within the search distance) and points into the
//    junction; its mate (RNEXT/PNEXT and the MC CIGAR) does the same at the other breakend; where
//    the row states a confidence interval around a breakend (cipos, ciend), the breakend may be
//    anywhere in it, and both bounds on that side widen by it;
//  - each read name counts once per junction and kind.
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "test_support.h"

using namespace oncolm::test;

namespace {

const std::string examples = std::string(ONCOLM_SOURCE_DIR) + "/examples";
const std::string example_reference = examples + "/reference/GRCh37.20_X.masked.fa.gz";
const std::string tumour_bam = examples + "/bam/COLO829T.tumour.variantbam.bam";
const std::string normal_bam = examples + "/bam/COLO829.normal.variantbam.bam";
const std::string sv_vcf = examples + "/vcf/COLO829T.somatic.sv.vcf.gz";

constexpr long search_distance = 1000;  // `oncolm windows` default
constexpr long slack = 10;              // overhang allowed past a breakend (read_evidence.cpp)

// The junctions simulated in the reads (examples/README.md, "Structural variants"): 8 real deletion
// junctions, then the constructed inversion (two junctions 1 bp apart) and reciprocal translocation.
const std::set<std::string> simulated_junctions = {
    "20:13160728^13164101", "20:14962956^15013949", "20:15000623^15013843", "X:31196943^31216211",
    "X:31301203^32038750",  "X:32077855^32293097",  "X:32098532^32201252",  "X:34059778^34062705",
    "20:2342000^2343219",   "20:2342001^2343220",   "20:2045000^X:41980155", "20:2045001^X:41980154"};

struct Breakend {
  std::string chrom;
  long pos = 0;
  bool keeps_left = true;  // strand '+': the base at pos and those before it are retained
  long low = 0, high = 0;  // the caller's confidence interval: the breakend is in [pos + low, pos + high]
};

// "low,high" of a cipos/ciend cell into `side` ('.' states none).
void set_interval(const std::string& cell, Breakend& side) {
  if (cell == ".") return;
  std::vector<std::string> bounds = split(cell, ',');
  ASSERT_EQ(bounds.size(), 2u) << cell;
  side.low = std::stol(bounds[0]);
  side.high = std::stol(bounds[1]);
}

// Reference bases a CIGAR covers.
long reference_length(const std::string& cigar) {
  long length = 0, number = 0;
  for (char c : cigar) {
    if (std::isdigit(static_cast<unsigned char>(c))) {
      number = number * 10 + (c - '0');
      continue;
    }
    if (c == 'M' || c == 'D' || c == 'N' || c == '=' || c == 'X') length += number;
    number = 0;
  }
  return length;
}

// Whether the alignment [start, end] stops at `side` from its retained side.
bool stops_at(const Breakend& side, long start, long end) {
  return std::labs((side.keeps_left ? end : start) - side.pos) <= slack;
}

// Whether the alignment [start, end] lies on the retained side of `side`, near it.
bool on_retained_side(const Breakend& side, long start, long end) {
  if (side.keeps_left) return end <= side.pos + side.high + slack && start >= side.pos + side.low - search_distance;
  return start >= side.pos + side.low - slack && end <= side.pos + side.high + search_distance;
}

struct Counted {
  std::set<std::string> split, discordant;
};

// Reads of `bam` near `here` supporting the junction here^there, added to `counted` by name.
void count_at(const std::string& bam, const Breakend& here, const Breakend& there, Counted& counted) {
  std::string region = here.chrom + ":" + std::to_string(std::max(1L, here.pos + here.low - search_distance)) + "-" +
                       std::to_string(here.pos + here.high + search_distance);
  CommandResult view = run_command("samtools view -F 0xF04 -q 20 '" + bam + "' " + region);
  ASSERT_EQ(view.status, 0) << view.err;
  for (const std::string& line : split(view.out, '\n')) {
    std::vector<std::string> f = split(line, '\t');
    if (f.size() < 11) continue;
    const std::string& name = f[0];
    int flag = std::stoi(f[1]);
    long start = std::stol(f[3]);
    long end = start + reference_length(f[5]) - 1;
    long read_length = static_cast<long>(f[9].size());
    std::string mate_chrom = f[6] == "=" ? f[2] : f[6];
    long mate_start = std::stol(f[7]);
    std::string mate_cigar;
    int mate_mapq = 255;  // MQ tag: the mate's MAPQ, when the aligner wrote it
    bool mate_below_mapq = false;
    for (std::size_t i = 11; i < f.size(); ++i) {
      if (f[i].rfind("SA:Z:", 0) == 0 && stops_at(here, start, end)) {
        for (const std::string& entry : split(f[i].substr(5), ';')) {
          std::vector<std::string> sa = split(entry, ',');  // rname,pos,strand,CIGAR,mapQ,NM
          if (sa.size() < 4 || sa[0] != there.chrom) continue;
          if (sa.size() > 4 && std::stoi(sa[4]) < 20) continue;  // the supplementary part's MAPQ, as -q 20
          long sa_start = std::stol(sa[1]);
          if (stops_at(there, sa_start, sa_start + reference_length(sa[3]) - 1)) counted.split.insert(name);
        }
      }
      if (f[i].rfind("MC:Z:", 0) == 0) mate_cigar = f[i].substr(5);
      if (f[i].rfind("MQ:i:", 0) == 0) mate_mapq = std::stoi(f[i].substr(5));
    }
    if (mate_mapq < 20) mate_below_mapq = true;
    bool paired = flag & 0x1, proper = flag & 0x2, mate_unmapped = flag & 0x8;
    bool reverse = flag & 0x10, mate_reverse = flag & 0x20;
    if (!paired || proper || mate_unmapped || mate_below_mapq || mate_chrom != there.chrom) continue;
    long mate_end = mate_start + (mate_cigar.empty() ? read_length : reference_length(mate_cigar)) - 1;
    // Pointing into the junction: forward on a left-retained side, reverse on a right-retained one.
    if (reverse == here.keeps_left || mate_reverse == there.keeps_left) continue;
    if (on_retained_side(here, start, end) && on_retained_side(there, mate_start, mate_end))
      counted.discordant.insert(name);
  }
}

struct Support {
  int split_reads = 0, discordant_pairs = 0;
};

Support samtools_support(const std::string& bam, const Breakend& bp1, const Breakend& bp2) {
  Counted counted;
  count_at(bam, bp1, bp2, counted);
  count_at(bam, bp2, bp1, counted);
  return {static_cast<int>(counted.split.size()), static_cast<int>(counted.discordant.size())};
}

std::string reverse_complement(const std::string& sequence) {
  std::string out(sequence.rbegin(), sequence.rend());
  for (char& base : out) {
    const char* from = "ACGTN";
    const char* to = "TGCAN";
    const char* at = std::strchr(from, base);
    base = at && *at ? to[at - from] : 'N';
  }
  return out;
}

// The fewest mismatches of `read` or its reverse complement placed without gaps inside `window`
// over base `must_cover` (0-based); a large number when no placement covers it.
long best_mismatches(const std::string& window, const std::string& read, long must_cover) {
  long best = 1L << 30;
  long length = static_cast<long>(read.size());
  for (const std::string& strand : {read, reverse_complement(read)})
    for (long start = std::max(0L, must_cover - length + 1);
         start <= must_cover && start + length <= static_cast<long>(window.size()); ++start) {
      long mismatches = 0;
      for (long i = 0; i < length && mismatches < best; ++i)
        mismatches += strand[static_cast<std::size_t>(i)] != window[static_cast<std::size_t>(start + i)];
      best = std::min(best, mismatches);
    }
  return best;
}

// Primary tumour reads with an SA tag near a breakend: the reads split at a junction there.
std::vector<std::string> split_read_sequences(const std::string& bam, const std::string& chrom, long pos) {
  CommandResult view = run_command("samtools view -F 0xF04 -q 20 '" + bam + "' " + chrom + ":" +
                                   std::to_string(pos - 200) + "-" + std::to_string(pos + 200));
  std::vector<std::string> sequences;
  for (const std::string& line : split(view.out, '\n'))
    if (line.find("\tSA:Z:") != std::string::npos) sequences.push_back(split(line, '\t').at(9));
  return sequences;
}

// `oncolm windows` on COLO829T alone, into dir/out.
void run_colo829(const ScratchDir& dir) {
  write_file(dir / "sheet.tsv",
             "sample_id\tdonor_id\ttumour_bam\tnormal_bam\tsnv_vcf\tindel_vcf\tsv_vcf\thistology_abbreviation\n"
             "COLO829T\tCOLO829\t" + tumour_bam + "\t" + normal_bam + "\t\t\t" + sv_vcf + "\tSkin-Melanoma\n");
  CommandResult result = run_oncolm("windows '" + (dir / "sheet.tsv") + "' --reference '" + example_reference +
                                    "' -o '" + (dir / "out") + "'");
  ASSERT_EQ(result.status, 0) << result.err;
}

}  // namespace

TEST(SvEvidence, TumourSplitReadsReadTheAltJunctionWindowNotTheReference) {
  // Every simulated junction, the inversion's and translocation's included: some tumour read split
  // there matches the ALT window across the junction with at most a few sequencing errors, and
  // matches it better than the REF window at either breakend.
  ScratchDir dir;
  run_colo829(dir);
  if (HasFatalFailure()) return;
  auto windows = read_fasta(dir / "out/COLO829T.sv_windows.fa.gz");
  std::set<std::string> matched;
  for (const auto& row : read_tsv(dir / "out/COLO829T.sv_windows.tsv.gz")) {
    std::string junction = row.at("chrom") + ":" + row.at("pos") + "^" +
                           (row.at("mate_chrom") == row.at("chrom") ? "" : row.at("mate_chrom") + ":") +
                           row.at("mate_pos");
    if (!simulated_junctions.count(junction)) continue;
    const std::string& alt = windows.at(row.at("alt_record"));
    long junction_offset = std::stol(row.at("alt_junction_offset"));
    for (const std::string& read : split_read_sequences(tumour_bam, row.at("chrom"), std::stol(row.at("pos")))) {
      long on_alt = best_mismatches(alt, read, junction_offset);
      long on_ref1 = best_mismatches(windows.at(row.at("ref1_record")), read, std::stol(row.at("ref1_offset")));
      long on_ref2 = best_mismatches(windows.at(row.at("ref2_record")), read, std::stol(row.at("ref2_offset")));
      if (on_alt <= 4 && on_alt < std::min(on_ref1, on_ref2)) matched.insert(junction);
    }
  }
  EXPECT_EQ(matched, simulated_junctions);
}

TEST(SvEvidence, SplitReadsAndDiscordantPairsEqualSamtoolsCounts) {
  ScratchDir dir;
  run_colo829(dir);
  if (HasFatalFailure()) return;
  auto rows = read_tsv(dir / "out/COLO829T.sv_windows.tsv.gz");
  ASSERT_FALSE(rows.empty());
  std::set<std::string> seen_simulated;
  for (const auto& row : rows) {
    const std::string& strands = row.at("strands");
    ASSERT_EQ(strands.size(), 2u) << row.at("id");
    Breakend bp1{row.at("chrom"), std::stol(row.at("pos")), strands[0] == '+'};
    Breakend bp2{row.at("mate_chrom"), std::stol(row.at("mate_pos")), strands[1] == '+'};
    set_interval(row.at("cipos"), bp1);
    set_interval(row.at("ciend"), bp2);
    std::string junction = bp1.chrom + ":" + row.at("pos") + "^" +
                           (bp2.chrom == bp1.chrom ? "" : bp2.chrom + ":") + row.at("mate_pos");
    Support tumour = samtools_support(tumour_bam, bp1, bp2);
    Support normal = samtools_support(normal_bam, bp1, bp2);
    EXPECT_EQ(row.at("t_split_reads"), std::to_string(tumour.split_reads)) << junction;
    EXPECT_EQ(row.at("t_discordant_pairs"), std::to_string(tumour.discordant_pairs)) << junction;
    EXPECT_EQ(row.at("n_split_reads"), std::to_string(normal.split_reads)) << junction;
    EXPECT_EQ(row.at("n_discordant_pairs"), std::to_string(normal.discordant_pairs)) << junction;
    // The simulation: support in the tumour at its junctions, never in the normal.
    EXPECT_EQ(normal.split_reads, 0) << junction;
    EXPECT_EQ(normal.discordant_pairs, 0) << junction;
    if (simulated_junctions.count(junction)) {
      seen_simulated.insert(junction);
      EXPECT_GT(tumour.split_reads, 0) << junction;
      EXPECT_GT(tumour.discordant_pairs, 0) << junction;
    }
  }
  EXPECT_EQ(seen_simulated, simulated_junctions);
}

// An IMPRECISE call placed 150 bp outside a simulated deletion at each end (as Manta and Delly place
// paired-end-only calls, within their CIPOS/CIEND) keeps the discordant pairs of the junction: its
// count equals the samtools count with the intervals, is at least the count at the true breakends,
// and the same call without intervals loses the pairs that end between the two positions.
TEST(SvEvidence, ImpreciseCallsCountDiscordantPairsAcrossTheirConfidenceIntervals) {
  ScratchDir dir;
  const long true_pos = 13160728, true_end = 13164100;  // 20:13160728^13164101 of the simulation
  auto record = [](const std::string& id, long pos, long end, const std::string& info) {
    return "20\t" + std::to_string(pos) + "\t" + id + "\tN\t<DEL>\t.\tPASS\tEND=" + std::to_string(end) + ";" + info +
           "\n";
  };
  write_file(dir / "calls.vcf",
             "##fileformat=VCFv4.2\n##contig=<ID=20,length=63025520>\n##contig=<ID=X,length=69999930>\n"
             "##INFO=<ID=END,Number=1,Type=Integer,Description=\"e\">\n"
             "##INFO=<ID=IMPRECISE,Number=0,Type=Flag,Description=\"i\">\n"
             "##INFO=<ID=CIPOS,Number=2,Type=Integer,Description=\"p\">\n"
             "##INFO=<ID=CIEND,Number=2,Type=Integer,Description=\"e\">\n"
             "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n" +
                 record("true", true_pos, true_end, "CIPOS=0,0") +
                 record("shifted_ci", true_pos - 150, true_end + 150, "IMPRECISE;CIPOS=-200,200;CIEND=-200,200") +
                 record("shifted", true_pos - 150, true_end + 150, "IMPRECISE"));
  write_file(dir / "sheet.tsv",
             "sample_id\tdonor_id\ttumour_bam\tnormal_bam\tsnv_vcf\tindel_vcf\tsv_vcf\thistology_abbreviation\n"
             "COLO829T\tCOLO829\t" + tumour_bam + "\t" + normal_bam + "\t\t\t" + (dir / "calls.vcf") + "\tSkin-Melanoma\n");
  CommandResult result = run_oncolm("windows '" + (dir / "sheet.tsv") + "' --reference '" + example_reference +
                                    "' -o '" + (dir / "out") + "'");
  ASSERT_EQ(result.status, 0) << result.err;
  std::map<std::string, long> pairs;
  for (const auto& row : read_tsv(dir / "out/COLO829T.sv_windows.tsv.gz")) {
    Breakend bp1{row.at("chrom"), std::stol(row.at("pos")), true};
    Breakend bp2{row.at("mate_chrom"), std::stol(row.at("mate_pos")), false};
    set_interval(row.at("cipos"), bp1);
    set_interval(row.at("ciend"), bp2);
    EXPECT_EQ(row.at("t_discordant_pairs"), std::to_string(samtools_support(tumour_bam, bp1, bp2).discordant_pairs))
        << row.at("id");
    pairs[row.at("id")] = std::stol(row.at("t_discordant_pairs"));
  }
  ASSERT_EQ(pairs.size(), 3u);
  EXPECT_GT(pairs.at("true"), 0);
  EXPECT_GE(pairs.at("shifted_ci"), pairs.at("true"));
  EXPECT_LT(pairs.at("shifted"), pairs.at("true"));
}
