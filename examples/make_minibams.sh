#!/bin/bash
# Simulated tumour/normal miniBAMs for the oncolm example cohort (examples/bam/), then the masked example
# reference again so that it also keeps the bases under every read.
#
# usage: examples/make_minibams.sh DATA_DIR [WORK_DIR] [OUT_DIR]
#   DATA_DIR  the shared data folder (see make_examples.sh; also needs 1kg_chr20_1-4Mb.reference.vcf.gz
#             from Debian shapeit4-example and truthset_somaticSVs_COLO829.vcf + colo829_somatic_gridss.vcf.gz
#             from r-bioc-structuralvariantannotation)
#   WORK_DIR  scratch folder outside the repository (default /tmp/oncolm_sim): the unmasked reference and its
#             bwa index (~3-5 min to build once, ~190 MB), simulated reads, full alignments
#   OUT_DIR   examples/ (default: this script's folder), after make_examples.sh has written cohort.tsv and vcf/
#
# Order: make_examples.sh (VCFs, sheet, reference) -> make_minibams.sh (this; make_examples.sh calls it when
# bwa and art_illumina are installed) -> make_examples.py --mask-only (called here).
# Needs, besides make_examples.sh's tools: bwa and art_illumina, only to REGENERATE the BAMs (not for tests):
#   apt-get install -y bwa art-nextgen-simulation-tools
# Deterministic: fixed ART seeds per read source, bwa mem -K (thread-independent batches), path-free headers.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
DATA=$(cd "${1:?usage: $0 DATA_DIR [WORK_DIR] [OUT_DIR]}" && pwd)
WORK=${2:-/tmp/oncolm_sim}; OUT=${3:-$here}
mkdir -p "$WORK"; WORK=$(cd "$WORK" && pwd); OUT=$(cd "$OUT" && pwd)
for t in bwa art_illumina samtools bcftools bgzip tabix python3; do
  command -v $t >/dev/null || { echo "missing $t (apt-get install -y bwa art-nextgen-simulation-tools)" >&2; exit 1; }
done

# unmasked GRCh37 20 + X part, bwa index (once)
if [ ! -f "$WORK/ref_20_X.fa.bwt" ]; then
  (zcat "$DATA/GRCh37.chr20.fa.gz"; zcat "$DATA/GRCh37.chrX_1-69999930.fa.gz") > "$WORK/ref_20_X.fa"
  samtools faidx "$WORK/ref_20_X.fa"
  echo "bwa index (a few minutes) ..." >&2
  bwa index "$WORK/ref_20_X.fa" 2> "$WORK/bwa_index.log"
fi

rm -rf "$OUT/bam"
python3 "$here/make_minibams.py" "$DATA" "$WORK" "$OUT"
python3 "$here/make_examples.py" --mask-only "$DATA" "$OUT"

for b in "$OUT"/bam/*.bam; do samtools quickcheck "$b" || { echo "bad BAM: $b" >&2; exit 1; }; done
(cd "$OUT" && du -ch bam | tail -1) >&2
