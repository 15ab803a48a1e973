// Who a data-parallel rank is and where the ranks meet (no LibTorch header: the options and the CLI
// include it). src/train/distributed.h has the communication itself.
#pragma once
#include <string>

namespace oncolm::train {

struct DistributedOptions {
  int rank = 0;
  int world_size = 1;
  std::string rendezvous;  // file:PATH or tcp://HOST:PORT (rank 0 serves it)
  int timeout_seconds = 300;  // a collective that waits this long for a rank that has stopped fails
  // How long the other ranks wait for the files rank 0 writes alone (checkpoints, best/, final/):
  // apart from timeout_seconds, since a large checkpoint on network storage can take longer.
  int write_timeout_seconds = 3600;
  // gloo (CPU, and CUDA tensors through the host) or nccl (CUDA: the pip wheel's NCCL, one GPU per
  // rank, cuda:<rank % GPUs>); the trainer picks nccl on CUDA where the build has it.
  std::string backend = "gloo";
};

// The rank, world size and rendezvous a launcher put in the environment: ONCOLM_RANK,
// ONCOLM_WORLD_SIZE, ONCOLM_RENDEZVOUS; under SLURM (srun), SLURM_PROCID and SLURM_NTASKS stand in
// for the first two. World size 1 when none is set.
DistributedOptions distributed_from_environment();

// Whether this build has c10d with Gloo (Debian's LibTorch with libgloo-dev) or with NCCL (a CUDA
// LibTorch whose NCCL headers were found); nccl_available() for the latter alone.
bool data_parallel_available();
bool nccl_available();

}  // namespace oncolm::train
