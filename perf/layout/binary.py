"""What perf/layout's scripts read of a published binary's .dbg file: where the managed code is, and its methods."""
import subprocess


def managed_code(dbg):
    """Start and end of the section ILC puts methods in (the runtime's own C++ is elsewhere and not ordered)."""
    # readelf complains about the .dbg file's missing interpreter but prints the sections.
    out = subprocess.run(["readelf", "-SW", dbg], capture_output=True, text=True, check=False).stdout
    for line in out.splitlines():
        parts = line.replace("[ ", "[").split()
        if len(parts) > 5 and parts[1] == "__managedcode":
            start = int(parts[3], 16)
            return start, start + int(parts[5], 16)
    raise SystemExit(f"no __managedcode section in {dbg}")


def methods(dbg):
    """Sorted (start, end, name) of the methods in the managed code, from the .dbg file's symbol table."""
    low, high = managed_code(dbg)
    out = subprocess.run(["nm", "-S", "--defined-only", dbg], capture_output=True, text=True, check=True).stdout
    found = []
    for line in out.splitlines():
        parts = line.split(None, 3)
        if len(parts) == 4 and parts[2] in ("t", "T"):
            start, size = int(parts[0], 16), int(parts[1], 16)
            if size and low <= start < high:
                found.append((start, start + size, parts[3]))
    found.sort()
    return found
