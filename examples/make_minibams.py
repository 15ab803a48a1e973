#!/usr/bin/env python3
"""Simulated tumour/normal miniBAMs for the example cohort (see make_minibams.sh and README.md).

usage: make_minibams.py DATA_DIR WORK_DIR OUT_DIR

WORK_DIR must hold ref_20_X.fa (+ .fai and the bwa index): the UNMASKED GRCh37 contig 20 and X part.
OUT_DIR is examples/ (cohort.tsv and vcf/ written by make_examples.py). Python standard library only;
reads with art_illumina, alignment with bwa mem, BAM handling with samtools, VCF parsing with bcftools.

Per donor: two germline haplotypes H1, H2 = the reference plus the phased genotypes of one real
1000 Genomes individual. Per tumour: S1, S2 = H1, H2 plus the tumour's somatic events (SNV/MNV/indel
records of its VCFs, and the deletion-type SV junctions of its SV VCF that the COLO829 truth set confirms).
Reads (ART HiSeq 2500, 2x150, fragments 400 +- 50 bp) come from windows around every variant:
normal 15x H1 + 15x H2; tumour at purity p: (1-p)20x H1 + p*20x S1 + (1-p)20x H2 + p*20x S2.
They are aligned with bwa mem to the full unmasked contigs and cut as PCAWG's VariantBam did.
"""
import os
import re
import subprocess
import sys
import zlib

sys.dont_write_bytecode = True  # no __pycache__ in examples/
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import make_examples as mx  # noqa: E402  (cohort definition, contigs)

# ----------------------------------------------------------------------------------------------
PURITY = {  # fraction of tumour cells in the tumour sample (somatic allele fraction = purity / 2)
    "colon1": 0.3,
    "colon2": 0.5,
    "COLO829T": 0.6,
    "TCGA-W5-AA39-01A-11D-A417-09": 0.7,
    "blood-AC": 0.9,
}
NORMAL_COVERAGE = 30.0  # per donor, split evenly over H1 and H2
TUMOUR_COVERAGE = 40.0
READ_LEN, FRAGMENT_MEAN, FRAGMENT_SD = 150, 400, 50
SIM_FLANK_SMALL = 1000  # simulated sequence around SNV/MNV/indel records (bp each side)
SIM_FLANK_SV = 1500  # ... and around SV breakends
# PCAWG VariantBam rule: pad[500];mlregion@sv.vcf % pad[10];mlregion@snv.vcf % pad[200];mlregion@indel.vcf
PAD_SNV, PAD_INDEL, PAD_SV = 10, 200, 500
# germline genotypes: 1000 Genomes phase 3 haplotypes of chr20:1-4 Mb (Debian shapeit4-example)
PANEL = "1kg_chr20_1-4Mb.reference.vcf.gz"
PANEL_CHOICE_FLANK = 600  # individuals ranked by heterozygous sites within this distance of the somatic calls
TRUTHSET = "truthset_somaticSVs_COLO829.vcf"  # selects which GRIDSS junctions are simulated
TRUTH_TOLERANCE = 5  # bp, at both breakends
RG_PLATFORM = "ILLUMINA"


def run(cmd, **kw):
    return subprocess.run(cmd, check=True, text=True, stdout=subprocess.PIPE, **kw).stdout


def seed(*names):
    return zlib.crc32("/".join(names).encode()) % 1000000 + 1


# ----------------------------------------------------------------------------------------------
class Genome:
    def __init__(self, fasta):
        self.seq, name, parts = {}, None, []
        with open(fasta) as f:
            for line in f:
                if line.startswith(">"):
                    if name:
                        self.seq[name] = "".join(parts).upper()
                    name, parts = line[1:].split()[0], []
                else:
                    parts.append(line.strip())
        self.seq[name] = "".join(parts).upper()
        for c, n in mx.CONTIGS:
            assert len(self.seq[c]) == n, (c, len(self.seq[c]))

    def get(self, chrom, start, end):  # 1-based inclusive
        return self.seq[chrom][start - 1:end]


