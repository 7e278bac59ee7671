#!/usr/bin/env bash
# Check build/linux's uAPI headers against the ABI sheet's compile-time
# assertions (../shared/abi/viommu-uapi-layout-check.c) for arm64, x86-64
# and, when the compiler can, i386.  A name the tree does not define yet is
# listed, not failed (the series adds the uAPI step by step); a name that
# exists with another number or layout fails.  ABI_REQUIRE_ALL=1 makes
# absence fail too.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/scripts/lib.sh"
check=${ABI_CHECK:-$top/../shared/abi/viommu-uapi-layout-check.c}
[ -f "$check" ] || die "ABI check source $check not found"
hdr=$BUILD/hdr
make -s -C "$TREE" O="$hdr" ARCH=arm64 headers_install >/dev/null
ccs=(--cc "${CROSS}gcc" --cc gcc)
if echo 'int main(void){return 0;}' | gcc -m32 -x c -o /dev/null - 2>/dev/null; then
	ccs+=(--cc "gcc -m32")
fi
req=()
[ "${ABI_REQUIRE_ALL:-0}" = 1 ] && req=(--require-all)
python3 "$top/scripts/abi-check.py" --hdr "$hdr/usr/include" --check "$check" "${ccs[@]}" "${req[@]}"
