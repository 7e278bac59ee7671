// SPDX-License-Identifier: GPL-2.0-only
/*
 * make bench, the part that runs in the test VM: what the trap path of a
 * virtual SMMU costs, next to its floor. Each figure is the time of one
 * ioctl (or one command in a batch) over many repetitions, printed as CSV
 * between markers for scripts/bench.sh:
 *
 *   figure,param,reps,median_ns,p10_ns,p90_ns
 *
 * The VM is emulated (TCG), so absolute times are slow and noisy; compare
 * figures with each other and with the floor, not with hardware. The
 * s2_pt_bytes rows carry bytes, not nanoseconds.
 */
#include <endian.h>
#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <time.h>
#include <unistd.h>

#include <linux/iommufd.h>

#include "iommufd_test.h"
#include "guest_s1.h"
#include "vmm.h"

#define MAX_BATCH 4096
#define MAX_REPS 2001

static const unsigned int batches[] = { 1, 8, 64, 512, 4096 };
static uint64_t samples[MAX_REPS];

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Print one figure: @per divides each sample (commands per call) */
static void report(const char *figure, unsigned int param, unsigned int reps,
		   unsigned int per)
{
	unsigned int i;

	for (i = 0; i < reps; i++)
		samples[i] /= per;
	qsort(samples, reps, sizeof(samples[0]), cmp_u64);
	printf("%s,%u,%u,%llu,%llu,%llu\n", figure, param, reps,
	       (unsigned long long)samples[reps / 2],
	       (unsigned long long)samples[reps / 10],
	       (unsigned long long)samples[reps * 9 / 10]);
	fflush(stdout);
}

/* Fewer repetitions for the big batches keep the run short under TCG */
static unsigned int reps_for(unsigned int batch)
{
	return batch >= 512 ? 31 : batch >= 64 ? 201 : 1001;
}

static int invalidate(int fd, uint32_t id, uint32_t type, void *entries,
		      uint32_t len, uint32_t num)
{
	struct iommu_hwpt_invalidate cmd = {
		.size = sizeof(cmd),
		.hwpt_id = id,
		.data_uptr = (uintptr_t)entries,
		.data_type = type,
		.entry_len = len,
		.entry_num = num,
	};

	return ioctl(fd, IOMMU_HWPT_INVALIDATE, &cmd) ? -errno : 0;
}

/* Time @reps calls of invalidate(); @per is the number of entries */
static int time_invalidate(const char *figure, int fd, uint32_t id,
			   uint32_t type, void *entries, uint32_t len,
			   uint32_t num)
{
	unsigned int reps = reps_for(num ?: 1), i;
	uint64_t t;
	int ret;

	for (i = 0; i < reps; i++) {
		t = now_ns();
		ret = invalidate(fd, id, type, entries, len, num);
		samples[i] = now_ns() - t;
		if (ret) {
			fprintf(stderr, "%s,%u: %s\n", figure, num,
				strerror(-ret));
			return ret;
		}
	}
	report(figure, num, reps, num ?: 1);
	return 0;
}

/* The floor: the cheapest iommufd ioctl there is */
static void bench_floor(int fd, const char *figure)
{
	struct iommu_destroy cmd = { .size = sizeof(cmd), .id = 0x7fffffff };
	unsigned int i, reps = 2001;
	uint64_t t;

	for (i = 0; i < reps; i++) {
		t = now_ns();
		ioctl(fd, IOMMU_DESTROY, &cmd);
		samples[i] = now_ns() - t;
	}
	report(figure, 0, reps, 1);
}

