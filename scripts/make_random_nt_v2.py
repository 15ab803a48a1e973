#!/usr/bin/env python3
"""Write a random-initialised NT-v2-architecture model directory (Hugging Face layout) with the
Python standard library only (no torch): the same tensor names and shapes as EsmForMaskedLM with
NT v2's rotary positions and bias-free SwiGLU feed-forward (compare models/nt-v2-tiny-random, which
was written by tests/data/nt/make_nt_fixtures.py with transformers). Initialisation as BERT/ESM:
matrices and embeddings N(0, 0.02), biases 0, LayerNorm weight 1 and bias 0.

Usage: make_random_nt_v2.py [--pool N] OUT_DIR VOCAB_DIR HIDDEN LAYERS HEADS FFN [SEED [PRIOR_FASTA]]
--pool N: draw N normal values once and tile every matrix from them (seconds instead of minutes for
NT-v2-50m and larger shapes; for speed benchmarks only, where the weights' values do not matter).
VOCAB_DIR supplies vocab.txt, tokenizer_config.json and special_tokens_map.json (the NT v2 vocabulary).
PRIOR_FASTA: the MLM output bias starts at the log frequencies of the 6-mers of this FASTA (records cut
into 6-mers from their start, add-one smoothing; other tokens get the smallest of these), so that the
untrained model predicts the training token frequencies, the usual initialisation of an output bias to
the log prior; without it the bias starts at 0."""
import array, json, math, os, random, shutil, struct, sys

pool = None
if "--pool" in sys.argv:
    at = sys.argv.index("--pool")
    pool_size = int(sys.argv[at + 1])
    del sys.argv[at:at + 2]
if len(sys.argv) < 7:
    sys.exit(__doc__)
out, vocab_dir = sys.argv[1], sys.argv[2]
H, L, NH, FF = (int(x) for x in sys.argv[3:7])
seed = int(sys.argv[7]) if len(sys.argv) > 7 else 1
if H % NH or (H // NH) % 2:
    sys.exit("hidden size must split into heads of even size")
vocab = [line.rstrip("\n") for line in open(os.path.join(vocab_dir, "vocab.txt"))]
V = len(vocab)
rng = random.Random(seed)
if "pool_size" in globals():
    pool = [rng.gauss(0.0, 0.02) for _ in range(pool_size)]

tensors = {}  # name -> (shape, list of floats)
def normal(name, *shape):
    n = math.prod(shape)
    if pool is not None:
        start = rng.randrange(len(pool))
        values = (pool[start:] + pool[:start]) * (n // len(pool) + 1)
        tensors[name] = (list(shape), values[:n])
        return
    tensors[name] = (list(shape), [rng.gauss(0.0, 0.02) for _ in range(n)])
def const(name, value, *shape):
    tensors[name] = (list(shape), [value] * math.prod(shape))

normal("esm.embeddings.word_embeddings.weight", V, H)
for i in range(L):
    p = f"esm.encoder.layer.{i}."
    for t in ("query", "key", "value"):
        normal(p + f"attention.self.{t}.weight", H, H)
        const(p + f"attention.self.{t}.bias", 0.0, H)
    normal(p + "attention.output.dense.weight", H, H)
    const(p + "attention.output.dense.bias", 0.0, H)
    for ln in ("attention.LayerNorm", "LayerNorm"):
        const(p + ln + ".weight", 1.0, H)
        const(p + ln + ".bias", 0.0, H)
    normal(p + "intermediate.dense.weight", 2 * FF, H)  # SwiGLU: SiLU(first half) * second half
    normal(p + "output.dense.weight", H, FF)
const("esm.encoder.emb_layer_norm_after.weight", 1.0, H)
const("esm.encoder.emb_layer_norm_after.bias", 0.0, H)
d = H // NH
tensors["esm.rotary_embeddings.inv_freq"] = ([d // 2], [1.0 / (10000 ** (k / d)) for k in range(0, d, 2)])
normal("esm.contact_head.regression.weight", 1, L * NH)
const("esm.contact_head.regression.bias", 0.0, 1)
normal("lm_head.dense.weight", H, H)
const("lm_head.dense.bias", 0.0, H)
const("lm_head.layer_norm.weight", 1.0, H)
const("lm_head.layer_norm.bias", 0.0, H)
normal("lm_head.decoder.weight", V, H)
const("lm_head.bias", 0.0, V)
if len(sys.argv) > 8:
    counts, seq = {}, []
    def flush():
        text = "".join(seq)
        for i in range(0, len(text) - len(text) % 6, 6):
            counts[text[i:i + 6]] = counts.get(text[i:i + 6], 0) + 1
    with open(sys.argv[8]) as f:
        for line in f:
            if line.startswith(">"):
                flush()
                seq = []
            else:
                seq.append(line.strip().upper())
    flush()
    kmers = [t for t in vocab if len(t) == 6 and set(t) <= set("ACGT")]
    total = sum(counts.get(k, 0) for k in kmers) + len(kmers)
    logp = {k: math.log((counts.get(k, 0) + 1) / total) for k in kmers}
    floor = min(logp.values())
    tensors["lm_head.bias"] = ([V], [logp.get(t, floor) for t in vocab])

os.makedirs(out, exist_ok=True)
header, blobs, offset = {"__metadata__": {"format": "pt"}}, [], 0
for name in sorted(tensors):
    shape, values = tensors[name]
    blob = array.array("f", values)
    if sys.byteorder != "little":
        blob.byteswap()
    data = blob.tobytes()
    header[name] = {"dtype": "F32", "shape": shape, "data_offsets": [offset, offset + len(data)]}
    blobs.append(data)
    offset += len(data)
head = json.dumps(header, separators=(",", ":")).encode()
head += b" " * (-len(head) % 8)
with open(os.path.join(out, "model.safetensors"), "wb") as f:
    f.write(struct.pack("<Q", len(head)))
    f.write(head)
    for data in blobs:
        f.write(data)

config = {"architectures": ["EsmForMaskedLM"], "hidden_size": H, "num_hidden_layers": L,
          "num_attention_heads": NH, "intermediate_size": FF, "layer_norm_eps": 1e-12,
          "pad_token_id": 1, "mask_token_id": 2, "emb_layer_norm_before": False,
          "hidden_dropout_prob": 0.0, "attention_probs_dropout_prob": 0.0, "tie_word_embeddings": False,
          "vocab_size": V, "max_position_embeddings": 2050, "position_embedding_type": "rotary",
          "token_dropout": False, "torch_dtype": "float32", "add_bias_fnn": False}
with open(os.path.join(out, "config.json"), "w") as f:
    json.dump(config, f, indent=2)
    f.write("\n")
for name in ("vocab.txt", "tokenizer_config.json", "special_tokens_map.json"):
    shutil.copyfile(os.path.join(vocab_dir, name), os.path.join(out, name))
print(f"make_random_nt_v2.py: {out}: hidden {H}, {L} layers, {NH} heads, FFN {FF}, vocabulary {V}, "
      f"{sum(math.prod(s) for s, _ in tensors.values()):,} parameters")
