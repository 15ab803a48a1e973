#include "core/json_file.h"

#include <fstream>

#include "core/error.h"

namespace oncolm {

nlohmann::json read_json_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw input_error(path, 0, "cannot open file");
  try {
    return nlohmann::json::parse(in);
  } catch (const nlohmann::json::parse_error& error) {
    throw input_error(path, 0, "not valid JSON: {}", error.what());
  }
}

}  // namespace oncolm
