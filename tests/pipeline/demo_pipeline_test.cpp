// The demo's pipeline end to end with the real binary: `oncolm windows` on the example cohort
// (simulated miniBAMs and SV calls included), then `oncolm embed` and `oncolm score` on its output
// with the small model shipped in models/ (nt-v2-small-grch37, as scripts/demo.sh). Checks that every
// window record gets exactly one embedding row, in FASTA order, with its allele and a variant token
// span inside the tokens used; and that every stage's tables carry the sample sheet's id unchanged
// (TCGA-W5-AA39-01A-11D-A417-09, not the file name's TCGA_W5_...), so they join on sample_id.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <set>

#include "../genome/test_support.h"

using namespace oncolm::test;

namespace {

const std::string source_dir = ONCOLM_SOURCE_DIR;

// Rows and columns from a .npy header ("{'descr': '<f4', 'fortran_order': False, 'shape': (R, C), }").
std::pair<long, long> npy_shape(const std::string& path) {
  std::string bytes = read_file(path);
  if (bytes.size() < 10 || bytes.compare(0, 6, "\x93NUMPY") != 0) return {-1, -1};
  std::string header = bytes.substr(10, static_cast<unsigned char>(bytes[8]) | (static_cast<unsigned char>(bytes[9]) << 8));
  std::size_t open = header.find("'shape': (");
  if (open == std::string::npos) return {-1, -1};
  long rows = 0, columns = 0;
  if (std::sscanf(header.c_str() + open + 10, "%ld, %ld", &rows, &columns) != 2) return {-1, -1};
  return {rows, columns};
}

std::vector<std::string> fai_names(const std::string& fai) {
  std::vector<std::string> names;
  for (const auto& line : split(read_file(fai), '\n'))
    if (!line.empty()) names.push_back(split(line, '\t')[0]);
  return names;
}

// Every row of a table has the sample_id `id`.
void expect_sample_id(const std::vector<std::map<std::string, std::string>>& rows, const std::string& id,
                      const std::string& table) {
  for (const auto& row : rows) {
    ASSERT_TRUE(row.count("sample_id")) << table << " has no sample_id column";
    EXPECT_EQ(row.at("sample_id"), id) << table;
  }
}

void expect_embeddings_match_records(const std::string& fasta, const std::string& npy, const std::string& tsv,
                                     const std::vector<std::string>& alleles) {
  std::vector<std::string> names = fai_names(fasta + ".fai");
  std::vector<std::map<std::string, std::string>> rows = read_tsv(tsv);
  ASSERT_EQ(rows.size(), names.size()) << tsv;
  EXPECT_EQ(npy_shape(npy).first, static_cast<long>(names.size())) << npy;
  for (std::size_t i = 0; i < rows.size(); ++i) {
    EXPECT_EQ(rows[i].at("record"), names[i]) << tsv;
    EXPECT_EQ(rows[i].at("allele"), alleles[i % alleles.size()]) << names[i];
    long tokens = std::stol(rows[i].at("tokens"));
    long start = std::stol(rows[i].at("variant_token_start")), end = std::stol(rows[i].at("variant_token_end"));
    EXPECT_TRUE(0 < start && start < end && end <= tokens) << names[i] << " " << start << "-" << end << " of " << tokens;
  }
}

}  // namespace

