// `oncolm classify` end to end with the real binary: a synthetic cohort with known tumour types
// (scripts/make_synthetic_cohort.py) through `oncolm windows` and `oncolm classify cv`, checked
// against chance and against scikit-learn on the same features and folds; fit then predict;
// embeddings joined through the manifest; and each kind of bad input as a clear error.
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

namespace fs = oncolm::test_fs;

namespace {

const std::string source_dir = ONCOLM_SOURCE_DIR;
const std::string reference = source_dir + "/examples/reference/GRCh37.20_X.masked.fa.gz";

std::string python() { return fs::exists("/usr/bin/python3") ? "/usr/bin/python3" : "python3"; }

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

std::vector<std::map<std::string, std::string>> read_tsv_text(const std::string& text) {
  std::vector<std::string> lines = split(text, '\n');
  std::vector<std::map<std::string, std::string>> rows;
  if (lines.empty()) return rows;
  std::vector<std::string> header = split(lines[0], '\t');
  for (std::size_t i = 1; i < lines.size(); ++i) {
    if (lines[i].empty()) continue;
    std::vector<std::string> cells = split(lines[i], '\t');
    std::map<std::string, std::string> row;
    for (std::size_t c = 0; c < header.size() && c < cells.size(); ++c) row[header[c]] = cells[c];
    rows.push_back(row);
  }
  return rows;
}

struct Result {
  int status = -1;
  std::string out, err;
};

Result run(const std::string& command) {
  static int counter = 0;
  std::string base = (fs::temp_directory_path() / ("oncolm_classify_cmd_" + std::to_string(::getpid()) + "_" +
                                                   std::to_string(counter++))).string();
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

// A synthetic cohort (3 types x 20 samples, some donors with two samples), its windows and fake
// embeddings, made once for the suite.
class SyntheticCohort : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = fs::fresh_dir("oncolm_classify_synthetic_" + std::to_string(::getpid())).string();
    Result made = run(python() + " '" + source_dir + "/scripts/make_synthetic_cohort.py' -o '" + dir_ +
                      "/cohort' --types 3 --samples-per-type 20 --mutations 60 --signal 0.35 --seed 3");
    ASSERT_EQ(made.status, 0) << made.err;
    Result windows = oncolm("windows '" + dir_ + "/cohort/cohort.tsv' --reference '" + reference + "' -o '" + dir_ +
                            "/windows' --window-length 201 --threads 2 --verbosity warning");
    ASSERT_EQ(windows.status, 0) << windows.err;
    Result embed = run(python() + " '" + source_dir + "/tests/downstream/fake_embeddings.py' '" + dir_ + "/windows' '" +
                       dir_ + "/embed' --hidden 8");
    ASSERT_EQ(embed.status, 0) << embed.err;
  }
  static void TearDownTestSuite() { fs::remove_all(dir_); }
  static std::string path(const std::string& name) { return dir_ + "/" + name; }
  static std::string dir_;
};
std::string SyntheticCohort::dir_;

