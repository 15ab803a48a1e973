// MLM training throughput of the NT encoder with random weights, the step `oncolm train` takes:
// 15% of the tokens selected (80% <mask>, 10% random, 10% unchanged), forward with the MLM head
// (logits at the selected positions only, as the trainer computes them; Hugging Face's
// EsmForMaskedLM computes them at every position), cross-entropy on the selected positions,
// backward, global-norm clipping at 1, AdamW. Precision as `oncolm train --precision`: fp32 on CPU,
// bf16 mixed precision on CUDA by default (GEMMs and attention in bfloat16, float32 weights, AdamW
// state, LayerNorms and loss; MFU then counts against a bfloat16 GEMM). Modes: full
// fine-tuning (every weight trains) and LoRA (rank 8 on query and value, base frozen). Prints steps/s,
// tokens/s, TFLOP/s and model FLOP utilisation against a GEMM measured in the same run.
//
// NtEncoder::random has no MLM head, so the bench holds one (random, trainable in full mode, frozen
// under LoRA as in `oncolm train`) and applies it to the final hidden state with the same ops as
// NtEncoder::lm_logits (dense, GELU, LayerNorm, decoder + bias).
//
// Model FLOPs of a training step = 3 x forward FLOPs (backward = 2 x forward; for LoRA the frozen
// weights' gradients are not needed, so the true work is nearer 2x: the 3x figure is the usual
// convention and is used for both). Forward FLOPs per token = NtConfig::forward_flops_per_token(T)
// (encoder, docs/performance.md) + the MLM head 2 (H^2 + H V) times the share of tokens selected
// (~0.15: the head runs on those only).
//
//   train_bench [--device cpu|cuda] [--shapes a,b] [--modes full,lora] [--batch N] [--tokens T]
//               [--steps N] [--threads N] [--precision fp32|bf16] [--activation-checkpointing]
//               [--full-logits] [--json FILE]
// Shapes: tiny (2 layers, hidden 64, 4 heads, FFN 128: models/nt-v2-tiny-random), small (the same with
// hidden 128, FFN 256) or any NtConfig preset (nt-v2-50m, nt-v2-500m, nt-v1-500m, ...).
// CPU defaults: tiny and nt-v2-50m, batch 2 x 512 tokens, 3 timed steps after 1 warm-up.
// CUDA defaults: nt-v2-50m, nt-v2-500m, nt-v1-500m at 1,000 tokens, batch 16 (50m) or 4, 10 steps.
// --activation-checkpointing: as `oncolm train --activation-checkpointing` (each layer recomputed in
// the backward pass). Memory: on CUDA, the device memory this process holds after the last step
// (total minus free from cudaMemGetInfo: the CUDA context plus every block LibTorch's caching
// allocator has reserved, i.e. what a GPU must have for the run; run one shape per process for a
// clean figure); on CPU, the peak resident set. --full-logits: the MLM head at every position, as
// Hugging Face computes it (the trainer's own step before it ran the head on the selected tokens only).
#include <dlfcn.h>
#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>
#include <ATen/Parallel.h>
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>
#include <torch/optim/adamw.h>
#include <torch/version.h>

#include "core/blas_kernels.h"
#include "core/threads.h"
#include "model/config.h"
#include "model/nt_encoder.h"
#include "train/losses.h"

using namespace oncolm;
using namespace oncolm::model;

