#!/usr/bin/env python3
"""Compares two `oncolm score` output directories (e.g. CPU and CUDA runs of the same windows): the
same rows, and every score within TOLERANCE relative to the larger magnitude (absolute below 1).
usage: compare_scores.py DIR_A DIR_B TOLERANCE"""
import csv, glob, os, sys

a_dir, b_dir, tolerance = sys.argv[1], sys.argv[2], float(sys.argv[3])
columns = ("llr", "cosine_mean", "l2_mean", "cosine_variant", "l2_variant")
worst, values = 0.0, 0
for path in sorted(glob.glob(os.path.join(a_dir, "*.scores.tsv"))):
    other = os.path.join(b_dir, os.path.basename(path))
    rows_a = list(csv.DictReader(open(path), delimiter="\t"))
    rows_b = list(csv.DictReader(open(other), delimiter="\t"))
    if len(rows_a) != len(rows_b):
        sys.exit(f"{path}: {len(rows_a)} rows, {other}: {len(rows_b)}")
    for x, y in zip(rows_a, rows_b):
        for column in columns:
            if x[column] == "." or y[column] == ".":
                if x[column] != y[column]:
                    sys.exit(f"{path}: {column} scored in one run only")
                continue
            a, b = float(x[column]), float(y[column])
            worst = max(worst, abs(a - b) / max(1.0, abs(a), abs(b)))
            values += 1
print(f"{values} scores compared, largest relative difference {worst:.2e} (tolerance {tolerance:g})")
sys.exit(0 if values > 0 and worst <= tolerance else 1)
