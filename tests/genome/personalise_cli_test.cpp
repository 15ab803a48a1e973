// `oncolm windows --personalise` end to end on the example cohort (examples/, simulated miniBAMs
// carrying real 1000 Genomes germline haplotypes, SNVs and indels). Expectations come from other
// tools and from the data: the germline SNVs and their allele fractions from `bcftools mpileup -a
// AD` on the normal BAM, the germline indels from `samtools mpileup`, the windows from `bcftools
// consensus` with the applied sites and from a run without --personalise, and the phase from the
// simulation's read names (H1/H2 = germline haplotypes, S1/S2 = the same plus somatic events).
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <map>
#include <optional>
#include <regex>
#include <string>

#include "test_support.h"

using namespace oncolm::test;

namespace {

const std::string examples = std::string(ONCOLM_SOURCE_DIR) + "/examples";
const std::string cohort = examples + "/cohort.tsv";
const std::string example_reference = examples + "/reference/GRCh37.20_X.masked.fa.gz";

using Row = std::map<std::string, std::string>;
using Json = nlohmann::json;

struct ListedSite {
  std::string chrom;
  long pos = 0;
  std::string ref, alt, kind;
};

// "20:1234:C>T:hom,20:1300:A>G:het_phased" -> sites; "." -> none.
std::vector<ListedSite> parse_sites(const std::string& cell) {
  std::vector<ListedSite> sites;
  if (cell == ".") return sites;
  for (const std::string& entry : split(cell, ',')) {
    std::vector<std::string> fields = split(entry, ':');
    EXPECT_EQ(fields.size(), 4u) << entry;
    if (fields.size() != 4) continue;
    std::vector<std::string> alleles = split(fields[2], '>');
    EXPECT_EQ(alleles.size(), 2u) << entry;
    if (alleles.size() != 2) continue;
    sites.push_back({fields[0], std::stol(fields[1]), alleles[0], alleles[1], fields[3]});
  }
  return sites;
}

struct Thresholds {
  int min_depth = 0;
  double hom = 0, het_min = 0, het_max = 0;
};

// What bcftools says about one position of a normal BAM: depth and the strongest non-REF base.
struct NormalSite {
  std::string ref;
  int depth = 0;
  std::string alt;
  int alt_depth = 0;
  double fraction() const { return depth > 0 ? static_cast<double>(alt_depth) / depth : 0.0; }
};

std::map<long, NormalSite> normal_sites(const std::string& bam, const std::string& chrom,
                                       const std::string& fasta = example_reference) {
  std::map<long, NormalSite> sites;
  for (const MpileupSite& site : bcftools_allele_depths(bam, fasta, chrom, 20, 13)) {
    NormalSite normal{site.ref, site.total_depth(), "", 0};
    for (std::size_t i = 0; i < site.alts.size(); ++i)
      if (site.depths[i + 1] > normal.alt_depth) normal = {site.ref, site.total_depth(), site.alts[i], site.depths[i + 1]};
    sites[site.pos] = normal;
  }
  return sites;
}

// The read-name prefixes ("H1", "S2", ...) of the reads `samtools mpileup` shows with `base` at
// chrom:pos, counted.
std::map<std::string, int> haplotypes_showing(const std::string& bam, const std::string& chrom, long pos, char base) {
  std::string region = chrom + ":" + std::to_string(pos) + "-" + std::to_string(pos);
  CommandResult result = run_command("samtools mpileup -f '" + example_reference + "' -r " + region +
                                     " -q 20 -Q 13 -B -A --output-QNAME '" + bam + "' 2>/dev/null");
  std::map<std::string, int> counts;
  for (const std::string& line : split(result.out, '\n')) {
    std::vector<std::string> fields = split(line, '\t');
    if (fields.size() < 7) continue;
    std::vector<std::string> names = split(fields[6], ',');
    parse_pileup_bases(
        fields[4],
        [&](int read, char c) {
          char shown = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
          if (c == '.' || c == ',') shown = fields[2][0];
          if (static_cast<std::size_t>(read) < names.size() && shown == base)
            ++counts[split(names[static_cast<std::size_t>(read)], '.')[0]];
        },
        [](int, const std::string&) {});
  }
  return counts;
}

// What `samtools mpileup -Q 0` shows of indels on one contig, per alignment as oncolm counts
// germline indels: per position, the alignments with a base there and those carrying each indel
// after it ("+1T", "-2AC").
struct IndelPileup {
  int depth = 0;
  std::map<std::string, int> carrying;
  std::pair<std::string, double> strongest() const {
    std::pair<std::string, double> best{"", 0.0};
    for (const auto& [key, n] : carrying)
      if (depth > 0 && static_cast<double>(n) / depth > best.second) best = {key, static_cast<double>(n) / depth};
    return best;
  }
};

std::map<long, IndelPileup> samtools_indels(const std::string& bam, const std::string& chrom,
                                            const std::string& fasta = example_reference) {
  CommandResult result = run_command("samtools mpileup -f '" + fasta + "' -r " + chrom +
                                     " -q 20 -Q 0 -B -A -d 100000 --ff UNMAP,SECONDARY,QCFAIL,DUP '" + bam +
                                     "' 2>/dev/null");
  std::map<long, IndelPileup> pileups;
  for (const std::string& line : split(result.out, '\n')) {
    std::vector<std::string> fields = split(line, '\t');
    if (fields.size() < 5) continue;
    IndelPileup& site = pileups[std::stol(fields[1])];
    parse_pileup_bases(
        fields[4], [&](int, char c) { site.depth += c != '*' && c != '<' && c != '>'; },
        [&](int, const std::string& key) { ++site.carrying[key]; });
  }
  return pileups;
}

// "+1T" for G>GT, "-2AC" for GAC>G: how samtools mpileup writes an indel after its anchor.
std::string samtools_indel_key(const ListedSite& site) {
  bool insertion = site.alt.size() > site.ref.size();
  std::string bases = insertion ? site.alt.substr(1) : site.ref.substr(1);
  return (insertion ? "+" : "-") + std::to_string(bases.size()) + bases;
}

// The read-name prefixes of the normal reads carrying an indel, counted.
std::map<std::string, int> haplotypes_carrying(const std::string& bam, const ListedSite& site) {
  std::string region = site.chrom + ":" + std::to_string(site.pos) + "-" + std::to_string(site.pos);
  std::map<std::string, int> counts;
  for (const auto& [key, names] : samtools_indel_reads(bam, example_reference, region))
    if (key.first == site.pos && key.second == samtools_indel_key(site))
      for (const std::string& name : names) ++counts[split(name, '.')[0]];
  return counts;
}

// `samtools faidx` of chrom:start-end from the example reference, piped through `bcftools
// consensus` with these records (position order).
std::string consensus(const std::string& fasta, const std::string& dir, const std::string& chrom, long start, long end,
                      const std::vector<ListedSite>& records) {
  std::string vcf = dir + "/records.vcf";
  std::string text = "##fileformat=VCFv4.2\n##contig=<ID=" + chrom + ">\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n";
  for (const ListedSite& r : records)
    text += chrom + "\t" + std::to_string(r.pos) + "\t.\t" + r.ref + "\t" + r.alt + "\t.\t.\t.\n";
  write_file(vcf, text);
  CommandResult index = run_command("bgzip -f '" + vcf + "' && tabix -f '" + vcf + ".gz'");
  EXPECT_EQ(index.status, 0) << index.err;
  CommandResult result = run_command("samtools faidx '" + fasta + "' " + chrom + ":" +
                                     std::to_string(std::max(1L, start)) + "-" + std::to_string(end) +
                                     " | bcftools consensus -f - '" + vcf + ".gz'");
  EXPECT_EQ(result.status, 0) << result.err;
  std::vector<std::string> lines = split(result.out, '\n');
  std::string sequence;
  for (std::size_t i = 1; i < lines.size(); ++i) sequence += lines[i];
  return sequence;
}

std::string most_common(const std::map<std::string, int>& counts) {
  auto best = std::max_element(counts.begin(), counts.end(), [](const auto& a, const auto& b) { return a.second < b.second; });
  return best == counts.end() ? "" : best->first;
}

// Both runs are made once: the example takes about a second each.
class PersonaliseCli : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    root_ = (fs::temp_directory_path() / ("oncolm_personalise_" + std::to_string(::getpid()))).string();
    fs::remove_all(root_);
    fs::create_directories(root_);
    plain_ = run_oncolm("windows '" + cohort + "' --reference '" + example_reference + "' -o '" + root_ + "/plain'");
    personalised_ = run_oncolm("windows '" + cohort + "' --reference '" + example_reference + "' -o '" + root_ +
                               "/personalised' --personalise");
  }
  static void TearDownTestSuite() { fs::remove_all(root_); }

  static std::string plain_dir() { return root_ + "/plain"; }
  static std::string personalised_dir() { return root_ + "/personalised"; }
  static std::vector<Row> samples() { return read_tsv(cohort); }
  static std::string normal_bam(const Row& sample) {
    return sample.at("normal_bam").empty() ? "" : examples + "/" + sample.at("normal_bam");
  }
  static std::string tumour_bam(const Row& sample) {
    return sample.at("tumour_bam").empty() ? "" : examples + "/" + sample.at("tumour_bam");
  }
  static Thresholds thresholds() {
    auto parameters = read_json(personalised_dir() + "/stats.json")["provenance"]["parameters"];
    return {parameters["germline_min_depth"].get<int>(), parameters["germline_hom_fraction"].get<double>(),
            parameters["germline_het_range"][0].get<double>(), parameters["germline_het_range"][1].get<double>()};
  }
  // The manifest's file of each kind for a sample.
  static std::string output(const std::string& dir, const std::string& sample_id, const std::string& kind) {
    for (const Row& row : read_tsv(dir + "/manifest.tsv"))
      if (row.at("sample_id") == sample_id) return dir + "/" + row.at(kind);
    return "";
  }

  static std::string root_;
  static CommandResult plain_, personalised_;
};