namespace {

using Clock = std::chrono::steady_clock;

struct Settings {
  std::string device = "cpu";
  std::string shapes;
  std::string modes = "full,lora";
  int batch = 0;
  int tokens = 0;
  int steps = 0;
  int threads = 0;
  std::string precision;  // default: fp32 on CPU, bf16 on CUDA
  std::string sdpa = "auto";
  bool activation_checkpointing = false;
  bool full_logits = false;
  std::string json;
};

// GiB of device memory in use (CUDA: total - free of the current device, through the CUDA runtime
// that LibTorch's CUDA library loads, so no CUDA headers are needed; CPU: peak resident set), or a
// negative value when it cannot be read.
double memory_in_use_gib(at::Device device) {
  if (device.is_cpu()) {
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    return static_cast<double>(usage.ru_maxrss) / (1024.0 * 1024.0);
  }
  using MemGetInfo = int (*)(std::size_t*, std::size_t*);
  auto mem_get_info = reinterpret_cast<MemGetInfo>(::dlsym(RTLD_DEFAULT, "cudaMemGetInfo"));
  std::size_t free_bytes = 0, total_bytes = 0;
  if (mem_get_info == nullptr || mem_get_info(&free_bytes, &total_bytes) != 0) return -1;
  return static_cast<double>(total_bytes - free_bytes) / (1024.0 * 1024.0 * 1024.0);
}

void synchronize(const at::Tensor& t) { t.sum().item<float>(); }

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

double gemm_tflops(at::Device device, at::ScalarType dtype) {
  const std::int64_t n = device.is_cpu() ? 2048 : 8192;
  auto a = at::randn({n, n}, at::TensorOptions().device(device).dtype(dtype));
  auto b = at::randn({n, n}, at::TensorOptions().device(device).dtype(dtype));
  synchronize(at::mm(a, b));
  const int reps = device.is_cpu() ? 3 : 20;
  auto start = Clock::now();
  at::Tensor c;
  for (int i = 0; i < reps; ++i) c = at::mm(a, b);
  synchronize(c);
  return 2.0 * n * n * n * reps / seconds_since(start) / 1e12;
}

NtConfig shape_config(const std::string& shape) {
  if (shape == "tiny" || shape == "small") {
    NtConfig c = NtConfig::preset("nt-v2-50m");
    c.hidden_size = shape == "tiny" ? 64 : 128;
    c.num_layers = 2;
    c.num_heads = 4;
    c.intermediate_size = shape == "tiny" ? 128 : 256;
    return c;
  }
  return NtConfig::preset(shape);
}

// One MLM batch: random non-special ids (6 .. vocabulary - 1: NT v1 has 4,105 tokens, v2 4,107),
// <cls> first, 15% of the other positions selected.
struct Batch {
  at::Tensor ids, labels;
};
Batch mlm_batch(std::int64_t rows, std::int64_t tokens, std::int64_t vocabulary, std::mt19937_64& rng,
                at::Device device) {
  auto ids = at::empty({rows, tokens}, at::kLong);
  auto labels = at::full({rows, tokens}, -100, at::kLong);
  auto* id = ids.data_ptr<std::int64_t>();
  auto* label = labels.data_ptr<std::int64_t>();
  std::uniform_int_distribution<std::int64_t> token(6, vocabulary - 1);
  std::uniform_real_distribution<double> u(0, 1);
  for (std::int64_t r = 0; r < rows; ++r)
    for (std::int64_t t = 0; t < tokens; ++t) {
      std::int64_t i = r * tokens + t;
      id[i] = t == 0 ? 3 : token(rng);
      if (t > 0 && u(rng) < 0.15) {
        label[i] = id[i];
        double p = u(rng);
        if (p < 0.8) id[i] = 2;  // <mask>
        else if (p < 0.9) id[i] = token(rng);
      }
    }
  return {ids.to(device), labels.to(device)};
}

nlohmann::json bench_one(const std::string& shape, const std::string& mode, const Settings& s, at::Device device,
                         double ceiling) {
  const bool cpu = device.is_cpu();
  const NtConfig config = shape_config(shape);
  const int tokens = s.tokens > 0 ? s.tokens : cpu ? 512 : 1000;
  const int batch = s.batch > 0 ? s.batch : cpu ? 2 : (config.hidden_size <= 512 ? 16 : 4);
  const int steps = s.steps > 0 ? s.steps : cpu ? 3 : 10;
  NtEncoder encoder = NtEncoder::random(config, 0, device, at::kFloat);
  const at::ScalarType compute = s.precision == "bf16" ? at::kBFloat16 : at::kFloat;
  encoder.set_compute_dtype(compute);
  if (mode == "lora") {
    AdapterOptions adapters;
    adapters.lora_rank = 8;
    encoder.add_adapters(adapters);
  }
  encoder.set_trainable(mode != "lora", 0);
  const std::int64_t h = config.hidden_size, v = config.vocab_size;
  auto on = at::TensorOptions().device(device).dtype(at::kFloat);
  // The head from a seeded generator (LibTorch seeds its default one at random), so that runs, with and
  // without --activation-checkpointing, start from the same weights and their losses compare.
  auto head_generator = at::detail::createCPUGenerator(1);
  auto head_dense_w = (at::randn({h, h}, head_generator, at::kFloat) * 0.02).to(device), head_dense_b = at::zeros({h}, on);
  auto head_ln_w = at::ones({h}, on), head_ln_b = at::zeros({h}, on);
  auto head_decoder_w = (at::randn({v, h}, head_generator, at::kFloat) * 0.02).to(device), head_bias = at::zeros({v}, on);
  std::vector<at::Tensor> head = {head_dense_w, head_dense_b, head_ln_w, head_ln_b, head_decoder_w, head_bias};
  std::vector<at::Tensor> parameters;
  std::int64_t trainable = 0;
  for (const auto& p : encoder.trainable_parameters()) {
    parameters.push_back(p.tensor);
    trainable += p.tensor.numel();
  }
  if (mode != "lora")
    for (auto& t : head) {
      t.set_requires_grad(true);
      parameters.push_back(t);
      trainable += t.numel();
    }
  const double eps = config.layer_norm_eps;
  auto lm_logits = [&](const at::Tensor& x) {  // NtEncoder::lm_logits, mixed precision included
    auto y = at::gelu(at::linear(x.to(compute), head_dense_w.to(compute), head_dense_b.to(compute))).to(at::kFloat);
    y = at::layer_norm(y, {h}, head_ln_w, head_ln_b, eps);
    return at::linear(y.to(compute), head_decoder_w.to(compute), head_bias.to(compute)).to(at::kFloat);
  };
  torch::optim::AdamW optimizer(parameters, torch::optim::AdamWOptions(1e-4).weight_decay(0.01));
  std::mt19937_64 rng(1);
  std::vector<Batch> batches;
  for (int i = 0; i < 2; ++i) batches.push_back(mlm_batch(batch, tokens, config.vocab_size, rng, device));
  ForwardOptions options;
  options.training = true;
  options.checkpoint_activations = s.activation_checkpointing;
  double loss_value = 0;
  auto step = [&](const Batch& b) {
    optimizer.zero_grad();
    auto out = encoder.forward(b.ids, at::Tensor(), options);
    train::MlmResult result;
    if (s.full_logits) {  // the head at every position, as Hugging Face's EsmForMaskedLM runs it
      result = train::mlm_loss(lm_logits(out.selected), b.labels);
    } else {  // the head on the scored positions only, as the trainer runs it
      auto selected = b.labels.ne(-100);
      result = train::mlm_loss(lm_logits(out.selected.index({selected})), b.labels.index({selected}));
    }
    result.loss.backward();
    // Global-norm clipping as the trainer does it (the norm is read back, which syncs the device).
    std::vector<at::Tensor> norms;
    for (auto& p : parameters)
      if (p.grad().defined()) norms.push_back(p.grad().norm());
    double norm = at::stack(norms).norm().item<double>();
    if (norm > 1.0)
      for (auto& p : parameters)
        if (p.grad().defined()) p.grad().mul_(1.0 / norm);
    optimizer.step();
    loss_value = result.loss.item<double>();
  };
  for (int i = 0; i < (cpu ? 1 : 3); ++i) step(batches[static_cast<std::size_t>(i) % 2]);  // warm-up
  auto start = Clock::now();
  for (int i = 0; i < steps; ++i) step(batches[static_cast<std::size_t>(i) % 2]);
  synchronize(parameters.front());
  const double elapsed = seconds_since(start);
  const double memory_gib = memory_in_use_gib(device);
  const double tokens_per_s = static_cast<double>(batch) * tokens * steps / elapsed;
  const double selected_share =
      s.full_logits ? 1.0
                    : batches[0].labels.ne(-100).sum().item<double>() / static_cast<double>(batches[0].labels.numel());
  const double forward =
      config.forward_flops_per_token(tokens) + selected_share * 2.0 * static_cast<double>(h * h + h * v);
  const double tflops = 3.0 * forward * tokens_per_s / 1e12;
  return {{"model", shape},       {"mode", mode},         {"precision", s.precision}, {"sdpa", s.sdpa},
          {"batch", batch},       {"T", tokens},
          {"activation_checkpointing", s.activation_checkpointing}, {"full_logits", s.full_logits},
          {device.is_cpu() ? "peak_rss_gib" : "device_memory_gib", memory_gib},
          {"trainable_parameters", trainable},
          {"steps_per_s", steps / elapsed},
          {"tokens_per_s", static_cast<std::int64_t>(tokens_per_s)},
          {"tflops", tflops},     {"mfu_vs_gemm", tflops / ceiling},
          {"last_loss", loss_value}};
}

}  // namespace