TEST_F(SyntheticCohort, CrossValidationBeatsChanceAndMatchesScikitLearn) {
  Result cv = oncolm("classify cv --windows '" + path("windows") + "' --label tumour_type --features signature,density "
                     "--folds 5 --no-shuffle --classifier logreg,mlp --max-iter 1000 --epochs 60 --threads 2 --verbosity warning -o '" +
                     path("cv") + "'");
  ASSERT_EQ(cv.status, 0) << cv.err;
  std::printf("%s", cv.out.c_str());
  nlohmann::json metrics = nlohmann::json::parse(read_file(path("cv/metrics.json")));
  EXPECT_EQ(metrics["n_samples"], 60);
  double chance = metrics["chance_accuracy"].get<double>();
  EXPECT_NEAR(chance, 1.0 / 3, 0.01);
  ASSERT_EQ(metrics["results"].size(), 6u);  // signature, density, signature+density x logreg, mlp
  for (const auto& result : metrics["results"]) {
    // Types differ in every simulated process: each feature set must beat chance by a wide margin.
    EXPECT_GT(result["accuracy"].get<double>(), chance + 0.25) << result["feature_set"] << " " << result["model"];
    EXPECT_GT(result["balanced_accuracy"].get<double>(), 0.55) << result["feature_set"] << " " << result["model"];
    EXPECT_EQ(result["confusion_matrix"].size(), 3u);
    EXPECT_EQ(result["fold_accuracy"].size(), 5u);
  }
  // predictions: one row per sample per (feature set, model); a donor's samples share a fold.
  auto rows = read_tsv_text(read_file(path("cv/predictions.tsv")));
  ASSERT_EQ(rows.size(), 6u * 60u);
  std::map<std::string, std::string> donor_fold;
  for (const auto& row : rows) {
    auto [it, inserted] = donor_fold.emplace(row.at("donor_id"), row.at("fold"));
    EXPECT_EQ(it->second, row.at("fold")) << row.at("donor_id");
    double total = std::stod(row.at("prob_TypeA")) + std::stod(row.at("prob_TypeB")) + std::stod(row.at("prob_TypeC"));
    EXPECT_NEAR(total, 1.0, 1e-5);
  }
  // features.tsv: sample_id then named columns.
  std::string header = split(read_file(path("cv/features.tsv")), '\n')[0];
  EXPECT_EQ(header.rfind("sample_id\tsbs:A[C>A]A\t", 0), 0u);
  EXPECT_NE(header.find("\tdensity:20:0\t"), std::string::npos);
  // The recorded command line is one a user can paste back: it names `classify cv`, not `cv` alone.
  nlohmann::json cv_provenance = nlohmann::json::parse(read_file(path("cv/classify.json")));
  EXPECT_EQ(cv_provenance["command_line"].get<std::string>().rfind("oncolm classify cv --windows ", 0), 0u)
      << cv_provenance["command_line"];
  // The SBS-96 columns, recomputed from the reference genome instead of the windows.
  Result sbs = run(python() + " '" + source_dir + "/tests/downstream/sbs_check.py' '" + path("windows") + "' '" +
                   path("cv/features.tsv") + "' '" + reference + "'");
  EXPECT_EQ(sbs.status, 0) << sbs.out << sbs.err;
  EXPECT_NE(sbs.out.find("sbs96_samples=60 sbs96_mismatches=0"), std::string::npos) << sbs.out;

  // scikit-learn on the same features and folds, for each feature set.
  for (std::string set : {"signature", "density", "signature+density"}) {
    Result check = run(python() + " '" + source_dir + "/tests/downstream/sklearn_check.py' --out '" + path("cv") +
                       "' --feature-set " + set + " --C 1 --max-accuracy-difference 0.02 --min-agreement 0.97 --check-folds");
    std::printf("%s", check.out.c_str());
    EXPECT_EQ(check.status, 0) << check.out << check.err;
    EXPECT_NE(check.out.find("folds_equal_sklearn_StratifiedGroupKFold=True"), std::string::npos) << check.out;
  }
}

// cv runs its fits in parallel on --threads: every number written must be the same on one thread.
TEST_F(SyntheticCohort, CrossValidationOutputsDoNotDependOnThreads) {
  for (std::string threads : {"1", "2"}) {
    Result cv = oncolm("classify cv --windows '" + path("windows") + "' --embeddings '" + path("embed") +
                       "' --label tumour_type --features signature,density,embedding --classifier logreg,mlp "
                       "--epochs 20 --threads " + threads + " --verbosity warning -o '" + path("cv_threads" + threads) +
                       "'");
    ASSERT_EQ(cv.status, 0) << cv.err;
  }
  for (std::string file : {"metrics.json", "predictions.tsv", "features.tsv"}) {
    std::string one = read_file(path("cv_threads1/" + file)), two = read_file(path("cv_threads2/" + file));
    EXPECT_FALSE(one.empty()) << file;
    EXPECT_TRUE(one == two) << file << " differs between --threads 1 and --threads 2";
  }
}