std::string PersonaliseCli::root_;
CommandResult PersonaliseCli::plain_;
CommandResult PersonaliseCli::personalised_;

TEST_F(PersonaliseCli, WithoutPersonaliseTheColumnsAreDotsAndWindowsAreTheReference) {
  ASSERT_EQ(plain_.status, 0) << plain_.err;
  std::size_t rows_checked = 0;
  for (const Row& sample : samples()) {
    std::string tsv = output(plain_dir(), sample.at("sample_id"), "tsv");
    auto fasta = read_fasta(output(plain_dir(), sample.at("sample_id"), "fasta"));
    for (const Row& row : read_tsv(tsv)) {
      EXPECT_EQ(row.at("germline_applied"), ".");
      EXPECT_EQ(row.at("germline_not_applied"), ".");
      // Unchanged: REF is the reference, ALT the reference with the one somatic allele.
      std::string reference = samtools_faidx(example_reference, row.at("chrom") + ":" + row.at("window_start") +
                                                                    "-" + row.at("window_end"));
      EXPECT_EQ(fasta.at(row.at("ref_record")), reference) << row.at("ref_record");
      if (row.at("type") != "indel") {
        std::string alt = reference;
        alt.replace(std::stoul(row.at("norm_pos")) - std::stoul(row.at("window_start")), row.at("norm_alt").size(),
                    row.at("norm_alt"));
        EXPECT_EQ(fasta.at(row.at("alt_record")), alt) << row.at("alt_record");
      }
      ++rows_checked;
    }
    auto stats = read_json(output(plain_dir(), sample.at("sample_id"), "stats"));
    EXPECT_EQ(stats["germline"]["personalised"], false);
    EXPECT_EQ(stats["germline"]["hom_applied"], 0);
    EXPECT_EQ(stats["germline"]["het_phased_applied"], 0);
  }
  EXPECT_EQ(rows_checked, read_json(plain_dir() + "/stats.json")["windows"].get<std::size_t>());
  EXPECT_EQ(read_json(plain_dir() + "/stats.json")["provenance"]["parameters"]["personalise"], false);
}

