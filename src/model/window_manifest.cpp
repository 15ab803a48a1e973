#include "model/window_manifest.h"

#include <algorithm>

#include <zlib.h>

#include "core/error.h"
#include "core/text.h"

namespace oncolm::model {
namespace {

bool plain_allele(const std::string& allele) {
  return !allele.empty() && allele.find_first_not_of("ACGTNacgtn") == std::string::npos;
}

VariantSite site_at(const std::string& allele, std::size_t offset, std::size_t changed) {
  if (changed == 0) return {allele, offset > 0 ? offset - 1 : 0, offset + 1};  // the junction
  return {allele, offset, offset + changed};
}

// An SV's ALT window: the last base before the junction, the inserted bases the window holds (the
// central min(inserted, window length) of them), and the first base after it.
VariantSite junction_site(std::size_t junction, std::size_t inserted, std::size_t alt_length) {
  const std::size_t held = std::min(inserted, alt_length);
  return {"ALT", junction > 0 ? junction - 1 : 0, std::min(junction + held + 1, std::max<std::size_t>(alt_length, 1))};
}

std::size_t offset_cell(const std::string& text, const std::string& path, std::size_t line, const char* column) {
  // stoull accepts "-1" (wrapping to 2^64 - 1) and leading blanks: a cell must be digits only.
  if (text.empty() || text.find_first_not_of("0123456789") != std::string::npos)
    throw input_error(path, static_cast<long>(line), "{} '{}' is not a number", column, text);
  try {
    std::size_t used = 0;
    unsigned long long value = std::stoull(text, &used);
    if (used == text.size()) return static_cast<std::size_t>(value);
  } catch (const std::exception&) {
  }
  throw input_error(path, static_cast<long>(line), "{} '{}' is not a number", column, text);
}

// One file holds one sample: every row's sample_id must be the first row's.
void check_sample_id(const std::string& cell, const std::string& path, std::size_t line, std::string& sample_id) {
  if (sample_id.empty()) {
    sample_id = cell;
  } else if (cell != sample_id) {
    throw input_error(path, static_cast<long>(line),
                      "sample_id '{}' where earlier rows have '{}' (one file per sample)", cell, sample_id);
  }
}

}  // namespace

GzLines::GzLines(const std::string& path) : path_(path), file_(gzopen(path.c_str(), "rb")) {
  if (file_ == nullptr) throw input_error(path, 0, "cannot open");
}

GzLines::~GzLines() { gzclose(static_cast<gzFile>(file_)); }

bool GzLines::next(std::string& line) {
  gzFile file = static_cast<gzFile>(file_);
  line.clear();
  char chunk[1 << 16];
  while (gzgets(file, chunk, sizeof chunk) != nullptr) {
    line += chunk;
    if (!line.empty() && line.back() == '\n') break;
  }
  int status = Z_OK;
  const char* message = gzerror(file, &status);
  if (status != Z_OK && status != Z_STREAM_END)
    throw input_error(path_, static_cast<long>(number_), "cannot decompress: {}", message);
  if (line.empty()) return false;
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.pop_back();
  ++number_;
  return true;
}

// The variant sites of a windows manifest: <sample>.windows.tsv.gz (REF and ALT per small variant,
// the change at `offset`) or <sample>.sv_windows.tsv.gz (REF1 and REF2 centred on the breakends,
// ALT with the junction at `alt_junction_offset`).
WindowManifest read_window_manifest(const std::string& path) {
  GzLines lines(path);
  std::string line;
  if (!lines.next(line)) throw input_error(path, 0, "empty manifest (no header line)");
  std::vector<std::string> header = split_tabs(line);
  auto column = [&](const std::string& name) -> std::optional<std::size_t> {
    auto found = std::find(header.begin(), header.end(), name);
    if (found == header.end()) return std::nullopt;
    return static_cast<std::size_t>(found - header.begin());
  };
  auto required = [&](const std::string& name) {
    if (auto found = column(name)) return *found;
    throw input_error(path, 1, "manifest lacks the column {}", name);
  };
  bool sv = column("ref1_record").has_value();
  std::size_t alt_record = required("alt_record");
  std::size_t ref_record = required(sv ? "ref1_record" : "ref_record");
  std::size_t offset = required(sv ? "ref1_offset" : "offset");
  std::size_t ref2_record = sv ? required("ref2_record") : 0, ref2_offset = sv ? required("ref2_offset") : 0;
  std::size_t junction = sv ? required("alt_junction_offset") : 0;
  auto inserted_sequence = column("inserted_sequence"), alt_length = column("alt_length");
  auto sample_id = column("sample_id");
  auto ref = column("norm_ref") ? column("norm_ref") : column("ref");
  auto alt = column("norm_alt") ? column("norm_alt") : column("alt");
  WindowManifest manifest;
  auto& sites = manifest.sites;
  while (lines.next(line)) {
    auto fields = split_tabs(line);
    std::size_t number = lines.number();
    if (fields.size() != header.size())
      throw input_error(path, static_cast<long>(number), "{} fields where the header has {}", fields.size(),
                        header.size());
    if (sample_id) check_sample_id(fields[*sample_id], path, number, manifest.sample_id);
    std::size_t at = offset_cell(fields[offset], path, number, sv ? "ref1_offset" : "offset");
    if (sv) {
      sites[fields[ref_record]] = site_at("REF1", at, 1);
      sites[fields[ref2_record]] = site_at("REF2", offset_cell(fields[ref2_offset], path, number, "ref2_offset"), 1);
      const std::size_t at_junction = offset_cell(fields[junction], path, number, "alt_junction_offset");
      const std::string inserted = inserted_sequence ? fields[*inserted_sequence] : ".";
      if (inserted != "." && !inserted.empty() && alt_length)
        sites[fields[alt_record]] = junction_site(at_junction, inserted.size(),
                                                  offset_cell(fields[*alt_length], path, number, "alt_length"));
      else
        sites[fields[alt_record]] = site_at("ALT", at_junction, 0);
      manifest.pairs.push_back({fields[alt_record], {fields[ref_record], fields[ref2_record]}});
      continue;
    }
    auto [ref_site, alt_site] = ref && alt ? small_variant_sites(at, fields[*ref], fields[*alt])
                                           : std::make_pair(site_at("REF", at, 1), site_at("ALT", at, 1));
    sites[fields[ref_record]] = ref_site;
    sites[fields[alt_record]] = alt_site;
    manifest.pairs.push_back({fields[alt_record], {fields[ref_record]}});
  }
  return manifest;
}

std::pair<std::size_t, std::size_t> changed_lengths(const std::string& ref, const std::string& alt) {
  if (!plain_allele(ref) || !plain_allele(alt)) return {1, 1};
  std::size_t prefix = 0;
  while (prefix < ref.size() && prefix < alt.size() && ref[prefix] == alt[prefix]) ++prefix;
  return {ref.size() - prefix, alt.size() - prefix};
}

std::pair<VariantSite, VariantSite> small_variant_sites(std::size_t offset, const std::string& ref,
                                                        const std::string& alt) {
  auto [ref_changed, alt_changed] = changed_lengths(ref, alt);
  return {site_at("REF", offset, ref_changed), site_at("ALT", offset, alt_changed)};
}

// Tokens (of the kept encoding) that overlap the variant's bases.
std::optional<std::pair<std::int32_t, std::int32_t>> token_span(const Encoding& encoding, const VariantSite& site) {
  std::int32_t first = -1, last = -1;
  for (std::size_t t = 1; t < encoding.size(); ++t) {
    bool overlaps = static_cast<std::size_t>(encoding.end[t]) > site.begin &&
                    static_cast<std::size_t>(encoding.start[t]) < site.end;
    if (overlaps) {
      if (first < 0) first = static_cast<std::int32_t>(t);
      last = static_cast<std::int32_t>(t);
    }
  }
  if (first < 0) return std::nullopt;
  return std::make_pair(first, last + 1);
}

}  // namespace oncolm::model
