// `oncolm train` end to end on the tiny fixtures and small windows directories written here:
// outputs and their keys, the donor split, exact resume after an interrupt (SIGINT and SIGTERM),
// checkpoint rotation, the Hugging Face export (names and shapes as the fixtures, round trip
// through `oncolm embed`), a falling validation loss, and every bad input the issue lists.
#include <sys/wait.h>

#include <chrono>
#include <cmath>
#include <csignal>
#include <cstring>
#include <functional>
#include <fstream>
#include <limits>
#include <map>
#include <random>
#include <regex>
#include <set>
#include <sstream>
#include <string>

#include <ATen/ATen.h>
#include <c10/core/InferenceMode.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <zlib.h>

#include "../test_fs.h"
#include "core/error.h"
#include "model/checkpoint.h"
#include "model/config.h"
#include "model/hf_export.h"
#include "model/nt_encoder.h"
#include "model/tokenizer.h"
#include "train/train_data.h"
#include "train/trainer.h"

namespace fs = oncolm::test_fs;
using namespace oncolm;
using namespace oncolm::train;
using json = nlohmann::json;

namespace {
const std::string fixtures = std::string(ONCOLM_TEST_DATA_DIR) + "/nt";
const std::string v1_model = fixtures + "/nt_v1_tiny";
const std::string v2_model = fixtures + "/nt_v2_tiny";

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

void write_gzip(const std::string& path, const std::string& text) {
  gzFile file = gzopen(path.c_str(), "wb");
  gzwrite(file, text.data(), static_cast<unsigned>(text.size()));
  gzclose(file);
}

// A window: random bases, or (learnable) a repeated motif with a few random changes.
std::string window_bases(std::mt19937& rng, std::size_t length, bool motif) {
  const std::string unit = "ACGTTGCATGCA";
  std::string bases(length, 'A');
  for (std::size_t i = 0; i < length; ++i) bases[i] = motif ? unit[i % unit.size()] : "ACGT"[rng() % 4];
  if (motif)
    for (int k = 0; k < 3; ++k) bases[rng() % length] = "ACGT"[rng() % 4];
  return bases;
}

// An `oncolm windows`-style directory: per sample <s>.windows.fa.gz and .windows.tsv.gz (REF and
// ALT per SNV at `offset`), and manifest.tsv naming each sample's donor (one donor per sample).
std::string write_windows_dir(const fs::path& dir, int samples, int variants, std::size_t length, unsigned seed,
                              bool motif = false) {
  fs::create_directories(dir);
  std::mt19937 rng(seed);
  std::string manifest = "sample_id\tdonor_id\tfasta\ttsv\tsv_fasta\tsv_tsv\tstats\n";
  for (int s = 0; s < samples; ++s) {
    std::string sample = "S" + std::to_string(s);
    std::string fasta, tsv = "sample_id\tchrom\tpos\tref\talt\toffset\tref_record\talt_record\n";
    for (int v = 0; v < variants; ++v) {
      std::string ref = window_bases(rng, length, motif);
      std::size_t offset = length / 2 - 3 + rng() % 6;
      std::string alt = ref;
      alt[offset] = ref[offset] == 'A' ? 'G' : 'A';
      std::string name = sample + "_v" + std::to_string(v);
      fasta += ">" + name + "_REF\n" + ref + "\n>" + name + "_ALT\n" + alt + "\n";
      tsv += sample + "\tchr1\t" + std::to_string(1000 + v) + "\t" + ref[offset] + "\t" + alt[offset] + "\t" +
             std::to_string(offset) + "\t" + name + "_REF\t" + name + "_ALT\n";
    }
    write_gzip(dir / (sample + ".windows.fa.gz"), fasta);
    write_gzip(dir / (sample + ".windows.tsv.gz"), tsv);
    manifest += sample + "\tD" + std::to_string(s) + "\t" + sample + ".windows.fa.gz\t" + sample +
                ".windows.tsv.gz\t\t\t" + sample + ".stats.json\n";
  }
  std::ofstream(dir / "manifest.tsv") << manifest;
  return dir.string();
}

std::vector<json> read_metrics(const std::string& out_dir) {
  std::vector<json> records;
  std::istringstream in(read_text(out_dir + "/metrics.jsonl"));
  std::string line;
  while (std::getline(in, line))
    if (!line.empty()) records.push_back(json::parse(line));
  return records;
}

std::vector<json> of_split(const std::vector<json>& records, const std::string& split) {
  std::vector<json> out;
  for (const auto& r : records)
    if (r["split"] == split) out.push_back(r);
  return out;
}

// Names and shapes of a safetensors file.
std::map<std::string, std::vector<std::int64_t>> layout(const std::string& path) {
  std::map<std::string, std::vector<std::int64_t>> names;
  model::Checkpoint checkpoint = model::Checkpoint::load_safetensors(path);
  for (const auto& [name, view] : checkpoint.tensors()) names[name] = view.shape;
  return names;
}

TrainOptions small_run(const std::string& model_dir, const std::string& input, const std::string& out) {
  TrainOptions o;
  o.model_dir = model_dir;
  o.inputs = {input};
  o.out_dir = out;
  o.steps = 4;
  o.batch_tokens = 256;
  o.lr = 1e-3;
  o.log_every = 1;
  o.eval_every = 2;
  o.checkpoint_every = 2;
  o.validation_fraction = 0.25;
  o.threads = 1;
  return o;
}

// best/ holds the model of the lowest validation loss in metrics.jsonl, tensor for tensor: the model
// as given when that was step 0, else the checkpoint of that step.
void expect_best_is_the_lowest_validation_model(const std::string& out_dir, const std::vector<json>& validation,
                                                const std::string& base_model) {
  ASSERT_FALSE(validation.empty());
  auto loss = [&](std::size_t i) {  // null: NaN, never the lowest
    return validation[i]["loss"].is_null() ? std::numeric_limits<double>::infinity()
                                           : validation[i]["loss"].get<double>();
  };
  std::size_t lowest = 0;
  for (std::size_t i = 1; i < validation.size(); ++i)
    if (loss(i) < loss(lowest)) lowest = i;
  const std::int64_t step = validation[lowest]["step"].get<std::int64_t>();
  json about = json::parse(read_text(out_dir + "/best/best.json"));
  EXPECT_EQ(about["step"], step);
  EXPECT_DOUBLE_EQ(about["validation_loss"].get<double>(), loss(lowest));
  json provenance = json::parse(read_text(out_dir + "/train.json"));
  EXPECT_EQ(provenance["result"]["best_step"], step);
  EXPECT_EQ(provenance["result"]["best"], "best/");
  auto best = model::Checkpoint::load_dir(out_dir + "/best");
  auto source = step == 0 ? model::Checkpoint::load_dir(base_model)
                          : model::Checkpoint::load_safetensors(out_dir + "/checkpoints/step-" + std::to_string(step) +
                                                                "/model.safetensors");
  ASSERT_FALSE(source.tensors().empty());
  for (const auto& [name, view] : source.tensors()) {
    const model::TensorView* kept = best.find(name);
    ASSERT_NE(kept, nullptr) << name;
    EXPECT_TRUE(at::equal(model::tensor_from_view(*kept), model::tensor_from_view(view))) << name;
  }
  EXPECT_EQ(layout(out_dir + "/best/model.safetensors"), layout(base_model + "/model.safetensors"));
}

int run_command(const std::string& command, std::string& output) {
  FILE* pipe = popen((command + " 2>&1").c_str(), "r");
  char buffer[4096];
  output.clear();
  while (std::fgets(buffer, sizeof buffer, pipe)) output += buffer;
  int status = pclose(pipe);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

std::vector<float> read_npy_floats(const std::string& path, std::int64_t& rows) {
  std::string bytes = read_text(path);
  std::size_t header_length = static_cast<unsigned char>(bytes[8]) | (static_cast<unsigned char>(bytes[9]) << 8);
  std::string header = bytes.substr(10, header_length);
  std::int64_t columns = 0;
  std::sscanf(header.c_str() + header.find("'shape': (") + 10, "%ld, %ld", &rows, &columns);
  std::vector<float> data(static_cast<std::size_t>(rows * columns));
  std::memcpy(data.data(), bytes.data() + 10 + header_length, data.size() * sizeof(float));
  return data;
}

TEST(Train, MlmRunWritesMetricsCheckpointsProvenanceAndAnHfFinalDirectory) {
  fs::path root = fs::fresh_dir("oncolm_train_outputs");
  std::string windows = write_windows_dir(root / "windows", 4, 4, 60, 1);
  TrainOptions o = small_run(v2_model, windows, root / "out");
  o.keep_checkpoints = 5;
  TrainResult result = run_training(o);
  EXPECT_EQ(result.steps, 4);
  EXPECT_FALSE(result.interrupted);
  auto records = read_metrics(o.out_dir);
  auto train = of_split(records, "train");
  ASSERT_EQ(train.size(), 4u);
  for (const char* key : {"split", "step", "epoch", "loss", "mlm_loss", "mlm_accuracy", "lr", "grad_norm", "tokens_per_s"})
    EXPECT_TRUE(train[0].contains(key)) << key;
  EXPECT_FALSE(train[0].contains("contrastive_loss")) << "keys that do not apply are left out";
  EXPECT_DOUBLE_EQ(train[0]["loss"].get<double>(), train[0]["mlm_loss"].get<double>());
  EXPECT_GT(train[0]["mlm_loss"].get<double>(), 0.0);
  auto validation = of_split(records, "validation");
  ASSERT_EQ(validation.size(), 3u);  // before training, steps 2 and 4
  EXPECT_EQ(validation[0]["step"], 0);
  EXPECT_NEAR(validation[0]["mlm_perplexity"].get<double>(), std::exp(validation[0]["mlm_loss"].get<double>()), 1e-9);
  for (int step : {2, 4}) EXPECT_TRUE(fs::exists(root / "out" / "checkpoints" / ("step-" + std::to_string(step)) / "optimizer.pt"));
  json provenance = json::parse(read_text(o.out_dir + "/train.json"));
  for (const char* key : {"oncolm_version", "git_hash", "command", "model", "config", "data", "split", "result"})
    EXPECT_TRUE(provenance.contains(key)) << key;
  EXPECT_EQ(provenance["model"]["sha256"].get<std::string>().size(), 64u);
  EXPECT_EQ(provenance["data"].size(), 4u * 2 + 1);  // FASTA and TSV per sample, and manifest.tsv
  EXPECT_EQ(provenance["split"]["method"], "donor");
  EXPECT_EQ(provenance["split"]["validation_donors"].size(), 1u);
  // final/: the fixture's exact layout, loadable as a model directory.
  EXPECT_EQ(layout(o.out_dir + "/final/model.safetensors"), layout(v2_model + "/model.safetensors"));
  for (const char* name : {"config.json", "vocab.txt", "tokenizer_config.json", "special_tokens_map.json"})
    EXPECT_EQ(read_text(o.out_dir + "/final/" + name), read_text(v2_model + "/" + name)) << name;
  EXPECT_NO_THROW(model::NtEncoder(model::NtConfig::load_dir(o.out_dir + "/final"), model::Checkpoint::load_dir(o.out_dir + "/final")));
  // Training moved the weights.
  auto before = model::Checkpoint::load_dir(v2_model), after = model::Checkpoint::load_dir(o.out_dir + "/final");
  const std::string name = "esm.encoder.layer.0.attention.self.query.weight";
  EXPECT_FALSE(at::equal(model::tensor_from_view(*before.find(name)), model::tensor_from_view(*after.find(name))));
  expect_best_is_the_lowest_validation_model(o.out_dir, validation, v2_model);
  fs::remove_all(root);
}

TEST(Train, V1FinalDirectoryKeepsTheFixtureLayoutIncludingUnusedTensors) {
  fs::path root = fs::fresh_dir("oncolm_train_v1_layout");
  std::string windows = write_windows_dir(root / "windows", 2, 2, 48, 2);
  TrainOptions o = small_run(v1_model, windows, root / "out");
  o.steps = 1;
  o.validation_fraction = 0;
  o.freeze_below = 1;
  run_training(o);
  EXPECT_EQ(layout(o.out_dir + "/final/model.safetensors"), layout(v1_model + "/model.safetensors"));
  // --freeze-below 1: the embeddings and layer 0 stay as they were, layer 1 trains.
  auto before = model::Checkpoint::load_dir(v1_model), after = model::Checkpoint::load_dir(o.out_dir + "/final");
  auto same = [&](const std::string& tensor) {
    return at::equal(model::tensor_from_view(*before.find(tensor)), model::tensor_from_view(*after.find(tensor)));
  };
  EXPECT_TRUE(same("esm.embeddings.word_embeddings.weight"));
  EXPECT_TRUE(same("esm.encoder.layer.0.intermediate.dense.weight"));
  EXPECT_FALSE(same("esm.encoder.layer.1.intermediate.dense.weight"));
  EXPECT_FALSE(fs::exists(root / "out" / "best")) << "no validation, no best/";
  fs::remove_all(root);
}

TEST(Train, DonorSplitNeverPutsADonorOnBothSides) {
  std::vector<std::string> donors = {"a", "a", "b", "c", "c", "c", "d", "e", "e"};
  std::vector<std::string> keys(donors.size(), "k");
  Split split = split_units(donors, keys, 0.4, 3);
  EXPECT_EQ(split.method, "donor");
  EXPECT_EQ(split.validation_donors.size(), 2u);  // round(0.4 * 5)
  std::set<std::string> train_donors, validation_donors;
  for (auto u : split.train) train_donors.insert(donors[u]);
  for (auto u : split.validation) validation_donors.insert(donors[u]);
  for (const auto& d : validation_donors) EXPECT_EQ(train_donors.count(d), 0u) << d;
  EXPECT_EQ(split.train.size() + split.validation.size(), donors.size());
  // Other seeds pick other donors (not always the same two).
  std::set<std::vector<std::string>> chosen;
  for (std::uint64_t seed = 0; seed < 10; ++seed) chosen.insert(split_units(donors, keys, 0.4, seed).validation_donors);
  EXPECT_GT(chosen.size(), 2u);
  EXPECT_THROW(split_units({"a", "a"}, {"x", "y"}, 0.5, 1), InputError);  // one donor cannot be split
  Split none = split_units({"a", "b"}, {"x", "y"}, 0.0, 1);
  EXPECT_EQ(none.validation.size(), 0u);
  // Windows of donors beside plain FASTA records (no donor): the records are split one by one, as
  // they are on their own, not moved together as if they were one donor.
  std::vector<std::string> mixed_donors = donors, mixed_keys = keys, records, record_keys;
  for (int i = 0; i < 40; ++i) {
    mixed_donors.push_back("");
    mixed_keys.push_back("record" + std::to_string(i));
    records.push_back("");
    record_keys.push_back("record" + std::to_string(i));
  }
  Split mixed = split_units(mixed_donors, mixed_keys, 0.4, 3), alone = split_units(records, record_keys, 0.4, 3);
  EXPECT_EQ(mixed.validation_donors, split.validation_donors);
  std::vector<std::size_t> mixed_records;
  for (auto u : mixed.validation)
    if (u >= donors.size()) mixed_records.push_back(u - donors.size());
  EXPECT_EQ(mixed_records, alone.validation);
  EXPECT_GT(alone.validation.size(), 0u);
  EXPECT_LT(alone.validation.size(), records.size());
}

// Run A: 6 steps straight. Run B: the same, stopped by `signal` after step 3, then resumed.
void expect_resume_repeats_the_run(int signal) {
  fs::path root = fs::fresh_dir("oncolm_train_resume_" + std::to_string(signal));
  std::string windows = write_windows_dir(root / "windows", 4, 3, 54, 3);
  auto options = [&](const std::string& out) {
    TrainOptions o = small_run(v2_model, windows, root / out);
    o.objective = Objective::both;
    o.steps = 6;
    o.batch_tokens = 140;  // a few pairs per batch: the run crosses an epoch boundary
    o.adapters.lora_rank = 2;
    o.adapters.lora_dropout = 0.1;  // a random stream of its own
    o.adapters.ia3 = true;
    o.second_view = "shift";
    o.warmup_steps = 2;
    o.grad_accumulation = 2;
    o.log_every = 2;  // the interruption falls between train lines: the next one still covers both steps
    return o;
  };
  TrainResult straight = run_training(options("a"));
  EXPECT_EQ(straight.steps, 6);
  TrainOptions interrupted = options("b");
  interrupted.after_step = [&](std::int64_t step) {
    if (step == 3) std::raise(signal);
  };
  TrainResult first = run_training(interrupted);
  EXPECT_TRUE(first.interrupted);
  EXPECT_EQ(first.steps, 3);
  EXPECT_TRUE(fs::exists(root / "b" / "checkpoints" / "step-3" / "state.json"));
  EXPECT_FALSE(fs::exists(root / "b" / "final"));
  // A kill while a line was written leaves it torn: past the checkpoint, it is dropped on resume.
  std::ofstream(root / "b" / "metrics.jsonl", std::ios::app) << "{\"split\": \"tr";
  TrainOptions resumed = options("b");
  resumed.resume = true;
  TrainResult second = run_training(resumed);
  EXPECT_FALSE(second.interrupted);
  EXPECT_EQ(second.steps, 6);
  auto a = read_metrics((root / "a").string()), b = read_metrics((root / "b").string());
  // The schedule: linear warm-up over 2 steps, then cosine decay over the remaining 4.
  auto train_a = of_split(a, "train");
  ASSERT_EQ(train_a.size(), 3u);  // steps 2, 4, 6
  const double peak = 1e-3;
  const double expected_lr[] = {peak, peak * 0.5 * (1 + std::cos(M_PI / 4)), peak * 0.5 * (1 + std::cos(3 * M_PI / 4))};
  for (std::size_t i = 0; i < 3; ++i) EXPECT_NEAR(train_a[i]["lr"].get<double>(), expected_lr[i], 1e-15) << i;
  EXPECT_GT(train_a.back()["epoch"].get<double>(), 1.0) << "the run should cross an epoch boundary";
  ASSERT_EQ(a.size(), b.size());
  for (std::size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i]["split"], b[i]["split"]);
    EXPECT_EQ(a[i]["step"], b[i]["step"]);
    for (const char* key : {"loss", "mlm_loss", "contrastive_loss", "mlm_accuracy", "grad_norm", "lr"}) {
      if (!a[i].contains(key)) continue;
      EXPECT_NEAR(a[i][key].get<double>(), b[i][key].get<double>(), 1e-6) << key << " at line " << i;
    }
  }
  EXPECT_EQ(read_text((root / "a" / "final" / "model.safetensors").string()),
            read_text((root / "b" / "final" / "model.safetensors").string()));
  // best/ survives the interruption and ends as the uninterrupted run's.
  EXPECT_EQ(read_text((root / "a" / "best" / "best.json").string()), read_text((root / "b" / "best" / "best.json").string()));
  EXPECT_EQ(read_text((root / "a" / "best" / "model.safetensors").string()),
            read_text((root / "b" / "best" / "model.safetensors").string()));
  fs::remove_all(root);
}

