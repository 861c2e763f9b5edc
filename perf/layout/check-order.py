#!/usr/bin/env python3
"""Checks that a published binary was laid out in the method order (src/SidecarInjector/MethodOrder.txt).

Usage: check-order.py out/sidecar-injector.dbg src/SidecarInjector/MethodOrder.txt

Fails when the build did not apply the order (the first listed method is not the first of the
managed code) or when the list has gone stale: under 80 % of its methods still exist, so the code a
webhook runs is spread over the binary again. Then run perf/layout/profile.sh.
"""
import sys

from binary import managed_code, methods

dbg, order_file = sys.argv[1], sys.argv[2]
listed = [line.strip() for line in open(order_file) if line.strip()]
address = {}
for start, _, name in methods(dbg):
    address.setdefault(name, start)
managed = managed_code(dbg)[0]

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
