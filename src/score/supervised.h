// `oncolm score --labels FILE`: supervised variant-effect prediction on top of the zero-shot scores.
// Labels (a TSV keyed by chrom/pos/ref/alt with a label column, or a ClinVar-style VCF whose CLNSIG
// says Pathogenic/Likely_pathogenic (positive) or Benign/Likely_benign (negative)) are joined to the
// scored variants of a score OUTDIR; a logistic regression on the zero-shot scores (llr, llr_forward,
// llr_reverse, cosine_mean, l2_mean, cosine_variant, l2_variant; standardised inside each training
// fold) is cross-validated in stratified folds, and AUROC and AUPRC (average precision, as
// scikit-learn computes them) are reported for its out-of-fold probabilities and, as the zero-shot
// baseline, for -llr alone. Writes OUTDIR/supervised.json and OUTDIR/supervised_predictions.tsv.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace oncolm::score {

struct SupervisedOptions {
  std::string labels;                  // TSV or VCF (.vcf, .vcf.gz)
  std::string label_column = "label";  // TSV only
  std::string positive;                // TSV: the positive class (default "1" when the labels are 0/1)
  int folds = 5;
  std::uint64_t seed = 0;
  double C = 1.0;                      // inverse L2 strength, as scikit-learn's LogisticRegression
  std::string command_line;
};

// Area under the ROC curve of `scores` for `positive` (1/0), ties counted half (Mann-Whitney).
double auroc(const std::vector<double>& scores, const std::vector<int>& positive);
// Average precision: sum over distinct thresholds of (recall step) x precision, scikit-learn's
// average_precision_score.
double average_precision(const std::vector<double>& scores, const std::vector<int>& positive);

// Runs the evaluation on the *.scores.tsv of `score_dir`; returns the summary for stdout. Throws
// InputError naming the file for bad labels, std::invalid_argument when too few variants are labelled.
std::string run_supervised(const std::string& score_dir, const SupervisedOptions& options);

}  // namespace oncolm::score
