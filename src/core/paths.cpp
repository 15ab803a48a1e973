#include "core/paths.h"

#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <stdexcept>

#include <fmt/format.h>

namespace oncolm {

std::string path_join(const std::string& directory, const std::string& name) {
  if (directory.empty() || (!name.empty() && name[0] == '/')) return name;
  return directory.back() == '/' ? directory + name : directory + "/" + name;
}

std::string file_name(const std::string& path) {
  std::string trimmed = path;
  while (trimmed.size() > 1 && trimmed.back() == '/') trimmed.pop_back();
  std::size_t slash = trimmed.rfind('/');
  return slash == std::string::npos ? trimmed : trimmed.substr(slash + 1);
}

std::string parent_directory(const std::string& given) {
  std::string path = given;
  while (path.size() > 1 && path.back() == '/') path.pop_back();  // "dir/" is "dir"
  std::size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

std::string normalise_path(const std::string& path) {
  std::vector<std::string> parts;
  std::size_t from = 0;
  while (from <= path.size()) {
    std::size_t slash = path.find('/', from);
    std::string part = path.substr(from, slash == std::string::npos ? std::string::npos : slash - from);
    if (part == "..") {
      if (!parts.empty() && parts.back() != "..") parts.pop_back();
      else if (path[0] != '/') parts.push_back(part);  // above a relative start: kept
    } else if (!part.empty() && part != ".") {
      parts.push_back(part);
    }
    if (slash == std::string::npos) break;
    from = slash + 1;
  }
  std::string joined = path.size() > 0 && path[0] == '/' ? "/" : "";
  for (std::size_t i = 0; i < parts.size(); ++i) joined += (i ? "/" : "") + parts[i];
  return joined.empty() ? "." : joined;
}

bool path_exists(const std::string& path) {
  struct stat info;
  return ::stat(path.c_str(), &info) == 0;
}

bool is_directory(const std::string& path) {
  struct stat info;
  return ::stat(path.c_str(), &info) == 0 && S_ISDIR(info.st_mode);
}

std::string absolute_path(const std::string& path) {
  char resolved[PATH_MAX];
  if (::realpath(path.c_str(), resolved)) return resolved;
  if (!path.empty() && path[0] == '/') return path;
  char cwd[PATH_MAX];
  return ::getcwd(cwd, sizeof cwd) ? path_join(cwd, path) : path;
}

std::vector<std::string> list_directory(const std::string& directory) {
  DIR* handle = ::opendir(directory.c_str());
  if (!handle) throw std::runtime_error(fmt::format("cannot list directory {}: {}", directory, std::strerror(errno)));
  std::vector<std::string> names;
  while (const dirent* entry = ::readdir(handle)) {
    std::string name = entry->d_name;
    if (name != "." && name != "..") names.push_back(name);
  }
  ::closedir(handle);
  std::sort(names.begin(), names.end());
  return names;
}

void make_directories(const std::string& path) {
  std::string partial;
  std::size_t at = 0;
  while (at != std::string::npos) {
    at = path.find('/', at + 1);
    partial = path.substr(0, at);
    if (partial.empty() || is_directory(partial)) continue;
    if (::mkdir(partial.c_str(), 0777) != 0 && errno != EEXIST)
      throw std::runtime_error(fmt::format("cannot create directory {}: {}", partial, std::strerror(errno)));
  }
  if (!is_directory(path)) throw std::runtime_error(fmt::format("cannot create directory {}", path));
}

void remove_tree(const std::string& path) {
  if (!path_exists(path)) return;
  auto remove_entry = [](const char* entry, const struct stat*, int, struct FTW*) { return ::remove(entry); };
  ::nftw(path.c_str(), remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

void replace_directory(const std::string& staged, const std::string& target) {
#ifdef RENAME_EXCHANGE
  if (path_exists(target) && ::renameat2(AT_FDCWD, staged.c_str(), AT_FDCWD, target.c_str(), RENAME_EXCHANGE) == 0) {
    remove_tree(staged);  // now the old directory
    return;
  }
#endif
  remove_tree(target);
  if (std::rename(staged.c_str(), target.c_str()) != 0)
    throw std::runtime_error(fmt::format("cannot rename {} to {}: {}", staged, target, std::strerror(errno)));
}

std::string make_temp_directory(const std::string& prefix) {
  const char* tmp = std::getenv("TMPDIR");
  std::string pattern = path_join(tmp && *tmp ? tmp : "/tmp", prefix + "XXXXXX");
  if (!::mkdtemp(pattern.data()))
    throw std::runtime_error(fmt::format("cannot create a temporary directory {}: {}", pattern, std::strerror(errno)));
  return pattern;
}

}  // namespace oncolm
