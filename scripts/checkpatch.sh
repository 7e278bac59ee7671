#!/usr/bin/env bash
# Style gate for the series: scripts/checkpatch.pl --strict must be silent on
# every patch, and kernel-doc may not report anything new in the files the
# series touches (compared with the same files at base).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/scripts/lib.sh"
# checkpatch runs scripts/spdxcheck.py with the first python3 on PATH; it
# needs Debian's python3 with python3-ply and python3-git.
export PATH=/usr/bin:$PATH

# "Does MAINTAINERS need updating?" is answered, not ignored: a patch that
# adds files passes when every added file already has a MAINTAINERS entry.
covered() {
	local f
	for f in $(awk '/^diff --git / {f = substr($4, 3)} /^new file mode/ {print f}' "$1"); do
		(cd "$TREE" && ./scripts/get_maintainer.pl --no-git --no-git-fallback \
			--no-l --no-rolestats -f "$f" 2>/dev/null) | grep -v torvalds | grep -q "@" || return 1
	done
}

rc=0
mapfile -t patches < <("$top/scripts/series-list.sh")
for p in "${patches[@]}"; do
	ignore=()
	if grep -q '^new file mode' "$top/patches/$p" && covered "$top/patches/$p"; then
		ignore=(--ignore FILE_PATH_CHANGES)
	fi
	out=$(cd "$TREE" && ./scripts/checkpatch.pl --strict --quiet --no-summary \
		--show-types "${ignore[@]}" "$top/patches/$p" 2>&1) || true
	if [ -n "$out" ]; then
		printf 'checkpatch: %s\n%s\n\n' "$p" "$out"
		rc=1
	fi
done
[ $rc = 0 ] && note "checkpatch --strict: ${#patches[@]} patches clean"

# kernel-doc on C files the series changes: report only new warnings.
mapfile -t files < <(git -C "$TREE" diff --name-only --diff-filter=AM base HEAD -- '*.c' '*.h')
kd() { perl "$TREE/scripts/kernel-doc" -none "$@" 2>&1 | sed -E 's/:[0-9]+:/:/' | sort -u; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
newwarn=0
for f in "${files[@]}"; do
	case "$f" in tools/*) continue ;; esac
	mkdir -p "$tmp/base/$(dirname "$f")"
	git -C "$TREE" show "base:$f" > "$tmp/base/$f" 2>/dev/null || : > "$tmp/base/$f"
	(cd "$tmp/base" && kd "$f") > "$tmp/before"
	(cd "$TREE" && kd "$f") > "$tmp/after"
	new=$(comm -13 "$tmp/before" "$tmp/after")
	if [ -n "$new" ]; then
		printf 'kernel-doc: new warnings in %s:\n%s\n' "$f" "$new"
		newwarn=1
	fi
done
[ $newwarn = 0 ] && note "kernel-doc: no new warnings in ${#files[@]} changed files"
[ $rc = 0 ] && [ $newwarn = 0 ]
