// The layout of the window files, apart from the writer (window_files.h) so that parameters and
// the CLI can name it without htslib's headers.
#pragma once

namespace oncolm::genome {

// How window FASTAs are laid out and compressed. One line per record (line_width 0) is the default:
// fixed-column line breaks shift against each other between a REF window and its ALT window after
// an indel, and between overlapping windows, which hides the long repeats from the compressor
// (bench/README.md: half the size, twice the speed). samtools faidx indexes either layout.
struct OutputFormat {
  int line_width = 0;         // bases per FASTA line; 0 = the whole record on one line
  int compression_level = 6;  // BGZF (deflate) level 0-9; 6 is bgzip's default
};

}  // namespace oncolm::genome