TEST_F(SyntheticCohort, FitThenPredictReproducesTheFittedModel) {
  Result fit = oncolm("classify fit --windows '" + path("windows") + "' --label tumour_type --features signature,density "
                      "--classifier logreg --verbosity warning -o '" + path("model") + "'");
  ASSERT_EQ(fit.status, 0) << fit.err;
  nlohmann::json model = nlohmann::json::parse(read_file(path("model/model.json")));
  EXPECT_EQ(model["classes"], (std::vector<std::string>{"TypeA", "TypeB", "TypeC"}));
  EXPECT_EQ(model["feature_sets"], (std::vector<std::string>{"signature", "density"}));
  EXPECT_TRUE(model.contains("density_bins"));
  Result predict = oncolm("classify predict --model '" + path("model") + "' --windows '" + path("windows") +
                          "' --verbosity warning -o '" + path("predict") + "'");
  ASSERT_EQ(predict.status, 0) << predict.err;
  EXPECT_EQ(read_file(path("predict/features.tsv")), read_file(path("model/features.tsv")));
  for (std::string mode : {"fit", "predict"}) {
    std::string file = mode == "fit" ? "model/model.json" : "predict/classify.json";
    nlohmann::json written = nlohmann::json::parse(read_file(path(file)));
    const nlohmann::json& provenance = written.contains("provenance") ? written["provenance"] : written;
    EXPECT_EQ(provenance["command_line"].get<std::string>().rfind("oncolm classify " + mode + " ", 0), 0u) << file;
  }
  nlohmann::json metrics = nlohmann::json::parse(read_file(path("predict/metrics.json")));
  EXPECT_DOUBLE_EQ(metrics["results"][0]["accuracy"].get<double>(), model["training_accuracy"].get<double>());
  auto rows = read_tsv_text(read_file(path("predict/predictions.tsv")));
  ASSERT_EQ(rows.size(), 60u);
  EXPECT_EQ(rows[0].count("prob_TypeA"), 1u);
  // A model fitted on signature + density needs no --reference or --embeddings at predict time; a
  // model fitted with embeddings refuses to predict without them.
  Result fit_embedding = oncolm("classify fit --windows '" + path("windows") + "' --embeddings '" + path("embed") +
                                "' --label tumour_type --features signature,embedding --verbosity warning -o '" +
                                path("model_emb") + "'");
  ASSERT_EQ(fit_embedding.status, 0) << fit_embedding.err;
  Result missing = oncolm("classify predict --model '" + path("model_emb") + "' --windows '" + path("windows") +
                          "' -o '" + path("predict_missing") + "'");
  EXPECT_EQ(missing.status, 1);
  EXPECT_NE(missing.err.find("model.json"), std::string::npos) << missing.err;
  EXPECT_NE(missing.err.find("fitted with embedding features"), std::string::npos) << missing.err;
  EXPECT_FALSE(fs::exists(path("predict_missing/predictions.tsv")));
  // Embeddings of another model, or cut to fewer tokens: refused, naming embed.json and the setting.
  auto edited_embeddings = [&](const std::string& name, const std::string& edit) {
    Result copy = run("cp -r '" + path("embed") + "' '" + path(name) + "' && " + python() +
                      " -c \"import json,sys; p=sys.argv[1]; j=json.load(open(p)); " + edit +
                      "; json.dump(j, open(p, 'w'))\" '" + path(name + "/embed.json") + "'");
    EXPECT_EQ(copy.status, 0) << copy.err;
    return oncolm("classify predict --model '" + path("model_emb") + "' --windows '" + path("windows") +
                  "' --embeddings '" + path(name) + "' -o '" + path("predict_" + name) + "'");
  };
  Result other = edited_embeddings("embed_other", "j['model']['sha256'] = '0' * 64");
  EXPECT_EQ(other.status, 1);
  EXPECT_NE(other.err.find("embed_other/embed.json"), std::string::npos) << other.err;
  EXPECT_NE(other.err.find("model_sha256 \"" + std::string(64, '0') + "\" (fitted on"), std::string::npos) << other.err;
  Result shorter = edited_embeddings("embed_short", "j['truncation']['max_tokens'] = 100");
  EXPECT_EQ(shorter.status, 1);
  EXPECT_NE(shorter.err.find("max_tokens 100 (fitted on"), std::string::npos) << shorter.err;
  Result tiled = edited_embeddings("embed_tiled", "j['truncation']['policy'] = 'tile: consecutive tiles'");
  EXPECT_EQ(tiled.status, 1);
  EXPECT_NE(tiled.err.find("truncation_policy \"tile"), std::string::npos) << tiled.err;
  // Embeddings holding NaN (a diverged model): an error naming the sample and feature.
  Result nan = run("cp -r '" + path("embed") + "' '" + path("embed_nan") + "' && " + python() +
                   " -c \"import glob,sys,numpy as np; p=sorted(glob.glob(sys.argv[1] + '/*.emb.npy'))[0]; a=np.load(p); "
                   "a[0,0]=np.nan; np.save(p,a)\" '" + path("embed_nan") + "'");
  ASSERT_EQ(nan.status, 0) << nan.err;
  Result with_nan = oncolm("classify predict --model '" + path("model_emb") + "' --windows '" + path("windows") +
                           "' --embeddings '" + path("embed_nan") + "' -o '" + path("predict_nan") + "'");
  EXPECT_EQ(with_nan.status, 1);
  EXPECT_NE(with_nan.err.find("is nan, not a finite number"), std::string::npos) << with_nan.err;
  EXPECT_FALSE(fs::exists(path("predict_nan/predictions.tsv")));
  // Windows made on another reference than the one the density bins came from: refused at predict.
  EXPECT_FALSE(model["density_bins"]["fai_sha256"].get<std::string>().empty());
  Result copy = run("cp -r '" + path("windows") + "' '" + path("windows_other") + "' && " + python() +
                    " -c \"import json,sys; p=sys.argv[1]; j=json.load(open(p)); "
                    "j['provenance']['reference_fai_sha256'] = '1' * 64; json.dump(j, open(p, 'w'))\" '" +
                    path("windows_other/stats.json") + "'");
  ASSERT_EQ(copy.status, 0) << copy.err;
  Result other_reference = oncolm("classify predict --model '" + path("model") + "' --windows '" +
                                  path("windows_other") + "' -o '" + path("predict_other") + "'");
  EXPECT_EQ(other_reference.status, 1);
  EXPECT_NE(other_reference.err.find("differs from the one the classifier's density bins came from"),
            std::string::npos) << other_reference.err;
}

