// SPDX-License-Identifier: GPL-2.0-only
/*
 * The guest side of the VMM test: a guest driver for QEMU's edu, as any
 * guest driver is written, behind the virtual SMMU that QEMU's accelerated
 * SMMUv3 gives the guest. Its DMA goes through the DMA API (the guest's
 * SMMU driver builds the stage-1, the host's stage-2 sits under it), its
 * interrupt through request_irq().
 *
 * It checks, and prints one "edu_guest: PASS <what>" or "edu_guest: FAIL
 * <what>" line for each:
 *   dma    a round trip through the guest's stage-1 and the host's stage-2;
 *   msi    the device's MSI reaches this driver's handler;
 *   unmap  once the DMA API unmaps a buffer (the guest's TLB invalidation
 *          forwarded to the host SMMU), a DMA to its old address no longer
 *          lands; the SMMU's fault record then reaches the guest's SMMU
 *          driver, which logs it ("event 0x10 received").
 */
#include <linux/completion.h>
#include <linux/delay.h>
#include <linux/dma-mapping.h>
#include <linux/interrupt.h>
#include <linux/iommu.h>
#include <linux/module.h>
#include <linux/pci.h>

#define EDU_IRQ_STATUS	0x24
#define EDU_IRQ_RAISE	0x60
#define EDU_IRQ_ACK	0x64
#define EDU_DMA_SRC	0x80
#define EDU_DMA_DST	0x88
#define EDU_DMA_COUNT	0x90
#define EDU_DMA_CMD	0x98
#define EDU_CMD_START	0x1
#define EDU_CMD_TO_RAM	0x2
#define EDU_BUF_ADDR	0x40000		/* edu's own buffer */
#define EDU_DMA_BITS	28
#define EDU_IRQ_TEST	0x1

struct edu_guest {
	void __iomem *bar;
	struct completion irq_done;
	u32 irq_status;
};

static irqreturn_t edu_guest_irq(int irq, void *data)
{
	struct edu_guest *edu = data;
	u32 status = readl(edu->bar + EDU_IRQ_STATUS);

	if (!status)
		return IRQ_NONE;
	writel(status, edu->bar + EDU_IRQ_ACK);
	edu->irq_status = status;
	complete(&edu->irq_done);
	return IRQ_HANDLED;
}

/* One edu DMA; edu runs it from a timer, so poll for its end (bounded) */
static int edu_guest_dma(struct edu_guest *edu, u64 src, u64 dst, u32 len,
			 bool to_ram)
{
	int i;

	writel(lower_32_bits(src), edu->bar + EDU_DMA_SRC);
	writel(lower_32_bits(dst), edu->bar + EDU_DMA_DST);
	writel(len, edu->bar + EDU_DMA_COUNT);
	writel(EDU_CMD_START | (to_ram ? EDU_CMD_TO_RAM : 0),
	       edu->bar + EDU_DMA_CMD);
	for (i = 0; i < 1000; i++) {
		if (!(readl(edu->bar + EDU_DMA_CMD) & EDU_CMD_START))
			return 0;
		msleep(10);
	}
	return -ETIMEDOUT;
}

static void edu_guest_report(const char *what, bool pass)
{
	pr_info("edu_guest: %s %s\n", pass ? "PASS" : "FAIL", what);
}

