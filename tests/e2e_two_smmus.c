// SPDX-License-Identifier: GPL-2.0-only
/*
 * One stage-2 for a VM whose devices sit behind two SMMUs: the test VM has
 * two emulated SMMUv3s, each with an edu device behind it. The VMM makes one
 * IOAS and one nesting parent, with the first device, and uses that parent
 * on both SMMUs: attached directly to both devices, then under one vSMMU per
 * SMMU with a vDEVICE and a nested HWPT each. Every time it moves a guest
 * page to other host memory (IOAS unmap + map), both devices must see the
 * new page: the stage-2 invalidation reached both SMMUs' TLBs, under the
 * VMID each SMMU tags the stage-2 with.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "guest_s1.h"
#include "vmm.h"

#define NUM_DEVS	2
/* Device addresses of a plain stage-2 window, below edu's 28-bit limit */
#define LOW_SRC		0x00100000ULL
#define LOW_DST		0x00101000ULL
#define GUEST_VSID	0x42

FIXTURE(two_smmus)
{
	struct vmm_dev dev[NUM_DEVS];
	char iommu[NUM_DEVS][64];
	int iommufd;
	uint32_t ioas_id, s2_id;
	uint8_t *gmem;
};

FIXTURE_SETUP(two_smmus)
{
	char bdf[NUM_DEVS][32];
	int i;

	self->iommufd = -1;
	self->gmem = MAP_FAILED;
	for (i = 0; i < NUM_DEVS; i++)
		self->dev[i].vfio_fd = -1;
	for (i = 0; i < NUM_DEVS; i++)
		if (vmm_find_pci_nth(EDU_VENDOR, EDU_DEVICE, i, bdf[i],
				     sizeof(bdf[i])))
			SKIP(return, "fewer than %d edu devices", NUM_DEVS);

	self->iommufd = open("/dev/iommu", O_RDWR);
	ASSERT_LE(0, self->iommufd);
	for (i = 0; i < NUM_DEVS; i++) {
		/* The IOMMU takes a device on once a driver binds it */
		ASSERT_EQ(0, vmm_bind_vfio_pci(bdf[i]));
		ASSERT_EQ(0, vmm_pci_iommu(bdf[i], self->iommu[i],
					   sizeof(self->iommu[i])));
		TH_LOG("edu %s behind %s", bdf[i], self->iommu[i]);
		ASSERT_EQ(0, vmm_open_cdev(&self->dev[i], bdf[i]));
		ASSERT_EQ(0, vmm_bind_iommufd(&self->dev[i], self->iommufd));
	}
	/* The point of the machine: one SMMU per device */
	ASSERT_STRNE(self->iommu[0], self->iommu[1]);
	ASSERT_EQ(0, vmm_ioas_alloc(self->iommufd, &self->ioas_id));

	/* Guest memory, page A mapped on its own so that it can move */
	self->gmem = mmap(NULL, GUEST_MEM_SIZE, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, self->gmem);
	memset(self->gmem, 0, GUEST_MEM_SIZE);
	ASSERT_EQ(0, vmm_ioas_map_fixed(self->iommufd, self->ioas_id,
					self->gmem, GUEST_OFF_A, GUEST_GPA));
	ASSERT_EQ(0, vmm_ioas_map_fixed(self->iommufd, self->ioas_id,
					self->gmem + GUEST_OFF_A, GUEST_PAGE,
					GUEST_GPA + GUEST_OFF_A));
	ASSERT_EQ(0, vmm_ioas_map_fixed(self->iommufd, self->ioas_id,
					self->gmem + GUEST_OFF_A + GUEST_PAGE,
					GUEST_MEM_SIZE - GUEST_OFF_A -
						GUEST_PAGE,
					GUEST_GPA + GUEST_OFF_A + GUEST_PAGE));

	/* The one stage-2, made with the first device */
	ASSERT_EQ(0, vmm_nest_parent_alloc(self->iommufd, self->dev[0].dev_id,
					   self->ioas_id, &self->s2_id));
	for (i = 0; i < NUM_DEVS; i++)
		ASSERT_EQ(0, vmm_enable_bus_master(&self->dev[i]));
}

FIXTURE_TEARDOWN(two_smmus)
{
	int i;

	for (i = 0; i < NUM_DEVS; i++)
		vmm_close(&self->dev[i]);
	if (self->iommufd >= 0)
		close(self->iommufd);
	if (self->gmem != MAP_FAILED)
		munmap(self->gmem, GUEST_MEM_SIZE);
}

