#!/usr/bin/env bash
# `oncolm windows` at PCAWG scale, end to end: one sample as large as PCAWG's largest (N_LARGE SNVs,
# default 120,000; the largest PCAWG samples have over 100,000), and a cohort of N_SAMPLES samples
# (default 50) with a realistic spread of mutation counts, all on the real GRCh37 chr20 sequence.
# Variants are drawn at random positions whose reference base is A/C/G/T (REF from the reference,
# ALT another base), so every record makes a window; 5% are 1-10 bp deletions.
#
# usage: bench/cohort_scale_bench.sh REFERENCE [THREADS] [WORKDIR]
#   e.g. bench/cohort_scale_bench.sh ../shared/data/GRCh37.chr20.fa.gz 2
# Prints wall time, windows/s and peak RSS (GNU time) for each run, and the output sizes.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
reference=${1:?usage: $0 REFERENCE [THREADS] [WORKDIR]}
threads=${2:-2}
work=${3:-$(mktemp -d)}
oncolm=${ONCOLM:-$here/../build/bin/oncolm}
n_large=${N_LARGE:-120000}
n_samples=${N_SAMPLES:-50}
mkdir -p "$work"
echo "command: $0 $*  (N_LARGE=$n_large N_SAMPLES=$n_samples)"
/usr/bin/python3 - "$reference" "$work" "$n_large" "$n_samples" <<'PY'
import gzip, random, sys, os
reference, work, n_large, n_samples = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
name, parts = None, []
with gzip.open(reference, "rt") as f:
    for line in f:
        if line.startswith(">"):
            if name: break
            name = line[1:].split()[0]
        else:
            parts.append(line.strip().upper())
seq = "".join(parts)
rng = random.Random(7)
def write_vcf(path, n):
    rows = set()
    while len(rows) < n:
        pos = rng.randrange(10_000, len(seq) - 10_000)
        if seq[pos] in "ACGT" and all(b in "ACGT" for b in seq[pos:pos + 12]):
            rows.add(pos)
    with open(path, "w") as out:
        out.write(f"##fileformat=VCFv4.2\n##contig=<ID={name},length={len(seq)}>\n")
        out.write("#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n")
        for pos in sorted(rows):
            if rng.random() < 0.05:
                length = rng.randint(1, 10)
                out.write(f"{name}\t{pos + 1}\t.\t{seq[pos:pos + 1 + length]}\t{seq[pos]}\t.\tPASS\t.\n")
            else:
                alt = rng.choice([b for b in "ACGT" if b != seq[pos]])
                out.write(f"{name}\t{pos + 1}\t.\t{seq[pos]}\t{alt}\t.\tPASS\t.\n")
header = "sample_id\tdonor_id\ttumour_bam\tnormal_bam\tsnv_vcf\tindel_vcf\tsv_vcf\n"
write_vcf(f"{work}/large.vcf", n_large)
with open(f"{work}/large.tsv", "w") as out:
    out.write(header + "large\tD0\t\t\tlarge.vcf\t\t\n")
# Cohort: per-sample counts log-uniform between 1,000 and 30,000 (PCAWG's median is ~10^4).
with open(f"{work}/cohort.tsv", "w") as out:
    out.write(header)
    total = 0
    for s in range(n_samples):
        n = int(10 ** rng.uniform(3, 4.5))
        total += n
        write_vcf(f"{work}/s{s}.vcf", n)
        out.write(f"S{s}\tD{s}\t\t\ts{s}.vcf\t\t\n")
print(f"large sample: {n_large} variants; cohort: {n_samples} samples, {total} variants")
PY
run() {  # LABEL SHEET THREADS
  rm -rf "$work/out_$1"
  /usr/bin/time -f "%e s wall, %M KiB peak RSS" -o "$work/time_$1" \
    "$oncolm" windows "$2" --reference "$reference" -o "$work/out_$1" --threads "$3" --verbosity warning
  local windows
  windows=$(awk -F'\t' 'NR==1{for(i=1;i<=NF;i++) c[$i]=i; next} {s+=$c["windows"]} END{print s}' "$work/out_$1/manifest.tsv")
  echo "$1: $windows windows, $(cat "$work/time_$1"), $(du -sh "$work/out_$1" | cut -f1) written," \
    "$(awk -v w="$windows" '{printf "%.0f windows/s", w/$1}' "$work/time_$1")"
}
"$oncolm" --version | head -1
run large_1thread "$work/large.tsv" 1
run large_${threads}threads "$work/large.tsv" "$threads"
run cohort_${threads}threads "$work/cohort.tsv" "$threads"
