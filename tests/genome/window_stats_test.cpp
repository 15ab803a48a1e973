// The sequence statistics of `oncolm windows` (stats.json: window lengths, base composition, 6-mer
// tokens) against a plain recount written here: every base counted one by one, every record cut
// into non-overlapping 6-mers from its start, 6-mers with an N left out.
#include <gtest/gtest.h>

#include <map>
#include <random>
#include <string>

#include "core/error.h"
#include "genome/stats/window_stats.h"

using namespace oncolm::genome;

namespace {

struct Recount {
  std::map<std::string, std::uint64_t> kmers;
  std::map<char, std::uint64_t> bases;
  std::map<std::int64_t, std::uint64_t> lengths;

  void add(const std::string& record) {
    ++lengths[static_cast<std::int64_t>(record.size())];
    for (char base : record) ++bases[base];
    for (std::size_t start = 0; start + 6 <= record.size(); start += 6) {
      std::string kmer = record.substr(start, 6);
      if (kmer.find('N') == std::string::npos) ++kmers[kmer];
    }
  }
};

void expect_equal(const SampleStats& stats, const Recount& recount, const std::string& what) {
  std::map<std::string, std::uint64_t> kmers;
  for (std::size_t index = 0; index < stats.kmer6.size(); ++index)
    if (stats.kmer6[index]) kmers[kmer6_name(index)] = stats.kmer6[index];
  EXPECT_EQ(kmers, recount.kmers) << what;
  std::map<char, std::uint64_t> bases;
  auto counts = stats.base_counts();
  for (std::size_t i = 0; i < 5; ++i)
    if (counts[i]) bases["ACGTN"[i]] = counts[i];
  EXPECT_EQ(bases, recount.bases) << what;
  EXPECT_EQ(stats.window_lengths, recount.lengths) << what;
}

std::string random_bases(std::mt19937& generator, std::size_t length) {
  std::string bases(length, 'A');
  for (char& base : bases) base = "ACGT"[generator() % 4];
  return bases;
}

// REF and ALT records as windows are cut around each kind of variant, at every place the token
// frame makes a difference: first and last base, token boundaries, the tail shorter than 6.
std::vector<std::pair<std::string, std::string>> window_pairs() {
  std::mt19937 generator(20);
  std::vector<std::pair<std::string, std::string>> pairs;
  for (std::size_t length : {std::size_t{5994}, std::size_t{5995}, std::size_t{101}, std::size_t{13},
                             std::size_t{7}, std::size_t{6}, std::size_t{1}}) {
    std::string ref = random_bases(generator, length);
    if (length > 40) ref.replace(length / 3, 9, "NNNNNNNNN");  // a masked stretch: tokens with N
    std::vector<std::size_t> places = {0, length / 2, length - 1};
    for (std::size_t place : {std::size_t{5}, std::size_t{6}, std::size_t{11}, length / 3 + 2, length - 6,
                              length - 7, length / 6 * 6})
      if (place < length) places.push_back(place);
    for (std::size_t at : places) {
      std::string snv = ref;
      snv[at] = snv[at] == 'A' ? 'C' : 'A';
      pairs.emplace_back(ref, snv);
      std::string mnv = ref;
      for (std::size_t i = at; i < std::min(at + 3, length); ++i) mnv[i] = mnv[i] == 'G' ? 'T' : 'G';
      pairs.emplace_back(ref, mnv);
      std::string insertion = ref;
      insertion.insert(at, "TTA");
      pairs.emplace_back(ref, insertion);
      std::string inserted_six = ref;  // a length change of a whole token: the frame realigns
      inserted_six.insert(at, "ACGTAC");
      pairs.emplace_back(ref, inserted_six);
      std::string deletion = ref;
      deletion.erase(at, 4);
      pairs.emplace_back(ref, deletion);
      std::string to_n = ref;
      to_n[at] = 'N';
      pairs.emplace_back(ref, to_n);
      // Two differences far apart (a personalised window: a germline site and the somatic allele).
      std::string two = snv;
      two[length - 1 - at] = two[length - 1 - at] == 'T' ? 'G' : 'T';
      pairs.emplace_back(ref, two);
    }
    pairs.emplace_back(ref, ref);
  }
  return pairs;
}

}  // namespace

TEST(WindowStats, PairsCountAsEachRecordRecountedAlone) {
  for (const auto& [ref, alt] : window_pairs()) {
    SampleStats stats;
    stats.add_window_pair(ref, alt);
    Recount recount;
    recount.add(ref);
    recount.add(alt);
    expect_equal(stats, recount, "REF length " + std::to_string(ref.size()) + ", ALT length " +
                                     std::to_string(alt.size()));
  }
}

TEST(WindowStats, SingleRecordsAndSumsOfSamples) {
  SampleStats first, second;
  Recount recount;
  auto pairs = window_pairs();
  for (std::size_t i = 0; i < pairs.size(); ++i) {
    SampleStats& stats = i % 2 ? first : second;
    stats.add_sequence(pairs[i].first);
    stats.add_sequence(pairs[i].second);
    recount.add(pairs[i].first);
    recount.add(pairs[i].second);
  }
  first += second;
  expect_equal(first, recount, "sum of two samples");
}

// <sample>.stats.json read back (as `oncolm windows merge` does) gives the same counts.
TEST(WindowStats, JsonRoundTripKeepsBasesOutsideTokens) {
  SampleStats stats;
  Recount recount;
  for (const auto& [ref, alt] : window_pairs()) {
    stats.add_window_pair(ref, alt);
    recount.add(ref);
    recount.add(alt);
  }
  stats.sample_id = stats.safe_id = stats.donor_id = "s1";
  SampleStats read = sample_stats_from_json(to_json(stats), "s1.stats.json");
  expect_equal(read, recount, "read back from JSON");
  EXPECT_EQ(read.loose_bases, stats.loose_bases);
}

// A damaged stats file (hand-edited, or another tool's) is refused with the file and the bad key
// named, not read into the wrong 6-mer or length.
TEST(WindowStats, JsonWithBadKeysNamesTheFileAndKey) {
  SampleStats stats;
  for (const auto& [ref, alt] : window_pairs()) stats.add_window_pair(ref, alt);
  stats.sample_id = stats.safe_id = stats.donor_id = "s1";
  auto expect_refused = [](const nlohmann::json& json, const std::string& key) {
    try {
      sample_stats_from_json(json, "s1.stats.json");
      ADD_FAILURE() << "no error for key " << key;
    } catch (const oncolm::InputError& error) {
      std::string message = error.what();
      EXPECT_NE(message.find("s1.stats.json"), std::string::npos) << message;
      EXPECT_NE(message.find("'" + key + "'"), std::string::npos) << message;
    }
  };
  for (const std::string key : {"ACGTA", "ACGTNA", "acgtac", "ACGTACG"}) {
    nlohmann::json json = to_json(stats);
    json["kmer6_tokens"]["counts"][key] = 1;
    expect_refused(json, key);
  }
  for (const std::string key : {"12x", "-5", ""}) {
    nlohmann::json json = to_json(stats);
    json["window_length_distribution"]["histogram"][key] = 1;
    expect_refused(json, key);
  }
}
