// `oncolm report` end to end: every stage run with the real binary on the example cohort (tiny
// fixture model), the report's figure data checked against the stage files it came from (and
// against an independent count of the sample sheet), the PCA against a configuration whose
// components are known exactly, the page rendered in headless Chromium (every chart drawn, no error,
// no console message; a screenshot kept in build/test-artifacts/), and bad inputs.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "../test_fs.h"
#include "core/error.h"
#include "report/report.h"

namespace fs = oncolm::test_fs;
using nlohmann::json;

namespace {

const std::string source_dir = ONCOLM_SOURCE_DIR;
const std::string binary = ONCOLM_BINARY;
const std::string tiny_model = std::string(ONCOLM_TEST_DATA_DIR) + "/nt/nt_v2_tiny";
const std::string reference = source_dir + "/examples/reference/GRCh37.20_X.masked.fa.gz";

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

// A TSV file as rows of column -> value.
std::vector<std::map<std::string, std::string>> read_tsv(const std::string& path) {
  std::vector<std::string> lines = split(read_file(path), '\n');
  std::vector<std::map<std::string, std::string>> rows;
  if (lines.empty()) return rows;
  std::vector<std::string> header = split(lines[0], '\t');
  for (std::size_t i = 1; i < lines.size(); ++i) {
    if (lines[i].empty()) continue;
    std::vector<std::string> cells = split(lines[i], '\t');
    cells.resize(header.size());
    std::map<std::string, std::string> row;
    for (std::size_t c = 0; c < header.size(); ++c) row[header[c]] = cells[c];
    rows.push_back(row);
  }
  return rows;
}

void run(const std::string& command) {
  int status = std::system((command + " > /dev/null 2>&1").c_str());
  ASSERT_EQ(status, 0) << command;
}

// Every stage of the pipeline on the example cohort, then the report: run once (ctest runs each test
// in its own process, so the checks below share one test instead of re-running the stages each).
class ReportPipeline {
 public:
  static void run_stages() {
    root = fs::fresh_dir("oncolm_report_pipeline").string();
    const std::string o = root + "/out";
    run(binary + " windows " + source_dir + "/examples/cohort.tsv --reference " + reference + " -o " + o +
        "/windows --threads 2");
    run(binary + " breakpoints -o " + o + "/breakpoints " + o + "/windows");
    run(binary + " embed --model " + tiny_model + " -o " + o + "/embed --max-tokens 64 --threads 2 " + o + "/windows");
    run(binary + " train --model " + tiny_model + " --objective both -o " + o +
        "/train --steps 2 --max-tokens 64 --batch-tokens 1024 --eval-every 1 --log-every 1 --threads 2 "
        "--separation-weight 1 " + o +
        "/windows");
    run(binary + " classify cv --windows " + o + "/windows --reference " + reference +
        " --label organ_system --min-class-size 2 --folds 2 --classifier logreg -o " + o + "/classify");
    run(binary + " score --model " + tiny_model + " -o " + o + "/score --max-windows 12 --threads 2 " + o + "/windows");
    run(binary + " report " + o + " -o " + root + "/report.html --data-dir " + root + "/data --png-dir " + root +
        "/png");
  }
  static std::string data(const std::string& figure) { return root + "/data/" + figure + ".tsv"; }
  static void every_stage_has_its_figures();
  static void cohort_figures_match_the_sample_sheet_and_stats();
  static void result_figures_match_their_stage_files();
  static void renders_in_headless_chromium();
  static std::string root;
};
std::string ReportPipeline::root;

void ReportPipeline::every_stage_has_its_figures() {
  for (const char* figure : {"histologies", "organ_systems", "window_lengths", "indel_lengths", "top_6mers",
                             "base_composition", "training_losses", "training_accuracy", "learning_rate",
                             "alt_ref_distances", "embedding_pca", "classify_accuracy", "confusion_matrix",
                             "classify_per_class", "llr_distribution", "sv_classes", "sv_sizes", "sv_microhomology"})
    EXPECT_TRUE(fs::exists(data(figure))) << figure;
  std::string html = read_file(root + "/report.html");
  EXPECT_NE(html.find("data-expected=\"18\""), std::string::npos);
  EXPECT_EQ(html.find("src=\"http"), std::string::npos) << "the report must not load anything from the network";
  // --png-dir: every figure as a PNG file, for a paper.
  std::size_t pngs = 0;
  for (const auto& name : oncolm::list_directory(root + "/png")) {
    if (name[0] == '.') continue;  // the list of files the report wrote
    const std::string bytes = read_file(root + "/png/" + name);
    EXPECT_EQ(bytes.substr(0, 8), std::string("\x89PNG\r\n\x1a\n", 8)) << name;
    EXPECT_GT(bytes.size(), 2000u) << name;
    ++pngs;
  }
  EXPECT_EQ(pngs, 18u);
}

void ReportPipeline::cohort_figures_match_the_sample_sheet_and_stats() {
  // Histologies counted from the sample sheet itself, not from anything oncolm wrote.
  std::map<std::string, long> expected;
  for (const auto& row : read_tsv(source_dir + "/examples/cohort.tsv")) ++expected[row.at("histology_abbreviation")];
  auto rows = read_tsv(data("histologies"));
  ASSERT_EQ(rows.size(), expected.size());
  long previous = 1L << 30;
  std::string previous_name;
  for (const auto& row : rows) {
    const long count = std::stol(row.at("samples"));
    EXPECT_EQ(count, expected[row.at("histology_abbreviation")]) << row.at("histology_abbreviation");
    EXPECT_TRUE(count < previous || (count == previous && row.at("histology_abbreviation") > previous_name))
        << "largest first, ties alphabetical";
    previous = count;
    previous_name = row.at("histology_abbreviation");
  }
  json stats = json::parse(read_file(root + "/out/windows/stats.json"));
  auto kmers = read_tsv(data("top_6mers"));
  ASSERT_EQ(kmers.size(), 15u);
  for (std::size_t i = 0; i < kmers.size(); ++i) {
    EXPECT_EQ(kmers[i].at("kmer"), stats["kmer6_tokens"]["top15"][i]["kmer"].get<std::string>());
    EXPECT_EQ(std::stol(kmers[i].at("count")), stats["kmer6_tokens"]["top15"][i]["count"].get<long>());
  }
  for (const auto& row : read_tsv(data("base_composition")))
    EXPECT_EQ(std::stol(row.at("count")), stats["base_composition"][row.at("base")]["count"].get<long>());
  long windows = 0, indels = 0;
  for (const auto& row : read_tsv(data("window_lengths"))) windows += std::stol(row.at("windows"));
  for (const auto& row : read_tsv(data("indel_lengths"))) indels += std::stol(row.at("indels"));
  EXPECT_EQ(windows, 2 * stats["windows"].get<long>() + 3 * stats["sv"]["junctions"].get<long>());
  EXPECT_EQ(indels, stats["counts_by_type"]["indel"].get<long>());
  // SV windows: every length is that of a record in the SV FASTA indexes (what samtools faidx reports).
  std::map<std::string, long> indexed, drawn;  // "allele length" -> windows
  for (const auto& name : oncolm::list_directory(root + "/out/windows")) {
    const std::string suffix = ".sv_windows.fa.gz.fai";
    if (name.size() <= suffix.size() || name.compare(name.size() - suffix.size(), suffix.size(), suffix) != 0) continue;
    std::ifstream fai(root + "/out/windows/" + name);
    std::string line;
    while (std::getline(fai, line)) {
      std::istringstream fields(line);
      std::string record, length;
      std::getline(fields, record, '\t');
      std::getline(fields, length, '\t');
      ++indexed[record.substr(record.rfind('|') + 1) + " " + length];
    }
  }
  for (const auto& row : read_tsv(data("window_lengths")))
    if (row.at("type") == "sv") drawn[row.at("allele") + " " + row.at("length")] += std::stol(row.at("windows"));
  ASSERT_FALSE(indexed.empty());
  EXPECT_EQ(drawn, indexed);
}

void ReportPipeline::result_figures_match_their_stage_files() {
  json metrics = json::parse(read_file(root + "/out/classify/metrics.json"));
  auto accuracy = read_tsv(data("classify_accuracy"));
  ASSERT_EQ(accuracy.size(), metrics["results"].size());
  for (std::size_t i = 0; i < accuracy.size(); ++i)
    EXPECT_NEAR(std::stod(accuracy[i].at("accuracy")), metrics["results"][i]["accuracy"].get<double>(), 1e-12);
  long confusion = 0;
  for (const auto& row : read_tsv(data("confusion_matrix"))) confusion += std::stol(row.at("samples"));
  EXPECT_EQ(confusion, metrics["n_samples"].get<long>());
  long junctions = 0;
  for (const auto& row : read_tsv(data("sv_classes"))) junctions += std::stol(row.at("junctions"));
  json stats = json::parse(read_file(root + "/out/windows/stats.json"));
  EXPECT_EQ(junctions, stats["sv"]["junctions"].get<long>());
  long training_rows = 0, separation_rows = 0;
  for (const auto& line : split(read_file(root + "/out/train/metrics.jsonl"), '\n')) {
    if (line.empty()) continue;
    json record = json::parse(line);
    training_rows += record.contains("loss");
    separation_rows += record.contains("separation_loss") && record["separation_loss"].is_number();
  }
  long loss_points = 0, separation_points = 0;
  for (const auto& row : read_tsv(data("training_losses"))) {
    loss_points += row.at("metric") == "loss";
    separation_points += row.at("metric") == "separation_loss";
  }
  EXPECT_EQ(loss_points, training_rows);
  EXPECT_GT(separation_rows, 0);
  EXPECT_EQ(separation_points, separation_rows);
  long scored = 0;
  for (const auto& row : read_tsv(data("llr_distribution"))) scored += std::stol(row.at("variants"));
  long expected_scored = 0;
  for (const auto& name : oncolm::list_directory(root + "/out/score"))
    if (name.size() > 11 && name.compare(name.size() - 11, 11, ".scores.tsv") == 0)
      for (const auto& row : read_tsv(root + "/out/score/" + name)) expected_scored += row.at("llr") != ".";
  EXPECT_EQ(scored, expected_scored);
  EXPECT_GT(scored, 0);
  // The types' bars stack on one axis: every type is binned on the same 30 edges.
  std::set<std::string> llr_bins, llr_types;
  for (const auto& row : read_tsv(data("llr_distribution"))) {
    llr_bins.insert(row.at("llr_from"));
    llr_types.insert(row.at("type"));
  }
  EXPECT_GE(llr_types.size(), 2u);
  EXPECT_LE(llr_bins.size(), 30u);
  // Microhomology: the junctions whose homology was computed (homology_complete 0 or 1), no others.
  long with_homology = 0, drawn_homology = 0;
  for (const auto& name : oncolm::list_directory(root + "/out/breakpoints"))
    if (name.size() > 16 && name.compare(name.size() - 16, 16, ".breakpoints.tsv") == 0)
      for (const auto& row : read_tsv(root + "/out/breakpoints/" + name)) with_homology += row.at("homology_complete") != ".";
  for (const auto& row : read_tsv(data("sv_microhomology"))) drawn_homology += std::stol(row.at("junctions"));
  EXPECT_EQ(drawn_homology, with_homology);
  EXPECT_LT(with_homology, junctions) << "the example has insertion junctions, whose homology is not computed";
  auto pca = read_tsv(data("embedding_pca"));
  EXPECT_GT(pca.size(), 400u);
  std::map<std::string, long> types;
  for (const auto& row : pca) ++types[row.at("variant_type")];
  EXPECT_EQ(types.count("unknown"), 0u) << "every embedded record joins to its windows TSV row";
  EXPECT_GT(types["sv"], 0);
}

// Every chart drawn by the vendored Vega runtime in a real browser, with no error and no console
// message; the screenshot is kept for a person to look at.
void ReportPipeline::renders_in_headless_chromium() {
  const std::string html = root + "/report.html", dom = root + "/dom.html", log = root + "/chromium.log";
  const std::string flags = " --headless --no-sandbox --disable-gpu --hide-scrollbars --virtual-time-budget=20000 ";
  int status = std::system(("chromium" + flags + "--enable-logging=stderr --v=0 --dump-dom file://" + html + " > " +
                            dom + " 2> " + log).c_str());
  ASSERT_EQ(status, 0) << "chromium failed (scripts/setup.sh installs Debian's chromium); log: " << log;
  std::string page = read_file(dom);
  EXPECT_NE(page.find("data-expected=\"18\" data-rendered=\"18\" data-errors=\"0\""), std::string::npos)
      << page.substr(page.find("report-status"), 120);
  for (const auto& line : split(read_file(log), '\n'))
    EXPECT_EQ(line.find("CONSOLE"), std::string::npos) << line;
  std::size_t charts = 0, position = 0;
  while ((position = page.find("class=\"chart", position)) != std::string::npos) {
    std::size_t end = page.find("class=\"caption\"", position);
    std::string chart = page.substr(position, end - position);
    EXPECT_NE(chart.find("data-rendered=\"1\""), std::string::npos) << chart.substr(0, 120);
    EXPECT_NE(chart.find("<svg"), std::string::npos) << chart.substr(0, 120);
    EXPECT_NE(chart.find("mark-"), std::string::npos) << "an SVG with no marks: " << chart.substr(0, 120);
    ++charts;
    position = end;
  }
  EXPECT_EQ(charts, 18u);
  const std::string artifacts = std::string(ONCOLM_BINARY_DIR) + "/test-artifacts";
  fs::create_directories(artifacts);
  const std::string png = artifacts + "/report.png";
  std::remove(png.c_str());
  status = std::system(("chromium" + flags + "--window-size=1200,8000 --screenshot=" + png + " file://" + html +
                        " > /dev/null 2>&1").c_str());
  ASSERT_EQ(status, 0);
  EXPECT_GT(read_file(png).size(), 50000u) << png;
}

TEST(ReportPipeline, FiguresMatchTheirSourcesAndRenderInChromium) {
  ReportPipeline::run_stages();
  if (::testing::Test::HasFatalFailure()) return;
  {
    SCOPED_TRACE("every stage has its figures");
    ReportPipeline::every_stage_has_its_figures();
  }
  {
    SCOPED_TRACE("cohort figures against the sample sheet and stats.json");
    ReportPipeline::cohort_figures_match_the_sample_sheet_and_stats();
  }
  {
    SCOPED_TRACE("result figures against their stage files");
    ReportPipeline::result_figures_match_their_stage_files();
  }
  {
    SCOPED_TRACE("rendered in headless Chromium");
    ReportPipeline::renders_in_headless_chromium();
  }
  {
    SCOPED_TRACE("a later report of fewer stages into the same --data-dir leaves no earlier figure");
    const std::string root = ReportPipeline::root;
    ASSERT_EQ(std::system((binary + " report " + root + "/out/windows -o " + root + "/windows_only.html --data-dir " +
                           root + "/data > /dev/null 2>&1").c_str()),
              0);
    std::set<std::string> names;
    for (const auto& name : oncolm::list_directory(root + "/data"))
      if (name[0] != '.') names.insert(name);
    EXPECT_EQ(names, (std::set<std::string>{"base_composition.tsv", "histologies.tsv", "indel_lengths.tsv",
                                             "organ_systems.tsv", "top_6mers.tsv", "window_lengths.tsv"}));
  }
}

// A .npy float32 matrix and its .emb.tsv, written by hand.
void write_embeddings(const std::string& dir, const std::vector<std::vector<float>>& rows) {
  fs::create_directories(dir);
  std::string header = "{'descr': '<f4', 'fortran_order': False, 'shape': (" + std::to_string(rows.size()) + ", " +
                       std::to_string(rows[0].size()) + "), }";
  header.append(64 - (10 + header.size() + 1) % 64, ' ');
  header += '\n';
  std::ofstream npy(dir + "/set.emb.npy", std::ios::binary);
  npy.write("\x93NUMPY\x01\x00", 8);
  const std::uint16_t length = static_cast<std::uint16_t>(header.size());
  npy.write(reinterpret_cast<const char*>(&length), 2);
  npy << header;
  for (const auto& row : rows) npy.write(reinterpret_cast<const char*>(row.data()), static_cast<std::streamsize>(row.size() * 4));
  std::ofstream tsv(dir + "/set.emb.tsv");
  tsv << "record\tsample_id\tallele\tbases\ttokens\tcut_left\tcut_right\ttiles\tvariant_token_start\tvariant_token_end\n";
  for (std::size_t i = 0; i < rows.size(); ++i) tsv << "r" << i << "\tS\tALT\t6\t2\t0\t0\t1\t\t\n";
  std::ofstream(dir + "/embed.json") << "{\"outputs\": [{\"npy\": \"set.emb.npy\"}]}\n";
}

// Rows a_i u + b_i w + c with orthonormal u, w and centred, uncorrelated a (variance 9) and b
// (variance 1): PC1 = a and PC2 = b exactly (the largest coordinate of u and of w is positive, the
// sign the report gives each axis).
TEST(ReportPca, ComponentsOfAKnownConfiguration) {
  const std::string root = fs::fresh_dir("oncolm_report_pca").string();
  const double r26 = std::sqrt(26.0);
  const double u[4] = {1.0 / 3, 2.0 / 3, 2.0 / 3, 0}, w[4] = {4 / r26, 1 / r26, -3 / r26, 0}, c[4] = {5, -1, 2, 7};
  const double a[8] = {3, -3, 3, -3, 3, -3, 3, -3}, b[8] = {1, 1, -1, -1, 1, 1, -1, -1};
  std::vector<std::vector<float>> rows;
  for (int i = 0; i < 8; ++i) {
    std::vector<float> row(4);
    for (int d = 0; d < 4; ++d) row[d] = static_cast<float>(a[i] * u[d] + b[i] * w[d] + c[d]);
    rows.push_back(row);
  }
  write_embeddings(root + "/embed", rows);
  oncolm::report::ReportOptions options;
  options.inputs = {root + "/embed"};
  options.output = root + "/report.html";
  options.data_dir = root + "/data";
  oncolm::report::write_report(options);
  auto pca = read_tsv(root + "/data/embedding_pca.tsv");
  ASSERT_EQ(pca.size(), 8u);
  for (int i = 0; i < 8; ++i) {
    EXPECT_NEAR(std::stod(pca[static_cast<std::size_t>(i)].at("pc1")), a[i], 1e-5) << i;
    EXPECT_NEAR(std::stod(pca[static_cast<std::size_t>(i)].at("pc2")), b[i], 1e-5) << i;
  }
  EXPECT_NE(read_file(root + "/report.html").find("90.0% and 10.0%"), std::string::npos) << "explained variance";
}

// --png-dir where the report's path holds a quote, a '#', a '%' and spaces: Chromium gets the
// file:// URL percent-encoded and the shell gets every path quoted, so each figure still comes back.
TEST(ReportEscaping, PngsOfAReportInADirectoryWithAwkwardCharacters) {
  const std::string root = fs::fresh_dir("oncolm_report_awkward_path").string();
  fs::create_directories(root + "/score");
  std::ofstream(root + "/score/score.json") << "{\"outputs\": [{\"scores\": \"S.scores.tsv\"}]}\n";
  std::ofstream(root + "/score/S.scores.tsv") << "type\tllr\nsnv\t-1.5\nsnv\t0.5\nindel\t0.25\n";
  const std::string awkward = root + "/it's #1 %41 here";
  oncolm::report::ReportOptions options;
  options.inputs = {root + "/score"};
  options.output = awkward + "/report.html";
  options.png_dir = awkward + "/png";
  fs::create_directories(awkward);
  oncolm::report::write_report(options);
  EXPECT_TRUE(fs::exists(awkward + "/png/llr_distribution.png"));
  EXPECT_FALSE(fs::exists(awkward + "/png/.report-dom.html"));
}

// A sample id can hold anything: "<!--<script>" inside the page's JSON would put the HTML parser in
// its double-escaped state, where the payload's own </script> no longer ends the element. And an
// embed directory named twice (OUT and OUT/embed) is drawn once.
TEST(ReportEscaping, SampleIdsCannotBreakTheScriptAndAnEmbedRunGivenTwiceIsOneFigure) {
  const std::string root = fs::fresh_dir("oncolm_report_escaping").string();
  std::vector<std::vector<float>> rows;
  for (int i = 0; i < 6; ++i) rows.push_back({static_cast<float>(i), static_cast<float>(i * i % 5), 1.0f, -1.0f * i});
  write_embeddings(root + "/embed", rows);
  const std::string hostile = "<!--<script>x</script>";
  std::string tsv = read_file(root + "/embed/set.emb.tsv");
  for (std::size_t at = tsv.find("\tS\t"); at != std::string::npos; at = tsv.find("\tS\t", at))
    tsv.replace(at + 1, 1, hostile);
  std::ofstream(root + "/embed/set.emb.tsv") << tsv;
  oncolm::report::ReportOptions options;
  options.inputs = {root, root + "/embed"};
  options.output = root + "/report.html";
  oncolm::report::write_report(options);
  const std::string html = read_file(root + "/report.html");
  const std::size_t script = html.rfind("<script>const FIGURES");
  ASSERT_NE(script, std::string::npos);
  const std::string payload = html.substr(script + 8, html.find(";\n", script) - script - 8);
  EXPECT_EQ(payload.find('<'), std::string::npos) << payload.substr(0, 200);
  EXPECT_NE(payload.find("\\u003c!--\\u003cscript\\u003ex\\u003c/script\\u003e"), std::string::npos);
  EXPECT_NE(html.find("embedding_pca"), std::string::npos);
  EXPECT_EQ(html.find("embedding_pca_2"), std::string::npos) << "the same embed run drawn twice";
}

TEST(ReportBadInput, ClearErrors) {
  const std::string root = fs::fresh_dir("oncolm_report_bad").string();
  oncolm::report::ReportOptions options;
  options.output = root + "/report.html";
  fs::create_directories(root + "/empty");
  options.inputs = {root + "/empty"};
  EXPECT_THROW(oncolm::report::write_report(options), std::invalid_argument);
  options.inputs = {root + "/missing"};
  EXPECT_THROW(oncolm::report::write_report(options), oncolm::InputError);
  // Embeddings whose TSV has fewer rows than the matrix.
  write_embeddings(root + "/embed", {{1, 2}, {3, 4}, {5, 7}, {0, 1}});
  std::ofstream(root + "/embed/set.emb.tsv") << "record\tsample_id\tallele\nr0\tS\tALT\n";
  options.inputs = {root + "/embed"};
  try {
    oncolm::report::write_report(options);
    FAIL() << "no error for mismatched rows";
  } catch (const oncolm::InputError& error) {
    EXPECT_NE(std::string(error.what()).find("set.emb.tsv"), std::string::npos) << error.what();
  }
  EXPECT_FALSE(fs::exists(root + "/report.html")) << "nothing written on failure";
  // Two outputs of one stage among the inputs: the report would draw one of them; an error instead.
  for (const char* run : {"/runs/a", "/runs/b"}) {
    fs::create_directories(root + run);
    std::ofstream(root + run + "/metrics.json") << "{}\n";
    std::ofstream(root + run + "/predictions.tsv") << "sample_id\n";
  }
  options.inputs = {root + "/runs"};
  try {
    oncolm::report::write_report(options);
    FAIL() << "no error for two classify outputs";
  } catch (const oncolm::InputError& error) {
    EXPECT_NE(std::string(error.what()).find("a second `oncolm classify` output beside " + root + "/runs/a"),
              std::string::npos) << error.what();
  }
  // Scores that are not finite (the model's overflow) are left out of the histogram, not drawn.
  fs::create_directories(root + "/score");
  std::ofstream(root + "/score/score.json") << "{\"outputs\": [{\"scores\": \"S.scores.tsv\"}]}\n";
  std::ofstream(root + "/score/old.scores.tsv") << "type\tllr\nsnv\t1.0\n";  // another run's: not read
  std::ofstream(root + "/score/S.scores.tsv") << "type\tllr\nsnv\t-1.5\nsnv\tnan\nsnv\tinf\nindel\t0.25\nsnv\t.\n";
  options.inputs = {root + "/score"};
  options.data_dir = root + "/data";
  oncolm::report::write_report(options);
  long drawn = 0;
  for (const auto& row : read_tsv(root + "/data/llr_distribution.tsv")) drawn += std::stol(row.at("variants"));
  EXPECT_EQ(drawn, 2);
  // `classify predict` writes metrics.json and predictions.tsv too, without folds: not drawn as
  // cross-validation (its empty metrics.json would otherwise be an error).
  fs::remove_all(root + "/runs/a");
  std::ofstream(root + "/runs/b/classify.json") << "{\"command\": \"classify predict\"}\n";
  options.inputs = {root + "/runs", root + "/score"};
  fs::remove_all(root + "/data");
  oncolm::report::write_report(options);
  EXPECT_TRUE(fs::exists(root + "/data/llr_distribution.tsv"));
  EXPECT_FALSE(fs::exists(root + "/data/classify_accuracy.tsv"));
  // A breakpoints TSV with a size that is not a number: the file and line are named.
  fs::create_directories(root + "/breakpoints");
  std::ofstream(root + "/breakpoints/breakpoints.json") << "{\"samples\": [{\"output\": \"S.breakpoints.tsv\"}]}\n";
  std::ofstream(root + "/breakpoints/S.breakpoints.tsv")
      << "class\tmechanism\tsize\thomlen\thomology_complete\nDEL\tblunt\t12x\t0\t1\n";
  options.inputs = {root + "/breakpoints"};
  try {
    oncolm::report::write_report(options);
    FAIL() << "no error for a size that is not a number";
  } catch (const oncolm::InputError& error) {
    EXPECT_NE(std::string(error.what()).find("S.breakpoints.tsv:2"), std::string::npos) << error.what();
    EXPECT_NE(std::string(error.what()).find("'12x'"), std::string::npos) << error.what();
  }
  // homology_complete 0: homlen is a lower bound, drawn apart from the exact lengths and counted.
  std::ofstream(root + "/breakpoints/S.breakpoints.tsv")
      << "class\tmechanism\tsize\thomlen\thomology_complete\nDEL\tblunt\t120\t1\t1\n"
      << "DEL\thomology_mediated\t9000\t2997\t0\nDEL\tblunt\t300\t1\t1\nINS\tinsertion\t5\t0\t.\n";
  oncolm::report::write_report(options);
  std::map<std::string, long> by_kind;
  for (const auto& row : read_tsv(root + "/data/sv_microhomology.tsv"))
    by_kind[row.at("homlen") + " " + row.at("homology")] += std::stol(row.at("junctions"));
  EXPECT_EQ(by_kind, (std::map<std::string, long>{{"1 exact", 2}, {"2997 lower bound", 1}}));
  EXPECT_NE(read_file(root + "/report.html").find("1 junctions whose slide reached the end"), std::string::npos);
}

}  // namespace
