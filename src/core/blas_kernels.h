// OpenBLAS kernels that match the CPU. Debian 12's OpenBLAS (0.3.21) does not recognise recent
// server CPUs and falls back to its generic "Prescott" (SSE3) kernels, 2-4x slower in sgemm than the
// AVX-512 or AVX2 kernels it also ships (bench/README.md). OpenBLAS picks its kernels once, when it
// is loaded, from OPENBLAS_CORETYPE or its own CPU detection; so the choice is made before the
// library does anything, by setting the variable and executing the program again.
#pragma once
#include <string>

namespace oncolm {

// Call first in main() of a program that loads OpenBLAS (through LibTorch). When OpenBLAS is loaded,
// OPENBLAS_CORETYPE is unset, ONCOLM_BLAS_CORETYPE is not "off", and the core OpenBLAS chose lacks
// vector units the CPU has (CPUID), sets OPENBLAS_CORETYPE to the matching core (SkylakeX for
// AVX-512, Haswell for AVX2) and re-executes the program once with the same arguments. A value the
// environment already sets is never changed: some machines set it on purpose. The same restart
// applies prefer_passive_openmp_waits() when it changes the environment.
void select_blas_kernels(char** argv);

// LibTorch's element-wise ops run on OpenMP threads, which by default spin for a while after each
// parallel region, on the cores that OpenBLAS's own threads need for the next GEMM: on 2 cores that
// cost 30% of CPU embedding (bench/README.md). When neither OMP_WAIT_POLICY nor GOMP_SPINCOUNT is
// set and ONCOLM_OMP_WAIT_POLICY is not "off", sets OMP_WAIT_POLICY=PASSIVE (idle OpenMP threads
// sleep) and returns true. The OpenMP runtime reads it when it is loaded, so this runs before
// LibTorch is: in `oncolm` before it starts oncolm-torch, or through select_blas_kernels' restart.
bool prefer_passive_openmp_waits();

// The OpenMP wait policy in use, for logs and provenance: "PASSIVE (set by oncolm)",
// "ACTIVE (OMP_WAIT_POLICY)", "GOMP_SPINCOUNT=1000", or "runtime default".
std::string openmp_wait_description();

// The same, for a program whose argv is not at hand (test binaries): reads /proc/self/cmdline.
void select_blas_kernels_from_proc();

// The kernels in use, for logs and provenance: "SkylakeX (selected by oncolm; OpenBLAS detected
// Prescott)", "Haswell (OPENBLAS_CORETYPE)", "Zen (detected by OpenBLAS)"; "" when OpenBLAS is not
// loaded (the commands without LibTorch).
std::string blas_kernels_description();

// The core OpenBLAS should use on a CPU with these features when it reports `detected`; "" when
// `detected` already uses the widest vector units the CPU has. Pure: tested on its own.
std::string better_blas_core(const std::string& detected, bool avx512, bool avx2);

}  // namespace oncolm
