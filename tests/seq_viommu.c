// SPDX-License-Identifier: GPL-2.0-only
/*
 * Randomized sequences of the vIOMMU commands, each result checked against
 * a model of the objects: once on the mock driver, once on the emulated
 * SMMUv3 (the edu device behind a vSMMU).
 *
 * One thread, one iommufd context. Every step picks a command (vIOMMU,
 * vDEVICE, nested HWPT and vEVENTQ allocation, forwarded invalidation, HW
 * queue, destroy, attach, GET_HW_INFO, mmap() and munmap() of a vIOMMU's
 * page; unbind and bind again and vEVENTs raised and read on the mock) and
 * draws its arguments: valid ones, IDs of every kind and of nothing, wrong
 * sizes with and without a non-zero tail, flags and reserved fields with
 * random bits, types, depths, vSIDs, cache IDs, entry lengths at and beyond
 * their limits; on the SMMU, guest STEs and command words, valid or with
 * bits no guest may set. The model says what the kernel must answer: the
 * first rule that the arguments break, in the documented order of the ABI,
 * or success. On success the new object must have the lowest free ID (a
 * failed command gives its ID back), and every so often the set of IDs
 * that exist is compared with the model's (a failed command leaves every
 * object as it was). vEVENTs are checked byte for byte against the queue
 * the model keeps, lost-events marker included.
 *
 * Seeded and bounded: vsmmu.seq=SEED,STEPS on the kernel command line
 * (default 1,20000). The first wrong answer stops the run with the seed,
 * the step and the steps before it: the same seed replays the same
 * sequence.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <linux/iommufd.h>

#include "kselftest_harness.h"
#include "iommufd_test.h"
#include "guest_s1.h"
#include "vmm.h"

#define MAXID		1024	/* IDs the model tracks; allocations stop short */
#define NDEV		3	/* mock devices, unbound and bound again */
#define HISTORY		16	/* steps printed before a wrong answer */
#define QUEUE_IOVA	MOCK_APERTURE_START
#define ENTRIES		(64 * 1024)	/* bytes of invalidation entries */
#define INV_MAX		(1U << 19)	/* most entries in one call */
#define DEPTH_MAX	(1U << 19)	/* deepest vEVENTQ */
#define MAXMAPS		8	/* live mappings of vIOMMU pages */

static unsigned int seed = 1, steps = 20000;

enum kind {
	K_NONE,		/* free */
	K_IOAS,
	K_S2,		/* nest-parent paging HWPT */
	K_PAGING,	/* paging HWPT that is no nest parent */
	K_STDEV,	/* mock device object; destroying it unbinds the device */
	K_IDEV,		/* the bound device */
	K_VIOMMU,
	K_VDEV,
	K_NESTED,
	K_VEVENTQ,
	K_HWQ,
	K_ACCESS,	/* the hidden access of a HW queue */
	K_TOMB,		/* a vDEVICE its device's unbind took: ID kept */
};

static const char *const kind_name[] = {
	"none", "ioas", "s2", "paging", "stdev", "idev", "viommu", "vdevice",
	"nested", "veventq", "hw_queue", "access", "tombstone",
};

struct obj {
	enum kind kind;
	uint32_t viommu;	/* VDEV, NESTED, VEVENTQ, HWQ: their vIOMMU */
	uint32_t idev;		/* STDEV: its device; VDEV: its device */
	uint32_t stdev;		/* IDEV: its mock object */
	uint32_t vdev;		/* IDEV: its vDEVICE, 0 if none */
	uint32_t pt;		/* STDEV: the HWPT the device is attached to */
	uint64_t virt_id;	/* VDEV */
	uint32_t index;		/* HWQ */
	uint32_t access;	/* HWQ: its hidden access */
	unsigned int cfg;	/* NESTED on the SMMU: the vSTE's Config */
	/* VIOMMU (mock): the mmap() offset of its page, 0 if not known */
	uint64_t mmap_off;
	unsigned int maps;	/* VIOMMU: its live mappings */
	/* VEVENTQ: the fd (-1 once closed), and the records it holds */
	int fd;
	uint32_t depth, nrec, first_seq, next_seq, lost_seq;
	bool lost;
};

struct seq {
	bool smmu;
	struct vmm_dev dev;	/* SMMU: the edu device */
	uint8_t *gmem;		/* SMMU: the guest's memory */
	int fd;
	struct obj o[MAXID];
	uint32_t ioas, s2, paging;
	void *entries;		/* invalidation entries, zero unless written */
	void *queue_page;	/* mapped at QUEUE_IOVA for HW queues */
	long page_size;
	unsigned int rnd;
	/* What the run did */
	unsigned long step, calls, succeeded, events, mapped;
	unsigned long made[K_TOMB + 1];
	/* Live mappings of vIOMMU pages */
	struct {
		void *addr;
		uint32_t viommu;
	} maps[MAXMAPS];
	unsigned int nmaps;
	char history[HISTORY][192];
	char cur[160];
	bool bad;
};

static unsigned int rnd(struct seq *s, unsigned int n)
{
	return rand_r(&s->rnd) % n;
}

static uint32_t rnd32(struct seq *s)
{
	return (uint32_t)rand_r(&s->rnd) << 16 ^ (uint32_t)rand_r(&s->rnd);
}

static void note(struct seq *s, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(s->cur, sizeof(s->cur), fmt, ap);
	va_end(ap);
}

/* The lowest ID the model holds free: the next object's */
static uint32_t free_id(struct seq *s, uint32_t after)
{
	uint32_t id;

	for (id = after + 1; id < MAXID; id++)
		if (s->o[id].kind == K_NONE)
			return id;
	return 0;
}

static unsigned int count_kind(struct seq *s, enum kind kind)
{
	unsigned int id, n = 0;

	for (id = 1; id < MAXID; id++)
		n += s->o[id].kind == kind;
	return n;
}

static unsigned int live(struct seq *s)
{
	unsigned int id, n = 0;

	for (id = 1; id < MAXID; id++)
		n += s->o[id].kind != K_NONE;
	return n;
}

/* Any ID of @kind, or 0 if there is none */
static uint32_t any_of(struct seq *s, enum kind kind)
{
	uint32_t ids[MAXID], n = 0, id;

	for (id = 1; id < MAXID; id++)
		if (s->o[id].kind == kind)
			ids[n++] = id;
	return n ? ids[rnd(s, n)] : 0;
}

/*
 * An ID for a field that wants @kind: mostly one of that kind, else any
 * object's, a free one, 0 or the largest
 */
static uint32_t pick(struct seq *s, enum kind kind)
{
	unsigned int r = rnd(s, 100);
	uint32_t id;

	if (r < 65 && (id = any_of(s, kind)))
		return id;
	if (r < 85) {
		id = 1 + rnd(s, MAXID - 1);
		while (s->o[id].kind == K_NONE && id > 1)
			id--;
		return id;
	}
	if (r < 95)
		return rnd(s, 2) ? free_id(s, 0) : MAXID + rnd(s, 1000);
	return rnd(s, 2) ? 0 : UINT32_MAX;
}

static bool is(struct seq *s, uint32_t id, enum kind kind)
{
	return id && id < MAXID && s->o[id].kind == kind;
}

static unsigned int users_of(struct seq *s, uint32_t id)
{
	unsigned int n = 0, i;

	for (i = 1; i < MAXID; i++) {
		struct obj *o = &s->o[i];

		switch (o->kind) {
		case K_VDEV:
		case K_NESTED:
		case K_VEVENTQ:
		case K_HWQ:
			n += o->viommu == id;
			break;
		case K_STDEV:
		case K_IDEV:
			n += o->pt == id;
			break;
		case K_VIOMMU:
			/* Each mapping of its page holds it */
			n += i == id ? o->maps : 0;
			break;
		default:
			break;
		}
	}
	return n;
}

static uint32_t vdev_of_virt(struct seq *s, uint32_t viommu, uint64_t virt)
{
	uint32_t id;

	for (id = 1; id < MAXID; id++)
		if (s->o[id].kind == K_VDEV && s->o[id].viommu == viommu &&
		    s->o[id].virt_id == virt)
			return id;
	return 0;
}

static uint32_t queue_of(struct seq *s, uint32_t viommu, enum kind kind,
			 uint32_t index)
{
	uint32_t id;

	for (id = 1; id < MAXID; id++)
		if (s->o[id].kind == kind && s->o[id].viommu == viommu &&
		    (kind != K_HWQ || s->o[id].index == index))
			return id;
	return 0;
}

static void history_push(struct seq *s)
{
	memmove(s->history[1], s->history[0],
		sizeof(s->history) - sizeof(s->history[0]));
	snprintf(s->history[0], sizeof(s->history[0]), "%lu: %s", s->step,
		 s->cur);
}

