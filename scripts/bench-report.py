#!/usr/bin/env python3
"""Turn the CSV that tests/bench_vsmmu.c prints in the VM into the table of
make bench (Markdown) and a plot (gnuplot, PNG) under build/bench/.

usage: bench-report.py RESULTS.csv META.txt OUT_DIR
"""
import csv
import os
import shutil
import subprocess
import sys

WHAT = {
    'floor_destroy_enoent': 'IOMMU_DESTROY of a missing ID (the floor)',
    'mock_empty_batch': 'IOMMU_HWPT_INVALIDATE, 0 entries, mock vIOMMU',
    'mock_invalidate_per_cmd': 'per entry, mock vIOMMU (our code only)',
    'smmu_floor_destroy_enoent': 'IOMMU_DESTROY of a missing ID, in the vSMMU part',
    'smmu_empty_batch': 'IOMMU_HWPT_INVALIDATE, 0 entries, vSMMU',
    'smmu_empty_batch_errno': 'errno of that empty batch (0: taken as a probe)',
    'smmu_tlbi_va_per_cmd': 'per CMD_TLBI_NH_VA, vSMMU on emulated SMMUv3',
    'smmu_cfgi_cd_per_cmd': 'per CMD_CFGI_CD_ALL, vSMMU on emulated SMMUv3',
    'smmu_nested_lifecycle': 'vSMMU + vDEVICE + nested HWPT + attach, and back',
    'vsmmu_alloc_until_enospc': 'per vSMMU, allocating until ENOSPC (batch = VMIDs)',
    'vsmmu_destroy': 'per vSMMU destroyed (TLBI_S12_VMALL + CMD_SYNC each)',
    'vsmmu_alloc_again': 'per vSMMU, all freed VMIDs taken again',
    'vdev_fill': 'per vDEVICE, filling one mock vIOMMU up to this count',
    'vdev_alloc': 'one more vDEVICE, with this many on the vIOMMU',
    'vdev_destroy': 'that vDEVICE destroyed again',
    'vdev_lookup_ioctl': 'vSID lookup through a test ioctl (syscall included)',
    'vdev_lookup_per_entry': 'per vSID lookup in a batch of 4096 random vSIDs',
    'mock_dev_add': 'per mock device created, bound and attached (set-up)',
    'vdev_close_all': 'per device at close: vDEVICE, device, all torn down',
}


def us(ns):
    return f"{int(ns) / 1000:.2f}"


