// Data-parallel training over c10d, LibTorch's collective layer, with its Gloo backend: every rank
// holds the whole model, trains on its own share of each step's micro-batches, and the gradients are
// summed across ranks (in buckets) before the optimizer step, so every rank takes the same step.
// Ranks meet through a rendezvous store: a file on a shared file system (file:PATH) or a TCP
// server run by rank 0 (tcp://HOST:PORT).
#pragma once
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
  // Sums the tensors over all ranks, in place, in buckets of about 4M values sent together.
  void all_reduce_sum(const std::vector<at::Tensor>& tensors);
  // Sums the values over all ranks, in place (losses and counts for logging, stop flags).
  void all_reduce_sum(std::vector<double>& values);
  void barrier();

 private:
  struct Impl;
  DistributedOptions options_;
  std::unique_ptr<Impl> impl_;
};

}  // namespace oncolm::train
