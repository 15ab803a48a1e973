#include "genome/io/vcf_reader.h"

#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <vector>

#include "core/error.h"

namespace oncolm::genome {
namespace {

// The start of a line for messages; lines can be megabytes long (huge INFO fields).
std::string excerpt(const char* text, std::size_t size) {
  constexpr std::size_t limit = 120;
  std::string out(text, std::min(size, limit));
  std::replace(out.begin(), out.end(), '\t', ' ');
  return size > limit ? out + "..." : out;
}

}  // namespace

VcfReader::VcfReader(std::string path, bool check_order)
    : path_(std::move(path)), record_(bcf_init()), check_order_(check_order) {
  if (::access(path_.c_str(), R_OK) != 0) throw input_error(path_, 0, "cannot read VCF (missing or unreadable)");
  if (bgzf_eof_state(path_) == 0) throw input_error(path_, 0, "truncated BGZF file (no end-of-file marker)");
  file_.reset(hts_open(path_.c_str(), "r"));
  if (!file_) throw input_error(path_, 0, "cannot open VCF");
  if (hts_get_format(file_.get())->format == bcf)
    throw input_error(path_, 0, "BCF input is not supported: convert with `bcftools view -Oz`");
  read_header();
}

void VcfReader::read_header() {
  std::string text;
  while (true) {
    int got = hts_getline(file_.get(), '\n', text_.get());
    if (got < -1) throw input_error(path_, line_ + 1, "read error in the header (truncated or corrupt file?)");
    if (got == -1) {
      if (line_ == 0) throw input_error(path_, 0, "empty file: a VCF needs at least its header");
      throw input_error(path_, line_, "the header has no #CHROM line");
    }
    ++line_;
    const char* line = text_.c_str();
    if (line_ == 1 && std::string(line).rfind("##fileformat=VCFv4", 0) != 0)
      throw input_error(path_, 1, "not a VCF 4.x file: first line is '{}'", excerpt(line, text_.size()));
    if (line[0] != '#')
      throw input_error(path_, line_, "the header ended without a #CHROM line: '{}'", excerpt(line, text_.size()));
    text.append(line, text_.size()).push_back('\n');
    if (std::string(line).rfind("#CHROM", 0) == 0) break;
  }
  header_.reset(bcf_hdr_init("r"));
  if (!header_ || bcf_hdr_parse(header_.get(), text.data()) != 0)
    throw input_error(path_, 0, "cannot parse the VCF header");
}

bool VcfReader::next() {
  while (true) {
    int got = hts_getline(file_.get(), '\n', text_.get());
    if (got == -1) return false;
    if (got < -1) throw input_error(path_, line_ + 1, "read error (truncated or corrupt file?)");
    ++line_;
    if (text_.size() == 0) continue;  // a stray empty line carries no record
    const char* line = text_.c_str();
    if (std::count(line, line + text_.size(), '\t') < 7)
      throw input_error(path_, line_, "malformed VCF line (fewer than 8 tab-separated columns): '{}'",
                        excerpt(line, text_.size()));
    std::string copy = excerpt(line, text_.size());  // vcf_parse writes into the buffer
    // htslib reads "12x4" as POS 12; a POS that is not a plain number is a broken line.
    const char* pos_begin = std::strchr(line, '\t') + 1;
    const char* pos_end = std::strchr(pos_begin, '\t');
    if (pos_begin == pos_end || !std::all_of(pos_begin, pos_end, [](char c) { return c >= '0' && c <= '9'; }))
      throw input_error(path_, line_, "malformed VCF line (POS is not a number): '{}'", copy);
    if (vcf_parse(text_.get(), header_.get(), record_.get()) != 0 ||
        bcf_unpack(record_.get(), BCF_UN_FLT) != 0)
      throw input_error(path_, line_, "malformed VCF line: '{}'", copy);
    if (record_->pos < 0) throw input_error(path_, line_, "malformed VCF line (POS < 1): '{}'", copy);
    if (check_order_) check_order();
    return true;
  }
}

void VcfReader::check_order() {
  std::string chrom = this->chrom();
  if (chrom == last_chrom_) {
    if (pos() < last_pos_)
      throw input_error(path_, line_, "VCF is not sorted: {}:{} comes after {}:{} (sort it with `bcftools sort`)",
                        chrom, pos(), chrom, last_pos_);
  } else {
    if (!last_chrom_.empty()) finished_chroms_.insert(last_chrom_);
    if (finished_chroms_.count(chrom))
      throw input_error(path_, line_,
                        "VCF is not sorted: contig {} appears again after other contigs (sort it with `bcftools sort`)",
                        chrom);
    last_chrom_ = chrom;
  }
  last_pos_ = pos();
}

std::string VcfReader::chrom() const { return bcf_seqname_safe(header_.get(), record_.get()); }

std::string VcfReader::filter() const {
  if (record_->d.n_flt == 0) return ".";
  std::string out;
  for (int i = 0; i < record_->d.n_flt; ++i) {
    if (i) out += ';';
    out += bcf_hdr_int2id(header_.get(), BCF_DT_ID, record_->d.flt[i]);
  }
  return out;
}

bool VcfReader::filter_passes() const {
  return record_->d.n_flt == 0 || (record_->d.n_flt == 1 && filter() == "PASS");
}

std::int64_t VcfReader::declared_length() const {
  return static_cast<std::int64_t>(header_->id[BCF_DT_CTG][record_->rid].val->info[0]);
}

std::vector<std::pair<std::string, std::int64_t>> VcfReader::declared_contigs() const {
  std::vector<std::pair<std::string, std::int64_t>> contigs;
  for (int i = 0; i < header_->n[BCF_DT_CTG]; ++i)
    contigs.emplace_back(header_->id[BCF_DT_CTG][i].key,
                         static_cast<std::int64_t>(header_->id[BCF_DT_CTG][i].val->info[0]));
  return contigs;
}

}  // namespace oncolm::genome
