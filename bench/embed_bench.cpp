// Embedding throughput of the NT encoder with random weights in published shapes (nt-v2-50m,
// nt-v2-500m, nt-v1-500m): full-length 1,000-token batches and the length mix of
// ../shared/tools/hf_bench.py --mix (2,048 sequences: 60% 1,000 tokens, 25% 500-999, 15% 100-499,
// drawn with torch's generator seeded 0 exactly as that script draws them). Prints tokens/s, TFLOP/s
// (docs/performance.md formula) and model FLOP utilisation against a GEMM measured in the same run.
//
//   embed_bench [--device cpu|cuda] [--shapes a,b] [--batch N] [--iters N] [--mix] [--mix-sequences N]
//               [--tokens T] [--dtype float32|bfloat16] [--threads N] [--sdpa BACKEND] [--json FILE]
// --sdpa (LibTorch 2.x): restrict scaled_dot_product_attention to one backend (flash, efficient,
// math; cudnn from 2.4) to see which one the default choice should be; auto leaves ATen's choice.
// CPU defaults are small (nt-v2-50m, batch 2, 2 iterations, 32 mix sequences); CUDA defaults follow
// hf_bench.py (batch 64 for 50m, 16 otherwise; all 2,048 mix sequences; bf16).
#include <chrono>
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>
#include <ATen/Parallel.h>
#include <CLI/CLI.hpp>
#include <c10/core/InferenceMode.h>
#include <nlohmann/json.hpp>
#include <torch/version.h>

#include "core/blas_kernels.h"
#include "core/threads.h"
#include "model/batching.h"
#include "model/config.h"
#include "model/nt_encoder.h"

using namespace oncolm;
using namespace oncolm::model;