TEST(Train, ResumeAfterSigintRepeatsTheUninterruptedRunStepForStep) { expect_resume_repeats_the_run(SIGINT); }
TEST(Train, ResumeAfterSigtermRepeatsTheUninterruptedRunStepForStep) { expect_resume_repeats_the_run(SIGTERM); }

TEST(Train, FinalDirectoryCarriesThePythonModulesThatAutoMapNames) {
  // The published v2 checkpoints load with trust_remote_code: config.json's auto_map names
  // esm_config.py and modeling_esm.py, which must sit next to the exported weights.
  fs::path root = fs::fresh_dir("oncolm_train_remote_code");
  std::string windows = write_windows_dir(root / "windows", 2, 2, 48, 4);
  const std::string source = (root / "model").string();
  fs::create_directories(source);
  for (const char* name : {"model.safetensors", "vocab.txt", "tokenizer_config.json", "special_tokens_map.json"})
    fs::copy_file(v2_model + "/" + name, source + "/" + name);
  json config = json::parse(read_text(v2_model + "/config.json"));
  config["auto_map"] = {{"AutoConfig", "esm_config.EsmConfig"}, {"AutoModelForMaskedLM", "modeling_esm.EsmForMaskedLM"}};
  std::ofstream(source + "/config.json") << config.dump(2);
  std::ofstream(source + "/esm_config.py") << "class EsmConfig: pass\n";
  std::ofstream(source + "/modeling_esm.py") << "from .esm_config import EsmConfig\n";
  TrainOptions o = small_run(source, windows, root / "out");
  o.steps = 1;
  o.validation_fraction = 0;
  run_training(o);
  for (const char* name : {"config.json", "esm_config.py", "modeling_esm.py"})
    EXPECT_EQ(read_text(o.out_dir + "/final/" + name), read_text(source + "/" + name)) << name;
  fs::remove_all(root);
}

