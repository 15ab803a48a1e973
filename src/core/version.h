// What this binary is: version, git hash and build features, for --version and for provenance
// records written next to every output.
#pragma once
#include <string>

namespace oncolm {

std::string version_string();   // "0.1.0"
std::string git_hash();         // short hash of the source tree at configure time
std::string build_features();   // "htslib=yes torch=yes cuda=no"
std::string version_text();     // all of the above, for `oncolm --version`

}  // namespace oncolm
