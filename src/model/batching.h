// Length-bucketed batching with a token budget (torch-free, so it is unit-tested and shared by the
// embed pipeline and the benchmark). Sequences are sorted by length, so a batch pads little; a run
// of equal lengths is kept in batches of its own where that costs little, because a batch without
// padding needs no attention mask and keeps the fused (flash) attention kernel.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

namespace oncolm::model {

struct PlannedBatch {
  std::vector<std::size_t> members;  // indices into the lengths given to plan_batches
  std::int64_t width = 0;            // longest member: the padded batch width
  bool uniform = true;               // all members have length `width` (no mask needed)
};

// token_budget bounds rows * width per batch (at least one row per batch); max_rows bounds rows; no
// member is shorter than 3/4 of its batch's width.
std::vector<PlannedBatch> plan_batches(const std::vector<std::int64_t>& lengths, std::int64_t token_budget,
                                       std::size_t max_rows);

// Tokens a plan computes (rows * width summed) and the real tokens among them.
std::int64_t padded_tokens(const std::vector<PlannedBatch>& plan);

}  // namespace oncolm::model
