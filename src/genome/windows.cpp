#include "genome/windows.h"

#include <atomic>
#include <cstdio>
#include <exception>
#include <fstream>
#include <mutex>
#include <thread>

#include <fmt/format.h>

#include "core/atomic_file.h"
#include "core/error.h"
#include "core/paths.h"
#include "core/log.h"
#include "core/progress.h"
#include "core/version.h"
#include "genome/contigs.h"
#include "genome/output_files.h"
#include "genome/sample_processor.h"

#include <htslib/hts_log.h>

namespace oncolm::genome {

const std::vector<std::string> window_tsv_columns = {
    "sample_id", "chrom",     "pos",       "ref",        "alt",        "filter",          "norm_pos",
    "norm_ref",  "norm_alt",  "type",      "window_start", "window_end", "alt_window_start", "alt_window_end",
    "offset",    "ref_record", "alt_record", "ref_length", "alt_length", "normalised_shift", "nearby_variants",
    "t_depth",   "t_ref_count", "t_alt_count", "t_vaf",     "n_depth",    "n_ref_count",     "n_alt_count",
    "n_vaf",     "germline_applied", "germline_not_applied"};

const std::vector<std::string> sv_window_tsv_columns = {
    "sample_id",         "id",                 "chrom",           "pos",              "mate_chrom",
    "mate_pos",          "class",              "size",            "strands",          "inserted_sequence",
    "homlen",            "homseq",             "imprecise",       "cipos",            "ref1_window_start",
    "ref1_window_end",   "ref1_offset",        "ref1_record",     "ref2_window_start", "ref2_window_end",
    "ref2_offset",       "ref2_record",        "alt_record",      "alt_length",       "alt_junction_offset",
    "alt_first_piece",   "alt_second_piece",   "t_split_reads",   "t_discordant_pairs", "n_split_reads",
    "n_discordant_pairs", "germline_applied", "germline_not_applied"};

std::int64_t WindowParams::length_for(VariantType type) const {
  switch (type) {
    case VariantType::snv: return snv_length;
    case VariantType::mnv: return mnv_length;
    default: return indel_length;
  }
}

Json WindowParams::to_json() const {
  return {{"snv_length", snv_length},
          {"mnv_length", mnv_length},
          {"indel_length", indel_length},
          {"sv_length", sv_length},
          {"keep_filtered", keep_filtered},
          {"max_indel_length", max_indel_length},
          {"ref_mismatch", ref_mismatch_error ? "error" : "skip"},
          {"contig_map", contig_map},
          {"min_mapq", min_mapq},
          {"min_baseq", min_baseq},
          {"max_depth", read_filters().max_depth},
          {"personalise", personalise},
          {"germline_min_depth", germline_min_depth},
          {"germline_hom_fraction", germline_hom_fraction},
          {"germline_het_range", {germline_het_min, germline_het_max}},
          {"germline_phasing_min_reads", germline_phasing_min_reads},
          {"germline_phasing_agreement", germline_phasing_agreement}};
}

void WindowParams::validate() const {
  for (auto [name, length] : {std::pair{"--snv-length", snv_length}, std::pair{"--mnv-length", mnv_length},
                              std::pair{"--indel-length", indel_length}, std::pair{"--sv-length", sv_length}})
    if (length < 6) throw InputError(fmt::format("{} must be at least 6 (one 6-mer token), got {}", name, length));
  if (germline_min_depth < 1)
    throw InputError(fmt::format("--germline-min-depth must be at least 1, got {}", germline_min_depth));
  if (!(germline_hom_fraction > 0 && germline_hom_fraction <= 1))
    throw InputError(fmt::format("--germline-hom-fraction must lie in (0, 1], got {}", germline_hom_fraction));
  // The het range must lie below the hom threshold, or one fraction would be both.
  if (!(germline_het_min > 0 && germline_het_min <= germline_het_max && germline_het_max < germline_hom_fraction))
    throw InputError(fmt::format("--germline-het-range {}-{} must satisfy 0 < LOW <= HIGH < --germline-hom-fraction "
                                 "({})", germline_het_min, germline_het_max, germline_hom_fraction));
}

ReadFilters WindowParams::read_filters() const {
  ReadFilters filters;
  filters.min_mapq = min_mapq;
  filters.min_baseq = min_baseq;
  return filters;
}

namespace {
// <safe_sample>|<index>|<safe_chrom>_<pos>|<kind>: only [A-Za-z0-9_.|], so names are unambiguous
// samtools faidx regions.
std::string record_name(const std::string& safe_sample, std::string_view index, const std::string& chrom,
                        std::int64_t pos, std::string_view kind) {
  return fmt::format("{}|{}|{}_{}|{}", safe_sample, index, safe_name(chrom), pos, kind);
}
}  // namespace

std::string window_record_name(const std::string& safe_sample, std::uint64_t index, const std::string& chrom,
                               std::int64_t norm_pos, bool alt) {
  return record_name(safe_sample, std::to_string(index), chrom, norm_pos, alt ? "ALT" : "REF");
}

std::string sv_window_record_name(const std::string& safe_sample, std::uint64_t index, const std::string& chrom,
                                  std::int64_t pos, const char* kind) {
  return record_name(safe_sample, "sv" + std::to_string(index), chrom, pos, kind);
}

namespace {

const char* manifest_name = "manifest.tsv";
const char* cohort_stats_name = "stats.json";

Json run_provenance(const std::string& command_line) {
  return {{"version", version_string()}, {"git_hash", git_hash()}, {"command_line", command_line}};
}

void write_cohort(const std::string& out_dir, std::vector<SampleStats> samples, const std::string& command_line) {
  CohortOutputs cohort = aggregate_cohort(std::move(samples), run_provenance(command_line));
  write_file_atomically(out_dir + "/" + manifest_name, cohort.manifest_tsv);
  write_file_atomically(out_dir + "/" + cohort_stats_name, cohort.stats.dump(2) + "\n");
}

SampleStats read_sample_stats(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw input_error(path, 0, "cannot read per-sample stats");
  Json json;
  try {
    json = Json::parse(in);
  } catch (const nlohmann::json::exception& error) {
    throw input_error(path, 0, "not valid JSON: {}", error.what());
  }
  return sample_stats_from_json(json, path);
}

// Runs samples on `workers` threads; the first failure stops new samples from starting.
std::vector<SampleStats> process_samples(const SampleSheet& sheet, const std::vector<const Sample*>& samples,
                                         const SampleContext& context, int threads) {
  // Compression threads are shared by every open BGZF stream; with one thread there is no pool
  // and htslib compresses inline.
  ThreadPoolPtr pool(threads > 1 ? hts_tpool_init(threads) : nullptr);
  if (threads > 1 && !pool) throw std::runtime_error("cannot start the compression thread pool");
  Progress progress("windows", 0, "windows");
  std::vector<SampleStats> results(samples.size());
  std::atomic<std::size_t> next{0};
  std::atomic<bool> failed{false};
  std::mutex error_mutex;
  std::exception_ptr first_error;
  std::size_t first_error_index = samples.size();
  auto work = [&]() {
    while (!failed) {
      std::size_t i = next++;
      if (i >= samples.size()) return;
      try {
        results[i] = process_sample(sheet, *samples[i], context, pool.get(), &progress);
        log(Level::info,
            "sample {}: {} windows ({} snv, {} mnv, {} indel), {} SV junctions, {} SV-like small-variant records "
            "set aside, {} skipped",
            samples[i]->id, results[i].windows(), results[i].windows_by_type.at("snv"),
            results[i].windows_by_type.at("mnv"), results[i].windows_by_type.at("indel"), results[i].sv.junctions(),
            results[i].set_aside_sv(), results[i].skipped_total());
      } catch (...) {
        std::lock_guard<std::mutex> lock(error_mutex);
        failed = true;
        if (i < first_error_index) {  // report the same error whatever the thread count
          first_error_index = i;
          first_error = std::current_exception();
        }
      }
    }
  };
  int workers = std::max(1, std::min<int>(threads, static_cast<int>(samples.size())));
  std::vector<std::thread> pool_threads;
  for (int t = 1; t < workers; ++t) pool_threads.emplace_back(work);
  work();
  for (auto& thread : pool_threads) thread.join();
  progress.finish();
  if (first_error) std::rethrow_exception(first_error);
  return results;
}

}  // namespace

void run_windows(const WindowsRun& run) {
  // htslib warns about every INFO/FILTER missing from a header; oncolm reports what matters itself.
  hts_set_log_level(log_enabled(Level::debug) ? HTS_LOG_WARNING : HTS_LOG_ERROR);
  run.params.validate();
  SampleSheet sheet = read_sample_sheet(run.sheet);
  std::vector<const Sample*> samples;
  if (!run.only_sample.empty()) {
    samples.push_back(&find_sample(sheet, run.only_sample));
  } else {
    for (const auto& sample : sheet.samples) samples.push_back(&sample);
  }
  // Every input is checked before hours of work start.
  for (const Sample* sample : samples) check_sample_files(sheet, *sample);
  SampleContext context;
  context.reference = run.reference;
  context.out_dir = run.out_dir;
  context.params = run.params;
  {
    Reference reference(run.reference);
    if (!run.params.contig_map.empty()) context.contig_map = read_contig_map(run.params.contig_map, reference);
  }
  context.provenance = run_provenance(run.command_line);
  context.provenance["reference"] = run.reference;
  context.provenance["reference_fai_sha256"] = reference_fai_sha256(run.reference);
  context.provenance["parameters"] = run.params.to_json();
  make_directories(run.out_dir);
  if (run.only_sample.empty()) {
    // Cohort files from an earlier run must not outlive a run that fails.
    std::remove((run.out_dir + "/" + manifest_name).c_str());
    std::remove((run.out_dir + "/" + cohort_stats_name).c_str());
  }
  std::vector<SampleStats> results = process_samples(sheet, samples, context, std::max(1, run.threads));
  if (run.only_sample.empty()) write_cohort(run.out_dir, std::move(results), run.command_line);
}

void merge_windows(const std::string& out_dir, const std::string& command_line) {
  if (!is_directory(out_dir)) throw input_error(out_dir, 0, "not a directory");
  std::vector<std::string> files;
  for (const auto& name : list_directory(out_dir)) {
    const std::string suffix = ".stats.json";
    if (name.size() > suffix.size() && name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0)
      files.push_back(path_join(out_dir, name));
  }
  if (files.empty()) throw input_error(out_dir, 0, "no per-sample outputs (<sample>.stats.json) to merge");
  std::sort(files.begin(), files.end());
  std::vector<SampleStats> samples;
  for (const auto& file : files) {
    samples.push_back(read_sample_stats(file));
    for (const auto& [kind, name] : samples.back().outputs)
      if (!path_exists(path_join(out_dir, name)))
        throw input_error(file, 0, "its {} output {} is missing from {}", kind, name, out_dir);
  }
  write_cohort(out_dir, std::move(samples), command_line);
}

}  // namespace oncolm::genome
