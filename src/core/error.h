// Errors that reach the user. InputError is for bad input: its message names the file, and the
// line or record where there is one, and says what is wrong. The CLI prints it and exits 1.
#pragma once
#include <fmt/format.h>
#include <stdexcept>
#include <string>

namespace oncolm {

class InputError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// "FILE:LINE: message" (line 0 = no line) — the form compilers and samtools use.
template <typename... Args>
InputError input_error(const std::string& file, long line, fmt::format_string<Args...> format,
                       Args&&... args) {
  std::string where = line > 0 ? fmt::format("{}:{}: ", file, line) : fmt::format("{}: ", file);
  return InputError(where + fmt::format(format, std::forward<Args>(args)...));
}

}  // namespace oncolm
