#include "train/train_options.h"

#include "core/paths.h"

#include <cmath>
#include <stdexcept>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace oncolm::train {
namespace {

void require(bool ok, const std::string& message) {
  if (!ok) throw std::invalid_argument(message);
}

}  // namespace

Objective parse_objective(const std::string& name) {
  if (name == "mlm") return Objective::mlm;
  if (name == "contrastive") return Objective::contrastive;
  if (name == "both") return Objective::both;
  throw std::invalid_argument("unknown objective '" + name + "' (mlm, contrastive or both)");
}

const char* objective_name(Objective objective) {
  switch (objective) {
    case Objective::mlm: return "mlm";
    case Objective::contrastive: return "contrastive";
    case Objective::both: return "both";
  }
  return "?";
}

void validate_options(const TrainOptions& o) {
  require(!o.model_dir.empty(), "--model is required");
  require(!o.out_dir.empty(), "-o/--out is required");
  require(!o.inputs.empty(), "at least one INPUT is required");
  require(o.steps >= 0, fmt::format("--steps must be positive, found {}", o.steps));
  require(o.steps > 0 || o.epochs > 0, fmt::format("--epochs must be positive, found {}", o.epochs));
  require(o.batch_tokens > 0, fmt::format("--batch-tokens must be positive, found {}", o.batch_tokens));
  require(o.max_rows > 0, fmt::format("--batch-rows must be positive, found {}", o.max_rows));
  require(o.grad_accumulation > 0, fmt::format("--grad-accumulation must be positive, found {}", o.grad_accumulation));
  require(o.max_tokens == 0 || o.max_tokens >= 2, "--max-tokens must leave room for <cls> and one token");
  require(o.lr > 0 && std::isfinite(o.lr), fmt::format("--lr must be a positive number, found {}", o.lr));
  require(o.weight_decay >= 0 && std::isfinite(o.weight_decay), "--weight-decay must be a number >= 0");
  require(o.warmup_steps >= 0, "--warmup-steps must not be negative");
  require(o.decay == "cosine" || o.decay == "linear", "--decay must be cosine or linear, found '" + o.decay + "'");
  require(o.min_lr_ratio >= 0 && o.min_lr_ratio <= 1, "--min-lr-ratio must be in [0, 1]");
  require(o.max_grad_norm >= 0 && std::isfinite(o.max_grad_norm), "--max-grad-norm must be a number >= 0");
  require(o.validation_fraction >= 0 && o.validation_fraction < 1,
          fmt::format("--validation-fraction must be in [0, 1), found {}", o.validation_fraction));
  require(o.eval_every >= 0, "--eval-every must not be negative");
  require(o.log_every > 0, "--log-every must be positive");
  require(o.checkpoint_every > 0, fmt::format("--checkpoint-every must be positive, found {}", o.checkpoint_every));
  require(o.keep_checkpoints > 0, "--keep-checkpoints must be positive");
  require(!(o.resume && o.overwrite), "--resume and --overwrite exclude each other");
  require(o.freeze_below >= 0, "--freeze-below must not be negative");
  require(o.adapters.lora_rank >= 0, "--lora-rank must not be negative");
  require(o.adapters.lora_rank == 0 || o.adapters.lora_targets != 0, "--lora-targets names no projection");
  require(o.adapters.lora_alpha > 0 && std::isfinite(o.adapters.lora_alpha), "--lora-alpha must be a positive number");
  require(o.adapters.lora_dropout >= 0 && o.adapters.lora_dropout < 1, "--lora-dropout must be in [0, 1)");
  require(o.freeze_below == 0 || !o.adapters.any(),
          "--freeze-below applies to full fine-tuning; adapters freeze every base weight");
  require(o.masking.fraction > 0 && o.masking.fraction < 1,
          fmt::format("--mask-fraction must be in (0, 1), found {}", o.masking.fraction));
  require(o.mlm_weight >= 0 && o.contrastive_weight >= 0 && std::isfinite(o.mlm_weight) &&
              std::isfinite(o.contrastive_weight),
          "loss weights must be numbers >= 0");
  require(o.temperature > 0 && std::isfinite(o.temperature), "--temperature must be a positive number");
  require(o.hard_negative_weight >= 0 && std::isfinite(o.hard_negative_weight),
          "--hard-negative-weight must be a number >= 0");
  require(o.separation_weight >= 0 && std::isfinite(o.separation_weight), "--separation-weight must be a number >= 0");
  require(o.early_stopping_patience >= 0, "--early-stopping must not be negative");
  // Early stopping counts evaluations on the validation donors: without them it would never act.
  require(o.early_stopping_patience == 0 || (o.validation_fraction > 0 && o.eval_every > 0),
          fmt::format("--early-stopping {} needs validation during the run: --validation-fraction above 0 and "
                      "--eval-every above 0 (found {} and {})",
                      o.early_stopping_patience, o.validation_fraction, o.eval_every));
  require(o.projection_hidden > 0 && o.projection_dim > 0, "projection sizes must be positive");
  require(o.pooling == "variant" || o.pooling == "mean",
          "--contrastive-pooling must be variant or mean, found '" + o.pooling + "'");
  require(o.span_context >= 0, "--span-context must not be negative");
  require(o.second_view == "reverse-complement" || o.second_view == "shift",
          "--second-view must be reverse-complement or shift, found '" + o.second_view + "'");
  require(o.max_shift > 0, "--max-shift must be positive");
  require(o.threads >= 0, "--threads must not be negative");
  require(o.precision == "auto" || o.precision == "fp32" || o.precision == "bf16",
          "--precision must be auto, fp32 or bf16, found '" + o.precision + "'");
  require(!o.activation_checkpointing || o.adapters.lora_rank == 0 || o.adapters.lora_dropout == 0,
          "--activation-checkpointing recomputes layers, where --lora-dropout would draw other masks: use "
          "--lora-dropout 0");
}

