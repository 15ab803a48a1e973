#include "downstream/dense.h"

#include <dlfcn.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <stdexcept>
#include <vector>

#include <ATen/ATen.h>

namespace oncolm::downstream {
namespace {

// CBLAS constants (cblas.h) and signatures; the functions are looked up at run time because the
// library comes with LibTorch, which links it, not with this project's link line.
constexpr int cblas_row_major = 101, cblas_no_trans = 111, cblas_trans = 112;
using Sgemm = void (*)(int, int, int, int, int, int, float, const float*, int, const float*, int, float, float*, int);

template <typename Fn>
Fn find_symbol(const char* name) {
  return reinterpret_cast<Fn>(::dlsym(RTLD_DEFAULT, name));
}

int blas_int(std::size_t value) {
  if (value > static_cast<std::size_t>(std::numeric_limits<int>::max()))
    throw std::length_error("matrix too large for BLAS");
  return static_cast<int>(value);
}

// LibTorch's matmul on the same memory: only where the process has no CBLAS (slower on the tiny
// matrices of a minibatch, the same arithmetic).
void torch_gemm(bool trans_a, bool trans_b, std::size_t m, std::size_t n, std::size_t k, float alpha, const float* a,
                std::size_t lda, const float* b, std::size_t ldb, float beta, float* c, std::size_t ldc) {
  auto view = [](const float* p, std::size_t rows, std::size_t cols, std::size_t ld, bool trans) {
    at::Tensor t = at::from_blob(const_cast<float*>(p), {static_cast<long>(trans ? cols : rows),
                                                         static_cast<long>(trans ? rows : cols)},
                                 {static_cast<long>(ld), 1}, at::TensorOptions().dtype(at::kFloat));
    return trans ? t.t() : t;
  };
  at::Tensor out = at::from_blob(c, {static_cast<long>(m), static_cast<long>(n)}, {static_cast<long>(ldc), 1},
                                 at::TensorOptions().dtype(at::kFloat));
  at::Tensor product = at::mm(view(a, m, k, lda, trans_a), view(b, k, n, ldb, trans_b));
  if (beta == 0.0f) out.copy_(product.mul_(alpha));
  else out.mul_(beta).add_(product, alpha);
}

}  // namespace

void gemm(bool trans_a, bool trans_b, std::size_t m, std::size_t n, std::size_t k, float alpha, const float* a,
          std::size_t lda, const float* b, std::size_t ldb, float beta, float* c, std::size_t ldc) {
  static const Sgemm sgemm = find_symbol<Sgemm>("cblas_sgemm");
  if (m == 0 || n == 0) return;
  if (sgemm == nullptr) return torch_gemm(trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
  sgemm(cblas_row_major, trans_a ? cblas_trans : cblas_no_trans, trans_b ? cblas_trans : cblas_no_trans, blas_int(m),
        blas_int(n), blas_int(k), alpha, a, blas_int(lda), b, blas_int(ldb), beta, c, blas_int(ldc));
}

namespace {

// Rows of x processed together: each pass over a class's weights serves four samples.
constexpr std::size_t block_rows = 4;  // block_logits and block_gradient spell out four
// Eight doubles, lowered to whatever vector units the clone below targets (one AVX-512 register,
// two AVX2 ones, four SSE2 ones). Every clone does the same operations in the same order, without
// contracting to FMA, so the clones agree to the bit. The four rows are spelled out so that
// their accumulators stay in registers.
typedef double Lanes __attribute__((vector_size(64)));
constexpr std::size_t lanes = 8;

// One clone per vector width on x86-64 (GCC picks one at load time); elsewhere the default only.
#if defined(__x86_64__)
#define ONCOLM_LANE_KERNEL __attribute__((target_clones("avx512f", "avx2", "default"), optimize("fp-contract=off")))
#else
#define ONCOLM_LANE_KERNEL __attribute__((optimize("fp-contract=off")))
#endif

// By reference: a 64-byte vector passed by value would change the ABI between the clones.
inline __attribute__((always_inline)) void load(const double* p, Lanes& v) { std::memcpy(&v, p, sizeof v); }
inline __attribute__((always_inline)) double lane_sum(const Lanes& v) {
  return ((v[0] + v[1]) + (v[2] + v[3])) + ((v[4] + v[5]) + (v[6] + v[7]));
}

// z[r * m + c] = b[c] + x_r . wt_c for the block_rows rows x_r (wt: classes x d, the transposed
// weights). Each dot product sums lane-wise partial sums, then the lanes in a fixed order.
ONCOLM_LANE_KERNEL void block_logits(
    const double* const* x, std::size_t d, const double* wt, const double* b, std::size_t m, double* z) {
  const double *x0 = x[0], *x1 = x[1], *x2 = x[2], *x3 = x[3];
  for (std::size_t c = 0; c < m; ++c) {
    const double* w = wt + c * d;
    Lanes a0 = {}, a1 = {}, a2 = {}, a3 = {};
    std::size_t j = 0;
    for (; j + lanes <= d; j += lanes) {
      Lanes wv, v0, v1, v2, v3;
      load(w + j, wv);
      load(x0 + j, v0);
      load(x1 + j, v1);
      load(x2 + j, v2);
      load(x3 + j, v3);
      a0 += v0 * wv;
      a1 += v1 * wv;
      a2 += v2 * wv;
      a3 += v3 * wv;
    }
    double t0 = 0, t1 = 0, t2 = 0, t3 = 0;
    for (; j < d; ++j) {
      t0 += x0[j] * w[j];
      t1 += x1[j] * w[j];
      t2 += x2[j] * w[j];
      t3 += x3[j] * w[j];
    }
    z[0 * m + c] = b[c] + (lane_sum(a0) + t0);
    z[1 * m + c] = b[c] + (lane_sum(a1) + t1);
    z[2 * m + c] = b[c] + (lane_sum(a2) + t2);
    z[3 * m + c] = b[c] + (lane_sum(a3) + t3);
  }
}

// gt_c += sum_r residual[r * m + c] * x_r for every class c (gt: classes x d).
ONCOLM_LANE_KERNEL void block_gradient(
    const double* const* x, std::size_t d, const double* residual, std::size_t m, double* gt) {
  const double *x0 = x[0], *x1 = x[1], *x2 = x[2], *x3 = x[3];
  for (std::size_t c = 0; c < m; ++c) {
    double* g = gt + c * d;
    double r0 = residual[c], r1 = residual[m + c], r2 = residual[2 * m + c], r3 = residual[3 * m + c];
    std::size_t j = 0;
    for (; j + lanes <= d; j += lanes) {
      Lanes gv, v0, v1, v2, v3;
      load(g + j, gv);
      load(x0 + j, v0);
      load(x1 + j, v1);
      load(x2 + j, v2);
      load(x3 + j, v3);
      gv += ((v0 * r0 + v1 * r1) + v2 * r2) + v3 * r3;
      std::memcpy(g + j, &gv, sizeof gv);
    }
    for (; j < d; ++j) g[j] += ((x0[j] * r0 + x1[j] * r1) + x2[j] * r2) + x3[j] * r3;
  }
}

// A row of logits becomes (softmax - one-hot) / n; returns its log-loss.
double residual_row(double* z, std::size_t m, long label, double inv_n) {
  double top = *std::max_element(z, z + m), sum = 0;
  for (std::size_t c = 0; c < m; ++c) sum += std::exp(z[c] - top);
  double log_norm = top + std::log(sum);
  double loss = log_norm - z[static_cast<std::size_t>(label)];
  for (std::size_t c = 0; c < m; ++c)
    z[c] = (std::exp(z[c] - log_norm) - (static_cast<long>(c) == label ? 1.0 : 0.0)) * inv_n;
  return loss;
}

}  // namespace

// One pass over x: each block of rows gives its logits, residuals and gradient contribution while
// it is in cache (two GEMMs would read x twice, and BLAS copies it into packed panels each time,
// which cost more than the arithmetic with so few classes).
double multinomial_loss_gradient(const double* x, std::size_t n, std::size_t d, const long* y, const double* w,
                                 const double* b, std::size_t m, double penalty, double* grad_w, double* grad_b) {
  std::vector<double> wt(m * d), gt(m * d, 0.0), z(block_rows * m);
  for (std::size_t j = 0; j < d; ++j)
    for (std::size_t c = 0; c < m; ++c) wt[c * d + j] = w[j * m + c];
  double loss = 0, inv_n = 1.0 / static_cast<double>(n);
  std::fill(grad_b, grad_b + m, 0.0);
  for (std::size_t start = 0; start < n; start += block_rows) {
    std::size_t rows = std::min(block_rows, n - start);
    const double* block[block_rows];
    for (std::size_t r = 0; r < block_rows; ++r) block[r] = x + (start + std::min(r, rows - 1)) * d;
    block_logits(block, d, wt.data(), b, m, z.data());
    for (std::size_t r = 0; r < rows; ++r) {
      double* row = z.data() + r * m;
      loss += residual_row(row, m, y[start + r], inv_n);
      for (std::size_t c = 0; c < m; ++c) grad_b[c] += row[c];
    }
    std::fill(z.begin() + static_cast<long>(rows * m), z.end(), 0.0);  // repeated rows past n add nothing
    block_gradient(block, d, z.data(), m, gt.data());
  }
  double squares = 0;
  for (std::size_t j = 0; j < d; ++j)
    for (std::size_t c = 0; c < m; ++c) {
      double wjc = w[j * m + c];
      squares += wjc * wjc;
      grad_w[j * m + c] = gt[c * d + j] + 2 * penalty * wjc;
    }
  return loss * inv_n + penalty * squares;
}

}  // namespace oncolm::downstream
