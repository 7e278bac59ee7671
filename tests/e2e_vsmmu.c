// SPDX-License-Identifier: GPL-2.0-only
/*
 * End to end on the emulated SMMUv3, as a VMM builds a virtual SMMU for its
 * guest: the SMMU's description (IOMMU_GET_HW_INFO), the VM's stage-2
 * (a nesting parent HWPT) and the vSMMU on top of it, with the rule that
 * decides whether a vSMMU may exist at all.
 */
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <linux/iommufd.h>

#include "kselftest_harness.h"
#include "guest_s1.h"
#include "vmm.h"

/* SMMUv3 ID register fields the tests look at (SMMUv3 architecture) */
#define IDR0_S2P		(1U << 0)
#define IDR0_S1P		(1U << 1)
#define IDR0_TTF		(3U << 2)
#define IDR1_SIDSIZE		0x3fU
#define IDR5_GRAN4K		(1U << 4)
#define IDR5_OAS		7U
/* IDR0-IDR5, IIDR and AIDR: eight registers from offset 0 */
#define SMMU_IDR0		0x0

FIXTURE(smmu)
{
	struct vmm_dev dev;
	int iommufd;
	uint32_t ioas_id;
};

FIXTURE_SETUP(smmu)
{
	self->dev.vfio_fd = -1;
	ASSERT_EQ(0, vmm_open_edu(&self->dev, &self->iommufd,
				  &self->ioas_id));
}

FIXTURE_TEARDOWN(smmu)
{
	vmm_close(&self->dev);
	if (self->iommufd >= 0)
		close(self->iommufd);
}

static int hw_info(struct __test_metadata *_metadata, int iommufd,
		   uint32_t dev_id, uint32_t flags, uint32_t in_type,
		   struct iommu_hw_info_arm_smmuv3 *info, uint32_t *out_type)
{
	struct iommu_hw_info cmd = {
		.size = sizeof(cmd),
		.flags = flags,
		.dev_id = dev_id,
		.data_len = sizeof(*info),
		.data_uptr = (uintptr_t)info,
		.in_data_type = in_type,
	};

	memset(info, 0xa5, sizeof(*info));
	if (ioctl(iommufd, IOMMU_GET_HW_INFO, &cmd))
		return -errno;
	EXPECT_EQ(sizeof(*info), cmd.data_len);
	*out_type = cmd.out_data_type;
	return 0;
}

TEST_F(smmu, hw_info_describes_the_smmu)
{
	struct iommu_hw_info_arm_smmuv3 info;
	uint32_t type, regs[8];
	unsigned int i;

	ASSERT_EQ(0, hw_info(_metadata, self->iommufd, self->dev.dev_id, 0, 0,
			     &info, &type));
	ASSERT_EQ(IOMMU_HW_INFO_TYPE_ARM_SMMUV3, type);
	EXPECT_EQ(0, info.__reserved);
	EXPECT_EQ(0, info.flags);
	/* What a guest needs: AArch64 tables, 4K granule, some Stream IDs */
	EXPECT_NE(0, info.idr[0] & IDR0_TTF);
	EXPECT_NE(0, info.idr[5] & IDR5_GRAN4K);
	EXPECT_NE(0, info.idr[1] & IDR1_SIDSIZE);
	EXPECT_NE(0, info.aidr);
	/*
	 * The registers as the SMMU reads them, nothing masked: a VMM sizes
	 * its vSMMU from fields beyond the documented list (QEMU takes OAS
	 * and ATS), so the emulated SMMU's stages and OAS must show.
	 */
	EXPECT_NE(0, info.idr[0] & IDR0_S1P);
	EXPECT_NE(0, info.idr[0] & IDR0_S2P);
	EXPECT_NE(0, info.idr[5] & IDR5_OAS);
	ASSERT_EQ(0, vmm_smmu_read_regs(self->dev.bdf, SMMU_IDR0, regs, 8));
	for (i = 0; i < 6; i++) {
		EXPECT_EQ(regs[i], info.idr[i]) TH_LOG("IDR%u", i);
	}
	EXPECT_EQ(regs[6], info.iidr);
	EXPECT_EQ(regs[7], info.aidr);
}

