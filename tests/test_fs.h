// The few std::filesystem calls the core/model tests use, on POSIX calls (core/paths.h), under the
// same names: `namespace fs = oncolm::test_fs;`. Tests of code that may link a pip torch wheel must
// not call std::filesystem (see core/paths.h for why).
#pragma once
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <stdexcept>
#include <fstream>
#include <ostream>
#include <string>
#include <vector>

#include "core/paths.h"

namespace oncolm::test_fs {

class path {
 public:
  path() = default;
  path(std::string value) : value_(std::move(value)) {}  // NOLINT: implicit, as std::filesystem::path
  path(const char* value) : value_(value) {}             // NOLINT
  path operator/(const path& name) const { return path(path_join(value_, name.value_)); }
  const std::string& string() const { return value_; }
  operator const std::string&() const { return value_; }  // NOLINT: for fstreams and std::string APIs
  path filename() const { return path(file_name(value_)); }
  const char* c_str() const { return value_.c_str(); }

 private:
  std::string value_;
};

inline std::ostream& operator<<(std::ostream& out, const path& p) { return out << '"' << p.string() << '"'; }

inline path temp_directory_path() {
  const char* tmp = std::getenv("TMPDIR");
  return path(tmp && *tmp ? tmp : "/tmp");
}
inline bool exists(const path& p) { return path_exists(p); }
inline bool is_empty(const path& p) { return list_directory(p).empty(); }
inline void create_directories(const path& p) { make_directories(p); }
inline void remove_all(const path& p) { remove_tree(p); }
inline bool remove(const path& p) { return std::remove(p.c_str()) == 0; }
inline void copy_file(const path& from, const path& to) {
  std::ifstream in(from.string(), std::ios::binary);
  std::ofstream out(to.string(), std::ios::binary);
  out << in.rdbuf();
  if (!in || !out) throw std::runtime_error("cannot copy " + from.string() + " to " + to.string());
}

struct directory_entry {
  test_fs::path entry_path;
  const test_fs::path& path() const { return entry_path; }
};
inline std::vector<directory_entry> directory_iterator(const path& directory) {
  std::vector<directory_entry> entries;
  for (const auto& name : list_directory(directory)) entries.push_back({directory / name});
  return entries;
}

// An empty scratch directory under the temporary directory (emptied if it exists).
// A new, empty directory for one test. The process id keeps tests that ctest runs in parallel (each
// in its own process) out of each other's directories.
inline path fresh_dir(const std::string& name) {
  path dir = temp_directory_path() / (name + "_" + std::to_string(::getpid()));
  remove_all(dir);
  create_directories(dir);
  return dir;
}

}  // namespace oncolm::test_fs
