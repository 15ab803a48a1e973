#include "core/threads.h"

#include <dlfcn.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <exception>
#include <string>
#include <thread>
#include <vector>

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

void parallel_for_each(std::size_t n, int threads, const std::function<void(std::size_t)>& run) {
  std::vector<std::exception_ptr> errors(n);
  std::atomic<std::size_t> next{0};
  auto worker = [&]() {
    for (std::size_t i = next++; i < n; i = next++) {
      try {
        run(i);
      } catch (...) {
        errors[i] = std::current_exception();
      }
    }
  };
  std::vector<std::thread> pool;
  for (std::size_t t = 1; t < std::min(static_cast<std::size_t>(std::max(1, threads)), n); ++t) pool.emplace_back(worker);
  worker();
  for (auto& thread : pool) thread.join();
  for (const auto& error : errors)
    if (error) std::rethrow_exception(error);
}

}  // namespace oncolm