TEST_F(smmu, hw_info_types)
{
	struct iommu_hw_info_arm_smmuv3 info, dflt;
	uint32_t type;

	ASSERT_EQ(0, hw_info(_metadata, self->iommufd, self->dev.dev_id, 0, 0,
			     &dflt, &type));
	/* Asking for DEFAULT or for ARM_SMMUV3 gives the same */
	ASSERT_EQ(0, hw_info(_metadata, self->iommufd, self->dev.dev_id,
			     IOMMU_HW_INFO_FLAG_INPUT_TYPE,
			     IOMMU_HW_INFO_TYPE_DEFAULT, &info, &type));
	ASSERT_EQ(IOMMU_HW_INFO_TYPE_ARM_SMMUV3, type);
	ASSERT_EQ(0, memcmp(&dflt, &info, sizeof(info)));
	ASSERT_EQ(0, hw_info(_metadata, self->iommufd, self->dev.dev_id,
			     IOMMU_HW_INFO_FLAG_INPUT_TYPE,
			     IOMMU_HW_INFO_TYPE_ARM_SMMUV3, &info, &type));
	ASSERT_EQ(0, memcmp(&dflt, &info, sizeof(info)));
	/* Another IOMMU's type, or one this SMMU lacks (CMDQV), is refused */
	ASSERT_EQ(-EOPNOTSUPP,
		  hw_info(_metadata, self->iommufd, self->dev.dev_id,
			  IOMMU_HW_INFO_FLAG_INPUT_TYPE,
			  IOMMU_HW_INFO_TYPE_INTEL_VTD, &info, &type));
	ASSERT_EQ(-EOPNOTSUPP,
		  hw_info(_metadata, self->iommufd, self->dev.dev_id,
			  IOMMU_HW_INFO_FLAG_INPUT_TYPE,
			  IOMMU_HW_INFO_TYPE_TEGRA241_CMDQV, &info, &type));
}

TEST_F(smmu, nest_parent)
{
	struct iommu_hwpt_alloc dirty = {
		.size = sizeof(dirty),
		.flags = IOMMU_HWPT_ALLOC_NEST_PARENT |
			 IOMMU_HWPT_ALLOC_DIRTY_TRACKING,
		.dev_id = self->dev.dev_id,
		.pt_id = self->ioas_id,
	};
	uint32_t s2_id = 0;

	/* The emulated SMMU implements both stages, so it can nest */
	ASSERT_EQ(0, vmm_nest_parent_alloc(self->iommufd, self->dev.dev_id,
					   self->ioas_id, &s2_id));
	/* A device can use the stage-2 alone */
	ASSERT_EQ(0, vmm_attach(&self->dev, s2_id));
	ASSERT_EQ(-EBUSY, vmm_destroy(self->iommufd, s2_id));
	ASSERT_EQ(0, vmm_attach(&self->dev, self->ioas_id));
	ASSERT_EQ(0, vmm_destroy(self->iommufd, s2_id));
	/* A nesting parent is a plain stage-2 and nothing else */
	errno = 0;
	ASSERT_EQ(-1, ioctl(self->iommufd, IOMMU_HWPT_ALLOC, &dirty));
	ASSERT_EQ(EOPNOTSUPP, errno);
}

TEST_F(smmu, vsmmu_needs_coherency_guarantee)
{
	uint32_t s2_id = 0, viommu_id = 0;
	int rc;

	ASSERT_EQ(0, vmm_nest_parent_alloc(self->iommufd, self->dev.dev_id,
					   self->ioas_id, &s2_id));
	rc = vmm_vsmmu_alloc(self->iommufd, self->dev.dev_id, s2_id, &viommu_id);
	/*
	 * QEMU's SMMU has no stage-2 forced write-back, so only a CANWBS root
	 * complex lets the VM keep its stage-1 attributes.
	 */
	if (vmm_iort_rc_canwbs()) {
		TH_LOG("IORT root complex: CANWBS");
		ASSERT_EQ(0, rc);
		ASSERT_EQ(-EBUSY, vmm_destroy(self->iommufd, s2_id));
		ASSERT_EQ(0, vmm_destroy(self->iommufd, viommu_id));
	} else {
		TH_LOG("no CANWBS root complex: the vSMMU must be refused");
		ASSERT_EQ(-EOPNOTSUPP, rc);
	}
	ASSERT_EQ(0, vmm_destroy(self->iommufd, s2_id));
}

#define GUEST_VSID	0x42

/*
 * The nested set-up, as a VMM and its guest build it: the guest's memory
 * (guest_s1.h) is the VM's stage-2, the guest's CD and page tables live in
 * it, and the device sits behind the guest's stage-1 through a vSMMU.
 */
FIXTURE(nested)
{
	struct vmm_dev dev;
	int iommufd;
	uint32_t ioas_id, s2_id, viommu_id, vdev_id, nested_id;
	uint8_t *gmem;
};

FIXTURE_SETUP(nested)
{
	self->iommufd = -1;
	self->dev.vfio_fd = -1;
	self->gmem = MAP_FAILED;
	if (!vmm_iort_rc_canwbs())
		SKIP(return, "no CANWBS root complex: no vSMMU on this boot");

	ASSERT_EQ(0, vmm_open_edu(&self->dev, &self->iommufd,
				  &self->ioas_id));

	self->gmem = mmap(NULL, GUEST_MEM_SIZE, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, self->gmem);
	memset(self->gmem, 0, GUEST_MEM_SIZE);
	ASSERT_EQ(0, vmm_ioas_map_fixed(self->iommufd, self->ioas_id,
					self->gmem, GUEST_MEM_SIZE, GUEST_GPA));
	ASSERT_EQ(0, vmm_nest_parent_alloc(self->iommufd, self->dev.dev_id,
					   self->ioas_id, &self->s2_id));
	ASSERT_EQ(0, vmm_vsmmu_alloc(self->iommufd, self->dev.dev_id,
				     self->s2_id, &self->viommu_id));
	guest_build_stage1(self->gmem);
}

