#!/usr/bin/env python3
"""Writes MODEL_DIR/README.md for the model made by scripts/pretrain_small_model.sh from its work
directory: the command, the data, the training curve and the held-out comparison with the 6-mer
frequency baseline. Prints the comparison; exit status 1 when the model does not beat the baseline.

Usage: pretrain_report.py WORK_DIR MODEL_DIR FASTA TRAIN_SECONDS"""
import json, os, sys

if len(sys.argv) != 5:
    sys.exit(__doc__)
work, model, fasta, seconds = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
records = lambda path: [json.loads(line) for line in open(path)]
def first_validation(path):
    return next(r for r in records(path) if r["split"] == "validation")
run = json.load(open(f"{work}/run/train.json"))
config = json.load(open(f"{model}/config.json"))
windows = json.load(open(f"{work}/windows.json"))
base = json.load(open(f"{work}/baseline.json"))
final = first_validation(f"{work}/heldout-eval-run/metrics.jsonl")
init = first_validation(f"{work}/heldout-eval-init/metrics.jsonl")
held_eval = json.load(open(f"{work}/heldout-eval-run/train.json"))["split"]
metrics = records(f"{work}/run/metrics.jsonl")
batch_tokens = run["config"]["batch-tokens"]
train = {r["step"]: r for r in metrics if r["split"] == "train"}
valid = [r for r in metrics if r["split"] == "validation"]
beats = final["mlm_perplexity"] < base["perplexity"] and final["mlm_accuracy"] > base["most_frequent_accuracy"]
h0, h1 = windows["heldout"]

rows = []
for v in valid:
    t = train.get(v["step"])
    rows.append(f"| {v['step']} | {t['mlm_loss']:.4f} | " if t else f"| {v['step']} | - | ")
    rows[-1] += f"{v['mlm_loss']:.4f} | {v['mlm_perplexity']:.0f} | {v['mlm_accuracy']:.4f} |"
train_rows = [f"| {s} | {r['mlm_loss']:.4f} | {r['mlm_accuracy']:.4f} | {r['lr']:.2e} | {r['tokens_per_s']:.0f} |"
              for s, r in sorted(train.items())]

