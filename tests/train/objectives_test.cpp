// The training switches of the encoder and the two objectives, checked against independent
// references: autograd gradients against central finite differences in float64 (through LoRA and
// IA3, on the tiny v1 and v2 fixtures), the MLM loss against cross-entropy computed here from the
// Hugging Face reference logits, the contrastive loss against its formula written out in loops,
// zero-initialised adapters against the base model, and merged adapters against unmerged ones.
#include <cmath>
#include <functional>
#include <map>
#include <random>
#include <set>
#include <string>

#include <ATen/ATen.h>
#include <c10/core/InferenceMode.h>
#include <gtest/gtest.h>

#include "model/checkpoint.h"
#include "model/config.h"
#include "model/nt_encoder.h"
#include "model/tokenizer.h"
#include "train/losses.h"
#include "train/masking.h"

using namespace oncolm;
using namespace oncolm::model;
using namespace oncolm::train;

namespace {
const std::string data_dir = std::string(ONCOLM_TEST_DATA_DIR) + "/nt";

NtEncoder load_fixture(const std::string& name) {
  std::string dir = data_dir + "/" + name;
  return NtEncoder(NtConfig::load_dir(dir), Checkpoint::load_dir(dir));
}

at::Tensor reference(const std::string& model, const std::string& name) {
  Checkpoint outputs = Checkpoint::load_safetensors(data_dir + "/" + model + "/reference_outputs.safetensors");
  return tensor_from_view(*outputs.find(name));
}

AdapterOptions every_adapter() {
  AdapterOptions options;
  options.lora_rank = 2;
  options.lora_alpha = 4.0;
  options.lora_targets = parse_lora_targets("query,key,value,attention-output,ffn-in,ffn-out");
  options.ia3 = true;
  options.seed = 7;
  return options;
}

// Gives the adapters values away from their no-op start, so that every adapter gradient is non-zero.
void randomise_adapters(NtEncoder& encoder, std::uint64_t seed) {
  at::NoGradGuard no_grad;
  auto generator = at::detail::createCPUGenerator(seed);
  for (auto& adapter : encoder.adapter_parameters()) {
    bool ia3 = adapter.name.find("ia3_l") != std::string::npos;
    auto noise = at::randn(adapter.tensor.sizes(), generator, at::TensorOptions().dtype(at::kDouble)) * 0.3;
    adapter.tensor.copy_(ia3 ? noise + 1.0 : noise);
  }
}

class Models : public testing::TestWithParam<const char*> {};

struct Batch {
  at::Tensor ids, mask;
};

// Two rows of real fixture input ids (padded), as HF tokenized them.
Batch fixture_batch(const std::string& model) {
  auto ids = reference(model, "short.input_ids").slice(0, 0, 2);
  auto mask = reference(model, "short.attention_mask").slice(0, 0, 2);
  return {ids, mask};
}

// Central differences on a few entries of every trainable tensor, against autograd.
// `skip_prefix`: parameters the loss does not reach (the MLM head under the contrastive loss).
void expect_gradients_match(NtEncoder& encoder, const std::function<at::Tensor()>& loss_fn,
                            const std::vector<NamedTensor>& extra, std::uint64_t seed,
                            const std::string& skip_prefix = "none") {
  std::vector<NamedTensor> parameters;
  for (auto& p : encoder.trainable_parameters())
    if (p.name.rfind(skip_prefix, 0) != 0) parameters.push_back(p);
  parameters.insert(parameters.end(), extra.begin(), extra.end());
  for (auto& p : parameters)
    if (p.tensor.grad().defined()) p.tensor.mutable_grad() = at::Tensor();
  loss_fn().backward();
  std::mt19937_64 rng(seed);
  const double eps = 1e-6;
  int checked = 0, non_zero = 0;
  for (auto& p : parameters) {
    ASSERT_TRUE(p.tensor.grad().defined()) << p.name;
    auto flat = p.tensor.view({-1});
    auto grad = p.tensor.grad().reshape({-1});
    // The largest-gradient entry and one at random (word embeddings: most rows are unused).
    std::vector<std::int64_t> picks = {grad.abs().argmax().item<std::int64_t>(),
                                       static_cast<std::int64_t>(rng() % static_cast<std::uint64_t>(flat.numel()))};
    for (std::int64_t index : picks) {
      double analytic = grad[index].item<double>();
      double original = flat[index].item<double>();
      double plus, minus;
      {
        at::NoGradGuard no_grad;
        flat[index].fill_(original + eps);
        plus = loss_fn().item<double>();
        flat[index].fill_(original - eps);
        minus = loss_fn().item<double>();
        flat[index].fill_(original);
      }
      double numeric = (plus - minus) / (2 * eps);
      EXPECT_NEAR(analytic, numeric, 1e-7 + 1e-5 * std::abs(numeric)) << p.name << "[" << index << "]";
      ++checked;
      if (std::abs(analytic) > 1e-8) ++non_zero;
    }
  }
  EXPECT_GT(checked, 40);
  EXPECT_GT(non_zero, checked / 2) << "most checked entries should carry gradient";
}

TEST_P(Models, MlmGradientsMatchFiniteDifferencesThroughLoraAndIa3) {
  NtEncoder encoder = load_fixture(GetParam());
  encoder.to(at::kCPU, at::kDouble);
  encoder.add_adapters(every_adapter());
  randomise_adapters(encoder, 3);
  encoder.set_trainable(true, 0);
  Batch batch = fixture_batch(GetParam());
  Vocabulary vocabulary = Vocabulary::load(data_dir + "/" + GetParam() + "/vocab.txt");
  auto replacements = maskable_ids(vocabulary, encoder.config().vocab_size);
  std::mt19937_64 rng(11);
  auto ids = batch.ids.clone();
  auto labels = at::full_like(ids, ignore_label);
  for (std::int64_t r = 0; r < ids.size(0); ++r) {
    std::vector<std::int32_t> row;
    for (std::int64_t t = 0; t < ids.size(1); ++t) row.push_back(static_cast<std::int32_t>(ids[r][t].item<std::int64_t>()));
    MaskedTokens masked = mask_tokens(row, replacements, vocabulary, {0.3, 0.8, 0.1}, rng);
    for (std::int64_t t = 0; t < ids.size(1); ++t) {
      ids[r][t] = masked.ids[static_cast<std::size_t>(t)];
      labels[r][t] = masked.labels[static_cast<std::size_t>(t)];
    }
  }
  ForwardOptions options;
  options.logits = true;
  options.training = true;
  auto loss = [&]() { return mlm_loss(encoder.forward(ids, batch.mask, options).logits, labels).loss; };
  expect_gradients_match(encoder, loss, {}, 5);
}

TEST_P(Models, ContrastiveGradientsMatchFiniteDifferencesThroughLoraIa3AndHead) {
  NtEncoder encoder = load_fixture(GetParam());
  encoder.to(at::kCPU, at::kDouble);
  encoder.add_adapters(every_adapter());
  randomise_adapters(encoder, 4);
  encoder.set_trainable(true, 0);
  ProjectionHead head = ProjectionHead::create(encoder.config().hidden_size, 16, 8, 9, at::kCPU, at::kDouble);
  head.set_requires_grad(true);
  // Rows: ALT of variants 0 and 1, their second views, REF of variant 0 and 1, from fixture ids.
  auto source = reference(GetParam(), "short.input_ids").slice(1, 0, 20).clone();
  auto ids = at::cat({source, source.flip({0})}, 0).slice(0, 0, 6).clone();
  ids.select(1, 0).fill_(3);  // <cls>
  auto mask = at::ones_like(ids);
  mask[3].slice(0, 15).fill_(0);  // one padded row
  ids[3].slice(0, 15).fill_(1);
  std::vector<std::pair<std::int32_t, std::int32_t>> spans = {{5, 7}, {8, 9}, {4, 6}, {9, 11}, {5, 7}, {8, 9}};
  PoolingOptions pooling;
  pooling.context_tokens = 2;
  ForwardOptions options;
  options.training = true;
  // InfoNCE on the projections plus the separation term on the pooled embeddings.
  auto loss = [&]() {
    auto hidden = encoder.forward(ids, mask, options).selected;
    auto pooled = pool_hidden(hidden, mask, spans, pooling);
    auto z = head.forward(pooled);
    return contrastive_loss(z.slice(0, 0, 2), z.slice(0, 2, 4), z.slice(0, 4, 6), {0, 1}, 0.1, 2.0) +
           0.5 * separation_loss(pooled.slice(0, 0, 2), pooled.slice(0, 4, 6), {0, 1});
  };
  expect_gradients_match(encoder, loss, head.named_tensors(), 6, "lm_head.");
}

TEST_P(Models, CheckpointedActivationsGiveTheSameGradients) {
  NtEncoder encoder = load_fixture(GetParam());
  encoder.to(at::kCPU, at::kDouble);
  encoder.add_adapters(every_adapter());
  randomise_adapters(encoder, 8);
  encoder.set_trainable(true, 0);
  Batch batch = fixture_batch(GetParam());  // padded rows: the attention mask goes through the checkpoint
  auto labels = batch.ids.clone().masked_fill_(batch.mask.eq(0), ignore_label);
  auto gradients = [&](bool checkpoint) {
    for (auto& p : encoder.trainable_parameters()) p.tensor.mutable_grad() = at::Tensor();
    ForwardOptions options;
    options.logits = true;
    options.training = true;
    options.checkpoint_activations = checkpoint;
    mlm_loss(encoder.forward(batch.ids, batch.mask, options).logits, labels).loss.backward();
    std::vector<at::Tensor> grads;
    for (auto& p : encoder.trainable_parameters()) grads.push_back(p.tensor.grad().clone());
    return grads;
  };
  auto plain = gradients(false), recomputed = gradients(true);
  ASSERT_EQ(plain.size(), recomputed.size());
  for (std::size_t i = 0; i < plain.size(); ++i) {
    ASSERT_TRUE(recomputed[i].defined()) << encoder.trainable_parameters()[i].name;
    EXPECT_LT((plain[i] - recomputed[i]).abs().max().item<double>(), 1e-12) << encoder.trainable_parameters()[i].name;
  }
  EXPECT_GT(plain.front().abs().max().item<double>(), 0.0);
}

// The trainer runs the MLM head on the selected positions only (ForwardOptions::logits_positions):
// the same loss, accuracy and gradients as the head over every position.
TEST_P(Models, HeadOnSelectedPositionsGivesTheSameLossAndGradients) {
  NtEncoder encoder = load_fixture(GetParam());
  encoder.to(at::kCPU, at::kDouble);
  encoder.set_trainable(true, 0);
  Batch batch = fixture_batch(GetParam());
  auto labels = batch.ids.clone().masked_fill_(batch.mask.eq(0), ignore_label);
  labels.index_put_({at::arange(labels.size(1)).remainder(3).ne(1).expand_as(labels)}, ignore_label);
  auto selected = labels.ne(ignore_label);
  ASSERT_GT(selected.sum().item<std::int64_t>(), 0);
  ASSERT_LT(selected.sum().item<std::int64_t>(), labels.numel());
  struct Outcome {
    double loss;
    std::int64_t correct, scored;
    std::vector<at::Tensor> grads;
  };
  auto run = [&](bool only_selected) {
    for (auto& p : encoder.trainable_parameters()) p.tensor.mutable_grad() = at::Tensor();
    ForwardOptions options;
    options.logits = true;
    options.training = true;
    if (only_selected) options.logits_positions = selected;
    auto logits = encoder.forward(batch.ids, batch.mask, options).logits;
    EXPECT_EQ(logits.dim(), only_selected ? 2 : 3);
    MlmResult result = mlm_loss(logits, only_selected ? labels.index({selected}) : labels);
    result.loss.backward();
    Outcome outcome{result.loss.item<double>(), result.correct, result.selected, {}};
    for (auto& p : encoder.trainable_parameters()) outcome.grads.push_back(p.tensor.grad().clone());
    return outcome;
  };
  Outcome everywhere = run(false), selected_only = run(true);
  EXPECT_NEAR(everywhere.loss, selected_only.loss, 1e-12);
  EXPECT_EQ(everywhere.correct, selected_only.correct);
  EXPECT_EQ(everywhere.scored, selected_only.scored);
  ASSERT_EQ(everywhere.grads.size(), selected_only.grads.size());
  for (std::size_t i = 0; i < everywhere.grads.size(); ++i)
    EXPECT_LT((everywhere.grads[i] - selected_only.grads[i]).abs().max().item<double>(), 1e-12)
        << encoder.trainable_parameters()[i].name;
  ForwardOptions wrong;
  wrong.logits = true;
  wrong.logits_positions = selected.to(at::kLong);
  EXPECT_THROW(encoder.forward(batch.ids, batch.mask, wrong), std::invalid_argument);
}

TEST_P(Models, ZeroInitialisedAdaptersGiveExactlyTheBaseOutputs) {
  c10::InferenceMode guard;
  NtEncoder base = load_fixture(GetParam());
  NtEncoder adapted = load_fixture(GetParam());
  adapted.add_adapters(every_adapter());
  Batch batch = fixture_batch(GetParam());
  ForwardOptions options;
  options.logits = true;
  auto expected = base.forward(batch.ids, batch.mask, options);
  auto got = adapted.forward(batch.ids, batch.mask, options);
  EXPECT_TRUE(at::equal(expected.selected, got.selected));
  EXPECT_TRUE(at::equal(expected.logits, got.logits));
}

TEST_P(Models, MergedAdaptersGiveTheUnmergedEmbeddings) {
  c10::InferenceMode guard;
  NtEncoder adapted = load_fixture(GetParam());
  adapted.add_adapters(every_adapter());
  {
    // Trained-looking adapter values (float32 model).
    auto generator = at::detail::createCPUGenerator(21);
    for (auto& adapter : adapted.adapter_tensors()) {
      bool ia3 = adapter.name.find("ia3_l") != std::string::npos;
      auto noise = at::randn(adapter.tensor.sizes(), generator, at::TensorOptions().dtype(at::kFloat)) * 0.2;
      adapter.tensor.copy_(ia3 ? noise + 1.0 : noise);
    }
  }
  NtEncoder merged = adapted;  // shares the base tensors; merging replaces, never modifies them
  merged.merge_adapters();
  EXPECT_FALSE(merged.has_adapters());
  EXPECT_TRUE(adapted.has_adapters());
  Batch batch = fixture_batch(GetParam());
  auto unmerged_mean = masked_mean(adapted.forward(batch.ids, batch.mask).selected, batch.mask);
  auto merged_mean = masked_mean(merged.forward(batch.ids, batch.mask).selected, batch.mask);
  auto base_mean = masked_mean(load_fixture(GetParam()).forward(batch.ids, batch.mask).selected, batch.mask);
  EXPECT_LT((unmerged_mean - merged_mean).abs().max().item<double>(), 1e-5);
  EXPECT_GT((unmerged_mean - base_mean).abs().max().item<double>(), 1e-2) << "the adapters should change the model";
}

TEST_P(Models, MlmLossEqualsCrossEntropyOfTheReferenceLogits) {
  c10::InferenceMode guard;
  NtEncoder encoder = load_fixture(GetParam());
  auto ids = reference(GetParam(), "short.input_ids");
  auto mask = reference(GetParam(), "short.attention_mask");
  auto hf_logits = reference(GetParam(), "short.logits").to(at::kDouble);
  // A fixed selection: every third real non-<cls> token, labelled with its own id (the reference
  // logits are those of the unmasked input, so the input stays unmasked).
  auto labels = at::full_like(ids, ignore_label);
  double total = 0;
  int count = 0;
  for (std::int64_t r = 0; r < ids.size(0); ++r)
    for (std::int64_t t = 1; t < ids.size(1); ++t) {
      if (mask[r][t].item<std::int64_t>() == 0 || t % 3 != 0) continue;
      std::int64_t label = ids[r][t].item<std::int64_t>();
      labels[r][t] = label;
      double top = hf_logits[r][t].max().item<double>();
      double log_sum = std::log((hf_logits[r][t] - top).exp().sum().item<double>()) + top;
      total += log_sum - hf_logits[r][t][label].item<double>();
      ++count;
    }
  ASSERT_GT(count, 10);
  ForwardOptions options;
  options.logits = true;
  MlmResult result = mlm_loss(encoder.forward(ids, mask, options).logits, labels);
  EXPECT_EQ(result.selected, count);
  EXPECT_NEAR(result.loss.item<double>(), total / count, 1e-4);
}

INSTANTIATE_TEST_SUITE_P(NtFixtures, Models, testing::Values("nt_v1_tiny", "nt_v2_tiny"));

TEST(ContrastiveLoss, EqualsItsFormulaWrittenOutInLoops) {
  auto generator = at::detail::createCPUGenerator(2);
  auto opts = at::TensorOptions().dtype(at::kDouble);
  const std::int64_t n = 3, p = 5;
  auto v1 = at::randn({n, p}, generator, opts), v2 = at::randn({n, p}, generator, opts);
  auto refs = at::randn({4, p}, generator, opts);
  std::vector<std::int64_t> owner = {0, 1, 2, 2};  // variant 2 is an SV junction: REF1 and REF2
  const double tau = 0.2, w = 3.0;
  auto unit = [](at::Tensor x) { return x / x.norm(); };
  std::vector<at::Tensor> views, candidates;
  for (std::int64_t i = 0; i < n; ++i) views.push_back(unit(v1[i]));
  for (std::int64_t i = 0; i < n; ++i) views.push_back(unit(v2[i]));
  double total = 0;
  for (std::int64_t a = 0; a < 2 * n; ++a) {
    const std::int64_t variant = a % n, positive = a < n ? a + n : a - n;
    double denominator = 0;
    for (std::int64_t c = 0; c < 2 * n; ++c)
      if (c != a) denominator += std::exp(views[a].dot(views[c]).item<double>() / tau);
    for (std::int64_t m = 0; m < 4; ++m) {
      double weight = owner[static_cast<std::size_t>(m)] == variant ? w : 1.0;
      denominator += weight * std::exp(views[a].dot(unit(refs[m])).item<double>() / tau);
    }
    total += -views[a].dot(views[positive]).item<double>() / tau + std::log(denominator);
  }
  double loss = contrastive_loss(v1, v2, refs, owner, tau, w).item<double>();
  EXPECT_NEAR(loss, total / (2 * n), 1e-12);
  // A hard-negative weight of 0 drops each variant's own REF windows from its denominator.
  double without_hard = contrastive_loss(v1, v2, refs, owner, tau, 0.0).item<double>();
  EXPECT_LT(without_hard, loss);
}

TEST(SeparationLoss, EqualsItsFormulaWrittenOutInLoops) {
  auto generator = at::detail::createCPUGenerator(3);
  auto opts = at::TensorOptions().dtype(at::kDouble);
  const std::int64_t n = 3, h = 6;
  auto alt = at::randn({n, h}, generator, opts), refs = at::randn({4, h}, generator, opts);
  std::vector<std::int64_t> owner = {0, 1, 2, 2};  // variant 2 is an SV junction: REF1 and REF2
  auto distance = [](at::Tensor x, at::Tensor y) { return 1 - x.dot(y).item<double>() / (x.norm() * y.norm()).item<double>(); };
  double total = 0;
  for (std::int64_t i = 0; i < n; ++i) {
    double own = 0, other = 0;
    int owns = 0, others = 0;
    for (std::int64_t m = 0; m < 4; ++m) {
      const double d = distance(alt[i], refs[m]);
      if (owner[static_cast<std::size_t>(m)] == i) {
        own += d;
        ++owns;
      } else {
        other += d;
        ++others;
      }
    }
    total += std::log(other / others) - std::log(own / owns);
  }
  EXPECT_NEAR(separation_loss(alt, refs, owner).item<double>(), total / n, 1e-12);
  EXPECT_THROW(separation_loss(alt.slice(0, 0, 1), refs.slice(0, 0, 1), {0}), std::invalid_argument);
}

TEST(Masking, SelectsFifteenPercentOfNonSpecialTokensWithEightyTenTen) {
  Vocabulary vocabulary = Vocabulary::load(data_dir + "/nt_v2_tiny/vocab.txt");
  auto replacements = maskable_ids(vocabulary, 4107);
  EXPECT_EQ(replacements.size(), 4096u + 5u);  // 6-mers and A, T, C, G, N
  std::mt19937_64 rng(1);
  std::size_t masked = 0, randomised = 0, unchanged = 0;
  for (int trial = 0; trial < 2000; ++trial) {
    // <cls>, 40 k-mers, 3 pads: 15% of 40 = 6 selected.
    std::vector<std::int32_t> ids = {3};
    for (int t = 0; t < 40; ++t) ids.push_back(6 + static_cast<std::int32_t>(uniform_below(rng, 4096)));
    for (int t = 0; t < 3; ++t) ids.push_back(1);
    MaskedTokens out = mask_tokens(ids, replacements, vocabulary, {}, rng);
    std::size_t selected = 0;
    for (std::size_t t = 0; t < ids.size(); ++t) {
      if (out.labels[t] == ignore_label) {
        EXPECT_EQ(out.ids[t], ids[t]);
        continue;
      }
      ASSERT_TRUE(t >= 1 && t <= 40) << "<cls> and <pad> are never selected";
      EXPECT_EQ(out.labels[t], ids[t]);
      ++selected;
      if (out.ids[t] == 2) ++masked;
      else if (out.ids[t] != ids[t]) ++randomised;
      else ++unchanged;
    }
    ASSERT_EQ(selected, 6u);
  }
  const double all = static_cast<double>(masked + randomised + unchanged);  // 12,000 selections
  // Binomial standard deviations are below 0.004 here; 0.015 is about four of them.
  EXPECT_NEAR(masked / all, 0.8, 0.015);
  EXPECT_NEAR(randomised / all, 0.1, 0.015);  // a random draw equal to the original counts as unchanged (1/4101)
  EXPECT_NEAR(unchanged / all, 0.1, 0.015);
}

TEST(Masking, CentreOptionAlwaysSelectsTheVariantTokens) {
  Vocabulary vocabulary = Vocabulary::load(data_dir + "/nt_v1_tiny/vocab.txt");
  auto replacements = maskable_ids(vocabulary, 4105);
  EXPECT_EQ(replacements.size(), 4096u + 5u);
  std::mt19937_64 rng(2);
  std::vector<std::int32_t> ids = {3};
  for (int t = 0; t < 20; ++t) ids.push_back(4 + t);
  for (int trial = 0; trial < 50; ++trial) {
    MaskedTokens out = mask_tokens(ids, replacements, vocabulary, {}, rng, std::make_pair(9, 11));
    EXPECT_NE(out.labels[9], ignore_label);
    EXPECT_NE(out.labels[10], ignore_label);
    EXPECT_EQ(std::count_if(out.labels.begin(), out.labels.end(), [](int l) { return l != ignore_label; }), 3);
  }
}

}  // namespace
