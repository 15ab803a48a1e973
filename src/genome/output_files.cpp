#include "genome/output_files.h"

#include <cstdio>
#include <fstream>

#include <fmt/format.h>

namespace oncolm::genome {
namespace {
constexpr std::size_t fasta_line_width = 60;
std::string join(const std::string& dir, const std::string& name) { return dir + "/" + name; }

void write_binary(const std::string& path, const std::string& contents) {
  std::ofstream out(path, std::ios::binary);
  out << contents;
  out.close();
  if (!out) throw std::runtime_error(fmt::format("cannot write {}", path));
}
}  // namespace

BgzfWriter::BgzfWriter(const std::string& path, hts_tpool* pool) : path_(path), file_(bgzf_open(path.c_str(), "w")) {
  if (!file_) throw std::runtime_error(fmt::format("cannot create {}", path_));
  if (pool && bgzf_thread_pool(file_.get(), pool, 0) != 0)
    throw std::runtime_error(fmt::format("cannot attach compression threads to {}", path_));
}

void BgzfWriter::write(std::string_view text) {
  if (bgzf_write(file_.get(), text.data(), text.size()) != static_cast<ssize_t>(text.size()))
    throw std::runtime_error(fmt::format("cannot write {} (disk full?)", path_));
}

void BgzfWriter::close() {
  if (bgzf_close(file_.release()) != 0) throw std::runtime_error(fmt::format("cannot finish writing {}", path_));
}

SampleOutputFiles::SampleOutputFiles(const std::string& out_dir, const std::string& safe_id, hts_tpool* pool)
    : out_dir_(out_dir),
      safe_id_(safe_id),
      fasta_file_(join(out_dir, fasta_name(safe_id))),
      fai_file_(join(out_dir, fasta_name(safe_id) + ".fai")),
      gzi_file_(join(out_dir, fasta_name(safe_id) + ".gzi")),
      tsv_file_(join(out_dir, tsv_name(safe_id))),
      stats_file_(join(out_dir, stats_name(safe_id))),
      fasta_(fasta_file_.temp_path(), pool),
      tsv_(tsv_file_.temp_path(), pool) {}

void SampleOutputFiles::write_fasta_record(const std::string& name, const std::string& sequence) {
  record_.clear();
  record_ += '>';
  record_ += name;
  record_ += '\n';
  for (std::size_t at = 0; at < sequence.size(); at += fasta_line_width) {
    record_.append(sequence, at, fasta_line_width);
    record_ += '\n';
  }
  fasta_.write(record_);
  ++records_;
}

void SampleOutputFiles::commit(const std::string& stats_json) {
  fasta_.close();
  tsv_.close();
  if (records_ == 0) {
    // htslib refuses to index a FASTA without records; an empty .fai and a .gzi with no entries
    // (a little-endian 64-bit zero) are what the index of an empty file is.
    write_binary(fai_file_.temp_path(), "");
    write_binary(gzi_file_.temp_path(), std::string(8, '\0'));
  } else if (fai_build3(fasta_file_.temp_path().c_str(), fai_file_.temp_path().c_str(),
                        gzi_file_.temp_path().c_str()) != 0) {
    throw std::runtime_error(fmt::format("cannot index {}", fasta_file_.temp_path()));
  }
  write_binary(stats_file_.temp_path(), stats_json);
  // A stats file left from an earlier run would vouch for files that are about to be replaced.
  std::remove(stats_file_.final_path().c_str());
  fasta_file_.commit();
  fai_file_.commit();
  gzi_file_.commit();
  tsv_file_.commit();
  stats_file_.commit();
}

}  // namespace oncolm::genome
