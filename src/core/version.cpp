#include "core/version.h"

#include <fmt/format.h>

#include "oncolm/build_info.h"
#include "oncolm/git_hash.h"

namespace oncolm {

std::string version_string() { return ONCOLM_VERSION; }
std::string git_hash() { return ONCOLM_GIT_HASH; }

std::string build_features() {
  auto yes_no = [](bool value) { return value ? "yes" : "no"; };
  return fmt::format("htslib={} torch={} cuda={}", yes_no(ONCOLM_WITH_HTSLIB),
                     yes_no(ONCOLM_WITH_TORCH), yes_no(ONCOLM_HAVE_CUDA_BUILD));
}

std::string version_text() {
  return fmt::format("oncolm {} (git {})\nfeatures: {}\n", version_string(), git_hash(),
                     build_features());
}

}  // namespace oncolm