FIXTURE_TEARDOWN(nested)
{
	vmm_close(&self->dev);
	if (self->iommufd >= 0)
		close(self->iommufd);
	if (self->gmem != MAP_FAILED)
		munmap(self->gmem, GUEST_MEM_SIZE);
}

static bool all(const uint8_t *p, size_t len, uint8_t val)
{
	while (len--)
		if (*p++ != val)
			return false;
	return true;
}

/* edu copies a fresh pattern from VA_SRC to VA_DST: does it land on @to? */
static bool dma_lands_on(FIXTURE_DATA(nested) *self, uint8_t seed,
			 const uint8_t *to)
{
	uint8_t *src = self->gmem + GUEST_OFF_SRC;

	vmm_fill(src, GUEST_PAGE, seed);
	return !edu_copy(&self->dev, GUEST_VA_SRC, GUEST_VA_DST, GUEST_PAGE) &&
	       !memcmp(src, to, GUEST_PAGE);
}

static int nested(FIXTURE_DATA(nested) *self, uint64_t ste0,
		  uint64_t ste1, uint32_t *id)
{
	const uint64_t ste[2] = { ste0, ste1 };

	return vmm_nested_alloc(self->iommufd, self->dev.dev_id,
				self->viommu_id, ste, id);
}

/* The guest's stage-1 behind a vDEVICE: self->vdev_id, self->nested_id */
static int stage1_nested(FIXTURE_DATA(nested) *self)
{
	uint64_t ste[2];

	guest_ste_s1(ste);
	return vmm_vdevice_alloc(self->iommufd, self->viommu_id,
				 self->dev.dev_id, GUEST_VSID,
				 &self->vdev_id) ?:
	       vmm_nested_alloc(self->iommufd, self->dev.dev_id,
				self->viommu_id, ste, &self->nested_id);
}

TEST_F(nested, dma_through_guest_stage1)
{
	uint8_t *a = self->gmem + GUEST_OFF_A, *b = self->gmem + GUEST_OFF_B;
	uint64_t cmds[1][2];
	uint32_t done;

	ASSERT_EQ(0, stage1_nested(self));
	ASSERT_EQ(0, vmm_attach(&self->dev, self->nested_id));
	ASSERT_EQ(0, vmm_enable_bus_master(&self->dev));

	/* VA_SRC -> edu -> VA_DST: stage-1 then stage-2 pick the pages */
	ASSERT_TRUE(dma_lands_on(self, 0x21, a));
	ASSERT_TRUE(all(b, GUEST_PAGE, 0));

	/*
	 * The guest moves VA_DST to page B. The SMMU caches translations: until
	 * the guest invalidates, the device may still write to A, and the
	 * emulated SMMU does, which is what makes the invalidation below count.
	 */
	guest_remap_dst(self->gmem, GUEST_OFF_B);
	ASSERT_TRUE(dma_lands_on(self, 0x55, a));
	ASSERT_TRUE(all(b, GUEST_PAGE, 0));
	/* Now it invalidates that VA, through the vSMMU */
	guest_cmd_tlbi_va(cmds[0], GUEST_VA_DST);
	ASSERT_EQ(0, vmm_vsmmu_invalidate(self->iommufd, self->viommu_id, cmds,
					  1, &done));
	ASSERT_EQ(1, done);

	ASSERT_TRUE(dma_lands_on(self, 0x77, b));
	/* A still holds what the stale translation wrote */
	ASSERT_TRUE(vmm_holds(a, GUEST_PAGE, 0x55));

	/* Back to the plain stage-2, then down in order */
	ASSERT_EQ(0, vmm_attach(&self->dev, self->ioas_id));
	ASSERT_EQ(0, vmm_destroy(self->iommufd, self->nested_id));
	ASSERT_EQ(0, vmm_destroy(self->iommufd, self->vdev_id));
	ASSERT_EQ(0, vmm_destroy(self->iommufd, self->viommu_id));
	ASSERT_EQ(0, vmm_destroy(self->iommufd, self->s2_id));
}

