#!/usr/bin/python3
"""Baseline for bench/windows_bench.sh: variant-centred REF/ALT windows with plain pysam.

usage: pysam_windows.py REFERENCE OUT_PREFIX VCF [VCF ...] [--length 5994] [--sample NAME]

Does the same small-variant work as `oncolm windows`, written the obvious way: read the VCF with
pysam.VariantFile, keep FILTER PASS or '.', split multi-allelic records, trim and left-align indels
against the reference, fetch the REF window of length L whose 0-based offset floor(L/2) is the first
changed base, build the ALT window from the same start (left flank identical, right end extended or
trimmed so ALT has length L), and write REF then ALT record per variant to OUT_PREFIX.fa.gz (gzip) and
one row per variant to OUT_PREFIX.tsv.gz. Windows are clipped at contig ends. No SVs, no nearby-variant
lists, no statistics. Needs Debian's python3-pysam (run with /usr/bin/python3).
"""
import argparse
import gzip
import sys

import pysam


def left_normalise(fa, chrom, pos, ref, alt):
    """vt/bcftools-style normalisation: trim common suffix, extend left while an allele is empty,
    then trim common prefix keeping one anchor base for indels. pos is 1-based."""
    while True:
        changed = False
        if ref and alt and ref[-1] == alt[-1] and (len(ref) > 1 or len(alt) > 1):
            ref, alt = ref[:-1], alt[:-1]
            changed = True
        if (not ref or not alt) and pos > 1:
            base = fa.fetch(chrom, pos - 2, pos - 1).upper()
            ref, alt, pos = base + ref, base + alt, pos - 1
            changed = True
        if not changed:
            break
    while len(ref) > 1 and len(alt) > 1 and ref[0] == alt[0]:
        ref, alt, pos = ref[1:], alt[1:], pos + 1
    return pos, ref, alt


def variant_type(ref, alt):
    if len(ref) != len(alt):
        return "indel"
    return "snv" if len(ref) == 1 else "mnv"


def make_windows(fa, chrom, contig_len, pos, ref, alt, length):
    """REF and ALT windows (upper case) with their 1-based spans and the offset of the first changed base."""
    common = 0
    while common < min(len(ref), len(alt)) and ref[common] == alt[common]:
        common += 1
    first = pos + common
    start = max(1, first - length // 2)
    end = min(contig_len, start + length - 1)
    offset = first - start
    ref_seq = fa.fetch(chrom, start - 1, end).upper()
    # ALT: same left flank, the allele, then reference bases after REF until ALT has REF's length
    left = fa.fetch(chrom, start - 1, pos - 1).upper()
    alt_len = end - start + 1
    right_start = pos + len(ref)  # 1-based first reference base after the REF allele
    need = max(0, alt_len - len(left) - len(alt))
    right_end = min(contig_len, right_start + need - 1)
    right = fa.fetch(chrom, right_start - 1, right_end).upper() if right_end >= right_start else ""
    alt_seq = (left + alt + right)[:alt_len]
    alt_end = right_end if right_end >= right_start else pos + len(ref) - 1
    return ref_seq, alt_seq, start, end, start, alt_end, offset


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("reference")
    ap.add_argument("out_prefix")
    ap.add_argument("vcf", nargs="+")
    ap.add_argument("--length", type=int, default=5994)
    ap.add_argument("--sample", default="sample")
    a = ap.parse_args()

    fa = pysam.FastaFile(a.reference)
    lengths = dict(zip(fa.references, fa.lengths))
    n = 0
    with gzip.open(a.out_prefix + ".fa.gz", "wt", compresslevel=6) as fout, \
            gzip.open(a.out_prefix + ".tsv.gz", "wt", compresslevel=6) as tout:
        tout.write("sample_id\tchrom\tpos\tref\talt\tfilter\tnorm_pos\tnorm_ref\tnorm_alt\ttype\twindow_start\t"
                   "window_end\talt_window_start\talt_window_end\toffset\tref_record\talt_record\n")
        for rec in (r for path in a.vcf for r in pysam.VariantFile(path)):
            filters = list(rec.filter.keys())
            if filters and filters != ["PASS"]:
                continue
            if rec.chrom not in lengths:
                continue
            for alt in rec.alts or ():
                if alt.startswith("<") or "[" in alt or "]" in alt or alt == "*":
                    continue
                pos, ref, nalt = left_normalise(fa, rec.chrom, rec.pos, rec.ref.upper(), alt.upper())
                ref_seq, alt_seq, ws, we, aws, awe, off = make_windows(
                    fa, rec.chrom, lengths[rec.chrom], pos, ref, nalt, a.length)
                n += 1
                name = f"{a.sample}|{n}|{rec.chrom}_{pos}"
                fout.write(f">{name}|REF\n{ref_seq}\n>{name}|ALT\n{alt_seq}\n")
                tout.write(f"{a.sample}\t{rec.chrom}\t{rec.pos}\t{rec.ref}\t{alt}\t{';'.join(filters) or '.'}\t"
                           f"{pos}\t{ref}\t{nalt}\t{variant_type(ref, nalt)}\t{ws}\t{we}\t{aws}\t{awe}\t{off}\t"
                           f"{name}|REF\t{name}|ALT\n")
    print(f"pysam_windows: {n} windows", file=sys.stderr)


if __name__ == "__main__":
    main()
