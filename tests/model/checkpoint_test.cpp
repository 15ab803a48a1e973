// Checkpoint formats: safetensors and torch zip give the same tensors, sharded indexes, the
// restricted unpickler's refusals, damaged files, and errors that name the tensor.
#include <fstream>

#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include "../test_fs.h"
#include <nlohmann/json.hpp>

#include "core/error.h"
#include "model/checkpoint.h"
#include "model/config.h"
#include "model/nt_encoder.h"
#include "model/unpickler.h"

namespace fs = oncolm::test_fs;
using namespace oncolm;
using namespace oncolm::model;

namespace {
const std::string data_dir = std::string(ONCOLM_TEST_DATA_DIR) + "/nt";


// Writes the given tensors of `source` as a safetensors file (the format is simple enough to
// write by hand: u64 header length, JSON header, raw data).
void write_safetensors(const fs::path& path, const Checkpoint& source, const std::vector<std::string>& names) {
  nlohmann::json header = nlohmann::json::object();
  std::string data;
  for (const auto& name : names) {
    const TensorView& view = *source.find(name);
    std::size_t bytes = static_cast<std::size_t>(view.numel()) * dtype_size(view.dtype);
    header[name] = {{"dtype", dtype_name(view.dtype)}, {"shape", view.shape},
                    {"data_offsets", {data.size(), data.size() + bytes}}};
    data.append(reinterpret_cast<const char*>(view.data), bytes);
  }
  std::string text = header.dump();
  std::ofstream out(path, std::ios::binary);
  std::uint64_t length = text.size();
  for (int i = 0; i < 8; ++i) out.put(static_cast<char>((length >> (8 * i)) & 0xff));
  out << text << data;
}

std::vector<std::string> names_of(const Checkpoint& checkpoint) {
  std::vector<std::string> names;
  for (const auto& [name, view] : checkpoint.tensors()) names.push_back(name);
  return names;
}

template <typename F>
std::string error_of(F&& body) {
  try {
    body();
  } catch (const InputError& error) {
    return error.what();
  }
  return "no InputError";
}
}  // namespace

TEST(Checkpoint, SafetensorsAndTorchZipHoldTheSameTensors) {
  for (const char* model : {"nt_v1_tiny", "nt_v2_tiny"}) {
    std::string dir = data_dir + "/" + model;
    Checkpoint st = Checkpoint::load_safetensors(dir + "/model.safetensors");
    Checkpoint bin = Checkpoint::load_torch_zip(dir + "/pytorch_model.bin");
    EXPECT_EQ(st.format(), "safetensors");
    EXPECT_EQ(bin.format(), "pytorch_model.bin");
    EXPECT_GT(st.tensors().size(), 30u);
    for (const auto& [name, view] : st.tensors()) {
      const TensorView* other = bin.find(name);
      ASSERT_NE(other, nullptr) << model << " " << name;
      EXPECT_EQ(other->shape, view.shape) << name;
      EXPECT_EQ(other->dtype, view.dtype) << name;
      EXPECT_TRUE(tensor_from_view(*other).equal(tensor_from_view(view))) << name;
    }
    // torch.save adds only buffers safetensors files leave out.
    for (const auto& [name, view] : bin.tensors()) {
      if (!st.find(name)) {
        EXPECT_EQ(name, "esm.embeddings.position_ids") << model;
      }
    }
  }
}

TEST(Checkpoint, LoadDirPrefersSafetensorsAndFallsBackToBin) {
  EXPECT_EQ(Checkpoint::load_dir(data_dir + "/nt_v2_tiny").format(), "safetensors");
  fs::path dir = fs::fresh_dir("oncolm_bin_only");
  fs::copy_file(data_dir + "/nt_v2_tiny/pytorch_model.bin", dir / "pytorch_model.bin");
  EXPECT_EQ(Checkpoint::load_dir(dir.string()).format(), "pytorch_model.bin");
  fs::remove(dir / "pytorch_model.bin");
  EXPECT_NE(error_of([&] { Checkpoint::load_dir(dir.string()); }).find("no model.safetensors"), std::string::npos);
  fs::remove_all(dir);
}

