#!/usr/bin/env bash
# make export: write patches/ from build/linux base..HEAD.  Output is stable:
# no version signature, zeroed From lines and names from the subjects, so an
# unchanged tree exports to identical files.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/scripts/lib.sh"
[ -d "$TREE/.git" ] || die "no build/linux (make tree)"
if [ -n "$(git -C "$TREE" status --porcelain --untracked-files=no)" ]; then
	note "warning: build/linux has uncommitted edits; they are not exported"
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
git -C "$TREE" format-patch -q --no-signature --zero-commit --no-numbered \
	--subject-prefix=PATCH -o "$tmp" base..HEAD >/dev/null
mkdir -p "$top/patches"
rm -f "$top/patches/"*.patch
: > "$tmp/series"
for f in "$tmp"/*.patch; do
	[ -e "$f" ] || continue
	b=$(basename "$f")
	cp "$f" "$top/patches/$b"
	echo "$b" >> "$tmp/series"
done
{
	echo "# Order in which the patches apply to the base (see BASE_VERSION)."
	cat "$tmp/series"
} > "$top/patches/series"
note "exported $(grep -c . "$tmp/series" || true) patches to patches/"
