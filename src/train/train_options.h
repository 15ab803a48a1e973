// Everything `oncolm train` can be told, with its defaults, the checks made before any work, and
// the JSON form written to OUTDIR/train.json. Torch-free (the CLI includes it).
#pragma once
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "model/adapter_options.h"
#include "train/distributed_options.h"
#include "train/masking.h"

namespace oncolm::train {

enum class Objective { mlm, contrastive, both };
Objective parse_objective(const std::string& name);  // throws std::invalid_argument
const char* objective_name(Objective objective);

struct TrainOptions {
  std::string model_dir;
  std::string out_dir;
  std::vector<std::string> inputs;
  Objective objective = Objective::mlm;

  // Length of the run: --steps wins; otherwise --epochs over the training units.
  std::int64_t steps = 0;
  double epochs = 1.0;
  std::int64_t batch_tokens = 4096;  // padded tokens per micro-batch, all forward passes together
  std::int64_t max_rows = 256;       // sequences per micro-batch
  int grad_accumulation = 1;         // micro-batches per optimizer step
  int max_tokens = 0;                // 0 = the model's limit (longer sequences are an error)

  // AdamW and its schedule: linear warm-up to lr, then cosine or linear decay to lr * min_lr_ratio.
  double lr = 1e-4;
  double weight_decay = 0.01;
  double adam_beta1 = 0.9, adam_beta2 = 0.999, adam_eps = 1e-8;
  std::int64_t warmup_steps = 0;
  std::string decay = "cosine";  // cosine or linear
  double min_lr_ratio = 0.0;
  double max_grad_norm = 1.0;  // 0 = no clipping

  std::uint64_t seed = 1;
  double validation_fraction = 0.1;
  std::int64_t eval_every = 100;       // steps; 0 = only at the end
  int early_stopping_patience = 0;     // evaluations without a better validation loss; 0 = off
  std::int64_t log_every = 10;
  std::int64_t checkpoint_every = 500;  // steps; a checkpoint is also written at the end
  int keep_checkpoints = 2;
  bool resume = false;
  bool overwrite = false;

  // What trains: all weights, or adapters (LoRA and/or IA3, base frozen); --freeze-below N keeps
  // the embeddings and layers 0..N-1 fixed.
  int freeze_below = 0;
  model::AdapterOptions adapters;

  // MLM
  MaskingOptions masking;
  bool mlm_centre = false;
  double mlm_weight = 1.0;

  // Contrastive
  double contrastive_weight = 1.0;
  double temperature = 0.1;
  double hard_negative_weight = 1.0;
  double separation_weight = 0.0;  // L_sep (losses.h) added to the contrastive objective
  int projection_hidden = 256;
  int projection_dim = 128;
  std::string pooling = "variant";  // variant (span +- context) or mean
  int span_context = 2;
  std::string second_view = "reverse-complement";  // or shift
  int max_shift = 6;

  int threads = 1;
  std::string device = "cpu";
  // auto: bf16 on CUDA, fp32 on CPU. bf16 = mixed precision: GEMMs and attention in bfloat16,
  // weights, optimizer state, LayerNorms, residual stream and losses in float32.
  std::string precision = "auto";
  DistributedOptions distributed;  // world_size > 1: this process is one rank of a data-parallel run
  bool activation_checkpointing = false;  // recompute layer activations in the backward pass
  std::string command_line;

  // Called after every optimizer step with the step count (tests use it to interrupt a run).
  std::function<void(std::int64_t)> after_step;
};

// Throws std::invalid_argument naming the option for values outside their range.
void validate_options(const TrainOptions& options);

// The effective configuration (option names as on the command line).
nlohmann::json options_json(const TrainOptions& options);

}  // namespace oncolm::train
