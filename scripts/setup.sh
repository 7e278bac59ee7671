#!/usr/bin/env bash
# Install what the build, the VM and the series need, and fetch the pinned
# base source.  Idempotent: every step checks before it acts, so running it
# on each top-level target costs about a second once the machine is set up.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/scripts/lib.sh"

pkgs=(flex bison bc libelf-dev libssl-dev cpio ccache git make xz-utils rsync
      gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-efi-aarch64
      python3 python3-ply python3-git gnuplot-nox)
# make check also compiles for x86_64 (scripts/compile-check.sh)
[ "$(uname -m)" = x86_64 ] || pkgs+=(gcc-x86-64-linux-gnu)

SUDO=
[ "$(id -u)" = 0 ] || SUDO=sudo

# The backports suite comes from the mirror already configured for the
# machine's main suite: we never name a registry host ourselves.
backports_source() {
	local list=/etc/apt/sources.list.d/vsmmu-backports.sources
	[ -f "$list" ] && return 0
	local uri
	uri=$(apt_mirror_uri)
	note "adding bookworm-backports from the configured mirror $uri"
	local key=/usr/share/keyrings/debian-archive-keyring.gpg
	$SUDO tee "$list" >/dev/null <<EOT
Types: deb
URIs: $uri
Suites: bookworm-backports
Components: main
Signed-By: $key
EOT
	rm -f "$STAMP_DIR/apt-updated"
}

apt_update_once() {
	[ -f "$STAMP_DIR/apt-updated" ] && return 0
	note "apt-get update"
	$SUDO apt-get update -qq
	touch "$STAMP_DIR/apt-updated"
}

missing=()
need_pkg() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'ok installed' || missing+=("$1"); }

qemu_ok() {
	command -v qemu-system-aarch64 >/dev/null || return 1
	local v
	v=$(qemu-system-aarch64 --version | sed -n 's/.*version \([0-9]*\)\..*/\1/p;q')
	[ "${v:-0}" -ge 10 ]
}

mkdir -p "$STAMP_DIR"
backports_source
for p in "${pkgs[@]}"; do need_pkg "$p"; done
if [ ${#missing[@]} -gt 0 ]; then
	apt_update_once
	note "installing ${missing[*]}"
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
if ! qemu_ok; then
	apt_update_once
	note "installing qemu-system-arm from bookworm-backports"
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends \
		-t bookworm-backports qemu-system-arm
	qemu_ok || die "qemu-system-aarch64 10 or newer is required"
fi

# The base source: exactly the version in BASE_VERSION, or the newest 6.12
# with a loud warning when the mirror no longer carries the pin.
want=$(base_version)
tarball=/usr/src/linux-source-6.12.tar.xz
have=$(dpkg-query -W -f='${Version}' linux-source-6.12 2>/dev/null || true)
if [ "$have" != "$want" ] || [ ! -f "$tarball" ]; then
	apt_update_once
	if apt-cache madison linux-source-6.12 | awk '{print $3}' | grep -qx "$want"; then
		note "installing linux-source-6.12=$want"
		DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends \
			--allow-downgrades "linux-source-6.12=$want"
	elif [ -n "$have" ] && [ -f "$tarball" ]; then
		warn_loud "pinned linux-source-6.12=$want is not available; keeping installed $have"
	else
		warn_loud "pinned linux-source-6.12=$want is not available; using the newest 6.12"
		DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends \
			linux-source-6.12
	fi
fi
[ -f "$tarball" ] || die "$tarball missing after install"

# The newer QEMU, for the test VM with two SMMUs: a trixie root made once.
# Without it that VM does not run, and make check says so loudly.
"$top/scripts/qemu-next.sh" available ||
	warn_loud "no trixie root with QEMU 11 (see build/trixie-debootstrap.log): the two-SMMU VM cannot run"
