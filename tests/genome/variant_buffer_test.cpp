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