TEST_F(nested, guest_ste_checks)
{
	uint64_t ste[2];
	uint32_t id;

	/* Bits outside what a guest may set, a nested Config, EATS 0b10 */
	ASSERT_EQ(-EIO, nested(self, GSTE0_V | GSTE0_CFG_S1 | (1ULL << 52), 0,
			       &id));
	ASSERT_EQ(-EIO, nested(self, GSTE0_V | (7ULL << 1), 0, &id));
	ASSERT_EQ(-EIO, nested(self, GSTE0_V | GSTE0_CFG_S1, 2ULL << 28, &id));
	/* An invalid STE is an abort, whatever else it says */
	ASSERT_EQ(0, nested(self, 7ULL << 1, ~0ULL, &id));
	ASSERT_EQ(0, vmm_destroy(self->iommufd, id));

	/* Stage-1 translation needs a vDEVICE to attach; bypass does not */
	guest_ste_s1(ste);
	ASSERT_EQ(0, nested(self, ste[0], ste[1], &id));
	ASSERT_EQ(-ENOENT, vmm_attach(&self->dev, id));
	ASSERT_EQ(0, vmm_destroy(self->iommufd, id));
	ASSERT_EQ(0, nested(self, GSTE0_V | GSTE0_CFG_BYPASS, 0, &id));
	ASSERT_EQ(0, vmm_attach(&self->dev, id));
	/* The nested HWPT holds the vSMMU, which holds the stage-2 */
	ASSERT_EQ(-EBUSY, vmm_destroy(self->iommufd, self->viommu_id));
	ASSERT_EQ(-EBUSY, vmm_destroy(self->iommufd, id));
	ASSERT_EQ(0, vmm_attach(&self->dev, self->ioas_id));
	ASSERT_EQ(0, vmm_destroy(self->iommufd, id));
}

/*
 * A switch the kernel refuses leaves the device where it was. The guest's
 * stage-1 stays in use after its vDEVICE goes (the VMM may tear down in any
 * order); a switch to another stage-1 is then refused for want of a
 * vDEVICE, and the IOMMU core puts the device back on the first one, which
 * must be taken again without a vDEVICE (a refusal there is a kernel WARN,
 * which fails the run).
 */
TEST_F(nested, refused_switch_keeps_the_stage1)
{
	uint8_t *a = self->gmem + GUEST_OFF_A;
	uint64_t ste[2];
	uint32_t other;

	ASSERT_EQ(0, stage1_nested(self));
	ASSERT_EQ(0, vmm_attach(&self->dev, self->nested_id));
	ASSERT_EQ(0, vmm_enable_bus_master(&self->dev));
	ASSERT_EQ(0, vmm_destroy(self->iommufd, self->vdev_id));
	guest_ste_s1(ste);
	ASSERT_EQ(0, nested(self, ste[0], ste[1], &other));
	ASSERT_EQ(-ENOENT, vmm_attach(&self->dev, other));
	/* Still behind the first stage-1: the DMA lands where it says */
	ASSERT_TRUE(dma_lands_on(self, 0x3c, a));
	ASSERT_EQ(-EBUSY, vmm_destroy(self->iommufd, self->nested_id));
	ASSERT_EQ(0, vmm_destroy(self->iommufd, other));

	ASSERT_EQ(0, vmm_attach(&self->dev, self->ioas_id));
	ASSERT_EQ(0, vmm_destroy(self->iommufd, self->nested_id));
	ASSERT_EQ(0, vmm_destroy(self->iommufd, self->viommu_id));
	ASSERT_EQ(0, vmm_destroy(self->iommufd, self->s2_id));
}

TEST_F(nested, forwarded_command_checks)
{
	uint64_t cmds[3][2] = {};
	uint32_t done;

	ASSERT_EQ(0, vmm_vdevice_alloc(self->iommufd, self->viommu_id,
				       self->dev.dev_id, GUEST_VSID,
				       &self->vdev_id));
	/* The guest changes STEs by a new nested HWPT, not by CFGI_STE */
	cmds[0][0] = GCMD_CFGI_STE | ((uint64_t)GUEST_VSID << 32);
	ASSERT_EQ(-EIO, vmm_vsmmu_invalidate(self->iommufd, self->viommu_id,
					     cmds, 1, &done));
	ASSERT_EQ(0, done);
	/* A vSID that names no vDEVICE, after one that does */
	cmds[0][0] = GCMD_CFGI_CD_ALL | ((uint64_t)GUEST_VSID << 32);
	cmds[1][0] = GCMD_CFGI_CD_ALL | ((uint64_t)(GUEST_VSID + 1) << 32);
	ASSERT_EQ(-EIO, vmm_vsmmu_invalidate(self->iommufd, self->viommu_id,
					     cmds, 2, &done));
	ASSERT_EQ(1, done);
	/* Three good ones */
	guest_cmd_tlbi_va(cmds[1], GUEST_VA_DST);
	cmds[2][0] = GCMD_TLBI_NH_ALL;
	ASSERT_EQ(0, vmm_vsmmu_invalidate(self->iommufd, self->viommu_id, cmds,
					  3, &done));
	ASSERT_EQ(3, done);
	/* Once the vDEVICE is gone its vSID means nothing */
	ASSERT_EQ(0, vmm_destroy(self->iommufd, self->vdev_id));
	ASSERT_EQ(-EIO, vmm_vsmmu_invalidate(self->iommufd, self->viommu_id,
					     cmds, 1, &done));
	ASSERT_EQ(0, done);
}

