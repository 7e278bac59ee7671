// SPDX-License-Identifier: GPL-2.0-only
/* VMM-style device plumbing shared by the end-to-end tests and the demo. */
#include "vmm.h"

#include <dirent.h>
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <linux/iommufd.h>
#include <linux/pci_regs.h>
#include <linux/vfio.h>

static int read_sysfs(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -errno;
	buf[n] = 0;
	buf[strcspn(buf, "\n")] = 0;
	return 0;
}

static int write_sysfs(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, val, strlen(val));
	close(fd);
	return n < 0 ? -errno : 0;
}

static int pci_id_is(const char *bdf, const char *attr, unsigned long id)
{
	char path[300], val[32];

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/%s", bdf, attr);
	return !read_sysfs(path, val, sizeof(val)) &&
	       strtoul(val, NULL, 0) == id;
}

int vmm_find_pci_nth(uint16_t vendor, uint16_t device, unsigned int nth,
		     char *bdf, size_t len)
{
	struct dirent **names;
	int i, n, ret = -ENODEV;

	n = scandir("/sys/bus/pci/devices", &names, NULL, alphasort);
	if (n < 0)
		return -errno;
	for (i = 0; i < n; i++) {
		const char *name = names[i]->d_name;

		if (ret && name[0] != '.' && pci_id_is(name, "vendor", vendor) &&
		    pci_id_is(name, "device", device) && !nth--) {
			snprintf(bdf, len, "%s", name);
			ret = 0;
		}
		free(names[i]);
	}
	free(names);
	return ret;
}

int vmm_find_pci(uint16_t vendor, uint16_t device, char *bdf, size_t len)
{
	return vmm_find_pci_nth(vendor, device, 0, bdf, len);
}

int vmm_pci_iommu(const char *bdf, char *name, size_t len)
{
	char path[300], link[300];
	const char *base;
	ssize_t n;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/iommu", bdf);
	n = readlink(path, link, sizeof(link) - 1);
	if (n < 0)
		return -errno;
	link[n] = 0;
	base = strrchr(link, '/');
	snprintf(name, len, "%s", base ? base + 1 : link);
	return 0;
}

int vmm_smmu_read_regs(const char *bdf, uint32_t off, uint32_t *regs,
		       unsigned int n)
{
	char name[128];
	unsigned long long base;
	long pg = sysconf(_SC_PAGESIZE);
	volatile uint32_t *mmio;
	unsigned int i;
	int fd, ret;

	/* The SMMUv3 driver names its IOMMU "smmu3.<MMIO base>" */
	ret = vmm_pci_iommu(bdf, name, sizeof(name));
	if (ret)
		return ret;
	if (sscanf(name, "smmu3.%llx", &base) != 1 || base % pg ||
	    off + 4 * n > (unsigned long)pg)
		return -EINVAL;
	fd = open("/dev/mem", O_RDONLY | O_SYNC);
	if (fd < 0)
		return -errno;
	mmio = mmap(NULL, pg, PROT_READ, MAP_SHARED, fd, base);
	ret = mmio == MAP_FAILED ? -errno : 0;
	close(fd);
	if (ret)
		return ret;
	for (i = 0; i < n; i++)
		regs[i] = mmio[off / 4 + i];
	munmap((void *)mmio, pg);
	return 0;
}

int vmm_msi_window(const char *bdf, uint64_t *start, uint64_t *last)
{
	char path[300], type[32];
	unsigned long long s, l;
	FILE *f;
	int ret = -ENOENT;

	snprintf(path, sizeof(path),
		 "/sys/bus/pci/devices/%s/iommu_group/reserved_regions", bdf);
	f = fopen(path, "r");
	if (!f)
		return -errno;
	while (fscanf(f, "%llx %llx %31s", &s, &l, type) == 3) {
		if (strcmp(type, "msi"))
			continue;
		*start = s;
		*last = l;
		ret = 0;
		break;
	}
	fclose(f);
	return ret;
}

int vmm_open_edu(struct vmm_dev *d, int *iommufd, uint32_t *ioas_id)
{
	char bdf[32];
	int ret;

	*iommufd = -1;
	ret = vmm_find_pci(EDU_VENDOR, EDU_DEVICE, bdf, sizeof(bdf));
	ret = ret ?: vmm_bind_vfio_pci(bdf);
	ret = ret ?: vmm_open_cdev(d, bdf);
	if (ret)
		return ret;
	*iommufd = open("/dev/iommu", O_RDWR);
	if (*iommufd < 0)
		return -errno;
	return vmm_bind_iommufd(d, *iommufd) ?:
	       vmm_ioas_alloc(*iommufd, ioas_id);
}

