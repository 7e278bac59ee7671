#!/usr/bin/env bash
# Compile ../shared/abi/viommu-uapi-layout-check.c against the uAPI headers
# of build/linux: it fails to compile when a struct layout, enum value or
# ioctl number disagrees with the ABI sheet.  Until the vIOMMU structs exist
# in the tree the check cannot compile at all, so it says so and passes.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/scripts/lib.sh"
check=${ABI_CHECK:-$top/../shared/abi/viommu-uapi-layout-check.c}
[ -f "$check" ] || die "ABI check source $check not found"
if ! grep -q '^struct iommu_viommu_alloc {' "$TREE/include/uapi/linux/iommufd.h"; then
	note "abi-check: skipped, the vIOMMU uAPI is not in build/linux yet"
	exit 0
fi
hdr=$BUILD/hdr
make -s -C "$TREE" O="$hdr" ARCH=arm64 headers_install >/dev/null
"${CROSS}gcc" -fsyntax-only -I"$hdr/usr/include" "$check"
gcc -fsyntax-only -I"$hdr/usr/include" "$check"
if echo 'int main(void){return 0;}' | gcc -m32 -x c -o /dev/null - 2>/dev/null; then
	gcc -m32 -fsyntax-only -I"$hdr/usr/include" "$check"
fi
note "abi-check: uAPI headers match the ABI sheet"
