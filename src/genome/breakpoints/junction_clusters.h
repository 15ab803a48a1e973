// Junction embeddings and their clustering, for `oncolm breakpoints --embeddings EMBED_DIR`: the ALT
// (junction) window rows of `oncolm embed`'s `<safe_id>.sv.emb.npy` are projected on their first
// principal components and clustered by k-means on those scores. Standard library only (the
// embeddings come as files, so this builds without LibTorch).
//
// PCA: rows centred per column; the top components by orthogonal (block power) iteration on X^T X
// from a seeded start, iterated until the subspace stops moving (or 300 rounds); each axis signed
// so that its largest-magnitude loading is positive. explained_variance_ratio = the axis' variance
// of the scores / the total variance of the centred rows.
// k-means: Lloyd's algorithm on the PC scores, k-means++ starts from a seeded generator, `restarts`
// runs, the one with the lowest inertia (sum of squared distances to the assigned centroid) kept;
// clusters are then numbered by decreasing size (ties: first member's row), so labels are stable.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace oncolm::genome::breakpoints {

// A 2-D float32/float16 little-endian C-order .npy (as `oncolm embed` writes), as float32.
struct NpyMatrix {
  std::int64_t rows = 0, columns = 0;
  std::vector<float> values;  // row-major
};
// Throws InputError naming the file for anything else (magic, dtype, order, shape, short data).
NpyMatrix read_npy(const std::string& path);

struct Pca {
  std::vector<std::vector<double>> scores;  // rows x components
  std::vector<std::vector<double>> axes;    // components x columns, unit length
  std::vector<double> explained_variance_ratio;
};
// rows: n x d; components <= min(n - 1, d) (the caller checks).
Pca principal_components(const std::vector<std::vector<double>>& rows, int components, unsigned seed);

struct KMeans {
  std::vector<int> labels;                     // per point, 0-based, 0 = the largest cluster
  std::vector<std::vector<double>> centroids;  // in label order
  std::vector<std::int64_t> sizes;
  double inertia = 0;
};
// 1 <= k <= points (the caller checks).
KMeans kmeans(const std::vector<std::vector<double>>& points, int k, unsigned seed, int restarts);

}  // namespace oncolm::genome::breakpoints
