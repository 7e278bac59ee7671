#!/usr/bin/env bash
# Cross-build the test programs (base selftests + ours) and the C init
# statically for arm64 and pack them into build/vm/initramfs.cpio.gz.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/scripts/lib.sh"
VM=$BUILD/vm
mkdir -p "$VM/selftests" "$VM/bin"

note "installing uAPI headers of build/linux"
make -s -C "$TREE" O="$KOUT" ARCH=arm64 headers_install >/dev/null
hdr=$KOUT/usr/include

note "building tools/testing/selftests/iommu (static, arm64)"
make -s -C "$TREE/tools/testing/selftests/iommu" ARCH=arm64 \
	CROSS_COMPILE="$CROSS" OUTPUT="$VM/selftests" \
	KHDR_INCLUDES="-isystem $hdr" LDFLAGS=-static all

cc="${CROSS}gcc -static -O2 -g0 -Wall -Werror -isystem $hdr"
note "building the project's test programs and init"
$cc -I"$TREE/tools/testing/selftests" -I"$top/tests" \
	-o "$VM/bin/e2e_vfio_edu" "$top/tests/e2e_vfio_edu.c" "$top/tests/vmm.c"
$cc -I"$TREE/tools/testing/selftests" -I"$top/tests" \
	-o "$VM/bin/e2e_vsmmu" "$top/tests/e2e_vsmmu.c" "$top/tests/guest_s1.c" \
	"$top/tests/vmm.c"
$cc -I"$top/tests" -o "$VM/bin/demo_vsmmu" "$top/tests/demo_vsmmu.c" \
	"$top/tests/guest_s1.c" "$top/tests/vmm.c"
$cc -I"$top/tests" -I"$TREE/drivers/iommu/iommufd" -o "$VM/bin/bench_vsmmu" \
	"$top/tests/bench_vsmmu.c" "$top/tests/guest_s1.c" "$top/tests/vmm.c"
$cc -I"$TREE/tools/testing/selftests" -I"$top/tests" \
	-o "$VM/bin/e2e_two_smmus" "$top/tests/e2e_two_smmus.c" \
	"$top/tests/guest_s1.c" "$top/tests/vmm.c"
$cc -pthread -I"$TREE/tools/testing/selftests" -I"$top/tests" \
	-I"$TREE/drivers/iommu/iommufd" -o "$VM/bin/stress_viommu" \
	"$top/tests/stress_viommu.c" "$top/tests/guest_s1.c" "$top/tests/vmm.c"
$cc -I"$TREE/tools/testing/selftests" -I"$top/tests" \
	-I"$TREE/drivers/iommu/iommufd" -o "$VM/bin/seq_viommu" \
	"$top/tests/seq_viommu.c" "$top/tests/guest_s1.c" "$top/tests/vmm.c"
$cc -I"$TREE/tools/testing/selftests" -I"$top/tests" \
	-o "$VM/bin/e2e_qemu_vmm" "$top/tests/e2e_qemu_vmm.c" "$top/tests/vmm.c"
$cc -o "$VM/bin/init" "$top/vm/init.c"

gcc -O2 -o "$VM/gen_init_cpio" "$TREE/usr/gen_init_cpio.c"
{
	echo "dir /dev 0755 0 0"
	echo "nod /dev/console 0600 0 0 c 5 1"
	for d in /proc /sys /tmp /etc /tests /bin; do echo "dir $d 0755 0 0"; done
	echo "file /init $VM/bin/init 0755 0 0"
	echo "file /etc/suites $top/vm/suites 0644 0 0"
	for p in "$VM"/selftests/iommufd "$VM"/selftests/iommufd_fail_nth "$VM"/bin/*; do
		[ "$(basename "$p")" = init ] && continue
		echo "file /tests/$(basename "$p") $p 0755 0 0"
	done
} > "$VM/initramfs.list"
"$VM/gen_init_cpio" "$VM/initramfs.list" | gzip -1 > "$VM/initramfs.cpio.gz"
note "initramfs: $VM/initramfs.cpio.gz ($(du -h "$VM/initramfs.cpio.gz" | cut -f1))"

# The VMM test's initramfs: the same, plus QEMU for arm64 with what it
# needs (scripts/vmm-root.sh) and its guest (scripts/guest-build.sh)
"$top/scripts/vmm-root.sh"
"$top/scripts/guest-build.sh"
{
	cat "$VM/initramfs.list"
	cat "$BUILD/vmm/root.list"
	echo "dir /guest 0755 0 0"
	echo "file /guest/Image $BUILD/guest/Image 0644 0 0"
	echo "file /guest/initramfs.cpio.gz $BUILD/guest/initramfs.cpio.gz 0644 0 0"
} | awk '!seen[$0]++' > "$VM/initramfs-vmm.list"
"$VM/gen_init_cpio" "$VM/initramfs-vmm.list" | gzip -1 > "$VM/initramfs-vmm.cpio.gz"
note "VMM initramfs: $VM/initramfs-vmm.cpio.gz ($(du -h "$VM/initramfs-vmm.cpio.gz" | cut -f1))"
"$top/scripts/iort.sh"
MACHINE=vmm "$top/scripts/iort.sh"
# The machine with two SMMUs, where its QEMU can run
if "$top/scripts/qemu-next.sh" available; then
	MACHINE=smmu2 "$top/scripts/iort.sh"
fi
