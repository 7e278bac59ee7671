// SPDX-License-Identifier: GPL-2.0-only
/*
 * make demo: the VMM flow, one narrated step at a time.  A guest's memory
 * page is mapped into an IOAS at a guest-physical address, QEMU's edu device
 * is handed over through VFIO's cdev and iommufd, and edu copies a pattern
 * through the emulated SMMUv3 into its own buffer and back.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "vmm.h"

#define IOVA	0x100000UL
#define PAGE	4096UL

static int step_no;

static void step(const char *what, int ret)
{
	printf("  step %2d  %-58s %s\n", ++step_no, what,
	       ret ? strerror(-ret) : "ok");
	fflush(stdout);
	if (ret) {
		printf("DEMO FAILED\n");
		exit(1);
	}
}

int main(void)
{
	struct vmm_dev dev = { .vfio_fd = -1 };
	uint32_t ioas_id, ident;
	uint8_t *mem;
	char bdf[32], what[128];
	int iommufd, i, diff = 0;

	printf("\n=== vSMMU LTS demo: a device DMAs through the SMMUv3 for a VMM ===\n\n");
	step("find QEMU's edu PCI device (1234:11e8)",
	     vmm_find_pci(EDU_VENDOR, EDU_DEVICE, bdf, sizeof(bdf)));
	printf("           edu is at %s\n", bdf);
	step("bind it to vfio-pci (driver_override)", vmm_bind_vfio_pci(bdf));
	step("open its VFIO cdev under /dev/vfio/devices",
	     vmm_open_cdev(&dev, bdf));
	iommufd = open("/dev/iommu", O_RDWR);
	step("open /dev/iommu", iommufd < 0 ? -errno : 0);
	step("VFIO_DEVICE_BIND_IOMMUFD", vmm_bind_iommufd(&dev, iommufd));
	printf("           iommufd device id %u\n", dev.dev_id);
	step("IOMMU_IOAS_ALLOC: an I/O address space for the guest",
	     vmm_ioas_alloc(iommufd, &ioas_id));
	mem = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	step("allocate two pages of \"guest memory\"",
	     mem == MAP_FAILED ? -errno : 0);
	snprintf(what, sizeof(what),
		 "IOMMU_IOAS_MAP: guest memory at IOVA 0x%lx", IOVA);
	step(what, vmm_ioas_map_fixed(iommufd, ioas_id, mem, 2 * PAGE, IOVA));
	step("VFIO_DEVICE_ATTACH_IOMMUFD_PT: device -> IOAS (SMMU domain)",
	     vmm_attach(&dev, ioas_id));
	step("enable memory decoding and bus mastering",
	     vmm_enable_bus_master(&dev));
	step("read edu's identification register",
	     vmm_bar0_read32(&dev, EDU_IDENT, &ident));
	printf("           ident = 0x%08x\n", ident);

	for (i = 0; i < (int)PAGE; i++)
		mem[i] = (uint8_t)(i * 13 + 7);
	memset(mem + PAGE, 0, PAGE);
	printf("           page 0 holds a pattern, page 1 is zero\n");
	snprintf(what, sizeof(what), "edu DMA: IOVA 0x%lx -> edu buffer 0x%x",
		 IOVA, EDU_BUF_ADDR);
	step(what, edu_dma(&dev, IOVA, EDU_BUF_ADDR, PAGE, 0));
	snprintf(what, sizeof(what), "edu DMA: edu buffer 0x%x -> IOVA 0x%lx",
		 EDU_BUF_ADDR, IOVA + PAGE);
	step(what, edu_dma(&dev, EDU_BUF_ADDR, IOVA + PAGE, PAGE, 1));
	for (i = 0; i < (int)PAGE; i++)
		diff += mem[i] != mem[PAGE + i];
	printf("           page 1 now: %02x %02x %02x %02x ... (%d of %lu bytes differ)\n",
	       mem[PAGE], mem[PAGE + 1], mem[PAGE + 2], mem[PAGE + 3], diff,
	       PAGE);
	step("DMA round trip through the SMMU returned the pattern",
	     diff ? -EIO : 0);
	printf("\nDEMO PASSED\n");
	vmm_close(&dev);
	close(iommufd);
	return 0;
}
