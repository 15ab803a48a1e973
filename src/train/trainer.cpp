#include "train/trainer.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <fstream>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <sstream>

#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <torch/optim/adamw.h>
#include <torch/serialize.h>

#include "core/blas_kernels.h"
#include "core/atomic_file.h"
#include "core/error.h"
#include "core/json_file.h"
#include "core/log.h"
#include "core/paths.h"
#include "core/progress.h"
#include "core/threads.h"
#include "core/version.h"
#include "model/batching.h"
#include "model/checkpoint.h"
#include "model/hf_export.h"
#include "model/nt_encoder.h"
#include "model/tokenizer.h"
#include "train/distributed.h"
#include "train/losses.h"
#include "train/train_data.h"

namespace oncolm::train {
namespace {

using json = nlohmann::json;
const double not_a_number = std::numeric_limits<double>::quiet_NaN();

// --- signals: a flag read at step boundaries ---

volatile std::sig_atomic_t stop_requested = 0;
extern "C" void request_stop(int) { stop_requested = 1; }

class SignalGuard {
 public:
  SignalGuard() {
    stop_requested = 0;
    previous_int_ = std::signal(SIGINT, request_stop);
    previous_term_ = std::signal(SIGTERM, request_stop);
  }
  ~SignalGuard() {
    std::signal(SIGINT, previous_int_);
    std::signal(SIGTERM, previous_term_);
  }
  SignalGuard(const SignalGuard&) = delete;
  SignalGuard& operator=(const SignalGuard&) = delete;

 private:
  void (*previous_int_)(int) = nullptr;
  void (*previous_term_)(int) = nullptr;
};

// --- the data: tokenized once, planned into batches per epoch ---

class TrainingData {
 public:
  TrainingData(Corpus corpus, const model::Tokenizer& tokenizer, const TrainOptions& options, std::size_t max_tokens)
      : corpus_(std::move(corpus)), tokenizer_(tokenizer), options_(options), max_tokens_(max_tokens) {
    for (const auto& sequence : corpus_.sequences)
      tokens_.push_back(tokenize_sequence(sequence, corpus_, tokenizer_, max_tokens_, options_.max_tokens > 0));
    pairs_ = options_.objective != Objective::mlm;
    if (pairs_) check_spans();
    for (std::size_t u = 0; u < unit_count(); ++u) {
      const TrainSequence& first = corpus_.sequences[pairs_ ? corpus_.pairs[u].alt : u];
      donors_.push_back(corpus_.sources[first.source].donor);
      keys_.push_back(corpus_.sources[first.source].name + "/" + first.record);
    }
  }

  const Corpus& corpus() const { return corpus_; }
  bool pairs() const { return pairs_; }
  std::size_t unit_count() const { return pairs_ ? corpus_.pairs.size() : corpus_.sequences.size(); }
  const std::vector<std::string>& unit_donors() const { return donors_; }
  const std::vector<std::string>& unit_keys() const { return keys_; }
  const TokenizedSequence& tokens(std::size_t sequence) const { return tokens_[sequence]; }
  const model::Tokenizer& tokenizer() const { return tokenizer_; }
  std::size_t max_tokens() const { return max_tokens_; }

  // Sequences a unit contributes to the MLM forward pass.
  std::vector<std::size_t> mlm_sequences(std::size_t unit) const {
    if (!pairs_) return {unit};
    std::vector<std::size_t> out = {corpus_.pairs[unit].alt};
    for (auto ref : corpus_.pairs[unit].refs) out.push_back(ref);
    return out;
  }

  // Rows of the forward passes a unit adds, the most any unit of the data adds (an SV junction has
  // two REF windows): contrastive, the ALT, its second view and the REFs; both, those and the ALT and
  // REFs again for MLM. The token budget is divided by it, so no batch exceeds --batch-tokens.
  std::int64_t rows_per_unit() const {
    if (!pairs_) return 1;
    std::size_t refs = 1;
    for (const auto& pair : corpus_.pairs) refs = std::max(refs, pair.refs.size());
    const auto contrastive_rows = static_cast<std::int64_t>(2 + refs);
    return options_.objective == Objective::contrastive ? contrastive_rows
                                                        : contrastive_rows + 1 + static_cast<std::int64_t>(refs);
  }

  // Batches of units for one epoch: the units in a seeded random order, length-bucketed with the
  // token budget `embed` uses (per unit: its longest sequence times the rows it adds), then the
  // batches themselves in a seeded random order. Validation (shuffle = false) keeps one fixed plan.
  std::vector<std::vector<std::size_t>> plan(const std::vector<std::size_t>& units, std::int64_t epoch,
                                             bool shuffle) const {
    std::vector<std::size_t> order = units;
    std::mt19937_64 rng(stream_seed(options_.seed, 0xba7c, static_cast<std::uint64_t>(epoch)));
    if (shuffle)
      for (std::size_t i = order.size(); i > 1; --i) std::swap(order[i - 1], order[uniform_below(rng, i)]);
    std::vector<std::int64_t> lengths;
    for (auto unit : order) lengths.push_back(unit_length(unit));
    const std::int64_t rows = rows_per_unit();
    auto planned = model::plan_batches(lengths, std::max<std::int64_t>(1, options_.batch_tokens / rows),
                                       static_cast<std::size_t>(std::max<std::int64_t>(1, options_.max_rows / rows)));
    std::vector<std::vector<std::size_t>> batches;
    for (const auto& batch : planned) {
      std::vector<std::size_t> members;
      for (auto index : batch.members) members.push_back(order[index]);
      batches.push_back(std::move(members));
    }
    if (shuffle)
      for (std::size_t i = batches.size(); i > 1; --i) std::swap(batches[i - 1], batches[uniform_below(rng, i)]);
    return batches;
  }

 private:
  std::int64_t unit_length(std::size_t unit) const {
    std::size_t longest = 0;
    for (auto s : mlm_sequences(unit)) longest = std::max(longest, tokens_[s].ids.size());
    return static_cast<std::int64_t>(longest);
  }

  void check_spans() const {
    if (options_.pooling != "variant") return;
    for (const auto& pair : corpus_.pairs) {
      std::vector<std::size_t> all = pair.refs;
      all.push_back(pair.alt);
      for (auto s : all)
        if (!tokens_[s].span) {
          const TrainSequence& sequence = corpus_.sequences[s];
          throw input_error(corpus_.sources[sequence.source].fasta, static_cast<long>(sequence.line),
                            "record '{}': no token covers the variant (cut away by --max-tokens?); "
                            "--contrastive-pooling variant needs it", sequence.record);
        }
    }
  }

  Corpus corpus_;
  const model::Tokenizer& tokenizer_;
  const TrainOptions& options_;
  std::size_t max_tokens_;
  bool pairs_ = false;
  std::vector<TokenizedSequence> tokens_;
  std::vector<std::string> donors_, keys_;
};

// --- the model and its losses ---

struct Trainable {
  std::unique_ptr<model::NtEncoder> encoder;
  std::optional<ProjectionHead> head;

  std::vector<model::NamedTensor> parameters() const {
    auto all = encoder->trainable_parameters();
    if (head)
      for (auto& named : head->named_tensors()) all.push_back(named);
    return all;
  }
};

struct PaddedInput {
  at::Tensor ids, mask;
  std::int64_t real_tokens = 0;
};

PaddedInput pad_rows(const std::vector<std::vector<std::int32_t>>& rows, int pad_id, at::Device device) {
  model::PaddedBatch batch = model::pad_batch(rows, pad_id);
  PaddedInput input;
  input.ids = at::from_blob(batch.ids.data(), {batch.rows, batch.width}, at::kLong).clone().to(device);
  input.mask = at::from_blob(batch.mask.data(), {batch.rows, batch.width}, at::kLong).clone().to(device);
  for (auto m : batch.mask) input.real_tokens += m;
  return input;
}

struct BatchLosses {
  at::Tensor total;
  double mlm = not_a_number, contrastive = not_a_number, separation = not_a_number;
  std::int64_t selected = 0, correct = 0, anchors = 0, tokens = 0;
  std::int64_t separation_pairs = 0;  // the batch's variants when L_sep applied (two or more), else 0
  // Evaluation only: the pooled encoder embeddings of the contrastive pass (ALT rows first), their
  // projections (the embeddings the contrastive loss compares) and the row of each ALT's (first)
  // REF window.
  at::Tensor pooled, projected;
  std::vector<std::int64_t> ref_rows;
};

class Objectives {
 public:
  // vocab_rows: the embedding's rows (random replacements must have one).
  Objectives(const TrainOptions& options, const TrainingData& data, at::Device device, int vocab_rows)
      : options_(options), data_(data), device_(device),
        replacements_(maskable_ids(data.tokenizer().vocabulary(), vocab_rows)) {}

