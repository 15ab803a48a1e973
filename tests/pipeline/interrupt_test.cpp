// A run stopped by Ctrl-C (SIGINT) or a batch scheduler (SIGTERM) while it writes: the real binary,
// `oncolm windows` on the example cohort, is signalled as soon as one of its outputs exists under its
// temporary name. It must die by that signal (so a shell or SLURM sees the kill) and leave no
// <output>.tmp.<pid> behind; what it had finished stays.
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <csignal>
#include <thread>

#include "../genome/test_support.h"

using namespace oncolm::test;

namespace {

const std::string source_dir = ONCOLM_SOURCE_DIR;

std::vector<std::string> temporaries_in(const std::string& directory) {
  std::vector<std::string> found;
  if (!fs::exists(directory)) return found;
  for (const auto& entry : fs::directory_iterator(directory)) {
    std::string name = entry.path().filename().string();
    if (name.find(".tmp.") != std::string::npos) found.push_back(name);
  }
  return found;
}

pid_t start_windows(const std::string& out) {
  const std::string sheet = source_dir + "/examples/cohort.tsv";
  const std::string reference = source_dir + "/examples/reference/GRCh37.20_X.masked.fa.gz";
  pid_t child = ::fork();
  if (child == 0) {
    // Long windows keep each sample's outputs open long enough to be caught while written.
    ::execl(ONCOLM_BINARY, ONCOLM_BINARY, "windows", sheet.c_str(), "--reference", reference.c_str(), "-o",
            out.c_str(), "--window-length", "4000", "--threads", "1", "--verbosity", "error",
            static_cast<char*>(nullptr));
    std::_Exit(127);
  }
  return child;
}

void expect_signal_leaves_no_temporaries(int signal_number) {
  ScratchDir dir;
  const std::string out = dir / "windows";
  pid_t child = start_windows(out);
  ASSERT_GT(child, 0);
  bool caught_writing = false;
  for (int poll = 0; poll < 20000 && !caught_writing; ++poll) {
    caught_writing = !temporaries_in(out).empty();
    if (!caught_writing) std::this_thread::sleep_for(std::chrono::microseconds(500));
  }
  ASSERT_TRUE(caught_writing) << "no output was seen under its temporary name";
  ASSERT_EQ(::kill(child, signal_number), 0);
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  // The first temporary appears within the first sample; the rest of the run takes seconds at this
  // window length, so the signal always lands while it writes.
  ASSERT_TRUE(WIFSIGNALED(status)) << "exit status " << WEXITSTATUS(status);
  EXPECT_EQ(WTERMSIG(status), signal_number);
  EXPECT_EQ(temporaries_in(out), std::vector<std::string>{});
  EXPECT_FALSE(fs::exists(out + "/manifest.tsv")) << "an interrupted run must not look finished";
}

}  // namespace

TEST(Interrupt, SigtermLeavesNoTemporaryFiles) { expect_signal_leaves_no_temporaries(SIGTERM); }
TEST(Interrupt, SigintLeavesNoTemporaryFiles) { expect_signal_leaves_no_temporaries(SIGINT); }
