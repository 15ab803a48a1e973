// Streaming VCF 4.x reader (plain or bgzip text) over htslib. Lines are read with hts_getline and
// parsed with vcf_parse so that every record keeps its line number for messages; only one line
// is held at a time. The reader also enforces the order the window builder relies on: records
// grouped by contig, positions non-decreasing within a contig.
#pragma once
#include <cstdint>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "genome/io/hts_handles.h"

namespace oncolm::genome {

class VcfReader {
 public:
  // Opens and reads the header. Throws InputError naming the file when it is missing, unreadable,
  // empty, truncated BGZF, BCF, or its header is not VCF 4.x.
  // check_order = false reads files whose order does not matter (SV calls that are only counted).
  explicit VcfReader(std::string path, bool check_order = true);

  // Reads the next data line into record(). Returns false at end of file. Throws InputError naming
  // file and line for malformed lines, read errors (truncation) and unsorted records.
  bool next();

  const std::string& path() const { return path_; }
  const bcf_hdr_t* header() const { return header_.get(); }
  bcf1_t* record() const { return record_.get(); }  // unpacked up to FILTER
  long line() const { return line_; }

  std::string chrom() const;
  std::int64_t pos() const { return record_->pos + 1; }  // 1-based
  // FILTER as written: "PASS", "." (no filter), or names joined by ';'.
  std::string filter() const;
  bool filter_passes() const;  // PASS or "."
  // Length from the ##contig line of the current record's contig; 0 when not declared.
  std::int64_t declared_length() const;
  // Header contigs (name, declared length) so that lengths can be checked before any record.
  std::vector<std::pair<std::string, std::int64_t>> declared_contigs() const;

 private:
  void read_header();
  void check_order();

  std::string path_;
  HtsFilePtr file_;
  BcfHeaderPtr header_;
  BcfRecordPtr record_;
  KString text_;
  long line_ = 0;
  bool check_order_ = true;
  std::string last_chrom_;
  std::int64_t last_pos_ = 0;
  std::set<std::string> finished_chroms_;
};

}  // namespace oncolm::genome