class Small:
    """A sequence change pos..pos+len(ref)-1 -> alt (1-based)."""

    def __init__(self, chrom, pos, ref, alt, label):
        self.chrom, self.pos, self.ref, self.alt, self.label = chrom, pos, ref.upper(), alt.upper(), label

    @property
    def end(self):
        return self.pos + len(self.ref) - 1


class Junction:
    """The haplotype runs along `chrom` to `a` (inclusive), then `ins`, then continues along `chrom_b` from `b`:
    a deletion when chrom_b == chrom and b > a + 1 (the bases between are lost), else a translocation end."""

    def __init__(self, chrom, a, b, ins, label, chrom_b=None):
        self.chrom, self.a, self.b, self.ins, self.label = chrom, a, b, ins.upper(), label
        self.chrom_b = chrom_b or chrom

    @property
    def end(self):  # on `chrom`: up to b for a deletion, the breakend itself for a translocation end
        return self.b if self.chrom_b == self.chrom else self.a

    @property
    def deletes(self):
        return self.chrom_b == self.chrom and self.b > self.a + 1

    @property
    def pos(self):
        return self.a


def overlaps(x, y, slack=1):
    return x.chrom == y.chrom and x.pos <= y.end + slack and y.pos <= x.end + slack


# ----------------------------------------------------------------------------------------------
def small_records(vcf, genome_fa):
    """All records (any FILTER), split with bcftools norm -m -any against the unmasked reference."""
    out = []
    text = run(["bcftools", "norm", "-f", genome_fa, "-m", "-any", "--check-ref", "e", vcf, "-Ov"],
               stderr=subprocess.DEVNULL)
    for line in text.splitlines():
        if not line.startswith("#"):
            v = line.split("\t")
            out.append(Small(v[0], int(v[1]), v[3], v[4], f"{v[0]}:{v[1]}_{v[3]}>{v[4]}"))
    return out


def raw_spans(vcf):
    """(chrom, pos, end) of every record as written (for the cut regions)."""
    out = []
    for line in run(["bcftools", "view", "-H", vcf]).splitlines():
        v = line.split("\t")
        out.append((v[0], int(v[1]), int(v[1]) + len(v[3]) - 1))
    return out


def truth_junctions(path):
    out = []
    for line in open(path):
        if line.startswith("#"):
            continue
        v = line.split("\t")
        for c, p in mx.BND_MATE.findall(v[4]):
            out.append((v[0], int(v[1]), c, int(p)))
    return out


def reverse_complement(seq):
    return seq[::-1].translate(str.maketrans("ACGTN", "TGCAN"))


def constructed_events(recs, genome):
    """The EXAMPLE_CONSTRUCT records (make_examples.py): the inversion as one sequence change (the segment
    replaced by its reverse complement), the reciprocal translocation as its two junctions."""
    events = []
    by_event = {}
    for v in recs:
        by_event.setdefault(re.search(r"(?:^|;)EVENT=([^;]+)", v[7]).group(1), []).append(v)
    for event, group in sorted(by_event.items()):
        if event.startswith("example_inv"):
            chrom = group[0][0]
            ends = sorted(int(v[1]) for v in group if re.match(r"^[ACGTN]\]", v[4]))  # t]p]: a and b
            a, b = ends
            segment = genome.get(chrom, a + 1, b)
            events.append(Small(chrom, a + 1, segment, reverse_complement(segment), f"{event} {chrom}:{a + 1}-{b} inverted"))
        else:
            for v in group:
                m = re.match(r"^[ACGTN]\[([^:]+):(\d+)\[$", v[4])  # t[p[: this side's left joined to p's right
                if m:
                    events.append(Junction(v[0], int(v[1]), int(m.group(2)), "", f"{v[2]}", chrom_b=m.group(1)))
    return events


