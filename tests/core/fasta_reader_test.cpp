// core/fasta_reader: plain, gzip and multi-member gzip (bgzip) FASTA, wrapped and CRLF lines, and
// errors that name the file and line.
#include <fstream>
#include <iterator>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>
#include <zlib.h>

#include "../test_fs.h"

#include "core/error.h"
#include "core/fasta_reader.h"

namespace fs = oncolm::test_fs;
using namespace oncolm;

namespace {

class FastaReaderTest : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = fs::fresh_dir("oncolm_fasta_reader_test"); }
  void TearDown() override { fs::remove_all(dir_); }

  std::string write_plain(const std::string& name, const std::string& text) {
    std::string path = (dir_ / name).string();
    std::ofstream(path, std::ios::binary) << text;
    return path;
  }

  // One gzip member per part, appended: two or more parts make a multi-member file, which is what
  // bgzip writes (BGZF blocks are gzip members).
  std::string write_gzip(const std::string& name, const std::vector<std::string>& parts) {
    std::string path = (dir_ / name).string();
    fs::remove(path);
    for (const auto& part : parts) {
      gzFile file = gzopen(path.c_str(), "ab");
      EXPECT_NE(file, nullptr);
      EXPECT_EQ(gzwrite(file, part.data(), static_cast<unsigned>(part.size())), static_cast<int>(part.size()));
      EXPECT_EQ(gzclose(file), Z_OK);
    }
    return path;
  }

  fs::path dir_;
};

struct Read {
  std::string name, description, sequence;
  std::size_t line;
};

std::vector<Read> read_all(const std::string& path) {
  FastaReader reader(path);
  FastaRecord record;
  std::vector<Read> records;
  while (reader.next(record)) records.push_back({record.name, record.description, record.sequence, record.line});
  EXPECT_FALSE(reader.next(record));  // stays at the end
  return records;
}

// The message of the InputError `call` throws ("" when it throws none).
template <typename Call>
std::string input_error_of(Call call) {
  try {
    call();
  } catch (const InputError& error) {
    return error.what();
  }
  return "";
}

const char* wrapped =
    ">chr1 first record\tof two\n"
    "ACGTACGTAC\n"
    "GTACGT\n"
    "NNNN\n"
    ">chr2\n"
    "acgtn\n";

void expect_wrapped_records(const std::vector<Read>& records) {
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[0].name, "chr1");
  EXPECT_EQ(records[0].description, "first record\tof two");
  EXPECT_EQ(records[0].sequence, "ACGTACGTACGTACGTNNNN");
  EXPECT_EQ(records[0].line, 1u);
  EXPECT_EQ(records[1].name, "chr2");
  EXPECT_EQ(records[1].description, "");
  EXPECT_EQ(records[1].sequence, "acgtn");  // case kept: cleaning is the caller's job
  EXPECT_EQ(records[1].line, 5u);
}

}  // namespace

TEST_F(FastaReaderTest, JoinsWrappedLinesOfSeveralRecords) {
  expect_wrapped_records(read_all(write_plain("wrapped.fa", wrapped)));
}

TEST_F(FastaReaderTest, CrlfLineEndsAndTrailingSpacesAreRemoved) {
  auto records = read_all(write_plain("crlf.fa", ">r1 note\r\nACGT \r\nTT\t\r\n>r2\r\nGG\r\n"));
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[0].name, "r1");
  EXPECT_EQ(records[0].description, "note");
  EXPECT_EQ(records[0].sequence, "ACGTTT");
  EXPECT_EQ(records[1].name, "r2");
  EXPECT_EQ(records[1].sequence, "GG");
  EXPECT_EQ(records[1].line, 4u);
}

TEST_F(FastaReaderTest, LastLineWithoutNewlineBlankLinesAndEmptyRecords) {
  auto records = read_all(write_plain("odd.fa", "\n\n>empty\n>r2\nAC\n\nGT\n>r3\nTTT"));
  ASSERT_EQ(records.size(), 3u);
  EXPECT_EQ(records[0].name, "empty");
  EXPECT_EQ(records[0].sequence, "");
  EXPECT_EQ(records[0].line, 3u);
  EXPECT_EQ(records[1].sequence, "ACGT");  // a blank line inside a record adds nothing
  EXPECT_EQ(records[1].line, 4u);
  EXPECT_EQ(records[2].sequence, "TTT");
  EXPECT_EQ(records[2].line, 8u);
}

TEST_F(FastaReaderTest, EmptyFileHasNoRecords) {
  EXPECT_TRUE(read_all(write_plain("empty.fa", "")).empty());
  EXPECT_TRUE(read_all(write_plain("blank.fa", "\n\r\n  \n")).empty());
}

