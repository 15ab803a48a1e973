// `oncolm train`: fine-tunes an NT checkpoint by masked language modelling and/or tumour-normal
// contrastive learning (objectives in train/losses.h). Torch-free interface.
//
// OUTDIR gets:
//   train.json         effective configuration and provenance (version, git hash, command, model
//                      checksum, data files with SHA-256, split), rewritten with the result at the end
//   metrics.jsonl      one JSON object per logging step and per evaluation: split (train/validation),
//                      step, epoch, loss (total), mlm_loss, contrastive_loss, mlm_accuracy, lr, grad_norm,
//                      tokens_per_s (train); loss, mlm_loss, mlm_perplexity, mlm_accuracy,
//                      contrastive_loss, alt_ref_distance, unrelated_distance, alt_ref_distance_ratio
//                      (validation, also at step 0 before any update) -- those that apply to the objective.
//                      The distances are cosine distances between pooled encoder embeddings (the
//                      contrastive pooling, before the projection head): each ALT and its own REF, and
//                      each ALT and the REF windows of the other variants in its validation batch
//   checkpoints/step-N/ model.safetensors (HF names), adapter.safetensors, projection_head.safetensors,
//                      optimizer.pt (AdamW state), state.json (step, data position, schedule, early
//                      stopping, RNG scheme, fingerprint of model, objective and data); written as
//                      checkpoints/.step-N.partial and renamed, so a crash leaves the previous one intact
//   final/             a Hugging Face model directory (config.json, model.safetensors with the source
//                      checkpoint's tensor names and shapes, vocab.txt, tokenizer files), adapters merged;
//                      final/adapter.safetensors (+ adapter_config.json) holds the adapters alone and
//                      final/projection_head.safetensors the contrastive head
//   best/              with validation: the same layout for the model of the lowest validation loss so
//                      far (step 0, the model as given, included), rewritten at each improvement, and
//                      best/best.json naming its step, epoch and validation loss
//
// Random streams (masking, second views, LoRA dropout, batch order) are derived from (seed, epoch,
// step, micro-batch), so the data position in a checkpoint fixes them all: a resumed run repeats
// the uninterrupted one step for step.
#pragma once
#include <limits>
#include <cstdint>
#include <string>

#include "train/train_options.h"

namespace oncolm::train {

struct TrainResult {
  std::int64_t steps = 0;          // optimizer steps done in total (including before a resume)
  bool interrupted = false;        // SIGINT/SIGTERM: checkpoint written, no final/
  bool early_stopped = false;
  double last_train_loss = std::numeric_limits<double>::quiet_NaN();  // NaN (null in train.json): no train line
  double best_validation_loss = 0;  // NaN without validation
  std::int64_t best_step = -1;     // the step of best/; -1 without validation
  std::string final_dir;           // empty when interrupted
};

// Runs the whole command. Bad input (model directory, inputs, resume mismatch, an output directory
// holding another run) throws InputError, invalid values std::invalid_argument, before any step.
TrainResult run_training(const TrainOptions& options);

// Exit status the CLI uses for a run stopped by a signal after writing its checkpoint (EX_TEMPFAIL:
// "try again", so schedulers and workflow managers do not take it for a finished run).
constexpr int interrupted_exit_code = 75;

}  // namespace oncolm::train
