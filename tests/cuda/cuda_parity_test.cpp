// CUDA checks (CTest label "gpu": CI leaves them out, scripts/gpu_check.sh runs them). Without a
// CUDA device they fail rather than skip: the only caller is the GPU script, where a missing device
// means a broken build (e.g. libtorch_cuda not linked) and must not pass silently.
#include <string>

#include <ATen/ATen.h>
#include <c10/core/InferenceMode.h>
#include <gtest/gtest.h>

#include "model/checkpoint.h"
#include "model/config.h"
#include "model/embedder.h"
#include "model/nt_encoder.h"

using namespace oncolm::model;

namespace {
const std::string data_dir = std::string(ONCOLM_TEST_DATA_DIR) + "/nt";
constexpr double bf16_relative = 4e-2;  // CTranslate2's bf16 tolerance
constexpr double fp32_relative = 1e-3;

void require_cuda() {
  ASSERT_TRUE(at::hasCUDA()) << "no CUDA device visible to LibTorch: these tests run on the GPU machine only "
                                "(is libtorch_cuda linked? see scripts/gpu_check.sh)";
}

at::Tensor ref(const Checkpoint& reference, const std::string& name) {
  return tensor_from_view(*reference.find(name));
}

// max |ours - theirs| over real tokens, relative to max |theirs| there.
double relative_error(const at::Tensor& ours, const at::Tensor& theirs, const at::Tensor& mask) {
  auto real = mask.ne(0);
  auto a = ours.to(at::kCPU, at::kFloat).index({real});
  auto b = theirs.index({real});
  return ((a - b).abs().max() / b.abs().max()).item<double>();
}

void check_model(const std::string& model, at::ScalarType dtype, double tolerance) {
  c10::InferenceMode guard;
  std::string dir = data_dir + "/" + model;
  NtEncoder encoder(NtConfig::load_dir(dir), Checkpoint::load_dir(dir));
  encoder.to(at::Device("cuda"), dtype);
  Checkpoint reference = Checkpoint::load_safetensors(dir + "/reference_outputs.safetensors");
  for (const char* part : {"short", "long"}) {
    std::string p = part;
    auto ids = ref(reference, p + ".input_ids");
    auto mask = ref(reference, p + ".attention_mask");
    ForwardOptions options;
    options.logits = p == "short";
    ForwardOutput out = encoder.forward(ids.cuda(), mask.cuda(), options);
    EXPECT_LT(relative_error(out.selected, ref(reference, p + ".last_hidden_state"), mask), tolerance) << model << " " << p;
    auto mean = masked_mean(out.selected, mask.cuda()).cpu();
    auto expected = ref(reference, p + ".mean_embedding");
    EXPECT_LT(((mean - expected).abs().max() / expected.abs().max()).item<double>(), tolerance) << model << " " << p;
    if (options.logits)
      EXPECT_LT(relative_error(out.logits, ref(reference, "short.logits"), mask), tolerance) << model;
  }
}
}  // namespace

TEST(Cuda, DeviceIsVisible) { require_cuda(); }

TEST(Cuda, V1AndV2MatchHuggingFaceInBfloat16) {
  require_cuda();
  check_model("nt_v1_tiny", at::kBFloat16, bf16_relative);
  check_model("nt_v2_tiny", at::kBFloat16, bf16_relative);
}

TEST(Cuda, V1AndV2MatchHuggingFaceInFloat32) {
  require_cuda();
  check_model("nt_v1_tiny", at::kFloat, fp32_relative);
  check_model("nt_v2_tiny", at::kFloat, fp32_relative);
}

TEST(Cuda, UnmaskedFusedAttentionEqualsMaskedAttention) {
  require_cuda();
  c10::InferenceMode guard;
  std::string dir = data_dir + "/nt_v2_tiny";
  NtEncoder encoder(NtConfig::load_dir(dir), Checkpoint::load_dir(dir));
  encoder.to(at::Device("cuda"), at::kBFloat16);
  auto ids = at::randint(6, 4106, {4, 300}, at::kLong);
  ids.select(1, 0).fill_(3);
  ids = ids.cuda();
  auto flash = encoder.forward(ids, at::Tensor()).selected.to(at::kFloat);
  auto masked = encoder.forward(ids, at::ones_like(ids)).selected.to(at::kFloat);
  EXPECT_LT(((flash - masked).abs().max() / masked.abs().max()).item<double>(), bf16_relative);
}

TEST(Cuda, EmbedderOnCudaAgreesWithCpu) {
  require_cuda();
  std::string dir = data_dir + "/nt_v1_tiny";
  EmbedderOptions cpu_options;
  EmbedderOptions cuda_options;
  cuda_options.device = "cuda";
  cuda_options.bfloat16 = true;
  Embedder cpu(dir, cpu_options), cuda(dir, cuda_options);
  std::vector<EmbedItem> items(5);
  for (std::size_t i = 0; i < items.size(); ++i) {
    std::string dna;
    for (std::size_t b = 0; b < 300 + 50 * i; ++b) dna += "ACGT"[(b * 7 + i) % 4];
    items[i].ids = cpu.tokenizer().encode(dna).ids;
  }
  std::vector<float> a(items.size() * 64), b(items.size() * 64);
  cpu.embed(items, a.data());
  cuda.embed(items, b.data());
  double worst = 0, scale = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    worst = std::max(worst, static_cast<double>(std::abs(a[i] - b[i])));
    scale = std::max(scale, static_cast<double>(std::abs(a[i])));
  }
  EXPECT_LT(worst / scale, bf16_relative);
}
