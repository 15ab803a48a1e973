// `oncolm score --labels`: supervised evaluation of the zero-shot scores. AUROC and average
// precision against scikit-learn on random scores with ties; end to end on the example cohort with
// labels from a TSV and from a ClinVar-style VCF, the reported metrics recomputed by scikit-learn
// from the written out-of-fold predictions; and bad labels as clear errors.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <map>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "../test_fs.h"
#include "score/supervised.h"

namespace fs = oncolm::test_fs;
using nlohmann::json;

namespace {

const std::string source_dir = ONCOLM_SOURCE_DIR;
const std::string binary = ONCOLM_BINARY;
const std::string reference = source_dir + "/examples/reference/GRCh37.20_X.masked.fa.gz";
const std::string model_dir = std::string(ONCOLM_TEST_DATA_DIR) + "/nt/nt_v2_tiny";
const std::string python = "/usr/bin/python3";

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

std::vector<std::string> split(const std::string& text, char separator) {
  std::vector<std::string> parts;
  std::string part;
  std::istringstream in(text);
  while (std::getline(in, part, separator)) parts.push_back(part);
  return parts;
}

// scikit-learn's value of `metric` (roc_auc_score, average_precision_score) for scores and labels.
double sklearn(const std::string& metric, const std::vector<double>& scores, const std::vector<int>& labels,
               const std::string& dir) {
  std::ofstream data(dir + "/metric.tsv");
  for (std::size_t i = 0; i < scores.size(); ++i) data << scores[i] << "\t" << labels[i] << "\n";
  data.close();
  const std::string out = dir + "/metric.out";
  const std::string command = python + " -c \"import numpy as np; from sklearn.metrics import " + metric +
                              "; d = np.loadtxt('" + dir + "/metric.tsv'); print(repr(" + metric +
                              "(d[:, 1].astype(int), d[:, 0])))\" > " + out;
  EXPECT_EQ(std::system(command.c_str()), 0) << command;
  return std::stod(read_file(out));
}

TEST(SupervisedMetrics, AurocAndAveragePrecisionEqualScikitLearnWithTies) {
  const std::string dir = fs::fresh_dir("oncolm_supervised_metrics").string();
  std::mt19937 rng(3);
  for (int trial = 0; trial < 3; ++trial) {
    std::vector<double> scores;
    std::vector<int> labels;
    for (int i = 0; i < 200; ++i) {
      labels.push_back(static_cast<int>(rng() % 3 == 0));
      scores.push_back(static_cast<double>(rng() % 40) / 8.0 + labels.back() * 0.5);  // many ties
    }
    EXPECT_NEAR(oncolm::score::auroc(scores, labels), sklearn("roc_auc_score", scores, labels, dir), 1e-12);
    EXPECT_NEAR(oncolm::score::average_precision(scores, labels),
                sklearn("average_precision_score", scores, labels, dir), 1e-12);
  }
}

class SupervisedCli : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    root = fs::fresh_dir("oncolm_supervised_cli").string();
    ASSERT_EQ(std::system((binary + " windows " + source_dir + "/examples/cohort.tsv --reference " + reference + " -o " +
                           root + "/windows --window-length 600 --verbosity warning").c_str()),
              0);
    ASSERT_EQ(std::system((binary + " score --model " + model_dir + " -o " + root + "/score --threads 2 " + root +
                           "/windows > /dev/null 2>&1").c_str()),
              0);
    // Labels a model can learn: 1 when the variant's llr is above the median of the scored ones.
    std::vector<std::vector<std::string>> rows;
    std::vector<double> llrs;
    for (const auto& name : oncolm::list_directory(root + "/score")) {
      if (name.size() < 11 || name.compare(name.size() - 11, 11, ".scores.tsv") != 0) continue;
      auto lines = split(read_file(root + "/score/" + name), '\n');
      auto header = split(lines[0], '\t');
      for (std::size_t i = 1; i < lines.size(); ++i) {
        auto cells = split(lines[i], '\t');
        if (cells.size() != header.size() || cells[9] == ".") continue;  // column 9: llr
        rows.push_back({cells[1], cells[2], cells[3], cells[4], cells[9]});
        llrs.push_back(std::stod(cells[9]));
      }
    }
    std::vector<double> sorted = llrs;
    std::sort(sorted.begin(), sorted.end());
    const double median = sorted[sorted.size() / 2];
    std::ofstream tsv(root + "/labels.tsv");
    std::ofstream vcf(root + "/clinvar.vcf");
    tsv << "chrom\tpos\tref\talt\tlabel\n";
    vcf << "##fileformat=VCFv4.2\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n";
    for (std::size_t i = 0; i < rows.size(); ++i) {
      const bool positive = llrs[i] > median;
      tsv << rows[i][0] << "\t" << rows[i][1] << "\t" << rows[i][2] << "\t" << rows[i][3] << "\t"
          << (positive ? "damaging" : "tolerated") << "\n";
      vcf << "chr" << rows[i][0] << "\t" << rows[i][1] << "\t.\t" << rows[i][2] << "\t" << rows[i][3] << "\t.\t.\t"
          << "CLNSIG=" << (positive ? "Pathogenic" : "Likely_benign") << "\n";
    }
    vcf << "20\t1\t.\tA\tC\t.\t.\tCLNSIG=Uncertain_significance\n";
    labelled = rows.size();
  }
  static std::string root;
  static std::size_t labelled;
};
std::string SupervisedCli::root;
std::size_t SupervisedCli::labelled = 0;

