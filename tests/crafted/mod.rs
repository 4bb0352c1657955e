//! Crafted binaries for the static tests: committed fixtures with chosen
//! bytes changed, written next to the test's other scratch files. Made at
//! test time from the fixtures, so no crafted blob is committed.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The bytes of a committed fixture.
pub fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(fixture_path(name)).unwrap()
}

/// Where a committed fixture lives.
pub fn fixture_path(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/bin")
        .join(name)
}

/// Writes `bytes` as the scratch file `name` of test `group`.
pub fn write(group: &str, name: &str, bytes: &[u8]) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(group);
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

/// `bytes` with every occurrence of `from` replaced by `to` (same length,
/// so no offset moves); panics when `from` does not occur.
pub fn replace_all(bytes: &[u8], from: &[u8], to: &[u8]) -> Vec<u8> {
    assert_eq!(from.len(), to.len(), "a crafted string keeps its length");
    let mut out = bytes.to_vec();
    let mut found = 0;
    let mut i = 0;
    while i + from.len() <= out.len() {
        if &out[i..i + from.len()] == from {
            out[i..i + from.len()].copy_from_slice(to);
            found += 1;
            i += from.len();
        } else {
            i += 1;
        }
    }
    assert!(
        found > 0,
        "{:?} not in the fixture",
        String::from_utf8_lossy(from)
    );
    out
}

/// Runs rabbithole with `args`.
pub fn run(args: &[&std::ffi::OsStr]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_rabbithole"))
        .args(args)
        .output()
        .unwrap()
}

fn u16le(b: &[u8], at: usize) -> usize {
    usize::from(u16::from_le_bytes(b[at..at + 2].try_into().unwrap()))
}

fn u32le(b: &[u8], at: usize) -> usize {
    u32::from_le_bytes(b[at..at + 4].try_into().unwrap()) as usize
}

fn u64le(b: &[u8], at: usize) -> usize {
    u64::from_le_bytes(b[at..at + 8].try_into().unwrap()) as usize
}

/// ELF64 section headers of `elf`: (name, type, offset, size, link,
/// header offset), read with no library so the test checks the reader.
pub fn elf_sections(elf: &[u8]) -> Vec<(String, u32, usize, usize, usize, usize)> {
    let (shoff, shentsize, shnum, shstrndx) = (
        u64le(elf, 0x28),
        u16le(elf, 0x3a),
        u16le(elf, 0x3c),
        u16le(elf, 0x3e),
    );
    let header = |i: usize| shoff + i * shentsize;
    let strtab = u64le(elf, header(shstrndx) + 0x18);
    (0..shnum)
        .map(|i| {
            let h = header(i);
            let name_at = strtab + u32le(elf, h);
            let end = name_at + elf[name_at..].iter().position(|&b| b == 0).unwrap();
            (
                String::from_utf8_lossy(&elf[name_at..end]).into_owned(),
                u32le(elf, h + 4) as u32,
                u64le(elf, h + 0x18),
                u64le(elf, h + 0x20),
                u32le(elf, h + 0x28),
                h,
            )
        })
        .collect()
}

/// File offset of the `st_size` field of the ELF64 symbol `name`.
pub fn elf_symbol_size_at(elf: &[u8], name: &str) -> usize {
    let secs = elf_sections(elf);
    let symtab = secs.iter().find(|s| s.0 == ".symtab").unwrap();
    let strtab = secs[symtab.4].2;
    (0..symtab.3 / 24)
        .map(|i| symtab.2 + i * 24)
        .find(|&sym| {
            let at = strtab + u32le(elf, sym);
            elf[at..].starts_with(name.as_bytes()) && elf[at + name.len()] == 0
        })
        .map(|sym| sym + 16)
        .unwrap()
}
