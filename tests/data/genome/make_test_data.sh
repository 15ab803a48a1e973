#!/usr/bin/env bash
# Regenerates the genome test data from the real public files described in
# ../shared/data/README.md (all from Debian 12 packages; `rebuild.sh` there re-downloads them).
# Usage: tests/data/genome/make_test_data.sh [SHARED_DATA_DIR]   (needs samtools, bgzip, python3)
# The outputs are committed; tests never read SHARED_DATA_DIR.
set -euo pipefail
src=$(cd "${1:-$(dirname "$0")/../../../../shared/data}" && pwd)
out=$(cd "$(dirname "$0")" && pwd)
cd "$out"
rm -rf samples && mkdir samples
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT

header() {  # PCAWG-style header: GRCh37 contig names with their real lengths
  printf '##fileformat=VCFv4.1\n'
  printf '##contig=<ID=20,length=63025520>\n##contig=<ID=MT,length=16569>\n'
  printf '##FILTER=<ID=LOWSUPPORT,Description="Not enough support">\n'
  printf '##INFO=<ID=Source,Number=1,Type=String,Description="File the record was taken from">\n'
  printf '#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n'
}
# chr20 records of a MutationalPatterns VCF as 8-column sites (the real calls, FORMAT dropped).
sites() {  # FILE AWK_FILTER MAX
  # (awk, not head: head would end the pipe early and `pipefail` would stop the script)
  # The MutationalPatterns files are not in position order everywhere; `sort` puts them in order.
  awk -F'\t' -v OFS='\t' -v f="$1" -v max="$3" \
    "!/^#/ && \$1==\"20\" && ($2) && n++ < max {print \$1,\$2,\$3,\$4,\$5,\".\",\$7,\"Source=\" f}" "$src/$1" \
    | ${SORT:-sort -k2,2n}
}
snv='length($4)==length($5)'; indel='length($4)!=length($5)'
{ header; sites blood-AC.vcf "$snv" 25; } > samples/blood_AC.snv_mnv.vcf
{ header; sites blood-AC.vcf "$indel" 100; } > samples/blood_AC.indel.vcf
{ header; sites blood-BCH.vcf "$snv" 100; } | bgzip -c > samples/blood_BCH.snv_mnv.vcf.gz
{ header; sites blood-BCH.vcf "$indel" 100; } | bgzip -c > samples/blood_BCH.indel.vcf.gz
{ header; sites colon2-sample.vcf "$snv" 100; } > samples/colon2.snv_mnv.vcf
{ header; sites liver2-sample.vcf "$snv" 100; } > samples/liver2.snv_mnv.vcf
# The same colon2 records in the file's own (unsorted) order, for the unsorted-input test.
{ header; SORT=cat sites colon2-sample.vcf "$snv" 100; } > samples/colon2.unsorted.vcf
# TCGA-CHOL chr20 deletions (MAF, 1-based, '-' allele) as padded VCF indels for liver2.
awk -F'\t' '$5=="20" && $10=="DEL" {print $6-1, $11, $16}' "$src/TCGA-CHOL.bcgsc.hg19.somatic.maf" \
  | sort -n > "$tmp/chol"
{ header; while read -r pos del barcode; do
    pad=$(samtools faidx "$src/GRCh37.chr20.fa.gz" "20:$pos-$pos" | tail -n1)
    printf '20\t%s\t.\t%s%s\t%s\t.\tPASS\tSource=%s\n' "$pos" "$pad" "$del" "$pad" "$barcode"
  done < "$tmp/chol"; } > samples/liver2.indel.vcf
# COLO829 chr20 SV breakends: only counted (set aside for the SV stage).
{ grep '^##fileformat' "$src/truthset_somaticSVs_COLO829.vcf"; printf '##contig=<ID=20,length=63025520>\n'
  grep '^#CHROM' "$src/truthset_somaticSVs_COLO829.vcf" | cut -f1-8
  grep -v '^#' "$src/truthset_somaticSVs_COLO829.vcf" | awk -F'\t' -v OFS='\t' '$1=="20"' | cut -f1-8; } \
  > samples/colon2.sv.vcf

