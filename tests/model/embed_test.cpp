// The embed stage: FASTA reading (plain, gzip, bgzip), .npy writing, length-bucketed batching, the
// pipeline end to end on FASTA and on a windows-style directory, and the CLI.
#include <sys/wait.h>

#include <cstdio>
#include <cmath>
#include <cstring>
#include <fstream>
#include <sstream>

#include <ATen/ATen.h>
#include <c10/core/InferenceMode.h>
#include <gtest/gtest.h>

#include "../test_fs.h"
#include <nlohmann/json.hpp>
#include <zlib.h>

#include "core/blas_kernels.h"
#include "core/error.h"
#include "core/fasta_reader.h"
#include "core/sha256.h"
#include "model/batching.h"
#include "model/checkpoint.h"
#include "model/embed_pipeline.h"
#include "model/npy_writer.h"
#include "model/nt_encoder.h"

namespace fs = oncolm::test_fs;
using namespace oncolm;
using namespace oncolm::model;

namespace {
const std::string model_dir = std::string(ONCOLM_TEST_DATA_DIR) + "/nt/nt_v2_tiny";


std::string read_text(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

void write_gzip(const fs::path& path, const std::string& text) {
  gzFile file = gzopen(path.c_str(), "wb");
  gzwrite(file, text.data(), static_cast<unsigned>(text.size()));
  gzclose(file);
}

// A .npy written by NpyWriter: parses the header's shape and returns the float32 data.
std::vector<float> read_npy(const fs::path& path, std::int64_t& rows, std::int64_t& columns) {
  std::string bytes = read_text(path);
  EXPECT_EQ(bytes.substr(0, 6), "\x93NUMPY");
  std::size_t header_length = static_cast<unsigned char>(bytes[8]) | (static_cast<unsigned char>(bytes[9]) << 8);
  std::string header = bytes.substr(10, header_length);
  EXPECT_NE(header.find("'descr': '<f4'"), std::string::npos) << header;
  std::sscanf(header.c_str() + header.find("'shape': (") + 10, "%ld, %ld", &rows, &columns);
  std::vector<float> data(static_cast<std::size_t>(rows * columns));
  EXPECT_EQ(bytes.size(), 10 + header_length + data.size() * sizeof(float));
  std::memcpy(data.data(), bytes.data() + 10 + header_length, data.size() * sizeof(float));
  return data;
}

std::vector<std::vector<std::string>> read_tsv(const fs::path& path) {
  std::vector<std::vector<std::string>> rows;
  std::istringstream in(read_text(path));
  std::string line;
  while (std::getline(in, line)) {
    std::vector<std::string> fields;
    std::size_t start = 0;
    while (true) {
      std::size_t tab = line.find('\t', start);
      fields.push_back(line.substr(start, tab == std::string::npos ? std::string::npos : tab - start));
      if (tab == std::string::npos) break;
      start = tab + 1;
    }
    rows.push_back(fields);
  }
  return rows;
}

std::string random_dna(std::size_t length, unsigned seed) {
  std::string dna(length, 'A');
  unsigned state = seed;
  for (auto& c : dna) {
    state = state * 1103515245u + 12345u;
    c = "ACGT"[(state >> 16) & 3];
  }
  return dna;
}

// The reference the pipeline must reproduce: one sequence alone through the encoder, mean-pooled.
at::Tensor direct_mean_embedding(const NtEncoder& encoder, const Tokenizer& tokenizer, std::string sequence,
                                 std::size_t max_tokens, double centre) {
  clean_sequence(sequence);
  Encoding encoding = tokenizer.encode(sequence);
  truncate_centred(encoding, sequence.size(), max_tokens, centre);
  auto ids = at::tensor(std::vector<std::int64_t>(encoding.ids.begin(), encoding.ids.end())).view({1, -1});
  return masked_mean(encoder.forward(ids, at::Tensor()).selected, at::Tensor())[0];
}

int run_command(const std::string& command, std::string& output) {
  std::string full = command + " 2>&1";
  FILE* pipe = popen(full.c_str(), "r");
  char buffer[4096];
  output.clear();
  while (std::fgets(buffer, sizeof buffer, pipe)) output += buffer;
  int status = pclose(pipe);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}
}  // namespace

TEST(FastaReader, ReadsPlainGzipAndBgzip) {
  fs::path dir = fs::fresh_dir("oncolm_fasta_test");
  std::string text = ">one first record\nACGT\nacgt\r\n\n>two\nNNNN\n>three\n";
  std::ofstream(dir / "x.fa") << text;
  write_gzip(dir / "x.fa.gz", text);
  std::ofstream(dir / "y.fa") << text;
  std::string ignored;
  ASSERT_EQ(run_command("bgzip -f " + (dir / "y.fa").string(), ignored), 0) << ignored;
  for (const char* name : {"x.fa", "x.fa.gz", "y.fa.gz"}) {
    FastaReader reader((dir / name).string());
    FastaRecord record;
    ASSERT_TRUE(reader.next(record)) << name;
    EXPECT_EQ(record.name, "one");
    EXPECT_EQ(record.description, "first record");
    EXPECT_EQ(record.sequence, "ACGTacgt");
    EXPECT_EQ(record.line, 1u);
    ASSERT_TRUE(reader.next(record));
    EXPECT_EQ(record.name, "two");
    EXPECT_EQ(record.sequence, "NNNN");
    EXPECT_EQ(record.line, 5u);
    ASSERT_TRUE(reader.next(record));
    EXPECT_EQ(record.name, "three");
    EXPECT_EQ(record.sequence, "");
    EXPECT_FALSE(reader.next(record)) << name;
  }
  fs::remove_all(dir);
}

TEST(FastaReader, RefusesNonFastaAndTruncatedGzip) {
  fs::path dir = fs::fresh_dir("oncolm_fasta_bad");
  std::ofstream(dir / "text.fa") << "ACGT\n>late\nACGT\n";
  FastaRecord record;
  try {
    FastaReader reader((dir / "text.fa").string());
    reader.next(record);
    FAIL() << "sequence before a header was accepted";
  } catch (const InputError& error) {
    EXPECT_NE(std::string(error.what()).find("text.fa:1:"), std::string::npos) << error.what();
  }
  std::string big;
  for (int i = 0; i < 2000; ++i) big += ">r" + std::to_string(i) + "\n" + random_dna(200, static_cast<unsigned>(i)) + "\n";
  write_gzip(dir / "big.fa.gz", big);
  std::string compressed = read_text(dir / "big.fa.gz");
  std::ofstream(dir / "cut.fa.gz", std::ios::binary) << compressed.substr(0, compressed.size() / 2);
  EXPECT_THROW(
      {
        FastaReader reader((dir / "cut.fa.gz").string());
        while (reader.next(record)) {
        }
      },
      InputError);
  EXPECT_THROW(FastaReader((dir / "absent.fa").string()), InputError);
  fs::remove_all(dir);
}

TEST(NpyWriter, WritesShapeAfterStreamingAndHalfPrecision) {
  fs::path dir = fs::fresh_dir("oncolm_npy_test");
  {
    NpyWriter writer((dir / "a.npy").string(), 3, false);
    std::vector<float> rows = {1, 2, 3, 4, 5, 6};
    writer.write_rows(rows.data(), 2);
    writer.write_rows(rows.data(), 1);
    writer.finish();
  }
  std::int64_t rows = 0, columns = 0;
  std::vector<float> data = read_npy(dir / "a.npy", rows, columns);
  EXPECT_EQ(rows, 3);
  EXPECT_EQ(columns, 3);
  EXPECT_EQ(data, (std::vector<float>{1, 2, 3, 4, 5, 6, 1, 2, 3}));
  EXPECT_EQ(read_text(dir / "a.npy").size() % 64, (3u * 3u * 4u) % 64);  // 128-byte header
  // binary16 reference values (numpy.float16(x).view(numpy.uint16)).
  EXPECT_EQ(float_to_half(1.0f), 0x3c00);
  EXPECT_EQ(float_to_half(-2.0f), 0xc000);
  EXPECT_EQ(float_to_half(65504.0f), 0x7bff);
  EXPECT_EQ(float_to_half(1e6f), 0x7c00);
  EXPECT_EQ(float_to_half(0.1f), 0x2e66);
  EXPECT_EQ(float_to_half(6.0e-8f), 0x0001);  // subnormal
  EXPECT_EQ(float_to_half(1.0f + 1.0f / 2048), 0x3c00);  // tie rounds to even
  fs::remove_all(dir);
}

TEST(Batching, BucketsByLengthWithinTheTokenBudget) {
  std::vector<std::int64_t> lengths = {1000, 500, 1000, 120, 1000, 999, 1000, 130};
  auto plan = plan_batches(lengths, 2000, 64);
  std::vector<bool> seen(lengths.size(), false);
  for (const auto& batch : plan) {
    EXPECT_LE(batch.width * static_cast<std::int64_t>(batch.members.size()), 2000);
    for (auto m : batch.members) {
      EXPECT_FALSE(seen[m]);
      seen[m] = true;
      EXPECT_LE(lengths[m], batch.width);
      if (batch.uniform) {
        EXPECT_EQ(lengths[m], batch.width);
      }
    }
  }
  EXPECT_EQ(std::count(seen.begin(), seen.end(), true), 8);
  // The four 1,000-token sequences fill two unmasked batches; 999 does not join them.
  EXPECT_TRUE(plan[0].uniform);
  EXPECT_TRUE(plan[1].uniform);
  EXPECT_EQ(plan[0].members, (std::vector<std::size_t>{0, 2}));
  EXPECT_EQ(plan[1].members, (std::vector<std::size_t>{4, 6}));
  // Short sequences share a batch, padded only to the longest of them.
  EXPECT_EQ(plan.back().width, 130);
  EXPECT_EQ(plan.back().members.size(), 2u);
}

class EmbedPipeline : public testing::Test {
 protected:
  void SetUp() override {
    encoder_ = std::make_unique<NtEncoder>(NtConfig::load_dir(model_dir), Checkpoint::load_dir(model_dir));
    tokenizer_ = std::make_unique<Tokenizer>(Vocabulary::load(model_dir + "/vocab.txt"));
  }
  std::unique_ptr<NtEncoder> encoder_;
  std::unique_ptr<Tokenizer> tokenizer_;
};

TEST_F(EmbedPipeline, FastaRowsMatchTheEncoderOneSequenceAtATime) {
  c10::InferenceMode guard;
  fs::path dir = fs::fresh_dir("oncolm_embed_fasta");
  // Equal lengths (an unmasked bucket), varied lengths (masked batches), soft-masked and IUPAC
  // bases, and a record longer than --max-tokens.
  std::vector<std::pair<std::string, std::string>> records = {
      {"a", random_dna(120, 1)}, {"b", random_dna(120, 2)}, {"c", random_dna(47, 3)},
      {"d", "acgtRYacgt" + random_dna(90, 4)}, {"e", random_dna(600, 5)}, {"f", random_dna(120, 6)}};
  std::string fasta;
  for (const auto& [name, sequence] : records) fasta += ">" + name + "\n" + sequence + "\n";
  write_gzip(dir / "cohort.fa.gz", fasta);
  EmbedPipelineOptions options;
  options.model_dir = model_dir;
  options.out_dir = (dir / "out").string();
  options.inputs = {(dir / "cohort.fa.gz").string()};
  options.max_tokens = 60;
  options.embedder.token_budget = 130;  // several batches
  options.chunk_records = 4;            // and two chunks
  EXPECT_EQ(run_embed_pipeline(options), records.size());
  std::int64_t rows = 0, columns = 0;
  std::vector<float> data = read_npy(dir / "out/cohort.emb.npy", rows, columns);
  ASSERT_EQ(rows, 6);
  ASSERT_EQ(columns, 64);
  for (std::size_t r = 0; r < records.size(); ++r) {
    at::Tensor expected = direct_mean_embedding(*encoder_, *tokenizer_, records[r].second, 60,
                                                records[r].second.size() / 2.0);
    at::Tensor ours = at::from_blob(data.data() + r * 64, {64}, at::kFloat);
    EXPECT_LT((ours - expected).abs().max().item<double>(), 1e-5) << records[r].first;
  }
  auto tsv = read_tsv(dir / "out/cohort.emb.tsv");
  ASSERT_EQ(tsv.size(), 7u);
  EXPECT_EQ(tsv[0], (std::vector<std::string>{"record", "sample_id", "allele", "bases", "tokens", "cut_left",
                                               "cut_right", "tiles", "variant_token_start", "variant_token_end"}));
  EXPECT_EQ(tsv[1], (std::vector<std::string>{"a", "cohort", "", "120", "21", "0", "0", "1", "", ""}));
  // 600 bp = 100 6-mers: 59 kept around the centre, 41 cut (20 or 21 on each side).
  EXPECT_EQ(tsv[5][4], "60");
  EXPECT_EQ(std::stoi(tsv[5][5]) + std::stoi(tsv[5][6]), 41 * 6);
  EXPECT_LE(std::abs(std::stoi(tsv[5][5]) - std::stoi(tsv[5][6])), 6);
  auto json = nlohmann::json::parse(read_text(dir / "out/embed.json"));
  EXPECT_EQ(json["model"]["sha256"], sha256_file_hex(model_dir + "/model.safetensors"));
  EXPECT_EQ(json["pooling"], "mean");
  EXPECT_EQ(json["layer"], 2);
  EXPECT_EQ(json["truncation"]["max_tokens"], 60);
  EXPECT_EQ(json["outputs"][0]["records"], 6);
  // Record e was cut to --max-tokens: counted (and warned about), the others embedded whole.
  EXPECT_EQ(json["outputs"][0]["records_not_whole"],
            (nlohmann::json{{"truncated", 1}, {"empty", 0}, {"without_manifest_row", 0}}));
  // The command inherits this process's environment, so it reports the same OpenMP wait policy.
  EXPECT_EQ(json["openmp_wait_policy"], oncolm::openmp_wait_description());
  for (const auto& entry : fs::directory_iterator(dir / "out"))
    EXPECT_EQ(entry.path().string().find(".tmp."), std::string::npos) << entry.path();
  fs::remove_all(dir);
}

TEST_F(EmbedPipeline, WindowsDirectoryGivesAllelesVariantSpansAndVariantPooling) {
  c10::InferenceMode guard;
  fs::path dir = fs::fresh_dir("oncolm_embed_windows");
  fs::create_directories(dir / "windows");
  // Two variants of sample S1 in 61 bp windows with the changed base at offset 30: an SNV and a
  // 2-base deletion (REF CTT -> ALT C: the first changed base is at offset 30).
  std::string left = random_dna(30, 11), right = random_dna(40, 12);
  std::string snv_ref = left + "A" + right.substr(0, 30), snv_alt = left + "G" + right.substr(0, 30);
  std::string del_ref = left.substr(0, 29) + "CTT" + right.substr(0, 29);
  std::string del_alt = left.substr(0, 29) + "C" + right.substr(0, 31);
  std::string fasta = ">v1_REF\n" + snv_ref + "\n>v1_ALT\n" + snv_alt + "\n>v2_REF\n" + del_ref + "\n>v2_ALT\n" + del_alt + "\n";
  std::ofstream(dir / "windows/S1.windows.fa") << fasta;
  std::string ignored;
  ASSERT_EQ(run_command("bgzip -f " + (dir / "windows/S1.windows.fa").string(), ignored), 0) << ignored;
  write_gzip(dir / "windows/S1.windows.tsv.gz",
             "chrom\tpos\tref\talt\tnorm_pos\tnorm_ref\tnorm_alt\ttype\twindow_start\twindow_end\toffset\tref_record\talt_record\n"
             "20\t1031\tA\tG\t1031\tA\tG\tsnv\t1001\t1061\t30\tv1_REF\tv1_ALT\n"
             "20\t2030\tCTT\tC\t2030\tCTT\tC\tindel\t2001\t2061\t30\tv2_REF\tv2_ALT\n");
  // SV junction windows of the same sample, in a directory copied without its index files: still
  // embedded (their presence used to be read from the .fai alone).
  std::ofstream(dir / "windows/S1.sv_windows.fa") << ">j1_REF1\n" << random_dna(61, 13) << "\n>j1_REF2\n"
                                                  << random_dna(61, 14) << "\n>j1_ALT\n" << random_dna(61, 15) << "\n";
  ASSERT_EQ(run_command("bgzip -f " + (dir / "windows/S1.sv_windows.fa").string(), ignored), 0) << ignored;
  write_gzip(dir / "windows/S1.sv_windows.tsv.gz",
             "chrom\tpos\tref1_record\tref2_record\talt_record\tref1_offset\tref2_offset\talt_junction_offset\n"
             "20\t5000\tj1_REF1\tj1_REF2\tj1_ALT\t30\t30\t30\n");
  EmbedPipelineOptions options;
  options.model_dir = model_dir;
  options.out_dir = (dir / "out").string();
  options.inputs = {(dir / "windows").string()};
  options.embedder.pooling = Pooling::variant;
  ASSERT_EQ(run_embed_pipeline(options), 4u + 3u);
  std::int64_t sv_rows = 0, sv_columns = 0;
  read_npy(dir / "out/S1.sv.emb.npy", sv_rows, sv_columns);
  EXPECT_EQ(sv_rows, 3);
  auto tsv = read_tsv(dir / "out/S1.emb.tsv");
  ASSERT_EQ(tsv.size(), 5u);
  EXPECT_EQ(tsv[1][2], "REF");
  EXPECT_EQ(tsv[2][2], "ALT");
  // Offset 30 lies in the sixth 6-mer (bases 30..35) = token 6 after <cls>.
  EXPECT_EQ(tsv[1][8], "6");
  EXPECT_EQ(tsv[1][9], "7");
  EXPECT_EQ(tsv[2][8], "6");
  // Deleted bases 30..31 in REF (token 6); in ALT the junction 29|30 spans tokens 5 and 6.
  EXPECT_EQ(tsv[3][8], "6");
  EXPECT_EQ(tsv[3][9], "7");
  EXPECT_EQ(tsv[4][8], "5");
  EXPECT_EQ(tsv[4][9], "7");
  std::int64_t rows = 0, columns = 0;
  std::vector<float> data = read_npy(dir / "out/S1.emb.npy", rows, columns);
  ASSERT_EQ(rows, 4);
  // Variant pooling of the SNV REF record = that record's hidden state at token 6.
  std::string cleaned = snv_ref;
  Encoding encoding = tokenizer_->encode(cleaned);
  auto ids = at::tensor(std::vector<std::int64_t>(encoding.ids.begin(), encoding.ids.end())).view({1, -1});
  at::Tensor token6 = encoder_->forward(ids, at::Tensor()).selected[0][6];
  EXPECT_LT((at::from_blob(data.data(), {64}, at::kFloat) - token6).abs().max().item<double>(), 1e-5);
  // A FASTA without a manifest cannot use variant pooling, and says why.
  std::ofstream(dir / "plain.fa") << ">x\nACGTACGT\n";
  options.inputs = {(dir / "plain.fa").string()};
  try {
    run_embed_pipeline(options);
    FAIL() << "variant pooling without a manifest was accepted";
  } catch (const InputError& error) {
    EXPECT_NE(std::string(error.what()).find("record 'x'"), std::string::npos) << error.what();
  }
  fs::remove_all(dir);
}

// `oncolm windows` writes a sample's SV files whether or not it has junctions.
void write_sv_files_without_junctions(const fs::path& dir, const std::string& sample) {
  write_gzip(dir / (sample + ".sv_windows.fa.gz"), "");
  write_gzip(dir / (sample + ".sv_windows.tsv.gz"),
             "chrom\tpos\tref1_record\tref2_record\talt_record\tref1_offset\tref2_offset\talt_junction_offset\n");
}

// Windows the manifest lists but the FASTA lacks (a gzip file cut at a member boundary reads
// cleanly) are an error, not left out; so are the SV files missing from `oncolm windows` output, and
// junctions its SV TSV lists but its SV FASTA lacks.
TEST_F(EmbedPipeline, RecordsTheManifestListsButTheFastaLacksAreErrors) {
  c10::InferenceMode guard;
  fs::path dir = fs::fresh_dir("oncolm_embed_lacking");
  fs::create_directories(dir / "windows");
  std::string ref = random_dna(61, 41), alt = ref;
  alt[30] = ref[30] == 'A' ? 'C' : 'A';
  const std::string header =
      "sample_id\tchrom\tpos\tref\talt\tnorm_pos\tnorm_ref\tnorm_alt\ttype\toffset\tref_record\talt_record\n";
  auto row = [&](const std::string& pos, const std::string& index) {
    return "S1\t20\t" + pos + "\t" + ref.substr(30, 1) + "\t" + alt.substr(30, 1) + "\t" + pos + "\t" +
           ref.substr(30, 1) + "\t" + alt.substr(30, 1) + "\tsnv\t30\tS1|" + index + "|20_" + pos + "|REF\tS1|" + index +
           "|20_" + pos + "|ALT\n";
  };
  // The first variant's records only: the second's are gone.
  write_gzip(dir / "windows/S1.windows.fa.gz", ">S1|0|20_1031|REF\n" + ref + "\n>S1|0|20_1031|ALT\n" + alt + "\n");
  write_gzip(dir / "windows/S1.windows.tsv.gz", header + row("1031", "0") + row("2031", "1"));
  EmbedPipelineOptions options;
  options.model_dir = model_dir;
  options.out_dir = (dir / "out").string();
  options.inputs = {(dir / "windows").string()};
  auto expect_error = [&](const std::string& part, const std::string& out) {
    options.out_dir = (dir / out).string();
    try {
      run_embed_pipeline(options);
      FAIL() << "expected an error with " << part;
    } catch (const InputError& error) {
      EXPECT_NE(std::string(error.what()).find(part), std::string::npos) << error.what();
    }
    EXPECT_FALSE(fs::exists(dir / out / "embed.json"));  // written last: the run is not complete
  };
  expect_error("S1.windows.fa.gz: lacks 2 record(s) that", "out1");
  expect_error("(e.g. 'S1|1|20_2031|ALT')", "out1b");
  // As `oncolm windows` output (stats and cohort files), whole; its SV files copied elsewhere.
  write_gzip(dir / "windows/S1.windows.tsv.gz", header + row("1031", "0"));
  std::ofstream(dir / "windows/manifest.tsv") << "sample_id\tstats\nS1\tS1.stats.json\n";
  std::ofstream(dir / "windows/stats.json") << "{}\n";
  std::ofstream(dir / "windows/S1.stats.json") << "{\"sample_id\": \"S1\", \"safe_id\": \"S1\"}\n";
  expect_error("S1.sv_windows.fa.gz: missing, though S1.stats.json says the sample finished", "out2");
  // An SV FASTA without records while its TSV lists a junction.
  write_sv_files_without_junctions(dir / "windows", "S1");
  options.out_dir = (dir / "out3").string();
  ASSERT_EQ(run_embed_pipeline(options), 2u);  // no junctions: the SV files add nothing
  EXPECT_FALSE(fs::exists(dir / "out3/S1.sv.emb.npy"));
  write_gzip(dir / "windows/S1.sv_windows.tsv.gz",
             "chrom\tpos\tref1_record\tref2_record\talt_record\tref1_offset\tref2_offset\talt_junction_offset\n"
             "20\t5000\tj1_REF1\tj1_REF2\tj1_ALT\t30\t30\t30\n");
  expect_error("S1.sv_windows.fa.gz: lacks 3 record(s)", "out4");
  fs::remove_all(dir);
}

// Tables carry the sample sheet's id unchanged (file names use its safe form): a windows directory of
// sample "S-1" (files S_1.*) gives sample_id "S-1" in every row of S_1.emb.tsv and in embed.json; a
// stats file naming another sample than the TSV is an error naming both.
TEST_F(EmbedPipeline, RowsCarryTheSampleSheetIdNotTheFileName) {
  c10::InferenceMode guard;
  fs::path dir = fs::fresh_dir("oncolm_embed_sample_id");
  fs::create_directories(dir / "windows");
  std::string ref = random_dna(61, 31), alt = ref;
  alt[30] = ref[30] == 'A' ? 'C' : 'A';
  write_gzip(dir / "windows/S_1.windows.fa.gz", ">S_1|0|20_1031|REF\n" + ref + "\n>S_1|0|20_1031|ALT\n" + alt + "\n");
  write_gzip(dir / "windows/S_1.windows.tsv.gz",
             "sample_id\tchrom\tpos\tref\talt\tnorm_pos\tnorm_ref\tnorm_alt\ttype\toffset\tref_record\talt_record\n"
             "S-1\t20\t1031\t" + ref.substr(30, 1) + "\t" + alt.substr(30, 1) + "\t1031\t" + ref.substr(30, 1) + "\t" +
             alt.substr(30, 1) + "\tsnv\t30\tS_1|0|20_1031|REF\tS_1|0|20_1031|ALT\n");
  EmbedPipelineOptions options;
  options.model_dir = model_dir;
  options.out_dir = (dir / "out").string();
  options.inputs = {(dir / "windows").string()};
  ASSERT_EQ(run_embed_pipeline(options), 2u);
  auto tsv = read_tsv(dir / "out/S_1.emb.tsv");
  ASSERT_EQ(tsv.size(), 3u);
  EXPECT_EQ(tsv[0][1], "sample_id");
  EXPECT_EQ(tsv[1][1], "S-1");
  EXPECT_EQ(tsv[2][1], "S-1");
  auto json = nlohmann::json::parse(read_text(dir / "out/embed.json"));
  EXPECT_EQ(json["outputs"][0]["sample_id"], "S-1");
  EXPECT_EQ(json["outputs"][0]["name"], "S_1");
  // The stats file written by `oncolm windows` names the sample too; disagreeing files are refused.
  // (With stats files the directory is windows output: its cohort files must list them.)
  std::ofstream(dir / "windows/manifest.tsv") << "sample_id\tstats\nS-1\tS_1.stats.json\n";
  std::ofstream(dir / "windows/stats.json") << "{}\n";
  std::ofstream(dir / "windows/S_1.stats.json") << "{\"sample_id\": \"S-2\", \"safe_id\": \"S_1\"}\n";
  write_sv_files_without_junctions(dir / "windows", "S_1");
  options.out_dir = (dir / "out2").string();
  try {
    run_embed_pipeline(options);
    FAIL() << "a stats file of another sample was accepted";
  } catch (const InputError& error) {
    EXPECT_NE(std::string(error.what()).find("sample_id 'S-1', but S_1.stats.json says 'S-2'"), std::string::npos)
        << error.what();
  }
  // In `oncolm windows` output, a sample without its stats file (written last) is incomplete: refused.
  std::ofstream(dir / "windows/S_1.stats.json") << "{\"sample_id\": \"S-1\", \"safe_id\": \"S_1\"}\n";
  fs::copy_file(dir / "windows/S_1.windows.fa.gz", dir / "windows/S_2.windows.fa.gz");
  options.out_dir = (dir / "out3").string();
  try {
    run_embed_pipeline(options);
    FAIL() << "a sample without its stats file was embedded";
  } catch (const InputError& error) {
    EXPECT_NE(std::string(error.what()).find("S_2.stats.json"), std::string::npos) << error.what();
  }
  // A finished sample whose FASTA is gone is named, not left out.
  fs::remove(dir / "windows/S_2.windows.fa.gz");
  fs::copy_file(dir / "windows/S_1.windows.fa.gz", dir / "saved.fa.gz");
  fs::remove(dir / "windows/S_1.windows.fa.gz");
  fs::copy_file(dir / "windows/S_1.windows.tsv.gz", dir / "windows/S_0.windows.tsv.gz");
  write_sv_files_without_junctions(dir / "windows", "S_0");
  std::ofstream(dir / "windows/S_0.stats.json") << "{\"sample_id\": \"S-0\", \"safe_id\": \"S_0\"}\n";
  std::ofstream(dir / "windows/manifest.tsv") << "sample_id\tstats\nS-0\tS_0.stats.json\nS-1\tS_1.stats.json\n";
  fs::copy_file(dir / "saved.fa.gz", dir / "windows/S_0.windows.fa.gz");
  options.out_dir = (dir / "out5").string();
  try {
    run_embed_pipeline(options);
    FAIL() << "a sample without its FASTA was left out silently";
  } catch (const InputError& error) {
    EXPECT_NE(std::string(error.what()).find("S_1.windows.fa.gz: missing, though S_1.stats.json says"),
              std::string::npos)
        << error.what();
  }
  fs::copy_file(dir / "saved.fa.gz", dir / "windows/S_1.windows.fa.gz");
  for (const char* file : {"windows/S_0.windows.fa.gz", "windows/S_0.windows.tsv.gz", "windows/S_0.stats.json",
                           "windows/S_0.sv_windows.fa.gz", "windows/S_0.sv_windows.tsv.gz"})
    fs::remove(dir / file);
  std::ofstream(dir / "windows/manifest.tsv") << "sample_id\tstats\nS-1\tS_1.stats.json\n";
  // A killed or unmerged `oncolm windows` run (no manifest.tsv) is refused, not read as a cohort.
  fs::remove(dir / "windows/manifest.tsv");
  options.out_dir = (dir / "out4").string();
  try {
    run_embed_pipeline(options);
    FAIL() << "a windows directory without manifest.tsv was embedded";
  } catch (const InputError& error) {
    EXPECT_NE(std::string(error.what()).find("manifest.tsv: missing: `oncolm windows` did not finish"),
              std::string::npos)
        << error.what();
  }
  fs::remove_all(dir);
}

// A model that gives NaN (here one weight tensor set to NaN) stops the run naming a record, instead
// of writing NaN rows; --layer below -1 is an error, not Python's "from the end".
TEST_F(EmbedPipeline, NonFiniteEmbeddingsAndNegativeLayersAreErrors) {
  c10::InferenceMode guard;
  fs::path dir = fs::fresh_dir("oncolm_embed_nan");
  fs::create_directories(dir / "model");
  for (const char* file : {"config.json", "vocab.txt", "model.safetensors"})
    fs::copy_file(model_dir + "/" + file, (dir / "model" / file).string());
  std::string weights = read_text(dir / "model/model.safetensors");
  std::uint64_t header_size = 0;
  std::memcpy(&header_size, weights.data(), sizeof header_size);
  const auto header = nlohmann::json::parse(weights.substr(8, header_size));
  bool poisoned = false;
  for (const auto& [name, info] : header.items()) {
    if (name == "__metadata__" || info.at("dtype") != "F32" || name.find("LayerNorm.weight") == std::string::npos)
      continue;
    const std::size_t begin = 8 + header_size + info.at("data_offsets")[0].get<std::size_t>();
    const std::size_t end = 8 + header_size + info.at("data_offsets")[1].get<std::size_t>();
    const float nan = std::nanf("");
    for (std::size_t at = begin; at < end; at += sizeof nan) std::memcpy(&weights[at], &nan, sizeof nan);
    poisoned = true;
    break;
  }
  ASSERT_TRUE(poisoned);
  std::ofstream(dir / "model/model.safetensors", std::ios::binary) << weights;
  std::ofstream(dir / "in.fa") << ">first\n" << random_dna(60, 9) << "\n";
  EmbedPipelineOptions options;
  options.model_dir = (dir / "model").string();
  options.out_dir = (dir / "out").string();
  options.inputs = {(dir / "in.fa").string()};
  try {
    run_embed_pipeline(options);
    FAIL() << "NaN embeddings were written";
  } catch (const std::runtime_error& error) {
    EXPECT_NE(std::string(error.what()).find((dir / "in.fa").string() + ":1: the model gives non-finite embeddings "
                                                                         "(NaN or inf) for record first"),
              std::string::npos)
        << error.what();
  }
  EXPECT_FALSE(fs::exists(dir / "out/in.emb.npy"));
  // Finite values beyond float16's range (65504) would be written as inf: refused with --dtype
  // float16, written in float32. Word embeddings of 1e5 make hidden state 0 that large.
  weights = read_text(model_dir + "/model.safetensors");
  const auto& words = header.at("esm.embeddings.word_embeddings.weight");
  for (std::size_t at = 8 + header_size + words.at("data_offsets")[0].get<std::size_t>();
       at < 8 + header_size + words.at("data_offsets")[1].get<std::size_t>(); at += sizeof(float)) {
    const float large = 1e5f;
    std::memcpy(&weights[at], &large, sizeof large);
  }
  std::ofstream(dir / "model/model.safetensors", std::ios::binary) << weights;
  options.embedder.layer = 0;
  options.float16_output = true;
  try {
    run_embed_pipeline(options);
    FAIL() << "values beyond float16's range were written";
  } catch (const InputError& error) {
    EXPECT_NE(std::string(error.what()).find(":1: record first: its embedding holds"), std::string::npos) << error.what();
    EXPECT_NE(std::string(error.what()).find("beyond float16's range (65504)"), std::string::npos) << error.what();
  }
  EXPECT_FALSE(fs::exists(dir / "out/in.emb.npy"));
  options.float16_output = false;
  EXPECT_EQ(run_embed_pipeline(options), 1u);
  options.model_dir = model_dir;
  options.embedder.layer = -2;
  try {
    run_embed_pipeline(options);
    FAIL() << "--layer -2 was accepted";
  } catch (const std::invalid_argument& error) {
    EXPECT_NE(std::string(error.what()).find("--layer -2: give 0..2, or -1 for the last"), std::string::npos)
        << error.what();
  }
  fs::remove_all(dir);
}

// What is not embedded whole is counted; a name pandas would read as a quoted field is refused
// (the TSV would no longer match the .npy row for row).
TEST_F(EmbedPipeline, EmptyRecordsAreCountedAndQuotedNamesRefused) {
  c10::InferenceMode guard;
  fs::path dir = fs::fresh_dir("oncolm_embed_notes");
  std::ofstream(dir / "in.fa") << ">blank\n>b\n" << random_dna(30, 21) << "\n";
  EmbedPipelineOptions options;
  options.model_dir = model_dir;
  options.out_dir = (dir / "out").string();
  options.inputs = {(dir / "in.fa").string()};
  EXPECT_EQ(run_embed_pipeline(options), 2u);
  auto json = nlohmann::json::parse(read_text(dir / "out/embed.json"));
  EXPECT_EQ(json["outputs"][0]["records_not_whole"]["empty"], 1);
  EXPECT_EQ(json["outputs"][0]["records_not_whole"]["truncated"], 0);
  std::ofstream(dir / "quoted.fa") << ">b\nACGT\n>\"q\nACGT\n";
  options.inputs = {(dir / "quoted.fa").string()};
  options.out_dir = (dir / "quoted").string();
  try {
    run_embed_pipeline(options);
    FAIL() << "a record name starting with a quote was accepted";
  } catch (const InputError& error) {
    EXPECT_NE(std::string(error.what()).find("quoted.fa:3: record name '\"q' starts with"), std::string::npos)
        << error.what();
  }
  EXPECT_FALSE(fs::exists(dir / "quoted/quoted.emb.tsv"));
  fs::remove_all(dir);
}

TEST_F(EmbedPipeline, TilingAveragesTilesAndFloat16Output) {
  c10::InferenceMode guard;
  fs::path dir = fs::fresh_dir("oncolm_embed_tiles");
  std::string sequence = random_dna(240, 21);  // 40 6-mers
  std::ofstream(dir / "long.fa") << ">long\n" << sequence << "\n";
  EmbedPipelineOptions options;
  options.model_dir = model_dir;
  options.out_dir = (dir / "out").string();
  options.inputs = {(dir / "long.fa").string()};
  options.max_tokens = 21;  // tiles of 20 tokens + <cls>
  options.tile = true;
  ASSERT_EQ(run_embed_pipeline(options), 1u);
  auto tsv = read_tsv(dir / "out/long.emb.tsv");
  EXPECT_EQ(tsv[1][4], "42");  // two tiles of 21 tokens
  EXPECT_EQ(tsv[1][7], "2");
  std::int64_t rows = 0, columns = 0;
  std::vector<float> data = read_npy(dir / "out/long.emb.npy", rows, columns);
  at::Tensor first = direct_mean_embedding(*encoder_, *tokenizer_, sequence.substr(0, 120), 21, 60);
  at::Tensor second = direct_mean_embedding(*encoder_, *tokenizer_, sequence.substr(120), 21, 60);
  EXPECT_LT((at::from_blob(data.data(), {64}, at::kFloat) - (first + second) / 2).abs().max().item<double>(), 1e-5);
  options.tile = false;
  options.float16_output = true;
  options.out_dir = (dir / "half").string();
  ASSERT_EQ(run_embed_pipeline(options), 1u);
  std::string half = read_text(dir / "half/long.emb.npy");
  EXPECT_NE(half.find("'descr': '<f2'"), std::string::npos);
  EXPECT_EQ(half.size(), 128u + 64u * 2u);
  fs::remove_all(dir);
}

TEST(EmbedCli, ModelInfoAndEmbedRunAndBadInputExitsOne) {
  std::string binary = ONCOLM_BINARY;
  std::string output;
  ASSERT_EQ(run_command(binary + " model info " + model_dir, output), 0) << output;
  EXPECT_NE(output.find("NT v2 (rotary positions, SwiGLU FFN without bias)"), std::string::npos) << output;
  EXPECT_NE(output.find("max length:    2048 tokens"), std::string::npos) << output;
  EXPECT_NE(output.find("617,172 in the checkpoint"), std::string::npos) << output;
  EXPECT_NE(output.find(sha256_file_hex(model_dir + "/model.safetensors")), std::string::npos) << output;
  // stdout alone is the JSON; --verbosity warning keeps the info log (OpenBLAS kernels) out of the merged output.
  std::string json_command = binary + " model info --verbosity warning --json " + model_dir + "/../nt_v1_tiny";
  ASSERT_EQ(run_command(json_command, output), 0) << output;
  auto info = nlohmann::json::parse(output);
  EXPECT_EQ(info["version"], "v1");
  EXPECT_EQ(info["vocab_size"], 4105);
  EXPECT_EQ(info["max_tokens"], 1000);

  fs::path dir = fs::fresh_dir("oncolm_embed_cli");
  std::ofstream(dir / "ok.fa") << ">r1\nACGTACGTAAAC\n>r2\nTTTTGGGGCCCCAAAA\n";
  std::ofstream(dir / "bad.fa") << ">good\nACGT\n>broken\nACG-T\n";
  ASSERT_EQ(run_command(binary + " embed --model " + model_dir + " -o " + (dir / "out").string() + " " +
                            (dir / "ok.fa").string() + " --dtype float16 --threads 1",
                        output),
            0)
      << output;
  EXPECT_TRUE(fs::exists(dir / "out/ok.emb.npy"));
  EXPECT_TRUE(fs::exists(dir / "out/embed.json"));
  EXPECT_EQ(run_command(binary + " embed --model " + model_dir + " -o " + (dir / "bad").string() + " " +
                            (dir / "bad.fa").string(),
                        output),
            1);
  EXPECT_NE(output.find("bad.fa:3: record 'broken'"), std::string::npos) << output;
  EXPECT_FALSE(fs::exists(dir / "bad/bad.emb.npy"));  // no output that looks complete
  EXPECT_EQ(run_command(binary + " embed --model " + dir.string() + " -o " + (dir / "x").string() + " " +
                            (dir / "ok.fa").string(),
                        output),
            1);
  EXPECT_NE(output.find("config.json"), std::string::npos) << output;
  EXPECT_EQ(run_command(binary + " model info " + (dir / "no_such_model").string(), output), 1);
  EXPECT_NE(output.find("no_such_model: not a model directory"), std::string::npos) << output;
  // A config.json that does not fit the weights: model info says so, as embed would.
  fs::create_directories(dir / "misfit");
  for (const char* file : {"vocab.txt", "model.safetensors"})
    fs::copy_file(model_dir + "/" + file, (dir / "misfit" / file).string());
  std::string config = read_text(model_dir + "/config.json");
  const std::string layers = "\"num_hidden_layers\": 2";
  ASSERT_NE(config.find(layers), std::string::npos) << config;
  std::ofstream(dir / "misfit/config.json") << config.replace(config.find(layers), layers.size(), "\"num_hidden_layers\": 5");
  EXPECT_EQ(run_command(binary + " model info " + (dir / "misfit").string(), output), 1);
  EXPECT_NE(output.find("misfit/config.json: describes"), std::string::npos) << output;
  EXPECT_NE(output.find("(5 layers), the checkpoint holds"), std::string::npos) << output;
  // The v1 vocabulary beside v2 weights: model info refuses it as embed, score and train do.
  fs::create_directories(dir / "other_vocab");
  for (const char* file : {"config.json", "model.safetensors"})
    fs::copy_file(model_dir + "/" + file, (dir / "other_vocab" / file).string());
  fs::copy_file(model_dir + "/../nt_v1_tiny/vocab.txt", (dir / "other_vocab/vocab.txt").string());
  const std::string other_vocab = (dir / "other_vocab").string();
  for (std::string command : {" model info " + other_vocab,
                              " embed -o " + (dir / "w").string() + " --model " + other_vocab + " " + (dir / "ok.fa").string()}) {
    EXPECT_EQ(run_command(binary + command, output), 1) << command;
    EXPECT_NE(output.find("other_vocab/config.json: vocab_size 4107 does not fit vocab.txt (nt-v1 layout needs 4105)"),
              std::string::npos)
        << command << output;
  }
  EXPECT_EQ(run_command(binary + " embed --model " + model_dir + " -o " + (dir / "y").string() + " --max-tokens 5000 " +
                            (dir / "ok.fa").string(),
                        output),
            1);
  EXPECT_NE(output.find("exceeds the model's maximum of 2048"), std::string::npos) << output;
  // Unsigned options: "-1" is refused (CLI11 would wrap it to the largest value), with exit status 1.
  for (const char* option : {"--chunk", "--batch-rows"}) {
    EXPECT_EQ(run_command(binary + " embed --model " + model_dir + " -o " + (dir / "z").string() + " " + option +
                              " -1 " + (dir / "ok.fa").string(),
                          output),
              1)
        << option;
    EXPECT_NE(output.find(std::string(option) + ": must be a number > 0"), std::string::npos) << output;
  }
  // One token is <cls> alone: tiles of no body token would never end.
  EXPECT_EQ(run_command(binary + " embed --model " + model_dir + " -o " + (dir / "z").string() +
                            " --tile --max-tokens 1 " + (dir / "ok.fa").string(),
                        output),
            1);
  EXPECT_NE(output.find("--max-tokens must leave room for <cls> and one token"), std::string::npos) << output;
  fs::remove_all(dir);
}
