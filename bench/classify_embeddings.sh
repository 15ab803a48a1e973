#!/usr/bin/env bash
# What embeddings add to tumour-type classification, measured rather than assumed: a synthetic cohort
# with known tumour types (scripts/make_synthetic_cohort.py, real chr20/chrX sequence, --signal
# SIGNAL), its windows (768 bp = 128 tokens), and `oncolm classify cv --features embedding` with
# embeddings from (a) the small pre-trained model's final layer, (b) its layer 1 (the NT paper found
# the final layer never the best for probing), (c) the same model fine-tuned on the cohort's own
# windows by `oncolm train` (MLM + contrastive); the signature features as the reference. Variant-span
# pooling throughout (a variant is 1 of 128 tokens). Prints one table row per feature source.
#
# usage: bench/classify_embeddings.sh [SAMPLES_PER_TYPE] [SIGNAL] [WORKDIR]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
per_type=${1:-20}
signal=${2:-0.5}
work=${3:-$(mktemp -d)}
oncolm=${ONCOLM:-$root/build/bin/oncolm}
model=${MODEL:-$root/models/nt-v2-small-grch37}  # MODEL=DIR: any NT checkpoint with an MLM head
reference=$root/examples/reference/GRCh37.20_X.masked.fa.gz
echo "command: $0 $*"
/usr/bin/python3 "$root/scripts/make_synthetic_cohort.py" -o "$work/cohort" --types 5 --samples-per-type "$per_type" \
  --mutations 60 --signal "$signal" --seed 11 --no-sv
rm -rf "$work/windows" "$work/train" "$work"/embed_* "$work"/cv_*
"$oncolm" windows "$work/cohort/cohort.tsv" --reference "$reference" -o "$work/windows" --window-length 768 \
  --threads 2 --verbosity warning
"$oncolm" train --model "$model" --objective both -o "$work/train" --threads 2 --steps 100 --max-tokens 128 \
  --batch-tokens 4096 --lr 1e-3 --warmup-steps 10 --eval-every 0 --log-every 50 --verbosity warning "$work/windows"
embed() {  # NAME MODEL [LAYER]
  "$oncolm" embed --model "$2" -o "$work/embed_$1" --pooling variant --threads 2 --verbosity warning \
    ${3:+--layer "$3"} "$work/windows"
}
embed base_final "$model"
embed base_layer1 "$model" 1
embed finetuned_final "$work/train/final"
row() {  # NAME FEATURES [EMBED_DIR]
  "$oncolm" classify cv --windows "$work/windows" --label tumour_type --features "$2" ${3:+--embeddings "$3"} \
    --classifier logreg --folds 5 --reference "$reference" -o "$work/cv_$1" --verbosity warning > /dev/null
  /usr/bin/python3 -c "
import json,sys
m = json.load(open('$work/cv_$1/metrics.json'))
r = m['results'][0]
print(f\"| $1 | {r['accuracy']:.3f} | {r['balanced_accuracy']:.3f} | {r['macro_f1']:.3f} | {m['chance_accuracy']:.3f} | {m['n_samples']} |\")"
}
echo "| features | accuracy | balanced | macro F1 | chance | samples |"
echo "|---|---|---|---|---|---|"
row signature signature
row embedding_base_final embedding "$work/embed_base_final"
row embedding_base_layer1 embedding "$work/embed_base_layer1"
row embedding_finetuned_final embedding "$work/embed_finetuned_final"