int vmm_bind_vfio_pci(const char *bdf)
{
	char path[300], link[300];
	ssize_t n;
	int ret;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/driver", bdf);
	n = readlink(path, link, sizeof(link) - 1);
	if (n > 0) {
		link[n] = 0;
		if (strstr(link, "/vfio-pci"))
			return 0;
		snprintf(path, sizeof(path),
			 "/sys/bus/pci/devices/%s/driver/unbind", bdf);
		ret = write_sysfs(path, bdf);
		if (ret)
			return ret;
	}
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/driver_override",
		 bdf);
	ret = write_sysfs(path, "vfio-pci");
	if (ret)
		return ret;
	return write_sysfs("/sys/bus/pci/drivers_probe", bdf);
}

int vmm_open_cdev(struct vmm_dev *d, const char *bdf)
{
	char path[300], dev[300];
	struct dirent *e;
	DIR *dir;

	memset(d, 0, sizeof(*d));
	d->vfio_fd = -1;
	snprintf(d->bdf, sizeof(d->bdf), "%s", bdf);
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/vfio-dev", bdf);
	dir = opendir(path);
	if (!dir)
		return -errno;
	dev[0] = 0;
	while ((e = readdir(dir)))
		if (!strncmp(e->d_name, "vfio", 4))
			snprintf(dev, sizeof(dev), "/dev/vfio/devices/%s",
				 e->d_name);
	closedir(dir);
	if (!dev[0])
		return -ENODEV;
	d->vfio_fd = open(dev, O_RDWR);
	return d->vfio_fd < 0 ? -errno : 0;
}

/* A cdev answers nothing but BIND_IOMMUFD until it is bound. */
static int vmm_find_regions(struct vmm_dev *d)
{
	struct vfio_region_info reg = { .argsz = sizeof(reg) };

	reg.index = VFIO_PCI_BAR0_REGION_INDEX;
	if (ioctl(d->vfio_fd, VFIO_DEVICE_GET_REGION_INFO, &reg))
		return -errno;
	d->bar0_off = reg.offset;
	reg.index = VFIO_PCI_CONFIG_REGION_INDEX;
	if (ioctl(d->vfio_fd, VFIO_DEVICE_GET_REGION_INFO, &reg))
		return -errno;
	d->cfg_off = reg.offset;
	return 0;
}

int vmm_bind_iommufd(struct vmm_dev *d, int iommufd)
{
	struct vfio_device_bind_iommufd bind = {
		.argsz = sizeof(bind),
		.iommufd = iommufd,
	};

	if (ioctl(d->vfio_fd, VFIO_DEVICE_BIND_IOMMUFD, &bind))
		return -errno;
	d->dev_id = bind.out_devid;
	return vmm_find_regions(d);
}

int vmm_attach(struct vmm_dev *d, uint32_t pt_id)
{
	struct vfio_device_attach_iommufd_pt attach = {
		.argsz = sizeof(attach),
		.pt_id = pt_id,
	};

	return ioctl(d->vfio_fd, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &attach) ?
		-errno : 0;
}

int vmm_enable_bus_master(struct vmm_dev *d)
{
	uint16_t cmd;

	if (pread(d->vfio_fd, &cmd, 2, d->cfg_off + PCI_COMMAND) != 2)
		return -EIO;
	cmd |= PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER;
	if (pwrite(d->vfio_fd, &cmd, 2, d->cfg_off + PCI_COMMAND) != 2)
		return -EIO;
	return 0;
}

void vmm_close(struct vmm_dev *d)
{
	if (d->vfio_fd >= 0)
		close(d->vfio_fd);
	d->vfio_fd = -1;
}

int vmm_ioas_alloc(int iommufd, uint32_t *ioas_id)
{
	struct iommu_ioas_alloc cmd = { .size = sizeof(cmd) };

	if (ioctl(iommufd, IOMMU_IOAS_ALLOC, &cmd))
		return -errno;
	*ioas_id = cmd.out_ioas_id;
	return 0;
}