// Hom / het by the thresholds, for a listed site of this kind.
void expect_kind_matches_fraction(const ListedSite& site, double fraction, const Thresholds& t, bool applied) {
  bool hom = fraction >= t.hom;
  bool het = fraction >= t.het_min && fraction <= t.het_max;
  EXPECT_EQ(applied, site.kind == "hom" || site.kind == "het_phased") << site.pos << " " << site.kind;
  if (site.kind == "hom") {
    EXPECT_TRUE(hom) << site.pos << ": " << fraction;
  } else if (site.kind == "overlapping") {
    EXPECT_TRUE(hom || het) << site.pos << ": " << fraction;
  } else {
    EXPECT_TRUE(site.kind == "het_phased" || site.kind == "het_other_haplotype" || site.kind == "het_unphased")
        << site.kind;
    EXPECT_TRUE(het) << site.pos << ": " << fraction;
  }
}

TEST_F(PersonaliseCli, ListedGermlineSitesAreExactlyThoseBcftoolsAndSamtoolsShowInTheNormal) {
  ASSERT_EQ(personalised_.status, 0) << personalised_.err;
  Thresholds t = thresholds();
  std::size_t hom_expected = 0, het_expected = 0, indels_expected = 0;
  for (const Row& sample : samples()) {
    std::string normal = normal_bam(sample);
    auto rows = read_tsv(output(personalised_dir(), sample.at("sample_id"), "tsv"));
    if (normal.empty()) {
      for (const Row& row : rows) EXPECT_EQ(row.at("germline_applied") + row.at("germline_not_applied"), "..");
      continue;
    }
    std::map<std::string, std::map<long, NormalSite>> snvs_by_chrom;
    std::map<std::string, std::map<long, IndelPileup>> indels_by_chrom;
    for (const Row& row : rows) {
      const std::string& chrom = row.at("chrom");
      if (!snvs_by_chrom.count(chrom)) {
        snvs_by_chrom[chrom] = normal_sites(normal, chrom);
        indels_by_chrom[chrom] = samtools_indels(normal, chrom);
      }
      const auto& snvs = snvs_by_chrom.at(chrom);
      const auto& indels = indels_by_chrom.at(chrom);
      // Listed sites: listed under their class, with the fraction bcftools (SNVs) or samtools
      // (indels) gives.
      std::map<long, std::string> listed_snvs, listed_indels;
      for (const char* column : {"germline_applied", "germline_not_applied"})
        for (const ListedSite& site : parse_sites(row.at(column))) {
          EXPECT_EQ(site.chrom, chrom);
          bool applied = std::string(column) == "germline_applied";
          if (site.ref.size() != site.alt.size()) {
            listed_indels[site.pos] = site.kind;
            ASSERT_TRUE(indels.count(site.pos)) << "samtools shows no reads at " << site.pos;
            const IndelPileup& pileup = indels.at(site.pos);
            EXPECT_EQ(pileup.strongest().first, samtools_indel_key(site)) << site.pos;
            EXPECT_GE(pileup.depth, t.min_depth) << site.pos;
            expect_kind_matches_fraction(site, pileup.strongest().second, t, applied);
            continue;
          }
          listed_snvs[site.pos] = site.kind;
          ASSERT_TRUE(snvs.count(site.pos)) << "bcftools shows no reads at " << site.pos;
          const NormalSite& normal_site = snvs.at(site.pos);
          EXPECT_EQ(normal_site.ref, site.ref);
          EXPECT_EQ(normal_site.alt, site.alt) << site.pos;
          EXPECT_GE(normal_site.depth, t.min_depth) << site.pos;
          expect_kind_matches_fraction(site, normal_site.fraction(), t, applied);
        }
      // And every site the tools show above the thresholds in the windows' reference span (but
      // not at the somatic allele itself) is listed.
      long start = std::stol(row.at("window_start"));
      long end = std::max(std::stol(row.at("window_end")), std::stol(row.at("alt_window_end")));
      long somatic = std::stol(row.at("norm_pos"));
      long somatic_end = somatic + static_cast<long>(row.at("norm_ref").size()) - 1;
      auto on_somatic = [&](long pos) { return pos >= somatic && pos <= somatic_end; };
      for (auto it = snvs.lower_bound(start); it != snvs.end() && it->first <= end; ++it) {
        const NormalSite& s = it->second;
        if (on_somatic(it->first) || s.depth < t.min_depth || s.ref == "N") continue;
        bool hom = s.fraction() >= t.hom;
        bool het = s.fraction() >= t.het_min && s.fraction() <= t.het_max;
        if (!hom && !het) {
          EXPECT_FALSE(listed_snvs.count(it->first)) << it->first;
          continue;
        }
        ASSERT_TRUE(listed_snvs.count(it->first)) << row.at("ref_record") << ": bcftools shows " << s.ref << ">"
                                                  << s.alt << " at " << it->first << " in " << s.alt_depth << "/"
                                                  << s.depth;
        if (listed_snvs.at(it->first) != "overlapping") {
          EXPECT_EQ(listed_snvs.at(it->first) == "hom", hom) << it->first;
        }
        hom_expected += hom;
        het_expected += het;
      }
      for (auto it = indels.lower_bound(start); it != indels.end() && it->first <= end; ++it) {
        double fraction = it->second.strongest().second;
        bool shown = it->second.depth >= t.min_depth && (fraction >= t.hom || (fraction >= t.het_min && fraction <= t.het_max));
        if (on_somatic(it->first)) continue;
        EXPECT_EQ(listed_indels.count(it->first) > 0, shown)
            << row.at("ref_record") << ": samtools shows " << it->second.strongest().first << " at " << it->first
            << " in " << fraction << " of " << it->second.depth;
        indels_expected += shown;
      }
    }
  }
  // The example's donors carry all three inside windows (examples/README.md).
  EXPECT_GT(hom_expected, 0u);
  EXPECT_GT(het_expected, 0u);
  EXPECT_GT(indels_expected, 0u);
}