def sv_events(vcf, truth, genome):
    """-> (events to simulate, PASS breakends on the example contigs, notes)."""
    recs = [line.split("\t") for line in run(["bcftools", "view", "-H", vcf]).splitlines()]
    by_id = {v[2]: v for v in recs}
    breakends, junctions, notes, seen = [], [], [], set()
    constructed = [v for v in recs if "EXAMPLE_CONSTRUCT" in v[7].split(";")]
    for v in recs:
        if v[6] not in ("PASS", "."):
            notes.append(f"{v[2]} {v[0]}:{v[1]} {v[4]}: FILTER {v[6]}, not somatic here: no reads simulated, no cut region")
            continue
        if mx.sv_in_reference(v[0], int(v[1])):
            breakends.append((v[0], int(v[1])))
        if v in constructed:
            continue
        mate = re.search(r"(?:^|;)MATEID=([^;]+)", v[7]).group(1)
        if v[2] in seen or mate in seen:
            continue
        seen.update((v[2], mate))
        m = by_id[mate]
        lo, hi = sorted([v, m], key=lambda r: (r[0], int(r[1])))
        pl = re.match(r"^([ACGTN]+)\[([^:]+):(\d+)\[$", lo[4])
        ph = re.match(r"^\]([^:]+):(\d+)\]([ACGTN]+)$", hi[4])
        if not (lo[0] == hi[0] and mx.sv_in_reference(lo[0], int(lo[1])) and pl and ph):
            notes.append(f"{lo[2]}/{hi[2]} {lo[0]}:{lo[1]} {lo[4]} + {hi[0]}:{hi[1]} {hi[4]}: not a deletion-type "
                         "junction within the example contigs (mate on a contig the example reference lacks): "
                         "no junction reads simulated")
            continue
        a, b, ins = int(lo[1]), int(pl.group(3)), pl.group(1)[1:]
        assert ph.group(3)[:-1] == ins and int(ph.group(2)) == a and b == int(hi[1])
        confirmed = any(tc == lo[0] and mc == lo[0] and abs(tp - a) <= TRUTH_TOLERANCE and abs(mp - b) <= TRUTH_TOLERANCE
                        for tc, tp, mc, mp in truth)
        if not confirmed:
            notes.append(f"{lo[2]}/{hi[2]} {lo[0]}:{a}-{b}: deletion-type junction absent from the COLO829 truth set "
                         "(a caller false positive there): no junction reads simulated")
            continue
        junctions.append(Junction(lo[0], a, b, ins, f"{lo[2]}/{hi[2]}"))
    return junctions + constructed_events(constructed, genome), breakends, notes


def panel_genotypes(path):
    """-> (individuals, [(Small, [gt strings])]) from the phased 1000 Genomes panel."""
    names = run(["bcftools", "query", "-l", path]).split()
    sites = []
    for line in run(["bcftools", "query", "-f", "%CHROM\t%POS\t%REF\t%ALT[\t%GT]\n", path]).splitlines():
        v = line.split("\t")
        if "," in v[3]:
            continue
        sites.append((Small(v[0], int(v[1]), v[2], v[3], f"{v[0]}:{v[1]}_{v[2]}>{v[3]}"), v[4:]))
    return names, sites


def choose_individual(positions, names, sites, taken):
    """The individual with the most heterozygous (then non-reference) sites near the somatic calls."""
    het, nonref = [0] * len(names), [0] * len(names)
    for s, gts in sites:
        if any(c == s.chrom and abs(p - s.pos) <= PANEL_CHOICE_FLANK for c, p in positions):
            for i, g in enumerate(gts):
                if g in ("0|1", "1|0"):
                    het[i] += 1
                if g != "0|0":
                    nonref[i] += 1
    order = sorted(range(len(names)), key=lambda i: (-het[i], -nonref[i], names[i]))
    i = next(i for i in order if names[i] not in taken)
    return names[i], het[i], nonref[i]


# ----------------------------------------------------------------------------------------------
def merge(intervals):
    out = {}
    for c, s, e in sorted(intervals):
        lst = out.setdefault(c, [])
        if lst and s <= lst[-1][1] + 1:
            lst[-1][1] = max(lst[-1][1], e)
        else:
            lst.append([s, e])
    return out


