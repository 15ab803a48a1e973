#include "genome/io/reference.h"

#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <cstdlib>

#include "core/error.h"
#include "core/sha256.h"

namespace oncolm::genome {
namespace {
constexpr std::int64_t chunk_min_bases = 256 * 1024;  // read ahead 256 kb
constexpr std::int64_t chunk_back_bases = 64 * 1024;  // and keep 64 kb behind (normalisation looks left)

bool readable(const std::string& path) { return ::access(path.c_str(), R_OK) == 0; }
}  // namespace

int bgzf_eof_state(const std::string& path) {
  BgzfPtr file(bgzf_open(path.c_str(), "r"));
  if (!file || bgzf_compression(file.get()) != bgzf) return -1;
  return bgzf_check_EOF(file.get()) == 0 ? 0 : 1;
}

namespace {
// Per byte: what sanitising writes, and whether it counts as soft-masked (any lower-case letter)
// and as IUPAC (anything but ACGTN once upper-cased). One table lookup per base instead of branches:
// every fetched window goes through here.
struct SanitiseTable {
  char out[256];
  std::uint8_t soft_masked[256];
  std::uint8_t iupac[256];
  SanitiseTable() {
    for (int byte = 0; byte < 256; ++byte) {
      char upper = static_cast<char>(byte);
      soft_masked[byte] = byte >= 'a' && byte <= 'z';
      if (soft_masked[byte]) upper = static_cast<char>(byte - 'a' + 'A');
      bool acgt = upper == 'A' || upper == 'C' || upper == 'G' || upper == 'T';
      iupac[byte] = !acgt && upper != 'N';
      out[byte] = acgt ? upper : 'N';
    }
  }
};
const SanitiseTable sanitise_table;
}  // namespace

void sanitise_sequence(std::string& sequence, SanitiseCounts* counts) {
  std::uint64_t soft_masked = 0, iupac = 0;
  for (char& base : sequence) {
    auto byte = static_cast<unsigned char>(base);
    base = sanitise_table.out[byte];
    soft_masked += sanitise_table.soft_masked[byte];
    iupac += sanitise_table.iupac[byte];
  }
  if (counts) {
    counts->soft_masked += soft_masked;
    counts->iupac += iupac;
  }
}

namespace {
// Sanitises `sequence` in place and fills the running counts (entry i: changes in [0, i)).
void sanitise_with_running_counts(std::string& sequence, std::vector<std::uint32_t>& soft_masked_before,
                                  std::vector<std::uint32_t>& iupac_before) {
  soft_masked_before.resize(sequence.size() + 1);
  iupac_before.resize(sequence.size() + 1);
  std::uint32_t soft_masked = 0, iupac = 0;
  for (std::size_t i = 0; i < sequence.size(); ++i) {
    soft_masked_before[i] = soft_masked;
    iupac_before[i] = iupac;
    auto byte = static_cast<unsigned char>(sequence[i]);
    sequence[i] = sanitise_table.out[byte];
    soft_masked += sanitise_table.soft_masked[byte];
    iupac += sanitise_table.iupac[byte];
  }
  soft_masked_before[sequence.size()] = soft_masked;
  iupac_before[sequence.size()] = iupac;
}

// htslib 1.16 has no 64-bit length query (faidx_seq_len returns int): a contig of 2^31 bases or
// more would come back negative or wrapped to a wrong length. Its .fai line says the real length.
void refuse_contigs_beyond_int(const std::string& fai_path) {
  std::ifstream fai(fai_path);
  std::string line;
  for (long number = 1; std::getline(fai, line); ++number) {
    const auto tab = line.find('\t');
    if (tab == std::string::npos) continue;  // htslib reports a malformed index itself
    const std::string name = line.substr(0, tab);
    const std::string length = line.substr(tab + 1, line.find('\t', tab + 1) - tab - 1);
    if (length.size() > 10 || (length.size() == 10 && length > "2147483647"))
      throw input_error(fai_path, number, "contig {} has {} bases: contigs of 2^31 bases or more are not supported "
                        "(htslib 1.16 reads FASTA index lengths as int)", name, length);
  }
}

}  // namespace

Reference::Reference(const std::string& path) : path_(path) {
  if (!readable(path)) throw input_error(path, 0, "cannot read reference FASTA (missing or unreadable)");
  if (!readable(path + ".fai"))
    throw input_error(path, 0, "reference index {}.fai is missing: run `samtools faidx {}`", path, path);
  int eof = bgzf_eof_state(path);
  if (eof == 0) throw input_error(path, 0, "truncated BGZF file (no end-of-file marker)");
  // fai_load3 without FAI_CREATE: never write index files next to a user's reference.
  index_.reset(fai_load3(path.c_str(), nullptr, nullptr, 0));
  if (!index_)
    throw input_error(path, 0, "cannot load the FASTA index{}",
                      eof == 1 ? " (a bgzip reference needs both .fai and .gzi: `samtools faidx`)" : "");
  refuse_contigs_beyond_int(path + ".fai");
  int count = faidx_nseq(index_.get());
  for (int i = 0; i < count; ++i) {
    const char* name = faidx_iseq(index_.get(), i);
    int length = faidx_seq_len(index_.get(), name);
    if (length < 0) throw input_error(path + ".fai", i + 1, "cannot read the length of contig {}", name);
    contigs_.push_back({name, length});
    by_name_.emplace(name, i);
  }
}

int Reference::find(const std::string& name) const {
  auto it = by_name_.find(name);
  return it == by_name_.end() ? -1 : it->second;
}

void Reference::load_chunk(int contig, std::int64_t start, std::int64_t end) {
  std::int64_t length = contigs_[contig].length;
  std::int64_t from = std::max<std::int64_t>(1, start - chunk_back_bases);
  std::int64_t to = std::min(length, std::max(end, start + chunk_min_bases));
  hts_pos_t got = 0;
  char* bases = faidx_fetch_seq64(index_.get(), contigs_[contig].name.c_str(), from - 1, to - 1, &got);
  if (!bases || got != to - from + 1) {
    std::free(bases);
    chunk_contig_ = -1;
    throw input_error(path_, 0, "cannot read {}:{}-{} (truncated or corrupt file?)", contigs_[contig].name,
                      from, to);
  }
  chunk_.assign(bases, static_cast<std::size_t>(got));
  std::free(bases);
  sanitise_with_running_counts(chunk_, soft_masked_before_, iupac_before_);
  chunk_contig_ = contig;
  chunk_start_ = from;
}

std::string Reference::fetch(int contig, std::int64_t start, std::int64_t end, SanitiseCounts* counts) {
  return std::string(fetch_view(contig, start, end, counts));
}

std::string_view Reference::fetch_view(int contig, std::int64_t start, std::int64_t end, SanitiseCounts* counts) {
  if (start > end) return {};
  if (contig < 0 || contig >= static_cast<int>(contigs_.size()) || start < 1 || end > contigs_[contig].length)
    throw input_error(path_, 0, "region {}:{}-{} is outside the reference",
                      contig >= 0 && contig < static_cast<int>(contigs_.size()) ? contigs_[contig].name : "?",
                      start, end);
  std::int64_t chunk_end = chunk_start_ + static_cast<std::int64_t>(chunk_.size()) - 1;
  if (contig != chunk_contig_ || start < chunk_start_ || end > chunk_end) load_chunk(contig, start, end);
  auto first = static_cast<std::size_t>(start - chunk_start_);
  auto past_last = static_cast<std::size_t>(end - chunk_start_ + 1);
  if (counts) {
    counts->soft_masked += soft_masked_before_[past_last] - soft_masked_before_[first];
    counts->iupac += iupac_before_[past_last] - iupac_before_[first];
  }
  return std::string_view(chunk_).substr(first, past_last - first);
}

std::string reference_fai_sha256(const std::string& reference_path) {
  return sha256_file_hex(reference_path + ".fai");
}

}  // namespace oncolm::genome
