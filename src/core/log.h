// One logging function with severity, written to stderr. Verbosity is process-wide and set once
// by the CLI (--verbosity); library code only calls log().
#pragma once
#include <fmt/format.h>
#include <string_view>

namespace oncolm {

enum class Level { error = 0, warning = 1, info = 2, debug = 3 };

void set_verbosity(Level level);
Level verbosity();
bool log_enabled(Level level);
void log_message(Level level, std::string_view message);

template <typename... Args>
void log(Level level, fmt::format_string<Args...> format, Args&&... args) {
  if (log_enabled(level)) log_message(level, fmt::format(format, std::forward<Args>(args)...));
}

}  // namespace oncolm
