#!/usr/bin/python3
"""Compares two oncolm output trees (windows/, embed/, classify/, score/, breakpoints/, report_data/)
stage by stage, as workflow/test_workflow.sh needs: the workflow's outputs must be those of the plain
commands. Exit status 1 and one line per difference when they differ.

What counts as the same (and why):
- windows: every FASTA/TSV identical after decompressing (BGZF blocks could legitimately differ in
  principle; the content is what later stages read), the .fai indexes and manifest.tsv byte for byte,
  stats.json and <sample>.stats.json equal as JSON once provenance that names how the command was
  run is set aside: command lines (the workflow runs `windows --sample` + `windows merge`, the plain
  run one `windows` call) and file paths, which are compared after resolving them (relative ones
  against --base-a/--base-b, the directories the runs were started in).
- classify: metrics.json equal as JSON, predictions.tsv and features.tsv byte for byte.
- score, breakpoints: every <sample>.scores.tsv / <sample>.breakpoints.tsv byte for byte.
- embed: every <name>.emb.tsv byte for byte; <name>.emb.npy same shape and dtype and every value within
  --tolerance (default 1e-5: the runs use the same thread count, so any difference would be noise
  from scheduling, not a different computation).
- report_data (when both have it): every figure's TSV byte for byte.
Provenance files (embed.json, score.json, breakpoints.json, classify.json) hold command lines,
paths and times only, and are not compared.
Only the Python standard library (the .npy reader is below), so Debian's /usr/bin/python3 suffices.
"""
import argparse
import ast
import gzip
import json
import os
import struct
import sys

problems = []


def problem(message):
    problems.append(message)


def files(directory, suffix):
    if not os.path.isdir(directory):
        return set()
    return {name for name in os.listdir(directory) if name.endswith(suffix)}


def same_names(stage, a_dir, b_dir, suffix):
    a, b = files(a_dir, suffix), files(b_dir, suffix)
    if not a and not b:
        problem(f"{stage}: no *{suffix} in either {a_dir} or {b_dir}")
    for name in sorted(a - b):
        problem(f"{stage}: {name} only in {a_dir}")
    for name in sorted(b - a):
        problem(f"{stage}: {name} only in {b_dir}")
    return sorted(a & b)


def read_bytes(path, decompress=False):
    with (gzip.open(path, "rb") if decompress else open(path, "rb")) as handle:
        return handle.read()


def compare_bytes(stage, a_dir, b_dir, suffix, decompress=False):
    names = same_names(stage, a_dir, b_dir, suffix)
    for name in names:
        a = read_bytes(os.path.join(a_dir, name), decompress)
        b = read_bytes(os.path.join(b_dir, name), decompress)
        if a != b:
            a_lines, b_lines = a.splitlines(), b.splitlines()
            first = next((i for i, (x, y) in enumerate(zip(a_lines, b_lines)) if x != y), min(len(a_lines), len(b_lines)))
            problem(f"{stage}: {name} differs (first at line {first + 1}; {len(a_lines)} vs {len(b_lines)} lines)")
    return len(names)


# Keys under "provenance" that say how the command was called, not what it computed.
INVOCATION_KEYS = {"command_line", "sample_command_lines", "git_hash"}
PATH_KEYS = {"reference"}


def resolve(path, base):
    if not isinstance(path, str) or not path:
        return path
    return os.path.realpath(os.path.join(base, path))


def normalise_stats(data, base):
    data = json.loads(json.dumps(data))  # a copy
    provenance = data.get("provenance")
    if isinstance(provenance, dict):
        for key in INVOCATION_KEYS:
            provenance.pop(key, None)
        for key in PATH_KEYS:
            if key in provenance:
                provenance[key] = resolve(provenance[key], base)
    # Per-sample stats: the sheet's input files, resolved as the command resolved them.
    if isinstance(data.get("inputs"), dict):
        data["inputs"] = {key: resolve(value, base) for key, value in data["inputs"].items()}
    return data


def json_diff(a, b, path=""):
    if isinstance(a, dict) and isinstance(b, dict):
        for key in sorted(set(a) | set(b)):
            if key not in a or key not in b:
                yield f"{path}/{key} only in {'b' if key not in a else 'a'}"
            else:
                yield from json_diff(a[key], b[key], f"{path}/{key}")
    elif isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        for index, (x, y) in enumerate(zip(a, b)):
            yield from json_diff(x, y, f"{path}[{index}]")
    elif a != b:
        yield f"{path}: {json.dumps(a)[:80]} vs {json.dumps(b)[:80]}"


def compare_json(stage, a_path, b_path, base_a, base_b, normalise=True):
    try:
        a = json.load(open(a_path))
        b = json.load(open(b_path))
    except (OSError, ValueError) as error:
        problem(f"{stage}: {error}")
        return
    if normalise:
        a, b = normalise_stats(a, base_a), normalise_stats(b, base_b)
    for line in list(json_diff(a, b))[:10]:
        problem(f"{stage}: {os.path.basename(a_path)}: {line}")