namespace {

using Clock = std::chrono::steady_clock;

struct Settings {
  std::string device = "cpu";
  std::string shapes;
  std::string dtype;
  int batch = 0;
  int iters = 0;
  int tokens = 1000;
  bool mix = false;
  int mix_sequences = 0;
  int threads = 0;
  std::string sdpa = "auto";
  std::string json;
};

// Forces the device to finish queued work (a device-to-host copy waits for it) without CUDA headers.
void synchronize(const at::Tensor& t) { t.sum().item<float>(); }

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// The ceiling MFU is measured against: a large square GEMM in the benchmark's dtype on its device.
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

// hf_bench.py's mix_lengths(): same generator calls in the same order, so the same lengths.
std::vector<std::int64_t> mix_lengths(std::int64_t n) {
  auto generator = at::detail::createCPUGenerator(0);
  auto u = at::rand({n}, generator);
  auto a = at::randint(500, 1000, {n}, generator);
  auto b = at::randint(100, 500, {n}, generator);
  auto lengths = at::where(u < 0.60, at::full({n}, 1000, at::kLong), at::where(u < 0.85, a, b));
  auto shuffled = lengths.index({at::randperm(n, generator)}).contiguous();
  return std::vector<std::int64_t>(shuffled.data_ptr<std::int64_t>(), shuffled.data_ptr<std::int64_t>() + n);
}

at::Tensor random_ids(std::int64_t rows, std::int64_t tokens, at::Device device) {
  auto ids = at::randint(6, 4105, {rows, tokens}, at::kLong);
  ids.select(1, 0).fill_(3);  // <cls>
  return ids.to(device);
}

nlohmann::json full_length(const NtEncoder& encoder, const std::string& shape, const Settings& s, double ceiling) {
  const int batch = s.batch > 0 ? s.batch : encoder.device().is_cpu() ? 2 : (shape == "nt-v2-50m" ? 64 : 16);
  const int iters = s.iters > 0 ? s.iters : encoder.device().is_cpu() ? 2 : 10;
  auto ids = random_ids(batch, s.tokens, encoder.device());
  for (int i = 0; i < (encoder.device().is_cpu() ? 1 : 3); ++i)
    synchronize(encoder.forward(ids, at::Tensor()).selected);
  auto start = Clock::now();
  at::Tensor out;
  for (int i = 0; i < iters; ++i) out = encoder.forward(ids, at::Tensor()).selected;
  synchronize(out);
  double tokens_per_s = static_cast<double>(batch) * s.tokens * iters / seconds_since(start);
  double tflops = tokens_per_s * encoder.config().forward_flops_per_token(s.tokens) / 1e12;
  return {{"model", shape},
          {"mode", "embed-full"},
          {"batch", batch},
          {"T", s.tokens},
          {"tokens_per_s", static_cast<std::int64_t>(tokens_per_s)},
          {"tflops", tflops},
          {"mfu_vs_gemm", tflops / ceiling}};
}

// The mix, batched the way `oncolm embed` batches: by length with a token budget of batch x 1,000
// (the padded tokens an hf_bench batch holds), equal-length runs without a mask.
nlohmann::json length_mix(const NtEncoder& encoder, const std::string& shape, const Settings& s, double ceiling) {
  const int batch = s.batch > 0 ? s.batch : encoder.device().is_cpu() ? 2 : (shape == "nt-v2-50m" ? 64 : 16);
  const int n = s.mix_sequences > 0 ? s.mix_sequences : encoder.device().is_cpu() ? 32 : 2048;
  std::vector<std::int64_t> lengths = mix_lengths(2048);
  lengths.resize(static_cast<std::size_t>(std::min(n, 2048)));
  std::int64_t real = 0;
  double flops = 0;
  for (auto length : lengths) {
    real += length;
    flops += static_cast<double>(length) * encoder.config().forward_flops_per_token(static_cast<int>(length));
  }
  auto plan = plan_batches(lengths, static_cast<std::int64_t>(batch) * 1000, 1 << 20);
  struct Prepared { at::Tensor ids, mask; };
  std::vector<Prepared> batches;
  for (const auto& planned : plan) {
    auto ids = at::full({static_cast<std::int64_t>(planned.members.size()), planned.width}, 1, at::kLong);
    for (std::size_t r = 0; r < planned.members.size(); ++r) {
      std::int64_t length = lengths[planned.members[r]];
      ids[static_cast<std::int64_t>(r)].slice(0, 0, length).copy_(random_ids(1, length, at::kCPU)[0]);
    }
    at::Tensor mask = planned.uniform ? at::Tensor() : ids.ne(1).to(at::kLong).to(encoder.device());
    batches.push_back({ids.to(encoder.device()), mask});
  }
  auto run_all = [&]() {
    at::Tensor out;
    for (const auto& b : batches) out = encoder.forward(b.ids, b.mask).selected;
    synchronize(out);
  };
  if (!encoder.device().is_cpu()) run_all();  // warm-up (kernel selection, allocator)
  auto start = Clock::now();
  run_all();
  double elapsed = seconds_since(start);
  std::size_t uniform = 0;
  for (const auto& planned : plan) uniform += planned.uniform;
  double tflops = flops / elapsed / 1e12;
  return {{"model", shape}, {"mode", "embed-mix"}, {"token_budget", batch * 1000}, {"sequences", lengths.size()},
          {"real_tokens", real}, {"padded_tokens", padded_tokens(plan)}, {"batches", plan.size()},
          {"unmasked_batches", uniform}, {"tokens_per_s", static_cast<std::int64_t>(real / elapsed)},
          {"tflops", tflops}, {"mfu_vs_gemm", tflops / ceiling}};
}

}  // namespace

