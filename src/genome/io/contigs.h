// Which reference contig a VCF contig name means. Names are reconciled only when that is safe:
//   1. --contig-map entries (VCF name -> reference name) first;
//   2. the same name in the reference;
//   3. the `chr` prefix added or removed (chrM <-> MT included) when the VCF header declares a
//      length for the contig and it equals the reference contig's length (hg19 chrM, 16,571 bp,
//      is not rCRS MT, 16,569 bp).
// A ##contig length that disagrees with the reference contig of the same (or mapped) name means
// the calls were made on another assembly: that is an error, not a skip.
#pragma once
#include <cstdint>
#include <map>
#include <string>

#include "genome/io/reference.h"

namespace oncolm::genome {

// The other spelling of a contig name under the UCSC/Ensembl convention (chr20 <-> 20, chrM <-> MT).
std::string alias_of(const std::string& name);

// Reads a two-column map (VCF name, reference name; tab or space separated, '#' comments).
// Throws InputError naming file and line for malformed lines or reference names not in `reference`.
std::map<std::string, std::string> read_contig_map(const std::string& path, const Reference& reference);

struct ContigMatch {
  int contig = -1;      // reference contig index, -1 when unknown
  std::string reason;   // why the name was not matched (for the warning), or how it was
};

class ContigResolver {
 public:
  ContigResolver(const Reference& reference, std::map<std::string, std::string> contig_map)
      : reference_(reference), map_(std::move(contig_map)) {}

  // declared_length: from the VCF's ##contig line, 0 when not declared. `file` names the VCF in
  // errors. Throws InputError when a declared length disagrees with the matched reference contig.
  ContigMatch resolve(const std::string& vcf_name, std::int64_t declared_length, const std::string& file) const;

 private:
  const Reference& reference_;
  std::map<std::string, std::string> map_;
};

}  // namespace oncolm::genome
