#include "score/score_command.h"

#include <cmath>
#include <cstdio>
#include <fstream>
#include <map>
#include <optional>
#include <stdexcept>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "core/atomic_file.h"
#include "core/blas_kernels.h"
#include "core/error.h"
#include "core/file_contract.h"
#include "core/log.h"
#include "core/paths.h"
#include "core/progress.h"
#include "core/version.h"
#include "score/score_inputs.h"

namespace oncolm::score {
namespace {

// Skip reasons, as score.json and the summary name them.
const char* const skip_sv = "sv_junction";                     // out of scope: no REF/ALT token pair
const char* const skip_beyond = "beyond_max_windows";          // after the first --max-windows of a sample
const char* const skip_tokens = "variant_exceeds_max_tokens";  // changed bases do not fit in --max-tokens

struct TypeMean {
  double sum = 0;
  std::size_t n = 0;
};

// Counts of one sample, summed into the run's totals.
struct Counts {
  std::size_t variants = 0, scored = 0;
  std::map<std::string, std::size_t> skipped;
  std::map<std::string, TypeMean> llr;  // by type

  Counts& operator+=(const Counts& other) {
    variants += other.variants;
    scored += other.scored;
    for (const auto& [reason, n] : other.skipped) skipped[reason] += n;
    for (const auto& [type, mean] : other.llr) {
      llr[type].sum += mean.sum;
      llr[type].n += mean.n;
    }
    return *this;
  }
};

std::string join_tabs(const std::vector<std::string>& cells) {
  std::string line;
  for (const auto& cell : cells) line += (line.empty() ? "" : "\t") + cell;
  return line;
}

std::string number(double value) { return fmt::format("{:.6g}", value); }

std::string score_cells(const VariantScore& score, const StrandTokens& forward) {
  return fmt::format("{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}", number(score.llr), number(score.cosine_mean),
                     number(score.l2_mean), number(score.cosine_variant), number(score.l2_variant),
                     number(score.llr_forward), number(score.llr_reverse), forward.ref_begin, forward.ref_end,
                     forward.alt_begin, forward.alt_end);
}

std::string unscored_cells() {
  std::vector<std::string> dots(contract::score_value_columns.size(), ".");
  return join_tabs(dots);
}

// Scores one sample's small variants chunk by chunk, writing rows in windows-TSV order.
class SampleScorer {
 public:
  SampleScorer(const VariantScorer& scorer, const ScoreOptions& options, std::size_t max_tokens)
      : scorer_(scorer), options_(options), max_tokens_(max_tokens) {}

  Counts run(const ScoreSample& sample, const std::string& tsv_path) {
    Counts counts;
    for (const char* reason : {skip_sv, skip_beyond, skip_tokens}) counts.skipped[reason] = 0;  // all listed
    std::ofstream tsv(tsv_path, std::ios::binary);
    if (!tsv) throw std::runtime_error("cannot create " + tsv_path);
    std::vector<std::string> header = contract::score_key_columns;
    header.insert(header.end(), contract::score_value_columns.begin(), contract::score_value_columns.end());
    tsv << join_tabs(header) << '\n';
    SampleVariantReader reader(sample);
    Progress progress("score " + sample.sample_id, 0, "variants");
    ScoreVariant variant;
    while (reader.next(variant)) {
      ++counts.variants;
      if (options_.max_windows > 0 && counts.variants > options_.max_windows) {
        ++counts.skipped[skip_beyond];
        continue;
      }
      add(std::move(variant));
      if (variants_.size() >= options_.chunk_variants) progress.advance(flush(tsv, counts));
    }
    progress.advance(flush(tsv, counts));
    progress.finish();
    counts.skipped[skip_sv] += count_sv_junctions(sample);
    tsv.close();
    if (!tsv) throw std::runtime_error("cannot write " + tsv_path);
    return counts;
  }