/*
 * Two vSMMUs of one SMMU over the one stage-2, each with its own VMID. The
 * device works through the second; when the VMM moves a guest page to other
 * host memory (IOAS unmap + map), the stage-2 invalidation must reach that
 * vSMMU's VMID too, or the device would keep writing to the old host page.
 */
/*
 * A plain vSMMU (type ARM_SMMUV3) owns no hardware queues and registers no
 * pages to mmap(): that takes an SMMU implementation that offers them,
 * such as Tegra241 CMDQV. The guest memory is mapped and contiguous enough
 * for one page, so only the vIOMMU's type can refuse.
 */
TEST_F(nested, no_hw_queues_nor_mmio)
{
	long page = sysconf(_SC_PAGESIZE);
	struct iommu_hw_queue_alloc cmd = {
		.size = sizeof(cmd),
		.viommu_id = self->viommu_id,
		.type = IOMMU_HW_QUEUE_TYPE_TEGRA241_CMDQV,
		.nesting_parent_iova = GUEST_GPA,
		.length = page,
	};
	void *p;

	errno = 0;
	ASSERT_EQ(-1, ioctl(self->iommufd, IOMMU_HW_QUEUE_ALLOC, &cmd));
	ASSERT_EQ(EOPNOTSUPP, errno);
	/* Nothing pinned: the guest memory can go */
	ASSERT_EQ(0, vmm_ioas_unmap(self->iommufd, self->ioas_id, GUEST_GPA,
				    GUEST_MEM_SIZE));
	/* The first offset a vIOMMU could have had maps nothing */
	p = mmap(NULL, page, PROT_READ | PROT_WRITE, MAP_SHARED,
		 self->iommufd, page);
	ASSERT_EQ(MAP_FAILED, p);
	ASSERT_EQ(ENXIO, errno);
}

/* An SMMU without a CMDQV has no VINTF to give: no such vIOMMU type */
TEST_F(nested, no_cmdqv_viommu)
{
	struct iommu_viommu_tegra241_cmdqv data;
	struct iommu_viommu_alloc cmd = {
		.size = sizeof(cmd),
		.type = IOMMU_VIOMMU_TYPE_TEGRA241_CMDQV,
		.dev_id = self->dev.dev_id,
		.hwpt_id = self->s2_id,
		.data_len = sizeof(data),
		.data_uptr = (uintptr_t)&data,
	};
	uint32_t viommu_id;

	memset(&data, 0xa5, sizeof(data));
	errno = 0;
	ASSERT_EQ(-1, ioctl(self->iommufd, IOMMU_VIOMMU_ALLOC, &cmd));
	ASSERT_EQ(EOPNOTSUPP, errno);
	ASSERT_EQ(0xa5a5a5a5a5a5a5a5ULL, data.out_vintf_mmap_offset);
	/* The vSMMU type is still there */
	ASSERT_EQ(0, vmm_vsmmu_alloc(self->iommufd, self->dev.dev_id,
				     self->s2_id, &viommu_id));
	ASSERT_EQ(0, vmm_destroy(self->iommufd, viommu_id));
}

#define VIOMMU_CAP_PARAM "/sys/module/iommufd/parameters/max_viommus_per_iommu"

static int cap_rw(const char *mode, int *val)
{
	FILE *f = fopen(VIOMMU_CAP_PARAM, mode);
	int ok;

	if (!f)
		return -1;
	ok = *mode == 'r' ? fscanf(f, "%d", val) == 1 :
			    fprintf(f, "%d\n", *val) > 0;
	return fclose(f) || !ok ? -1 : 0;
}

TEST_F(nested, vsmmu_cap)
{
	int saved, cap, rc_over, rc_under, count_at_cap, count_two;
	uint32_t second = 0x5a5a, third = 0;

	if (cap_rw("r", &saved))
		SKIP(return, "no %s", VIOMMU_CAP_PARAM);
	/* The fixture's vSMMU holds one of the SMMU's VMIDs */
	ASSERT_EQ(1, vmm_fdinfo_viommus(self->iommufd, "smmu3."));

	cap = 1;
	ASSERT_EQ(0, cap_rw("w", &cap));
	rc_over = vmm_vsmmu_alloc(self->iommufd, self->dev.dev_id, self->s2_id,
				  &second);
	count_at_cap = vmm_fdinfo_viommus(self->iommufd, "smmu3.");
	cap = 2;
	cap_rw("w", &cap);
	rc_under = vmm_vsmmu_alloc(self->iommufd, self->dev.dev_id,
				   self->s2_id, &third);
	count_two = vmm_fdinfo_viommus(self->iommufd, "smmu3.");
	cap_rw("w", &saved);

	/* At the cap: ENOSPC, no vSMMU, no VMID taken */
	ASSERT_EQ(-ENOSPC, rc_over);
	ASSERT_EQ(0x5a5a, second);
	ASSERT_EQ(1, count_at_cap);
	/* Under it, a second vSMMU with its own VMID on the same stage-2 */
	ASSERT_EQ(0, rc_under);
	ASSERT_EQ(2, count_two);
	ASSERT_EQ(0, vmm_destroy(self->iommufd, third));
	ASSERT_EQ(1, vmm_fdinfo_viommus(self->iommufd, "smmu3."));
}

