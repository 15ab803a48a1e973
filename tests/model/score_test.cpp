// `oncolm score`'s library: where the variant's tokens are on both strands (score/variant_tokens.h),
// the log-likelihood ratio recomputed by hand from the encoder's own MLM logits for SNV, MNV,
// deletion and insertion on the v1 and v2 fixtures, the embedding distances by hand, and the
// antisymmetry of the ratio when REF and ALT are exchanged.
#include <cmath>
#include <cstdio>
#include <fstream>

#include <ATen/ATen.h>
#include <c10/core/InferenceMode.h>
#include <gtest/gtest.h>

#include "core/error.h"
#include "model/checkpoint.h"
#include "model/nt_encoder.h"
#include "model/tokenizer.h"
#include "model/window_manifest.h"
#include "score/variant_scorer.h"
#include "score/variant_tokens.h"

using namespace oncolm;
using namespace oncolm::score;

namespace {

const std::string fixtures = std::string(ONCOLM_TEST_DATA_DIR) + "/nt/";

std::string random_dna(std::size_t length, unsigned seed) {
  std::string dna(length, 'A');
  unsigned state = seed;
  for (auto& c : dna) {
    state = state * 1103515245u + 12345u;
    c = "ACGT"[(state >> 16) & 3];
  }
  return dna;
}

// A variant as `oncolm windows` cuts it from `genome`: windows of `length` bases from 0, the change
// at `offset`; `norm_ref`/`norm_alt` start with the anchor base at offset - 1 for indels. The ALT
// window is the genome with the change applied, cut to the same length.
ScoreVariant make_variant(const std::string& genome, std::size_t offset, const std::string& ref_bases,
                          const std::string& alt_bases, bool indel, std::size_t length = 121) {
  ScoreVariant variant;
  variant.offset = offset;
  std::size_t start = indel ? offset - 1 : offset;
  variant.norm_ref = genome.substr(start, indel ? 1 : 0) + ref_bases;
  variant.norm_alt = genome.substr(start, indel ? 1 : 0) + alt_bases;
  variant.ref_window = genome.substr(0, length);
  std::string mutated = genome.substr(0, offset) + alt_bases + genome.substr(offset + ref_bases.size());
  variant.alt_window = mutated.substr(0, length);
  variant.where = "test";
  return variant;
}

ScoreVariant swapped(ScoreVariant variant) {
  std::swap(variant.ref_window, variant.alt_window);
  std::swap(variant.norm_ref, variant.norm_alt);
  return variant;
}

std::vector<std::int32_t> ids_of(const model::Tokenizer& tokenizer, const std::string& sequence) {
  return tokenizer.encode(sequence).ids;
}

// sum over [begin, end) of log softmax(logits of `ids` with [begin, end) masked)[ids[t]], from the
// encoder's own forward pass with logits.
double masked_log_likelihood(const model::NtEncoder& encoder, int mask_id, std::vector<std::int32_t> ids,
                             std::pair<std::int32_t, std::int32_t> span) {
  std::vector<std::int64_t> input(ids.begin(), ids.end());
  for (std::int32_t t = span.first; t < span.second; ++t) input[static_cast<std::size_t>(t)] = mask_id;
  model::ForwardOptions options;
  options.logits = true;
  at::Tensor logits = encoder.forward(at::tensor(input).view({1, -1}), at::Tensor(), options).logits[0];
  at::Tensor log_probs = at::log_softmax(logits.to(at::kDouble), -1);
  double sum = 0;
  for (std::int32_t t = span.first; t < span.second; ++t)
    sum += log_probs[t][ids[static_cast<std::size_t>(t)]].item<double>();
  return sum;
}

// The pooled last hidden state of `ids` (unmasked): mean over all tokens and over [begin, end).
std::pair<at::Tensor, at::Tensor> pooled(const model::NtEncoder& encoder, const std::vector<std::int32_t>& ids,
                                         std::pair<std::int32_t, std::int32_t> span) {
  std::vector<std::int64_t> input(ids.begin(), ids.end());
  at::Tensor hidden = encoder.forward(at::tensor(input).view({1, -1}), at::Tensor()).selected[0].to(at::kDouble);
  return {hidden.mean(0), hidden.slice(0, span.first, span.second).mean(0)};
}

// The tokens covering bases [begin, end) of `sequence`, as `oncolm embed` reports them.
std::pair<std::int32_t, std::int32_t> span_of(const model::Tokenizer& tokenizer, const std::string& sequence,
                                              std::size_t begin, std::size_t end) {
  auto span = model::token_span(tokenizer.encode(sequence), {"", begin, end});
  EXPECT_TRUE(span.has_value());
  return span.value_or(std::make_pair(0, 0));
}

}  // namespace

