#!/bin/bash
# Regenerate the oncolm example cohort (examples/) from real public data shipped in Debian 12 packages.
#
# usage: examples/make_examples.sh DATA_DIR [OUT_DIR]        (OUT_DIR defaults to this script's folder)
#        examples/make_examples.sh --fetch WORK_DIR [OUT_DIR]  (builds DATA_DIR = WORK_DIR/data first)
#
# Inputs (all from Debian bookworm packages; licences in examples/README.md), named as in the
# project's shared data folder:
#   GRCh37.chr20.fa.gz            complete GRCh37 chr20, 63,025,520 bp     vt-examples (MIT)
#   GRCh37.chrX_1-69999930.fa.gz  GRCh37 chrX 1-69,999,930                 smalt-examples (GPL-3)
#   TCGA-CHOL.bcgsc.hg19.somatic.maf  TCGA cholangiocarcinoma somatic MAF  r-bioc-tcgabiolinks (GPL>=3)
#   {colon,intestine,liver}2-sample.vcf, blood-AC.vcf  normal-tissue somatic mutations
#                                                                           r-bioc-mutationalpatterns (MIT)
# --fetch rebuilds exactly these files with `apt-get download` + `dpkg -x` (no install, no root needed);
# the MAF sits in TCGAbiolinks' lazy-load R database, so --fetch also needs Rscript (r-base-core).
#
# Needs: python3 (standard library only), samtools, bcftools, bgzip + tabix (package tabix).
# Output is deterministic for the same tool versions (samtools/bcftools/htslib 1.16 on Debian 12).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)

fetch() {  # WORK_DIR -> WORK_DIR/data with the input files named as above
  local w=$1; mkdir -p "$w/debs" "$w/x" "$w/data"; w=$(cd "$w" && pwd)
  (cd "$w/debs" && apt-get download vt-examples smalt-examples r-bioc-tcgabiolinks r-bioc-mutationalpatterns)
  for d in "$w"/debs/*.deb; do n=$(basename "$d" .deb | cut -d_ -f1); mkdir -p "$w/x/$n"; dpkg -x "$d" "$w/x/$n"; done
  local D=$w/data
  cp "$w/x/vt-examples/usr/share/doc/vt/examples/ref/20.fa.gz" "$D/GRCh37.chr20.fa.gz"   # bgzip already
  zcat "$w/x/smalt-examples/usr/share/doc/smalt/test/data/hs37chrXtrunc.fa.gz" | sed '1s/^>.*/>X/' \
    | bgzip -c > "$D/GRCh37.chrX_1-69999930.fa.gz"
  samtools faidx "$D/GRCh37.chr20.fa.gz"; samtools faidx "$D/GRCh37.chrX_1-69999930.fa.gz"
  cp "$w"/x/r-bioc-mutationalpatterns/usr/lib/R/site-library/MutationalPatterns/extdata/{colon2,intestine2,liver2}-sample.vcf \
     "$w"/x/r-bioc-mutationalpatterns/usr/lib/R/site-library/MutationalPatterns/extdata/blood-AC.vcf "$D/"
  Rscript -e 'a <- commandArgs(TRUE); e <- new.env()
    lazyLoad(file.path(a[1], "x/r-bioc-tcgabiolinks/usr/lib/R/site-library/TCGAbiolinks/data/Rdata"), envir = e)
    m <- as.data.frame(unclass(get("bcgsc.ca_CHOL.IlluminaHiSeq_DNASeq.1.somatic.maf", e)), stringsAsFactors = FALSE)
    write.table(m, file.path(a[1], "data/TCGA-CHOL.bcgsc.hg19.somatic.maf"), sep = "\t", quote = FALSE, row.names = FALSE)' "$w"
  echo "$D"
}

if [ "${1:-}" = "--fetch" ]; then
  DATA=$(fetch "${2:?usage: $0 --fetch WORK_DIR [OUT_DIR]}" | tail -1); OUT=${3:-$here}
else
  DATA=${1:?usage: $0 DATA_DIR [OUT_DIR]   or   $0 --fetch WORK_DIR [OUT_DIR]}; OUT=${2:-$here}
fi
DATA=$(cd "$DATA" && pwd); mkdir -p "$OUT"; OUT=$(cd "$OUT" && pwd)
for t in samtools bcftools bgzip tabix python3; do command -v $t >/dev/null || { echo "missing $t" >&2; exit 1; }; done

rm -rf "$OUT/vcf" "$OUT/reference" "$OUT/cohort.tsv"
python3 "$here/make_examples.py" "$DATA" "$OUT"

# checks: every REF allele matches the (masked) example reference, and every VCF parses
R=$OUT/reference/GRCh37.20_X.masked.fa.gz
for v in "$OUT"/vcf/*.vcf "$OUT"/vcf/*.vcf.gz; do
  bcftools norm -f "$R" --check-ref e -m -any "$v" -Ou -o /dev/null 2>/dev/null \
    || { echo "REF check failed: $v" >&2; exit 1; }
done
echo "examples written to $OUT:" >&2
(cd "$OUT" && du -ch cohort.tsv reference vcf | tail -1) >&2
