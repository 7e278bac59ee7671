#!/usr/bin/env python3
"""Turn the IORT QEMU gives the test VM into one whose PCI root complexes are
CANWBS (IORT memory access flags bit 2: every access of their devices is a
coherent write-back one), for the kernel's ACPI table upgrade.

QEMU 10's virt machine reports memory access flags 0x3 (CPM | DACS) and its
SMMUv3 has no stage-2 forced write-back, so without this the SMMUv3 driver
must refuse a vSMMU. Upgrading the table models a platform that makes the
promise; the driver still decides from what firmware says.

usage: iort-canwbs.py ORIGINAL.aml OUTPUT.aml
"""
import struct
import sys

CANWBS = 0x4
NODE_PCI_ROOT_COMPLEX = 2
NODE_HEADER = 16       # type, length, revision, identifier, mappings, offset
RC_MEMORY_FLAGS = 7    # in the RC node data: memory access flags byte


def main():
    src, dst = sys.argv[1], sys.argv[2]
    table = bytearray(open(src, 'rb').read())
    if table[:4] != b'IORT':
        sys.exit(f"{src}: not an IORT (signature {bytes(table[:4])!r})")
    length = struct.unpack_from('<I', table, 4)[0]
    if length != len(table):
        sys.exit(f"{src}: length field {length}, file {len(table)} bytes")
    if sum(table) & 0xff:
        sys.exit(f"{src}: bad checksum")

    count, offset = struct.unpack_from('<II', table, 36)
    marked = 0
    for _ in range(count):
        ntype = table[offset]
        nlen = struct.unpack_from('<H', table, offset + 1)[0]
        if nlen < NODE_HEADER or offset + nlen > length:
            sys.exit(f"{src}: bad node at {offset:#x}")
        if ntype == NODE_PCI_ROOT_COMPLEX:
            at = offset + NODE_HEADER + RC_MEMORY_FLAGS
            print(f"root complex node at {offset:#x}: memory access flags "
                  f"{table[at]:#x} -> {table[at] | CANWBS:#x}")
            table[at] |= CANWBS
            marked += 1
        offset += nlen
    if not marked:
        sys.exit(f"{src}: no PCI root complex node")

    # The upgrade replaces a table only by a higher OEM revision.
    oem_rev = struct.unpack_from('<I', table, 24)[0]
    struct.pack_into('<I', table, 24, oem_rev + 1)
    table[9] = 0
    table[9] = (-sum(table)) & 0xff
    assert sum(table) & 0xff == 0
    open(dst, 'wb').write(table)


if __name__ == '__main__':
    main()
