// SPDX-License-Identifier: GPL-2.0-only
/*
 * Concurrent stress of the vIOMMU objects, the way a VMM's threads use them:
 * guest invalidations forwarded while vDEVICEs come and go, devices move
 * between nested HWPTs and the stage-2, vEVENTQs are read and closed, the
 * vIOMMU is torn down (EBUSY while anything holds it) and built again, and
 * devices are unbound with their objects still alive. Once on the mock
 * driver (four devices) and once on the emulated SMMUv3 (the edu device),
 * with the debug kernel's KASAN, lockdep and kmemleak watching.
 *
 * Every call must succeed or fail with an errno the ABI allows for what a
 * racing thread can have done, a forwarded batch must report exactly how
 * far it got, and at the end every object must go in the documented order
 * and the context must hold no vIOMMU (its fdinfo).
 *
 * Bounded and seeded: vsmmu.stress=SEED,SECONDS,ITERATIONS,VMIDS on the
 * kernel command line (default 1,12,20000,0: per part and per thread),
 * printed with the results so that a failure's choices replay; the
 * interleaving is the scheduler's. With VMIDS 1 the SMMU part also checks
 * that every VMID is back: as many vSMMUs fit after the run as before it
 * (all 65535 of the emulated SMMU, minutes on the debug kernel).
 */
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <linux/iommufd.h>

#include "kselftest_harness.h"
#include "iommufd_test.h"
#include "guest_s1.h"
#include "vmm.h"

#define NDEV		4	/* mock devices; the SMMU part has one */
#define VSID_BASE	0x100	/* the vDEVICE of slot s has virtual ID 0x100 + s */
#define MAX_BAD		20	/* unexpected results printed */

static unsigned int seed = 1, seconds = 12, iterations = 20000, vmids;

struct world {
	int fd;
	bool smmu;
	uint32_t ioas_id, s2_id;
	/* The vIOMMU the threads use; the churn thread replaces it */
	_Atomic uint32_t viommu_id;
	/* Each slot's device; the unplug thread replaces them */
	_Atomic uint32_t stdev_id[NDEV], idev_id[NDEV];
	unsigned int ndev;
	/* SMMU: the edu device; its fd changes only under dev_lock (write) */
	struct vmm_dev dev;
	pthread_rwlock_t dev_lock;
	/*
	 * A thread that replaces the vIOMMU or a device raises busy and
	 * bumps seq before and after: a call that overlaps a replacement may
	 * have used an ID that is gone, or taken again by another object
	 */
	atomic_ulong seq, busy;
	uint64_t deadline;
	/* Results */
	atomic_ulong calls, bad, viommus_made, unplugs, events;
};

