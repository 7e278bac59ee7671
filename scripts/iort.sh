#!/usr/bin/env bash
# Build the IORT upgrade for ACPI boots of the test VM: QEMU's own IORT with
# its PCI root complexes marked CANWBS (see iort-canwbs.py), packed as the
# uncompressed cpio the kernel's ACPI table upgrade reads first.
#
# QEMU's table is read from a VM booted once on the plain initramfs (init
# prints it when the command line says vsmmu.dump=PATH) and kept in
# build/vm/iort/ for as long as QEMU, its firmware and the VM's machine
# options stay the same.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/scripts/lib.sh"
VM=$BUILD/vm
dir=$VM/iort
mkdir -p "$dir"

fw=/usr/share/qemu-efi-aarch64/QEMU_EFI.fd
key=$({ qemu-system-aarch64 --version | head -1; sha256sum "$fw" "$top/scripts/vm-run.sh"; } | sha256sum | cut -c1-16)
orig=$dir/IORT-$key.orig.aml
if [ ! -s "$orig" ]; then
	note "reading QEMU's IORT (one boot, kept for this QEMU and machine)"
	rm -f "$dir"/IORT-*.orig.aml
	DUMP=/sys/firmware/acpi/tables/IORT DUMP_OUT="$orig" INITRD="$VM/initramfs.cpio.gz" \
		VM_TIMEOUT=300 "$top/scripts/vm-run.sh"
	[ -s "$orig" ] || die "no IORT came out of the VM (see $VM/console.log)"
fi

rm -rf "$dir/root"
mkdir -p "$dir/root/kernel/firmware/acpi"
python3 "$top/scripts/iort-canwbs.py" "$orig" "$dir/root/kernel/firmware/acpi/IORT.aml"
{
	echo "dir /kernel 0755 0 0"
	echo "dir /kernel/firmware 0755 0 0"
	echo "dir /kernel/firmware/acpi 0755 0 0"
	echo "file /kernel/firmware/acpi/IORT.aml $dir/root/kernel/firmware/acpi/IORT.aml 0644 0 0"
} > "$dir/upgrade.list"
"$VM/gen_init_cpio" "$dir/upgrade.list" > "$dir/upgrade.cpio"
cat "$dir/upgrade.cpio" "$VM/initramfs.cpio.gz" > "$VM/initramfs-acpi.img"
note "initramfs for ACPI boots: $VM/initramfs-acpi.img (IORT upgrade: root complexes CANWBS)"