TEST(VariantTokens, SnvSpansAreEmbedsOnBothStrands) {
  model::Tokenizer tokenizer(model::Vocabulary::load(fixtures + "nt_v2_tiny/vocab.txt"));
  std::string genome = random_dna(300, 1);
  ScoreVariant snv = make_variant(genome, 30, genome.substr(30, 1), genome[30] == 'A' ? "C" : "A", false, 61);
  auto tokens = variant_tokens(tokenizer, snv, 2048);
  ASSERT_TRUE(tokens.has_value());
  // Offset 30 lies in the sixth 6-mer (bases 30..35): token 6 after <cls>, as embed_test finds it.
  EXPECT_EQ(tokens->forward.ref_begin, 6);
  EXPECT_EQ(tokens->forward.ref_end, 7);
  EXPECT_EQ(tokens->forward.alt_begin, 6);
  EXPECT_EQ(tokens->forward.alt_end, 7);
  EXPECT_EQ(tokens->forward.ref_ids, ids_of(tokenizer, snv.ref_window));
  // Reverse strand: the whole reverse complement; base 30 of 61 is base 30 there too.
  EXPECT_EQ(tokens->reverse.ref_ids, ids_of(tokenizer, model::reverse_complement(snv.ref_window)));
  EXPECT_EQ(tokens->reverse.alt_ids, ids_of(tokenizer, model::reverse_complement(snv.alt_window)));
  EXPECT_EQ(tokens->reverse.ref_begin, 6);
  EXPECT_EQ(tokens->reverse.alt_end, 7);
}

TEST(VariantTokens, IndelReverseStrandKeepsTheSharedFlankInFrame) {
  model::Tokenizer tokenizer(model::Vocabulary::load(fixtures + "nt_v2_tiny/vocab.txt"));
  std::string genome = random_dna(300, 2);
  // Deletion of bases 30..31: REF window [0, 61), ALT window [0, 63) of the reference minus 2 bases.
  ScoreVariant deletion = make_variant(genome, 30, genome.substr(30, 2), "", true, 61);
  auto tokens = variant_tokens(tokenizer, deletion, 2048);
  ASSERT_TRUE(tokens.has_value());
  // Forward: REF token 6 (bases 30..35); ALT: the junction 29|30 spans tokens 5 and 6 (embed's spans).
  EXPECT_EQ(std::make_pair(tokens->forward.ref_begin, tokens->forward.ref_end), std::make_pair(6, 7));
  EXPECT_EQ(std::make_pair(tokens->forward.alt_begin, tokens->forward.alt_end), std::make_pair(5, 7));
  // Reverse: REF has 29 bases after the deleted ones, ALT 31 after the junction: both are cut to 29,
  // so their reverse complements start with the same 29 bases and share the first 4 tokens.
  ReverseWindows rc = reverse_windows(deletion);
  EXPECT_EQ(rc.ref, model::reverse_complement(deletion.ref_window));
  EXPECT_EQ(rc.alt, model::reverse_complement(deletion.alt_window.substr(0, 59)));
  EXPECT_EQ(rc.ref.substr(0, 29), rc.alt.substr(0, 29));
  for (int t = 0; t < 5; ++t) EXPECT_EQ(tokens->reverse.ref_ids[t], tokens->reverse.alt_ids[t]) << t;
  // Deleted bases 30..31 are bases 29..30 of the 61-base reverse complement (tokens 5 and 6); the
  // junction (bases 29 and 30 of ALT) is bases 28..29 of the 59-base one (token 5).
  EXPECT_EQ(rc.ref_begin, 29u);
  EXPECT_EQ(rc.ref_end, 31u);
  EXPECT_EQ(rc.alt_begin, 28u);
  EXPECT_EQ(rc.alt_end, 30u);
  EXPECT_EQ(std::make_pair(tokens->reverse.ref_begin, tokens->reverse.ref_end), std::make_pair(5, 7));
  EXPECT_EQ(std::make_pair(tokens->reverse.alt_begin, tokens->reverse.alt_end), std::make_pair(5, 6));
}

