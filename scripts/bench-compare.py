#!/usr/bin/env python3
"""make bench-compare's report: our kernel against the upstream reference.

usage: bench-compare.py DIR

DIR holds meta.txt and, per boot, ours-N.csv and ref-N.csv as
tests/bench_vsmmu.c prints them. Each figure of a boot is taken as a
multiple of that boot's floor (smmu_floor_destroy_enoent, the cheapest
iommufd ioctl), which cancels most of what differs between boots of an
emulated machine; boot N of ours is compared with boot N of the reference,
and the table gives the median ratio over the boots with its range.
Writes DIR/results.md, DIR/results.csv and DIR/ratio.png.
"""
import csv
import glob
import os
import re
import shutil
import statistics
import subprocess
import sys

FLOOR = 'smmu_floor_destroy_enoent'
SERIES = {
    'smmu_tlbi_va_per_cmd': 'CMD_TLBI_NH_VA',
    'smmu_cfgi_cd_per_cmd': 'CMD_CFGI_CD_ALL',
}
# ours / reference at most, per batch size (the goals of the forwarding path)
TARGET = {1: 0.9, 8: 1.0}
TARGET_FROM_64 = 0.8
TARGET_CFGI_OVER_TLBI = 1.2


def load(path):
    """{(figure, param): median_ns} of one boot"""
    return {(r['figure'], int(r['param'])): int(r['median_ns'])
            for r in csv.DictReader(open(path))}


def boots(d, kernel):
    files = sorted(glob.glob(os.path.join(d, f'{kernel}-*.csv')),
                   key=lambda p: int(re.search(r'-(\d+)\.csv$', p).group(1)))
    return [load(p) for p in files]


def multiple(boot, key):
    floor = boot.get((FLOOR, 0))
    v = boot.get(key)
    return v / floor if floor and v is not None else None


def target(fig, batch):
    if batch in TARGET:
        return TARGET[batch]
    return TARGET_FROM_64 if batch >= 64 else None


def main():
    d = sys.argv[1]
    ours, ref = boots(d, 'ours'), boots(d, 'ref')
    n = min(len(ours), len(ref))
    if not n:
        sys.exit(f"{d}: no pair of boots to compare")
    ours, ref = ours[:n], ref[:n]
    batches = sorted({p for b in ours + ref for (f, p) in b if f in SERIES})

    lines = ["# make bench-compare: forwarded invalidations, ours and upstream", ""]
    lines += ["```"] + open(os.path.join(d, 'meta.txt')).read().rstrip().splitlines()
    lines += ["```", ""]
    lines += [
        "Each figure is the median time per command of one",
        "IOMMU_HWPT_INVALIDATE of that many commands through a vSMMU on the",
        "emulated SMMUv3, as a multiple of the same boot's floor (IOMMU_DESTROY",
        "of a missing ID). The ratio compares boot N of ours with boot N of the",
        "reference: below 1, ours is faster. Per command and per batch give the",
        "same ratio.", "",
        f"Floor, median over boots: ours "
        f"{statistics.median(b[(FLOOR, 0)] for b in ours) / 1000:.2f} µs, "
        f"reference {statistics.median(b[(FLOOR, 0)] for b in ref) / 1000:.2f} µs.",
        "",
        "| command | batch | ours × floor | reference × floor "
        "| ours / reference | range over boots | goal | met |",
        "|---|---:|---:|---:|---:|---:|---:|---|",
    ]
    out_rows = []
    for fig, name in SERIES.items():
        for batch in batches:
            key = (fig, batch)
            mo = [multiple(b, key) for b in ours]
            mr = [multiple(b, key) for b in ref]
            pairs = [o / r for o, r in zip(mo, mr) if o and r]
            if not pairs:
                continue
            ratio = statistics.median(pairs)
            goal = target(fig, batch)
            met = "-" if goal is None else ("yes" if ratio <= goal else "no")
            lines.append(
                f"| {name} | {batch} | {statistics.median(x for x in mo if x):.2f} "
                f"| {statistics.median(x for x in mr if x):.2f} | {ratio:.2f} "
                f"| {min(pairs):.2f}-{max(pairs):.2f} "
                f"| {'-' if goal is None else f'≤ {goal:.1f}'} | {met} |")
            out_rows.append([fig, batch, f"{ratio:.4f}", f"{min(pairs):.4f}",
                             f"{max(pairs):.4f}", len(pairs)])

    lines += ["", "CMD_CFGI_CD_ALL per command over CMD_TLBI_NH_VA per command, "
              "at the largest batch (median over boots):", "",
              "| kernel | CFGI_CD_ALL / TLBI_NH_VA | goal |", "|---|---:|---:|"]
    big = batches[-1] if batches else None
    for label, bs, goal in (("ours", ours, f"≤ {TARGET_CFGI_OVER_TLBI}"),
                            ("reference", ref, "-")):
        q = [b[('smmu_cfgi_cd_per_cmd', big)] / b[('smmu_tlbi_va_per_cmd', big)]
             for b in bs if ('smmu_cfgi_cd_per_cmd', big) in b
             and ('smmu_tlbi_va_per_cmd', big) in b]
        if q:
            lines.append(f"| {label} | {statistics.median(q):.2f} | {goal} |")

    lines += ["", "What each kernel answered an empty batch (entry_num 0):", ""]
    for label, bs in (("ours", ours), ("reference", ref)):
        errs = sorted({p for b in bs for (f, p) in b if f == 'smmu_empty_batch_errno'})
        what = ", ".join("accepted" if e == 0 else os.strerror(e) + f" ({e})"
                         for e in errs) or "not measured"
        lines.append(f"- {label}: {what}")

    open(os.path.join(d, 'results.md'), 'w').write("\n".join(lines) + "\n")
    with open(os.path.join(d, 'results.csv'), 'w', newline='') as f:
        w = csv.writer(f)
        w.writerow(['figure', 'batch', 'ours_over_ref', 'min', 'max', 'boots'])
        w.writerows(out_rows)

    if not shutil.which('gnuplot') or not out_rows:
        return
    for fig in SERIES:
        with open(os.path.join(d, fig + '.dat'), 'w') as f:
            for r in out_rows:
                if r[0] == fig:
                    f.write(f"{r[1]} {r[2]} {r[3]} {r[4]}\n")
    plot = [
        "set terminal pngcairo size 900,560 noenhanced",
        f"set output '{os.path.join(d, 'ratio.png')}'",
        "set title 'Forwarded invalidation: ours / upstream, per boot pair (median, range)'",
        "set logscale x", "set xlabel 'commands per IOMMU_HWPT_INVALIDATE'",
        "set ylabel 'ours / upstream (each × its boot floor)'", "set grid",
        "set key top right",
        "plot " + ", ".join(
            f"'{os.path.join(d, fig + '.dat')}' using 1:2:3:4 with yerrorlines title '{name}'"
            for fig, name in SERIES.items()) + ", 1 with lines dashtype 2 title 'same'",
    ]
    subprocess.run(['gnuplot'], input="\n".join(plot), text=True, check=True)


if __name__ == '__main__':
    main()
