#include "train/distributed.h"

#include <chrono>
#include <cstdlib>
#include <stdexcept>

#include <fmt/format.h>

#if ONCOLM_WITH_GLOO || ONCOLM_WITH_NCCL
#include <torch/csrc/distributed/c10d/FileStore.hpp>
#include <torch/csrc/distributed/c10d/PrefixStore.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>
#endif
#if ONCOLM_WITH_GLOO
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#endif
#if ONCOLM_WITH_NCCL
#include <torch/csrc/distributed/c10d/ProcessGroupNCCL.hpp>
#include <torch/cuda.h>
#endif

namespace oncolm::train {

namespace {

int environment_int(const char* name, int fallback) {
  const char* value = std::getenv(name);
  if (value == nullptr || *value == '\0') return fallback;
  try {
    return std::stoi(value);
  } catch (const std::exception&) {
    throw std::invalid_argument(fmt::format("{}='{}' is not an integer", name, value));
  }
}

}  // namespace

DistributedOptions distributed_from_environment() {
  DistributedOptions options;
  options.rank = environment_int("ONCOLM_RANK", environment_int("SLURM_PROCID", 0));
  options.world_size = environment_int("ONCOLM_WORLD_SIZE", environment_int("SLURM_NTASKS", 1));
  if (const char* rendezvous = std::getenv("ONCOLM_RENDEZVOUS")) options.rendezvous = rendezvous;
  options.timeout_seconds = environment_int("ONCOLM_DIST_TIMEOUT", options.timeout_seconds);
  if (options.world_size < 1 || options.rank < 0 || options.rank >= options.world_size)
    throw std::invalid_argument(
        fmt::format("rank {} of world size {} (ONCOLM_RANK/ONCOLM_WORLD_SIZE or SLURM_PROCID/SLURM_NTASKS)",
                    options.rank, options.world_size));
  if (options.world_size > 1 && options.rendezvous.empty())
    throw std::invalid_argument("data-parallel training needs ONCOLM_RENDEZVOUS (file:PATH on a shared file system, "
                                "or tcp://HOST:PORT of rank 0)");
  return options;
}

#if ONCOLM_WITH_NCCL
bool nccl_available() { return true; }
#else
bool nccl_available() { return false; }
#endif

#if ONCOLM_WITH_GLOO || ONCOLM_WITH_NCCL

bool data_parallel_available() { return true; }

// One of the two process groups, behind the allreduce both offer.
struct Communicator::Impl {
#if ONCOLM_WITH_GLOO
  c10::intrusive_ptr<c10d::ProcessGroupGloo> gloo;
#endif
#if ONCOLM_WITH_NCCL
  c10::intrusive_ptr<c10d::ProcessGroupNCCL> nccl;
#endif
  at::Device device = at::kCPU;  // where the collective's tensors must be
  c10::intrusive_ptr<c10d::Work> allreduce(std::vector<at::Tensor>& tensors) {
#if ONCOLM_WITH_NCCL
    if (nccl) return nccl->allreduce(tensors);
#endif
#if ONCOLM_WITH_GLOO
    if (gloo) return gloo->allreduce(tensors);
#endif
    throw std::logic_error("no process group");
  }
};

namespace {

c10::intrusive_ptr<c10d::Store> make_store(const DistributedOptions& o) {
  const std::string& r = o.rendezvous;
  if (r.rfind("file:", 0) == 0) return c10::make_intrusive<c10d::FileStore>(r.substr(5), o.world_size);
  if (r.rfind("tcp://", 0) == 0) {
    const std::string address = r.substr(6);
    const auto colon = address.rfind(':');
    if (colon == std::string::npos) throw std::invalid_argument("rendezvous " + r + ": no port (tcp://HOST:PORT)");
    c10d::TCPStoreOptions store;
    store.port = static_cast<std::uint16_t>(std::stoi(address.substr(colon + 1)));
    store.isServer = o.rank == 0;
    store.numWorkers = o.world_size;
    store.timeout = std::chrono::seconds(o.timeout_seconds);
    return c10::make_intrusive<c10d::TCPStore>(address.substr(0, colon), store);
  }
  throw std::invalid_argument("rendezvous '" + r + "': use file:PATH or tcp://HOST:PORT");
}

}  // namespace

Communicator::Communicator(const DistributedOptions& options) : options_(options), impl_(std::make_unique<Impl>()) {
  if (options.backend != "gloo" && options.backend != "nccl")
    throw std::invalid_argument("backend '" + options.backend + "': gloo or nccl");
#if !ONCOLM_WITH_NCCL
  if (options.backend == "nccl") throw std::runtime_error("this build of oncolm has no NCCL (c10d ProcessGroupNCCL)");
#endif
#if !ONCOLM_WITH_GLOO
  if (options.backend == "gloo") throw std::runtime_error("this build of oncolm has no Gloo (Debian: libgloo-dev)");
#endif
  try {
    auto store = c10::make_intrusive<c10d::PrefixStore>("oncolm", make_store(options));
#if ONCOLM_WITH_NCCL
    if (options.backend == "nccl") {
      impl_->device = at::Device(at::kCUDA, static_cast<c10::DeviceIndex>(options.rank % static_cast<int>(torch::cuda::device_count())));
      impl_->nccl = c10::make_intrusive<c10d::ProcessGroupNCCL>(store, options.rank, options.world_size,
                                                                  c10d::ProcessGroupNCCL::Options::create());
    }
#endif
#if ONCOLM_WITH_GLOO
    if (options.backend == "gloo") {
      auto gloo = c10d::ProcessGroupGloo::Options::create(std::chrono::seconds(options.timeout_seconds));
      gloo->devices.push_back(c10d::ProcessGroupGloo::createDeviceForHostname(
          options.rendezvous.rfind("tcp://", 0) == 0 ? std::string("0.0.0.0") : std::string("127.0.0.1")));
      impl_->gloo = c10::make_intrusive<c10d::ProcessGroupGloo>(store, options.rank, options.world_size, gloo);
    }
#endif
  } catch (const std::exception& error) {
    throw std::runtime_error(fmt::format("rank {} of {}: cannot join the process group at {}: {}", options.rank,
                                         options.world_size, options.rendezvous, error.what()));
  }
}

Communicator::~Communicator() = default;

void Communicator::all_reduce_sum(const std::vector<at::Tensor>& tensors) {
  constexpr std::int64_t bucket_values = 4 << 20;
  std::vector<std::vector<at::Tensor>> buckets(1);
  std::int64_t filled = 0;
  for (const auto& t : tensors) {
    if (filled > 0 && filled + t.numel() > bucket_values) {
      buckets.emplace_back();
      filled = 0;
    }
    buckets.back().push_back(t);
    filled += t.numel();
  }
  std::vector<std::vector<at::Tensor>> flats;
  std::vector<c10::intrusive_ptr<c10d::Work>> pending;
  for (const auto& bucket : buckets) {
    if (bucket.empty()) continue;
    std::vector<at::Tensor> views;
    for (const auto& t : bucket) views.push_back(t.reshape({-1}));
    flats.push_back({at::cat(views)});
    pending.push_back(impl_->allreduce(flats.back()));  // sent while the next bucket is packed
  }
  try {
    for (auto& work : pending) work->wait();
  } catch (const std::exception& error) {
    throw std::runtime_error(fmt::format("rank {}: gradient all-reduce failed (another rank stopped or timed out "
                                         "after {} s?): {}", rank(), options_.timeout_seconds, error.what()));
  }
  std::size_t b = 0;
  for (const auto& bucket : buckets) {
    if (bucket.empty()) continue;
    std::int64_t offset = 0;
    for (const auto& t : bucket) {
      t.copy_(flats[b][0].slice(0, offset, offset + t.numel()).view(t.sizes()));
      offset += t.numel();
    }
    ++b;
  }
}

void Communicator::all_reduce_sum(std::vector<double>& values) {
  if (values.empty()) return;
  std::vector<at::Tensor> tensor = {at::tensor(values, at::kDouble).to(impl_->device)};
  try {
    impl_->allreduce(tensor)->wait();
  } catch (const std::exception& error) {
    throw std::runtime_error(fmt::format("rank {}: all-reduce failed (another rank stopped or timed out after {} s?): "
                                         "{}", rank(), options_.timeout_seconds, error.what()));
  }
  const at::Tensor host = tensor[0].to(at::kCPU);
  const double* summed = host.data_ptr<double>();
  for (std::size_t i = 0; i < values.size(); ++i) values[i] = summed[i];
}

void Communicator::barrier() {
  std::vector<double> nothing = {0.0};
  all_reduce_sum(nothing);
}

#else

bool data_parallel_available() { return false; }

struct Communicator::Impl {};

Communicator::Communicator(const DistributedOptions& options) : options_(options) {
  throw std::runtime_error("this build of oncolm has no c10d/Gloo (Debian: libgloo-dev), so it cannot train on " +
                           std::to_string(options.world_size) + " processes");
}
Communicator::~Communicator() = default;
void Communicator::all_reduce_sum(const std::vector<at::Tensor>&) {}
void Communicator::all_reduce_sum(std::vector<double>&) {}
void Communicator::barrier() {}

#endif

}  // namespace oncolm::train