TEST_F(SyntheticCohort, EmbeddingFeaturesAreMeansOverEachTypeJoinedThroughTheManifest) {
  Result cv = oncolm("classify cv --windows '" + path("windows") + "' --embeddings '" + path("embed") +
                     "' --label tumour_type --features embedding --classifier logreg --verbosity warning -o '" +
                     path("cv_emb") + "'");
  ASSERT_EQ(cv.status, 0) << cv.err;
  auto features = read_tsv_text(read_file(path("cv_emb/features.tsv")));
  auto manifest = read_tsv_text(read_file(path("windows/manifest.tsv")));
  ASSERT_EQ(features.size(), manifest.size());
  // Recompute the first sample's means from its windows TSV with fake_embeddings.py's values.
  const auto& sample = manifest[0];
  EXPECT_EQ(features[0].at("sample_id"), sample.at("sample_id"));  // the sheet's id, not the safe one
  auto variants = read_tsv_text(read_gz(path("windows/" + sample.at("tsv"))));
  std::map<std::string, int> code = {{"snv", 0}, {"mnv", 1}, {"indel", 2}};
  for (const std::string type : {"snv", "mnv", "indel"}) {
    for (int j : {0, 7}) {
      double alt = 0, diff = 0;
      int n = 0;
      for (std::size_t i = 0; i < variants.size(); ++i) {
        if (variants[i].at("type") != type) continue;
        double a = static_cast<double>(i % 7) + j + 10 * code[type], r = static_cast<double>(i % 5) + 0.1f * j;
        alt += a;
        diff += a - r;
        ++n;
      }
      std::string key = "emb:" + type + ":alt:" + std::to_string(j);
      EXPECT_NEAR(std::stod(features[0].at(key)), n ? alt / n : 0.0, 1e-5) << key;
      key = "emb:" + type + ":alt-ref:" + std::to_string(j);
      EXPECT_NEAR(std::stod(features[0].at(key)), n ? diff / n : 0.0, 1e-5) << key;
    }
  }
  auto junctions = read_tsv_text(read_gz(path("windows/" + sample.at("sv_tsv"))));
  double alt = 0, diff = 0;
  for (std::size_t i = 0; i < junctions.size(); ++i) {
    alt += 1.0 + 3 + static_cast<double>(i % 4);
    diff += 1.0 + 3 + static_cast<double>(i % 4) - static_cast<double>(i % 3);
  }
  double n = static_cast<double>(junctions.size());
  EXPECT_NEAR(std::stod(features[0].at("emb:sv:alt:3")), n > 0 ? alt / n : 0.0, 1e-5);
  EXPECT_NEAR(std::stod(features[0].at("emb:sv:alt-ref:3")), n > 0 ? diff / n : 0.0, 1e-5);

  // Embeddings whose rows do not match the windows: one record dropped from a sample's table.
  std::string name = sample.at("fasta").substr(0, sample.at("fasta").size() - std::string(".windows.fa.gz").size());
  Result copy = run("cp -r '" + path("embed") + "' '" + path("embed_bad") + "' && sed -i '2d' '" +
                    path("embed_bad/" + name + ".emb.tsv") + "'");
  ASSERT_EQ(copy.status, 0);
  Result bad = oncolm("classify cv --windows '" + path("windows") + "' --embeddings '" + path("embed_bad") +
                      "' --label tumour_type --features embedding --classifier logreg -o '" + path("cv_bad") + "'");
  EXPECT_EQ(bad.status, 1);
  EXPECT_NE(bad.err.find(name + ".emb.tsv"), std::string::npos) << bad.err;
  EXPECT_NE(bad.err.find("do not match the windows"), std::string::npos) << bad.err;
  EXPECT_FALSE(fs::exists(path("cv_bad/metrics.json")));
  // A sample missing from the embedding directory.
  ASSERT_EQ(run("rm '" + path("embed_bad/" + name + ".emb.npy") + "'").status, 0);
  Result missing = oncolm("classify cv --windows '" + path("windows") + "' --embeddings '" + path("embed_bad") +
                          "' --label tumour_type --features embedding -o '" + path("cv_bad") + "'");
  EXPECT_EQ(missing.status, 1);
  EXPECT_NE(missing.err.find(name + ".emb.npy"), std::string::npos) << missing.err;
  // Embedding features without --embeddings.
  Result none = oncolm("classify cv --windows '" + path("windows") + "' --label tumour_type --features embedding -o '" +
                       path("cv_bad") + "'");
  EXPECT_EQ(none.status, 1);
  EXPECT_NE(none.err.find("--embeddings"), std::string::npos) << none.err;
}