TEST_F(nested, s2_change_reaches_every_vsmmu)
{
	uint8_t *a = self->gmem + GUEST_OFF_A;
	uint32_t viommu2_id, vdev2_id, nested2_id;
	uint64_t ipa_a = GUEST_GPA + GUEST_OFF_A;
	uint64_t ste[2];
	uint8_t *a2;

	/* Map page A on its own, so the VMM can move it */
	ASSERT_EQ(0, vmm_ioas_unmap(self->iommufd, self->ioas_id, GUEST_GPA,
				    GUEST_MEM_SIZE));
	ASSERT_EQ(0, vmm_ioas_map_fixed(self->iommufd, self->ioas_id,
					self->gmem, GUEST_OFF_A, GUEST_GPA));
	ASSERT_EQ(0, vmm_ioas_map_fixed(self->iommufd, self->ioas_id, a,
					GUEST_PAGE, ipa_a));
	ASSERT_EQ(0, vmm_ioas_map_fixed(self->iommufd, self->ioas_id,
					a + GUEST_PAGE,
					GUEST_MEM_SIZE - GUEST_OFF_A -
						GUEST_PAGE,
					ipa_a + GUEST_PAGE));

	ASSERT_EQ(0, vmm_vsmmu_alloc(self->iommufd, self->dev.dev_id,
				     self->s2_id, &viommu2_id));
	ASSERT_NE(self->viommu_id, viommu2_id);
	ASSERT_EQ(0, vmm_vdevice_alloc(self->iommufd, viommu2_id,
				       self->dev.dev_id, GUEST_VSID,
				       &vdev2_id));
	guest_ste_s1(ste);
	ASSERT_EQ(0, vmm_nested_alloc(self->iommufd, self->dev.dev_id,
				      viommu2_id, ste, &nested2_id));
	ASSERT_EQ(0, vmm_attach(&self->dev, nested2_id));
	ASSERT_EQ(0, vmm_enable_bus_master(&self->dev));

	ASSERT_TRUE(dma_lands_on(self, 0x31, a));

	/* The VMM backs guest page A with other host memory */
	a2 = mmap(NULL, GUEST_PAGE, PROT_READ | PROT_WRITE,
		  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, a2);
	memset(a2, 0, GUEST_PAGE);
	ASSERT_EQ(0, vmm_ioas_unmap(self->iommufd, self->ioas_id, ipa_a,
				    GUEST_PAGE));
	ASSERT_EQ(0, vmm_ioas_map_fixed(self->iommufd, self->ioas_id, a2,
					GUEST_PAGE, ipa_a));

	ASSERT_TRUE(dma_lands_on(self, 0x93, a2));
	/* The old host page kept the first pattern */
	ASSERT_TRUE(vmm_holds(a, GUEST_PAGE, 0x31));

	ASSERT_EQ(0, vmm_attach(&self->dev, self->ioas_id));
	ASSERT_EQ(0, vmm_destroy(self->iommufd, nested2_id));
	ASSERT_EQ(0, vmm_destroy(self->iommufd, vdev2_id));
	ASSERT_EQ(0, vmm_destroy(self->iommufd, viommu2_id));
	munmap(a2, GUEST_PAGE);
}

/* Read every record the queue holds within @ms: the events of the guest */
static int drain_events(int veventq_fd, int ms, struct vmm_vsmmu_event *first)
{
	struct vmm_vsmmu_event ev;
	int n = 0;

	while (!vmm_vsmmu_read_event(veventq_fd, n ? 200 : ms, &ev))
		if (!n++)
			*first = ev;
	return n;
}

#define EVT_F_TRANSLATION	0x10
#define EVT_HOST_LOG		"event 0x10 received"
/* The emulated SMMU raises one event per 4-byte access of an edu DMA */
#define FAULT_LEN		4

/*
 * A fault in the guest's stage-1 reaches the VMM under the vSID, not the
 * host's log; a stage-2 fault stays the host's; and once the vDEVICE is
 * gone, nothing goes out under its vSID any more.
 */