// The common prefix of the normalised alleles: the first changed base is norm_pos + this.
long common_prefix(const std::string& ref, const std::string& alt) {
  long n = 0;
  while (n < static_cast<long>(std::min(ref.size(), alt.size())) && ref[static_cast<std::size_t>(n)] == alt[static_cast<std::size_t>(n)]) ++n;
  return n;
}

// A personalised small-variant window against bcftools consensus of a region around it with the
// listed applied sites (and, for ALT, the somatic allele): the somatic allele's first changed base
// sits at `offset`, and window_start is the reference position of REF's first base.
void expect_window_is_consensus(const std::string& fasta, const std::string& dir, const Row& row,
                                const std::vector<ListedSite>& applied, const std::string& ref, const std::string& alt) {
  const std::string& chrom = row.at("chrom");
  long start = std::stol(row.at("window_start"));
  long span_end = std::max(std::stol(row.at("window_end")), std::stol(row.at("alt_window_end")));
  long pos = std::stol(row.at("norm_pos"));
  long offset = std::stol(row.at("offset"));
  long changed = pos + common_prefix(row.at("norm_ref"), row.at("norm_alt"));
  long region_start = std::max(1L, start - 500), region_end = span_end + 500;
  long shift_before_changed = 0, shift_in_window = 0;
  for (const ListedSite& site : applied) {
    ASSERT_GE(site.pos, region_start);
    ASSERT_LE(site.pos, region_end);
    long shift = static_cast<long>(site.alt.size()) - static_cast<long>(site.ref.size());
    if (site.pos < changed) shift_before_changed += shift;
    if (site.pos >= start && site.pos < changed) shift_in_window += shift;
  }
  long at_changed = changed - region_start + shift_before_changed;
  std::string ref_haplotype = consensus(fasta, dir, chrom, region_start, region_end, applied);
  EXPECT_EQ(ref, ref_haplotype.substr(static_cast<std::size_t>(at_changed - offset), ref.size())) << row.at("ref_record");
  std::vector<ListedSite> with_somatic = applied;
  with_somatic.push_back({chrom, pos, row.at("norm_ref"), row.at("norm_alt"), "somatic"});
  std::sort(with_somatic.begin(), with_somatic.end(), [](const auto& a, const auto& b) { return a.pos < b.pos; });
  std::string alt_haplotype = consensus(fasta, dir, chrom, region_start, region_end, with_somatic);
  EXPECT_EQ(alt, alt_haplotype.substr(static_cast<std::size_t>(at_changed - offset), alt.size())) << row.at("alt_record");
  bool starts_inside_insertion =
      std::any_of(applied.begin(), applied.end(), [&](const ListedSite& s) { return s.pos < start; });
  if (!starts_inside_insertion) {
    EXPECT_EQ(changed - start + shift_in_window, offset) << row.at("ref_record");
  }
}


TEST_F(PersonaliseCli, WindowsAreBcftoolsConsensusOfTheAppliedSitesCutAtThePlainOffsets) {
  ASSERT_EQ(plain_.status, 0) << plain_.err;
  ASSERT_EQ(personalised_.status, 0) << personalised_.err;
  ScratchDir dir;
  std::size_t applied_total = 0, changed_windows = 0, windows_with_indels = 0;
  for (const Row& sample : samples()) {
    const std::string& id = sample.at("sample_id");
    auto plain_rows = read_tsv(output(plain_dir(), id, "tsv"));
    auto rows = read_tsv(output(personalised_dir(), id, "tsv"));
    auto plain_fasta = read_fasta(output(plain_dir(), id, "fasta"));
    auto fasta = read_fasta(output(personalised_dir(), id, "fasta"));
    ASSERT_EQ(rows.size(), plain_rows.size()) << id;
    std::map<std::string, int> counts;
    int indels_applied = 0;
    for (std::size_t i = 0; i < rows.size(); ++i) {
      const Row& row = rows[i];
      std::vector<ListedSite> applied = parse_sites(row.at("germline_applied"));
      for (const ListedSite& site : parse_sites(row.at("germline_not_applied"))) ++counts[site.kind];
      bool has_indel = false;
      for (const ListedSite& site : applied) {
        ++counts[site.kind];
        has_indel = has_indel || site.ref.size() != site.alt.size();
        indels_applied += site.ref.size() != site.alt.size();
      }
      // Lengths, offset and every other column are those of the plain window; only an applied
      // indel moves the reference span.
      Row other = row, plain_other = plain_rows[i];
      for (Row* r : {&other, &plain_other}) {
        r->erase("germline_applied");
        r->erase("germline_not_applied");
        if (has_indel)
          for (const char* moved : {"window_start", "window_end", "alt_window_start", "alt_window_end"}) r->erase(moved);
      }
      EXPECT_EQ(other, plain_other) << row.at("ref_record");
      const std::string& ref = fasta.at(row.at("ref_record"));
      const std::string& alt = fasta.at(row.at("alt_record"));
      if (applied.empty()) {
        EXPECT_EQ(ref, plain_fasta.at(row.at("ref_record")));
        EXPECT_EQ(alt, plain_fasta.at(row.at("alt_record")));
        continue;
      }
      ++changed_windows;
      applied_total += applied.size();
      windows_with_indels += has_indel;
      expect_window_is_consensus(example_reference, dir.str(), row, applied, ref, alt);
    }
    // Per-sample counts are the listings of both TSVs (SV junction rows are personalised too).
    for (const Row& row : read_tsv(output(personalised_dir(), id, "sv_tsv"))) {
      std::vector<ListedSite> applied = parse_sites(row.at("germline_applied"));
      for (const ListedSite& site : parse_sites(row.at("germline_not_applied"))) ++counts[site.kind];
      for (const ListedSite& site : applied) {
        ++counts[site.kind];
        indels_applied += site.ref.size() != site.alt.size();
      }
      changed_windows += !applied.empty();
    }
    auto stats = read_json(output(personalised_dir(), id, "stats"))["germline"];
    EXPECT_EQ(stats["personalised"], !normal_bam(sample).empty()) << id;
    EXPECT_EQ(stats["hom_applied"], counts["hom"]) << id;
    EXPECT_EQ(stats["het_phased_applied"], counts["het_phased"]) << id;
    EXPECT_EQ(stats["het_other_haplotype_listed"], counts["het_other_haplotype"]) << id;
    EXPECT_EQ(stats["het_unphased_listed"], counts["het_unphased"]) << id;
    EXPECT_EQ(stats["overlapping_listed"], counts["overlapping"]) << id;
    EXPECT_EQ(stats["indels_applied"], indels_applied) << id;
  }
  EXPECT_GT(applied_total, 0u);
  EXPECT_GT(windows_with_indels, 0u) << "the example has an applied germline insertion (examples/README.md)";
  EXPECT_EQ(read_json(personalised_dir() + "/stats.json")["germline"]["windows_changed"], changed_windows);
}

