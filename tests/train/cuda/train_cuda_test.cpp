// `oncolm train` on CUDA (label gpu; skipped without a GPU): the same short run on CPU and on the GPU
// gives the same losses step for step, within float32 reduction-order differences with
// --precision fp32 and within bfloat16 rounding with the CUDA default (bf16 GEMMs and attention,
// float32 weights), through LoRA, IA3 and both objectives (so the attention backward, SDPA on
// LibTorch 2.x, runs on the GPU).
#include <fstream>
#include <random>
#include <sstream>
#include <string>

#include <ATen/ATen.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <zlib.h>

#include "../../test_fs.h"
#include "train/trainer.h"

namespace fs = oncolm::test_fs;
using namespace oncolm;
using json = nlohmann::json;

namespace {

void write_gzip(const std::string& path, const std::string& text) {
  gzFile file = gzopen(path.c_str(), "wb");
  gzwrite(file, text.data(), static_cast<unsigned>(text.size()));
  gzclose(file);
}

std::vector<json> train_lines(const std::string& out) {
  std::ifstream in(out + "/metrics.jsonl");
  std::vector<json> lines;
  std::string line;
  while (std::getline(in, line))
    if (!line.empty() && json::parse(line)["split"] == "train") lines.push_back(json::parse(line));
  return lines;
}

TEST(TrainCuda, GpuRunMatchesTheCpuRunStepForStep) {
  ASSERT_TRUE(at::hasCUDA()) << "no CUDA device visible to LibTorch: label gpu, run on the GPU machine only";
  fs::path root = fs::fresh_dir("oncolm_train_cuda");
  fs::create_directories(root / "windows");
  std::mt19937 rng(1);
  std::string manifest = "sample_id\tdonor_id\tfasta\n";
  for (int s = 0; s < 2; ++s) {
    std::string sample = "S" + std::to_string(s), fasta, tsv = "ref\talt\toffset\tref_record\talt_record\n";
    for (int v = 0; v < 4; ++v) {
      std::string ref(60, 'A');
      for (auto& c : ref) c = "ACGT"[rng() % 4];
      std::string alt = ref;
      alt[30] = ref[30] == 'A' ? 'C' : 'A';
      std::string name = sample + "_" + std::to_string(v);
      fasta += ">" + name + "_REF\n" + ref + "\n>" + name + "_ALT\n" + alt + "\n";
      tsv += std::string(1, ref[30]) + "\t" + alt[30] + "\t30\t" + name + "_REF\t" + name + "_ALT\n";
    }
    write_gzip(root / "windows" / (sample + ".windows.fa.gz"), fasta);
    write_gzip(root / "windows" / (sample + ".windows.tsv.gz"), tsv);
    manifest += sample + "\tD" + std::to_string(s) + "\t" + sample + ".windows.fa.gz\n";
  }
  std::ofstream(root / "windows" / "manifest.tsv") << manifest;
  auto options = [&](const std::string& device, const std::string& precision) {
    train::TrainOptions o;
    o.model_dir = std::string(ONCOLM_TEST_DATA_DIR) + "/nt/nt_v2_tiny";
    o.inputs = {(root / "windows").string()};
    o.out_dir = (root / (device + "-" + precision)).string();
    o.precision = precision;
    o.objective = train::Objective::both;
    o.steps = 4;
    o.log_every = 1;
    o.validation_fraction = 0;
    o.adapters.lora_rank = 2;
    o.adapters.ia3 = true;
    o.lr = 1e-3;
    o.device = device;
    o.threads = 1;
    return o;
  };
  train::run_training(options("cpu", "fp32"));
  train::run_training(options("cuda", "fp32"));
  train::run_training(options("cuda", "auto"));
  auto cpu = train_lines((root / "cpu-fp32").string()), cuda = train_lines((root / "cuda-fp32").string());
  auto mixed = train_lines((root / "cuda-auto").string());
  ASSERT_EQ(cpu.size(), 4u);
  ASSERT_EQ(cuda.size(), 4u);
  ASSERT_EQ(mixed.size(), 4u);
  for (std::size_t i = 0; i < 4; ++i)
    for (const char* key : {"mlm_loss", "contrastive_loss"}) {
      const double reference = cpu[i][key].get<double>();
      EXPECT_NEAR(reference, cuda[i][key].get<double>(), 2e-3) << key << " at step " << i + 1;
      EXPECT_NEAR(reference, mixed[i][key].get<double>(), 0.05 * std::abs(reference)) << key << " at step " << i + 1;
    }
  std::ifstream provenance((root / "cuda-auto" / "train.json").string());
  EXPECT_EQ(json::parse(provenance)["precision"], "bf16");
  fs::remove_all(root);
}

// The NCCL path with one rank (this machine has one GPU): the process group over a FileStore, the
// gradients summed by NCCL, the same losses as the run without a process group.
TEST(TrainCuda, NcclPathRunsWithOneRank) {
  ASSERT_TRUE(at::hasCUDA()) << "no CUDA device visible to LibTorch: label gpu, run on the GPU machine only";
  ASSERT_TRUE(train::nccl_available()) << "built without c10d/NCCL (see src/CMakeLists.txt)";
  fs::path root = fs::fresh_dir("oncolm_train_nccl");
  fs::create_directories(root / "windows");
  std::mt19937 rng(2);
  std::string fasta, tsv = "ref\talt\toffset\tref_record\talt_record\n";
  for (int v = 0; v < 6; ++v) {
    std::string ref(60, 'A');
    for (auto& c : ref) c = "ACGT"[rng() % 4];
    std::string alt = ref;
    alt[30] = ref[30] == 'A' ? 'C' : 'A';
    std::string name = "S0_" + std::to_string(v);
    fasta += ">" + name + "_REF\n" + ref + "\n>" + name + "_ALT\n" + alt + "\n";
    tsv += std::string(1, ref[30]) + "\t" + alt[30] + "\t30\t" + name + "_REF\t" + name + "_ALT\n";
  }
  write_gzip(root / "windows" / "S0.windows.fa.gz", fasta);
  write_gzip(root / "windows" / "S0.windows.tsv.gz", tsv);
  std::ofstream(root / "windows" / "manifest.tsv") << "sample_id\tdonor_id\tfasta\nS0\tD0\tS0.windows.fa.gz\n";
  auto options = [&](const std::string& name) {
    train::TrainOptions o;
    o.model_dir = std::string(ONCOLM_TEST_DATA_DIR) + "/nt/nt_v2_tiny";
    o.inputs = {(root / "windows").string()};
    o.out_dir = (root / name).string();
    o.objective = train::Objective::both;
    o.steps = 3;
    o.log_every = 1;
    o.validation_fraction = 0;
    o.device = "cuda";
    o.precision = "fp32";
    return o;
  };
  train::run_training(options("plain"));
  train::TrainOptions nccl = options("nccl");
  nccl.distributed.rendezvous = "file:" + (root / "store").string();
  train::run_training(nccl);
  auto plain = train_lines((root / "plain").string()), grouped = train_lines((root / "nccl").string());
  ASSERT_EQ(plain.size(), 3u);
  ASSERT_EQ(grouped.size(), 3u);
  for (std::size_t i = 0; i < 3; ++i)
    EXPECT_NEAR(plain[i]["loss"].get<double>(), grouped[i]["loss"].get<double>(), 1e-5) << "step " << i + 1;
  std::ifstream provenance((root / "nccl" / "train.json").string());
  EXPECT_EQ(json::parse(provenance)["data_parallel"]["backend"], "nccl");
}

}  // namespace
