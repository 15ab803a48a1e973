#!/usr/bin/env python3
"""Build the oncolm example cohort from the real Debian-packaged data (see make_examples.sh).

usage: make_examples.py DATA_DIR OUT_DIR
       make_examples.py --mask-only DATA_DIR OUT_DIR   (only the masked reference, from OUT_DIR's cohort.tsv,
                                                       VCFs and miniBAMs: run after make_minibams.sh)

Only the Python standard library is used; sequence access and file formats go through
samtools, bcftools, bgzip and tabix (Debian 12 packages samtools, bcftools, tabix).
"""
import gzip
import os
import re
import subprocess
import sys
import tempfile

# ----------------------------------------------------------------------------------------------
# Cohort definition: which real records go into the example, and their labels.
CHOL_MAF = "TCGA-CHOL.bcgsc.hg19.somatic.maf"
# TCGA cholangiocarcinoma tumours whose chr20/chrX(<70 Mb) calls include an indel.
CHOL_SAMPLES = [
    "TCGA-W5-AA39-01A-11D-A417-09",
    "TCGA-WD-A7RX-01A-12D-A417-09",
    "TCGA-3X-AAVC-01A-21D-A417-09",
    "TCGA-ZH-A8Y8-01A-51D-A417-09",
]
CHOL_LABELS = ("Biliary-AdenoCA", "Biliary")
# Somatic mutations of normal (non-cancer) adult stem-cell clones, MutationalPatterns extdata.
# (sample id, file, labels, output style)
TISSUE_SAMPLES = [
    ("colon2", "colon2-sample.vcf", ("Colon-Normal", "Colon/Rectum"), "plain41"),
    # a second clone of colon2's donor: colon1-sample.vcf names the same control sample (PD21928b) in its
    # sample column, so colon1 and colon2 share one donor and one normal miniBAM
    ("colon1", "colon1-sample.vcf", ("Colon-Normal", "Colon/Rectum"), "pcawg42"),
    ("intestine2", "intestine2-sample.vcf", ("SmallIntestine-Normal", "SmallIntestine"), "pcawg42"),
    ("liver2", "liver2-sample.vcf", ("Liver-Normal", "Liver"), "pcawg42"),
    ("blood-AC", "blood-AC.vcf", ("Blood-Normal", "Blood"), "pcawg42"),
]
# Example constructs, each made only from real calls of one sample (documented in README.md):
# an MNV joining two real SNVs of the same tumour 2 bp apart (no adjacent pair exists on 20/X) ...
MNV_JOIN = ("TCGA-W5-AA39-01A-11D-A417-09", "20", 33722567, 33722569)
# ... and a multi-allelic record joining two real deletions of blood-AC 11 bp apart.
MULTI_JOIN = ("blood-AC", "20", 33404988, 33404999)
# ... and one real insertion of blood-AC written in its 3'-shifted (HGVS-style, right-aligned) but equivalent
# representation, so that left-normalisation has something to move.
SHIFT_3P = ("blood-AC", "20", 22623394)
# Structural variants: the real COLO829 melanoma calls of GRIDSS (BND pairs with MATEID, HOMLEN/HOMSEQ,
# inserted sequence), every record with a breakend on 20 or X:1-69,999,930 plus its mate record wherever it
# lies (the two translocations have their mates on chr15, outside the example reference).
# (sample id, donor id, source file, labels)
SV_SAMPLES = [("COLO829T", "COLO829", "colo829_somatic_gridss.vcf.gz", ("Skin-Melanoma", "Skin"))]
# No COLO829 call set has an inversion, or a translocation with both breakends on 20/X, so COLO829T also gets one
# balanced inversion on 20 and one reciprocal translocation 20<->X, written as GRIDSS-style BND pairs (EVENT,
# MATEID) marked EXAMPLE_CONSTRUCT and simulated in its reads. Their positions are arbitrary: unique sequence
# where bwa maps simulated 150 bp reads at MAPQ 60, away from every other call, and on 20 inside the 1000
# Genomes panel's 1-4 Mb (make_minibams.py), so that the donor's germline alleles lie around the breakends.
CONSTRUCTED_INVERSION = ("20", 2342000, 2343219)  # bases a+1..b inverted (1,219 bp)
CONSTRUCTED_TRANSLOCATION = ("20", 2045000, "X", 41980155)  # der(20) = 20:..c + X:d..; der(X) = X:..d-1 + 20:c+1..
# Samples with simulated tumour/normal miniBAMs (examples/make_minibams.sh): paths in the sheet. One normal
# miniBAM per donor, as in PCAWG; purities and the simulation are defined in make_minibams.py.
READ_SAMPLES = ["TCGA-W5-AA39-01A-11D-A417-09", "colon2", "colon1", "blood-AC", "COLO829T"]
BAM_DIR = "bam"