TEST_F(PersonaliseCli, PhasedHetsAreOnTheSomaticHaplotypeOfTheSimulation) {
  ASSERT_EQ(personalised_.status, 0) << personalised_.err;
  std::size_t phased = 0, phased_indels = 0;
  for (const Row& sample : samples()) {
    for (const Row& row : read_tsv(output(personalised_dir(), sample.at("sample_id"), "tsv"))) {
      std::vector<ListedSite> sites = parse_sites(row.at("germline_applied"));
      for (const ListedSite& site : parse_sites(row.at("germline_not_applied"))) sites.push_back(site);
      for (const ListedSite& site : sites) {
        if (site.kind != "het_phased" && site.kind != "het_other_haplotype") continue;
        ASSERT_EQ(row.at("type"), "snv") << "the example's phased windows are SNVs";
        // The somatic haplotype: S1 or S2, whose tumour reads carry the somatic ALT; its germline
        // counterpart H1 or H2 names the normal reads of the same haplotype.
        std::string somatic = most_common(haplotypes_showing(tumour_bam(sample), row.at("chrom"),
                                                             std::stol(row.at("norm_pos")), row.at("norm_alt")[0]));
        ASSERT_EQ(somatic.size(), 2u);
        ASSERT_EQ(somatic[0], 'S');
        bool indel = site.ref.size() != site.alt.size();
        std::string germline = most_common(indel ? haplotypes_carrying(normal_bam(sample), site)
                                                 : haplotypes_showing(normal_bam(sample), site.chrom, site.pos, site.alt[0]));
        bool same_haplotype = germline == "H" + somatic.substr(1);
        EXPECT_EQ(same_haplotype, site.kind == "het_phased")
            << row.at("ref_record") << " " << site.pos << ": somatic on " << somatic << ", germline ALT on " << germline;
        ++phased;
        phased_indels += indel;
      }
    }
  }
  EXPECT_GT(phased, 0u);
  EXPECT_GT(phased_indels, 0u);
}

// The tumour haplotype (S1/S2 of the simulation) whose reads are split at a breakend.
std::string split_read_haplotype(const std::string& bam, const std::string& chrom, long pos) {
  CommandResult view = run_command("samtools view -F 0xF04 -q 20 '" + bam + "' " + chrom + ":" +
                                   std::to_string(pos - 200) + "-" + std::to_string(pos + 200));
  std::map<std::string, int> counts;
  for (const std::string& line : split(view.out, '\n'))
    if (line.find("\tSA:Z:") != std::string::npos) ++counts[split(split(line, '\t')[0], '.')[0]];
  return most_common(counts);
}

std::string reverse_complement(const std::string& bases) {
  std::string out(bases.rbegin(), bases.rend());
  for (char& b : out) b = b == 'A' ? 'T' : b == 'C' ? 'G' : b == 'G' ? 'C' : b == 'T' ? 'A' : 'N';
  return out;
}

// "20:1000-2000(rc)" -> chrom, start, end, reverse complemented.
struct Piece {
  std::string chrom;
  long start = 0, end = 0;
  bool reverse = false;
};
Piece parse_piece(const std::string& text) {
  std::vector<std::string> chrom_rest = split(text, ':');
  std::vector<std::string> range = split(chrom_rest.at(1), '-');
  return {chrom_rest[0], std::stol(range.at(0)), std::stol(range.at(1)), text.find("(rc)") != std::string::npos};
}

