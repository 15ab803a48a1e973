// `oncolm train --model DIR --objective mlm|contrastive|both -o OUTDIR INPUT...`: fine-tunes an NT
// checkpoint (src/train/trainer.h describes the outputs). Options may also come from --config FILE,
// JSON ({"lr": 1e-4, "lora-rank": 4}) or TOML (lr = 1e-4), under the command-line names; the
// command line wins over the file.
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <string>

#include <nlohmann/json.hpp>

#include "commands.h"
#include "common_options.h"
#include "core/error.h"
#include "core/json_file.h"
#include "core/log.h"
#include "core/paths.h"
#include "train/distributed_options.h"
#include "train/launcher.h"
#include "train/trainer.h"

namespace oncolm::cli {
namespace {

// CLI11 reads TOML itself; a file whose first character is '{' is read as flat JSON instead.
// Every key must name an option of `app` (a misspelt one is an error, as on the command line).
class JsonOrTomlConfig : public CLI::ConfigTOML {
 public:
  explicit JsonOrTomlConfig(const CLI::App& app) : app_(app) {}
  std::vector<CLI::ConfigItem> from_config(std::istream& input) const override {
    std::vector<CLI::ConfigItem> parsed = read(input);
    for (const auto& item : parsed) {
      if (!item.parents.empty())
        throw CLI::ConfigError("--config: a TOML table ([" + item.parents.front() +
                               "]) is not read: put the options at the top level (steps = 100)");
      if (item.name != "INPUT" && app_.get_option_no_throw("--" + item.name) == nullptr)
        throw CLI::ConfigError("--config: no option --" + item.name + " (keys are the command-line names)");
      // CLI11 reads `lr =` (or "lr": "") as an empty value, which a number option would take as 0.
      bool has_value = !item.inputs.empty() &&
                       std::none_of(item.inputs.begin(), item.inputs.end(), [](const std::string& value) {
                         return value.find_first_not_of(" \t") == std::string::npos;
                       });
      if (!has_value) throw CLI::ConfigError("--config: '" + item.name + "' has no value");
    }
    return parsed;
  }

