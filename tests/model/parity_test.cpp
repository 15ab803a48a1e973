// Parity with Hugging Face transformers (fp32, CPU) on the tiny NT v1 and v2 fixtures: logits, every
// hidden state, last_hidden_state and the mean embedding within 1e-4 at non-pad positions, with the
// weights read from model.safetensors and from pytorch_model.bin.
#include <string>

#include <ATen/ATen.h>
#include <c10/core/InferenceMode.h>
#include <gtest/gtest.h>

#include "core/error.h"
#include "model/checkpoint.h"
#include "model/config.h"
#include "model/nt_encoder.h"

using namespace oncolm;
using namespace oncolm::model;

namespace {
const std::string data_dir = std::string(ONCOLM_TEST_DATA_DIR) + "/nt";
constexpr double tolerance = 1e-4;

struct Case {
  const char* model;    // nt_v1_tiny / nt_v2_tiny
  const char* weights;  // file inside the model directory
};

void PrintTo(const Case& c, std::ostream* os) { *os << c.model << "/" << c.weights; }

std::string case_name(const testing::TestParamInfo<Case>& info) {
  std::string name = std::string(info.param.model) + "_" + info.param.weights;
  for (char& c : name)
    if (c == '.') c = '_';
  return name;
}

class Parity : public testing::TestWithParam<Case> {
 protected:
  void SetUp() override {
    std::string dir = data_dir + "/" + GetParam().model;
    config_ = NtConfig::load_dir(dir);
    std::string weights = dir + "/" + GetParam().weights;
    Checkpoint checkpoint = std::string(GetParam().weights) == "model.safetensors"
                                ? Checkpoint::load_safetensors(weights)
                                : Checkpoint::load_torch_zip(weights);
    encoder_ = std::make_unique<NtEncoder>(config_, checkpoint);
    reference_ = std::make_unique<Checkpoint>(Checkpoint::load_safetensors(dir + "/reference_outputs.safetensors"));
  }

  at::Tensor ref(const std::string& name) const {
    const TensorView* view = reference_->find(name);
    EXPECT_NE(view, nullptr) << name;
    return view ? tensor_from_view(*view) : at::Tensor();
  }

  // Largest |ours - HF| over non-pad positions; tensors are [B, T, ...].
  static double max_error_at_real_tokens(const at::Tensor& ours, const at::Tensor& theirs, const at::Tensor& mask) {
    EXPECT_EQ(ours.sizes(), theirs.sizes());
    auto real = mask.ne(0);
    return (ours - theirs).abs().index({real}).max().item<double>();
  }