TEST_F(PersonaliseCli, SvWindowsAreBcftoolsConsensusOfTheAppliedSitesAroundEachBreakend) {
  ASSERT_EQ(plain_.status, 0) << plain_.err;
  ASSERT_EQ(personalised_.status, 0) << personalised_.err;
  ScratchDir dir;
  Thresholds t = thresholds();
  std::size_t rows_with_applied = 0, phased_checked = 0;
  for (const Row& sample : samples()) {
    const std::string& id = sample.at("sample_id");
    std::string tsv = output(personalised_dir(), id, "sv_tsv");
    auto rows = read_tsv(tsv);
    if (rows.empty() || normal_bam(sample).empty()) continue;
    auto plain_rows = read_tsv(output(plain_dir(), id, "sv_tsv"));
    auto fasta = read_fasta(output(personalised_dir(), id, "sv_fasta"));
    ASSERT_EQ(rows.size(), plain_rows.size());
    std::map<std::string, std::map<long, NormalSite>> snvs_by_chrom;
    for (std::size_t i = 0; i < rows.size(); ++i) {
      const Row& row = rows[i];
      std::vector<ListedSite> applied = parse_sites(row.at("germline_applied"));
      Row other = row, plain_other = plain_rows[i];
      for (Row* r : {&other, &plain_other})
        for (const char* moved : {"germline_applied", "germline_not_applied", "ref1_window_start", "ref1_window_end",
                                  "ref2_window_start", "ref2_window_end", "alt_first_piece", "alt_second_piece"})
          r->erase(moved);
      EXPECT_EQ(other, plain_other) << row.at("id") << ": lengths and offsets are the plain ones";
      // Every listed SNV is one bcftools shows in the normal, with the fraction its kind says.
      for (const char* column : {"germline_applied", "germline_not_applied"})
        for (const ListedSite& site : parse_sites(row.at(column))) {
          if (site.ref.size() != site.alt.size()) continue;  // indels: checked for small variants
          auto& snvs = snvs_by_chrom.try_emplace(site.chrom).first->second;
          if (snvs.empty()) snvs = normal_sites(normal_bam(sample), site.chrom);
          ASSERT_TRUE(snvs.count(site.pos)) << site.pos;
          EXPECT_EQ(snvs.at(site.pos).alt, site.alt) << site.pos;
          expect_kind_matches_fraction(site, snvs.at(site.pos).fraction(), t,
                                       std::string(column) == "germline_applied");
          if (site.kind != "het_phased" && site.kind != "het_other_haplotype") continue;
          // The reads supporting a junction lie on the retained sides of its breakends, so a site on
          // the side a breakend loses cannot be phased (breakends more than 3 kb apart, so that one
          // breakend's lost side is not the other's retained side).
          bool far_apart = row.at("chrom") != row.at("mate_chrom") ||
                           std::labs(std::stol(row.at("pos")) - std::stol(row.at("mate_pos"))) > 3000;
          for (int end = 0; end < 2 && far_apart; ++end) {
            const std::string& chrom = row.at(end == 0 ? "chrom" : "mate_chrom");
            long pos = std::stol(row.at(end == 0 ? "pos" : "mate_pos"));
            bool keeps_left = row.at("strands")[static_cast<std::size_t>(end)] == '+';
            bool lost_side = keeps_left ? site.pos > pos : site.pos < pos;
            if (site.chrom == chrom && std::labs(site.pos - pos) < 3000) {
              EXPECT_FALSE(lost_side) << row.at("id") << ": " << site.pos << " phased on the lost side of " << pos;
            }
          }
          // Phased against the tumour reads split at the junction: the simulation's SV haplotype.
          std::string somatic = split_read_haplotype(tumour_bam(sample), row.at("chrom"), std::stol(row.at("pos")));
          ASSERT_EQ(somatic.size(), 2u);
          std::string germline = most_common(haplotypes_showing(normal_bam(sample), site.chrom, site.pos, site.alt[0]));
          EXPECT_EQ(germline == "H" + somatic.substr(1), site.kind == "het_phased") << row.at("id") << " " << site.pos;
          ++phased_checked;
        }
      if (applied.empty()) continue;
      ++rows_with_applied;
      // Each breakend: the consensus of a region around it with the applied sites; the breakend's
      // base sits at the REF window's offset, and its ALT piece ends (+) or starts (-) there.
      std::map<std::string, std::string> pieces;
      for (const char* which : {"1", "2"}) {
        std::string chrom = std::string(which) == "1" ? row.at("chrom") : row.at("mate_chrom");
        long pos = std::stol(std::string(which) == "1" ? row.at("pos") : row.at("mate_pos"));
        bool keeps_left = row.at("strands")[std::string(which) == "1" ? 0 : 1] == '+';
        std::string ref_record = row.at("ref" + std::string(which) + "_record");
        long offset = std::stol(row.at("ref" + std::string(which) + "_offset"));
        std::vector<ListedSite> on_chrom;
        for (const ListedSite& site : applied)
          if (site.chrom == chrom) on_chrom.push_back(site);
        long region_start = pos - 4000, region_end = pos + 4000;
        long shift = 0;
        for (const ListedSite& site : on_chrom)
          if (site.pos >= region_start && site.pos < pos)
            shift += static_cast<long>(site.alt.size()) - static_cast<long>(site.ref.size());
        long at = pos - region_start + shift;
        std::vector<ListedSite> in_region;
        for (const ListedSite& site : on_chrom)
          if (site.pos >= region_start && site.pos <= region_end) in_region.push_back(site);
        std::string haplotype = consensus(example_reference, dir.str(), chrom, region_start, region_end, in_region);
        const std::string& ref = fasta.at(ref_record);
        EXPECT_EQ(ref, haplotype.substr(static_cast<std::size_t>(at - offset), ref.size())) << ref_record;
        for (const char* piece_column : {"alt_first_piece", "alt_second_piece"}) {
          Piece piece = parse_piece(row.at(piece_column));
          if (piece.chrom != chrom || (keeps_left ? piece.end : piece.start) != pos) continue;
          std::size_t length = static_cast<std::size_t>(piece.end - piece.start + 1);
          std::string bases = keeps_left ? haplotype.substr(static_cast<std::size_t>(at) + 1 - length, length)
                                         : haplotype.substr(static_cast<std::size_t>(at), length);
          pieces[piece_column] = piece.reverse ? reverse_complement(bases) : bases;
        }
      }
      ASSERT_EQ(pieces.size(), 2u) << row.at("id");
      const std::string& alt = fasta.at(row.at("alt_record"));
      std::string inserted = row.at("inserted_sequence") == "." ? "" : row.at("inserted_sequence");
      EXPECT_EQ(alt, pieces["alt_first_piece"] + inserted + pieces["alt_second_piece"]) << row.at("alt_record");
    }
  }
  EXPECT_GT(rows_with_applied, 0u) << "COLO829's donor has germline alleles around the constructed SVs";
  EXPECT_GT(phased_checked, 0u);
}

TEST_F(PersonaliseCli, SamplesWithoutANormalAreReportedOnceAndLeftAsTheReference) {
  ASSERT_EQ(personalised_.status, 0) << personalised_.err;
  std::size_t without_normal = 0;
  for (const Row& sample : samples()) {
    if (!normal_bam(sample).empty()) continue;
    ++without_normal;
    std::string message = "sample " + sample.at("sample_id") + ": no normal_bam";
    std::size_t first = personalised_.err.find(message);
    EXPECT_NE(first, std::string::npos) << message;
    EXPECT_EQ(personalised_.err.find(message, first + 1), std::string::npos) << "reported twice: " << message;
    EXPECT_EQ(read_text(output(personalised_dir(), sample.at("sample_id"), "fasta")),
              read_text(output(plain_dir(), sample.at("sample_id"), "fasta")));
  }
  EXPECT_GT(without_normal, 0u);
}

