// SPDX-License-Identifier: GPL-2.0-only
/*
 * The guest's stage-1 for the nested tests and the demo; see guest_s1.h.
 */
#include <endian.h>
#include <string.h>

#include "guest_s1.h"

/* Armv8 VMSA stage-1 descriptors */
#define DESC_TABLE	0x3ULL
/* Page, AF, inner shareable, AP[1] (read/write at any level), attr 0 */
#define DESC_PAGE	(0x3ULL | (1ULL << 10) | (3ULL << 8) | (1ULL << 6))

/* The same attributes in a level-2 block (2 MiB) */
#define DESC_BLOCK	(0x1ULL | (1ULL << 10) | (3ULL << 8) | (1ULL << 6))

/* SMMUv3 context descriptor word 0 */
#define CD0_T0SZ(x)	((uint64_t)(x))
#define CD0_IRGN0_WB	(1ULL << 8)
#define CD0_ORGN0_WB	(1ULL << 10)
#define CD0_SH0_IS	(3ULL << 12)
#define CD0_EPD1	(1ULL << 30)
#define CD0_V		(1ULL << 31)
#define CD0_IPS_40	(2ULL << 32)
#define CD0_AA64	(1ULL << 41)
#define CD0_R		(1ULL << 45)
#define CD0_A		(1ULL << 46)
#define CD0_ASET	(1ULL << 47)
#define CD0_ASID(x)	((uint64_t)(x) << 48)

static uint64_t *at(uint8_t *gmem, uint64_t off)
{
	return (uint64_t *)(gmem + off);
}

static unsigned int l3_index(uint64_t va)
{
	return (va >> 12) & 511;
}

void guest_build_stage1(uint8_t *gmem)
{
	uint64_t *cd = at(gmem, GUEST_OFF_CD);

	memset(gmem, 0, GUEST_OFF_L3 + GUEST_PAGE);
	/* T0SZ 25: 39-bit VAs, walks start at level 1 */
	at(gmem, GUEST_OFF_L1)[0] =
		htole64((GUEST_GPA + GUEST_OFF_L2) | DESC_TABLE);
	at(gmem, GUEST_OFF_L2)[(GUEST_VA_SRC >> 21) & 511] =
		htole64((GUEST_GPA + GUEST_OFF_L3) | DESC_TABLE);
	at(gmem, GUEST_OFF_L3)[l3_index(GUEST_VA_SRC)] =
		htole64((GUEST_GPA + GUEST_OFF_SRC) | DESC_PAGE);
	at(gmem, GUEST_OFF_L3)[l3_index(GUEST_VA_DST)] =
		htole64((GUEST_GPA + GUEST_OFF_A) | DESC_PAGE);

	cd[0] = htole64(CD0_T0SZ(25) | CD0_IRGN0_WB | CD0_ORGN0_WB |
			CD0_SH0_IS | CD0_EPD1 | CD0_V | CD0_IPS_40 |
			CD0_AA64 | CD0_R | CD0_A | CD0_ASET |
			CD0_ASID(GUEST_ASID));
	cd[1] = htole64(GUEST_GPA + GUEST_OFF_L1);	/* TTB0 */
	cd[3] = htole64(0xff);		/* MAIR attr 0: Normal write-back */
	__sync_synchronize();
}

void guest_map_identity_2m(uint8_t *gmem, uint64_t base)
{
	/* Below 1 GiB, next to the tables' own level-2 entry */
	at(gmem, GUEST_OFF_L2)[(base >> 21) & 511] =
		htole64((base & ~0x1fffffULL) | DESC_BLOCK);
	__sync_synchronize();
}

void guest_remap_dst(uint8_t *gmem, uint64_t off)
{
	at(gmem, GUEST_OFF_L3)[l3_index(GUEST_VA_DST)] =
		htole64((GUEST_GPA + off) | DESC_PAGE);
	__sync_synchronize();
}

void guest_ste_s1(uint64_t ste[2])
{
	/* Linear CD table of one CD, at an IPA */
	ste[0] = GSTE0_V | GSTE0_CFG_S1 | (GUEST_GPA + GUEST_OFF_CD);
	ste[1] = GSTE1_S1C_WB;
}

void guest_cmd_tlbi_va(uint64_t cmd[2], uint64_t va)
{
	cmd[0] = GCMD_TLBI_NH_VA | ((uint64_t)GUEST_ASID << 48);
	cmd[1] = va | 1;	/* leaf */
}
