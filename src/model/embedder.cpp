#include "model/embedder.h"

#include <chrono>
#include <optional>
#include <stdexcept>
#include <thread>

#include <ATen/Parallel.h>
#include <c10/core/Event.h>
#include <c10/core/InferenceMode.h>
#include <c10/core/impl/VirtualGuardImpl.h>
#include <fmt/format.h>

#include "core/error.h"
#include "core/paths.h"
#include "core/threads.h"
#include "model/batching.h"
#include "model/checkpoint.h"
#include "model/nt_encoder.h"

namespace oncolm::model {

Pooling parse_pooling(const std::string& name) {
  if (name == "mean") return Pooling::mean;
  if (name == "cls") return Pooling::cls;
  if (name == "variant") return Pooling::variant;
  throw std::invalid_argument("unknown pooling '" + name + "' (mean, cls or variant)");
}

const char* pooling_name(Pooling pooling) {
  switch (pooling) {
    case Pooling::mean: return "mean";
    case Pooling::cls: return "cls";
    case Pooling::variant: return "variant";
  }
  return "?";
}

struct Embedder::Impl {
  NtConfig config;
  std::unique_ptr<Tokenizer> tokenizer;
  std::unique_ptr<NtEncoder> encoder;
  std::string format;
  std::vector<std::string> files;
  EmbedderOptions options;
  at::Device device{at::kCPU};
  at::ScalarType dtype = at::kFloat;
  int layer = 0;
  std::int64_t token_budget = 0;
};

namespace {

at::Device parse_device(const std::string& name) {
  try {
    at::Device device(name);
    if (device.is_cuda() && !at::hasCUDA())
      throw std::runtime_error("device '" + name + "' requested, but this LibTorch build or machine has no CUDA");
    return device;
  } catch (const c10::Error&) {
    throw std::runtime_error("unknown device '" + name + "' (cpu, cuda, cuda:N)");
  }
}

}  // namespace

Embedder::Embedder(const std::string& model_dir, const EmbedderOptions& options) : impl_(std::make_unique<Impl>()) {
  Impl& s = *impl_;
  s.options = options;
  s.config = NtConfig::load_dir(model_dir);
  Vocabulary vocabulary = Vocabulary::load_model(model_dir, s.config.vocab_size);
  s.tokenizer = std::make_unique<Tokenizer>(std::move(vocabulary));
  s.device = parse_device(options.device);
  s.dtype = options.bfloat16 ? at::kBFloat16 : at::kFloat;
  if (options.layer < -1)  // not Python's "second to last": only -1 (the default) means the last
    throw std::invalid_argument(fmt::format("--layer {}: give 0..{}, or -1 for the last", options.layer,
                                            s.config.num_layers));
  s.layer = options.layer < 0 ? s.config.num_layers : options.layer;
  if (s.layer > s.config.num_layers)
    throw std::invalid_argument(
        fmt::format("--layer {}: the model has hidden states 0..{}", s.layer, s.config.num_layers));
  if (s.device.is_cpu()) {
    // GEMMs run in OpenBLAS's pool and element-wise ops in torch's, one after the other: both
    // get every thread, neither runs inside the other.
    at::set_num_threads(std::max(1, options.threads));
    set_blas_threads(std::max(1, options.threads));
    tune_cpu_allocator();
  }
  {
    Checkpoint checkpoint = Checkpoint::load_dir(model_dir);
    s.format = checkpoint.format();
    s.files = checkpoint.files();
    s.encoder = std::make_unique<NtEncoder>(s.config, checkpoint);
  }  // the mapped files are released here: the encoder holds its own copy
  s.encoder->to(s.device, s.dtype);
  s.token_budget = options.token_budget > 0 ? options.token_budget : s.device.is_cpu() ? 4096 : 65536;
}

Embedder::~Embedder() = default;

const NtConfig& Embedder::config() const { return impl_->config; }
const Tokenizer& Embedder::tokenizer() const { return *impl_->tokenizer; }
const std::string& Embedder::weights_format() const { return impl_->format; }
const std::vector<std::string>& Embedder::weight_files() const { return impl_->files; }
int Embedder::layer() const { return impl_->layer; }
std::int64_t Embedder::dim() const { return impl_->config.hidden_size; }

std::string Embedder::compute_description() const {
  const Impl& s = *impl_;
  std::string text = fmt::format("{} {}", s.device.str(), s.dtype == at::kBFloat16 ? "bfloat16" : "float32");
  if (s.device.is_cpu()) {
    int threads = at::get_num_threads();
    text += fmt::format(" ({} thread{})", threads, threads == 1 ? "" : "s");
  }
  return text;
}

namespace {

// One batch's token ids and pooling weights, built on the host: in page-locked memory when they go
// to a GPU, so the copy is asynchronous and the host can go on to the next batch.
struct HostBatch {
  at::Tensor ids;        // [rows, width] int64, padded with <pad>
  at::Tensor pool_mask;  // [rows, width] float: 1 for the tokens that are pooled
  std::size_t tokens = 0;
};

HostBatch build_host_batch(const std::vector<EmbedItem>& items, const PlannedBatch& batch, const NtConfig& config,
                           Pooling pooling, bool pinned) {
  const auto rows = static_cast<std::int64_t>(batch.members.size());
  HostBatch host;
  auto options = at::TensorOptions().pinned_memory(pinned);
  host.ids = at::empty({rows, batch.width}, options.dtype(at::kLong)).fill_(config.pad_token_id);
  host.pool_mask = at::zeros({rows, batch.width}, options.dtype(at::kFloat));
  auto ids_data = host.ids.accessor<std::int64_t, 2>();
  auto pool_data = host.pool_mask.accessor<float, 2>();
  for (std::int64_t r = 0; r < rows; ++r) {
    const EmbedItem& item = items[batch.members[static_cast<std::size_t>(r)]];
    for (std::size_t t = 0; t < item.ids.size(); ++t) {
      if (item.ids[t] < 0 || item.ids[t] >= config.vocab_size)
        throw std::invalid_argument(fmt::format("token id {} is outside the embedding table", item.ids[t]));
      ids_data[r][static_cast<std::int64_t>(t)] = item.ids[t];
    }
    const bool by_span = pooling == Pooling::variant;
    const std::int64_t begin = by_span ? item.span_begin : 0;
    const std::int64_t end = by_span ? item.span_end : static_cast<std::int64_t>(item.ids.size());
    for (std::int64_t t = begin; t < end; ++t) pool_data[r][t] = 1.0f;
    host.tokens += item.ids.size();
  }
  return host;
}

// A batch whose pooled rows are on their way back from the device: `rows` is the host tensor the
// asynchronous copy writes, `ready` the event recorded on the stream after it.
struct BatchInFlight {
  const PlannedBatch* batch = nullptr;
  std::size_t tokens = 0;
  at::Tensor rows;
  std::optional<c10::Event> ready;
};

}  // namespace

void Embedder::embed(const std::vector<EmbedItem>& items, float* out,
                     const std::function<void(std::size_t, std::size_t)>& progress) const {
  const Impl& s = *impl_;
  c10::InferenceMode inference;
  std::vector<std::int64_t> lengths;
  lengths.reserve(items.size());
  for (const auto& item : items) {
    if (item.ids.empty() || static_cast<int>(item.ids.size()) > s.config.max_tokens)
      throw std::invalid_argument(fmt::format("an item of {} tokens (limit {}) reached the embedder",
                                              item.ids.size(), s.config.max_tokens));
    lengths.push_back(static_cast<std::int64_t>(item.ids.size()));
  }
  ForwardOptions forward;
  forward.layer = s.layer;
  const std::int64_t dim = s.config.hidden_size;
  const bool on_gpu = !s.device.is_cpu();
  std::size_t items_done = 0, tokens_done = 0;

  // Copies a finished batch's rows into `out`, waiting for its device-to-host copy first.
  auto collect = [&](BatchInFlight& done) {
    if (done.ready)
      while (!done.ready->query()) std::this_thread::sleep_for(std::chrono::microseconds(20));
    const float* rows_data = done.rows.data_ptr<float>();
    for (std::size_t r = 0; r < done.batch->members.size(); ++r)
      std::copy_n(rows_data + static_cast<std::int64_t>(r) * dim, dim, out + done.batch->members[r] * dim);
    items_done += done.batch->members.size();
    tokens_done += done.tokens;
    if (progress) progress(items_done, tokens_done);
  };

  // On a GPU, batch i+1 is built and launched before the host waits for batch i's rows, so the
  // device always has work queued; there is no synchronisation of the whole device per batch.
  std::optional<BatchInFlight> pending;
  const std::vector<PlannedBatch> batches = plan_batches(lengths, s.token_budget, s.options.max_rows);
  for (const PlannedBatch& batch : batches) {
    HostBatch host = build_host_batch(items, batch, s.config, s.options.pooling, on_gpu);
    at::Tensor ids = host.ids.to(s.device, /*non_blocking=*/on_gpu);
    at::Tensor attention_mask;  // undefined for uniform batches: no mask, fused attention
    if (!batch.uniform) attention_mask = ids.ne(s.config.pad_token_id).to(at::kLong);
    at::Tensor hidden = s.encoder->forward(ids, attention_mask, forward).selected;
    at::Tensor pooled = s.options.pooling == Pooling::cls
                            ? hidden.select(1, 0).to(at::kFloat)
                            : masked_mean(hidden, host.pool_mask.to(s.device, /*non_blocking=*/on_gpu));
    BatchInFlight launched;
    launched.batch = &batch;
    launched.tokens = host.tokens;
    if (on_gpu) {
      launched.rows = at::empty(pooled.sizes(), at::TensorOptions().dtype(at::kFloat).pinned_memory(true));
      launched.rows.copy_(pooled, /*non_blocking=*/true);
      launched.ready.emplace(s.device.type());
      launched.ready->record(c10::impl::VirtualGuardImpl(s.device.type()).getStream(s.device));
    } else {
      launched.rows = pooled.contiguous();
    }
    if (pending) collect(*pending);
    pending = std::move(launched);
  }
  if (pending) collect(*pending);
}

}  // namespace oncolm::model
