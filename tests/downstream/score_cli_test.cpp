// `oncolm score` end to end with the real binary: `oncolm windows` on the example cohort (short
// windows, so the run takes seconds), then `oncolm score` with the tiny v2 fixture model. One row
// per small variant with the windows TSV's keys and finite values, SV junctions reported as
// skipped, the sample sheet's ids unchanged; and bad inputs as clear errors that leave nothing
// looking finished.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <zlib.h>

#include "../test_fs.h"
#include "core/file_contract.h"
#include "model/checkpoint.h"
#include "model/safetensors_writer.h"

namespace fs = oncolm::test_fs;

namespace {

const std::string source_dir = ONCOLM_SOURCE_DIR;
const std::string reference = source_dir + "/examples/reference/GRCh37.20_X.masked.fa.gz";
const std::string model_dir = std::string(ONCOLM_TEST_DATA_DIR) + "/nt/nt_v2_tiny";

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string read_gz(const std::string& path) {
  gzFile file = gzopen(path.c_str(), "rb");
  if (!file) return "";
  std::string text;
  char buffer[65536];
  int got;
  while ((got = gzread(file, buffer, sizeof buffer)) > 0) text.append(buffer, static_cast<std::size_t>(got));
  gzclose(file);
  return text;
}

std::vector<std::string> split(const std::string& text, char separator) {
  std::vector<std::string> parts;
  std::string part;
  std::istringstream in(text);
  while (std::getline(in, part, separator)) parts.push_back(part);
  return parts;
}

struct Table {
  std::vector<std::string> header;
  std::vector<std::map<std::string, std::string>> rows;
};

Table read_tsv_text(const std::string& text) {
  Table table;
  std::vector<std::string> lines = split(text, '\n');
  if (lines.empty()) return table;
  table.header = split(lines[0], '\t');
  for (std::size_t i = 1; i < lines.size(); ++i) {
    if (lines[i].empty()) continue;
    std::vector<std::string> cells = split(lines[i], '\t');
    std::map<std::string, std::string> row;
    for (std::size_t c = 0; c < table.header.size() && c < cells.size(); ++c) row[table.header[c]] = cells[c];
    table.rows.push_back(row);
  }
  return table;
}

struct Result {
  int status = -1;
  std::string out, err;
};

Result run(const std::string& command) {
  static int counter = 0;
  std::string base =
      (fs::temp_directory_path() / ("oncolm_score_cmd_" + std::to_string(::getpid()) + "_" + std::to_string(counter++)))
          .string();
  int raw = std::system((command + " >" + base + ".out 2>" + base + ".err").c_str());
  Result result;
  result.status = WIFEXITED(raw) ? WEXITSTATUS(raw) : -1;
  result.out = read_file(base + ".out");
  result.err = read_file(base + ".err");
  std::remove((base + ".out").c_str());
  std::remove((base + ".err").c_str());
  return result;
}

Result oncolm(const std::string& arguments) { return run(std::string("'") + ONCOLM_BINARY + "' " + arguments); }

bool finite_number(const std::string& cell) {
  char* end = nullptr;
  double value = std::strtod(cell.c_str(), &end);
  return !cell.empty() && *end == '\0' && std::isfinite(value);
}

// The example cohort's windows (201 bp) and their scores, made once for the suite.
class ScoreCli : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = fs::fresh_dir("oncolm_score_cli").string();
    Result windows = oncolm("windows '" + source_dir + "/examples/cohort.tsv' --reference '" + reference + "' -o '" +
                            dir_ + "/windows' --window-length 201 --threads 2 --verbosity warning");
    ASSERT_EQ(windows.status, 0) << windows.err;
    score_ = oncolm("score --model '" + model_dir + "' -o '" + dir_ + "/score' '" + dir_ +
                    "/windows' --threads 2 --batch-tokens 512 --verbosity warning");
  }
  static void TearDownTestSuite() { fs::remove_all(dir_); }
  static std::string path(const std::string& name) { return dir_ + "/" + name; }
  static std::string dir_;
  static Result score_;
};
std::string ScoreCli::dir_;
Result ScoreCli::score_;

