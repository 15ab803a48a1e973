#!/usr/bin/env python3
"""scikit-learn's StratifiedGroupKFold(n_splits, shuffle=False) folds for cohorts read from a file.

Each input line: comma-separated class labels, ';', comma-separated donor ids, ';', the fold count.
Each output line: the test fold of every sample, comma-separated, in input order (what
oncolm's stratified_group_kfold returns). Used by tests/downstream/cv_metrics_test.cpp.
"""
import sys

import numpy as np
from sklearn.model_selection import StratifiedGroupKFold


def folds_of(labels, groups, n_splits):
    fold = [-1] * len(labels)
    splitter = StratifiedGroupKFold(n_splits=n_splits, shuffle=False)
    for index, (_, test) in enumerate(splitter.split(np.zeros(len(labels)), labels, groups)):
        for i in test:
            fold[i] = index
    return fold


def main():
    with open(sys.argv[1]) as cases:
        for line in cases:
            if not line.strip():
                continue
            y, g, n = line.rstrip("\n").split(";")
            labels = [int(v) for v in y.split(",")]
            print(",".join(str(f) for f in folds_of(labels, g.split(","), int(n))))


if __name__ == "__main__":
    main()
