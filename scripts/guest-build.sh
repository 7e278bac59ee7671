#!/usr/bin/env bash
# The guest of the VMM test: a lean, non-debug arm64 build of build/linux
# (allnoconfig + base, acpi and configs/guest/guest.config) in
# build/kernel-guest, the project's guest driver tests/guest/edu_guest.c
# built against it as a module, and an initramfs with a tiny init that
# loads it: build/guest/Image and build/guest/initramfs.cpio.gz.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/scripts/lib.sh"
[ -d "$TREE/.git" ] || die "no build/linux (make tree)"
GOUT=$BUILD/kernel-guest
G=$BUILD/guest
frags=("$top/configs/base.config" "$top/configs/acpi.config"
       "$top/configs/guest/guest.config")
gmake() { kbuild "$GOUT" "$@"; }
mkdir -p "$GOUT" "$G/mod"

kconfig_fragments "$GOUT" gmake "${frags[@]}"
note "building the guest kernel (O=build/kernel-guest, -j${JOBS:-$(nproc)}, ccache)"
gmake -s Image modules
cp "$GOUT/arch/arm64/boot/Image" "$G/Image"

note "building the guest driver and init"
cp "$top/tests/guest/edu_guest.c" "$top/tests/guest/Kbuild" "$G/mod/"
gmake -s M="$G/mod" modules
${CROSS}gcc -static -O2 -Wall -Werror -o "$G/init" "$top/tests/guest/init.c"

gcc -O2 -o "$G/gen_init_cpio" "$TREE/usr/gen_init_cpio.c"
{
	echo "dir /dev 0755 0 0"
	echo "nod /dev/console 0600 0 0 c 5 1"
	for d in /proc /sys; do echo "dir $d 0755 0 0"; done
	echo "file /init $G/init 0755 0 0"
	echo "file /edu_guest.ko $G/mod/edu_guest.ko 0644 0 0"
} > "$G/initramfs.list"
"$G/gen_init_cpio" "$G/initramfs.list" | gzip -1 > "$G/initramfs.cpio.gz"
note "guest: $G/Image, $G/initramfs.cpio.gz"
