#include "downstream/npy_reader.h"

#include <cerrno>
#include <cstring>
#include <vector>

#include "core/error.h"

namespace oncolm::downstream {

float half_to_float(std::uint16_t bits) {
  std::uint32_t sign = static_cast<std::uint32_t>(bits & 0x8000u) << 16;
  std::uint32_t exponent = (bits >> 10) & 0x1fu, mantissa = bits & 0x3ffu;
  std::uint32_t out;
  if (exponent == 0) {
    if (mantissa == 0) {
      out = sign;
    } else {  // subnormal: normalise
      int shift = 0;
      while ((mantissa & 0x400u) == 0) {
        mantissa <<= 1;
        ++shift;
      }
      mantissa &= 0x3ffu;
      out = sign | (static_cast<std::uint32_t>(127 - 15 - shift + 1) << 23) | (mantissa << 13);
    }
  } else if (exponent == 31) {
    out = sign | 0x7f800000u | (mantissa << 13);
  } else {
    out = sign | ((exponent + 127 - 15) << 23) | (mantissa << 13);
  }
  float value;
  std::memcpy(&value, &out, sizeof value);
  return value;
}

NpyReader::NpyReader(const std::string& path) : path_(path) {
  file_ = std::fopen(path.c_str(), "rb");
  if (file_ == nullptr) throw input_error(path, 0, "cannot open: {}", std::strerror(errno ? errno : ENOENT));
  unsigned char magic[8];
  if (std::fread(magic, 1, 8, file_) != 8 || std::memcmp(magic, "\x93NUMPY", 6) != 0)
    throw input_error(path, 0, "not a .npy file");
  std::size_t header_length = 0;
  if (magic[6] == 1) {
    unsigned char length[2];
    if (std::fread(length, 1, 2, file_) != 2) throw input_error(path, 0, "truncated .npy header");
    header_length = length[0] | (static_cast<std::size_t>(length[1]) << 8);
  } else {
    unsigned char length[4];
    if (std::fread(length, 1, 4, file_) != 4) throw input_error(path, 0, "truncated .npy header");
    header_length = length[0] | (static_cast<std::size_t>(length[1]) << 8) |
                    (static_cast<std::size_t>(length[2]) << 16) | (static_cast<std::size_t>(length[3]) << 24);
  }
  std::string header(header_length, '\0');
  if (std::fread(&header[0], 1, header_length, file_) != header_length)
    throw input_error(path, 0, "truncated .npy header");
  if (header.find("'<f4'") != std::string::npos) float16_ = false;
  else if (header.find("'<f2'") != std::string::npos) float16_ = true;
  else throw input_error(path, 0, "not float32 or float16 little-endian: {}", header);
  if (header.find("'fortran_order': False") == std::string::npos) throw input_error(path, 0, "not C order: {}", header);
  std::size_t shape = header.find("'shape': (");
  long long rows = 0, cols = 0;
  if (shape == std::string::npos || std::sscanf(header.c_str() + shape + 10, "%lld, %lld", &rows, &cols) != 2)
    throw input_error(path, 0, "not a 2-D array: {}", header);
  rows_ = rows;
  cols_ = cols;
  long data_start = std::ftell(file_);
  std::fseek(file_, 0, SEEK_END);
  long size = std::ftell(file_);
  std::fseek(file_, data_start, SEEK_SET);
  long long expected = rows_ * cols_ * (float16_ ? 2 : 4);
  if (size - data_start < expected)
    throw input_error(path, 0, "truncated: {} data bytes, the header's shape ({}, {}) needs {}", size - data_start,
                      rows_, cols_, expected);
}

NpyReader::~NpyReader() {
  if (file_ != nullptr) std::fclose(file_);
}

void NpyReader::read_row(float* out) {
  if (next_row_ >= rows_) throw input_error(path_, 0, "read past the last row {}", rows_);
  std::size_t n = static_cast<std::size_t>(cols_);
  if (float16_) {
    std::vector<std::uint16_t> bits(n);
    if (std::fread(bits.data(), 2, n, file_) != n) throw input_error(path_, 0, "short read at row {}", next_row_);
    for (std::size_t j = 0; j < n; ++j) out[j] = half_to_float(bits[j]);
  } else if (std::fread(out, 4, n, file_) != n) {
    throw input_error(path_, 0, "short read at row {}", next_row_);
  }
  ++next_row_;
}

}  // namespace oncolm::downstream