TEST(Train, EarlyStoppingEndsARunWhoseValidationLossStopsImproving) {
  fs::path root = fs::fresh_dir("oncolm_train_early");
  std::string windows = write_windows_dir(root / "windows", 4, 3, 48, 9);
  TrainOptions o = small_run(v2_model, windows, root / "out");
  o.steps = 40;
  o.lr = 1.0;  // diverges: the validation loss rises (or becomes NaN), never improves on the untrained model's
  o.eval_every = 2;
  o.early_stopping_patience = 2;
  o.log_every = 10;  // no train line is due before the run stops
  TrainResult result = run_training(o);
  EXPECT_TRUE(result.early_stopped);
  EXPECT_EQ(result.steps, 4);  // evaluations at steps 0 (best), 2 and 4
  EXPECT_TRUE(fs::exists(root / "out" / "final" / "model.safetensors"));
  EXPECT_TRUE(fs::exists(root / "out" / "checkpoints" / "step-4"));
  // The steps since the last train line get one when the run stops early.
  auto train = of_split(read_metrics((root / "out").string()), "train");
  ASSERT_EQ(train.size(), 1u);
  EXPECT_EQ(train[0]["step"], 4);
  json provenance = json::parse(read_text((root / "out" / "train.json").string()));
  EXPECT_EQ(provenance["result"]["last_train_loss"], train[0]["loss"]);
  // The untrained model had the lowest validation loss: best/ is that model, final/ is not.
  auto validation = of_split(read_metrics((root / "out").string()), "validation");
  expect_best_is_the_lowest_validation_model((root / "out").string(), validation, v2_model);
  EXPECT_EQ(json::parse(read_text((root / "out" / "best" / "best.json").string()))["step"], 0);
  EXPECT_NE(read_text((root / "out" / "best" / "model.safetensors").string()),
            read_text((root / "out" / "final" / "model.safetensors").string()));
  // Resumed (say, after a kill while final/ was written), the run stays stopped where it stopped.
  const std::string final_model = read_text((root / "out" / "final" / "model.safetensors").string());
  const std::string metrics = read_text((root / "out" / "metrics.jsonl").string());
  fs::remove_all(root / "out" / "final");
  o.resume = true;
  TrainResult resumed = run_training(o);
  EXPECT_TRUE(resumed.early_stopped);
  EXPECT_EQ(resumed.steps, 4);
  EXPECT_EQ(read_text((root / "out" / "final" / "model.safetensors").string()), final_model);
  EXPECT_EQ(read_text((root / "out" / "metrics.jsonl").string()), metrics);
  EXPECT_EQ(json::parse(read_text((root / "out" / "train.json").string()))["result"]["early_stopped"], true);
  // A larger patience lets it go on.
  o.early_stopping_patience = 3;
  EXPECT_EQ(run_training(o).steps, 6);
  fs::remove_all(root);
}

TEST(Train, ContrastiveTrainingLowersItsLossAndReportsAltRefDistances) {
  fs::path root = fs::fresh_dir("oncolm_train_contrast");
  std::string windows = write_windows_dir(root / "windows", 6, 8, 60, 15);
  TrainOptions o = small_run(v2_model, windows, root / "out");
  o.objective = Objective::contrastive;
  o.validation_fraction = 0.34;  // 2 of 6 donors
  o.steps = 40;
  o.eval_every = 40;
  o.lr = 3e-4;
  o.hard_negative_weight = 16.0;
  o.second_view = "shift";
  o.span_context = 0;
  run_training(o);
  auto records = read_metrics(o.out_dir);
  auto train = of_split(records, "train");
  ASSERT_EQ(train.size(), 40u);
  double first = 0, last = 0;
  for (std::size_t i = 0; i < 10; ++i) {
    first += train[i]["contrastive_loss"].get<double>() / 10;
    last += train[30 + i]["contrastive_loss"].get<double>() / 10;
  }
  EXPECT_LT(last, first - 0.3) << "training contrastive loss, first vs last 10 steps";
  auto validation = of_split(records, "validation");
  ASSERT_EQ(validation.size(), 2u);  // before training and at the end
  for (const auto& record : validation) {
    const double own = record["alt_ref_distance"].get<double>(), unrelated = record["unrelated_distance"].get<double>();
    EXPECT_GT(own, 0.0);
    EXPECT_GT(unrelated, own) << "an ALT is closer to its own REF than to other variants' REF windows";
    EXPECT_NEAR(record["alt_ref_distance_ratio"].get<double>(), own / unrelated, 1e-12);
    const double own_projected = record["projected_alt_ref_distance"].get<double>();
    const double unrelated_projected = record["projected_unrelated_distance"].get<double>();
    EXPECT_GT(own_projected, 0.0);
    EXPECT_NEAR(record["projected_alt_ref_distance_ratio"].get<double>(), own_projected / unrelated_projected, 1e-12);
  }
  fs::remove_all(root);
}

// --separation-weight: L_sep is reported on its own and weighted into the loss; in batches of one
// variant (no unrelated REF) it is left out and reported as null.
TEST(Train, SeparationTermIsReportedAndWeightedIntoTheLoss) {
  fs::path root = fs::fresh_dir("oncolm_train_separation");
  std::string windows = write_windows_dir(root / "windows", 4, 3, 54, 21);
  for (std::int64_t tokens : {std::int64_t{4096}, std::int64_t{40}}) {
    TrainOptions o = small_run(v2_model, windows, root / ("out" + std::to_string(tokens)));
    o.objective = Objective::contrastive;
    o.steps = 3;
    o.batch_tokens = tokens;
    o.validation_fraction = 0.5;
    o.eval_every = 3;
    o.separation_weight = 2.0;
    o.contrastive_weight = 0.5;
    run_training(o);
    auto records = read_metrics(o.out_dir);
    ASSERT_FALSE(records.empty());
    for (const auto& record : records) {
      const double contrastive = record["contrastive_loss"].get<double>();
      if (tokens == 40) {
        EXPECT_TRUE(record["separation_loss"].is_null()) << record.dump();
        EXPECT_NEAR(record["loss"].get<double>(), 0.5 * contrastive, 1e-9) << record.dump();
        continue;
      }
      const double separation = record["separation_loss"].get<double>();
      EXPECT_GT(separation, 0.0) << "an ALT is closer to its own REF than to the others: " << record.dump();
      EXPECT_NEAR(record["loss"].get<double>(), 0.5 * (contrastive + 2.0 * separation), 1e-9) << record.dump();
    }
  }
  fs::remove_all(root);
}

// Every validation pair counts towards alt_ref_distance, however the pairs are batched: with one pair
// per batch (the default batch of 1,000-token windows) there is no unrelated REF in any batch, and
// only the unrelated distance (and so the ratio) is null.
TEST(Train, AltRefDistanceCountsEveryValidationPairWhateverTheBatches) {
  fs::path root = fs::fresh_dir("oncolm_train_distance_batches");
  std::string windows = write_windows_dir(root / "windows", 4, 3, 54, 21);
  std::map<std::int64_t, json> step0;
  for (std::int64_t tokens : {std::int64_t{4096}, std::int64_t{40}}) {
    TrainOptions o = small_run(v2_model, windows, root / ("out" + std::to_string(tokens)));
    o.objective = Objective::contrastive;
    o.steps = 1;
    o.batch_tokens = tokens;
    o.validation_fraction = 0.5;
    run_training(o);
    step0[tokens] = of_split(read_metrics(o.out_dir), "validation").at(0);
  }
  const json& together = step0[4096];
  const json& alone = step0[40];
  EXPECT_EQ(together["distance_pairs"]["alt_ref"], 6);  // 2 validation donors of 3 variants
  EXPECT_EQ(alone["distance_pairs"]["alt_ref"], 6);
  EXPECT_EQ(together["distance_pairs"]["unrelated"], 30);
  EXPECT_EQ(alone["distance_pairs"]["unrelated"], 0);
  EXPECT_NEAR(alone["alt_ref_distance"].get<double>(), together["alt_ref_distance"].get<double>(), 1e-6);
  EXPECT_NEAR(alone["projected_alt_ref_distance"].get<double>(), together["projected_alt_ref_distance"].get<double>(),
              1e-6);
  EXPECT_TRUE(alone["unrelated_distance"].is_null());
  EXPECT_TRUE(alone["alt_ref_distance_ratio"].is_null());
  EXPECT_TRUE(together["alt_ref_distance_ratio"].is_number());
  fs::remove_all(root);
}