int vmm_ioas_map_fixed(int iommufd, uint32_t ioas_id, void *va, size_t len,
		       uint64_t iova)
{
	struct iommu_ioas_map cmd = {
		.size = sizeof(cmd),
		.flags = IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_READABLE |
			 IOMMU_IOAS_MAP_WRITEABLE,
		.ioas_id = ioas_id,
		.user_va = (uintptr_t)va,
		.length = len,
		.iova = iova,
	};

	return ioctl(iommufd, IOMMU_IOAS_MAP, &cmd) ? -errno : 0;
}

int vmm_ioas_unmap(int iommufd, uint32_t ioas_id, uint64_t iova, size_t len)
{
	struct iommu_ioas_unmap cmd = {
		.size = sizeof(cmd),
		.ioas_id = ioas_id,
		.iova = iova,
		.length = len,
	};

	return ioctl(iommufd, IOMMU_IOAS_UNMAP, &cmd) ? -errno : 0;
}

int vmm_bar0_read32(struct vmm_dev *d, uint32_t off, uint32_t *val)
{
	return pread(d->vfio_fd, val, 4, d->bar0_off + off) == 4 ? 0 : -EIO;
}

int vmm_bar0_write32(struct vmm_dev *d, uint32_t off, uint32_t val)
{
	return pwrite(d->vfio_fd, &val, 4, d->bar0_off + off) == 4 ? 0 : -EIO;
}

int vmm_nest_parent_alloc(int iommufd, uint32_t dev_id, uint32_t ioas_id,
			  uint32_t *hwpt_id)
{
	struct iommu_hwpt_alloc cmd = {
		.size = sizeof(cmd),
		.flags = IOMMU_HWPT_ALLOC_NEST_PARENT,
		.dev_id = dev_id,
		.pt_id = ioas_id,
	};

	if (ioctl(iommufd, IOMMU_HWPT_ALLOC, &cmd))
		return -errno;
	*hwpt_id = cmd.out_hwpt_id;
	return 0;
}

int vmm_vsmmu_alloc(int iommufd, uint32_t dev_id, uint32_t s2_id,
		    uint32_t *viommu_id)
{
	struct iommu_viommu_alloc cmd = {
		.size = sizeof(cmd),
		.type = IOMMU_VIOMMU_TYPE_ARM_SMMUV3,
		.dev_id = dev_id,
		.hwpt_id = s2_id,
	};

	if (ioctl(iommufd, IOMMU_VIOMMU_ALLOC, &cmd))
		return -errno;
	*viommu_id = cmd.out_viommu_id;
	return 0;
}

int vmm_vdevice_alloc(int iommufd, uint32_t viommu_id, uint32_t dev_id,
		      uint64_t vsid, uint32_t *vdev_id)
{
	struct iommu_vdevice_alloc cmd = {
		.size = sizeof(cmd),
		.viommu_id = viommu_id,
		.dev_id = dev_id,
		.virt_id = vsid,
	};

	if (ioctl(iommufd, IOMMU_VDEVICE_ALLOC, &cmd))
		return -errno;
	*vdev_id = cmd.out_vdevice_id;
	return 0;
}

int vmm_nested_alloc(int iommufd, uint32_t dev_id, uint32_t viommu_id,
		     const uint64_t ste[2], uint32_t *hwpt_id)
{
	struct iommu_hwpt_arm_smmuv3 vste = {
		.ste = { htole64(ste[0]), htole64(ste[1]) },
	};
	struct iommu_hwpt_alloc cmd = {
		.size = sizeof(cmd),
		.dev_id = dev_id,
		.pt_id = viommu_id,
		.data_type = IOMMU_HWPT_DATA_ARM_SMMUV3,
		.data_len = sizeof(vste),
		.data_uptr = (uintptr_t)&vste,
	};

	if (ioctl(iommufd, IOMMU_HWPT_ALLOC, &cmd))
		return -errno;
	*hwpt_id = cmd.out_hwpt_id;
	return 0;
}