  BatchLosses compute(const Trainable& model, const std::vector<std::size_t>& units, std::mt19937_64& rng,
                      bool training) const {
    BatchLosses out;
    out.total = at::zeros({}, at::TensorOptions().device(device_).dtype(model.encoder->dtype()));
    if (options_.objective != Objective::contrastive) add_mlm(model, units, rng, training, out);
    if (options_.objective != Objective::mlm) add_contrastive(model, units, rng, training, out);
    return out;
  }

 private:
  void add_mlm(const Trainable& model, const std::vector<std::size_t>& units, std::mt19937_64& rng, bool training,
               BatchLosses& out) const {
    const model::Vocabulary& vocabulary = data_.tokenizer().vocabulary();
    std::vector<std::vector<std::int32_t>> inputs, labels;
    for (auto unit : units)
      for (auto s : data_.mlm_sequences(unit)) {
        const TokenizedSequence& tokens = data_.tokens(s);
        auto centre = options_.mlm_centre ? tokens.span : std::nullopt;
        MaskedTokens masked = mask_tokens(tokens.ids, replacements_, vocabulary, options_.masking, rng, centre);
        inputs.push_back(std::move(masked.ids));
        labels.push_back(std::move(masked.labels));
      }
    PaddedInput input = pad_rows(inputs, vocabulary.pad_id(), device_);
    auto label_tensor = pad_rows(labels, ignore_label, device_).ids;
    model::ForwardOptions forward;
    forward.logits = true;
    // The head only where the loss looks: the selected tokens (the same loss and gradients).
    forward.logits_positions = label_tensor.ne(ignore_label);
    forward.training = training;
    forward.checkpoint_activations = options_.activation_checkpointing;
    MlmResult result = mlm_loss(model.encoder->forward(input.ids, input.mask, forward).logits,
                                label_tensor.index({forward.logits_positions}));
    out.total = out.total + options_.mlm_weight * result.loss;
    out.mlm = result.loss.item<double>();
    out.selected = result.selected;
    out.correct = result.correct;
    out.tokens += input.real_tokens;
  }

  void add_contrastive(const Trainable& model, const std::vector<std::size_t>& units, std::mt19937_64& rng,
                       bool training, BatchLosses& out) const {
    const Corpus& corpus = data_.corpus();
    std::vector<std::vector<std::int32_t>> rows;
    std::vector<std::pair<std::int32_t, std::int32_t>> spans;
    auto add = [&](const TokenizedSequence& tokens) {
      rows.push_back(tokens.ids);
      spans.push_back(tokens.span.value_or(std::make_pair(1, static_cast<std::int32_t>(tokens.ids.size()))));
    };
    for (auto unit : units) add(data_.tokens(corpus.pairs[unit].alt));
    const SecondView kind = options_.second_view == "shift" ? SecondView::shift : SecondView::reverse_complement;
    for (auto unit : units) {
      TrainSequence view = second_view(corpus.sequences[corpus.pairs[unit].alt], kind, options_.max_shift, rng);
      add(tokenize_sequence(view, corpus, data_.tokenizer(), data_.max_tokens(), true));
    }
    std::vector<std::int64_t> owners;
    for (std::size_t i = 0; i < units.size(); ++i)
      for (auto ref : corpus.pairs[units[i]].refs) {
        if (ref == corpus.pairs[units[i]].refs.front()) out.ref_rows.push_back(static_cast<std::int64_t>(rows.size()));
        add(data_.tokens(ref));
        owners.push_back(static_cast<std::int64_t>(i));
      }
    PaddedInput input = pad_rows(rows, data_.tokenizer().vocabulary().pad_id(), device_);
    model::ForwardOptions forward;
    forward.training = training;
    forward.checkpoint_activations = options_.activation_checkpointing;
    auto hidden = model.encoder->forward(input.ids, input.mask, forward).selected;
    PoolingOptions pooling{options_.pooling == "variant", options_.span_context};
    auto pooled = pool_hidden(hidden, input.mask, spans, pooling);
    if (!training) out.pooled = pooled.detach();
    auto z = model.head->forward(pooled);
    if (!training) out.projected = z.detach();
    const auto n = static_cast<std::int64_t>(units.size());
    auto loss = contrastive_loss(z.slice(0, 0, n), z.slice(0, n, 2 * n), z.slice(0, 2 * n), owners,
                                 options_.temperature, options_.hard_negative_weight);
    out.contrastive = loss.item<double>();
    if (options_.separation_weight > 0 && n > 1) {
      auto separation = separation_loss(pooled.slice(0, 0, n), pooled.slice(0, 2 * n), owners);
      out.separation = separation.item<double>();
      out.separation_pairs = n;
      loss = loss + options_.separation_weight * separation;
    } else if (options_.separation_weight > 0 && training && !warned_single_pair_) {
      warned_single_pair_ = true;
      log(Level::warning, "--separation-weight: a training batch holds one variant, which has no unrelated REF to "
          "compare with; L_sep is left out of such batches (raise --batch-tokens to fit two or more)");
    }
    out.total = out.total + options_.contrastive_weight * loss;
    out.anchors = 2 * n;
    out.tokens += input.real_tokens;
  }