 private:
  void add(ScoreVariant&& variant) {
    tokens_.push_back(variant_tokens(scorer_.tokenizer(), variant, max_tokens_));
    variants_.push_back(std::move(variant));
  }

  // NaN or inf comes from the model (NaN weights, a config.json such as a negative layer_norm_eps),
  // never from a variant: stop rather than write it into every row.
  static void check_finite(const VariantScore& score, const ScoreVariant& variant) {
    for (double value : {score.llr_forward, score.llr_reverse, score.cosine_mean, score.l2_mean, score.cosine_variant,
                         score.l2_variant})
      if (!std::isfinite(value))
        throw std::runtime_error(fmt::format(
            "{}: the model gives non-finite scores for this variant (llr forward {}, reverse {}): its weights or "
            "config.json give NaN or inf",
            variant.where, score.llr_forward, score.llr_reverse));
  }

  // Scores the held variants in one set of batches and writes their rows; returns how many.
  std::size_t flush(std::ofstream& tsv, Counts& counts) {
    std::vector<VariantTokens> scorable;
    for (const auto& tokens : tokens_)
      if (tokens) scorable.push_back(*tokens);
    std::vector<VariantScore> scores = scorer_.score(scorable);
    std::size_t next = 0;
    for (std::size_t i = 0; i < variants_.size(); ++i) {
      tsv << join_tabs(variants_[i].keys) << '\t';
      if (!tokens_[i]) {
        ++counts.skipped[skip_tokens];
        tsv << unscored_cells() << '\n';
        continue;
      }
      const VariantScore& score = scores[next++];
      check_finite(score, variants_[i]);
      tsv << score_cells(score, tokens_[i]->forward) << '\n';
      ++counts.scored;
      TypeMean& mean = counts.llr[variants_[i].type];
      mean.sum += score.llr;
      ++mean.n;
    }
    std::size_t done = variants_.size();
    variants_.clear();
    tokens_.clear();
    return done;
  }

