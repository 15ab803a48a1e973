#include "genome/breakpoints/junction_clusters.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <fstream>
#include <limits>
#include <numeric>
#include <random>
#include <regex>

#include "core/error.h"

namespace oncolm::genome::breakpoints {
namespace {

using Matrix = std::vector<std::vector<double>>;

float half_to_float(std::uint16_t half) {
  std::uint32_t sign = (half & 0x8000u) << 16;
  std::uint32_t exponent = (half >> 10) & 0x1f;
  std::uint32_t mantissa = half & 0x3ffu;
  std::uint32_t bits;
  if (exponent == 0) {
    if (mantissa == 0) {
      bits = sign;
    } else {  // subnormal: normalise
      exponent = 127 - 15 + 1;
      while (!(mantissa & 0x400u)) {
        mantissa <<= 1;
        --exponent;
      }
      bits = sign | (exponent << 23) | ((mantissa & 0x3ffu) << 13);
    }
  } else if (exponent == 31) {
    bits = sign | 0x7f800000u | (mantissa << 13);
  } else {
    bits = sign | ((exponent + 127 - 15) << 23) | (mantissa << 13);
  }
  float value;
  std::memcpy(&value, &bits, sizeof value);
  return value;
}

double dot(const std::vector<double>& a, const std::vector<double>& b) {
  double sum = 0;
  for (std::size_t i = 0; i < a.size(); ++i) sum += a[i] * b[i];
  return sum;
}

double squared_distance(const std::vector<double>& a, const std::vector<double>& b) {
  double sum = 0;
  for (std::size_t i = 0; i < a.size(); ++i) sum += (a[i] - b[i]) * (a[i] - b[i]);
  return sum;
}

// Gram-Schmidt on the rows of `vectors` (twice, for stability); a vector that vanishes is replaced
// by a fresh random one.
void orthonormalise(Matrix& vectors, std::mt19937& rng) {
  std::normal_distribution<double> normal;
  for (std::size_t i = 0; i < vectors.size(); ++i) {
    for (int attempt = 0; attempt < 8; ++attempt) {
      for (int pass = 0; pass < 2; ++pass)
        for (std::size_t j = 0; j < i; ++j) {
          double projection = dot(vectors[i], vectors[j]);
          for (std::size_t c = 0; c < vectors[i].size(); ++c) vectors[i][c] -= projection * vectors[j][c];
        }
      double norm = std::sqrt(dot(vectors[i], vectors[i]));
      if (norm > 1e-12) {
        for (double& value : vectors[i]) value /= norm;
        break;
      }
      for (double& value : vectors[i]) value = normal(rng);
    }
  }
}

}  // namespace

NpyMatrix read_npy(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw input_error(path, 0, "cannot read .npy file (missing or unreadable)");
  char magic[8] = {};
  in.read(magic, 8);
  if (!in || std::memcmp(magic, "\x93NUMPY", 6) != 0) throw input_error(path, 0, "not a .npy file");
  std::uint32_t header_length = 0;
  unsigned char bytes[4] = {};
  if (magic[6] == 1) {
    in.read(reinterpret_cast<char*>(bytes), 2);
    header_length = bytes[0] | (bytes[1] << 8);
  } else {
    in.read(reinterpret_cast<char*>(bytes), 4);
    header_length = bytes[0] | (bytes[1] << 8) | (bytes[2] << 16) | (static_cast<std::uint32_t>(bytes[3]) << 24);
  }
  std::string header(header_length, '\0');
  in.read(header.data(), header_length);
  if (!in) throw input_error(path, 0, "truncated .npy header");
  std::smatch descr, shape;
  bool fortran = header.find("'fortran_order': True") != std::string::npos;
  if (!std::regex_search(header, descr, std::regex("'descr': *'<(f4|f2)'")) || fortran ||
      !std::regex_search(header, shape, std::regex(R"('shape': *\((\d+), *(\d+)\))")))
    throw input_error(path, 0, "expected a 2-D little-endian float32/float16 C-order array, header is {}", header);
  NpyMatrix matrix;
  matrix.rows = std::stoll(shape[1]);
  matrix.columns = std::stoll(shape[2]);
  std::size_t count = static_cast<std::size_t>(matrix.rows * matrix.columns);
  matrix.values.resize(count);
  if (descr[1] == "f4") {
    in.read(reinterpret_cast<char*>(matrix.values.data()), static_cast<std::streamsize>(count * sizeof(float)));
  } else {
    std::vector<std::uint16_t> halves(count);
    in.read(reinterpret_cast<char*>(halves.data()), static_cast<std::streamsize>(count * sizeof(std::uint16_t)));
    for (std::size_t i = 0; i < count; ++i) matrix.values[i] = half_to_float(halves[i]);
  }
  if (!in) throw input_error(path, 0, "holds fewer values than its shape ({} x {}) says", matrix.rows, matrix.columns);
  return matrix;
}

Pca principal_components(const Matrix& rows, int components, unsigned seed) {
  const std::size_t n = rows.size(), d = rows.empty() ? 0 : rows[0].size();
  Matrix centred = rows;
  std::vector<double> mean(d, 0.0);
  for (const auto& row : rows)
    for (std::size_t c = 0; c < d; ++c) mean[c] += row[c] / static_cast<double>(n);
  double total_variance = 0;
  for (auto& row : centred)
    for (std::size_t c = 0; c < d; ++c) {
      row[c] -= mean[c];
      total_variance += row[c] * row[c];
    }
  std::mt19937 rng(seed);
  std::normal_distribution<double> normal;
  Matrix axes(static_cast<std::size_t>(components), std::vector<double>(d));
  for (auto& axis : axes)
    for (double& value : axis) value = normal(rng);
  orthonormalise(axes, rng);
  std::vector<double> projected(n);
  for (int round = 0; round < 300; ++round) {
    Matrix next(axes.size(), std::vector<double>(d, 0.0));
    for (std::size_t a = 0; a < axes.size(); ++a) {  // next = X^T X axis
      for (std::size_t r = 0; r < n; ++r) projected[r] = dot(centred[r], axes[a]);
      for (std::size_t r = 0; r < n; ++r)
        for (std::size_t c = 0; c < d; ++c) next[a][c] += projected[r] * centred[r][c];
    }
    orthonormalise(next, rng);
    double moved = 0;
    for (std::size_t a = 0; a < axes.size(); ++a) moved = std::max(moved, 1.0 - std::fabs(dot(next[a], axes[a])));
    axes = std::move(next);
    if (moved < 1e-12) break;
  }
  Pca pca;
  for (auto& axis : axes) {
    std::size_t largest = 0;
    for (std::size_t c = 0; c < d; ++c)
      if (std::fabs(axis[c]) > std::fabs(axis[largest])) largest = c;
    if (axis[largest] < 0)
      for (double& value : axis) value = -value;
  }
  pca.scores.assign(n, std::vector<double>(axes.size()));
  for (std::size_t a = 0; a < axes.size(); ++a) {
    double variance = 0;
    for (std::size_t r = 0; r < n; ++r) {
      pca.scores[r][a] = dot(centred[r], axes[a]);
      variance += pca.scores[r][a] * pca.scores[r][a];
    }
    pca.explained_variance_ratio.push_back(total_variance > 0 ? variance / total_variance : 0.0);
  }
  pca.axes = std::move(axes);
  return pca;
}

KMeans kmeans(const Matrix& points, int k, unsigned seed, int restarts) {
  const std::size_t n = points.size();
  std::mt19937 rng(seed);
  KMeans best;
  best.inertia = std::numeric_limits<double>::infinity();
  for (int run = 0; run < std::max(1, restarts); ++run) {
    // k-means++: the first centre uniformly, each next with probability proportional to D^2.
    Matrix centroids;
    centroids.push_back(points[std::uniform_int_distribution<std::size_t>(0, n - 1)(rng)]);
    std::vector<double> nearest(n);
    while (centroids.size() < static_cast<std::size_t>(k)) {
      double sum = 0;
      for (std::size_t i = 0; i < n; ++i) {
        nearest[i] = std::numeric_limits<double>::infinity();
        for (const auto& centre : centroids) nearest[i] = std::min(nearest[i], squared_distance(points[i], centre));
        sum += nearest[i];
      }
      std::size_t pick = 0;
      if (sum > 0) {
        double target = std::uniform_real_distribution<double>(0, sum)(rng);
        while (pick + 1 < n && target >= nearest[pick]) target -= nearest[pick++];
      } else {
        pick = std::uniform_int_distribution<std::size_t>(0, n - 1)(rng);
      }
      centroids.push_back(points[pick]);
    }
    std::vector<int> labels(n, -1);
    for (int iteration = 0; iteration < 300; ++iteration) {
      bool changed = false;
      for (std::size_t i = 0; i < n; ++i) {
        int label = 0;
        double distance = std::numeric_limits<double>::infinity();
        for (int c = 0; c < k; ++c) {
          double candidate = squared_distance(points[i], centroids[c]);
          if (candidate < distance) distance = candidate, label = c;
        }
        changed = changed || labels[i] != label;
        labels[i] = label;
      }
      if (!changed) break;
      Matrix sums(static_cast<std::size_t>(k), std::vector<double>(points[0].size(), 0.0));
      std::vector<std::int64_t> counts(static_cast<std::size_t>(k), 0);
      for (std::size_t i = 0; i < n; ++i) {
        ++counts[labels[i]];
        for (std::size_t c = 0; c < points[i].size(); ++c) sums[labels[i]][c] += points[i][c];
      }
      for (int c = 0; c < k; ++c)
        if (counts[c] > 0)
          for (double& value : sums[c]) value /= static_cast<double>(counts[c]);
        else
          sums[c] = centroids[c];  // an empty cluster keeps its centre
      centroids = std::move(sums);
    }
    double inertia = 0;
    for (std::size_t i = 0; i < n; ++i) inertia += squared_distance(points[i], centroids[labels[i]]);
    if (inertia < best.inertia) {
      best.inertia = inertia;
      best.labels = labels;
      best.centroids = centroids;
    }
  }
  // Number clusters by decreasing size, ties by their first member.
  std::vector<std::int64_t> sizes(static_cast<std::size_t>(k), 0);
  std::vector<std::size_t> first(static_cast<std::size_t>(k), n);
  for (std::size_t i = 0; i < n; ++i) {
    ++sizes[best.labels[i]];
    first[best.labels[i]] = std::min(first[best.labels[i]], i);
  }
  std::vector<int> order(static_cast<std::size_t>(k));
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(),
            [&](int a, int b) { return sizes[a] != sizes[b] ? sizes[a] > sizes[b] : first[a] < first[b]; });
  std::vector<int> rename(static_cast<std::size_t>(k));
  KMeans result;
  result.inertia = best.inertia;
  for (int position = 0; position < k; ++position) {
    rename[order[position]] = position;
    result.centroids.push_back(best.centroids[order[position]]);
    result.sizes.push_back(sizes[order[position]]);
  }
  for (int label : best.labels) result.labels.push_back(rename[label]);
  return result;
}

}  // namespace oncolm::genome::breakpoints