int vmm_vsmmu_invalidate(int iommufd, uint32_t viommu_id,
			 const uint64_t (*cmds)[2], uint32_t n, uint32_t *done)
{
	struct iommu_viommu_arm_smmuv3_invalidate inv[16];
	struct iommu_hwpt_invalidate cmd = {
		.size = sizeof(cmd),
		.hwpt_id = viommu_id,
		.data_uptr = (uintptr_t)inv,
		.data_type = IOMMU_VIOMMU_INVALIDATE_DATA_ARM_SMMUV3,
		.entry_len = sizeof(inv[0]),
		.entry_num = n,
	};
	uint32_t i;
	int ret;

	if (n > 16)
		return -EINVAL;
	for (i = 0; i < n; i++) {
		inv[i].cmd[0] = htole64(cmds[i][0]);
		inv[i].cmd[1] = htole64(cmds[i][1]);
	}
	ret = ioctl(iommufd, IOMMU_HWPT_INVALIDATE, &cmd) ? -errno : 0;
	*done = cmd.entry_num;
	return ret;
}

int vmm_destroy(int iommufd, uint32_t id)
{
	struct iommu_destroy cmd = { .size = sizeof(cmd), .id = id };

	return ioctl(iommufd, IOMMU_DESTROY, &cmd) ? -errno : 0;
}

int vmm_fdinfo_viommus(int iommufd, const char *prefix)
{
	char path[64], line[256], name[128];
	int total = 0, max = -1;
	unsigned int count;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", iommufd);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "viommus-max:\t%d", &max) == 1)
			continue;
		if (sscanf(line, "viommus:\t%127s %u", name, &count) == 2 &&
		    !strncmp(name, prefix, strlen(prefix)))
			total += count;
	}
	fclose(f);
	return max < 0 ? -1 : total;
}

int vmm_veventq_alloc(int iommufd, uint32_t viommu_id, uint32_t type,
		      uint32_t depth, uint32_t *veventq_id, int *veventq_fd)
{
	struct iommu_veventq_alloc cmd = {
		.size = sizeof(cmd),
		.viommu_id = viommu_id,
		.type = type,
		.veventq_depth = depth,
	};

	if (ioctl(iommufd, IOMMU_VEVENTQ_ALLOC, &cmd))
		return -errno;
	*veventq_id = cmd.out_veventq_id;
	*veventq_fd = cmd.out_veventq_fd;
	return 0;
}

int vmm_vsmmu_read_event(int veventq_fd, int timeout_ms,
			 struct vmm_vsmmu_event *ev)
{
	struct pollfd pfd = { .fd = veventq_fd, .events = POLLIN };
	ssize_t n;

	n = poll(&pfd, 1, timeout_ms);
	if (n <= 0)
		return n ? -errno : -ETIMEDOUT;
	n = read(veventq_fd, ev, sizeof(*ev));
	if (n < 0)
		return -errno;
	/* A lost-events marker is a header alone */
	return n == sizeof(*ev) || n == sizeof(ev->hdr) ? 0 : -EIO;
}

