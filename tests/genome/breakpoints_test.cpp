// Junction features (src/genome/breakpoints/junction_features.h) against independent oracles:
// microhomology is checked by enumerating every shift of the join that leaves the junction
// sequence (made by string surgery on a hand-made reference) unchanged, for all four breakend
// orientations, within and across contigs; templated insertions against planted copies; class,
// size and mechanism against the documented rules; then the junction-embedding helpers (.npy
// reading, PCA, k-means) on planted data.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <map>
#include <random>
#include <string>

#include "core/error.h"
#include "genome/breakpoints/junction_clusters.h"
#include "genome/breakpoints/junction_features.h"
#include "genome/sv/sv_junction.h"
#include "test_support.h"

using namespace oncolm::genome;
using namespace oncolm::genome::breakpoints;

namespace {

std::string random_bases(std::size_t length, std::mt19937& rng) {
  std::string bases;
  for (std::size_t i = 0; i < length; ++i) bases += "ACGT"[rng() % 4];
  return bases;
}

// Contig "1" random; contig "2" a copy of it with one base in eight changed, so joins between
// the two often have long homology; contig "3" a tandem repeat of a 7-base unit with some changes.
const std::map<std::string, std::string>& genome() {
  static const std::map<std::string, std::string> contigs = [] {
    std::mt19937 rng(20261130);
    std::string one = random_bases(600, rng);
    std::string two = one;
    for (std::size_t i = 0; i < two.size(); i += 1 + rng() % 15)
      two[i] = "ACGT"[(std::string("ACGT").find(two[i]) + 1 + rng() % 3) % 4];
    std::string three;
    while (three.size() < 600) three += "ACCTGAG";
    for (std::size_t i = 0; i < three.size(); i += 20 + rng() % 40) three[i] = 'T';
    return std::map<std::string, std::string>{{"1", one}, {"2", two}, {"3", three}};
  }();
  return contigs;
}

std::string ref(const std::string& chrom, long start, long end) {
  return genome().at(chrom).substr(static_cast<std::size_t>(start - 1), static_cast<std::size_t>(end - start + 1));
}

struct Side {
  std::string chrom;
  long pos;
  char strand;  // PCAWG: '+' = sequence left of pos retained
};

// n retained bases next to the join, in junction orientation (breakend 1 forward): a first piece
// ends at the breakend, a second piece starts at it.
std::string first_piece(const Side& side, long n) {
  return side.strand == '+' ? ref(side.chrom, side.pos - n + 1, side.pos)
                            : reverse_complement(ref(side.chrom, side.pos, side.pos + n - 1));
}
std::string second_piece(const Side& side, long n) {
  return side.strand == '-' ? ref(side.chrom, side.pos, side.pos + n - 1)
                            : reverse_complement(ref(side.chrom, side.pos - n + 1, side.pos));
}

constexpr long flank = 40, max_shift = 30;

// The junction sequence with the join moved `shift` bases towards the second piece, over the same
// stretch of the derivative chromosome: 2 * flank bases centred on the unshifted join.
std::string derivative(Side first, Side second, long shift) {
  first.pos += first.strand == '+' ? shift : -shift;
  second.pos += second.strand == '-' ? shift : -shift;
  return first_piece(first, flank + shift) + second_piece(second, flank - shift);
}

struct Oracle {
  long left = 0, right = 0;
  std::string sequence;
};

// Every shift that leaves the junction unchanged; homology = the range of them.
Oracle shift_oracle(const Side& bp1, const Side& bp2) {
  bool bp1_first = bp1.strand == '+';
  const Side& first = bp1_first ? bp1 : bp2;
  const Side& second = bp1_first ? bp2 : bp1;
  std::string join = derivative(first, second, 0);
  Oracle oracle;
  while (oracle.right < max_shift && derivative(first, second, oracle.right + 1) == join) ++oracle.right;
  while (oracle.left < max_shift && derivative(first, second, -(oracle.left + 1)) == join) ++oracle.left;
  oracle.sequence = join.substr(flank - oracle.left, oracle.left + oracle.right);
  return oracle;
}

BreakendWindow window(const Side& side, long half) {
  long start = side.pos - half;
  return {side.chrom, side.pos, start, ref(side.chrom, start, side.pos + half)};
}

JunctionCall call_for(const Side& bp1, const Side& bp2, const std::string& inserted = "", long half = 100) {
  return {window(bp1, half), window(bp2, half), std::string{bp1.strand, bp2.strand}, inserted, false};
}

}  // namespace