/* A wrong answer: the run stops, with what replays it */
static void wrong(struct seq *s, const char *fmt, ...)
{
	va_list ap;
	int i;

	if (s->bad)
		return;
	s->bad = true;
	fprintf(stderr, "# seed %u, step %lu: %s\n# ", seed, s->step, s->cur);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n# the steps before it, latest first:\n");
	for (i = 0; i < HISTORY && s->history[i][0]; i++)
		fprintf(stderr, "#   %s\n", s->history[i]);
}

/* The answer @got (0 or -errno) against the model's @want (0 or errno) */
static bool answer(struct seq *s, int got, int want)
{
	s->calls++;
	s->succeeded += !got;
	if (got != -want) {
		wrong(s, "got %s (%d), the model says %s (%d)",
		      got ? strerror(-got) : "success", got,
		      want ? strerror(want) : "success", -want);
		return false;
	}
	return !got;
}

static int do_ioctl(struct seq *s, unsigned long req, void *arg)
{
	return ioctl(s->fd, req, arg) ? -errno : 0;
}

/*
 * The size of a command's structure: mostly the kernel's, else the
 * smallest it takes, one byte short, or longer with a zero or a non-zero
 * tail. @buf (kernel size + 8 bytes) gets the tail. Fields past the size
 * read as zero, so the caller's copy of them is cleared. Returns the errno
 * the dispatch gives, before the command looks at anything.
 */
static int draw_size(struct seq *s, void *cmd, uint8_t *buf, uint32_t ksize,
		     uint32_t minsize, uint32_t *size)
{
	unsigned int r = rnd(s, 100);

	memset(buf + ksize, 0, 8);
	*size = ksize;
	if (r < 8 && minsize < ksize) {
		*size = minsize;
		memset((uint8_t *)cmd + minsize, 0, ksize - minsize);
	} else if (r < 11) {
		*size = minsize - 1 - rnd(s, 4);
	} else if (r < 16) {
		*size = ksize + 8;
	} else if (r < 19) {
		*size = ksize + 8;
		buf[ksize + rnd(s, 8)] = 1 + rnd(s, 255);
		memcpy(buf, cmd, ksize);
		return E2BIG;
	}
	memcpy(buf, cmd, ksize);
	if (*size < minsize)
		return EINVAL;
	return 0;
}

/* Random bits in a flags or reserved field now and then, else @good */
static uint32_t bits(struct seq *s, uint32_t good, unsigned int percent)
{
	if (rnd(s, 100) >= percent)
		return good;
	return good | (1U << rnd(s, 32));
}

static uint32_t veventq_type(struct seq *s)
{
	return s->smmu ? IOMMU_VEVENTQ_TYPE_ARM_SMMUV3 :
			 IOMMU_VEVENTQ_TYPE_SELFTEST;
}

static uint32_t viommu_type(struct seq *s)
{
	return s->smmu ? IOMMU_VIOMMU_TYPE_ARM_SMMUV3 :
			 IOMMU_VIOMMU_TYPE_SELFTEST;
}

/*
 * SMMUv3 STE and command fields, from the architecture: STE word 0 V (bit
 * 0), Config (3:1), RES0 bits 58:52; word 1 EATS (29:28), STRW (31:30).
 * Commands: opcode in word 0 bits 7:0, bit 8 RES0 in every command below,
 * ASID 63:48, VMID 47:32, StreamID 63:32, SSID 31:12; word 1 Leaf (0),
 * address 63:12.
 */
#define STE_V		1ULL
#define STE_CFG(c)	((uint64_t)(c) << 1)
#define STE_CFG_MASK	STE_CFG(7)
#define CFG_ABORT	0
#define CFG_BYPASS	4
#define CFG_S1		5
#define CMD_TLBI_NH_ALL		0x10
#define CMD_TLBI_NH_ASID	0x11
#define CMD_TLBI_NH_VA		0x12
#define CMD_TLBI_NH_VAA		0x13
#define CMD_TLBI_NSNH_ALL	0x30
#define CMD_CFGI_CD		0x05
#define CMD_CFGI_CD_ALL		0x06

/*
 * A guest STE for a nested HWPT on the SMMU: a valid one (*@cfg says what it
 * does) or one the kernel must refuse with EIO (returns false)
 */
static bool draw_ste(struct seq *s, uint64_t ste[2], unsigned int *cfg)
{
	unsigned int r = rnd(s, 8);

	guest_ste_s1(ste);
	*cfg = CFG_S1;
	switch (r) {
	case 0:
		/* Not valid: an abort, whatever else it says */
		ste[0] = (ste[0] | (uint64_t)rnd32(s) << 32) & ~STE_V;
		ste[1] |= rnd32(s);
		*cfg = CFG_ABORT;
		return true;
	case 1:
	case 2:
		return true;
	case 3:
		ste[0] = STE_V | STE_CFG(rnd(s, 2) ? CFG_ABORT : CFG_BYPASS);
		ste[1] = 0;
		*cfg = ste[0] == STE_V ? CFG_ABORT : CFG_BYPASS;
		return true;
	case 4:
		ste[0] |= 1ULL << (52 + rnd(s, 7));
		return false;
	case 5: {
		/* Reserved, stage-2 or nested Config */
		static const uint8_t bad_cfg[] = { 1, 2, 3, 6, 7 };

		ste[0] &= ~STE_CFG_MASK;
		ste[0] |= STE_CFG(bad_cfg[rnd(s, sizeof(bad_cfg))]);
		return false;
	}
	case 6:
		ste[1] |= 1ULL << (30 + rnd(s, 2));
		return false;
	default:
		/* EATS 0b10 or 0b11: not for a guest */
		ste[1] = (ste[1] & ~(3ULL << 28)) | (2ULL + rnd(s, 2)) << 28;
		return false;
	}
}

/*
 * A guest command for the SMMU: one the vSMMU forwards (true, though a
 * CFGI's vSID must have a vDEVICE too), or one it must refuse
 */
static bool draw_cmd(struct seq *s, uint64_t cmd[2], uint32_t *vsid)
{
	static const uint8_t other[] = {
		0x00, 0x01, 0x03, 0x04, 0x0b, 0x20, 0x28, 0x2a, 0x40, 0x46,
	};
	uint64_t asid = rnd(s, 256), va = (uint64_t)rnd32(s) << 12;
	unsigned int r = rnd(s, 10);

	*vsid = UINT32_MAX;
	cmd[1] = 0;
	switch (r) {
	case 0:
		cmd[0] = CMD_TLBI_NH_ALL | (uint64_t)rnd(s, 65536) << 32;
		break;
	case 1:
		cmd[0] = CMD_TLBI_NH_ASID | asid << 48;
		break;
	case 2:
	case 3:
		cmd[0] = CMD_TLBI_NH_VA | asid << 48;
		cmd[1] = va | rnd(s, 2);
		break;
	case 4:
		cmd[0] = CMD_TLBI_NH_VAA;
		cmd[1] = va | rnd(s, 2);
		break;
	case 5:
		cmd[0] = CMD_TLBI_NSNH_ALL;
		break;
	case 6:
		*vsid = rnd(s, 6);
		cmd[0] = CMD_CFGI_CD | (uint64_t)*vsid << 32;
		cmd[1] = rnd(s, 2);
		break;
	case 7:
		*vsid = rnd(s, 6);
		cmd[0] = CMD_CFGI_CD_ALL | (uint64_t)*vsid << 32;
		break;
	case 8:
		/* A command no guest sends through a vSMMU */
		cmd[0] = rnd(s, 3) ? other[rnd(s, sizeof(other))] :
				     0x80 + rnd(s, 128);
		cmd[0] |= (uint64_t)rnd32(s) << 32;
		cmd[1] = rnd32(s);
		return false;
	default:
		/* A forwarded command with a RES0 bit set */
		cmd[0] = (rnd(s, 2) ? CMD_TLBI_NH_VA : CMD_CFGI_CD_ALL) |
			 1ULL << 8;
		return false;
	}
	/* Now and then, a bit no guest may set in a TLBI_NSNH_ALL */
	if (r == 5 && !rnd(s, 4)) {
		cmd[0] |= 1ULL << (32 + rnd(s, 32));
		return false;
	}
	return true;
}

/* --- the commands --- */