TEST(VariantTokens, TruncationKeepsTheSameLeftContextAndRefusesSpansThatDoNotFit) {
  model::Tokenizer tokenizer(model::Vocabulary::load(fixtures + "nt_v2_tiny/vocab.txt"));
  std::string genome = random_dna(2000, 3);
  ScoreVariant insertion = make_variant(genome, 600, "", "TTAGC", true, 1201);
  auto tokens = variant_tokens(tokenizer, insertion, 21);
  ASSERT_TRUE(tokens.has_value());
  for (const StrandTokens* strand : {&tokens->forward, &tokens->reverse}) {
    EXPECT_EQ(strand->ref_ids.size(), 21u);
    EXPECT_EQ(strand->alt_ids.size(), 21u);
    // Same first kept tokens: the cut starts at the same place in both windows.
    EXPECT_EQ(strand->ref_ids[1], strand->alt_ids[1]);
    EXPECT_GE(strand->ref_begin, 8);  // centred on the variant
    EXPECT_LE(strand->ref_end, 13);
  }
  // A 60-base deletion needs 10 tokens; with room for 4 it cannot be scored.
  ScoreVariant deletion = make_variant(genome, 600, genome.substr(600, 60), "", true, 1201);
  EXPECT_FALSE(variant_tokens(tokenizer, deletion, 5).has_value());
  EXPECT_TRUE(variant_tokens(tokenizer, deletion, 40).has_value());
}

TEST(VariantTokens, WindowsWhoseFlanksDifferAreRefused) {
  model::Tokenizer tokenizer(model::Vocabulary::load(fixtures + "nt_v2_tiny/vocab.txt"));
  std::string genome = random_dna(300, 4);
  ScoreVariant snv = make_variant(genome, 30, genome.substr(30, 1), genome[30] == 'A' ? "C" : "A", false, 61);
  snv.alt_window[50] = snv.alt_window[50] == 'A' ? 'C' : 'A';
  try {
    variant_tokens(tokenizer, snv, 2048);
    FAIL() << "windows with different right flanks were accepted";
  } catch (const InputError& error) {
    EXPECT_NE(std::string(error.what()).find("test: the REF and ALT windows differ after the variant"),
              std::string::npos)
        << error.what();
  }
}

