# Shared helpers for the scripts; sourced, never run.
top=${top:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
BUILD=${BUILD:-$top/build}
STAMP_DIR=$BUILD/stamps
TREE=$BUILD/linux
KOUT=${KOUT:-$BUILD/kernel}
CROSS=aarch64-linux-gnu-

note() { printf '==> %s\n' "$*" >&2; }
die() { printf 'ERROR: %s\n' "$*" >&2; exit 1; }
warn_loud() {
	printf '\n!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!\n' >&2
	printf '!!! WARNING: %s\n' "$*" >&2
	printf '!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!\n\n' >&2
}
# The URI of the Debian mirror the machine's apt sources use for bookworm:
# other suites come from it too, so no registry host is ever named here.
apt_mirror_uri() {
	local uri=""
	uri=$(awk '/^URIs:/ {u=$2} /^Suites:/ && $0 ~ /(^| )bookworm( |$)/ {print u; exit}' \
		/etc/apt/sources.list.d/*.sources 2>/dev/null || true)
	if [ -z "$uri" ] && [ -f /etc/apt/sources.list ]; then
		uri=$(awk '$1=="deb" && $3=="bookworm" {print $2; exit}' /etc/apt/sources.list)
	fi
	[ -n "$uri" ] || die "no bookworm mirror found in the apt sources; add one first"
	echo "$uri"
}
base_version() { sed -n 's/^[[:space:]]*\([^#[:space:]]\+\).*/\1/p' "$top/BASE_VERSION" | head -n1; }

# Configure the build directory $1 as allnoconfig plus the fragments $3...,
# with the make wrapper $2 (which sets O=), unless it already is for these
# fragments and the tree's Kconfig files. Every option a fragment asks for
# must have survived its dependencies. BISECT=1 (make bisect-check) lets an
# option pass that the tree at this commit does not define yet: the series
# adds some of them.
kconfig_fragments() {
	local out=$1 mk=$2 sum line opt bad=0
	shift 2
	sum=$(cat "$@" | sha256sum | cut -c1-16)-$(git -C "$TREE" ls-files -s -- '*Kconfig*' | sha256sum | cut -c1-16)
	[ -f "$out/.config" ] && [ "$(cat "$out/.config.frags" 2>/dev/null)" = "$sum" ] && return 0
	note "configuring ${out##*/}: allnoconfig + ${*##*/}"
	cat "$@" > "$out/fragments.config"
	"$mk" -s KCONFIG_ALLCONFIG="$out/fragments.config" allnoconfig >/dev/null
	while IFS= read -r line; do
		case "$line" in
		CONFIG_*=*)
			opt=${line%%=*}
			if [ "${BISECT:-0}" = 1 ] &&
			   ! git -C "$TREE" grep -qE "^(menu)?config ${opt#CONFIG_}\$" -- '*Kconfig*'; then
				continue
			fi
			grep -qx -- "$line" "$out/.config" || { note "config: wanted $line, got: $(grep -E "^(# )?${opt}[= ]" "$out/.config" || echo unset)"; bad=1; } ;;
		"# CONFIG_"*" is not set")
			opt=${line#\# }; opt=${opt%% *}
			! grep -q "^$opt=" "$out/.config" || { note "config: wanted $opt off"; bad=1; } ;;
		esac
	done < "$out/fragments.config"
	[ $bad = 0 ] || die "the config fragments do not hold (see above)"
	echo "$sum" > "$out/.config.frags"
}

# make in build/linux for arm64 (or KARCH, with the compiler prefix KCROSS),
# into the build directory $1, through ccache
# (CCACHE_BASEDIR=build/, so a fresh clone elsewhere reuses the cache)
kbuild() {
	local out=$1 arch=${KARCH:-arm64} cross=${KCROSS-$CROSS}
	shift
	CCACHE_BASEDIR=$BUILD CCACHE_MAXSIZE=${CCACHE_MAXSIZE:-20G} \
	make -C "$TREE" O="$out" ARCH="$arch" CROSS_COMPILE="$cross" \
		CC="ccache ${cross}gcc" \
		KBUILD_BUILD_USER=vsmmu KBUILD_BUILD_HOST=vsmmu \
		-j"${JOBS:-$(nproc)}" "$@"
}
