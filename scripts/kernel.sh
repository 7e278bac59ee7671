#!/usr/bin/env bash
# make kernel: configure (allnoconfig + configs/*.config) and build the arm64
# Image of build/linux into build/kernel, incrementally and through ccache.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/scripts/lib.sh"
[ -d "$TREE/.git" ] || die "no build/linux (make tree)"

frags=("$top"/configs/*.config)
jobs=${JOBS:-$(nproc)}
export CCACHE_BASEDIR=$BUILD CCACHE_MAXSIZE=${CCACHE_MAXSIZE:-20G}
kmake() {
	make -C "$TREE" O="$KOUT" ARCH=arm64 CROSS_COMPILE="$CROSS" \
		CC="ccache ${CROSS}gcc" \
		KBUILD_BUILD_USER=vsmmu KBUILD_BUILD_HOST=vsmmu -j"$jobs" "$@"
}
mkdir -p "$KOUT"

# Re-configure only when a fragment or the Kconfig files changed.
sum=$(cat "${frags[@]}" | sha256sum | cut -c1-16)-$(git -C "$TREE" ls-files -s -- '*Kconfig*' | sha256sum | cut -c1-16)
if [ ! -f "$KOUT/.config" ] || [ "$(cat "$KOUT/.config.frags" 2>/dev/null)" != "$sum" ]; then
	note "configuring: allnoconfig + ${frags[*]##*/}"
	cat "${frags[@]}" > "$KOUT/fragments.config"
	kmake -s KCONFIG_ALLCONFIG="$KOUT/fragments.config" allnoconfig >/dev/null
	# Every option a fragment asks for must have survived its dependencies.
	# BISECT=1 (make bisect-check) lets an option pass that the tree at this
	# commit does not define yet: the series adds some of them.
	bad=0
	while IFS= read -r line; do
		case "$line" in
		CONFIG_*=*)
			opt=${line%%=*}
			if [ "${BISECT:-0}" = 1 ] &&
			   ! git -C "$TREE" grep -qE "^(menu)?config ${opt#CONFIG_}\$" -- '*Kconfig*'; then
				continue
			fi
			grep -qx -- "$line" "$KOUT/.config" || { note "config: wanted $line, got: $(grep -E "^(# )?${opt}[= ]" "$KOUT/.config" || echo unset)"; bad=1; } ;;
		"# CONFIG_"*" is not set")
			opt=${line#\# }; opt=${opt%% *}
			! grep -q "^$opt=" "$KOUT/.config" || { note "config: wanted $opt off"; bad=1; } ;;
		esac
	done < "$KOUT/fragments.config"
	[ $bad = 0 ] || die "the config fragments do not hold (see above)"
	echo "$sum" > "$KOUT/.config.frags"
fi
note "building arm64 Image (O=build/kernel, -j$jobs, ccache)"
kmake -s Image
note "kernel: $KOUT/arch/arm64/boot/Image"
