#!/usr/bin/env bash
# The demo: installs what is missing, builds, then runs the pipeline on the bundled example cohort
# (examples/): variant-centred windows, embeddings with the small pre-trained model in models/
# (nt-v2-small-grch37: MLM on GRCh37 chr20, scripts/pretrain_small_model.sh), zero-shot variant
# scores with it, a brief fine-tuning of that model on the cohort's REF/ALT windows (MLM +
# tumour-normal contrastive, a few steps), embeddings with the fine-tuned model, SV junction
# analysis, a cross-validated tumour-type classifier, and the HTML report of all of it.
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
model=models/nt-v2-small-grch37
"$oncolm" embed --model "$model" -o "$out/embed" --threads 2 "$out/windows"
# Zero-shot variant-effect scores of every small variant with the same model: the masked-token
# log-likelihood ratio of ALT against REF (both strands) and REF-ALT embedding distances.
"$oncolm" score --model "$model" -o "$out/score" --threads 2 "$out/windows"
# A demonstration of `oncolm train`, not a useful fine-tuning: 8 steps on the example cohort (MLM +
# tumour-normal contrastive) on the 256 tokens (1,530 bp) around each variant, a tenth of the donors
# held out for validation (evaluated before the first step and after the last); then embeddings of
# the same 256-token centres with the fine-tuned model, pooled over the variant's tokens.
"$oncolm" train --model "$model" --objective both -o "$out/train" --threads 2 --steps 8 --max-tokens 256 \
  --batch-tokens 4096 --lr 1e-3 --warmup-steps 2 --eval-every 0 --log-every 4 --checkpoint-every 1000 \
  "$out/windows"
"$oncolm" embed --model "$out/train/final" -o "$out/embed_finetuned" --threads 2 --max-tokens 256 \
  --pooling variant "$out/windows"
# SV junctions of the cohort (classes, exact microhomology, mechanisms) and a tumour-type classifier
# cross-validated by donor (the example is far too small for a useful classifier: 2 folds, classes
# with at least 2 samples; it shows the command and its outputs).
"$oncolm" breakpoints -o "$out/breakpoints" "$out/windows"
"$oncolm" classify cv --windows "$out/windows" --label organ_system --min-class-size 2 --folds 2 \
  --classifier logreg -o "$out/classify"
# Every figure in one offline HTML file.
"$oncolm" report "$out" -o "$out/report.html"
# Debian's python3 (with python3-numpy from setup.sh), not another python3 earlier on PATH.
/usr/bin/python3 scripts/demo_summary.py "$out"
echo "== outputs: $out/windows (manifest.tsv, stats.json, per-sample FASTA/TSV), $out/embed, $out/score, $out/train (metrics.jsonl, final/), $out/embed_finetuned, $out/breakpoints, $out/classify, $out/report.html"