TEST_F(SupervisedCli, TsvLabelsGiveMetricsThatScikitLearnRecomputes) {
  ASSERT_EQ(std::system((binary + " score --labels " + root + "/labels.tsv --positive damaging --folds 3 -o " + root +
                         "/score > " + root + "/tsv.out 2>&1").c_str()),
            0)
      << read_file(root + "/tsv.out");
  json summary = json::parse(read_file(root + "/score/supervised.json"));
  EXPECT_EQ(summary["variants"].get<std::size_t>(), labelled);
  EXPECT_GT(summary["auroc"].get<double>(), 0.9) << "llr is a feature and decides the label";
  EXPECT_EQ(summary["per_fold"].size(), 3u);
  auto lines = split(read_file(root + "/score/supervised_predictions.tsv"), '\n');
  ASSERT_EQ(lines.size(), labelled + 1);
  std::vector<double> probability;
  std::vector<int> labels;
  for (std::size_t i = 1; i < lines.size(); ++i) {
    auto cells = split(lines[i], '\t');
    labels.push_back(std::stoi(cells[6]));
    probability.push_back(std::stod(cells[8]));
  }
  EXPECT_NEAR(summary["auroc"].get<double>(), sklearn("roc_auc_score", probability, labels, root), 1e-9);
  EXPECT_NEAR(summary["auprc"].get<double>(), sklearn("average_precision_score", probability, labels, root), 1e-9);
}

// The same variant scored twice (here each scores.tsv row written twice, as when two samples of a
// donor share a variant): both rows land in one fold, never one in training and one in test.
TEST_F(SupervisedCli, TheSameVariantInSeveralRowsStaysInOneFold) {
  ASSERT_EQ(std::system(("rm -rf " + root + "/score_dup && cp -r " + root + "/score " + root + "/score_dup && rm -f " +
                         root + "/score_dup/supervised* && for f in " + root + "/score_dup/*.scores.tsv; do tail -n +2 "
                         "$f > $f.rows && cat $f.rows >> $f && rm $f.rows; done").c_str()), 0);
  ASSERT_EQ(std::system((binary + " score --labels " + root + "/labels.tsv --positive damaging --folds 3 -o " + root +
                         "/score_dup > " + root + "/dup.out 2>&1").c_str()),
            0)
      << read_file(root + "/dup.out");
  json summary = json::parse(read_file(root + "/score_dup/supervised.json"));
  EXPECT_EQ(summary["variants"].get<std::size_t>(), 2 * labelled);
  std::map<std::string, std::set<std::string>> folds_of_variant;
  auto lines = split(read_file(root + "/score_dup/supervised_predictions.tsv"), '\n');
  for (std::size_t i = 1; i < lines.size(); ++i) {
    auto cells = split(lines[i], '\t');
    folds_of_variant[cells[1] + ":" + cells[2] + ":" + cells[3] + ">" + cells[4]].insert(cells[7]);
  }
  EXPECT_EQ(summary["distinct_variants"].get<std::size_t>(), folds_of_variant.size());
  EXPECT_LE(folds_of_variant.size(), labelled);
  for (const auto& [variant, folds] : folds_of_variant) EXPECT_EQ(folds.size(), 1u) << variant;
}

