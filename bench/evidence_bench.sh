#!/bin/bash
# Cost of miniBAM read evidence in `oncolm windows`: windows/s on the example cohort (examples/:
# 9 samples, 5 tumours and 4 normals as simulated miniBAMs) with its BAM columns, and with them plus
# --personalise (germline alleles from the normal written into the windows), against the same sheet with
# the BAM columns emptied, alternating the three runs REPEATS times; medians and ratios.
#
# usage: bench/evidence_bench.sh [ONCOLM_BINARY] [REPEATS] [THREADS]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
BIN=${1:-$here/../build/bin/oncolm}
REPEATS=${2:-5}
THREADS=${3:-1}
[ -x "$BIN" ] || { echo "no oncolm binary at $BIN" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
examples=$(cd "$here/../examples" && pwd)
# The same sheet without BAMs: paths made absolute so the copy can live in the scratch directory.
awk -F'\t' 'BEGIN{OFS="\t"} NR==1{for(i=1;i<=NF;i++) col[$i]=i; print; print > nobam; next}
  { for (c in col) if ((c ~ /_bam$/ || c ~ /_vcf$/) && $col[c] != "") $col[c] = dir "/" $col[c]
    t = $0; $col["tumour_bam"] = ""; $col["normal_bam"] = ""; print > nobam; $0 = t; print }' \
  dir="$examples" nobam="$work/no_bams.tsv" "$examples/cohort.tsv" > "$work/with_bams.tsv"
echo "command: $0 $*"
"$BIN" --version | head -1
run() {  # SHEET OUT [OPTIONS...]: prints seconds
  local sheet=$1 out=$2 start end
  shift 2
  start=$EPOCHREALTIME
  "$BIN" windows "$sheet" --reference "$examples/reference/GRCh37.20_X.masked.fa.gz" -o "$out" \
    --threads "$THREADS" --verbosity error "$@" || { echo "oncolm windows failed on $sheet" >&2; kill $$; }
  end=$EPOCHREALTIME
  awk -v a="$start" -v b="$end" 'BEGIN{printf "%.3f\n", b - a}'
}
for i in $(seq "$REPEATS"); do
  echo "with $(run "$work/with_bams.tsv" "$work/with_$i")" >> "$work/times"
  echo "without $(run "$work/no_bams.tsv" "$work/without_$i")" >> "$work/times"
  echo "personalised $(run "$work/with_bams.tsv" "$work/personalised_$i" --personalise)" >> "$work/times"
done
# small-variant windows + SV junctions, by column name
windows=$(awk -F'\t' 'NR==1{for(i=1;i<=NF;i++) c[$i]=i; next} {s+=$c["windows"]+$c["sv_junctions"]} END{print s}' \
  "$work/with_1/manifest.tsv")
python3 - "$work/times" "$windows" "$REPEATS" "$THREADS" <<'PY'
import statistics, sys
times = {"with": [], "without": [], "personalised": []}
for line in open(sys.argv[1]):
    kind, seconds = line.split()
    times[kind].append(float(seconds))
windows, repeats, threads = int(sys.argv[2]), sys.argv[3], sys.argv[4]
base = statistics.median(times["without"])
print(f"{windows} windows (small variants + SV junctions), median of {repeats} alternating runs, --threads {threads}")
print("| run | median s | windows/s | time vs without BAMs |")
print("|---|---|---|---|")
labels = {"without": "without BAMs", "with": "with BAMs", "personalised": "with BAMs, --personalise"}
for kind in ("without", "with", "personalised"):
    m = statistics.median(times[kind])
    print(f"| {labels[kind]} | {m:.3f} | {windows / m:,.0f} | {m / base:.2f} |")
PY