def bam_paths(sample, donor):
    if sample not in READ_SAMPLES:
        return "", ""
    return f"{BAM_DIR}/{sample}.tumour.variantbam.bam", f"{BAM_DIR}/{donor}.normal.variantbam.bam"


# FILTER derived from the MAF: dbSNP_Val_Status "byFrequency" = known polymorphism.
GERM_FILTER = "GERMDBSNP"

REF_FILES = {"20": "GRCh37.chr20.fa.gz", "X": "GRCh37.chrX_1-69999930.fa.gz"}
CONTIGS = [("20", 63025520), ("X", 69999930)]
HALF_WINDOW = 2997  # floor(5994 / 2): default oncolm window
MARGIN_BASE = 4000  # mask margin = MARGIN_BASE + longest REF allele (> HALF_WINDOW + deletion)
FASTA_WIDTH = 60


def run(cmd, **kw):
    return subprocess.run(cmd, check=True, text=True, stdout=subprocess.PIPE, **kw).stdout


class Reference:
    """Reads bases from the real bgzipped references with samtools faidx."""

    def __init__(self, data_dir):
        self.paths = {c: os.path.join(data_dir, f) for c, f in REF_FILES.items()}
        self.length = dict(CONTIGS)
        for c, p in self.paths.items():
            if not os.path.exists(p + ".fai"):
                run(["samtools", "faidx", p])
            got = int(open(p + ".fai").read().split("\t")[1])
            if got != self.length[c]:
                sys.exit(f"{p}: length {got}, expected {self.length[c]}")

    def fetch(self, chrom, start, end):
        """1-based inclusive."""
        out = run(["samtools", "faidx", self.paths[chrom], f"{chrom}:{start}-{end}"])
        return "".join(out.splitlines()[1:]).upper()


class Record:
    def __init__(self, chrom, pos, ref, alts, vid=".", qual=".", filt="PASS", info=None, fmt=None):
        self.chrom, self.pos, self.ref, self.alts = chrom, pos, ref, list(alts)
        self.id, self.qual, self.filter = vid, qual, filt
        self.info = info or []  # list of (key, value or None)
        self.fmt = fmt  # (FORMAT, sample column) or None

    def is_indel(self):
        return any(len(a) != len(self.ref) for a in self.alts)

    def line(self, with_format):
        info = ";".join(k if v is None else f"{k}={v}" for k, v in self.info) or "."
        cols = [self.chrom, str(self.pos), self.id, self.ref, ",".join(self.alts), self.qual, self.filter, info]
        if with_format:
            cols += list(self.fmt)
        return "\t".join(cols)


# ----------------------------------------------------------------------------------------------
def chol_records(data_dir, ref):
    """TCGA MAF -> VCF records per tumour. MAF DEL/INS carry no anchor base: take it from the reference."""
    out = {s: [] for s in CHOL_SAMPLES}
    with open(os.path.join(data_dir, CHOL_MAF)) as f:
        header = f.readline().rstrip("\n").split("\t")
        col = {n: i for i, n in enumerate(header)}
        for line in f:
            v = line.rstrip("\n").split("\t")
            s, chrom = v[col["Tumor_Sample_Barcode"]], v[col["Chromosome"]]
            start, end = int(v[col["Start_Position"]]), int(v[col["End_Position"]])
            if s not in out or chrom not in ref.length or end > ref.length[chrom]:
                continue
            vtype, mref = v[col["Variant_Type"]], v[col["Reference_Allele"]]
            a1, a2 = v[col["Tumor_Seq_Allele1"]], v[col["Tumor_Seq_Allele2"]]
            malt = a2 if a2 != mref else a1
            if vtype == "SNP":
                pos, vref, valt = start, mref, malt
            elif vtype == "DEL":  # Start..End are the deleted bases
                anchor = ref.fetch(chrom, start - 1, start - 1)
                pos, vref, valt = start - 1, anchor + mref, anchor
            elif vtype == "INS":  # Start = base before the insertion, End = Start + 1
                anchor = ref.fetch(chrom, start, start)
                pos, vref, valt = start, anchor, anchor + (a1 if a1 != "-" else a2)
            else:
                sys.exit(f"unexpected MAF Variant_Type {vtype}")
            info = [("Callers", v[col["Center"]].split(".")[0]), ("NumCallers", "1")]
            rs = v[col["dbSNP_RS"]]
            if rs.startswith("rs"):
                info.append(("dbsnp", rs))
            info.append(("Variant_Classification", v[col["Variant_Classification"]]))
            filt = GERM_FILTER if v[col["dbSNP_Val_Status"]] == "byFrequency" else "PASS"
            out[s].append(Record(chrom, pos, vref, [valt], filt=filt, info=info))
    return out


