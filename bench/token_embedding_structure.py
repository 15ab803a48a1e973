#!/usr/bin/env python3
"""Does a model's token embedding carry base-level structure? For a substitution X>Y at position k of a
6-mer, takes 400 random 6-mers with X at k and the embedding difference E[6-mer with Y] - E[6-mer with X];
prints |mean difference| / mean |difference|: near 1 when the substitution moves every token the same way
(the ALT-REF differences of many variants then add up to a spectrum), about 1/sqrt(400) = 0.05 when the
directions are random; the same for pairs of random 6-mers as the reference. numpy only.

usage: bench/token_embedding_structure.py MODEL_DIR"""
import json
import struct
import sys

import numpy as np

if len(sys.argv) != 2:
    sys.exit(__doc__)
model = sys.argv[1]
blob = open(f"{model}/model.safetensors", "rb").read()
header_size = struct.unpack("<Q", blob[:8])[0]
header = json.loads(blob[8:8 + header_size])
name = next(k for k in header if k.endswith("word_embeddings.weight"))
entry = header[name]
assert entry["dtype"] == "F32", f"{name}: {entry['dtype']}, expected F32"
begin, end = entry["data_offsets"]
embedding = np.frombuffer(blob[8 + header_size + begin:8 + header_size + end], dtype=np.float32).reshape(entry["shape"])
index = {token: i for i, token in enumerate(open(f"{model}/vocab.txt").read().split("\n"))}
rng = np.random.default_rng(0)


def consistency(differences):
    d = np.array(differences)
    return np.linalg.norm(d.mean(0)) / np.linalg.norm(d, axis=1).mean()


def random_kmer():
    return list(rng.choice(list("ACGT"), 6))


print(f"{model} ({name}, {embedding.shape[0]} x {embedding.shape[1]})")
for ref, alt in [("C", "T"), ("C", "A"), ("T", "C"), ("T", "A")]:
    row = []
    for position in (0, 2, 5):
        differences = []
        for _ in range(400):
            kmer = random_kmer()
            kmer[position] = ref
            mutated = kmer.copy()
            mutated[position] = alt
            differences.append(embedding[index["".join(mutated)]] - embedding[index["".join(kmer)]])
        row.append(f"position {position + 1}: {consistency(differences):.3f}")
    print(f"{ref}>{alt}  " + "  ".join(row))
pairs = [embedding[index["".join(random_kmer())]] - embedding[index["".join(random_kmer())]] for _ in range(400)]
print(f"random pairs of 6-mers: {consistency(pairs):.3f}")