def read_npy(path):
    """(dtype, shape, values) of a little-endian float32/float16/float64 C-order .npy file."""
    with open(path, "rb") as handle:
        if handle.read(6) != b"\x93NUMPY":
            raise ValueError(f"{path}: not a .npy file")
        major = handle.read(2)[0]
        (length,) = struct.unpack("<H" if major == 1 else "<I", handle.read(2 if major == 1 else 4))
        header = ast.literal_eval(handle.read(length).decode("latin1"))
        data = handle.read()
    codes = {"<f4": "f", "<f2": "e", "<f8": "d"}
    if header["descr"] not in codes or header["fortran_order"]:
        raise ValueError(f"{path}: unsupported dtype {header['descr']}")
    count = 1
    for size in header["shape"]:
        count *= size
    values = struct.unpack(f"<{count}{codes[header['descr']]}", data[: count * struct.calcsize(codes[header['descr']])])
    return header["descr"], tuple(header["shape"]), values


def compare_embeddings(a_dir, b_dir, tolerance):
    names = same_names("embed", a_dir, b_dir, ".emb.npy")
    worst = 0.0
    for name in names:
        try:
            a_type, a_shape, a = read_npy(os.path.join(a_dir, name))
            b_type, b_shape, b = read_npy(os.path.join(b_dir, name))
        except (OSError, ValueError, SyntaxError) as error:
            problem(f"embed: {error}")
            continue
        if (a_type, a_shape) != (b_type, b_shape):
            problem(f"embed: {name}: {a_type} {a_shape} vs {b_type} {b_shape}")
            continue
        diff = max((abs(x - y) for x, y in zip(a, b)), default=0.0)
        worst = max(worst, diff)
        if not diff <= tolerance:  # also catches NaN
            problem(f"embed: {name}: largest difference {diff:.3g} > {tolerance:g}")
    return len(names), worst


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("a", help="first output directory (windows/, embed/, ... inside)")
    parser.add_argument("b", help="second output directory")
    parser.add_argument("--base-a", default=".", help="directory the first run resolved relative paths against")
    parser.add_argument("--base-b", default=".", help="directory the second run resolved relative paths against")
    parser.add_argument("--tolerance", type=float, default=1e-5, help="largest embedding difference")
    parser.add_argument("--no-report", action="store_true", help="do not compare report_data/")
    args = parser.parse_args()

    summary = []
    wa, wb = os.path.join(args.a, "windows"), os.path.join(args.b, "windows")
    n = compare_bytes("windows", wa, wb, ".fa.gz", decompress=True)
    n += compare_bytes("windows", wa, wb, ".tsv.gz", decompress=True)
    n += compare_bytes("windows", wa, wb, ".fai")
    n += compare_bytes("windows", wa, wb, "manifest.tsv")
    summary.append(f"windows {n} files")
    stats = same_names("windows", wa, wb, "stats.json")
    for name in stats:
        compare_json("windows", os.path.join(wa, name), os.path.join(wb, name), args.base_a, args.base_b)
    summary.append(f"{len(stats)} stats.json")

    ca, cb = os.path.join(args.a, "classify"), os.path.join(args.b, "classify")
    compare_json("classify", os.path.join(ca, "metrics.json"), os.path.join(cb, "metrics.json"),
                 args.base_a, args.base_b, normalise=False)
    for name in ("predictions.tsv", "features.tsv"):
        compare_bytes("classify", ca, cb, name)
    summary.append("classify metrics, predictions, features")

    n = compare_bytes("score", os.path.join(args.a, "score"), os.path.join(args.b, "score"), ".scores.tsv")
    summary.append(f"score {n} TSVs")
    n = compare_bytes("breakpoints", os.path.join(args.a, "breakpoints"), os.path.join(args.b, "breakpoints"),
                      ".breakpoints.tsv")
    summary.append(f"breakpoints {n} TSVs")
    ea, eb = os.path.join(args.a, "embed"), os.path.join(args.b, "embed")
    n = compare_bytes("embed", ea, eb, ".emb.tsv")
    m, worst = compare_embeddings(ea, eb, args.tolerance)
    summary.append(f"embed {n} TSVs, {m} arrays (largest difference {worst:.3g})")
    if not args.no_report:
        n = compare_bytes("report", os.path.join(args.a, "report_data"), os.path.join(args.b, "report_data"), ".tsv")
        summary.append(f"report {n} figure TSVs")

    label = f"{args.a} vs {args.b}"
    if problems:
        print(f"DIFFERENT: {label}", file=sys.stderr)
        for line in problems:
            print(f"  {line}", file=sys.stderr)
        return 1
    print(f"same: {label}: " + "; ".join(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