// The example cohort (10 samples) for bad input.
class ExampleCohort : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = fs::fresh_dir("oncolm_classify_example_" + std::to_string(::getpid())).string();
    Result windows = oncolm("windows '" + source_dir + "/examples/cohort.tsv' --reference '" + reference + "' -o '" +
                            dir_ + "/windows' --window-length 201 --threads 2 --verbosity warning");
    ASSERT_EQ(windows.status, 0) << windows.err;
  }
  static void TearDownTestSuite() { fs::remove_all(dir_); }
  static std::string path(const std::string& name) { return dir_ + "/" + name; }
  static Result cv(const std::string& windows, const std::string& arguments) {
    return oncolm("classify cv --windows '" + windows + "' " + arguments + " -o '" + path("out") + "'");
  }
  static std::string dir_;
};
std::string ExampleCohort::dir_;

TEST_F(ExampleCohort, MissingOrPartialWindowsDirectoriesAreNamed) {
  Result missing = cv(path("nowhere"), "--label organ_system");
  EXPECT_EQ(missing.status, 1);
  EXPECT_NE(missing.err.find(path("nowhere") + ": not a directory"), std::string::npos) << missing.err;

  ASSERT_EQ(run("cp -r '" + path("windows") + "' '" + path("partial") + "' && rm '" + path("partial/colon1.stats.json") +
                "'").status, 0);
  Result partial = cv(path("partial"), "--label organ_system --min-class-size 1 --folds 2");
  EXPECT_EQ(partial.status, 1);
  EXPECT_NE(partial.err.find("stats file is missing from " + path("partial") + ": colon1.stats.json"), std::string::npos)
      << partial.err;

  // Another run's sample beside a finished cohort: refused, as embed, score and breakpoints refuse it.
  ASSERT_EQ(run("cp -r '" + path("windows") + "' '" + path("mixed") + "' && cp '" + path("mixed/colon1.stats.json") +
                "' '" + path("mixed/zz.stats.json") + "'").status, 0);
  Result mixed = cv(path("mixed"), "--label organ_system --min-class-size 1 --folds 2");
  EXPECT_EQ(mixed.status, 1);
  EXPECT_NE(mixed.err.find("does not list 1 sample(s) whose outputs are in " + path("mixed") + " (left by another run"),
            std::string::npos) << mixed.err;

  ASSERT_EQ(run("rm '" + path("partial/manifest.tsv") + "'").status, 0);
  Result no_manifest = cv(path("partial"), "--label organ_system");
  EXPECT_EQ(no_manifest.status, 1);
  EXPECT_NE(no_manifest.err.find("partial/manifest.tsv: missing"), std::string::npos) << no_manifest.err;

  // A truncated windows TSV (gzip cut short).
  ASSERT_EQ(run("cp -r '" + path("windows") + "' '" + path("truncated") + "' && head -c 300 '" +
                path("windows/blood_AC.windows.tsv.gz") + "' > '" + path("truncated/blood_AC.windows.tsv.gz") + "'").status, 0);
  Result truncated = cv(path("truncated"), "--label organ_system --min-class-size 1 --folds 2");
  EXPECT_EQ(truncated.status, 1);
  EXPECT_NE(truncated.err.find("blood_AC.windows.tsv.gz"), std::string::npos) << truncated.err;
  EXPECT_FALSE(fs::exists(path("out/metrics.json")));
}

