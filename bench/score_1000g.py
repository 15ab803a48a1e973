#!/usr/bin/env python3
"""Reads bench/score_1000g.sh's scores: the LLR distribution of each class (quantiles) and the AUROC
of -llr separating singletons from common SNVs (scikit-learn), with a bootstrap 95% interval."""
import sys

import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score

score_dir = sys.argv[1]
frames = [pd.read_csv(f"{score_dir}/{name}.scores.tsv", sep="\t", na_values=["."]) for name in ("common", "singleton")]
data = pd.concat(frames)
data = data[data["type"] == "snv"].dropna(subset=["llr"])
print(f"{'class':10s} {'n':>5s} {'mean':>8s} {'q05':>8s} {'q25':>8s} {'median':>8s} {'q75':>8s} {'q95':>8s}")
for name, group in data.groupby("sample_id"):
    q = group["llr"].quantile([0.05, 0.25, 0.5, 0.75, 0.95]).to_numpy()
    print(f"{name:10s} {len(group):5d} {group['llr'].mean():8.4f} " + " ".join(f"{v:8.4f}" for v in q))
labels = (data["sample_id"] == "singleton").to_numpy().astype(int)
scores = -data["llr"].to_numpy()
auroc = roc_auc_score(labels, scores)
rng = np.random.default_rng(0)
boot = []
for _ in range(1000):
    pick = rng.integers(0, len(labels), len(labels))
    if labels[pick].min() != labels[pick].max():
        boot.append(roc_auc_score(labels[pick], scores[pick]))
low, high = np.percentile(boot, [2.5, 97.5])
print(f"AUROC (-llr, singleton vs common): {auroc:.3f} (bootstrap 95% {low:.3f}-{high:.3f}), "
      f"{int(labels.sum())} singletons, {int((1 - labels).sum())} common")