TEST(Train, EpochsSetTheStepCountWhenStepsIsZero) {
  fs::path root = fs::fresh_dir("oncolm_train_epochs");
  std::string windows = write_windows_dir(root / "windows", 2, 4, 48, 10);
  TrainOptions o = small_run(v2_model, windows, root / "out");
  o.steps = 0;
  o.epochs = 2;
  o.validation_fraction = 0;
  o.batch_tokens = 50;  // 16 sequences of ~9 tokens: a few per batch
  TrainResult result = run_training(o);
  json provenance = json::parse(read_text(o.out_dir + "/train.json"));
  const std::int64_t batches = provenance["batches_per_epoch"].get<std::int64_t>();
  EXPECT_GT(batches, 2);
  EXPECT_EQ(result.steps, 2 * batches);
  fs::remove_all(root);
}

TEST(Train, SvJunctionWindowsGiveAnAltWithTwoReferenceWindows) {
  fs::path root = fs::fresh_dir("oncolm_train_sv");
  std::string windows = write_windows_dir(root / "windows", 2, 2, 48, 11);
  std::mt19937 rng(12);
  std::string fasta, fai, tsv = "sample_id\tid\tref1_offset\tref1_record\tref2_offset\tref2_record\talt_record\talt_junction_offset\n";
  for (int j = 0; j < 2; ++j) {
    std::string name = "S0_sv" + std::to_string(j);
    for (const char* part : {"_REF1", "_REF2", "_ALT"}) {
      fasta += ">" + name + part + "\n" + window_bases(rng, 48, false) + "\n";
      fai += name + part + "\t48\t0\t48\t49\n";
    }
    tsv += "S0\tsv" + std::to_string(j) + "\t24\t" + name + "_REF1\t24\t" + name + "_REF2\t" + name + "_ALT\t24\n";
  }
  write_gzip(windows + "/S0.sv_windows.fa.gz", fasta);
  std::ofstream(windows + "/S0.sv_windows.fa.gz.fai") << fai;
  write_gzip(windows + "/S0.sv_windows.tsv.gz", tsv);
  Corpus corpus = load_corpus({windows});
  std::size_t junctions = 0;
  for (const auto& pair : corpus.pairs)
    if (pair.refs.size() == 2) {
      ++junctions;
      EXPECT_EQ(corpus.sequences[pair.refs[0]].site->allele, "REF1");
      EXPECT_EQ(corpus.sequences[pair.refs[1]].site->allele, "REF2");
      EXPECT_EQ(corpus.sequences[pair.alt].site->allele, "ALT");
      EXPECT_EQ(corpus.sources[corpus.sequences[pair.alt].source].donor, "D0");
    }
  EXPECT_EQ(junctions, 2u);
  EXPECT_EQ(corpus.pairs.size(), 2u * 2 + 2);
  TrainOptions o = small_run(v2_model, windows, root / "out");
  o.objective = Objective::contrastive;
  o.validation_fraction = 0;
  o.steps = 2;
  EXPECT_EQ(run_training(o).steps, 2);
  fs::remove_all(root);
}

// Sample ids with characters the file names replace (TCGA-..., PCAWG's UUIDs): the donor of an SV junction
// file is found through the manifest's sv_fasta column, not by the id.
TEST(Train, DonorsOfSvJunctionFilesComeFromTheManifestWhenIdsDifferFromFileNames) {
  fs::path root = fs::fresh_dir("oncolm_train_sv_ids");
  std::string windows = write_windows_dir(root / "windows", 2, 2, 48, 16);
  std::mt19937 rng(17);
  std::string fasta, fai, tsv = "sample_id\tid\tref1_offset\tref1_record\tref2_offset\tref2_record\talt_record\talt_junction_offset\n";
  for (const char* part : {"_REF1", "_REF2", "_ALT"}) {
    fasta += std::string(">S1_sv0") + part + "\n" + window_bases(rng, 48, false) + "\n";
    fai += std::string("S1_sv0") + part + "\t48\t0\t48\t49\n";
  }
  tsv += "DO-1\tsv0\t24\tS1_sv0_REF1\t24\tS1_sv0_REF2\tS1_sv0_ALT\t24\n";
  write_gzip(windows + "/S1.sv_windows.fa.gz", fasta);
  std::ofstream(windows + "/S1.sv_windows.fa.gz.fai") << fai;
  write_gzip(windows + "/S1.sv_windows.tsv.gz", tsv);
  std::ofstream(windows + "/manifest.tsv")
      << "sample_id\tdonor_id\tfasta\ttsv\tsv_fasta\tsv_tsv\tstats\n"
      << "DO-0\tdonor-0\tS0.windows.fa.gz\tS0.windows.tsv.gz\t\t\tS0.stats.json\n"
      << "DO-1\tdonor-1\tS1.windows.fa.gz\tS1.windows.tsv.gz\tS1.sv_windows.fa.gz\tS1.sv_windows.tsv.gz\tS1.stats.json\n";
  Corpus corpus = load_corpus({windows});
  std::size_t junctions = 0;
  for (const auto& pair : corpus.pairs) {
    const std::string& donor = corpus.sources[corpus.sequences[pair.alt].source].donor;
    if (pair.refs.size() == 2) {
      ++junctions;
      EXPECT_EQ(donor, "donor-1");
    } else {
      EXPECT_TRUE(donor == "donor-0" || donor == "donor-1") << donor;
    }
  }
  EXPECT_EQ(junctions, 1u);
  fs::remove_all(root);
}

TEST(Train, ActivationCheckpointingLeavesTheRunUnchanged) {
  fs::path root = fs::fresh_dir("oncolm_train_recompute");
  std::string windows = write_windows_dir(root / "windows", 3, 3, 54, 14);
  auto options = [&](const std::string& out, bool recompute) {
    TrainOptions o = small_run(v2_model, windows, root / out);
    o.objective = Objective::both;
    o.adapters.lora_rank = 2;
    o.activation_checkpointing = recompute;
    return o;
  };
  run_training(options("plain", false));
  run_training(options("recomputed", true));
  auto plain = read_metrics((root / "plain").string()), recomputed = read_metrics((root / "recomputed").string());
  ASSERT_EQ(plain.size(), recomputed.size());
  for (std::size_t i = 0; i < plain.size(); ++i)
    for (const char* key : {"loss", "grad_norm"}) {
      if (!plain[i].contains(key)) continue;
      EXPECT_NEAR(plain[i][key].get<double>(), recomputed[i][key].get<double>(), 1e-6) << key << " " << i;
    }
  TrainOptions dropout = options("dropout", true);
  dropout.adapters.lora_dropout = 0.1;
  EXPECT_THROW(run_training(dropout), std::invalid_argument);
  fs::remove_all(root);
}

// --precision bf16 (the CUDA default) runs on CPU too: the GEMMs and attention in bfloat16 follow the
// float32 run within bfloat16's rounding, while the weights the optimizer updates, and the exported
// model, stay float32.
TEST(Train, Bf16MixedPrecisionFollowsTheFp32RunAndKeepsFloat32Weights) {
  fs::path root = fs::fresh_dir("oncolm_train_bf16");
  std::string windows = write_windows_dir(root / "windows", 3, 3, 54, 21);
  auto options = [&](const std::string& precision) {
    TrainOptions o = small_run(v2_model, windows, root / precision);
    o.objective = Objective::both;
    o.adapters.ia3 = true;
    o.precision = precision;
    return o;
  };
  run_training(options("fp32"));
  run_training(options("bf16"));
  auto fp32 = of_split(read_metrics((root / "fp32").string()), "train");
  auto bf16 = of_split(read_metrics((root / "bf16").string()), "train");
  ASSERT_EQ(fp32.size(), 4u);
  ASSERT_EQ(bf16.size(), 4u);
  double largest_difference = 0;
  for (std::size_t i = 0; i < fp32.size(); ++i)
    for (const char* key : {"mlm_loss", "contrastive_loss"}) {
      const double difference = std::abs(fp32[i][key].get<double>() - bf16[i][key].get<double>());
      largest_difference = std::max(largest_difference, difference);
      EXPECT_LT(difference, 0.05 * std::abs(fp32[i][key].get<double>())) << key << " at step " << i + 1;
    }
  EXPECT_GT(largest_difference, 1e-6) << "the bf16 run computed in float32";
  json provenance = json::parse(read_text((root / "bf16" / "train.json").string()));
  EXPECT_EQ(provenance["precision"], "bf16");
  EXPECT_EQ(json::parse(read_text((root / "fp32" / "train.json").string()))["precision"], "fp32");
  model::Checkpoint exported = model::Checkpoint::load_dir((root / "bf16" / "final").string());
  for (const auto& [name, view] : exported.tensors()) EXPECT_EQ(view.dtype, model::DType::f32) << name;
  TrainOptions wrong = options("half");
  wrong.out_dir = (root / "wrong").string();
  EXPECT_THROW(run_training(wrong), std::invalid_argument);
  fs::remove_all(root);
}

TEST(Train, KeepsTheLastNCheckpoints) {
  fs::path root = fs::fresh_dir("oncolm_train_keep");
  std::string windows = write_windows_dir(root / "windows", 2, 2, 48, 4);
  TrainOptions o = small_run(v2_model, windows, root / "out");
  o.steps = 5;
  o.checkpoint_every = 1;
  o.keep_checkpoints = 2;
  o.validation_fraction = 0;
  run_training(o);
  std::vector<std::string> names = list_directory(o.out_dir + "/checkpoints");
  EXPECT_EQ(names, (std::vector<std::string>{"step-4", "step-5"}));
  fs::remove_all(root);
}