  const TrainOptions& options_;
  const TrainingData& data_;
  at::Device device_;
  std::vector<std::int32_t> replacements_;
  mutable bool warned_single_pair_ = false;  // the --separation-weight warning, once per run
};

// --- schedule, clipping ---

// Linear warm-up over warmup_steps to lr (reached at step warmup_steps - 1), then cosine (or linear)
// decay from lr at step warmup_steps towards lr * min_lr_ratio, which the step after the last would
// take. `step` counts from 0.
double learning_rate(const TrainOptions& o, std::int64_t step, std::int64_t total_steps) {
  if (step < o.warmup_steps) return o.lr * static_cast<double>(step + 1) / static_cast<double>(o.warmup_steps);
  const double span = static_cast<double>(std::max<std::int64_t>(1, total_steps - o.warmup_steps));
  const double progress = std::min(1.0, static_cast<double>(step - o.warmup_steps) / span);
  const double floor = o.lr * o.min_lr_ratio;
  if (o.decay == "linear") return o.lr - (o.lr - floor) * progress;
  return floor + (o.lr - floor) * 0.5 * (1.0 + std::cos(M_PI * progress));
}

// Global L2 norm of the gradients; scales them to max_norm when above it (max_norm 0: no clipping).
double clip_gradients(const std::vector<model::NamedTensor>& parameters, double max_norm) {
  at::NoGradGuard no_grad;
  double squares = 0;
  for (const auto& p : parameters)
    if (p.tensor.grad().defined()) squares += p.tensor.grad().to(at::kDouble).pow(2).sum().item<double>();
  const double norm = std::sqrt(squares);
  if (max_norm > 0 && norm > max_norm)
    for (const auto& p : parameters)
      if (p.tensor.grad().defined()) p.tensor.mutable_grad().mul_(max_norm / (norm + 1e-6));
  return norm;
}

std::unique_ptr<torch::optim::AdamW> make_optimizer(const Trainable& model, const TrainOptions& o) {
  // Weight decay on matrices only: biases, LayerNorm and IA3 vectors keep theirs (decaying IA3
  // scales would pull them to 0, not to their neutral 1).
  std::vector<at::Tensor> matrices, vectors;
  for (const auto& p : model.parameters()) (p.tensor.dim() >= 2 ? matrices : vectors).push_back(p.tensor);
  auto options =
      torch::optim::AdamWOptions(o.lr).betas({o.adam_beta1, o.adam_beta2}).eps(o.adam_eps).weight_decay(o.weight_decay);
  std::vector<torch::optim::OptimizerParamGroup> groups;
  groups.emplace_back(matrices, std::make_unique<torch::optim::AdamWOptions>(options));
  auto no_decay = options;
  no_decay.weight_decay(0.0);
  groups.emplace_back(vectors, std::make_unique<torch::optim::AdamWOptions>(no_decay));
  return std::make_unique<torch::optim::AdamW>(std::move(groups), options);
}

void set_learning_rate(torch::optim::AdamW& optimizer, double lr) {
  for (auto& group : optimizer.param_groups()) static_cast<torch::optim::AdamWOptions&>(group.options()).lr(lr);
}

// --- run state, checkpoints ---

struct RunState {
  std::int64_t step = 0;         // optimizer steps done
  std::int64_t epoch = 0;        // data position: epoch ...
  std::int64_t batch = 0;        // ... and next batch within it
  double best_validation = std::numeric_limits<double>::infinity();
  std::int64_t best_step = -1;  // the step of best_validation (and of best/); -1 = none yet
  int evaluations_without_improvement = 0;
  // The training tally of the steps since the last train line (Tally::to_json), so that a resumed
  // run writes the same next line as an uninterrupted one.
  json pending_tally = json::object();
};

json state_json(const RunState& state, const json& fingerprint) {
  json j = {{"step", state.step}, {"epoch", state.epoch}, {"batch_in_epoch", state.batch},
            {"evaluations_without_improvement", state.evaluations_without_improvement},
            {"scheduler", "learning rate is a function of step (warm-up, decay) -- the step is its state"},
            {"rng", "masking, second views, dropout and batch order draw from streams seeded by (seed, epoch, step, "
                    "micro-batch): the data position is their state"},
            {"pending_train_tally", state.pending_tally},
            {"fingerprint", fingerprint}};
  j["best_validation_loss"] = std::isfinite(state.best_validation) ? json(state.best_validation) : json(nullptr);
  j["best_step"] = state.best_step >= 0 ? json(state.best_step) : json(nullptr);
  return j;
}

std::string checkpoint_dir(const std::string& out_dir, std::int64_t step) {
  return path_join(path_join(out_dir, "checkpoints"), "step-" + std::to_string(step));
}

// Steps of the complete checkpoints (step-N with a state.json), ascending.
std::vector<std::int64_t> checkpoint_steps(const std::string& out_dir) {
  std::vector<std::int64_t> steps;
  std::string dir = path_join(out_dir, "checkpoints");
  if (!is_directory(dir)) return steps;
  for (const auto& name : list_directory(dir)) {
    if (name.rfind("step-", 0) != 0) continue;
    try {
      std::size_t used = 0;
      long long step = std::stoll(name.substr(5), &used);
      if (used == name.size() - 5 && path_exists(path_join(path_join(dir, name), "state.json"))) steps.push_back(step);
    } catch (const std::exception&) {
    }
  }
  std::sort(steps.begin(), steps.end());
  return steps;
}

void save_model_files(const Trainable& model, const std::string& dir) {
  model::save_tensors(path_join(dir, "model.safetensors"), model.encoder->named_tensors(), {{"format", "pt"}});
  if (model.encoder->has_adapters())
    model::save_tensors(path_join(dir, "adapter.safetensors"), model.encoder->adapter_tensors());
  if (model.head) model::save_tensors(path_join(dir, "projection_head.safetensors"), model.head->named_tensors());
}

void save_checkpoint(const std::string& out_dir, const Trainable& model, torch::optim::AdamW& optimizer,
                     const RunState& state, const json& fingerprint, int keep) {
  const std::string final_dir = checkpoint_dir(out_dir, state.step);
  const std::string partial =
      path_join(path_join(out_dir, "checkpoints"), ".step-" + std::to_string(state.step) + ".partial");
  remove_tree(partial);
  make_directories(partial);
  save_model_files(model, partial);
  torch::save(optimizer, path_join(partial, "optimizer.pt"));
  write_file_atomically(path_join(partial, "state.json"), state_json(state, fingerprint).dump(1) + "\n");
  replace_directory(partial, final_dir);
  auto steps = checkpoint_steps(out_dir);
  for (std::size_t i = 0; i + static_cast<std::size_t>(keep) < steps.size(); ++i)
    remove_tree(checkpoint_dir(out_dir, steps[i]));
  log(Level::info, "checkpoint {}", final_dir);
}

// Names the first data file that was added, removed or changed since the checkpoint.
void check_same_data(const json& saved, const json& current, const std::string& state_path) {
  std::map<std::string, std::string> before, now;
  for (const auto& file : saved) before[file.at("path").get<std::string>()] = file.at("sha256").get<std::string>();
  for (const auto& file : current) now[file.at("path").get<std::string>()] = file.at("sha256").get<std::string>();
  for (const auto& [path, sha] : now) {
    auto found = before.find(path);
    if (found == before.end())
      throw input_error(state_path, 0, "cannot resume: data file {} was not part of the checkpoint's run", path);
    if (found->second != sha)
      throw input_error(state_path, 0,
                        "cannot resume: data file {} changed since the checkpoint (sha256 {} then, {} now)", path,
                        found->second, sha);
  }
  for (const auto& [path, sha] : before)
    if (!now.count(path))
      throw input_error(state_path, 0, "cannot resume: data file {} of the checkpoint's run is not an input now", path);
}

// Names the first fingerprint entry that differs: a resumed run must train the same model with
// the same objective on the same data.
void check_fingerprint(const json& saved, const json& current, const std::string& state_path) {
  for (const char* key : {"model_sha256", "objective", "data"}) {
    if (!saved.contains(key))
      throw input_error(state_path, 0, "checkpoint lacks '{}': written by another version?", key);
    if (saved[key] == current[key]) continue;
    if (std::string(key) == "data") check_same_data(saved[key], current[key], state_path);
    throw input_error(state_path, 0, "cannot resume: the checkpoint's {} is {} but this run's is {}",
                      key, saved[key].dump(), current[key].dump());
  }
  for (const auto& [key, value] : current.items()) {
    // The order of the inputs sets the units' order, so the batches (absent in older checkpoints).
    if (key == "input_order") {
      if (saved.contains(key) && saved[key] != value) {
        std::string order;
        for (const auto& path : saved[key]) order += (order.empty() ? "" : " ") + path.get<std::string>();
        throw input_error(state_path, 0, "cannot resume: the inputs are the checkpoint's in another order (it sets "
                          "the batches); give them in the order {}", order);
      }
      continue;
    }
    if (key == "training_options" && saved.contains(key)) {
      for (const auto& [option, now] : value.items())
        if (saved[key].value(option, json()) != now)
          throw input_error(state_path, 0, "cannot resume: the checkpoint's run had --{} {}, this one {} (the "
                            "batches, random streams, losses or optimizer would differ)", option,
                            saved[key].value(option, json()).dump(), now.dump());
      continue;
    }
    if (saved.value(key, json()) != value)
      throw input_error(state_path, 0, "cannot resume: the checkpoint's {} is {} but this run's is {}", key,
                        saved.value(key, json()).dump(), value.dump());
  }
}

// --- metrics ---

class MetricsLog {
 public:
  // A resumed run (`resuming`) keeps the lines of steps up to `keep_until` (step 0's validation
  // included: a run stopped before its first step resumes at 0) and continues the file; a new run
  // starts it empty. Only rank 0 writes the log; the other ranks of a data-parallel run get a
  // disabled one.
  MetricsLog(const std::string& path, bool resuming, std::int64_t keep_until, bool enabled = true)
      : path_(path), enabled_(enabled) {
    if (!enabled_) return;
    std::string kept;
    if (resuming && path_exists(path)) {
      std::ifstream in(path);
      std::string line;
      std::size_t number = 0;
      while (std::getline(in, line)) {
        ++number;
        if (line.empty()) continue;
        json record;
        try {
          record = json::parse(line);
        } catch (const json::parse_error& error) {
          // A kill while a line was written leaves it torn; it is past the checkpoint, so dropped.
          if (in.peek() == std::char_traits<char>::eof()) {
            log(Level::warning, "{}:{}: torn last line dropped (the run was killed while writing it)", path, number);
            break;
          }
          throw input_error(path, static_cast<long>(number), "not a JSON line: {}", error.what());
        }
        if (record.value("step", std::int64_t{0}) > keep_until) continue;
        kept += line + "\n";
        if (record.value("split", "") == "train" && record.contains("loss") && record["loss"].is_number())
          last_kept_train_loss_ = record["loss"].get<double>();
      }
    }
    write_file_atomically(path, kept);
    out_.open(path, std::ios::app);
    if (!out_) throw std::runtime_error("cannot append to " + path);
  }
  void write(const json& record) {
    if (!enabled_) return;
    out_ << record.dump() << "\n";
    out_.flush();
  }
  // The loss of the last train line kept (NaN when none): a resumed run reports it until it writes
  // its own, so a resumed run that has nothing left to do ends as the run it resumes did.
  double last_kept_train_loss() const { return last_kept_train_loss_; }

