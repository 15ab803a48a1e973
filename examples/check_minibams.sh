#!/bin/bash
# Checks the simulated miniBAMs of the example cohort (run from anywhere; needs samtools, bcftools, awk).
#  1. samtools quickcheck, @SQ lines = the example reference's contigs and lengths;
#  2. somatic SNV/MNV allele fractions in tumour (expected ~purity/2) and normal (expected 0):
#     bcftools mpileup -a AD -B -d 100000 -q 20 -Q 13 at the sample's records;
#  3. germline sites (every non-reference site the tumour or normal shows with AF >= 0.2 outside somatic
#     records): AF in tumour and normal (hets ~0.5, hom-alt ~1 in both);
#  4. SV breakends (PASS records of the sv_vcf): reads with an SA tag and discordant pairs (mate on another
#     contig, insert > 1,000 bp, or both mates on the same strand as at an inversion) within 500 bp, tumour vs
#     normal.
# usage: examples/check_minibams.sh [EXAMPLES_DIR]
set -euo pipefail
E=$(cd "${1:-$(dirname "$0")}" && pwd); cd "$E"
R=reference/GRCh37.20_X.masked.fa.gz
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
col() { head -1 cohort.tsv | tr '\t' '\n' | grep -nx "$1" | cut -d: -f1; }
cs=$(col sample_id); ct=$(col tumour_bam); cn=$(col normal_bam); cv=$(col snv_vcf); ci=$(col indel_vcf); csv=$(col sv_vcf)
awk -F'\t' 'NR>1 && $'$ct' != ""' cohort.tsv | tr '\t' '|' > "$tmp/rows"  # '|': empty cells survive read -a

expect=$(awk '{printf "%s:%s ", $1, $2}' "$R.fai")
for b in $(cut -d'|' -f$ct,$cn "$tmp/rows" | tr '|' '\n' | sort -u); do
  samtools quickcheck "$b" || { echo "FAIL quickcheck $b"; exit 1; }
  got=$(samtools view -H "$b" | awk -F'\t' '$1=="@SQ"{sub("SN:","",$2); sub("LN:","",$3); printf "%s:%s ", $2, $3}')
  [ "$got" = "$expect" ] || { echo "FAIL @SQ $b: $got"; exit 1; }
  echo "ok  $b  $(samtools view -c "$b") records"
done

mp() { bcftools mpileup -f "$R" -a AD -B -d 100000 -q 20 -Q 13 "$@" 2>/dev/null; }
echo; echo "somatic SNV/MNV first base: sample  records  mean tumour AF  (min-max)  mean normal AF  expected(purity/2 from BAM @CO)"
while IFS='|' read -r -a f; do
  s=${f[$((cs-1))]}; t=${f[$((ct-1))]}; n=${f[$((cn-1))]}; v=${f[$((cv-1))]:-}
  [ -n "$v" ] || continue
  p=$(samtools view -H "$t" | grep -o 'purity [0-9.]*' | head -1 | cut -d' ' -f2)
  bcftools view -v snps,mnps -H "$v" | awk '{print $1"\t"$2}' > "$tmp/pos"
  mp -T "$tmp/pos" "$t" "$n" | bcftools query -f '[%AD\t]\n' -i 'ALT!="<*>"' |
    awk -v s="$s" -v p="$p" '{split($1,a,","); split($2,b,","); ta=0; tn=0; for(i=2;i in a;i++) ta+=a[i]; for(i=2;i in b;i++) tn+=b[i];
      dt=0; for(i in a) dt+=a[i]; dn=0; for(i in b) dn+=b[i]; if(dt==0) next; af=ta/dt; naf=(dn?tn/dn:0);
      n++; sum+=af; nsum+=naf; if(n==1||af<mn) mn=af; if(af>mx) mx=af; dsum+=dt}
      END{printf "  %-30s %3d  %.3f (%.2f-%.2f)  normal %.3f  expected %.2f  mean tumour depth %.0f\n", s, n, sum/n, mn, mx, nsum/n, p/2, dsum/n}'
done < "$tmp/rows"

echo; echo "germline (non-somatic variant sites in tumour+normal, AF >= 0.2 in the normal with depth >= 10): site  tumour AF  normal AF"
while IFS='|' read -r -a f; do
  s=${f[$((cs-1))]}; t=${f[$((ct-1))]}; n=${f[$((cn-1))]}
  : > "$tmp/som"
  for c in $cv $ci; do x=${f[$((c-1))]:-}; [ -n "$x" ] && bcftools view -H "$x" | awk '{for(i=$2-2;i<=$2+length($4)+1;i++) print $1"\t"i}' >> "$tmp/som"; done
  mp -r 20,X "$t" "$n" | bcftools view -i 'ALT!="<*>"' -Ov | bcftools query -f '%CHROM\t%POS\t%REF\t%ALT[\t%AD]\n' |
    awk -v s="$s" 'NR==FNR{som[$1"\t"$2]=1; next} !(($1"\t"$2) in som){split($5,a,","); split($6,b,","); dt=0; dn=0; for(i in a) dt+=a[i]; for(i in b) dn+=b[i];
      if(dn<10||dt==0) next; ta=dt-a[1]; na=dn-b[1]; if(na/dn<0.2) next; printf "  %-30s %s:%s %s>%s  tumour %.2f (%d)  normal %.2f (%d)\n", s, $1, $2, $3, $4, ta/dt, dt, na/dn, dn}' "$tmp/som" -
done < "$tmp/rows"

echo; echo "SV breakends (PASS): within 500 bp: reads with SA tag / discordant pairs, tumour | normal"
while IFS='|' read -r -a f; do
  s=${f[$((cs-1))]}; t=${f[$((ct-1))]}; n=${f[$((cn-1))]}; v=${f[$((csv-1))]:-}
  [ -n "$v" ] || continue
  bcftools view -f PASS -H "$v" | awk '$1=="20"||$1=="X"{print $1"\t"$2"\t"$3"\t"$5}' | while read -r c p id alt; do
    r="$c:$((p-500))-$((p+500))"
    cnt() { samtools view -F 0x904 "$1" "$r" | awk '{sa=0; for(i=12;i<=NF;i++) if($i ~ /^SA:Z:/) sa=1; same=(int($2/16)%2==int($2/32)%2); d=(int($2%2)==1 && int($2/8)%2==0 && ($7!="=" || $9>1000 || $9<-1000 || same)); nsa+=sa; nd+=d} END{printf "%d/%d", nsa, nd}'; }
    printf "  %-9s %-20s %-32s %-14s tumour %-8s normal %s\n" "$s" "$id" "$alt" "$c:$p" "$(cnt "$t")" "$(cnt "$n")"
  done
done < "$tmp/rows"
