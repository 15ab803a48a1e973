// SHA-256, for provenance checksums (reference .fai, model weights). Streaming interface so large
// files are hashed without loading them.
#pragma once
#include <array>
#include <cstddef>
#include <cstdint>
#include <string>

namespace oncolm {

class Sha256 {
 public:
  Sha256();
  void update(const void* data, std::size_t size);
  std::string hex_digest();  // finishes the hash; call once

 private:
  void compress(const std::uint8_t* block);
  std::array<std::uint32_t, 8> state_;
  std::array<std::uint8_t, 64> buffer_{};
  std::size_t buffer_used_ = 0;
  std::uint64_t total_bytes_ = 0;
};

std::string sha256_hex(const std::string& data);
std::string sha256_file_hex(const std::string& path);  // throws naming the file if unreadable

}  // namespace oncolm
