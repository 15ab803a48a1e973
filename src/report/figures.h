// The figures of each stage's outputs. Each builder reads only its stage's files (and the windows
// directory where it needs the sample sheet's labels or the variant types) and returns figures in
// the order the report shows them.
#pragma once
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "report/figure.h"

namespace oncolm::report {

// `oncolm windows` OUTDIR: top 15 histological types and organ systems, window lengths by variant
// type, indel lengths, top 15 6-mers, base composition.
std::vector<Figure> cohort_figures(const std::string& windows_dir);
// `oncolm train` OUTDIR (metrics.jsonl): losses, learning rate, masked-token accuracy, ALT-REF distances.
std::vector<Figure> training_figures(const std::string& train_dir);
// `oncolm embed` OUTDIR: PCA of the embeddings, coloured by tumour type and by variant type (labels
// and types from `windows_dir` when given). `index` numbers the figure ids when there are several.
std::vector<Figure> embedding_figures(const std::string& embed_dir, const std::string& windows_dir, int index);
// `oncolm classify cv` OUTDIR: accuracy per feature set and model, confusion matrix and per-class F1.
std::vector<Figure> classify_figures(const std::string& classify_dir);
// `oncolm score` OUTDIR: distribution of the zero-shot LLR by variant type.
std::vector<Figure> score_figures(const std::string& score_dir);
// `oncolm breakpoints` OUTDIR: junction classes and mechanisms, sizes, microhomology lengths.
std::vector<Figure> breakpoint_figures(const std::string& breakpoints_dir);

// --- shared by the builders ---
// The `k` largest counts, ties broken alphabetically by key (the order the charts draw).
std::vector<std::pair<std::string, long>> top_counts(const std::map<std::string, long>& counts, std::size_t k);
// A histogram of `values` in `bins` equal bins over their range: (bin start, bin end, count).
struct Bin {
  double start = 0, end = 0;
  long count = 0;
};
std::vector<Bin> histogram(const std::vector<double>& values, int bins);
// The same over [low, high] given (for several series drawn on one axis: the same edges for each).
std::vector<Bin> histogram(const std::vector<double>& values, int bins, double low, double high);
// Files in `dir` whose names end with `suffix`, sorted.
std::vector<std::string> files_with_suffix(const std::string& dir, const std::string& suffix);
// The per-sample files a stage's provenance JSON lists (`dir`/`provenance`: each entry of its array
// `list` names one under `name`): the outputs of the run that wrote it. Other files in `dir` ending
// with `suffix` (left by other runs) are named in a warning and not read.
std::vector<std::string> listed_outputs(const std::string& dir, const std::string& provenance, const std::string& list,
                                        const std::string& name, const std::string& suffix);

}  // namespace oncolm::report
