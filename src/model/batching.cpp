#include "model/batching.h"

#include <algorithm>
#include <numeric>

namespace oncolm::model {

std::vector<PlannedBatch> plan_batches(const std::vector<std::int64_t>& lengths, std::int64_t token_budget,
                                       std::size_t max_rows) {
  std::vector<std::size_t> order(lengths.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t a, std::size_t b) { return lengths[a] > lengths[b]; });
  std::vector<PlannedBatch> plan;
  std::size_t i = 0;
  while (i < order.size()) {
    PlannedBatch batch;
    batch.width = std::max<std::int64_t>(1, lengths[order[i]]);
    const std::size_t capacity =
        std::clamp<std::size_t>(static_cast<std::size_t>(std::max<std::int64_t>(1, token_budget / batch.width)), 1,
                                std::max<std::size_t>(1, max_rows));
    while (i < order.size() && batch.members.size() < capacity) {
      bool same_length = lengths[order[i]] == batch.width;
      // Close a uniform batch at the first shorter sequence once it is at least half full: the rest
      // starts a new batch instead of forcing a mask onto this one.
      if (!same_length && batch.uniform && batch.members.size() * 2 >= capacity) break;
      // Nor pad a sequence by more than a quarter of the batch width.
      if (lengths[order[i]] * 4 < batch.width * 3) break;
      batch.uniform = batch.uniform && same_length;
      batch.members.push_back(order[i++]);
    }
    plan.push_back(std::move(batch));
  }
  return plan;
}

std::int64_t padded_tokens(const std::vector<PlannedBatch>& plan) {
  std::int64_t total = 0;
  for (const auto& batch : plan) total += batch.width * static_cast<std::int64_t>(batch.members.size());
  return total;
}

}  // namespace oncolm::model
