# shellcheck shell=bash
# The two non-debug kernels of make bench-compare and make bench-profile,
# sourced by both: bench_kernels fetches the reference (build/ref/linux) when
# it is not there yet and builds build/bench-ours and build/bench-ref.
ref=$BUILD/ref
frags=("$top/configs/base.config" "$top/configs/acpi.config"
       "$top/configs/bench/iommu.config")

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

bench_kernels() {
	mkdir -p "$ref"
	ref_fetch
	bench_kernel "$TREE" "$BUILD/bench-ours"
	bench_kernel "$ref/linux" "$BUILD/bench-ref"
}
