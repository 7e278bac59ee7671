#!/usr/bin/env python3
"""Read the test VM's console log and say what passed.

The VM's init wraps each suite in "@@vsmmu suite-begin NAME" and
"@@vsmmu suite-end NAME rc=N" lines.  Inside, kselftest programs print TAP
("ok N name", "not ok N name", "# SKIP"), and the kunit section holds KTAP
whose test cases are indented by four spaces.  A suite that does not finish,
exits non-zero without a failing test, or runs fewer tests than its plan
counts as failed.  Any kernel splat (WARN, BUG, Oops, KASAN, lockdep,
kmemleak, ...) anywhere in the log fails the run even if every test passed.

Prints one line per suite and, last, "N passed, N failed[, N skipped]".
Exit status: 0 only if nothing failed and the log is clean.
"""
import argparse
import re
import sys

MARK = "@@vsmmu"
RESULT = re.compile(r"^(?P<indent>\s*)(?P<not>not )?ok (?P<num>\d+)\b\s*(?P<rest>.*)$")
PLAN = re.compile(r"^(?P<indent>\s*)1\.\.(?P<n>\d+)\s*$")

# What the kernel prints when something went wrong.  Lines of our own
# test output start with "#", "ok" or "not ok" and are not searched.
SPLATS = [
    (re.compile(r"WARNING: CPU: \d+ PID: \d+"), "WARN"),
    (re.compile(r"------------\[ cut here \]------------"), "WARN/BUG"),
    (re.compile(r"kernel BUG at "), "BUG"),
    (re.compile(r"\bBUG: "), "BUG"),
    (re.compile(r"Internal error: Oops"), "Oops"),
    (re.compile(r"Unable to handle kernel "), "Oops"),
    (re.compile(r"Kernel panic - not syncing"), "panic"),
    (re.compile(r"KASAN"), "KASAN"),
    (re.compile(r"UBSAN: "), "UBSAN"),
    (re.compile(r"possible circular locking dependency"), "lockdep"),
    (re.compile(r"possible recursive locking detected"), "lockdep"),
    (re.compile(r"inconsistent lock state"), "lockdep"),
    (re.compile(r"suspicious RCU usage"), "lockdep"),
    (re.compile(r"INFO: (trying to register non-static key|task .* blocked for more than)"), "lockdep/hung"),
    (re.compile(r"lock held when returning to user space"), "lockdep"),
    (re.compile(r"unreferenced object 0x"), "kmemleak"),
    (re.compile(r"kmemleak: \d+ new suspected memory leaks"), "kmemleak"),
    (re.compile(r"list_(add|del) corruption"), "list corruption"),
    (re.compile(r"ODEBUG: "), "debugobjects"),
    (re.compile(r"(rcu: INFO: rcu_sched|watchdog: BUG: soft lockup)"), "stall"),
]


class Suite:
    def __init__(self, name):
        self.name = name
        self.passed = self.failed = self.skipped = 0
        self.plan = None
        self.rc = None
        self.seconds = None
        self.failures = []
        self.skips = []


def parse(lines):
    suites, splats = [], []
    cur = None
    done = False
    for lineno, raw in enumerate(lines, 1):
        line = raw.rstrip("\r\n")
        if line.startswith(MARK):
            words = line.split()
            if len(words) >= 3 and words[1] == "suite-begin":
                cur = Suite(words[2])
                suites.append(cur)
            elif len(words) >= 3 and words[1] == "suite-end" and cur:
                for w in words[3:]:
                    k, _, v = w.partition("=")
                    if k == "rc":
                        cur.rc = int(v)
                    elif k == "seconds":
                        cur.seconds = int(v)
                cur = None
            elif len(words) >= 2 and words[1] == "all-done":
                done = True
            continue
        stripped = line.lstrip()
        if not (stripped.startswith("#") or re.match(r"(not )?ok \d", stripped)):
            for rx, what in SPLATS:
                if rx.search(line):
                    splats.append((lineno, what, line.strip()))
                    break
        if cur is None:
            continue
        # kunit: cases sit one level in (4 spaces); kselftest: top level.
        want = 4 if cur.name == "kunit" else 0
        m = PLAN.match(line)
        if m and len(m.group("indent")) == want and cur.name != "kunit":
            cur.plan = int(m.group("n"))
            continue
        m = RESULT.match(line)
        if not m or len(m.group("indent").expandtabs()) != want:
            continue
        rest = m.group("rest")
        name = re.sub(r"^-\s*", "", rest.split(" # ")[0]).strip()
        directive = rest.split(" # ", 1)[1] if " # " in rest else ""
        if m.group("not"):
            if directive.upper().startswith("TODO"):
                cur.skipped += 1
            else:
                cur.failed += 1
                cur.failures.append(name)
        elif directive.upper().startswith("SKIP"):
            cur.skipped += 1
            cur.skips.append(f"{name}: {directive[4:].strip()}")
        else:
            cur.passed += 1
    return suites, splats, done


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("log")
    ap.add_argument("--qemu-rc", type=int, default=0)
    ap.add_argument("--expect", default="", help="comma-separated suites that must appear")
    ap.add_argument("--demo", action="store_true", help="judge a demo run: DEMO PASSED and a clean log")
    args = ap.parse_args()
    with open(args.log, errors="replace") as f:
        text = f.read()
    suites, splats, done = parse(text.splitlines())
    if args.demo:
        ok = "DEMO PASSED" in text and done and not splats
        for lineno, what, line in splats[:20]:
            print(f"  KERNEL {what} at {args.log}:{lineno}: {line[:160]}")
        print("demo: " + ("passed, kernel log clean" if ok else "FAILED (see " + args.log + ")"))
        return 0 if ok else 1

    for s in suites:
        ran = s.passed + s.failed + s.skipped
        if s.rc is None:
            s.failed += 1
            s.failures.append("(suite did not finish: crash or time limit)")
        elif s.plan is not None and ran < s.plan:
            s.failed += s.plan - ran
            s.failures.append(f"({s.plan - ran} planned tests never reported)")
        elif s.rc != 0 and s.failed == 0:
            s.failed += 1
            s.failures.append(f"(exit status {s.rc} without a failing test)")
        if ran == 0 and s.rc is not None:
            s.failed += 1
            s.failures.append("(no test ran)")
    seen = {s.name for s in suites}
    missing = [n for n in args.expect.split(",") if n and n not in seen]

    print("\nResults per suite:")
    for s in suites:
        t = f" in {s.seconds}s" if s.seconds else ""
        print(f"  {s.name:<20} {s.passed:4d} passed, {s.failed:3d} failed, {s.skipped:3d} skipped{t}")
        for f in s.failures:
            print(f"      FAILED  {f}")
        for k in s.skips:
            print(f"      skipped {k}")
    problems = []
    if missing:
        problems.append(f"suites missing from the log: {', '.join(missing)}")
    if not done:
        problems.append("the VM did not reach the end of its run"
                        + (" (time limit)" if args.qemu_rc == 124 else ""))
    if splats:
        problems.append(f"{len(splats)} kernel splat line(s) in the console log")
        for lineno, what, text in splats[:20]:
            print(f"  KERNEL {what} at {args.log}:{lineno}: {text[:160]}")
    for p in problems:
        print(f"  RUN FAILED: {p}")

    passed = sum(s.passed for s in suites)
    failed = sum(s.failed for s in suites) + len(problems)
    skipped = sum(s.skipped for s in suites)
    print(f"{passed} passed, {failed} failed" + (f", {skipped} skipped" if skipped else ""))
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