TEST(BreakpointFeatures, MicrohomologyEqualsEveryShiftThatKeepsTheJunctionInAllOrientations) {
  std::mt19937 rng(7);
  std::map<std::string, int> with_homology;  // strands -> junctions with homlen >= 2
  int checked = 0;
  for (int trial = 0; trial < 4000; ++trial) {
    static const char* pairs[][2] = {{"1", "1"}, {"1", "2"}, {"3", "3"}, {"2", "3"}};
    const auto& contigs = pairs[rng() % 4];
    Side a{contigs[0], 150 + static_cast<long>(rng() % 300), "+-"[rng() % 2]};
    Side b{contigs[1], 150 + static_cast<long>(rng() % 300), "+-"[rng() % 2]};
    if (a.chrom == "2" && b.chrom == "1") std::swap(a, b);
    if (a.chrom == b.chrom && a.pos >= b.pos) continue;
    Oracle oracle = shift_oracle(a, b);
    if (oracle.left + oracle.right >= max_shift) continue;  // beyond what the oracle enumerates
    Microhomology got = junction_microhomology(call_for(a, b));
    std::string where =
        a.chrom + ":" + std::to_string(a.pos) + a.strand + " " + b.chrom + ":" + std::to_string(b.pos) + b.strand;
    ASSERT_EQ(got.left, oracle.left) << where;
    ASSERT_EQ(got.right, oracle.right) << where;
    ASSERT_EQ(got.sequence, oracle.sequence) << where;
    ASSERT_TRUE(got.complete) << where;
    ++checked;
    if (got.length() >= 2) ++with_homology[std::string{a.strand, b.strand}];
  }
  EXPECT_GT(checked, 2500);
  for (const char* strands : {"++", "+-", "-+", "--"}) EXPECT_GT(with_homology[strands], 50) << strands;
}

TEST(BreakpointFeatures, HomologyDoesNotDependOnWhereInItTheCallerPutsTheBreakend) {
  // A deletion on contig 1 whose deleted stretch starts with the 5 bases that follow it:
  // reference ...X | H D... H Y... with H = 5 bases; every placement of the join inside H is the
  // same junction (left-aligned as manta writes it, centred as GRIDSS does, or right-aligned).
  std::string contig = genome().at("1");
  const long p = 200, q = 300;                 // left-aligned: keep ..p, resume at q+1
  std::string homology = contig.substr(p, 5);  // bases p+1..p+5 (1-based)
  std::string edited = contig;
  edited.replace(static_cast<std::size_t>(q), 5, homology);                              // bases q+1..q+5 = the same
  if (edited[p + 5] == edited[q + 5]) edited[q + 5] = edited[p + 5] == 'A' ? 'C' : 'A';  // ends the homology
  if (edited[p - 1] == edited[q - 1]) edited[q - 1] = edited[p - 1] == 'A' ? 'C' : 'A';
  auto side = [&edited](long pos) {
    return BreakendWindow{"1", pos, pos - 100, edited.substr(static_cast<std::size_t>(pos - 101), 201)};
  };
  for (long shift = 0; shift <= 5; ++shift) {
    JunctionCall call{side(p + shift), side(q + 1 + shift), "+-", "", false};
    JunctionFeatures features = analyse_junction(call, MechanismRules{});
    EXPECT_EQ(features.homology.length(), 5) << shift;
    EXPECT_EQ(features.homology.sequence, homology) << shift;
    EXPECT_EQ(features.homology.left, shift) << shift;
    EXPECT_EQ(features.mechanism, "microhomology_mediated");
    EXPECT_EQ(features.sv_class.name, "DEL");
    EXPECT_EQ(features.sv_class.size, q - p - 1 + 1);  // pos2 - pos1 - 1 with pos2 = q + 1 + shift
  }
}