TEST_F(FastaReaderTest, GzipAndMultiMemberGzipReadLikePlainText) {
  expect_wrapped_records(read_all(write_gzip("wrapped.fa.gz", {wrapped})));
  // Members cut in the middle of a line and of a record, as BGZF blocks are.
  std::string text = wrapped;
  expect_wrapped_records(
      read_all(write_gzip("members.fa.gz", {text.substr(0, 30), text.substr(30, 7), text.substr(37)})));
}

TEST_F(FastaReaderTest, RecordsLongerThanOneReadChunk) {
  // 600 kb over 10,000 lines: more than two of the reader's 256 KiB chunks.
  std::string text = ">long\n";
  std::string expected;
  for (int i = 0; i < 10000; ++i) {
    std::string line(60, "ACGT"[i % 4]);
    text += line + "\n";
    expected += line;
  }
  text += ">short\nA\n";
  auto records = read_all(write_gzip("long.fa.gz", {text}));
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[0].sequence, expected);
  EXPECT_EQ(records[1].name, "short");
  EXPECT_EQ(records[1].line, 10002u);
}

TEST_F(FastaReaderTest, RealBgzipFileMatchesItsFaiIndex) {
  // tests/data/reads/chr1_1-239940.fa.gz is bgzip-compressed (samtools faidx-indexed): every record
  // the reader returns must have the name and length the .fai gives.
  const std::string path = std::string(ONCOLM_TEST_DATA_DIR) + "/reads/chr1_1-239940.fa.gz";
  std::ifstream fai(path + ".fai");
  ASSERT_TRUE(fai) << path << ".fai";
  std::vector<std::pair<std::string, std::size_t>> indexed;
  std::string name;
  std::size_t length = 0;
  std::string rest;
  while (fai >> name >> length && std::getline(fai, rest)) indexed.emplace_back(name, length);
  ASSERT_FALSE(indexed.empty());
  auto records = read_all(path);
  ASSERT_EQ(records.size(), indexed.size());
  for (std::size_t i = 0; i < records.size(); ++i) {
    EXPECT_EQ(records[i].name, indexed[i].first);
    EXPECT_EQ(records[i].sequence.size(), indexed[i].second) << records[i].name;
    EXPECT_EQ(records[i].sequence.find_first_not_of("ACGTNacgtn"), std::string::npos) << records[i].name;
  }
}

TEST_F(FastaReaderTest, TextBeforeTheFirstHeaderNamesFileAndLine) {
  std::string path = write_plain("headless.fa", "\nACGT\n>r1\nAC\n");
  EXPECT_EQ(input_error_of([&] { read_all(path); }),
            path + ":2: expected a FASTA header ('>') but found sequence text");
}

TEST_F(FastaReaderTest, HeaderWithoutANameNamesFileAndLine) {
  std::string path = write_plain("noname.fa", ">r1\nAC\n> description only\nGT\n");
  FastaReader reader(path);
  FastaRecord record;
  ASSERT_TRUE(reader.next(record));
  EXPECT_EQ(record.name, "r1");
  EXPECT_EQ(input_error_of([&] { reader.next(record); }), path + ":3: FASTA header without a record name");
}

TEST_F(FastaReaderTest, MissingFileIsAnInputErrorNamingIt) {
  std::string path = (dir_ / "absent.fa").string();
  std::string message = input_error_of([&] { FastaReader reader(path); });
  EXPECT_EQ(message.rfind(path + ": cannot open FASTA", 0), 0u) << message;
}

TEST_F(FastaReaderTest, TruncatedGzipIsAnInputErrorNamingTheFile) {
  // Compressed random-looking text, cut in half: zlib reports an unexpected end of the stream.
  std::string text = ">r1\n";
  unsigned state = 12345;
  for (int i = 0; i < 200000; ++i) {
    state = state * 1103515245u + 12345u;
    text += "ACGT"[(state >> 16) & 3];
    if (i % 60 == 59) text += '\n';
  }
  std::string whole = write_gzip("whole.fa.gz", {text});
  std::ifstream in(whole, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  ASSERT_GT(bytes.size(), 1000u);
  std::string path = write_plain("truncated.fa.gz", bytes.substr(0, bytes.size() / 2));
  std::string message = input_error_of([&] { read_all(path); });
  EXPECT_EQ(message.rfind(path + ":", 0), 0u) << message;
  EXPECT_NE(message.find("truncated or corrupt gzip/bgzip file"), std::string::npos) << message;
}
