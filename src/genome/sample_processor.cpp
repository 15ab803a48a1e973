#include "genome/sample_processor.h"

#include <algorithm>
#include <iterator>
#include <memory>
#include <optional>
#include <set>
#include <unordered_map>
#include <vector>

#include <fmt/compile.h>
#include <fmt/format.h>

#include "core/error.h"
#include "core/file_contract.h"
#include "core/log.h"
#include "core/progress.h"
#include "genome/io/contigs.h"
#include "genome/io/window_files.h"
#include "genome/small_variants/personalise.h"
#include "genome/io/reference.h"
#include "genome/evidence/sample_evidence.h"
#include "genome/sv_windows.h"
#include "genome/small_variants/variant_buffer.h"
#include "genome/io/vcf_reader.h"

namespace oncolm::genome {
namespace {

// Normalisation moves an indel left through its repeat; 10 kb is far beyond the longest
// microsatellites that small-variant callers report, and costs only buffer memory.
constexpr std::int64_t look_ahead = 10000;
constexpr int warnings_per_reason = 3;  // then only --verbosity debug, plus the summary

bool is_acgt(char c) { return c == 'A' || c == 'C' || c == 'G' || c == 'T'; }
bool is_iupac(char c) { return std::string_view("ACGTURYSWKMBDHVN").find(c) != std::string_view::npos; }

std::string upper(std::string text) {
  for (char& c : text) c = static_cast<char>(c >= 'a' && c <= 'z' ? c - 'a' + 'A' : c);
  return text;
}

// <DEL>, breakends (t[p[, ]p]t), single breakends (.t, t.) and VCF 4.1's contig insertions (C<ctg1>).
bool symbolic(const std::string& alt) {
  return alt.find('<') != std::string::npos || alt.find_first_of("[]") != std::string::npos ||
         (alt.size() > 1 && (alt.front() == '.' || alt.back() == '.'));
}

// One of a sample's small-variant VCFs and its current line.
struct Source {
  std::unique_ptr<VcfReader> reader;
  bool has_record = false;
  std::vector<std::optional<ContigMatch>> contigs;  // by header contig id
  int contig = -1;                                   // reference contig of the current record
  std::unordered_map<int, int> header_rank;          // reference contig -> its place among the header's contigs
};

class SampleProcessor {
 public:
  SampleProcessor(const SampleSheet& sheet, const Sample& sample, const SampleContext& context, hts_tpool* pool,
                  Progress* progress);
  SampleStats run();

 private:
  void open_source(const std::string& path);
  void resolve_contig(Source& source);
  Source* pick_next();
  bool still_ahead_elsewhere(int contig) const;
  void start_contig(Source& source);
  void process_line(Source& source);
  void process_allele(Source& source, const std::string& ref_text, const std::string& alt_text);
  bool check_ref(Source& source, const std::string& ref);
  void skip(const std::string& reason, const Source& source, const std::string& detail);
  void emit(const Candidate& target, const std::vector<const Candidate*>& nearby);
  PersonalisedWindows personalise(const Candidate& target, const std::string& ref_contig);
  std::int64_t indel_slide(const Candidate& target);