// Offsets are digits only: std::stoull would read "-1" as 2^64 - 1 and " 7" as 7.
TEST(WindowManifest, OffsetsThatAreNotPlainDigitsNameFileLineAndColumn) {
  const std::string path = testing::TempDir() + "oncolm_manifest_offsets.tsv";
  for (std::string bad : {"-1", " 7", "+3", "7x", ""}) {
    {
      std::ofstream out(path);
      out << "sample_id\tref_record\talt_record\toffset\n"
          << "S1\tS1_1_REF\tS1_1_ALT\t12\n"
          << "S1\tS1_2_REF\tS1_2_ALT\t" << bad << "\n";
    }
    try {
      model::read_window_manifest(path);
      ADD_FAILURE() << "offset '" << bad << "' was accepted";
    } catch (const InputError& error) {
      EXPECT_NE(std::string(error.what()).find(path + ":3: offset '" + bad + "' is not a number"), std::string::npos)
          << error.what();
    }
  }
  {
    std::ofstream out(path);
    out << "sample_id\tref_record\talt_record\toffset\nS1\tS1_1_REF\tS1_1_ALT\t12\n";
  }
  EXPECT_EQ(model::read_window_manifest(path).sites.at("S1_1_ALT").begin, 12u);
  std::remove(path.c_str());
}

class ScoreByHand : public testing::TestWithParam<std::string> {};

// The LLR of every strand equals the log-probabilities taken by hand from the encoder's own logits
// (forward pass with the MLM head, log_softmax, the token ids), and the distances equal the pooled
// hidden states' by hand.
TEST_P(ScoreByHand, LlrAndDistancesEqualTheEncodersLogitsAndHiddenStates) {
  const std::string model_dir = fixtures + GetParam();
  ScorerOptions options;
  options.batch_tokens = 64;  // several batches, some padded
  VariantScorer scorer(model_dir, options);
  c10::InferenceMode guard;
  model::NtEncoder encoder(model::NtConfig::load_dir(model_dir), model::Checkpoint::load_dir(model_dir));
  const model::Tokenizer& tokenizer = scorer.tokenizer();
  const int mask_id = tokenizer.vocabulary().mask_id();
  std::string genome = random_dna(400, 5);
  auto other = [&](std::size_t at) { return std::string(1, genome[at] == 'G' ? 'T' : 'G'); };
  std::vector<ScoreVariant> variants = {
      make_variant(genome, 60, genome.substr(60, 1), other(60), false),
      make_variant(genome, 60, genome.substr(60, 2), other(60) + other(61), false),  // MNV
      make_variant(genome, 66, genome.substr(66, 1), other(66), false),              // first base of a token
      make_variant(genome, 60, genome.substr(60, 3), "", true),                      // deletion
      make_variant(genome, 60, "", "TTAGCA", true)};                                 // insertion
  std::vector<VariantTokens> tokens;
  for (const auto& variant : variants) tokens.push_back(variant_tokens(tokenizer, variant, 2048).value());
  std::vector<VariantScore> scores = scorer.score(tokens);
  ASSERT_EQ(scores.size(), variants.size());
  for (std::size_t v = 0; v < variants.size(); ++v) {
    const ScoreVariant& variant = variants[v];
    auto [ref_site, alt_site] = model::small_variant_sites(variant.offset, variant.norm_ref, variant.norm_alt);
    // Forward strand: the windows as written, embed's spans.
    auto ref_span = span_of(tokenizer, variant.ref_window, ref_site.begin, ref_site.end);
    auto alt_span = span_of(tokenizer, variant.alt_window, alt_site.begin, alt_site.end);
    double forward = masked_log_likelihood(encoder, mask_id, ids_of(tokenizer, variant.alt_window), alt_span) -
                     masked_log_likelihood(encoder, mask_id, ids_of(tokenizer, variant.ref_window), ref_span);
    // Reverse strand: both windows cut to their common right flank (121 bases minus the longer
    // ALT tail of a deletion, or the longer REF tail of an insertion), reverse-complemented.
    std::size_t ref_length = 121, alt_length = 121;
    std::size_t indel = variant.norm_ref.size() > variant.norm_alt.size()
                            ? variant.norm_ref.size() - variant.norm_alt.size()
                            : variant.norm_alt.size() - variant.norm_ref.size();
    (variant.norm_ref.size() > variant.norm_alt.size() ? alt_length : ref_length) -= indel;
    std::string ref_rc = model::reverse_complement(variant.ref_window.substr(0, ref_length));
    std::string alt_rc = model::reverse_complement(variant.alt_window.substr(0, alt_length));
    auto ref_rc_span = span_of(tokenizer, ref_rc, ref_length - ref_site.end, ref_length - ref_site.begin);
    auto alt_rc_span = span_of(tokenizer, alt_rc, alt_length - alt_site.end, alt_length - alt_site.begin);
    double reverse = masked_log_likelihood(encoder, mask_id, ids_of(tokenizer, alt_rc), alt_rc_span) -
                     masked_log_likelihood(encoder, mask_id, ids_of(tokenizer, ref_rc), ref_rc_span);
    EXPECT_NEAR(scores[v].llr_forward, forward, 1e-4) << v;
    EXPECT_NEAR(scores[v].llr_reverse, reverse, 1e-4) << v;
    EXPECT_NEAR(scores[v].llr, 0.5 * (forward + reverse), 1e-4) << v;
    EXPECT_NE(scores[v].llr, 0.0) << v;
    // Distances: unmasked forward windows, mean over every token and over each record's span.
    auto [ref_mean, ref_variant] = pooled(encoder, ids_of(tokenizer, variant.ref_window), ref_span);
    auto [alt_mean, alt_variant] = pooled(encoder, ids_of(tokenizer, variant.alt_window), alt_span);
    auto cosine = [](const at::Tensor& a, const at::Tensor& b) {
      return 1.0 - (a * b).sum().item<double>() / (a.norm().item<double>() * b.norm().item<double>());
    };
    EXPECT_NEAR(scores[v].cosine_mean, cosine(ref_mean, alt_mean), 1e-5) << v;
    EXPECT_NEAR(scores[v].l2_mean, (ref_mean - alt_mean).norm().item<double>(), 1e-4) << v;
    EXPECT_NEAR(scores[v].cosine_variant, cosine(ref_variant, alt_variant), 1e-5) << v;
    EXPECT_NEAR(scores[v].l2_variant, (ref_variant - alt_variant).norm().item<double>(), 1e-4) << v;
  }
}

