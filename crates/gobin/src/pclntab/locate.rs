//! Finding the pclntab in a container (go-internals §1.11): by section
//! name, by symbol, through moduledata, or by a validated magic scan.

use super::{Context, Layout, Pclntab};
use crate::bytes;
use crate::container::Binary;

/// Where the table was found, for reports and warnings.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Source {
    /// A section named `.gopclntab` / `__gopclntab`.
    Section,
    /// The `runtime.pclntab` symbol.
    Symbol,
    /// `moduledata.pcHeader`.
    Moduledata,
    /// A magic-number scan of read-only data.
    Scan,
}

impl Source {
    /// Short description.
    pub fn name(self) -> &'static str {
        match self {
            Source::Section => "section",
            Source::Symbol => "symbol runtime.pclntab",
            Source::Moduledata => "moduledata",
            Source::Scan => "magic scan",
        }
    }
}

/// Offsets in `data` (ptr-aligned, 4 bytes at least) where a pclntab
/// header prefix could start: a known magic, two zero pads, a quantum of
/// 1, 2 or 4 and a pointer size of 4 or 8. Candidates still need
/// [`Pclntab::parse`] to validate them.
pub fn find_magic(data: &[u8]) -> impl Iterator<Item = usize> + '_ {
    (0..data.len().saturating_sub(7))
        .step_by(4)
        .filter(move |&off| {
            bytes::u32_le(data, off)
                .and_then(Layout::from_magic)
                .is_some()
                && matches!(data.get(off + 4..off + 8), Some(&[0, 0, 1 | 2 | 4, 4 | 8]))
        })
}

/// The table's bytes (possibly running past its end) and address.
pub(crate) struct Found<'data> {
    pub data: &'data [u8],
    pub addr: u64,
    pub source: Source,
}

fn by_section<'data>(bin: &Binary<'data>) -> Option<Found<'data>> {
    let s = bin
        .sections()
        .iter()
        .find(|s| s.name == ".gopclntab" || s.name == "__gopclntab")?;
    let data = bin.section_data(s).filter(|d| !d.is_empty())?;
    Some(Found {
        data,
        addr: s.addr,
        source: Source::Section,
    })
}

fn by_symbol<'data>(bin: &Binary<'data>) -> Option<Found<'data>> {
    let addr = bin.symbol("runtime.pclntab")?.addr;
    Some(Found {
        data: bin.read_va_tail(addr)?,
        addr,
        source: Source::Symbol,
    })
}

/// moduledata's first word points at the table in every version; find a
/// moduledata by section or symbol and follow it.
fn by_moduledata<'data>(bin: &Binary<'data>) -> Option<Found<'data>> {
    let md = [".go.module", "__go_module"]
        .iter()
        .find_map(|n| bin.section(n))
        .map(|s| s.addr)
        .or_else(|| bin.symbol("runtime.firstmoduledata").map(|s| s.addr))?;
    let addr = bin.read_ptr(md)?;
    Some(Found {
        data: bin.read_va_tail(addr)?,
        addr,
        source: Source::Moduledata,
    })
}

/// PIE files whose moduledata holds 0 where the loader writes the table's
/// address (external linking): the moduledata is found by the shape of
/// its relocations instead of by a scan of the large `.data.rel.ro`. Its
/// first words are relocated pointers to the pclntab header, the function
/// name table and (after the name table's length and capacity) the cu
/// table, both inside the pclntab just after its header. Only a candidate
/// with that shape gets its target read and parsed.
fn by_relocations<'data>(bin: &Binary<'data>) -> Option<Found<'data>> {
    if !bin.pie {
        return None;
    }
    let data_sections = bin.sections().iter().filter(|s| {
        matches!(
            s.name.as_str(),
            ".noptrdata" | ".data" | "__noptrdata" | "__data"
        )
    });
    for s in data_sections {
        let relocs = bin.relocations_in(s.addr, s.addr.saturating_add(s.size));
        for (i, &(at, header)) in relocs.iter().enumerate() {
            let inside = |k: usize, off: u64, lo: u64| {
                relocs
                    .get(i + k)
                    .is_some_and(|&(a, v)| a == at + off && v > lo && v - header < 1 << 32)
            };
            if !(inside(1, 8, header) && inside(2, 32, relocs.get(i + 1).map_or(0, |r| r.1))) {
                continue;
            }
            let Some(data) = bin.read_va_tail(header) else {
                continue;
            };
            if find_magic(data.get(..8).unwrap_or(&[])).next() != Some(0) {
                continue;
            }
            let ctx = Context {
                text_start: Some(0),
                ..Context::default()
            };
            if Pclntab::parse(data, header, ctx).is_ok() {
                return Some(Found {
                    data,
                    addr: header,
                    source: Source::Moduledata,
                });
            }
        }
    }
    None
}

fn by_scan<'data>(bin: &Binary<'data>) -> Option<Found<'data>> {
    // Where linkers put it first: external linkers move it into
    // .data.rel.ro (ELF PIE) or .rodata; then non-executable segments,
    // then code. Scanning touches every page it reads, so the likely
    // places go first to keep memory low.
    let sections = bin
        .sections()
        .iter()
        .filter(|s| {
            matches!(
                s.name.as_str(),
                ".data.rel.ro" | ".rodata" | "__rodata" | "__const"
            )
        })
        .filter_map(|s| Some((s.addr, bin.section_data(s)?)));
    let mut segs: Vec<_> = bin.segments().iter().collect();
    segs.sort_by_key(|s| (s.executable, s.writable));
    let segments = segs
        .into_iter()
        .filter_map(|s| Some((s.addr, bin.read_va(s.addr, s.file_size)?)));
    for (base, bytes) in sections.chain(segments) {
        for off in find_magic(bytes) {
            let data = &bytes[off..];
            let addr = base + off as u64;
            // The text base does not matter for validation; 1.26+ headers
            // hold 0 and would otherwise be refused here.
            let ctx = Context {
                text_start: Some(0),
                ..Context::default()
            };
            if Pclntab::parse(data, addr, ctx).is_ok() {
                return Some(Found {
                    data,
                    addr,
                    source: Source::Scan,
                });
            }
        }
    }
    None
}

/// Tries each way in order of trust.
pub(crate) fn find<'data>(bin: &Binary<'data>) -> Option<Found<'data>> {
    by_section(bin)
        .or_else(|| by_symbol(bin))
        .or_else(|| by_moduledata(bin))
        .or_else(|| by_relocations(bin))
        .or_else(|| by_scan(bin))
}