static void op_viommu_alloc(struct seq *s)
{
	struct {
		struct iommu_viommu_selftest d;
		uint64_t tail;
	} data = {
		.d.in_data = rnd32(s),
		.d.__reserved = bits(s, 0, 5),
		.tail = rnd(s, 2),
	};
	struct iommu_viommu_alloc cmd = {
		.flags = bits(s, 0, 5),
		.type = rnd(s, 10) ? viommu_type(s) : rnd(s, 2) ? 0 :
			rnd(s, 2) ? rnd32(s) : 1 + rnd(s, 3),
		.dev_id = pick(s, K_IDEV),
		.__reserved = bits(s, 0, 5),
		.data_uptr = (uintptr_t)&data,
	};
	uint8_t buf[sizeof(cmd) + 8];
	uint32_t id = free_id(s, 0);
	int want, got;

	switch (rnd(s, 8)) {
	case 0:
		cmd.data_len = sizeof(data.d);
		break;
	case 1:
		cmd.data_len = rnd(s, 2) ? 8 : 1 + rnd(s, 7);
		break;
	case 2:
		/* Longer than the driver's structure */
		cmd.data_len = sizeof(data);
		break;
	default:
		cmd.data_len = 0;
	}
	cmd.hwpt_id = rnd(s, 5) ? pick(s, K_S2) : pick(s, K_PAGING);
	want = draw_size(s, &cmd, buf, sizeof(cmd), 24, &cmd.size);
	note(s, "VIOMMU_ALLOC size %u flags %#x type %#x dev %u hwpt %u data_len %u res %#x data_res %#x",
	     cmd.size, cmd.flags, cmd.type, cmd.dev_id, cmd.hwpt_id,
	     cmd.data_len, cmd.__reserved, data.d.__reserved);
	if (want)
		;
	else if (cmd.flags || cmd.__reserved || !cmd.type)
		want = EOPNOTSUPP;
	else if (!is(s, cmd.dev_id, K_IDEV))
		want = ENOENT;
	else if (cmd.type != viommu_type(s))
		want = EOPNOTSUPP;
	else if (!is(s, cmd.hwpt_id, K_S2) && !is(s, cmd.hwpt_id, K_PAGING))
		want = ENOENT;
	else if (is(s, cmd.hwpt_id, K_PAGING))
		want = EINVAL;
	else if (s->smmu && cmd.data_len)
		/* A vSMMU takes no data */
		want = EINVAL;
	else if (s->smmu)
		;
	else if (cmd.data_len &&
		 (cmd.data_len < 8 || cmd.data_len > sizeof(data.d)))
		/* Driver data longer than the driver knows is refused too */
		want = EINVAL;
	else if (cmd.data_len >= 16 && data.d.__reserved)
		want = EOPNOTSUPP;
	if (!id)
		return;
	got = do_ioctl(s, IOMMU_VIOMMU_ALLOC, buf);
	if (!answer(s, got, want))
		return;
	memcpy(&cmd, buf, sizeof(cmd));
	if (cmd.out_viommu_id != id)
		return wrong(s, "new vIOMMU %u, the lowest free ID is %u",
			     cmd.out_viommu_id, id);
	if (!s->smmu && cmd.data_len && data.d.out_data != data.d.in_data)
		return wrong(s, "out_data %#x, in_data %#x", data.d.out_data,
			     data.d.in_data);
	s->o[id] = (struct obj){ .kind = K_VIOMMU };
	/* The offset comes back in the data's bytes 16 to 23 */
	if (!s->smmu && cmd.data_len >= 24)
		s->o[id].mmap_off = data.d.out_mmap_offset;
	s->made[K_VIOMMU]++;
}

static void op_vdevice_alloc(struct seq *s)
{
	struct iommu_vdevice_alloc cmd = {
		.viommu_id = pick(s, K_VIOMMU),
		.dev_id = pick(s, K_IDEV),
		.virt_id = rnd(s, 20) ? rnd(s, 6) :
			   rnd(s, 2) ? 0xffffffffULL : 1ULL << (32 + rnd(s, 32)),
	};
	uint8_t buf[sizeof(cmd) + 8];
	uint32_t id = free_id(s, 0);
	int want, got;

	want = draw_size(s, &cmd, buf, sizeof(cmd), 24, &cmd.size);
	note(s, "VDEVICE_ALLOC size %u viommu %u dev %u virt_id %#llx",
	     cmd.size, cmd.viommu_id, cmd.dev_id,
	     (unsigned long long)cmd.virt_id);
	if (want)
		;
	else if (!is(s, cmd.viommu_id, K_VIOMMU) ||
		 !is(s, cmd.dev_id, K_IDEV))
		want = ENOENT;
	else if (s->o[cmd.dev_id].vdev ||
		 vdev_of_virt(s, cmd.viommu_id, cmd.virt_id))
		want = EEXIST;
	else if (cmd.virt_id > MOCK_VDEVICE_VIRT_ID_MAX)
		want = EINVAL;
	if (!id)
		return;
	got = do_ioctl(s, IOMMU_VDEVICE_ALLOC, buf);
	if (!answer(s, got, want))
		return;
	memcpy(&cmd, buf, sizeof(cmd));
	if (cmd.out_vdevice_id != id)
		return wrong(s, "new vDEVICE %u, the lowest free ID is %u",
			     cmd.out_vdevice_id, id);
	s->o[id] = (struct obj){ .kind = K_VDEV, .viommu = cmd.viommu_id,
				 .idev = cmd.dev_id, .virt_id = cmd.virt_id };
	s->o[cmd.dev_id].vdev = id;
	s->made[K_VDEV]++;
}

static void op_nested_alloc(struct seq *s)
{
	struct {
		union {
			struct iommu_hwpt_selftest cfg;
			struct iommu_hwpt_arm_smmuv3 vste;
		};
		uint32_t tail;
	} data = { .tail = rnd(s, 2) };
	uint32_t data_type = s->smmu ? IOMMU_HWPT_DATA_ARM_SMMUV3 :
				       IOMMU_HWPT_DATA_SELFTEST;
	uint32_t data_len = s->smmu ? sizeof(data.vste) : sizeof(data.cfg);
	unsigned int cfg = 0;
	uint64_t ste[2];
	bool ste_ok = true;
	struct iommu_hwpt_alloc cmd = {
		.flags = rnd(s, 12) ? 0 :
			 rnd(s, 2) ? IOMMU_HWPT_FAULT_ID_VALID : bits(s, 0, 100),
		.dev_id = pick(s, K_IDEV),
		.__reserved = bits(s, 0, 4),
		.data_type = rnd(s, 10) ? data_type :
			     rnd(s, 2) ? IOMMU_HWPT_DATA_NONE : rnd32(s),
		.data_len = rnd(s, 10) ? data_len :
			    rnd(s, 2) ? 0 : rnd(s, 2) ? 2 : data_len + 4,
		.data_uptr = (uintptr_t)&data,
		.fault_id = pick(s, K_NONE),
	};
	uint8_t buf[sizeof(cmd) + 8];
	uint32_t id = free_id(s, 0);
	int want, got;

	if (s->smmu) {
		ste_ok = draw_ste(s, ste, &cfg);
		data.vste.ste[0] = htole64(ste[0]);
		data.vste.ste[1] = htole64(ste[1]);
	} else {
		data.cfg.iotlb = IOMMU_TEST_IOTLB_DEFAULT;
	}
	/* Never an IOAS or a paging HWPT: those do not go through a vIOMMU */
	do {
		cmd.pt_id = pick(s, K_VIOMMU);
	} while (is(s, cmd.pt_id, K_IOAS) || is(s, cmd.pt_id, K_S2) ||
		 is(s, cmd.pt_id, K_PAGING));
	want = draw_size(s, &cmd, buf, sizeof(cmd), 24, &cmd.size);
	note(s, "HWPT_ALLOC size %u flags %#x dev %u pt %u res %#x type %#x len %u tail %u fault %u",
	     cmd.size, cmd.flags, cmd.dev_id, cmd.pt_id, cmd.__reserved,
	     cmd.data_type, cmd.data_len, data.tail, cmd.fault_id);
	if (want)
		;
	else if (cmd.__reserved)
		want = EOPNOTSUPP;
	else if (!cmd.data_type != !cmd.data_len)
		want = EINVAL;
	else if (!is(s, cmd.dev_id, K_IDEV))
		want = ENOENT;
	else if (!is(s, cmd.pt_id, K_VIOMMU))
		want = EINVAL;
	else if ((cmd.flags & ~IOMMU_HWPT_FAULT_ID_VALID) || !cmd.data_len)
		want = EOPNOTSUPP;
	else if (cmd.data_type != data_type || cmd.data_len != data_len)
		want = EINVAL;
	else if (!ste_ok)
		want = EIO;
	else if (cmd.flags & IOMMU_HWPT_FAULT_ID_VALID)
		/* The model makes no fault queue */
		want = ENOENT;
	if (!id)
		return;
	got = do_ioctl(s, IOMMU_HWPT_ALLOC, buf);
	if (!answer(s, got, want))
		return;
	memcpy(&cmd, buf, sizeof(cmd));
	if (cmd.out_hwpt_id != id)
		return wrong(s, "new nested HWPT %u, the lowest free ID is %u",
			     cmd.out_hwpt_id, id);
	s->o[id] = (struct obj){ .kind = K_NESTED, .viommu = cmd.pt_id,
				 .cfg = cfg };
	s->made[K_NESTED]++;
}

