#!/usr/bin/env bash
# Zero-shot LLR of `oncolm score` on real human variation: common SNVs (allele frequency > 5%, the
# panel's AF) against singletons (allele count 1 among the panel's 600 haplotypes) of the 1000 Genomes
# chr20:1-4 Mb panel. Purifying selection keeps damaging alleles rare, so a model that has learnt
# anything about sequence constraint should give singletons lower LLRs (the ALT less likely in its
# context than the REF) than common variants: the AUROC of -llr separating singletons from common
# variants measures it (0.5 = no separation).
#
# usage: bench/score_1000g.sh PANEL_VCF REFERENCE [MODEL_DIR] [PER_CLASS] [WORKDIR]
#   e.g. bench/score_1000g.sh ../shared/data/1kg_chr20_1-4Mb.reference.vcf.gz \
#          ../shared/data/GRCh37.chr20.fa.gz models/nt-v2-small-grch37 1000
# PER_CLASS SNVs of each class are taken evenly along the region (every k-th); windows are 1,536 bp
# (256 tokens), the length the small model was pre-trained at. Then `oncolm score --labels` (singleton
# = positive) cross-validates a logistic regression on the zero-shot scores. Needs bcftools and
# python3-sklearn.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
vcf=${1:?usage: $0 PANEL_VCF REFERENCE [MODEL_DIR] [PER_CLASS] [WORKDIR]}
reference=${2:?reference FASTA}
model=${3:-$here/../models/nt-v2-small-grch37}
per_class=${4:-1000}
work=${5:-$(mktemp -d)}
oncolm=${ONCOLM:-$here/../build/bin/oncolm}
mkdir -p "$work"
echo "command: $0 $*"
# Biallelic SNVs, sites only, split by class; every k-th record so the subset spans the region.
pick_class() {  # NAME EXPRESSION
  bcftools view -G -m2 -M2 -v snps -i "$2" "$vcf" -Ov | bcftools view -H | wc -l > "$work/$1.count"
  local total k
  total=$(cat "$work/$1.count")
  k=$(( total / per_class > 0 ? total / per_class : 1 ))
  { bcftools view -G -m2 -M2 -v snps -i "$2" -h "$vcf" | grep '^#'
    bcftools view -G -m2 -M2 -v snps -i "$2" -H "$vcf" | awk -v k="$k" -v n="$per_class" '(NR-1)%k==0 && c<n {print; c++}'
  } | bgzip -c > "$work/$1.vcf.gz"
  echo "$1: $total SNVs in the panel ($2), every ${k}th taken"
}
pick_class common 'INFO/AF>0.05'
pick_class singleton 'INFO/AC=1'
printf 'sample_id\tdonor_id\ttumour_bam\tnormal_bam\tsnv_vcf\tindel_vcf\tsv_vcf\n' > "$work/sheet.tsv"
for class in common singleton; do printf '%s\t%s\t\t\t%s.vcf.gz\t\t\n' "$class" "$class" "$class" >> "$work/sheet.tsv"; done
rm -rf "$work/windows" "$work/score"
"$oncolm" windows "$work/sheet.tsv" --reference "$reference" -o "$work/windows" --window-length 1536 --threads 2
start=$(date +%s)
"$oncolm" score --model "$model" -o "$work/score" --threads 2 "$work/windows"
echo "score: $(( $(date +%s) - start )) s"
/usr/bin/python3 "$here/score_1000g.py" "$work/score"
# Supervised: singleton = 1, common = 0, a logistic regression on the zero-shot scores in 5 folds.
{ printf 'chrom\tpos\tref\talt\tlabel\n'
  bcftools query -f '%CHROM\t%POS\t%REF\t%ALT\t0\n' "$work/common.vcf.gz"
  bcftools query -f '%CHROM\t%POS\t%REF\t%ALT\t1\n' "$work/singleton.vcf.gz"
} > "$work/labels.tsv"
"$oncolm" score --labels "$work/labels.tsv" -o "$work/score" --verbosity warning
