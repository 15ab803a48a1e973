#!/usr/bin/env bash
# The demo: installs what is missing, builds, then runs the pipeline on the bundled example cohort
# (examples/): variant-centred windows, then embeddings with the small model in models/.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/build.sh
out=${1:-out/demo}
rm -rf "$out"
oncolm=build/bin/oncolm
"$oncolm" --version
"$oncolm" windows examples/cohort.tsv --reference examples/reference/GRCh37.20_X.masked.fa.gz \
  -o "$out/windows" --threads 2
"$oncolm" embed --model models/nt-v2-tiny-random -o "$out/embed" --threads 2 "$out/windows"
# Debian's python3 (with python3-numpy from setup.sh), not another python3 earlier on PATH.
/usr/bin/python3 scripts/demo_summary.py "$out"
echo "== outputs: $out/windows (manifest.tsv, stats.json, per-sample FASTA/TSV), $out/embed"