def tissue_records(path, contigs):
    """MutationalPatterns VCF -> (header lines, records on the example contigs)."""
    header, recs = [], []
    with open(path) as f:
        for line in f:
            if line.startswith("#"):
                header.append(line.rstrip("\n"))
                continue
            v = line.rstrip("\n").split("\t")
            if v[0] not in contigs:
                continue
            fmt = (v[8], v[9])
            info = []
            keys, vals = v[8].split(":"), v[9].split(":")
            sample = dict(zip(keys, vals))
            if "1" in sample.get("GT", "").replace("|", "/").split("/") and "AD" in sample:
                ad = [int(x) for x in sample["AD"].split(",")]
                if sum(ad) > 0:
                    info.append(("VAF", f"{ad[1] / sum(ad):.3f}"))
            recs.append(Record(v[0], int(v[1]), v[3], v[4].split(","), vid=v[2], qual=v[5], filt=v[6],
                               info=info, fmt=fmt))
    return header, recs


def join_mnv(recs, chrom, p1, p2, ref):
    """Two real SNVs of one sample -> one MNV record spanning p1..p2 (bases between stay REF)."""
    a = next(r for r in recs if r.chrom == chrom and r.pos == p1)
    b = next(r for r in recs if r.chrom == chrom and r.pos == p2)
    span = ref.fetch(chrom, p1, p2)
    alt = a.alts[0] + span[1:-1] + b.alts[0]
    info = [kv for kv in a.info if kv[0] != "Variant_Classification"]
    info.append(("EXAMPLE_CONSTRUCT", f"MNV_joined_from_{chrom}:{p1}_{a.ref}>{a.alts[0]}"
                                      f"_and_{chrom}:{p2}_{b.ref}>{b.alts[0]}"))
    rec = Record(chrom, p1, span, [alt], filt="PASS", info=info)
    return [r for r in recs if r not in (a, b)] + [rec]


def join_multiallelic(recs, chrom, p1, p2, ref):
    """Two real deletions of one sample -> one multi-allelic record with both alleles."""
    a = next(r for r in recs if r.chrom == chrom and r.pos == p1)
    b = next(r for r in recs if r.chrom == chrom and r.pos == p2)
    end = max(a.pos + len(a.ref), b.pos + len(b.ref)) - 1
    span = ref.fetch(chrom, p1, end)

    def apply(r):
        i = r.pos - p1
        assert span[i:i + len(r.ref)] == r.ref
        return span[:i] + r.alts[0] + span[i + len(r.ref):]

    info = [("EXAMPLE_CONSTRUCT", f"multiallelic_joined_from_{a.id.replace(':', '_').replace('/', '>')}"
                                  f"_and_{b.id.replace(':', '_').replace('/', '>')}")]
    rec = Record(chrom, p1, span, [apply(a), apply(b)], vid=".", qual=".", filt="PASS", info=info,
                 fmt=a.fmt)
    return [r for r in recs if r not in (a, b)] + [rec]