TEST(Train, LoraExportRoundTripsThroughOncolmEmbed) {
  fs::path root = fs::fresh_dir("oncolm_train_embed");
  std::string windows = write_windows_dir(root / "windows", 2, 3, 60, 5);
  TrainOptions o = small_run(v2_model, windows, root / "out");
  o.objective = Objective::contrastive;
  o.validation_fraction = 0;
  o.lr = 5e-2;  // visible adapter values after 4 steps
  o.adapters.lora_rank = 2;
  o.adapters.lora_targets = model::parse_lora_targets("query,value,ffn-out");
  o.adapters.ia3 = true;
  run_training(o);
  std::string checkpoint = o.out_dir + "/checkpoints/step-4";
  EXPECT_EQ(layout(o.out_dir + "/final/adapter.safetensors"), layout(checkpoint + "/adapter.safetensors"));
  EXPECT_EQ(layout(o.out_dir + "/final/model.safetensors"), layout(v2_model + "/model.safetensors"));
  // adapter_config.json's target_modules (PEFT full-matches a string as a regular expression) names
  // exactly the modules that hold LoRA tensors: attention.output.dense is not output.dense.
  json peft = json::parse(read_text(o.out_dir + "/final/adapter_config.json"));
  EXPECT_EQ(peft["peft_type"], "LORA");
  const std::regex targets(peft["target_modules"].get<std::string>());
  std::set<std::string> adapted_modules;
  for (const auto& [name, shape] : layout(o.out_dir + "/final/adapter.safetensors")) {
    const std::string prefix = "base_model.model.", suffix = ".lora_A.weight";
    if (name.size() > suffix.size() && name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0)
      adapted_modules.insert(name.substr(prefix.size(), name.size() - prefix.size() - suffix.size()));
  }
  ASSERT_EQ(adapted_modules.size(), 3u * static_cast<std::size_t>(model::NtConfig::load_dir(v2_model).num_layers));
  for (const auto& module : adapted_modules) EXPECT_TRUE(std::regex_match(module, targets)) << module;
  for (const char* other : {"esm.encoder.layer.0.attention.output.dense", "esm.encoder.layer.1.attention.self.key",
                            "esm.encoder.layer.0.intermediate.dense", "lm_head.dense"})
    EXPECT_FALSE(std::regex_match(std::string(other), targets)) << other;
  // The unmerged adapter model, rebuilt from the checkpoint.
  c10::InferenceMode guard;
  model::NtConfig config = model::NtConfig::load_dir(v2_model);
  model::NtEncoder adapted(config, model::Checkpoint::load_safetensors(checkpoint + "/model.safetensors"));
  adapted.add_adapters(o.adapters);
  adapted.load_adapters(model::Checkpoint::load_safetensors(checkpoint + "/adapter.safetensors"), "adapter");
  model::NtEncoder base(config, model::Checkpoint::load_dir(v2_model));
  // `oncolm embed` on the merged final/ directory.
  std::string fasta = (root / "x.fa").string();
  std::ofstream(fasta) << ">one\nACGTTGCATGCAAGGTCCATTGACCATGAGGTACCA\n>two\nTTGACCAGTGGCAACGTATTTGACCAGTACGATTGCAGG\n";
  std::string output;
  ASSERT_EQ(run_command(std::string(ONCOLM_BINARY) + " embed --threads 1 --model " + o.out_dir + "/final -o " +
                            (root / "emb").string() + " " + fasta, output), 0) << output;
  std::int64_t rows = 0;
  std::vector<float> embedded = read_npy_floats((root / "emb" / "x.emb.npy").string(), rows);
  ASSERT_EQ(rows, 2);
  model::Tokenizer tokenizer(model::Vocabulary::load(v2_model + "/vocab.txt"));
  const char* sequences[] = {"ACGTTGCATGCAAGGTCCATTGACCATGAGGTACCA", "TTGACCAGTGGCAACGTATTTGACCAGTACGATTGCAGG"};
  for (int r = 0; r < 2; ++r) {
    auto encoding = tokenizer.encode(sequences[r]);
    auto ids = at::tensor(std::vector<std::int64_t>(encoding.ids.begin(), encoding.ids.end())).view({1, -1});
    auto expected = model::masked_mean(adapted.forward(ids, at::Tensor()).selected, at::Tensor())[0];
    auto untrained = model::masked_mean(base.forward(ids, at::Tensor()).selected, at::Tensor())[0];
    auto got = at::from_blob(embedded.data() + r * config.hidden_size, {config.hidden_size}, at::kFloat);
    EXPECT_LT((got - expected).abs().max().item<double>(), 1e-5) << "record " << r;
    EXPECT_GT((got - untrained).abs().max().item<double>(), 1e-3) << "training should have changed record " << r;
  }
  fs::remove_all(root);
}

TEST(Train, MlmValidationLossFallsWhileFineTuning) {
  fs::path root = fs::fresh_dir("oncolm_train_falls");
  std::string windows = write_windows_dir(root / "windows", 4, 6, 72, 6, true);
  TrainOptions o = small_run(v2_model, windows, root / "out");
  o.steps = 30;
  o.eval_every = 10;
  o.log_every = 10;
  o.lr = 2e-3;
  o.warmup_steps = 3;
  run_training(o);
  auto validation = of_split(read_metrics(o.out_dir), "validation");
  ASSERT_EQ(validation.size(), 4u);  // before training, steps 10, 20, 30
  const double first = validation.front()["mlm_loss"].get<double>(), last = validation.back()["mlm_loss"].get<double>();
  EXPECT_LT(last, first - 1.0) << "validation MLM loss " << first << " -> " << last;
  EXPECT_GE(validation.back()["mlm_accuracy"].get<double>(), validation.front()["mlm_accuracy"].get<double>());
  fs::remove_all(root);
}

// --- bad input: each a clear error before any training step ---

class BadInput : public testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::fresh_dir("oncolm_train_bad");
    windows_ = write_windows_dir(root_ / "windows", 2, 2, 48, 7);
  }
  void TearDown() override { fs::remove_all(root_); }
  TrainOptions options() { return small_run(v2_model, windows_, root_ / "out"); }

  // Runs and returns the error message; fails when nothing is thrown or a step was taken.
  template <typename Error>
  std::string error_of(const TrainOptions& o) {
    const std::string metrics = o.out_dir + "/metrics.jsonl";
    const std::string before = fs::exists(metrics) ? read_text(metrics) : "absent";
    try {
      run_training(o);
    } catch (const Error& error) {
      EXPECT_EQ(fs::exists(metrics) ? read_text(metrics) : "absent", before) << "a step ran before the error";
      return error.what();
    }
    ADD_FAILURE() << "no error";
    return "";
  }
  fs::path root_;
  std::string windows_;
};

TEST_F(BadInput, MissingOrMalformedModelDirectory) {
  TrainOptions o = options();
  o.model_dir = (root_ / "no_model").string();
  EXPECT_NE(error_of<InputError>(o).find("no_model"), std::string::npos);
  fs::create_directories(root_ / "broken");
  std::ofstream(root_ / "broken" / "config.json") << "{\"hidden_size\": 64";
  o.model_dir = (root_ / "broken").string();
  EXPECT_NE(error_of<InputError>(o).find("config.json"), std::string::npos);
}

TEST_F(BadInput, InputWithoutWindows) {
  fs::create_directories(root_ / "empty");
  TrainOptions o = options();
  o.inputs = {(root_ / "empty").string()};
  EXPECT_NE(error_of<InputError>(o).find("windows.fa.gz"), std::string::npos);
}

TEST_F(BadInput, ContrastiveWithoutPairs) {
  std::ofstream(root_ / "plain.fa") << ">a\nACGTACGTACGTAAGGCCTT\n>b\nTTGGCCAATTGGCCAAGGTT\n";
  TrainOptions o = options();
  o.inputs = {(root_ / "plain.fa").string()};
  o.objective = Objective::contrastive;
  std::string message = error_of<InputError>(o);
  EXPECT_NE(message.find("plain.fa: plain FASTA holds no REF/ALT pairs"), std::string::npos) << message;
  // Beside windows, with `both`: its records would not be trained on at all, so it is refused too.
  TrainOptions mixed = options();
  mixed.inputs.push_back((root_ / "plain.fa").string());
  mixed.objective = Objective::both;
  message = error_of<InputError>(mixed);
  EXPECT_NE(message.find("plain.fa: plain FASTA holds no REF/ALT pairs, and --objective both trains on pairs only"),
            std::string::npos) << message;
}

TEST_F(BadInput, SequenceLongerThanTheModelNamesItAndTheMaxTokensChoice) {
  std::mt19937 rng(1);
  std::string v1_limit_breaker = window_bases(rng, 6 * 1001, false);  // 1,001 6-mers + <cls> > 1,000 positions
  std::ofstream(root_ / "long.fa") << ">short\nACGTACGTACGT\n>too_long\n" << v1_limit_breaker << "\n";
  TrainOptions o = options();
  o.model_dir = v1_model;
  o.inputs = {(root_ / "long.fa").string()};
  o.validation_fraction = 0;
  std::string message = error_of<InputError>(o);
  EXPECT_NE(message.find("too_long"), std::string::npos) << message;
  EXPECT_NE(message.find("--max-tokens"), std::string::npos) << message;
  o.max_tokens = 100;  // the centre-keeping choice trains
  o.steps = 1;
  EXPECT_EQ(run_training(o).steps, 1);
}