TEST_F(nested, guest_faults_reach_the_vmm)
{
	struct vmm_vsmmu_event rec = {};
	uint32_t veventq_id;
	int veventq_fd, kmsg;
	uint64_t evt0;

	ASSERT_EQ(0, stage1_nested(self));
	ASSERT_EQ(0, vmm_veventq_alloc(self->iommufd, self->viommu_id,
				       IOMMU_VEVENTQ_TYPE_ARM_SMMUV3, 16,
				       &veventq_id, &veventq_fd));
	ASSERT_EQ(0, vmm_attach(&self->dev, self->nested_id));
	ASSERT_EQ(0, vmm_enable_bus_master(&self->dev));
	kmsg = kmsg_open();
	ASSERT_LE(0, kmsg);
	/*
	 * The host logs at most 10 events per 5 s: let the burst of an
	 * earlier test pass, so that the log below tells the truth.
	 */
	sleep(6);

	/* edu reads a VA that the guest's stage-1 does not map */
	edu_dma(&self->dev, GUEST_VA_HOLE, EDU_BUF_ADDR, FAULT_LEN, 0);
	ASSERT_EQ(1, drain_events(veventq_fd, 5000, &rec));
	ASSERT_EQ(0, rec.hdr.flags);
	ASSERT_EQ(0, rec.hdr.sequence);
	evt0 = le64toh(rec.ev.evt[0]);
	EXPECT_EQ(EVT_F_TRANSLATION, evt0 & 0xff);
	/* The guest's Stream ID, not the physical one */
	EXPECT_EQ(GUEST_VSID, evt0 >> 32);
	EXPECT_EQ(GUEST_VA_HOLE, le64toh(rec.ev.evt[2]));
	EXPECT_EQ(0, le64toh(rec.ev.evt[1]) & (1ULL << 39));
	EXPECT_EQ(0, kmsg_count(kmsg, EVT_HOST_LOG));

	/* The guest maps VA_DST past its memory: stage-2 faults, the host's */
	guest_remap_dst(self->gmem, GUEST_MEM_SIZE);
	edu_dma(&self->dev, GUEST_VA_DST, EDU_BUF_ADDR, FAULT_LEN, 0);
	EXPECT_EQ(0, drain_events(veventq_fd, 1000, &rec));
	EXPECT_LE(1, kmsg_count(kmsg, EVT_HOST_LOG));

	/* The vDEVICE goes, the device stays attached: the host keeps faults */
	ASSERT_EQ(0, vmm_destroy(self->iommufd, self->vdev_id));
	edu_dma(&self->dev, GUEST_VA_HOLE, EDU_BUF_ADDR, FAULT_LEN, 0);
	EXPECT_EQ(0, drain_events(veventq_fd, 1000, &rec));
	EXPECT_LE(1, kmsg_count(kmsg, EVT_HOST_LOG));

	close(kmsg);
	ASSERT_EQ(0, vmm_attach(&self->dev, self->ioas_id));
	ASSERT_EQ(0, close(veventq_fd));
	ASSERT_EQ(0, vmm_destroy(self->iommufd, veventq_id));
	ASSERT_EQ(0, vmm_destroy(self->iommufd, self->nested_id));
	ASSERT_EQ(0, vmm_destroy(self->iommufd, self->viommu_id));
	ASSERT_EQ(0, vmm_destroy(self->iommufd, self->s2_id));
}

/*
 * Interrupts. An MSI is a DMA write to the interrupt controller's doorbell,
 * translated like any DMA, so the doorbell must be mapped in the stage-2
 * under whatever the device is attached to: the stage-2 itself, a bypass
 * vSTE, or a stage-1 vSTE whose guest tables leave the MSI window as it is
 * (a guest's RMR). edu raises its MSI; the eventfd VFIO signals must see
 * it, and the host log must show no SMMU event for it.
 */
#define MSI_WAIT_MS		5000
#define SMMU_EVENT_LOG		"event 0x"

/*
 * The guest's stage-1 behind a vDEVICE, as self->nested_id, with the MSI
 * window mapped 1:1 as a guest does for its RMR
 */
static void stage1_with_msi_window(struct __test_metadata *_metadata,
				   FIXTURE_DATA(nested) *self)
{
	uint64_t start, last;

	ASSERT_EQ(0, vmm_msi_window(self->dev.bdf, &start, &last));
	TH_LOG("MSI window %#llx-%#llx", (unsigned long long)start,
	       (unsigned long long)last);
	/* One 2 MiB block of the guest's tables covers it */
	ASSERT_EQ(start >> 21, last >> 21);
	guest_map_identity_2m(self->gmem, start);
	ASSERT_EQ(0, stage1_nested(self));
}

TEST_F(nested, msi_on_the_stage2)
{
	int efd, kmsg = kmsg_open();

	ASSERT_LE(0, kmsg);
	ASSERT_EQ(0, vmm_attach(&self->dev, self->s2_id));
	ASSERT_EQ(0, vmm_enable_bus_master(&self->dev));
	ASSERT_EQ(0, vmm_msi_enable(&self->dev, &efd));
	EXPECT_EQ(0, edu_irq(&self->dev, efd, MSI_WAIT_MS));
	EXPECT_EQ(0, edu_irq(&self->dev, efd, MSI_WAIT_MS));
	ASSERT_EQ(0, vmm_msi_disable(&self->dev, efd));
	EXPECT_EQ(0, kmsg_count(kmsg, SMMU_EVENT_LOG));
	close(kmsg);
	ASSERT_EQ(0, vmm_attach(&self->dev, self->ioas_id));
}

