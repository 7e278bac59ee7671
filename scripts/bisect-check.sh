#!/usr/bin/env bash
# make bisect-check: build the kernel at every patch of the series, in
# order, incrementally in build/kernel, so a patch that breaks the build on
# its own is named.  build/linux is returned to where it was afterwards.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/scripts/lib.sh"
[ -z "$(git -C "$TREE" status --porcelain --untracked-files=no)" ] ||
	die "build/linux has uncommitted edits; commit or stash them first"
head=$(git -C "$TREE" symbolic-ref -q --short HEAD || git -C "$TREE" rev-parse HEAD)
mapfile -t commits < <(git -C "$TREE" rev-list --reverse base..HEAD)
trap 'git -C "$TREE" checkout -q "$head"' EXIT
i=0 bad=0
for c in "${commits[@]}"; do
	i=$((i + 1))
	subj=$(git -C "$TREE" log -1 --format=%s "$c")
	git -C "$TREE" checkout -q --detach "$c"
	s=$SECONDS
	if BISECT=1 "$top/scripts/kernel.sh" >"$BUILD/bisect-$i.log" 2>&1; then
		printf '  ok    %2d/%d %4ds  %s\n' "$i" "${#commits[@]}" $((SECONDS - s)) "$subj"
	else
		printf '  FAIL  %2d/%d %4ds  %s (log: build/bisect-%d.log)\n' "$i" "${#commits[@]}" $((SECONDS - s)) "$subj" "$i"
		bad=$((bad + 1))
	fi
done
git -C "$TREE" checkout -q "$head"
trap - EXIT
note "restoring the build of $head"
"$top/scripts/kernel.sh" >/dev/null
printf '%d passed, %d failed\n' $((${#commits[@]} - bad)) "$bad"
[ $bad = 0 ]
