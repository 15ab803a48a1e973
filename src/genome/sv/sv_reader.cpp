#include "genome/sv/sv_reader.h"

#include <algorithm>

#include <htslib/kstring.h>
#include <htslib/vcf.h>

#include <cctype>
#include <cstdlib>
#include <fstream>
#include <stdexcept>
#include <vector>

#include "core/error.h"
#include "core/log.h"
#include "core/text.h"
#include "genome/io/vcf_reader.h"

namespace oncolm::genome {

const std::vector<std::string> sv_skip_reasons = {
    "sv_filtered",                      // FILTER other than PASS/. (kept with --keep-filtered)
    "sv_unknown_contig",                // the record's contig is not in the reference
    "sv_mate_contig_not_in_reference",  // BND mate on a contig outside the reference (decoy, other assembly)
    "sv_no_alt",                        // ALT '.' or '*'
    "sv_single_breakend",               // single breakend (ALT 'N.' / '.N'): no partner to join
    "sv_sequence_allele",               // sequence-resolved ALT below --max-indel-length: a small variant
    "sv_unsupported_symbolic",          // symbolic ALT other than <DEL>, <DUP>, <INV>, <INS>
    "sv_ins_without_sequence",          // <INS> without SVINSSEQ: no ALT window can be built
    "sv_position_outside_contig",       // a breakend (POS, END, mate or BEDPE start) beyond its contig
    "sv_self_join",                     // a BND whose mate is its own position: no junction to build
};

namespace {

constexpr std::uint64_t warnings_shown = 10;  // then further REF mismatches go to debug level

bool ends_with(const std::string& text, const std::string& suffix) {
  return text.size() >= suffix.size() && text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// INFO accessors over one record; absent fields give empty/0.
class InfoFields {
 public:
  InfoFields(const bcf_hdr_t* header, bcf1_t* record) : header_(header), record_(record) {}
  ~InfoFields() { free(buffer_); }
  InfoFields(const InfoFields&) = delete;
  InfoFields& operator=(const InfoFields&) = delete;

  std::string text(const char* key) {
    if (bcf_get_info_string(header_, record_, key, &buffer_, &capacity_) < 0) return {};
    return std::string(static_cast<char*>(buffer_));
  }
  std::vector<std::int64_t> integers(const char* key) {
    int32_t* values = nullptr;
    int capacity = 0;
    int found = bcf_get_info_int32(header_, record_, key, &values, &capacity);
    std::vector<std::int64_t> result;
    // htslib stores a value it could not parse (END=abc) as missing: no number, not INT32_MIN.
    for (int i = 0; i < std::max(found, 0); ++i)
      if (values[i] != bcf_int32_missing && values[i] != bcf_int32_vector_end) result.push_back(values[i]);
    free(values);
    return result;
  }
  bool present(const char* key) { return bcf_get_info(header_, record_, key) != nullptr; }
  bool flag(const char* key) { return bcf_get_info_flag(header_, record_, key, nullptr, nullptr) == 1; }
  // A field as written, whatever its type ("-10,10" for CIPOS, "3" for HOMLEN).
  std::string as_written(const char* key) {
    if (bcf_hdr_id2int(header_, BCF_DT_ID, key) < 0) return {};
    int type = bcf_hdr_id2type(header_, BCF_HL_INFO, bcf_hdr_id2int(header_, BCF_DT_ID, key));
    if (type == BCF_HT_STR) return text(key);
    if (type != BCF_HT_INT) return {};
    std::string joined;
    for (std::int64_t value : integers(key)) joined += (joined.empty() ? "" : ",") + std::to_string(value);
    return joined;
  }

 private:
  const bcf_hdr_t* header_;
  bcf1_t* record_;
  void* buffer_ = nullptr;
  int capacity_ = 0;
};

class SvVcfStream {
 public:
  SvVcfStream(const std::string& path, Reference& reference, const ContigResolver& contigs,
              const SvReadOptions& options, SvReadCounts& counts, const std::function<void(SvCall&&)>& emit)
      : reader_(path, /*check_order=*/false),
        reference_(reference),
        contigs_(contigs),
        options_(options),
        counts_(counts),
        emit_(emit),
        pairer_([&reference](const std::string& chrom) { return reference.find(chrom); }) {
    for (const auto& [name, length] : reader_.declared_contigs()) declared_[name] = length;
  }

  void run() {
    while (reader_.next()) read_record();
    for (SvJunction& junction : pairer_.flush_unpaired()) {
      ++counts_.unpaired_breakends;
      deliver(std::move(junction));
    }
  }

 private:
  void skip(const std::string& reason) { ++counts_.skipped[reason]; }

  // The reference name of a VCF contig, or "" (the caller counts the skip).
  std::string reference_name(const std::string& vcf_name) {
    auto declared = declared_.find(vcf_name);
    ContigMatch match = contigs_.resolve(vcf_name, declared == declared_.end() ? 0 : declared->second,
                                         reader_.path());
    return match.contig < 0 ? std::string() : reference_.contigs()[match.contig].name;
  }

  // Records are counted per ALT allele, as the small-variant VCFs are, so that every one read is a
  // junction (or a mate of one), or skipped for one reason.
  void read_record() {
    bcf1_t* record = reader_.record();
    bcf_unpack(record, BCF_UN_INFO);
    counts_.records += static_cast<std::uint64_t>(std::max(1, record->n_allele - 1));
    const int alleles = std::max(1, record->n_allele - 1);
    auto skip_all = [&](const std::string& reason) { counts_.skipped[reason] += static_cast<std::uint64_t>(alleles); };
    if (!options_.keep_filtered && !reader_.filter_passes()) return skip_all("sv_filtered");
    std::string chrom = reference_name(reader_.chrom());
    if (chrom.empty()) return skip_all("sv_unknown_contig");
    if (record->n_allele < 2) return skip_all("sv_no_alt");  // ALT '.': htslib reports no alternate allele
    if (!inside(chrom, reader_.pos(), "POS")) return skip_all("sv_position_outside_contig");
    check_ref_base(chrom, record->d.allele[0]);
    for (int allele = 1; allele < record->n_allele; ++allele)
      read_allele(chrom, record->d.allele[0], record->d.allele[allele]);
  }

  // Whether `pos` lies on `chrom`; warns naming the record when it does not.
  bool inside(const std::string& chrom, std::int64_t pos, const char* what) {
    const std::int64_t length = reference_.length(reference_.find(chrom));
    if (pos >= 1 && pos <= length) return true;
    log(Level::warning, "{}:{}: {} {} is outside {} (length {}): record skipped (sv_position_outside_contig)",
        reader_.path(), reader_.line(), what, pos, chrom, length);
    return false;
  }

  void check_ref_base(const std::string& chrom, const std::string& ref) {
    std::string base = reference_.fetch(reference_.find(chrom), reader_.pos(), reader_.pos());
    if (!ref.empty() && std::toupper(static_cast<unsigned char>(ref[0])) == base[0]) return;
    ++counts_.ref_base_mismatches;
    Level level = counts_.ref_base_mismatches <= warnings_shown ? Level::warning : Level::debug;
    log(level, "{}:{}: REF {} disagrees with the reference base {} at {}:{}; the reference base is used",
        reader_.path(), reader_.line(), ref, base, chrom, reader_.pos());
  }

  void read_allele(const std::string& chrom, const std::string& ref, const std::string& alt) {
    InfoFields info(reader_.header(), reader_.record());
    if (alt.find_first_of("[]") != std::string::npos) return read_breakend(chrom, ref, alt, info);
    if (!alt.empty() && alt[0] == '<') return read_symbolic(chrom, alt, info);
    if (alt == "." || alt == "*") return skip("sv_no_alt");
    if (alt.front() == '.' || alt.back() == '.') return skip("sv_single_breakend");
    read_sequence_allele(chrom, ref, alt, info);
  }

  // A sequence-resolved allele is an SV when the small-variant path would set it aside as one
  // (|len(REF) - len(ALT)| >= --max-indel-length): Manta writes its precise deletions and insertions
  // of ~100-1,000 bp that way. Shorter ones belong to the small-variant VCFs.
  void read_sequence_allele(const std::string& chrom, const std::string& ref, const std::string& alt,
                            InfoFields& info) {
    std::int64_t change = std::llabs(static_cast<std::int64_t>(ref.size()) - static_cast<std::int64_t>(alt.size()));
    if (options_.min_sequence_sv_length <= 0 || change < options_.min_sequence_sv_length)
      return skip("sv_sequence_allele");
    SvJunction junction;
    try {
      junction = junction_from_sequence_allele(record_id(), chrom, reader_.pos(), ref, alt);
    } catch (const std::invalid_argument& error) {
      throw input_error(reader_.path(), reader_.line(), "{}", error.what());
    }
    if (!inside(chrom, junction.bp2.pos, "junction breakend")) return skip("sv_position_outside_contig");
    fill_junction_fields(info, junction);
    deliver(std::move(junction));
  }

  // Manta writes each junction of an inversion as its own <INV> record flagged INV3 (left/left) or
  // INV5 (right/right), Delly with CT=3to3 or CT=5to5 (the 3' or the 5' ends joined); without
  // either the record stands for both junctions.
  static InversionJunctions inversion_junctions(InfoFields& info) {
    const std::string connection = info.text("CT");
    if ((info.flag("INV3") && !info.flag("INV5")) || connection == "3to3") return InversionJunctions::left_left;
    if ((info.flag("INV5") && !info.flag("INV3")) || connection == "5to5") return InversionJunctions::right_right;
    return InversionJunctions::both;
  }

  void read_breakend(const std::string& chrom, const std::string& ref, const std::string& alt, InfoFields& info) {
    BndPairer::Pending pending;
    try {
      pending.alt = parse_bnd_alt(alt, ref);
    } catch (const std::invalid_argument& error) {
      throw input_error(reader_.path(), reader_.line(), "{}", error.what());
    }
    pending.alt.mate.chrom = reference_name(pending.alt.mate.chrom);
    if (pending.alt.mate.chrom.empty()) return skip("sv_mate_contig_not_in_reference");
    if (!inside(pending.alt.mate.chrom, pending.alt.mate.pos, "mate position"))
      return skip("sv_position_outside_contig");
    if (pending.alt.mate.chrom == chrom && pending.alt.mate.pos == reader_.pos()) {
      log(Level::warning, "{}:{}: breakend {} names its own position {}:{} as its mate: record skipped (sv_self_join)",
          reader_.path(), reader_.line(), record_id(), chrom, reader_.pos());
      return skip("sv_self_join");
    }
    pending.id = record_id();
    pending.side = BreakendSide{chrom, reader_.pos(), pending.alt.this_direction};
    pending.interval = confidence_interval(info, "CIPOS");
    pending.mate_interval = confidence_interval(info, "CIEND");  // Delly's BND: around its mate (POS2)
    pending.homlen = info.as_written("HOMLEN");
    pending.homseq = info.as_written("HOMSEQ");
    pending.imprecise = info.flag("IMPRECISE");
    std::optional<SvJunction> junction = pairer_.add(std::move(pending), info.text("MATEID"));
    counts_.max_waiting_mates = std::max(counts_.max_waiting_mates, pairer_.waiting());
    if (junction) deliver(std::move(*junction));
  }

  void read_symbolic(const std::string& chrom, const std::string& alt, InfoFields& info) {
    std::vector<std::int64_t> end = info.integers("END");
    std::vector<std::int64_t> length = info.integers("SVLEN");
    for (const char* key : {"END", "SVLEN"})
      if (info.present(key) && info.integers(key).empty())
        throw input_error(reader_.path(), reader_.line(), "INFO {} of {} is not an integer", key, alt);
    std::int64_t pos = reader_.pos();
    // SVLEN of an <INS> is the inserted length, not a reference span: without END it ends at POS.
    const bool insertion = alt.rfind("<INS", 0) == 0;
    std::int64_t end_pos = !end.empty()                      ? end[0]
                           : !length.empty() && !insertion ? pos + std::llabs(length[0])
                                                            : pos;
    std::string inserted = info.text("SVINSSEQ");
    if (!inside(chrom, end_pos, "END")) return skip("sv_position_outside_contig");
    std::vector<SvJunction> junctions;
    try {
      junctions = junctions_from_symbolic(record_id(), chrom, pos, end_pos, alt, inserted);
    } catch (const std::invalid_argument& error) {
      std::string message = error.what();
      if (message.find("not supported") != std::string::npos) return skip("sv_unsupported_symbolic");
      throw input_error(reader_.path(), reader_.line(), "{}", message);
    }
    if (junctions.empty()) return skip("sv_ins_without_sequence");
    if (alt.rfind("<INV", 0) == 0) keep_called_inversion_junctions(junctions, inversion_junctions(info));
    // A <DEL> or <INV> whose END is the contig's last base (or an <INS> after it) joins a base that
    // does not exist: its REF2 window would be empty. An <INV>'s other junction may still exist.
    auto off_contig = [&](const SvJunction& junction) {
      return !inside(junction.bp1.chrom, junction.bp1.pos, "junction breakend") ||
             !inside(junction.bp2.chrom, junction.bp2.pos, "junction breakend");
    };
    junctions.erase(std::remove_if(junctions.begin(), junctions.end(), off_contig), junctions.end());
    if (junctions.empty()) return skip("sv_position_outside_contig");
    for (SvJunction& junction : junctions) {
      fill_junction_fields(info, junction);
      deliver(std::move(junction));
    }
  }

  // The caller's fields of a symbolic or sequence-resolved record: CIPOS is around POS (breakend 1),
  // CIEND around END (breakend 2); an insertion's two breakends are both at POS.
  void fill_junction_fields(InfoFields& info, SvJunction& junction) {
    junction.bp1_interval = confidence_interval(info, "CIPOS");
    junction.bp2_interval = confidence_interval(info, "CIEND");
    if (junction.sv_class == SvClass::ins && !junction.bp2_interval.stated)
      junction.bp2_interval = junction.bp1_interval;
    junction.homlen = info.as_written("HOMLEN");
    junction.homseq = info.as_written("HOMSEQ");
    junction.imprecise = info.flag("IMPRECISE");
  }

  // CIPOS or CIEND as an interval. One that is absent or unreadable (htslib reads "x,y" as missing)
  // states nothing; one that is not two numbers low <= high is warned about and ignored.
  ConfidenceInterval confidence_interval(InfoFields& info, const char* key) {
    ConfidenceInterval interval;
    std::vector<std::int64_t> values = info.integers(key);
    if (values.empty()) return interval;
    if (values.size() != 2 || values[0] > values[1]) {
      log(Level::warning, "{}:{}: INFO {}={} is not an interval low,high with low <= high: ignored", reader_.path(),
          reader_.line(), key, info.as_written(key));
      return interval;
    }
    interval.low = values[0];
    interval.high = values[1];
    interval.stated = true;
    return interval;
  }

  std::string record_id() {
    std::string id = reader_.record()->d.id;
    return id == "." ? fmt::format("{}:{}", reader_.path(), reader_.line()) : id;
  }

  void deliver(SvJunction junction) {
    ++counts_.junctions;
    counts_.imprecise += junction.imprecise;
    emit_(SvCall{std::move(junction), reader_.path(), reader_.line()});
  }

  VcfReader reader_;
  Reference& reference_;
  const ContigResolver& contigs_;
  const SvReadOptions& options_;
  SvReadCounts& counts_;
  const std::function<void(SvCall&&)>& emit_;
  BndPairer pairer_;
  std::map<std::string, std::int64_t> declared_;
};


std::int64_t parse_coordinate(const std::string& text, const std::string& path, long line, const char* column) {
  try {
    std::size_t used = 0;
    std::int64_t value = std::stoll(text, &used);
    if (used == text.size() && value >= 0) return value;
  } catch (const std::exception&) {
  }
  throw input_error(path, line, "BEDPE column {} is '{}', not a non-negative integer", column, text);
}

// A BEDPE breakend interval [start, end) as offsets from its first base, start + 1.
ConfidenceInterval bedpe_interval(std::int64_t start, std::int64_t end) {
  ConfidenceInterval interval;
  interval.high = std::max<std::int64_t>(0, end - start - 1);
  interval.stated = true;
  return interval;
}

void read_bedpe(const std::string& path, Reference& reference, const ContigResolver& contigs,
                SvReadCounts& counts, const std::function<void(SvCall&&)>& emit) {
  if (ends_with(path, ".gz"))
    throw input_error(path, 0, "compressed BEDPE: decompress it (zcat) or give the consensus VCF");
  std::ifstream in(path);
  if (!in) throw input_error(path, 0, "cannot read BEDPE (missing or unreadable)");
  auto rank = [&reference](const std::string& chrom) { return reference.find(chrom); };
  auto name = [&](const std::string& bedpe_name) {
    ContigMatch match = contigs.resolve(bedpe_name, 0, path);
    return match.contig < 0 ? std::string() : reference.contigs()[match.contig].name;
  };
  std::string text;
  long line = 0;
  std::uint64_t wide_intervals = 0;
  while (std::getline(in, text)) {
    ++line;
    if (text.empty() || text[0] == '#' || text.rfind("chrom1", 0) == 0) continue;
    std::vector<std::string> fields = split_tabs(text);
    if (fields.size() < 10)
      throw input_error(path, line, "BEDPE row has {} columns; PCAWG BEDPE has at least 10 "
                        "(chrom1 start1 end1 chrom2 start2 end2 sv_id pe_support strand1 strand2)", fields.size());
    ++counts.records;
    std::string chrom1 = name(fields[0]), chrom2 = name(fields[3]);
    if (chrom1.empty() || chrom2.empty()) {
      ++counts.skipped["sv_unknown_contig"];
      continue;
    }
    const std::int64_t start1 = parse_coordinate(fields[1], path, line, "start1"),
                       start2 = parse_coordinate(fields[4], path, line, "start2");
    // BEDPE starts are 0-based: the breakend base is start + 1.
    if (start1 + 1 > reference.length(reference.find(chrom1)) || start2 + 1 > reference.length(reference.find(chrom2))) {
      log(Level::warning, "{}:{}: a breakend is outside its contig: row skipped (sv_position_outside_contig)", path,
          line);
      ++counts.skipped["sv_position_outside_contig"];
      continue;
    }
    SvJunction junction;
    try {
      junction = junction_from_bedpe(fields[6], chrom1, start1, fields[8], chrom2, start2, fields[9], rank);
    } catch (const std::invalid_argument& error) {
      throw input_error(path, line, "{}", error.what());
    }
    // PCAWG writes each breakend as a 1-base interval (end = start + 1). A wider one (LUMPY, svtools)
    // is a confidence interval: the breakend is somewhere in it, and the junction is imprecise.
    const std::int64_t end1 = parse_coordinate(fields[2], path, line, "end1"),
                       end2 = parse_coordinate(fields[5], path, line, "end2");
    if (end1 != start1 + 1 || end2 != start2 + 1) {
      junction.imprecise = true;
      // The intervals, around the breakends placed at their starts (oriented as the junction is).
      const bool swapped = junction.bp1.chrom != chrom1 || junction.bp1.pos != start1 + 1;
      (swapped ? junction.bp2_interval : junction.bp1_interval) = bedpe_interval(start1, end1);
      (swapped ? junction.bp1_interval : junction.bp2_interval) = bedpe_interval(start2, end2);
      if (++wide_intervals <= warnings_shown)
        log(Level::warning, "{}:{}: breakend intervals {}-{} and {}-{} are wider than one base: the junction is "
            "placed at their starts and flagged imprecise", path, line, start1, end1, start2, end2);
    }
    ++counts.junctions;
    counts.imprecise += junction.imprecise;
    emit(SvCall{std::move(junction), path, line});
  }
}

}  // namespace

bool is_bedpe_path(const std::string& path) { return ends_with(path, ".bedpe") || ends_with(path, ".bedpe.gz"); }

void read_sv_calls(const std::string& path, Reference& reference, const ContigResolver& contigs,
                   const SvReadOptions& options, SvReadCounts& counts,
                   const std::function<void(SvCall&&)>& emit) {
  if (is_bedpe_path(path)) return read_bedpe(path, reference, contigs, counts, emit);
  SvVcfStream(path, reference, contigs, options, counts, emit).run();
}

}  // namespace oncolm::genome
