"""Checks that `make dist` produced the `shiftguard` CLI as a static Linux executable for each
architecture: a 64-bit little-endian ELF executable of the right machine with no program
interpreter (PT_INTERP: a dynamically linked program names its loader there) and no shared
library needed (DT_NEEDED in its dynamic section, which a static-pie executable keeps for its
own relocations), so it runs on any Linux instance whatever its C library. Prints each size."""

import pathlib
import struct
import sys

# ELF machine numbers (e_machine) and program header types, from the System V ABI's ELF spec.
MACHINES = {"x86_64": 62, "arm64": 183}
PT_DYNAMIC, PT_INTERP = 2, 3
DT_NULL, DT_NEEDED = 0, 1
ET_EXEC, ET_DYN = 2, 3

root = pathlib.Path(__file__).resolve().parent.parent


def problem_of(data, machine):
    """Why `data` is not a static 64-bit executable for `machine`, or None."""
    if data[:4] != b"\x7fELF" or data[4] != 2 or data[5] != 1:
        return "not a 64-bit little-endian ELF file"
    e_type, e_machine = struct.unpack_from("<HH", data, 16)
    if e_type not in (ET_EXEC, ET_DYN):
        return f"ELF type {e_type} is not an executable"
    if e_machine != machine:
        return f"built for ELF machine {e_machine}, not {machine}"
    (e_phoff,) = struct.unpack_from("<Q", data, 32)
    e_phentsize, e_phnum = struct.unpack_from("<HH", data, 54)
    for i in range(e_phnum):
        header = e_phoff + i * e_phentsize
        (p_type,) = struct.unpack_from("<I", data, header)
        if p_type == PT_INTERP:
            return "dynamically linked: it names a program interpreter (PT_INTERP)"
        if p_type == PT_DYNAMIC:
            p_offset, _, _, p_filesz = struct.unpack_from("<QQQQ", data, header + 8)
            for entry in range(p_offset, p_offset + p_filesz, 16):
                d_tag, _ = struct.unpack_from("<qQ", data, entry)
                if d_tag == DT_NULL:
                    break
                if d_tag == DT_NEEDED:
                    return "it needs a shared library (DT_NEEDED)"
    return None


problems = []
for arch, machine in MACHINES.items():
    path = root / "dist" / f"shiftguard-{arch}-linux"
    if not path.is_file():
        problems.append(f"{path} is missing")
        continue
    why = problem_of(path.read_bytes(), machine)
    if why:
        problems.append(f"{path.name}: {why}")
    else:
        print(f"{path.name:<24} {path.stat().st_size / 2**20:>7.2f} MiB  static {arch} executable")
if problems:
    sys.exit("\n".join(problems))
