// The embedding projection: the first two principal components of `oncolm embed`'s rows, coloured
// by the sample's tumour type and by the window's variant type.
#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>

#include <fmt/format.h>

#include "core/error.h"
#include "core/file_contract.h"
#include "core/paths.h"
#include "downstream/npy_reader.h"
#include "report/figures.h"

namespace oncolm::report {

using nlohmann::json;

namespace {

constexpr std::size_t max_points = 5000;

struct Point {
  std::string record, sample_id, allele, type, histology;
  std::vector<double> values;
};

// record name -> variant type, from the windows TSVs (SV junction records: "sv").
std::map<std::string, std::string> record_types(const std::string& windows_dir) {
  std::map<std::string, std::string> types;
  if (windows_dir.empty()) return types;
  Table manifest = read_table(path_join(windows_dir, std::string(contract::cohort_manifest_file)));
  const std::size_t tsv = manifest.column("tsv"), sv_tsv = manifest.column("sv_tsv");
  for (const auto& row : manifest.rows) {
    if (!row[tsv].empty()) {
      Table windows = read_table(path_join(windows_dir, row[tsv]));
      const std::size_t type = windows.column("type"), ref = windows.column("ref_record"),
                        alt = windows.column("alt_record");
      for (const auto& w : windows.rows) types[w[ref]] = types[w[alt]] = w[type];
    }
    if (!row[sv_tsv].empty()) {
      Table junctions = read_table(path_join(windows_dir, row[sv_tsv]));
      for (const char* column : {"ref1_record", "ref2_record", "alt_record"}) {
        const std::size_t c = junctions.column(column);
        for (const auto& j : junctions.rows) types[j[c]] = "sv";
      }
    }
  }
  return types;
}

std::map<std::string, std::string> sample_histologies(const std::string& windows_dir) {
  std::map<std::string, std::string> labels;
  if (windows_dir.empty()) return labels;
  Table manifest = read_table(path_join(windows_dir, std::string(contract::cohort_manifest_file)));
  if (!manifest.has_column("histology_abbreviation")) return labels;
  const std::size_t id = manifest.column("sample_id"), label = manifest.column("histology_abbreviation");
  for (const auto& row : manifest.rows) labels[row[id]] = row[label];
  return labels;
}

// Every `stride`-th row of every embedding file embed.json lists, in its order.
std::vector<Point> read_points(const std::string& embed_dir, std::size_t& total, std::int64_t& dim) {
  const std::string npy_suffix(contract::embedding_npy_suffix);
  std::vector<std::pair<std::string, std::string>> sets;  // (npy, tsv)
  for (const auto& npy :
       listed_outputs(embed_dir, std::string(contract::embed_provenance_file), "outputs", "npy", npy_suffix)) {
    std::string tsv = npy.substr(0, npy.size() - npy_suffix.size()) + std::string(contract::embedding_tsv_suffix);
    if (!path_exists(tsv)) throw input_error(npy, 0, "has no {} beside it", file_name(tsv));
    sets.emplace_back(npy, tsv);
  }
  total = 0;
  for (const auto& set : sets) total += static_cast<std::size_t>(downstream::NpyReader(set.first).rows());
  const std::size_t stride = std::max<std::size_t>(1, (total + max_points - 1) / max_points);
  std::vector<Point> points;
  std::size_t index = 0;
  dim = 0;
  for (const auto& [npy, tsv] : sets) {
    downstream::NpyReader reader(npy);
    Table table = read_table(tsv);
    if (static_cast<std::int64_t>(table.rows.size()) != reader.rows())
      throw input_error(tsv, 0, "has {} rows, {} has {}", table.rows.size(), file_name(npy), reader.rows());
    if (dim != 0 && reader.cols() != dim) throw input_error(npy, 0, "has {} columns, other files {}", reader.cols(), dim);
    dim = reader.cols();
    const std::size_t record = table.column("record"), allele = table.column("allele");
    const std::size_t sample = table.has_column("sample_id") ? table.column("sample_id") : table.column("sample");
    std::vector<float> row(static_cast<std::size_t>(dim));
    for (std::size_t r = 0; r < table.rows.size(); ++r, ++index) {
      reader.read_row(row.data());
      if (index % stride != 0) continue;
      Point point;
      point.record = table.rows[r][record];
      point.sample_id = table.rows[r][sample];
      point.allele = table.rows[r][allele];
      point.values.assign(row.begin(), row.end());
      points.push_back(std::move(point));
    }
  }
  return points;
}

// The leading `count` principal axes of the centred rows by power iteration on X^T X (applied as
// X^T (X v), never formed), each axis deflated from the next; signs fixed so that the largest
// coordinate of each axis is positive.
std::vector<std::vector<double>> principal_axes(const std::vector<std::vector<double>>& centred, int count) {
  const std::size_t dim = centred.empty() ? 0 : centred[0].size();
  std::vector<std::vector<double>> axes;
  for (int a = 0; a < count; ++a) {
    std::vector<double> v(dim);
    for (std::size_t d = 0; d < dim; ++d) v[d] = 1.0 + 0.01 * static_cast<double>((d * 7919 + static_cast<std::size_t>(a)) % 101);
    for (int iteration = 0; iteration < 500; ++iteration) {
      std::vector<double> next(dim, 0.0);
      for (const auto& x : centred) {
        const double projection = std::inner_product(x.begin(), x.end(), v.begin(), 0.0);
        for (std::size_t d = 0; d < dim; ++d) next[d] += projection * x[d];
      }
      for (const auto& axis : axes) {  // deflation: stay orthogonal to the axes found
        const double overlap = std::inner_product(next.begin(), next.end(), axis.begin(), 0.0);
        for (std::size_t d = 0; d < dim; ++d) next[d] -= overlap * axis[d];
      }
      const double norm = std::sqrt(std::inner_product(next.begin(), next.end(), next.begin(), 0.0));
      if (norm == 0) break;
      double change = 0;
      for (std::size_t d = 0; d < dim; ++d) {
        next[d] /= norm;
        change = std::max(change, std::abs(next[d] - v[d]));
      }
      v = std::move(next);
      if (change < 1e-10) break;
    }
    auto largest = std::max_element(v.begin(), v.end(), [](double x, double y) { return std::abs(x) < std::abs(y); });
    if (largest != v.end() && *largest < 0)
      for (double& value : v) value = -value;
    axes.push_back(std::move(v));
  }
  return axes;
}

json scatter(const std::string& colour_field, const std::string& title) {
  return {{"width", 360},
          {"height", 320},
          {"title", title},
          {"mark", {{"type", "point"}, {"filled", true}, {"opacity", 0.7}}},
          {"encoding",
           {{"x", {{"field", "pc1"}, {"type", "quantitative"}, {"title", "PC1"}}},
            {"y", {{"field", "pc2"}, {"type", "quantitative"}, {"title", "PC2"}}},
            {"color", {{"field", colour_field}, {"type", "nominal"}}},
            {"shape", {{"field", "allele"}, {"type", "nominal"}}},
            {"tooltip", json::array({{{"field", "record"}}, {{"field", "sample_id"}}, {{"field", colour_field}}})}}}};
}

}  // namespace

std::vector<Figure> embedding_figures(const std::string& embed_dir, const std::string& windows_dir, int index) {
  std::size_t total = 0;
  std::int64_t dim = 0;
  std::vector<Point> points = read_points(embed_dir, total, dim);
  if (points.size() < 3) return {};
  const auto types = record_types(windows_dir);
  const auto histologies = sample_histologies(windows_dir);
  std::vector<double> mean(static_cast<std::size_t>(dim), 0.0);
  for (const auto& p : points)
    for (std::size_t d = 0; d < mean.size(); ++d) mean[d] += p.values[d] / static_cast<double>(points.size());
  std::vector<std::vector<double>> centred;
  for (const auto& p : points) {
    std::vector<double> x(mean.size());
    for (std::size_t d = 0; d < mean.size(); ++d) x[d] = p.values[d] - mean[d];
    centred.push_back(std::move(x));
  }
  const auto axes = principal_axes(centred, 2);
  double variance_total = 0, variance_axis[2] = {0, 0};
  for (const auto& x : centred) variance_total += std::inner_product(x.begin(), x.end(), x.begin(), 0.0);

  Figure figure;
  figure.id = index == 0 ? "embedding_pca" : fmt::format("embedding_pca_{}", index + 1);
  figure.section = "Embeddings";
  figure.title = "Embedding projection (PCA): " + file_name(normalise_path(embed_dir));
  figure.columns = {"record", "sample_id", "allele", "variant_type", "histology_abbreviation", "pc1", "pc2"};
  for (std::size_t i = 0; i < points.size(); ++i) {
    double pc[2];
    for (int a = 0; a < 2; ++a) {
      pc[a] = std::inner_product(centred[i].begin(), centred[i].end(), axes[static_cast<std::size_t>(a)].begin(), 0.0);
      variance_axis[a] += pc[a] * pc[a];
    }
    auto type = types.find(points[i].record);
    auto histology = histologies.find(points[i].sample_id);
    figure.rows.push_back({{"record", points[i].record},
                           {"sample_id", points[i].sample_id},
                           {"allele", points[i].allele},
                           {"variant_type", type == types.end() ? "unknown" : type->second},
                           {"histology_abbreviation", histology == histologies.end() ? "unknown" : histology->second},
                           {"pc1", pc[0]},
                           {"pc2", pc[1]}});
  }
  figure.caption = fmt::format(
      "The first two principal components of the {}-dimensional embeddings in {} ({} of {} rows{}), explaining "
      "{:.1f}% and {:.1f}% of their variance; left coloured by the sample's histology_abbreviation (windows "
      "manifest), right by the window's variant type (windows TSVs), shape = allele. Centred, not scaled.",
      dim, embed_dir, points.size(), total, points.size() < total ? ", every k-th row" : "",
      100.0 * variance_axis[0] / variance_total, 100.0 * variance_axis[1] / variance_total);
  figure.spec = {{"hconcat", json::array({scatter("histology_abbreviation", "by tumour type"),
                                          scatter("variant_type", "by variant type")})},
                 {"resolve", {{"scale", {{"color", "independent"}}}, {"legend", {{"color", "independent"}}}}}};
  return {figure};
}

}  // namespace oncolm::report
