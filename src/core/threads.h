// Thread counts are set explicitly: Debian's libtorch defaults to one intra-op thread, and OpenBLAS
// starts its own pool; left alone they either idle cores or oversubscribe them.
#pragma once

#include <cstddef>
#include <functional>

namespace oncolm {

// Resolves a user --threads value: 0 means all online cores.
int resolve_thread_count(int requested);

// Pins OpenBLAS (if loaded) to one thread per call site that already runs in parallel. LibTorch's
// intra-op pool is set by the model library (it owns torch headers).
void set_blas_threads(int threads);

// Calls run(i) for i in [0, n) on `threads` threads (this one included), each taking the next index
// as it finishes the last. A failure does not stop the others; once all have stopped, the failure of
// the lowest index is rethrown, so the error reported does not depend on the thread count.
void parallel_for_each(std::size_t n, int threads, const std::function<void(std::size_t)>& run);

}  // namespace oncolm