 private:
  double last_kept_train_loss_ = std::nan("");
  std::string path_;
  bool enabled_ = true;
  std::ofstream out_;
};

json number_or_null(double value) { return std::isfinite(value) ? json(value) : json(nullptr); }

// Running sums over the micro-batches since the last log line.
struct Tally {
  double mlm_sum = 0, contrastive_sum = 0, separation_sum = 0;
  std::int64_t selected = 0, correct = 0, anchors = 0, tokens = 0, separation_pairs = 0;
  // Cosine distances between pooled encoder embeddings: each ALT and its own REF, and each ALT and
  // the REF windows of the batch's other variants.
  // The same between their projections (the embeddings the contrastive loss compares).
  double own_distance_sum = 0, unrelated_distance_sum = 0;
  double own_projected_sum = 0, unrelated_projected_sum = 0;
  std::int64_t own_pairs = 0, unrelated_pairs = 0;
  // Sums of the cosine distances of each ALT row to its own REF and to the other variants' REFs.
  static std::pair<double, double> distance_sums(const at::Tensor& rows, const std::vector<std::int64_t>& ref_rows) {
    const auto n = static_cast<std::int64_t>(ref_rows.size());
    auto z = rows.to(at::kCPU, at::kDouble);
    z = z / z.norm(2, -1, true);
    auto refs = z.index_select(0, at::tensor(ref_rows, at::kLong));
    auto distance = 1.0 - at::matmul(z.slice(0, 0, n), refs.t());  // [ALT i, REF j]
    const double own = distance.diagonal().sum().item<double>();
    return {own, distance.sum().item<double>() - own};
  }
  // Every pair counts towards the ALT-to-own-REF mean; a batch of one pair (the default batch of
  // 1,000-token windows, or the last of a length bucket) has no unrelated REF to count.
  void add_distances(const BatchLosses& l) {
    const auto n = static_cast<std::int64_t>(l.ref_rows.size());
    if (!l.pooled.defined() || n < 1) return;
    auto [own, unrelated] = distance_sums(l.pooled, l.ref_rows);
    auto [own_projected, unrelated_projected] = distance_sums(l.projected, l.ref_rows);
    own_distance_sum += own;
    unrelated_distance_sum += unrelated;
    own_projected_sum += own_projected;
    unrelated_projected_sum += unrelated_projected;
    own_pairs += n;
    unrelated_pairs += n * (n - 1);
  }
  void add(const BatchLosses& l) {
    if (l.selected > 0) {
      mlm_sum += l.mlm * static_cast<double>(l.selected);
      selected += l.selected;
      correct += l.correct;
    }
    if (l.anchors > 0) {
      contrastive_sum += l.contrastive * static_cast<double>(l.anchors);
      anchors += l.anchors;
    }
    if (l.separation_pairs > 0) {
      separation_sum += l.separation * static_cast<double>(l.separation_pairs);
      separation_pairs += l.separation_pairs;
    }
    tokens += l.tokens;
  }
  // The training tally of every rank added up (all ranks call it at the same step).
  void sum_over_ranks(Communicator* comm) {
    if (comm == nullptr) return;
    std::vector<double> v = {mlm_sum,
                             contrastive_sum,
                             static_cast<double>(selected),
                             static_cast<double>(correct),
                             static_cast<double>(anchors),
                             static_cast<double>(tokens),
                             separation_sum,
                             static_cast<double>(separation_pairs)};
    comm->all_reduce_sum(v);
    mlm_sum = v[0];
    contrastive_sum = v[1];
    selected = static_cast<std::int64_t>(v[2]);
    correct = static_cast<std::int64_t>(v[3]);
    anchors = static_cast<std::int64_t>(v[4]);
    tokens = static_cast<std::int64_t>(v[5]);
    separation_sum = v[6];
    separation_pairs = static_cast<std::int64_t>(v[7]);
  }
  // The training sums (not the validation distances) for a checkpoint, and back.
  json to_json() const {
    return {{"mlm_sum", mlm_sum},         {"contrastive_sum", contrastive_sum}, {"selected", selected},
            {"correct", correct},         {"anchors", anchors},                 {"tokens", tokens},
            {"separation_sum", separation_sum}, {"separation_pairs", separation_pairs}};
  }
  static Tally from_json(const json& j) {
    Tally t;
    t.mlm_sum = j.value("mlm_sum", 0.0);
    t.contrastive_sum = j.value("contrastive_sum", 0.0);
    t.selected = j.value("selected", std::int64_t{0});
    t.correct = j.value("correct", std::int64_t{0});
    t.anchors = j.value("anchors", std::int64_t{0});
    t.tokens = j.value("tokens", std::int64_t{0});
    t.separation_sum = j.value("separation_sum", 0.0);
    t.separation_pairs = j.value("separation_pairs", std::int64_t{0});
    return t;
  }
  double mlm() const { return selected ? mlm_sum / static_cast<double>(selected) : not_a_number; }
  double contrastive() const { return anchors ? contrastive_sum / static_cast<double>(anchors) : not_a_number; }
  double separation() const {
    return separation_pairs ? separation_sum / static_cast<double>(separation_pairs) : not_a_number;
  }
  double accuracy() const {
    return selected ? static_cast<double>(correct) / static_cast<double>(selected) : not_a_number;
  }
};

json loss_fields(const Tally& tally, const TrainOptions& o) {
  json j;
  const double mlm = tally.mlm(), con = tally.contrastive();
  double total = 0;
  if (o.objective != Objective::contrastive) {
    j["mlm_loss"] = number_or_null(mlm);
    j["mlm_accuracy"] = number_or_null(tally.accuracy());
    total += o.mlm_weight * mlm;
  }
  if (o.objective != Objective::mlm) {
    j["contrastive_loss"] = number_or_null(con);
    total += o.contrastive_weight * con;
    if (o.separation_weight > 0) {
      // null while no batch held two variants (L_sep did not apply, and adds nothing to the loss)
      j["separation_loss"] = number_or_null(tally.separation());
      if (tally.separation_pairs > 0) total += o.contrastive_weight * o.separation_weight * tally.separation();
    }
  }
  j["loss"] = number_or_null(total);
  return j;
}

// --- setup ---

at::Device parse_device(const std::string& name) {
  try {
    at::Device device(name);
    if (device.is_cuda() && !at::hasCUDA())
      throw std::invalid_argument("--device " + name + ": this LibTorch build or machine has no CUDA");
    return device;
  } catch (const c10::Error&) {
    throw std::invalid_argument("unknown device '" + name + "' (cpu, cuda, cuda:N)");
  }
}

// A step takes grad_accumulation micro-batches on each rank: resumed on another number of ranks, the
// run continues with another batch per step at the same learning rate (allowed: the checkpoint holds
// the data position, not the rank count), so it is said.
void warn_if_other_rank_count(const std::string& out_dir, int world_size) {
  const std::string recorded = path_join(out_dir, "train.json");
  if (!path_exists(recorded)) return;
  const json record = read_json_file(recorded);
  const json ranks = record.value("data_parallel", json::object()).value("ranks", json());
  if (!ranks.is_number_integer() || ranks.get<int>() == world_size) return;
  log(Level::warning, "the run was trained on {} rank(s) and resumes on {}: each step now takes {} times the "
      "micro-batches at the same learning rate (resume with --nproc {} to continue it unchanged)",
      ranks.get<int>(), world_size, static_cast<double>(world_size) / ranks.get<int>(), ranks.get<int>());
}

// Whether `path` is `directory` or lies under it (symbolic links resolved where they exist).
bool is_within(const std::string& path, const std::string& directory) {
  const std::string inner = normalise_path(absolute_path(path)), outer = normalise_path(absolute_path(directory));
  return inner == outer || (inner.size() > outer.size() && inner.compare(0, outer.size(), outer) == 0 &&
                            inner[outer.size()] == '/');
}

// best/ written after the checkpoint a run resumes from (killed between the two) is not a model of
// the resumed run's history: removed, so best/best.json never disagrees with train.json. The resumed
// run writes it again at its next improvement (at the same step, when it retraces the same steps).
void reconcile_best_dir(const std::string& out_dir, const RunState& state) {
  const std::string best_dir = path_join(out_dir, "best"), about = path_join(best_dir, "best.json");
  if (!path_exists(best_dir)) return;
  std::int64_t written_step = -1;
  if (path_exists(about)) written_step = read_json_file(about).value("step", std::int64_t{-1});
  if (written_step == state.best_step) return;
  log(Level::warning, "{} holds the model of step {}, but the checkpoint of step {} has its best at step {}: removed "
      "(rewritten at the resumed run's next improvement)", best_dir, written_step, state.step, state.best_step);
  remove_tree(best_dir);
}

// Refuses an output directory that holds another run unless resuming or overwriting it.
void prepare_out_dir(const TrainOptions& o) {
  const bool holds_run =
      path_exists(path_join(o.out_dir, "train.json")) || path_exists(path_join(o.out_dir, "checkpoints"));
  if (o.resume) {
    if (checkpoint_steps(o.out_dir).empty())
      throw input_error(o.out_dir, 0, "--resume: no checkpoints/step-N/ with a state.json to resume from");
    return;
  }
  if (holds_run && !o.overwrite)
    throw input_error(o.out_dir, 0, "holds another training run (train.json or checkpoints/): pass --resume to "
                      "continue it or --overwrite to replace it");
  // --model OUT/best -o OUT --overwrite would delete the model before it is loaded.
  if (holds_run)
    for (const char* name : {"checkpoints", "final", "best"})
      if (is_within(o.model_dir, path_join(o.out_dir, name)))
        throw input_error(o.model_dir, 0, "--model lies in {}, which --overwrite removes: copy it elsewhere or "
                          "write to another -o", path_join(o.out_dir, name));
  if (holds_run)
    for (const char* name : {"checkpoints", "final", "best", "metrics.jsonl", "train.json"})
      remove_tree(path_join(o.out_dir, name));
  make_directories(o.out_dir);
}

// What a resumed run must share with the checkpoint's: model, objective, data, and every option that
// shapes the batches, the random streams, the losses or the optimizer (options_json's names). Left
// out, free to change: where and how fast it runs (device, precision, threads, activation
// checkpointing), how often it reports and saves, early stopping, and the run's length (--steps,
// --epochs: a longer run continues the schedule of its new length).
json make_fingerprint(const TrainOptions& o, const std::string& model_sha256, const json& data_files,
                      const json& input_order) {
  json training = options_json(o);
  for (const char* free : {"model", "out", "inputs", "steps", "epochs", "eval-every", "early-stopping", "log-every",
                           "checkpoint-every", "keep-checkpoints", "threads", "device", "precision",
                           "activation-checkpointing"})
    training.erase(free);
  return {{"model_sha256", model_sha256}, {"objective", objective_name(o.objective)}, {"data", data_files},
          {"input_order", input_order},
          {"lora_rank", o.adapters.lora_rank}, {"lora_targets", model::lora_target_names(o.adapters.lora_targets)},
          {"ia3", o.adapters.ia3}, {"freeze_below", o.freeze_below}, {"seed", o.seed},
          {"validation_fraction", o.validation_fraction}, {"training_options", training}};
}

// --precision auto: bf16 where the tensor cores make it pay (CUDA), fp32 on CPU.
std::string resolved_precision(const TrainOptions& o, at::Device device) {
  if (o.precision != "auto") return o.precision;
  return device.is_cuda() ? "bf16" : "fp32";
}

Trainable build_model(const TrainOptions& o, const model::NtConfig& config, at::Device device,
                      const std::string& resume_dir) {
  Trainable model;
  const std::string weights = resume_dir.empty() ? "" : path_join(resume_dir, "model.safetensors");
  model.encoder =
      std::make_unique<model::NtEncoder>(config, weights.empty() ? model::Checkpoint::load_dir(o.model_dir)
                                                                 : model::Checkpoint::load_safetensors(weights));
  model.encoder->to(device, at::kFloat);  // the float32 master weights the optimizer updates
  if (resolved_precision(o, device) == "bf16") model.encoder->set_compute_dtype(at::kBFloat16);
  if (o.adapters.any()) {
    model::AdapterOptions adapters = o.adapters;
    adapters.seed = stream_seed(o.seed, 0xada9);
    model.encoder->add_adapters(adapters);
    if (!resume_dir.empty()) {
      std::string path = path_join(resume_dir, "adapter.safetensors");
      model.encoder->load_adapters(model::Checkpoint::load_safetensors(path), path);
    }
  }
  model.encoder->set_trainable(!o.adapters.any(), o.freeze_below);
  if (o.objective != Objective::mlm) {
    model.head = ProjectionHead::create(config.hidden_size, o.projection_hidden, o.projection_dim,
                                        stream_seed(o.seed, 0x6ead), device, at::kFloat);
    if (!resume_dir.empty()) {
      std::string path = path_join(resume_dir, "projection_head.safetensors");
      model::Checkpoint saved = model::Checkpoint::load_safetensors(path);
      at::NoGradGuard no_grad;
      for (auto& named : model.head->named_tensors()) {
        const model::TensorView* view = saved.find(named.name);
        if (view == nullptr || view->shape != named.tensor.sizes().vec())
          throw input_error(path, 0, "projection head tensor '{}' is missing or has another shape", named.name);
        named.tensor.copy_(model::tensor_from_view(*view));
      }
    }
    model.head->set_requires_grad(true);
  }
  return model;
}

// Writes OUTDIR/<name>/ (final/ or best/): the Hugging Face model directory, adapters merged, with
// the adapters and the projection head beside it; `about` (if not null) goes to <name>/<name>.json.
void write_model_dir(const Trainable& model, const TrainOptions& o, const std::string& name, const json& about) {
  const std::string final_dir = path_join(o.out_dir, name);
  const std::string partial = path_join(o.out_dir, "." + name + ".partial");
  remove_tree(partial);
  model::NtEncoder merged = *model.encoder;  // shares tensors; merging replaces them, never edits
  make_directories(partial);
  if (merged.has_adapters()) {
    model::save_tensors(path_join(partial, "adapter.safetensors"), merged.adapter_tensors());
    const auto& a = merged.adapter_options();
    // PEFT's LoraConfig / IA3Config fields (one adapter type per PEFT config: with both, LoRA's).
    json config = {{"peft_type", a.lora_rank > 0 ? "LORA" : "IA3"}, {"task_type", nullptr},
                   {"base_model_name_or_path", absolute_path(o.model_dir)}, {"inference_mode", true},
                   {"fan_in_fan_out", false}, {"modules_to_save", nullptr},
                   {"oncolm_lora_targets", model::lora_target_names(a.lora_targets)}, {"oncolm_ia3", a.ia3},
                   {"oncolm_peft_loadable", !(a.lora_rank > 0 && a.ia3)}};
    if (a.lora_rank > 0) {
      config.update({{"r", a.lora_rank}, {"lora_alpha", a.lora_alpha}, {"lora_dropout", a.lora_dropout},
                     {"bias", "none"}, {"target_modules", model::peft_target_regex(a.lora_targets)}});
    } else {
      // IA3 here scales keys, values and the feed-forward activation (the input of output.dense).
      config.update({{"target_modules", ".*\\.layer\\.\\d+\\.(attention\\.self\\.key|attention\\.self\\.value|output\\.dense)"},
                     {"feedforward_modules", ".*\\.layer\\.\\d+\\.output\\.dense"}});
    }
    write_file_atomically(path_join(partial, "adapter_config.json"), config.dump(1) + "\n");
    merged.merge_adapters();
  }
  model::export_hf_model(merged, o.model_dir, partial);
  if (model.head) model::save_tensors(path_join(partial, "projection_head.safetensors"), model.head->named_tensors());
  if (!about.is_null()) write_file_atomically(path_join(partial, name + ".json"), about.dump(1) + "\n");
  replace_directory(partial, final_dir);
}

// --- evaluation ---

json evaluate(const Trainable& model, const Objectives& objectives,
              const std::vector<std::vector<std::size_t>>& batches, const TrainOptions& o) {
  at::NoGradGuard no_grad;
  Tally tally;
  for (std::size_t b = 0; b < batches.size(); ++b) {
    // Fixed streams: the same masks and views at every evaluation, so the losses compare.
    std::mt19937_64 rng(stream_seed(o.seed, 0xe7a1, b));
    BatchLosses losses = objectives.compute(model, batches[b], rng, false);
    tally.add(losses);
    tally.add_distances(losses);
  }
  json j = loss_fields(tally, o);
  if (o.objective != Objective::contrastive) j["mlm_perplexity"] = number_or_null(std::exp(tally.mlm()));
  if (tally.own_pairs > 0) {
    // How far each ALT window sits from its own REF, relative to REF windows of other variants
    // (null when no batch held two pairs).
    const auto mean = [](double sum, std::int64_t count) {
      return count > 0 ? sum / static_cast<double>(count) : not_a_number;
    };
    const double own = mean(tally.own_distance_sum, tally.own_pairs);
    const double unrelated = mean(tally.unrelated_distance_sum, tally.unrelated_pairs);
    j["alt_ref_distance"] = own;
    j["unrelated_distance"] = number_or_null(unrelated);
    j["alt_ref_distance_ratio"] = number_or_null(own / unrelated);
    const double own_projected = mean(tally.own_projected_sum, tally.own_pairs);
    const double unrelated_projected = mean(tally.unrelated_projected_sum, tally.unrelated_pairs);
    j["projected_alt_ref_distance"] = own_projected;
    j["projected_unrelated_distance"] = number_or_null(unrelated_projected);
    j["projected_alt_ref_distance_ratio"] = number_or_null(own_projected / unrelated_projected);
    j["distance_pairs"] = {{"alt_ref", tally.own_pairs}, {"unrelated", tally.unrelated_pairs}};
  }
  return j;
}

// --- the run ---

// Everything a run holds once its inputs are checked (members that others refer to sit behind
// pointers, so the references stay valid when the Run moves).
struct Run {
  const TrainOptions& options;
  model::NtConfig config;
  std::unique_ptr<model::Tokenizer> tokenizer;
  std::unique_ptr<TrainingData> data;
  Split split;
  Trainable model;
  std::unique_ptr<torch::optim::AdamW> optimizer;
  std::unique_ptr<Objectives> objectives;
  std::vector<std::vector<std::size_t>> validation_batches;
  json fingerprint, provenance;
  RunState state;
  std::int64_t total_steps = 0;
  std::unique_ptr<Communicator> comm;  // data-parallel runs only
  // Data parallel: each rank's gradients hold its micro-batches' share of the step's mean loss; the
  // reducer sums them over the ranks (during backward), the gradient of the whole step on every rank.
  std::unique_ptr<GradientReducer> reducer;  // after comm: destroyed before it
  bool primary() const { return !comm || comm->rank() == 0; }
  int rank() const { return comm ? comm->rank() : 0; }
  int world_size() const { return comm ? comm->world_size() : 1; }
};

RunState read_run_state(const std::string& checkpoint, const json& fingerprint) {
  const std::string state_path = path_join(checkpoint, "state.json");
  json saved = read_json_file(state_path);
  check_fingerprint(saved.at("fingerprint"), fingerprint, state_path);
  RunState state;
  state.step = saved.at("step").get<std::int64_t>();
  state.epoch = saved.at("epoch").get<std::int64_t>();
  state.batch = saved.at("batch_in_epoch").get<std::int64_t>();
  state.evaluations_without_improvement = saved.at("evaluations_without_improvement").get<int>();
  if (!saved.at("best_validation_loss").is_null())
    state.best_validation = saved.at("best_validation_loss").get<double>();
  if (saved.contains("best_step") && !saved.at("best_step").is_null())
    state.best_step = saved.at("best_step").get<std::int64_t>();
  state.pending_tally = saved.value("pending_train_tally", json::object());
  return state;
}

// What the gradient all-reduce sends (train.json data_parallel).
json reducer_layout(const GradientReducer& reducer) {
  const BucketOptions& b = reducer.options();
  return {{"gradient_buckets", reducer.stats().buckets},
          {"gradient_bytes_per_step", reducer.stats().bytes_per_step},
          {"bucket_bytes", b.bucket_bytes},
          {"first_bucket_bytes", b.first_bucket_bytes},
          {"overlap_with_backward", b.overlap}};
}

// How it went, on rank 0 (train.json result): the buckets sent before the last step's backward
// returned, and the time from backward's return to the summed gradients, the communication
// backward did not hide.
json reducer_result(const GradientReducer& reducer) {
  const ReducerStats& s = reducer.stats();
  return {{"steps", s.steps},
          {"buckets_sent_during_last_backward", s.launched_in_backward},
          {"wait_after_backward_s", s.wait_seconds},
          {"wait_after_backward_ms_per_step", s.steps > 0 ? 1000.0 * s.wait_seconds / static_cast<double>(s.steps) : 0.0}};
}

// Every check on the model, the inputs and the output directory happens here, before any step.
Run prepare_run(const TrainOptions& o) {
  validate_options(o);
  Run run{o, model::NtConfig::load_dir(o.model_dir), {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, 0, nullptr, nullptr};
  // A process group for several ranks, or for one when a rendezvous is given (the one-rank NCCL check);
  // NCCL on CUDA where the build has it, Gloo otherwise.
  if (o.distributed.world_size > 1 || !o.distributed.rendezvous.empty()) {
    DistributedOptions group = o.distributed;
    if (parse_device(o.device).is_cuda() && nccl_available()) group.backend = "nccl";
    run.comm = std::make_unique<Communicator>(group);
  }
  const model::NtConfig& config = run.config;
  run.tokenizer = std::make_unique<model::Tokenizer>(model::Vocabulary::load_model(o.model_dir, config.vocab_size));
  std::string model_sha256;
  {
    const model::Checkpoint base = model::Checkpoint::load_dir(o.model_dir);
    model_sha256 = model::checkpoint_checksum(base);
    // Checked here, before prepare_out_dir: a bad model must not cost the run an --overwrite removes.
    if (o.objective != Objective::contrastive && base.find("lm_head.decoder.weight") == nullptr)
      throw input_error(o.model_dir, 0, "the checkpoint has no MLM head (lm_head.decoder.weight), which --objective "
                        "{} needs", objective_name(o.objective));
  }
  if (o.freeze_below > config.num_layers)
    throw std::invalid_argument(
        fmt::format("--freeze-below {}: the model has {} layers", o.freeze_below, config.num_layers));
  if (o.max_tokens > config.max_tokens)
    throw std::invalid_argument(
        fmt::format("--max-tokens {} exceeds the model's {} positions", o.max_tokens, config.max_tokens));
  const at::Device device = parse_device(o.device);

  Corpus corpus = load_corpus(o.inputs);
  // Contrastive and both train on REF/ALT pairs only: a plain FASTA's records would be left out.
  if (o.objective != Objective::mlm)
    for (const auto& input : o.inputs)
      if (!is_directory(input))
        throw input_error(input, 0, "plain FASTA holds no REF/ALT pairs, and --objective {} trains on pairs only: "
                          "train on it with --objective mlm, or give `oncolm windows` directories",
                          objective_name(o.objective));
  if (o.objective != Objective::mlm && corpus.pairs.empty())
    throw input_error(o.inputs.front(), 0, "--objective {} needs REF/ALT pairs (`oncolm windows` output directories "
                      "with their .windows.tsv.gz); these inputs hold none", objective_name(o.objective));
  json data_files = json::array();
  for (const auto& [path, sha] : corpus_files(corpus)) data_files.push_back({{"path", path}, {"sha256", sha}});
  json input_order = json::array();  // the FASTA files in the order their records became units
  for (const auto& source : corpus.sources) input_order.push_back(absolute_path(source.fasta));
  const auto max_tokens = static_cast<std::size_t>(o.max_tokens > 0 ? o.max_tokens : config.max_tokens);
  run.data = std::make_unique<TrainingData>(std::move(corpus), *run.tokenizer, o, max_tokens);
  run.split = split_units(run.data->unit_donors(), run.data->unit_keys(), o.validation_fraction, o.seed);
  if (run.split.train.empty())
    throw input_error(o.inputs.front(), 0, "no training units left after the validation split");
  run.fingerprint = make_fingerprint(o, model_sha256, data_files, input_order);

  if (run.primary()) prepare_out_dir(o);
  if (run.comm) run.comm->barrier();  // the other ranks read the directory rank 0 has checked
  std::string resume_dir;
  if (o.resume) {
    // Every rank looks for itself: on several machines OUTDIR must be shared, and one that is not
    // must fail with a message, not index an empty list.
    const std::vector<std::int64_t> steps = checkpoint_steps(o.out_dir);
    if (steps.empty())
      throw input_error(path_join(o.out_dir, "checkpoints"), 0, "--resume: rank {} finds no step-N/ checkpoint here "
                        "(OUTDIR must be a directory every rank shares)", run.rank());
    resume_dir = checkpoint_dir(o.out_dir, steps.back());
    run.state = read_run_state(resume_dir, run.fingerprint);
    log(Level::info, "resuming from {} (step {})", resume_dir, run.state.step);
    if (run.primary()) reconcile_best_dir(o.out_dir, run.state);
    warn_if_other_rank_count(o.out_dir, run.world_size());
  }
  if (device.is_cpu()) {
    const int threads = resolve_thread_count(o.threads);
    at::set_num_threads(threads);
    set_blas_threads(threads);
  }
  run.model = build_model(o, config, device, resume_dir);
  run.optimizer = make_optimizer(run.model, o);
  if (run.comm) {
    std::vector<at::Tensor> tensors;
    for (const auto& p : run.model.parameters()) tensors.push_back(p.tensor);
    run.reducer = std::make_unique<GradientReducer>(*run.comm, tensors, bucket_options_from_environment());
  }
  if (!resume_dir.empty()) torch::load(*run.optimizer, path_join(resume_dir, "optimizer.pt"));
  run.objectives = std::make_unique<Objectives>(o, *run.data, device, config.vocab_size);

  run.validation_batches = run.data->plan(run.split.validation, 0, false);
  const auto batches_per_epoch = static_cast<std::int64_t>(run.data->plan(run.split.train, 0, true).size());
  run.total_steps = o.steps > 0 ? o.steps
                                : std::max<std::int64_t>(
                                      1, static_cast<std::int64_t>(std::ceil(
                                             o.epochs * static_cast<double>(batches_per_epoch) /
                                             (o.grad_accumulation * run.world_size()))));
  run.provenance = {{"oncolm_version", version_string()},
                    {"git_hash", git_hash()},
                    {"command", o.command_line},
                    {"blas_kernels", blas_kernels_description()},
                    {"openmp_wait_policy", openmp_wait_description()},
                    {"model",
                     {{"dir", absolute_path(o.model_dir)},
                      {"sha256", model_sha256},
                      {"architecture", config.describe()},
                      {"parameters", config.parameter_count()}}},
                    {"config", options_json(o)},
                    {"precision", resolved_precision(o, device)},
                    {"data", data_files},
                    {"split",
                     {{"method", run.split.method},
                      {"validation_donors", run.split.validation_donors},
                      {"train_units", run.split.train.size()},
                      {"validation_units", run.split.validation.size()},
                      {"unit", run.data->pairs() ? "REF/ALT pair" : "sequence"}}},
                    {"steps", run.total_steps},
                    {"batches_per_epoch", batches_per_epoch},
                    {"data_parallel",
                     {{"ranks", run.world_size()},
                      {"backend", run.comm ? run.comm->backend() : std::string("none")},
                      {"micro_batches_per_step", o.grad_accumulation * run.world_size()}}}};
  if (run.reducer) run.provenance["data_parallel"].update(reducer_layout(*run.reducer));
  if (run.primary()) write_file_atomically(path_join(o.out_dir, "train.json"), run.provenance.dump(1) + "\n");
  log(Level::info, "training {} on {} units ({} validation, split by {}), {} steps", objective_name(o.objective),
      run.split.train.size(), run.split.validation.size(), run.split.method, run.total_steps);
  return run;
}

double epoch_position(const RunState& state, std::size_t batches_in_epoch) {
  return static_cast<double>(state.epoch) +
         static_cast<double>(state.batch) / static_cast<double>(std::max<std::size_t>(1, batches_in_epoch));
}

// Evaluates, writes the validation record and updates the early-stopping count; true = stop.
bool validate(Run& run, MetricsLog& metrics, double epoch) {
  const TrainOptions& o = run.options;
  json record = evaluate(run.model, *run.objectives, run.validation_batches, o);
  record["split"] = "validation";
  record["step"] = run.state.step;
  record["epoch"] = epoch;
  metrics.write(record);
  const double loss = record["loss"].is_null() ? not_a_number : record["loss"].get<double>();
  if (loss < run.state.best_validation) {
    run.state.best_validation = loss;
    run.state.best_step = run.state.step;
    run.state.evaluations_without_improvement = 0;
    // best/: the model of the lowest validation loss so far, to keep when the run ends past it.
    if (run.primary())
      write_model_dir(run.model, o, "best",
                      {{"step", run.state.step}, {"epoch", epoch}, {"validation_loss", loss},
                       {"about", "the model at the evaluation with the lowest validation loss of the run"}});
  } else {
    ++run.state.evaluations_without_improvement;
  }
  // The other ranks wait for best/ outside the collectives' --dist-timeout.
  if (run.comm) run.comm->wait_for_primary_writes(fmt::format("validation at step {}", run.state.step));
  if (o.early_stopping_patience == 0 || run.state.evaluations_without_improvement < o.early_stopping_patience)
    return false;
  log(Level::info, "early stopping at step {}: validation loss has not improved for {} evaluations", run.state.step,
      run.state.evaluations_without_improvement);
  return true;
}

// The training loop: data, forward, backward, update, log, evaluate, checkpoint.
void train_loop(Run& run, TrainResult& result) {
  const TrainOptions& o = run.options;
  RunState& state = run.state;
  MetricsLog metrics(path_join(o.out_dir, "metrics.jsonl"), o.resume, state.step, run.primary());
  if (o.resume) result.last_train_loss = metrics.last_kept_train_loss();
  SignalGuard signals;
  Progress progress("train", static_cast<std::uint64_t>(run.total_steps), "steps");
  progress.advance(static_cast<std::uint64_t>(state.step));
  std::vector<std::vector<std::size_t>> epoch_batches = run.data->plan(run.split.train, state.epoch, true);
  const auto parameters = run.model.parameters();
  std::int64_t saved_step = o.resume ? state.step : -1;
  // The model as given, for comparison with every later evaluation.
  if (!o.resume && !run.validation_batches.empty()) validate(run, metrics, 0.0);
  // The steps since the last train line before an interruption (rank 0 kept the sum of all ranks').
  Tally tally = run.primary() ? Tally::from_json(state.pending_tally) : Tally{};
  std::int64_t untimed_tokens = tally.tokens;  // counted before this process started: not in the rate
  std::int64_t tally_steps = 0;                 // steps in `tally` done by this process
  auto since_log = std::chrono::steady_clock::now();
  double untimed_seconds = 0;  // evaluations and checkpoints since the last train line: not training time
  auto write_train_line = [&](double lr, double grad_norm, double epoch) {
    tally.sum_over_ranks(run.comm.get());
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - since_log).count() - untimed_seconds;
    const double timed_tokens = static_cast<double>(tally.tokens - untimed_tokens);
    json record = loss_fields(tally, o);
    record.update({{"split", "train"}, {"step", state.step}, {"epoch", epoch}, {"lr", lr}, {"grad_norm", grad_norm},
                   {"tokens_per_s", seconds > 0 ? timed_tokens / seconds : 0.0}});
    metrics.write(record);
    if (!record["loss"].is_null())
      progress.set_note(fmt::format("loss {:.4f}, {:.0f} tokens/s", record["loss"].get<double>(),
                                    record["tokens_per_s"].get<double>()));
    result.last_train_loss = record["loss"].is_null() ? not_a_number : record["loss"].get<double>();
    log(Level::info, "step {}/{}: loss {:.4f}, lr {:.3g}, {:.0f} tokens/s", state.step, run.total_steps,
        result.last_train_loss, lr, record["tokens_per_s"].get<double>());
    tally = Tally{};
    untimed_tokens = 0;
    untimed_seconds = 0;
    tally_steps = 0;
    since_log = std::chrono::steady_clock::now();
  };
  // What a checkpoint keeps of the tally: the sum over the ranks (every rank calls this at the same step).
  auto pending_tally = [&]() {
    Tally all = tally;
    all.sum_over_ranks(run.comm.get());
    return all.to_json();
  };
  // A run that had stopped early stays stopped when resumed (say, after a kill while final/ was
  // written), unless a larger --early-stopping now lets it go on.
  if (o.resume && o.early_stopping_patience > 0 &&
      state.evaluations_without_improvement >= o.early_stopping_patience) {
    result.early_stopped = true;
    log(Level::info, "the resumed run stopped early at step {} ({} evaluations without a better validation loss): "
        "nothing left to train", state.step, state.evaluations_without_improvement);
  }
  // final/ is the model at the end of the run: a resumed run that trains further (a longer --steps)
  // must not leave the earlier end's model under that name while it runs, or if it is killed.
  if (o.resume && state.step < run.total_steps && !result.early_stopped && run.primary())
    remove_tree(path_join(o.out_dir, "final"));
  // Whether to stop for a signal. With several ranks only the value they agreed on at the end of a
  // step counts: a rank that read its own flag later could stop a step before the others and leave
  // them waiting in a collective.
  bool stop_agreed = false;
  auto stopping = [&]() { return run.comm ? stop_agreed : stop_requested != 0; };
  while (state.step < run.total_steps && !result.early_stopped && !stopping()) {
    const double lr = learning_rate(o, state.step, run.total_steps);
    set_learning_rate(*run.optimizer, lr);
    run.optimizer->zero_grad();
    // A step takes grad_accumulation micro-batches per rank. Every rank walks the same sequence of
    // batches and works on every world_size-th one, with the random streams of its position in the
    // step, so N ranks take exactly the step one process takes with N times the accumulation.
    const int micro_batches = o.grad_accumulation * run.world_size();
    int mine = 0;  // this rank's micro-batches so far in the step
    for (int micro = 0; micro < micro_batches; ++micro) {
      if (state.batch >= static_cast<std::int64_t>(epoch_batches.size())) {
        ++state.epoch;
        state.batch = 0;
        epoch_batches = run.data->plan(run.split.train, state.epoch, true);
      }
      const auto& units = epoch_batches[static_cast<std::size_t>(state.batch++)];
      if (micro % run.world_size() != run.rank()) continue;
      const auto step = static_cast<std::uint64_t>(state.step), part = static_cast<std::uint64_t>(micro);
      std::mt19937_64 rng(stream_seed(o.seed, 0x57e9, step, part));  // masks and second views
      at::manual_seed(stream_seed(o.seed, 0xd209, step, part));       // LoRA dropout
      BatchLosses losses = run.objectives->compute(run.model, units, rng, true);
      if (run.reducer) run.reducer->prepare_backward(++mine == o.grad_accumulation);
      (losses.total / static_cast<double>(micro_batches)).backward();
      tally.add(losses);
    }
    if (run.reducer) run.reducer->finish_step();
    const double grad_norm = clip_gradients(parameters, o.max_grad_norm);
    // Before the optimizer step, so that the weights (and every checkpoint) stay as they were.
    if (!std::isfinite(grad_norm))
      throw std::runtime_error(fmt::format(
          "step {}: the gradients are not finite (norm {}): the training diverged (lower --lr) or the model gives "
          "NaN; the checkpoints already written are kept and no final/ is written",
          state.step + 1, grad_norm));
    run.optimizer->step();
    ++state.step;
    ++tally_steps;
    progress.advance();

    const bool last = state.step == run.total_steps;
    const double epoch = epoch_position(state, epoch_batches.size());
    if (state.step % o.log_every == 0 || last) write_train_line(lr, grad_norm, epoch);
    const auto evaluation_started = std::chrono::steady_clock::now();
    if (!run.validation_batches.empty() && ((o.eval_every > 0 && state.step % o.eval_every == 0) || last))
      result.early_stopped = validate(run, metrics, epoch);
    // Stopping early between train lines: the steps since the last one still get theirs.
    if (result.early_stopped && tally_steps > 0) write_train_line(lr, grad_norm, epoch);
    if (o.after_step) o.after_step(state.step);
    if (run.comm) {  // a signal to any rank stops them all at the same step
      std::vector<double> signalled = {stop_requested ? 1.0 : 0.0};
      run.comm->all_reduce_sum(signalled);
      stop_agreed = signalled[0] > 0;
    }
    const bool stop_now = stopping();
    if (state.step % o.checkpoint_every == 0 || last || result.early_stopped || stop_now) {
      state.pending_tally = pending_tally();
      if (run.primary())
        save_checkpoint(o.out_dir, run.model, *run.optimizer, state, run.fingerprint, o.keep_checkpoints);
      if (run.comm) run.comm->wait_for_primary_writes(fmt::format("checkpoint {}", state.step));
      saved_step = state.step;
    }
    untimed_seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - evaluation_started).count();
    if (result.early_stopped) break;
  }
  // A signal that arrived after the last step's checkpoint decision still gets its checkpoint (one
  // process only: ranks stop on an agreed step, which saves its checkpoint in the loop).
  const bool stopped = stopping();
  if (stopped && saved_step != state.step && run.primary()) {
    state.pending_tally = tally.to_json();
    save_checkpoint(o.out_dir, run.model, *run.optimizer, state, run.fingerprint, o.keep_checkpoints);
  }
  result.interrupted = stopped && state.step < run.total_steps;
  progress.finish();
}

}  // namespace