TEST_F(SupervisedCli, ClinvarVcfLabelsJoinWithOrWithoutChrAndCountWhatIsLeftOut) {
  ASSERT_EQ(std::system((binary + " score --labels " + root + "/clinvar.vcf --folds 3 -o " + root + "/score > " +
                         root + "/vcf.out 2>&1").c_str()),
            0)
      << read_file(root + "/vcf.out");
  json summary = json::parse(read_file(root + "/score/supervised.json"));
  EXPECT_EQ(summary["variants"].get<std::size_t>(), labelled);
  EXPECT_EQ(summary["labels_skipped"]["CLNSIG_Uncertain_significance"], 1);
}

// What does not join is reported: labels matching no scored variant, variants labelled both ways
// (left out), and *.scores.tsv files of another run in OUTDIR (named, not read); the default
// positive class of 0/1 labels is written as used.
TEST_F(SupervisedCli, UnjoinedConflictingAndStaleInputsAreCountedNotUsed) {
  auto rows = split(read_file(root + "/labels.tsv"), '\n');
  std::ofstream tsv(root + "/binary.tsv");
  tsv << "chrom\tpos\tref\talt\tlabel\n";
  for (std::size_t i = 1; i < rows.size(); ++i) {
    auto cells = split(rows[i], '\t');
    tsv << cells[0] << "\t" << cells[1] << "\t" << cells[2] << "\t" << cells[3] << "\t"
        << (cells[4] == "damaging" ? 1 : 0) << "\n";
  }
  auto first = split(rows[1], '\t');
  tsv << "chr" << first[0] << "\t" << first[1] << "\t" << first[2] << "\t" << first[3] << "\t"
      << (first[4] == "damaging" ? 0 : 1) << "\n";  // the first variant again, labelled the other way
  tsv << "20\t1\tA\tC\t1\n20\t2\tA\tC\t0\n";      // nowhere in the scores
  tsv << "20\t3\tA\tC\t.\n20\t4\tA\tC\t\n";       // no label: counted, not used
  tsv.close();
  std::string stale;
  for (const auto& name : oncolm::list_directory(root + "/score"))
    if (stale.empty() && name.size() > 11 && name.compare(name.size() - 11, 11, ".scores.tsv") == 0) stale = name;
  fs::copy_file(root + "/score/" + stale, root + "/score/old_run.scores.tsv");
  const int status = std::system((binary + " score --labels " + root + "/binary.tsv --folds 3 -o " + root +
                                  "/score > " + root + "/binary.out 2>&1").c_str());
  fs::remove(root + "/score/old_run.scores.tsv");
  ASSERT_EQ(status, 0) << read_file(root + "/binary.out");
  json summary = json::parse(read_file(root + "/score/supervised.json"));
  EXPECT_EQ(summary["positive"], "1");
  EXPECT_EQ(summary["variants"].get<std::size_t>(), labelled - 1);
  EXPECT_EQ(summary["labels_skipped"]["conflicting_labels"], 1);
  EXPECT_EQ(summary["labels_skipped"]["no_label"], 2);
  EXPECT_EQ(summary["labels_not_joined"], 2);
  const std::string out = read_file(root + "/binary.out");
  EXPECT_NE(out.find("old_run.scores.tsv"), std::string::npos) << out;
  EXPECT_NE(out.find("2 of "), std::string::npos) << out;
}

// A score run that fails part way leaves no score.json: the rewritten *.scores.tsv of the samples
// it reached must not pass for the earlier finished run.
TEST_F(SupervisedCli, FailedScoreRunLeavesNoProvenance) {
  const std::string out = root + "/rescore", broken = root + "/broken_windows";
  fs::create_directories(broken);
  ASSERT_EQ(std::system(("cp " + root + "/windows/colon* " + broken + "/ && " + binary + " windows merge -o " + broken +
                         " > /dev/null 2>&1").c_str()),
            0);  // colon1 and colon2, merged into a cohort of two
  ASSERT_EQ(std::system((binary + " score --model " + model_dir + " -o " + out + " " + broken +
                         " > /dev/null 2>&1").c_str()),
            0);
  ASSERT_TRUE(fs::exists(out + "/score.json"));
  // Every record of colon2's FASTA but its first six lines gone: scoring colon2 fails.
  ASSERT_EQ(std::system(("zcat " + broken + "/colon2.windows.fa.gz | head -6 | gzip > " + broken + "/cut.gz && mv " +
                         broken + "/cut.gz " + broken + "/colon2.windows.fa.gz").c_str()),
            0);
  EXPECT_NE(std::system((binary + " score --model " + model_dir + " -o " + out + " " + broken + " > " + root +
                         "/rescore.out 2>&1").c_str()),
            0);
  EXPECT_NE(read_file(root + "/rescore.out").find("colon2"), std::string::npos) << read_file(root + "/rescore.out");
  EXPECT_FALSE(fs::exists(out + "/score.json"));
}

