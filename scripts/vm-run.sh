#!/usr/bin/env bash
# Boot the test VM on build/kernel's Image and build/vm's initramfs, save the
# console to build/vm/console.log and print the parsed results.
#
#   BOOT=acpi (default)  UEFI firmware, ACPI tables (IORT)
#   BOOT=dt              direct kernel boot with a device tree
#   MACHINE=smmu2        two SMMUv3s, each with an edu behind it on a PCIe
#                        expander bus of its own (QEMU 11 of the trixie
#                        root, scripts/qemu-next.sh; ACPI boots only)
#   MACHINE=vmm          the default machine with emulated EL2, so that KVM
#                        runs in it, and the VMM test's initramfs: QEMU 11
#                        for arm64 and its guest (ACPI boots only)
#   SUITES=a,b           run a subset (names from vm/suites, or kunit)
#   VM_TIMEOUT=seconds   hard limit for the whole VM run (default 2400)
#   VERBOSE=1            echo the whole console, not just progress lines
#   DEMO=1               run the demo instead of the suites
#   DEMO_VMM=1           (MACHINE=vmm) show what QEMU and its guest do
#   DUMP=path DUMP_OUT=f copy a file of the VM to f instead (hex on the console)
#   BENCH=1 BENCH_OUT=f  run the benchmark instead and save its CSV to f
#   BENCH_PARTS=a,b      only these parts of it: mock, smmu, share, vdevs,
#                        forward (the forwarding figures of smmu), profile
#   BENCH_PROFILE=spec   the profile part's KIND,BATCH,SECONDS (also nokaslr)
#   PERF_OUT=f PERF_CTL=fifo  run QEMU under perf record, events enabled and
#                        disabled through the fifo (make bench-profile)
#   STRESS=s,t,i,v       the stress suite's seed, seconds, iterations, VMIDs
#   SEQ=s,n              the sequencer suite's seed and steps
#   INITRD=file          another initramfs (default: initramfs-acpi.img for
#                        ACPI boots, with the IORT upgrade, else the plain one)
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/scripts/lib.sh"
VM=$BUILD/vm
image=$KOUT/arch/arm64/boot/Image
[ -f "$image" ] || die "no kernel image (make kernel)"
boot=${BOOT:-acpi}
machine=${MACHINE:-smmu1}
case "$machine" in
smmu1)	acpi_initrd=$VM/initramfs-acpi.img ;;
smmu2)	[ "$boot" = acpi ] || die "MACHINE=smmu2 boots with ACPI only"
	acpi_initrd=$VM/initramfs-acpi-smmu2.img ;;
vmm)	[ "$boot" = acpi ] || die "MACHINE=vmm boots with ACPI only"
	acpi_initrd=$VM/initramfs-acpi-vmm.img ;;
*)	die "MACHINE must be smmu1, smmu2 or vmm" ;;
esac
if [ -n "${INITRD:-}" ]; then
	initrd=$INITRD
elif [ "$boot" = acpi ]; then
	initrd=$acpi_initrd
else
	initrd=$VM/initramfs.cpio.gz
fi
[ -f "$initrd" ] || die "no initramfs $initrd (make vm-build)"
# The suites this run must report, fixed before the VM starts. The
# two-SMMU suites run on MACHINE=smmu2 only, the VMM suite on MACHINE=vmm
# only, and only they run there.
two_smmu_suites=e2e_two_smmus
vmm_suites=e2e_qemu_vmm
if [ "$machine" = smmu2 ]; then
	expect=${SUITES:-$two_smmu_suites}
elif [ "$machine" = vmm ]; then
	expect=${SUITES:-$vmm_suites}
else
	expect=${SUITES:-kunit,$(awk -v skip=",$two_smmu_suites,$vmm_suites," \
		'!/^#/ && NF && index(skip, "," $1 ",") == 0 {printf "%s,", $1}' \
		"$top/vm/suites")}
fi
timeout_s=${VM_TIMEOUT:-2400}
append="console=ttyAMA0 loglevel=7 kasan.fault=report kasan_multi_shot"
append+=" kmemleak=on vsmmu.suites=$expect"
[ "${DEMO:-0}" = 1 ] && append+=" vsmmu.demo=1"
# The stress suite's SEED,SECONDS,ITERATIONS,VMIDS (tests/stress_viommu.c)
[ -n "${STRESS:-}" ] && append+=" vsmmu.stress=$STRESS"
# The sequencer suite's SEED,STEPS (tests/seq_viommu.c)
[ -n "${SEQ:-}" ] && append+=" vsmmu.seq=$SEQ"
[ -n "${DUMP:-}" ] && append+=" vsmmu.dump=$DUMP"
[ "${BENCH:-0}" = 1 ] && append+=" vsmmu.bench=${BENCH_PARTS:-all}"
# make bench-profile: guest addresses must match System.map
[ -n "${BENCH_PROFILE:-}" ] && append+=" vsmmu.profile=$BENCH_PROFILE nokaslr"
common=(-cpu max,pauth-impdef=on -smp 2 -m 4G -nographic -no-reboot -nic none
	-kernel "$image" -initrd "$initrd")
