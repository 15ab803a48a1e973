#!/usr/bin/env python3
"""Writes an `oncolm embed`-shaped directory for an `oncolm windows` directory without a model.

For every sample: <name>.emb.tsv (record sample_id allele, in FASTA order: REF then ALT per variant)
and <name>.emb.npy (float32 [records, --hidden]); <name>.sv.* for samples with SV junctions
(REF1 REF2 ALT); and embed.json naming a fake model (--sha256). Values are known functions of the
record's position in its table, so a test can recompute the per-sample means: for small variant
i, REF row = (i % 5) + 0.1 j and ALT row = (i % 7) + j + 10 * type code (snv 0, mnv 1, indel 2);
for junction i, REF1 = REF2 = i % 3 and ALT = 1 + j + (i % 4). Used by the classify tests and the
benchmark (timing does not depend on embedding values).
"""
import argparse
import csv
import gzip
import json
import os

import numpy as np

TYPE_CODE = {"snv": 0, "mnv": 1, "indel": 2}


def rows(path):
    with gzip.open(path, "rt") as handle:
        return list(csv.DictReader(handle, delimiter="\t"))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("windows")
    parser.add_argument("out")
    parser.add_argument("--hidden", type=int, default=8)
    parser.add_argument("--sha256", default="f" * 64)
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    j = np.arange(args.hidden, dtype=np.float32)
    with open(os.path.join(args.windows, "manifest.tsv")) as handle:
        manifest = list(csv.DictReader(handle, delimiter="\t"))
    for sample in manifest:
        name = sample["fasta"][: -len(".windows.fa.gz")]
        table = rows(os.path.join(args.windows, sample["tsv"]))
        records, matrix = [], []
        for i, row in enumerate(table):
            records += [(row["ref_record"], "REF"), (row["alt_record"], "ALT")]
            matrix += [(i % 5) + 0.1 * j, (i % 7) + j + 10 * TYPE_CODE[row["type"]]]
        write(args.out, name, sample["sample_id"], records, matrix, args.hidden)
        sv = rows(os.path.join(args.windows, sample["sv_tsv"]))
        if sv:
            records, matrix = [], []
            for i, row in enumerate(sv):
                records += [(row["ref1_record"], "REF1"), (row["ref2_record"], "REF2"), (row["alt_record"], "ALT")]
                matrix += [np.full(args.hidden, i % 3, np.float32)] * 2 + [1 + j + (i % 4)]
            write(args.out, name + ".sv", sample["sample_id"], records, matrix, args.hidden)
    with open(os.path.join(args.out, "embed.json"), "w") as handle:
        json.dump({"model": {"sha256": args.sha256, "dir": "fake"}, "layer": 2, "pooling": "mean",
                   "dtype": "float32",
                   "truncation": {"max_tokens": 1000,
                                  "policy": "centre: keep the tokens centred on the variant (or the record centre)"}},
                  handle)


def write(out, name, sample_id, records, matrix, hidden):
    with open(os.path.join(out, name + ".emb.tsv"), "w") as handle:
        handle.write("record\tsample_id\tallele\n")
        for record, allele in records:
            handle.write("%s\t%s\t%s\n" % (record, sample_id, allele))
    array = np.array(matrix, dtype=np.float32).reshape(len(records), hidden)
    np.save(os.path.join(out, name + ".emb.npy"), array)


if __name__ == "__main__":
    main()
