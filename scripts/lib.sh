# Shared helpers for the scripts; sourced, never run.
top=${top:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
BUILD=${BUILD:-$top/build}
STAMP_DIR=$BUILD/stamps
TREE=$BUILD/linux
KOUT=$BUILD/kernel
CROSS=aarch64-linux-gnu-

note() { printf '==> %s\n' "$*" >&2; }
die() { printf 'ERROR: %s\n' "$*" >&2; exit 1; }
warn_loud() {
	printf '\n!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!\n' >&2
	printf '!!! WARNING: %s\n' "$*" >&2
	printf '!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!\n\n' >&2
}
base_version() { sed -n 's/^[[:space:]]*\([^#[:space:]]\+\).*/\1/p' "$top/BASE_VERSION" | head -n1; }
