// Hugging Face checkpoint files read without LibTorch: model.safetensors (memory-mapped), torch zip
// pytorch_model.bin (memory-mapped zip + a restricted unpickler), and their sharded indexes. The
// result is a map of named tensor views into the mapped files; the encoder turns them into tensors.
#pragma once
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace oncolm::model {

enum class DType { f64, f32, f16, bf16, i64, i32, i16, i8, u8, boolean };
std::size_t dtype_size(DType dtype);
const char* dtype_name(DType dtype);  // safetensors spelling: F32, BF16, I64, ...

// A tensor inside a mapped file. Strides are in elements (safetensors: always contiguous; torch
// zips: as pickled). `data` points at element 0 and stays valid while `owner` lives.
struct TensorView {
  DType dtype = DType::f32;
  std::vector<std::int64_t> shape;
  std::vector<std::int64_t> strides;
  const std::byte* data = nullptr;
  std::string file;  // for messages
  std::shared_ptr<const void> owner;
  std::int64_t numel() const;
  bool contiguous() const;
};

std::string shape_string(const std::vector<std::int64_t>& shape);  // "[4107, 512]"

class Checkpoint {
 public:
  // Loads the weights of a model directory, preferring model.safetensors, then its sharded index,
  // then pytorch_model.bin and its index. Throws InputError naming the directory when none exists.
  static Checkpoint load_dir(const std::string& model_dir);
  static Checkpoint load_safetensors(const std::string& path);
  static Checkpoint load_torch_zip(const std::string& path);
  // A *.index.json with a weight_map (for either format).
  static Checkpoint load_index(const std::string& index_path);

  const std::map<std::string, TensorView>& tensors() const { return tensors_; }
  const TensorView* find(const std::string& name) const;
  // The files the weights came from, in load order (the checksum covers all of them).
  const std::vector<std::string>& files() const { return files_; }
  const std::string& format() const { return format_; }  // "safetensors" or "pytorch_model.bin"

 private:
  void merge(Checkpoint&& other);
  std::map<std::string, TensorView> tensors_;
  std::vector<std::string> files_;
  std::string format_;
};

// Combined SHA-256 of the weight files: the file's own hash for one file, else the hash of the
// newline-joined "<sha256>  <basename>" lines (as sha256sum prints them), so it identifies a shard set.
std::string checkpoint_checksum(const Checkpoint& checkpoint);

}  // namespace oncolm::model