/* The mock driver: no hardware behind it, so this is our code alone */
static int bench_mock(void)
{
	struct iommu_viommu_invalidate_selftest *inv;
	struct iommu_test_cmd mock = {
		.size = sizeof(mock),
		.op = IOMMU_TEST_OP_MOCK_DOMAIN,
	};
	uint32_t ioas_id, s2_id, viommu_id, vdev_id;
	struct iommu_viommu_alloc va = {
		.size = sizeof(va),
		.type = IOMMU_VIOMMU_TYPE_SELFTEST,
	};
	unsigned int i;
	int fd, ret;

	fd = open("/dev/iommu", O_RDWR);
	if (fd < 0)
		return -errno;
	ret = vmm_ioas_alloc(fd, &ioas_id);
	mock.id = ioas_id;
	if (!ret && ioctl(fd, IOMMU_TEST_CMD, &mock))
		ret = -errno;
	ret = ret ?: vmm_nest_parent_alloc(fd, mock.mock_domain.out_idev_id,
					   ioas_id, &s2_id);
	va.dev_id = mock.mock_domain.out_idev_id;
	va.hwpt_id = s2_id;
	if (!ret && ioctl(fd, IOMMU_VIOMMU_ALLOC, &va))
		ret = -errno;
	viommu_id = va.out_viommu_id;
	ret = ret ?: vmm_vdevice_alloc(fd, viommu_id, va.dev_id, 0x10,
				       &vdev_id);
	if (ret) {
		fprintf(stderr, "mock set-up: %s\n", strerror(-ret));
		close(fd);
		return ret;
	}

	bench_floor(fd, "floor_destroy_enoent");
	inv = calloc(MAX_BATCH, sizeof(*inv));
	for (i = 0; i < MAX_BATCH; i++)
		inv[i].vdev_id = 0x10;
	ret = time_invalidate("mock_empty_batch", fd, viommu_id,
			      IOMMU_VIOMMU_INVALIDATE_DATA_SELFTEST, inv,
			      sizeof(*inv), 0);
	for (i = 0; !ret && i < sizeof(batches) / sizeof(batches[0]); i++)
		ret = time_invalidate("mock_invalidate_per_cmd", fd, viommu_id,
				      IOMMU_VIOMMU_INVALIDATE_DATA_SELFTEST,
				      inv, sizeof(*inv), batches[i]);
	free(inv);
	close(fd);
	return ret;
}

/*
 * vSMMUs on one SMMU until its VMID space runs out (ENOSPC), then all
 * destroyed, then as many again: every freed VMID must be usable again.
 * Reported per vSMMU.
 */
static int bench_vmids(int iommufd, uint32_t dev_id, uint32_t s2_id)
{
	const unsigned int max = 1 << 16;
	unsigned int n[2] = {}, round, i;
	uint32_t *ids;
	uint64_t t;
	int ret = 0;

	ids = calloc(max, sizeof(*ids));
	if (!ids)
		return -ENOMEM;
	for (round = 0; round < 2; round++) {
		t = now_ns();
		while (n[round] < max) {
			ret = vmm_vsmmu_alloc(iommufd, dev_id, s2_id,
					      &ids[n[round]]);
			if (ret)
				break;
			n[round]++;
		}
		samples[0] = now_ns() - t;
		if (ret != -ENOSPC || !n[round]) {
			fprintf(stderr, "vSMMU %u: %s, not ENOSPC\n", n[round],
				strerror(-ret));
			ret = ret ?: -EIO;
			break;
		}
		report(round ? "vsmmu_alloc_again" : "vsmmu_alloc_until_enospc",
		       n[round], 1, n[round]);
		t = now_ns();
		for (i = 0, ret = 0; !ret && i < n[round]; i++)
			ret = vmm_destroy(iommufd, ids[i]);
		samples[0] = now_ns() - t;
		if (ret)
			break;
		report("vsmmu_destroy", n[round], 1, n[round]);
	}
	free(ids);
	if (!ret && n[0] != n[1]) {
		fprintf(stderr, "VMIDs: %u the first time, %u the second\n",
			n[0], n[1]);
		ret = -EIO;
	}
	return ret;
}

/* A scattered 32-bit vSID per index: an odd multiplier is a bijection */
static uint32_t scale_vsid(unsigned int i)
{
	return i * 0x9e3779b1u;
}

/* A mock device bound to @fd and attached to @pt_id; returns its idev */
static int mock_dev_add(int fd, uint32_t pt_id, uint32_t *idev_id)
{
	struct iommu_test_cmd mock = {
		.size = sizeof(mock),
		.op = IOMMU_TEST_OP_MOCK_DOMAIN,
		.id = pt_id,
	};

	if (ioctl(fd, IOMMU_TEST_CMD, &mock))
		return -errno;
	*idev_id = mock.mock_domain.out_idev_id;
	return 0;
}

/*
 * The figures of one vIOMMU holding @n vDEVICEs: allocating and destroying
 * one more (on @spare_idev), looking one up through the test op, and the
 * per-entry cost of an invalidation batch whose entries name vSIDs picked
 * at random among the @n.
 */
