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
};

// The rank, world size and rendezvous a launcher put in the environment: ONCOLM_RANK,
// ONCOLM_WORLD_SIZE, ONCOLM_RENDEZVOUS; under SLURM (srun), SLURM_PROCID and SLURM_NTASKS stand in
// for the first two. World size 1 when none is set.
DistributedOptions distributed_from_environment();

// Whether this build has c10d with Gloo (Debian's LibTorch with libgloo-dev).
bool data_parallel_available();

}  // namespace oncolm::train
