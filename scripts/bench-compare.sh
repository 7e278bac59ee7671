#!/usr/bin/env bash
# make bench-compare: the forwarding figures of make bench, side by side with
# an upstream reference kernel.
#
# The reference is Debian's linux-source package of upstream Linux, fetched
# through the mirror the machine's apt sources already use and kept in
# build/ref. It is built and booted, never read. Both kernels are built out
# of tree with the same non-debug configuration (configs/base.config,
# acpi.config and bench/iommu.config: no KASAN, lockdep or kmemleak, which
# distort what is measured), then booted alternately, REF_BOOTS times each
# (default 3), on the same QEMU and initramfs, running the vSMMU part of
# tests/bench_vsmmu.c. scripts/bench-compare.py turns the CSVs into
# build/bench/compare/results.md, results.csv and ratio.png.
#
#   REF_PKG=linux-source-7.3   the reference package (the newest
#                              linux-source-7.* in trixie-backports or sid
#                              when that one is not on the mirror)
#   REF_BOOTS=3                boots per kernel
#   BENCH_PARTS=forward        the parts of the benchmark to run
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/scripts/lib.sh"
out=$BUILD/bench/compare
mkdir -p "$out"

. "$top/scripts/bench-kernels.sh"
bench_kernels

{
	echo "date:      $(date -u '+%Y-%m-%d %H:%M UTC')"
	echo "ours:      $(make -s -C "$TREE" kernelversion) + $(grep -vc '^#' "$top/patches/series") patches ($(git -C "$TREE" rev-parse --short HEAD))"
	echo "reference: $(cat "$ref/version") ($(make -s -C "$ref/linux" kernelversion))"
	echo "config:    allnoconfig + base.config acpi.config bench/iommu.config (no KASAN, lockdep or kmemleak), both kernels"
	echo "qemu:      $(qemu-system-aarch64 --version | head -1)"
	echo "machine:   virt, smmuv3 stage=nested, -cpu max (TCG), 2 vCPUs on $(nproc) host cores"
	echo "boots:     ${REF_BOOTS:-3} per kernel, alternating"
} > "$out/meta.txt"

rm -f "$out"/ours-*.csv "$out"/ref-*.csv
for i in $(seq 1 "${REF_BOOTS:-3}"); do
	for k in ours ref; do
		note "boot $i of ${REF_BOOTS:-3}: $k"
		KOUT=$BUILD/bench-$k BENCH=1 BENCH_PARTS=${BENCH_PARTS:-forward} \
			BENCH_OUT="$out/$k-$i.csv" VM_LOG="$out/console-$k-$i.log" \
			"$top/scripts/vm-run.sh"
		[ -s "$out/$k-$i.csv" ] || die "no results from boot $i of $k (see $out/console-$k-$i.log)"
	done
done
python3 "$top/scripts/bench-compare.py" "$out"
cat "$out/results.md"
note "table: build/bench/compare/results.md, plot: build/bench/compare/ratio.png"
