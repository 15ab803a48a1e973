// The model tests run on the OpenBLAS kernels oncolm-torch selects (core/blas_kernels.h): this file
// makes the test binary restart the way oncolm-torch does, before any test, and checks the result
// against the CPU's features read here with the compiler's own CPUID builtins.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <cstdlib>
#include <string>
#include <utility>
#include <vector>

#include "core/blas_kernels.h"

namespace {
const bool kernels_selected = [] {
  oncolm::select_blas_kernels_from_proc();
  return true;
}();

bool cpu_avx512() {
  return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512cd") &&
         __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512dq") &&
         __builtin_cpu_supports("avx512vl");
}
bool cpu_avx2() { return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"); }
}  // namespace

TEST(BlasKernels, TestsRunOnTheKernelsOncolmSelects) {
  ASSERT_TRUE(kernels_selected);
  std::string kernels = oncolm::blas_kernels_description();
  ASSERT_FALSE(kernels.empty()) << "LibTorch should have loaded OpenBLAS";
  const char* preset = std::getenv("OPENBLAS_CORETYPE");
  const char* selected_from = std::getenv("ONCOLM_BLAS_SELECTED_FROM");
  const char* switch_value = std::getenv("ONCOLM_BLAS_CORETYPE");
  if (switch_value != nullptr && std::string(switch_value) == "off") {
    EXPECT_EQ(selected_from, nullptr) << "ONCOLM_BLAS_CORETYPE=off must leave OpenBLAS's choice alone";
  } else if (selected_from != nullptr) {
    // Restarted: the kernels now in use are the ones chosen for this CPU.
    std::string expected = oncolm::better_blas_core(selected_from, cpu_avx512(), cpu_avx2());
    EXPECT_EQ(kernels.substr(0, kernels.find(' ')), expected) << kernels;
    EXPECT_NE(kernels.find("selected by oncolm"), std::string::npos) << kernels;
  } else if (preset == nullptr) {
    // Not restarted and nothing preset: OpenBLAS's own choice was already the best this CPU runs.
    std::string core = kernels.substr(0, kernels.find(' '));
    EXPECT_EQ(oncolm::better_blas_core(core, cpu_avx512(), cpu_avx2()), "") << kernels;
  } else {
    EXPECT_NE(kernels.find("OPENBLAS_CORETYPE"), std::string::npos) << kernels;
  }
}

// The rule of prefer_passive_openmp_waits, on this process's environment (restored afterwards): it
// sets OMP_WAIT_POLICY=PASSIVE only when neither the policy nor GOMP_SPINCOUNT is set and the
// switch is not off; a value the environment sets is never changed.
TEST(OpenMpWaits, PassiveUnlessTheEnvironmentSaysOtherwise) {
  const char* names[] = {"OMP_WAIT_POLICY", "GOMP_SPINCOUNT", "ONCOLM_OMP_WAIT_POLICY", "ONCOLM_OMP_WAIT_POLICY_SET"};
  std::vector<std::pair<std::string, std::string>> saved;
  for (const char* name : names) {
    if (const char* value = std::getenv(name)) saved.emplace_back(name, value);
    ::unsetenv(name);
  }
  EXPECT_EQ(oncolm::openmp_wait_description(), "runtime default");
  EXPECT_TRUE(oncolm::prefer_passive_openmp_waits());
  EXPECT_EQ(std::string(std::getenv("OMP_WAIT_POLICY")), "PASSIVE");
  EXPECT_EQ(oncolm::openmp_wait_description(), "PASSIVE (set by oncolm)");
  EXPECT_FALSE(oncolm::prefer_passive_openmp_waits()) << "already set: nothing to change, no restart";
  for (const char* name : names) ::unsetenv(name);

  ::setenv("OMP_WAIT_POLICY", "ACTIVE", 1);
  EXPECT_FALSE(oncolm::prefer_passive_openmp_waits());
  EXPECT_EQ(std::string(std::getenv("OMP_WAIT_POLICY")), "ACTIVE");
  EXPECT_EQ(oncolm::openmp_wait_description(), "ACTIVE (OMP_WAIT_POLICY)");
  ::unsetenv("OMP_WAIT_POLICY");

  ::setenv("GOMP_SPINCOUNT", "1000", 1);
  EXPECT_FALSE(oncolm::prefer_passive_openmp_waits());
  EXPECT_EQ(std::getenv("OMP_WAIT_POLICY"), nullptr);
  EXPECT_EQ(oncolm::openmp_wait_description(), "GOMP_SPINCOUNT=1000");
  ::unsetenv("GOMP_SPINCOUNT");

  ::setenv("ONCOLM_OMP_WAIT_POLICY", "off", 1);
  EXPECT_FALSE(oncolm::prefer_passive_openmp_waits());
  EXPECT_EQ(std::getenv("OMP_WAIT_POLICY"), nullptr);

  for (const char* name : names) ::unsetenv(name);
  for (const auto& [name, value] : saved) ::setenv(name.c_str(), value.c_str(), 1);
}

// The restart before the tests (as oncolm-torch's) applied the policy unless the environment set one.
TEST(OpenMpWaits, TestsRunWithThePolicyOncolmSelects) {
  ASSERT_TRUE(kernels_selected);
  const char* switch_value = std::getenv("ONCOLM_OMP_WAIT_POLICY");
  if (std::getenv("ONCOLM_OMP_WAIT_POLICY_SET") != nullptr) {
    EXPECT_EQ(oncolm::openmp_wait_description(), "PASSIVE (set by oncolm)");
  } else if (switch_value == nullptr || std::string(switch_value) != "off") {
    EXPECT_TRUE(std::getenv("OMP_WAIT_POLICY") != nullptr || std::getenv("GOMP_SPINCOUNT") != nullptr)
        << "no policy in the environment, and oncolm did not set one";
  }
}
