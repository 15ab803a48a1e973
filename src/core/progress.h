// Progress for long work: a bar with rate and ETA when stderr is a terminal, plain lines
// (at most one every `plain_interval_seconds`) otherwise, so logs of cluster jobs stay readable.
// Thread-safe: advance() may be called from worker threads.
#pragma once
#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>

namespace oncolm {

class Progress {
 public:
  // total = 0 when unknown (then no ETA is shown).
  Progress(std::string label, std::uint64_t total, std::string unit = "items");
  ~Progress();
  void advance(std::uint64_t count = 1);
  void finish();  // prints the final line once
  // Text shown after the counts from the next line on (e.g. "loss 2.31"): what changes as work goes.
  void set_note(std::string note);

  static void set_enabled(bool enabled);  // --verbosity below info disables progress

 private:
  void draw(bool final_line);
  std::string label_;
  std::string unit_;
  std::uint64_t total_;
  std::atomic<std::uint64_t> done_{0};
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_draw_;
  std::mutex draw_mutex_;
  bool to_terminal_;
  bool finished_ = false;
  std::string note_;  // guarded by draw_mutex_
};

}  // namespace oncolm