if [ "$machine" = smmu2 ]; then
	qemu=("$top/scripts/qemu-next.sh" run)
	fw=$("$top/scripts/qemu-next.sh" firmware)
	args=(-M virt,gic-version=3 "${common[@]}")
	for n in 1 2; do
		args+=(-device "pxb-pcie,id=pcie.$n,bus_nr=$((8 * n)),bus=pcie.0"
		       -device "arm-smmuv3,primary-bus=pcie.$n,stage=nested"
		       -device "pcie-root-port,id=rp$n,bus=pcie.$n,chassis=$n"
		       -device "edu,bus=rp$n")
	done
else
	qemu=(qemu-system-aarch64)
	fw=/usr/share/qemu-efi-aarch64/QEMU_EFI.fd
	mopts=virt,gic-version=3,iommu=smmuv3
	# Emulated EL2: the kernel boots at EL2 and runs KVM for the VMM
	[ "$machine" = vmm ] && mopts+=,virtualization=on
	args=(-M "$mopts" -global arm-smmuv3.stage=nested
	      "${common[@]}" -device edu)
fi
if [ -n "${PERF_OUT:-}" ]; then
	# make bench-profile: perf samples QEMU while PERF_CTL enables it, and
	# QEMU names its translated blocks by their guest address (-perfmap)
	qemu=(perf record -q -F "${PERF_FREQ:-1999}" -D -1
	      --control "fifo:${PERF_CTL:?}" -o "$PERF_OUT" -- "${qemu[@]}")
	args+=(-perfmap)
fi
case "$boot" in
acpi)
	[ -f "$fw" ] || die "UEFI firmware $fw missing (make setup)"
	args+=(-bios "$fw") ;;
dt)	append+=" acpi=off" ;;
*)	die "BOOT must be acpi or dt" ;;
esac

log=${VM_LOG:-$VM/console.log}
note "booting qemu-system-aarch64 ($boot, $machine, timeout ${timeout_s}s); console: $log"
set +e
timeout -k 10 "$timeout_s" "${qemu[@]}" "${args[@]}" -append "$append" \
	</dev/null 2>&1 | tee "$log" | if [ "${VERBOSE:-0}" = 1 ]; then
		cat
	elif [ "${DEMO:-0}" = 1 ]; then
		sed -u -n '/^@@vsmmu suite-begin demo/,/^@@vsmmu suite-end demo/{/^@@vsmmu/d;p}'
	elif [ "${DEMO_VMM:-0}" = 1 ]; then
		grep --line-buffered -E '^kvm \[|^# vmm:|^#  +(RUN|OK|FAIL) |^  \| (qemu-system-aarch64:|EFI stub: Booting|arm-smmu-v3 .*(ias|event|0x)|edu_guest|@@guest)'
	else
		grep --line-buffered -E '^@@vsmmu (suite-begin|suite-end|boot-done|kmemleak-scan|all-done)' |
			sed -u 's/^@@vsmmu /  vm: /'
	fi
rc=${PIPESTATUS[0]}
set -e
[ "$rc" = 124 ] && note "the VM hit its ${timeout_s}s time limit"
if [ -n "${DUMP:-}" ]; then
	sed -n '/^@@vsmmu dump-begin/,/^@@vsmmu dump-end/{/^@@vsmmu/d;s/\r//;p}' "$log" |
		python3 -c 'import sys; sys.stdout.buffer.write(bytes.fromhex("".join(sys.stdin.read().split())))' > "${DUMP_OUT:?}"
	exit 0
fi
if [ "${BENCH:-0}" = 1 ]; then
	# Kernel messages can interleave with the CSV on the console
	sed -n '/^@@vsmmu bench-begin/,/^@@vsmmu bench-end/{/^@@vsmmu/d;s/\r//;p}' "$log" |
		grep -E '^figure,|^[a-z0-9_]+(,[0-9]+){5}$' > "${BENCH_OUT:?}"
	! grep -q "BENCH FAILED" "$log" || die "the benchmark failed (see $log)"
	grep -q "^@@vsmmu bench-end" "$log" || die "the benchmark did not finish (see $log)"
	exit 0
fi
if [ "${DEMO:-0}" = 1 ]; then
	exec python3 "$top/scripts/parse-results.py" --qemu-rc "$rc" --demo "$log"
fi
exec python3 "$top/scripts/parse-results.py" --qemu-rc "$rc" --expect "$expect" "$log"