TrainResult run_training(const TrainOptions& o) {
  Run run = prepare_run(o);
  TrainResult result;
  result.best_validation_loss = not_a_number;
  train_loop(run, result);
  result.steps = run.state.step;
  if (std::isfinite(run.state.best_validation)) result.best_validation_loss = run.state.best_validation;
  result.best_step = run.state.best_step;
  if (result.interrupted) {
    log(Level::warning, "interrupted: checkpoint at step {} written; continue with --resume {}", run.state.step,
        o.out_dir);
    return result;
  }
  result.final_dir = path_join(o.out_dir, "final");
  if (!run.primary()) {  // rank 0 writes final/ and train.json
    run.comm->wait_for_primary_writes("final");
    return result;
  }
  write_model_dir(run.model, o, "final", nullptr);
  run.provenance["result"] = {{"steps", result.steps},
                              {"early_stopped", result.early_stopped},
                              {"last_train_loss", number_or_null(result.last_train_loss)},
                              {"best_validation_loss", number_or_null(result.best_validation_loss)},
                              {"best_step", run.state.best_step >= 0 ? json(run.state.best_step) : json(nullptr)},
                              {"best", path_exists(path_join(o.out_dir, "best")) ? json("best/") : json(nullptr)},
                              {"final", "final/"}};
  if (run.reducer) run.provenance["result"]["gradient_all_reduce"] = reducer_result(*run.reducer);
  write_file_atomically(path_join(o.out_dir, "train.json"), run.provenance.dump(1) + "\n");
  if (run.comm) run.comm->wait_for_primary_writes("final");  // the others exit after final/ exists
  return result;
}

}  // namespace oncolm::train
