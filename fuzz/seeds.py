#!/usr/bin/env python3
"""Writes seed inputs for the fuzz targets into fuzz/corpus/<target>/
from the committed fixtures (tests/fixtures/bin). Existing files are
kept, so a corpus grown by earlier runs is not lost."""
import os
import struct
import sys
import zlib

FUZZ = os.path.dirname(os.path.abspath(__file__))
BIN = os.path.join(FUZZ, "..", "tests", "fixtures", "bin")
DWARF_SECTIONS = [".debug_info", ".debug_abbrev", ".debug_str", ".debug_line_str",
                  ".debug_addr", ".debug_str_offsets", ".debug_line",
                  ".debug_rnglists", ".debug_ranges"]


def fixture(name):
    with open(os.path.join(BIN, name), "rb") as f:
        return f.read()


def put(target, name, data):
    d = os.path.join(FUZZ, "corpus", target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def elf_sections(data):
    """Name -> bytes (inflated when SHF_COMPRESSED) of an ELF64 LE file."""
    shoff, = struct.unpack_from("<Q", data, 0x28)
    shentsize, shnum, shstrndx = struct.unpack_from("<HHH", data, 0x3a)
    hdrs = [struct.unpack_from("<IIQQQQIIQQ", data, shoff + i * shentsize)
            for i in range(shnum)]
    strtab = hdrs[shstrndx]
    out = {}
    for h in hdrs:
        name_off, _, flags, _, off, size = h[:6]
        start = strtab[4] + name_off
        name = data[start:data.index(b"\0", start)].decode()
        body = data[off:off + size]
        if flags & 0x800:  # SHF_COMPRESSED: Elf64_Chdr then zlib
            body = zlib.decompress(body[24:])
        out[name] = body
    return out


def small_units(info, limit):
    """Whole compilation units from .debug_info, smallest first, up to
    `limit` bytes in all (32-bit DWARF lengths)."""
    units, off = [], 0
    while off + 4 <= len(info):
        n, = struct.unpack_from("<I", info, off)
        units.append(info[off:off + 4 + n])
        off += 4 + n
    out = b""
    for u in sorted(units, key=len):
        if len(out) + len(u) > limit:
            break
        out += u
    return out


def dwarf_seed(secs):
    out = b"\0"
    for name in DWARF_SECTIONS:
        body = secs.get(name, b"")
        body = small_units(body, 16384) if name == ".debug_info" else body[:16384]
        out += struct.pack("<H", len(body)) + body
    return out


def main():
    for name in ["syscall_minimal-go1.27-darwin-arm64", "syscall_minimal-go1.19-darwin-arm64",
                 "syscall_minimal-go1.27-darwin-arm64-stripped"]:
        head = fixture(name)[:65536]
        put("macho", name, b"\0" + head)
        put("macho", name + "-fat", b"\1" + head)
    for name in ["syscall_minimal-go1.27-linux-amd64", "syscall_minimal-go1.21-linux-amd64"]:
        put("dwarf", name, dwarf_seed(elf_sections(fixture(name))))
    for name in ["syscall_minimal-go1.27-linux-amd64-stripped", "syscall_minimal-go1.27-linux-arm64"]:
        data = fixture(name)
        secs = elf_sections(data)
        text = secs[".text"]
        for i in range(16):
            at = i * len(text) // 16
            put("disasm", f"{name}-{i}", text[at:at + 64])
        put("container_buildinfo", name, data)
        put("pclntab", name, b"\1" + data)
        put("pclntab", name + "-table", b"\0" + secs[".gopclntab"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
