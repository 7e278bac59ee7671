#!/usr/bin/env python3
"""Check the tree's uAPI headers against ../shared/abi/viommu-uapi-layout-check.c.

The check file is a list of independent compile-time assertions (struct
sizes, field offsets, enum values, ioctl numbers).  It is compiled once per
target ABI and every diagnostic is tied to its assertion line:

  wrong    the name exists but the number differs, or a struct that exists
           lacks a field of that name                      -> failure
  absent   the struct, enum value or command is not in the tree (yet); the
           series adds the vIOMMU uAPI step by step          -> reported

With --require-all, an absent name is a failure too.
"""
import argparse
import os
import re
import subprocess
import sys
import tempfile

ABSENT = [
    re.compile(r"invalid application of .sizeof. to incomplete type 'struct (\w+)'"),
    re.compile(r"invalid use of undefined type 'struct (\w+)'"),
    re.compile(r"'(\w+)' undeclared"),
]


def run(cc, hdr, src):
    env = dict(os.environ, LC_ALL="C")
    p = subprocess.run(cc + ["-fsyntax-only", "-fmax-errors=0", "-I", hdr, src],
                       capture_output=True, text=True, env=env)
    return p.returncode, p.stderr


def classify(src, stderr):
    """Group the diagnostics by the assertion line they came from."""
    lines = open(src).read().splitlines()
    per_line = {}
    cur = None
    for d in stderr.splitlines():
        m = re.match(r"^([^:]+):(\d+):\d+: (error|note): (.*)$", d)
        if not m or not os.path.samefile(m.group(1), src):
            continue
        lineno, kind, msg = int(m.group(2)), m.group(3), m.group(4)
        if kind == "error":
            cur = [lineno, msg]
            per_line.setdefault(id(cur), cur)
        elif cur and msg.startswith("in expansion of macro"):
            # the outermost expansion, reported last, is the assertion
            cur[0] = lineno
    wrong, absent = {}, {}
    grouped = {}
    for lineno, msg in per_line.values():
        grouped.setdefault(lineno, []).append(msg)
    for lineno, msgs in grouped.items():
        stmt = lines[lineno - 1].strip()
        names = [mm.group(1) for msg in msgs for rx in ABSENT
                 for mm in [rx.search(msg)] if mm]
        if names:
            absent.setdefault(names[0], stmt)
        else:
            wrong[lineno] = f"{stmt}  <- {msgs[0]}"
    return wrong, absent


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--hdr", required=True, help="installed uAPI headers (…/usr/include)")
    ap.add_argument("--check", required=True)
    ap.add_argument("--cc", action="append", required=True,
                    help="compiler command for one target ABI (repeatable)")
    ap.add_argument("--require-all", action="store_true")
    args = ap.parse_args()

    total = sum(1 for l in open(args.check) if re.match(r"^(SZ|FL|EQ)\(", l))
    failed = False
    absent_all = {}
    for cc in args.cc:
        rc, err = run(cc.split(), args.hdr, args.check)
        wrong, absent = classify(args.check, err)
        if rc and not wrong and not absent:
            print(f"abi-check [{cc}]: compiler failed:\n{err}")
            failed = True
        for lineno, text in sorted(wrong.items()):
            print(f"abi-check [{cc}]: WRONG at line {lineno}: {text}")
            failed = True
        absent_all.update(absent)
    if absent_all:
        names = ", ".join(sorted(absent_all))
        print(f"abi-check: not in the tree (yet): {names}")
        if args.require_all:
            failed = True
    print(f"abi-check: {total} assertions, {len(args.cc)} target ABIs, "
          f"{len(absent_all)} names absent, " + ("FAILED" if failed else "every present name matches the sheet"))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