TEST(Checkpoint, ShardedSafetensorsIndexLoadsEveryShard) {
  std::string dir = data_dir + "/nt_v2_tiny";
  Checkpoint whole = Checkpoint::load_safetensors(dir + "/model.safetensors");
  std::vector<std::string> names = names_of(whole);
  std::vector<std::string> first(names.begin(), names.begin() + names.size() / 2);
  std::vector<std::string> second(names.begin() + names.size() / 2, names.end());
  fs::path sharded = fs::fresh_dir("oncolm_sharded");
  write_safetensors(sharded / "model-00001-of-00002.safetensors", whole, first);
  write_safetensors(sharded / "model-00002-of-00002.safetensors", whole, second);
  nlohmann::json index = {{"metadata", {{"total_size", 0}}}, {"weight_map", nlohmann::json::object()}};
  for (const auto& n : first) index["weight_map"][n] = "model-00001-of-00002.safetensors";
  for (const auto& n : second) index["weight_map"][n] = "model-00002-of-00002.safetensors";
  std::ofstream(sharded / "model.safetensors.index.json") << index.dump();
  fs::copy_file(dir + "/config.json", sharded / "config.json");
  Checkpoint loaded = Checkpoint::load_dir(sharded.string());
  EXPECT_EQ(loaded.files().size(), 2u);
  EXPECT_EQ(names_of(loaded), names);
  // The encoder built from shards equals the one built from the single file.
  NtConfig config = NtConfig::load_dir(dir);
  auto ids = at::full({1, 10}, 7, at::kLong);
  ids[0][0] = 3;
  auto a = NtEncoder(config, whole).forward(ids, at::Tensor()).selected;
  auto b = NtEncoder(config, loaded).forward(ids, at::Tensor()).selected;
  EXPECT_TRUE(a.equal(b));
  // Two shards hash to the checksum of their sha256sum listing, not to either file.
  EXPECT_EQ(checkpoint_checksum(loaded).size(), 64u);
  EXPECT_NE(checkpoint_checksum(loaded), checkpoint_checksum(whole));
  // A hand-edited index whose entry is not a file name is named with the index file and the tensor.
  index["weight_map"][first.front()] = 5;
  std::ofstream(sharded / "model.safetensors.index.json") << index.dump();
  std::string message = error_of([&] { Checkpoint::load_dir(sharded.string()); });
  EXPECT_NE(message.find("model.safetensors.index.json"), std::string::npos) << message;
  EXPECT_NE(message.find("weight_map entry '" + first.front() + "' is 5, not the name of a shard file"),
            std::string::npos) << message;
  fs::remove_all(sharded);
}

TEST(Checkpoint, MissingTensorAndShapeMismatchNameTheTensor) {
  std::string dir = data_dir + "/nt_v2_tiny";
  Checkpoint whole = Checkpoint::load_safetensors(dir + "/model.safetensors");
  std::vector<std::string> names = names_of(whole);
  names.erase(std::find(names.begin(), names.end(), "esm.encoder.layer.1.attention.self.key.bias"));
  fs::path partial_dir = fs::fresh_dir("oncolm_partial");
  write_safetensors(partial_dir / "model.safetensors", whole, names);
  Checkpoint partial = Checkpoint::load_safetensors((partial_dir / "model.safetensors").string());
  NtConfig config = NtConfig::load_dir(dir);
  std::string missing = error_of([&] { NtEncoder encoder(config, partial); });
  EXPECT_NE(missing.find("'esm.encoder.layer.1.attention.self.key.bias' is missing"), std::string::npos) << missing;
  NtConfig wrong = config;
  wrong.intermediate_size = 100;
  std::string mismatch = error_of([&] { NtEncoder encoder(wrong, whole); });
  EXPECT_NE(mismatch.find("'esm.encoder.layer.0.intermediate.dense.weight' has shape [256, 64] but config.json implies [200, 64]"),
            std::string::npos)
      << mismatch;
  fs::remove_all(partial_dir);
}

