// Writes a 2-D float32 or float16 array in NumPy's .npy format (version 1.0) row by row, without
// knowing the row count in advance: the header is written with room to spare and rewritten with the
// final shape by finish(). numpy.load reads the result; so does any .npy reader.
#pragma once
#include <cstdint>
#include <cstdio>
#include <string>

namespace oncolm::model {

class NpyWriter {
 public:
  // `path` is usually an AtomicFile's temporary path. Throws std::runtime_error naming it on failure.
  NpyWriter(const std::string& path, std::int64_t columns, bool float16);
  ~NpyWriter();
  NpyWriter(const NpyWriter&) = delete;
  NpyWriter& operator=(const NpyWriter&) = delete;

  void write_rows(const float* data, std::int64_t rows);  // rows * columns values, row-major
  void finish();                                          // final header, flush, close
  std::int64_t rows() const { return rows_; }

 private:
  void write_header();
  std::string path_;
  std::FILE* file_ = nullptr;
  std::int64_t columns_;
  bool float16_;
  std::int64_t rows_ = 0;
};

// IEEE 754 binary16 bits of a float, rounded to nearest even (as numpy's astype(float16)).
std::uint16_t float_to_half(float value);

}  // namespace oncolm::model
