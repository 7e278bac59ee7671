#!/usr/bin/env bash
# make bench: boot the test VM once more to time the trap path of a virtual
# SMMU (tests/bench_vsmmu.c) and write build/bench/results.md, results.csv
# and invalidate.png. It reports; it does not pass or fail on a time.
# BENCH_PARTS=share (or mock, smmu, vdevs, comma-separated) runs only
# those parts of it.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/scripts/lib.sh"
out=$BUILD/bench
mkdir -p "$out"

{
	echo "date:    $(date -u '+%Y-%m-%d %H:%M UTC')"
	echo "kernel:  $(make -s -C "$TREE" kernelversion) + $(grep -vc '^#' "$top/patches/series") patches ($(git -C "$TREE" rev-parse --short HEAD))"
	echo "config:  allnoconfig + configs/*.config, sha256 $(sha256sum "$KOUT/.config" | cut -c1-16) (KASAN, lockdep, kmemleak on)"
	echo "qemu:    $(qemu-system-aarch64 --version | head -1)"
	echo "machine: virt, smmuv3 stage=nested, -cpu max (TCG), 2 vCPUs on $(nproc) host cores"
} > "$out/meta.txt"

BENCH=1 BENCH_OUT="$out/results.csv" "$top/scripts/vm-run.sh"
[ -s "$out/results.csv" ] || die "no results came out of the VM (see build/vm/console.log)"
python3 "$top/scripts/bench-report.py" "$out/results.csv" "$out/meta.txt" "$out"
cat "$out/results.md"
note "table: build/bench/results.md, plot: build/bench/invalidate.png"
