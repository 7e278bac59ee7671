// SPDX-License-Identifier: GPL-2.0-only
/*
 * A real VMM on this kernel: Debian's unmodified qemu-system-aarch64 (11.1)
 * runs inside the test VM under KVM and gives its guest an accelerated
 * virtual SMMUv3 (-device arm-smmuv3,accel=on) with edu passed through by
 * vfio-pci over iommufd. QEMU makes every iommufd call a VMM makes: the
 * nesting parent, the vIOMMU, vDEVICEs, nested HWPTs for the guest's STEs,
 * forwarded invalidations and the vEVENTQ.
 *
 * The guest checks from inside, with its own SMMUv3 driver and the
 * project's guest driver (tests/guest/edu_guest.c): a DMA round trip
 * through its stage-1 over our stage-2, edu's MSI, DMA blocked once the
 * DMA API unmaps (its invalidation forwarded through this kernel), and the
 * fault of that DMA reported by the guest's SMMU driver (the record came
 * through our vEVENTQ). This program runs QEMU, reads the guest's console
 * and QEMU's own messages, and judges them.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/kvm.h>

#include "kselftest_harness.h"
#include "vmm.h"

#define QEMU		"/usr/bin/qemu-system-aarch64"
#define GUEST_FW	"/usr/share/qemu-efi-aarch64/QEMU_EFI.fd"
#define GUEST_IMAGE	"/guest/Image"
#define GUEST_INITRD	"/guest/initramfs.cpio.gz"
/* UEFI and the guest's boot under KVM inside an emulated machine */
#define GUEST_TIMEOUT_S	600
#define OUT_MAX		(1 << 20)

/* What /dev/kvm must do for QEMU: a VM and a vCPU */
static int kvm_works(void)
{
	int kvm, vm, vcpu, ret = 0;

	kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (kvm < 0)
		return -errno;
	if (ioctl(kvm, KVM_GET_API_VERSION, 0) != KVM_API_VERSION) {
		close(kvm);
		return -EINVAL;
	}
	vm = ioctl(kvm, KVM_CREATE_VM, 0);
	if (vm < 0) {
		ret = -errno;
	} else {
		vcpu = ioctl(vm, KVM_CREATE_VCPU, 0);
		if (vcpu < 0)
			ret = -errno;
		else
			close(vcpu);
		close(vm);
	}
	close(kvm);
	return ret;
}

/*
 * Run QEMU with @smmu_opts added to the vSMMU; its console and messages
 * go to @out (NUL terminated) and, line by line, to our stdout. Returns
 * QEMU's exit status, or -ETIMEDOUT.
 */
