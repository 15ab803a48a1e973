// `oncolm train --nproc N`: starts N ranks of the same command on this machine (the program re-run
// with ONCOLM_RANK, ONCOLM_WORLD_SIZE and ONCOLM_RENDEZVOUS set), forwards SIGINT/SIGTERM to them,
// and when one rank fails stops the others and says which failed, so a dead rank never leaves the
// rest waiting. No LibTorch: POSIX processes only.
#pragma once
#include <string>
#include <vector>

namespace oncolm::train {

// `arguments`: the program's argv from the subcommand on (e.g. {"train", "--model", ...}), without
// --nproc. Returns the exit status for the launcher: 0 when every rank succeeded, the ranks' common
// status when they all stopped on a signal's checkpoint, otherwise 1 (after naming the failed rank).
int launch_ranks(int processes, const std::vector<std::string>& arguments, int timeout_seconds);

}  // namespace oncolm::train