static void edu_guest_check_dma(struct pci_dev *pdev, struct edu_guest *edu)
{
	struct device *dev = &pdev->dev;
	dma_addr_t dsrc = DMA_MAPPING_ERROR, ddst = DMA_MAPPING_ERROR, stale;
	bool dma_ok = false, unmap_ok = false;
	u8 *src, *dst;

	src = (u8 *)__get_free_page(GFP_KERNEL);
	dst = (u8 *)__get_free_page(GFP_KERNEL);
	if (!src || !dst)
		goto out;
	memset(src, 0x5a, PAGE_SIZE);
	memset(dst, 0, PAGE_SIZE);
	dsrc = dma_map_single(dev, src, PAGE_SIZE, DMA_TO_DEVICE);
	if (dma_mapping_error(dev, dsrc))
		goto out;
	ddst = dma_map_single(dev, dst, PAGE_SIZE, DMA_FROM_DEVICE);
	if (dma_mapping_error(dev, ddst))
		goto out;
	dev_info(dev, "edu_guest: DMA from IOVA %pad to IOVA %pad\n", &dsrc,
		 &ddst);

	if (!edu_guest_dma(edu, dsrc, EDU_BUF_ADDR, PAGE_SIZE, false) &&
	    !edu_guest_dma(edu, EDU_BUF_ADDR, ddst, PAGE_SIZE, true)) {
		dma_sync_single_for_cpu(dev, ddst, PAGE_SIZE, DMA_FROM_DEVICE);
		dma_ok = !memcmp(src, dst, PAGE_SIZE);
	}

	/*
	 * Unmapped, with strict invalidation (iommu.strict=1): the same DMA
	 * to the old IOVA must not reach the page any more.
	 */
	dma_unmap_single(dev, ddst, PAGE_SIZE, DMA_FROM_DEVICE);
	stale = ddst;
	ddst = DMA_MAPPING_ERROR;
	memset(dst, 0, PAGE_SIZE);
	dev_info(dev, "edu_guest: DMA to the unmapped IOVA, a fault is next\n");
	unmap_ok = dma_ok &&
		   !edu_guest_dma(edu, EDU_BUF_ADDR, stale, 4, true) &&
		   !memchr_inv(dst, 0, PAGE_SIZE);
out:
	edu_guest_report("dma", dma_ok);
	edu_guest_report("unmap", unmap_ok);
	if (!dma_mapping_error(dev, ddst))
		dma_unmap_single(dev, ddst, PAGE_SIZE, DMA_FROM_DEVICE);
	if (!dma_mapping_error(dev, dsrc))
		dma_unmap_single(dev, dsrc, PAGE_SIZE, DMA_TO_DEVICE);
	free_page((unsigned long)src);
	free_page((unsigned long)dst);
}

static void edu_guest_check_msi(struct pci_dev *pdev, struct edu_guest *edu)
{
	int irq, ret;
	bool ok;

	ret = pci_alloc_irq_vectors(pdev, 1, 1, PCI_IRQ_MSI);
	if (ret < 0) {
		dev_err(&pdev->dev, "edu_guest: no MSI vector (%d)\n", ret);
		edu_guest_report("msi", false);
		return;
	}
	irq = pci_irq_vector(pdev, 0);
	init_completion(&edu->irq_done);
	ret = request_irq(irq, edu_guest_irq, 0, "edu_guest", edu);
	if (ret) {
		edu_guest_report("msi", false);
		goto out_vectors;
	}
	writel(EDU_IRQ_TEST, edu->bar + EDU_IRQ_RAISE);
	ok = wait_for_completion_timeout(&edu->irq_done, 10 * HZ) &&
	     edu->irq_status == EDU_IRQ_TEST;
	edu_guest_report("msi", ok);
	free_irq(irq, edu);
out_vectors:
	pci_free_irq_vectors(pdev);
}

static int edu_guest_probe(struct pci_dev *pdev, const struct pci_device_id *id)
{
	struct edu_guest *edu;
	int ret;

	edu = devm_kzalloc(&pdev->dev, sizeof(*edu), GFP_KERNEL);
	if (!edu)
		return -ENOMEM;
	ret = pcim_enable_device(pdev);
	if (ret)
		return ret;
	ret = pcim_iomap_regions(pdev, BIT(0), "edu_guest");
	if (ret)
		return ret;
	edu->bar = pcim_iomap_table(pdev)[0];
	pci_set_master(pdev);
	ret = dma_set_mask_and_coherent(&pdev->dev, DMA_BIT_MASK(EDU_DMA_BITS));
	if (ret)
		return ret;
	dev_info(&pdev->dev, "edu_guest: behind IOMMU group %d\n",
		 pdev->dev.iommu_group ? iommu_group_id(pdev->dev.iommu_group) :
					 -1);

	edu_guest_check_dma(pdev, edu);
	edu_guest_check_msi(pdev, edu);
	pr_info("edu_guest: done\n");
	return 0;
}

static const struct pci_device_id edu_guest_ids[] = {
	{ PCI_DEVICE(0x1234, 0x11e8) },
	{ }
};
MODULE_DEVICE_TABLE(pci, edu_guest_ids);

static struct pci_driver edu_guest_driver = {
	.name = "edu_guest",
	.id_table = edu_guest_ids,
	.probe = edu_guest_probe,
};
module_pci_driver(edu_guest_driver);

MODULE_DESCRIPTION("QEMU edu, driven as a guest driver behind a virtual SMMU");
MODULE_LICENSE("GPL");
