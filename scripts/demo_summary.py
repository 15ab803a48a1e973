#!/usr/bin/python3
"""Prints what the demo made, read back the way a user would (pandas/numpy one-liners)."""
import sys, glob, os
import numpy as np
import csv, gzip

out = sys.argv[1]

def rows(path):
    with gzip.open(path, "rt") if path.endswith(".gz") else open(path) as f:
        return list(csv.DictReader(f, delimiter="\t"))

tumour = [r for r in rows(f"{out}/windows/manifest.tsv") if r["sample_id"].startswith("TCGA-W5")][0]
print(f"== small-variant windows of {tumour['sample_id']} with tumour/normal read evidence (first 5)")
cols = ["chrom", "norm_pos", "norm_ref", "norm_alt", "type", "offset", "t_depth", "t_alt_count", "t_vaf", "n_depth", "n_alt_count"]
print("\t".join(cols))
for r in rows(f"{out}/windows/{tumour['tsv']}")[:5]:
    print("\t".join(r[c] for c in cols))
colo = [r for r in rows(f"{out}/windows/manifest.tsv") if r["sample_id"] == "COLO829T"][0]
print(f"== SV junctions of COLO829T (all; the INV and TRA junctions are constructed, examples/README.md)")
cols = ["chrom", "pos", "mate_chrom", "mate_pos", "class", "size", "strands", "homseq", "t_split_reads", "t_discordant_pairs", "n_split_reads", "n_discordant_pairs"]
print("\t".join(cols))
for r in rows(f"{out}/windows/{colo['sv_tsv']}"):
    print("\t".join(r[c] for c in cols))
print("== embeddings: np.load(<name>.emb.npy).shape")
for npy in sorted(glob.glob(f"{out}/embed/*.emb.npy")):
    print(f"{os.path.basename(npy)}\t{np.load(npy).shape}")
import json
print(f"== zero-shot scores of {tumour['sample_id']} ({out}/score/<sample>.scores.tsv, first 5; "
      "pandas.read_csv(path, sep='\\t', na_values='.'))")
cols = ["chrom", "norm_pos", "norm_ref", "norm_alt", "type", "llr", "cosine_mean", "cosine_variant", "l2_variant"]
print("\t".join(cols))
safe = tumour["tsv"][: -len(".windows.tsv.gz")]
for r in rows(f"{out}/score/{safe}.scores.tsv")[:5]:
    print("\t".join(r[c] for c in cols))
total = json.load(open(f"{out}/score/score.json"))["total"]
print("== mean llr by type (score.json): " + ", ".join(f"{t} {m['mean']:.4f} (n={m['n']})" for t, m in total["mean_llr"].items())
      + "; skipped: " + ", ".join(f"{k} {v}" for k, v in total["skipped"].items()))
metrics = [json.loads(line) for line in open(f"{out}/train/metrics.jsonl")]
validation = [m for m in metrics if m["split"] == "validation"]
if validation:
    before, after = validation[0], validation[-1]
    fields = [(k, name) for k, name in (("loss", "loss"), ("mlm_loss", "MLM loss"), ("contrastive_loss", "contrastive loss"),
                                         ("alt_ref_distance_ratio", "ALT-REF / unrelated distance")) if k in after]
    print(f"== fine-tuning ({out}/train/metrics.jsonl), validation donors, step {before['step']} -> {after['step']}: "
          + ", ".join(f"{name} {before[k]:.4f} -> {after[k]:.4f}" for k, name in fields))
print("== embeddings with the fine-tuned model: np.load(<name>.emb.npy).shape")
for npy in sorted(glob.glob(f"{out}/embed_finetuned/*.emb.npy")):
    print(f"{os.path.basename(npy)}\t{np.load(npy).shape}")