TEST(Checkpoint, DamagedFilesAreRefusedWithTheirName) {
  fs::path dir = fs::fresh_dir("oncolm_damaged");
  std::ifstream in(data_dir + "/nt_v2_tiny/pytorch_model.bin", std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::string truncated = (dir / "truncated.bin").string();
  std::ofstream(truncated, std::ios::binary) << bytes.substr(0, bytes.size() / 2);
  EXPECT_NE(error_of([&] { Checkpoint::load_torch_zip(truncated); }).find(truncated), std::string::npos);
  std::string legacy = (dir / "legacy.bin").string();
  std::ofstream(legacy, std::ios::binary) << "\x80\x02\x8a\x0alegacy torch file";
  EXPECT_NE(error_of([&] { Checkpoint::load_torch_zip(legacy); }).find("legacy"), std::string::npos);
  // A ZIP64 locator pointing 3 bytes short of 2^64: a bounds check that adds the read's length to
  // the offset wraps around and reads far outside the file; the offset must be refused instead.
  std::string wrapped = bytes;
  std::size_t end_record = wrapped.rfind(std::string("PK\x05\x06", 4));
  ASSERT_NE(end_record, std::string::npos);
  ASSERT_EQ(wrapped.compare(end_record - 20, 4, std::string("PK\x06\x07", 4)), 0) << "torch writes a ZIP64 locator";
  wrapped.replace(end_record + 16, 4, std::string(4, '\xff'));  // central directory offset: "see ZIP64"
  wrapped.replace(end_record - 20 + 8, 8, std::string("\xfd") + std::string(7, '\xff'));
  std::string wrapped_path = (dir / "wrapped.bin").string();
  std::ofstream(wrapped_path, std::ios::binary) << wrapped;
  std::string message = error_of([&] { Checkpoint::load_torch_zip(wrapped_path); });
  EXPECT_NE(message.find(wrapped_path), std::string::npos) << message;
  EXPECT_NE(message.find("points past the end of the file"), std::string::npos) << message;
  std::string short_st = (dir / "short.safetensors").string();
  std::ifstream st_in(data_dir + "/nt_v2_tiny/model.safetensors", std::ios::binary);
  std::string st((std::istreambuf_iterator<char>(st_in)), std::istreambuf_iterator<char>());
  std::ofstream(short_st, std::ios::binary) << st.substr(0, st.size() - 1000);
  EXPECT_NE(error_of([&] { Checkpoint::load_safetensors(short_st); }).find("outside the file"), std::string::npos);
  fs::remove_all(dir);
}

// A safetensors file with the given header and `data_bytes` zero bytes of data.
std::string safetensors_with_header(const fs::path& path, const std::string& header, std::size_t data_bytes) {
  std::ofstream out(path, std::ios::binary);
  std::uint64_t length = header.size();
  for (int i = 0; i < 8; ++i) out.put(static_cast<char>((length >> (8 * i)) & 0xff));
  out << header << std::string(data_bytes, '\0');
  return path.string();
}

TEST(Checkpoint, MalformedSafetensorsHeadersAreRefusedNamingFileAndTensor) {
  fs::path dir = fs::fresh_dir("oncolm_bad_header");
  auto error = [&](const std::string& header) {
    std::string file = safetensors_with_header(dir / "bad.safetensors", header, 16);
    std::string message = error_of([&] { Checkpoint::load_safetensors(file); });
    EXPECT_NE(message.find(file), std::string::npos) << message;
    EXPECT_NE(message.find("'w'"), std::string::npos) << message;
    return message;
  };
  // A negative offset would wrap to an address before the data (reading header bytes as weights).
  EXPECT_NE(error(R"({"w":{"dtype":"F32","shape":[1],"data_offsets":[-8,-4]}})").find("not a non-negative integer"),
            std::string::npos);
  // A negative shape whose product is positive would pass the byte count.
  EXPECT_NE(error(R"({"w":{"dtype":"F32","shape":[-1,-4],"data_offsets":[0,16]}})").find("shape holds -1"),
            std::string::npos);
  // An offset near 2^64 would wrap the bounds check.
  EXPECT_NE(error(R"({"w":{"dtype":"F32","shape":[1],"data_offsets":[0,9223372036854775807]}})").find("outside the file"),
            std::string::npos);
  // A shape whose byte count overflows 64 bits.
  EXPECT_NE(error(R"({"w":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,0]}})").find("do not hold"),
            std::string::npos);
  // Wrong types name the file and tensor instead of a bare JSON library message.
  EXPECT_NE(error(R"({"w":{"dtype":5,"shape":[1],"data_offsets":[0,4]}})").find("needs dtype"), std::string::npos);
  EXPECT_NE(error(R"({"w":{"dtype":"F32","data_offsets":[0,4]}})").find("needs dtype"), std::string::npos);
  EXPECT_NE(error(R"({"w":{"dtype":"F32","shape":1,"data_offsets":[0,4]}})").find("shape is not a list"),
            std::string::npos);
  // The well-formed entry of the same shape loads.
  std::string good = safetensors_with_header(dir / "good.safetensors", R"({"w":{"dtype":"F32","shape":[2,2],"data_offsets":[0,16]}})", 16);
  EXPECT_EQ(Checkpoint::load_safetensors(good).find("w")->numel(), 4);
  fs::remove_all(dir);
}

TEST(Unpickler, RefusesGlobalsAStateDictDoesNotNeed) {
  // protocol 2: GLOBAL os.system, then a string argument tuple and REDUCE, as an exploit would.
  std::string pickle = std::string("\x80\x02") + "cos\nsystem\nq\x00X\x02\x00\x00\x00ls\x85R.";
  std::string message = error_of([&] {
    unpickle_state_dict(reinterpret_cast<const std::byte*>(pickle.data()), pickle.size(), "evil.bin");
  });
  EXPECT_NE(message.find("'os.system'"), std::string::npos) << message;
  EXPECT_NE(message.find("refusing"), std::string::npos) << message;
  std::string unknown_opcode = std::string("\x80\x02") + "I42\n.";  // text INT: not a torch.save opcode
  EXPECT_NE(error_of([&] {
              unpickle_state_dict(reinterpret_cast<const std::byte*>(unknown_opcode.data()), unknown_opcode.size(), "x.bin");
            }).find("opcode 0x49"),
            std::string::npos);
  std::string not_dict = std::string("\x80\x02") + "K\x05.";
  EXPECT_NE(error_of([&] {
              unpickle_state_dict(reinterpret_cast<const std::byte*>(not_dict.data()), not_dict.size(), "x.bin");
            }).find("dict of tensors"),
            std::string::npos);
  std::string truncated = std::string("\x80\x02") + "}q\x00(X\x05\x00";
  EXPECT_NE(error_of([&] {
              unpickle_state_dict(reinterpret_cast<const std::byte*>(truncated.data()), truncated.size(), "x.bin");
            }).find("truncated"),
            std::string::npos);
}

TEST(Config, ReadsV1AndV2SwitchesAndRealShapes) {
  NtConfig v1 = NtConfig::load_dir(data_dir + "/nt_v1_tiny");
  EXPECT_EQ(v1.positions, PositionEncoding::absolute);
  EXPECT_EQ(v1.feed_forward, FeedForward::gelu);
  EXPECT_TRUE(v1.token_dropout);
  EXPECT_TRUE(v1.ffn_bias);
  EXPECT_EQ(v1.max_tokens, 1000);
  NtConfig v2 = NtConfig::load_dir(data_dir + "/nt_v2_tiny");
  EXPECT_EQ(v2.positions, PositionEncoding::rotary);
  EXPECT_EQ(v2.feed_forward, FeedForward::swiglu);
  EXPECT_FALSE(v2.ffn_bias);
  EXPECT_EQ(v2.max_tokens, 2048);
  std::ifstream in(data_dir + "/nt-v2-50m-multi-species.config.json");
  NtConfig real = NtConfig::from_json(nlohmann::json::parse(in), "nt-v2-50m config");
  EXPECT_EQ(real.hidden_size, 512);
  EXPECT_EQ(real.num_layers, 12);
  EXPECT_EQ(real.feed_forward, FeedForward::swiglu);
  // The real checkpoint holds 55,904,972 parameters: these plus the unused position table
  // (2050 x 512) and contact head (12 x 16 + 1).
  EXPECT_EQ(real.parameter_count(true) + 2050 * 512 + 193, 55904972);
  EXPECT_EQ(NtConfig::preset("nt-v2-50m").parameter_count(true), real.parameter_count(true));
  // docs/performance.md: v2-500m at T = 1000 is ~1.09 GFLOP/token.
  EXPECT_NEAR(NtConfig::preset("nt-v2-500m").forward_flops_per_token(1000) / 1e9, 1.09, 0.01);
  nlohmann::json bad = nlohmann::json::parse(R"({"hidden_size": 64, "num_hidden_layers": 2, "num_attention_heads": 4,
      "intermediate_size": 128, "vocab_size": 4107, "max_position_embeddings": 2050, "position_embedding_type": "alibi"})");
  EXPECT_NE(error_of([&] { NtConfig::from_json(bad, "cfg.json"); }).find("position_embedding_type 'alibi'"), std::string::npos);
}

