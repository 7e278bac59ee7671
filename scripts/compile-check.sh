#!/usr/bin/env bash
# make check's compile-only stage: the series built the way distributions
# build it, with no VM. arm64 with iommufd, VFIO and the SMMUv3 driver and
# its KUnit suite as modules (build/compile-arm64), and x86_64 with iommufd
# as a module beside the Intel and AMD drivers and the iommufd selftest
# (build/compile-x86_64). modpost fails the build on a symbol a module uses
# but nobody exports, or a namespace it uses without importing; the modules
# that must come out of each build are then checked by name.
# COMPILE=arm64 or COMPILE=x86_64 builds one of them only.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/scripts/lib.sh"
[ -d "$TREE/.git" ] || die "no build/linux (make tree)"
C=$top/configs

one() {
	local name=$1 arch=$2 cross=$3 target=$4 out=$BUILD/compile-$1
	shift 4
	local -a frags=() mods=()
	while [ "$1" != -- ]; do frags+=("$1"); shift; done
	shift
	mods=("$@")
	cmake() { KARCH=$arch KCROSS=$cross kbuild "$out" "$@"; }
	mkdir -p "$out"
	kconfig_fragments "$out" cmake "${frags[@]}"
	note "compiling $name: $target and modules (O=build/compile-$name)"
	local s=$SECONDS
	cmake -s "$target" modules
	local m missing=0
	for m in "${mods[@]}"; do
		[ -f "$out/$m" ] || { note "$name: no $m"; missing=1; }
	done
	[ $missing = 0 ] || die "$name: a module that must be built is missing"
	note "$name: built with ${#mods[@]} modules checked in $((SECONDS - s)) s"
}

want=${COMPILE:-all}
if [ "$want" = all ] || [ "$want" = arm64 ]; then
	one arm64 arm64 "$CROSS" Image \
		"$C/base.config" "$C/acpi.config" "$C/compile/arm64-modules.config" -- \
		drivers/iommu/iommufd/iommufd.ko \
		drivers/iommu/arm/arm-smmu-v3/arm_smmu_v3.ko \
		drivers/iommu/arm/arm-smmu-v3/arm-smmu-v3-test.ko \
		drivers/iommu/arm/arm-smmu-v3/tegra241-cmdqv-test.ko \
		drivers/vfio/vfio.ko drivers/vfio/pci/vfio-pci.ko
fi
if [ "$want" = all ] || [ "$want" = x86_64 ]; then
	one x86_64 x86_64 x86_64-linux-gnu- bzImage \
		"$C/compile/x86_64.config" -- \
		drivers/iommu/iommufd/iommufd.ko \
		drivers/vfio/vfio.ko drivers/vfio/pci/vfio-pci.ko
fi
