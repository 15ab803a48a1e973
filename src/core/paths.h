// Path and directory helpers on POSIX calls instead of std::filesystem.
//
// Why: pip torch 2.x wheels export statically linked libstdc++ std::filesystem symbols built by an
// older GCC (pytorch/pytorch#133437); a program that links that libtorch and calls std::filesystem
// can bind to those incompatible copies and crash. Everything that may link LibTorch (core, model,
// tools and their tests) uses these helpers instead.
#pragma once
#include <string>
#include <vector>

namespace oncolm {

std::string path_join(const std::string& directory, const std::string& name);
std::string file_name(const std::string& path);        // last component ("a/b.fa" -> "b.fa")
std::string parent_directory(const std::string& path);  // "a/b.fa" -> "a", "b.fa" -> "."
// "a/./b/../c" -> "a/c" without touching the filesystem (as std::filesystem's lexically_normal).
std::string normalise_path(const std::string& path);
bool path_exists(const std::string& path);
bool is_directory(const std::string& path);
std::string absolute_path(const std::string& path);     // resolved when it exists, else cwd-joined
// Entries of a directory (names only, no . and ..), sorted; throws naming the directory.
std::vector<std::string> list_directory(const std::string& directory);
// mkdir -p; throws naming the path.
void make_directories(const std::string& path);
// rm -rf (for scratch directories); missing paths are fine.
void remove_tree(const std::string& path);
// Puts the finished directory `staged` in the place of `target` (same file system). Where the file
// system can exchange the two atomically (Linux renameat2) there is no moment without `target`;
// elsewhere the old one is removed first. Throws naming both.
void replace_directory(const std::string& staged, const std::string& target);
// A new empty directory under $TMPDIR (or /tmp) whose name starts with `prefix`.
std::string make_temp_directory(const std::string& prefix);

}  // namespace oncolm
