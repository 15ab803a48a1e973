#include "core/fasta_reader.h"

#include <cerrno>
#include <cstring>

#include <zlib.h>

#include "core/error.h"

namespace oncolm {
namespace {
constexpr unsigned read_chunk = 1 << 18;

void strip_line_end(std::string& line) {
  while (!line.empty() && (line.back() == '\r' || line.back() == ' ' || line.back() == '\t')) line.pop_back();
}
}  // namespace

FastaReader::FastaReader(const std::string& path) : path_(path) {
  gzFile file = gzopen(path.c_str(), "rb");
  if (file == nullptr) throw input_error(path, 0, "cannot open FASTA: {}", std::strerror(errno ? errno : ENOENT));
  gzbuffer(file, read_chunk);
  file_ = file;
}

FastaReader::~FastaReader() {
  if (file_ != nullptr) gzclose(static_cast<gzFile>(file_));
}

bool FastaReader::fill_buffer() {
  if (eof_) return false;
  buffer_.erase(0, buffer_pos_);
  buffer_pos_ = 0;
  std::size_t old_size = buffer_.size();
  buffer_.resize(old_size + read_chunk);
  int got = gzread(static_cast<gzFile>(file_), &buffer_[old_size], read_chunk);
  int status = Z_OK;
  const char* message = gzerror(static_cast<gzFile>(file_), &status);
  // zlib reports a gzip stream cut short as Z_BUF_ERROR ("unexpected end of file").
  if (got < 0 || (status != Z_OK && status != Z_STREAM_END))
    throw input_error(path_, static_cast<long>(line_number_),
                      "cannot decompress ({}): truncated or corrupt gzip/bgzip file", message ? message : "zlib error");
  buffer_.resize(old_size + static_cast<std::size_t>(got));
  if (got == 0) eof_ = true;
  return got > 0;
}

bool FastaReader::read_line(std::string& line) {
  while (true) {
    std::size_t newline = buffer_.find('\n', buffer_pos_);
    if (newline != std::string::npos) {
      line.assign(buffer_, buffer_pos_, newline - buffer_pos_);
      buffer_pos_ = newline + 1;
      ++line_number_;
      return true;
    }
    if (!fill_buffer()) {
      if (buffer_pos_ >= buffer_.size()) return false;
      line.assign(buffer_, buffer_pos_, std::string::npos);  // last line without a newline
      buffer_pos_ = buffer_.size();
      ++line_number_;
      return true;
    }
  }
}

bool FastaReader::next(FastaRecord& record) {
  std::string line;
  if (!have_pending_) {
    // Skip blank lines before the first header; anything else there is not FASTA.
    while (true) {
      if (!read_line(line)) return false;
      strip_line_end(line);
      if (line.empty()) continue;
      if (line[0] != '>')
        throw input_error(path_, static_cast<long>(line_number_),
                          "expected a FASTA header ('>') but found sequence text");
      break;
    }
    pending_header_ = line;
    have_pending_ = true;
  }
  record.line = line_number_;
  std::size_t name_end = pending_header_.find_first_of(" \t", 1);
  record.name = pending_header_.substr(1, name_end == std::string::npos ? std::string::npos : name_end - 1);
  record.description.clear();
  if (name_end != std::string::npos) {
    std::size_t text = pending_header_.find_first_not_of(" \t", name_end);
    if (text != std::string::npos) record.description = pending_header_.substr(text);
  }
  if (record.name.empty())
    throw input_error(path_, static_cast<long>(line_number_), "FASTA header without a record name");
  std::size_t header_line = line_number_;
  record.sequence.clear();
  have_pending_ = false;
  while (read_line(line)) {
    strip_line_end(line);
    if (!line.empty() && line[0] == '>') {
      pending_header_ = line;
      have_pending_ = true;
      record.line = header_line;
      return true;
    }
    record.sequence += line;
  }
  record.line = header_line;
  return true;
}

}  // namespace oncolm
