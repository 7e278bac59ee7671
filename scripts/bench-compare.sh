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
ref=$BUILD/ref
out=$BUILD/bench/compare
frags=("$top/configs/base.config" "$top/configs/acpi.config"
       "$top/configs/bench/iommu.config")
mkdir -p "$ref" "$out"

# The package's .deb path on the mirror, from the suites' package lists
ref_find() {
	local uri=$1 want=$2 suite list
	for suite in trixie-backports sid; do
		list=$ref/Packages-$suite
		curl -fsS "$uri/dists/$suite/main/binary-all/Packages.xz" | xz -dc > "$list" ||
			continue
		awk -v want="$want" '
			/^Package: / { p = $2 }
			/^Version: / { v = $2 }
			/^Filename: / { if (p == want || (want == "" && p ~ /^linux-source-7\.[0-9]+$/)) print p, v, $2 }
		' "$list"
	done | sort -V -k2 | tail -n1
}

ref_fetch() {
	local uri want=${REF_PKG:-linux-source-7.3} found pkg ver file tarball
	[ -f "$ref/linux/Makefile" ] && [ -f "$ref/version" ] && return 0
	uri=$(apt_mirror_uri)
	found=$(ref_find "$uri" "$want")
	if [ -z "$found" ]; then
		found=$(ref_find "$uri" "")
		[ -n "$found" ] || die "no linux-source-7.* package on the mirror"
		warn_loud "$want is not on the mirror; the reference is ${found%% *} instead"
	fi
	read -r pkg ver file <<<"$found"
	note "fetching $pkg $ver through the apt mirror"
	curl -fsS -o "$ref/$pkg.deb" "$uri/$file" || die "could not fetch $uri/$file"
	rm -rf "$ref/pkg" "$ref/linux"
	dpkg-deb -x "$ref/$pkg.deb" "$ref/pkg"
	tarball=$(ls "$ref"/pkg/usr/src/linux-source-*.tar.xz | head -n1)
	mkdir -p "$ref/linux"
	tar -xJf "$tarball" -C "$ref/linux" --strip-components=1
	rm -rf "$ref/pkg" "$ref/$pkg.deb"
	echo "$pkg $ver" > "$ref/version"
}

# Configure and build one kernel: $1 = source tree, $2 = output directory
bench_kernel() {
	local src=$1 kout=$2
	mkdir -p "$kout"
	kmake() { TREE=$src kbuild "$kout" "$@"; }
	kconfig_fragments "$kout" kmake "${frags[@]}"
	note "building $(basename "$kout") (O=${kout#"$top"/}, -j${JOBS:-$(nproc)}, ccache)"
	kmake -s Image
}

ref_fetch
bench_kernel "$TREE" "$BUILD/bench-ours"
bench_kernel "$ref/linux" "$BUILD/bench-ref"

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
