#!/usr/bin/env bash
# make series-status: do build/linux (base..HEAD) and patches/ agree, and is
# the tree free of uncommitted edits?  Compares `git patch-id --stable` of
# each commit with that of each patch file, in order.  Exit 0 when in sync.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/scripts/lib.sh"
quiet=0
[ "${1:-}" = --quiet ] && quiet=1
say() { [ $quiet = 1 ] || printf '%s\n' "$*"; }

[ -d "$TREE/.git" ] || { say "build/linux does not exist (make tree)"; exit 1; }

mapfile -t commits < <(git -C "$TREE" rev-list --reverse base..HEAD)
mapfile -t files < <("$top/scripts/series-list.sh")
tid() { git -C "$TREE" show --format=%H "$1" | git patch-id --stable | cut -d' ' -f1; }
fid() { git patch-id --stable < "$top/patches/$1" | cut -d' ' -f1; }

rc=0
n=${#commits[@]}
[ ${#files[@]} -gt "$n" ] && n=${#files[@]}
for ((i = 0; i < n; i++)); do
	c=${commits[i]:-}
	f=${files[i]:-}
	subj=""
	[ -n "$c" ] && subj=$(git -C "$TREE" log -1 --format=%s "$c")
	if [ -z "$c" ]; then
		say "  only in patches/:    $f"; rc=1
	elif [ -z "$f" ]; then
		say "  only in build/linux: ${c:0:12} $subj"; rc=1
	elif [ ! -f "$top/patches/$f" ]; then
		say "  missing file:        $f (listed in patches/series)"; rc=1
	elif [ "$(tid "$c")" != "$(fid "$f")" ]; then
		say "  differs:             ${c:0:12} $subj  <->  $f"; rc=1
	fi
done
dirty=$(git -C "$TREE" status --porcelain --untracked-files=no)
if [ -n "$dirty" ]; then
	say "  uncommitted edits in build/linux:"
	say "$(printf '%s\n' "$dirty" | sed 's/^/    /' | head -n 20)"
	rc=1
fi
if [ $rc = 0 ]; then
	say "in sync: build/linux base..HEAD = patches/ (${#files[@]} patches), no uncommitted edits"
else
	say "DRIFT: build/linux and patches/ do not agree (make export, or make tree FORCE=1)"
fi
exit $rc
