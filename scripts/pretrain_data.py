#!/usr/bin/env python3
"""Data and baseline for scripts/pretrain_small_model.sh (Python standard library only).

  pretrain_data.py windows FASTA_GZ CHROM HELD_START HELD_END OUT_DIR [SEED]
      Cuts CHROM of FASTA_GZ into consecutive windows of random length (a multiple of 6 between
      1,002 and 3,000 bp, so the NT v2 tokenizer gives 6-mers only), upper case, dropping every window
      that holds a base other than A/C/G/T. Windows inside [HELD_START, HELD_END) (0-based, end
      excluded) go to OUT_DIR/heldout.fa, all others to OUT_DIR/train.fa; names are CHROM:start-end
      (1-based, inclusive). No window crosses the held-out boundaries.
  pretrain_data.py baseline TRAIN_FA HELDOUT_FA
      The 6-mer frequency baseline on the held-out windows: each token predicted from the 6-mer
      frequencies of the training windows alone (add-one smoothing over the 4,096 6-mers). Prints JSON:
      cross-entropy (nats), perplexity, and the accuracy of always predicting the most frequent 6-mer.
      As every position has the same chance of being masked, the expectation over masked positions is
      the mean over all tokens."""
import collections, gzip, json, math, random, sys


def read_chrom(path, chrom):
    seq, keep = [], False
    with gzip.open(path, "rt") as f:
        for line in f:
            if line.startswith(">"):
                if keep:
                    break
                keep = line[1:].split()[0] == chrom
            elif keep:
                seq.append(line.strip())
    if not seq:
        sys.exit(f"pretrain_data.py: no sequence {chrom} in {path}")
    return "".join(seq).upper()


def windows(args):
    path, chrom, held_start, held_end, out = args[0], args[1], int(args[2]), int(args[3]), args[4]
    rng = random.Random(int(args[5]) if len(args) > 5 else 1)
    seq = read_chrom(path, chrom)
    counts = collections.Counter()
    with open(f"{out}/train.fa", "w") as train, open(f"{out}/heldout.fa", "w") as held:
        for lo, hi, f, kind in ((0, held_start, train, "train"), (held_start, held_end, held, "heldout"),
                                (held_end, len(seq), train, "train")):
            pos = lo
            while pos < hi:
                length = 6 * rng.randint(167, 500)
                end = min(pos + length, hi)
                w = seq[pos:end]
                length_ok = end - pos >= 1002 and (end - pos) % 6 == 0
                if length_ok and w.count("A") + w.count("C") + w.count("G") + w.count("T") == len(w):
                    f.write(f">{chrom}:{pos + 1}-{end}\n")
                    for i in range(0, len(w), 60):
                        f.write(w[i:i + 60] + "\n")
                    counts[kind + "_windows"] += 1
                    counts[kind + "_bp"] += len(w)
                pos = end
    print(json.dumps({"chrom": chrom, "length": len(seq), "heldout": [held_start, held_end], **counts}))


def kmers(path):
    counts, seq = collections.Counter(), []
    def flush():
        s = "".join(seq)
        for i in range(0, len(s) - len(s) % 6, 6):
            counts[s[i:i + 6]] += 1
    with open(path) as f:
        for line in f:
            if line.startswith(">"):
                flush()
                seq = []
            else:
                seq.append(line.strip())
    flush()
    return counts


def baseline(args):
    train, held = kmers(args[0]), kmers(args[1])
    alphabet = [a + b + c + d + e + f for a in "ACGT" for b in "ACGT" for c in "ACGT" for d in "ACGT"
                for e in "ACGT" for f in "ACGT"]
    total = sum(train.values()) + len(alphabet)
    logp = {k: math.log((train[k] + 1) / total) for k in alphabet}
    n = sum(held.values())
    ce = -sum(c * logp[k] for k, c in held.items()) / n
    top = max(alphabet, key=lambda k: train[k])
    print(json.dumps({"train_tokens": sum(train.values()), "heldout_tokens": n, "cross_entropy": ce,
                      "perplexity": math.exp(ce), "most_frequent_token": top,
                      "most_frequent_accuracy": held[top] / n}))


if __name__ == "__main__":
    if len(sys.argv) < 2 or sys.argv[1] not in ("windows", "baseline"):
        sys.exit(__doc__)
    (windows if sys.argv[1] == "windows" else baseline)(sys.argv[2:])