static int bench_vdevs_at(int fd, uint32_t viommu_id, uint32_t spare_idev,
			  unsigned int n, struct iommu_viommu_invalidate_selftest *inv)
{
	unsigned int reps = 201, i;
	uint64_t destroy[201], t;
	uint32_t vdev_id;
	int ret = 0;

	for (i = 0; !ret && i < reps; i++) {
		t = now_ns();
		ret = vmm_vdevice_alloc(fd, viommu_id, spare_idev, 0xfffffffe,
					&vdev_id);
		samples[i] = now_ns() - t;
		if (ret)
			break;
		t = now_ns();
		ret = vmm_destroy(fd, vdev_id);
		destroy[i] = now_ns() - t;
	}
	if (ret) {
		fprintf(stderr, "vDEVICE at %u: %s\n", n, strerror(-ret));
		return ret;
	}
	report("vdev_alloc", n, reps, 1);
	memcpy(samples, destroy, sizeof(destroy));
	report("vdev_destroy", n, reps, 1);

	reps = 1001;
	for (i = 0; i < reps; i++) {
		struct iommu_test_cmd find = {
			.size = sizeof(find),
			.op = IOMMU_TEST_OP_VIOMMU_FIND_VDEV,
			.id = viommu_id,
			.find_vdev.virt_id = scale_vsid(rand() % n),
		};

		t = now_ns();
		if (ioctl(fd, IOMMU_TEST_CMD, &find))
			ret = -errno;
		samples[i] = now_ns() - t;
		if (ret) {
			fprintf(stderr, "lookup at %u: %s\n", n, strerror(-ret));
			return ret;
		}
	}
	report("vdev_lookup_ioctl", n, reps, 1);

	/* Each entry of a full batch makes the mock driver look one up */
	for (i = 0; i < MAX_BATCH; i++)
		inv[i].vdev_id = scale_vsid(rand() % n);
	reps = reps_for(MAX_BATCH);
	for (i = 0; !ret && i < reps; i++) {
		t = now_ns();
		ret = invalidate(fd, viommu_id,
				 IOMMU_VIOMMU_INVALIDATE_DATA_SELFTEST, inv,
				 sizeof(*inv), MAX_BATCH);
		samples[i] = now_ns() - t;
	}
	if (ret) {
		fprintf(stderr, "lookups at %u: %s\n", n, strerror(-ret));
		return ret;
	}
	report("vdev_lookup_per_entry", n, reps, MAX_BATCH);
	return 0;
}

/*
 * Scale: one mock vIOMMU filled with 1, 1k and 64k vDEVICEs, one mock
 * device each. vSIDs are scattered over 32 bits, the xarray's deepest
 * shape. Growing the population is reported per vDEVICE as well.
 */
static int bench_vdevs(void)
{
	static const unsigned int steps[] = { 1, 1024, 65536 };
	struct iommu_viommu_invalidate_selftest *inv;
	struct iommu_viommu_alloc va = {
		.size = sizeof(va),
		.type = IOMMU_VIOMMU_TYPE_SELFTEST,
	};
	uint32_t ioas_id, s2_id, idev_id, spare = 0, vdev_id;
	unsigned int n = 0, s;
	uint64_t t, t_dev = 0;
	int fd, ret;

	fd = open("/dev/iommu", O_RDWR);
	if (fd < 0)
		return -errno;
	inv = calloc(MAX_BATCH, sizeof(*inv));
	ret = inv ? vmm_ioas_alloc(fd, &ioas_id) : -ENOMEM;
	ret = ret ?: mock_dev_add(fd, ioas_id, &spare);
	ret = ret ?: vmm_nest_parent_alloc(fd, spare, ioas_id, &s2_id);
	va.dev_id = spare;
	va.hwpt_id = s2_id;
	if (!ret && ioctl(fd, IOMMU_VIOMMU_ALLOC, &va))
		ret = -errno;
	for (s = 0; !ret && s < sizeof(steps) / sizeof(steps[0]); s++) {
		uint64_t t_vdev = 0;
		unsigned int from = n;

		for (; !ret && n < steps[s]; n++) {
			t = now_ns();
			ret = mock_dev_add(fd, s2_id, &idev_id);
			t_dev += now_ns() - t;
			if (ret)
				break;
			t = now_ns();
			ret = vmm_vdevice_alloc(fd, va.out_viommu_id, idev_id,
						scale_vsid(n), &vdev_id);
			t_vdev += now_ns() - t;
		}
		if (ret)
			break;
		samples[0] = t_vdev;
		report("vdev_fill", n, 1, n - from);
		ret = bench_vdevs_at(fd, va.out_viommu_id, spare, n, inv);
		fprintf(stderr, "bench: %u vDEVICEs\n", n);
	}
	if (ret) {
		fprintf(stderr, "vDEVICE scale at %u: %s\n", n, strerror(-ret));
	} else {
		samples[0] = t_dev;
		report("mock_dev_add", n, 1, n);
		/* Closing tears down every vDEVICE and device: also timed */
		t = now_ns();
		close(fd);
		samples[0] = now_ns() - t;
		report("vdev_close_all", n, 1, n);
		fd = -1;
	}
	if (fd >= 0)
		close(fd);
	free(inv);
	return ret;
}