text = f"""# nt-v2-small-grch37

A {run['model']['parameters']:,}-parameter model with the NT v2 architecture ({config['num_hidden_layers']} layers,
hidden {config['hidden_size']}, {config['num_attention_heads']} heads, SwiGLU FFN {config['intermediate_size']}, rotary
positions, the real NT v2 vocabulary of {config['vocab_size']:,} tokens), pre-trained from random weights by masked
language modelling with `oncolm train` on the real GRCh37 chromosome 20 (`GRCh37.chr20.fa.gz`, the complete
chromosome from Debian's `vt-examples` package, `/usr/share/doc/vt-examples`), {h0 // 1_000_000}-{h1 // 1_000_000} Mb held out.
Hugging Face layout: `oncolm model info`, `oncolm embed --model` and `oncolm train --model` load it. It is
small and trained for half an hour on one chromosome: enough for the demo and tests to run on weights that have
learnt something of DNA (the held-out comparison below), no substitute for a published NT checkpoint.

## How it was made

    scripts/pretrain_small_model.sh {fasta} {work}

(CPU, `--threads 2`; the training step took {seconds // 60} min {seconds % 60} s on this 2-core VM, shared with
other jobs at the time.) The script
1. cuts chr20 into consecutive windows of random length (multiples of 6 from 1,002 to 3,000 bp, so every token
   is a 6-mer; windows holding N dropped): {windows['train_windows']:,} training windows ({windows['train_bp']:,} bp)
   and {windows['heldout_windows']:,} held-out windows ({windows['heldout_bp']:,} bp) in chr20:{h0 + 1:,}-{h1:,}
   (`scripts/pretrain_data.py windows`);
2. writes the random start with `scripts/make_random_nt_v2.py` (standard library only: matrices and embeddings
   N(0, 0.02), biases 0, LayerNorm 1/0; the tensor names and shapes of `models/nt-v2-tiny-random`, which was
   written by `tests/data/nt/make_nt_fixtures.py` with Hugging Face transformers), except that the MLM output
   bias starts at the log 6-mer frequencies of the training windows (the usual initialisation of an output
   bias to the log prior: the start already predicts the training frequencies, so the steps go to context);
3. trains:

       {run['command']}

   ({run['steps']} steps of {batch_tokens:,} padded tokens, at most {run['steps'] * batch_tokens / 1e6:.1f} M tokens,
   {max(r['epoch'] for r in metrics):.2f} epochs of the training windows). `oncolm train` splits FASTA input by record (a hash of the record name and the seed) and has no option
   for a separate validation file, so the validation set of this run (the curve below) is the
   {run['split']['validation_units']} training-region windows its split held out of training;
4. scores the held-out region: a second `oncolm train` run on the held-out FASTA with `--lr 1e-12 --steps 1
   --validation-fraction 0.95` (one step that changes nothing), whose step-0 evaluation covers
   {held_eval['validation_units']} of the {held_eval['validation_units'] + held_eval['train_units']} held-out windows; the
   same for the random start;
5. computes the 6-mer frequency baseline (`scripts/pretrain_data.py baseline`) and writes this README
   (`scripts/pretrain_report.py`). `training_run.json` and `training_metrics.jsonl` are the run's `train.json` and
   `metrics.jsonl`.

## Held-out region chr20:{h0 + 1:,}-{h1:,} (never trained on)

MLM as NT was trained: 15% of the tokens selected (80% `<mask>`, 10% a random token, 10% unchanged), the
original token predicted; perplexity = exp(cross-entropy over the selected tokens).

| predictor | perplexity | masked accuracy |
|---|---|---|
| random start (output bias = log training 6-mer frequencies) | {init['mlm_perplexity']:,.0f} | {init['mlm_accuracy']:.4f} |
| 6-mer frequency baseline | {base['perplexity']:,.0f} | {base['most_frequent_accuracy']:.4f} |
| **nt-v2-small-grch37** | **{final['mlm_perplexity']:,.0f}** | **{final['mlm_accuracy']:.4f}** |

The baseline predicts every masked token from the 6-mer frequencies of the training windows alone
({base['train_tokens']:,} tokens, add-one smoothing; perplexity = exp of the mean cross-entropy over all
{base['heldout_tokens']:,} held-out tokens, the expectation over random masks); its accuracy is that of always
predicting the most frequent 6-mer, `{base['most_frequent_token']}`. The baseline counts all held-out tokens, the
model's evaluation the masked tokens of 95% of the held-out windows. **The model {'beats' if beats else 'does NOT beat'}
the baseline** (perplexity {final['mlm_perplexity'] / base['perplexity']:.3f}x the baseline's, accuracy
{final['mlm_accuracy'] / base['most_frequent_accuracy']:.2f}x). The margin is what a {run['model']['parameters'] / 1e6:.1f} M-parameter model learns from
context in {run['steps'] * batch_tokens / 1e6:.1f} M tokens.

## Training curve

Validation = the training-region windows held out by the record split (step 0: the random start).

| step | train MLM loss | validation MLM loss | validation perplexity | validation masked accuracy |
|---|---|---|---|---|
""" + "\n".join(rows) + """

Every logged training step:

| step | train MLM loss | train masked accuracy | learning rate | tokens/s |
|---|---|---|---|---|
""" + "\n".join(train_rows) + "\n"
open(f"{model}/README.md", "w").write(text)
print(f"held-out chr20:{h0 + 1}-{h1}: random start perplexity {init['mlm_perplexity']:.1f} accuracy {init['mlm_accuracy']:.4f}; "
      f"6-mer baseline perplexity {base['perplexity']:.1f} accuracy {base['most_frequent_accuracy']:.4f}; "
      f"model perplexity {final['mlm_perplexity']:.1f} accuracy {final['mlm_accuracy']:.4f}: "
      + ("beats the baseline" if beats else "DOES NOT beat the baseline"))
sys.exit(0 if beats else 1)