def haplotype_contigs(genome, windows, edits, applied=None):
    """Sequences of one haplotype over the simulated windows: reference, with the small changes applied and
    the junctions joining the pieces they connect (across contigs for a translocation). -> [(name, sequence)]."""
    junctions = [e for e in edits if isinstance(e, Junction)]
    smalls = sorted((e for e in edits if isinstance(e, Small)), key=lambda e: (e.chrom, e.pos))
    # pieces = windows cut after every junction's `a` and before its `b`, minus the bases a deletion loses
    pieces = []
    for chrom, _ in mx.CONTIGS:
        for s, e in windows.get(chrom, []):
            lost = [(j.a + 1, j.b - 1) for j in junctions if j.deletes and j.chrom == chrom]
            cut_after = sorted({j.a for j in junctions if j.chrom == chrom} |
                               {j.b - 1 for j in junctions if j.chrom_b == chrom})
            start = s
            for x in cut_after + [e]:
                if start <= min(x, e):
                    pieces.append((chrom, start, min(x, e)))
                start = max(start, x + 1)
            pieces = [p for p in pieces if not any(p[0] == chrom and ls <= p[1] and p[2] <= le for ls, le in lost)]
    # chains: start at a piece no junction arrives at, follow the junction leaving its end
    arriving = {(j.chrom_b, j.b) for j in junctions}
    starts = [p for p in pieces if (p[0], p[1]) not in arriving]
    contigs = []
    for first in starts:
        chain, cur = [(None, first)], first
        while True:
            j = next((j for j in junctions if j.chrom == cur[0] and j.a == cur[2]), None)
            nxt = next((q for q in pieces if j and q[0] == j.chrom_b and q[1] == j.b), None)
            if j is None or nxt is None:
                break
            chain.append((j, nxt))
            cur = nxt
        seq = []
        for j, (chrom, s, e) in chain:
            if j is not None:
                seq.append(j.ins)
                if applied is not None:
                    applied.add(j.label)
            piece = list(genome.get(chrom, s, e))
            for v in reversed([v for v in smalls if v.chrom == chrom and v.pos >= s and v.end <= e]):
                i = v.pos - s
                assert "".join(piece[i:i + len(v.ref)]) == v.ref, v.label
                piece[i:i + len(v.ref)] = [v.alt]
                if applied is not None:
                    applied.add(v.label)
            seq.append("".join(piece))
        name = f"{first[0]}_{first[1]}_{chain[-1][1][2]}" + ("_junction" if len(chain) > 1 else "")
        contigs.append((name, "".join(seq)))
    return contigs


def simulate(contigs, coverage, name, work, tag):
    """ART HS25 2x150 pairs at `coverage`; reads renamed <tag>.<n>. -> (fq1 lines, fq2 lines)."""
    fa = os.path.join(work, f"{name}.fa")
    with open(fa, "w") as f:
        for n, s in contigs:
            f.write(f">{n}\n{s}\n")
    prefix = os.path.join(work, f"{name}.")
    run(["art_illumina", "-q", "-ss", "HS25", "-i", fa, "-p", "-l", str(READ_LEN), "-f", f"{coverage:.3f}",
         "-m", str(FRAGMENT_MEAN), "-s", str(FRAGMENT_SD), "-na", "-rs", str(seed(name)), "-o", prefix],
        stderr=subprocess.DEVNULL)
    out = []
    for r in (1, 2):
        lines = open(f"{prefix}{r}.fq").read().splitlines()
        for i in range(0, len(lines), 4):
            lines[i] = f"@{tag}.{i // 4}"
            lines[i + 2] = "+"
        out.append(lines)
        os.remove(f"{prefix}{r}.fq")
    return out


