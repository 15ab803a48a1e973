#include "genome/windows_command.h"

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <exception>
#include <fstream>
#include <iterator>
#include <mutex>
#include <set>
#include <thread>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "core/atomic_file.h"
#include "core/error.h"
#include "core/file_contract.h"
#include "core/paths.h"
#include "core/log.h"
#include "core/progress.h"
#include "core/version.h"
#include "genome/io/contigs.h"
#include "genome/io/sample_sheet.h"
#include "genome/io/window_files.h"
#include "genome/sample_processor.h"

#include <htslib/hts_log.h>

namespace oncolm::genome {

namespace {

Json run_provenance(const std::string& command_line) {
  return {{"version", version_string()}, {"git_hash", git_hash()}, {"command_line", command_line}};
}

void remove_cohort_files(const std::string& out_dir) {
  std::remove(path_join(out_dir, std::string(contract::cohort_manifest_file)).c_str());
  std::remove(path_join(out_dir, std::string(contract::cohort_stats_file)).c_str());
}

void write_cohort(const std::string& out_dir, std::vector<SampleStats> samples, const std::string& command_line) {
  CohortOutputs cohort = aggregate_cohort(std::move(samples), run_provenance(command_line));
  write_file_atomically(out_dir + "/" + std::string(contract::cohort_manifest_file), cohort.manifest_tsv);
  write_file_atomically(out_dir + "/" + std::string(contract::cohort_stats_file), cohort.stats.dump(2) + "\n");
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
  // Counts small-variant windows and SV junctions together (the per-sample log line gives each).
  Progress progress("windows", 0, "windows+junctions");
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
            "sample {}: {} small-variant windows ({} snv, {} mnv, {} indel), {} SV junctions, {} SV-like "
            "small-variant records set aside, {} small-variant records skipped",
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
  // Cohort files from an earlier run must not outlive a run that fails, nor describe a directory a
  // `--sample` run has changed: until `windows merge` the later stages refuse it.
  remove_cohort_files(run.out_dir);
  std::vector<SampleStats> results = process_samples(sheet, samples, context, std::max(1, run.threads));
  if (run.only_sample.empty()) write_cohort(run.out_dir, std::move(results), run.command_line);
}

namespace {

// The sample ids of the sheet that have no per-sample output, and those of outputs it does not list.
void check_against_sheet(const std::string& sheet_path, const std::vector<SampleStats>& samples,
                         const std::string& out_dir) {
  const SampleSheet sheet = read_sample_sheet(sheet_path);
  std::set<std::string> listed, merged;
  for (const auto& sample : sheet.samples) listed.insert(sample.id);
  for (const auto& sample : samples) merged.insert(sample.sample_id);
  std::vector<std::string> missing, extra;
  std::set_difference(listed.begin(), listed.end(), merged.begin(), merged.end(), std::back_inserter(missing));
  std::set_difference(merged.begin(), merged.end(), listed.begin(), listed.end(), std::back_inserter(extra));
  if (!missing.empty())
    throw input_error(out_dir, 0, "{} sample(s) of {} have no finished outputs here (run `oncolm windows --sample` "
                      "for them): {}", missing.size(), sheet_path, fmt::format("{}", fmt::join(missing, ", ")));
  if (!extra.empty())
    throw input_error(out_dir, 0, "{} sample(s) here are not in {} (outputs of another sheet; remove them): {}",
                      extra.size(), sheet_path, fmt::format("{}", fmt::join(extra, ", ")));
}

}  // namespace

void merge_windows(const std::string& out_dir, const std::string& command_line, const std::string& sheet_path) {
  if (!is_directory(out_dir)) throw input_error(out_dir, 0, "not a directory");
  std::vector<std::string> files;
  for (const auto& name : list_directory(out_dir)) {
    const std::string suffix(contract::stats_suffix);
    if (name.size() > suffix.size() && name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0)
      files.push_back(path_join(out_dir, name));
  }
  if (files.empty()) throw input_error(out_dir, 0, "no per-sample outputs (<sample>.stats.json) to merge");
  remove_cohort_files(out_dir);  // a merge that fails leaves no cohort files describing another set
  std::sort(files.begin(), files.end());
  std::vector<SampleStats> samples;
  for (const auto& file : files) {
    samples.push_back(read_sample_stats(file));
    for (const auto& [kind, name] : samples.back().outputs)
      if (!path_exists(path_join(out_dir, name)))
        throw input_error(file, 0, "its {} output {} is missing from {}", kind, name, out_dir);
  }
  if (!sheet_path.empty()) check_against_sheet(sheet_path, samples, out_dir);
  write_cohort(out_dir, std::move(samples), command_line);
}

}  // namespace oncolm::genome
