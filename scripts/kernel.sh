#!/usr/bin/env bash
# make kernel: configure (allnoconfig + configs/*.config) and build the arm64
# Image of build/linux into build/kernel, incrementally and through ccache.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/scripts/lib.sh"
[ -d "$TREE/.git" ] || die "no build/linux (make tree)"

frags=("$top"/configs/*.config)
kmake() { kbuild "$KOUT" "$@"; }
mkdir -p "$KOUT"

kconfig_fragments "$KOUT" kmake "${frags[@]}"
note "building arm64 Image (O=build/kernel, -j${JOBS:-$(nproc)}, ccache)"
kmake -s Image
note "kernel: $KOUT/arch/arm64/boot/Image"
