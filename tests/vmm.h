/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What a VMM does to hand a PCI device to a guest through iommufd, in small
 * steps the tests and the demo share: find the device, bind it to vfio-pci,
 * open its VFIO cdev, bind it to an iommufd, map guest memory into an IOAS
 * and attach, then drive QEMU's "edu" test device to DMA through the SMMU.
 *
 * Every function returns 0 or a negative errno and never exits, so callers
 * decide how to report.
 */
#ifndef VSMMU_TESTS_VMM_H
#define VSMMU_TESTS_VMM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <linux/iommufd.h>

#define EDU_VENDOR	0x1234
#define EDU_DEVICE	0x11e8
#define EDU_IDENT	0x00		/* reads 0x010000ed on QEMU 10 */
#define EDU_DMA_SRC	0x80
#define EDU_DMA_DST	0x88
#define EDU_DMA_COUNT	0x90
#define EDU_DMA_CMD	0x98
#define EDU_CMD_START	0x1
#define EDU_CMD_TO_RAM	0x2
#define EDU_BUF_ADDR	0x40000		/* edu's own buffer, device side */
#define EDU_BUF_SIZE	4096
#define EDU_DMA_BITS	28		/* edu masks DMA addresses to 28 bits */
#define EDU_IRQ_STATUS	0x24		/* interrupt status bits */
#define EDU_IRQ_RAISE	0x60		/* sets status bits, raises the MSI */
#define EDU_IRQ_ACK	0x64		/* clears status bits */
#define EDU_IRQ_TEST	0x1		/* the status bit the tests raise */

struct vmm_dev {
	char bdf[32];		/* PCI address, e.g. 0000:00:02.0 */
	int vfio_fd;		/* open VFIO device cdev */
	uint32_t dev_id;	/* iommufd device id after bind */
	uint64_t bar0_off;	/* region offsets inside vfio_fd */
	uint64_t cfg_off;
};

int vmm_find_pci(uint16_t vendor, uint16_t device, char *bdf, size_t len);
/* The @nth (from 0) such device, in PCI address order */
int vmm_find_pci_nth(uint16_t vendor, uint16_t device, unsigned int nth,
		     char *bdf, size_t len);
/* The name of the IOMMU a PCI device sits behind (its sysfs iommu link) */
int vmm_pci_iommu(const char *bdf, char *name, size_t len);
/*
 * @n 32-bit registers at @off in the first page of the SMMUv3 that @bdf sits
 * behind, read through /dev/mem (the ID registers have no side effects)
 */
int vmm_smmu_read_regs(const char *bdf, uint32_t off, uint32_t *regs,
		       unsigned int n);
/* The IOVA window the IOMMU reserves for @bdf's MSI doorbells (type msi) */
int vmm_msi_window(const char *bdf, uint64_t *start, uint64_t *last);
/* All of the next five for edu: find, vfio-pci, cdev, iommufd bind, an IOAS */
int vmm_open_edu(struct vmm_dev *d, int *iommufd, uint32_t *ioas_id);
int vmm_bind_vfio_pci(const char *bdf);
int vmm_open_cdev(struct vmm_dev *d, const char *bdf);
int vmm_bind_iommufd(struct vmm_dev *d, int iommufd);
int vmm_attach(struct vmm_dev *d, uint32_t pt_id);
int vmm_enable_bus_master(struct vmm_dev *d);
void vmm_close(struct vmm_dev *d);

int vmm_ioas_alloc(int iommufd, uint32_t *ioas_id);
int vmm_ioas_map_fixed(int iommufd, uint32_t ioas_id, void *va, size_t len,
		       uint64_t iova);
int vmm_ioas_unmap(int iommufd, uint32_t ioas_id, uint64_t iova, size_t len);

int vmm_bar0_read32(struct vmm_dev *d, uint32_t off, uint32_t *val);
int vmm_bar0_write32(struct vmm_dev *d, uint32_t off, uint32_t val);

/* The virtual SMMU: a VM's stage-2, its vSMMU, vDEVICEs, nested HWPTs */
int vmm_nest_parent_alloc(int iommufd, uint32_t dev_id, uint32_t ioas_id,
			  uint32_t *hwpt_id);
int vmm_vsmmu_alloc(int iommufd, uint32_t dev_id, uint32_t s2_id,
		    uint32_t *viommu_id);
int vmm_vdevice_alloc(int iommufd, uint32_t viommu_id, uint32_t dev_id,
		      uint64_t vsid, uint32_t *vdev_id);
/* A nested HWPT from the guest's STE words 0 and 1 (CPU order) */
int vmm_nested_alloc(int iommufd, uint32_t dev_id, uint32_t viommu_id,
		     const uint64_t ste[2], uint32_t *hwpt_id);
/* Forward up to 16 guest commands; *done is entry_num as the kernel says */
int vmm_vsmmu_invalidate(int iommufd, uint32_t viommu_id,
			 const uint64_t (*cmds)[2], uint32_t n, uint32_t *done);
int vmm_destroy(int iommufd, uint32_t id);
/*
 * The vIOMMUs the iommufd's fdinfo says it holds on the IOMMU instances
 * whose names start with @prefix ("" for all), or -1 without such lines
 */
int vmm_fdinfo_viommus(int iommufd, const char *prefix);

/* A virtual event queue of @type on a vIOMMU, with its file descriptor */
int vmm_veventq_alloc(int iommufd, uint32_t viommu_id, uint32_t type,
		      uint32_t depth, uint32_t *veventq_id, int *veventq_fd);

/* One record of a vSMMU's event queue, or a lost-events marker */
struct vmm_vsmmu_event {
	struct iommufd_vevent_header hdr;
	struct iommu_vevent_arm_smmuv3 ev;
};

/* Wait up to @timeout_ms for a record and read it (-ETIMEDOUT: none) */
int vmm_vsmmu_read_event(int veventq_fd, int timeout_ms,
			 struct vmm_vsmmu_event *ev);

/* The kernel log from now on, and how many of its new lines hold @needle */
int kmsg_open(void);
int kmsg_count(int fd, const char *needle);

/*
 * MSI through VFIO, as a VMM enables it for its guest: edu's one vector
 * signals the eventfd returned in @efd. Disabling closes @efd.
 */
int vmm_msi_enable(struct vmm_dev *d, int *efd);
int vmm_msi_disable(struct vmm_dev *d, int efd);
/*
 * edu raises an interrupt: 0 if it reached @efd within @timeout_ms,
 * -ETIMEDOUT if not. It is acknowledged either way.
 */
int edu_irq(struct vmm_dev *d, int efd, int timeout_ms);

/* One edu DMA of @len bytes; waits for completion (bounded). */
int edu_dma(struct vmm_dev *d, uint64_t src, uint64_t dst, uint32_t len,
	    int to_ram);
/* Two edu DMAs: @len bytes from device address @src to @dst, via edu */
int edu_copy(struct vmm_dev *d, uint64_t src, uint64_t dst, uint32_t len);

/* Whether firmware marks the PCI root complex CANWBS in the IORT */
bool vmm_iort_rc_canwbs(void);

/* A page of test data made from @seed, and whether @p still holds it */
void vmm_fill(uint8_t *p, size_t len, uint8_t seed);
bool vmm_holds(const uint8_t *p, size_t len, uint8_t seed);

#endif