TEST_F(BadInput, ResumeFromAnotherObjectiveOrOtherDataNamesTheDifference) {
  TrainOptions o = options();
  o.steps = 2;
  run_training(o);
  TrainOptions other = options();
  other.resume = true;
  other.objective = Objective::both;
  std::string message = error_of<InputError>(other);
  EXPECT_NE(message.find("objective"), std::string::npos) << message;
  other.objective = Objective::mlm;
  other.model_dir = v1_model;
  message = error_of<InputError>(other);
  EXPECT_NE(message.find("model"), std::string::npos) << message;
  other.model_dir = v2_model;
  other.batch_tokens = o.batch_tokens * 2;  // another batch plan: the saved data position would mean nothing
  message = error_of<InputError>(other);
  EXPECT_NE(message.find("--batch-tokens"), std::string::npos) << message;
  other.batch_tokens = o.batch_tokens;
  other.masking.fraction = 0.3;
  message = error_of<InputError>(other);
  EXPECT_NE(message.find("--mask-fraction"), std::string::npos) << message;
  other.masking.fraction = o.masking.fraction;
  other.log_every = 5;  // how often it reports may change
  other.threads = 2;
  EXPECT_EQ(run_training(other).steps, other.steps);  // and a longer run continues
  const std::string fasta = windows_ + "/S0.windows.fa.gz";
  write_gzip(fasta, ">S0_v0_REF\nACGTACGTACGTACGTAAGG\n>S0_v0_ALT\nACGTACGTAAGTACGTAAGG\n");
  message = error_of<InputError>(other);
  EXPECT_NE(message.find("S0.windows.fa.gz"), std::string::npos) << message;
}

// The same inputs in another order make other batches: a resume names the order to give.
TEST_F(BadInput, ResumeWithTheInputsInAnotherOrderNamesTheOrder) {
  std::ofstream(root_ / "a.fa") << ">a1\nACGTACGTACGTAAGGCCTTACGT\n>a2\nTTGGCCAATTGGCCAAGGTTACGA\n";
  std::ofstream(root_ / "b.fa") << ">b1\nGGCCTTAACCGGTTAACCGGTTAA\n>b2\nCATGCATGCATGCATGCATGCATG\n";
  TrainOptions o = options();
  o.objective = Objective::mlm;
  o.validation_fraction = 0;
  o.steps = 1;
  o.out_dir = (root_ / "ordered").string();
  o.inputs = {(root_ / "a.fa").string(), (root_ / "b.fa").string()};
  ASSERT_EQ(run_training(o).steps, 1);
  TrainOptions reversed = o;
  reversed.resume = true;
  reversed.steps = 2;
  reversed.inputs = {(root_ / "b.fa").string(), (root_ / "a.fa").string()};
  std::string message = error_of<InputError>(reversed);
  EXPECT_NE(message.find("the inputs are the checkpoint's in another order"), std::string::npos) << message;
  EXPECT_NE(message.find((root_ / "a.fa").string() + " " + (root_ / "b.fa").string()), std::string::npos) << message;
}

TEST_F(BadInput, ModelWithoutMlmHeadIsRefusedBeforeOverwriteRemovesAnything) {
  TrainOptions o = options();
  o.steps = 1;
  run_training(o);
  const std::string headless = (root_ / "headless").string();
  fs::create_directories(headless);
  for (const char* name : {"config.json", "vocab.txt", "tokenizer_config.json", "special_tokens_map.json"})
    fs::copy_file(v2_model + "/" + name, headless + "/" + name);
  model::Checkpoint full = model::Checkpoint::load_dir(v2_model);
  std::vector<model::NamedTensor> kept;
  for (const auto& [name, view] : full.tensors())
    if (name.rfind("lm_head.", 0) != 0) kept.push_back({name, model::tensor_from_view(view)});
  model::save_tensors(headless + "/model.safetensors", kept, {{"format", "pt"}});
  TrainOptions bad = options();
  bad.model_dir = headless;
  bad.overwrite = true;
  std::string message = error_of<InputError>(bad);
  EXPECT_NE(message.find("no MLM head"), std::string::npos) << message;
  EXPECT_TRUE(fs::exists(root_ / "out" / "final" / "model.safetensors")) << "the earlier run was removed";
  EXPECT_TRUE(fs::exists(root_ / "out" / "train.json"));
}

TEST_F(BadInput, InvalidValues) {
  auto expect_invalid = [&](const std::function<void(TrainOptions&)>& change, const std::string& option) {
    TrainOptions o = options();
    change(o);
    std::string message = error_of<std::invalid_argument>(o);
    EXPECT_NE(message.find(option), std::string::npos) << message;
  };
  expect_invalid([](TrainOptions& o) { o.masking.fraction = 0; }, "--mask-fraction");
  expect_invalid([](TrainOptions& o) { o.masking.fraction = 1; }, "--mask-fraction");
  expect_invalid([](TrainOptions& o) { o.batch_tokens = 0; }, "--batch-tokens");
  expect_invalid([](TrainOptions& o) { o.steps = -3; }, "--steps");
  expect_invalid([](TrainOptions& o) { o.checkpoint_every = 0; }, "--checkpoint-every");
  expect_invalid([](TrainOptions& o) { o.validation_fraction = 1; }, "--validation-fraction");
  expect_invalid([](TrainOptions& o) { o.lr = std::numeric_limits<double>::infinity(); }, "--lr");
  expect_invalid([](TrainOptions& o) { o.lr = std::nan(""); }, "--lr");
  expect_invalid([](TrainOptions& o) { o.temperature = std::nan(""); }, "--temperature");
  expect_invalid([](TrainOptions& o) { o.early_stopping_patience = -1; }, "--early-stopping");
  // Early stopping without validation during the run would never act.
  expect_invalid([](TrainOptions& o) { o.early_stopping_patience = 2; o.validation_fraction = 0; },
                 "--early-stopping 2 needs validation during the run");
  expect_invalid([](TrainOptions& o) { o.early_stopping_patience = 2; o.eval_every = 0; },
                 "--early-stopping 2 needs validation during the run");
  try {
    model::parse_lora_targets("query,gate");
    ADD_FAILURE() << "unknown LoRA target accepted";
  } catch (const std::invalid_argument& error) {
    EXPECT_NE(std::string(error.what()).find("'gate'"), std::string::npos);
  }
}

// A learning rate that makes the loss NaN stops the run at that step, before the optimizer writes
// NaN into the weights: no final/ model, and the checkpoints written before it stay loadable.
TEST_F(BadInput, DivergingRunStopsWithoutWritingANanModel) {
  TrainOptions o = options();
  o.steps = 6;
  o.checkpoint_every = 1;
  o.warmup_steps = 0;
  o.lr = 1e30;
  try {
    run_training(o);
    ADD_FAILURE() << "a diverging run finished";
  } catch (const std::runtime_error& error) {
    EXPECT_NE(std::string(error.what()).find("the gradients are not finite"), std::string::npos) << error.what();
  }
  EXPECT_FALSE(fs::exists(root_ / "out" / "final"));
  std::size_t checkpoints = 0;
  for (const auto& entry : fs::directory_iterator(root_ / "out" / "checkpoints")) {
    ++checkpoints;
    model::Checkpoint checkpoint = model::Checkpoint::load_dir(entry.path().string());
    for (const auto& [name, view] : checkpoint.tensors())
      EXPECT_TRUE(model::tensor_from_view(view).isfinite().all().item<bool>()) << entry.path() << " " << name;
  }
  EXPECT_LT(checkpoints, 6u) << "the run should stop before its last step";
}

// Resuming a finished run to train it longer removes its final/ first: a run killed part way must
// not leave the shorter run's model as the result of the longer one.
TEST_F(BadInput, ResumingToTrainLongerRemovesTheEarlierFinalModel) {
  TrainOptions o = options();
  o.steps = 2;
  run_training(o);
  ASSERT_TRUE(fs::exists(root_ / "out" / "final"));
  // Resumed with nothing left to do, the run ends as it did, its last train loss included.
  const json finished = json::parse(read_text((root_ / "out" / "train.json").string()))["result"];
  ASSERT_TRUE(finished["last_train_loss"].is_number());
  o.resume = true;
  run_training(o);
  EXPECT_EQ(json::parse(read_text((root_ / "out" / "train.json").string()))["result"]["last_train_loss"],
            finished["last_train_loss"]);
  o.steps = 4;
  o.resume = true;
  o.after_step = [](std::int64_t step) {
    if (step == 3) throw std::runtime_error("stopped at step 3");
  };
  EXPECT_THROW(run_training(o), std::runtime_error);
  EXPECT_FALSE(fs::exists(root_ / "out" / "final"));
  o.after_step = nullptr;
  EXPECT_EQ(run_training(o).steps, 4);
  EXPECT_TRUE(fs::exists(root_ / "out" / "final"));
}

TEST_F(BadInput, OutputDirectoryHoldingAnotherRun) {
  TrainOptions o = options();
  o.steps = 1;
  run_training(o);
  std::string message = error_of<InputError>(o);
  EXPECT_NE(message.find("--resume"), std::string::npos) << message;
  EXPECT_NE(message.find("--overwrite"), std::string::npos) << message;
  o.overwrite = true;
  EXPECT_EQ(run_training(o).steps, 1);
  TrainOptions nothing = options();
  nothing.out_dir = (root_ / "fresh").string();
  nothing.resume = true;
  EXPECT_NE(error_of<InputError>(nothing).find("no checkpoints"), std::string::npos);
  // --overwrite would delete the model it is asked to start from.
  TrainOptions from_own_final = options();
  from_own_final.model_dir = (root_ / "out" / "final").string();
  from_own_final.overwrite = true;
  EXPECT_NE(error_of<InputError>(from_own_final).find("which --overwrite removes"), std::string::npos);
  EXPECT_TRUE(fs::exists(root_ / "out" / "final" / "model.safetensors"));
}

