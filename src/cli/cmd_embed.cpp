// `oncolm embed --model DIR -o OUTDIR INPUT...`: one embedding per window or FASTA record.
#include <stdexcept>
#include <string>

#include "commands.h"
#include "common_options.h"
#include "core/log.h"
#include "model/embed_pipeline.h"

namespace oncolm::cli {
int run_embed(int argc, char** argv) {
  CLI::App app{"Embeddings for every window or FASTA record with a Nucleotide Transformer checkpoint.\n"
               "Writes OUTDIR/<name>.emb.npy (numpy.load), OUTDIR/<name>.emb.tsv "
               "(pandas.read_csv(path, sep='\\t')) and OUTDIR/embed.json.",
               "oncolm embed"};
  CommonOptions options;
  add_common_options(app, options, false, true);
  model::EmbedPipelineOptions run;
  std::string pooling = "mean", dtype = "float32", compute = "auto";
  app.add_option("--model", run.model_dir, "model directory (config.json, vocab.txt, weights)")->required();
  app.add_option("INPUT", run.inputs, "FASTA files (plain, gzip, bgzip) or `oncolm windows` output directories")
      ->required();
  app.add_option("--device", run.embedder.device, "cpu, cuda or cuda:N")->capture_default_str();
  app.add_option("--compute-dtype", compute, "auto (float32 on CPU, bfloat16 on CUDA), float32 or bfloat16")
      ->check(CLI::IsMember({"auto", "float32", "bfloat16"}))->capture_default_str();
  app.add_option("--dtype", dtype, "output dtype")->check(CLI::IsMember({"float32", "float16"}))->capture_default_str();
  app.add_option("--pooling", pooling, "mean (non-pad tokens, <cls> included), cls, or variant (tokens covering "
                 "the variant; needs a windows manifest)")
      ->check(CLI::IsMember({"mean", "cls", "variant"}))->capture_default_str();
  app.add_option("--layer", run.embedder.layer, "hidden state to pool: 0 = embeddings .. L = last layer after the "
                 "final LayerNorm; -1 = L")->capture_default_str();
  app.add_option("--max-tokens", run.max_tokens, "cap on tokens per record including <cls> (0 = the model's "
                 "maximum); longer records keep their centre")->check(non_negative_number);
  app.add_flag("--tile", run.tile, "embed long records as consecutive tiles and average them instead of "
               "keeping the centre");
  app.add_option("--token-budget", run.embedder.token_budget, "padded tokens per batch (0 = 4096 CPU, 65536 CUDA)")
      ->check(non_negative_number);
  // Unsigned: without the check CLI11 would wrap "-1" to the largest value.
  app.add_option("--batch-rows", run.embedder.max_rows, "most sequences per batch")
      ->capture_default_str()
      ->check(positive_number);
  app.add_option("--chunk", run.chunk_records, "records read and embedded at a time")
      ->capture_default_str()
      ->check(positive_number);
  return run_subcommand(app, options, argc, argv, [&]() {
    run.out_dir = options.out;
    run.embedder.threads = options.threads;
    run.embedder.pooling = model::parse_pooling(pooling);
    bool cuda = run.embedder.device.rfind("cuda", 0) == 0;
    run.embedder.bfloat16 = compute == "bfloat16" || (compute == "auto" && cuda);
    run.float16_output = dtype == "float16";
    run.command_line = command_line(argc, argv);
    std::size_t records = model::run_embed_pipeline(run);
    log(Level::info, "embedded {} records into {}", records, run.out_dir);
    return 0;
  });
}

}  // namespace oncolm::cli
