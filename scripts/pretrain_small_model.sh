#!/usr/bin/env bash
# Pre-trains (MLM) the small NT-v2-architecture model shipped in models/nt-v2-small-grch37 on real
# GRCh37 chr20 (the complete chromosome of Debian's vt-examples package), with one region held out.
#
#   scripts/pretrain_small_model.sh GRCh37.chr20.fa.gz [WORK_DIR] [MODEL_DIR]
#
# Steps: (a) windows of 1,002-3,000 bp of chr20, chr20:50,000,001-51,000,000
# held out (pretrain_data.py windows); (b) a random-initialised start (scripts/make_random_nt_v2.py:
# 2 layers, hidden 64, 4 heads, FFN 128, the real NT v2 vocabulary, MLM output bias = log 6-mer
# frequencies of the training windows); (c) `oncolm train --objective mlm` on CPU, 2 threads;
# (d) the held-out evaluation of the final model and the 6-mer frequency baseline; (e) final/ copied
# to MODEL_DIR (default models/nt-v2-small-grch37) with the run's train.json and metrics.jsonl and a
# README.md (scripts/pretrain_report.py). Exit status 1 when the model does not beat the baseline.
#
# `oncolm train` splits plain FASTA input by record (a hash of the name and --seed), so it cannot
# be given a named validation region: the curve's validation set is the 0.5% of training-region
# windows that the split holds out, and the held-out region is scored afterwards by a second
# `oncolm train` run at --lr 1e-12 whose step-0 evaluation covers 95% of the held-out windows.
set -euo pipefail
FASTA=${1:?usage: pretrain_small_model.sh GRCh37.chr20.fa.gz [WORK_DIR] [MODEL_DIR]}
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(dirname "$HERE")
WORK=${2:-$ROOT/build/pretrain-small}
MODEL=${3:-$ROOT/models/nt-v2-small-grch37}
ONCOLM=${ONCOLM:-$ROOT/build/bin/oncolm}
STEPS=${STEPS:-2500}
HELD_START=50000000 HELD_END=51000000
mkdir -p "$WORK"

python3 "$HERE/pretrain_data.py" windows "$FASTA" 20 $HELD_START $HELD_END "$WORK" 1 | tee "$WORK/windows.json"
# The MLM output bias starts at the log 6-mer frequencies of the training windows (the log prior).
python3 "$HERE/make_random_nt_v2.py" "$WORK/init" "$ROOT/models/nt-v2-tiny-random" 64 2 4 128 1 "$WORK/train.fa"

start=$SECONDS
"$ONCOLM" train --model "$WORK/init" --objective mlm -o "$WORK/run" --overwrite --threads 2 \
  --steps "$STEPS" --batch-tokens 8192 --lr 5e-3 --warmup-steps 50 --decay cosine --min-lr-ratio 0.1 \
  --seed 1 --validation-fraction 0.005 --eval-every 250 --log-every 50 --checkpoint-every 500 \
  "$WORK/train.fa"
train_seconds=$((SECONDS - start))

# Held-out region: the final model at --lr 1e-12 (one step that changes nothing; --lr 0 is refused); its step-0
# validation record is the score. The same for the random start, for reference.
for which in run/final init; do
  "$ONCOLM" train --model "$WORK/$which" --objective mlm -o "$WORK/heldout-eval-${which%%/*}" --overwrite \
    --threads 2 --steps 1 --lr 1e-12 --seed 7 --validation-fraction 0.95 --eval-every 0 --checkpoint-every 1000 \
    "$WORK/heldout.fa"
done
python3 "$HERE/pretrain_data.py" baseline "$WORK/train.fa" "$WORK/heldout.fa" | tee "$WORK/baseline.json"

rm -rf "$MODEL"
cp -r "$WORK/run/final" "$MODEL"
cp "$WORK/run/metrics.jsonl" "$MODEL/training_metrics.jsonl"
cp "$WORK/run/train.json" "$MODEL/training_run.json"
# README.md with the command, the curve and the comparison; exit status 1 if the baseline wins.
python3 "$HERE/pretrain_report.py" "$WORK" "$MODEL" "$FASTA" "$train_seconds"