// best/ written after the checkpoint a run resumes from (a kill between the two) does not survive
// into the resumed run unless it is that run's best: best/best.json and train.json always agree.
TEST_F(BadInput, ResumeNeverKeepsABestDirectoryOfAnotherHistory) {
  TrainOptions o = options();
  o.steps = 2;
  run_training(o);
  const std::string about = (root_ / "out" / "best" / "best.json").string();
  json best = json::parse(read_text(about));
  best["step"] = 7;  // as if written at a step after the last checkpoint
  std::ofstream(about) << best.dump();
  o.steps = 4;
  o.resume = true;
  run_training(o);
  const json result = json::parse(read_text((root_ / "out" / "train.json").string()))["result"];
  if (fs::exists(root_ / "out" / "best")) {
    EXPECT_EQ(result["best"], "best/");
    EXPECT_EQ(json::parse(read_text(about))["step"], result["best_step"]);
  } else {
    EXPECT_TRUE(result["best"].is_null());
  }
}

}  // namespace

namespace {

TEST(TrainCli, OptionsFromJsonOrTomlConfigWithTheCommandLineWinning) {
  fs::path root = fs::fresh_dir("oncolm_train_cli");
  std::string windows = write_windows_dir(root / "windows", 3, 2, 48, 8);
  std::ofstream(root / "train.json") << "{\"lr\": 0.002, \"steps\": 5, \"lora-rank\": 2, \"lora-targets\": \"query,ffn-out\","
                                        " \"ia3\": true, \"validation-fraction\": 0}\n";
  std::ofstream(root / "train.toml") << "lr = 0.003\nsteps = 5\nobjective = \"both\"\nvalidation-fraction = 0.34\n";
  const std::string binary = ONCOLM_BINARY;
  std::string output;
  ASSERT_EQ(run_command(binary + " train --threads 1 --model " + v2_model + " -o " + (root / "a").string() + " --config " +
                            (root / "train.json").string() + " --steps 2 " + windows, output), 0) << output;
  json config = json::parse(read_text((root / "a" / "train.json").string()))["config"];
  EXPECT_DOUBLE_EQ(config["lr"].get<double>(), 0.002);
  EXPECT_EQ(config["steps"], 2) << "the command line wins over the file";
  EXPECT_EQ(config["lora-rank"], 2);
  EXPECT_EQ(config["lora-targets"], "query,ffn-out");
  EXPECT_EQ(config["ia3"], true);
  EXPECT_TRUE(fs::exists(root / "a" / "final" / "adapter.safetensors"));
  ASSERT_EQ(run_command(binary + " train --threads 1 --model " + v2_model + " -o " + (root / "b").string() + " --config " +
                            (root / "train.toml").string() + " --steps 1 " + windows, output), 0) << output;
  config = json::parse(read_text((root / "b" / "train.json").string()))["config"];
  EXPECT_DOUBLE_EQ(config["lr"].get<double>(), 0.003);
  EXPECT_EQ(config["objective"], "both");
  // --resume OUTDIR continues that run (here: already complete, so no further step).
  ASSERT_EQ(run_command(binary + " train --threads 1 --model " + v2_model + " --resume " + (root / "b").string() +
                            " --config " + (root / "train.toml").string() + " --steps 1 " + windows, output), 0) << output;
  // --resume OUTDIR alone continues with the options train.json recorded (here two more steps).
  ASSERT_EQ(run_command(binary + " train --threads 1 --model " + v2_model + " -o " + (root / "d").string() +
                            " --steps 2 --log-every 1 --lr 0.002 " + windows, output), 0) << output;
  // (The recorded options pass through a temporary file in $TMPDIR, removed afterwards.)
  fs::create_directories(root / "tmp");
  ASSERT_EQ(run_command("cd / && TMPDIR=" + (root / "tmp").string() + " " + binary + " train --resume " +
                            (root / "d").string() + " --steps 4", output), 0)
      << output;
  EXPECT_TRUE(fs::is_empty(root / "tmp"));
  EXPECT_NE(run_command("TMPDIR=" + (root / "no_such_dir").string() + " " + binary + " train --resume " +
                            (root / "d").string() + " --steps 5", output), 0);
  EXPECT_NE(output.find("cannot create a temporary file " + (root / "no_such_dir").string() + "/oncolm-resume-"),
            std::string::npos) << output;
  auto resumed = of_split(read_metrics((root / "d").string()), "train");
  ASSERT_EQ(resumed.size(), 4u);
  EXPECT_EQ(resumed.back()["step"], 4);
  json continued = json::parse(read_text((root / "d" / "train.json").string()))["config"];
  EXPECT_DOUBLE_EQ(continued["lr"].get<double>(), 0.002);
  EXPECT_EQ(continued["log-every"], 1);
  // Keys of --config are option names: a misspelt one, or a TOML table, is an error.
  std::ofstream(root / "typo.json") << "{\"stepz\": 2}\n";
  EXPECT_NE(run_command(binary + " train --model " + v2_model + " -o " + (root / "c").string() + " --config " +
                            (root / "typo.json").string() + " " + windows, output), 0);  // CLI11's usage status
  EXPECT_NE(output.find("--stepz"), std::string::npos) << output;
  std::ofstream(root / "table.toml") << "[train]\nsteps = 1\n";
  EXPECT_NE(run_command(binary + " train --model " + v2_model + " -o " + (root / "c").string() + " --config " +
                            (root / "table.toml").string() + " " + windows, output), 0);  // CLI11's usage status
  EXPECT_NE(output.find("[train]"), std::string::npos) << output;
  // A key without a value is an error, not 0 (CLI11 alone reads `lr =` as an empty string).
  for (const char* text : {"lr =\nsteps = 1\n", "{\"lr\": \"\", \"steps\": 1}\n"}) {
    std::ofstream(root / "empty.cfg") << text;
    EXPECT_NE(run_command(binary + " train --model " + v2_model + " -o " + (root / "c").string() + " --config " +
                              (root / "empty.cfg").string() + " " + windows, output), 0) << text;
    EXPECT_NE(output.find("'lr' has no value"), std::string::npos) << output;
    EXPECT_FALSE(fs::exists(root / "c" / "train.json")) << text;
  }
  // Bad values are errors naming the option, with exit status 1.
  EXPECT_EQ(run_command(binary + " train --model " + v2_model + " -o " + (root / "c").string() + " --mask-fraction 1.5 " +
                            windows, output), 1);
  EXPECT_NE(output.find("--mask-fraction"), std::string::npos) << output;
  EXPECT_EQ(run_command(binary + " train --model " + v2_model + " -o " + (root / "c").string() + " --lora-rank 2 "
                            "--lora-targets query,gate " + windows, output), 1);
  EXPECT_NE(output.find("'gate'"), std::string::npos) << output;
  // --resume of a directory whose train.json is damaged, or that has none: an error naming the file.
  std::ofstream(root / "d" / "train.json") << "{";
  EXPECT_EQ(run_command(binary + " train --resume " + (root / "d").string(), output), 1) << output;
  EXPECT_NE(output.find((root / "d" / "train.json").string() + ": not valid JSON"), std::string::npos) << output;
  std::ofstream(root / "d" / "train.json") << "[]";
  EXPECT_EQ(run_command(binary + " train --resume " + (root / "d").string(), output), 1) << output;
  EXPECT_NE(output.find("no 'config' object"), std::string::npos) << output;
  EXPECT_EQ(run_command(binary + " train --resume " + (root / "nowhere").string(), output), 1) << output;
  EXPECT_NE(output.find((root / "nowhere" / "train.json").string() + ": missing"), std::string::npos) << output;
  fs::remove_all(root);
}

}  // namespace