/*
 * What the core answers an invalidation before the vIOMMU's driver sees it:
 * reserved bits, the array's limits, then the object hwpt_id names
 */
static int invalidate_core(struct seq *s, const struct iommu_hwpt_invalidate *cmd)
{
	if (cmd->__reserved)
		return EOPNOTSUPP;
	if (cmd->entry_num &&
	    (!cmd->data_uptr || !cmd->entry_len || cmd->entry_len > 4096 ||
	     cmd->entry_num > INV_MAX))
		return EINVAL;
	if (cmd->hwpt_id >= MAXID || !cmd->hwpt_id ||
	    s->o[cmd->hwpt_id].kind == K_NONE ||
	    s->o[cmd->hwpt_id].kind == K_TOMB)
		return ENOENT;
	/* A vIOMMU's nested HWPTs are invalidated through the vIOMMU */
	if (is(s, cmd->hwpt_id, K_NESTED))
		return EOPNOTSUPP;
	if (!is(s, cmd->hwpt_id, K_VIOMMU))
		return EINVAL;
	return 0;
}

/*
 * Guest commands forwarded through a vSMMU: each entry one command, an
 * entry longer than a command ends in zeroes; what comes before the first
 * refused command is done, and entry_num says how far
 */
static void op_invalidate_smmu(struct seq *s)
{
	static const uint32_t lens[] = { 16, 24, 8, 0, 4096, 4097 };
	struct iommu_hwpt_invalidate cmd = {
		.hwpt_id = pick(s, K_VIOMMU),
		.data_uptr = rnd(s, 30) ? (uintptr_t)s->entries : 0,
		.data_type = rnd(s, 12) ? IOMMU_VIOMMU_INVALIDATE_DATA_ARM_SMMUV3 :
			     rnd(s, 2) ? 0 : rnd32(s),
		.entry_len = rnd(s, 4) ? lens[0] : lens[rnd(s, 6)],
		.entry_num = rnd(s, 16) ? rnd(s, 9) :
			     rnd(s, 2) ? INV_MAX + 1 : UINT32_MAX,
		.__reserved = bits(s, 0, 4),
	};
	uint8_t buf[sizeof(cmd) + 8];
	uint32_t i, done = 0, n, refused = UINT32_MAX, vsid;
	bool tail = false;
	int want, dispatch;

	n = cmd.entry_num <= 8 ? cmd.entry_num : 0;
	memset(s->entries, 0, ENTRIES);
	for (i = 0; i < n && cmd.entry_len <= 4096; i++) {
		uint8_t *e = (uint8_t *)s->entries + i * cmd.entry_len;
		uint64_t w[2];
		bool ok = draw_cmd(s, w, &vsid);

		if (ok && vsid != UINT32_MAX &&
		    !(is(s, cmd.hwpt_id, K_VIOMMU) &&
		      vdev_of_virt(s, cmd.hwpt_id, vsid)))
			ok = false;
		if (!ok && refused == UINT32_MAX)
			refused = i;
		w[0] = htole64(w[0]);
		w[1] = htole64(w[1]);
		memcpy(e, w, cmd.entry_len < 16 ? cmd.entry_len : 16);
		if (cmd.entry_len > 16 && !rnd(s, 6)) {
			e[16 + rnd(s, cmd.entry_len - 16)] = 1;
			tail = true;
		}
	}
	want = dispatch = draw_size(s, &cmd, buf, sizeof(cmd), sizeof(cmd),
				    &cmd.size);
	note(s, "HWPT_INVALIDATE size %u hwpt %u uptr %s type %#x len %u num %u res %#x refused %d%s",
	     cmd.size, cmd.hwpt_id, cmd.data_uptr ? "ok" : "0", cmd.data_type,
	     cmd.entry_len, cmd.entry_num, cmd.__reserved, (int)refused,
	     tail ? " tail" : "");
	if (want)
		;
	else if ((want = invalidate_core(s, &cmd)))
		;
	else if (cmd.data_type != IOMMU_VIOMMU_INVALIDATE_DATA_ARM_SMMUV3)
		want = EINVAL;
	else if (cmd.entry_num && !n)
		return;
	else if (n && cmd.entry_len < 16)
		want = EINVAL;
	else if (tail)
		/* The copy of the batch fails before any of it is done */
		want = E2BIG;
	else if (refused < n) {
		want = EIO;
		done = refused;
	} else {
		done = n;
	}
	answer(s, do_ioctl(s, IOMMU_HWPT_INVALIDATE, buf), want);
	memcpy(&cmd, buf, sizeof(cmd));
	/* entry_num comes back on every path that reached the command */
	if (!s->bad && !dispatch && cmd.entry_num != done)
		wrong(s, "entry_num %u back, the model says %u", cmd.entry_num,
		      done);
}

static void op_invalidate(struct seq *s)
{
	static const uint32_t lens[] = {
		sizeof(struct iommu_viommu_invalidate_selftest), 16, 8, 4, 0,
		4096, 4097,
	};
	struct iommu_hwpt_invalidate cmd = {
		.hwpt_id = pick(s, K_VIOMMU),
		.data_uptr = rnd(s, 30) ? (uintptr_t)s->entries : 0,
		.data_type = rnd(s, 12) ? IOMMU_VIOMMU_INVALIDATE_DATA_SELFTEST :
			     rnd(s, 2) ? IOMMU_VIOMMU_INVALIDATE_DATA_SELFTEST_INVALID :
					 rnd32(s),
		.entry_len = rnd(s, 4) ? lens[0] : lens[rnd(s, 7)],
		.entry_num = rnd(s, 16) ? rnd(s, 9) :
			     rnd(s, 2) ? INV_MAX + 1 : UINT32_MAX,
		.__reserved = bits(s, 0, 4),
	};
	uint8_t buf[sizeof(cmd) + 8];
	uint32_t i, done = 0, n;
	int want, got, fail = 0, dispatch;

	if (s->smmu)
		return op_invalidate_smmu(s);
	n = cmd.entry_num <= 8 ? cmd.entry_num : 0;
	if ((uint64_t)n * cmd.entry_len > ENTRIES)
		n = 0;
	memset(s->entries, 0, ENTRIES);
	for (i = 0; i < n; i++) {
		struct iommu_viommu_invalidate_selftest *e =
			(void *)((uint8_t *)s->entries + i * cmd.entry_len);
		struct iommu_viommu_invalidate_selftest full = {
			.flags = rnd(s, 8) ? 0 : rnd(s, 3) ?
				 IOMMU_TEST_INVALIDATE_FLAG_ALL :
				 rnd(s, 2) ? IOMMU_TEST_INVALIDATE_FLAG_FAIL :
					     bits(s, 0, 100),
			.vdev_id = rnd(s, 6),
			.cache_id = rnd(s, 10) ? rnd(s, MOCK_DEV_CACHE_NUM) :
				    MOCK_DEV_CACHE_ID_MAX + 1 + rnd(s, 4),
		};

		memcpy(e, &full, cmd.entry_len < sizeof(full) ?
					 cmd.entry_len : sizeof(full));
		/* A longer entry's tail, now and then not zero */
		if (cmd.entry_len > sizeof(full) && !rnd(s, 6))
			((uint8_t *)e)[sizeof(full) +
				       rnd(s, cmd.entry_len - sizeof(full))] = 1;
	}
	want = dispatch = draw_size(s, &cmd, buf, sizeof(cmd), sizeof(cmd),
				    &cmd.size);
	note(s, "HWPT_INVALIDATE size %u hwpt %u uptr %s type %#x len %u num %u res %#x",
	     cmd.size, cmd.hwpt_id, cmd.data_uptr ? "ok" : "0", cmd.data_type,
	     cmd.entry_len, cmd.entry_num, cmd.__reserved);
	if (want)
		;
	else if ((want = invalidate_core(s, &cmd)))
		;
	else if (cmd.data_type != IOMMU_VIOMMU_INVALIDATE_DATA_SELFTEST)
		want = EINVAL;
	else if (cmd.entry_num && !n)
		/* More entries than the model fills: not drawn above */
		return;
	else
		for (done = 0; done < n && !fail; done++) {
			struct iommu_viommu_invalidate_selftest e = {};
			uint8_t *p = (uint8_t *)s->entries + done * cmd.entry_len;

			/* Entries shorter or longer than the mock's */
			if (cmd.entry_len != sizeof(e)) {
				fail = EINVAL;
				break;
			}
			memcpy(&e, p, sizeof(e));
			if (e.flags & ~(IOMMU_TEST_INVALIDATE_FLAG_ALL |
					IOMMU_TEST_INVALIDATE_FLAG_FAIL))
				fail = EOPNOTSUPP;
			else if (e.cache_id > MOCK_DEV_CACHE_ID_MAX ||
				 !vdev_of_virt(s, cmd.hwpt_id, e.vdev_id))
				fail = EINVAL;
			else if (e.flags & IOMMU_TEST_INVALIDATE_FLAG_FAIL)
				fail = EIO;
			if (fail)
				break;
		}
	if (want || fail)
		want = want ? want : fail;
	got = do_ioctl(s, IOMMU_HWPT_INVALIDATE, buf);
	answer(s, got, want);
	memcpy(&cmd, buf, sizeof(cmd));
	/* entry_num comes back on every path that reached the command */
	if (!s->bad && !dispatch && cmd.entry_num != done)
		wrong(s, "entry_num %u back, the model says %u", cmd.entry_num,
		      done);
}

