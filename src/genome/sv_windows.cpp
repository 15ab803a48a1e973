#include "genome/sv_windows.h"

#include <algorithm>

#include <fmt/format.h>

#include "core/file_contract.h"
#include "core/log.h"
#include "core/progress.h"
#include "genome/small_variants/personalise.h"
#include "genome/sv/sv_reader.h"
#include "genome/small_variants/window_geometry.h"

namespace oncolm::genome {
namespace {

const char* strand(Direction direction) { return direction == Direction::left ? "+" : "-"; }
std::string or_dot(const std::string& text) { return text.empty() ? "." : text; }
std::string interval_text(const ConfidenceInterval& interval) {
  return interval.stated ? fmt::format("{},{}", interval.low, interval.high) : ".";
}

// The cells of one TSV row, without the line end.
template <typename... Cells>
std::string tab_joined(const Cells&... cells) {
  std::string row;
  ((row += fmt::format("{}\t", cells)), ...);
  row.pop_back();
  return row;
}

std::string piece_text(const PieceSpan& piece) {
  if (piece.length() == 0) return ".";
  return fmt::format("{}:{}-{}{}", piece.chrom, piece.start, piece.end, piece.reverse_complemented ? "(rc)" : "");
}

// One REF window: its span, record name, sequence and the TSV cells "start end offset record".
struct RefWindow {
  CentredSpan span;
  std::string name;
  std::string sequence;
  std::string cells() const { return fmt::format("{}\t{}\t{}\t{}", span.start, span.end, span.offset, name); }
};

class SvWindowWriter {
 public:
  SvWindowWriter(const Sample& sample, Reference& reference, const WindowParams& params, SampleEvidence& evidence,
                 WindowFiles& out, SampleStats& stats, Progress* progress)
      : sample_(sample), reference_(reference), params_(params), evidence_(evidence), out_(out), stats_(stats),
        progress_(progress) {}

  void write(SvCall&& call);

 private:
  // Records of a junction are named after breakend 1 and the junction's row index.
  std::string record_name(const SvJunction& junction, const char* kind) const {
    return contract::sv_window_record_name(sample_.safe_id, index_, junction.bp1.chrom, junction.bp1.pos, kind);
  }
  RefWindow ref_window(const SvJunction& junction, const BreakendSide& side, const char* kind);
  void personalise(const SvJunction& junction, const std::set<std::string>& supporting_reads, RefWindow& ref1,
                   RefWindow& ref2, JunctionWindow& alt, std::vector<GermlineSite>& sites);
  ReferenceFetch contig_fetch(const std::string& chrom);
  void write_record(const std::string& name, const std::string& sequence);
  std::string fetch_clipped(const std::string& chrom, std::int64_t start, std::int64_t end);

