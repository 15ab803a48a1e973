// Embeddings from an NT checkpoint directory, behind a torch-free interface (LibTorch stays inside
// embedder.cpp, so the CLI compiles quickly). Items arrive tokenized; rows come back in item order.
#pragma once
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "model/config.h"
#include "model/tokenizer.h"

namespace oncolm::model {

enum class Pooling {
  mean,     // mean over non-pad tokens, <cls> included (the NT model cards' embedding)
  cls,      // the <cls> token
  variant,  // mean over the tokens covering the variant (items must carry a span)
};
Pooling parse_pooling(const std::string& name);  // throws std::invalid_argument
const char* pooling_name(Pooling pooling);

struct EmbedderOptions {
  std::string device = "cpu";  // "cpu" or "cuda" / "cuda:N"
  bool bfloat16 = false;       // bf16 weights and activations (the CUDA default)
  int threads = 1;             // CPU: intra-op threads
  int layer = -1;              // hidden state to pool: 0 (embeddings) .. L; -1 = L (after final LayerNorm)
  Pooling pooling = Pooling::mean;
  std::int64_t token_budget = 0;  // padded tokens per batch; 0 = 4,096 on CPU, 65,536 on CUDA
  std::size_t max_rows = 256;     // rows per batch
};

struct EmbedItem {
  std::vector<std::int32_t> ids;  // ids[0] = <cls>; at most the model's max tokens
  std::int32_t span_begin = 0;    // variant pooling: token range [span_begin, span_end)
  std::int32_t span_end = 0;
};

class Embedder {
 public:
  // Loads config.json, vocab.txt (checked against the config) and the weights; moves them to the
  // device. Throws InputError for a bad model directory.
  Embedder(const std::string& model_dir, const EmbedderOptions& options);
  ~Embedder();
  Embedder(const Embedder&) = delete;
  Embedder& operator=(const Embedder&) = delete;

  const NtConfig& config() const;
  const Tokenizer& tokenizer() const;
  const std::string& weights_format() const;
  const std::vector<std::string>& weight_files() const;
  std::string compute_description() const;  // "cpu float32 (2 threads)", "cuda:0 bfloat16"
  int layer() const;                        // resolved layer index
  std::int64_t dim() const;

  // Embeds `items`; writes items.size() rows of dim() floats to `out`, row r for item r.
  // `progress(items_done, tokens_done)` is called after every batch.
  void embed(const std::vector<EmbedItem>& items, float* out,
             const std::function<void(std::size_t, std::size_t)>& progress = {}) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace oncolm::model
