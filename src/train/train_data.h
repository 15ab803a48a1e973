// What `oncolm train` learns from: the sequences of its inputs, the REF/ALT pairs of windows
// directories, each sequence's donor, and the train/validation split by donor. Torch-free.
//
// Inputs are found as `oncolm embed` finds them (model/embed_pipeline.h discover_sources): a
// windows directory gives each <sample>.windows.fa.gz with its .windows.tsv.gz (and SV junction
// windows), a file is a plain FASTA. Donors come from the directory's manifest.tsv (donor_id).
#pragma once
#include <cstddef>
#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "model/tokenizer.h"
#include "model/window_manifest.h"

namespace oncolm::train {

struct TrainSource {
  std::string name;      // as embed names its outputs
  std::string fasta;
  std::string manifest;  // empty for plain FASTA
  std::string donor;     // donor_id from manifest.tsv; empty for plain FASTA
};

struct TrainSequence {
  std::string record;
  std::size_t source = 0;  // index into Corpus::sources
  std::size_t line = 0;    // header line, for messages
  std::string bases;       // cleaned: upper case, IUPAC codes as N
  std::optional<model::VariantSite> site;
};

// A matched normal/tumour pair: indices into Corpus::sequences.
struct TrainPair {
  std::size_t alt = 0;
  std::vector<std::size_t> refs;
};

struct Corpus {
  std::vector<TrainSource> sources;
  std::vector<TrainSequence> sequences;
  std::vector<TrainPair> pairs;
};

// Reads every input. Throws InputError for a missing input, a directory without windows, a record
// with characters that are no nucleotide code, and inputs that hold no sequence at all.
Corpus load_corpus(const std::vector<std::string>& inputs);

// The data files (FASTA, per-sample TSV, manifest.tsv) with their SHA-256, for provenance and for
// checking that a resumed run reads the same data.
std::vector<std::pair<std::string, std::string>> corpus_files(const Corpus& corpus);

// A token sequence ready for the model, with the variant's token span when known.
struct TokenizedSequence {
  std::vector<std::int32_t> ids;
  std::optional<std::pair<std::int32_t, std::int32_t>> span;
};

// Tokenizes with the centre-keeping truncation of `oncolm embed` when `max_tokens` is set by the
// user (truncate = true); otherwise a sequence longer than max_tokens is an InputError naming the
// record, its token count and the --max-tokens choice.
TokenizedSequence tokenize_sequence(const TrainSequence& sequence, const Corpus& corpus,
                                    const model::Tokenizer& tokenizer, std::size_t max_tokens, bool truncate);

enum class SecondView { reverse_complement, shift };

// The contrastive second view of an ALT window: its reverse complement, or the window with 1..max_shift
// bases dropped from one end such that the variant stays inside. The site moves with the bases.
TrainSequence second_view(const TrainSequence& sequence, SecondView view, int max_shift, std::mt19937_64& rng);

// Units split into training and validation. With donors (windows inputs), whole donors go to one
// side: the donors are shuffled with `seed` and the first round(fraction * donors) (at least one,
// and never all) validate. A unit without a donor (a plain FASTA record) validates with probability
// `fraction`, decided by a hash of its key and the seed, beside windows split by donor or alone.
struct Split {
  std::vector<std::size_t> train, validation;
  std::vector<std::string> validation_donors;
  std::string method;  // "donor", "record", or both for mixed inputs
};
Split split_units(const std::vector<std::string>& unit_donors, const std::vector<std::string>& unit_keys,
                  double fraction, std::uint64_t seed);

}  // namespace oncolm::train
