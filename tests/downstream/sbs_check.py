#!/usr/bin/env python3
"""Recomputes the SBS-96 proportions of `oncolm classify`'s features.tsv from the reference genome.

For every sample of a windows directory: each SNV of its windows TSV is looked up in the reference
FASTA (plain/gzip/bgzip) at norm_pos, its trinucleotide taken from the reference (not the window)
and pyrimidine-centred; the proportions are compared with the `sbs:` columns of features.tsv.
Prints the number of samples and of mismatching cells; exits 1 on any mismatch.
"""
import csv
import gzip
import sys

import pandas as pd

COMPLEMENT = {"A": "T", "C": "G", "G": "C", "T": "A"}


def main(windows, features_path, reference):
    sequences, name, parts = {}, None, []
    with gzip.open(reference, "rt") as handle:
        for line in handle:
            if line.startswith(">"):
                if name:
                    sequences[name] = "".join(parts)
                name, parts = line[1:].split()[0], []
            else:
                parts.append(line.strip())
    sequences[name] = "".join(parts)
    features = pd.read_csv(features_path, sep="\t", index_col="sample_id")
    columns = [c for c in features.columns if c.startswith("sbs:")]
    with open(windows + "/manifest.tsv") as handle:
        manifest = list(csv.DictReader(handle, delimiter="\t"))
    mismatches = 0
    for sample in manifest:
        counts = {}
        with gzip.open(windows + "/" + sample["tsv"], "rt") as handle:
            for row in csv.DictReader(handle, delimiter="\t"):
                if row["type"] != "snv":
                    continue
                p = int(row["norm_pos"]) - 1
                tri, alt = sequences[row["chrom"]][p - 1:p + 2].upper(), row["norm_alt"]
                if tri[1] in "AG":
                    tri, alt = "".join(COMPLEMENT[b] for b in reversed(tri)), COMPLEMENT[alt]
                key = "sbs:%s[%s>%s]%s" % (tri[0], tri[1], alt, tri[2])
                counts[key] = counts.get(key, 0) + 1
        total = sum(counts.values())
        for column in columns:
            expected = counts.get(column, 0) / total if total else 0.0
            mismatches += abs(features.loc[sample["sample_id"], column] - expected) > 1e-9
    print("sbs96_samples=%d sbs96_mismatches=%d" % (len(manifest), mismatches))
    return 1 if mismatches else 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:4]))
