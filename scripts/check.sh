#!/usr/bin/env bash
# make check: the series applies to a pristine base, is clean under
# checkpatch --strict and kernel-doc, matches the ABI sheet (once the vIOMMU
# uAPI exists), builds, and passes every suite in the test VM with a clean
# kernel log.  The last line printed is "N passed, N failed[, N skipped]".
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
stage "vm-build" "$S/vm-build.sh"
printf '\n### vm-test\n'
s=$SECONDS
res=$BUILD/vm/results.txt
"$S/vm-run.sh" | tee "$res"
rc=${PIPESTATUS[0]}
times+=("$(printf '%-14s %5ds' vm-test $((SECONDS - s)))")
printf '\nmake check stages:\n'
printf '  %s\n' "${times[@]}"
printf '  %-14s %5ds\n' total $((SECONDS - t0))
# The results line comes last, for people and for CI.
tail -n 1 "$res"
exit $rc