// A hand-edited config with a value of the wrong type names the file and the key instead of
// surfacing nlohmann's bare type_error, and an integer beyond int is not narrowed into range.
TEST(Config, WrongTypesAndOutOfRangeValuesNameTheKey) {
  std::ifstream in(data_dir + "/nt-v2-50m-multi-species.config.json");
  const nlohmann::json real = nlohmann::json::parse(in);
  auto error_with = [&](const char* key, const nlohmann::json& value) {
    nlohmann::json edited = real;
    edited[key] = value;
    return error_of([&] { NtConfig::from_json(edited, "edited/config.json"); });
  };
  struct Case { const char* key; nlohmann::json value; };
  for (const Case& c : {Case{"pad_token_id", nullptr}, Case{"mask_token_id", "2"}, Case{"mask_token_id", -1},
                        Case{"token_dropout", 0}, Case{"add_bias_fnn", nullptr}, Case{"emb_layer_norm_before", "no"},
                        Case{"position_embedding_type", 3}, Case{"hidden_act", nullptr},
                        Case{"hidden_size", 4294967808LL}, Case{"num_hidden_layers", 2.5},
                        Case{"max_position_embeddings", 2}, Case{"pad_token_id", 5000},
                        Case{"mask_token_id", 4107}}) {
    std::string message = error_with(c.key, c.value);
    EXPECT_NE(message.find("edited/config.json"), std::string::npos) << c.key << ": " << message;
    EXPECT_NE(message.find(std::string("'") + c.key + "'"), std::string::npos) << c.key << ": " << message;
  }
  // Absent optional keys keep HF's defaults.
  nlohmann::json trimmed = real;
  for (const char* key : {"pad_token_id", "mask_token_id", "token_dropout", "emb_layer_norm_before"}) trimmed.erase(key);
  NtConfig defaults = NtConfig::from_json(trimmed, "trimmed/config.json");
  EXPECT_EQ(defaults.pad_token_id, 1);
  EXPECT_EQ(defaults.mask_token_id, 2);
  EXPECT_FALSE(defaults.token_dropout);
}