def shift_3prime(recs, chrom, pos, ref):
    """Rewrite one real simple indel at its right-most equivalent position (same haplotype)."""
    r = next(x for x in recs if x.chrom == chrom and x.pos == pos)
    ins = len(r.alts[0]) > len(r.ref)
    seq = r.alts[0][1:] if ins else r.ref[1:]
    assert r.alts[0][0] == r.ref[0] and (len(r.ref) == 1 if ins else len(r.alts[0]) == 1)
    p = pos
    while ref.fetch(chrom, p + 1 + (0 if ins else len(seq)), p + 1 + (0 if ins else len(seq))) == seq[0]:
        seq, p = seq[1:] + seq[0], p + 1
    assert p > pos, "record cannot be shifted"
    anchor = ref.fetch(chrom, p, p)
    new = Record(chrom, p, anchor if ins else anchor + seq, [anchor + seq if ins else anchor], qual=r.qual,
                 filt=r.filter, info=r.info + [("EXAMPLE_CONSTRUCT", f"3prime_shifted_representation_of_{r.id}"
                                                .replace(":", "_").replace("/", ">"))], fmt=r.fmt)
    return [x for x in recs if x is not r] + [new]


# ----------------------------------------------------------------------------------------------
PCAWG_META = [
    '##FILTER=<ID=PASS,Description="All filters passed">',
    f'##FILTER=<ID={GERM_FILTER},Description="Known polymorphism: TCGA MAF dbSNP_Val_Status is byFrequency '
    '(likely germline); derived for this example">',
    '##INFO=<ID=Callers,Number=.,Type=String,Description="Callers (here: the TCGA MAF Center)">',
    '##INFO=<ID=NumCallers,Number=1,Type=Integer,Description="Number of callers">',
    '##INFO=<ID=VAF,Number=1,Type=Float,Description="Variant allele fraction, AD(alt)/sum(AD) of the source '
    'sample column where its genotype is non-reference">',
    '##INFO=<ID=dbsnp,Number=.,Type=String,Description="dbSNP id (TCGA MAF dbSNP_RS)">',
    '##INFO=<ID=Variant_Classification,Number=1,Type=String,Description="TCGA MAF Variant_Classification">',
    '##INFO=<ID=EXAMPLE_CONSTRUCT,Number=1,Type=String,Description="Record built for the example from real '
    'calls of this sample (see examples/README.md)">',
]


def pcawg_header(source):
    lines = ["##fileformat=VCFv4.2", f"##source={source}",
             "##reference=GRCh37 (contigs 20 and X:1-69999930 of examples/reference)"]
    lines += [f"##contig=<ID={c},length={n},assembly=GRCh37>" for c, n in CONTIGS]
    lines += PCAWG_META
    lines.append("#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO")
    return lines


def write_vcf(path, header, recs, with_format, compress):
    recs = sorted(recs, key=lambda r: ([c for c, _ in CONTIGS].index(r.chrom), r.pos))
    text = "\n".join(header + [r.line(with_format) for r in recs]) + "\n"
    if compress:
        with open(path, "wb") as f:
            f.write(subprocess.run(["bgzip", "-c"], input=text.encode(), check=True,
                                   stdout=subprocess.PIPE).stdout)
        run(["tabix", "-f", "-p", "vcf", path])
    else:
        with open(path, "w") as f:
            f.write(text)


def write_masked_reference(ref, intervals, path, tmp):
    """Full-length contigs, N outside the intervals (merged, 1-based inclusive), bgzip + .fai + .gzi."""
    plain = os.path.join(tmp, "masked.fa")
    with open(plain, "w") as out:
        for chrom, length in CONTIGS:
            seq = bytearray(b"N" * length)
            ivs = sorted((max(1, s), min(length, e)) for c, s, e in intervals if c == chrom)
            merged = []
            for s, e in ivs:
                if merged and s <= merged[-1][1] + 1:
                    merged[-1][1] = max(merged[-1][1], e)
                else:
                    merged.append([s, e])
            for s, e in merged:
                seq[s - 1:e] = ref.fetch(chrom, s, e).encode()
            out.write(f">{chrom}\n")
            for i in range(0, length, FASTA_WIDTH):
                out.write(seq[i:i + FASTA_WIDTH].decode())
                out.write("\n")
            print(f"  {chrom}: {len(merged)} unmasked intervals, {sum(e - s + 1 for s, e in merged):,} bp kept",
                  file=sys.stderr)
    run(["bgzip", "-f", "-i", "-@", "2", plain])
    os.replace(plain + ".gz", path)
    os.replace(plain + ".gz.gzi", path + ".gzi")
    run(["samtools", "faidx", path])


