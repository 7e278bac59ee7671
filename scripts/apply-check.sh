#!/usr/bin/env bash
# Does patches/ apply, in order, to the pristine base?  Applies each patch to
# a throw-away index built from tag "base", so build/linux is not touched.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/scripts/lib.sh"
idx=$(mktemp)
trap 'rm -f "$idx"' EXIT
export GIT_INDEX_FILE=$idx
git -C "$TREE" read-tree base
n=0
while read -r p; do
	git -C "$TREE" apply --cached "$top/patches/$p" ||
		die "patch $p does not apply on top of base + the $n patches before it"
	n=$((n + 1))
done < <("$top/scripts/series-list.sh")
tree=$(git -C "$TREE" write-tree)
if [ "$tree" = "$(git -C "$TREE" rev-parse 'HEAD^{tree}')" ]; then
	note "apply-check: all $n patches apply cleanly to base; result = build/linux HEAD"
else
	note "apply-check: all $n patches apply cleanly to base (build/linux HEAD differs: see make series-status)"
fi
