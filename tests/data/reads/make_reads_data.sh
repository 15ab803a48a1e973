#!/usr/bin/env bash
# Regenerates the read-evidence test data from the files of Debian packages (see the README here):
#   GRCh37.chr1_1-239940.fa      (python-biopython-doc)  GRCh37 chr1 1-239,940
#   CHM1.chr1_10k-100k.hs37d5.bam (vcfanno-examples)     real CHM1 Illumina reads, hs37d5
# The BAM keeps reads of chr1:10,001-40,000 and its header is cut to the one contig the test
# reference holds (@SQ 1 with the reference's length), as an aligner run against it would write.
set -euo pipefail
data=${1:?usage: make_reads_data.sh DIR_WITH_SOURCE_FILES}
out=$(cd "$(dirname "$0")" && pwd)
bgzip -c "$data/GRCh37.chr1_1-239940.fa" > "$out/chr1_1-239940.fa.gz"
samtools faidx "$out/chr1_1-239940.fa.gz"
length=$(cut -f2 "$out/chr1_1-239940.fa.gz.fai")
# Mates elsewhere (another contig, or past 40 kb) are dropped with their pairs' flags left as they
# are: the reads themselves are real and unchanged.
samtools view -h "$data/CHM1.chr1_10k-100k.hs37d5.bam" \
  | awk -v len="$length" 'BEGIN{OFS="\t"}
      /^@SQ/ { if ($2 == "SN:1") print "@SQ", "SN:1", "LN:" len; next }
      /^@/ { print; next }
      $3 == "1" && $4 >= 10001 && $4 <= 40000 && ($7 == "=" || $7 == "*") { print }' \
  | samtools view -b -o "$out/CHM1.chr1_10k-40k.bam" -
samtools index "$out/CHM1.chr1_10k-40k.bam"
