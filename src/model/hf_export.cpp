#include "model/hf_export.h"

#include <fstream>
#include <sstream>
#include <stdexcept>

#include <nlohmann/json.hpp>

#include "core/atomic_file.h"
#include "core/error.h"
#include "core/json_file.h"
#include "core/log.h"
#include "core/paths.h"
#include "model/checkpoint.h"
#include "model/safetensors_writer.h"

namespace oncolm::model {
namespace {

DType dtype_of(const at::Tensor& tensor) {
  switch (tensor.scalar_type()) {
    case at::kDouble: return DType::f64;
    case at::kFloat: return DType::f32;
    case at::kHalf: return DType::f16;
    case at::kBFloat16: return DType::bf16;
    case at::kLong: return DType::i64;
    case at::kInt: return DType::i32;
    case at::kShort: return DType::i16;
    case at::kChar: return DType::i8;
    case at::kByte: return DType::u8;
    case at::kBool: return DType::boolean;
    default: throw std::invalid_argument("no safetensors dtype for this tensor");
  }
}

std::string read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw input_error(path, 0, "cannot read");
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

bool ends_with(const std::string& text, const std::string& suffix) {
  return text.size() >= suffix.size() && text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// The Python modules of a model that ships its own code (the NT v2 checkpoints: config.json's
// auto_map names esm_config.EsmConfig and modeling_esm.EsmForMaskedLM, which transformers loads with
// trust_remote_code from the model directory). Every top-level *.py of the source goes along, since
// those modules import each other; a module auto_map names that the source lacks is reported.
void copy_remote_code(const std::string& source_model_dir, const std::string& out_dir) {
  for (const auto& name : list_directory(source_model_dir))
    if (ends_with(name, ".py") && !is_directory(path_join(source_model_dir, name)))
      write_file_atomically(path_join(out_dir, name), read_bytes(path_join(source_model_dir, name)));
  const std::string config_path = path_join(source_model_dir, "config.json");
  if (!path_exists(config_path)) return;
  nlohmann::json config = read_json_file(config_path);
  if (!config.contains("auto_map") || !config["auto_map"].is_object()) return;
  for (const auto& [auto_class, reference] : config["auto_map"].items()) {
    if (!reference.is_string()) continue;
    std::string target = reference.get<std::string>();
    if (target.find("--") != std::string::npos) continue;  // "repo--module.Class": code from another repository
    const std::string module = target.substr(0, target.rfind('.')) + ".py";
    if (!path_exists(path_join(source_model_dir, module)))
      log(Level::warning, "{}: auto_map's {} names {}, which is not in {}: Hugging Face transformers will need it "
          "next to the exported model (trust_remote_code)", config_path, auto_class, module, source_model_dir);
  }
}

}  // namespace

const std::vector<std::string>& model_side_files() {
  static const std::vector<std::string> names = {"config.json", "vocab.txt", "tokenizer_config.json",
                                                 "special_tokens_map.json"};
  return names;
}

void save_tensors(const std::string& path, const std::vector<NamedTensor>& tensors,
                  const std::map<std::string, std::string>& metadata) {
  std::vector<at::Tensor> owned;  // keeps the contiguous copies alive while writing
  std::vector<SafetensorsEntry> entries;
  for (const auto& named : tensors) {
    owned.push_back(named.tensor.detach().to(at::kCPU).contiguous());
    const at::Tensor& t = owned.back();
    entries.push_back({named.name, dtype_of(t), t.sizes().vec(), t.data_ptr()});
  }
  write_safetensors(path, entries, metadata);
}

void export_hf_model(const NtEncoder& encoder, const std::string& source_model_dir, const std::string& out_dir) {
  if (encoder.has_adapters()) throw std::logic_error("export_hf_model: merge the adapters first");
  Checkpoint source = Checkpoint::load_dir(source_model_dir);
  std::map<std::string, at::Tensor> ours;
  for (auto& named : encoder.named_tensors()) ours[named.name] = named.tensor.detach().to(at::kCPU, at::kFloat);
  std::vector<NamedTensor> out;
  for (const auto& [name, view] : source.tensors()) {
    auto found = ours.find(name);
    if (found == ours.end()) {
      out.push_back({name, tensor_from_view(view)});
      continue;
    }
    if (found->second.sizes().vec() != view.shape)
      throw std::logic_error("tensor '" + name + "' changed shape from " + shape_string(view.shape));
    out.push_back({name, found->second});
    ours.erase(found);
  }
  if (!ours.empty())
    throw input_error(source.files().front(), 0, "the source checkpoint lacks '{}', which the encoder holds",
                      ours.begin()->first);
  make_directories(out_dir);
  save_tensors(path_join(out_dir, "model.safetensors"), out, {{"format", "pt"}});
  for (const auto& name : model_side_files()) {
    std::string from = path_join(source_model_dir, name);
    if (path_exists(from)) write_file_atomically(path_join(out_dir, name), read_bytes(from));
  }
  copy_remote_code(source_model_dir, out_dir);
}

}  // namespace oncolm::model
