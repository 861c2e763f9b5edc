#!/usr/bin/env python3
"""How much of each section of a running binary is resident (in its page tables), from /proc/PID/pagemap.

Usage: perf/layout/resident.py PID path/to/sidecar-injector   (root: pagemap's bits need it)

The binary is not position-independent, so its sections sit at the addresses `size -A` gives. What is
resident is what was touched, rounded by the kernel's fault-around (64 KB around each page touched).
"""
import struct
import subprocess
import sys

pid, binary = int(sys.argv[1]), sys.argv[2]
sections = []
for line in subprocess.run(["size", "-A", binary], capture_output=True, text=True, check=True).stdout.splitlines():
    parts = line.split()
    if len(parts) == 3 and parts[1].isdigit() and int(parts[2]) > 0 and int(parts[1]) >= 100_000:
        sections.append((parts[0], int(parts[2]), int(parts[1])))

total = 0
with open(f"/proc/{pid}/pagemap", "rb") as pagemap:
    for name, start, size in sorted(sections, key=lambda section: -section[2]):
        pages = resident = 0
        page = start // 4096
        while page * 4096 < start + size:
            pagemap.seek(page * 8)
            resident += struct.unpack("<Q", pagemap.read(8))[0] >> 63
            pages += 1
            page += 1
        total += resident
        print(f"{name:18s} {size / 1024:7.0f} kB, resident {resident * 4:6d} kB ({100 * resident / pages:3.0f} %)")
print(f"{'all of these':18s} {'':7s}     resident {total * 4:6d} kB")