static void op_veventq_alloc(struct seq *s)
{
	struct iommu_veventq_alloc cmd = {
		.flags = bits(s, 0, 5),
		.viommu_id = pick(s, K_VIOMMU),
		.type = rnd(s, 10) ? veventq_type(s) : rnd(s, 2) ? 0 :
			1 + rnd(s, 3),
		.veventq_depth = rnd(s, 12) ? 1 + rnd(s, 4) :
				 rnd(s, 2) ? 0 : DEPTH_MAX + rnd(s, 2),
		.__reserved = bits(s, 0, 5),
	};
	uint8_t buf[sizeof(cmd) + 8];
	uint32_t id = free_id(s, 0);
	int want, got;

	want = draw_size(s, &cmd, buf, sizeof(cmd), 28, &cmd.size);
	note(s, "VEVENTQ_ALLOC size %u flags %#x viommu %u type %#x depth %u res %#x",
	     cmd.size, cmd.flags, cmd.viommu_id, cmd.type, cmd.veventq_depth,
	     cmd.__reserved);
	if (want)
		;
	else if (cmd.flags || cmd.__reserved || !cmd.type)
		want = EOPNOTSUPP;
	else if (!cmd.veventq_depth || cmd.veventq_depth > DEPTH_MAX)
		want = EINVAL;
	else if (!is(s, cmd.viommu_id, K_VIOMMU))
		want = ENOENT;
	else if (cmd.type != veventq_type(s))
		/* Stricter than the ABI sheet: no queue that nothing reaches */
		want = EOPNOTSUPP;
	else if (queue_of(s, cmd.viommu_id, K_VEVENTQ, 0))
		want = EEXIST;
	if (!id)
		return;
	got = do_ioctl(s, IOMMU_VEVENTQ_ALLOC, buf);
	if (!answer(s, got, want))
		return;
	memcpy(&cmd, buf, sizeof(cmd));
	if (cmd.out_veventq_id != id)
		return wrong(s, "new vEVENTQ %u, the lowest free ID is %u",
			     cmd.out_veventq_id, id);
	s->o[id] = (struct obj){ .kind = K_VEVENTQ, .viommu = cmd.viommu_id,
				 .fd = cmd.out_veventq_fd,
				 .depth = cmd.veventq_depth };
	s->made[K_VEVENTQ]++;
}

static void op_hw_queue_alloc(struct seq *s)
{
	struct iommu_hw_queue_alloc cmd = {
		.flags = bits(s, 0, 5),
		.viommu_id = pick(s, K_VIOMMU),
		.type = rnd(s, 10) ? IOMMU_HW_QUEUE_TYPE_SELFTEST :
			rnd(s, 2) ? 0 : 1 + rnd(s, 3),
		.index = rnd(s, 10) ? rnd(s, MOCK_HW_QUEUE_NUM) :
			 MOCK_HW_QUEUE_NUM + rnd(s, 3),
		.nesting_parent_iova = QUEUE_IOVA + 64 * rnd(s, 4),
		.length = rnd(s, 10) ? 64 : rnd(s, 2) ? 0 : 2 * s->page_size,
	};
	uint8_t buf[sizeof(cmd) + 8];
	uint32_t id = free_id(s, 0), access = id ? free_id(s, id) : 0;
	uint64_t last;
	int want, got;

	if (!rnd(s, 10))
		cmd.nesting_parent_iova = rnd(s, 2) ? UINT64_MAX - 8 :
						      QUEUE_IOVA + s->page_size;
	want = draw_size(s, &cmd, buf, sizeof(cmd), sizeof(cmd), &cmd.size);
	note(s, "HW_QUEUE_ALLOC size %u flags %#x viommu %u type %#x index %u iova %#llx length %llu",
	     cmd.size, cmd.flags, cmd.viommu_id, cmd.type, cmd.index,
	     (unsigned long long)cmd.nesting_parent_iova,
	     (unsigned long long)cmd.length);
	if (want)
		;
	else if (cmd.flags || !cmd.type)
		want = EOPNOTSUPP;
	else if (!cmd.length)
		want = EINVAL;
	else if (__builtin_add_overflow(cmd.nesting_parent_iova,
					cmd.length - 1, &last))
		want = EOVERFLOW;
	else if (!is(s, cmd.viommu_id, K_VIOMMU))
		want = ENOENT;
	else if (s->smmu || cmd.type != IOMMU_HW_QUEUE_TYPE_SELFTEST)
		/* A plain vSMMU has no HW queues */
		want = EOPNOTSUPP;
	else if (cmd.nesting_parent_iova < QUEUE_IOVA ||
		 last >= QUEUE_IOVA + (uint64_t)s->page_size)
		/* Only one page is mapped */
		want = ENOENT;
	else if (cmd.index >= MOCK_HW_QUEUE_NUM)
		want = EINVAL;
	else if (queue_of(s, cmd.viommu_id, K_HWQ, cmd.index))
		want = EEXIST;
	else if (cmd.index && !queue_of(s, cmd.viommu_id, K_HWQ, cmd.index - 1))
		want = EIO;
	if (!access)
		return;
	got = do_ioctl(s, IOMMU_HW_QUEUE_ALLOC, buf);
	if (!answer(s, got, want))
		return;
	memcpy(&cmd, buf, sizeof(cmd));
	if (cmd.out_hw_queue_id != id)
		return wrong(s, "new HW queue %u, the lowest free ID is %u",
			     cmd.out_hw_queue_id, id);
	s->o[id] = (struct obj){ .kind = K_HWQ, .viommu = cmd.viommu_id,
				 .index = cmd.index, .access = access };
	s->o[access] = (struct obj){ .kind = K_ACCESS };
	s->made[K_HWQ]++;
}

/*
 * mmap() of a vIOMMU's page on the iommufd: shared, not executable, exactly
 * the offset and length the vIOMMU gave; each mapping holds the vIOMMU
 */
static void op_mmap(struct seq *s)
{
	uint32_t viommu = any_of(s, K_VIOMMU);
	long page = sysconf(_SC_PAGESIZE);
	int flags = rnd(s, 10) ? MAP_SHARED : MAP_PRIVATE;
	int prot = PROT_READ | PROT_WRITE | (rnd(s, 20) ? 0 : PROT_EXEC);
	size_t len = rnd(s, 10) ? page : 2 * page;
	uint64_t off = 0;
	int want = 0;
	void *p;

	if (s->nmaps && !rnd(s, 3)) {
		unsigned int k = rnd(s, s->nmaps);

		note(s, "munmap a page of vIOMMU %u", s->maps[k].viommu);
		answer(s, munmap(s->maps[k].addr, page) ? -errno : 0, 0);
		s->o[s->maps[k].viommu].maps--;
		s->maps[k] = s->maps[--s->nmaps];
		return;
	}
	if (viommu && s->o[viommu].mmap_off && rnd(s, 8))
		off = s->o[viommu].mmap_off;
	else
		/* No vIOMMU's page: 0 or far beyond any */
		off = rnd(s, 2) ? 0 : (uint64_t)page << 30;
	if (s->nmaps == MAXMAPS)
		return;
	note(s, "mmap %s%s offset %#llx length %zu", flags == MAP_SHARED ?
	     "shared" : "private", prot & PROT_EXEC ? " exec" : "",
	     (unsigned long long)off, len);
	if (flags != MAP_SHARED)
		want = EINVAL;
	else if (prot & PROT_EXEC)
		want = EPERM;
	else if (!off || off != s->o[viommu].mmap_off || len != (size_t)page)
		want = ENXIO;
	p = mmap(NULL, len, prot, flags, s->fd, off);
	if (!answer(s, p == MAP_FAILED ? -errno : 0, want))
		return;
	s->maps[s->nmaps].addr = p;
	s->maps[s->nmaps++].viommu = viommu;
	s->o[viommu].maps++;
	s->mapped++;
}

/* A device's unbind: its vDEVICE goes, its ID stays taken */
static void unbound(struct seq *s, uint32_t stdev)
{
	uint32_t idev = s->o[stdev].idev, vdev = s->o[idev].vdev;

	if (vdev)
		s->o[vdev] = (struct obj){ .kind = K_TOMB };
	s->o[idev] = (struct obj){ .kind = K_NONE };
	s->o[stdev] = (struct obj){ .kind = K_NONE };
}

