// `oncolm model info DIR`: architecture, parameters, vocabulary, max length and checksum of an NT
// checkpoint directory (Hugging Face layout: config.json, vocab.txt, weights).
#include <cstdio>

#include <nlohmann/json.hpp>

#include "commands.h"
#include "common_options.h"
#include "model/model_info.h"

namespace oncolm::cli {

int run_model(int argc, char** argv) {
  CLI::App app{"Inspect a Nucleotide Transformer checkpoint directory", "oncolm model"};
  CommonOptions options;
  add_common_options(app, options, false, false);
  app.require_subcommand(1);
  CLI::App* info = app.add_subcommand("info", "architecture, parameter count, vocabulary, max length, sha256");
  std::string dir;
  bool as_json = false;
  info->add_option("DIR", dir, "model directory (config.json, vocab.txt, model.safetensors or pytorch_model.bin)")
      ->required();
  info->add_flag("--json", as_json, "print JSON instead of text");
  info->fallthrough();  // --verbosity and --threads after `info` too
  return run_subcommand(app, options, argc, argv, [&]() {
    model::ModelInfo model = model::inspect_model(dir);
    std::string text = as_json ? model::model_info_json(model).dump(1) + "\n" : model::format_model_info(model);
    std::fputs(text.c_str(), stdout);
    return 0;
  });
}

}  // namespace oncolm::cli
