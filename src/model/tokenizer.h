// The Nucleotide Transformer 6-mer tokenizer, driven by a checkpoint's vocab.txt. No torch here, so
// the CLI and the windows stage can tokenize without compiling LibTorch headers.
//
// Tokenizer::encode reproduces Hugging Face's EsmTokenizer on the NT vocabularies exactly, including
// its quirks (no lower-casing, one <unk> per run of unknown characters, whitespace dropped, literal
// "<mask>" text as the mask token). Real pipelines should first call clean_sequence(), which
// upper-cases and turns IUPAC ambiguity codes into N, so that no <unk> reaches the model.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace oncolm::model {

// The two vocabulary layouts NT checkpoints use (4,107 and 4,105+2 tokens; see docs/nt-model.md).
enum class VocabLayout { nt_v1, nt_v2 };

class Vocabulary {
 public:
  // Reads vocab.txt (one token per line) and checks it is one of the known NT layouts; throws
  // InputError naming the file and the first line that differs from the closest known layout.
  static Vocabulary load(const std::string& path);
  // MODEL_DIR/vocab.txt, checked against config.json's vocab_size: the embedding table must have a
  // row for every token the layout produces (a vocab.txt of the other NT layout would index past it;
  // v1 tables stop before <eos>/<bos>, which NT never uses).
  static Vocabulary load_model(const std::string& model_dir, int config_vocab_size);
  // Same checks for tokens already in memory; `source` names them in errors.
  static Vocabulary from_tokens(std::vector<std::string> tokens, const std::string& source);
  // The token list of a known layout (used by tests and to build models without a vocab file).
  static std::vector<std::string> layout_tokens(VocabLayout layout);

  VocabLayout layout() const { return layout_; }
  const char* layout_name() const;
  int size() const { return static_cast<int>(tokens_.size()); }
  const std::string& token(int id) const;
  int id_of(std::string_view token) const;  // -1 when absent

  int unk_id() const { return unk_; }
  int pad_id() const { return pad_; }
  int mask_id() const { return mask_; }
  int cls_id() const { return cls_; }
  // Id of the 6-mer at `six` (six characters from ACGT), or -1 when any character is not A/C/G/T.
  int kmer_id(const char* six) const;
  // Id of a single-base token (A, C, G, T, N), or -1.
  int base_id(char base) const;

 private:
  std::vector<std::string> tokens_;
  VocabLayout layout_ = VocabLayout::nt_v2;
  int unk_ = 0, pad_ = 1, mask_ = 2, cls_ = 3;
  int first_kmer_ = 0;
  int base_ids_[256];
};

// One tokenized sequence: ids[0] is <cls>. Token i > 0 covers characters [start[i], end[i]) of the
// text given to encode(); <cls> has start = end = 0.
struct Encoding {
  std::vector<std::int32_t> ids;
  std::vector<std::int32_t> start;
  std::vector<std::int32_t> end;
  std::size_t size() const { return ids.size(); }
};

class Tokenizer {
 public:
  explicit Tokenizer(Vocabulary vocabulary);
  const Vocabulary& vocabulary() const { return vocabulary_; }
  // HF-exact encoding with <cls> prepended and no <eos> (NT never appends one).
  Encoding encode(std::string_view text) const;
  std::vector<std::string> tokens(const Encoding& encoding) const;

 private:
  void emit_unknown_run(std::string_view text, std::size_t begin, std::size_t end,
                        Encoding& out) const;
  Vocabulary vocabulary_;
  std::vector<std::string> special_tokens_;  // vocabulary entries written as <...>
};

// Right-padded batch as HF builds it: ids padded with <pad>, attention mask 1 for real tokens.
// width 0 = the longest row. Rows longer than width are an error (truncate first).
struct PaddedBatch {
  std::int64_t rows = 0;
  std::int64_t width = 0;
  std::vector<std::int64_t> ids;   // rows * width, row-major
  std::vector<std::int64_t> mask;  // rows * width
};
PaddedBatch pad_batch(const std::vector<std::vector<std::int32_t>>& sequences, int pad_id,
                      std::int64_t width = 0);

// The clean-up step a pipeline applies before tokenizing: lower case becomes upper case (soft-masked
// reference) and the IUPAC ambiguity codes R Y S W K M B D H V become N, as the windows stage does
// for the reference. Characters that are no nucleotide code at all ('-', '*', digits, ...) are left
// untouched and counted, so the caller can refuse the record with a message naming it.
struct CleanupReport {
  std::size_t lower_cased = 0;
  std::size_t ambiguity_to_n = 0;
  std::size_t invalid = 0;        // characters that are no IUPAC nucleotide code
  std::size_t first_invalid = 0;  // position of the first of them
};
CleanupReport clean_sequence(std::string& sequence);

// Reverse complement over ACGTN (case kept; other IUPAC codes complemented, unknown characters kept).
std::string reverse_complement(std::string_view sequence);

// Centre-keeping truncation: keeps a contiguous run of tokens so that at most max_tokens remain
// (with <cls>), choosing the run whose bases are centred closest to `centre` (a character offset;
// windows pass the variant offset). Cutting at token boundaries gives exactly the tokens HF would
// produce for the kept bases. Bases cut on each side are reported.
struct Truncation {
  std::size_t cut_left = 0;   // characters removed before the kept region
  std::size_t cut_right = 0;  // characters removed after it
  std::size_t tokens_removed = 0;
};
Truncation truncate_centred(Encoding& encoding, std::size_t text_length, std::size_t max_tokens,
                            double centre);

}  // namespace oncolm::model
