#!/usr/bin/env bash
# Build the IORT upgrade for ACPI boots of the test VM: QEMU's own IORT with
# its PCI root complexes marked CANWBS (see iort-canwbs.py), packed as the
# uncompressed cpio the kernel's ACPI table upgrade reads first.
#
# QEMU's table is read from a VM booted once on the plain initramfs (init
# prints it when the command line says vsmmu.dump=PATH) and kept in
# build/vm/iort/ for as long as QEMU, its firmware and the VM's machine
# options stay the same. MACHINE=smmu2 does the same for the machine with
# two SMMUs (vm-run.sh), whose IORT has a mapping for each, and
# MACHINE=vmm for the machine with EL2, on the VMM test's initramfs.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/scripts/lib.sh"
VM=$BUILD/vm
dir=$VM/iort
mkdir -p "$dir"

machine=${MACHINE:-smmu1}
initrd=$VM/initramfs.cpio.gz
if [ "$machine" = smmu2 ]; then
	qemu_version=$("$top/scripts/qemu-next.sh" version)
	fw=$("$top/scripts/qemu-next.sh" firmware)
	out=$VM/initramfs-acpi-smmu2.img
else
	qemu_version=$(qemu-system-aarch64 --version | head -1)
	fw=/usr/share/qemu-efi-aarch64/QEMU_EFI.fd
	out=$VM/initramfs-acpi.img
	if [ "$machine" = vmm ]; then
		out=$VM/initramfs-acpi-vmm.img
		initrd=$VM/initramfs-vmm.cpio.gz
	fi
fi
key=$({ echo "$qemu_version"; sha256sum "$fw" "$top/scripts/vm-run.sh"; } | sha256sum | cut -c1-16)
orig=$dir/IORT-$machine-$key.orig.aml
if [ ! -s "$orig" ]; then
	note "reading QEMU's IORT (one boot, kept for this QEMU and machine $machine)"
	rm -f "$dir/IORT-$machine"-*.orig.aml
	DUMP=/sys/firmware/acpi/tables/IORT DUMP_OUT="$orig" INITRD="$VM/initramfs.cpio.gz" \
		VM_TIMEOUT=300 "$top/scripts/vm-run.sh"
	[ -s "$orig" ] || die "no IORT came out of the VM (see $VM/console.log)"
fi

root=$dir/root-$machine
rm -rf "$root"
mkdir -p "$root/kernel/firmware/acpi"
python3 "$top/scripts/iort-canwbs.py" "$orig" "$root/kernel/firmware/acpi/IORT.aml"
{
	echo "dir /kernel 0755 0 0"
	echo "dir /kernel/firmware 0755 0 0"
	echo "dir /kernel/firmware/acpi 0755 0 0"
	echo "file /kernel/firmware/acpi/IORT.aml $root/kernel/firmware/acpi/IORT.aml 0644 0 0"
} > "$dir/upgrade-$machine.list"
"$VM/gen_init_cpio" "$dir/upgrade-$machine.list" > "$dir/upgrade-$machine.cpio"
cat "$dir/upgrade-$machine.cpio" "$initrd" > "$out"
note "initramfs for ACPI boots of $machine: $out (IORT upgrade: root complexes CANWBS)"
