#include "genome/small_variants/variant_buffer.h"

#include <algorithm>
#include <string>

namespace oncolm::genome {

namespace {

bool is_indel(const Candidate& c) { return c.norm_ref.size() != c.norm_alt.size(); }

// The last reference base either window of `c` covers: a deletion's ALT window reaches further
// right than its REF window (by the deleted bases), an insertion's less far.
std::int64_t windows_end(const Candidate& c) { return std::max(c.window->end, c.window->alt_end); }

std::string variant_key(const Candidate& c) {
  return std::to_string(c.norm_pos) + ':' + c.norm_ref + '>' + c.norm_alt;
}

}  // namespace

bool VariantBuffer::insert(Candidate candidate, bool* late) {
  auto by_pos = [](const Candidate& item, std::int64_t pos) { return item.norm_pos < pos; };
  auto at = std::lower_bound(items_.begin(), items_.end(), candidate.norm_pos, by_pos);
  for (auto it = at; it != items_.end() && it->norm_pos == candidate.norm_pos; ++it)
    if (it->same_variant(candidate)) return false;
  // At or left of windows already emitted: the buffer may have dropped its duplicate already.
  if (candidate.norm_pos <= emitted_until_ && is_indel(candidate) && emitted_indels_.count(variant_key(candidate)))
    return false;
  bool is_late = candidate.norm_pos < emitted_until_;
  // Equal positions keep arrival order (upper end of the equal range), so output is deterministic.
  auto insert_at = std::upper_bound(items_.begin(), items_.end(), candidate.norm_pos,
                                    [](std::int64_t pos, const Candidate& item) { return pos < item.norm_pos; });
  auto first_pending = items_.begin() + static_cast<std::ptrdiff_t>(next_);
  if (late) *late = is_late;
  if (is_late) insert_at = first_pending;  // still written, after the windows already emitted
  items_.insert(insert_at, std::move(candidate));
  return true;
}

void VariantBuffer::advance(std::int64_t frontier) {
  while (next_ < items_.size()) {
    const Candidate& item = items_[next_];
    // A later record may still normalise to the left of frontier - look_ahead: a windowless item
    // (listed only as a neighbour) waits for it too, or its position would mark everything before
    // it as emitted and such a record as late, past the duplicate check.
    if (item.window ? windows_end(item) >= frontier - look_ahead_ : item.norm_pos >= frontier - look_ahead_) break;
    emit_next();
  }
  drop_unreachable(frontier);
}

void VariantBuffer::flush() {
  while (next_ < items_.size()) emit_next();
  items_.clear();
  next_ = 0;
  emitted_until_ = std::numeric_limits<std::int64_t>::min();
  emitted_indels_.clear();
}

void VariantBuffer::emit_next() {
  const Candidate& target = items_[next_];
  if (target.window) {
    nearby_.clear();
    for (const Candidate& other : items_) {
      if (other.norm_pos > windows_end(target)) break;
      if (&other != &target && other.span_end() >= target.window->start) nearby_.push_back(&other);
    }
    emit_(target, nearby_);
  }
  emitted_until_ = std::max(emitted_until_, target.norm_pos);
  if (is_indel(target)) emitted_indels_.insert(variant_key(target));
  ++next_;
}

void VariantBuffer::drop_unreachable(std::int64_t frontier) {
  // A window starts at most max_half_window left of its variant. Pending variants start at or
  // after the first pending one; future ones at or after frontier - look_ahead. Emitted variants
  // ending before the leftmost window that can still come are nobody's neighbour any more.
  std::int64_t first = frontier - look_ahead_;
  if (next_ < items_.size()) first = std::min(first, items_[next_].norm_pos);
  std::int64_t horizon = first - max_half_window_;
  while (next_ > 0 && items_.front().span_end() < horizon) {
    items_.pop_front();
    --next_;
  }
}

}  // namespace oncolm::genome