// A C that is not a positive number, or a score that is not a finite number, is an error naming
// it (NaN used to hang the AUROC's tie loop).
TEST_F(SupervisedCli, NonFiniteScoresAndBadCAreErrors) {
  const std::string out = root + "/bad_c.out";
  for (const std::string c : {"0", "nan", "-1"}) {
    EXPECT_EQ(std::system((binary + " score --labels " + root + "/labels.tsv --positive damaging -o " + root +
                           "/score --C " + c + " > " + out + " 2>&1").c_str()),
              256)
        << read_file(out);
    EXPECT_NE(read_file(out).find("--C must be a positive number"), std::string::npos) << read_file(out);
  }
  const std::string copy = root + "/nan_score";
  ASSERT_EQ(std::system(("rm -rf " + copy + " && cp -r " + root + "/score " + copy).c_str()), 0);
  std::string edited_file;
  for (const auto& name : oncolm::list_directory(copy)) {
    if (name.size() < 11 || name.compare(name.size() - 11, 11, ".scores.tsv") != 0 || !edited_file.empty()) continue;
    auto lines = split(read_file(copy + "/" + name), '\n');
    for (std::size_t i = 1; i < lines.size() && edited_file.empty(); ++i) {
      auto cells = split(lines[i], '\t');
      if (cells.size() < 10 || cells[9] == ".") continue;
      cells[9] = "nan";
      std::string line;
      for (std::size_t c = 0; c < cells.size(); ++c) line += (c ? "\t" : "") + cells[c];
      lines[i] = line;
      edited_file = copy + "/" + name;
    }
    std::string text;
    for (const auto& line : lines) text += line + "\n";
    if (!edited_file.empty()) std::ofstream(edited_file) << text.substr(0, text.size() - 1);
  }
  ASSERT_FALSE(edited_file.empty());
  EXPECT_EQ(std::system(("timeout 60 " + binary + " score --labels " + root + "/labels.tsv --positive damaging -o " +
                         copy + " > " + out + " 2>&1").c_str()),
            256)
      << read_file(out);
  EXPECT_NE(read_file(out).find(edited_file + ":"), std::string::npos) << read_file(out);
  EXPECT_NE(read_file(out).find("'nan', not a finite number"), std::string::npos) << read_file(out);
  // A row cut short (a hand-filtered file) is named by file and line, not read past its end.
  {
    auto lines = split(read_file(edited_file), '\n');
    ASSERT_GE(lines.size(), 2u);
    lines[1] = "a\tb\tc";  // the row with 'nan'; the later rows as they were
    std::string text;
    for (std::size_t i = 0; i < lines.size(); ++i) text += (i ? "\n" : "") + lines[i];
    std::ofstream(edited_file) << text;
  }
  EXPECT_EQ(std::system((binary + " score --labels " + root + "/labels.tsv --positive damaging -o " + copy + " > " +
                         out + " 2>&1").c_str()),
            256)
      << read_file(out);
  EXPECT_NE(read_file(out).find(edited_file + ":2: has 3 fields"), std::string::npos) << read_file(out);
}

TEST_F(SupervisedCli, BadLabelsAreClearErrors) {
  std::ofstream(root + "/nolabel.tsv") << "chrom\tpos\tref\talt\n20\t1\tA\tC\n";
  std::ofstream(root + "/oneclass.tsv") << "chrom\tpos\tref\talt\tlabel\n20\t1\tA\tC\t1\n20\t2\tA\tC\t1\n";
  struct Case {
    std::string labels, expected;
  };
  std::ofstream(root + "/badpos.tsv") << "chrom\tpos\tref\talt\tlabel\n20\tabc\tA\tC\t1\n20\t2\tA\tC\t0\n";
  for (const auto& c : {Case{root + "/nolabel.tsv", "no column 'label'"}, Case{root + "/oneclass.tsv", "exactly 2"},
                        Case{root + "/badpos.tsv", "badpos.tsv:2: pos is 'abc', not a position"},
                        Case{root + "/missing.tsv", "cannot open"}}) {
    const std::string out = root + "/bad.out";
    EXPECT_NE(std::system((binary + " score --labels " + c.labels + " -o " + root + "/score > " + out + " 2>&1").c_str()),
              0);
    EXPECT_NE(read_file(out).find(c.expected), std::string::npos) << read_file(out);
  }
}

}  // namespace