  const SampleSheet& sheet_;
  const Sample& sample_;
  const SampleContext& context_;
  Progress* progress_;
  Reference reference_;
  ContigResolver resolver_;
  SampleEvidence evidence_;
  SampleOutputFiles outputs_;
  std::vector<Source> sources_;
  SampleStats stats_;
  VariantBuffer buffer_;
  int current_contig_ = -1;
  std::set<int> finished_contigs_;
  std::map<std::string, int> warnings_;
  fmt::memory_buffer row_;  // reused TSV row
};

std::int64_t longest_window(const WindowParams& p) {
  return std::max({p.snv_length, p.mnv_length, p.indel_length});
}

SampleProcessor::SampleProcessor(const SampleSheet& sheet, const Sample& sample, const SampleContext& context,
                                 hts_tpool* pool, Progress* progress)
    : sheet_(sheet),
      sample_(sample),
      context_(context),
      progress_(progress),
      reference_(context.reference),
      resolver_(reference_, context.contig_map),
      evidence_(sample, reference_, context.params.read_filters()),
      outputs_(context.out_dir, sample.safe_id, pool, context.params.output_format()),
      buffer_(look_ahead, longest_window(context.params) / 2,
              [this](const Candidate& target, const std::vector<const Candidate*>& nearby) { emit(target, nearby); }) {
  stats_.sample_id = sample.id;
  stats_.safe_id = sample.safe_id;
  stats_.donor_id = sample.donor_id;
  stats_.sheet_row = sample.row;
  stats_.labels = sample.labels;
  stats_.inputs = {{"tumour_bam", sample.tumour_bam}, {"normal_bam", sample.normal_bam}, {"snv_vcf", sample.snv_vcf},
                   {"indel_vcf", sample.indel_vcf},   {"sv_vcf", sample.sv_vcf}};
  std::string windows = contract::windows_stem(sample.safe_id);
  std::string sv_windows = contract::sv_windows_stem(sample.safe_id);
  stats_.outputs = {{"fasta", contract::fasta_name(windows)},
                    {"tsv", contract::tsv_name(windows)},
                    {"sv_fasta", contract::fasta_name(sv_windows)},
                    {"sv_tsv", contract::tsv_name(sv_windows)},
                    {"stats", contract::sample_stats_name(sample.safe_id)}};
  stats_.provenance = context.provenance;
  stats_.germline.personalised = context.params.personalise && evidence_.normal_reads();
  if (context.params.personalise && !evidence_.normal_reads())
    log(Level::warning, "sample {}: no normal_bam in the sample sheet: --personalise leaves its windows as the "
        "reference (germline columns '.')", sample.id);
  for (const std::string* path : {&sample.snv_vcf, &sample.indel_vcf})
    if (!path->empty()) open_source(*path);
}

void SampleProcessor::open_source(const std::string& path) {
  Source source;
  source.reader = std::make_unique<VcfReader>(path);
  // Header lengths are checked before any record: a VCF of another assembly fails at once.
  for (const auto& [name, length] : source.reader->declared_contigs()) {
    ContigMatch match = resolver_.resolve(name, length, path);
    if (match.contig >= 0) source.header_rank.emplace(match.contig, static_cast<int>(source.header_rank.size()));
  }
  sources_.push_back(std::move(source));
}

SampleStats SampleProcessor::run() {
  outputs_.windows().write_tsv(tsv_header(contract::window_tsv_columns, sample_.labels));
  for (auto& source : sources_) {
    source.has_record = source.reader->next();
    if (source.has_record) resolve_contig(source);
  }
  while (Source* source = pick_next()) {
    if (source->contig >= 0 && source->contig != current_contig_) start_contig(*source);
    process_line(*source);
    if (source->contig >= 0) buffer_.advance(source->reader->pos());
    source->has_record = source->reader->next();
    if (source->has_record) resolve_contig(*source);
  }
  buffer_.flush();
  write_sv_windows(sample_, reference_, resolver_, context_.params, evidence_, outputs_.sv_windows(), stats_,
                   progress_);
  stats_.bams = evidence_.bam_stats();
  stats_.indels_without_evidence = evidence_.indels_without_evidence();
  for (const auto& [reason, count] : stats_.skipped)
    if (count > 0)
      log(Level::info, "sample {}: {} record(s) skipped: {}", sample_.id, count, reason);
  if (stats_.reference_changes.soft_masked || stats_.reference_changes.iupac)
    log(Level::info, "sample {}: {} soft-masked reference bases upper-cased and {} IUPAC codes set to N in windows",
        sample_.id, stats_.reference_changes.soft_masked, stats_.reference_changes.iupac);
  outputs_.commit(to_json(stats_).dump(2) + "\n");
  return stats_;
}

void SampleProcessor::resolve_contig(Source& source) {
  int rid = source.reader->record()->rid;
  if (static_cast<int>(source.contigs.size()) <= rid) source.contigs.resize(static_cast<std::size_t>(rid) + 1);
  auto& match = source.contigs[static_cast<std::size_t>(rid)];
  if (!match) {
    match = resolver_.resolve(source.reader->chrom(), source.reader->declared_length(), source.reader->path());
    if (match->contig < 0)
      log(Level::warning, "{}:{}: contig {} {}: its records are skipped (unknown_contig)", source.reader->path(),
          source.reader->line(), source.reader->chrom(), match->reason);
    else if (match->reason.rfind("renamed", 0) == 0)
      log(Level::info, "{}: contig {} {}", source.reader->path(), source.reader->chrom(), match->reason);
    const std::string vcf_name = source.reader->chrom();
    if (match->contig >= 0 && reference_.contigs()[static_cast<std::size_t>(match->contig)].name != vcf_name)
      stats_.contig_names[vcf_name] = reference_.contigs()[static_cast<std::size_t>(match->contig)].name;
  }
  source.contig = match->contig;
}

// The next line in merged order: records on unknown contigs at once (they only get counted), then
// the current contig in position order, then a new contig: the first in reference order among those
// that no other file may still reach (files need not follow the reference's contig order, only one
// order between them: an SNV file with chr20 only beside an indel file with chrX then chr20, both
// declaring chrX first, must start with chrX although the reference has chr20 first).
Source* SampleProcessor::pick_next() {
  Source* best = nullptr;
  auto key = [&](const Source& s) {
    int rank = s.contig < 0 ? -1 : (s.contig == current_contig_ ? 0 : 1);
    bool waits = rank == 1 && sources_.size() > 1 && still_ahead_elsewhere(s.contig);
    return std::make_tuple(rank, waits, s.contig, s.reader->pos());
  };
  for (auto& source : sources_)
    if (source.has_record && (!best || key(source) < key(*best))) best = &source;
  return best;
}

// Whether another file is on a contig its header declares before `contig`, so that it may have
// records on `contig` still to come. Headers give each file's order (bcftools sorts by them).
bool SampleProcessor::still_ahead_elsewhere(int contig) const {
  for (const auto& other : sources_) {
    if (!other.has_record || other.contig < 0 || other.contig == contig) continue;
    auto here = other.header_rank.find(other.contig), there = other.header_rank.find(contig);
    if (here != other.header_rank.end() && there != other.header_rank.end() && there->second > here->second)
      return true;
  }
  return false;
}

void SampleProcessor::start_contig(Source& source) {
  buffer_.flush();
  if (current_contig_ >= 0) finished_contigs_.insert(current_contig_);
  if (finished_contigs_.count(source.contig))
    throw input_error(source.reader->path(), source.reader->line(),
                      "contig {} comes after other contigs were finished: the VCFs of sample {} must list contigs "
                      "in the same order",
                      source.reader->chrom(), sample_.id);
  current_contig_ = source.contig;
}

void SampleProcessor::process_line(Source& source) {
  bcf1_t* record = source.reader->record();
  if (bcf_unpack(record, BCF_UN_STR) != 0)
    throw input_error(source.reader->path(), source.reader->line(), "cannot unpack the record");
  std::string ref = record->d.allele[0];
  if (record->n_allele > 2) ++stats_.multiallelic_split;
  if (record->n_allele < 2) {
    ++stats_.records_read;
    skip("no_alt", source, "ALT is '.'");
    return;
  }
  for (int i = 1; i < record->n_allele; ++i) {
    ++stats_.records_read;
    process_allele(source, ref, record->d.allele[i]);
  }
}

// The ALT bases the caller called, those outside what REF and ALT share on the left and right: an
// indel's anchor copied from the reference may be N (`bcftools norm` writes NC>N beside a gap), which
// is the reference, not an ambiguous call.
bool called_bases_are_acgt(const std::string& ref, const std::string& alt) {
  std::size_t prefix = 0;
  while (prefix < ref.size() && prefix < alt.size() && ref[prefix] == alt[prefix]) ++prefix;
  std::size_t suffix = 0;
  while (suffix < ref.size() - prefix && suffix < alt.size() - prefix &&
         ref[ref.size() - 1 - suffix] == alt[alt.size() - 1 - suffix])
    ++suffix;
  return std::all_of(alt.begin() + static_cast<std::ptrdiff_t>(prefix),
                     alt.end() - static_cast<std::ptrdiff_t>(suffix), is_acgt);
}

void SampleProcessor::process_allele(Source& source, const std::string& ref_text, const std::string& alt_text) {
  const VcfReader& reader = *source.reader;
  std::string ref = upper(ref_text), alt = upper(alt_text);
  if (!std::all_of(ref.begin(), ref.end(), is_iupac))
    throw input_error(reader.path(), reader.line(), "REF '{}' is not a DNA sequence", ref_text);
  if (source.contig < 0) return skip("unknown_contig", source, "contig " + reader.chrom());
  if (!context_.params.keep_filtered && !reader.filter_passes())
    return skip("filtered", source, "FILTER " + reader.filter());
  if (alt == "*" || alt == ".") return skip("no_alt", source, "ALT '" + alt_text + "'");
  if (symbolic(alt)) return skip("sv_symbolic", source, "ALT " + alt_text);
  if (!std::all_of(alt.begin(), alt.end(), is_iupac))
    throw input_error(reader.path(), reader.line(), "ALT '{}' is not a DNA sequence", alt_text);
  if (!called_bases_are_acgt(ref, alt))
    return skip("iupac_alt", source, "ALT " + alt_text + " has IUPAC codes other than A, C, G, T");
  if (!check_ref(source, ref)) return;
  if (ref == alt) return skip("no_alt", source, "ALT equals REF");

  int contig = source.contig;
  NormalisedAllele norm = normalise(reader.pos(), ref, alt, [&](std::int64_t start, std::int64_t end) {
    return reference_.fetch(contig, start, end);
  });
  Candidate candidate{reader.chrom(), reader.pos(), ref_text, alt_text, reader.filter(), reader.path(),
                      reader.line(), norm.pos, norm.ref, norm.alt, classify(norm.ref, norm.alt), std::nullopt};
  std::string reason;
  std::int64_t size_change =
      std::abs(static_cast<std::int64_t>(norm.ref.size()) - static_cast<std::int64_t>(norm.alt.size()));
  if (context_.params.max_indel_length > 0 && size_change >= context_.params.max_indel_length) {
    candidate.type = VariantType::sv;
    reason = "sv_indel_length";
  } else {
    candidate.window = window_geometry(norm.pos, norm.ref, norm.alt, reference_.length(contig),
                                       context_.params.length_for(candidate.type));
    if (!candidate.window) reason = "alt_exceeds_window";
  }
  // Counted for every allele normalised, duplicates included, as `bcftools norm` reports them.
  stats_.normalised_changed += norm.changed;
  stats_.normalised_moved += norm.pos != reader.pos();
  bool late = false;
  if (!buffer_.insert(candidate, &late))
    return skip("duplicate", source,
                fmt::format("{}:{}:{}>{} already seen", reader.chrom(), norm.pos, norm.ref, norm.alt));
  if (late)
    log(Level::warning, "{}:{}: normalisation moved the variant {} bp left, beyond the {} bp look-ahead: "
        "windows written before it do not list it as nearby, nor does its window list them", reader.path(), reader.line(),
        reader.pos() - norm.pos,
        look_ahead);
  if (!reason.empty())
    skip(reason, source, reason == "sv_indel_length"
                             ? fmt::format("length change {} >= --max-indel-length {}", size_change,
                                           context_.params.max_indel_length)
                             : "ALT allele longer than the right half of the window");
}

bool SampleProcessor::check_ref(Source& source, const std::string& ref) {
  const VcfReader& reader = *source.reader;
  std::int64_t end = reader.pos() + static_cast<std::int64_t>(ref.size()) - 1;
  std::string expected = ref;
  sanitise_sequence(expected);
  std::string actual = end <= reference_.length(source.contig)
                           ? reference_.fetch(source.contig, reader.pos(), end)
                           : "(past the contig end)";
  if (actual == expected) return true;
  std::string detail = fmt::format("REF {} disagrees with the reference {} at {}:{}-{}: {}", ref, reference_.path(),
                                   reader.chrom(), reader.pos(), end, actual);
  if (context_.params.ref_mismatch_error)
    throw input_error(reader.path(), reader.line(), "{} (--ref-mismatch error)", detail);
  skip("ref_mismatch", source, detail);
  return false;
}

void SampleProcessor::skip(const std::string& reason, const Source& source, const std::string& detail) {
  ++stats_.skipped.at(reason);
  Level level = ++warnings_[reason] <= warnings_per_reason ? Level::warning : Level::debug;
  if (reason == "filtered" || reason.rfind("sv_", 0) == 0) level = Level::debug;  // expected, only counted
  log(level, "{}:{}: skipped ({}): {}", source.reader->path(), source.reader->line(), reason, detail);
}

void SampleProcessor::emit(const Candidate& target, const std::vector<const Candidate*>& nearby) {
  WindowGeometry g = *target.window;
  std::uint64_t index = stats_.windows();
  const std::string& ref_contig = reference_.contigs()[static_cast<std::size_t>(current_contig_)].name;
  WindowSequences seq = window_sequences(reference_, current_contig_, g, target.norm_pos, target.norm_ref,
                                         target.norm_alt, &stats_.reference_changes);
  std::vector<GermlineSite> germline;
  if (stats_.germline.personalised) {
    PersonalisedWindows personal = personalise(target, ref_contig);
    g = personal.geometry;
    seq = std::move(personal.sequences);
    germline = std::move(personal.sites);
    count_germline(germline, stats_.germline);
    // Named as the row's `chrom` and `nearby_variants` name the contig (the VCF's name), not as the
    // reference does, so that one row never names its contig two ways.
    for (GermlineSite& site : germline) site.chrom = target.chrom;
  }
  std::string ref_name = contract::window_record_name(sample_.safe_id, index, ref_contig, target.norm_pos, false);
  std::string alt_name = contract::window_record_name(sample_.safe_id, index, ref_contig, target.norm_pos, true);
  outputs_.windows().write_fasta_record(ref_name, seq.ref);
  outputs_.windows().write_fasta_record(alt_name, seq.alt);

  // Compiled formats into a reused buffer: this runs once per window.
  row_.clear();
  auto row = std::back_inserter(row_);
  fmt::format_to(row, FMT_COMPILE("{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t"),
                 sample_.id, target.chrom, target.pos, target.ref, target.alt, target.filter, target.norm_pos,
                 target.norm_ref, target.norm_alt, type_name(target.type), g.start, g.end, g.alt_start, g.alt_end,
                 g.offset, ref_name, alt_name, seq.ref.size(), seq.alt.size(), target.pos - target.norm_pos);
  if (nearby.empty()) row_.push_back('.');
  for (std::size_t i = 0; i < nearby.size(); ++i)
    fmt::format_to(row, FMT_COMPILE("{}{}:{}:{}>{}"), i ? "," : "", nearby[i]->chrom, nearby[i]->norm_pos,
                   nearby[i]->norm_ref, nearby[i]->norm_alt);
  fmt::format_to(row, FMT_COMPILE("\t{}\t{}\t{}"),
                 evidence_.small_variant_columns(ref_contig, target.norm_pos, target.norm_ref, target.norm_alt,
                                                 indel_slide(target)),
                 germline_column(germline, true), germline_column(germline, false));
  for (const auto& [column, value] : sample_.labels) fmt::format_to(row, FMT_COMPILE("\t{}"), value);
  row_.push_back('\n');
  outputs_.windows().write_tsv(std::string_view(row_.data(), row_.size()));

  ++stats_.windows_by_type.at(type_name(target.type));
  stats_.add_window_pair(seq.ref, seq.alt);
  if (progress_) progress_->advance();
}

// How far an indel slides through its repeat, for its read evidence (0 when there are no reads to count).
std::int64_t SampleProcessor::indel_slide(const Candidate& target) {
  if (!evidence_.has_reads() || target.type != VariantType::indel) return 0;
  int contig = current_contig_;
  return indel_right_shift(target.norm_pos, target.norm_ref, target.norm_alt, reference_.length(contig),
                           [this, contig](std::int64_t start, std::int64_t end) { return reference_.fetch(contig, start, end); });
}

// The windows with the donor's germline alleles (--personalise, a sample with a normal BAM).
PersonalisedWindows SampleProcessor::personalise(const Candidate& target, const std::string& ref_contig) {
  int contig = current_contig_;
  return personalise_windows(
      *evidence_.normal_reads(), evidence_.tumour_reads(), context_.params, ref_contig, reference_.length(contig),
      *target.window, SomaticAllele{target.norm_pos, target.norm_ref, target.norm_alt},
      [this, contig](std::int64_t start, std::int64_t end) { return reference_.fetch(contig, start, end); });
}

}  // namespace

SampleStats process_sample(const SampleSheet& sheet, const Sample& sample, const SampleContext& context,
                           hts_tpool* pool, Progress* progress) {
  check_sample_files(sheet, sample);
  SampleProcessor processor(sheet, sample, context, pool, progress);
  return processor.run();
}

}  // namespace oncolm::genome
