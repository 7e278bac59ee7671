// SPDX-License-Identifier: GPL-2.0-only
/*
 * make demo: a virtual SMMU for a guest, one narrated step at a time, as a
 * VMM author would write it. The VMM maps the guest's memory as the VM's
 * stage-2, creates a vSMMU (with a VMID of its own) on it, tells it the
 * guest's Stream ID for the device, and turns the guest's STE into a nested
 * HWPT. The guest's own stage-1 tables then decide where QEMU's edu device
 * writes; when the guest changes a mapping, the VMM forwards the guest's
 * TLB invalidation and the next DMA follows the new mapping. Finally the
 * device faults in the guest's stage-1, and the fault reaches the VMM
 * through the vSMMU's event queue under the guest's Stream ID.
 */
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <linux/iommufd.h>

#include "guest_s1.h"
#include "vmm.h"

#define GUEST_VSID 0x42

static int step_no;

static void step(const char *what, int ret)
{
	printf("  step %2d  %-62s %s\n", ++step_no, what,
	       ret ? strerror(-ret) : "ok");
	fflush(stdout);
	if (ret) {
		printf("DEMO FAILED\n");
		exit(1);
	}
}

static void say(const char *what)
{
	printf("           %s\n", what);
}

/* The PCI requester ID of a "DDDD:BB:DD.F" address */
static unsigned int rid_of(const char *bdf)
{
	unsigned int dom, bus, dev, fn;

	if (sscanf(bdf, "%x:%x:%x.%x", &dom, &bus, &dev, &fn) != 4)
		return ~0U;
	return bus << 8 | dev << 3 | fn;
}

static void fill(uint8_t *p, uint8_t seed)
{
	int i;

	for (i = 0; i < GUEST_PAGE; i++)
		p[i] = (uint8_t)(seed + i * 13);
}

/* edu copies a fresh pattern from VA_SRC to VA_DST; it must land on @to */
static int dma_to(struct vmm_dev *dev, uint8_t *src, uint8_t seed,
		  const uint8_t *to)
{
	fill(src, seed);
	return edu_copy(dev, GUEST_VA_SRC, GUEST_VA_DST, GUEST_PAGE) ?:
	       (memcmp(src, to, GUEST_PAGE) ? -EIO : 0);
}

static int hw_info(int iommufd, uint32_t dev_id,
		   struct iommu_hw_info_arm_smmuv3 *info)
{
	struct iommu_hw_info cmd = {
		.size = sizeof(cmd),
		.dev_id = dev_id,
		.data_len = sizeof(*info),
		.data_uptr = (uintptr_t)info,
	};

	if (ioctl(iommufd, IOMMU_GET_HW_INFO, &cmd))
		return -errno;
	return cmd.out_data_type == IOMMU_HW_INFO_TYPE_ARM_SMMUV3 ? 0 : -EIO;
}