// Real reads: CHM1 (a haploid hydatidiform mole, so its differences from GRCh37 are homozygous,
// indels included) as the normal of made-up somatic SNVs every 2 kb of chr1:14-36 kb. Its coverage
// is ~8x, hence --germline-min-depth 4. Every window is the bcftools consensus of what it lists,
// and what it lists is what bcftools/samtools show in the reads.
TEST(PersonaliseRealReads, ChmWindowsAreTheConsensusOfTheAllelesItsReadsShow) {
  ScratchDir dir;
  const std::string fasta = test_data("reads", "chr1_1-239940.fa.gz");
  const std::string bam = test_data("reads", "CHM1.chr1_10k-40k.bam");
  std::string vcf = "##fileformat=VCFv4.2\n##contig=<ID=1,length=239940>\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n";
  for (long pos = 14000; pos <= 36000; pos += 2000) {
    std::string base = samtools_faidx(fasta, "1:" + std::to_string(pos) + "-" + std::to_string(pos));
    ASSERT_EQ(base.size(), 1u);
    char upper = static_cast<char>(std::toupper(static_cast<unsigned char>(base[0])));
    vcf += "1\t" + std::to_string(pos) + "\t.\t" + std::string(1, upper) + "\t" + (upper == 'A' ? "C" : "A") + "\t.\tPASS\t.\n";
  }
  write_file(dir / "somatic.vcf", vcf);
  write_file(dir / "sheet.tsv", "sample_id\tdonor_id\ttumour_bam\tnormal_bam\tsnv_vcf\tindel_vcf\tsv_vcf\n"
                                "chm1\tCHM1\t\t" + bam + "\t" + (dir / "somatic.vcf") + "\t\t\n");
  std::string base_command = "windows '" + (dir / "sheet.tsv") + "' --reference '" + fasta + "' -o '";
  CommandResult plain = run_oncolm(base_command + (dir / "plain") + "'");
  CommandResult personal = run_oncolm(base_command + (dir / "personal") + "' --personalise --germline-min-depth 4");
  ASSERT_EQ(plain.status, 0) << plain.err;
  ASSERT_EQ(personal.status, 0) << personal.err;
  auto rows = read_tsv(dir / "personal/chm1.windows.tsv.gz");
  auto plain_rows = read_tsv(dir / "plain/chm1.windows.tsv.gz");
  auto windows = read_fasta(dir / "personal/chm1.windows.fa.gz");
  ASSERT_EQ(rows.size(), 12u);
  ASSERT_EQ(plain_rows.size(), rows.size());
  Thresholds t{4, 0.9, 0.3, 0.7};
  auto snvs = normal_sites(bam, "1", fasta);
  auto indels = samtools_indels(bam, "1", fasta);
  std::size_t applied_snvs = 0, applied_indels = 0;
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const Row& row = rows[i];
    std::vector<ListedSite> applied = parse_sites(row.at("germline_applied"));
    for (const char* column : {"germline_applied", "germline_not_applied"})
      for (const ListedSite& site : parse_sites(row.at(column))) {
        bool is_applied = std::string(column) == "germline_applied";
        if (site.ref.size() != site.alt.size()) {
          ASSERT_TRUE(indels.count(site.pos)) << site.pos;
          EXPECT_EQ(indels.at(site.pos).strongest().first, samtools_indel_key(site)) << site.pos;
          expect_kind_matches_fraction(site, indels.at(site.pos).strongest().second, t, is_applied);
          applied_indels += is_applied;
        } else {
          ASSERT_TRUE(snvs.count(site.pos)) << site.pos;
          EXPECT_EQ(snvs.at(site.pos).alt, site.alt) << site.pos;
          expect_kind_matches_fraction(site, snvs.at(site.pos).fraction(), t, is_applied);
          applied_snvs += is_applied;
        }
      }
    Row other = row, plain_other = plain_rows[i];
    for (Row* r : {&other, &plain_other})
      for (const char* moved : {"germline_applied", "germline_not_applied", "window_start", "window_end",
                                "alt_window_start", "alt_window_end"})
        r->erase(moved);
    EXPECT_EQ(other, plain_other) << row.at("ref_record");
    expect_window_is_consensus(fasta, dir.str(), row, applied, windows.at(row.at("ref_record")),
                               windows.at(row.at("alt_record")));
  }
  EXPECT_GT(applied_snvs, 0u);
  EXPECT_GT(applied_indels, 0u) << "CHM1 has a homozygous deletion at 1:19,190 in these windows";

  // The same calls with the contig named chr1 in the VCF (read as the reference's 1: same length):
  // the germline columns name it as the row's chrom does.
  std::string renamed = vcf;
  for (std::size_t at = renamed.find("\n1\t"); at != std::string::npos; at = renamed.find("\n1\t", at + 1))
    renamed.replace(at + 1, 1, "chr1");
  renamed.replace(renamed.find("ID=1,"), 5, "ID=chr1,");
  write_file(dir / "somatic.vcf", renamed);
  CommandResult chr = run_oncolm(base_command + (dir / "chr") + "' --personalise --germline-min-depth 4");
  ASSERT_EQ(chr.status, 0) << chr.err;
  auto chr_rows = read_tsv(dir / "chr/chm1.windows.tsv.gz");
  ASSERT_EQ(chr_rows.size(), rows.size());
  std::size_t named = 0;
  for (std::size_t i = 0; i < chr_rows.size(); ++i) {
    EXPECT_EQ(chr_rows[i].at("chrom"), "chr1");
    for (const char* column : {"germline_applied", "germline_not_applied"}) {
      if (chr_rows[i].at(column) == ".") continue;
      for (const std::string& site : split(chr_rows[i].at(column), ',')) {
        EXPECT_EQ(site.rfind("chr1:", 0), 0u) << site;
        ++named;
      }
      EXPECT_EQ(chr_rows[i].at(column), std::regex_replace(rows[i].at(column), std::regex("(^|,)1:"), "$1chr1:"));
    }
  }
  EXPECT_GT(named, 0u);
}

