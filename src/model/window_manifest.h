// The per-sample TSV that `oncolm windows` writes next to its FASTA (<sample>.windows.tsv.gz for
// small variants, <sample>.sv_windows.tsv.gz for SV junctions), read for what the model stages
// need: where the variant sits in each record, and which records form a REF/ALT pair. Shared by
// `oncolm embed` (variant spans) and `oncolm train` (spans and contrastive pairs). Torch-free.
#pragma once
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "model/tokenizer.h"

namespace oncolm::model {

// The variant as a window record carries it: allele, and the bases [begin, end) of the record that
// the change touches (for a pure insertion or deletion, the two bases either side of the junction).
struct VariantSite {
  std::string allele;  // REF or ALT (REF1, REF2, ALT for SV junction windows)
  std::size_t begin = 0;
  std::size_t end = 0;
};

// One matched normal/tumour pair: the ALT record and its REF record(s) (two for an SV junction).
struct WindowPair {
  std::string alt_record;
  std::vector<std::string> ref_records;
};

struct WindowManifest {
  std::unordered_map<std::string, VariantSite> sites;  // by record name
  std::vector<WindowPair> pairs;                       // in manifest order
  std::string sample_id;  // the sample_id column (the sheet's id); empty without that column or rows
};

// Lines of a gzip (or plain) text file, without their line ends; errors name the file and line.
class GzLines {
 public:
  explicit GzLines(const std::string& path);  // throws InputError when the file cannot be opened
  ~GzLines();
  GzLines(const GzLines&) = delete;
  GzLines& operator=(const GzLines&) = delete;
  bool next(std::string& line);           // false at the end of the file
  std::size_t number() const { return number_; }  // 1-based number of the last line read

 private:
  std::string path_;
  void* file_;  // gzFile (zlib.h stays out of this header)
  std::size_t number_ = 0;
};

// Reads a windows manifest (plain or gzip). Throws InputError naming the file and line for a missing
// header or column, a row with the wrong number of fields, an offset that is not a number, or rows
// whose sample_id differ (one file holds one sample).
WindowManifest read_window_manifest(const std::string& path);

// Bases the REF and the ALT allele occupy after their shared (anchor) prefix: {1, 1} for an SNV, {2, 0}
// for the deletion CTT>C; symbolic or non-ACGTN alleles count as {1, 1}.
std::pair<std::size_t, std::size_t> changed_lengths(const std::string& ref, const std::string& alt);

// The sites of one small variant's REF and ALT records, as read_window_manifest() stores them: the
// change starts at `offset` in both records and spans the bases after the alleles' shared prefix (a
// pure insertion or deletion: the two bases either side of the junction in the record without them).
std::pair<VariantSite, VariantSite> small_variant_sites(std::size_t offset, const std::string& ref,
                                                        const std::string& alt);

// Tokens (of an encoding of the record's bases) that overlap the variant's bases: [first, last)
// with <cls> = 0, or nothing when no token does (the variant was cut away).
std::optional<std::pair<std::int32_t, std::int32_t>> token_span(const Encoding& encoding, const VariantSite& site);

}  // namespace oncolm::model
