#!/usr/bin/env bash
# Times `oncolm classify cv` on a synthetic cohort with every feature set (signature, density,
# embedding) and both classifiers: N samples (default 2000) of 10 tumour types from
# scripts/make_synthetic_cohort.py, their windows (201-base windows: classify reads each REF window
# once, so longer windows only add decompression time), and embedding files of the right shape from
# tests/downstream/fake_embeddings.py (HIDDEN columns; classify's time does not depend on the
# values). Only `classify cv` is timed: wall and CPU time; --verbosity info logs the phases. Usage: bench/classify_bench.sh [N] [THREADS] [HIDDEN] [WORKDIR]
set -euo pipefail
n=${1:-2000}
threads=${2:-2}
hidden=${3:-128}
work=${4:-$(mktemp -d /tmp/oncolm_classify_bench.XXXXXX)}
root=$(cd "$(dirname "$0")/.." && pwd)
oncolm=${ONCOLM:-$root/build/bin/oncolm}
python=$(command -v /usr/bin/python3 || command -v python3)
reference=$root/examples/reference/GRCh37.20_X.masked.fa.gz
if [ ! -f "$work/cohort/cohort.tsv" ]; then
  "$python" "$root/scripts/make_synthetic_cohort.py" -o "$work/cohort" --types 10 --samples-per-type $((n / 10)) \
    --mutations 100 --seed 5
fi
if [ ! -f "$work/windows/manifest.tsv" ]; then
  "$oncolm" windows "$work/cohort/cohort.tsv" --reference "$reference" -o "$work/windows" --window-length 201 \
    --threads "$threads" --verbosity warning
fi
if [ ! -f "$work/embed/embed.json" ]; then
  "$python" "$root/tests/downstream/fake_embeddings.py" "$work/windows" "$work/embed" --hidden "$hidden"
fi
# The CPU time of classify alone (bash's `times` in a subshell: its children only) beside the wall
# time, since the wall time on a shared machine depends on what else runs.
start=$(date +%s.%N)
cpu=$( (
  "$oncolm" classify cv --windows "$work/windows" --embeddings "$work/embed" --label tumour_type \
    --features signature,density,embedding --classifier logreg,mlp --folds 5 --threads "$threads" \
    --verbosity info -o "$work/cv" >&2 || exit 1
  times
) | tail -1)
end=$(date +%s.%N)
samples=$(($(wc -l < "$work/windows/manifest.tsv") - 1))
variants=$(awk -F'\t' 'NR > 1 { s += $9 } END { print s }' "$work/windows/manifest.tsv")
printf 'classify cv: %d samples, %d small variants, 3 feature sets + combined x logreg, mlp, 5 folds, %s threads: %.1f s (CPU: %s user, %s system)\n' \
  "$samples" "$variants" "$threads" "$(echo "$end - $start" | bc)" $cpu