/* The emulated SMMUv3: every batch ends in a CMD_SYNC the emulator runs */
/*
 * Pages the IOMMU drivers hold for their page tables, from /proc/vmstat,
 * once the per-CPU counts are folded into it (vm.stat_refresh)
 */
static long iommu_pages(void)
{
	char name[64];
	long val = -1, v;
	FILE *f;
	int fd;

	fd = open("/proc/sys/vm/stat_refresh", O_WRONLY);
	if (fd < 0 || write(fd, "1", 1) != 1) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	close(fd);
	f = fopen("/proc/vmstat", "r");
	if (!f)
		return -1;
	while (fscanf(f, "%63s %ld", name, &v) == 2)
		if (!strcmp(name, "nr_iommu_pages"))
			val = v;
	fclose(f);
	return val;
}

#define SHARE_LEN	(16UL << 20)	/* one IOAS map: 4096 pages of 4K */
#define SHARE_IOVA	0x80000000ULL
#define SHARE_REPS	7
#define SHARE_MAX	8
#define IRQSOFF_REPS	15

#define TRACEFS "/sys/kernel/tracing"

static int tracefs_write(const char *file, const char *val)
{
	char path[128];
	int fd, ret = 0;

	snprintf(path, sizeof(path), TRACEFS "/%s", file);
	fd = open(path, O_WRONLY | O_TRUNC);
	if (fd < 0)
		return -errno;
	if (write(fd, val, strlen(val)) != (ssize_t)strlen(val))
		ret = -errno ?: -EIO;
	close(fd);
	return ret;
}

/*
 * The longest stretch with interrupts off in this task while it runs an
 * operation (here an unmap, with every invalidation it sends), from the
 * kernel's irq_disable and irq_enable events, recorded for this task only:
 * a stretch runs from a CPU's first disable to the enable. Stretches that
 * begin at an exception entry are the handling of an interrupt that came
 * while interrupts were on, not the operation's, and do not count.
 */
static int irqsoff_start(void)
{
	char pid[16];
	int ret;

	if (access(TRACEFS "/trace", F_OK) &&
	    mount("tracefs", TRACEFS, "tracefs", 0, NULL))
		return -errno;
	snprintf(pid, sizeof(pid), "%d", getpid());
	ret = tracefs_write("tracing_on", "0");
	ret = ret ?: tracefs_write("buffer_size_kb", "8192");
	ret = ret ?: tracefs_write("trace", "");
	ret = ret ?: tracefs_write("set_event_pid", pid);
	ret = ret ?: tracefs_write("events/preemptirq/irq_disable/enable", "1");
	ret = ret ?: tracefs_write("events/preemptirq/irq_enable/enable", "1");
	return ret ?: tracefs_write("tracing_on", "1");
}

#define IRQSOFF_CPUS 64

/* The longest stretch since irqsoff_start(), in ns; -1 if unknown */
static int64_t irqsoff_stop(void)
{
	double since[IRQSOFF_CPUS] = {}, longest = 0;
	bool counts[IRQSOFF_CPUS] = {}, lost = false;
	unsigned long in_buf, written;
	char line[512];
	FILE *f;

	tracefs_write("tracing_on", "0");
	tracefs_write("events/preemptirq/irq_disable/enable", "0");
	tracefs_write("events/preemptirq/irq_enable/enable", "0");
	tracefs_write("set_event_pid", "");
	f = fopen(TRACEFS "/trace", "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		char *cpu_at = strchr(line, '['), *ev;
		unsigned int cpu;
		double ts;

		if (sscanf(line, "# entries-in-buffer/entries-written: %lu/%lu",
			   &in_buf, &written) == 2)
			lost = in_buf != written;
		if (line[0] == '#' || !cpu_at ||
		    sscanf(cpu_at, "[%u] %*s %lf:", &cpu, &ts) != 2 ||
		    cpu >= IRQSOFF_CPUS)
			continue;
		if ((ev = strstr(line, " irq_disable: "))) {
			since[cpu] = ts;
			counts[cpu] = !strstr(ev, "enter_from_");
		} else if (strstr(line, " irq_enable: ") && since[cpu] > 0) {
			if (counts[cpu] && ts - since[cpu] > longest)
				longest = ts - since[cpu];
			since[cpu] = 0;
		}
	}
	fclose(f);
	tracefs_write("trace", "");
	if (lost)
		return -1;
	return (int64_t)(longest * 1e9);
}