int main(int argc, char** argv) {
  // The kernels and OpenMP wait policy `oncolm` runs with (a restart when either changes).
  oncolm::select_blas_kernels(argv);
  CLI::App app{"NT embedding throughput with random weights"};
  Settings s;
  app.add_option("--device", s.device, "cpu or cuda");
  app.add_option("--shapes", s.shapes, "comma-separated: nt-v2-50m, nt-v2-500m, nt-v1-500m, ...");
  app.add_option("--dtype", s.dtype, "float32 or bfloat16 (default: float32 on CPU, bfloat16 on CUDA)");
  app.add_option("--batch", s.batch, "sequences per full-length batch (mix: token budget = batch x 1000)");
  app.add_option("--iters", s.iters, "timed full-length batches");
  app.add_option("--tokens", s.tokens, "tokens per full-length sequence");
  app.add_flag("--mix", s.mix, "also run hf_bench.py's length mix");
  app.add_option("--mix-sequences", s.mix_sequences, "first N sequences of the mix");
  app.add_option("--threads", s.threads, "CPU threads (0 = all cores)");
  app.add_option("--sdpa", s.sdpa, "attention backend: auto, flash, efficient, math, cudnn (LibTorch >= 2.4)");
  app.add_option("--json", s.json, "also write the results to this file");
  CLI11_PARSE(app, argc, argv);

  at::Device device(s.device);
  if (device.is_cuda() && !at::hasCUDA()) {
    std::fprintf(stderr, "embed_bench: --device %s but LibTorch sees no CUDA device\n", s.device.c_str());
    return 1;
  }
  if (!restrict_attention_backend(s.sdpa)) {
    std::fprintf(stderr, "embed_bench: --sdpa %s is not available with LibTorch %s\n", s.sdpa.c_str(), TORCH_VERSION);
    return 1;
  }
  const bool cpu = device.is_cpu();
  if (s.shapes.empty()) s.shapes = cpu ? "nt-v2-50m" : "nt-v2-50m,nt-v2-500m,nt-v1-500m";
  if (s.dtype.empty()) s.dtype = cpu ? "float32" : "bfloat16";
  const at::ScalarType dtype = s.dtype == "bfloat16" ? at::kBFloat16 : at::kFloat;
  if (cpu) {
    int threads = resolve_thread_count(s.threads);
    at::set_num_threads(threads);
    set_blas_threads(threads);
    tune_cpu_allocator();
  }
  c10::InferenceMode inference;
  double ceiling = gemm_tflops(device, dtype);
  std::printf("embed_bench: torch %s, device %s, %s, attention %s (backend %s), GEMM ceiling %.2f TFLOP/s\n",
              TORCH_VERSION, device.str().c_str(), s.dtype.c_str(),
              TORCH_VERSION_MAJOR >= 2 ? "scaled_dot_product_attention" : "matmul+softmax", s.sdpa.c_str(), ceiling);
  if (cpu)
    std::printf("embed_bench: OpenBLAS kernels %s, OpenMP wait policy %s\n", oncolm::blas_kernels_description().c_str(),
                oncolm::openmp_wait_description().c_str());
  nlohmann::json results = nlohmann::json::array();
  std::string rest = s.shapes;
  while (!rest.empty()) {
    std::string shape = rest.substr(0, rest.find(','));
    rest = rest.find(',') == std::string::npos ? "" : rest.substr(rest.find(',') + 1);
    NtEncoder encoder = NtEncoder::random(NtConfig::preset(shape), 0, device, dtype);
    results.push_back(full_length(encoder, shape, s, ceiling));
    std::printf("%s\n", results.back().dump().c_str());
    std::fflush(stdout);
    if (s.mix) {
      results.push_back(length_mix(encoder, shape, s, ceiling));
      std::printf("%s\n", results.back().dump().c_str());
      std::fflush(stdout);
    }
  }
  if (!s.json.empty()) {
    nlohmann::json out = {{"device", device.str()}, {"dtype", s.dtype}, {"torch", TORCH_VERSION}, {"sdpa", s.sdpa},
                          {"gemm_tflops", ceiling}, {"results", results}};
    std::ofstream(s.json) << out.dump(1) << "\n";
  }
  return 0;
}
