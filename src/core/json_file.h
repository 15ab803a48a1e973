// A JSON file read whole, with errors that name the file (missing, unreadable, not JSON).
#pragma once
#include <string>

#include <nlohmann/json.hpp>

namespace oncolm {

nlohmann::json read_json_file(const std::string& path);

}  // namespace oncolm
