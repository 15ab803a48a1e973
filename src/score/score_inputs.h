// What `oncolm score` reads from `oncolm windows` output directories: the complete samples (those
// whose <safe_id>.stats.json exists) and, per sample, its small variants streamed from the windows
// TSV together with their REF and ALT records from the windows FASTA. Torch-free.
#pragma once
#include <cstddef>
#include <memory>
#include <string>
#include <vector>

namespace oncolm::score {

// One sample of a windows directory, named by its stats file.
struct ScoreSample {
  std::string dir;
  std::string sample_id;   // the sample sheet's id (stats.json), written unchanged into every row
  std::string safe_id;     // the file-name form (core/file_contract.h)
  std::string tsv, fasta;  // small-variant windows
  std::string sv_tsv;      // SV junction windows: counted, not scored
};

// The complete samples of the given directories, in directory then file-name order. Throws InputError
// naming the directory for one that does not exist or holds no sample, and naming the file for a
// sample whose windows files are missing or whose run did not finish (a windows TSV without its
// stats file), or for two samples with the same safe id.
std::vector<ScoreSample> discover_score_samples(const std::vector<std::string>& windows_dirs);

// Rows of a sample's SV windows TSV (the junctions `oncolm score` reports as skipped).
std::size_t count_sv_junctions(const ScoreSample& sample);

// One small variant: the windows TSV's key cells and the two windows.
struct ScoreVariant {
  std::vector<std::string> keys;       // contract::score_key_columns, copied from the TSV
  std::string type;                    // snv, mnv or indel
  std::string ref_window, alt_window;  // upper case, IUPAC codes as N (clean_sequence)
  std::size_t offset = 0;              // first changed base in both windows
  std::string norm_ref, norm_alt;
  std::string where;  // "file:line" of the TSV row, for messages
};

// Streams a sample's windows TSV and FASTA side by side: the FASTA holds a REF then an ALT record per
// TSV row, in the same order. Throws InputError naming the file and line for a missing column, a
// row whose sample_id is not the sample's, a record name that is not the one the row names, a
// window that does not carry the row's normalised alleles at `offset`, or a FASTA that ends early
// or has records left over.
class SampleVariantReader {
 public:
  explicit SampleVariantReader(const ScoreSample& sample);
  ~SampleVariantReader();
  SampleVariantReader(const SampleVariantReader&) = delete;
  SampleVariantReader& operator=(const SampleVariantReader&) = delete;
  bool next(ScoreVariant& variant);  // false after the last row (the FASTA checked to end there too)

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace oncolm::score
