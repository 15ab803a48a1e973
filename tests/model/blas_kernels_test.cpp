// The model tests run on the OpenBLAS kernels oncolm-torch selects (core/blas_kernels.h): this file
// makes the test binary restart the way oncolm-torch does, before any test, and checks the result
// against the CPU's features read here with the compiler's own CPUID builtins.
#include <gtest/gtest.h>

#include <cstdlib>
#include <string>

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
