// Dense kernels for the estimators on raw row-major arrays: a float GEMM (the MLP) and the multinomial
// log-loss with its gradient (logistic regression). The estimators call them thousands of times on
// small matrices, where a LibTorch op's dispatch and autograd bookkeeping cost as much as the
// arithmetic; here there is none. Every call runs on the calling thread, so fits on different
// threads never share a pool.
#pragma once
#include <cstddef>

namespace oncolm::downstream {

// C (m x n) = alpha * op(A) op(B) + beta * C, all row-major; op(A) is m x k (A^T when trans_a, then A
// is k x m), op(B) is k x n. The CBLAS of the process (OpenBLAS, loaded with LibTorch) when it has
// one, else LibTorch's matmul. Callers keep BLAS on one thread (set_blas_threads) while fits run in
// parallel.
void gemm(bool trans_a, bool trans_b, std::size_t m, std::size_t n, std::size_t k, float alpha, const float* a,
          std::size_t lda, const float* b, std::size_t ldb, float beta, float* c, std::size_t ldc);

// Multinomial logistic regression's objective at weights w (d x m, row-major) and intercept b (m):
// sum_i -log softmax(x_i w + b)[y_i] / n + penalty * ||w||^2 for x (n x d, row-major) and classes
// y (0..m-1). Writes the gradient to grad_w (d x m) and grad_b (m). One pass over x, single-threaded,
// the same operations in the same order whatever the vector width.
double multinomial_loss_gradient(const double* x, std::size_t n, std::size_t d, const long* y, const double* w,
                                 const double* b, std::size_t m, double penalty, double* grad_w, double* grad_b);

}  // namespace oncolm::downstream
