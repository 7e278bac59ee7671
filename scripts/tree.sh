#!/usr/bin/env bash
# make tree: build/linux = pristine base (tag "base") + patches/ via git am.
#
# The pristine import is made once per base version and kept; re-running
# resets to it and re-applies the series.  Work that is not exported (tree
# commits or edits that differ from patches/) is never thrown away unless
# FORCE=1 is given.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/scripts/lib.sh"

tarball=/usr/src/linux-source-6.12.tar.xz
ver=$(dpkg-query -W -f='${Version}' linux-source-6.12)

git_t() { git -C "$TREE" "$@"; }

import_base() {
	note "importing linux-source-6.12 $ver into $TREE (once per base version)"
	rm -rf "$TREE"
	mkdir -p "$TREE"
	tar -xJf "$tarball" -C "$TREE" --strip-components=1
	git_t init -q -b main
	git_t config user.name "vSMMU LTS developers"
	git_t config user.email "dev@vsmmu-lts.invalid"
	git_t config core.autocrlf false
	git_t config gc.auto 0
	# Debian's top-level .gitignore ignores every top-level path ("/*",
	# for its packaging repository), which would hide every new file of
	# the series from git.  Drop that block in the import; no patch
	# touches .gitignore, so the series applies to 6.12.y unchanged.
	sed -i '/^# Debian packaging: ignore everything/,/^!\/debian\/$/d' "$TREE/.gitignore"
	sed -i '${/^#$/d}' "$TREE/.gitignore"
	git_t add -A -f .
	GIT_AUTHOR_DATE="2000-01-01T00:00:00Z" GIT_COMMITTER_DATE="2000-01-01T00:00:00Z" \
		git_t commit -q -m "Linux $ver (Debian linux-source-6.12)"
	git_t tag -a -m "linux-source-6.12 $ver" base
}

if [ -d "$TREE/.git" ] && git_t rev-parse -q --verify base >/dev/null; then
	have=$(git_t tag -l --format='%(contents:subject)' base)
	if [ "$have" != "linux-source-6.12 $ver" ]; then
		[ "${FORCE:-0}" = 1 ] || die "build/linux is based on '$have', installed is $ver; FORCE=1 re-imports"
		import_base
	elif ! "$top/scripts/series-status.sh" --quiet; then
		[ "${FORCE:-0}" = 1 ] || die "build/linux has work that is not in patches/ (see make series-status); export it, or FORCE=1 to drop it"
	fi
else
	import_base
fi

git_t am --abort >/dev/null 2>&1 || true
git_t checkout -q -B main base
git_t reset -q --hard base
git_t clean -q -fdx -e /.git
n=0
while read -r p; do
	git_t am -q --keep-cr --committer-date-is-author-date "$top/patches/$p" ||
		die "patch $p does not apply to base"
	n=$((n + 1))
done < <("$top/scripts/series-list.sh")
note "build/linux: base + $n patches"
