#!/usr/bin/env python3
"""Methods the profiled runs executed, hottest first, one mangled name per line: ILC's method order.

Usage: method-order.py sidecar-injector.dbg PROFILE...

A PROFILE is callgrind's output (--dump-instr=yes --dump-line=no: every executed instruction's address
and count, under the object it belongs to), or, named *.ips, the instruction addresses of perf's samples
(`perf script -F ip`, one per line). The addresses of the injector's own methods are mapped to the
method containing them with the symbol table of the .dbg file (`nm`). The binary is not
position-independent (see the csproj), so the addresses are the symbols' own.
"""
import bisect
import re
import sys

from binary import methods

POSITION = re.compile(r"^(0x[0-9a-fA-F]+|[+-][0-9]+|\*)(?:\s+(\d+))?")


def executed(profile, binary_name):
    """Instruction address → executions, for the instructions of the binary named binary_name."""
    counts = {}
    objects = {}
    inside = False
    address = 0
    after_calls = False
    with open(profile, errors="replace") as lines:
        for line in lines:
            if line.startswith(("ob=", "cob=")):
                match = re.match(r"c?ob=\((\d+)\)(?:\s+(.*))?", line.strip())
                if match:
                    if match.group(2):
                        objects[match.group(1)] = match.group(2)
                    if line.startswith("ob="):
                        # Valgrind names the binary's code, but not always the segment of its managed
                        # code ("???"); the address ranges of the .dbg file decide what is a method.
                        name = objects.get(match.group(1), "")
                        inside = name.endswith(binary_name) or name == "???"
                continue
            if line.startswith("calls="):
                after_calls = True  # the next line is the call's cost, at the calling instruction
                continue
            match = POSITION.match(line)
            if not match:
                continue
            token = match.group(1)
            if token.startswith("0x"):
                address = int(token, 16)
            elif token != "*":
                address += int(token)
            if inside:
                cost = int(match.group(2) or 0)
                counts[address] = counts.get(address, 0) + (0 if after_calls else cost)
            after_calls = False
    return counts


def sampled(profile):
    """Instruction address → samples, from perf's addresses."""
    counts = {}
    with open(profile) as lines:
        for line in lines:
            token = line.strip()
            if token:
                address = int(token, 16)
                counts[address] = counts.get(address, 0) + 1
    return counts


def main():
    dbg, profiles = sys.argv[1], sys.argv[2:]
    binary_name = "/" + dbg.rsplit("/", 1)[-1].removesuffix(".dbg")
    table = methods(dbg)
    starts = [start for start, _, _ in table]
    heat = {}
    for profile in profiles:
        counts = sampled(profile) if profile.endswith(".ips") else executed(profile, binary_name)
        for address, count in counts.items():
            at = bisect.bisect_right(starts, address) - 1
            if at >= 0 and table[at][0] <= address < table[at][1]:
                name = table[at][2]
                heat[name] = heat.get(name, 0) + count + 1
    for name, _ in sorted(heat.items(), key=lambda item: (-item[1], item[0])):
        print(name)


if __name__ == "__main__":
    main()