TEST_F(ExampleCohort, LabelColumnsMustExistAndHoldTwoClasses) {
  Result absent = cv(path("windows"), "--label tumour_type");
  EXPECT_EQ(absent.status, 1);
  EXPECT_NE(absent.err.find("manifest.tsv:1: no label column 'tumour_type' (label columns: histology_abbreviation, "
                            "organ_system)"), std::string::npos) << absent.err;
  // Only Biliary-AdenoCA has 3 or more samples.
  Result one = cv(path("windows"), "--label histology_abbreviation --min-class-size 3");
  EXPECT_EQ(one.status, 1);
  EXPECT_NE(one.err.find("has 1 class(es)"), std::string::npos) << one.err;
  EXPECT_NE(one.err.find("Biliary-AdenoCA"), std::string::npos) << one.err;
  EXPECT_FALSE(fs::exists(path("out/metrics.json")));
}

TEST_F(ExampleCohort, FewerSamplesOrDonorsThanFoldsIsAnError) {
  Result samples = cv(path("windows"), "--label organ_system --min-class-size 1 --folds 11");
  EXPECT_EQ(samples.status, 1);
  EXPECT_NE(samples.err.find("10 labelled samples from 9 donors"), std::string::npos) << samples.err;
  EXPECT_NE(samples.err.find("fewer than --folds 11"), std::string::npos) << samples.err;
  // 10 samples but 9 donors (colon1 and colon2 share PD21928b).
  Result donors = cv(path("windows"), "--label organ_system --min-class-size 1 --folds 10");
  EXPECT_EQ(donors.status, 1);
  EXPECT_NE(donors.err.find("fewer than --folds 10"), std::string::npos) << donors.err;
  // With enough donors it runs, and lists the classes it dropped.
  Result ok = cv(path("windows"), "--label organ_system --min-class-size 2 --folds 2 --classifier logreg "
                 "--features signature --verbosity warning");
  ASSERT_EQ(ok.status, 0) << ok.err;
  nlohmann::json metrics = nlohmann::json::parse(read_file(path("out/metrics.json")));
  EXPECT_EQ(metrics["classes"], (std::vector<std::string>{"Biliary", "Colon/Rectum"}));
  EXPECT_EQ(metrics["dropped_classes"]["Skin"], 1);
  EXPECT_NE(ok.out.find("dropped"), std::string::npos) << ok.out;
  // Colon/Rectum's two samples are one donor's: never in training when tested, and said so.
  EXPECT_EQ(metrics["single_donor_classes"], (std::vector<std::string>{"Colon/Rectum"}));
  EXPECT_NE(ok.err.find("one donor only"), std::string::npos) << ok.err;
}

