#include "core/atomic_file.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <stdexcept>

#include <fmt/format.h>

namespace oncolm {

AtomicFile::AtomicFile(std::string final_path) : final_path_(std::move(final_path)) {
  // The rename would replace whatever has the name: a device (-o /dev/stdout), a FIFO or a symbolic
  // link would become a plain file. Only a plain file is replaced.
  struct stat existing {};
  if (::lstat(final_path_.c_str(), &existing) == 0 && !S_ISREG(existing.st_mode))
    throw std::runtime_error(fmt::format("{} exists and is not a plain file ({}): give the name of a file to write",
                                         final_path_,
                                         S_ISDIR(existing.st_mode)   ? "a directory"
                                         : S_ISLNK(existing.st_mode) ? "a symbolic link"
                                                                     : "a device, FIFO or socket"));
  // The pid keeps concurrent runs (e.g. workflow retries) from sharing a temporary name.
  temp_path_ = fmt::format("{}.tmp.{}", final_path_, static_cast<long>(::getpid()));
}

AtomicFile::~AtomicFile() {
  if (!committed_) std::remove(temp_path_.c_str());
}

void AtomicFile::commit() {
  if (std::rename(temp_path_.c_str(), final_path_.c_str()) != 0)
    throw std::runtime_error(fmt::format("cannot rename {} to {}: {}", temp_path_, final_path_,
                                         std::strerror(errno)));
  committed_ = true;
}

void write_file_atomically(const std::string& path, const std::string& contents) {
  AtomicFile file(path);
  {
    std::ofstream out(file.temp_path(), std::ios::binary);
    out << contents;
    out.close();
    if (!out) throw std::runtime_error(fmt::format("cannot write {}", file.temp_path()));
  }
  file.commit();
}


}  // namespace oncolm
