// Saving encoder tensors as safetensors, and exporting a (merged) encoder as a Hugging Face model
// directory that Checkpoint::load_dir, `oncolm embed` and HF transformers load like the published one.
#pragma once
#include <map>
#include <string>
#include <vector>

#include "model/nt_encoder.h"

namespace oncolm::model {

// Named tensors to a safetensors file (atomically), each as a contiguous CPU copy of its own dtype.
void save_tensors(const std::string& path, const std::vector<NamedTensor>& tensors,
                  const std::map<std::string, std::string>& metadata = {});

// Writes OUT_DIR/model.safetensors with exactly the tensor names, shapes and dtypes of the source
// checkpoint in `source_model_dir`: the encoder's tensors where it has them (float32), the source's
// own bytes for those it does not use (contact head, unused position table or rotary buffer), so
// HF transformers sees the checkpoint layout it expects. Copies config.json, vocab.txt and the
// tokenizer files present in the source, and its Python modules (the code config.json's auto_map
// names for trust_remote_code, as the NT v2 checkpoints ship it). The encoder must have no adapters
// (merge them first).
void export_hf_model(const NtEncoder& encoder, const std::string& source_model_dir, const std::string& out_dir);

// The tokenizer and config files a model directory carries next to its weights.
const std::vector<std::string>& model_side_files();

}  // namespace oncolm::model