  NtConfig config_;
  std::unique_ptr<NtEncoder> encoder_;
  std::unique_ptr<Checkpoint> reference_;
};

TEST_P(Parity, ShortBatchMatchesEveryOutput) {
  c10::InferenceMode guard;
  auto ids = ref("short.input_ids");
  auto mask = ref("short.attention_mask");
  ASSERT_EQ(ids.sizes(), (std::vector<std::int64_t>{4, 37}));
  ASSERT_LT(mask.sum().item<std::int64_t>(), 4 * 37) << "fixture rows should be padded";
  ForwardOptions options;
  options.all_hidden_states = true;
  options.logits = true;
  ForwardOutput out = encoder_->forward(ids, mask, options);
  auto hidden = ref("short.hidden_states");
  ASSERT_EQ(static_cast<std::int64_t>(out.hidden_states.size()), hidden.size(0));
  ASSERT_EQ(hidden.size(0), config_.num_layers + 1);
  for (std::size_t i = 0; i < out.hidden_states.size(); ++i)
    EXPECT_LT(max_error_at_real_tokens(out.hidden_states[i], hidden[static_cast<std::int64_t>(i)], mask), tolerance)
        << "hidden_states[" << i << "]";
  EXPECT_LT(max_error_at_real_tokens(out.selected, ref("short.last_hidden_state"), mask), tolerance);
  EXPECT_LT(max_error_at_real_tokens(out.logits, ref("short.logits"), mask), tolerance);
  auto mean = masked_mean(out.selected, mask);
  EXPECT_LT((mean - ref("short.mean_embedding")).abs().max().item<double>(), tolerance);
}

TEST_P(Parity, LongBatchMatchesLastHiddenStateAndMean) {
  c10::InferenceMode guard;
  auto ids = ref("long.input_ids");
  auto mask = ref("long.attention_mask");
  ASSERT_GE(ids.size(1), 1000);
  ForwardOutput out = encoder_->forward(ids, mask);
  EXPECT_LT(max_error_at_real_tokens(out.selected, ref("long.last_hidden_state"), mask), tolerance);
  EXPECT_LT((masked_mean(out.selected, mask) - ref("long.mean_embedding")).abs().max().item<double>(), tolerance);
}

TEST_P(Parity, IntermediateLayerStopsEarlyWithTheSameValues) {
  c10::InferenceMode guard;
  auto ids = ref("short.input_ids");
  auto mask = ref("short.attention_mask");
  ForwardOptions options;
  options.layer = 1;
  ForwardOutput out = encoder_->forward(ids, mask, options);
  EXPECT_LT(max_error_at_real_tokens(out.selected, ref("short.hidden_states")[1], mask), tolerance);
  options.layer = 0;
  out = encoder_->forward(ids, mask, options);
  EXPECT_LT(max_error_at_real_tokens(out.selected, ref("short.hidden_states")[0], mask), tolerance);
}

INSTANTIATE_TEST_SUITE_P(NtFixtures, Parity,
                         testing::Values(Case{"nt_v1_tiny", "model.safetensors"},
                                         Case{"nt_v1_tiny", "pytorch_model.bin"},
                                         Case{"nt_v2_tiny", "model.safetensors"},
                                         Case{"nt_v2_tiny", "pytorch_model.bin"}),
                         case_name);

// The bf16 path on CPU (embed --compute-dtype bfloat16; oneDNN on CPUs with AVX-512 BF16): last hidden
// state, mean embedding and logits of both fixtures within 4e-2 of Hugging Face's fp32 outputs,
// relative to their largest value at real tokens (the tolerance the CUDA bf16 test uses).
TEST(Parity, Bfloat16OnCpuStaysWithinTheBf16Tolerance) {
  c10::InferenceMode guard;
  for (const char* model : {"nt_v1_tiny", "nt_v2_tiny"}) {
    std::string dir = data_dir + "/" + model;
    NtEncoder encoder(NtConfig::load_dir(dir), Checkpoint::load_safetensors(dir + "/model.safetensors"));
    encoder.to(at::kCPU, at::kBFloat16);
    Checkpoint reference = Checkpoint::load_safetensors(dir + "/reference_outputs.safetensors");
    auto ref = [&](const std::string& name) { return tensor_from_view(*reference.find(name)); };
    auto relative = [](const at::Tensor& ours, const at::Tensor& theirs, const at::Tensor& real) {
      auto a = ours.to(at::kFloat).index({real}), b = theirs.index({real});
      return ((a - b).abs().max() / b.abs().max()).item<double>();
    };
    for (const std::string part : {"short", "long"}) {
      auto ids = ref(part + ".input_ids"), mask = ref(part + ".attention_mask");
      ForwardOptions options;
      options.logits = part == "short";
      ForwardOutput out = encoder.forward(ids, mask, options);
      EXPECT_LT(relative(out.selected, ref(part + ".last_hidden_state"), mask.ne(0)), 4e-2) << model << " " << part;
      auto mean = masked_mean(out.selected, mask), expected = ref(part + ".mean_embedding");
      EXPECT_LT(((mean - expected).abs().max() / expected.abs().max()).item<double>(), 4e-2) << model << " " << part;
      if (options.logits) {
        EXPECT_LT(relative(out.logits, ref("short.logits"), mask.ne(0)), 4e-2) << model;
      }
    }
  }
}

TEST(Parity, UnmaskedFullLengthRowsMatchMaskedOnes) {
  // Uniform-length buckets run without a mask (fused attention); the result must not change.
  c10::InferenceMode guard;
  std::string dir = data_dir + "/nt_v2_tiny";
  NtEncoder encoder(NtConfig::load_dir(dir), Checkpoint::load_safetensors(dir + "/model.safetensors"));
  auto ids = at::randint(6, 4106, {3, 50}, at::kLong);
  ids.select(1, 0).fill_(3);
  auto with_mask = encoder.forward(ids, at::ones_like(ids)).selected;
  auto without = encoder.forward(ids, at::Tensor()).selected;
  EXPECT_LT((with_mask - without).abs().max().item<double>(), 1e-5);
}

}  // namespace
