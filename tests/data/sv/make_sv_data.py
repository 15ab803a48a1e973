#!/usr/bin/env python3
"""Regenerates the SV test data from files of Debian packages (see /work/shared/data/README.md for
the list; here: vt-examples GRCh37 chr20, smalt-examples GRCh37 chrX 1-69,999,930,
r-bioc-structuralvariantannotation COLO829 SV calls).

usage: make_sv_data.py SOURCE_DIR   (needs bgzip and samtools on PATH)

- ref_20_X.masked.fa.gz: contigs 20 and X with their real lengths (X is the 69,999,930 bp part
  the source holds); every base further than MARGIN from a COLO829 breakend on 20/X is N, so
  coordinates stay real and the file stays small.
- truthset/manta/gridss: the records on 20 and X of the three COLO829 call sets, unchanged except
  that ##contig for X states the length of the X part used here.
"""
import gzip, os, re, subprocess, sys

MARGIN = 4000
src = sys.argv[1]
out = os.path.dirname(os.path.abspath(__file__))
X_PART = 69999930
CALL_SETS = [("truthset_somaticSVs_COLO829.vcf", "truthset.20_X.vcf"),
             ("colo829_somatic_manta.vcf", "manta.20_X.vcf"),
             ("colo829_somatic_gridss.vcf.gz", "gridss.20_X.vcf")]

def lines(path):
    return (gzip.open if path.endswith(".gz") else open)(path, "rt")

def read_fasta(path):
    seq = []
    for line in lines(path):
        if not line.startswith(">"):
            seq.append(line.strip())
    return "".join(seq)

breakends = {"20": [], "X": []}
for source, target in CALL_SETS:
    with open(os.path.join(out, target), "w") as vcf:
        for line in lines(os.path.join(src, source)):
            if line.startswith("##contig=<ID=X,"):
                line = re.sub(r"length=\d+", f"length={X_PART}", line)
            if line.startswith("#"):
                vcf.write(line)
                continue
            f = line.split("\t")
            if f[0] not in breakends or (f[0] == "X" and int(f[1]) > X_PART):
                continue
            vcf.write(line)
            breakends[f[0]].append(int(f[1]))
            for mate_chrom, mate_pos in re.findall(r"[\[\]]([^:\[\]]+):(\d+)[\[\]]", f[4]):
                if mate_chrom in breakends:
                    breakends[mate_chrom].append(int(mate_pos))
            end = re.search(r"(?:^|;)END=(\d+)", f[7])
            if end:
                breakends[f[0]].append(int(end.group(1)))

sources = {"20": "GRCh37.chr20.fa.gz", "X": "GRCh37.chrX_1-69999930.fa.gz"}
fasta = os.path.join(out, "ref_20_X.masked.fa")
with open(fasta, "w") as ref:
    for chrom in ("20", "X"):
        seq = read_fasta(os.path.join(src, sources[chrom]))
        keep = bytearray(b"N" * len(seq))
        for pos in breakends[chrom]:
            lo, hi = max(0, pos - MARGIN), min(len(seq), pos + MARGIN)
            keep[lo:hi] = seq[lo:hi].encode()
        ref.write(f">{chrom}\n")
        for i in range(0, len(keep), 60):
            ref.write(keep[i:i + 60].decode() + "\n")
subprocess.run(["bgzip", "-f", "-@2", fasta], check=True)
subprocess.run(["samtools", "faidx", fasta + ".gz"], check=True)
subprocess.run(["bgzip", "-f", os.path.join(out, "gridss.20_X.vcf")], check=True)