// Density bins from the index of another reference than the windows' are refused; the same index
// under another name is fine.
TEST_F(ExampleCohort, DensityBinsNeedTheIndexTheWindowsWereMadeFrom) {
  ASSERT_EQ(run("cp '" + reference + ".fai' '" + path("same.fai") + "' && sed '1s/\t[0-9]*\t/\t1000\t/' '" +
                reference + ".fai' > '" + path("other.fai") + "'").status,
            0);
  const std::string arguments = "--label organ_system --min-class-size 2 --folds 2 --classifier logreg "
                                "--features density --verbosity warning --reference ";
  Result other = cv(path("windows"), arguments + "'" + path("other.fai") + "'");
  EXPECT_EQ(other.status, 1);
  EXPECT_NE(other.err.find(path("other.fai") + ": differs from the index of the reference the windows were made from"),
            std::string::npos)
      << other.err;
  Result same = cv(path("windows"), arguments + "'" + path("same.fai") + "'");
  EXPECT_EQ(same.status, 0) << same.err;
}

TEST_F(ExampleCohort, OptionValuesThatCannotWorkAreErrors) {
  struct Case {
    std::string arguments, message;
  };
  for (const Case& c : {Case{"--C nan", "--C must be a positive number"}, Case{"--C 0", "--C must be a positive number"},
                        Case{"--classifier mlp --lr nan", "--lr must be a positive number"},
                        Case{"--classifier mlp --weight-decay -1", "--weight-decay must be a number >= 0"},
                        Case{"--max-iter 0", "--max-iter must be at least 1"},
                        Case{"--classifier ''", "names no classifier"},
                        Case{"--bin-size 0", "must be a number > 0, got '0'"},
                        // A fit that diverges gives NaN probabilities: an error, not predictions of class 0.
                        Case{"--classifier mlp --lr 1e30 --features signature",
                             "the mlp classifier (fold 1) gave probabilities that are not finite numbers"},
                        Case{"--bin-size 1", "density bins"}}) {
    Result result = cv(path("windows"), "--label organ_system --min-class-size 2 --folds 2 " + c.arguments);
    EXPECT_NE(result.status, 0) << c.arguments;
    EXPECT_NE(result.err.find(c.message), std::string::npos) << c.arguments << "\n" << result.err;
  }
}