static const unsigned int share_smmus[] = { 1, 2, 4, 8 };

/*
 * One set-up of @n SMMUs: @shared, one nesting parent with @n vSMMUs on it;
 * otherwise @n nesting parents on the IOAS, one vSMMU on each, which is what
 * a VMM keeps when the SMMUs cannot share one. Each map and unmap of the
 * IOAS is timed; the page-table memory is what the first map allocated.
 */
static int bench_s2_share_one(int iommufd, uint32_t dev_id, void *buf,
			      unsigned int n, bool shared)
{
	uint64_t map_ns[SHARE_REPS], unmap_ns[SHARE_REPS], t;
	uint64_t irqsoff_ns[IRQSOFF_REPS];
	unsigned int irqsoff_n = 0;
	uint32_t ioas_id, s2_id[SHARE_MAX], viommu_id[SHARE_MAX];
	unsigned int nr_s2 = shared ? 1 : n, i, made_s2 = 0, made_v = 0;
	const char *how = shared ? "shared" : "per_smmu";
	long before = 0, pages = -1;
	char figure[64];
	int ret;

	ret = vmm_ioas_alloc(iommufd, &ioas_id);
	for (; !ret && made_s2 < nr_s2; made_s2++)
		ret = vmm_nest_parent_alloc(iommufd, dev_id, ioas_id,
					    &s2_id[made_s2]);
	for (; !ret && made_v < n; made_v++)
		ret = vmm_vsmmu_alloc(iommufd, dev_id,
				      s2_id[shared ? 0 : made_v],
				      &viommu_id[made_v]);
	for (i = 0; !ret && i < SHARE_REPS; i++) {
		if (!i)
			before = iommu_pages();
		t = now_ns();
		ret = vmm_ioas_map_fixed(iommufd, ioas_id, buf, SHARE_LEN,
					 SHARE_IOVA);
		map_ns[i] = now_ns() - t;
		if (!i) {
			pages = iommu_pages();
			pages = pages < 0 || before < 0 ? -1 : pages - before;
		}
		t = now_ns();
		ret = ret ?: vmm_ioas_unmap(iommufd, ioas_id, SHARE_IOVA,
					    SHARE_LEN);
		unmap_ns[i] = now_ns() - t;
	}
	/*
	 * Apart from the timed ones, as the tracer slows every change of the
	 * interrupt mask: the longest stretch with interrupts off during an
	 * unmap, which invalidates every user of the stage-2
	 */
	for (i = 0; !ret && i < IRQSOFF_REPS; i++) {
		int64_t ns;

		ret = vmm_ioas_map_fixed(iommufd, ioas_id, buf, SHARE_LEN,
					 SHARE_IOVA);
		if (ret)
			break;
		if (irqsoff_start()) {
			ret = vmm_ioas_unmap(iommufd, ioas_id, SHARE_IOVA,
					     SHARE_LEN);
			break;
		}
		ret = vmm_ioas_unmap(iommufd, ioas_id, SHARE_IOVA, SHARE_LEN);
		ns = irqsoff_stop();
		if (ns >= 0)
			irqsoff_ns[irqsoff_n++] = ns;
	}
	if (!ret) {
		memcpy(samples, map_ns, sizeof(map_ns));
		snprintf(figure, sizeof(figure), "s2_map_per_page_%s", how);
		report(figure, n, SHARE_REPS, SHARE_LEN / 4096);
		memcpy(samples, unmap_ns, sizeof(unmap_ns));
		snprintf(figure, sizeof(figure), "s2_unmap_per_page_%s", how);
		report(figure, n, SHARE_REPS, SHARE_LEN / 4096);
		/* Bytes, in the time columns of a one-sample row */
		samples[0] = pages < 0 ? 0 : (uint64_t)pages * 4096;
		snprintf(figure, sizeof(figure), "s2_pt_bytes_%s", how);
		report(figure, n, 1, 1);
		if (irqsoff_n) {
			memcpy(samples, irqsoff_ns,
			       irqsoff_n * sizeof(irqsoff_ns[0]));
			snprintf(figure, sizeof(figure),
				 "s2_unmap_irqsoff_max_%s", how);
			report(figure, n, irqsoff_n, 1);
		}
	}
	while (made_v)
		vmm_destroy(iommufd, viommu_id[--made_v]);
	while (made_s2)
		vmm_destroy(iommufd, s2_id[--made_s2]);
	vmm_destroy(iommufd, ioas_id);
	if (ret)
		fprintf(stderr, "s2 %s, %u SMMUs: %s\n", how, n, strerror(-ret));
	return ret;
}

