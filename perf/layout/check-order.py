#!/usr/bin/env python3
"""Checks that a published binary was laid out in the method order (src/SidecarInjector/MethodOrder.txt).

Usage: check-order.py out/sidecar-injector.dbg src/SidecarInjector/MethodOrder.txt

Fails when the build did not apply the order (the first listed method is not the first of the
managed code) or when the list has gone stale: under 80 % of its methods still exist, so the code a
webhook runs is spread over the binary again. Then run perf/layout/profile.sh.
"""
import subprocess
import sys

dbg, order_file = sys.argv[1], sys.argv[2]
listed = [line.strip() for line in open(order_file) if line.strip()]
symbols = subprocess.run(["nm", "-n", "--defined-only", dbg], capture_output=True, text=True, check=True).stdout
address = {}
for line in symbols.splitlines():
    parts = line.split(None, 2)
    if len(parts) == 3 and parts[1] in ("t", "T"):
        address.setdefault(parts[2], int(parts[0], 16))
sections = subprocess.run(["readelf", "-SW", dbg], capture_output=True, text=True, check=False).stdout
managed = next(int(line.replace("[ ", "[").split()[3], 16) for line in sections.splitlines() if " __managedcode " in line)

found = [name for name in listed if name in address]
share = len(found) / len(listed)
placed = sorted(address[name] for name in found)
# A few listed symbols are not ordinary methods and stay where the compiler puts them (ThreadEntryPoint).
span = placed[len(placed) * 99 // 100] - managed if placed else 0
print(f"{len(found)} of {len(listed)} listed methods present ({share:.0%}); "
      f"the first at {address.get(listed[0], 0):#x} (managed code starts at {managed:#x}); "
      f"99 % of them within its first {span / 1048576:.1f} MB")
if not placed or min(placed) != managed:
    sys.exit("the binary was not laid out in the method order (IlcOrderFile)")
if share < 0.8:
    sys.exit("the method order is stale: run perf/layout/profile.sh")