int kmsg_open(void)
{
	int fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK);

	if (fd >= 0 && lseek(fd, 0, SEEK_END) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

int kmsg_count(int fd, const char *needle)
{
	char rec[2048];
	int count = 0;
	ssize_t n;

	/* One record per read; EAGAIN once none is left */
	while ((n = read(fd, rec, sizeof(rec) - 1)) != 0) {
		if (n < 0) {
			if (errno == EPIPE)
				continue;
			break;
		}
		rec[n] = 0;
		if (strstr(rec, needle))
			count++;
	}
	return count;
}

int vmm_msi_enable(struct vmm_dev *d, int *efd)
{
	struct {
		struct vfio_irq_set set;
		int32_t fd;
	} irq = {
		.set = {
			.argsz = sizeof(irq),
			.flags = VFIO_IRQ_SET_DATA_EVENTFD |
				 VFIO_IRQ_SET_ACTION_TRIGGER,
			.index = VFIO_PCI_MSI_IRQ_INDEX,
			.count = 1,
		},
	};

	*efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (*efd < 0)
		return -errno;
	irq.fd = *efd;
	if (ioctl(d->vfio_fd, VFIO_DEVICE_SET_IRQS, &irq)) {
		int ret = -errno;

		close(*efd);
		*efd = -1;
		return ret;
	}
	return 0;
}

int vmm_msi_disable(struct vmm_dev *d, int efd)
{
	struct vfio_irq_set set = {
		.argsz = sizeof(set),
		.flags = VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_TRIGGER,
		.index = VFIO_PCI_MSI_IRQ_INDEX,
	};
	int ret = 0;

	if (ioctl(d->vfio_fd, VFIO_DEVICE_SET_IRQS, &set))
		ret = -errno;
	if (efd >= 0)
		close(efd);
	return ret;
}

int edu_irq(struct vmm_dev *d, int efd, int timeout_ms)
{
	struct pollfd pfd = { .fd = efd, .events = POLLIN };
	uint64_t count;
	uint32_t status;
	int ret;

	/* Nothing pending from before */
	while (read(efd, &count, sizeof(count)) == sizeof(count))
		;
	ret = vmm_bar0_write32(d, EDU_IRQ_RAISE, EDU_IRQ_TEST);
	if (ret)
		return ret;
	ret = poll(&pfd, 1, timeout_ms);
	if (ret < 0)
		ret = -errno;
	else if (ret == 0)
		ret = -ETIMEDOUT;
	else
		ret = read(efd, &count, sizeof(count)) == sizeof(count) ?
			      0 : -EIO;
	/* Acknowledge whatever edu holds, arrived or not */
	if (!vmm_bar0_read32(d, EDU_IRQ_STATUS, &status) && status)
		vmm_bar0_write32(d, EDU_IRQ_ACK, status);
	return ret;
}

int edu_dma(struct vmm_dev *d, uint64_t src, uint64_t dst, uint32_t len,
	    int to_ram)
{
	struct timespec tick = { .tv_nsec = 10 * 1000 * 1000 };
	uint32_t cmd = EDU_CMD_START | (to_ram ? EDU_CMD_TO_RAM : 0);
	uint32_t status;
	int i, ret;

	/* edu registers are 64 bit, but a 32-bit write sets the whole value. */
	if (src >> 32 || dst >> 32)
		return -EINVAL;
	ret = vmm_bar0_write32(d, EDU_DMA_SRC, src);
	ret = ret ?: vmm_bar0_write32(d, EDU_DMA_DST, dst);
	ret = ret ?: vmm_bar0_write32(d, EDU_DMA_COUNT, len);
	ret = ret ?: vmm_bar0_write32(d, EDU_DMA_CMD, cmd);
	if (ret)
		return ret;
	/* edu runs its DMA from a 100 ms timer; allow for a slow emulator. */
	for (i = 0; i < 3000; i++) {
		ret = vmm_bar0_read32(d, EDU_DMA_CMD, &status);
		if (ret)
			return ret;
		if (!(status & EDU_CMD_START))
			return 0;
		nanosleep(&tick, NULL);
	}
	return -ETIMEDOUT;
}

int edu_copy(struct vmm_dev *d, uint64_t src, uint64_t dst, uint32_t len)
{
	return edu_dma(d, src, EDU_BUF_ADDR, len, 0) ?:
	       edu_dma(d, EDU_BUF_ADDR, dst, len, 1);
}

/*
 * Whether firmware marks the root complex CANWBS: memory access flags bit 2
 * of the IORT's root complex node. With no IORT (a device tree boot) there
 * is no such promise.
 */
bool vmm_iort_rc_canwbs(void)
{
	uint8_t buf[4096];
	uint32_t n, count, off;
	ssize_t len;
	int fd;

	fd = open("/sys/firmware/acpi/tables/IORT", O_RDONLY);
	if (fd < 0)
		return false;
	len = read(fd, buf, sizeof(buf));
	close(fd);
	if (len < 48)
		return false;
	memcpy(&count, buf + 36, 4);
	memcpy(&off, buf + 40, 4);
	for (n = 0; n < count && off + 16 + 8 <= (size_t)len; n++) {
		uint16_t node_len;

		memcpy(&node_len, buf + off + 1, 2);
		/* Type 2: root complex; data after the 16-byte node header */
		if (buf[off] == 2)
			return buf[off + 16 + 7] & 0x4;
		if (!node_len)
			break;
		off += node_len;
	}
	return false;
}

static uint8_t pattern_byte(uint8_t seed, size_t i)
{
	return (uint8_t)(seed + i * 13 + (i >> 7));
}

void vmm_fill(uint8_t *p, size_t len, uint8_t seed)
{
	size_t i;

	for (i = 0; i < len; i++)
		p[i] = pattern_byte(seed, i);
}

bool vmm_holds(const uint8_t *p, size_t len, uint8_t seed)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (p[i] != pattern_byte(seed, i))
			return false;
	return true;
}