 private:
  std::vector<CLI::ConfigItem> read(std::istream& input) const {
    std::stringstream text;
    text << input.rdbuf();
    std::string content = text.str();
    std::size_t first = content.find_first_not_of(" \t\r\n");
    if (first == std::string::npos || content[first] != '{') {
      std::istringstream toml(content);
      return CLI::ConfigTOML::from_config(toml);
    }
    nlohmann::json json;
    try {
      json = nlohmann::json::parse(content);
    } catch (const nlohmann::json::parse_error& error) {
      throw CLI::ConfigError(std::string("--config: the file is not valid JSON: ") + error.what());
    }
    std::vector<CLI::ConfigItem> config_items;
    for (const auto& [key, value] : json.items()) {
      CLI::ConfigItem item;
      item.name = key;
      auto add = [&](const nlohmann::json& v) {
        if (v.is_object()) throw CLI::ConfigError("--config: '" + key + "' holds an object; use flat keys");
        item.inputs.push_back(v.is_string() ? v.get<std::string>() : v.dump());
      };
      if (value.is_array())
        for (const auto& element : value) add(element);
      else
        add(value);
      config_items.push_back(std::move(item));
    }
    return config_items;
  }
  const CLI::App& app_;
};

// `oncolm train --resume OUTDIR` alone continues that run: the options recorded in OUTDIR/train.json
// become the defaults (the command line and --config still override them). Returns a temporary JSON
// file of them for CLI11's config reader, or "" when argv has no --resume or the run has no train.json.
class ResumeDefaults {
 public:
  ResumeDefaults(int argc, char** argv, const CLI::App& app) {
    std::string out_dir;
    for (int i = 1; i < argc; ++i) {
      const std::string argument = argv[i];
      if (argument == "--resume" && i + 1 < argc) out_dir = argv[i + 1];
      if (argument.rfind("--resume=", 0) == 0) out_dir = argument.substr(9);
    }
    if (out_dir.empty()) return;
    const std::string recorded = path_join(out_dir, "train.json");
    if (!path_exists(recorded))
      throw input_error(recorded, 0, "missing: --resume {} names no `oncolm train` output directory", out_dir);
    const nlohmann::json record = read_json_file(recorded);
    if (!record.is_object() || !record.contains("config") || !record.at("config").is_object())
      throw input_error(recorded, 0, "no 'config' object: not the train.json of an `oncolm train` run");
    const nlohmann::json& config = record.at("config");
    nlohmann::json defaults = nlohmann::json::object();
    for (const auto& [key, value] : config.items()) {
      if (key == "out") continue;  // --resume names it
      // An option recorded as "" (or []) was not given; the config reader refuses empty values.
      if ((value.is_string() && value.get<std::string>().empty()) || (value.is_array() && value.empty())) continue;
      const std::string name = key == "inputs" ? "INPUT" : "--" + key;
      if (app.get_option_no_throw(name) != nullptr) defaults[key == "inputs" ? "INPUT" : key] = value;
    }
    // In $TMPDIR where set (a cluster job's own scratch), else /tmp.
    const char* tmpdir = std::getenv("TMPDIR");
    std::string pattern = std::string(tmpdir != nullptr && *tmpdir != '\0' ? tmpdir : "/tmp") + "/oncolm-resume-XXXXXX";
    const int fd = ::mkstemp(pattern.data());
    if (fd < 0) throw std::runtime_error("cannot create a temporary file " + pattern + " for the options of " + recorded);
    ::close(fd);
    path_ = pattern;
    std::ofstream out(path_);
    out << defaults.dump() << "\n";
    if (!out.flush())
      throw std::runtime_error("cannot write the options of " + recorded + " to the temporary file " + path_);
  }
  ~ResumeDefaults() {
    if (!path_.empty()) std::remove(path_.c_str());
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace

// This subcommand's arguments (argv[0] = "train") for the ranks a launcher starts: all but --nproc.
static std::vector<std::string> arguments_without_nproc(int argc, char** argv) {
  std::vector<std::string> arguments;
  for (int i = 0; i < argc; ++i) {
    const std::string argument = argv[i];
    if (argument == "--nproc") {
      ++i;
      continue;
    }
    if (argument.rfind("--nproc=", 0) == 0) continue;
    arguments.push_back(argument);
  }
  return arguments;
}

int run_train(int argc, char** argv) {
  CLI::App app{"Fine-tunes a Nucleotide Transformer checkpoint by masked language modelling (mlm), tumour-normal "
               "contrastive learning on REF/ALT window pairs (contrastive), or both.\n"
               "Writes OUTDIR/metrics.jsonl, OUTDIR/train.json, OUTDIR/checkpoints/step-N/ and OUTDIR/final/ "
               "(a Hugging Face model directory that `oncolm embed` loads); with validation also OUTDIR/best/, "
               "the model of the lowest validation loss.",
               "oncolm train"};
  CommonOptions common;
  add_common_options(app, common, false, false);
  train::TrainOptions o;
  std::string objective = "mlm", lora_targets = "query,value", resume_dir;
  app.config_formatter(std::make_shared<JsonOrTomlConfig>(app));
  // A misspelt key in --config is an error, as a misspelt option is on the command line.
  app.allow_config_extras(CLI::config_extras_mode::error);
  app.add_option("--model", o.model_dir, "model directory (config.json, vocab.txt, weights)")->required();
  app.add_option("INPUT", o.inputs, "`oncolm windows` output directories or FASTA files (FASTA: mlm only)")->required();
  app.add_option("-o,--out", o.out_dir, "output directory");
  app.add_option("--objective", objective, "mlm, contrastive or both")
      ->check(CLI::IsMember({"mlm", "contrastive", "both"}))->capture_default_str();
  app.add_option("--resume", resume_dir, "continue the run in OUTDIR from its latest checkpoint");
  app.add_flag("--overwrite", o.overwrite, "replace a run already in OUTDIR");
  // Length, batches, schedule
  app.add_option("--steps", o.steps, "optimizer steps (0 = from --epochs)")->capture_default_str();
  app.add_option("--epochs", o.epochs, "passes over the training units when --steps is 0")->capture_default_str();
  app.add_option("--batch-tokens", o.batch_tokens, "padded tokens per micro-batch, all forward passes together")
      ->capture_default_str();
  app.add_option("--batch-rows", o.max_rows, "most sequences per micro-batch")->capture_default_str();
  app.add_option("--grad-accumulation", o.grad_accumulation, "micro-batches per optimizer step")->capture_default_str();
  app.add_option("--max-tokens", o.max_tokens, "train on at most N tokens per sequence (with <cls>), centred on the "
                 "variant; 0 = the model's limit, longer sequences are an error")->capture_default_str();
  app.add_option("--lr", o.lr, "peak learning rate (AdamW)")->capture_default_str();
  app.add_option("--weight-decay", o.weight_decay, "AdamW weight decay (matrices only)")->capture_default_str();
  app.add_option("--warmup-steps", o.warmup_steps, "linear warm-up steps")->capture_default_str();
  app.add_option("--decay", o.decay, "cosine or linear decay after warm-up")->capture_default_str();
  app.add_option("--min-lr-ratio", o.min_lr_ratio, "final learning rate as a share of --lr")->capture_default_str();
  app.add_option("--max-grad-norm", o.max_grad_norm, "gradient clipping by global norm (0 = off)")
      ->capture_default_str();
  app.add_option("--seed", o.seed, "seed of every random stream (split, batches, masks, views, dropout, init)")
      ->capture_default_str();
  // Validation, logging, checkpoints
  app.add_option("--validation-fraction", o.validation_fraction, "share of donors held out (0 = no validation)")
      ->capture_default_str();
  app.add_option("--eval-every", o.eval_every, "steps between evaluations (0 = at the end only)")
      ->capture_default_str();
  app.add_option("--early-stopping", o.early_stopping_patience, "stop after N evaluations without a better "
                 "validation loss (0 = off)")->capture_default_str();
  app.add_option("--log-every", o.log_every, "steps per metrics line")->capture_default_str();
  app.add_option("--checkpoint-every", o.checkpoint_every, "steps between checkpoints")->capture_default_str();
  app.add_option("--keep-checkpoints", o.keep_checkpoints, "checkpoints kept (the newest)")->capture_default_str();
  // What trains
  app.add_option("--freeze-below", o.freeze_below, "full fine-tuning: keep the embeddings and layers below N fixed")
      ->capture_default_str();
  app.add_option("--lora-rank", o.adapters.lora_rank, "LoRA rank (0 = no LoRA); base weights frozen")
      ->capture_default_str();
  app.add_option("--lora-alpha", o.adapters.lora_alpha, "LoRA scale alpha (update = alpha/rank * B A x)")
      ->capture_default_str();
  app.add_option("--lora-dropout", o.adapters.lora_dropout, "dropout on the LoRA input")->capture_default_str();
  app.add_option("--lora-targets", lora_targets,
                 "comma-separated: query, key, value, attention-output, ffn-in, ffn-out")
      ->capture_default_str();
  app.add_flag("--ia3", o.adapters.ia3,
               "IA3 scaling vectors on keys, values and feed-forward activations; base frozen");
  // MLM
  app.add_option("--mask-fraction", o.masking.fraction, "share of non-special tokens selected per sequence")
      ->capture_default_str();
  app.add_flag("--mlm-centre", o.mlm_centre, "always select the tokens that carry the variant");
  app.add_option("--mlm-weight", o.mlm_weight, "weight of the MLM loss (both)")->capture_default_str();
  // Contrastive
  app.add_option("--contrastive-weight", o.contrastive_weight, "weight of the contrastive loss (both)")
      ->capture_default_str();
  app.add_option("--temperature", o.temperature, "InfoNCE temperature")->capture_default_str();
  app.add_option("--hard-negative-weight", o.hard_negative_weight, "weight of each ALT's own REF window(s) in the "
                 "InfoNCE denominator")->capture_default_str();
  app.add_option("--separation-weight", o.separation_weight, "weight of the variant-separation term (log of the "
                 "unrelated / ALT-REF distance ratio of the pooled embeddings)")->capture_default_str();
  app.add_option("--projection-hidden", o.projection_hidden, "projection head hidden size")->capture_default_str();
  app.add_option("--projection-dim", o.projection_dim, "projection head output size")->capture_default_str();
  app.add_option("--contrastive-pooling", o.pooling, "variant (variant tokens +- --span-context) or mean")
      ->capture_default_str();
  app.add_option("--span-context", o.span_context, "tokens added on each side of the variant span")
      ->capture_default_str();
  app.add_option("--second-view", o.second_view, "reverse-complement or shift")->capture_default_str();
  app.add_option("--max-shift", o.max_shift, "shift view: at most this many bases dropped from one end")
      ->capture_default_str();
  app.add_option("--device", o.device, "cpu, cuda or cuda:N")->capture_default_str();
  app.add_option("--precision", o.precision,
                 "auto (bf16 on CUDA, fp32 on CPU), fp32, or bf16: GEMMs and attention in bfloat16 with float32 "
                 "weights, optimizer state, LayerNorms and losses")
      ->capture_default_str();
  app.add_flag("--activation-checkpointing", o.activation_checkpointing,
               "keep only each layer's input and recompute the layer in the backward pass (less memory, more compute)");
  int processes = 1;
  app.add_option("--nproc", processes,
                 "data-parallel training on N processes of this machine (c10d/Gloo): each step takes N x "
                 "--grad-accumulation micro-batches; --threads is per process. Across machines, start one rank per "
                 "process yourself (e.g. srun) with ONCOLM_RENDEZVOUS=tcp://HOST:PORT of rank 0")
      ->capture_default_str()
      ->check(positive_number);
  app.add_option("--dist-timeout", o.distributed.timeout_seconds,
                 "seconds a rank waits in a collective for the others before failing")
      ->capture_default_str()
      ->check(positive_number);
  // Last, once every option exists: with --resume OUTDIR, OUTDIR/train.json's options are the defaults.
  std::unique_ptr<ResumeDefaults> resume_defaults;
  try {
    resume_defaults = std::make_unique<ResumeDefaults>(argc, argv, app);
  } catch (const std::exception& error) {
    log(Level::error, "{}", error.what());
    return 1;
  }
  app.set_config("--config", resume_defaults->path(),
                 "JSON or TOML file holding options under their command-line names (with --resume OUTDIR and no "
                 "--config: the options OUTDIR/train.json recorded)");
  return run_subcommand(app, common, argc, argv, [&]() {
    if (!resume_dir.empty()) {
      if (!o.out_dir.empty() && o.out_dir != resume_dir)
        throw std::invalid_argument("--resume " + resume_dir + " and -o " + o.out_dir + " name different directories");
      o.out_dir = resume_dir;
      o.resume = true;
    }
    if (o.out_dir.empty()) throw std::invalid_argument("-o/--out OUTDIR is required (or --resume OUTDIR)");
    o.objective = train::parse_objective(objective);
    o.adapters.lora_targets = model::parse_lora_targets(lora_targets);
    o.threads = common.threads;
    o.command_line = command_line(argc, argv);
    if (processes > 1 && std::getenv("ONCOLM_RANK") == nullptr) {
      if (!train::data_parallel_available())
        throw std::invalid_argument("--nproc " + std::to_string(processes) +
                                    ": this build has no c10d/Gloo (Debian: install libgloo-dev and rebuild)");
      return train::launch_ranks(processes, arguments_without_nproc(argc, argv), o.distributed.timeout_seconds);
    }
    const int timeout = o.distributed.timeout_seconds;
    o.distributed = train::distributed_from_environment();
    // --dist-timeout on the command line wins; ONCOLM_DIST_TIMEOUT (which the launcher sets for its
    // ranks) applies only where it was not given.
    if (app.count("--dist-timeout") > 0 || std::getenv("ONCOLM_DIST_TIMEOUT") == nullptr)
      o.distributed.timeout_seconds = timeout;
    if (o.distributed.rank > 0 && verbosity() > Level::warning) set_verbosity(Level::warning);  // rank 0 reports
    train::TrainResult result = train::run_training(o);
    if (result.interrupted) return train::interrupted_exit_code;
    log(Level::info, "{} steps; final model in {}", result.steps, result.final_dir);
    if (result.best_step >= 0)
      log(Level::info, "lowest validation loss {:.4f} at step {}: that model is in {}/best", result.best_validation_loss,
          result.best_step, o.out_dir);
    return 0;
  });
}

}  // namespace oncolm::cli
