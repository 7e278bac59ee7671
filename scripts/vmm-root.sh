#!/usr/bin/env bash
# The VMM that runs inside the test VM: Debian's qemu-system-aarch64 for
# arm64 (qemu-system-arm from trixie-backports) with its shared libraries
# and the UEFI firmware for its guest (qemu-efi-aarch64), fetched as Debian
# packages through apt from the mirror the machine already uses, unpacked
# with dpkg-deb. Only the binary, the libraries it needs (its NEEDED
# closure), the dynamic loader and the firmware go into build/vmm/root,
# listed for gen_init_cpio in build/vmm/root.list. Made once; kept until
# the package versions change (VMM_REFRESH=1 asks the mirror again).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/scripts/lib.sh"
V=$BUILD/vmm
apt_dir=$V/apt
pkgroot=$V/pkgroot
root=$V/root
list=$V/root.list
stamp=$V/.ready

[ -f "$stamp" ] && [ "${VMM_REFRESH:-0}" != 1 ] && exit 0

uri=$(apt_mirror_uri)
mkdir -p "$apt_dir"/{lists/partial,archives/partial,etc}
: > "$apt_dir/status"
cat > "$apt_dir/etc/sources.list" <<EOT
deb [arch=arm64] $uri trixie main
deb [arch=arm64] $uri trixie-backports main
EOT
# A private apt state: arm64 only, nothing installed, nothing of the host's
# own configuration; apt resolves and downloads the whole closure.
aptopts=(-o "Dir::State::status=$apt_dir/status"
	 -o "Dir::State::Lists=$apt_dir/lists"
	 -o "Dir::Cache=$apt_dir" -o "Dir::Cache::archives=$apt_dir/archives"
	 -o "Dir::Etc::SourceList=$apt_dir/etc/sources.list"
	 -o "Dir::Etc::SourceParts=$apt_dir/etc"
	 -o "Dir::Etc::Preferences=$apt_dir/etc/none"
	 -o "Dir::Etc::PreferencesParts=$apt_dir/etc"
	 -o "APT::Architecture=arm64" -o "APT::Architectures::=arm64"
	 -o "Debug::NoLocking=1" -o "APT::Get::Assume-Yes=1"
	 -o "APT::Install-Recommends=0")
note "fetching qemu-system-arm (arm64, trixie-backports) and its closure from $uri"
apt-get "${aptopts[@]}" -qq update >"$V/apt.log" 2>&1 ||
	die "apt-get update for arm64 failed (see $V/apt.log)"
apt-get "${aptopts[@]}" -qq install -d -t trixie-backports \
	qemu-system-arm qemu-efi-aarch64 >>"$V/apt.log" 2>&1 ||
	die "downloading the arm64 QEMU packages failed (see $V/apt.log)"

rm -rf "$pkgroot" "$root"
mkdir -p "$pkgroot" "$root"
for deb in "$apt_dir"/archives/*.deb; do
	dpkg-deb -x "$deb" "$pkgroot"
done

# The binary, then whatever it and its libraries need, found the way the
# loader finds them (multiarch directories of the merged /usr).
python3 - "$pkgroot" "$root" <<'PY'
import os, re, shutil, subprocess, sys
src, dst = sys.argv[1:3]
dirs = ['usr/lib/aarch64-linux-gnu', 'usr/lib', 'lib/aarch64-linux-gnu']
want = ['usr/bin/qemu-system-aarch64']
done = set()
while want:
    rel = want.pop()
    if rel in done:
        continue
    done.add(rel)
    out = subprocess.run(['aarch64-linux-gnu-readelf', '-d',
                          os.path.join(src, rel)], capture_output=True,
                         text=True, check=True).stdout
    for lib in re.findall(r'\(NEEDED\).*\[(.*)\]', out):
        for d in dirs:
            if os.path.exists(os.path.join(src, d, lib)):
                want.append(os.path.join(d, lib))
                break
        else:
            sys.exit('no %s for %s' % (lib, rel))
done.add('usr/lib/aarch64-linux-gnu/ld-linux-aarch64.so.1')
done.add('usr/share/qemu-efi-aarch64/QEMU_EFI.fd')
for rel in sorted(done):
    os.makedirs(os.path.dirname(os.path.join(dst, rel)), exist_ok=True)
    shutil.copy(os.path.realpath(os.path.join(src, rel)),
                os.path.join(dst, rel))
print('%d files' % len(done))
PY

# gen_init_cpio lines: every directory, every file, and the loader where
# the binary's PT_INTERP says (/lib, which is a link to usr/lib)
{
	(cd "$root" && find . -mindepth 1 -type d | sort) |
		sed 's|^\./\(.*\)|dir /\1 0755 0 0|'
	(cd "$root" && find . -type f | sort) | while read -r f; do
		echo "file /${f#./} $root/${f#./} 0755 0 0"
	done
	echo "slink /lib /usr/lib 0777 0 0"
	echo "slink /usr/lib/ld-linux-aarch64.so.1 aarch64-linux-gnu/ld-linux-aarch64.so.1 0777 0 0"
} > "$list"
ver=$(dpkg-deb -f "$(ls "$apt_dir"/archives/qemu-system-arm_*.deb)" Version)
echo "$ver" > "$V/version"
note "VMM for the test VM: qemu-system-aarch64 $ver, $(du -sh "$root" | cut -f1) in $root"
touch "$stamp"
