#include "core/atomic_file.h"

#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <stdexcept>

#include <fmt/format.h>

namespace oncolm {
namespace {

// Temporary paths the signal handler removes. Fixed buffers, never freed, so that the handler only
// reads memory that stays valid; a slot is usable by the handler while its state is `active`.
constexpr int temporary_slots = 256;
constexpr std::size_t longest_path = 4096;
enum SlotState : int { free_slot = 0, claimed = 1, active = 2 };
std::atomic<int> slot_states[temporary_slots];
char slot_paths[temporary_slots][longest_path];

int remember_temporary(const std::string& path) {
  if (path.size() >= longest_path) return -1;
  for (int slot = 0; slot < temporary_slots; ++slot) {
    int expected = free_slot;
    if (!slot_states[slot].compare_exchange_strong(expected, claimed)) continue;
    std::memcpy(slot_paths[slot], path.c_str(), path.size() + 1);
    slot_states[slot].store(active);
    return slot;
  }
  return -1;  // more files open at once than slots: this one is left to the destructor alone
}

extern "C" void remove_temporaries_and_reraise(int signal_number) {
  for (int slot = 0; slot < temporary_slots; ++slot)
    if (slot_states[slot].load() == active) ::unlink(slot_paths[slot]);  // async-signal-safe
  std::signal(signal_number, SIG_DFL);
  std::raise(signal_number);
}

}  // namespace

void remove_temporary_files_on_signal() {
  for (int signal_number : {SIGINT, SIGTERM, SIGHUP}) std::signal(signal_number, remove_temporaries_and_reraise);
}

void AtomicFile::forget_temporary() {
  if (slot_ < 0) return;
  slot_states[slot_].store(claimed);  // the handler no longer reads it
  slot_states[slot_].store(free_slot);
  slot_ = -1;
}

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
  slot_ = remember_temporary(temp_path_);
}

AtomicFile::~AtomicFile() {
  forget_temporary();
  if (!committed_) std::remove(temp_path_.c_str());
}

void AtomicFile::commit() {
  forget_temporary();  // from here the temporary name may already be the final file
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
