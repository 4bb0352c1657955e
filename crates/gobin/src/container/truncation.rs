//! How long a file says it is: the end of the last byte its own headers
//! describe (ELF program and section headers and the tables they point
//! to; Mach-O segments and the symbol table). A shorter file was cut
//! (`head -c`, an interrupted copy), and every report about it says so
//! instead of presenting what is missing as absent.
//!
//! Read from the raw headers, not through `object`: a cut file is exactly
//! the one `object` may refuse, and the reason should still be named.

use crate::bytes::{uint, Endian};

/// A file shorter than its headers say.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Truncation {
    /// Bytes in the file.
    pub file_size: u64,
    /// Bytes its headers describe.
    pub described: u64,
}

impl std::fmt::Display for Truncation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "file truncated: {} bytes where its headers describe {}",
            self.file_size, self.described
        )
    }
}

/// The truncation of a thin ELF or Mach-O image, if it is cut short.
pub fn check(data: &[u8]) -> Option<Truncation> {
    let described = if data.starts_with(b"\x7fELF") {
        elf_end(data)?
    } else {
        macho_end(data)?
    };
    (described > data.len() as u64).then_some(Truncation {
        file_size: data.len() as u64,
        described,
    })
}

/// Past this many headers a count is corrupt, not a file to walk.
const MAX_HEADERS: u64 = 1 << 16;

fn elf_end(d: &[u8]) -> Option<u64> {
    let wide = *d.get(4)? == 2;
    let e = if *d.get(5)? == 2 {
        Endian::Big
    } else {
        Endian::Little
    };
    let w = if wide { 8 } else { 4 };
    // e_phoff, e_shoff, then e_phentsize, e_phnum, e_shentsize, e_shnum.
    let (phoff, shoff, sizes) = if wide {
        (0x20, 0x28, 0x36)
    } else {
        (0x1c, 0x20, 0x2a)
    };
    let phoff = uint(d, phoff, w, e)?;
    let shoff = uint(d, shoff, w, e)?;
    let phentsize = uint(d, sizes, 2, e)?;
    let phnum = uint(d, sizes + 2, 2, e)?.min(MAX_HEADERS);
    let shentsize = uint(d, sizes + 4, 2, e)?;
    let shnum = uint(d, sizes + 6, 2, e)?.min(MAX_HEADERS);
    let mut end = phoff.saturating_add(phentsize * phnum);
    if shnum > 0 {
        end = end.max(shoff.saturating_add(shentsize * shnum));
    }
    for i in 0..phnum {
        let Some(h) = usize::try_from(phoff.saturating_add(i * phentsize)).ok() else {
            break;
        };
        // p_offset and p_filesz.
        let (off, filesz) = if wide {
            (uint(d, h + 8, 8, e), uint(d, h + 0x20, 8, e))
        } else {
            (uint(d, h + 4, 4, e), uint(d, h + 0x10, 4, e))
        };
        let (Some(off), Some(filesz)) = (off, filesz) else {
            break;
        };
        end = end.max(off.saturating_add(filesz));
    }
    for i in 0..shnum {
        let Some(h) = usize::try_from(shoff.saturating_add(i * shentsize)).ok() else {
            break;
        };
        // sh_type, sh_offset, sh_size; SHT_NOBITS (8) has no bytes.
        let kind = uint(d, h + 4, 4, e);
        let (off, size) = if wide {
            (uint(d, h + 0x18, 8, e), uint(d, h + 0x20, 8, e))
        } else {
            (uint(d, h + 0x10, 4, e), uint(d, h + 0x14, 4, e))
        };
        let (Some(kind), Some(off), Some(size)) = (kind, off, size) else {
            break;
        };
        if kind != 8 && kind != 0 {
            end = end.max(off.saturating_add(size));
        }
    }
    Some(end)
}

fn macho_end(d: &[u8]) -> Option<u64> {
    let e = Endian::Little;
    if uint(d, 0, 4, e)? != 0xfeed_facf {
        return None;
    }
    let ncmds = uint(d, 16, 4, e)?.min(MAX_HEADERS);
    let sizeofcmds = uint(d, 20, 4, e)?;
    let mut end = 32 + sizeofcmds;
    let mut at = 32usize;
    for _ in 0..ncmds {
        let (Some(cmd), Some(size)) = (uint(d, at, 4, e), uint(d, at + 4, 4, e)) else {
            break;
        };
        match cmd {
            // LC_SEGMENT_64: fileoff, filesize.
            0x19 => {
                if let (Some(off), Some(n)) = (uint(d, at + 40, 8, e), uint(d, at + 48, 8, e)) {
                    end = end.max(off.saturating_add(n));
                }
            }
            // LC_SYMTAB: symoff, nsyms, stroff, strsize.
            0x2 => {
                let f = |k: usize| uint(d, at + 8 + 4 * k, 4, e);
                if let (Some(so), Some(ns), Some(st), Some(ss)) = (f(0), f(1), f(2), f(3)) {
                    end = end
                        .max(so.saturating_add(ns.saturating_mul(16)))
                        .max(st.saturating_add(ss));
                }
            }
            _ => {}
        }
        if size < 8 {
            break;
        }
        at = at.checked_add(usize::try_from(size).ok()?)?;
    }
    Some(end)
}

#[cfg(test)]
mod tests {
    use super::check;

    fn fixture(name: &str) -> Vec<u8> {
        let root =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/bin");
        std::fs::read(root.join(name)).unwrap()
    }

    #[test]
    fn whole_fixtures_are_not_truncated_and_cut_ones_are() {
        for name in [
            "syscall_minimal-go1.27-linux-amd64",
            "syscall_minimal-go1.19-linux-amd64-stripped",
            "syscall_minimal-go1.27-darwin-arm64",
        ] {
            let d = fixture(name);
            assert_eq!(check(&d), None, "{name}");
            let cut = &d[..d.len() / 2];
            let t = check(cut).unwrap_or_else(|| panic!("{name}: cut not seen"));
            assert_eq!(t.file_size, cut.len() as u64);
            assert!(t.described <= d.len() as u64, "{name}: {t:?}");
        }
    }
}
