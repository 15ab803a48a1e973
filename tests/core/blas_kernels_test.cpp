// Which OpenBLAS core oncolm asks for (core/blas_kernels.h). The end-to-end effect (the program
// restarts on the selected kernels and says so in provenance) is tested in tests/pipeline.
#include <gtest/gtest.h>

#include "core/blas_kernels.h"

using oncolm::better_blas_core;

TEST(BlasKernels, GenericCoresAreReplacedByTheWidestTheCpuRuns) {
  // Debian 12's OpenBLAS reports Prescott (SSE3) on CPUs it does not know.
  EXPECT_EQ(better_blas_core("Prescott", true, true), "SkylakeX");
  EXPECT_EQ(better_blas_core("Prescott", false, true), "Haswell");
  EXPECT_EQ(better_blas_core("Prescott", false, false), "");
  EXPECT_EQ(better_blas_core("Nehalem", true, true), "SkylakeX");
}

TEST(BlasKernels, CoresThatAlreadyUseTheVectorUnitsAreKept) {
  EXPECT_EQ(better_blas_core("SkylakeX", true, true), "");
  EXPECT_EQ(better_blas_core("Cooperlake", true, true), "");
  EXPECT_EQ(better_blas_core("SapphireRapids", true, true), "");
  EXPECT_EQ(better_blas_core("Haswell", false, true), "");
  EXPECT_EQ(better_blas_core("Zen", false, true), "");
  // An AVX2 core on an AVX-512 CPU is upgraded; AVX-512 kernels are never chosen without AVX-512.
  EXPECT_EQ(better_blas_core("Haswell", true, true), "SkylakeX");
  EXPECT_EQ(better_blas_core("Zen", true, true), "SkylakeX");
}
