// core/threads: --threads resolution and the OpenBLAS thread count (environment for pools created
// later, openblas_set_num_threads for one already loaded).
#include <dlfcn.h>
#include <unistd.h>

#include <cstdlib>
#include <string>

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
