#!/usr/bin/python3
"""Driver for bench/windows_bench.sh: windows/s and peak memory of `oncolm windows` against
bench/pysam_windows.py on the same real variants, in one run.

usage: run_windows_bench.py --oncolm BIN --vcf VCF --reference FASTA [--repeats 3] [--threads N] [--workdir DIR]
                            [--levels]

The compressor is the floor: `bgzip -l 6` of the same records (one line each, as oncolm writes them
by default) is timed in the same run with -@1 and -@N, and oncolm's ratio to it is printed beside
the ratio to pysam. --levels adds a table of time and output size for --compression-level 1-9.

Peak memory is the child's maximum resident set size from getrusage(RUSAGE_CHILDREN), taken in a fresh
measuring process per run (so one run's peak never hides another's). Wall time is the median of the
repeats. Setup (dropping genotype columns, splitting SNV/MNV and indel files like PCAWG ships them)
is not timed.
"""
import argparse
import gzip
import hashlib
import json
import os
import resource
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))


def measure(cmd, log):
    """Run cmd in a fresh process that reports wall seconds and the peak RSS of its own children."""
    probe = [sys.executable, os.path.abspath(__file__), "--measure-json", "--"] + cmd
    out = subprocess.run(probe, check=True, stdout=subprocess.PIPE, text=True, stderr=log).stdout
    return json.loads(out.strip().splitlines()[-1])


def measure_main(cmd):
    t0 = time.perf_counter()
    rc = subprocess.run(cmd, stdout=sys.stderr).returncode
    wall = time.perf_counter() - t0
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    peak_kib = usage.ru_maxrss  # KiB on Linux
    if rc != 0:
        sys.exit(f"command failed ({rc}): {shlex.join(cmd)}")
    print(json.dumps({"wall_s": wall, "cpu_s": usage.ru_utime + usage.ru_stime, "peak_rss_mib": peak_kib / 1024.0}))


def read_fasta_gz(path):
    """Sequences in file order (names dropped; both tools name records their own way)."""
    seqs, cur = [], []
    with gzip.open(path, "rt") as f:
        for line in f:
            if line.startswith(">"):
                if cur:
                    seqs.append("".join(cur))
                cur = []
            else:
                cur.append(line.strip())
    if cur:
        seqs.append("".join(cur))
    return seqs


def window_digest(seqs):
    """Order-independent digest of (REF, ALT) pairs."""
    pairs = sorted(zip(seqs[0::2], seqs[1::2]))
    h = hashlib.sha256()
    for r, a in pairs:
        h.update(r.encode() + b"\n" + a.encode() + b"\n")
    return len(pairs), h.hexdigest()


def count_rows(tsv_gz):
    with gzip.open(tsv_gz, "rt") as f:
        return sum(1 for _ in f) - 1


def count_rows_of_records(path):
    with open(path, "rb") as f:
        return sum(1 for line in f if line.startswith(b">")) // 2


def level_table(a, sheet, ref, work, log):
    """Wall time (median of repeats) and FASTA + TSV bytes for --compression-level 1..9, 1 thread."""
    print(f"\n{'level':>5} {'wall s':>8} {'FASTA MB':>9} {'TSV MB':>7}")
    for level in range(1, 10):
        walls = []
        for rep in range(a.repeats):
            out = os.path.join(work, f"level{level}_{rep}")
            os.makedirs(out, exist_ok=True)
            cmd = [a.oncolm, "windows", sheet, "--reference", ref, "-o", out, "--threads", "1",
                   "--compression-level", str(level)]
            walls.append(measure(cmd, log)["wall_s"])
            sizes = [os.path.getsize(os.path.join(out, f"bench.windows.{k}")) / 1e6 for k in ("fa.gz", "tsv.gz")]
            shutil.rmtree(out)
        print(f"{level:>5} {statistics.median(walls):>8.2f} {sizes[0]:>9.1f} {sizes[1]:>7.2f}")