TEST(BreakpointFeatures, NMatchesNothingAndWindowEdgesLeaveHomologyIncomplete) {
  BreakendWindow one{"1", 5, 1, "ACGTAAAAAACG"};
  BreakendWindow two{"1", 20, 16, "CCCCAAAAANNN"};  // offset 4: second piece "AAAAANNN"
  Microhomology homology = junction_microhomology({one, two, "+-", "", false});
  // Continuation after breakend 1 is "AAAAACG", second piece "AAAAANNN": 5 bases, then N stops it.
  EXPECT_EQ(homology.right, 5);
  EXPECT_EQ(homology.left, 0);  // 'A' (breakend 1 base) vs 'C' before the second piece
  EXPECT_TRUE(homology.complete);
  BreakendWindow short_two{"1", 20, 16, "CCCCAAAAA"};  // the window ends inside the homology
  Microhomology cut = junction_microhomology({one, short_two, "+-", "", false});
  EXPECT_EQ(cut.right, 5);
  EXPECT_FALSE(cut.complete);
}

TEST(BreakpointFeatures, InsertedBasesAreSearchedOnBothStrandsNearBothBreakends) {
  Side bp1{"1", 150, '+'}, bp2{"1", 450, '-'};                 // windows 50-250 and 350-550
  std::string plus = ref("1", 101, 112);                       // 12 bases, 38 before breakend 1
  std::string minus = reverse_complement(ref("1", 480, 493));  // 14 bases, 30 after breakend 2, other strand
  JunctionFeatures a = analyse_junction(call_for(bp1, bp2, plus), MechanismRules{});
  ASSERT_EQ(a.templates.size(), 1u);
  EXPECT_EQ(a.templates.front().text(), "1:101-112:+");
  EXPECT_EQ(a.templates.front().distance, 38);
  EXPECT_EQ(a.templates.front().breakend, 1);
  EXPECT_EQ(a.mechanism, "insertion");
  EXPECT_FALSE(a.homology_computed);
  EXPECT_EQ(a.sv_class.name, "DEL");
  JunctionFeatures b = analyse_junction(call_for(bp1, bp2, minus), MechanismRules{});
  ASSERT_EQ(b.templates.size(), 1u);
  EXPECT_EQ(b.templates.front().text(), "1:480-493:-");
  EXPECT_EQ(b.templates.front().breakend, 2);
  EXPECT_EQ(b.templates.front().distance, 30);
  // Shorter than --min-templated-length: not searched; with N: never templated.
  EXPECT_TRUE(analyse_junction(call_for(bp1, bp2, plus.substr(0, 9)), MechanismRules{}).templates.empty());
  MechanismRules shorter;
  shorter.min_templated_length = 9;
  EXPECT_FALSE(analyse_junction(call_for(bp1, bp2, plus.substr(0, 9)), shorter).templates.empty());
  std::string with_n = plus;
  with_n[3] = 'N';
  EXPECT_TRUE(analyse_junction(call_for(bp1, bp2, with_n), MechanismRules{}).templates.empty());
  // Overlapping breakend windows list a source once, with its smallest distance.
  JunctionFeatures near = analyse_junction(call_for({"1", 150, '+'}, {"1", 160, '-'}, plus), MechanismRules{});
  ASSERT_EQ(near.templates.size(), 1u);
  EXPECT_EQ(near.templates.front().distance, 38);
}

TEST(BreakpointFeatures, ClassAndSizeFollowTheBreakendOrientations) {
  EXPECT_EQ(junction_class("1", 10, "1", 20, "+-", "").name, "DEL");
  EXPECT_EQ(junction_class("1", 10, "1", 20, "+-", "").size, 9);
  EXPECT_EQ(junction_class("1", 10, "1", 20, "-+", "").name, "DUP");
  EXPECT_EQ(junction_class("1", 10, "1", 20, "-+", "").size, 11);
  EXPECT_EQ(junction_class("1", 10, "1", 20, "++", "").name, "INV");
  EXPECT_EQ(junction_class("1", 10, "1", 20, "--", "").size, 10);
  EXPECT_EQ(junction_class("1", 10, "2", 20, "+-", "").name, "TRA");
  EXPECT_EQ(junction_class("1", 10, "2", 20, "+-", "").size, 0);
  EXPECT_EQ(junction_class("1", 10, "1", 11, "+-", "ACG").name, "INS");
  EXPECT_EQ(junction_class("1", 10, "1", 11, "+-", "ACG").size, 3);
  EXPECT_THROW(junction_class("1", 10, "1", 20, "+x", ""), std::invalid_argument);
  EXPECT_THROW(piece_layout("+"), std::invalid_argument);
}

