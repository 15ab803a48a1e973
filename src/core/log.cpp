#include "core/log.h"

#include <atomic>
#include <cstdio>
#include <mutex>

namespace oncolm {
namespace {
std::atomic<int> current_level{static_cast<int>(Level::info)};
std::mutex output_mutex;
const char* level_name(Level level) {
  switch (level) {
    case Level::error: return "error";
    case Level::warning: return "warning";
    case Level::info: return "info";
    case Level::debug: return "debug";
  }
  return "?";
}
}  // namespace

void set_verbosity(Level level) { current_level = static_cast<int>(level); }
Level verbosity() { return static_cast<Level>(current_level.load()); }
bool log_enabled(Level level) { return static_cast<int>(level) <= current_level.load(); }

void log_message(Level level, std::string_view message) {
  std::lock_guard<std::mutex> lock(output_mutex);
  std::fprintf(stderr, "[oncolm %s] %.*s\n", level_name(level), static_cast<int>(message.size()),
               message.data());
}

}  // namespace oncolm