def main():
    if len(sys.argv) > 2 and sys.argv[1] == "--measure-json":
        return measure_main(sys.argv[3:])
    ap = argparse.ArgumentParser()
    ap.add_argument("--oncolm", required=True)
    ap.add_argument("--vcf", required=True)
    ap.add_argument("--reference", required=True)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--workdir")
    ap.add_argument("--levels", action="store_true", help="also time --compression-level 1..9 (1 thread)")
    a = ap.parse_args()

    work = a.workdir or tempfile.mkdtemp(prefix="oncolm_windows_bench_")
    os.makedirs(work, exist_ok=True)
    log = open(os.path.join(work, "bench.log"), "w")
    ref = os.path.abspath(a.reference)
    # setup, not timed: sites-only SNV/MNV and indel VCFs, and a one-sample sheet
    snv, ind = os.path.join(work, "bench.snv_mnv.vcf.gz"), os.path.join(work, "bench.indel.vcf.gz")
    for path, sel in ((snv, "-V"), (ind, "-v")):
        subprocess.run(["bcftools", "view", "-G", sel, "indels", "-Oz", "-o", path, a.vcf], check=True, stderr=log)
        subprocess.run(["tabix", "-f", "-p", "vcf", path], check=True, stderr=log)
    sheet = os.path.join(work, "bench_cohort.tsv")
    with open(sheet, "w") as f:
        f.write("sample_id\tdonor_id\ttumour_bam\tnormal_bam\tsnv_vcf\tindel_vcf\tsv_vcf\thistology_abbreviation\n")
        f.write(f"bench\tbench\t\t\t{snv}\t{ind}\t\tNA\n")

    runs = {
        "oncolm windows --threads 1": lambda o: [a.oncolm, "windows", sheet, "--reference", ref, "-o", o,
                                                 "--threads", "1"],
        f"oncolm windows --threads {a.threads}": lambda o: [a.oncolm, "windows", sheet, "--reference", ref, "-o", o,
                                                            "--threads", str(a.threads)],
        "pysam_windows.py (baseline)": lambda o: ["/usr/bin/python3", os.path.join(HERE, "pysam_windows.py"), ref,
                                                  os.path.join(o, "bench"), snv, ind],
    }
    runs["oncolm windows --threads 1 --line-width 60"] = lambda o: [
        a.oncolm, "windows", sheet, "--reference", ref, "-o", o, "--threads", "1", "--line-width", "60"]
    # The records oncolm writes, uncompressed (one line each): what bgzip compresses below.
    records = os.path.join(work, "records.fa")
    setup_out = os.path.join(work, "setup_run")
    subprocess.run([a.oncolm, "windows", sheet, "--reference", ref, "-o", setup_out, "--threads", "1",
                    "--verbosity", "warning"], check=True, stderr=log)
    with gzip.open(os.path.join(setup_out, "bench.windows.fa.gz"), "rb") as src, open(records, "wb") as dst:
        shutil.copyfileobj(src, dst)
    shutil.rmtree(setup_out)
    for t in sorted({1, a.threads}):
        runs[f"bgzip -l 6 -@{t} (same records)"] = lambda o, t=t: [
            "sh", "-c", f"bgzip -l 6 -@{t} -c {shlex.quote(records)} > {shlex.quote(os.path.join(o, 'r.fa.gz'))}"]
    if a.threads == 1:
        del runs["oncolm windows --threads 1"]
    results, digests, counts = {}, {}, {}
    for rep in range(a.repeats):
        for i, (name, make) in enumerate(runs.items()):
            out = os.path.join(work, f"run{rep}_{i}")
            os.makedirs(out, exist_ok=True)
            cmd = make(out)
            m = measure(cmd, log)
            m["cmd"] = cmd
            results.setdefault(name, []).append(m)
            print(f"  [{rep + 1}/{a.repeats}] {name}: {m['wall_s']:.2f} s, {m['peak_rss_mib']:.0f} MiB",
                  file=sys.stderr)
            if rep == 0 and name.startswith("bgzip"):
                counts[name] = counts.get("oncolm windows --threads 1", 0) or count_rows_of_records(records)
            elif rep == 0:  # windows produced, and whether all runs produced the same sequences
                prefix = "bench.windows" if name.startswith("oncolm") else "bench"
                counts[name] = count_rows(os.path.join(out, prefix + ".tsv.gz"))
                digests[name] = window_digest(read_fasta_gz(os.path.join(out, prefix + ".fa.gz")))
            shutil.rmtree(out)

    table = []
    for name, ms in results.items():
        n = counts[name]
        wall = statistics.median(m["wall_s"] for m in ms)
        rss = max(m["peak_rss_mib"] for m in ms)
        cpu = statistics.median(m["cpu_s"] for m in ms)
        table.append((name, n, wall, n / wall, rss, cpu))
    base = next(t for t in table if t[0].startswith("pysam"))
    print()
    print(f"variants: {a.vcf} (genotypes dropped; SNV/MNV and indel files), reference: {a.reference}")
    print(f"{'run':<34} {'windows':>8} {'wall s':>8} {'cpu s':>7} {'windows/s':>10} {'peak MiB':>9} {'speed x':>8} "
          f"{'memory x':>9}")
    for name, n, wall, wps, rss, cpu in table:
        print(f"{name:<34} {n:>8} {wall:>8.2f} {cpu:>7.2f} {wps:>10.0f} {rss:>9.1f} {wps / base[3]:>8.2f} "
              f"{rss / base[4]:>9.2f}")
    by_name = {t[0]: t for t in table}
    for t in sorted({1, a.threads}):
        mine, floor = by_name.get(f"oncolm windows --threads {t}"), by_name.get(f"bgzip -l 6 -@{t} (same records)")
        if mine and floor:
            print(f"oncolm windows --threads {t} / bgzip -l 6 -@{t} of its records: {mine[2] / floor[2]:.2f}x the time")
    same = len({d for d in digests.values()}) == 1
    print(f"identical REF/ALT windows across runs: {'yes' if same else 'NO'} "
          f"({', '.join(f'{k}: {v[0]} pairs' for k, v in digests.items())})")
    print(f"median of {a.repeats} runs (wall and cpu = user+sys); peak = max RSS of the process (getrusage RUSAGE_CHILDREN); "
          f"{os.cpu_count()} CPUs; work dir {work}")
    for name, ms in results.items():
        print(f"  {name}: {shlex.join(ms[0]['cmd'])}")
    if a.levels:
        level_table(a, sheet, ref, work, log)
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
