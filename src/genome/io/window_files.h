// A sample's window outputs, written under temporary names and renamed into place only when all
// of them are complete (core/atomic_file.h): two window sets, each a BGZF FASTA (+ .fai, .gzi)
// with its BGZF TSV (<sample>.windows.* for small variants, <sample>.sv_windows.* for SV
// junctions), then <sample>.stats.json last, so that a stats file means "this sample is
// complete". Compression may use a shared htslib thread pool; BGZF blocks are cut at the same
// places with or without it, so the bytes do not depend on --threads.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/atomic_file.h"
#include "genome/io/hts_handles.h"
#include "genome/io/output_format.h"

namespace oncolm::genome {

class BgzfWriter {
 public:
  // pool may be null (single-threaded compression).
  BgzfWriter(const std::string& path, hts_tpool* pool, int compression_level);
  void write(std::string_view text);
  // Bytes written so far, before compression: the offsets a .fai records.
  std::uint64_t uncompressed_offset() const { return written_; }
  // Flushes and closes; throws naming the file on failure.
  void close();

 private:
  std::string path_;
  BgzfPtr file_;
  std::uint64_t written_ = 0;
};

// One window set: <stem>.fa.gz with its .fai and .gzi (samtools faidx-ready) and <stem>.tsv.gz
// (names: core/file_contract.h).
class WindowFiles {
 public:
  WindowFiles(const std::string& out_dir, const std::string& stem, hts_tpool* pool, const OutputFormat& format);

  // One FASTA record: one line, or lines of format.line_width bases as samtools writes them.
  void write_fasta_record(const std::string& name, const std::string& sequence);
  void write_tsv(std::string_view text) { tsv_.write(text); }

  // Closes both streams and writes the indexes, all still under temporary names.
  void finish();
  // Renames the finished files into place.
  void commit();

 private:
  AtomicFile fasta_file_, fai_file_, gzi_file_, tsv_file_;
  BgzfWriter fasta_, tsv_;
  std::string record_;  // reused buffer for one FASTA record
  std::string fai_;     // the .fai lines, written as the records are
  std::size_t line_width_;
};

// Sample-sheet label columns (name, value), repeated at the end of every TSV row.
using Labels = std::vector<std::pair<std::string, std::string>>;
// "col1\tcol2...\tlabel1...\n": a TSV header line, the tool's columns then the label columns.
std::string tsv_header(const std::vector<std::string>& columns, const Labels& labels);
// "\tvalue1\tvalue2...\n": the label cells that end a row.
std::string label_cells(const Labels& labels);

class SampleOutputFiles {
 public:
  SampleOutputFiles(const std::string& out_dir, const std::string& safe_id, hts_tpool* pool,
                    const OutputFormat& format);

  WindowFiles& windows() { return windows_; }
  WindowFiles& sv_windows() { return sv_windows_; }

  // Finishes both window sets and renames everything into place, stats last.
  void commit(const std::string& stats_json);

 private:
  WindowFiles windows_, sv_windows_;
  AtomicFile stats_file_;
};

}  // namespace oncolm::genome
