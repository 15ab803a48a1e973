#include "train/distributed.h"

#include <chrono>
#include <cstdlib>
#include <functional>
#include <mutex>
#include <stdexcept>
#include <utility>

#include <algorithm>

#include <fmt/format.h>

#if ONCOLM_WITH_GLOO || ONCOLM_WITH_NCCL
#include <torch/csrc/distributed/c10d/FileStore.hpp>
#include <torch/csrc/distributed/c10d/PrefixStore.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>
#include <torch/csrc/autograd/function.h>
#include <torch/csrc/autograd/function_hook.h>
#include <torch/csrc/autograd/variable.h>
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
  options.write_timeout_seconds = environment_int("ONCOLM_DIST_WRITE_TIMEOUT", options.write_timeout_seconds);
  if (options.world_size < 1 || options.rank < 0 || options.rank >= options.world_size)
    throw std::invalid_argument(
        fmt::format("rank {} of world size {} (ONCOLM_RANK/ONCOLM_WORLD_SIZE or SLURM_PROCID/SLURM_NTASKS)",
                    options.rank, options.world_size));
  if (options.world_size > 1 && options.rendezvous.empty()) {
    // Inside `sbatch -n 4` a plain `oncolm train` sees SLURM_NTASKS=4: say where the size came from.
    const char* source = std::getenv("ONCOLM_WORLD_SIZE") != nullptr ? "ONCOLM_WORLD_SIZE" : "SLURM_NTASKS";
    throw std::invalid_argument(fmt::format(
        "world size {} (from {}): data-parallel training needs ONCOLM_RENDEZVOUS (file:PATH on a shared file system, "
        "or tcp://HOST:PORT of rank 0); for one process, run it with {}=1 or outside the multi-task job step",
        options.world_size, source, source));
  }
  return options;
}

