#include "model/tokenizer.h"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <limits>
#include <stdexcept>

#include <fmt/format.h>

#include "core/error.h"
#include "core/paths.h"

namespace oncolm::model {
namespace {

constexpr const char* kmer_alphabet = "ATCG";  // NT's itertools.product order, not ACGT
constexpr int kmer_length = 6;
constexpr int kmer_count = 4096;

std::vector<std::string> all_kmers() {
  std::vector<std::string> kmers;
  kmers.reserve(kmer_count);
  for (int code = 0; code < kmer_count; ++code) {
    std::string kmer(kmer_length, 'A');
    for (int p = 0; p < kmer_length; ++p) kmer[p] = kmer_alphabet[(code >> (2 * (5 - p))) & 3];
    kmers.push_back(std::move(kmer));
  }
  return kmers;
}

std::size_t count_differences(const std::vector<std::string>& a, const std::vector<std::string>& b) {
  std::size_t differences = a.size() > b.size() ? a.size() - b.size() : b.size() - a.size();
  for (std::size_t i = 0; i < std::min(a.size(), b.size()); ++i) differences += a[i] != b[i];
  return differences;
}

// Python's str.split() whitespace, restricted to ASCII (FASTA input is ASCII).
bool is_python_space(char c) {
  return c == ' ' || (c >= '\t' && c <= '\r') || (c >= '\x1c' && c <= '\x1f');
}

int base_digit(char c) {
  switch (c) {
    case 'A': return 0;
    case 'T': return 1;
    case 'C': return 2;
    case 'G': return 3;
    default: return -1;
  }
}

}  // namespace

std::vector<std::string> Vocabulary::layout_tokens(VocabLayout layout) {
  std::vector<std::string> tokens = {"<unk>", "<pad>", "<mask>", "<cls>"};
  if (layout == VocabLayout::nt_v2) tokens.insert(tokens.end(), {"<eos>", "<bos>"});
  for (auto& kmer : all_kmers()) tokens.push_back(std::move(kmer));
  tokens.insert(tokens.end(), {"A", "T", "C", "G", "N"});
  if (layout == VocabLayout::nt_v1) tokens.insert(tokens.end(), {"<eos>", "<bos>"});
  return tokens;
}

Vocabulary Vocabulary::load(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw input_error(path, 0, "cannot open vocabulary file");
  std::vector<std::string> tokens;
  std::string line;
  while (std::getline(in, line)) {
    // HF strips each line, so "\r\n" files and trailing spaces are the same vocabulary.
    auto first = line.find_first_not_of(" \t\r");
    auto last = line.find_last_not_of(" \t\r");
    tokens.push_back(first == std::string::npos ? "" : line.substr(first, last - first + 1));
  }
  return from_tokens(std::move(tokens), path);
}

Vocabulary Vocabulary::load_model(const std::string& model_dir, int config_vocab_size) {
  Vocabulary vocabulary = load(path_join(model_dir, "vocab.txt"));
  int needed = vocabulary.layout() == VocabLayout::nt_v2 ? 4107 : 4105;
  if (config_vocab_size != needed)
    throw input_error(path_join(model_dir, "config.json"), 0, "vocab_size {} does not fit vocab.txt ({} layout needs {})",
                      config_vocab_size, vocabulary.layout_name(), needed);
  return vocabulary;
}

Vocabulary Vocabulary::from_tokens(std::vector<std::string> tokens, const std::string& source) {
  const auto v1 = layout_tokens(VocabLayout::nt_v1);
  const auto v2 = layout_tokens(VocabLayout::nt_v2);
  Vocabulary vocabulary;
  if (tokens == v2) {
    vocabulary.layout_ = VocabLayout::nt_v2;
  } else if (tokens == v1) {
    vocabulary.layout_ = VocabLayout::nt_v1;
  } else {
    bool closer_to_v1 = count_differences(tokens, v1) < count_differences(tokens, v2);
    const auto& expected = closer_to_v1 ? v1 : v2;
    std::size_t line = 0;
    while (line < tokens.size() && line < expected.size() && tokens[line] == expected[line]) ++line;
    std::string found = line < tokens.size() ? "'" + tokens[line] + "'" : "end of file";
    std::string wanted = line < expected.size() ? "'" + expected[line] + "'" : "end of file";
    throw input_error(source, static_cast<long>(line + 1),
                      "not a Nucleotide Transformer vocabulary layout oncolm knows: found {} where the "
                      "closest layout (NT {}, {} tokens: specials, 4096 6-mers in ATCG order, A T C "
                      "G N) has {}",
                      found, closer_to_v1 ? "v1" : "v2", expected.size(), wanted);
  }
  vocabulary.tokens_ = std::move(tokens);
  vocabulary.first_kmer_ = vocabulary.layout_ == VocabLayout::nt_v2 ? 6 : 4;
  std::fill(std::begin(vocabulary.base_ids_), std::end(vocabulary.base_ids_), -1);
  for (char base : std::string("ACGTN"))
    vocabulary.base_ids_[static_cast<unsigned char>(base)] = vocabulary.id_of(std::string(1, base));
  return vocabulary;
}

const char* Vocabulary::layout_name() const {
  return layout_ == VocabLayout::nt_v2 ? "nt-v2" : "nt-v1";
}

const std::string& Vocabulary::token(int id) const {
  if (id < 0 || id >= size())
    throw std::out_of_range(fmt::format("token id {} outside the vocabulary (0..{})", id, size() - 1));
  return tokens_[static_cast<std::size_t>(id)];
}

int Vocabulary::id_of(std::string_view token) const {
  auto found = std::find(tokens_.begin(), tokens_.end(), token);
  return found == tokens_.end() ? -1 : static_cast<int>(found - tokens_.begin());
}

int Vocabulary::kmer_id(const char* six) const {
  int code = 0;
  for (int p = 0; p < kmer_length; ++p) {
    int digit = base_digit(six[p]);
    if (digit < 0) return -1;
    code = code * 4 + digit;
  }
  return first_kmer_ + code;
}

int Vocabulary::base_id(char base) const { return base_ids_[static_cast<unsigned char>(base)]; }

Tokenizer::Tokenizer(Vocabulary vocabulary) : vocabulary_(std::move(vocabulary)) {
  for (int id = 0; id < vocabulary_.size(); ++id) {
    const std::string& token = vocabulary_.token(id);
    if (token.size() > 2 && token.front() == '<' && token.back() == '>') special_tokens_.push_back(token);
  }
}

// HF cuts the text at vocabulary matches; what lies between is split on whitespace and each piece
// becomes one <unk> (so "RY" is one <unk>, "R Y" two, and lone whitespace nothing).
void Tokenizer::emit_unknown_run(std::string_view text, std::size_t begin, std::size_t end,
                                 Encoding& out) const {
  std::size_t i = begin;
  while (i < end) {
    while (i < end && is_python_space(text[i])) ++i;
    std::size_t piece = i;
    while (i < end && !is_python_space(text[i])) ++i;
    if (i > piece) {
      out.ids.push_back(vocabulary_.unk_id());
      out.start.push_back(static_cast<std::int32_t>(piece));
      out.end.push_back(static_cast<std::int32_t>(i));
    }
  }
}

// HF's trie finds, from the left, the longest vocabulary entry starting at each position. With the NT
// vocabularies that is: a literal special token, else a 6-mer when the next six characters are all
// A/C/G/T, else a single A/C/G/T/N; anything else joins the current run of unknown text.
Encoding Tokenizer::encode(std::string_view text) const {
  if (text.size() > static_cast<std::size_t>(std::numeric_limits<std::int32_t>::max()))
    throw std::length_error("sequence too long to tokenize");
  Encoding out;
  out.ids.reserve(text.size() / kmer_length + 2);
  out.start.reserve(text.size() / kmer_length + 2);
  out.end.reserve(text.size() / kmer_length + 2);
  out.ids.push_back(vocabulary_.cls_id());
  out.start.push_back(0);
  out.end.push_back(0);
  const std::size_t n = text.size();
  std::size_t unknown_begin = n;  // n = no open run
  auto emit = [&](int id, std::size_t begin, std::size_t length) {
    if (unknown_begin < begin) emit_unknown_run(text, unknown_begin, begin, out);
    unknown_begin = n;
    out.ids.push_back(id);
    out.start.push_back(static_cast<std::int32_t>(begin));
    out.end.push_back(static_cast<std::int32_t>(begin + length));
  };
  std::size_t i = 0;
  while (i < n) {
    if (text[i] == '<') {
      auto special = std::find_if(special_tokens_.begin(), special_tokens_.end(),
                                  [&](const std::string& t) { return text.substr(i, t.size()) == t; });
      if (special != special_tokens_.end()) {
        emit(vocabulary_.id_of(*special), i, special->size());
        i += special->size();
        continue;
      }
    }
    int id = i + kmer_length <= n ? vocabulary_.kmer_id(text.data() + i) : -1;
    if (id >= 0) {
      emit(id, i, kmer_length);
      i += kmer_length;
      continue;
    }
    id = vocabulary_.base_id(text[i]);
    if (id >= 0) {
      emit(id, i, 1);
    } else if (unknown_begin == n) {
      unknown_begin = i;
    }
    ++i;
  }
  if (unknown_begin < n) emit_unknown_run(text, unknown_begin, n, out);
  return out;
}

std::vector<std::string> Tokenizer::tokens(const Encoding& encoding) const {
  std::vector<std::string> names;
  names.reserve(encoding.size());
  for (auto id : encoding.ids) names.push_back(vocabulary_.token(id));
  return names;
}

PaddedBatch pad_batch(const std::vector<std::vector<std::int32_t>>& sequences, int pad_id,
                      std::int64_t width) {
  PaddedBatch batch;
  batch.rows = static_cast<std::int64_t>(sequences.size());
  std::int64_t longest = 0;
  for (const auto& row : sequences) longest = std::max<std::int64_t>(longest, row.size());
  if (width == 0) width = longest;
  if (longest > width)
    throw std::invalid_argument(
        fmt::format("a sequence of {} tokens does not fit a batch of width {}", longest, width));
  batch.width = width;
  batch.ids.assign(static_cast<std::size_t>(batch.rows * width), pad_id);
  batch.mask.assign(static_cast<std::size_t>(batch.rows * width), 0);
  for (std::int64_t r = 0; r < batch.rows; ++r) {
    const auto& row = sequences[static_cast<std::size_t>(r)];
    std::copy(row.begin(), row.end(), batch.ids.begin() + r * width);
    std::fill_n(batch.mask.begin() + r * width, row.size(), 1);
  }
  return batch;
}

CleanupReport clean_sequence(std::string& sequence) {
  static const std::string ambiguity = "RYSWKMBDHV";
  CleanupReport report;
  for (std::size_t i = 0; i < sequence.size(); ++i) {
    char& c = sequence[i];
    if (c >= 'a' && c <= 'z') {
      c = static_cast<char>(c - 'a' + 'A');
      ++report.lower_cased;
    }
    if (c == 'A' || c == 'C' || c == 'G' || c == 'T' || c == 'N') continue;
    if (ambiguity.find(c) != std::string::npos) {
      c = 'N';
      ++report.ambiguity_to_n;
    } else {
      if (report.invalid == 0) report.first_invalid = i;
      ++report.invalid;
    }
  }
  return report;
}

std::string reverse_complement(std::string_view sequence) {
  // Complements of every IUPAC code (R<->Y, K<->M, B<->V, D<->H; S, W, N are their own).
  static const std::string from = "ACGTRYKMBVDHSWNacgtrykmbvdhswn";
  static const std::string to = "TGCAYRMKVBHDSWNtgcayrmkvbhdswn";
  std::string out(sequence.rbegin(), sequence.rend());
  for (char& c : out) {
    auto at = from.find(c);
    if (at != std::string::npos) c = to[at];
  }
  return out;
}

Truncation truncate_centred(Encoding& encoding, std::size_t text_length, std::size_t max_tokens,
                            double centre) {
  if (max_tokens < 2)
    throw std::invalid_argument("the token limit must leave room for <cls> and one token");
  Truncation result;
  const std::size_t body = encoding.size() - 1;  // tokens after <cls>
  const std::size_t keep = max_tokens - 1;
  if (body <= keep) return result;
  // The kept run [first, first + keep) of body tokens whose centre lies nearest `centre`; the
  // midpoints grow with `first`, so the scan stops once they move away.
  std::size_t best = 0;
  double best_distance = std::numeric_limits<double>::infinity();
  for (std::size_t first = 0; first + keep <= body; ++first) {
    double mid = 0.5 * (static_cast<double>(encoding.start[1 + first]) + static_cast<double>(encoding.end[first + keep]));
    double distance = std::fabs(mid - centre);
    if (distance >= best_distance) break;
    best_distance = distance;
    best = first;
  }
  result.cut_left = static_cast<std::size_t>(encoding.start[1 + best]);
  result.cut_right = text_length - static_cast<std::size_t>(encoding.end[best + keep]);
  result.tokens_removed = body - keep;
  auto erase = [&](std::vector<std::int32_t>& v) {
    v.erase(v.begin() + 1 + static_cast<std::ptrdiff_t>(best + keep), v.end());
    v.erase(v.begin() + 1, v.begin() + 1 + static_cast<std::ptrdiff_t>(best));
  };
  erase(encoding.ids);
  erase(encoding.start);
  erase(encoding.end);
  return result;
}

}  // namespace oncolm::model