# Normalisation cases: the real CEUtrio chr20 indels and blood-AC chr20 indels, each also written in
# equivalent right-shifted and padded forms (same haplotype), plus padded forms of real SNVs.
{ zcat "$src/CEUtrio_20.vcf.bgz" | grep -v '^#' | awk -F'\t' -v OFS='\t' 'length($4)!=length($5) {print $1,$2,$4,$5}'
  grep -v '^#' "$src/blood-AC.vcf" | awk -F'\t' -v OFS='\t' '$1=="20" && length($4)!=length($5) {print $1,$2,$4,$5}'
  awk -F'\t' -v OFS='\t' '!/^#/ && $1=="20" && n++ < 5 {print $1,$2,$4,$5}' "$src/colon2-sample.vcf"
} > "$tmp/real_small"
cut -f2 "$tmp/real_small" | sort -n | uniq > "$tmp/positions"
# Flanks of +-3,200 bp (more than half a default window, 2,997, plus the longest deletion) are kept.
all_positions=$( { cut -f2 "$tmp/real_small"; for f in samples/*.vcf samples/*.vcf.gz; do
  zcat -f "$f" | grep -v '^#' | cut -f2; done; } | sort -n | uniq)
python3 - "$src/GRCh37.chr20.fa.gz" "$tmp/real_small" "$tmp" $all_positions <<'PY'
import subprocess, sys
fasta, small, tmp = sys.argv[1], sys.argv[2], sys.argv[3]
positions = sorted(int(p) for p in sys.argv[4:])
length, margin = 63025520, 3200
regions = []
for p in positions:
    b, e = max(1, p - margin), min(length, p + margin)
    if regions and b <= regions[-1][1] + 1: regions[-1][1] = max(regions[-1][1], e)
    else: regions.append([b, e])
seq = bytearray(b"N" * length)
out = subprocess.run(["samtools", "faidx", fasta] + [f"20:{b}-{e}" for b, e in regions],
                     check=True, capture_output=True, text=True).stdout
chunks = out.split(">")[1:]
for (b, e), chunk in zip(regions, chunks):
    s = "".join(chunk.split("\n")[1:]).encode()
    assert len(s) == e - b + 1
    seq[b - 1:e] = s
with open(f"{tmp}/ref20.fa", "w") as f:
    f.write(">20\n")
    for i in range(0, length, 60): f.write(seq[i:i + 60].decode() + "\n")
def base(p): return chr(seq[p - 1])
def right_shift(pos, ref, alt):
    # Moves a left-aligned insertion/deletion right while the haplotype stays the same.
    if len(ref) > len(alt): anchor, piece, deletion = ref[0], ref[1:], True
    else: anchor, piece, deletion = alt[0], alt[1:], False
    if not (ref[0] == alt[0] and len(min(ref, alt, key=len)) == 1): return None
    moved = False
    while base(pos + 1 + (len(piece) if deletion else 0)) == piece[0]:
        pos, piece, moved = pos + 1, piece[1:] + piece[0], True
    if not moved: return None
    anchor = base(pos)
    return (pos, anchor + piece, anchor) if deletion else (pos, anchor, anchor + piece)
rows = set()
for line in open(small):
    chrom, pos, ref, alt = line.split()
    pos = int(pos)
    rows.add((pos, ref, alt))
    if len(ref) != len(alt):
        shifted = right_shift(pos, ref, alt)
        if shifted: rows.add(shifted)
    # Padded by two reference bases on each side: both trims of the normaliser are needed.
    left, right = seq[pos - 3:pos - 1].decode(), seq[pos - 1 + len(ref):pos + 1 + len(ref)].decode()
    rows.add((pos - 2, left + ref + right, left + alt + right))
with open(f"{tmp}/norm_rows", "w") as f:
    for pos, ref, alt in sorted(rows): f.write(f"20\t{pos}\t.\t{ref}\t{alt}\t.\tPASS\t.\n")
PY
{ header; cat "$tmp/norm_rows"; } > norm_cases.vcf
{ cat "$tmp/ref20.fa"; sed 's/^>.*/>MT/' "$src/GRCh37.MT_rCRS.fa"; } | bgzip -@2 -c > ref.fa.gz
samtools faidx ref.fa.gz
sed 's/^>.*/>MT/' "$src/GRCh37.MT_rCRS.fa" > ref_mt.fa && samtools faidx ref_mt.fa

printf 'sample_id\tdonor_id\ttumour_bam\tnormal_bam\tsnv_vcf\tindel_vcf\tsv_vcf\thistology_abbreviation\torgan_system\n' > sheet.tsv
printf 'blood-AC\tAC\t\t\tsamples/blood_AC.snv_mnv.vcf\tsamples/blood_AC.indel.vcf\t\tBlood-HSC\tblood\n' >> sheet.tsv
printf 'blood-BCH\tBCH\t\t\tsamples/blood_BCH.snv_mnv.vcf.gz\tsamples/blood_BCH.indel.vcf.gz\t\tBlood-HSC\tblood\n' >> sheet.tsv
printf 'colon2\tcolon2\t\t\tsamples/colon2.snv_mnv.vcf\t\tsamples/colon2.sv.vcf\tColon-ASC\tdigestive\n' >> sheet.tsv
printf 'liver2\tliver2\t\t\tsamples/liver2.snv_mnv.vcf\tsamples/liver2.indel.vcf\t\tLiver-ASC\tliver\n' >> sheet.tsv
ls -l "$out" "$out/samples"
