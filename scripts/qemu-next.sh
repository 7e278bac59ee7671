#!/usr/bin/env bash
# The newer QEMU that can emulate two SMMUv3 instances: a Debian
# trixie root in build/trixie (debootstrap --variant=minbase) with
# qemu-system-arm from trixie-backports and trixie's qemu-efi-aarch64,
# entered with chroot, since that QEMU does not run on bookworm's libc.
# Made once (a few minutes) and reused; `qemu-next.sh run ARGS...` runs
# qemu-system-aarch64 in it with build/ visible at the same path, and
# `qemu-next.sh available` says whether it can (making it if need be).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/scripts/lib.sh"
root=$BUILD/trixie
ready=$root/.vsmmu-ready

SUDO=
[ "$(id -u)" = 0 ] || SUDO=sudo

create() {
	local uri tmp=$root.tmp
	uri=$(apt_mirror_uri)
	mkdir -p "$BUILD"
	command -v debootstrap >/dev/null || $SUDO apt-get install -y -qq debootstrap >/dev/null
	$SUDO rm -rf "$tmp"
	note "debootstrap trixie (minbase) from $uri into $tmp"
	$SUDO debootstrap --variant=minbase trixie "$tmp" "$uri" >"$BUILD/trixie-debootstrap.log" 2>&1 ||
		die "debootstrap failed (see $BUILD/trixie-debootstrap.log)"
	echo "deb $uri trixie-backports main" | $SUDO tee "$tmp/etc/apt/sources.list.d/backports.list" >/dev/null
	note "installing qemu-system-arm (trixie-backports) and qemu-efi-aarch64 in it"
	$SUDO chroot "$tmp" sh -c 'apt-get update -qq &&
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
			-t trixie-backports qemu-system-arm &&
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
			qemu-efi-aarch64 && apt-get clean' >>"$BUILD/trixie-debootstrap.log" 2>&1 ||
		die "installing QEMU in the trixie root failed (see $BUILD/trixie-debootstrap.log)"
	$SUDO mv "$tmp" "$root"
	$SUDO touch "$ready"
}

# Run QEMU in the root with /dev, /proc and build/ bound in, in a mount
# namespace of its own: the mounts go when QEMU does, however it ends, and
# QEMU is the process a caller's timeout signals.
run() {
	$SUDO mkdir -p "$root$BUILD"
	exec $SUDO unshare --mount --propagation private sh -c '
		root=$1 build=$2; shift 2
		mount --bind /dev "$root/dev" &&
		mount -t proc proc "$root/proc" &&
		mount --bind "$build" "$root$build" &&
		exec chroot "$root" qemu-system-aarch64 "$@"' sh "$root" "$BUILD" "$@"
}

case "${1:-}" in
available)
	# Made, or makeable now; a failure is reported once and remembered
	[ -f "$ready" ] && exit 0
	[ -f "$BUILD/stamps/trixie-failed" ] && exit 1
	mkdir -p "$BUILD/stamps"
	if ("$0"); then exit 0; fi
	touch "$BUILD/stamps/trixie-failed"
	exit 1 ;;
esac
[ -f "$ready" ] || create
case "${1:-}" in
run) shift; run "$@" ;;
version) $SUDO chroot "$root" qemu-system-aarch64 --version | head -1 ;;
firmware) echo "$root/usr/share/qemu-efi-aarch64/QEMU_EFI.fd" ;;
"") ;;
*) die "usage: $0 [available | run QEMU-ARGS... | version | firmware]" ;;
esac