static int run_vmm(const char *bdf, const char *smmu_opts, char *out,
		   size_t size)
{
	char smmu[256], vfio[128];
	const char *argv[] = {
		QEMU, "-accel", "kvm", "-M", "virt,gic-version=3",
		"-cpu", "host", "-smp", "1", "-m", "512M",
		"-nographic", "-no-reboot", "-nic", "none",
		"-bios", GUEST_FW, "-kernel", GUEST_IMAGE,
		"-initrd", GUEST_INITRD,
		"-append", "console=ttyAMA0 iommu.strict=1 loglevel=7 panic=-1",
		"-object", "iommufd,id=iommufd0",
		"-device", "pxb-pcie,id=pcie.1,bus_nr=8,bus=pcie.0",
		"-device", smmu,
		"-device", "pcie-root-port,id=rp1,bus=pcie.1,chassis=1",
		"-device", vfio,
		NULL,
	};
	struct timespec start, now;
	size_t len = 0, line = 0;
	int pipefd[2], status;
	pid_t pid;

	snprintf(smmu, sizeof(smmu),
		 "arm-smmuv3,primary-bus=pcie.1,id=smmuv3.1,accel=on%s",
		 smmu_opts);
	snprintf(vfio, sizeof(vfio),
		 "vfio-pci,host=%s,bus=rp1,iommufd=iommufd0", bdf);
	/* For the console, and for a VMM author reading it (make demo-vmm) */
	printf("# vmm: running");
	for (line = 0; argv[line]; line++)
		printf(" %s", argv[line]);
	printf("\n");
	fflush(stdout);
	line = 0;
	if (pipe(pipefd))
		return -errno;
	pid = fork();
	if (pid < 0)
		return -errno;
	if (!pid) {
		int null = open("/dev/null", O_RDONLY);

		dup2(null, 0);
		dup2(pipefd[1], 1);
		dup2(pipefd[1], 2);
		close(pipefd[0]);
		execv(QEMU, (char **)argv);
		fprintf(stderr, "exec %s: %m\n", QEMU);
		_exit(127);
	}
	close(pipefd[1]);
	clock_gettime(CLOCK_MONOTONIC, &start);
	for (;;) {
		struct pollfd pfd = { .fd = pipefd[0], .events = POLLIN };
		ssize_t n;

		clock_gettime(CLOCK_MONOTONIC, &now);
		if (now.tv_sec - start.tv_sec > GUEST_TIMEOUT_S) {
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			close(pipefd[0]);
			out[len] = 0;
			return -ETIMEDOUT;
		}
		if (poll(&pfd, 1, 1000) <= 0)
			continue;
		n = read(pipefd[0], out + len, size - 1 - len);
		if (n <= 0)
			break;
		len += n;
		/* Echo whole lines, so the test VM's console keeps them */
		while (line < len) {
			char *nl = memchr(out + line, '\n', len - line);

			if (!nl)
				break;
			printf("  | %.*s\n", (int)(nl - out - line), out + line);
			line = nl - out + 1;
		}
		fflush(stdout);
		if (len == size - 1)
			break;
	}
	close(pipefd[0]);
	out[len] = 0;
	waitpid(pid, &status, 0);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -EINTR;
}

/* N in the "oas N-bit" that @text starts near (an SMMUv3 driver's line) */
static int logged_oas(const char *text)
{
	const char *p = strstr(text, "oas ");
	int oas;

	return p && sscanf(p, "oas %d-bit", &oas) == 1 ? oas : -1;
}

/* The host SMMU's output address size, from its IDR5 */
static int host_oas(const char *bdf)
{
	static const int bits[] = { 32, 36, 40, 42, 44, 48, 52 };
	uint32_t idr5;

	if (vmm_smmu_read_regs(bdf, 0x14, &idr5, 1) || (idr5 & 7) > 6)
		return -1;
	return bits[idr5 & 7];
}

/*
 * What QEMU 11.1 says on this kernel that is not a failure of ours, each
 * the same on upstream 6.12: it probes VFIO for dma-buf export of BARs
 * (not in 6.12) and falls back to mmap; edu has no reset mechanism; and
 * its attempt to map edu's BAR into the IOAS for peer-to-peer DMA gets
 * EFAULT, since iommufd maps only memory it can pin.
 */
static const char *const qemu_known[] = {
	"VFIO dma-buf not supported in kernel",
	"Cannot reset device",
	"IOMMU_IOAS_MAP failed: Bad address, PCI BAR?",
	") = -14 (Bad address)",
};

/* QEMU's own messages that are not in the list above */
static int qemu_complaints(struct __test_metadata *_metadata, const char *out)
{
	const char *p = out;
	unsigned int i;
	int n = 0;

	while ((p = strstr(p, "qemu-system-aarch64: "))) {
		const char *eol = strchr(p, '\n') ?: p + strlen(p);
		bool known = false;

		for (i = 0; i < sizeof(qemu_known) / sizeof(qemu_known[0]); i++)
			if (memmem(p, eol - p, qemu_known[i], strlen(qemu_known[i])))
				known = true;
		if (!known) {
			TH_LOG("QEMU said: %.*s", (int)(eol - p), p);
			n++;
		}
		p = eol;
	}
	return n;
}

