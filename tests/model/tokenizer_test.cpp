// Tokenizer parity with Hugging Face's EsmTokenizer (cases recorded from transformers 5.17 in
// tests/data/nt/tokenizer_cases.json), layout checks, clean-up, reverse complement and truncation.
#include <fstream>

#include <gtest/gtest.h>

#include "../test_fs.h"
#include <nlohmann/json.hpp>

#include "core/error.h"
#include "model/tokenizer.h"

namespace fs = oncolm::test_fs;
using namespace oncolm;
using namespace oncolm::model;

namespace {
const std::string data_dir = std::string(ONCOLM_TEST_DATA_DIR) + "/nt";

Tokenizer v2_tokenizer() { return Tokenizer(Vocabulary::load(data_dir + "/nt-v2.vocab.txt")); }

nlohmann::json load_cases() {
  std::ifstream in(data_dir + "/tokenizer_cases.json");
  return nlohmann::json::parse(in);
}

std::string write_temp(const std::string& name, const std::string& text) {
  fs::path path = fs::temp_directory_path() / name;
  std::ofstream(path, std::ios::binary) << text;
  return path.string();
}
}  // namespace

TEST(Tokenizer, ReproducesHuggingFaceOnEveryRecordedCase) {
  auto cases = load_cases();
  Tokenizer tokenizer = v2_tokenizer();
  ASSERT_EQ(cases["cases"].size(), 31u);
  for (const auto& c : cases["cases"]) {
    std::string sequence = c["sequence"];
    Encoding encoding = tokenizer.encode(sequence);
    std::vector<std::int32_t> expected_ids = c["input_ids"].get<std::vector<std::int32_t>>();
    EXPECT_EQ(encoding.ids, expected_ids) << "sequence '" << sequence << "'";
    EXPECT_EQ(tokenizer.tokens(encoding), c["tokens"].get<std::vector<std::string>>())
        << "sequence '" << sequence << "'";
  }
}

TEST(Tokenizer, PaddedBatchMatchesHuggingFace) {
  auto batch_case = load_cases()["padded_batch"];
  Tokenizer tokenizer = v2_tokenizer();
  std::vector<std::vector<std::int32_t>> rows;
  for (const auto& sequence : batch_case["sequences"]) rows.push_back(tokenizer.encode(sequence.get<std::string>()).ids);
  PaddedBatch batch = pad_batch(rows, tokenizer.vocabulary().pad_id(), batch_case["max_length"]);
  std::vector<std::int64_t> ids, mask;
  for (const auto& row : batch_case["input_ids"])
    for (auto v : row) ids.push_back(v);
  for (const auto& row : batch_case["attention_mask"])
    for (auto v : row) mask.push_back(v);
  EXPECT_EQ(batch.rows, 4);
  EXPECT_EQ(batch.width, 12);
  EXPECT_EQ(batch.ids, ids);
  EXPECT_EQ(batch.mask, mask);
  EXPECT_THROW(pad_batch(rows, 1, 5), std::invalid_argument);
}

TEST(Tokenizer, TokenOffsetsCoverTheText) {
  Tokenizer tokenizer = v2_tokenizer();
  Encoding e = tokenizer.encode("ACGTGTACNTGCACGGANCGACTAGTCTGA");
  // <cls> ACGTGT A C N TGCACG G A N CGACTA GTCTGA
  std::vector<std::int32_t> start = {0, 0, 6, 7, 8, 9, 15, 16, 17, 18, 24};
  std::vector<std::int32_t> end = {0, 6, 7, 8, 9, 15, 16, 17, 18, 24, 30};
  EXPECT_EQ(e.start, start);
  EXPECT_EQ(e.end, end);
  Encoding unknown = tokenizer.encode("AC RY QW");
  ASSERT_EQ(unknown.size(), 5u);  // <cls> A C <unk> <unk>
  EXPECT_EQ(unknown.start[3], 3);
  EXPECT_EQ(unknown.end[3], 5);
  EXPECT_EQ(unknown.start[4], 6);
}

