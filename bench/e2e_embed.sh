#!/usr/bin/env bash
# `oncolm embed` end to end: wall time of the whole command (process start, model load, FASTA
# reading, tokenising, batching, host-device copies, pooling, writing) on a windows directory, and
# tokens/s from the `tokens` column of the TSVs it writes. Prints one JSON line.
#
# usage: bench/e2e_embed.sh ONCOLM_TORCH_BINARY MODEL_DIR WINDOWS_DIR OUT_DIR [embed options...]
#   e.g. bench/e2e_embed.sh build/bin/oncolm-torch models/nt-v2-small-grch37 out/windows /tmp/e2e --device cuda
set -euo pipefail
bin=${1:?usage: $0 ONCOLM_TORCH_BINARY MODEL_DIR WINDOWS_DIR OUT_DIR [embed options...]}
model=${2:?model directory}
windows=${3:?windows directory}
out=${4:?output directory}
shift 4
rm -rf "$out"
start=$(date +%s.%N)
"$bin" embed --model "$model" -o "$out" "$@" "$windows" >&2
end=$(date +%s.%N)
python3 - "$out" "$start" "$end" <<'PY'
import csv, glob, json, sys
out, start, end = sys.argv[1], float(sys.argv[2]), float(sys.argv[3])
tokens = records = 0
for path in glob.glob(f"{out}/*.emb.tsv"):
    for row in csv.DictReader(open(path), delimiter="\t"):
        tokens += int(row["tokens"])
        records += 1
seconds = end - start
print(json.dumps({"records": records, "tokens": tokens, "seconds": round(seconds, 3),
                  "tokens_per_s": round(tokens / seconds)}))
PY