/* A line for the console, and for a VMM author (make demo-vmm) */
#define say(fmt, ...) \
	do { printf("# vmm: " fmt "\n", ##__VA_ARGS__); fflush(stdout); } while (0)

FIXTURE(vmm)
{
	char bdf[32];
	char *out;
};

FIXTURE_SETUP(vmm)
{
	self->out = calloc(1, OUT_MAX);
	ASSERT_NE(NULL, self->out);
	ASSERT_EQ(0, access(QEMU, X_OK));
	ASSERT_EQ(0, vmm_find_pci(EDU_VENDOR, EDU_DEVICE, self->bdf,
				  sizeof(self->bdf)));
	ASSERT_EQ(0, vmm_bind_vfio_pci(self->bdf));
}

FIXTURE_TEARDOWN(vmm)
{
	free(self->out);
}

FIXTURE_VARIANT(vmm)
{
	const char *smmu_opts;
};

/* QEMU's defaults: it sizes the vSMMU from what IOMMU_GET_HW_INFO says */
FIXTURE_VARIANT_ADD(vmm, auto)
{
	.smmu_opts = "",
};

/* A guest OAS asked for: QEMU refuses to start if the host's is below */
FIXTURE_VARIANT_ADD(vmm, oas44)
{
	.smmu_opts = ",oas=44",
};

TEST_F(vmm, kvm_runs)
{
	ASSERT_EQ(0, kvm_works());
}

TEST_F_TIMEOUT(vmm, guest_drives_edu_through_vsmmu, GUEST_TIMEOUT_S + 60)
{
	int rc, kmsg, oas = host_oas(self->bdf);
	const char *unmap, *fault;

	kmsg = kmsg_open();
	ASSERT_LE(0, kmsg);
	say("edu %s is bound to vfio-pci; QEMU opens its VFIO cdev and", self->bdf);
	say("/dev/iommu, maps guest RAM into an IOAS, makes a nesting parent,");
	say("a vIOMMU on it, and nested HWPTs for the STEs the guest writes");
	rc = run_vmm(self->bdf, variant->smmu_opts, self->out, OUT_MAX);
	ASSERT_EQ(0, rc);
	EXPECT_EQ(0, qemu_complaints(_metadata, self->out));
	/*
	 * The guest's fault is the guest's: it reached the guest through the
	 * vEVENTQ, and this kernel logged no SMMU event of its own.
	 */
	EXPECT_EQ(0, kmsg_count(kmsg, "event 0x"));
	close(kmsg);
	ASSERT_NE(NULL, strstr(self->out, "@@guest done"));
	/* The guest's SMMU is as wide as the host's, not a 32-bit one */
	ASSERT_LT(0, oas);
	EXPECT_EQ(oas, logged_oas(strstr(self->out, "-bit, oas ") ?: ""));
	EXPECT_NE(NULL, strstr(self->out, "edu_guest: PASS dma"));
	EXPECT_NE(NULL, strstr(self->out, "edu_guest: PASS msi"));
	EXPECT_NE(NULL, strstr(self->out, "edu_guest: PASS unmap"));
	EXPECT_EQ(NULL, strstr(self->out, "edu_guest: FAIL"));
	/* The unmapped DMA's fault, logged by the guest's SMMU driver */
	unmap = strstr(self->out, "DMA to the unmapped IOVA");
	ASSERT_NE(NULL, unmap);
	fault = strstr(unmap, "event 0x10 received");
	EXPECT_NE(NULL, fault);

	say("the guest's SMMU: oas %d-bit, as the host's", oas);
	say("DMA through the guest's stage-1 and our stage-2: %s",
	    strstr(self->out, "edu_guest: PASS dma") ? "ok" : "FAILED");
	say("edu's MSI, through the doorbell in our stage-2: %s",
	    strstr(self->out, "edu_guest: PASS msi") ? "ok" : "FAILED");
	say("DMA after the guest unmapped (TLBI forwarded): %s",
	    strstr(self->out, "edu_guest: PASS unmap") ? "blocked" : "LANDED");
	say("its fault, via our vEVENTQ, in the guest's log: %s",
	    fault ? "yes" : "NO");
}

TEST_HARNESS_MAIN