TEST(PersonaliseOptions, ThresholdsAreRecordedAndChecked) {
  ScratchDir dir;
  std::string base = "windows '" + cohort + "' --reference '" + example_reference + "' --sample blood-AC -o '";
  CommandResult result = run_oncolm(base + (dir / "out") +
                                    "' --personalise --germline-min-depth 12 --germline-hom-fraction 0.95 "
                                    "--germline-het-range 0.25-0.75");
  ASSERT_EQ(result.status, 0) << result.err;
  std::vector<std::string> stats_files;
  for (const auto& entry : fs::directory_iterator(dir / "out"))
    if (entry.path().string().find(".stats.json") != std::string::npos) stats_files.push_back(entry.path().string());
  ASSERT_EQ(stats_files.size(), 1u) << "--sample writes one sample's stats";
  auto parameters = read_json(stats_files[0])["provenance"]["parameters"];
  EXPECT_EQ(parameters["personalise"], true);
  EXPECT_EQ(parameters["germline_min_depth"], 12);
  EXPECT_EQ(parameters["germline_hom_fraction"], 0.95);
  EXPECT_EQ(parameters["germline_het_range"], nlohmann::json::array({0.25, 0.75}));
  for (const char* range : {"0.7-0.3", "0.3", "a-b", "0.3-0.95"}) {
    CommandResult bad = run_oncolm(base + (dir / "bad") + "' --personalise --germline-het-range " + range);
    EXPECT_EQ(bad.status, 1) << range;
    EXPECT_NE(bad.err.find("--germline-het-range"), std::string::npos) << bad.err;
  }
  CommandResult bad_depth = run_oncolm(base + (dir / "bad") + "' --personalise --germline-min-depth 0");
  EXPECT_EQ(bad_depth.status, 1);
  EXPECT_NE(bad_depth.err.find("--germline-min-depth"), std::string::npos) << bad_depth.err;
}

}  // namespace

// stats.json against a recount of the records written (every base, non-overlapping 6-mers from each
// record's start, 6-mers with N left out), per sample and summed for the cohort, plain and
// personalised; and the reference bases sanitising changed, from the raw soft-masked reference.
TEST_F(PersonaliseCli, SequenceStatisticsEqualARecountOfTheWrittenRecords) {
  ASSERT_EQ(plain_.status, 0) << plain_.err;
  ASSERT_EQ(personalised_.status, 0) << personalised_.err;
  std::map<std::string, std::string> raw_reference = read_fasta(example_reference);
  for (const std::string& dir : {plain_dir(), personalised_dir()}) {
    Json cohort_counts = Json::object(), cohort_bases = Json::object(), cohort_lengths = Json::object();
    auto add = [](Json& sum, const std::string& key, std::uint64_t count) {
      sum[key] = sum.value(key, std::uint64_t{0}) + count;
    };
    for (const Row& sample : read_tsv(dir + "/manifest.tsv")) {
      Json kmers = Json::object(), bases = Json::object(), lengths = Json::object();
      for (const auto& [name, record] : read_fasta(dir + "/" + sample.at("fasta"))) {
        add(lengths, std::to_string(record.size()), 1);
        for (char base : record) add(bases, std::string(1, base), 1);
        for (std::size_t start = 0; start + 6 <= record.size(); start += 6)
          if (record.substr(start, 6).find('N') == std::string::npos)
            add(kmers, record.substr(start, 6), 1);
      }
      Json stats = read_json(dir + "/" + sample.at("stats"));
      Json written_bases = Json::object();
      for (const auto& [base, entry] : stats["base_composition"].items())
        if (entry["count"].get<std::uint64_t>()) written_bases[base] = entry["count"];
      EXPECT_EQ(stats["kmer6_tokens"]["counts"], kmers) << sample.at("sample_id");
      EXPECT_EQ(written_bases, bases) << sample.at("sample_id");
      EXPECT_EQ(stats["window_length_distribution"]["histogram"], lengths) << sample.at("sample_id");
      for (const auto& [key, value] : kmers.items()) add(cohort_counts, key, value.get<std::uint64_t>());
      for (const auto& [key, value] : bases.items()) add(cohort_bases, key, value.get<std::uint64_t>());
      for (const auto& [key, value] : lengths.items()) add(cohort_lengths, key, value.get<std::uint64_t>());
      if (dir != plain_dir()) continue;
      std::uint64_t soft_masked = 0;
      for (const Row& row : read_tsv(dir + "/" + sample.at("tsv"))) {
        const std::string& contig = raw_reference.at(row.at("chrom"));
        std::size_t start = std::stoul(row.at("window_start")), end = std::stoul(row.at("window_end"));
        for (std::size_t at = start - 1; at < end; ++at)
          soft_masked += std::islower(static_cast<unsigned char>(contig[at])) != 0;
      }
      EXPECT_EQ(stats["reference_bases_changed"]["soft_masked_upper_cased"].get<std::uint64_t>(), soft_masked)
          << sample.at("sample_id");
    }
    Json cohort = read_json(dir + "/stats.json");
    Json cohort_written_bases = Json::object();
    for (const auto& [base, entry] : cohort["base_composition"].items())
      if (entry["count"].get<std::uint64_t>()) cohort_written_bases[base] = entry["count"];
    EXPECT_EQ(cohort["kmer6_tokens"]["counts"], cohort_counts) << dir;
    EXPECT_EQ(cohort_written_bases, cohort_bases) << dir;
    EXPECT_EQ(cohort["window_length_distribution"]["histogram"], cohort_lengths) << dir;
  }
}