TEST_F(ScoreCli, OneRowPerSmallVariantWithTheWindowsKeysAndFiniteScores) {
  ASSERT_EQ(score_.status, 0) << score_.err;
  Table manifest = read_tsv_text(read_file(path("windows/manifest.tsv")));
  ASSERT_GE(manifest.rows.size(), 4u);
  std::vector<std::string> expected_header = oncolm::contract::score_key_columns;
  for (const auto& column : oncolm::contract::score_value_columns) expected_header.push_back(column);
  std::size_t variants = 0, junctions = 0;
  bool dashed_id = false;
  for (const auto& sample : manifest.rows) {
    const std::string& id = sample.at("sample_id");
    dashed_id = dashed_id || id.find('-') != std::string::npos;
    Table windows = read_tsv_text(read_gz(path("windows/" + sample.at("tsv"))));
    Table scores = read_tsv_text(read_file(path("score/" + oncolm::contract::safe_name(id) + ".scores.tsv")));
    EXPECT_EQ(scores.header, expected_header) << id;
    ASSERT_EQ(scores.rows.size(), windows.rows.size()) << id;
    for (std::size_t i = 0; i < scores.rows.size(); ++i) {
      for (const auto& key : oncolm::contract::score_key_columns)
        EXPECT_EQ(scores.rows[i].at(key), windows.rows[i].at(key)) << id << " row " << i << " " << key;
      EXPECT_EQ(scores.rows[i].at("sample_id"), id);  // the sheet's id, '-' and all
      for (const auto& column : oncolm::contract::score_value_columns)
        EXPECT_TRUE(finite_number(scores.rows[i].at(column)))
            << id << " row " << i << " " << column << " = '" << scores.rows[i].at(column) << "'";
      // SNVs: one token on the forward strand, the same in REF and ALT.
      if (scores.rows[i].at("type") == "snv") {
        EXPECT_EQ(std::stoi(scores.rows[i].at("ref_token_end")) - std::stoi(scores.rows[i].at("ref_token_start")), 1);
        EXPECT_EQ(scores.rows[i].at("ref_token_start"), scores.rows[i].at("alt_token_start"));
      }
    }
    variants += windows.rows.size();
    junctions += std::stoul(sample.at("sv_junctions"));
  }
  EXPECT_TRUE(dashed_id) << "the example has TCGA-... sample ids";
  ASSERT_GT(junctions, 0u) << "the example has SV calls (COLO829T)";
  nlohmann::json json = nlohmann::json::parse(read_file(path("score/score.json")));
  EXPECT_EQ(json["total"]["variants"], variants);
  EXPECT_EQ(json["total"]["scored"], variants);
  EXPECT_EQ(json["total"]["skipped"]["sv_junction"], junctions);
  EXPECT_EQ(json["total"]["skipped"]["variant_exceeds_max_tokens"], 0);
  EXPECT_EQ(json["outputs"].size(), manifest.rows.size());
  EXPECT_FALSE(json["model"]["sha256"].get<std::string>().empty());
  EXPECT_NE(score_.out.find("oncolm score: " + std::to_string(variants) + " small variant(s) scored"),
            std::string::npos)
      << score_.out;
  EXPECT_NE(score_.out.find("sv_junction " + std::to_string(junctions)), std::string::npos) << score_.out;
  EXPECT_NE(score_.out.find("mean llr by type: "), std::string::npos) << score_.out;
  for (const auto& entry : fs::directory_iterator(path("score")))
    EXPECT_EQ(entry.path().string().find(".tmp."), std::string::npos) << entry.path();
}