static void op_destroy(struct seq *s)
{
	struct iommu_destroy cmd = { .size = sizeof(cmd) };
	uint32_t id;
	struct obj *o;
	int want = 0, got;

	id = pick(s, (enum kind[]){ K_VIOMMU, K_VDEV, K_NESTED, K_VEVENTQ,
				    K_HWQ, K_IDEV, K_ACCESS }[rnd(s, 7)]);
	o = id && id < MAXID ? &s->o[id] : NULL;
	/* The world's fixtures stay; unbinds are op_unbind()'s */
	if (o && (o->kind == K_IOAS || o->kind == K_S2 ||
		  o->kind == K_PAGING || o->kind == K_STDEV))
		return;
	cmd.id = id;
	note(s, "DESTROY %u (%s)", id, o ? kind_name[o->kind] : "beyond");
	if (!o || o->kind == K_NONE || o->kind == K_TOMB)
		want = ENOENT;
	else if (o->kind == K_IDEV || o->kind == K_ACCESS)
		want = EBUSY;
	else if ((o->kind == K_VIOMMU || o->kind == K_NESTED) &&
		 users_of(s, id))
		want = EBUSY;
	else if (o->kind == K_VEVENTQ && o->fd >= 0)
		want = EBUSY;
	else if (o->kind == K_HWQ &&
		 queue_of(s, o->viommu, K_HWQ, o->index + 1))
		want = EBUSY;
	got = do_ioctl(s, IOMMU_DESTROY, &cmd);
	if (!answer(s, got, want))
		return;
	if (o->kind == K_VDEV)
		s->o[o->idev].vdev = 0;
	if (o->kind == K_HWQ)
		s->o[o->access] = (struct obj){ .kind = K_NONE };
	*o = (struct obj){ .kind = K_NONE };
}

/*
 * The edu device to the stage-2 or a nested HWPT: a stage-1 vSTE needs the
 * device's vDEVICE on the HWPT's vSMMU
 */
static void op_attach_smmu(struct seq *s)
{
	uint32_t idev = s->dev.dev_id, pt, vdev = s->o[idev].vdev;
	int want = 0;

	pt = rnd(s, 3) ? any_of(s, K_NESTED) : s->s2;
	if (!pt || !rnd(s, 20))
		pt = free_id(s, 0);
	note(s, "VFIO attach to %u (%s)", pt, kind_name[s->o[pt].kind]);
	if (pt == s->o[idev].pt)
		/* Already there: nothing to check, nothing to change */
		want = 0;
	else if (!is(s, pt, K_NESTED) && pt != s->s2)
		want = ENOENT;
	else if (is(s, pt, K_NESTED) && s->o[pt].cfg == CFG_S1 &&
		 (!vdev || s->o[vdev].viommu != s->o[pt].viommu))
		want = ENOENT;
	if (answer(s, vmm_attach(&s->dev, pt), want))
		s->o[idev].pt = pt;
}

static void op_attach(struct seq *s)
{
	uint32_t stdev = any_of(s, K_STDEV), pt;
	struct iommu_test_cmd cmd = {
		.size = sizeof(cmd),
		.op = IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE,
	};
	int want = 0, got;

	if (s->smmu)
		return op_attach_smmu(s);
	if (!stdev)
		return;
	pt = rnd(s, 3) ? any_of(s, K_NESTED) : s->s2;
	if (!pt || !rnd(s, 20))
		pt = free_id(s, 0);
	cmd.id = stdev;
	cmd.mock_domain_replace.pt_id = pt;
	note(s, "MOCK_DOMAIN_REPLACE stdev %u pt %u", stdev, pt);
	if (!is(s, pt, K_NESTED) && pt != s->s2)
		want = ENOENT;
	got = do_ioctl(s, IOMMU_TEST_CMD, &cmd);
	if (answer(s, got, want))
		s->o[stdev].pt = pt;
}

static void op_unbind(struct seq *s)
{
	uint32_t stdev = any_of(s, K_STDEV);

	if (!stdev)
		return;
	note(s, "DESTROY %u (stdev: unbind, vDEVICE %u)", stdev,
	     s->o[s->o[stdev].idev].vdev);
	if (answer(s, vmm_destroy(s->fd, stdev), 0))
		unbound(s, stdev);
}

/* A new mock device, moved from its automatic domain onto the stage-2 */
static void op_bind(struct seq *s)
{
	uint32_t stdev = free_id(s, 0), idev = free_id(s, stdev),
		 hwpt = free_id(s, idev);
	struct iommu_test_cmd cmd = {
		.size = sizeof(cmd),
		.op = IOMMU_TEST_OP_MOCK_DOMAIN,
		.id = s->ioas,
	};
	int got;

	if (!hwpt)
		return;
	note(s, "MOCK_DOMAIN ioas %u", s->ioas);
	got = do_ioctl(s, IOMMU_TEST_CMD, &cmd);
	if (!answer(s, got, 0))
		return;
	if (cmd.mock_domain.out_stdev_id != stdev ||
	    cmd.mock_domain.out_idev_id != idev ||
	    cmd.mock_domain.out_hwpt_id != hwpt)
		return wrong(s, "new IDs %u %u %u, the lowest free are %u %u %u",
			     cmd.mock_domain.out_stdev_id,
			     cmd.mock_domain.out_idev_id,
			     cmd.mock_domain.out_hwpt_id, stdev, idev, hwpt);
	s->o[stdev] = (struct obj){ .kind = K_STDEV, .idev = idev,
				    .pt = s->s2 };
	s->o[idev] = (struct obj){ .kind = K_IDEV, .stdev = stdev };
	history_push(s);
	cmd.op = IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE;
	cmd.id = stdev;
	cmd.mock_domain_replace.pt_id = s->s2;
	note(s, "MOCK_DOMAIN_REPLACE stdev %u pt %u (the automatic domain %u goes)",
	     stdev, s->s2, hwpt);
	answer(s, do_ioctl(s, IOMMU_TEST_CMD, &cmd), 0);
}

/* Raise events through a device's vDEVICE: into its vIOMMU's vEVENTQ */
static void op_trigger(struct seq *s)
{
	uint32_t idev = pick(s, K_IDEV), count = rnd(s, 12) ? 1 + rnd(s, 3) : 0;
	struct iommu_test_cmd cmd = {
		.size = sizeof(cmd),
		.op = IOMMU_TEST_OP_TRIGGER_VEVENT,
		.id = idev,
		.trigger_vevent = { .cookie = rnd32(s), .count = count },
	};
	uint32_t q = 0, i;
	int want = 0;

	note(s, "TRIGGER_VEVENT idev %u count %u", idev, count);
	if (!count)
		want = EINVAL;
	else if (!is(s, idev, K_IDEV))
		want = ENOENT;
	else if (!s->o[idev].vdev)
		want = ENOENT;
	else if (!(q = queue_of(s, s->o[s->o[idev].vdev].viommu, K_VEVENTQ,
				0)))
		/* No queue of the type on the vIOMMU */
		want = EOPNOTSUPP;
	if (!answer(s, do_ioctl(s, IOMMU_TEST_CMD, &cmd), want))
		return;
	for (i = 0; i < count; i++) {
		struct obj *o = &s->o[q];
		uint32_t seq = o->next_seq++ & 0x7fffffff;

		if (o->nrec < o->depth) {
			if (!o->nrec)
				o->first_seq = seq;
			o->nrec++;
			o->lost = false;
		} else {
			o->lost = true;
			o->lost_seq = seq;
		}
	}
}

