#!/usr/bin/env python3
"""make bench-profile's helper.

watch LOG CTL: follow a VM's console log; on the bench's profile-on marker
tell perf (its control fifo CTL) to enable, on profile-off to disable, then
print the loop's calls and ns per call and exit.

report DIR NAME=SYSTEM.MAP...: turn DIR's perf samples (one file per kernel
and figure, NAME-KIND-BATCH.samples) into DIR/profile.md: host microseconds
per call of each guest kernel function and each function of QEMU, the
kernels side by side.
"""
import bisect
import collections
import glob
import os
import re
import sys
import time

FREQ = int(os.environ.get("PERF_FREQ", "1999"))
TOP = 25


def watch(log, ctl):
    fd = os.open(ctl, os.O_WRONLY)
    pos = 0
    buf = ""
    while True:
        with open(log, errors="replace") as f:
            f.seek(pos)
            data = f.read()
            pos = f.tell()
        if not data:
            time.sleep(0.05)
            continue
        buf += data
        *lines, buf = buf.split("\n")
        for line in lines:
            if "@@vsmmu profile-on" in line:
                os.write(fd, b"enable\n")
            m = re.search(r"@@vsmmu profile-off \S+ calls=(\d+) "
                          r"ns_per_call=(\d+)", line)
            if m:
                os.write(fd, b"disable\n")
                print(f"calls={m.group(1)} ns_per_call={m.group(2)}",
                      flush=True)
                return


def load_map(path):
    syms = []
    with open(path) as f:
        for line in f:
            parts = line.split()
            if len(parts) >= 3 and parts[1] in "tTwW":
                syms.append((int(parts[0], 16), parts[2]))
    syms.sort()
    return [a for a, _ in syms], [n for _, n in syms]


def guest_sym(maps, addr):
    addrs, names = maps
    i = bisect.bisect_right(addrs, addr) - 1
    return names[i] if i >= 0 else "?"


SAMPLE = re.compile(r"^\s*\d+\s+([0-9a-f]+)\s+(.*?)\s+\((.*)\)\s*$")
GUEST = re.compile(r"guest-0x([0-9a-f]+)")


def classify(line, maps):
    m = SAMPLE.match(line)
    if not m:
        return None
    sym, dso = m.group(2), m.group(3)
    if "perf-" in dso or dso == "[unknown]":
        g = GUEST.search(sym)
        if not g:
            return "qemu translated code" if "perf-" in dso else "host [unknown]"
        addr = int(g.group(1), 16)
        if addr >= 0xffff000000000000:
            return "guest " + guest_sym(maps, addr)
        return "guest user"
    if dso == "[kernel.kallsyms]":
        return "host kernel"
    base = os.path.basename(dso)
    if base.startswith("qemu-system"):
        return "qemu " + re.sub(r"\+0x[0-9a-f]+$", "", sym)
    return base + " " + re.sub(r"\+0x[0-9a-f]+$", "", sym)


def group(entry):
    if entry.startswith("guest user"):
        return "guest user space"
    if entry.startswith("guest"):
        return "guest kernel"
    if re.match(r"qemu (smmu|smmuv3)", entry):
        return "QEMU SMMU model"
    if entry == "qemu [unknown]":
        return "QEMU, functions without symbols (SMMU model among them)"
    if entry.startswith("qemu"):
        return "QEMU (TCG, memory, MMIO, other)"
    return "host libraries and kernel"


def report(out, maps_args):
    maps = {}
    for arg in maps_args:
        name, path = arg.split("=", 1)
        maps[name] = load_map(path)
    runs = collections.defaultdict(dict)
    for path in sorted(glob.glob(os.path.join(out, "*.samples"))):
        name = os.path.basename(path)[:-len(".samples")]
        kernel, spec = name.split("-", 1)
        calls_path = os.path.join(out, name + ".calls")
        with open(calls_path) as f:
            m = re.search(r"calls=(\d+) ns_per_call=(\d+)", f.read())
        calls, ns = int(m.group(1)), int(m.group(2))
        counts = collections.Counter()
        with open(path, errors="replace") as f:
            for line in f:
                e = classify(line, maps[kernel])
                if e:
                    counts[e] += 1
        runs[spec][kernel] = (calls, ns, counts)
    kernels = list(maps)
    lines = ["# Where a forwarded invalidation's time goes", "",
             "Host microseconds per IOMMU_HWPT_INVALIDATE call (perf samples "
             f"of QEMU at {FREQ} Hz / calls), by guest kernel function and "
             "by QEMU function. ns/call is the guest's own clock.", ""]
    for spec, byk in sorted(runs.items()):
        if not all(k in byk for k in kernels):
            continue
        kind, batch = spec.rsplit("-", 1)
        lines += [f"## {kind}, batch {batch}", ""]
        per = {k: {e: c / FREQ * 1e6 / byk[k][0]
                   for e, c in byk[k][2].items()} for k in kernels}
        lines.append("| | " + " | ".join(kernels) + " |")
        lines.append("|---|" + "---|" * len(kernels))
        lines.append("| calls | " + " | ".join(str(byk[k][0])
                                                 for k in kernels) + " |")
        lines.append("| guest ns/call | " +
                     " | ".join(str(byk[k][1]) for k in kernels) + " |")
        lines.append("| host us/call, sampled | " + " | ".join(
            f"{sum(per[k].values()):.1f}" for k in kernels) + " |")
        groups = sorted({group(e) for k in kernels for e in per[k]})
        for g in groups:
            lines.append(f"| {g} | " + " | ".join(
                f"{sum(v for e, v in per[k].items() if group(e) == g):.1f}"
                for k in kernels) + " |")
        lines += ["", "| function | " + " | ".join(kernels) + " |",
                  "|---|" + "---|" * len(kernels)]
        entries = set().union(*(per[k] for k in kernels))
        top = sorted(entries, key=lambda e: -max(per[k].get(e, 0)
                                                  for k in kernels))[:TOP]
        for e in top:
            lines.append(f"| {e} | " + " | ".join(
                f"{per[k].get(e, 0):.2f}" for k in kernels) + " |")
        lines.append("")
    with open(os.path.join(out, "profile.md"), "w") as f:
        f.write("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    if sys.argv[1] == "watch":
        watch(sys.argv[2], sys.argv[3])
    elif sys.argv[1] == "report":
        report(sys.argv[2], sys.argv[3:])
    else:
        sys.exit(__doc__)
