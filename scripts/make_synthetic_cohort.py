#!/usr/bin/env python3
"""A synthetic cancer cohort with known tumour types, for testing and benchmarking `oncolm classify`.

Each tumour type gets its own mutational processes, drawn from --seed, on the real sequence of a
reference FASTA (plain, gzip or bgzip; the repository's examples/reference/GRCh37.20_X.masked.fa.gz
by default, whose unmasked stretches are real chr20/chrX sequence):

  * SBS: a 96-class profile per type, a mixture of a flat background (40%) and a sparse Dirichlet
    draw (alpha 0.2), sampled on positions whose pyrimidine-centred trinucleotide is the class's;
  * regional density: per type, a log-normal weight (sigma 1) for every unmasked stretch of the
    reference, so the types prefer different 1 Mb bins;
  * indels (about 12% of events): a per-type mix of 1 bp deletions and insertions in homopolymers,
    deletions with microhomology, deletions and insertions of repeat units, and random indels;
  * doublets (about 2%): a per-type preferred REF dinucleotide;
  * SVs: a per-type rate (0.5 to 4 per sample) and mix of <DEL>, <DUP> and <INV>;
  * burden: a per-type mean (0.6x, 1x, 1.6x, ... of --mutations), log-normal per sample (sigma 0.3).

--signal S (0..1) scales the type-specific parts: the SBS profile's type-specific share is 0.6 S,
the region weights' sigma S, the indel mix is (1 - S) uniform + S type-specific, and the burden
factors move towards 1. S = 0 makes the types indistinguishable (accuracy at chance).

About --paired-donors of the donors have two samples (same type), so grouped cross-validation
matters. Writes OUT/vcf/<sample>.{snv_mnv,indel,sv}.vcf and OUT/cohort.tsv (sample_id donor_id
tumour_bam normal_bam snv_vcf indel_vcf sv_vcf tumour_type), ready for
`oncolm windows OUT/cohort.tsv --reference REF -o WINDOWS`.
Standard library only.
"""
import argparse
import bisect
import gzip
import itertools
import math
import os
import random
import re

BASES = "ACGT"
COMPLEMENT = {"A": "T", "C": "G", "G": "C", "T": "A"}


def revcomp(seq):
    return "".join(COMPLEMENT[b] for b in reversed(seq))


def read_fasta(path):
    opener = gzip.open if path.endswith((".gz", ".bgz")) else open
    contigs, name, parts = [], None, []
    with opener(path, "rt") as handle:
        for line in handle:
            if line.startswith(">"):
                if name is not None:
                    contigs.append((name, "".join(parts).upper()))
                name, parts = line[1:].split()[0], []
            else:
                parts.append(line.strip())
    if name is not None:
        contigs.append((name, "".join(parts).upper()))
    return contigs


def sbs_classes():
    out = []
    for ref, alt in (("C", "A"), ("C", "G"), ("C", "T"), ("T", "A"), ("T", "C"), ("T", "G")):
        for five in BASES:
            for three in BASES:
                out.append((five + ref + three, alt))
    return out


def dirichlet(rng, alpha, n):
    draws = [rng.gammavariate(alpha, 1.0) for _ in range(n)]
    total = sum(draws) or 1.0
    return [d / total for d in draws]


class Reference:
    """Unmasked stretches, and for each pyrimidine-centred trinucleotide the positions having it."""

    def __init__(self, contigs, margin=10):
        self.contigs = contigs
        self.stretches = []  # (contig index, start, end), 0-based half-open, at least 200 bases
        for ci, (_, seq) in enumerate(contigs):
            for m in re.finditer(r"[ACGT]{200,}", seq):
                self.stretches.append((ci, m.start() + margin, m.end() - margin))
        # context -> list of (stretch index, position)
        self.by_context = {}
        for si, (ci, start, end) in enumerate(self.stretches):
            seq = contigs[ci][1]
            for p in range(start + 1, end - 1):
                tri = seq[p - 1:p + 2]
                if tri[1] in "AG":
                    tri = revcomp(tri)
                self.by_context.setdefault(tri, []).append((si, p))

    def weighted_context_sampler(self, weights):
        """For each context, cumulative weights of its positions (weights are per stretch)."""
        return {tri: list(itertools.accumulate(weights[si] for si, _ in positions))
                for tri, positions in self.by_context.items()}