def share_table(rows):
    """One stage-2 for N SMMUs next to one per SMMU, side by side"""
    if not rows:
        return []
    val = {(r['figure'], int(r['param'])): int(r['median_ns']) for r in rows}
    counts = sorted({int(r['param']) for r in rows})
    lines = [
        "", "One stage-2 for the VM against one per SMMU: page-table memory",
        "after mapping 16 MiB of 4K pages into the IOAS, and the median time",
        "per 4K page of IOMMU_IOAS_MAP and IOMMU_IOAS_UNMAP of those 16 MiB",
        "(7 repetitions). The VM has one emulated SMMU: each of the N SMMUs",
        "is stood for by a vSMMU of its own (a VMID each unmap invalidates)",
        "and, without sharing, by a nesting parent of its own (a page table",
        "each map and unmap fills and clears). The last two columns are the",
        "longest stretch with interrupts disabled in the task during one such",
        "unmap, with every invalidation it sends (median of 15 unmaps, from",
        "the kernel's irq_disable and irq_enable events for that task; the",
        "handling of interrupts that arrive meanwhile does not count).", "",
        "| SMMUs | page tables, shared KiB | one per SMMU KiB "
        "| map µs/page, shared | one per SMMU "
        "| unmap µs/page, shared | one per SMMU "
        "| IRQs off µs, shared | one per SMMU |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]

    def cell(fig, n, unit):
        v = val.get((fig, n))
        if v is None:
            return "-"
        return f"{v / 1024:.0f}" if unit == 'KiB' else us(v)

    for n in counts:
        lines.append(
            f"| {n} | {cell('s2_pt_bytes_shared', n, 'KiB')} "
            f"| {cell('s2_pt_bytes_per_smmu', n, 'KiB')} "
            f"| {cell('s2_map_per_page_shared', n, 'us')} "
            f"| {cell('s2_map_per_page_per_smmu', n, 'us')} "
            f"| {cell('s2_unmap_per_page_shared', n, 'us')} "
            f"| {cell('s2_unmap_per_page_per_smmu', n, 'us')} "
            f"| {cell('s2_unmap_irqsoff_max_shared', n, 'us')} "
            f"| {cell('s2_unmap_irqsoff_max_per_smmu', n, 'us')} |")
    return lines


def main():
    src, meta, out = sys.argv[1:4]
    rows = list(csv.DictReader(open(src)))
    if not rows:
        sys.exit(f"{src}: no results")
    floor = next((int(r['median_ns']) for r in rows
                  if r['figure'] in ('floor_destroy_enoent',
                                     'smmu_floor_destroy_enoent')), None)
    lines = ["# make bench: the trap path of a virtual SMMU", ""]
    lines += ["```"] + open(meta).read().rstrip().splitlines() + ["```", ""]
    lines += [
        "Times are per ioctl, or per command for the per-command rows (the",
        "call's time divided by the batch size). The VM is emulated (TCG):",
        "read the ratios to the floor, the cheapest iommufd ioctl, and the",
        "trend over batch sizes, not the absolute times. For the vSMMU and",
        "vDEVICE rows the second column counts objects, not commands.", "",
        "| figure | batch / count | reps | median µs | p10 µs | p90 µs | × floor |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    share = [r for r in rows if r['figure'].startswith('s2_')]
    rows = [r for r in rows if not r['figure'].startswith('s2_')]
    for r in rows:
        ratio = f"{int(r['median_ns']) / floor:.2f}" if floor else "-"
        lines.append(f"| {WHAT.get(r['figure'], r['figure'])} | {r['param']} "
                     f"| {r['reps']} | {us(r['median_ns'])} | {us(r['p10_ns'])} "
                     f"| {us(r['p90_ns'])} | {ratio} |")
    lines += share_table(share)
    os.makedirs(out, exist_ok=True)
    open(os.path.join(out, 'results.md'), 'w').write("\n".join(lines) + "\n")

    series = ['mock_invalidate_per_cmd', 'smmu_tlbi_va_per_cmd',
              'smmu_cfgi_cd_per_cmd']
    for s in series:
        with open(os.path.join(out, s + '.dat'), 'w') as f:
            for r in rows:
                if r['figure'] == s:
                    f.write(f"{r['param']} {int(r['median_ns']) / 1000} "
                            f"{int(r['p10_ns']) / 1000} {int(r['p90_ns']) / 1000}\n")
    if not any(r['figure'] in series for r in rows):
        print("bench: no invalidation figures in this run, no plot")
        return
    if not shutil.which('gnuplot'):
        print("bench: no gnuplot, no plot")
        return
    plot = [
        "set terminal pngcairo size 900,560 noenhanced",
        f"set output '{os.path.join(out, 'invalidate.png')}'",
        "set title 'Forwarded invalidation: time per command (median, p10-p90)'",
        "set logscale xy", "set xlabel 'commands per IOMMU_HWPT_INVALIDATE'",
        "set ylabel 'µs per command'", "set key top right", "set grid",
    ]
    if floor:
        plot.append(f"floor = {floor / 1000}")
    cmds = []
    for s in series:
        d = os.path.join(out, s + '.dat')
        cmds.append(f"'{d}' using 1:2:3:4 with yerrorlines title '{WHAT[s]}'")
    if floor:
        cmds.append("floor with lines dashtype 2 title 'floor (one ioctl)'")
    plot.append("plot " + ", ".join(cmds))
    subprocess.run(['gnuplot'], input="\n".join(plot), text=True, check=True)


if __name__ == '__main__':
    main()
