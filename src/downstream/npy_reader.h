// Reads a 2-D float32 or float16 .npy file (NumPy format 1.0/2.0, C order) row by row, as
// `oncolm embed` writes it, without loading the whole matrix.
#pragma once
#include <cstdint>
#include <cstdio>
#include <string>

namespace oncolm::downstream {

class NpyReader {
 public:
  // Throws InputError naming the file when it is missing, not a .npy, not 2-D float32/float16 C-order,
  // or shorter than its header says.
  explicit NpyReader(const std::string& path);
  ~NpyReader();
  NpyReader(const NpyReader&) = delete;
  NpyReader& operator=(const NpyReader&) = delete;
  std::int64_t rows() const { return rows_; }
  std::int64_t cols() const { return cols_; }
  // The next row as float32 (cols() values). Throws InputError past the end or on a short read.
  void read_row(float* out);

 private:
  std::string path_;
  std::FILE* file_ = nullptr;
  std::int64_t rows_ = 0, cols_ = 0, next_row_ = 0;
  bool float16_ = false;
};

float half_to_float(std::uint16_t bits);

}  // namespace oncolm::downstream