class TumourType:
    def __init__(self, index, rng, reference, args):
        self.name = "Type%s" % chr(ord("A") + index)
        s = args.signal
        self.sbs = [(1 - 0.6 * s) / 96 + 0.6 * s * p for p in dirichlet(rng, 0.2, 96)]
        self.region = [math.exp(rng.gauss(0.0, s)) for _ in reference.stretches]
        self.region_cum = list(itertools.accumulate(
            w * (end - start) for w, (_, start, end) in zip(self.region, reference.stretches)))
        self.context_cum = reference.weighted_context_sampler(self.region)
        self.indel_mix = [(1 - s) / 6 + s * p for p in dirichlet(rng, 0.5, 6)]
        self.indel_fraction = 0.06 + 0.12 * rng.random()
        self.dbs_fraction = 0.005 + 0.03 * rng.random()
        self.dbs_ref = rng.choice(["CC", "TC", "TT", "AC", "CG", "GC", "TG"])
        self.sv_rate = 0.5 + 3.5 * rng.random()
        self.sv_mix = dirichlet(rng, 1.0, 3)
        self.burden = args.mutations * (1 + s * ([0.6, 1.0, 1.6, 0.8, 1.3, 2.0][index % 6] - 1))


class SampleSimulator:
    def __init__(self, reference, rng):
        self.ref = reference
        self.rng = rng
        self.classes = sbs_classes()

    def position(self, ttype):
        """A random position in the type's preferred stretches: (contig index, 0-based position)."""
        r = self.rng.random() * ttype.region_cum[-1]
        si = bisect.bisect_left(ttype.region_cum, r)
        ci, start, end = self.ref.stretches[si]
        return ci, self.rng.randrange(start, end)

    def snv(self, ttype):
        tri, alt = self.classes[self.rng.choices(range(96), weights=ttype.sbs)[0]]
        positions = self.ref.by_context.get(tri)
        if not positions:
            return None
        cum = ttype.context_cum[tri]
        si, p = positions[bisect.bisect_left(cum, self.rng.random() * cum[-1])]
        ci = self.ref.stretches[si][0]
        seq = self.ref.contigs[ci][1]
        ref = seq[p]
        if ref != tri[1]:  # the purine strand: complement the change
            alt = COMPLEMENT[alt]
        return ci, p, ref, alt

    def indel(self, ttype):
        kind = self.rng.choices(range(6), weights=ttype.indel_mix)[0]
        for _ in range(400):
            ci, p = self.position(ttype)
            seq = self.ref.contigs[ci][1]
            if kind == 0:  # 1 bp deletion in a homopolymer
                if seq[p] == seq[p + 1] and seq[p - 1] != seq[p]:
                    return ci, p - 1, seq[p - 1:p + 1], seq[p - 1]
            elif kind == 1:  # 1 bp insertion in a homopolymer
                if seq[p] == seq[p + 1] and seq[p - 1] != seq[p]:
                    return ci, p - 1, seq[p - 1], seq[p - 1] + seq[p]
            elif kind == 2:  # deletion with microhomology, 3-12 bp
                length = self.rng.randint(3, 12)
                unit = seq[p:p + length]
                if seq[p + length] == unit[0] and seq[p + length:p + 2 * length] != unit and seq[p - 1] != unit[-1]:
                    return ci, p - 1, seq[p - 1:p + length], seq[p - 1]
            elif kind == 3:  # deletion of a repeat unit, 2-4 bp
                length = self.rng.randint(2, 4)
                unit = seq[p:p + length]
                if seq[p + length:p + 2 * length] == unit and seq[p - length:p] != unit:
                    return ci, p - 1, seq[p - 1:p + length], seq[p - 1]
            elif kind == 4:  # insertion of a repeat unit, 2-5 bp
                length = self.rng.randint(2, 5)
                unit = seq[p:p + length]
                if seq[p + length:p + 2 * length] == unit and seq[p - length:p] != unit:
                    return ci, p - 1, seq[p - 1], seq[p - 1] + unit
            else:  # random insertion or deletion, 1-20 bp
                length = self.rng.randint(1, 20)
                if self.rng.random() < 0.5:
                    return ci, p - 1, seq[p - 1:p + length], seq[p - 1]
                inserted = "".join(self.rng.choice(BASES) for _ in range(length))
                return ci, p - 1, seq[p - 1], seq[p - 1] + inserted
        return None

    def doublet(self, ttype):
        for attempt in range(400):
            ci, p = self.position(ttype)
            seq = self.ref.contigs[ci][1]
            ref = seq[p:p + 2]
            if attempt < 300 and ref not in (ttype.dbs_ref, revcomp(ttype.dbs_ref)):
                continue
            alt = "".join(self.rng.choice([b for b in BASES if b != r]) for r in ref)
            return ci, p, ref, alt
        return None

    def sv(self, ttype, number):
        kind = ["DEL", "DUP", "INV"][self.rng.choices(range(3), weights=ttype.sv_mix)[0]]
        ci, p = self.position(ttype)
        size = self.rng.randint(300, 3000)
        seq = self.ref.contigs[ci][1]
        if p + size >= len(seq):
            return None
        return ci, p, seq[p], kind, size, "sv%d" % number