int main(int argc, char** argv) {
  // The kernels and OpenMP wait policy `oncolm` runs with (a restart when either changes).
  oncolm::select_blas_kernels(argv);
  CLI::App app{"NT MLM training throughput with random weights"};
  Settings s;
  app.add_option("--device", s.device, "cpu or cuda");
  app.add_option("--shapes", s.shapes, "comma-separated: tiny, small, nt-v2-50m, nt-v2-500m, nt-v1-500m, ...");
  app.add_option("--modes", s.modes, "comma-separated: full, lora");
  app.add_option("--batch", s.batch, "sequences per step");
  app.add_option("--tokens", s.tokens, "tokens per sequence (with <cls>)");
  app.add_option("--steps", s.steps, "timed optimizer steps");
  app.add_option("--threads", s.threads, "CPU threads (0 = all cores)");
  app.add_option("--precision", s.precision, "fp32 or bf16 (default: fp32 on CPU, bf16 on CUDA)")
      ->check(CLI::IsMember({"fp32", "bf16"}));
  app.add_option("--sdpa", s.sdpa, "attention backend: auto, flash, efficient, math, cudnn (LibTorch >= 2.4)");
  app.add_flag("--activation-checkpointing", s.activation_checkpointing,
               "recompute each layer in the backward pass, as oncolm train --activation-checkpointing");
  app.add_flag("--full-logits", s.full_logits,
               "the MLM head at every position (as Hugging Face), not only at the selected ones (as oncolm train)");
  app.add_option("--json", s.json, "also write the results to this file");
  CLI11_PARSE(app, argc, argv);

  at::Device device(s.device);
  if (device.is_cuda() && !at::hasCUDA()) {
    std::fprintf(stderr, "train_bench: --device %s but LibTorch sees no CUDA device\n", s.device.c_str());
    return 1;
  }
  if (!restrict_attention_backend(s.sdpa)) {
    std::fprintf(stderr, "train_bench: --sdpa %s is not available with LibTorch %s\n", s.sdpa.c_str(), TORCH_VERSION);
    return 1;
  }
  const bool cpu = device.is_cpu();
  if (s.shapes.empty()) s.shapes = cpu ? "tiny,nt-v2-50m" : "nt-v2-50m,nt-v2-500m,nt-v1-500m";
  if (s.precision.empty()) s.precision = cpu ? "fp32" : "bf16";
  if (cpu) {
    int threads = resolve_thread_count(s.threads);
    at::set_num_threads(threads);
    set_blas_threads(threads);
    tune_cpu_allocator();
  }
  double ceiling = 0;
  {
    at::NoGradGuard no_grad;
    ceiling = gemm_tflops(device, s.precision == "bf16" ? at::kBFloat16 : at::kFloat);
  }
  std::printf("train_bench: torch %s, device %s, %s, GEMM ceiling (%s) %.3f TFLOP/s\n", TORCH_VERSION,
              device.str().c_str(), s.precision.c_str(), s.precision == "bf16" ? "bfloat16" : "float32", ceiling);
  if (cpu)
    std::printf("train_bench: OpenBLAS kernels %s, OpenMP wait policy %s\n", oncolm::blas_kernels_description().c_str(),
                oncolm::openmp_wait_description().c_str());
  auto split = [](const std::string& list) {
    std::vector<std::string> items;
    std::string rest = list;
    while (!rest.empty()) {
      items.push_back(rest.substr(0, rest.find(',')));
      rest = rest.find(',') == std::string::npos ? "" : rest.substr(rest.find(',') + 1);
    }
    return items;
  };
  nlohmann::json results = nlohmann::json::array();
  for (const auto& shape : split(s.shapes))
    for (const auto& mode : split(s.modes)) {
      results.push_back(bench_one(shape, mode, s, device, ceiling));
      std::printf("%s\n", results.back().dump().c_str());
      std::fflush(stdout);
    }
  if (!s.json.empty()) {
    nlohmann::json out = {{"device", device.str()}, {"precision", s.precision}, {"torch", TORCH_VERSION},
                          {"gemm_tflops", ceiling}, {"results", results}};
    std::ofstream(s.json) << out.dump(1) << "\n";
  }
  return 0;
}
