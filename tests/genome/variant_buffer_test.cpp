// The sliding buffer: windows come out in order with their neighbours, and the buffer holds only
// the variants near the current position, however many pass through.
#include <gtest/gtest.h>

#include <algorithm>

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
