#include "core/blas_kernels.h"

#include <dlfcn.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <vector>

#include "core/log.h"

namespace oncolm {
namespace {

// Set on the re-executed program: the core OpenBLAS had detected (and a guard against a loop).
constexpr const char* selected_marker = "ONCOLM_BLAS_SELECTED_FROM";

std::string loaded_core_name() {
  using CoreName = char* (*)();
  auto name = reinterpret_cast<CoreName>(::dlsym(RTLD_DEFAULT, "openblas_get_corename"));
  if (name == nullptr) return "";
  const char* text = name();
  return text ? text : "";
}

bool cpu_has_avx512() {
  // The instruction sets OpenBLAS's SkylakeX kernels use.
  return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512cd") &&
         __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512dq") &&
         __builtin_cpu_supports("avx512vl");
}

bool cpu_has_avx2() { return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"); }

bool contains(const std::vector<std::string>& names, const std::string& name) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

// Core to switch to, or "" to keep what OpenBLAS runs.
std::string core_to_select() {
  if (std::getenv("OPENBLAS_CORETYPE") != nullptr || std::getenv(selected_marker) != nullptr) return "";
  const char* setting = std::getenv("ONCOLM_BLAS_CORETYPE");
  if (setting != nullptr && std::string(setting) == "off") return "";
  std::string detected = loaded_core_name();
  if (detected.empty()) return "";
  return better_blas_core(detected, cpu_has_avx512(), cpu_has_avx2());
}

void reexec_with(const std::string& core, char** argv) {
  std::string detected = loaded_core_name();
  ::setenv("OPENBLAS_CORETYPE", core.c_str(), 1);
  ::setenv(selected_marker, detected.c_str(), 1);
  ::execv("/proc/self/exe", argv);
  // Still here: the program runs on with the kernels it has. Undo, so provenance stays true.
  ::unsetenv("OPENBLAS_CORETYPE");
  ::unsetenv(selected_marker);
  log(Level::warning, "could not restart with OPENBLAS_CORETYPE={}; OpenBLAS keeps its {} kernels", core, detected);
}

}  // namespace

std::string better_blas_core(const std::string& detected, bool avx512, bool avx2) {
  static const std::vector<std::string> avx512_cores = {"SkylakeX", "Cooperlake", "SapphireRapids"};
  static const std::vector<std::string> avx2_cores = {"Haswell", "Zen", "SkylakeX", "Cooperlake", "SapphireRapids"};
  if (avx512 && !contains(avx512_cores, detected)) return "SkylakeX";
  if (avx2 && !contains(avx2_cores, detected)) return "Haswell";
  return "";
}

void select_blas_kernels(char** argv) {
  std::string core = core_to_select();
  if (!core.empty()) reexec_with(core, argv);
}

void select_blas_kernels_from_proc() {
  std::string core = core_to_select();
  if (core.empty()) return;
  std::ifstream in("/proc/self/cmdline", std::ios::binary);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::vector<std::string> arguments;
  for (std::size_t start = 0; start < text.size();) {
    std::size_t end = text.find('\0', start);
    if (end == std::string::npos) end = text.size();
    arguments.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  std::vector<char*> argv;
  for (auto& argument : arguments) argv.push_back(argument.data());
  argv.push_back(nullptr);
  if (arguments.empty()) return;
  reexec_with(core, argv.data());
}

std::string blas_kernels_description() {
  std::string core = loaded_core_name();
  if (core.empty()) return "";
  if (const char* from = std::getenv(selected_marker))
    return core + " (selected by oncolm; OpenBLAS detected " + from + ")";
  if (std::getenv("OPENBLAS_CORETYPE") != nullptr) return core + " (OPENBLAS_CORETYPE)";
  return core + " (detected by OpenBLAS)";
}

}  // namespace oncolm
