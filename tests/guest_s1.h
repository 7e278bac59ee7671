/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The guest's half of a nested SMMUv3 set-up, as a guest SMMU driver would
 * write it into its own memory: one context descriptor and 4K-granule
 * stage-1 tables mapping two device addresses, plus the STE and commands it
 * hands to its (virtual) SMMU. The guest's memory is one buffer the VMM maps
 * at guest physical address GUEST_GPA.
 */
#ifndef VSMMU_TESTS_GUEST_S1_H
#define VSMMU_TESTS_GUEST_S1_H

#include <stdint.h>

#define GUEST_GPA	0x40000000ULL	/* IPA of the guest's memory */
#define GUEST_MEM_SIZE	0x200000UL
#define GUEST_OFF_CD	0x0000		/* context descriptor table (1 CD) */
#define GUEST_OFF_L1	0x1000		/* stage-1 tables: 39-bit VA, 4K */
#define GUEST_OFF_L2	0x2000
#define GUEST_OFF_L3	0x3000
#define GUEST_OFF_SRC	0x10000		/* the page the device reads */
#define GUEST_OFF_A	0x11000		/* where it writes first */
#define GUEST_OFF_B	0x12000		/* where it writes once remapped */
/* Device addresses (stage-1 input), below edu's 28-bit DMA limit */
#define GUEST_VA_SRC	0x01000000ULL
#define GUEST_VA_DST	0x01001000ULL
#define GUEST_VA_HOLE	0x01002000ULL	/* no stage-1 entry */
#define GUEST_ASID	1
#define GUEST_PAGE	4096

/* Guest STE words 0 and 1 (SMMUv3 architecture) */
#define GSTE0_V		(1ULL << 0)
#define GSTE0_CFG_ABORT	(0ULL << 1)
#define GSTE0_CFG_BYPASS (4ULL << 1)
#define GSTE0_CFG_S1	(5ULL << 1)
#define GSTE1_S1C_WB	((1ULL << 2) | (1ULL << 4) | (3ULL << 6))

/* Guest commands */
#define GCMD_CFGI_STE		0x03ULL
#define GCMD_CFGI_CD_ALL	0x06ULL
#define GCMD_TLBI_NH_ALL	0x10ULL
#define GCMD_TLBI_NH_VA		0x12ULL

/* Write the CD and tables: VA_SRC -> SRC, VA_DST -> A */
void guest_build_stage1(uint8_t *gmem);
/*
 * Map the host's MSI window (what QEMU's IORT RMR describes to a guest)
 * one to one, as a guest's SMMU driver does for an RMR: 2 MiB at @base
 */
void guest_map_identity_2m(uint8_t *gmem, uint64_t base);
/* Point VA_DST at another page of guest memory */
void guest_remap_dst(uint8_t *gmem, uint64_t off);
/* The guest's STE for its stage-1: words 0 and 1 */
void guest_ste_s1(uint64_t ste[2]);
/* CMD_TLBI_NH_VA of one leaf page of the guest's ASID */
void guest_cmd_tlbi_va(uint64_t cmd[2], uint64_t va);

#endif
