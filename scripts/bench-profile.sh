#!/usr/bin/env bash
# make bench-profile: where the time of a forwarded invalidation goes, on our
# kernel and on the reference kernel of make bench-compare (the same two
# non-debug builds).
#
# Each boot runs one figure in a loop (tests/bench_vsmmu.c, part profile)
# while perf samples QEMU on the host, between the loop's console markers.
# QEMU names its translated code by guest address (-perfmap), and the
# report (scripts/bench-profile.py) turns those into the guest kernel's
# functions through its System.map: what each kernel function and each
# function of the emulation (the SMMU model, MMIO, TCG helpers) costs per
# call, in host microseconds, side by side. Results in build/bench/profile.
#
#   PROFILE_SPECS="tlbi_va,1,15 tlbi_va,64,15 cfgi_cd_all,64,15"
#                  KIND,BATCH,SECONDS per boot, KIND tlbi_va or cfgi_cd_all
#   PROFILE_KERNELS="ours ref"
#   PERF_FREQ=1999 samples per second
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/scripts/lib.sh"
out=$BUILD/bench/profile
mkdir -p "$out"
command -v perf >/dev/null || die "perf is needed on the host (make setup)"

. "$top/scripts/bench-kernels.sh"
bench_kernels

rm -f "$out"/*.samples "$out"/*.calls
for spec in ${PROFILE_SPECS:-tlbi_va,1,15 tlbi_va,64,15 cfgi_cd_all,64,15}; do
	for k in ${PROFILE_KERNELS:-ours ref}; do
		name=$k-${spec%,*}
		name=${name//,/-}
		log=$out/console-$name.log
		ctl=$out/perf.ctl
		rm -f "$ctl" "$log" "$out/$name.data"
		mkfifo "$ctl"
		: > "$log"
		python3 "$top/scripts/bench-profile.py" watch "$log" "$ctl" \
			> "$out/$name.calls" &
		watcher=$!
		note "profiling $spec on $k"
		KOUT=$BUILD/bench-$k BENCH=1 BENCH_PARTS=profile \
			BENCH_PROFILE=$spec BENCH_OUT="$out/$name.csv" \
			VM_LOG="$log" PERF_OUT="$out/$name.data" PERF_CTL="$ctl" \
			VM_TIMEOUT=600 "$top/scripts/vm-run.sh" || true
		kill "$watcher" 2>/dev/null || true
		wait "$watcher" 2>/dev/null || true
		rm -f "$ctl"
		[ -s "$out/$name.calls" ] ||
			die "no profile-off marker from $k (see $log)"
		# Resolved while QEMU's map of its translated code (named by
		# guest address, /tmp/perf-PID.map) is there
		perf script -i "$out/$name.data" -F pid,ip,sym,dso 2>/dev/null \
			> "$out/$name.samples"
		pid=$(awk 'NR == 1 { print $1 }' "$out/$name.samples")
		[ -n "$pid" ] || die "no samples for $spec on $k"
		rm -f "/tmp/perf-$pid.map" "$out/$name.data"
	done
done
python3 "$top/scripts/bench-profile.py" report "$out" \
	"ours=$BUILD/bench-ours/System.map" "ref=$BUILD/bench-ref/System.map"
note "report: build/bench/profile/profile.md"
