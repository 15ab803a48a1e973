// Structural-variant calls from a VCF (BND pairs in all four bracket forms, symbolic <DEL>, <DUP>,
// <INV>, <INS>) or a PCAWG consensus BEDPE, streamed as junctions (sv_junction.h).
//
// Memory is bounded by the number of BND records still waiting for their mate: a record is held
// only until its mate arrives (both mates of a sorted VCF arrive within the file, so for a
// chromosome-sorted file this is the number of open inter-position pairs), and is reported in
// SvReadCounts::max_waiting_mates.
#pragma once
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "genome/io/contigs.h"
#include "genome/io/reference.h"
#include "genome/sv/sv_junction.h"

namespace oncolm::genome {

struct SvReadOptions {
  bool keep_filtered = false;  // FILTER other than PASS/. is skipped (and counted) by default
  // A sequence-resolved allele changing the length by this much or more is a junction (the
  // small-variant path sets such indels aside: --max-indel-length); shorter ones, or all with 0,
  // are skipped as sv_sequence_allele.
  std::int64_t min_sequence_sv_length = 100;
};

struct SvCall {
  SvJunction junction;  // contig names are the reference's
  std::string file;
  long line = 0;        // the record that completed the junction (0 for BEDPE header-less input)
};

struct SvReadCounts {
  std::uint64_t records = 0;              // VCF records (one per ALT allele) / BEDPE rows read
  std::uint64_t junctions = 0;
  std::uint64_t ref_base_mismatches = 0;  // REF base disagreed with the reference: warned, reference used
  std::uint64_t unpaired_breakends = 0;   // mate record never seen: junction built from one record
  std::uint64_t imprecise = 0;            // junctions flagged IMPRECISE (or from a wider BEDPE interval)
  std::size_t max_waiting_mates = 0;
  std::map<std::string, std::uint64_t> skipped;  // reason -> records
};

// The reasons SvReadCounts::skipped counts records under, in the order they are reported.
extern const std::vector<std::string> sv_skip_reasons;

// True when `path` is a BEDPE (by name: .bedpe or .bedpe.gz).
bool is_bedpe_path(const std::string& path);

// Streams the junctions of `path` to `emit` in the order they complete. Throws InputError naming
// file and line for malformed records; skips (and counts under a reason) what cannot give a
// junction window: filtered records, unknown contigs, single breakends, unsupported symbolic
// alleles, insertions without sequence.
void read_sv_calls(const std::string& path, Reference& reference, const ContigResolver& contigs,
                   const SvReadOptions& options, SvReadCounts& counts,
                   const std::function<void(SvCall&&)>& emit);

}  // namespace oncolm::genome
