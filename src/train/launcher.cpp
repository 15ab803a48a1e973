#include "train/launcher.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstdlib>
#include <stdexcept>
#include <thread>

#include "core/log.h"
#include "core/paths.h"

namespace oncolm::train {

namespace {

volatile std::sig_atomic_t forwarded_signal = 0;
extern "C" void remember_signal(int signal) { forwarded_signal = signal; }

pid_t start_rank(int rank, int processes, const std::vector<std::string>& arguments, const std::string& rendezvous,
                 int timeout_seconds) {
  pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error("cannot start rank " + std::to_string(rank) + ": fork failed");
  if (pid > 0) return pid;
  ::setenv("ONCOLM_RANK", std::to_string(rank).c_str(), 1);
  ::setenv("ONCOLM_WORLD_SIZE", std::to_string(processes).c_str(), 1);
  ::setenv("ONCOLM_RENDEZVOUS", rendezvous.c_str(), 1);
  ::setenv("ONCOLM_DIST_TIMEOUT", std::to_string(timeout_seconds).c_str(), 1);
  std::vector<char*> argv;
  std::string program = "oncolm-torch";
  argv.push_back(program.data());
  std::vector<std::string> copy = arguments;
  for (auto& argument : copy) argv.push_back(argument.data());
  argv.push_back(nullptr);
  ::execv("/proc/self/exe", argv.data());
  std::_Exit(127);
}

std::string describe(int status) {
  if (WIFSIGNALED(status)) return "was killed by signal " + std::to_string(WTERMSIG(status));
  return "exited with status " + std::to_string(WEXITSTATUS(status));
}

}  // namespace

int launch_ranks(int processes, const std::vector<std::string>& arguments, int timeout_seconds) {
  const std::string store_dir = make_temp_directory("oncolm-rendezvous");
  const std::string rendezvous = "file:" + path_join(store_dir, "store");
  struct sigaction action {};
  action.sa_handler = remember_signal;
  sigemptyset(&action.sa_mask);
  ::sigaction(SIGINT, &action, nullptr);
  ::sigaction(SIGTERM, &action, nullptr);
  std::vector<pid_t> ranks;
  for (int rank = 0; rank < processes; ++rank)
    ranks.push_back(start_rank(rank, processes, arguments, rendezvous, timeout_seconds));
  log(Level::info, "data-parallel training on {} processes (rendezvous {})", processes, rendezvous);

  std::vector<int> statuses(ranks.size(), -1);
  std::size_t running = ranks.size();
  int failed_rank = -1;
  bool forwarded = false;
  auto stop_others = [&](int signal) {
    for (std::size_t r = 0; r < ranks.size(); ++r)
      if (statuses[r] < 0) ::kill(ranks[r], signal);
  };
  auto deadline = std::chrono::steady_clock::time_point::max();
  while (running > 0) {
    if (forwarded_signal != 0 && !forwarded) {  // a scheduler's stop: every rank checkpoints and exits
      stop_others(forwarded_signal);
      forwarded = true;
    }
    int status = 0;
    pid_t done = ::waitpid(-1, &status, WNOHANG);
    if (done > 0) {
      for (std::size_t r = 0; r < ranks.size(); ++r) {
        if (ranks[r] != done) continue;
        statuses[r] = status;
        --running;
        const bool success = WIFEXITED(status) && WEXITSTATUS(status) == 0;
        const bool checkpointed = forwarded && WIFEXITED(status);
        if (!success && !checkpointed && failed_rank < 0) {
          failed_rank = static_cast<int>(r);
          log(Level::error, "rank {} (pid {}) {}; stopping the other ranks", r, done, describe(status));
          stop_others(SIGTERM);
          deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
        }
      }
      continue;
    }
    if (std::chrono::steady_clock::now() > deadline) stop_others(SIGKILL);  // ranks stuck in a collective
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  remove_tree(store_dir);
  if (failed_rank >= 0) return 1;
  const int first = statuses.front();
  for (int status : statuses)
    if (!WIFEXITED(status) || WEXITSTATUS(status) != WEXITSTATUS(first)) return 1;
  return WEXITSTATUS(first);
}

}  // namespace oncolm::train