TEST(DemoPipeline, WindowsThenEmbedGiveOneRowPerRecordWithAllelesAndVariantSpans) {
  ScratchDir dir;
  CommandResult windows = run_oncolm("windows '" + source_dir + "/examples/cohort.tsv' --reference '" + source_dir +
                                     "/examples/reference/GRCh37.20_X.masked.fa.gz' -o '" + (dir / "windows") +
                                     "' --threads 2 --verbosity warning");
  ASSERT_EQ(windows.status, 0) << windows.err;
  CommandResult embed = run_oncolm("embed --model '" + source_dir + "/models/nt-v2-small-grch37' -o '" +
                                   (dir / "embed") + "' '" + (dir / "windows") + "' --threads 2 --verbosity warning");
  ASSERT_EQ(embed.status, 0) << embed.err;
  // The first 2 small variants of each sample, at the demo's full window length.
  CommandResult score = run_oncolm("score --model '" + source_dir + "/models/nt-v2-small-grch37' -o '" +
                                   (dir / "score") + "' '" + (dir / "windows") +
                                   "' --max-windows 2 --threads 2 --verbosity warning");
  ASSERT_EQ(score.status, 0) << score.err;

  std::vector<std::map<std::string, std::string>> samples = read_tsv(dir / "windows/manifest.tsv");
  ASSERT_GE(samples.size(), 4u);
  long junctions = 0, dashed_ids = 0;
  std::set<std::string> embed_ids;
  for (const auto& sample : samples) {
    std::string safe = sample.at("fasta").substr(0, sample.at("fasta").size() - std::strlen(".windows.fa.gz"));
    expect_embeddings_match_records(dir / ("windows/" + sample.at("fasta")), dir / ("embed/" + safe + ".emb.npy"),
                                    dir / ("embed/" + safe + ".emb.tsv"), {"REF", "ALT"});
    // SV junction windows are embedded as <sample>.sv when the sample has any.
    long sample_junctions = std::stol(sample.at("sv_junctions"));
    EXPECT_EQ(fs::exists(dir / ("embed/" + safe + ".sv.emb.npy")), sample_junctions > 0) << safe;
    if (sample_junctions > 0) {
      expect_embeddings_match_records(dir / ("windows/" + sample.at("sv_fasta")), dir / ("embed/" + safe + ".sv.emb.npy"),
                                      dir / ("embed/" + safe + ".sv.emb.tsv"), {"REF1", "REF2", "ALT"});
      // An ALT junction window's variant span covers the inserted bases too, not only the two bases
      // either side of the junction: its 6-mer tokens hold at least inserted + 2 bases.
      std::map<std::string, long> inserted_by_alt;
      for (const auto& row : read_tsv(dir / ("windows/" + sample.at("sv_tsv"))))
        if (row.at("inserted_sequence") != ".") inserted_by_alt[row.at("alt_record")] = row.at("inserted_sequence").size();
      long checked = 0;
      for (const auto& row : read_tsv(dir / ("embed/" + safe + ".sv.emb.tsv"))) {
        auto found = inserted_by_alt.find(row.at("record"));
        if (found == inserted_by_alt.end()) continue;
        long span = std::stol(row.at("variant_token_end")) - std::stol(row.at("variant_token_start"));
        EXPECT_GE(span * 6, found->second + 2) << row.at("record");
        ++checked;
      }
      EXPECT_EQ(checked, static_cast<long>(inserted_by_alt.size())) << safe;
    }
    junctions += sample_junctions;
    // One join key: the manifest's sample_id in the windows TSVs, the embedding tables and the scores.
    const std::string& id = sample.at("sample_id");
    dashed_ids += id.find('-') != std::string::npos;
    std::vector<std::map<std::string, std::string>> windows_rows = read_tsv(dir / ("windows/" + sample.at("tsv")));
    expect_sample_id(windows_rows, id, sample.at("tsv"));
    expect_sample_id(read_tsv(dir / ("windows/" + sample.at("sv_tsv"))), id, sample.at("sv_tsv"));
    expect_sample_id(read_tsv(dir / ("embed/" + safe + ".emb.tsv")), id, safe + ".emb.tsv");
    if (sample_junctions > 0)
      expect_sample_id(read_tsv(dir / ("embed/" + safe + ".sv.emb.tsv")), id, safe + ".sv.emb.tsv");
    auto score_rows = read_tsv(dir / ("score/" + safe + ".scores.tsv"));
    EXPECT_EQ(score_rows.size(), std::min<std::size_t>(2, windows_rows.size())) << safe;
    expect_sample_id(score_rows, id, safe + ".scores.tsv");
    embed_ids.insert(id);
  }
  EXPECT_GT(junctions, 0) << "the example has SV calls (COLO829T)";
  EXPECT_GT(dashed_ids, 0) << "the example has sample ids with '-' (TCGA-...)";
  // embed.json and score.json map each sample_id to its files.
  nlohmann::json embed_json = read_json(dir / "embed/embed.json"), score_json = read_json(dir / "score/score.json");
  std::set<std::string> listed;
  for (const auto& output : embed_json["outputs"]) listed.insert(output["sample_id"].get<std::string>());
  EXPECT_EQ(listed, embed_ids);
  listed.clear();
  for (const auto& output : score_json["outputs"]) listed.insert(output["sample_id"].get<std::string>());
  EXPECT_EQ(listed, embed_ids);
  EXPECT_NE(read_file(dir / "embed/embed.json").find("\"pooling\""), std::string::npos);
}