// VCFs that name the contigs chr20/chrX against a reference of 20/X: `oncolm windows` renames them
// (their ##contig lengths agree) and the TSVs keep chr20/chrX; the density features bin them on the
// reference's contigs all the same, equal to those of the same calls named as the reference.
TEST_F(ExampleCohort, DensityFeaturesOfRenamedContigsEqualThoseOfTheReferenceNames) {
  std::string plain_sheet, chr_sheet;
  std::ifstream sheet(source_dir + "/examples/cohort.tsv");
  std::string line;
  int row = 0;
  while (std::getline(sheet, line)) {
    std::vector<std::string> cells = split(line, '\t');
    if (row++ == 0) {
      plain_sheet = chr_sheet = line + "\n";
      continue;
    }
    // The samples whose VCFs declare contig lengths (what makes a rename safe), without BAMs or SV
    // calls (small variants only), their VCFs as given or renamed.
    if (cells[0] != "TCGA-W5-AA39-01A-11D-A417-09" && cells[0] != "colon1" && cells[0] != "blood-AC") continue;
    std::string vcfs[2], chr_vcfs[2];
    for (int v = 0; v < 2; ++v) {
      if (cells[4 + v].empty()) continue;
      vcfs[v] = source_dir + "/examples/" + cells[4 + v];
      chr_vcfs[v] = path("chr_" + std::to_string(row) + "_" + std::to_string(v) + ".vcf.gz");
      // In a subshell: run() sends the command's own stdout to a file of its own.
      ASSERT_EQ(run("(zcat '" + vcfs[v] + "' | sed -e 's/^##contig=<ID=20,/##contig=<ID=chr20,/' -e "
                    "'s/^##contig=<ID=X,/##contig=<ID=chrX,/' -e 's/^20\t/chr20\t/' -e 's/^X\t/chrX\t/' | bgzip > '" +
                    chr_vcfs[v] + "')").status, 0);
    }
    auto sheet_row = [&](const std::string& snv, const std::string& indel) {
      return cells[0] + "\t" + cells[1] + "\t\t\t" + snv + "\t" + indel + "\t\t" + cells[7] + "\t" + cells[8] + "\n";
    };
    plain_sheet += sheet_row(vcfs[0], vcfs[1]);
    chr_sheet += sheet_row(chr_vcfs[0], chr_vcfs[1]);
  }
  std::ofstream(path("plain.tsv")) << plain_sheet;
  std::ofstream(path("chr.tsv")) << chr_sheet;
  std::map<std::string, std::string> features;
  for (const std::string name : {"plain", "chr"}) {
    Result windows = oncolm("windows '" + path(name + ".tsv") + "' --reference '" + reference + "' -o '" +
                            path(name + "_windows") + "' --window-length 201 --verbosity warning");
    ASSERT_EQ(windows.status, 0) << name << ": " << windows.err;
    Result classify = oncolm("classify cv --windows '" + path(name + "_windows") + "' --label histology_abbreviation "
                             "--min-class-size 1 --folds 2 --features density --classifier logreg --verbosity warning "
                             "-o '" + path(name + "_cv") + "'");
    ASSERT_EQ(classify.status, 0) << name << ": " << classify.err;
    features[name] = read_file(path(name + "_cv/features.tsv"));
  }
  EXPECT_NE(read_gz(path("chr_windows/" + std::string("TCGA_W5_AA39_01A_11D_A417_09.windows.tsv.gz"))).find("\tchr20\t"),
            std::string::npos) << "the TSV keeps the VCF's contig names";
  nlohmann::json stats = nlohmann::json::parse(read_file(path("chr_windows/TCGA_W5_AA39_01A_11D_A417_09.stats.json")));
  EXPECT_EQ(stats["contig_names"]["chr20"], "20");
  EXPECT_EQ(features["chr"], features["plain"]);
  EXPECT_GT(features["plain"].size(), 1000u);
}

// An SNV whose neighbour in its REF window is N has no SBS-96 class: left out of the proportions,
// counted in classify.json. Here the base after the first SNV of one sample is set to N.
TEST_F(ExampleCohort, SignatureCountsTheSnvsItLeavesOut) {
  ASSERT_EQ(run("cp -r '" + path("windows") + "' '" + path("masked") + "'").status, 0);
  const std::string script =
      "import gzip,sys\n"
      "d=sys.argv[1]+'/blood_AC.windows'\n"
      "rows=[l.rstrip('\\n').split('\\t') for l in gzip.open(d+'.tsv.gz','rt')]\n"
      "h=rows[0]; snv=next(r for r in rows[1:] if r[h.index('type')]=='snv')\n"
      "name=snv[h.index('ref_record')]; off=int(snv[h.index('offset')])\n"
      "out=[]; seq=None\n"
      "for l in gzip.open(d+'.fa.gz','rt').read().split('\\n'):\n"
      "  if seq is not None and not l.startswith('>'): l=l[:off+1]+'N'+l[off+2:]; seq=None\n"
      "  if l=='>'+name: seq=1\n"
      "  out.append(l)\n"
      "open(d+'.fa','w').write('\\n'.join(out))\n";
  std::ofstream(path("mask.py")) << script;
  ASSERT_EQ(run(python() + " '" + path("mask.py") + "' '" + path("masked") + "' && bgzip -f '" +
                path("masked/blood_AC.windows.fa") + "'").status, 0);
  for (const std::string name : {"windows", "masked"}) {
    Result result = cv(path(name), "--label organ_system --min-class-size 1 --folds 2 --features signature "
                       "--classifier logreg");
    ASSERT_EQ(result.status, 0) << result.err;
    nlohmann::json left_out = nlohmann::json::parse(read_file(path("out/classify.json")))["inputs"]["signature_left_out"];
    EXPECT_EQ(left_out["snv_without_context"], name == "masked" ? 1 : 0) << name;
    EXPECT_EQ(left_out["indel_without_class"], 0) << name;
    EXPECT_EQ(result.err.find("left out of the class proportions") != std::string::npos, name == "masked") << result.err;
  }
}

}  // namespace
