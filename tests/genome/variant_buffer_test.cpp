// The sliding buffer: windows come out in order with their neighbours, and the buffer holds only
// the variants near the current position, however many pass through.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include "genome/small_variants/variant_buffer.h"

using namespace oncolm::genome;

namespace {
Candidate snv(std::int64_t pos, std::int64_t window_length) {
  Candidate c;
  c.chrom = "20";
  c.pos = c.norm_pos = pos;
  c.ref = c.norm_ref = "A";
  c.alt = c.norm_alt = "G";
  c.window = window_geometry(pos, "A", "G", 100000000, window_length);
  return c;
}
}  // namespace

TEST(VariantBuffer, EmitsInOrderWithNeighboursAndStaysSmall) {
  std::vector<std::int64_t> emitted;
  std::vector<std::size_t> neighbours;
  VariantBuffer buffer(/*look_ahead=*/100, /*max_half_window=*/50,
                       [&](const Candidate& target, const std::vector<const Candidate*>& nearby) {
                         emitted.push_back(target.norm_pos);
                         neighbours.push_back(nearby.size());
                       });
  std::size_t largest = 0;
  // 10,000 variants: pairs 30 bp apart (inside each other's 100-bp windows), pairs 1 kb apart.
  for (std::int64_t i = 0; i < 5000; ++i) {
    for (std::int64_t pos : {1000 + i * 1000, 1030 + i * 1000}) {
      ASSERT_TRUE(buffer.insert(snv(pos, 100)));
      buffer.advance(pos);
      largest = std::max(largest, buffer.size());
    }
  }
  buffer.flush();
  ASSERT_EQ(emitted.size(), 10000u);
  EXPECT_TRUE(std::is_sorted(emitted.begin(), emitted.end()));
  for (std::size_t n : neighbours) EXPECT_EQ(n, 1u);
  EXPECT_LE(largest, 6u);  // a few pairs around the current position, not the whole input
  EXPECT_TRUE(buffer.insert(snv(5000, 100)));
  EXPECT_FALSE(buffer.insert(snv(5000, 100)));  // the same normalised variant again: a duplicate
}

// An indel that normalisation moved further left than the look-ahead (a repeat longer than it)
// arrives after windows right of it were emitted and dropped: it is still reported late, and a
// second copy of it is still a duplicate.
TEST(VariantBuffer, FarMovedIndelIsLateAndItsCopyADuplicate) {
  std::vector<std::int64_t> emitted;
  VariantBuffer buffer(/*look_ahead=*/100, /*max_half_window=*/10,
                       [&](const Candidate& target, const std::vector<const Candidate*>&) {
                         emitted.push_back(target.norm_pos);
                       });
  Candidate left_snv = snv(5005, 21);
  ASSERT_TRUE(buffer.insert(left_snv));
  buffer.advance(5005);
  for (std::int64_t pos : {6000, 7000, 16000}) {  // emitted and dropped as the stream moves on
    ASSERT_TRUE(buffer.insert(snv(pos, 21)));
    buffer.advance(pos);
  }
  buffer.advance(16999);
  ASSERT_EQ(buffer.size(), 0u);  // everything emitted and dropped
  Candidate deletion;
  deletion.chrom = "20";
  deletion.pos = 16999;  // in the VCF; normalised 11,998 bp left through a CA repeat
  deletion.norm_pos = 5001;
  deletion.ref = "ACA";
  deletion.alt = "A";
  deletion.norm_ref = "GCA";
  deletion.norm_alt = "G";
  deletion.window = window_geometry(5001, "GCA", "G", 100000000, 21);
  bool late = false;
  ASSERT_TRUE(buffer.insert(deletion, &late));
  EXPECT_TRUE(late);
  buffer.advance(16999);
  late = false;
  EXPECT_FALSE(buffer.insert(deletion, &late));  // the same line twice: a duplicate, not a second window
  buffer.flush();
  EXPECT_EQ(emitted, (std::vector<std::int64_t>{5005, 6000, 7000, 16000, 5001}));
  // A new contig starts afresh.
  late = true;
  EXPECT_TRUE(buffer.insert(deletion, &late));
  EXPECT_FALSE(late);
}

// A deletion's ALT window reaches as far right of its REF window as it deletes bases: a variant
// there is inside the ALT window, so it is listed as a neighbour, as the deletion is for it.
TEST(VariantBuffer, NeighboursInsideADeletionsAltWindowAreListed) {
  std::map<std::int64_t, std::vector<std::int64_t>> neighbours_of;
  VariantBuffer buffer(/*look_ahead=*/100, /*max_half_window=*/20,
                       [&](const Candidate& target, const std::vector<const Candidate*>& nearby) {
                         for (const Candidate* other : nearby) neighbours_of[target.norm_pos].push_back(other->norm_pos);
                         neighbours_of[target.norm_pos];
                       });
  Candidate deletion;
  deletion.chrom = "20";
  deletion.pos = deletion.norm_pos = 1300;
  deletion.ref = deletion.norm_ref = "G" + std::string(50, 'A');
  deletion.alt = deletion.norm_alt = "G";
  deletion.window = window_geometry(1300, deletion.norm_ref, "G", 100000000, 40);
  ASSERT_EQ(deletion.window->end, 1320);      // REF window 1281-1320
  ASSERT_EQ(deletion.window->alt_end, 1370);  // ALT window: 1281-1300, then 1351-1370
  ASSERT_TRUE(buffer.insert(deletion));
  buffer.advance(1300);
  ASSERT_TRUE(buffer.insert(snv(1370, 40)));
  buffer.advance(1370);
  ASSERT_TRUE(buffer.insert(snv(1380, 40)));  // past both of the deletion's windows
  buffer.advance(5000);
  buffer.flush();
  EXPECT_EQ(neighbours_of[1300], (std::vector<std::int64_t>{1370}));
  EXPECT_EQ(neighbours_of[1370], (std::vector<std::int64_t>{1300, 1380}));
}