// Exchanging REF and ALT (windows and alleles) negates the LLR on each strand and keeps the distances.
TEST_P(ScoreByHand, SwappingRefAndAltNegatesTheLlr) {
  VariantScorer scorer(fixtures + GetParam(), ScorerOptions{});
  std::string genome = random_dna(400, 6);
  std::vector<ScoreVariant> variants = {make_variant(genome, 60, genome.substr(60, 1), "A", false),
                                        make_variant(genome, 60, genome.substr(60, 4), "", true),
                                        make_variant(genome, 60, "", "GATC", true)};
  std::vector<VariantTokens> tokens, swapped_tokens;
  for (const auto& variant : variants) {
    tokens.push_back(variant_tokens(scorer.tokenizer(), variant, 2048).value());
    swapped_tokens.push_back(variant_tokens(scorer.tokenizer(), swapped(variant), 2048).value());
  }
  std::vector<VariantScore> scores = scorer.score(tokens), swapped_scores = scorer.score(swapped_tokens);
  for (std::size_t v = 0; v < variants.size(); ++v) {
    EXPECT_NEAR(swapped_scores[v].llr, -scores[v].llr, 1e-5) << v;
    EXPECT_NEAR(swapped_scores[v].llr_forward, -scores[v].llr_forward, 1e-5) << v;
    EXPECT_NEAR(swapped_scores[v].llr_reverse, -scores[v].llr_reverse, 1e-5) << v;
    EXPECT_NEAR(swapped_scores[v].l2_mean, scores[v].l2_mean, 1e-5) << v;
    EXPECT_NEAR(swapped_scores[v].cosine_variant, scores[v].cosine_variant, 1e-5) << v;
  }
}

INSTANTIATE_TEST_SUITE_P(Fixtures, ScoreByHand, testing::Values("nt_v2_tiny", "nt_v1_tiny"));