/*
 * What one stage-2 for the whole VM saves against one per SMMU, for 1 to 8
 * SMMUs. The VM has one emulated SMMU, so each of the N SMMUs is stood for
 * by a vSMMU of its own (a VMID every unmap invalidates) and, when not
 * shared, by a nesting parent of its own (a page table every map and unmap
 * fills and clears).
 */
static int bench_s2_share(int iommufd, uint32_t dev_id)
{
	unsigned int i;
	void *buf;
	int ret = 0;

	buf = mmap(NULL, SHARE_LEN, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (buf == MAP_FAILED)
		return -errno;
	/* 4K pages, as guest memory often is: no block mappings */
	madvise(buf, SHARE_LEN, MADV_NOHUGEPAGE);
	memset(buf, 0x5a, SHARE_LEN);
	for (i = 0; !ret && i < sizeof(share_smmus) / sizeof(share_smmus[0]); i++) {
		ret = bench_s2_share_one(iommufd, dev_id, buf, share_smmus[i],
					 true);
		ret = ret ?: bench_s2_share_one(iommufd, dev_id, buf,
						share_smmus[i], false);
	}
	munmap(buf, SHARE_LEN);
	return ret;
}

/* A vSMMU with the edu device as vSID 0x42, attached to a nested domain */
struct smmu_bench {
	struct vmm_dev dev;
	int iommufd;
	uint32_t ioas_id, s2_id, viommu_id, vdev_id, nested_id;
	uint64_t ste[2];
	uint8_t *gmem;
};

static int smmu_bench_setup(struct smmu_bench *sb)
{
	int ret;

	memset(sb, 0, sizeof(*sb));
	sb->dev.vfio_fd = -1;
	sb->iommufd = -1;
	ret = vmm_open_edu(&sb->dev, &sb->iommufd, &sb->ioas_id);
	if (ret)
		return ret;
	sb->gmem = mmap(NULL, GUEST_MEM_SIZE, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (sb->gmem == MAP_FAILED) {
		sb->gmem = NULL;
		return -errno;
	}
	memset(sb->gmem, 0, GUEST_MEM_SIZE);
	guest_build_stage1(sb->gmem);
	guest_ste_s1(sb->ste);
	ret = vmm_ioas_map_fixed(sb->iommufd, sb->ioas_id, sb->gmem,
				 GUEST_MEM_SIZE, GUEST_GPA);
	ret = ret ?: vmm_nest_parent_alloc(sb->iommufd, sb->dev.dev_id,
					   sb->ioas_id, &sb->s2_id);
	ret = ret ?: vmm_vsmmu_alloc(sb->iommufd, sb->dev.dev_id, sb->s2_id,
				     &sb->viommu_id);
	ret = ret ?: vmm_vdevice_alloc(sb->iommufd, sb->viommu_id,
				       sb->dev.dev_id, 0x42, &sb->vdev_id);
	ret = ret ?: vmm_nested_alloc(sb->iommufd, sb->dev.dev_id,
				      sb->viommu_id, sb->ste, &sb->nested_id);
	ret = ret ?: vmm_attach(&sb->dev, sb->nested_id);
	if (ret)
		fprintf(stderr, "smmu set-up: %s\n", strerror(-ret));
	return ret;
}

/* Detach and destroy the nested objects; the stage-2 and the device stay */
static int smmu_bench_unnest(struct smmu_bench *sb)
{
	int ret;

	ret = vmm_attach(&sb->dev, sb->ioas_id);
	ret = ret ?: vmm_destroy(sb->iommufd, sb->nested_id);
	ret = ret ?: vmm_destroy(sb->iommufd, sb->vdev_id);
	ret = ret ?: vmm_destroy(sb->iommufd, sb->viommu_id);
	return ret;
}

static void smmu_bench_close(struct smmu_bench *sb)
{
	vmm_close(&sb->dev);
	if (sb->iommufd >= 0)
		close(sb->iommufd);
	if (sb->gmem)
		munmap(sb->gmem, GUEST_MEM_SIZE);
}

/* Fill @n forwarded commands: one-page TLBI_NH_VAs, or CFGI_CD_ALLs of 0x42 */
static void smmu_bench_cmds(struct iommu_viommu_arm_smmuv3_invalidate *cmds,
			    unsigned int n, bool cfgi)
{
	uint64_t cmd[2];
	unsigned int i;

	for (i = 0; i < n; i++) {
		if (cfgi) {
			cmd[0] = GCMD_CFGI_CD_ALL | (0x42ULL << 32);
			cmd[1] = 0;
		} else {
			guest_cmd_tlbi_va(cmd, GUEST_VA_SRC +
					       (uint64_t)(i % 64) * 4096);
		}
		cmds[i].cmd[0] = htole64(cmd[0]);
		cmds[i].cmd[1] = htole64(cmd[1]);
	}
}

/*
 * The vSMMU figures; with @full false only the floor and the forwarded
 * invalidations, which any kernel with a vSMMU can run (make bench-compare)
 */
static int bench_smmu(bool full)
{
	struct iommu_viommu_arm_smmuv3_invalidate *cmds;
	unsigned int i, b, reps = 51;
	struct smmu_bench sb;
	int ret, fd;
	uint64_t t;

	ret = smmu_bench_setup(&sb);
	if (ret)
		goto out;
	fd = sb.iommufd;

	/* This boot's floor, for figures compared across kernels */
	bench_floor(fd, "smmu_floor_destroy_enoent");
	cmds = calloc(MAX_BATCH, sizeof(*cmds));
	/*
	 * What the kernel answers an empty batch, as the parameter: upstream
	 * refuses it (EINVAL), this series takes it as a probe
	 */
	ret = time_invalidate("smmu_empty_batch", fd, sb.viommu_id,
			      IOMMU_VIOMMU_INVALIDATE_DATA_ARM_SMMUV3, cmds,
			      sizeof(*cmds), 0);
	printf("smmu_empty_batch_errno,%d,1,0,0,0\n", -ret);
	ret = 0;
	/* TLB invalidation by VA, one page each */
	smmu_bench_cmds(cmds, MAX_BATCH, false);
	for (b = 0; !ret && b < sizeof(batches) / sizeof(batches[0]); b++)
		ret = time_invalidate("smmu_tlbi_va_per_cmd", fd,
				      sb.viommu_id,
				      IOMMU_VIOMMU_INVALIDATE_DATA_ARM_SMMUV3,
				      cmds, sizeof(*cmds), batches[b]);
	/* CD invalidation of the device's vSID */
	smmu_bench_cmds(cmds, MAX_BATCH, true);
	for (b = 0; !ret && b < sizeof(batches) / sizeof(batches[0]); b++)
		ret = time_invalidate("smmu_cfgi_cd_per_cmd", fd,
				      sb.viommu_id,
				      IOMMU_VIOMMU_INVALIDATE_DATA_ARM_SMMUV3,
				      cmds, sizeof(*cmds), batches[b]);
	free(cmds);
	ret = ret ?: smmu_bench_unnest(&sb);

	/* The whole nested set-up for one device, built and torn down */
	for (i = 0; full && !ret && i < reps; i++) {
		t = now_ns();
		ret = vmm_vsmmu_alloc(fd, sb.dev.dev_id, sb.s2_id,
				      &sb.viommu_id);
		ret = ret ?: vmm_vdevice_alloc(fd, sb.viommu_id, sb.dev.dev_id,
					       0x42, &sb.vdev_id);
		ret = ret ?: vmm_nested_alloc(fd, sb.dev.dev_id, sb.viommu_id,
					      sb.ste, &sb.nested_id);
		ret = ret ?: vmm_attach(&sb.dev, sb.nested_id);
		ret = ret ?: smmu_bench_unnest(&sb);
		samples[i] = now_ns() - t;
	}
	if (full && !ret)
		report("smmu_nested_lifecycle", 1, reps, 1);
	if (full)
		ret = ret ?: bench_vmids(fd, sb.dev.dev_id, sb.s2_id);
out:
	smmu_bench_close(&sb);
	return ret;
}

/*
 * vsmmu.bench=profile: one forwarded figure in a loop, between console
 * markers at which make bench-profile turns the host's profiler on and off.
 * vsmmu.profile=KIND,BATCH,SECONDS, KIND tlbi_va or cfgi_cd_all.
 */
static int bench_profile(const char *spec)
{
	struct iommu_viommu_arm_smmuv3_invalidate *cmds;
	unsigned int batch = 0, seconds = 0, calls = 0;
	uint64_t start, end, t;
	char kind[32] = "";
	struct smmu_bench sb;
	int ret;

	if (sscanf(spec, "%31[a-z_],%u,%u", kind, &batch, &seconds) != 3 ||
	    (strcmp(kind, "tlbi_va") && strcmp(kind, "cfgi_cd_all")) ||
	    !batch || batch > MAX_BATCH || !seconds) {
		fprintf(stderr, "vsmmu.profile=%s: want KIND,BATCH,SECONDS\n",
			spec);
		return -EINVAL;
	}
	ret = smmu_bench_setup(&sb);
	cmds = calloc(batch, sizeof(*cmds));
	if (!ret && !cmds)
		ret = -ENOMEM;
	if (ret)
		goto out;
	smmu_bench_cmds(cmds, batch, !strcmp(kind, "cfgi_cd_all"));
	printf("@@vsmmu profile-on %s\n", spec);
	fflush(stdout);
	/* Give the host's profiler a moment to see the marker */
	usleep(100000);
	start = now_ns();
	end = start + seconds * 1000000000ULL;
	do {
		ret = invalidate(sb.iommufd, sb.viommu_id,
				 IOMMU_VIOMMU_INVALIDATE_DATA_ARM_SMMUV3, cmds,
				 sizeof(*cmds), batch);
		calls++;
		t = now_ns();
	} while (!ret && t < end);
	printf("@@vsmmu profile-off %s calls=%u ns_per_call=%llu\n", spec,
	       calls, (unsigned long long)((t - start) / calls));
	fflush(stdout);
	if (ret)
		fprintf(stderr, "profile %s: %s\n", spec, strerror(-ret));
	ret = ret ?: smmu_bench_unnest(&sb);
out:
	free(cmds);
	smmu_bench_close(&sb);
	return ret;
}

/* The shared stage-2 figures, on the edu device behind the SMMU */
static int bench_share(void)
{
	struct vmm_dev dev = { .vfio_fd = -1 };
	uint32_t ioas_id;
	int iommufd, ret;

	ret = vmm_open_edu(&dev, &iommufd, &ioas_id);
	ret = ret ?: bench_s2_share(iommufd, dev.dev_id);
	vmm_close(&dev);
	if (iommufd >= 0)
		close(iommufd);
	return ret;
}

/* The value of vsmmu.NAME= on the kernel command line, or @def */
static void cmdline_param(const char *name, char *val, size_t len,
			  const char *def)
{
	char cmdline[4096], key[64], fmt[32];
	const char *p;
	FILE *f;

	snprintf(val, len, "%s", def);
	snprintf(key, sizeof(key), "vsmmu.%s=", name);
	snprintf(fmt, sizeof(fmt), "%%%zu[^ \n]", len - 1);
	f = fopen("/proc/cmdline", "r");
	if (!f)
		return;
	if (fgets(cmdline, sizeof(cmdline), f)) {
		p = strstr(cmdline, key);
		if (p)
			sscanf(p + strlen(key), fmt, val);
	}
	fclose(f);
}

/*
 * Whether the kernel command line's vsmmu.bench=PARTS asks for @part:
 * "all", or a comma list of mock, smmu, share and vdevs, or forward (the
 * part of smmu that make bench-compare runs on both kernels), or profile
 * (make bench-profile, never part of "all")
 */
static bool want(const char *part)
{
	char list[256], *tok, *save;

	cmdline_param("bench", list, sizeof(list), "all");
	for (tok = strtok_r(list, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save))
		if ((!strcmp(tok, "all") && strcmp(part, "profile")) ||
		    !strcmp(tok, part))
			return true;
	return false;
}

int main(void)
{
	int ret = 0;

	printf("@@vsmmu bench-begin\n");
	printf("figure,param,reps,median_ns,p10_ns,p90_ns\n");
	if (want("mock"))
		ret = bench_mock();
	if (!ret && (want("smmu") || want("forward")))
		ret = bench_smmu(want("smmu"));
	if (!ret && want("share"))
		ret = bench_share();
	if (!ret && want("vdevs"))
		ret = bench_vdevs();
	if (!ret && want("profile")) {
		char spec[64];

		cmdline_param("profile", spec, sizeof(spec), "tlbi_va,1,20");
		ret = bench_profile(spec);
	}
	printf("@@vsmmu bench-end\n");
	if (ret)
		printf("BENCH FAILED: %s\n", strerror(-ret));
	return ret ? 1 : 0;
}
