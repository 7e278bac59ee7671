#!/usr/bin/env bash
# make check: the series applies to a pristine base, is clean under
# checkpatch --strict and kernel-doc, matches the ABI sheet (once the vIOMMU
# uAPI exists), builds (also as distributions build it: modules on arm64,
# and for x86_64), and passes every suite in the test VM with a clean
# kernel log: the ACPI boot, a device-tree boot, where the newer QEMU
# runs a boot with two SMMUs, and a boot where QEMU 11.1 runs a guest.
# The last line printed is "N passed, N failed[, N skipped]".
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/scripts/lib.sh"
S=$top/scripts
t0=$SECONDS
declare -a times=()
stage() {
	local name=$1; shift
	local s=$SECONDS
	printf '\n### %s\n' "$name"
	if ! "$@"; then
		printf '\n### make check FAILED at: %s\n' "$name"
		printf '0 passed, 1 failed\n'
		exit 1
	fi
	times+=("$(printf '%-14s %5ds' "$name" $((SECONDS - s)))")
}
in_sync() {
	[ -d "$TREE/.git" ] || "$S/tree.sh" || return 1
	"$S/series-status.sh" --quiet && return 0
	"$S/series-status.sh"
	echo "make check proves patches/: make export (or make tree FORCE=1) first"
	return 1
}

stage "tree" in_sync
stage "apply-check" "$S/apply-check.sh"
stage "checkpatch" "$S/checkpatch.sh"
stage "abi-check" "$S/abi-check.sh"
stage "kernel" "$S/kernel.sh"
stage "compile" "$S/compile-check.sh"
stage "vm-build" "$S/vm-build.sh"
printf '\n### vm-test (ACPI; the IORT upgrade makes the root complex CANWBS)\n'
s=$SECONDS
res=$BUILD/vm/results.txt
"$S/vm-run.sh" | tee "$res.acpi"
rc=${PIPESTATUS[0]}
times+=("$(printf '%-14s %5ds' vm-test $((SECONDS - s)))")
# Without CANWBS (no IORT at all) the SMMUv3 driver must refuse a vSMMU.
printf '\n### vm-test-dt (device tree: no CANWBS promise)\n'
s=$SECONDS
BOOT=dt SUITES=e2e_vsmmu VM_LOG=$BUILD/vm/console-dt.log "$S/vm-run.sh" |
	tee "$res.dt"
rc_dt=${PIPESTATUS[0]}
[ "$rc" = 0 ] && rc=$rc_dt
times+=("$(printf '%-14s %5ds' vm-test-dt $((SECONDS - s)))")
# One stage-2 shared by two SMMUs, on the QEMU that can emulate them
if "$S/qemu-next.sh" available; then
	printf '\n### vm-test-smmu2 (two SMMUv3s, one stage-2 for both)\n'
	s=$SECONDS
	MACHINE=smmu2 VM_LOG=$BUILD/vm/console-smmu2.log "$S/vm-run.sh" |
		tee "$res.smmu2"
	rc_2=${PIPESTATUS[0]}
	[ "$rc" = 0 ] && rc=$rc_2
	times+=("$(printf '%-14s %5ds' vm-test-smmu2 $((SECONDS - s)))")
else
	warn_loud "no QEMU for two SMMUs (make setup): e2e_two_smmus skipped"
	echo "0 passed, 0 failed, 1 skipped" > "$res.smmu2"
fi
# A real VMM: QEMU 11.1 for arm64 runs in the VM under KVM (emulated EL2)
# and gives its guest an accelerated vSMMU over edu
printf '\n### vm-test-vmm (QEMU 11.1 with accel=on inside the VM, under KVM)\n'
s=$SECONDS
MACHINE=vmm VM_LOG=$BUILD/vm/console-vmm.log "$S/vm-run.sh" | tee "$res.vmm"
rc_v=${PIPESTATUS[0]}
[ "$rc" = 0 ] && rc=$rc_v
times+=("$(printf '%-14s %5ds' vm-test-vmm $((SECONDS - s)))")
# One results line for all boots
tail -qn 1 "$res.acpi" "$res.dt" "$res.smmu2" "$res.vmm" | awk '
	{ for (i = 2; i <= NF; i++) { k = $i; sub(/,$/, "", k); n[k] += $(i - 1) } }
	END { printf "%d passed, %d failed", n["passed"], n["failed"]
	      if (n["skipped"]) printf ", %d skipped", n["skipped"]
	      print "" }' > "$res"

printf '\nmake check stages:\n'
printf '  %s\n' "${times[@]}"
printf '  %-14s %5ds\n' total $((SECONDS - t0))
# The results line comes last, for people and for CI.
tail -n 1 "$res"
exit $rc