TEST(Vocabulary, RecognisesBothLayouts) {
  Vocabulary v2 = Vocabulary::load(data_dir + "/nt-v2.vocab.txt");
  EXPECT_EQ(v2.layout(), VocabLayout::nt_v2);
  EXPECT_EQ(v2.size(), 4107);
  EXPECT_EQ(v2.id_of("AAAAAA"), 6);
  EXPECT_EQ(v2.id_of("N"), 4106);
  EXPECT_EQ(v2.kmer_id("GGGGGG"), 4101);
  Vocabulary v1 = Vocabulary::load(data_dir + "/nt-v1.vocab.txt");
  EXPECT_EQ(v1.layout(), VocabLayout::nt_v1);
  EXPECT_EQ(v1.id_of("AAAAAA"), 4);
  EXPECT_EQ(v1.id_of("A"), 4100);
  EXPECT_EQ(v1.id_of("<eos>"), 4105);
  Tokenizer t1(v1);
  // Same rule as v2, shifted ids: <cls> ACGTGT A C N ...
  EXPECT_EQ(t1.encode("ACGTGTACN").ids, (std::vector<std::int32_t>{3, 739 - 2, 4100, 4102, 4104}));
}

TEST(Vocabulary, RefusesUnknownLayoutNamingFileAndLine) {
  auto tokens = Vocabulary::layout_tokens(VocabLayout::nt_v2);
  std::swap(tokens[10], tokens[11]);
  std::string text;
  for (const auto& t : tokens) text += t + "\n";
  std::string path = write_temp("oncolm_bad_vocab.txt", text);
  try {
    Vocabulary::load(path);
    FAIL() << "a shuffled vocabulary was accepted";
  } catch (const InputError& error) {
    std::string message = error.what();
    EXPECT_NE(message.find(path + ":11:"), std::string::npos) << message;
    EXPECT_NE(message.find("NT v2"), std::string::npos) << message;
  }
  std::string esm_protein = write_temp("oncolm_protein_vocab.txt", "<cls>\n<pad>\n<eos>\n<unk>\nL\nA\n");
  EXPECT_THROW(Vocabulary::load(esm_protein), InputError);
  EXPECT_THROW(Vocabulary::load("/nonexistent/vocab.txt"), InputError);
  fs::remove(path);
  fs::remove(esm_protein);
}

TEST(Cleanup, UpperCasesAndMapsAmbiguityCodesToN) {
  std::string sequence = "acgtRYkmNn-x";
  CleanupReport report = clean_sequence(sequence);
  EXPECT_EQ(sequence, "ACGTNNNNNN-X");
  EXPECT_EQ(report.lower_cased, 8u);
  EXPECT_EQ(report.ambiguity_to_n, 4u);
  EXPECT_EQ(report.invalid, 2u);
  EXPECT_EQ(report.first_invalid, 10u);
  // After clean-up the tokenizer sees no <unk>.
  std::string soft_masked = "acgtacgtRN";
  clean_sequence(soft_masked);
  EXPECT_EQ(v2_tokenizer().encode(soft_masked).ids,
            (std::vector<std::int32_t>{3, v2_tokenizer().vocabulary().kmer_id("ACGTAC"), 4105, 4103, 4106, 4106}));
}

TEST(Cleanup, ReverseComplement) {
  EXPECT_EQ(reverse_complement("ACGTN"), "NACGT");
  EXPECT_EQ(reverse_complement("AAGRc"), "gYCTT");
  EXPECT_EQ(reverse_complement(""), "");
}

TEST(Truncation, KeepsTheCentreAndReportsCuts) {
  Tokenizer tokenizer = v2_tokenizer();
  std::string text(60, 'A');  // ten 6-mers
  text[30] = 'G';
  Encoding e = tokenizer.encode(text);
  ASSERT_EQ(e.size(), 11u);
  Encoding full = e;
  Truncation cut = truncate_centred(e, text.size(), 5, 30.0);  // <cls> + 4 tokens
  EXPECT_EQ(e.size(), 5u);
  EXPECT_EQ(cut.cut_left, 18u);
  EXPECT_EQ(cut.cut_right, 18u);
  EXPECT_EQ(cut.tokens_removed, 6u);
  EXPECT_EQ(e.ids[0], 3);
  // The kept tokens are exactly HF's tokens of the kept bases.
  EXPECT_EQ(e.ids, tokenizer.encode(text.substr(18, 24)).ids);
  // An off-centre variant moves the kept run with it.
  Encoding shifted = full;
  Truncation right = truncate_centred(shifted, text.size(), 3, 50.0);
  EXPECT_EQ(right.cut_left, 42u);
  EXPECT_EQ(right.cut_right, 6u);
  // Nothing to cut.
  Encoding small = tokenizer.encode("ACGT");
  EXPECT_EQ(truncate_centred(small, 4, 1000, 2.0).tokens_removed, 0u);
  EXPECT_THROW(truncate_centred(small, 4, 1, 2.0), std::invalid_argument);
}
