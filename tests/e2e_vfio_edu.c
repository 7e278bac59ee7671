// SPDX-License-Identifier: GPL-2.0-only
/*
 * End to end, as a VMM does it: QEMU's edu device is bound to vfio-pci, its
 * VFIO cdev is bound to an iommufd, guest memory is mapped into an IOAS at a
 * fixed IOVA and the device is attached; edu then DMAs a pattern from that
 * memory into its own buffer and back, through the emulated SMMUv3.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <linux/iommufd.h>

#include "kselftest_harness.h"
#include "vmm.h"

#define IOVA		0x100000UL
#define PAGE		4096UL

FIXTURE(edu)
{
	struct vmm_dev dev;
	int iommufd;
	uint32_t ioas_id;
	uint8_t *mem;		/* two pages: [0] source, [1] destination */
};

FIXTURE_SETUP(edu)
{
	self->dev.vfio_fd = -1;
	ASSERT_EQ(0, vmm_open_edu(&self->dev, &self->iommufd,
				  &self->ioas_id));

	self->mem = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, self->mem);
	memset(self->mem, 0, 2 * PAGE);
	/* One mapping per page, so that either can be unmapped alone. */
	ASSERT_EQ(0, vmm_ioas_map_fixed(self->iommufd, self->ioas_id,
					self->mem, PAGE, IOVA));
	ASSERT_EQ(0, vmm_ioas_map_fixed(self->iommufd, self->ioas_id,
					self->mem + PAGE, PAGE, IOVA + PAGE));
	ASSERT_EQ(0, vmm_attach(&self->dev, self->ioas_id));
	ASSERT_EQ(0, vmm_enable_bus_master(&self->dev));
}

FIXTURE_TEARDOWN(edu)
{
	vmm_close(&self->dev);
	if (self->iommufd >= 0)
		close(self->iommufd);
	if (self->mem && self->mem != MAP_FAILED)
		munmap(self->mem, 2 * PAGE);
}

static void fill(uint8_t *p, size_t len, uint8_t seed)
{
	size_t i;

	for (i = 0; i < len; i++)
		p[i] = (uint8_t)(seed + i * 7 + (i >> 8));
}

TEST_F(edu, identifies)
{
	uint32_t ident;

	ASSERT_EQ(0, vmm_bar0_read32(&self->dev, EDU_IDENT, &ident));
	/* Low byte 0xed is edu's signature; the high bytes are its version. */
	ASSERT_EQ(0xed, ident & 0xff);
}

TEST_F(edu, dma_round_trip)
{
	uint8_t *src = self->mem, *dst = self->mem + PAGE;

	ASSERT_LT(IOVA + 2 * PAGE, 1UL << EDU_DMA_BITS);
	fill(src, PAGE, 0x3c);
	memset(dst, 0, PAGE);
	/* guest memory -> edu buffer, then edu buffer -> other guest page */
	ASSERT_EQ(0, edu_dma(&self->dev, IOVA, EDU_BUF_ADDR, PAGE, 0));
	ASSERT_EQ(0, edu_dma(&self->dev, EDU_BUF_ADDR, IOVA + PAGE, PAGE, 1));
	ASSERT_EQ(0, memcmp(src, dst, PAGE));
}

TEST_F(edu, dma_blocked_after_unmap)
{
	uint8_t *src = self->mem, *dst = self->mem + PAGE;

	fill(src, PAGE, 0x11);
	memset(dst, 0x5a, PAGE);
	ASSERT_EQ(0, edu_dma(&self->dev, IOVA, EDU_BUF_ADDR, PAGE, 0));
	/* With the IOVA unmapped the SMMU must stop the write to RAM. */
	ASSERT_EQ(0, vmm_ioas_unmap(self->iommufd, self->ioas_id, IOVA + PAGE,
				    PAGE));
	ASSERT_EQ(0, edu_dma(&self->dev, EDU_BUF_ADDR, IOVA + PAGE, PAGE, 1));
	for (size_t i = 0; i < PAGE; i++)
		ASSERT_EQ(0x5a, dst[i]);
}

/*
 * 0x8f, 0x92 and 0x95 are holes the series keeps (upstream features outside
 * the vIOMMU): they fall through to the VFIO compatibility handler
 * (ENOTTY). IOMMU_HW_QUEUE_ALLOC (0x94) is there, between them: an
 * all-zero command names the default type, which no queue has.
 */
TEST_F(edu, viommu_command_numbers)
{
	static const unsigned int holes[] = { 0x8f, 0x92, 0x95 };
	uint32_t arg[16] = { sizeof(arg) };
	unsigned int i;

	for (i = 0; i < sizeof(holes) / sizeof(holes[0]); i++) {
		errno = 0;
		EXPECT_EQ(-1, ioctl(self->iommufd, _IO(IOMMUFD_TYPE, holes[i]),
				    arg));
		EXPECT_EQ(ENOTTY, errno);
	}
	errno = 0;
	EXPECT_EQ(-1, ioctl(self->iommufd, _IO(IOMMUFD_TYPE, 0x94), arg));
	EXPECT_EQ(EOPNOTSUPP, errno);
}

/*
 * IOMMU_VDEVICE_ALLOC exists; with no vIOMMU to name it answers ENOENT
 * (e2e_vsmmu covers vIOMMUs on this SMMU).
 */
TEST_F(edu, vdevice_alloc_needs_a_viommu)
{
	struct iommu_vdevice_alloc cmd = {
		.size = sizeof(cmd),
		.dev_id = self->dev.dev_id,
		.virt_id = 1,
	};

	errno = 0;
	EXPECT_EQ(-1, ioctl(self->iommufd, IOMMU_VDEVICE_ALLOC, &cmd));
	EXPECT_EQ(ENOENT, errno);
	/* The device itself is no vIOMMU either */
	cmd.viommu_id = self->dev.dev_id;
	errno = 0;
	EXPECT_EQ(-1, ioctl(self->iommufd, IOMMU_VDEVICE_ALLOC, &cmd));
	EXPECT_EQ(ENOENT, errno);
	EXPECT_EQ(0, cmd.out_vdevice_id);
}

TEST_HARNESS_MAIN
