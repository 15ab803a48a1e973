#include "genome/io/window_files.h"

#include "core/file_contract.h"

#include <cstdio>
#include <fstream>
#include <iterator>
#include <vector>

#include <fmt/compile.h>
#include <fmt/format.h>

namespace oncolm::genome {
namespace {
std::string join(const std::string& dir, const std::string& name) { return dir + "/" + name; }

void write_binary(const std::string& path, const std::string& contents) {
  std::ofstream out(path, std::ios::binary);
  out << contents;
  out.close();
  if (!out) throw std::runtime_error(fmt::format("cannot write {}", path));
}
}  // namespace

BgzfWriter::BgzfWriter(const std::string& path, hts_tpool* pool, int compression_level)
    : path_(path), file_(bgzf_open(path.c_str(), fmt::format("w{}", compression_level).c_str())) {
  if (!file_) throw std::runtime_error(fmt::format("cannot create {}", path_));
  if (pool && bgzf_thread_pool(file_.get(), pool, 0) != 0)
    throw std::runtime_error(fmt::format("cannot attach compression threads to {}", path_));
}

void BgzfWriter::write(std::string_view text) {
  if (bgzf_write(file_.get(), text.data(), text.size()) != static_cast<ssize_t>(text.size()))
    throw std::runtime_error(fmt::format("cannot write {} (disk full?)", path_));
  written_ += text.size();
}

void BgzfWriter::close() {
  if (bgzf_close(file_.release()) != 0) throw std::runtime_error(fmt::format("cannot finish writing {}", path_));
}

// The .gzi of a BGZF file from its block headers alone: each block states its compressed size
// (BSIZE, header bytes 16-17) and ends with its uncompressed size (ISIZE), so nothing is
// decompressed. (htslib 1.16 builds a wrong index while writing with a thread pool.)
void write_gzi(const std::string& bgzf_path, const std::string& gzi_path) {
  std::ifstream in(bgzf_path, std::ios::binary);
  std::vector<std::uint64_t> entries;  // (compressed, uncompressed) offsets of blocks after the first
  std::uint64_t compressed = 0, uncompressed = 0;
  unsigned char header[18], footer[4];
  while (in.read(reinterpret_cast<char*>(header), sizeof header)) {
    std::uint64_t block_size = (header[16] | (header[17] << 8)) + 1u;
    in.seekg(static_cast<std::streamoff>(compressed + block_size - 4));
    if (!in.read(reinterpret_cast<char*>(footer), sizeof footer))
      throw std::runtime_error(fmt::format("cannot index {}: truncated block", bgzf_path));
    std::uint64_t block_data = footer[0] | (footer[1] << 8) | (footer[2] << 16) | (std::uint64_t(footer[3]) << 24);
    // The first block starts at (0, 0) implicitly; the empty end-of-file block is not listed.
    if (compressed > 0 && block_data > 0) entries.insert(entries.end(), {compressed, uncompressed});
    compressed += block_size;
    uncompressed += block_data;
    in.seekg(static_cast<std::streamoff>(compressed));
  }
  std::string bytes;
  auto put = [&bytes](std::uint64_t value) {
    for (int i = 0; i < 8; ++i) bytes += static_cast<char>((value >> (8 * i)) & 0xff);
  };
  put(entries.size() / 2);
  for (std::uint64_t value : entries) put(value);
  write_binary(gzi_path, bytes);
}

WindowFiles::WindowFiles(const std::string& out_dir, const std::string& stem, hts_tpool* pool,
                         const OutputFormat& format)
    : fasta_file_(join(out_dir, contract::fasta_name(stem))),
      fai_file_(join(out_dir, contract::fasta_name(stem) + ".fai")),
      gzi_file_(join(out_dir, contract::fasta_name(stem) + ".gzi")),
      tsv_file_(join(out_dir, contract::tsv_name(stem))),
      fasta_(fasta_file_.temp_path(), pool, format.compression_level),
      tsv_(tsv_file_.temp_path(), pool, format.compression_level),
      line_width_(static_cast<std::size_t>(format.line_width)) {}

void WindowFiles::write_fasta_record(const std::string& name, const std::string& sequence) {
  // .fai: name, length, offset of the first base, bases per line, bytes per line (samtools' layout).
  // One line per record, or a record shorter than the line width: the line is the whole sequence
  // (samtools faidx takes the numbers from the record's first line).
  std::size_t width = line_width_ > 0 ? std::min(line_width_, sequence.size()) : sequence.size();
  std::uint64_t sequence_offset = fasta_.uncompressed_offset() + name.size() + 2;
  fmt::format_to(std::back_inserter(fai_), FMT_COMPILE("{}\t{}\t{}\t{}\t{}\n"), name, sequence.size(), sequence_offset,
                 width, width + 1);
  record_.clear();
  record_ += '>';
  record_ += name;
  record_ += '\n';
  if (width == sequence.size() && !sequence.empty()) {
    // One line: the sequence goes to the compressor's buffer as it is, without a copy here.
    fasta_.write(record_);
    fasta_.write(sequence);
    fasta_.write("\n");
    return;
  }
  for (std::size_t at = 0; at < sequence.size(); at += width) {
    record_.append(sequence, at, width);
    record_ += '\n';
  }
  fasta_.write(record_);
}

void WindowFiles::finish() {
  // The .fai is made while writing and the .gzi from block headers (the same bytes `samtools
  // faidx` writes, which the tests check) rather than by decompressing everything again.
  fasta_.close();
  tsv_.close();
  write_gzi(fasta_file_.temp_path(), gzi_file_.temp_path());
  write_binary(fai_file_.temp_path(), fai_);
}

void WindowFiles::commit() {
  fasta_file_.commit();
  fai_file_.commit();
  gzi_file_.commit();
  tsv_file_.commit();
}

std::string tsv_header(const std::vector<std::string>& columns, const Labels& labels) {
  std::string header;
  for (const auto& column : columns) header += (header.empty() ? "" : "\t") + column;
  for (const auto& [column, value] : labels) header += "\t" + column;
  return header + "\n";
}

std::string label_cells(const Labels& labels) {
  std::string cells;
  for (const auto& [column, value] : labels) cells += "\t" + value;
  return cells + "\n";
}

SampleOutputFiles::SampleOutputFiles(const std::string& out_dir, const std::string& safe_id, hts_tpool* pool,
                                     const OutputFormat& format)
    : windows_(out_dir, contract::windows_stem(safe_id), pool, format),
      sv_windows_(out_dir, contract::sv_windows_stem(safe_id), pool, format),
      stats_file_(join(out_dir, contract::sample_stats_name(safe_id))) {}

void SampleOutputFiles::commit(const std::string& stats_json) {
  windows_.finish();
  sv_windows_.finish();
  write_binary(stats_file_.temp_path(), stats_json);
  // A stats file left from an earlier run would vouch for files that are about to be replaced.
  std::remove(stats_file_.final_path().c_str());
  windows_.commit();
  sv_windows_.commit();
  stats_file_.commit();
}

}  // namespace oncolm::genome