struct thread {
	struct world *w;
	unsigned int rnd;
	const char *name;
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static unsigned int rnd(struct thread *t, unsigned int n)
{
	return rand_r(&t->rnd) % n;
}

static bool go_on(struct thread *t, unsigned int i)
{
	return i < iterations && now_ns() < t->w->deadline;
}

struct ids_snap {
	unsigned long seq;
	bool quiet;
};

static void ids_begin(struct world *w, struct ids_snap *snap)
{
	snap->seq = w->seq;
	snap->quiet = !w->busy;
}

/* Whether no ID was replaced since ids_begin() */
static bool ids_stable(struct world *w, const struct ids_snap *snap)
{
	return snap->quiet && w->seq == snap->seq;
}

static void ids_change(struct world *w, bool start)
{
	if (start)
		w->busy++;
	w->seq++;
	if (!start)
		w->busy--;
}

/*
 * Count a call's result @ret (0 or -errno) and check it against the
 * allowed errnos, a list that ends in 0 (success is always allowed). With
 * @stale, the call may have named an object that is gone or an ID that
 * another kind of object has taken since: the errnos of a wrong ID are
 * allowed too.
 */
static int check_ret(struct thread *t, const char *op, bool stale, int ret,
		     ...)
{
	va_list ap;
	int ok;

	t->w->calls++;
	if (!ret)
		return 0;
	if (stale && (ret == -ENOENT || ret == -EINVAL || ret == -EOPNOTSUPP))
		return ret;
	va_start(ap, ret);
	while ((ok = va_arg(ap, int)))
		if (-ret == ok)
			break;
	va_end(ap);
	if (!ok && atomic_fetch_add(&t->w->bad, 1) < MAX_BAD)
		fprintf(stderr, "# %s: %s: %s (%d) is not allowed here\n",
			t->name, op, strerror(-ret), ret);
	return ret;
}

#define check(t, op, ret, ...) check_ret(t, op, false, ret, ##__VA_ARGS__, 0)
/* A call that used the vIOMMU's or a device's ID, read at @snap */
#define check_ids(t, snap, op, ret, ...)                                 \
	check_ret(t, op, !ids_stable((t)->w, snap), ret, ##__VA_ARGS__, 0)

static int ioctl_ret(int fd, unsigned long req, void *arg)
{
	return ioctl(fd, req, arg) ? -errno : 0;
}

/* IOMMU_DESTROY of an object whose last holders are going away */
static int destroy_busy(struct thread *t, const char *op, uint32_t id,
			bool tombstone)
{
	int ret, i;

	for (i = 0; i < 1000; i++) {
		ret = vmm_destroy(t->w->fd, id);
		if (ret != -EBUSY)
			break;
		usleep(100);
	}
	return tombstone ? check(t, op, ret, ENOENT) : check(t, op, ret);
}

/* --- the mock driver's calls --- */

static int mock_device_add(int fd, uint32_t ioas_id, uint32_t *stdev_id,
			   uint32_t *idev_id)
{
	struct iommu_test_cmd cmd = {
		.size = sizeof(cmd),
		.op = IOMMU_TEST_OP_MOCK_DOMAIN,
		.id = ioas_id,
	};
	int ret;

	ret = ioctl_ret(fd, IOMMU_TEST_CMD, &cmd);
	if (!ret) {
		*stdev_id = cmd.mock_domain.out_stdev_id;
		*idev_id = cmd.mock_domain.out_idev_id;
	}
	return ret;
}

static int mock_replace(int fd, uint32_t stdev_id, uint32_t pt_id)
{
	struct iommu_test_cmd cmd = {
		.size = sizeof(cmd),
		.op = IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE,
		.id = stdev_id,
		.mock_domain_replace = { .pt_id = pt_id },
	};

	return ioctl_ret(fd, IOMMU_TEST_CMD, &cmd);
}

static int mock_trigger_vevent(int fd, uint32_t idev_id, uint32_t count)
{
	struct iommu_test_cmd cmd = {
		.size = sizeof(cmd),
		.op = IOMMU_TEST_OP_TRIGGER_VEVENT,
		.id = idev_id,
		.trigger_vevent = { .cookie = 1, .count = count },
	};

	return ioctl_ret(fd, IOMMU_TEST_CMD, &cmd);
}

static int viommu_alloc(struct world *w, uint32_t dev_id, uint32_t *id)
{
	struct iommu_viommu_alloc cmd = {
		.size = sizeof(cmd),
		.type = w->smmu ? IOMMU_VIOMMU_TYPE_ARM_SMMUV3 :
				  IOMMU_VIOMMU_TYPE_SELFTEST,
		.dev_id = dev_id,
		.hwpt_id = w->s2_id,
	};
	int ret;

	ret = ioctl_ret(w->fd, IOMMU_VIOMMU_ALLOC, &cmd);
	if (!ret)
		*id = cmd.out_viommu_id;
	return ret;
}

static int nested_alloc(struct world *w, uint32_t dev_id, uint32_t viommu_id,
			uint32_t *id)
{
	struct iommu_hwpt_selftest mock = { .iotlb = IOMMU_TEST_IOTLB_DEFAULT };
	struct iommu_hwpt_alloc cmd = {
		.size = sizeof(cmd),
		.dev_id = dev_id,
		.pt_id = viommu_id,
		.data_type = IOMMU_HWPT_DATA_SELFTEST,
		.data_len = sizeof(mock),
		.data_uptr = (uintptr_t)&mock,
	};
	uint64_t ste[2];
	int ret;

	if (w->smmu) {
		guest_ste_s1(ste);
		return vmm_nested_alloc(w->fd, dev_id, viommu_id, ste, id);
	}
	ret = ioctl_ret(w->fd, IOMMU_HWPT_ALLOC, &cmd);
	if (!ret)
		*id = cmd.out_hwpt_id;
	return ret;
}

/* Attach slot @s's device to @pt_id */
static int attach(struct world *w, unsigned int s, uint32_t pt_id)
{
	int ret;

	if (!w->smmu)
		return mock_replace(w->fd, w->stdev_id[s], pt_id);
	pthread_rwlock_rdlock(&w->dev_lock);
	ret = w->dev.vfio_fd < 0 ? -ENODEV : vmm_attach(&w->dev, pt_id);
	pthread_rwlock_unlock(&w->dev_lock);
	return ret;
}

/* --- the threads --- */

/*
 * vCPU threads: forward batches of guest invalidations. A batch is either
 * done whole or stops exactly at its first refused entry.
 */
static void *th_invalidate(void *arg)
{
	struct thread *t = arg;
	struct world *w = t->w;
	struct iommu_viommu_invalidate_selftest mock[8];
	uint64_t cmds[16][2];
	struct iommu_hwpt_invalidate cmd = { .size = sizeof(cmd) };
	unsigned int i, n, first_refusable;
	struct ids_snap snap;
	int ret;

	for (i = 0; go_on(t, i); i++) {
		n = 1 + rnd(t, w->smmu ? 16 : 8);
		ids_begin(w, &snap);
		first_refusable = n;
		cmd.hwpt_id = w->viommu_id;
		cmd.entry_num = n;
		if (w->smmu) {
			/* TLBIs, which always pass, and CFGIs of vSID 0x100 */
			for (unsigned int j = 0; j < n; j++) {
				if (rnd(t, 3)) {
					guest_cmd_tlbi_va(cmds[j], GUEST_VA_SRC);
				} else {
					cmds[j][0] = GCMD_CFGI_CD_ALL |
						     ((uint64_t)VSID_BASE << 32);
					cmds[j][1] = 0;
					if (first_refusable == n)
						first_refusable = j;
				}
				cmds[j][0] = htole64(cmds[j][0]);
				cmds[j][1] = htole64(cmds[j][1]);
			}
			cmd.data_type = IOMMU_VIOMMU_INVALIDATE_DATA_ARM_SMMUV3;
			cmd.entry_len = sizeof(cmds[0]);
			cmd.data_uptr = (uintptr_t)cmds;
		} else {
			/* Any vDEVICE may be missing; one entry in 16 fails */
			for (unsigned int j = 0; j < n; j++) {
				mock[j].flags = !rnd(t, 16) ?
					IOMMU_TEST_INVALIDATE_FLAG_FAIL :
					!rnd(t, 4) ? IOMMU_TEST_INVALIDATE_FLAG_ALL : 0;
				mock[j].vdev_id = VSID_BASE + rnd(t, NDEV);
				mock[j].cache_id = rnd(t, MOCK_DEV_CACHE_NUM);
			}
			first_refusable = 0;
			cmd.data_type = IOMMU_VIOMMU_INVALIDATE_DATA_SELFTEST;
			cmd.entry_len = sizeof(mock[0]);
			cmd.data_uptr = (uintptr_t)mock;
		}
		ret = ioctl_ret(w->fd, IOMMU_HWPT_INVALIDATE, &cmd);
		if (w->smmu)
			ret = check_ids(t, &snap, "forward", ret, EIO);
		else
			ret = check_ids(t, &snap, "invalidate", ret, EIO,
					EINVAL);
		/*
		 * All, or up to the refused entry: on the SMMU a batch this
		 * small is checked at once, so only its first CFGI can be
		 */
		if ((!ret && cmd.entry_num != n) ||
		    ((ret == -EIO || ret == -EINVAL) &&
		     (cmd.entry_num >= n || cmd.entry_num < first_refusable ||
		      (w->smmu && cmd.entry_num != first_refusable))) ||
		    (ret == -ENOENT && cmd.entry_num)) {
			if (ret && !ids_stable(w, &snap))
				continue;
			check(t, "entry_num", -ERANGE);
			fprintf(stderr, "# entry_num %u of %u, %d\n",
				cmd.entry_num, n, ret);
		}
	}
	return NULL;
}

/* Hot-plug of vDEVICEs, with an event raised through them on the mock */
static void *th_vdevice(void *arg)
{
	struct thread *t = arg;
	struct world *w = t->w;
	uint32_t vdev_id = 0;
	struct ids_snap snap;
	unsigned int i, s;
	int ret;

	for (i = 0; go_on(t, i); i++) {
		usleep(rnd(t, 300));
		s = rnd(t, w->ndev);
		ids_begin(w, &snap);
		ret = vmm_vdevice_alloc(w->fd, w->viommu_id, w->idev_id[s],
					VSID_BASE + s, &vdev_id);
		/* The device has no other vDEVICE: never EEXIST */
		if (check_ids(t, &snap, "vdevice_alloc", ret))
			continue;
		/* ENOENT: unbound meanwhile; EOPNOTSUPP: no vEVENTQ */
		if (!w->smmu)
			check_ids(t, &snap, "trigger_vevent",
				  mock_trigger_vevent(w->fd, w->idev_id[s],
						      1 + rnd(t, 3)),
				  ENOENT, EOPNOTSUPP);
		usleep(rnd(t, 500));
		/* ENOENT: unbound meanwhile, the ID a tombstone */
		destroy_busy(t, "vdevice_destroy", vdev_id, true);
	}
	return NULL;
}

/* A device moves to a nested HWPT of the vIOMMU and back */
static void *th_nested(void *arg)
{
	struct thread *t = arg;
	struct world *w = t->w;
	uint32_t nested_id = 0;
	struct ids_snap snap;
	unsigned int i, s;
	int ret;

	for (i = 0; go_on(t, i); i++) {
		usleep(rnd(t, 300));
		s = rnd(t, w->ndev);
		ids_begin(w, &snap);
		ret = nested_alloc(w, w->idev_id[s], w->viommu_id, &nested_id);
		if (check_ids(t, &snap, "nested_alloc", ret))
			continue;
		/*
		 * ENOENT: a stage-1 without the device's vDEVICE, or the
		 * device unbound (ENODEV while the SMMU's is rebound)
		 */
		ret = attach(w, s, nested_id);
		check_ids(t, &snap, "attach_nested", ret, ENOENT, ENODEV);
		usleep(rnd(t, 500));
		if (!ret)
			check_ids(t, &snap, "attach_s2", attach(w, s, w->s2_id),
				  ENODEV);
		destroy_busy(t, "nested_destroy", nested_id, false);
	}
	return NULL;
}

/* An event queue opened, read and closed */
static void *th_veventq(void *arg)
{
	struct thread *t = arg;
	struct world *w = t->w;
	struct pollfd pfd = { .events = POLLIN };
	uint8_t buf[256];
	uint32_t id = 0;
	struct ids_snap snap;
	unsigned int i;
	ssize_t n;
	int ret;

	for (i = 0; go_on(t, i); i++) {
		usleep(rnd(t, 300));
		ids_begin(w, &snap);
		ret = vmm_veventq_alloc(w->fd, w->viommu_id,
					w->smmu ? IOMMU_VEVENTQ_TYPE_ARM_SMMUV3 :
						  IOMMU_VEVENTQ_TYPE_SELFTEST,
					1 + rnd(t, 4), &id, &pfd.fd);
		if (check_ids(t, &snap, "veventq_alloc", ret))
			continue;
		poll(&pfd, 1, rnd(t, 2));
		n = read(pfd.fd, buf, sizeof(buf));
		check(t, "veventq_read", n < 0 ? -errno : 0);
		if (n > 0)
			w->events++;
		check(t, "veventq_close", close(pfd.fd) ? -errno : 0);
		destroy_busy(t, "veventq_destroy", id, false);
	}
	return NULL;
}

/*
 * VM teardown and a new VM: the vIOMMU goes when nothing holds it (EBUSY
 * until then) and another takes its place, with a new VMID on the SMMU
 */
static void *th_churn(void *arg)
{
	struct thread *t = arg;
	struct world *w = t->w;
	uint32_t old, id = 0;
	unsigned int i, s;
	int ret;

	for (i = 0; go_on(t, i); i++) {
		/* Try often: the vIOMMU is free only between the others' uses */
		usleep(20 + rnd(t, 200));
		old = w->viommu_id;
		ids_change(w, true);
		ret = check(t, "viommu_destroy", vmm_destroy(w->fd, old), EBUSY);
		if (ret) {
			ids_change(w, false);
			continue;
		}
		/*
		 * Until the new one is there, the others get ENOENT; a device
		 * being unplugged gives ENOENT too, so try again
		 */
		for (s = 0; s < 1000; s++) {
			ret = viommu_alloc(w, w->idev_id[rnd(t, w->ndev)], &id);
			if (check(t, "viommu_alloc", ret, ENOENT) != -ENOENT)
				break;
			usleep(100);
		}
		if (!ret) {
			w->viommu_id = id;
			w->viommus_made++;
		}
		ids_change(w, false);
		if (ret)
			break;
	}
	return NULL;
}

/* Unplug: the device unbound with whatever it still has, then back */
static void *th_unplug(void *arg)
{
	struct thread *t = arg;
	struct world *w = t->w;
	uint32_t stdev_id = 0, idev_id = 0;
	unsigned int i, s;
	int ret;

	for (i = 0; go_on(t, i); i++) {
		usleep(2000 + rnd(t, 8000));
		s = rnd(t, w->ndev);
		ids_change(w, true);
		if (w->smmu) {
			char bdf[sizeof(w->dev.bdf)];

			memcpy(bdf, w->dev.bdf, sizeof(bdf));
			pthread_rwlock_wrlock(&w->dev_lock);
			vmm_close(&w->dev);
			ret = vmm_open_cdev(&w->dev, bdf);
			ret = ret ?: vmm_bind_iommufd(&w->dev, w->fd);
			ret = ret ?: vmm_attach(&w->dev, w->s2_id);
			if (!ret)
				w->idev_id[0] = w->dev.dev_id;
			pthread_rwlock_unlock(&w->dev_lock);
		} else {
			/* EBUSY while another call holds it for a moment */
			ret = destroy_busy(t, "unbind", w->stdev_id[s], false);
			ret = ret ?: check(t, "plug",
					   mock_device_add(w->fd, w->ioas_id,
							   &stdev_id, &idev_id));
			ret = ret ?: check(t, "attach_s2",
					   mock_replace(w->fd, stdev_id,
							w->s2_id));
			if (!ret) {
				w->stdev_id[s] = stdev_id;
				w->idev_id[s] = idev_id;
			}
		}
		ids_change(w, false);
		if (w->smmu ? check(t, "rebind", ret) : ret)
			break;
		w->unplugs++;
	}
	return NULL;
}

static void run_threads(struct __test_metadata *_metadata, struct world *w)
{
	static const struct {
		const char *name;
		void *(*fn)(void *);
	} roles[] = {
		{ "invalidate-0", th_invalidate }, { "invalidate-1", th_invalidate },
		{ "vdevice", th_vdevice }, { "nested", th_nested },
		{ "veventq", th_veventq }, { "churn", th_churn },
		{ "unplug", th_unplug },
	};
	struct thread th[sizeof(roles) / sizeof(roles[0])];
	pthread_t tid[sizeof(roles) / sizeof(roles[0])];
	unsigned int i;

	w->deadline = now_ns() + seconds * 1000000000ULL;
	for (i = 0; i < sizeof(roles) / sizeof(roles[0]); i++) {
		th[i].w = w;
		th[i].rnd = seed * 7919 + i;
		th[i].name = roles[i].name;
		ASSERT_EQ(0, pthread_create(&tid[i], NULL, roles[i].fn, &th[i]));
	}
	for (i = 0; i < sizeof(roles) / sizeof(roles[0]); i++)
		pthread_join(tid[i], NULL);
	printf("@@stress %s seed=%u seconds=%u threads=%u ioctls=%lu viommus_rebuilt=%lu unplugs=%lu events=%lu unexpected=%lu\n",
	       w->smmu ? "smmu" : "mock", seed, seconds, i,
	       (unsigned long)w->calls, (unsigned long)w->viommus_made,
	       (unsigned long)w->unplugs, (unsigned long)w->events,
	       (unsigned long)w->bad);
	fflush(stdout);
}

/*
 * The threads leave only the vIOMMU; once it is gone the context holds no
 * vIOMMU. On the mock, the devices, the stage-2 and the IOAS go next.
 */
static void teardown_world(struct __test_metadata *_metadata, struct world *w)
{
	unsigned int s;

	ASSERT_EQ(0, vmm_destroy(w->fd, w->viommu_id));
	ASSERT_EQ(0, vmm_fdinfo_viommus(w->fd, ""));
	if (w->smmu)
		return;
	for (s = 0; s < w->ndev; s++)
		ASSERT_EQ(0, vmm_destroy(w->fd, w->stdev_id[s]));
	ASSERT_EQ(0, vmm_destroy(w->fd, w->s2_id));
	ASSERT_EQ(0, vmm_destroy(w->fd, w->ioas_id));
}

static void read_params(void)
{
	char cmdline[4096];
	const char *p;
	FILE *f;

	f = fopen("/proc/cmdline", "r");
	if (f && fgets(cmdline, sizeof(cmdline), f)) {
		p = strstr(cmdline, "vsmmu.stress=");
		if (p)
			sscanf(p + strlen("vsmmu.stress="), "%u,%u,%u,%u", &seed,
			       &seconds, &iterations, &vmids);
	}
	if (f)
		fclose(f);
}

/* The runs last seconds, beyond the harness's default limit */
FIXTURE(stress) {};
FIXTURE_SETUP(stress) {}
FIXTURE_TEARDOWN(stress) {}

TEST_F_TIMEOUT(stress, mock, 300)
{
	struct world w = { .ndev = NDEV };
	unsigned int s;
	uint32_t id = 0;

	read_params();
	w.fd = open("/dev/iommu", O_RDWR);
	ASSERT_LE(0, w.fd);
	ASSERT_EQ(0, vmm_ioas_alloc(w.fd, &w.ioas_id));
	for (s = 0; s < NDEV; s++) {
		uint32_t stdev_id, idev_id;

		ASSERT_EQ(0, mock_device_add(w.fd, w.ioas_id, &stdev_id,
					     &idev_id));
		w.stdev_id[s] = stdev_id;
		w.idev_id[s] = idev_id;
	}
	ASSERT_EQ(0, vmm_nest_parent_alloc(w.fd, w.idev_id[0], w.ioas_id,
					   &w.s2_id));
	for (s = 0; s < NDEV; s++)
		ASSERT_EQ(0, mock_replace(w.fd, w.stdev_id[s], w.s2_id));
	ASSERT_EQ(0, viommu_alloc(&w, w.idev_id[0], &id));
	w.viommu_id = id;
	run_threads(_metadata, &w);
	EXPECT_EQ(0, w.bad);
	teardown_world(_metadata, &w);
	ASSERT_EQ(0, close(w.fd));
}

/* How many vSMMUs fit on the SMMU, all taken and then given back */
static int count_vsmmus(struct world *w, unsigned int *n)
{
	static uint32_t ids[1 << 16];
	int ret;

	for (*n = 0; *n < sizeof(ids) / sizeof(ids[0]); (*n)++) {
		ret = viommu_alloc(w, w->dev.dev_id, &ids[*n]);
		if (ret)
			break;
	}
	for (unsigned int i = 0; i < *n; i++)
		if (vmm_destroy(w->fd, ids[i]))
			return -EBUSY;
	return ret == -ENOSPC ? 0 : ret;
}

TEST_F_TIMEOUT(stress, smmu, 300)
{
	struct world w = { .ndev = 1, .smmu = true };
	unsigned int before = 0, after = 0;
	uint8_t *gmem;
	uint32_t id = 0;

	read_params();
	if (!vmm_iort_rc_canwbs())
		SKIP(return, "no CANWBS root complex: no vSMMU on this boot");
	pthread_rwlock_init(&w.dev_lock, NULL);
	w.dev.vfio_fd = -1;
	ASSERT_EQ(0, vmm_open_edu(&w.dev, &w.fd, &w.ioas_id));
	gmem = mmap(NULL, GUEST_MEM_SIZE, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, gmem);
	memset(gmem, 0, GUEST_MEM_SIZE);
	guest_build_stage1(gmem);
	ASSERT_EQ(0, vmm_ioas_map_fixed(w.fd, w.ioas_id, gmem, GUEST_MEM_SIZE,
					GUEST_GPA));
	ASSERT_EQ(0, vmm_nest_parent_alloc(w.fd, w.dev.dev_id, w.ioas_id,
					   &w.s2_id));
	ASSERT_EQ(0, vmm_attach(&w.dev, w.s2_id));
	w.idev_id[0] = w.dev.dev_id;
	if (vmids)
		ASSERT_EQ(0, count_vsmmus(&w, &before));
	ASSERT_EQ(0, viommu_alloc(&w, w.dev.dev_id, &id));
	w.viommu_id = id;

	run_threads(_metadata, &w);
	EXPECT_EQ(0, w.bad);
	teardown_world(_metadata, &w);
	/* Every VMID the run took is back */
	ASSERT_EQ(0, vmm_attach(&w.dev, w.s2_id));
	if (vmids) {
		ASSERT_EQ(0, count_vsmmus(&w, &after));
		ASSERT_EQ(before, after);
		TH_LOG("VMIDs: %u vSMMUs fit before and after", after);
	}
	ASSERT_EQ(0, vmm_attach(&w.dev, w.ioas_id));
	ASSERT_EQ(0, vmm_destroy(w.fd, w.s2_id));
	vmm_close(&w.dev);
	ASSERT_EQ(0, close(w.fd));
	munmap(gmem, GUEST_MEM_SIZE);
}

TEST_HARNESS_MAIN