def normalised_spans(vcf, ref_paths):
    """(chrom, pos, len(REF)) of every record after `bcftools norm -m -any` against the full reference."""
    spans = []
    for chrom, path in ref_paths.items():
        out = run(["bcftools", "norm", "-f", path, "-m", "-any", "-t", chrom, "--check-ref", "e", vcf, "-Ov"],
                  stderr=subprocess.DEVNULL)
        for line in out.splitlines():
            if not line.startswith("#"):
                v = line.split("\t")
                spans.append((v[0], int(v[1]), len(v[3])))
    return spans


READ_PAD = 150  # bases kept on both sides of every aligned read of the miniBAMs
BND_MATE = re.compile(r"[\[\]]([^:\[\]]+):(\d+)[\[\]]")


def sv_in_reference(chrom, pos):
    return chrom in dict(CONTIGS) and pos <= dict(CONTIGS)[chrom]


def constructed_sv_records(ref, columns):
    """The inversion and translocation of CONSTRUCTED_*: BND records (VCF 4.2 bracket forms) with the reference
    base at each position, FORMAT and sample columns empty."""
    def record(chrom, pos, vid, alt, mate, event):
        base = ref.fetch(chrom, pos, pos)
        info = f"SVTYPE=BND;MATEID={mate};EVENT={event};EXAMPLE_CONSTRUCT"
        return ([chrom, str(pos), vid, base, alt.replace("t", base), ".", "PASS", info] + ["."] * (columns - 8))
    chrom, a, b = CONSTRUCTED_INVERSION
    c_chrom, c, x_chrom, d = CONSTRUCTED_TRANSLOCATION
    inv, tra = "example_inv1", "example_tra1"
    return [
        # inversion: ref[..a] + revcomp(ref[a+1..b]) + ref[b+1..]; junction 1 joins a and b (both left sides
        # kept), junction 2 joins a+1 and b+1 (both right sides kept)
        record(chrom, a, f"{inv}_1o", f"t]{chrom}:{b}]", f"{inv}_1h", inv),
        record(chrom, b, f"{inv}_1h", f"t]{chrom}:{a}]", f"{inv}_1o", inv),
        record(chrom, a + 1, f"{inv}_2o", f"[{chrom}:{b + 1}[t", f"{inv}_2h", inv),
        record(chrom, b + 1, f"{inv}_2h", f"[{chrom}:{a + 1}[t", f"{inv}_2o", inv),
        # reciprocal translocation: der(20) joins c to d, der(X) joins d-1 to c+1
        record(c_chrom, c, f"{tra}_1o", f"t[{x_chrom}:{d}[", f"{tra}_1h", tra),
        record(x_chrom, d, f"{tra}_1h", f"]{c_chrom}:{c}]t", f"{tra}_1o", tra),
        record(x_chrom, d - 1, f"{tra}_2o", f"t[{c_chrom}:{c + 1}[", f"{tra}_2h", tra),
        record(c_chrom, c + 1, f"{tra}_2h", f"]{x_chrom}:{d - 1}]t", f"{tra}_2o", tra),
    ]


def write_sv_vcf(src, dst, source, ref):
    """Real SV records: every record with a breakend on the example contigs, and the records of their mates
    (MATEID) wherever they lie; lines unchanged, header kept, ##contig X given the length of the X part.
    The constructed records are added, and all are sorted by the header's contig order and position."""
    header, recs = [], []
    with gzip.open(src, "rt") if src.endswith(".gz") else open(src) as f:
        for line in f:
            line = line.rstrip("\n")
            if line.startswith("##contig=<ID=X,"):
                line = re.sub(r"length=\d+", f"length={dict(CONTIGS)['X']}", line)
            if line.startswith("#"):
                header.append(line)
            else:
                recs.append(line.split("\t"))
    keep_ids = set()
    for v in recs:
        ends = [(v[0], int(v[1]))] + [(c, int(p)) for c, p in BND_MATE.findall(v[4])]
        if any(sv_in_reference(c, p) for c, p in ends):
            keep_ids.add(v[2])
            mate = re.search(r"(?:^|;)MATEID=([^;]+)", v[7])
            if mate:
                keep_ids.update(mate.group(1).split(","))
    lines = [v for v in recs if v[2] in keep_ids] + constructed_sv_records(ref, len(header[-1].split("\t")))
    order = [re.match(r"##contig=<ID=([^,>]+)", h).group(1) for h in header if h.startswith("##contig=<ID=")]
    lines.sort(key=lambda v: (order.index(v[0]), int(v[1])))
    header.insert(1, f"##source_example={source}")
    header.insert(-1, "##INFO=<ID=EXAMPLE_CONSTRUCT,Number=0,Type=Flag,Description=\"Record made for the oncolm "
                      "example, not a call (examples/README.md)\">")
    text = "\n".join(header + ["\t".join(v) for v in lines]) + "\n"
    with open(dst, "wb") as f:
        f.write(subprocess.run(["bgzip", "-c"], input=text.encode(), check=True, stdout=subprocess.PIPE).stdout)
    run(["tabix", "-f", "-p", "vcf", dst])
    print(f"  {os.path.basename(dst)}: {len(lines)} SV records", file=sys.stderr)


