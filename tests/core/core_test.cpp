#include <sys/stat.h>
#include <unistd.h>

#include <csignal>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include "../test_fs.h"

#include "core/atomic_file.h"
#include "core/error.h"
#include "core/paths.h"
#include "core/sha256.h"
#include "core/version.h"

namespace fs = oncolm::test_fs;
using namespace oncolm;

TEST(Sha256, MatchesPublishedTestVectors) {
  // FIPS 180-2 examples.
  EXPECT_EQ(sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(sha256_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  EXPECT_EQ(sha256_hex(std::string(1000000, 'a')),
            "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

// A read error is not the end of the file: the checksum of a directory (EISDIR on read) is refused,
// naming it, instead of returning the hash of no bytes.
TEST(Sha256, ReadErrorsAreRefusedNamingTheFile) {
  fs::path dir = fs::fresh_dir("oncolm_sha256_dir");
  try {
    std::string digest = sha256_file_hex(dir.string());
    ADD_FAILURE() << "a directory hashed to " << digest;
  } catch (const InputError& error) {
    EXPECT_NE(std::string(error.what()).find(dir.string()), std::string::npos) << error.what();
  }
  std::ofstream(dir / "abc.txt") << "abc";
  EXPECT_EQ(sha256_file_hex((dir / "abc.txt").string()),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  fs::remove_all(dir);
}

TEST(AtomicFile, UncommittedOutputLeavesNothing) {
  fs::path dir = fs::temp_directory_path() / "oncolm_atomic_test";
  fs::create_directories(dir);
  std::string target = (dir / "out.txt").string();
  fs::remove(target);
  {
    AtomicFile file(target);
    std::ofstream(file.temp_path()) << "partial";
    EXPECT_TRUE(fs::exists(file.temp_path()));
  }  // destroyed without commit, as when an error unwinds
  EXPECT_FALSE(fs::exists(target));
  EXPECT_TRUE(fs::is_empty(dir));
  write_file_atomically(target, "complete\n");
  std::ifstream in(target);
  std::stringstream text;
  text << in.rdbuf();
  EXPECT_EQ(text.str(), "complete\n");
  fs::remove_all(dir);
}

// Ctrl-C or a scheduler's SIGTERM ends the process through the handler: the temporaries of the
// outputs still being written are removed, a committed output stays, and the process still dies
// by the signal (so a shell or SLURM sees the kill, not a normal exit).
TEST(AtomicFile, SignalRemovesTemporariesAndStillKills) {
  fs::path dir = fs::temp_directory_path() / "oncolm_atomic_signal";
  for (int signal_number : {SIGTERM, SIGINT, SIGHUP}) {
    fs::remove_all(dir);
    fs::create_directories(dir);
    std::string finished = (dir / "finished.txt").string();
    std::string unfinished = (dir / "unfinished.txt").string();
    EXPECT_EXIT(
        {
          remove_temporary_files_on_signal();
          write_file_atomically(finished, "complete\n");
          AtomicFile first(unfinished);
          std::ofstream(first.temp_path()) << "partial";
          AtomicFile second((dir / "second.txt").string());
          std::ofstream(second.temp_path()) << "partial";
          std::raise(signal_number);
          std::_Exit(0);  // not reached when the handler re-raises the signal
        },
        testing::KilledBySignal(signal_number), "");
    std::vector<std::string> left = list_directory(dir.string());
    ASSERT_EQ(left.size(), 1u) << "signal " << signal_number << " left " << left.size() << " files";
    EXPECT_EQ(left.front(), "finished.txt");
  }
  fs::remove_all(dir);
}

// An existing name that is not a plain file (a FIFO, a symbolic link, a directory) is refused
// before anything is written, not replaced by the rename.
TEST(AtomicFile, RefusesToReplaceWhatIsNotAPlainFile) {
  fs::path dir = fs::temp_directory_path() / "oncolm_atomic_special";
  fs::remove_all(dir);
  fs::create_directories(dir / "subdir");
  ASSERT_EQ(::mkfifo((dir / "fifo").c_str(), 0600), 0);
  ASSERT_EQ(::symlink("elsewhere.txt", (dir / "link").c_str()), 0);
  for (const char* name : {"fifo", "link", "subdir"}) {
    try {
      write_file_atomically((dir / name).string(), "x");
      ADD_FAILURE() << name << " was replaced";
    } catch (const std::runtime_error& error) {
      EXPECT_NE(std::string(error.what()).find("exists and is not a plain file"), std::string::npos) << error.what();
    }
  }
  struct stat fifo {};
  ASSERT_EQ(::stat((dir / "fifo").c_str(), &fifo), 0);
  EXPECT_TRUE(S_ISFIFO(fifo.st_mode));
  write_file_atomically((dir / "plain.txt").string(), "one");
  write_file_atomically((dir / "plain.txt").string(), "two");  // a plain file is replaced
  fs::remove_all(dir);
}

TEST(InputError, NamesFileAndLine) {
  InputError error = input_error("calls.vcf", 12, "REF {} disagrees with the reference", "A");
  EXPECT_STREQ(error.what(), "calls.vcf:12: REF A disagrees with the reference");
  EXPECT_STREQ(input_error("sheet.tsv", 0, "missing").what(), "sheet.tsv: missing");
}

TEST(Version, TextHasVersionHashAndFeatures) {
  std::string text = version_text();
  EXPECT_NE(text.find(version_string()), std::string::npos);
  EXPECT_NE(text.find(git_hash()), std::string::npos);
  EXPECT_NE(text.find("htslib="), std::string::npos);
  EXPECT_NE(text.find("cuda="), std::string::npos);
}

TEST(Paths, JoinNameParentAndNormaliseLikeStdFilesystem) {
  EXPECT_EQ(path_join("a/b", "c.fa"), "a/b/c.fa");
  EXPECT_EQ(path_join("a/b/", "c.fa"), "a/b/c.fa");
  EXPECT_EQ(path_join("a", "/abs/c.fa"), "/abs/c.fa");
  EXPECT_EQ(file_name("x/y/z.vcf.gz"), "z.vcf.gz");
  EXPECT_EQ(parent_directory("sheet.tsv"), ".");
  EXPECT_EQ(parent_directory("/data/sheet.tsv"), "/data");
  EXPECT_EQ(parent_directory("/data/windows/"), "/data");  // a directory given with its slash
  EXPECT_EQ(parent_directory("windows//"), ".");
  EXPECT_EQ(parent_directory("/"), "/");
  EXPECT_EQ(normalise_path("./vcf/a.vcf"), "vcf/a.vcf");
  EXPECT_EQ(normalise_path("ex/./vcf/../bam/t.bam"), "ex/bam/t.bam");
  EXPECT_EQ(normalise_path("../x/./y"), "../x/y");
  EXPECT_EQ(normalise_path("/a/../b"), "/b");
}

TEST(Paths, MakeListAndRemoveDirectories) {
  std::string root = make_temp_directory("oncolm_paths_");
  std::string nested = path_join(root, "a/b/c");
  make_directories(nested);
  EXPECT_TRUE(is_directory(nested));
  write_file_atomically(path_join(root, "a/z.txt"), "z");
  write_file_atomically(path_join(root, "a/y.txt"), "y");
  EXPECT_EQ(list_directory(path_join(root, "a")), (std::vector<std::string>{"b", "y.txt", "z.txt"}));
  remove_tree(root);
  EXPECT_FALSE(path_exists(root));
  EXPECT_THROW(list_directory(root), std::runtime_error);
}