TEST_F(nested, msi_on_a_bypass_vste)
{
	int efd, kmsg = kmsg_open();
	uint32_t id;

	ASSERT_LE(0, kmsg);
	/* What QEMU attaches first: the guest's SMMU still in bypass */
	ASSERT_EQ(0, nested(self, GSTE0_V | GSTE0_CFG_BYPASS, 0, &id));
	ASSERT_EQ(0, vmm_attach(&self->dev, id));
	ASSERT_EQ(0, vmm_enable_bus_master(&self->dev));
	ASSERT_EQ(0, vmm_msi_enable(&self->dev, &efd));
	EXPECT_EQ(0, edu_irq(&self->dev, efd, MSI_WAIT_MS));
	ASSERT_EQ(0, vmm_msi_disable(&self->dev, efd));
	EXPECT_EQ(0, kmsg_count(kmsg, SMMU_EVENT_LOG));
	close(kmsg);
	ASSERT_EQ(0, vmm_attach(&self->dev, self->ioas_id));
	ASSERT_EQ(0, vmm_destroy(self->iommufd, id));
}

TEST_F(nested, msi_on_a_stage1_vste)
{
	uint8_t *a = self->gmem + GUEST_OFF_A;
	int efd, kmsg = kmsg_open();

	ASSERT_LE(0, kmsg);
	stage1_with_msi_window(_metadata, self);
	ASSERT_EQ(0, vmm_attach(&self->dev, self->nested_id));
	ASSERT_EQ(0, vmm_enable_bus_master(&self->dev));
	ASSERT_EQ(0, vmm_msi_enable(&self->dev, &efd));
	EXPECT_EQ(0, edu_irq(&self->dev, efd, MSI_WAIT_MS));
	/* DMA through both stages still works beside it */
	EXPECT_TRUE(dma_lands_on(self, 0x61, a));
	EXPECT_EQ(0, edu_irq(&self->dev, efd, MSI_WAIT_MS));
	ASSERT_EQ(0, vmm_msi_disable(&self->dev, efd));
	EXPECT_EQ(0, kmsg_count(kmsg, SMMU_EVENT_LOG));
	close(kmsg);
	ASSERT_EQ(0, vmm_attach(&self->dev, self->ioas_id));
	ASSERT_EQ(0, vmm_destroy(self->iommufd, self->nested_id));
	ASSERT_EQ(0, vmm_destroy(self->iommufd, self->vdev_id));
}

/*
 * MSI enabled once, on the IOAS's own stage-2, and kept while the VMM moves
 * the device: to the nesting parent, a bypass vSTE, a stage-1 vSTE and back.
 * Nothing reprograms the device's MSI address on the way.
 */
TEST_F(nested, msi_kept_across_switches)
{
	int efd, kmsg = kmsg_open();
	uint32_t bypass_id;

	ASSERT_LE(0, kmsg);
	stage1_with_msi_window(_metadata, self);
	ASSERT_EQ(0, nested(self, GSTE0_V | GSTE0_CFG_BYPASS, 0, &bypass_id));

	ASSERT_EQ(0, vmm_attach(&self->dev, self->ioas_id));
	ASSERT_EQ(0, vmm_enable_bus_master(&self->dev));
	ASSERT_EQ(0, vmm_msi_enable(&self->dev, &efd));
	EXPECT_EQ(0, edu_irq(&self->dev, efd, MSI_WAIT_MS));
	ASSERT_EQ(0, vmm_attach(&self->dev, self->s2_id));
	EXPECT_EQ(0, edu_irq(&self->dev, efd, MSI_WAIT_MS)) TH_LOG("stage-2");
	ASSERT_EQ(0, vmm_attach(&self->dev, bypass_id));
	EXPECT_EQ(0, edu_irq(&self->dev, efd, MSI_WAIT_MS)) TH_LOG("bypass");
	ASSERT_EQ(0, vmm_attach(&self->dev, self->nested_id));
	EXPECT_EQ(0, edu_irq(&self->dev, efd, MSI_WAIT_MS)) TH_LOG("stage-1");
	ASSERT_EQ(0, vmm_attach(&self->dev, self->ioas_id));
	EXPECT_EQ(0, edu_irq(&self->dev, efd, MSI_WAIT_MS)) TH_LOG("IOAS");
	ASSERT_EQ(0, vmm_msi_disable(&self->dev, efd));
	EXPECT_EQ(0, kmsg_count(kmsg, SMMU_EVENT_LOG));
	close(kmsg);
	ASSERT_EQ(0, vmm_destroy(self->iommufd, bypass_id));
	ASSERT_EQ(0, vmm_destroy(self->iommufd, self->nested_id));
	ASSERT_EQ(0, vmm_destroy(self->iommufd, self->vdev_id));
}

TEST_HARNESS_MAIN
