// `oncolm windows SAMPLE_SHEET --reference REF -o OUTDIR [--sample ID] [options]`
// `oncolm windows merge -o OUTDIR [--sheet SHEET]`
// The work is in the genome library (src/genome/windows_command.h); this file only maps options.
#include <cstring>
#include <stdexcept>
#include <string>

#include "commands.h"
#include "common_options.h"
#include "core/error.h"
#include "genome/windows_command.h"

namespace oncolm::cli {
namespace {

// "0.3-0.7" -> 0.3, 0.7; the range itself is checked by WindowParams::validate.
void parse_fraction_range(const std::string& text, double& low, double& high) {
  std::size_t dash = text.find('-');
  try {
    std::size_t used_low = 0, used_high = 0;
    if (dash == std::string::npos) throw std::invalid_argument("no dash");
    low = std::stod(text.substr(0, dash), &used_low);
    high = std::stod(text.substr(dash + 1), &used_high);
    if (used_low != dash || used_high != text.size() - dash - 1) throw std::invalid_argument("trailing text");
  } catch (const std::exception&) {
    throw InputError("--germline-het-range must be LOW-HIGH, e.g. 0.3-0.7, got '" + text + "'");
  }
}

int run_merge(int argc, char** argv) {
  CLI::App app{"Combine per-sample window outputs in OUTDIR into manifest.tsv and stats.json", "oncolm windows merge"};
  CommonOptions options;
  add_common_options(app, options, false, true);
  std::string sheet;
  app.add_option("--sheet", sheet,
                 "the sample sheet of the --sample runs: merge exactly its samples (an error names any missing, or "
                 "any output the sheet does not list)");
  return run_subcommand(app, options, argc, argv, [&]() {
    genome::merge_windows(options.out, command_line(argc + 1, argv - 1), sheet);
    return 0;
  });
}

}  // namespace

int run_windows(int argc, char** argv) {
  if (argc > 1 && std::strcmp(argv[1], "merge") == 0) return run_merge(argc - 1, argv + 1);

  CLI::App app{"Variant-centred REF/ALT windows for the SNVs, MNVs and indels of a cohort, REF/ALT junction\n"
               "windows for its SVs, and tumour/normal read evidence (depth, REF/ALT reads and VAF; split reads\n"
               "and discordant pairs) from its BAM/CRAMs. Streams every input: memory is bounded by about one\n"
               "window of small variants and by the SV breakend records still waiting for their mate.\n"
               "Also: `oncolm windows merge -o OUTDIR` combines per-sample outputs (after --sample runs).",
               "oncolm windows"};
  CommonOptions options;
  genome::WindowsRun run;
  std::int64_t window_length = genome::default_window_length;
  std::int64_t snv_length = 0, mnv_length = 0, indel_length = 0, sv_length = 0;
  std::string ref_mismatch = "skip";
  app.add_option("SAMPLE_SHEET", run.sheet, "TSV: sample_id donor_id tumour_bam normal_bam snv_vcf indel_vcf sv_vcf "
                                            "[labels...]; paths relative to the sheet; BAM/CRAM with an index, "
                                            "sv_vcf a VCF or PCAWG .bedpe")
      ->required();
  add_common_options(app, options, true, true);
  app.add_option("--sample", run.only_sample, "Process only this sample (no cohort files; see `windows merge`)");
  app.add_option("--window-length", window_length, "Window length L in bases (NT v1: 5994 = 1000 tokens with <cls>)")
      ->capture_default_str();
  app.add_option("--snv-length", snv_length, "Window length for SNVs (default: --window-length)");
  app.add_option("--mnv-length", mnv_length, "Window length for MNVs (default: --window-length)");
  app.add_option("--indel-length", indel_length, "Window length for indels (default: --window-length)");
  app.add_option("--sv-length", sv_length,
                 "Length of the REF windows at each SV breakend and of the ALT junction window (default: "
                 "--window-length)");
  app.add_flag("--keep-filtered", run.params.keep_filtered, "Keep records whose FILTER is not PASS or '.'");
  app.add_option("--max-indel-length", run.params.max_indel_length,
                 "Indels with |len(REF)-len(ALT)| >= this are SVs, set aside (PCAWG rule); 0 = no limit")
      ->capture_default_str()
      ->check(non_negative_number);
  app.add_option("--contig-map", run.params.contig_map, "Two columns: VCF contig name, reference contig name")
      ->check(CLI::ExistingFile);
  app.add_option("--ref-mismatch", ref_mismatch, "REF alleles that disagree with the reference: skip (count) or error")
      ->check(CLI::IsMember({"skip", "error"}))
      ->capture_default_str();
  app.add_option("--line-width", run.params.line_width,
                 "Bases per line of the window FASTAs; 0 = one line per record (smaller and faster)")
      ->capture_default_str();
  app.add_option("--compression-level", run.params.compression_level,
                 "BGZF compression level 0-9 of the FASTA and TSV outputs (bgzip's default: 6)")
      ->capture_default_str();
  app.add_option("--min-mapq", run.params.min_mapq, "Read evidence: reads with mapping quality below this are ignored")
      ->capture_default_str()
      ->check(non_negative_number);
  app.add_option("--min-baseq", run.params.min_baseq, "Read evidence: bases with quality below this are ignored")
      ->capture_default_str()
      ->check(non_negative_number);
  std::string het_range = "0.3-0.7";
  app.add_flag("--personalise", run.params.personalise,
               "Apply the donor's germline variants (SNVs and indels), read from the normal BAM, to small-variant REF/ALT windows "
               "and SV junction windows: "
               "homozygous ones always, heterozygous ones when tumour reads phase them with the somatic allele "
               "(columns germline_applied, germline_not_applied)");
  app.add_option("--germline-min-depth", run.params.germline_min_depth,
                 "--personalise: normal reads (passing --min-mapq/--min-baseq) a germline site needs")
      ->capture_default_str();
  app.add_option("--germline-hom-fraction", run.params.germline_hom_fraction,
                 "--personalise: non-reference reads / depth at or above this is homozygous")
      ->capture_default_str();
  app.add_option("--germline-het-range", het_range,
                 "--personalise: LOW-HIGH, non-reference reads / depth in this range (inclusive) is heterozygous")
      ->capture_default_str();
  return run_subcommand(app, options, argc, argv, [&]() {
    parse_fraction_range(het_range, run.params.germline_het_min, run.params.germline_het_max);
    run.reference = options.reference;
    run.out_dir = options.out;
    run.threads = options.threads;
    // Checked here, before it stands in for the per-type lengths the user did not give.
    if (window_length < 6)
      throw std::invalid_argument("--window-length must be at least 6 (one 6-mer token), got " +
                                  std::to_string(window_length));
    run.params.snv_length = snv_length ? snv_length : window_length;
    run.params.mnv_length = mnv_length ? mnv_length : window_length;
    run.params.indel_length = indel_length ? indel_length : window_length;
    run.params.sv_length = sv_length ? sv_length : window_length;
    run.params.ref_mismatch_error = ref_mismatch == "error";
    run.command_line = command_line(argc, argv);
    genome::run_windows(run);
    return 0;
  });
}

}  // namespace oncolm::cli