TEST_F(ScoreCli, MaxWindowsScoresTheFirstVariantsAndCountsTheRest) {
  Result capped = oncolm("score --model '" + model_dir + "' -o '" + path("capped") + "' '" + path("windows") +
                         "' --max-windows 2 --max-tokens 20 --threads 2 --verbosity warning");
  ASSERT_EQ(capped.status, 0) << capped.err;
  nlohmann::json json = nlohmann::json::parse(read_file(path("capped/score.json")));
  std::size_t beyond = 0, written = 0;
  for (const auto& output : json["outputs"]) {
    std::size_t variants = output["variants"];
    beyond += variants > 2 ? variants - 2 : 0;
    written += read_tsv_text(read_file(path("capped/" + output["scores"].get<std::string>()))).rows.size();
  }
  EXPECT_GT(beyond, 0u);
  EXPECT_EQ(json["total"]["skipped"]["beyond_max_windows"], beyond);
  EXPECT_EQ(written, json["total"]["scored"].get<std::size_t>() +
                         json["total"]["skipped"]["variant_exceeds_max_tokens"].get<std::size_t>());
  EXPECT_EQ(json["max_tokens"], 20);
}

TEST_F(ScoreCli, BadInputsAreClearErrorsAndLeaveNothingFinished) {
  // A windows directory that does not exist.
  Result missing =
      oncolm("score --model '" + model_dir + "' -o '" + path("bad1") + "' '" + path("no_such_windows") + "'");
  EXPECT_EQ(missing.status, 1);
  EXPECT_NE(missing.err.find(path("no_such_windows") + ": no such directory"), std::string::npos) << missing.err;
  EXPECT_FALSE(fs::exists(path("bad1/score.json")));
  // A sample whose windows run did not finish: its TSV without the stats file.
  fs::create_directories(path("partial"));
  fs::copy_file(path("windows/colon1.windows.tsv.gz"), path("partial/colon1.windows.tsv.gz"));
  Result partial = oncolm("score --model '" + model_dir + "' -o '" + path("bad2") + "' '" + path("partial") + "'");
  EXPECT_EQ(partial.status, 1);
  EXPECT_NE(partial.err.find("colon1.windows.tsv.gz: no colon1.stats.json next to it"), std::string::npos)
      << partial.err;
  // A model without an MLM head (an encoder-only checkpoint): the fixture's weights minus lm_head.*.
  fs::create_directories(path("headless"));
  for (const char* file : {"config.json", "vocab.txt"})
    fs::copy_file(model_dir + "/" + file, path(std::string("headless/") + file));
  oncolm::model::Checkpoint checkpoint = oncolm::model::Checkpoint::load_dir(model_dir);
  std::vector<oncolm::model::SafetensorsEntry> entries;
  for (const auto& [name, view] : checkpoint.tensors())
    if (name.rfind("lm_head.", 0) != 0) entries.push_back({name, view.dtype, view.shape, view.data});
  ASSERT_LT(entries.size(), checkpoint.tensors().size());
  oncolm::model::write_safetensors(path("headless/model.safetensors"), entries);
  Result headless =
      oncolm("score --model '" + path("headless") + "' -o '" + path("bad3") + "' '" + path("windows") + "'");
  EXPECT_EQ(headless.status, 1);
  EXPECT_NE(headless.err.find(path("headless") + ": the checkpoint has no MLM head"), std::string::npos)
      << headless.err;
  EXPECT_FALSE(fs::exists(path("bad3/score.json")));
  // The same checkpoint still embeds: only scoring needs the head.
  Result embeds = oncolm("model info '" + path("headless") + "'");
  EXPECT_EQ(embeds.status, 0) << embeds.err;
  // The parameter count it prints is the encoder's alone, named as such.
  EXPECT_NE(embeds.out.find("used by the encoder (no MLM head in the checkpoint)"), std::string::npos) << embeds.out;
  EXPECT_NE(embeds.out.find("MLM head:      no"), std::string::npos) << embeds.out;
}

}  // namespace
