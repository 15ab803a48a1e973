// The reference genome: a FASTA (plain or bgzip) with its .fai (and .gzi), read through htslib's
// faidx. Sequence comes back upper-cased with every code other than ACGT turned into N, so that
// windows, normalisation and REF checks all see the same alphabet; how many bases were changed
// that way is counted per fetch.
//
// A Reference is not thread-safe (faidx shares one BGZF stream): each worker opens its own.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "genome/io/hts_handles.h"
#include "genome/io/sequence_alphabet.h"

namespace oncolm::genome {

struct Contig {
  std::string name;
  std::int64_t length = 0;
};

class Reference {
 public:
  // Throws InputError naming the file when it, its .fai, or (for bgzip) its .gzi cannot be read,
  // or when a bgzip file has no end-of-file marker (truncated).
  explicit Reference(const std::string& path);

  const std::string& path() const { return path_; }
  const std::vector<Contig>& contigs() const { return contigs_; }
  // Index into contigs(), or -1.
  int find(const std::string& name) const;
  std::int64_t length(int contig) const { return contigs_[contig].length; }

  // Bases start..end (1-based, inclusive), sanitised. start > end gives "". Throws InputError
  // when the range leaves the contig or the file cannot be read there (e.g. truncated bgzip).
  std::string fetch(int contig, std::int64_t start, std::int64_t end, SanitiseCounts* counts = nullptr);
  // The same bases without a copy: valid until the next fetch or fetch_view.
  std::string_view fetch_view(int contig, std::int64_t start, std::int64_t end, SanitiseCounts* counts = nullptr);

 private:
  void load_chunk(int contig, std::int64_t start, std::int64_t end);

  std::string path_;
  FaidxPtr index_;
  std::vector<Contig> contigs_;
  std::unordered_map<std::string, int> by_name_;
  // Variants arrive in position order, so one cached chunk per reader turns thousands of small
  // window fetches into a few large sequential reads.
  int chunk_contig_ = -1;
  std::int64_t chunk_start_ = 0;  // 1-based position of chunk_[0]
  std::string chunk_;             // sanitised
  // Running counts of what sanitising changed in chunk_[0, i): windows overlap (each base lies in
  // dozens of them), so the chunk is sanitised once and a window's counts are two lookups.
  std::vector<std::uint32_t> soft_masked_before_;
  std::vector<std::uint32_t> iupac_before_;
};

// SHA-256 of the reference's .fai: identifies the assembly (names and lengths) in provenance.
std::string reference_fai_sha256(const std::string& reference_path);

}  // namespace oncolm::genome