nlohmann::json options_json(const TrainOptions& o) {
  nlohmann::json j;
  // Absolute paths: `oncolm train --resume OUTDIR` takes them from here, from any directory.
  j["model"] = absolute_path(o.model_dir);
  j["out"] = absolute_path(o.out_dir);
  std::vector<std::string> inputs;
  for (const auto& input : o.inputs) inputs.push_back(absolute_path(input));
  j["inputs"] = inputs;
  j["objective"] = objective_name(o.objective);
  j["steps"] = o.steps;
  j["epochs"] = o.epochs;
  j["batch-tokens"] = o.batch_tokens;
  j["batch-rows"] = o.max_rows;
  j["grad-accumulation"] = o.grad_accumulation;
  j["max-tokens"] = o.max_tokens;
  j["lr"] = o.lr;
  j["weight-decay"] = o.weight_decay;
  j["adam-betas"] = {o.adam_beta1, o.adam_beta2};
  j["adam-eps"] = o.adam_eps;
  j["warmup-steps"] = o.warmup_steps;
  j["decay"] = o.decay;
  j["min-lr-ratio"] = o.min_lr_ratio;
  j["max-grad-norm"] = o.max_grad_norm;
  j["seed"] = o.seed;
  j["validation-fraction"] = o.validation_fraction;
  j["eval-every"] = o.eval_every;
  j["early-stopping"] = o.early_stopping_patience;
  j["log-every"] = o.log_every;
  j["checkpoint-every"] = o.checkpoint_every;
  j["keep-checkpoints"] = o.keep_checkpoints;
  j["freeze-below"] = o.freeze_below;
  j["lora-rank"] = o.adapters.lora_rank;
  j["lora-alpha"] = o.adapters.lora_alpha;
  j["lora-dropout"] = o.adapters.lora_dropout;
  j["lora-targets"] = model::lora_target_names(o.adapters.lora_targets);
  j["ia3"] = o.adapters.ia3;
  j["mask-fraction"] = o.masking.fraction;
  j["mlm-centre"] = o.mlm_centre;
  j["mlm-weight"] = o.mlm_weight;
  j["contrastive-weight"] = o.contrastive_weight;
  j["temperature"] = o.temperature;
  j["hard-negative-weight"] = o.hard_negative_weight;
  j["separation-weight"] = o.separation_weight;
  j["projection-hidden"] = o.projection_hidden;
  j["projection-dim"] = o.projection_dim;
  j["contrastive-pooling"] = o.pooling;
  j["span-context"] = o.span_context;
  j["second-view"] = o.second_view;
  j["max-shift"] = o.max_shift;
  j["threads"] = o.threads;
  j["device"] = o.device;
  j["precision"] = o.precision;
  j["activation-checkpointing"] = o.activation_checkpointing;
  return j;
}

}  // namespace oncolm::train