static void op_veventq_fd(struct seq *s)
{
	uint32_t q = any_of(s, K_VEVENTQ);
	struct obj *o = &s->o[q];
	uint8_t buf[4096];
	size_t count, rec = sizeof(struct iommufd_vevent_header) +
			    sizeof(struct iommu_viommu_event_selftest);
	ssize_t got;
	uint32_t k;
	int want = 0;

	if (!q || o->fd < 0)
		return;
	if (!rnd(s, 4)) {
		note(s, "close vEVENTQ %u's fd", q);
		answer(s, close(o->fd) ? -errno : 0, 0);
		o->fd = -1;
		return;
	}
	count = rnd(s, 8) ? sizeof(buf) : rnd(s, 2) ? 7 : rec - 4;
	note(s, "read vEVENTQ %u, %zu bytes, %u records%s", q, count, o->nrec,
	     o->lost ? " and the marker" : "");
	if (count < sizeof(struct iommufd_vevent_header))
		want = EINVAL;
	else if (count < rec && o->nrec)
		want = EINVAL;
	got = read(o->fd, buf, count);
	if (!answer(s, got < 0 ? -errno : 0, want) || count < rec)
		return;
	if ((size_t)got != o->nrec * rec + (o->lost ? 8 : 0))
		return wrong(s, "read %zd bytes, the model says %zu", got,
			     o->nrec * rec + (o->lost ? 8 : 0));
	for (k = 0; k < o->nrec; k++) {
		struct iommufd_vevent_header *h = (void *)(buf + k * rec);

		if (h->flags || h->sequence != ((o->first_seq + k) & 0x7fffffff))
			return wrong(s, "record %u: flags %#x sequence %u, the model says 0 and %u",
				     k, h->flags, h->sequence,
				     (o->first_seq + k) & 0x7fffffff);
	}
	if (o->lost) {
		struct iommufd_vevent_header *h = (void *)(buf + k * rec);

		if (h->flags != IOMMU_VEVENTQ_FLAG_LOST_EVENTS ||
		    h->sequence != o->lost_seq)
			return wrong(s, "marker: flags %#x sequence %u, the model says %#x and %u",
				     h->flags, h->sequence,
				     IOMMU_VEVENTQ_FLAG_LOST_EVENTS, o->lost_seq);
	}
	s->events += o->nrec;
	o->nrec = 0;
	o->lost = false;
}

static void op_hw_info(struct seq *s)
{
	uint32_t info_type = s->smmu ? IOMMU_HW_INFO_TYPE_ARM_SMMUV3 :
				       IOMMU_HW_INFO_TYPE_SELFTEST;
	uint8_t data[64];
	struct iommu_hw_info cmd = {
		.flags = rnd(s, 2) ? 0 : bits(s, IOMMU_HW_INFO_FLAG_INPUT_TYPE, 10),
		.dev_id = pick(s, K_IDEV),
		.data_len = sizeof(data),
		.data_uptr = (uintptr_t)data,
		.in_data_type = rnd(s, 4) ? info_type :
				rnd(s, 2) ? IOMMU_HW_INFO_TYPE_DEFAULT :
				rnd(s, 2) ? rnd32(s) : 1 + rnd(s, 4),
	};
	uint8_t buf[sizeof(cmd) + 8];
	int want, got;

	if (!rnd(s, 20))
		cmd.__reserved[rnd(s, 3)] = 1 + rnd(s, 255);
	want = draw_size(s, &cmd, buf, sizeof(cmd), 32, &cmd.size);
	note(s, "GET_HW_INFO size %u flags %#x dev %u in_type %#x res %u%u%u",
	     cmd.size, cmd.flags, cmd.dev_id, cmd.in_data_type,
	     cmd.__reserved[0], cmd.__reserved[1], cmd.__reserved[2]);
	if (want)
		;
	else if ((cmd.flags & ~IOMMU_HW_INFO_FLAG_INPUT_TYPE) ||
		 cmd.__reserved[0] || cmd.__reserved[1] || cmd.__reserved[2])
		want = EOPNOTSUPP;
	else if (!is(s, cmd.dev_id, K_IDEV))
		want = ENOENT;
	else if ((cmd.flags & IOMMU_HW_INFO_FLAG_INPUT_TYPE) &&
		 cmd.in_data_type != IOMMU_HW_INFO_TYPE_DEFAULT &&
		 cmd.in_data_type != info_type)
		want = EOPNOTSUPP;
	got = do_ioctl(s, IOMMU_GET_HW_INFO, buf);
	if (!answer(s, got, want))
		return;
	memcpy(&cmd, buf, sizeof(cmd));
	if (cmd.out_data_type != info_type)
		wrong(s, "out_data_type %#x", cmd.out_data_type);
}

/*
 * Which IDs exist, asked without changing anything: an invalidation of no
 * entries finds the object, or answers ENOENT. Tombstones answer ENOENT.
 */
static void audit(struct seq *s)
{
	struct iommu_hwpt_invalidate cmd = { .size = sizeof(cmd) };
	uint32_t id, last = 0;
	bool gone;
	int got;

	for (id = 1; id < MAXID; id++)
		if (s->o[id].kind != K_NONE)
			last = id;
	for (id = 1; id <= last + 4 && !s->bad; id++) {
		cmd.hwpt_id = id;
		cmd.entry_num = 0;
		got = do_ioctl(s, IOMMU_HWPT_INVALIDATE, &cmd);
		gone = s->o[id].kind == K_NONE || s->o[id].kind == K_TOMB;
		s->calls++;
		if ((got == -ENOENT) != gone) {
			note(s, "audit of ID %u", id);
			wrong(s, "ID %u (%s in the model) answers %s", id,
			      kind_name[s->o[id].kind],
			      got ? strerror(-got) : "success");
		}
	}
}

static const struct {
	void (*fn)(struct seq *s);
	unsigned int weight;
	bool mock_only;
} ops[] = {
	{ op_viommu_alloc, 10 }, { op_vdevice_alloc, 12 },
	{ op_nested_alloc, 10 }, { op_invalidate, 16 },
	{ op_veventq_alloc, 7 }, { op_hw_queue_alloc, 8 },
	{ op_destroy, 18 }, { op_attach, 8 }, { op_unbind, 1, true },
	{ op_bind, 2, true }, { op_trigger, 6, true }, { op_veventq_fd, 6 },
	{ op_hw_info, 3 }, { op_mmap, 4 },
};

