#!/bin/bash
# Windows/s and peak memory of `oncolm windows` against a plain pysam script (bench/pysam_windows.py)
# doing the same SNV/indel REF+ALT window extraction, in one run, on the same real variants.
#
# usage: bench/windows_bench.sh VCF REFERENCE [ONCOLM_BINARY] [REPEATS]
#   e.g. bench/windows_bench.sh ../shared/data/1kg_chr20_1-4Mb.reference.vcf.gz \
#          ../shared/data/GRCh37.chr20.fa.gz build/bin/oncolm 3
# VCF: ~25k real variants, e.g. the 1000 Genomes chr20:1-4 Mb panel (Debian shapeit4-example, 23,670 SNVs
# + 1,320 indels); REFERENCE: the full GRCh37 chr20 (Debian vt-examples), bgzip + .fai + .gzi.
# Needs python3-pysam (Debian) for the baseline; runs /usr/bin/python3. LEVELS=1 adds the table of
# --compression-level 1-9 (time and size); WORKDIR=DIR keeps the work files there.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
VCF=${1:?usage: $0 VCF REFERENCE [ONCOLM_BINARY] [REPEATS]}
REF=${2:?usage: $0 VCF REFERENCE [ONCOLM_BINARY] [REPEATS]}
BIN=${3:-$here/../build/bin/oncolm}
REPEATS=${4:-3}
[ -x "$BIN" ] || { echo "no oncolm binary at $BIN (give its path as the third argument)" >&2; exit 1; }
echo "command: $0 $*"
"$BIN" --version | head -3
exec /usr/bin/python3 "$here/run_windows_bench.py" --oncolm "$BIN" --vcf "$VCF" --reference "$REF" \
  --repeats "$REPEATS" ${WORKDIR:+--workdir "$WORKDIR"} ${LEVELS:+--levels}
