#include "model/npy_writer.h"

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <vector>

#include <fmt/format.h>

namespace oncolm::model {
namespace {
// Magic (6) + version (2) + header length (2) + dictionary, padded with spaces to this size: enough
// for any 64-bit row count, and a multiple of 64 as the format asks for alignment.
constexpr std::size_t header_bytes = 128;
}  // namespace

std::uint16_t float_to_half(float value) {
  std::uint32_t bits;
  std::memcpy(&bits, &value, sizeof bits);
  const std::uint32_t sign = (bits >> 16) & 0x8000u;
  const std::uint32_t magnitude = bits & 0x7fffffffu;
  if (magnitude >= 0x7f800000u)  // inf or NaN (NaN keeps a payload bit)
    return static_cast<std::uint16_t>(sign | 0x7c00u | (magnitude > 0x7f800000u ? 0x200u : 0u));
  if (magnitude >= 0x477ff000u) return static_cast<std::uint16_t>(sign | 0x7c00u);  // rounds to inf
  if (magnitude < 0x38800000u) {
    // Subnormal half (or zero): shift the mantissa with its implicit bit into place, round to even.
    if (magnitude < 0x33000000u) return static_cast<std::uint16_t>(sign);
    const int exponent = static_cast<int>(magnitude >> 23);
    const std::uint32_t mantissa = (magnitude & 0x7fffffu) | 0x800000u;
    const int shift = 126 - exponent;  // 14 + (127 - 1 - exponent) - 14
    std::uint32_t half = mantissa >> shift;
    const std::uint32_t rest = mantissa & ((1u << shift) - 1);
    const std::uint32_t halfway = 1u << (shift - 1);
    if (rest > halfway || (rest == halfway && (half & 1u))) ++half;
    return static_cast<std::uint16_t>(sign | half);
  }
  std::uint32_t half = ((magnitude - 0x38000000u) >> 13);  // rebias exponent 127 -> 15
  const std::uint32_t rest = magnitude & 0x1fffu;
  if (rest > 0x1000u || (rest == 0x1000u && (half & 1u))) ++half;
  return static_cast<std::uint16_t>(sign | half);
}

NpyWriter::NpyWriter(const std::string& path, std::int64_t columns, bool float16)
    : path_(path), columns_(columns), float16_(float16) {
  file_ = std::fopen(path.c_str(), "wb");
  if (file_ == nullptr) throw std::runtime_error(fmt::format("cannot create {}: {}", path, std::strerror(errno)));
  write_header();
}

NpyWriter::~NpyWriter() {
  if (file_ != nullptr) std::fclose(file_);
}

void NpyWriter::write_header() {
  std::string dict = fmt::format("{{'descr': '<{}', 'fortran_order': False, 'shape': ({}, {}), }}",
                                 float16_ ? "f2" : "f4", rows_, columns_);
  std::string header = "\x93NUMPY";
  header += '\x01';
  header += '\x00';
  const std::size_t dict_length = header_bytes - 10;
  header += static_cast<char>(dict_length & 0xff);
  header += static_cast<char>(dict_length >> 8);
  dict.resize(dict_length - 1, ' ');
  header += dict + '\n';
  if (std::fseek(file_, 0, SEEK_SET) != 0 || std::fwrite(header.data(), 1, header.size(), file_) != header.size())
    throw std::runtime_error(fmt::format("cannot write {}: {}", path_, std::strerror(errno)));
}

void NpyWriter::write_rows(const float* data, std::int64_t rows) {
  const std::size_t count = static_cast<std::size_t>(rows * columns_);
  std::size_t written;
  if (float16_) {
    std::vector<std::uint16_t> halves(count);
    for (std::size_t i = 0; i < count; ++i) halves[i] = float_to_half(data[i]);
    written = std::fwrite(halves.data(), sizeof(std::uint16_t), count, file_);
  } else {
    written = std::fwrite(data, sizeof(float), count, file_);
  }
  if (written != count) throw std::runtime_error(fmt::format("cannot write {}: {}", path_, std::strerror(errno)));
  rows_ += rows;
}

void NpyWriter::finish() {
  write_header();
  bool ok = std::fflush(file_) == 0;
  ok = std::fclose(file_) == 0 && ok;
  file_ = nullptr;
  if (!ok) throw std::runtime_error(fmt::format("cannot finish {}: {}", path_, std::strerror(errno)));
}

}  // namespace oncolm::model
