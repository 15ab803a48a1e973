// core/progress: when stderr is not a terminal (a cluster job's log), Progress writes plain lines:
// none while work is quick, one final line from finish() (or the destructor), never a bar or an
// escape sequence; thread-safe counting.
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <iterator>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "../test_fs.h"

#include "core/progress.h"

namespace fs = oncolm::test_fs;
using namespace oncolm;

namespace {

// Sends stderr (file descriptor 2) to a file for its lifetime; text() returns what was written.
// Progress decides terminal or not when it is constructed, so construct it inside this scope.
class StderrToFile {
 public:
  explicit StderrToFile(const std::string& path) : path_(path) {
    std::fflush(stderr);
    saved_ = ::dup(STDERR_FILENO);
    std::FILE* file = std::fopen(path.c_str(), "w");
    EXPECT_NE(file, nullptr);
    ::dup2(::fileno(file), STDERR_FILENO);
    std::fclose(file);
  }
  ~StderrToFile() { restore(); }
  std::string text() {
    restore();
    std::ifstream in(path_, std::ios::binary);
    return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  }

 private:
  void restore() {
    if (saved_ < 0) return;
    std::fflush(stderr);
    ::dup2(saved_, STDERR_FILENO);
    ::close(saved_);
    saved_ = -1;
  }
  std::string path_;
  int saved_ = -1;
};

class ProgressTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::fresh_dir("oncolm_progress_test");
    log_ = (dir_ / "stderr.txt").string();
  }
  void TearDown() override {
    Progress::set_enabled(true);
    fs::remove_all(dir_);
  }
  fs::path dir_;
  std::string log_;
};

bool matches(const std::string& text, const std::string& pattern) {
  return std::regex_match(text, std::regex(pattern));
}

}  // namespace

TEST_F(ProgressTest, KnownTotalGivesOnePlainFinalLine) {
  StderrToFile capture(log_);
  {
    Progress progress("embed S", 10, "records");
    progress.advance(4);  // well within the 10 s between plain lines: nothing yet
    progress.finish();
  }  // the destructor does not print a second line
  std::string text = capture.text();
  EXPECT_TRUE(
      matches(text, R"(\[oncolm progress\] embed S: 4/10 records \(40%\), )"
                    R"([0-9]+\.[0-9] records/s, [0-9]+s elapsed\n)"))
      << text;
}

TEST_F(ProgressTest, UnknownTotalCountsWithoutPercentOrEta) {
  StderrToFile capture(log_);
  {
    Progress progress("windows", 0, "windows");
    progress.advance();
    progress.advance(6);
  }  // finish() from the destructor
  std::string text = capture.text();
  EXPECT_TRUE(matches(text, R"(\[oncolm progress\] windows: 7 windows, [0-9]+\.[0-9] windows/s, [0-9]+s elapsed\n)"))
      << text;
  EXPECT_EQ(text.find("ETA"), std::string::npos);
  EXPECT_EQ(text.find('\r'), std::string::npos);    // no terminal bar
  EXPECT_EQ(text.find('\033'), std::string::npos);  // no escape sequences in logs
}

TEST_F(ProgressTest, DefaultUnitAndCountsPastTheTotalCapAtOneHundredPercent) {
  StderrToFile capture(log_);
  {
    Progress progress("merge", 10);
    progress.advance(12);
    progress.finish();
    progress.finish();
  }
  std::string text = capture.text();
  EXPECT_TRUE(matches(text, R"(\[oncolm progress\] merge: 12/10 items \(100%\), )"
                            R"([0-9]+\.[0-9] items/s, [0-9]+s elapsed\n)"))
      << text;
}

TEST_F(ProgressTest, DisabledProgressPrintsNothing) {
  StderrToFile capture(log_);
  Progress::set_enabled(false);  // what --verbosity below info does
  {
    Progress progress("quiet", 5);
    progress.advance(5);
    progress.finish();
  }
  EXPECT_EQ(capture.text(), "");
}

TEST_F(ProgressTest, CountsFromManyThreads) {
  StderrToFile capture(log_);
  {
    Progress progress("threads", 0, "items");
    std::vector<std::thread> workers;
    for (int t = 0; t < 4; ++t)
      workers.emplace_back([&progress] {
        for (int i = 0; i < 2500; ++i) progress.advance();
      });
    for (auto& worker : workers) worker.join();
  }
  std::string text = capture.text();
  EXPECT_TRUE(matches(text, R"(\[oncolm progress\] threads: 10000 items, [0-9]+\.[0-9] items/s, [0-9]+s elapsed\n)"))
      << text;
}

TEST_F(ProgressTest, NoteFollowsTheCountsOnTheNextLine) {
  StderrToFile capture(log_);
  {
    Progress progress("train", 100, "steps");
    progress.advance(3);
    progress.set_note("loss 2.3100, 512 tokens/s");
    progress.finish();
  }
  std::string text = capture.text();
  EXPECT_TRUE(matches(text, R"(\[oncolm progress\] train: 3/100 steps \(3%\), [0-9]+\.[0-9] steps/s, )"
                            R"(loss 2\.3100, 512 tokens/s, [0-9]+s elapsed\n)"))
      << text;
}