def align(fq_parts, sample_tag, genome_fa, work, name):
    fq1, fq2 = os.path.join(work, f"{name}_1.fq"), os.path.join(work, f"{name}_2.fq")
    with open(fq1, "w") as a, open(fq2, "w") as b:
        for l1, l2 in fq_parts:
            a.write("\n".join(l1) + "\n")
            b.write("\n".join(l2) + "\n")
    full = os.path.join(work, f"{name}.full.bam")
    rg = f"@RG\\tID:{sample_tag}\\tSM:{sample_tag}\\tPL:{RG_PLATFORM}"
    # -K fixes the batch size so the output does not depend on the number of threads
    cmd = (f"bwa mem -t 2 -K 10000000 -R '{rg}' {genome_fa} {fq1} {fq2} 2>/dev/null | "
           f"samtools sort -@ 2 --no-PG -o {full} - 2>/dev/null")
    subprocess.run(cmd, shell=True, check=True)
    os.remove(fq1)
    os.remove(fq2)
    return full


def ref_len(cigar):
    return sum(int(n) for n, op in re.findall(r"(\d+)([MDN=X])", cigar)) if cigar != "*" else 0


def cut(full_bam, regions, header, out_bam):
    """VariantBam mlregion: keep a record when its alignment overlaps a region, or when its mate's
    alignment (RNEXT, PNEXT, MC) does."""
    def hit(chrom, start, end):
        for s, e in regions.get(chrom, []):
            if s <= end and start <= e:
                return True
        return False

    kept, total = [], 0
    for line in run(["samtools", "view", full_bam]).splitlines():
        total += 1
        v = line.split("\t")
        flag, chrom, pos = int(v[1]), v[2], int(v[3])
        keep = chrom != "*" and hit(chrom, pos, pos + max(ref_len(v[5]), 1) - 1)
        if not keep and flag & 1 and not flag & 8 and v[6] != "*":
            mchrom = chrom if v[6] == "=" else v[6]
            mc = next((t[5:] for t in v[11:] if t.startswith("MC:Z:")), "*")
            mpos = int(v[7])
            keep = hit(mchrom, mpos, mpos + max(ref_len(mc), 1) - 1)
        if keep:
            kept.append(line)
    sam = "\n".join(header + kept) + "\n"
    subprocess.run(["samtools", "view", "--no-PG", "-O", "BAM,level=9", "-o", out_bam, "-"], input=sam.encode(),
                   check=True)
    run(["samtools", "index", out_bam])
    return len(kept), total


def bam_header(sample_tag, description):
    h = ["@HD\tVN:1.6\tSO:coordinate"]
    h += [f"@SQ\tSN:{c}\tLN:{n}\tAS:GRCh37" for c, n in mx.CONTIGS]
    h.append(f"@RG\tID:{sample_tag}\tSM:{sample_tag}\tPL:{RG_PLATFORM}")
    bwa_version = re.search(r"Version: (\S+)", subprocess.run(["bwa"], text=True, stderr=subprocess.PIPE).stderr)
    h.append(f"@PG\tID:bwa\tPN:bwa\tVN:{bwa_version.group(1)}\tCL:bwa mem -K 10000000 -R <RG> ref_20_X.fa R1.fq R2.fq")
    h.append("@PG\tID:variantbam_rule\tPN:examples/make_minibams.py\tPP:bwa\t"
             "CL:pad[500];mlregion@sv.vcf % pad[10];mlregion@snv.vcf % pad[200];mlregion@indel.vcf")
    h += [f"@CO\t{line}" for line in description]
    return h