TEST(BreakpointFeatures, MechanismThresholdsAreTheDocumentedOnes) {
  MechanismRules rules;  // 2 .. 20
  EXPECT_EQ(mechanism(false, 0, 0, rules), "blunt");
  EXPECT_EQ(mechanism(false, 0, 1, rules), "blunt");
  EXPECT_EQ(mechanism(false, 0, 2, rules), "microhomology_mediated");
  EXPECT_EQ(mechanism(false, 0, 20, rules), "microhomology_mediated");
  EXPECT_EQ(mechanism(false, 0, 21, rules), "homology_mediated");
  EXPECT_EQ(mechanism(false, 1, 0, rules), "insertion");
  EXPECT_EQ(mechanism(true, 5, 0, rules), "imprecise");
  rules.min_microhomology = 1;
  EXPECT_EQ(mechanism(false, 0, 1, rules), "microhomology_mediated");
}

TEST(BreakpointFeatures, ImpreciseJunctionsGetNoHomology) {
  JunctionCall call = call_for({"1", 200, '+'}, {"1", 300, '-'});
  call.imprecise = true;
  JunctionFeatures features = analyse_junction(call, MechanismRules{});
  EXPECT_FALSE(features.homology_computed);
  EXPECT_EQ(features.homology.length(), 0);
  EXPECT_EQ(features.mechanism, "imprecise");
}

// ---- Junction embeddings: .npy reading, PCA and k-means (junction_clusters.h) ----

namespace {

void write_npy(const std::string& path, const std::string& descr, long rows, long columns, const void* data,
               std::size_t bytes) {
  std::string dict = "{'descr': '" + descr + "', 'fortran_order': False, 'shape': (" + std::to_string(rows) + ", " +
                     std::to_string(columns) + "), }";
  while ((10 + dict.size() + 1) % 64 != 0) dict += ' ';
  dict += '\n';
  std::string header = std::string("\x93NUMPY\x01\x00", 8);
  header += static_cast<char>(dict.size() & 0xff);
  header += static_cast<char>(dict.size() >> 8);
  std::ofstream out(path, std::ios::binary);
  out << header << dict;
  out.write(static_cast<const char*>(data), static_cast<std::streamsize>(bytes));
}

}  // namespace

TEST(BreakpointClusters, NpyReadsFloat32AndFloat16AndRefusesOtherArrays) {
  oncolm::test::ScratchDir dir;
  std::vector<float> values = {0.5f, -2.0f, 1.25f, 3.0f, 0.0f, -0.125f};
  write_npy(dir / "f4.npy", "<f4", 2, 3, values.data(), values.size() * sizeof(float));
  NpyMatrix f4 = read_npy(dir / "f4.npy");
  EXPECT_EQ(f4.rows, 2);
  EXPECT_EQ(f4.columns, 3);
  EXPECT_EQ(f4.values, values);
  std::vector<std::uint16_t> halves = {0x3800, 0xC000, 0x3D00, 0x4200, 0x0000, 0xB000};  // the same values
  write_npy(dir / "f2.npy", "<f2", 2, 3, halves.data(), halves.size() * 2);
  EXPECT_EQ(read_npy(dir / "f2.npy").values, values);
  write_npy(dir / "f8.npy", "<f8", 1, 1, values.data(), 8);
  EXPECT_THROW(read_npy(dir / "f8.npy"), oncolm::InputError);
  write_npy(dir / "short.npy", "<f4", 4, 3, values.data(), values.size() * sizeof(float));
  EXPECT_THROW(read_npy(dir / "short.npy"), oncolm::InputError);
  EXPECT_THROW(read_npy(dir / "missing.npy"), oncolm::InputError);
}

