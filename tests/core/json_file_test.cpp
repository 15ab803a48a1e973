// core/json_file: read_json_file parses a whole file, and every failure is an InputError naming it.
#include <fstream>
#include <string>

#include <gtest/gtest.h>

#include "../test_fs.h"

#include "core/error.h"
#include "core/json_file.h"

namespace fs = oncolm::test_fs;
using namespace oncolm;

namespace {

class JsonFileTest : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = fs::fresh_dir("oncolm_json_file_test"); }
  void TearDown() override { fs::remove_all(dir_); }

  std::string write(const std::string& name, const std::string& text) {
    std::string path = (dir_ / name).string();
    std::ofstream(path, std::ios::binary) << text;
    return path;
  }

  // The message of the InputError read_json_file throws for `path` ("" when it throws none).
  static std::string error_for(const std::string& path) {
    try {
      read_json_file(path);
    } catch (const InputError& error) {
      return error.what();
    }
    return "";
  }

  fs::path dir_;
};

}  // namespace

TEST_F(JsonFileTest, ReadsAConfigLikeAHuggingFaceConfigJson) {
  std::string path = write("config.json",
                           "{\n  \"hidden_size\": 512,\n  \"layer_norm_eps\": 1e-12,\n  \"add_bias_fnn\": false,\n"
                           "  \"architectures\": [\"EsmForMaskedLM\"],\n  \"name\": \"nt-v2\"\n}\n");
  nlohmann::json json = read_json_file(path);
  ASSERT_TRUE(json.is_object());
  EXPECT_EQ(json.at("hidden_size").get<int>(), 512);
  EXPECT_DOUBLE_EQ(json.at("layer_norm_eps").get<double>(), 1e-12);
  EXPECT_FALSE(json.at("add_bias_fnn").get<bool>());
  EXPECT_EQ(json.at("architectures").at(0).get<std::string>(), "EsmForMaskedLM");
  EXPECT_EQ(json.at("name").get<std::string>(), "nt-v2");
}

TEST_F(JsonFileTest, ReadsAnyJsonValueAndUtf8) {
  EXPECT_EQ(read_json_file(write("array.json", "[1, 2, 3]")), nlohmann::json::array({1, 2, 3}));
  EXPECT_EQ(read_json_file(write("crlf.json", "{\"a\": 1}\r\n")), (nlohmann::json{{"a", 1}}));
  EXPECT_EQ(read_json_file(write("utf8.json", "{\"organ\": \"g\xC3\xA9n\xC3\xA9tique\"}")).at("organ"),
            "g\xC3\xA9n\xC3\xA9tique");
}

TEST_F(JsonFileTest, MissingFileNamesIt) {
  std::string path = (dir_ / "absent.json").string();
  EXPECT_EQ(error_for(path), path + ": cannot open file");
}

TEST_F(JsonFileTest, InvalidJsonNamesTheFileAndSaysWhy) {
  for (const char* text : {"{\"hidden_size\": 512,}", "", "{\"a\": 1} trailing", "{\"a\": "}) {
    std::string path = write("bad.json", text);
    std::string message = error_for(path);
    EXPECT_EQ(message.rfind(path + ": not valid JSON: ", 0), 0u) << "text '" << text << "': " << message;
    EXPECT_NE(message.find("parse error"), std::string::npos) << message;  // nlohmann's reason follows
  }
}
