// core/threads: --threads resolution and the OpenBLAS thread count (environment for pools created
// later, openblas_set_num_threads for one already loaded).
#include <dlfcn.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "core/threads.h"

using namespace oncolm;

namespace {

// Restores an environment variable when the test ends.
class SavedEnv {
 public:
  explicit SavedEnv(const char* name) : name_(name) {
    const char* value = std::getenv(name);
    had_ = value != nullptr;
    if (had_) value_ = value;
  }
  ~SavedEnv() {
    if (had_)
      ::setenv(name_, value_.c_str(), 1);
    else
      ::unsetenv(name_);
  }

 private:
  const char* name_;
  bool had_ = false;
  std::string value_;
};

}  // namespace

TEST(ResolveThreadCount, ZeroMeansEveryOnlineCore) {
  long online = ::sysconf(_SC_NPROCESSORS_ONLN);
  ASSERT_GE(online, 1);
  EXPECT_EQ(resolve_thread_count(0), static_cast<int>(online));
  EXPECT_EQ(resolve_thread_count(-3), static_cast<int>(online));  // not a count: treated as "all"
}

TEST(ResolveThreadCount, PositiveValuesAreKeptEvenAboveTheCoreCount) {
  EXPECT_EQ(resolve_thread_count(1), 1);
  EXPECT_EQ(resolve_thread_count(3), 3);
  EXPECT_EQ(resolve_thread_count(512), 512);
}

TEST(SetBlasThreads, SetsTheEnvironmentForPoolsStartedLater) {
  SavedEnv saved("OPENBLAS_NUM_THREADS");
  ::unsetenv("OPENBLAS_NUM_THREADS");
  set_blas_threads(3);
  ASSERT_NE(std::getenv("OPENBLAS_NUM_THREADS"), nullptr);
  EXPECT_STREQ(std::getenv("OPENBLAS_NUM_THREADS"), "3");
  set_blas_threads(1);
  EXPECT_STREQ(std::getenv("OPENBLAS_NUM_THREADS"), "1");
}

TEST(SetBlasThreads, SetsTheThreadCountOfAnOpenBlasAlreadyLoaded) {
  // The core tests do not link OpenBLAS; load it the way LibTorch brings it in (global symbols).
  void* library = ::dlopen("libopenblas.so.0", RTLD_NOW | RTLD_GLOBAL);
  // scripts/setup.sh installs libopenblas0-pthread; its absence is a broken setup, not a reason to skip.
  ASSERT_NE(library, nullptr) << "libopenblas.so.0 not loadable: " << ::dlerror();
  using GetThreads = int (*)();
  auto get = reinterpret_cast<GetThreads>(::dlsym(library, "openblas_get_num_threads"));
  ASSERT_NE(get, nullptr);
  SavedEnv saved("OPENBLAS_NUM_THREADS");
  set_blas_threads(2);
  EXPECT_EQ(get(), 2);
  set_blas_threads(1);
  EXPECT_EQ(get(), 1);
}

TEST(ParallelForEach, RunsEveryIndexOnceOnAnyThreadCount) {
  for (int threads : {1, 2, 7}) {
    std::vector<std::atomic<int>> calls(50);
    parallel_for_each(calls.size(), threads, [&](std::size_t i) { ++calls[i]; });
    for (std::size_t i = 0; i < calls.size(); ++i) EXPECT_EQ(calls[i].load(), 1) << "index " << i << ", " << threads;
  }
}

TEST(ParallelForEach, RethrowsTheLowestFailingIndexAfterRunningTheRest) {
  for (int threads : {1, 3}) {
    std::atomic<int> ran{0};
    try {
      parallel_for_each(20, threads, [&](std::size_t i) {
        ++ran;
        if (i == 17 || i == 5) throw std::runtime_error("index " + std::to_string(i));
      });
      ADD_FAILURE() << "no error";
    } catch (const std::runtime_error& error) {
      EXPECT_STREQ(error.what(), "index 5");
    }
    EXPECT_EQ(ran.load(), 20) << threads << " thread(s)";
  }
}
