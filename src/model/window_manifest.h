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
};

// Reads a windows manifest (plain or gzip). Throws InputError naming the file and line for a missing
// header or column, a row with the wrong number of fields, or an offset that is not a number.
WindowManifest read_window_manifest(const std::string& path);

// Tokens (of an encoding of the record's bases) that overlap the variant's bases: [first, last)
// with <cls> = 0, or nothing when no token does (the variant was cut away).
std::optional<std::pair<std::int32_t, std::int32_t>> token_span(const Encoding& encoding, const VariantSite& site);

}  // namespace oncolm::model