# ----------------------------------------------------------------------------------------------
def main():
    data_dir, work, out_dir = sys.argv[1:4]
    work = os.path.abspath(work)
    genome_fa = os.path.join(work, "ref_20_X.fa")
    genome = Genome(genome_fa)
    rows = [line.rstrip("\n").split("\t") for line in open(os.path.join(out_dir, "cohort.tsv"))]
    col = {n: i for i, n in enumerate(rows[0])}
    samples = [dict((n, r[i]) for n, i in col.items()) for r in rows[1:] if r[col["tumour_bam"]]]
    truth = truth_junctions(os.path.join(data_dir, TRUTHSET))
    names, sites = panel_genotypes(os.path.join(data_dir, PANEL))
    os.makedirs(os.path.join(out_dir, mx.BAM_DIR), exist_ok=True)

    # somatic events, cut regions and simulated windows per tumour
    for s in samples:
        sid = s["sample_id"]
        assert sid in PURITY, sid
        s["events"], s["regions"], s["windows"], s["notes"] = [], [], [], []
        for kind, pad in (("snv_vcf", PAD_SNV), ("indel_vcf", PAD_INDEL)):
            if s[kind]:
                vcf = os.path.join(out_dir, s[kind])
                s["events"] += small_records(vcf, genome_fa)
                for c, p, e in raw_spans(vcf):
                    s["regions"].append((c, p - pad, e + pad))
                    s["windows"].append((c, p - SIM_FLANK_SMALL, e + SIM_FLANK_SMALL))
        if s["sv_vcf"]:
            junctions, breakends, notes = sv_events(os.path.join(out_dir, s["sv_vcf"]), truth, genome)
            s["events"] += junctions
            s["notes"] += notes
            for c, p in breakends:
                s["regions"].append((c, p - PAD_SV, p + PAD_SV))
                s["windows"].append((c, p - SIM_FLANK_SV, p + SIM_FLANK_SV))
        # haplotype of each somatic event: 2, or 1 when it would overlap an event already on haplotype 2
        s["hap"] = {1: [], 2: []}
        for e in sorted(s["events"], key=lambda e: (e.chrom, e.pos)):
            s["hap"][1 if any(overlaps(e, x) for x in s["hap"][2]) else 2].append(e)
            assert not any(overlaps(e, x) for x in s["hap"][1] if x is not e), e.label

    donors = {}
    for s in samples:
        donors.setdefault(s["donor_id"], []).append(s)
    taken, report = set(), []
    for donor in sorted(donors):
        tumours = donors[donor]
        windows = merge([w for t in tumours for w in t["windows"]])
        positions = [(e.chrom, e.pos) for t in tumours for e in t["events"]]
        indiv, nhet, nnon = choose_individual(positions, names, sites, taken)
        taken.add(indiv)
        i = names.index(indiv)
        germ = {1: [], 2: []}
        somatic_all = [e for t in tumours for e in t["events"]]
        for site, gts in sites:
            if not any(site.chrom == c and s_ <= site.pos and site.end <= e_ for c, ws in windows.items() for s_, e_ in ws
                       if c == site.chrom):
                continue
            if any(overlaps(site, e, slack=0) for e in somatic_all):
                continue  # a germline allele never overlaps a somatic event
            for h, allele in zip((1, 2), gts[i].split("|")):
                if allele == "1" and not any(overlaps(site, x, slack=0) for x in germ[h]):
                    germ[h].append(site)
        g_het = len({x.label for x in germ[1]} ^ {x.label for x in germ[2]})
        g_hom = len({x.label for x in germ[1]} & {x.label for x in germ[2]})
        span = sum(e - s_ + 1 for ws in windows.values() for s_, e in ws)
        report.append(f"donor {donor}: germline = 1000 Genomes {indiv} ({nhet} het / {nnon} non-ref sites within "
                      f"{PANEL_CHOICE_FLANK} bp of its somatic calls); {g_het} het + {g_hom} hom-alt germline alleles "
                      f"applied in {span:,} bp of simulated windows")
        tmp = os.path.join(work, donor)
        os.makedirs(tmp, exist_ok=True)
        h = {k: haplotype_contigs(genome, windows, germ[k]) for k in (1, 2)}
        germ_note = (f"germline: phased 1000 Genomes genotypes of {indiv} (chr20:1-4 Mb panel, shapeit4-example); "
                     f"{g_het} het, {g_hom} hom-alt alleles in the simulated windows")
        # normal
        normal_tag = f"{donor}-normal"
        parts = [simulate(h[k], NORMAL_COVERAGE / 2, f"{donor}.normal.H{k}", tmp, f"H{k}") for k in (1, 2)]
        full = align(parts, normal_tag, genome_fa, tmp, f"{donor}.normal")
        regions = merge([r for t in tumours for r in t["regions"]])
        desc = [f"oncolm example: SIMULATED normal reads of donor {donor} (examples/make_minibams.sh)",
                f"reads: ART HS25 2x{READ_LEN} fragment {FRAGMENT_MEAN}+-{FRAGMENT_SD}; "
                f"{NORMAL_COVERAGE / 2:g}x H1 + {NORMAL_COVERAGE / 2:g}x H2; names H1.n / H2.n = source haplotype",
                germ_note,
                "cut: reads within 10 bp of SNV/MNV, 200 bp of indel, 500 bp of PASS SV breakend records of all "
                f"tumours of the donor ({', '.join(t['sample_id'] for t in tumours)}), or whose mate is"]
        out_bam = os.path.join(out_dir, tumours[0]["normal_bam"])
        kept, total = cut(full, regions, bam_header(normal_tag, desc), out_bam)
        report.append(f"  normal {os.path.basename(out_bam)}: {kept} of {total} records kept")
        # tumours
        for t in tumours:
            sid, p = t["sample_id"], PURITY[t["sample_id"]]
            applied = {1: set(), 2: set()}
            sh = {k: haplotype_contigs(genome, windows, germ[k] + t["hap"][k], applied[k]) for k in (1, 2)}
            for k in (1, 2):
                missing = [e.label for e in t["hap"][k] if e.label not in applied[k]]
                assert not missing, (sid, k, missing)
            parts = []
            for k in (1, 2):
                parts.append(simulate(h[k], TUMOUR_COVERAGE / 2 * (1 - p), f"{sid}.tumour.H{k}", tmp, f"H{k}"))
                parts.append(simulate(sh[k], TUMOUR_COVERAGE / 2 * p, f"{sid}.tumour.S{k}", tmp, f"S{k}"))
            full = align(parts, sid, genome_fa, tmp, f"{sid}.tumour")
            desc = [f"oncolm example: SIMULATED tumour reads of {sid} (donor {donor}), purity {p:g} "
                    "(examples/make_minibams.sh)",
                    f"reads: ART HS25 2x{READ_LEN} fragment {FRAGMENT_MEAN}+-{FRAGMENT_SD}; "
                    f"{TUMOUR_COVERAGE / 2 * (1 - p):g}x H1 + {TUMOUR_COVERAGE / 2 * p:g}x S1 + "
                    f"{TUMOUR_COVERAGE / 2 * (1 - p):g}x H2 + {TUMOUR_COVERAGE / 2 * p:g}x S2; "
                    "S = H + somatic events; names H1.n/H2.n/S1.n/S2.n = source haplotype",
                    germ_note,
                    f"somatic events on S1: {len(t['hap'][1])}, on S2: {len(t['hap'][2])}",
                    "cut: reads within 10 bp of SNV/MNV, 200 bp of indel, 500 bp of PASS SV breakend records, "
                    "or whose mate is"]
            kept, total = cut(full, merge(t["regions"]), bam_header(sid, desc), os.path.join(out_dir, t["tumour_bam"]))
            report.append(f"  tumour {sid} purity {p:g}: {len(t['events'])} somatic events "
                          f"(S1 {len(t['hap'][1])}, S2 {len(t['hap'][2])}); {kept} of {total} records kept")
            report += [f"    {n}" for n in t["notes"]]
            report += [f"    simulated junction {j.label} {j.chrom}:{j.a}^{j.chrom_b}:{j.b} ins '{j.ins}' on S{k}"
                       for k in (1, 2) for j in t["hap"][k] if isinstance(j, Junction)]
            report += [f"    simulated inversion {v.label} on S{k}" for k in (1, 2) for v in t["hap"][k]
                       if isinstance(v, Small) and "inverted" in v.label]
    print("\n".join(report), file=sys.stderr)


if __name__ == "__main__":
    main()
