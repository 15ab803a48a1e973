// Thread counts are set explicitly: Debian's libtorch defaults to one intra-op thread, and OpenBLAS
// starts its own pool; left alone they either idle cores or oversubscribe them.
#pragma once

namespace oncolm {

// Resolves a user --threads value: 0 means all online cores.
int resolve_thread_count(int requested);

// Pins OpenBLAS (if loaded) to one thread per call site that already runs in parallel. LibTorch's
// intra-op pool is set by the model library (it owns torch headers).
void set_blas_threads(int threads);

}  // namespace oncolm