TEST(BreakpointClusters, PcaFindsThePlantedAxesAndKMeansThePlantedGroups) {
  // Three groups in 40 dimensions: centres along two orthogonal directions, small noise.
  std::mt19937 rng(3);
  std::normal_distribution<double> noise(0.0, 0.05);
  const int d = 40;
  std::vector<double> u(d, 0.0), v(d, 0.0);
  for (int c = 0; c < d; ++c) {
    u[c] = (c % 2 ? 1.0 : -1.0) / std::sqrt(static_cast<double>(d));
    v[c] = (c < d / 2 ? 1.0 : -1.0) / std::sqrt(static_cast<double>(d));
  }
  std::vector<std::vector<double>> rows;
  std::vector<int> planted;
  const std::vector<std::pair<double, double>> centres = {{0, 0}, {6, 0}, {0, 3}};
  const std::vector<int> sizes = {30, 20, 10};
  for (int group = 0; group < 3; ++group)
    for (int i = 0; i < sizes[group]; ++i) {
      std::vector<double> row(d);
      for (int c = 0; c < d; ++c) row[c] = centres[group].first * u[c] + centres[group].second * v[c] + noise(rng);
      rows.push_back(row);
      planted.push_back(group);
    }
  Pca pca = principal_components(rows, 3, 1);
  ASSERT_EQ(pca.axes.size(), 3u);
  auto dot = [](const std::vector<double>& a, const std::vector<double>& b) {
    double sum = 0;
    for (std::size_t i = 0; i < a.size(); ++i) sum += a[i] * b[i];
    return sum;
  };
  // Each axis is an eigenvector of the covariance matrix (computed here directly): C a = (a'Ca) a.
  std::vector<double> mean(d, 0.0);
  for (const auto& row : rows)
    for (int c = 0; c < d; ++c) mean[c] += row[c] / static_cast<double>(rows.size());
  std::vector<std::vector<double>> covariance(d, std::vector<double>(d, 0.0));
  for (const auto& row : rows)
    for (int a = 0; a < d; ++a)
      for (int b = 0; b < d; ++b) covariance[a][b] += (row[a] - mean[a]) * (row[b] - mean[b]);
  std::vector<double> eigenvalues;
  for (const auto& axis : pca.axes) {
    std::vector<double> image(d, 0.0);
    for (int a = 0; a < d; ++a) image[a] = dot(covariance[a], axis);
    double value = dot(axis, image);
    eigenvalues.push_back(value);
    for (int a = 0; a < d; ++a) EXPECT_NEAR(image[a], value * axis[a], 1e-6 * value);
  }
  EXPECT_GT(eigenvalues[0], eigenvalues[1]);
  EXPECT_GT(eigenvalues[1], eigenvalues[2]);
  // The first two axes lie (up to the noise) in the plane of u and v.
  for (int axis = 0; axis < 2; ++axis)
    EXPECT_GT(dot(pca.axes[axis], u) * dot(pca.axes[axis], u) + dot(pca.axes[axis], v) * dot(pca.axes[axis], v), 0.99);
  EXPECT_GT(pca.explained_variance_ratio[0], pca.explained_variance_ratio[1]);
  EXPECT_GT(pca.explained_variance_ratio[0] + pca.explained_variance_ratio[1], 0.97);
  EXPECT_LT(pca.explained_variance_ratio[2], 0.01);
  for (int a = 0; a < 3; ++a)
    for (int b = 0; b < 3; ++b) EXPECT_NEAR(dot(pca.axes[a], pca.axes[b]), a == b ? 1.0 : 0.0, 1e-9);
  KMeans clusters = kmeans(pca.scores, 3, 1, 10);
  EXPECT_EQ(clusters.sizes, (std::vector<std::int64_t>{30, 20, 10}));
  EXPECT_EQ(clusters.labels, planted);                              // numbered by decreasing size
  EXPECT_EQ(kmeans(pca.scores, 3, 1, 10).labels, clusters.labels);  // deterministic
}
