# vSMMU LTS: virtual SMMUv3 support for iommufd, as a patch series on
# Debian's linux-source-6.12.  Every target runs the idempotent set-up first.
#
#   make demo            boot the VM and walk through the VMM flow
#   make demo-vmm        QEMU 11.1 inside the VM gives a guest an accelerated vSMMU
#   make check           everything CI checks (see README)
#   make bench           time the trap path in the VM; table and plot in build/bench
#   make bench-compare   the forwarding figures, ours against an upstream
#                        reference kernel booted alternately; build/bench/compare
#   make bench-profile   a host perf profile of the forwarding path on the same
#                        two kernels, by function; build/bench/profile
#
# Developer verbs: tree, export, series-status, kernel, compile, vm-build,
# vm-test, checkpatch, apply-check, abi-check, bisect-check, clean.

SHELL := /bin/bash
S := scripts

.PHONY: all setup tree export series-status kernel compile vm-build vm-test \
	checkpatch apply-check abi-check check demo demo-vmm bisect-check bench \
	bench-compare bench-profile clean \
	tree-if-missing tree-in-sync

all: check

setup:
	@$(S)/setup.sh

tree: setup
	@$(S)/tree.sh

tree-if-missing: setup
	@[ -d build/linux/.git ] || $(S)/tree.sh

# make check proves the series in patches/, so the tree must match it.
tree-in-sync: tree-if-missing
	@$(S)/series-status.sh --quiet || { $(S)/series-status.sh; \
		echo "make check builds build/linux: make export (or make tree FORCE=1) first"; exit 1; }

export:
	@$(S)/export.sh

series-status:
	@$(S)/series-status.sh

kernel: tree-if-missing
	@$(S)/kernel.sh

# The distro-like compiles make check does: arm64 modules, x86_64
compile: tree-if-missing
	@$(S)/compile-check.sh

vm-build: kernel
	@$(S)/vm-build.sh

vm-test: vm-build
	@$(S)/vm-run.sh

checkpatch: tree-if-missing
	@$(S)/checkpatch.sh

apply-check: tree-if-missing
	@$(S)/apply-check.sh

abi-check: tree-if-missing
	@$(S)/abi-check.sh

check: setup
	@$(S)/check.sh

demo: vm-build
	@DEMO=1 $(S)/vm-run.sh

demo-vmm: vm-build
	@MACHINE=vmm DEMO_VMM=1 VM_LOG=build/vm/console-vmm.log $(S)/vm-run.sh

bench: vm-build
	@$(S)/bench.sh

# Builds its own non-debug kernels; needs only the initramfs of vm-build
bench-compare: vm-build
	@$(S)/bench-compare.sh

# A host perf profile of the forwarding path on the same two kernels
bench-profile: vm-build
	@$(S)/bench-profile.sh

bisect-check: tree-in-sync
	@$(S)/bisect-check.sh

clean:
	rm -rf build/kernel build/vm build/hdr
