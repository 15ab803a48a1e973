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
#   {colon,intestine,liver}2-sample.vcf, colon1-sample.vcf, blood-AC.vcf  normal-tissue somatic mutations
#                                                                           r-bioc-mutationalpatterns (MIT)
#   colo829_somatic_gridss.vcf.gz, truthset_somaticSVs_COLO829.vcf  COLO829 somatic SV calls
#                                                                           r-bioc-structuralvariantannotation (GPL-3)
#   1kg_chr20_1-4Mb.reference.vcf.gz  1000 Genomes phased genotypes (miniBAMs only)  shapeit4-example (MIT)
# --fetch rebuilds exactly these files with `apt-get download` + `dpkg -x` (no install, no root needed);
# the MAF sits in TCGAbiolinks' lazy-load R database, so --fetch also needs Rscript (r-base-core).
#
# Needs: python3 (standard library only), samtools, bcftools, bgzip + tabix (package tabix).
# Output is deterministic for the same tool versions (samtools/bcftools/htslib 1.16 on Debian 12).
#
# Order: (1) make_examples.py: VCFs, SV VCF, cohort.tsv, masked reference; (2) make_minibams.sh: simulated
# tumour/normal miniBAMs in bam/ and the reference re-masked to keep the bases under their reads. Step 2 runs
# when bwa and art_illumina are installed (apt-get install -y bwa art-nextgen-simulation-tools; not needed for
# tests) or with --reads; otherwise the BAMs in bam/ are kept and step (1) already keeps their read spans.
# MINIBAM_WORK (default /tmp/oncolm_sim) is step 2's scratch folder (bwa index, ~190 MB).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
reads=auto
if [ "${1:-}" = "--reads" ]; then reads=yes; shift; fi
if [ "${1:-}" = "--no-reads" ]; then reads=no; shift; fi

fetch() {  # WORK_DIR -> WORK_DIR/data with the input files named as above
  local w=$1; mkdir -p "$w/debs" "$w/x" "$w/data"; w=$(cd "$w" && pwd)
  (cd "$w/debs" && apt-get download vt-examples smalt-examples r-bioc-tcgabiolinks r-bioc-mutationalpatterns \
                        r-bioc-structuralvariantannotation shapeit4-example)
  for d in "$w"/debs/*.deb; do n=$(basename "$d" .deb | cut -d_ -f1); mkdir -p "$w/x/$n"; dpkg -x "$d" "$w/x/$n"; done
  local D=$w/data
  cp "$w/x/vt-examples/usr/share/doc/vt/examples/ref/20.fa.gz" "$D/GRCh37.chr20.fa.gz"   # bgzip already
  zcat "$w/x/smalt-examples/usr/share/doc/smalt/test/data/hs37chrXtrunc.fa.gz" | sed '1s/^>.*/>X/' \
    | bgzip -c > "$D/GRCh37.chrX_1-69999930.fa.gz"
  samtools faidx "$D/GRCh37.chr20.fa.gz"; samtools faidx "$D/GRCh37.chrX_1-69999930.fa.gz"
  cp "$w"/x/r-bioc-mutationalpatterns/usr/lib/R/site-library/MutationalPatterns/extdata/{colon1,colon2,intestine2,liver2}-sample.vcf \
     "$w"/x/r-bioc-mutationalpatterns/usr/lib/R/site-library/MutationalPatterns/extdata/blood-AC.vcf "$D/"
  local S=$w/x/r-bioc-structuralvariantannotation/usr/lib/R/site-library/StructuralVariantAnnotation/extdata
  cp "$S/colo829_somatic_gridss.vcf.gz" "$S/truthset_somaticSVs_COLO829.vcf" "$D/"
  local T=$w/x/shapeit4-example/usr/share/doc/shapeit4/examples/test
  cp "$T/reference.vcf.gz" "$D/1kg_chr20_1-4Mb.reference.vcf.gz"; cp "$T/reference.vcf.gz.csi" "$D/1kg_chr20_1-4Mb.reference.vcf.gz.csi"
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
  case $v in *.somatic.sv.vcf.gz) continue ;; esac  # SV records: mates on contigs outside the reference
  bcftools norm -f "$R" --check-ref e -m -any "$v" -Ou -o /dev/null 2>/dev/null \
    || { echo "REF check failed: $v" >&2; exit 1; }
done
# SV VCFs: the REF base of every record on the example contigs matches (GRIDSS calls; bcftools norm cannot
# parse BND alleles, so compare with samtools faidx)
for v in "$OUT"/vcf/*.somatic.sv.vcf.gz; do
  bcftools view -H -t 20,X "$v" | cut -f1,2,4 | while read -r c p r; do
    b=$(samtools faidx "$R" "$c:$p-$((p + ${#r} - 1))" | tail -n +2 | tr -d '\n')
    [ "${b^^}" = "${r^^}" ] || { echo "REF check failed: $v $c:$p $r (reference $b)" >&2; exit 1; }
  done
done

if [ $reads = yes ] || { [ $reads = auto ] && command -v bwa >/dev/null && command -v art_illumina >/dev/null; }; then
  "$here/make_minibams.sh" "$DATA" "${MINIBAM_WORK:-/tmp/oncolm_sim}" "$OUT"
else
  echo "miniBAM step skipped (--no-reads, or bwa/art_illumina not installed): $OUT/bam kept as it is (see make_minibams.sh)" >&2
fi
echo "examples written to $OUT:" >&2
(cd "$OUT" && du -ch cohort.tsv reference vcf bam 2>/dev/null | tail -1) >&2