  const VariantScorer& scorer_;
  const ScoreOptions& options_;
  std::size_t max_tokens_;
  std::vector<ScoreVariant> variants_;
  std::vector<std::optional<VariantTokens>> tokens_;
};

nlohmann::json counts_json(const Counts& counts) {
  nlohmann::json json = {{"variants", counts.variants}, {"scored", counts.scored}, {"skipped", counts.skipped}};
  for (const auto& [type, mean] : counts.llr)
    json["mean_llr"][type] = {{"mean", mean.n ? mean.sum / static_cast<double>(mean.n) : 0.0}, {"n", mean.n}};
  return json;
}

nlohmann::json provenance(const ScoreOptions& options, const VariantScorer& scorer, std::size_t max_tokens) {
  nlohmann::json json;
  json["oncolm_version"] = version_string();
  json["git_hash"] = git_hash();
  json["command"] = options.command_line;
  json["blas_kernels"] = blas_kernels_description();  // "" on a build without OpenBLAS
  json["openmp_wait_policy"] = openmp_wait_description();
  json["model"] = {{"dir", absolute_path(options.model_dir)},
                   {"architecture", scorer.config().describe()},
                   {"weights_format", scorer.weights_format()},
                   {"sha256", scorer.checksum()}};
  json["compute"] = scorer.compute_description();
  json["max_tokens"] = max_tokens;
  json["batch_tokens"] = scorer.batch_tokens();
  json["max_windows"] = options.max_windows;
  json["definitions"] = {
      {"llr", "(llr_forward + llr_reverse) / 2"},
      {"llr_strand",
       "sum over the ALT window's variant tokens of log p(token | ALT window, those tokens masked) "
       "- the same sum for the REF window; log_softmax over the whole vocabulary"},
      {"reverse_strand", "both windows cut on the right to their common flank, then reverse-complemented"},
      {"cosine", "1 - cos(REF, ALT) of the forward windows' pooled last hidden state (unmasked pass)"},
      {"l2", "||REF - ALT||"},
      {"mean_pooling", "mean over every token, <cls> included"},
      {"variant_pooling", "mean over each record's variant token span (ref/alt_token_start..end)"}};
  json["inputs"] = options.windows_dirs;
  json["load"] = {{"pandas", "pandas.read_csv('<safe_id>.scores.tsv', sep='\\t', na_values='.')"}};
  return json;
}

std::string summary(const Counts& total, std::size_t samples, const ScoreOptions& options,
                    const VariantScorer& scorer) {
  std::string text = fmt::format("oncolm score: {} small variant(s) scored in {} sample(s) with {} ({})\n",
                                 total.scored, samples, options.model_dir, scorer.compute_description());
  text += "skipped:";
  for (const char* reason : {skip_sv, skip_beyond, skip_tokens}) {
    auto found = total.skipped.find(reason);
    text += fmt::format(" {} {}", reason, found == total.skipped.end() ? 0 : found->second);
  }
  text += "\nmean llr by type:";
  if (total.llr.empty()) text += " (none scored)";
  for (const auto& [type, mean] : total.llr)
    text += fmt::format(" {} {:.4f} (n={})", type, mean.sum / static_cast<double>(mean.n), mean.n);
  text += fmt::format("\noutputs: {}/<safe_id>{} per sample, {}/{}\n", options.out_dir, contract::scores_suffix,
                      options.out_dir, contract::score_provenance_file);
  return text;
}

}  // namespace

std::string run_score(const ScoreOptions& options) {
  if (options.chunk_variants == 0) throw std::invalid_argument("the variants scored at a time must be positive");
  if (options.max_tokens < 0) throw std::invalid_argument("--max-tokens must not be negative");
  std::vector<ScoreSample> samples = discover_score_samples(options.windows_dirs);
  VariantScorer scorer(options.model_dir, options.scorer);
  const int model_max = scorer.config().max_tokens;
  if (options.max_tokens > model_max)
    throw std::invalid_argument(
        fmt::format("--max-tokens {} exceeds the model's maximum of {}", options.max_tokens, model_max));
  if (options.max_tokens == 1) throw std::invalid_argument("--max-tokens must leave room for <cls> and one token");
  const std::size_t max_tokens = static_cast<std::size_t>(options.max_tokens > 0 ? options.max_tokens : model_max);
  log(Level::info, "model {}: {}, on {}; {} sample(s)", options.model_dir, scorer.config().describe(),
      scorer.compute_description(), samples.size());
  make_directories(options.out_dir);
  // An earlier run's provenance and evaluation must not describe this one's files, finished or not.
  for (const std::string& name : {std::string(contract::score_provenance_file), std::string("supervised.json"),
                                 std::string("supervised_predictions.tsv")})
    std::remove(path_join(options.out_dir, name).c_str());
  SampleScorer runner(scorer, options, max_tokens);
  Counts total;
  nlohmann::json outputs = nlohmann::json::array();
  for (const ScoreSample& sample : samples) {
    AtomicFile tsv(path_join(options.out_dir, sample.safe_id + std::string(contract::scores_suffix)));
    Counts counts = runner.run(sample, tsv.temp_path());
    tsv.commit();
    total += counts;
    nlohmann::json entry = {{"sample_id", sample.sample_id},
                            {"safe_id", sample.safe_id},
                            {"scores", file_name(tsv.final_path())},
                            {"windows_tsv", sample.tsv}};
    entry.update(counts_json(counts));
    outputs.push_back(std::move(entry));
  }
  nlohmann::json json = provenance(options, scorer, max_tokens);
  json["outputs"] = outputs;
  json["total"] = counts_json(total);
  write_file_atomically(path_join(options.out_dir, std::string(contract::score_provenance_file)), json.dump(1) + "\n");
  return summary(total, samples.size(), options, scorer);
}

}  // namespace oncolm::score
