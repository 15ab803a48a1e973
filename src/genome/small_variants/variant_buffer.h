// The sliding buffer that lets windows list the other somatic variants inside them while VCFs
// are streamed: memory is bounded by the variants within about one window plus the look-ahead of
// the current position, not by the number of variants.
//
// Variants arrive in VCF position order. Normalisation moves a variant left by at most the length
// of the repeat it sits in, so once the stream has reached position F, no later variant can start
// before F - look_ahead. A window ending before that point has seen all its neighbours and is
// emitted; variants stay in the buffer while a pending window could still overlap them.
#pragma once
#include <cstdint>
#include <deque>
#include <functional>
#include <limits>
#include <optional>
#include <string>
#include <unordered_set>
#include <vector>

#include "genome/small_variants/normalise.h"
#include "genome/small_variants/window_geometry.h"

namespace oncolm::genome {

struct Candidate {
  // As in the VCF (one ALT allele of the line).
  std::string chrom;
  std::int64_t pos = 0;
  std::string ref, alt, filter;
  std::string file;
  long line = 0;
  // After normalisation.
  std::int64_t norm_pos = 0;
  std::string norm_ref, norm_alt;
  VariantType type = VariantType::snv;
  // Set for variants that get windows; others (set-aside SVs, windows that cannot hold the ALT)
  // are only listed as neighbours.
  std::optional<WindowGeometry> window;

  std::int64_t span_end() const { return norm_pos + static_cast<std::int64_t>(norm_ref.size()) - 1; }
  bool same_variant(const Candidate& other) const {
    return norm_pos == other.norm_pos && norm_ref == other.norm_ref && norm_alt == other.norm_alt;
  }
};

class VariantBuffer {
 public:
  // Called once per windowed variant, in order, with the other variants whose normalised span
  // overlaps its REF window.
  using Emit = std::function<void(const Candidate& target, const std::vector<const Candidate*>& nearby)>;

  // look_ahead: the largest left shift by normalisation that is waited for. max_half_window:
  // floor(L/2) for the longest window length in use.
  VariantBuffer(std::int64_t look_ahead, std::int64_t max_half_window, Emit emit)
      : look_ahead_(look_ahead), max_half_window_(max_half_window), emit_(std::move(emit)) {}

  // Adds a variant in normalised-position order. Returns false (and keeps nothing) when the same
  // normalised variant is already in the buffer, or was emitted earlier on this contig. `late` is set
  // when it moved further left than windows already emitted (they do not list it): an indel shifted
  // by normalisation beyond the look-ahead, e.g. through a repeat longer than it.
  bool insert(Candidate candidate, bool* late = nullptr);

  // The input has reached VCF position `frontier` on the current contig: emits what is complete.
  void advance(std::int64_t frontier);
  // End of a contig or of the input: emits everything and empties the buffer.
  void flush();

  std::size_t size() const { return items_.size(); }

 private:
  void emit_next();
  void drop_unreachable(std::int64_t frontier);

  std::int64_t look_ahead_, max_half_window_;
  Emit emit_;
  std::deque<Candidate> items_;  // sorted by norm_pos; [0, next_) already emitted
  std::size_t next_ = 0;
  // Since the last flush (one contig): the largest norm_pos emitted, and the indels emitted (only an
  // indel can move far enough left to arrive after its duplicate has left the buffer).
  std::int64_t emitted_until_ = std::numeric_limits<std::int64_t>::min();
  std::unordered_set<std::string> emitted_indels_;
  std::vector<const Candidate*> nearby_;  // reused
};

}  // namespace oncolm::genome
