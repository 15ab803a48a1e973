#!/usr/bin/env python3
"""Refits `oncolm classify cv`'s logistic regression with scikit-learn on the same features and folds.

Reads OUT/features.tsv and OUT/predictions.tsv of a `classify cv` run, takes the rows of one
feature set and model `logreg`, and for each fold fits StandardScaler + LogisticRegression(C,
multi_class="multinomial", solver="lbfgs") on the other folds (tight tolerance, so both reach the
optimum of the same convex objective). Prints the cross-validated accuracy of both, their
difference and the fraction of samples whose predicted class agrees; exits 1 when the accuracy
differs by more than --max-accuracy-difference or the agreement is below --min-agreement. With
--check-folds, also checks that the folds equal StratifiedGroupKFold(shuffle=False) on donor_id
(for a run with --no-shuffle).
"""
import argparse
import sys

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedGroupKFold
from sklearn.preprocessing import StandardScaler

PREFIXES = {"signature": ("sbs:", "id:", "dbs:", "sv:", "log_count:"), "density": ("density:",), "embedding": ("emb:",)}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", required=True, help="classify cv output directory")
    parser.add_argument("--feature-set", default="signature")
    parser.add_argument("--C", type=float, default=1.0)
    parser.add_argument("--max-accuracy-difference", type=float, default=0.02)
    parser.add_argument("--min-agreement", type=float, default=0.97)
    parser.add_argument("--check-folds", action="store_true")
    args = parser.parse_args()

    features = pd.read_csv(args.out + "/features.tsv", sep="\t", index_col="sample_id")
    predictions = pd.read_csv(args.out + "/predictions.tsv", sep="\t")
    rows = predictions[(predictions.feature_set == args.feature_set) & (predictions.model == "logreg")]
    rows = rows.reset_index(drop=True)
    sets = args.feature_set.split("+")
    columns = [c for c in features.columns if any(c.startswith(p) for s in sets for p in PREFIXES[s])]
    x = features.loc[rows.sample_id, columns].to_numpy(dtype=float)
    y = rows["true"].to_numpy()
    classes = sorted(set(y))
    prob_columns = ["prob_" + c for c in classes]
    ours_proba = rows[prob_columns].to_numpy()

    theirs = np.empty(len(rows), dtype=object)
    theirs_proba = np.zeros((len(rows), len(classes)))
    for fold in sorted(rows.fold.unique()):
        test = (rows.fold == fold).to_numpy()
        scaler = StandardScaler().fit(x[~test])
        model = LogisticRegression(C=args.C, multi_class="multinomial", solver="lbfgs", max_iter=20000, tol=1e-10)
        model.fit(scaler.transform(x[~test]), y[~test])
        theirs[test] = model.predict(scaler.transform(x[test]))
        p = model.predict_proba(scaler.transform(x[test]))
        for j, c in enumerate(model.classes_):
            theirs_proba[test, classes.index(c)] = p[:, j]

    ours_accuracy = float(np.mean(rows.predicted.to_numpy() == y))
    theirs_accuracy = float(np.mean(theirs == y))
    agreement = float(np.mean(theirs == rows.predicted.to_numpy()))
    max_proba_difference = float(np.max(np.abs(theirs_proba - ours_proba)))
    print("feature_set=%s samples=%d features=%d oncolm_accuracy=%.4f sklearn_accuracy=%.4f difference=%.4f "
          "agreement=%.4f max_probability_difference=%.2e" %
          (args.feature_set, len(rows), len(columns), ours_accuracy, theirs_accuracy,
           abs(ours_accuracy - theirs_accuracy), agreement, max_proba_difference))
    ok = abs(ours_accuracy - theirs_accuracy) <= args.max_accuracy_difference and agreement >= args.min_agreement
    if args.check_folds:
        splitter = StratifiedGroupKFold(n_splits=rows.fold.nunique(), shuffle=False)
        expected = np.empty(len(rows), dtype=int)
        for fold, (_, test) in enumerate(splitter.split(x, y, rows.donor_id.to_numpy())):
            expected[test] = fold
        same_folds = bool(np.all(expected == rows.fold.to_numpy()))
        print("folds_equal_sklearn_StratifiedGroupKFold=%s" % same_folds)
        ok = ok and same_folds
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
