// Thin RAII owners for htslib handles: each htslib object has exactly one owner, and its htslib
// destructor runs however the scope is left (exceptions included). Nothing here hides htslib's
// API; call .get() and use htslib functions directly.
#pragma once
#include <memory>
#include <string>

#include <htslib/bgzf.h>
#include <htslib/faidx.h>
#include <htslib/hts.h>
#include <htslib/kstring.h>
#include <htslib/thread_pool.h>
#include <htslib/vcf.h>

namespace oncolm::genome {

struct HtsFileCloser { void operator()(htsFile* file) const { if (file) hts_close(file); } };
struct BcfHeaderFree { void operator()(bcf_hdr_t* header) const { if (header) bcf_hdr_destroy(header); } };
struct BcfRecordFree { void operator()(bcf1_t* record) const { if (record) bcf_destroy(record); } };
struct FaidxFree { void operator()(faidx_t* index) const { if (index) fai_destroy(index); } };
// Only for error paths: a BGZF that is written successfully is closed explicitly so that the
// return value of bgzf_close (the final flush) can be checked.
struct BgzfCloser { void operator()(BGZF* file) const { if (file) bgzf_close(file); } };
struct ThreadPoolFree {
  void operator()(hts_tpool* pool) const { if (pool) hts_tpool_destroy(pool); }
};

using HtsFilePtr = std::unique_ptr<htsFile, HtsFileCloser>;
using BcfHeaderPtr = std::unique_ptr<bcf_hdr_t, BcfHeaderFree>;
using BcfRecordPtr = std::unique_ptr<bcf1_t, BcfRecordFree>;
using FaidxPtr = std::unique_ptr<faidx_t, FaidxFree>;
using BgzfPtr = std::unique_ptr<BGZF, BgzfCloser>;
using ThreadPoolPtr = std::unique_ptr<hts_tpool, ThreadPoolFree>;

// kstring_t with a destructor.
class KString {
 public:
  KString() = default;
  ~KString() { ks_free(&value_); }
  KString(const KString&) = delete;
  KString& operator=(const KString&) = delete;
  kstring_t* get() { return &value_; }
  const char* c_str() const { return value_.s ? value_.s : ""; }
  size_t size() const { return value_.l; }

 private:
  kstring_t value_ = KS_INITIALIZE;
};

// Returns 1 when the file is BGZF with an end-of-file marker, 0 when it is BGZF without one
// (truncated), and -1 when it is not BGZF (plain text, or gzip that is not blocked).
int bgzf_eof_state(const std::string& path);

}  // namespace oncolm::genome
