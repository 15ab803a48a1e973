#include "core/progress.h"

#include <unistd.h>

#include <cstdio>

#include <fmt/format.h>

namespace oncolm {
namespace {
std::atomic<bool> progress_enabled{true};
constexpr double plain_interval_seconds = 10.0;
constexpr double terminal_interval_seconds = 0.2;

std::string format_duration(double seconds) {
  long s = static_cast<long>(seconds + 0.5);
  if (s >= 3600) return fmt::format("{}h{:02}m", s / 3600, (s % 3600) / 60);
  if (s >= 60) return fmt::format("{}m{:02}s", s / 60, s % 60);
  return fmt::format("{}s", s);
}
}  // namespace

void Progress::set_enabled(bool enabled) { progress_enabled = enabled; }

Progress::Progress(std::string label, std::uint64_t total, std::string unit)
    : label_(std::move(label)), unit_(std::move(unit)), total_(total),
      start_(std::chrono::steady_clock::now()), last_draw_(start_),
      to_terminal_(::isatty(STDERR_FILENO) == 1) {}

Progress::~Progress() { finish(); }

void Progress::advance(std::uint64_t count) {
  done_ += count;
  if (!progress_enabled) return;
  auto now = std::chrono::steady_clock::now();
  double interval = to_terminal_ ? terminal_interval_seconds : plain_interval_seconds;
  std::unique_lock<std::mutex> lock(draw_mutex_, std::try_to_lock);
  if (!lock.owns_lock() || finished_) return;
  if (std::chrono::duration<double>(now - last_draw_).count() < interval) return;
  last_draw_ = now;
  draw(false);
}

void Progress::finish() {
  std::lock_guard<std::mutex> lock(draw_mutex_);
  if (finished_) return;
  finished_ = true;
  if (progress_enabled) draw(true);
}

void Progress::set_note(std::string note) {
  std::lock_guard<std::mutex> lock(draw_mutex_);
  note_ = std::move(note);
}

void Progress::draw(bool final_line) {
  double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  std::uint64_t done = done_.load();
  double rate = elapsed > 0 ? done / elapsed : 0.0;
  std::string text = fmt::format("{}: {} {}", label_, done, unit_);
  if (total_ > 0) {
    double fraction = std::min(1.0, static_cast<double>(done) / total_);
    if (to_terminal_) {
      int filled = static_cast<int>(fraction * 30);
      text = fmt::format("{} [{}{}] {}/{} {}", label_, std::string(filled, '#'),
                         std::string(30 - filled, '.'), done, total_, unit_);
    } else {
      text = fmt::format("{}: {}/{} {} ({:.0f}%)", label_, done, total_, unit_, 100 * fraction);
    }
    if (!final_line && rate > 0)
      text += fmt::format(", ETA {}", format_duration((total_ - std::min(done, total_)) / rate));
  }
  text += fmt::format(", {:.1f} {}/s", rate, unit_);
  if (!note_.empty()) text += ", " + note_;
  if (final_line) text += fmt::format(", {} elapsed", format_duration(elapsed));
  if (to_terminal_)
    std::fprintf(stderr, "\r\033[K%s%s", text.c_str(), final_line ? "\n" : "");
  else
    std::fprintf(stderr, "[oncolm progress] %s\n", text.c_str());
  std::fflush(stderr);
}

}  // namespace oncolm