BucketOptions bucket_options_from_environment() {
  BucketOptions options;
  options.bucket_bytes = std::int64_t{environment_int("ONCOLM_GRAD_BUCKET_KB", 0)} << 10;
  options.first_bucket_bytes = std::int64_t{environment_int("ONCOLM_GRAD_FIRST_BUCKET_KB", 0)} << 10;
  if (options.bucket_bytes <= 0) options.bucket_bytes = BucketOptions{}.bucket_bytes;
  if (options.first_bucket_bytes <= 0) options.first_bucket_bytes = std::min(options.bucket_bytes, BucketOptions{}.first_bucket_bytes);
  options.overlap = environment_int("ONCOLM_GRAD_OVERLAP", 1) != 0;
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
  c10::intrusive_ptr<c10d::Store> store;
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

std::uint16_t rendezvous_port(const std::string& rendezvous, const std::string& digits) {
  const bool valid = !digits.empty() && digits.size() <= 5 && digits.find_first_not_of("0123456789") == std::string::npos &&
                     std::stoi(digits) >= 1 && std::stoi(digits) <= 65535;
  if (!valid)
    throw std::invalid_argument("rendezvous " + rendezvous + " (ONCOLM_RENDEZVOUS): port '" + digits +
                                "' is not a number in 1-65535 (tcp://HOST:PORT)");
  return static_cast<std::uint16_t>(std::stoi(digits));
}

c10::intrusive_ptr<c10d::Store> make_store(const DistributedOptions& o) {
  const std::string& r = o.rendezvous;
  if (r.rfind("file:", 0) == 0) return c10::make_intrusive<c10d::FileStore>(r.substr(5), o.world_size);
  if (r.rfind("tcp://", 0) == 0) {
    const std::string address = r.substr(6);
    const auto colon = address.rfind(':');
    if (colon == std::string::npos) throw std::invalid_argument("rendezvous " + r + ": no port (tcp://HOST:PORT)");
    c10d::TCPStoreOptions store;
    store.port = rendezvous_port(r, address.substr(colon + 1));
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
    impl_->store = store;
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

void Communicator::wait_for_primary_writes(const std::string& what) {
  const std::string key = "written/" + what;
  if (rank() == 0) {
    impl_->store->set(key, std::vector<std::uint8_t>{1});
    return;
  }
  try {
    impl_->store->wait({key}, std::chrono::seconds(options_.write_timeout_seconds));
  } catch (const std::exception& error) {
    throw std::runtime_error(fmt::format("rank {}: rank 0 did not finish writing {} within {} s "
                                         "(ONCOLM_DIST_WRITE_TIMEOUT), or stopped: {}",
                                         rank(), what, options_.write_timeout_seconds, error.what()));
  }
}

// --- GradientReducer ---

namespace {

// Calls back once the autograd engine has accumulated a parameter's gradient into .grad: a post hook
// on the parameter's AccumulateGrad node (a Tensor hook runs before accumulation, so it would see
// only this micro-batch's share). The signature is the same in LibTorch 1.13 and 2.x, and the hook
// compiled autograd would want (compiled_args) has a default there.
class AccumulatedHook final : public torch::autograd::FunctionPostHook {
 public:
  explicit AccumulatedHook(std::function<void()> accumulated) : accumulated_(std::move(accumulated)) {}
  torch::autograd::variable_list operator()(const torch::autograd::variable_list& outputs,
                                            const torch::autograd::variable_list& /*inputs*/) override {
    accumulated_();
    return outputs;
  }

 private:
  std::function<void()> accumulated_;
};

// The bucket knobs reach each rank through its own environment (under srun too), and ranks that cut
// different buckets would pair collectives of different sizes: they must agree before the first step.
void check_same_buckets(Communicator& comm, std::size_t buckets, std::int64_t first_bucket_values) {
  const double count = static_cast<double>(buckets), first = static_cast<double>(first_bucket_values);
  std::vector<double> sums = {count, count * count, first, first * first};
  comm.all_reduce_sum(sums);
  // N values are all equal exactly when the square of their sum is N times the sum of their squares.
  const double n = comm.world_size();
  if (sums[0] * sums[0] != n * sums[1] || sums[2] * sums[2] != n * sums[3])
    throw std::invalid_argument(fmt::format("rank {}: the ranks cut the gradients into different buckets (here {}); "
                                            "set ONCOLM_GRAD_BUCKET_KB and ONCOLM_GRAD_FIRST_BUCKET_KB alike on every "
                                            "rank", comm.rank(), buckets));
}

}  // namespace

struct GradientReducer::Impl {
  struct Bucket {
    std::vector<std::size_t> members;   // parameter indices, in the order they sit in `flat`
    std::vector<std::int64_t> offsets;  // where each member starts in `flat`
    std::int64_t numel = 0;
    std::vector<at::Tensor> flat;       // the one tensor sent (a vector: c10d's allreduce takes one)
    std::size_t waiting = 0;            // members whose gradient this step has not accumulated yet
    c10::intrusive_ptr<c10d::Work> work;
  };

  BucketOptions options;
  ReducerStats stats;
  std::function<c10::intrusive_ptr<c10d::Work>(std::vector<at::Tensor>&)> allreduce;
  int rank = 0, timeout_seconds = 0;
  std::vector<at::Tensor> params;
  std::vector<std::size_t> bucket_of, slot_of;  // per parameter
  std::vector<char> arrived;                    // per parameter, this step
  std::vector<Bucket> buckets;
  std::vector<std::pair<std::shared_ptr<torch::autograd::Node>, std::uintptr_t>> hooks;
  std::mutex mutex;      // on CUDA the engine runs the hooks on its device thread
  bool armed = false;    // the step's last backward is running and overlap is on
  std::size_t next = 0;  // buckets start in index order on every rank: this one is next

  void make_buckets();
  void add_hooks();
  void reset();
  void accumulated(std::size_t param);
  void copy_in(std::size_t param);
  void launch_ready();
  void launch(Bucket& bucket);
  void copy_out(const Bucket& bucket);
};

// Reverse registration order (the output side of the model first, where backward starts), a new
// bucket when the size cap would be passed or the dtype or device changes.
void GradientReducer::Impl::make_buckets() {
  std::int64_t filled = 0;
  for (std::size_t i = params.size(); i-- > 0;) {
    const at::Tensor& p = params[i];
    const std::int64_t bytes = p.numel() * static_cast<std::int64_t>(p.element_size());
    const std::int64_t cap = buckets.size() <= 1 ? options.first_bucket_bytes : options.bucket_bytes;
    const bool fits = !buckets.empty() && (filled == 0 || filled + bytes <= cap) &&
                      p.scalar_type() == params[buckets.back().members.front()].scalar_type() &&
                      p.device() == params[buckets.back().members.front()].device();
    if (!fits) {
      buckets.emplace_back();
      filled = 0;
    }
    Bucket& b = buckets.back();
    bucket_of[i] = buckets.size() - 1;
    slot_of[i] = b.members.size();
    b.members.push_back(i);
    b.offsets.push_back(b.numel);
    b.numel += p.numel();
    filled += bytes;
  }
  for (Bucket& b : buckets) {
    const at::Tensor& first = params[b.members.front()];
    b.flat = {at::empty({b.numel}, first.options().requires_grad(false))};
    stats.bytes_per_step += b.numel * static_cast<std::int64_t>(first.element_size());
  }
  stats.buckets = buckets.size();
}

void GradientReducer::Impl::add_hooks() {
  for (std::size_t i = 0; i < params.size(); ++i) {
    // The engine holds a leaf's accumulator only while a graph uses it; holding it here keeps the
    // hook for every later step.
    std::shared_ptr<torch::autograd::Node> accumulator = torch::autograd::impl::grad_accumulator(params[i]);
    const std::uintptr_t key = accumulator->add_post_hook(std::make_unique<AccumulatedHook>([this, i] { accumulated(i); }));
    hooks.emplace_back(std::move(accumulator), key);
  }
}

void GradientReducer::Impl::reset() {
  armed = false;
  next = 0;
  std::fill(arrived.begin(), arrived.end(), 0);
  for (Bucket& b : buckets) {
    b.waiting = b.members.size();
    b.work.reset();
  }
}

void GradientReducer::Impl::accumulated(std::size_t param) {
  std::lock_guard<std::mutex> lock(mutex);
  if (!armed) return;
  Bucket& b = buckets[bucket_of[param]];
  if (arrived[param]) {
    // Only a reentrant backward inside this one could accumulate a parameter twice (none in oncolm:
    // activation checkpointing uses autograd::grad); once its bucket is on the wire, the ranks could
    // no longer agree on what was summed.
    if (b.work)
      throw std::logic_error(fmt::format("rank {}: a gradient was accumulated again after its bucket was sent", rank));
    copy_in(param);
    return;
  }
  arrived[param] = 1;
  copy_in(param);
  --b.waiting;
  launch_ready();
}

void GradientReducer::Impl::copy_in(std::size_t param) {
  at::NoGradGuard no_grad;
  const Bucket& b = buckets[bucket_of[param]];
  const at::Tensor& p = params[param];
  at::Tensor slot = b.flat[0].narrow(0, b.offsets[slot_of[param]], p.numel()).view(p.sizes());
  // A parameter this rank's micro-batches never reached still takes part, as zeros.
  if (p.grad().defined())
    slot.copy_(p.grad());
  else
    slot.zero_();
}

void GradientReducer::Impl::launch_ready() {
  while (next < buckets.size() && buckets[next].waiting == 0) launch(buckets[next++]);
}

void GradientReducer::Impl::launch(Bucket& bucket) { bucket.work = allreduce(bucket.flat); }

void GradientReducer::Impl::copy_out(const Bucket& bucket) {
  at::NoGradGuard no_grad;
  for (std::size_t k = 0; k < bucket.members.size(); ++k) {
    const at::Tensor& p = params[bucket.members[k]];
    at::Tensor sum = bucket.flat[0].narrow(0, bucket.offsets[k], p.numel()).view(p.sizes());
    at::Tensor& grad = p.mutable_grad();
    if (grad.defined())
      grad.copy_(sum);
    else
      grad = sum.clone();
  }
}

GradientReducer::GradientReducer(Communicator& comm, const std::vector<at::Tensor>& parameters,
                                 const BucketOptions& options)
    : impl_(std::make_unique<Impl>()) {
  Impl& r = *impl_;
  r.options = options;
  r.allreduce = [group = comm.impl_.get()](std::vector<at::Tensor>& tensors) { return group->allreduce(tensors); };
  r.rank = comm.rank();
  r.timeout_seconds = comm.options_.timeout_seconds;
  for (const at::Tensor& p : parameters)
    if (p.requires_grad()) r.params.push_back(p);  // frozen weights have no gradient to sum
  r.bucket_of.resize(r.params.size());
  r.slot_of.resize(r.params.size());
  r.arrived.resize(r.params.size());
  r.make_buckets();
  check_same_buckets(comm, r.buckets.size(), r.buckets.empty() ? 0 : r.buckets.front().numel);
  r.add_hooks();
  r.reset();
}

GradientReducer::~GradientReducer() {
  for (auto& [accumulator, key] : impl_->hooks) accumulator->del_post_hook(key);
}

void GradientReducer::prepare_backward(bool last_micro_batch) {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  impl_->armed = last_micro_batch && impl_->options.overlap;
}

void GradientReducer::finish_step() {
  Impl& r = *impl_;
  const auto start = std::chrono::steady_clock::now();
  {
    std::lock_guard<std::mutex> lock(r.mutex);
    r.armed = false;
    r.stats.launched_in_backward = r.next;
    for (; r.next < r.buckets.size(); ++r.next) {  // not full during backward, or overlap off
      Impl::Bucket& b = r.buckets[r.next];
      for (std::size_t param : b.members)
        if (!r.arrived[param]) r.copy_in(param);
      r.launch(b);
    }
  }
  try {
    for (Impl::Bucket& b : r.buckets) {
      b.work->wait();
      r.copy_out(b);
    }
  } catch (const std::exception& error) {
    throw std::runtime_error(fmt::format("rank {}: gradient all-reduce failed (another rank stopped or timed out "
                                         "after {} s?): {}", r.rank, r.timeout_seconds, error.what()));
  }
  r.reset();
  ++r.stats.steps;
  r.stats.wait_seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

#else

bool data_parallel_available() { return false; }

struct Communicator::Impl {};

Communicator::Communicator(const DistributedOptions& options) : options_(options) {
  throw std::runtime_error("this build of oncolm has no c10d/Gloo (Debian: libgloo-dev), so it cannot train on " +
                           std::to_string(options.world_size) + " processes");
}
Communicator::~Communicator() = default;
void Communicator::all_reduce_sum(std::vector<double>&) {}
void Communicator::barrier() {}
void Communicator::wait_for_primary_writes(const std::string&) {}

struct GradientReducer::Impl {
  BucketOptions options;
  ReducerStats stats;
};
// Unreachable: no Communicator can be made in this build.
GradientReducer::GradientReducer(Communicator&, const std::vector<at::Tensor>&, const BucketOptions& options)
    : impl_(std::make_unique<Impl>()) {
  impl_->options = options;
}
GradientReducer::~GradientReducer() = default;
void GradientReducer::prepare_backward(bool) {}
void GradientReducer::finish_step() {}

#endif

const ReducerStats& GradientReducer::stats() const { return impl_->stats; }
const BucketOptions& GradientReducer::options() const { return impl_->options; }

}  // namespace oncolm::train