namespace {

TEST(TrainCli, SigintWritesACheckpointAtTheNextStepAndExitsWithTempfail) {
  fs::path root = fs::fresh_dir("oncolm_train_cli_signal");
  std::string windows = write_windows_dir(root / "windows", 2, 2, 48, 13);
  const std::string out = (root / "out").string(), status_file = (root / "status").string();
  // A run far longer than the test: interrupted two seconds in (well after setup), as a scheduler would.
  std::string script = std::string(ONCOLM_BINARY) + " train --threads 1 --validation-fraction 0 --steps 10000000 "
                       "--checkpoint-every 1000000 --model " + v2_model + " -o " + out + " " + windows +
                       " 2>/dev/null & pid=$!; sleep 2; kill -INT $pid; wait $pid; echo $? > " + status_file;
  ASSERT_EQ(std::system(("bash -c '" + script + "'").c_str()), 0);
  EXPECT_EQ(read_text(status_file), "75\n");
  std::vector<std::string> checkpoints = list_directory(out + "/checkpoints");
  ASSERT_EQ(checkpoints.size(), 1u);
  EXPECT_TRUE(fs::exists(fs::path(out) / "checkpoints" / checkpoints[0] / "state.json"));
  EXPECT_FALSE(fs::exists(fs::path(out) / "final"));
  json state = json::parse(read_text(out + "/checkpoints/" + checkpoints[0] + "/state.json"));
  EXPECT_EQ("step-" + std::to_string(state["step"].get<std::int64_t>()), checkpoints[0]);
  EXPECT_GT(state["step"].get<std::int64_t>(), 0);
  fs::remove_all(root);
}

// Data parallel (c10d/Gloo): 2 processes with one micro-batch each take the steps one process takes
// with two micro-batches per step: the same losses, gradient norms and final weights within 1e-5 (the
// gradients all-reduced in small buckets during backward).
TEST(TrainDataParallel, TwoProcessesFollowTheOneProcessRunWithTheSameGlobalBatch) {
  fs::path root = fs::fresh_dir("oncolm_train_ddp");
  std::string windows = write_windows_dir(root / "windows", 4, 3, 54, 31);
  const std::string common = std::string(ONCOLM_BINARY) + " train --model " + v2_model +
                             " --objective both --lora-rank 2 --steps 4 --batch-tokens 256 --lr 1e-3 --log-every 1 "
                             "--eval-every 2 --validation-fraction 0.25 --threads 1 " + windows;
  std::string output;
  ASSERT_EQ(run_command(common + " -o " + (root / "one").string() + " --grad-accumulation 2", output), 0) << output;
  // LoRA adapters and the projection head in 4 KB buckets: several, sent while backward runs.
  ASSERT_EQ(run_command("ONCOLM_GRAD_BUCKET_KB=4 ONCOLM_GRAD_FIRST_BUCKET_KB=1 " + common + " -o " +
                        (root / "two").string() + " --nproc 2", output), 0) << output;
  auto one = read_metrics((root / "one").string()), two = read_metrics((root / "two").string());
  ASSERT_EQ(one.size(), two.size());
  std::size_t compared = 0;
  for (std::size_t i = 0; i < one.size(); ++i)
    for (const char* key : {"loss", "mlm_loss", "contrastive_loss", "grad_norm"}) {
      if (!one[i].contains(key) || one[i][key].is_null()) continue;
      EXPECT_NEAR(one[i][key].get<double>(), two[i][key].get<double>(), 1e-5) << key << " in line " << i;
      ++compared;
    }
  EXPECT_GT(compared, 12u);
  json provenance = json::parse(read_text((root / "two" / "train.json").string()));
  EXPECT_EQ(provenance["data_parallel"]["ranks"], 2);
  EXPECT_EQ(provenance["data_parallel"]["micro_batches_per_step"], 2);
  EXPECT_GE(provenance["data_parallel"]["gradient_buckets"].get<int>(), 3) << provenance["data_parallel"].dump();
  EXPECT_EQ(provenance["result"]["gradient_all_reduce"]["buckets_sent_during_last_backward"],
            provenance["data_parallel"]["gradient_buckets"]);
  auto a = model::Checkpoint::load_dir((root / "one" / "final").string());
  auto b = model::Checkpoint::load_dir((root / "two" / "final").string());
  for (const auto& [name, view] : a.tensors()) {
    const model::TensorView* other = b.find(name);
    ASSERT_NE(other, nullptr) << name;
    EXPECT_LT((model::tensor_from_view(view) - model::tensor_from_view(*other)).abs().max().item<double>(), 1e-5)
        << name;
  }
  // Resumed on one process: allowed, and said, since each step then takes half the micro-batches.
  ASSERT_EQ(run_command(std::string(ONCOLM_BINARY) + " train --resume " + (root / "two").string() + " --steps 5",
                        output), 0) << output;
  EXPECT_NE(output.find("trained on 2 rank(s) and resumes on 1"), std::string::npos) << output;
  // --epochs counts the micro-batches of every rank: 2 ranks take the steps of 1 process with twice
  // the accumulation, and both end where one epoch ends (its last step may take a batch of the next).
  for (const char* run : {"epoch_one", "epoch_two"}) {
    const bool two_ranks = std::string(run) == "epoch_two";
    ASSERT_EQ(run_command(common.substr(0, common.find(" --steps 4")) +
                              common.substr(common.find(" --steps 4") + 10) + " --epochs 1 -o " + (root / run).string() +
                              (two_ranks ? " --nproc 2" : " --grad-accumulation 2"),
                          output), 0) << output;
  }
  json epoch_one = json::parse(read_text((root / "epoch_one" / "train.json").string()));
  json epoch_two = json::parse(read_text((root / "epoch_two" / "train.json").string()));
  EXPECT_EQ(epoch_two["steps"], epoch_one["steps"]);
  EXPECT_EQ(epoch_one["steps"].get<long>(), (epoch_one["batches_per_epoch"].get<long>() + 1) / 2);
  const double last_epoch_one = of_split(read_metrics((root / "epoch_one").string()), "train").back()["epoch"];
  const double last_epoch_two = of_split(read_metrics((root / "epoch_two").string()), "train").back()["epoch"];
  EXPECT_DOUBLE_EQ(last_epoch_two, last_epoch_one);
  EXPECT_LT(last_epoch_two, 1.5) << "two ranks ran about two epochs";
  fs::remove_all(root);
}

// Gradients all-reduced in small buckets while backward runs (ONCOLM_GRAD_BUCKET_KB), with the lower
// layers frozen and two micro-batches per rank (only the last one communicates): 2 processes still take
// the steps of 1 process with 4 micro-batches, every bucket leaves before backward returns, and the
// same run with the all-reduce after backward (ONCOLM_GRAD_OVERLAP=0) gives the same steps.
TEST(TrainDataParallel, BucketsSentDuringBackwardWithFrozenLayersFollowTheOneProcessRun) {
  fs::path root = fs::fresh_dir("oncolm_train_ddp_buckets");
  std::string windows = write_windows_dir(root / "windows", 4, 3, 54, 37);
  const std::string common = std::string(ONCOLM_BINARY) + " train --model " + v2_model +
                             " --objective mlm --freeze-below 1 --steps 3 --batch-tokens 256 --lr 1e-3 --log-every 1 "
                             "--eval-every 3 --validation-fraction 0.25 --threads 1 " + windows;
  const std::string small_buckets = "ONCOLM_GRAD_BUCKET_KB=16 ONCOLM_GRAD_FIRST_BUCKET_KB=4 ";
  std::string output;
  ASSERT_EQ(run_command(common + " -o " + (root / "one").string() + " --grad-accumulation 4", output), 0) << output;
  ASSERT_EQ(run_command(small_buckets + common + " -o " + (root / "two").string() + " --grad-accumulation 2 --nproc 2",
                        output), 0) << output;
  ASSERT_EQ(run_command("ONCOLM_GRAD_OVERLAP=0 " + small_buckets + common + " -o " + (root / "after").string() +
                        " --grad-accumulation 2 --nproc 2", output), 0) << output;
  const auto one = read_metrics((root / "one").string());
  for (const char* run : {"two", "after"}) {
    const auto other = read_metrics((root / run).string());
    ASSERT_EQ(one.size(), other.size()) << run;
    std::size_t compared = 0;
    for (std::size_t i = 0; i < one.size(); ++i)
      for (const char* key : {"loss", "mlm_loss", "grad_norm"}) {
        if (!one[i].contains(key) || one[i][key].is_null()) continue;
        EXPECT_NEAR(one[i][key].get<double>(), other[i][key].get<double>(), 1e-5) << run << ": " << key << " in line " << i;
        ++compared;
      }
    EXPECT_GT(compared, 8u) << run;
    auto a = model::Checkpoint::load_dir((root / "one" / "final").string());
    auto b = model::Checkpoint::load_dir((root / run / "final").string());
    for (const auto& [name, view] : a.tensors()) {
      const model::TensorView* theirs = b.find(name);
      ASSERT_NE(theirs, nullptr) << name;
      EXPECT_LT((model::tensor_from_view(view) - model::tensor_from_view(*theirs)).abs().max().item<double>(), 1e-5)
          << run << ": " << name;
    }
  }
  // Layer 1, the final LayerNorm and the MLM head train: the 1 MB decoder alone, the rest in 16 KB
  // buckets; all of them get a gradient in every micro-batch, so each is sent from inside backward.
  json overlapped = json::parse(read_text((root / "two" / "train.json").string()));
  const json& layout = overlapped["data_parallel"];
  EXPECT_GE(layout["gradient_buckets"].get<int>(), 4) << layout.dump();
  EXPECT_EQ(layout["bucket_bytes"], 16 << 10);
  EXPECT_EQ(layout["overlap_with_backward"], true);
  const json& sent = overlapped["result"]["gradient_all_reduce"];
  EXPECT_EQ(sent["steps"], 3);
  EXPECT_EQ(sent["buckets_sent_during_last_backward"], layout["gradient_buckets"]) << sent.dump();
  json after = json::parse(read_text((root / "after" / "train.json").string()));
  EXPECT_EQ(after["data_parallel"]["gradient_buckets"], layout["gradient_buckets"]);
  EXPECT_EQ(after["data_parallel"]["gradient_bytes_per_step"], layout["gradient_bytes_per_step"]);
  EXPECT_EQ(after["result"]["gradient_all_reduce"]["buckets_sent_during_last_backward"], 0);
  fs::remove_all(root);
}

// A rank that dies stops the run with a message naming it; the other rank does not hang.
TEST(TrainDataParallel, AKilledRankStopsTheOthersWithAClearError) {
  fs::path root = fs::fresh_dir("oncolm_train_ddp_kill");
  std::string windows = write_windows_dir(root / "windows", 2, 2, 48, 17);
  const std::string out = (root / "out").string(), log = (root / "log").string(), status = (root / "status").string();
  std::string script = std::string(ONCOLM_BINARY) + " train --threads 1 --validation-fraction 0 --steps 10000000 "
                       "--checkpoint-every 1000000 --nproc 2 --model " + v2_model + " -o " + out + " " + windows +
                       " 2> " + log + " & pid=$!; sleep 4; kill -9 $(pgrep -P $pid | tail -1); "
                       "timeout 60 tail --pid=$pid -f /dev/null; wait $pid; echo $? > " + status;
  const auto start = std::chrono::steady_clock::now();
  ASSERT_EQ(std::system(("bash -c '" + script + "'").c_str()), 0);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_EQ(read_text(status), "1\n");
  EXPECT_LT(seconds, 40.0) << "the surviving rank was left waiting";
  const std::string messages = read_text(log);
  EXPECT_NE(messages.find("was killed by signal 9"), std::string::npos) << messages;
  EXPECT_NE(messages.find("stopping the other ranks"), std::string::npos) << messages;
  fs::remove_all(root);
}

}  // namespace
