// A sample's window outputs, written under temporary names and renamed into place only when all
// of them are complete (core/atomic_file.h): <sample>.windows.fa.gz (+ .fai, .gzi) and
// <sample>.windows.tsv.gz, BGZF via htslib, then <sample>.stats.json last, so that a stats file
// means "this sample is complete". Compression may use a shared htslib thread pool; BGZF blocks
// are cut at the same places with or without it, so the bytes do not depend on --threads.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "core/atomic_file.h"
#include "genome/hts_handles.h"

namespace oncolm::genome {

class BgzfWriter {
 public:
  // pool may be null (single-threaded compression).
  BgzfWriter(const std::string& path, hts_tpool* pool);
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

class SampleOutputFiles {
 public:
  SampleOutputFiles(const std::string& out_dir, const std::string& safe_id, hts_tpool* pool);

  static std::string fasta_name(const std::string& safe_id) { return safe_id + ".windows.fa.gz"; }
  static std::string tsv_name(const std::string& safe_id) { return safe_id + ".windows.tsv.gz"; }
  static std::string stats_name(const std::string& safe_id) { return safe_id + ".stats.json"; }

  // One FASTA record, sequence wrapped at 60 bases as samtools writes it.
  void write_fasta_record(const std::string& name, const std::string& sequence);
  void write_tsv(std::string_view text) { tsv_.write(text); }

  // Closes both streams, indexes the FASTA, and renames everything into place, stats last.
  void commit(const std::string& stats_json);

 private:
  std::string out_dir_, safe_id_;
  AtomicFile fasta_file_, fai_file_, gzi_file_, tsv_file_, stats_file_;
  BgzfWriter fasta_, tsv_;
  std::string record_;  // reused buffer for one FASTA record
  std::string fai_;     // the .fai lines, written as the records are
};

}  // namespace oncolm::genome
