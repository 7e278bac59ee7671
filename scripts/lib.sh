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
# The URI of the Debian mirror the machine's apt sources use for bookworm:
# other suites come from it too, so no registry host is ever named here.
apt_mirror_uri() {
	local uri=""
	uri=$(awk '/^URIs:/ {u=$2} /^Suites:/ && $0 ~ /(^| )bookworm( |$)/ {print u; exit}' \
		/etc/apt/sources.list.d/*.sources 2>/dev/null || true)
	if [ -z "$uri" ] && [ -f /etc/apt/sources.list ]; then
		uri=$(awk '$1=="deb" && $3=="bookworm" {print $2; exit}' /etc/apt/sources.list)
	fi
	[ -n "$uri" ] || die "no bookworm mirror found in the apt sources; add one first"
	echo "$uri"
}
base_version() { sed -n 's/^[[:space:]]*\([^#[:space:]]\+\).*/\1/p' "$top/BASE_VERSION" | head -n1; }