/* A fresh pattern from @src to @dst by edu @d: did it land on @to? */
static bool dma_lands_on(struct vmm_dev *d, uint8_t *src_page, uint64_t src,
			 uint64_t dst, uint8_t seed, const uint8_t *to)
{
	vmm_fill(src_page, GUEST_PAGE, seed);
	return !edu_copy(d, src, dst, GUEST_PAGE) &&
	       vmm_holds(to, GUEST_PAGE, seed);
}

/* The VMM backs the IOVA @iova with a new zeroed host page, returned */
static uint8_t *move_page(FIXTURE_DATA(two_smmus) *self, uint64_t iova)
{
	uint8_t *page;

	page = mmap(NULL, GUEST_PAGE, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (page == MAP_FAILED)
		return NULL;
	memset(page, 0, GUEST_PAGE);
	if (vmm_ioas_unmap(self->iommufd, self->ioas_id, iova, GUEST_PAGE) ||
	    vmm_ioas_map_fixed(self->iommufd, self->ioas_id, page, GUEST_PAGE,
			       iova)) {
		munmap(page, GUEST_PAGE);
		return NULL;
	}
	return page;
}

/* A vSMMU per SMMU on the one stage-2, a vDEVICE and the guest's stage-1 */
static void vsmmu_on_each(struct __test_metadata *_metadata,
			  FIXTURE_DATA(two_smmus) *self, uint32_t *viommu_id,
			  uint32_t *vdev_id, uint32_t *nested_id)
{
	uint64_t ste[2];
	int i;

	guest_ste_s1(ste);
	for (i = 0; i < NUM_DEVS; i++) {
		ASSERT_EQ(0, vmm_vsmmu_alloc(self->iommufd, self->dev[i].dev_id,
					     self->s2_id, &viommu_id[i]));
		ASSERT_EQ(0, vmm_vdevice_alloc(self->iommufd, viommu_id[i],
					       self->dev[i].dev_id, GUEST_VSID,
					       &vdev_id[i]));
		ASSERT_EQ(0, vmm_nested_alloc(self->iommufd,
					      self->dev[i].dev_id,
					      viommu_id[i], ste,
					      &nested_id[i]));
	}
}

/* And down again, leaves first, each device back on the IOAS */
static void vsmmu_down_each(struct __test_metadata *_metadata,
			    FIXTURE_DATA(two_smmus) *self,
			    const uint32_t *viommu_id, const uint32_t *vdev_id,
			    const uint32_t *nested_id)
{
	int i;

	for (i = 0; i < NUM_DEVS; i++) {
		ASSERT_EQ(0, vmm_attach(&self->dev[i], self->ioas_id));
		ASSERT_EQ(0, vmm_destroy(self->iommufd, nested_id[i]));
		ASSERT_EQ(0, vmm_destroy(self->iommufd, vdev_id[i]));
		ASSERT_EQ(0, vmm_destroy(self->iommufd, viommu_id[i]));
	}
}

/*
 * The stage-2 alone, on both SMMUs: a device of the second SMMU attaches to
 * a stage-2 made for the first, which that SMMU then tags with a VMID of its
 * own. Moving the page behind LOW_DST must reach both.
 */
TEST_F(two_smmus, plain_s2_on_both)
{
	uint8_t *low, *moved, seed = 0x10, before;
	int i;

	low = mmap(NULL, 2 * GUEST_PAGE, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, low);
	memset(low, 0, 2 * GUEST_PAGE);
	ASSERT_EQ(0, vmm_ioas_map_fixed(self->iommufd, self->ioas_id, low,
					GUEST_PAGE, LOW_SRC));
	ASSERT_EQ(0, vmm_ioas_map_fixed(self->iommufd, self->ioas_id,
					low + GUEST_PAGE, GUEST_PAGE,
					LOW_DST));

	for (i = 0; i < NUM_DEVS; i++)
		ASSERT_EQ(0, vmm_attach(&self->dev[i], self->s2_id));
	for (i = 0; i < NUM_DEVS; i++)
		ASSERT_TRUE(dma_lands_on(&self->dev[i], low, LOW_SRC, LOW_DST,
					 ++seed, low + GUEST_PAGE));

	before = seed;
	moved = move_page(self, LOW_DST);
	ASSERT_NE(NULL, moved);
	for (i = 0; i < NUM_DEVS; i++) {
		ASSERT_TRUE(dma_lands_on(&self->dev[i], low, LOW_SRC, LOW_DST,
					 ++seed, moved));
		/* Nothing went to the old page */
		ASSERT_TRUE(vmm_holds(low + GUEST_PAGE, GUEST_PAGE, before));
	}

	/* The stage-2 is in use on both SMMUs */
	ASSERT_EQ(-EBUSY, vmm_destroy(self->iommufd, self->s2_id));
	for (i = 0; i < NUM_DEVS; i++)
		ASSERT_EQ(0, vmm_attach(&self->dev[i], self->ioas_id));
	ASSERT_EQ(0, vmm_destroy(self->iommufd, self->s2_id));
	munmap(moved, GUEST_PAGE);
	munmap(low, 2 * GUEST_PAGE);
}

/*
 * A vSMMU per SMMU on the one stage-2, each with its own VMID on its SMMU,
 * a vDEVICE and a nested HWPT with the guest's stage-1: edu DMAs through
 * both stages on both SMMUs, and the VMM moving guest page A must reach the
 * TLBs of both vSMMUs, where the emulated SMMUs cache the combined
 * translation.
 */
TEST_F(two_smmus, nested_on_both)
{
	uint32_t viommu_id[NUM_DEVS], vdev_id[NUM_DEVS], nested_id[NUM_DEVS];
	uint8_t *src = self->gmem + GUEST_OFF_SRC, *moved, seed = 0x40, before;
	const uint8_t *a = self->gmem + GUEST_OFF_A;
	int i;

	if (!vmm_iort_rc_canwbs())
		SKIP(return, "no CANWBS root complex: no vSMMU on this boot");
	guest_build_stage1(self->gmem);
	vsmmu_on_each(_metadata, self, viommu_id, vdev_id, nested_id);
	ASSERT_NE(viommu_id[0], viommu_id[1]);
	/* A nested HWPT stays on its vSMMU's SMMU */
	ASSERT_EQ(-EINVAL, vmm_attach(&self->dev[1], nested_id[0]));
	for (i = 0; i < NUM_DEVS; i++)
		ASSERT_EQ(0, vmm_attach(&self->dev[i], nested_id[i]));

	for (i = 0; i < NUM_DEVS; i++)
		ASSERT_TRUE(dma_lands_on(&self->dev[i], src, GUEST_VA_SRC,
					 GUEST_VA_DST, ++seed, a));

	before = seed;
	moved = move_page(self, GUEST_GPA + GUEST_OFF_A);
	ASSERT_NE(NULL, moved);
	for (i = 0; i < NUM_DEVS; i++) {
		ASSERT_TRUE(dma_lands_on(&self->dev[i], src, GUEST_VA_SRC,
					 GUEST_VA_DST, ++seed, moved));
		/* The old host page kept what it held before the move */
		ASSERT_TRUE(vmm_holds(a, GUEST_PAGE, before));
	}

	/* Down, leaves first */
	ASSERT_EQ(-EBUSY, vmm_destroy(self->iommufd, self->s2_id));
	vsmmu_down_each(_metadata, self, viommu_id, vdev_id, nested_id);
	ASSERT_EQ(0, vmm_destroy(self->iommufd, self->s2_id));
	munmap(moved, GUEST_PAGE);
}

/*
 * Interrupts on both SMMUs, each device behind the guest's stage-1 on its
 * own vSMMU over the one stage-2: the doorbell has one IOVA in the
 * context, mapped once in the shared stage-2, and both MSIs arrive.
 */
TEST_F(two_smmus, msi_on_both)
{
	uint32_t viommu_id[NUM_DEVS], vdev_id[NUM_DEVS], nested_id[NUM_DEVS];
	uint64_t start, last;
	int efd[NUM_DEVS], kmsg, i;

	if (!vmm_iort_rc_canwbs())
		SKIP(return, "no CANWBS root complex: no vSMMU on this boot");
	kmsg = kmsg_open();
	ASSERT_LE(0, kmsg);
	guest_build_stage1(self->gmem);
	/* The guest leaves the MSI window as it is (its RMR) */
	ASSERT_EQ(0, vmm_msi_window(self->dev[0].bdf, &start, &last));
	ASSERT_EQ(start >> 21, last >> 21);
	guest_map_identity_2m(self->gmem, start);
	vsmmu_on_each(_metadata, self, viommu_id, vdev_id, nested_id);
	for (i = 0; i < NUM_DEVS; i++) {
		ASSERT_EQ(0, vmm_attach(&self->dev[i], nested_id[i]));
		ASSERT_EQ(0, vmm_msi_enable(&self->dev[i], &efd[i]));
	}
	for (i = 0; i < NUM_DEVS; i++) {
		EXPECT_EQ(0, edu_irq(&self->dev[i], efd[i], 5000))
			TH_LOG("edu behind %s", self->iommu[i]);
	}
	EXPECT_EQ(0, kmsg_count(kmsg, "event 0x"));
	close(kmsg);

	for (i = 0; i < NUM_DEVS; i++)
		ASSERT_EQ(0, vmm_msi_disable(&self->dev[i], efd[i]));
	vsmmu_down_each(_metadata, self, viommu_id, vdev_id, nested_id);
}

TEST_HARNESS_MAIN