  const Sample& sample_;
  Reference& reference_;
  const WindowParams& params_;
  SampleEvidence& evidence_;
  WindowFiles& out_;
  SampleStats& stats_;
  Progress* progress_;
  std::uint64_t index_ = 0;  // row of the junction being written
};

void SvWindowWriter::write(SvCall&& call) {
  SvJunction& junction = call.junction;
  sanitise_sequence(junction.inserted);  // callers may write lower case; the windows are upper-case ACGTN
  RefWindow ref1 = ref_window(junction, junction.bp1, "REF1");
  RefWindow ref2 = ref_window(junction, junction.bp2, "REF2");
  std::string alt_name = record_name(junction, "ALT");
  JunctionWindow alt = build_junction_window(junction, params_.sv_length,
                                             [this](const std::string& chrom, std::int64_t start, std::int64_t end) {
                                               return fetch_clipped(chrom, start, end);
                                             });
  SvEvidence evidence = evidence_.sv_evidence(junction);
  std::vector<GermlineSite> germline;
  if (stats_.germline.personalised) personalise(junction, evidence.tumour_supporting, ref1, ref2, alt, germline);
  write_record(ref1.name, ref1.sequence);
  write_record(ref2.name, ref2.sequence);
  write_record(alt_name, alt.sequence);
  std::string row = tab_joined(
      sample_.id, junction.id, junction.bp1.chrom, junction.bp1.pos, junction.bp2.chrom, junction.bp2.pos,
      sv_class_name(junction.sv_class), junction.size,
      std::string(strand(junction.bp1.direction)) + strand(junction.bp2.direction), or_dot(junction.inserted),
      or_dot(junction.homlen), or_dot(junction.homseq), junction.imprecise ? 1 : 0, interval_text(junction.bp1_interval),
      interval_text(junction.bp2_interval),
      ref1.cells(), ref2.cells(), alt_name, alt.sequence.size(), alt.junction_offset, piece_text(alt.first),
      piece_text(alt.second), evidence.columns, germline_column(germline, true),
      germline_column(germline, false));
  out_.write_tsv(row + label_cells(sample_.labels));
  ++stats_.sv.junctions_by_class.at(sv_class_name(junction.sv_class));
  ++index_;
  if (progress_) progress_->advance();
}

RefWindow SvWindowWriter::ref_window(const SvJunction& junction, const BreakendSide& side, const char* kind) {
  int contig = reference_.find(side.chrom);
  RefWindow window{centred_span(side.pos, reference_.length(contig), params_.sv_length), record_name(junction, kind),
                   ""};
  window.sequence = reference_.fetch(contig, window.span.start, window.span.end, &stats_.reference_changes);
  return window;
}

ReferenceFetch SvWindowWriter::contig_fetch(const std::string& chrom) {
  int contig = reference_.find(chrom);
  return [this, contig](std::int64_t start, std::int64_t end) { return reference_.fetch(contig, start, end); };
}

// --personalise (personalise.h, step 6): both REF windows and both ALT pieces from each breakend's
// personalised haplotype, hets phased with the tumour reads supporting this junction.
void SvWindowWriter::personalise(const SvJunction& junction, const std::set<std::string>& supporting_reads,
                                 RefWindow& ref1, RefWindow& ref2, JunctionWindow& alt,
                                 std::vector<GermlineSite>& sites) {
  // The evidence columns already read them from the tumour.
  SomaticCarriers carriers(evidence_.tumour_reads(),
                           [&supporting_reads](AlignmentReader&) { return supporting_reads; });
  // The ALT window's first piece comes from breakend 1 when its left side is retained.
  bool first_is_bp1 = junction.bp1.direction == Direction::left;
  PieceSpan& piece1 = first_is_bp1 ? alt.first : alt.second;
  PieceSpan& piece2 = first_is_bp1 ? alt.second : alt.first;
  std::string inserted = alt.sequence.substr(static_cast<std::size_t>(alt.junction_offset),
                                             static_cast<std::size_t>(alt.inserted_used));
  auto personalise_side = [&](const BreakendSide& side, RefWindow& ref, PieceSpan& piece) {
    std::int64_t contig_length = reference_.length(reference_.find(side.chrom));
    PersonalisedBreakend personal = personalise_breakend(*evidence_.normal_reads(), carriers, params_, side,
                                                         contig_length, ref.span, piece.length(),
                                                         contig_fetch(side.chrom));
    ref.sequence = personal.ref;
    ref.span = personal.ref_span;
    if (piece.length() > 0) {
      piece.start = personal.piece_start;
      piece.end = personal.piece_end;
    }
    for (GermlineSite& site : personal.sites) {
      bool seen = std::any_of(sites.begin(), sites.end(), [&site](const GermlineSite& s) {
        return s.chrom == site.chrom && s.pos == site.pos && s.ref == site.ref && s.alt == site.alt;
      });
      if (!seen) sites.push_back(std::move(site));  // near breakends both may list it
    }
    return piece.reverse_complemented ? reverse_complement(personal.piece) : personal.piece;
  };
  std::string bases1 = personalise_side(junction.bp1, ref1, piece1);
  std::string bases2 = personalise_side(junction.bp2, ref2, piece2);
  std::string first = first_is_bp1 ? bases1 : bases2;
  alt.sequence = first + inserted + (first_is_bp1 ? bases2 : bases1);
  alt.junction_offset = static_cast<std::int64_t>(first.size());
  count_germline(sites, stats_.germline);
}

void SvWindowWriter::write_record(const std::string& name, const std::string& sequence) {
  out_.write_fasta_record(name, sequence);
  ++stats_.sv.window_lengths[static_cast<std::int64_t>(sequence.size())];
}

// build_junction_window asks for full pieces and expects fewer bases where a contig ends.
std::string SvWindowWriter::fetch_clipped(const std::string& chrom, std::int64_t start, std::int64_t end) {
  int contig = reference_.find(chrom);
  end = std::min(end, reference_.length(contig));
  return start > end ? std::string() : reference_.fetch(contig, start, end);
}

void record_counts(const SvReadCounts& counts, SvStats& sv) {
  sv.records = counts.records;
  // .at(): every reason sv_reader counts is listed in sv_skip_reasons, so none is dropped from stats.json.
  for (const auto& [reason, count] : counts.skipped) sv.skipped.at(reason) += count;
  sv.ref_base_mismatches = counts.ref_base_mismatches;
  sv.unpaired_breakends = counts.unpaired_breakends;
  sv.imprecise = counts.imprecise;
  sv.max_waiting_mates = counts.max_waiting_mates;
}

void log_summary(const Sample& sample, const SvStats& sv) {
  std::string classes;
  for (const auto& [name, count] : sv.junctions_by_class)
    if (count > 0) classes += fmt::format("{}{} {}", classes.empty() ? "" : ", ", count, name);
  log(Level::info, "sample {}: {} SV junction(s){} from {} record(s) of {}", sample.id, sv.junctions(),
      classes.empty() ? "" : " (" + classes + ")", sv.records, sample.sv_vcf);
  for (const auto& [reason, count] : sv.skipped)
    if (count > 0) log(Level::info, "sample {}: {} SV record(s) skipped: {}", sample.id, count, reason);
  if (sv.unpaired_breakends > 0)
    log(Level::info, "sample {}: {} breakend(s) without their mate record, joined from their own record",
        sample.id, sv.unpaired_breakends);
}

}  // namespace

void write_sv_windows(const Sample& sample, Reference& reference, const ContigResolver& contigs,
                      const WindowParams& params, SampleEvidence& evidence, WindowFiles& out, SampleStats& stats,
                      Progress* progress) {
  out.write_tsv(tsv_header(contract::sv_window_tsv_columns, sample.labels));
  if (sample.sv_vcf.empty()) return;
  SvWindowWriter writer(sample, reference, params, evidence, out, stats, progress);
  SvReadCounts counts;
  read_sv_calls(sample.sv_vcf, reference, contigs, SvReadOptions{params.keep_filtered, params.max_indel_length}, counts,
                [&writer](SvCall&& call) { writer.write(std::move(call)); });
  record_counts(counts, stats.sv);
  log_summary(sample, stats.sv);
}

}  // namespace oncolm::genome
