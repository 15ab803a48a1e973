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
// Set with OMP_WAIT_POLICY when oncolm chose it (provenance tells it from a user's setting).
constexpr const char* passive_marker = "ONCOLM_OMP_WAIT_POLICY_SET";

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

// Restarts with the environment as prefer_passive_openmp_waits() left it and, when `core` is not
// empty, OPENBLAS_CORETYPE=core.
void restart(const std::string& core, char** argv) {
  std::string detected = loaded_core_name();
  if (!core.empty()) {
    ::setenv("OPENBLAS_CORETYPE", core.c_str(), 1);
    ::setenv(selected_marker, detected.c_str(), 1);
  }
  ::execv("/proc/self/exe", argv);
  // Still here: the program runs on as it was loaded. Undo, so provenance stays true.
  ::unsetenv("OPENBLAS_CORETYPE");
  ::unsetenv(selected_marker);
  if (std::getenv(passive_marker) != nullptr) {
    ::unsetenv("OMP_WAIT_POLICY");
    ::unsetenv(passive_marker);
  }
  log(Level::warning, "could not restart the program: OpenBLAS keeps its {} kernels, OpenMP its wait policy",
      detected);
}

// The restart's arguments, from /proc/self/cmdline.
std::vector<std::string> own_command_line() {
  std::ifstream in("/proc/self/cmdline", std::ios::binary);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::vector<std::string> arguments;
  for (std::size_t start = 0; start < text.size();) {
    std::size_t end = text.find('\0', start);
    if (end == std::string::npos) end = text.size();
    arguments.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return arguments;
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
  const bool passive = prefer_passive_openmp_waits();
  std::string core = core_to_select();
  if (!core.empty() || passive) restart(core, argv);
}

void select_blas_kernels_from_proc() {
  const bool passive = prefer_passive_openmp_waits();
  std::string core = core_to_select();
  if (core.empty() && !passive) return;
  std::vector<std::string> arguments = own_command_line();
  if (arguments.empty()) return;
  std::vector<char*> argv;
  for (auto& argument : arguments) argv.push_back(argument.data());
  argv.push_back(nullptr);
  restart(core, argv.data());
}

bool prefer_passive_openmp_waits() {
  if (std::getenv("OMP_WAIT_POLICY") != nullptr || std::getenv("GOMP_SPINCOUNT") != nullptr) return false;
  const char* setting = std::getenv("ONCOLM_OMP_WAIT_POLICY");
  if (setting != nullptr && std::string(setting) == "off") return false;
  ::setenv("OMP_WAIT_POLICY", "PASSIVE", 1);
  ::setenv(passive_marker, "1", 1);
  return true;
}

std::string openmp_wait_description() {
  const char* policy = std::getenv("OMP_WAIT_POLICY");
  if (policy != nullptr)
    return std::string(policy) + (std::getenv(passive_marker) != nullptr ? " (set by oncolm)" : " (OMP_WAIT_POLICY)");
  if (const char* spins = std::getenv("GOMP_SPINCOUNT")) return std::string("GOMP_SPINCOUNT=") + spins;
  return "runtime default";
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