static void run(struct seq *s)
{
	unsigned int total = 0, i, r;

	for (i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
		total += ops[i].weight;
	for (s->step = 1; s->step <= steps && !s->bad; s->step++) {
		r = rnd(s, total);
		for (i = 0; r >= ops[i].weight; i++)
			r -= ops[i].weight;
		s->cur[0] = 0;
		/* Keep the IDs short of the model's end */
		if (live(s) > MAXID / 2)
			op_destroy(s);
		else if (s->smmu && ops[i].mock_only)
			;
		else if (!s->smmu && !count_kind(s, K_STDEV))
			op_bind(s);
		else if (ops[i].fn != op_bind || count_kind(s, K_STDEV) < NDEV)
			ops[i].fn(s);
		if (s->cur[0])
			history_push(s);
		if (!(s->step % 512))
			audit(s);
	}
	audit(s);
}

/* The world the steps start from: an IOAS, devices on a stage-2 */
static void setup(struct __test_metadata *_metadata, struct seq *s)
{
	struct iommu_test_cmd cmd = {
		.size = sizeof(cmd),
		.op = IOMMU_TEST_OP_MOCK_DOMAIN,
	};
	struct iommu_hwpt_alloc paging = { .size = sizeof(paging) };
	uint32_t auto_hwpt, i;

	s->rnd = seed;
	s->page_size = sysconf(_SC_PAGESIZE);
	s->fd = open("/dev/iommu", O_RDWR);
	ASSERT_LE(0, s->fd);
	s->entries = calloc(1, ENTRIES);
	ASSERT_NE(NULL, s->entries);
	s->queue_page = mmap(NULL, s->page_size, PROT_READ | PROT_WRITE,
			     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, s->queue_page);
	memset(s->queue_page, 0, s->page_size);

	ASSERT_EQ(0, vmm_ioas_alloc(s->fd, &s->ioas));
	s->o[s->ioas].kind = K_IOAS;
	ASSERT_EQ(0, vmm_ioas_map_fixed(s->fd, s->ioas, s->queue_page,
					s->page_size, QUEUE_IOVA));
	cmd.id = s->ioas;
	ASSERT_EQ(0, do_ioctl(s, IOMMU_TEST_CMD, &cmd));
	s->o[cmd.mock_domain.out_stdev_id] = (struct obj){
		.kind = K_STDEV, .idev = cmd.mock_domain.out_idev_id };
	s->o[cmd.mock_domain.out_idev_id] = (struct obj){
		.kind = K_IDEV, .stdev = cmd.mock_domain.out_stdev_id };
	auto_hwpt = cmd.mock_domain.out_hwpt_id;
	s->o[auto_hwpt].kind = K_PAGING;
	ASSERT_EQ(0, vmm_nest_parent_alloc(s->fd, cmd.mock_domain.out_idev_id,
					   s->ioas, &s->s2));
	s->o[s->s2].kind = K_S2;
	paging.dev_id = cmd.mock_domain.out_idev_id;
	paging.pt_id = s->ioas;
	ASSERT_EQ(0, do_ioctl(s, IOMMU_HWPT_ALLOC, &paging));
	s->paging = paging.out_hwpt_id;
	s->o[s->paging].kind = K_PAGING;
	/* Off its automatic domain, which goes */
	cmd.op = IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE;
	cmd.id = cmd.mock_domain.out_stdev_id;
	cmd.mock_domain_replace.pt_id = s->s2;
	ASSERT_EQ(0, do_ioctl(s, IOMMU_TEST_CMD, &cmd));
	s->o[cmd.id].pt = s->s2;
	s->o[auto_hwpt].kind = K_NONE;
	for (i = 1; i < NDEV; i++)
		op_bind(s);
	audit(s);
	ASSERT_FALSE(s->bad);
}

static void unmap_all(struct seq *s)
{
	while (s->nmaps) {
		s->nmaps--;
		munmap(s->maps[s->nmaps].addr, sysconf(_SC_PAGESIZE));
		s->o[s->maps[s->nmaps].viommu].maps--;
	}
}

static void destroy_all(struct __test_metadata *_metadata, struct seq *s,
			enum kind kind)
{
	uint32_t id;

	for (id = MAXID - 1; id; id--) {
		if (s->o[id].kind != kind)
			continue;
		/* A HW queue goes before the one below it: highest first */
		if (kind == K_HWQ &&
		    queue_of(s, s->o[id].viommu, K_HWQ, s->o[id].index + 1))
			continue;
		ASSERT_EQ(0, vmm_destroy(s->fd, id)) TH_LOG("%s %u",
							    kind_name[kind],
							    id);
		if (kind == K_HWQ)
			s->o[s->o[id].access].kind = K_NONE;
		if (kind == K_STDEV)
			unbound(s, id);
		s->o[id].kind = K_NONE;
		/* Start over: the order within a kind may matter */
		id = MAXID;
	}
}

/* In the documented order, then nothing is left but the tombstones */
static void teardown(struct __test_metadata *_metadata, struct seq *s)
{
	struct iommu_test_cmd cmd = {
		.size = sizeof(cmd),
		.op = IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE,
		.mock_domain_replace = { .pt_id = s->s2 },
	};
	uint32_t id;

	unmap_all(s);
	for (id = 1; id < MAXID; id++) {
		if (s->o[id].kind == K_VEVENTQ && s->o[id].fd >= 0) {
			ASSERT_EQ(0, close(s->o[id].fd));
			s->o[id].fd = -1;
		}
		if (s->o[id].kind == K_STDEV) {
			cmd.id = id;
			ASSERT_EQ(0, do_ioctl(s, IOMMU_TEST_CMD, &cmd));
			s->o[id].pt = s->s2;
		}
	}
	destroy_all(_metadata, s, K_VEVENTQ);
	destroy_all(_metadata, s, K_HWQ);
	destroy_all(_metadata, s, K_NESTED);
	destroy_all(_metadata, s, K_VDEV);
	destroy_all(_metadata, s, K_VIOMMU);
	ASSERT_EQ(0, vmm_fdinfo_viommus(s->fd, ""));
	destroy_all(_metadata, s, K_STDEV);
	destroy_all(_metadata, s, K_PAGING);
	destroy_all(_metadata, s, K_S2);
	destroy_all(_metadata, s, K_IOAS);
	audit(s);
	ASSERT_FALSE(s->bad);
	ASSERT_EQ(0, close(s->fd));
	munmap(s->queue_page, s->page_size);
	free(s->entries);
}

/* The SMMU's world: the edu device on a stage-2 over the guest's memory */
static void setup_smmu(struct __test_metadata *_metadata, struct seq *s)
{
	struct iommu_hwpt_alloc paging = { .size = sizeof(paging) };

	s->smmu = true;
	s->rnd = seed;
	s->dev.vfio_fd = -1;
	s->entries = calloc(1, ENTRIES);
	ASSERT_NE(NULL, s->entries);
	ASSERT_EQ(0, vmm_open_edu(&s->dev, &s->fd, &s->ioas));
	s->o[s->ioas].kind = K_IOAS;
	s->o[s->dev.dev_id].kind = K_IDEV;
	s->gmem = mmap(NULL, GUEST_MEM_SIZE, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, s->gmem);
	memset(s->gmem, 0, GUEST_MEM_SIZE);
	guest_build_stage1(s->gmem);
	ASSERT_EQ(0, vmm_ioas_map_fixed(s->fd, s->ioas, s->gmem,
					GUEST_MEM_SIZE, GUEST_GPA));
	ASSERT_EQ(0, vmm_nest_parent_alloc(s->fd, s->dev.dev_id, s->ioas,
					   &s->s2));
	s->o[s->s2].kind = K_S2;
	paging.dev_id = s->dev.dev_id;
	paging.pt_id = s->ioas;
	ASSERT_EQ(0, do_ioctl(s, IOMMU_HWPT_ALLOC, &paging));
	s->paging = paging.out_hwpt_id;
	s->o[s->paging].kind = K_PAGING;
	ASSERT_EQ(0, vmm_attach(&s->dev, s->s2));
	s->o[s->dev.dev_id].pt = s->s2;
	audit(s);
	ASSERT_FALSE(s->bad);
}

static void teardown_smmu(struct __test_metadata *_metadata, struct seq *s)
{
	uint32_t id;

	unmap_all(s);
	for (id = 1; id < MAXID; id++)
		if (s->o[id].kind == K_VEVENTQ && s->o[id].fd >= 0) {
			ASSERT_EQ(0, close(s->o[id].fd));
			s->o[id].fd = -1;
		}
	ASSERT_EQ(0, vmm_attach(&s->dev, s->s2));
	s->o[s->dev.dev_id].pt = s->s2;
	destroy_all(_metadata, s, K_VEVENTQ);
	destroy_all(_metadata, s, K_NESTED);
	destroy_all(_metadata, s, K_VDEV);
	destroy_all(_metadata, s, K_VIOMMU);
	ASSERT_EQ(0, vmm_fdinfo_viommus(s->fd, ""));
	audit(s);
	ASSERT_FALSE(s->bad);
	/* Off the stage-2, onto an automatic domain the model does not know */
	ASSERT_EQ(0, vmm_attach(&s->dev, s->ioas));
	destroy_all(_metadata, s, K_PAGING);
	destroy_all(_metadata, s, K_S2);
	vmm_close(&s->dev);
	ASSERT_EQ(0, close(s->fd));
	munmap(s->gmem, GUEST_MEM_SIZE);
	free(s->entries);
}

static void read_params(void)
{
	char cmdline[4096];
	const char *p;
	FILE *f;

	f = fopen("/proc/cmdline", "r");
	if (f && fgets(cmdline, sizeof(cmdline), f)) {
		p = strstr(cmdline, "vsmmu.seq=");
		if (p)
			sscanf(p + strlen("vsmmu.seq="), "%u,%u", &seed, &steps);
	}
	if (f)
		fclose(f);
}

FIXTURE(sequencer) {};
FIXTURE_SETUP(sequencer) {}
FIXTURE_TEARDOWN(sequencer) {}

TEST_F_TIMEOUT(sequencer, mock, 600)
{
	static struct seq s;
	unsigned int k, kinds = 0;

	read_params();
	setup(_metadata, &s);
	run(&s);
	for (k = K_VIOMMU; k <= K_HWQ; k++)
		kinds += s.made[k] != 0;
	kinds += s.mapped != 0;
	printf("@@seq mock seed=%u steps=%lu ioctls=%lu succeeded=%lu refused=%lu viommus=%lu vdevices=%lu nested=%lu veventqs=%lu hw_queues=%lu events=%lu mmaps=%lu wrong=%u\n",
	       seed, s.step - 1, s.calls, s.succeeded, s.calls - s.succeeded,
	       s.made[K_VIOMMU], s.made[K_VDEV], s.made[K_NESTED],
	       s.made[K_VEVENTQ], s.made[K_HWQ], s.events, s.mapped,
	       (unsigned int)s.bad);
	fflush(stdout);
	ASSERT_FALSE(s.bad);
	/* A run that made none of some kind tested too little */
	ASSERT_EQ(K_HWQ - K_VIOMMU + 2, kinds);
	teardown(_metadata, &s);
}

TEST_F_TIMEOUT(sequencer, smmu, 600)
{
	static struct seq s;
	unsigned int k, kinds = 0;

	read_params();
	if (!vmm_iort_rc_canwbs())
		SKIP(return, "no CANWBS root complex: no vSMMU on this boot");
	setup_smmu(_metadata, &s);
	run(&s);
	for (k = K_VIOMMU; k <= K_VEVENTQ; k++)
		kinds += s.made[k] != 0;
	printf("@@seq smmu seed=%u steps=%lu ioctls=%lu succeeded=%lu refused=%lu viommus=%lu vdevices=%lu nested=%lu veventqs=%lu wrong=%u\n",
	       seed, s.step - 1, s.calls, s.succeeded, s.calls - s.succeeded,
	       s.made[K_VIOMMU], s.made[K_VDEV], s.made[K_NESTED],
	       s.made[K_VEVENTQ], (unsigned int)s.bad);
	fflush(stdout);
	ASSERT_FALSE(s.bad);
	ASSERT_EQ(K_VEVENTQ - K_VIOMMU + 1, kinds);
	teardown_smmu(_metadata, &s);
}

TEST_HARNESS_MAIN
