// Streaming FASTA reader for plain, gzip and bgzip files (zlib reads all three: bgzip is a series
// of gzip members), so the model stage reads windows without htslib. Records come one at a time;
// memory holds one record.
#pragma once
#include <cstddef>
#include <string>

namespace oncolm {

struct FastaRecord {
  std::string name;         // header up to the first whitespace
  std::string description;  // rest of the header line, without leading whitespace
  std::string sequence;     // lines joined, line ends (LF or CRLF) and trailing spaces removed
  std::size_t line = 0;     // 1-based line of the header, for messages
};

class FastaReader {
 public:
  // Throws InputError naming the file when it cannot be opened.
  explicit FastaReader(const std::string& path);
  ~FastaReader();
  FastaReader(const FastaReader&) = delete;
  FastaReader& operator=(const FastaReader&) = delete;

  // Reads the next record; returns false at the end. Throws InputError naming the file and line for
  // text before the first header, an empty record name, or a truncated/corrupt gzip stream.
  bool next(FastaRecord& record);
  const std::string& path() const { return path_; }

 private:
  bool read_line(std::string& line);
  bool fill_buffer();
  std::string path_;
  void* file_ = nullptr;  // gzFile, kept out of the header so users do not need zlib.h
  std::string buffer_;
  std::size_t buffer_pos_ = 0;
  bool eof_ = false;
  std::size_t line_number_ = 0;
  std::string pending_header_;
  bool have_pending_ = false;
};

}  // namespace oncolm