def write_vcf(path, contigs, records, sv=False):
    lines = ["##fileformat=VCFv4.2"]
    for name, seq in contigs:
        lines.append("##contig=<ID=%s,length=%d>" % (name, len(seq)))
    if sv:
        lines.append('##INFO=<ID=SVTYPE,Number=1,Type=String,Description="SV type">')
        lines.append('##INFO=<ID=END,Number=1,Type=Integer,Description="End position">')
        lines.append('##INFO=<ID=SVLEN,Number=1,Type=Integer,Description="SV length">')
    lines.append("#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO")
    for record in sorted(records, key=lambda r: (r[0], r[1])):
        ci, p = record[0], record[1]
        if sv:
            _, _, ref, kind, size, name = record
            length = -size if kind == "DEL" else size
            lines.append("%s\t%d\t%s\t%s\t<%s>\t.\tPASS\tSVTYPE=%s;END=%d;SVLEN=%d" %
                         (contigs[ci][0], p + 1, name, ref, kind, kind, p + 1 + size, length))
        else:
            _, _, ref, alt = record
            lines.append("%s\t%d\t.\t%s\t%s\t.\tPASS\t." % (contigs[ci][0], p + 1, ref, alt))
    with open(path, "w") as handle:
        handle.write("\n".join(lines) + "\n")


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--reference", default=os.path.join(here, "..", "examples", "reference",
                                                           "GRCh37.20_X.masked.fa.gz"))
    parser.add_argument("-o", "--out", required=True)
    parser.add_argument("--types", type=int, default=3)
    parser.add_argument("--samples-per-type", type=int, default=20)
    parser.add_argument("--mutations", type=float, default=150, help="mean small variants per sample (x type factor)")
    parser.add_argument("--paired-donors", type=float, default=0.2, help="fraction of donors with two samples")
    parser.add_argument("--no-sv", action="store_true", help="no SV VCFs")
    parser.add_argument("--signal", type=float, default=1.0,
                        help="strength of the type-specific processes, 0 (types identical) to 1 (the defaults above)")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    rng = random.Random(args.seed)
    contigs = read_fasta(args.reference)
    reference = Reference(contigs)
    types = [TumourType(i, rng, reference, args) for i in range(args.types)]
    simulator = SampleSimulator(reference, rng)
    os.makedirs(os.path.join(args.out, "vcf"), exist_ok=True)
    rows = ["sample_id\tdonor_id\ttumour_bam\tnormal_bam\tsnv_vcf\tindel_vcf\tsv_vcf\ttumour_type"]
    for ttype in types:
        made = 0
        donor_number = 0
        while made < args.samples_per_type:
            donor_number += 1
            donor = "%s-D%03d" % (ttype.name, donor_number)
            copies = 2 if rng.random() < args.paired_donors and made + 2 <= args.samples_per_type else 1
            for copy in range(copies):
                sample = "%s-S%d" % (donor, copy + 1)
                made += 1
                burden = max(10, int(round(ttype.burden * math.exp(rng.gauss(0.0, 0.3)))))
                small, indels, used = [], [], set()
                for _ in range(burden):
                    r = rng.random()
                    if r < ttype.indel_fraction:
                        record, target = simulator.indel(ttype), indels
                    elif r < ttype.indel_fraction + ttype.dbs_fraction:
                        record, target = simulator.doublet(ttype), small
                    else:
                        record, target = simulator.snv(ttype), small
                    if record is None:
                        continue
                    # at most one event in any 30 bases, so no two overlap after normalisation
                    key = (record[0], record[1] // 30)
                    if key in used:
                        continue
                    used.add(key)
                    target.append(record)
                svs = []
                if not args.no_sv:
                    for number in range(min(20, int(rng.expovariate(1.0 / ttype.sv_rate) + 0.5))):
                        record = simulator.sv(ttype, number)
                        if record is not None:
                            svs.append(record)
                base = os.path.join("vcf", sample)
                write_vcf(os.path.join(args.out, base + ".snv_mnv.vcf"), contigs, small)
                write_vcf(os.path.join(args.out, base + ".indel.vcf"), contigs, indels)
                sv_path = ""
                if svs:
                    sv_path = base + ".sv.vcf"
                    write_vcf(os.path.join(args.out, sv_path), contigs, svs, sv=True)
                rows.append("\t".join([sample, donor, "", "", base + ".snv_mnv.vcf", base + ".indel.vcf", sv_path,
                                       ttype.name]))
    with open(os.path.join(args.out, "cohort.tsv"), "w") as handle:
        handle.write("\n".join(rows) + "\n")
    print("wrote %d samples of %d types to %s" % (len(rows) - 1, len(types), os.path.join(args.out, "cohort.tsv")))


if __name__ == "__main__":
    main()