int main(void)
{
	uint32_t ioas_id, s2_id, viommu_id, vdev_id, nested_id, done;
	struct iommu_hw_info_arm_smmuv3 info;
	struct vmm_dev dev = { .vfio_fd = -1 };
	uint64_t ste[2], cmd[1][2], evt0;
	uint8_t *gmem, *src, *a, *b;
	struct vmm_vsmmu_event ev;
	char bdf[32], what[128];
	int iommufd, veventq_fd;
	uint32_t veventq_id;

	printf("\n=== vSMMU LTS demo: a guest's own stage-1 on a virtual SMMU ===\n\n");
	say("-- the VMM takes the device --");
	step("find QEMU's edu PCI device (1234:11e8)",
	     vmm_find_pci(EDU_VENDOR, EDU_DEVICE, bdf, sizeof(bdf)));
	step("bind it to vfio-pci, open its VFIO cdev",
	     vmm_bind_vfio_pci(bdf) ?: vmm_open_cdev(&dev, bdf));
	iommufd = open("/dev/iommu", O_RDWR);
	step("open /dev/iommu", iommufd < 0 ? -errno : 0);
	step("VFIO_DEVICE_BIND_IOMMUFD", vmm_bind_iommufd(&dev, iommufd));
	snprintf(what, sizeof(what), "edu is %s, iommufd device id %u", bdf,
		 dev.dev_id);
	say(what);
	step("IOMMU_GET_HW_INFO: what the guest's vSMMU may look like",
	     hw_info(iommufd, dev.dev_id, &info));
	snprintf(what, sizeof(what),
		 "IDR0 %08x IDR1 %08x IDR3 %08x IDR5 %08x (as the SMMU reads them)",
		 info.idr[0], info.idr[1], info.idr[3], info.idr[5]);
	say(what);

	say("-- the VM's stage-2: guest physical -> host memory --");
	gmem = mmap(NULL, GUEST_MEM_SIZE, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	step("allocate 2 MiB of guest memory", gmem == MAP_FAILED ? -errno : 0);
	memset(gmem, 0, GUEST_MEM_SIZE);
	step("IOMMU_IOAS_ALLOC", vmm_ioas_alloc(iommufd, &ioas_id));
	snprintf(what, sizeof(what), "IOAS id %u", ioas_id);
	say(what);
	snprintf(what, sizeof(what), "IOMMU_IOAS_MAP: guest memory at IPA 0x%llx",
		 GUEST_GPA);
	step(what, vmm_ioas_map_fixed(iommufd, ioas_id, gmem, GUEST_MEM_SIZE,
				      GUEST_GPA));
	step("IOMMU_HWPT_ALLOC(NEST_PARENT): the stage-2 HWPT",
	     vmm_nest_parent_alloc(iommufd, dev.dev_id, ioas_id, &s2_id));
	snprintf(what, sizeof(what), "stage-2 HWPT id %u", s2_id);
	say(what);

	say("-- the vSMMU --");
	step("IOMMU_VIOMMU_ALLOC(ARM_SMMUV3): vSMMU with its own VMID",
	     vmm_vsmmu_alloc(iommufd, dev.dev_id, s2_id, &viommu_id));
	snprintf(what, sizeof(what),
		 "IOMMU_VDEVICE_ALLOC: the guest calls the device vSID 0x%x",
		 GUEST_VSID);
	step(what, vmm_vdevice_alloc(iommufd, viommu_id, dev.dev_id,
				     GUEST_VSID, &vdev_id));
	snprintf(what, sizeof(what),
		 "vSMMU id %u, vDEVICE id %u: vSID 0x%x -> pSID 0x%x (edu's RID)",
		 viommu_id, vdev_id, GUEST_VSID, rid_of(bdf));
	say(what);

	say("-- the guest's stage-1: device address -> guest physical --");
	guest_build_stage1(gmem);
	snprintf(what, sizeof(what),
		 "guest: CD at IPA 0x%llx, VA 0x%llx -> SRC, VA 0x%llx -> A",
		 GUEST_GPA + GUEST_OFF_CD, GUEST_VA_SRC, GUEST_VA_DST);
	say(what);
	guest_ste_s1(ste);
	snprintf(what, sizeof(what),
		 "guest STE: %016llx %016llx (stage-1 translate)",
		 (unsigned long long)ste[0], (unsigned long long)ste[1]);
	say(what);
	step("IOMMU_HWPT_ALLOC(vSMMU, guest STE): the nested HWPT",
	     vmm_nested_alloc(iommufd, dev.dev_id, viommu_id, ste,
			      &nested_id));
	snprintf(what, sizeof(what), "nested HWPT id %u", nested_id);
	say(what);
	step("VFIO_DEVICE_ATTACH_IOMMUFD_PT: device -> nested HWPT",
	     vmm_attach(&dev, nested_id));
	step("enable memory decoding and bus mastering",
	     vmm_enable_bus_master(&dev));

	say("-- DMA through both stages --");
	src = gmem + GUEST_OFF_SRC;
	a = gmem + GUEST_OFF_A;
	b = gmem + GUEST_OFF_B;
	step("edu DMA VA_SRC -> VA_DST lands in page A, as the tables say",
	     dma_to(&dev, src, 0x21, a));
	snprintf(what, sizeof(what), "page A: %02x %02x %02x %02x ..., page B: %02x %02x ...",
		 a[0], a[1], a[2], a[3], b[0], b[1]);
	say(what);

	say("-- the guest remaps VA_DST and invalidates its TLB --");
	guest_remap_dst(gmem, GUEST_OFF_B);
	guest_cmd_tlbi_va(cmd[0], GUEST_VA_DST);
	snprintf(what, sizeof(what), "guest command: %016llx %016llx (TLBI_NH_VA)",
		 (unsigned long long)cmd[0][0], (unsigned long long)cmd[0][1]);
	say(what);
	step("IOMMU_HWPT_INVALIDATE(vSMMU): forwarded, VMID put in",
	     vmm_vsmmu_invalidate(iommufd, viommu_id, cmd, 1, &done) ?:
	     (done == 1 ? 0 : -EIO));
	step("edu DMA VA_SRC -> VA_DST again: it lands in page B now",
	     dma_to(&dev, src, 0x77, b));
	snprintf(what, sizeof(what), "page A: %02x %02x %02x %02x ... (unchanged), page B: %02x %02x %02x %02x ...",
		 a[0], a[1], a[2], a[3], b[0], b[1], b[2], b[3]);
	say(what);

	say("-- a fault in the guest's stage-1 reaches the VMM --");
	step("IOMMU_VEVENTQ_ALLOC(vSMMU, ARM_SMMUV3): the vSMMU's event queue",
	     vmm_veventq_alloc(iommufd, viommu_id,
			       IOMMU_VEVENTQ_TYPE_ARM_SMMUV3, 16, &veventq_id,
			       &veventq_fd));
	snprintf(what, sizeof(what),
		 "vEVENTQ id %u, read from fd %d", veventq_id, veventq_fd);
	say(what);
	snprintf(what, sizeof(what),
		 "edu DMA of 4 bytes from VA 0x%llx, not in the guest's stage-1",
		 (unsigned long long)GUEST_VA_HOLE);
	step(what, edu_dma(&dev, GUEST_VA_HOLE, EDU_BUF_ADDR, 4, 0));
	step("poll() + read(): one record from the vEVENTQ",
	     vmm_vsmmu_read_event(veventq_fd, 5000, &ev));
	evt0 = le64toh(ev.ev.evt[0]);
	snprintf(what, sizeof(what),
		 "record %u: event 0x%02llx at address 0x%llx, StreamID 0x%llx",
		 ev.hdr.sequence, (unsigned long long)(evt0 & 0xff),
		 (unsigned long long)le64toh(ev.ev.evt[2]),
		 (unsigned long long)(evt0 >> 32));
	say(what);
	step("it is F_TRANSLATION under the guest's vSID, not the physical SID",
	     (evt0 & 0xff) == 0x10 && evt0 >> 32 == GUEST_VSID &&
	     evt0 >> 32 != rid_of(bdf) ? 0 : -EIO);
	say("the VMM would now write it to the guest's own event queue");

	say("-- teardown, leaves first --");
	step("attach the device back to the IOAS", vmm_attach(&dev, ioas_id));
	step("close the vEVENTQ fd, destroy the vEVENTQ",
	     close(veventq_fd) ? -errno : vmm_destroy(iommufd, veventq_id));
	step("destroy nested HWPT, vDEVICE, vSMMU, stage-2",
	     vmm_destroy(iommufd, nested_id) ?: vmm_destroy(iommufd, vdev_id) ?:
	     vmm_destroy(iommufd, viommu_id) ?: vmm_destroy(iommufd, s2_id));
	printf("\nDEMO PASSED\n");
	vmm_close(&dev);
	close(iommufd);
	return 0;
}
