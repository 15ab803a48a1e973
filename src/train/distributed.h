// Data-parallel training over c10d, LibTorch's collective layer, with its Gloo backend: every rank
// holds the whole model, trains on its own share of each step's micro-batches, and the gradients are
// summed across ranks (in buckets, sent while the backward pass still runs: GradientReducer) before
// the optimizer step, so every rank takes the same step.
// Ranks meet through a rendezvous store: a file on a shared file system (file:PATH) or a TCP
// server run by rank 0 (tcp://HOST:PORT).
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <ATen/ATen.h>

#include "train/distributed_options.h"

namespace oncolm::train {

class Communicator {
 public:
  // Joins the process group; throws std::runtime_error naming the rendezvous when it cannot.
  explicit Communicator(const DistributedOptions& options);
  ~Communicator();
  Communicator(const Communicator&) = delete;
  Communicator& operator=(const Communicator&) = delete;

  int rank() const { return options_.rank; }
  int world_size() const { return options_.world_size; }
  const std::string& backend() const { return options_.backend; }
  // Sums the values over all ranks, in place (losses and counts for logging, stop flags).
  void all_reduce_sum(std::vector<double>& values);
  void barrier();
  // After files that rank 0 writes alone (`what`: a name unique to this write, e.g. "checkpoint 40"):
  // rank 0 posts it to the rendezvous store, the others wait for it there for up to
  // write_timeout_seconds, not in a collective bounded by timeout_seconds.
  void wait_for_primary_writes(const std::string& what);

 private:
  friend class GradientReducer;  // launches its own asynchronous all-reduces
  struct Impl;
  DistributedOptions options_;
  std::unique_ptr<Impl> impl_;
};

// How gradients travel. Buckets follow the parameters in reverse registration order, about the
// order the backward pass finishes them; the first is small so that communication starts early
// (PyTorch DDP's 1 MB and 25 MB).
struct BucketOptions {
  std::int64_t first_bucket_bytes = 1 << 20;
  std::int64_t bucket_bytes = 25 << 20;
  // Each bucket's all-reduce starts as soon as the backward pass has accumulated every gradient in
  // it; false: all of them start after backward returns (the same buckets, for comparison).
  bool overlap = true;
};

// The defaults, overridden by ONCOLM_GRAD_BUCKET_KB, ONCOLM_GRAD_FIRST_BUCKET_KB and
// ONCOLM_GRAD_OVERLAP (0 or 1): knobs for tests and benchmarks, inherited by every rank `--nproc`
// starts; ranks started otherwise must set the bucket sizes alike (GradientReducer checks).
BucketOptions bucket_options_from_environment();

struct ReducerStats {
  std::size_t buckets = 0;
  std::int64_t bytes_per_step = 0;       // gradient bytes each rank all-reduces per step
  std::int64_t steps = 0;
  std::size_t launched_in_backward = 0;  // of the last step: buckets sent before backward returned
  double wait_seconds = 0;               // all steps: from backward's return to the sums in .grad
};

// Sums the gradients of `parameters` over the ranks, as PyTorch DDP's reducer does: a hook on each
// parameter's gradient accumulator copies its gradient into its bucket during the backward pass of
// the step's last micro-batch, and a full bucket is all-reduced at once, asynchronously, while
// backward goes on with earlier layers. Buckets start in one fixed order on every rank (a bucket
// waits for those before it), so the ranks' collectives pair up even when a parameter gets no
// gradient on some rank; finish_step() sends what is left (zeros for such a parameter), waits and
// writes the sums into .grad. Parameters that do not require gradients (frozen) are left out.
class GradientReducer {
 public:
  GradientReducer(Communicator& comm, const std::vector<at::Tensor>& parameters, const BucketOptions& options = {});
  ~GradientReducer();  // removes the hooks
  GradientReducer(const GradientReducer&) = delete;
  GradientReducer& operator=(const GradientReducer&) = delete;

  // Before each micro-batch's backward: only the step's last one communicates; earlier ones just
  // accumulate into .grad (DDP's no_sync).
  void prepare_backward(bool last_micro_batch);
  // After the step's last backward: every rank's .grad then holds the sum over the ranks.
  void finish_step();
  const ReducerStats& stats() const;
  const BucketOptions& options() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace oncolm::train