def sv_breakends(vcf):
    """(chrom, pos, inserted-sequence length) of every breakend on the example contigs: POS, BND mate
    positions and END of symbolic alleles."""
    out = []
    for line in run(["bcftools", "view", "-H", vcf]).splitlines():
        v = line.split("\t")
        ins = 0
        m = re.match(r"^([ACGTNacgtn]*)[\[\]].*[\[\]]([ACGTNacgtn]*)$", v[4])
        if m:
            ins = max(0, len(m.group(1) or m.group(2)) - 1)
        ends = [(v[0], int(v[1]))] + [(c, int(p)) for c, p in BND_MATE.findall(v[4])]
        end = re.search(r"(?:^|;)END=(\d+)", v[7])
        if end:
            ends.append((v[0], int(end.group(1))))
        out += [(c, p, ins) for c, p in ends if sv_in_reference(c, p)]
    return out


def read_spans(bam):
    """(chrom, start, end) 1-based of every aligned record (CIGAR reference length)."""
    out = []
    for line in run(["samtools", "view", "-F", "4", bam]).splitlines():
        v = line.split("\t", 6)
        n = sum(int(x) for x, op in re.findall(r"(\d+)([MDN=X])", v[5]))
        out.append((v[2], int(v[3]), int(v[3]) + max(n, 1) - 1))
    return out


def main():
    if sys.argv[1] == "--mask-only":  # rewrite only the masked reference (after make_minibams.sh)
        write_reference(Reference(sys.argv[2]), sys.argv[3])
        return
    data_dir, out_dir = sys.argv[1], sys.argv[2]
    ref = Reference(data_dir)
    os.makedirs(os.path.join(out_dir, "vcf"), exist_ok=True)
    os.makedirs(os.path.join(out_dir, "reference"), exist_ok=True)
    sheet = [["sample_id", "donor_id", "tumour_bam", "normal_bam", "snv_vcf", "indel_vcf", "sv_vcf",
              "histology_abbreviation", "organ_system"]]

    chol = chol_records(data_dir, ref)
    for s in CHOL_SAMPLES:
        recs = chol[s]
        if s == MNV_JOIN[0]:
            recs = join_mnv(recs, *MNV_JOIN[1:], ref)
        src = f"TCGA-CHOL bcgsc MAF ({CHOL_MAF}, Debian r-bioc-tcgabiolinks) via oncolm examples/make_examples.py"
        snv = f"vcf/{s}.somatic.snv_mnv.vcf.gz"
        ind = f"vcf/{s}.somatic.indel.vcf.gz"
        write_vcf(os.path.join(out_dir, snv), pcawg_header(src), [r for r in recs if not r.is_indel()], False, True)
        write_vcf(os.path.join(out_dir, ind), pcawg_header(src), [r for r in recs if r.is_indel()], False, True)
        sheet.append([s, s[:12], *bam_paths(s, s[:12]), snv, ind, "", *CHOL_LABELS])

    for sid, fname, labels, style in TISSUE_SAMPLES:
        header, recs = tissue_records(os.path.join(data_dir, fname), {c for c, _ in CONTIGS})
        if sid == MULTI_JOIN[0]:
            recs = join_multiallelic(recs, *MULTI_JOIN[1:], ref)
        if sid == SHIFT_3P[0]:
            recs = shift_3prime(recs, *SHIFT_3P[1:], ref)
        donor = header[-1].split("\t")[9]
        snvs, indels = [r for r in recs if not r.is_indel()], [r for r in recs if r.is_indel()]
        if style == "plain41":
            # the source file as published (VCF 4.1, FORMAT + sample column, uncompressed), restricted to the
            # example contigs; ##contig lines for contigs absent from the example reference are dropped
            keep = [h for h in header if not h.startswith("##contig") or
                    any(h.startswith(f"##contig=<ID={c},") for c, _ in CONTIGS if c == "20")]
            assert not indels
            snv = f"vcf/{sid}.somatic.snv_mnv.vcf"
            write_vcf(os.path.join(out_dir, snv), keep, snvs, True, False)
            sheet.append([sid, donor, *bam_paths(sid, donor), snv, "", "", *labels])
            continue
        src = f"MutationalPatterns {fname} (Debian r-bioc-mutationalpatterns) via oncolm examples/make_examples.py"
        snv = f"vcf/{sid}.somatic.snv_mnv.vcf.gz"
        write_vcf(os.path.join(out_dir, snv), pcawg_header(src), snvs, False, True)
        ind = ""
        if indels or sid == "intestine2":  # intestine2: a valid, empty indel VCF (as PCAWG always ships one)
            ind = f"vcf/{sid}.somatic.indel.vcf.gz"
            write_vcf(os.path.join(out_dir, ind), pcawg_header(src), indels, False, True)
        sheet.append([sid, donor, *bam_paths(sid, donor), snv, ind, "", *labels])

    for sid, donor, fname, labels in SV_SAMPLES:
        sv = f"vcf/{sid}.somatic.sv.vcf.gz"
        write_sv_vcf(os.path.join(data_dir, fname), os.path.join(out_dir, sv),
                     f"COLO829 {fname} (Debian r-bioc-structuralvariantannotation) via oncolm examples/make_examples.py",
                     ref)
        sheet.append([sid, donor, *bam_paths(sid, donor), "", "", sv, *labels])

    with open(os.path.join(out_dir, "cohort.tsv"), "w") as f:
        f.write("".join("\t".join(row) + "\n" for row in sheet))
    write_reference(ref, out_dir)


