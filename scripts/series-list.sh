#!/usr/bin/env bash
# Print the patch file names of the series in order (from patches/series).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
s=$top/patches/series
[ -f "$s" ] || exit 0
sed -e 's/#.*//' -e 's/[[:space:]]*$//' -e '/^$/d' "$s"
