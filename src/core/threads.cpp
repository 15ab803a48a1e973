#include "core/threads.h"

#include <dlfcn.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <string>

namespace oncolm {

int resolve_thread_count(int requested) {
  if (requested > 0) return requested;
  long online = ::sysconf(_SC_NPROCESSORS_ONLN);
  return static_cast<int>(std::max(1L, online));
}

void set_blas_threads(int threads) {
  // The environment covers OpenBLAS pools created later; the symbol covers one already running.
  std::string value = std::to_string(threads);
  ::setenv("OPENBLAS_NUM_THREADS", value.c_str(), 1);
  using SetThreads = void (*)(int);
  if (auto set = reinterpret_cast<SetThreads>(::dlsym(RTLD_DEFAULT, "openblas_set_num_threads")))
    set(threads);
}

}  // namespace oncolm