def write_reference(ref, out_dir):
    """Masked reference: real bases within `margin` of every small-variant record (before and after
    `bcftools norm -m -any`) and of every SV breakend on 20/X, plus the bases under every read of the
    miniBAMs named in cohort.tsv that exist (+-READ_PAD); N elsewhere."""
    rows = [line.rstrip("\n").split("\t") for line in open(os.path.join(out_dir, "cohort.tsv"))]
    col = {n: i for i, n in enumerate(rows[0])}
    small = [r[col[c]] for r in rows[1:] for c in ("snv_vcf", "indel_vcf") if r[col[c]]]
    svs = [r[col["sv_vcf"]] for r in rows[1:] if r[col["sv_vcf"]]]
    bams = sorted({r[col[c]] for r in rows[1:] for c in ("tumour_bam", "normal_bam") if r[col[c]]})
    spans = []
    for p in small:
        spans += normalised_spans(os.path.join(out_dir, p), ref.paths)
        for line in run(["bcftools", "view", "-H", os.path.join(out_dir, p)]).splitlines():
            v = line.split("\t")
            spans.append((v[0], int(v[1]), len(v[3])))
    breakends, inserted = [], 0
    for p in svs:
        for chrom, pos, ins in sv_breakends(os.path.join(out_dir, p)):
            breakends.append((chrom, pos, 1))
            inserted = max(inserted, ins)
    longest = max([n for _, _, n in spans] + [inserted])
    margin = MARGIN_BASE + longest
    assert margin > HALF_WINDOW + longest
    print(f"  {len(spans)} small-variant spans, {len(breakends)} SV breakends, longest REF/inserted sequence "
          f"{longest} bp, mask margin {margin} bp", file=sys.stderr)
    intervals = [(c, p - margin, p + n - 1 + margin) for c, p, n in spans + breakends]
    n_reads = 0
    for b in bams:
        path = os.path.join(out_dir, b)
        if not os.path.exists(path):
            continue
        for c, s, e in read_spans(path):
            intervals.append((c, s - READ_PAD, e + READ_PAD))
            n_reads += 1
    print(f"  {n_reads} aligned read spans from {len(bams)} miniBAMs (+-{READ_PAD} bp)", file=sys.stderr)
    with tempfile.TemporaryDirectory() as tmp:
        write_masked_reference(ref, intervals, os.path.join(out_dir, "reference", "GRCh37.20_X.masked.fa.gz"), tmp)


if __name__ == "__main__":
    main()
