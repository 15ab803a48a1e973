// `oncolm embed`: FASTA or `oncolm windows` output in, one embedding row per record out. Torch-free
// (the network runs behind model/embedder.h).
//
// Per input, in OUTDIR:
//   <name>.emb.npy  float32 (or float16) [records, hidden], rows in FASTA order:
//                   numpy.load("<name>.emb.npy")
//   <name>.emb.tsv  one row per record, same order: pandas.read_csv("<name>.emb.tsv", sep="\t")
//                   columns (contract::embedding_tsv_columns) record, sample_id (the sample sheet's id,
//                   as the windows TSV gives it; a plain FASTA's name), allele (REF/ALT; REF1/REF2/ALT
//                   for SV junction windows, which are embedded as <safe_id>.sv; empty when unknown),
//                   bases, tokens, cut_left, cut_right, tiles, variant_token_start, variant_token_end
//                   (token indices with <cls> = 0, half-open; empty when unknown)
// and embed.json (provenance: version, git hash, command, model checksum, layer, pooling, dtype,
// truncation policy, and per output its name, sample_id and files). Every file is written under a
// temporary name and renamed when complete.
#pragma once
#include <cstddef>
#include <string>
#include <vector>

#include "model/embedder.h"

namespace oncolm::model {

struct EmbedPipelineOptions {
  std::string model_dir;
  std::string out_dir;
  std::vector<std::string> inputs;  // FASTA files (plain/gzip/bgzip) or `oncolm windows` directories
  EmbedderOptions embedder;
  int max_tokens = 0;          // 0 = the model's maximum; lower caps are useful on CPU
  bool tile = false;           // long records: embed consecutive tiles and average (mean pooling)
  bool float16_output = false;
  std::size_t chunk_records = 4096;  // records held in memory at once
  std::string command_line;          // for embed.json
};

// One unit of work: a FASTA file and, for windows, its manifest.
struct EmbedSource {
  std::string name;       // output prefix
  std::string sample;     // the sample's safe id (windows) or the file stem
  std::string sample_id;  // the sample sheet's id from <safe_id>.stats.json; empty when that file is
                          // absent (then the windows TSV's sample_id column gives it); the stem for a FASTA
  std::string fasta;
  std::string manifest;   // empty when none
};

// Expands inputs into sources: a directory contributes each <safe_id>.windows.fa.gz with its
// <safe_id>.windows.tsv.gz; a file is one source named after its stem. Throws InputError for
// missing inputs, directories without windows, or two sources with the same name.
std::vector<EmbedSource> discover_sources(const std::vector<std::string>& inputs);

// Runs the whole command; returns the number of records embedded.
std::size_t run_embed_pipeline(const EmbedPipelineOptions& options);

}  // namespace oncolm::model
