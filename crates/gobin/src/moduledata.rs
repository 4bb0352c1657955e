//! `runtime.firstmoduledata`: where the runtime keeps the text range, the
//! funcdata base and the text-section map (go-internals §2). The pclntab
//! needs it for the text base (Go 1.26+ headers hold 0), for inline trees
//! (`gofunc`, 1.18+), and for binaries whose text spans several sections.
//!
//! Only the fields an analyzer needs are read, by version: the struct grows
//! in the middle between releases. Every read goes through
//! [`Binary::read_ptr`], so PIE relocations are applied.

use crate::container::Binary;
use crate::pclntab::{Layout, TextSect};
use crate::version::GoVersion;

/// The fields of a module's moduledata that symbolization needs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Moduledata {
    /// Address of the moduledata itself.
    pub addr: u64,
    /// The pclntab it points at (`pcHeader`, or `pclntable` before 1.16).
    pub pclntab: u64,
    /// Start of the module's text: the base of 1.18+ entry offsets.
    pub text: u64,
    /// End of text.
    pub etext: u64,
    /// Lowest function entry.
    pub minpc: u64,
    /// End of the last function.
    pub maxpc: u64,
    /// Base of 1.18+ funcdata offsets (`go:func.*`).
    pub gofunc: Option<u64>,
    /// Text sections, when more than one (huge or externally linked text).
    pub text_sects: Vec<TextSect>,
    /// `findfunctab`: the runtime's pc -> function bucket index (1.16+).
    pub findfunctab: Option<u64>,
    /// `types`..`etypes`: the type descriptors (1.16-1.26; 1.27 has a
    /// `.go.type` section instead).
    pub types: Option<(u64, u64)>,
}

/// Bytes of `findfunctab` per 4 KiB bucket of text (go-internals §2).
const FINDFUNCTAB_BUCKET: u64 = 20;

/// Leading words of moduledata read by [`Moduledata::pointers`]: past
/// every pointer to a table.
const POINTER_WORDS: u64 = 64;

/// Field offsets (64-bit) for one moduledata layout.
struct Fields {
    ftab_len: u64,
    findfunctab: Option<u64>,
    minpc: u64,
    text: u64,
    types: Option<u64>,
    gofunc: Option<u64>,
    textsectmap: u64,
}

/// Most text sections accepted from a textsectmap (real binaries: a few).
const MAX_TEXT_SECTS: u64 = 256;

fn fields(layout: Layout, version: Option<GoVersion>, bin: &Binary<'_>, addr: u64) -> Fields {
    match layout {
        Layout::V12 => Fields {
            ftab_len: 32,
            findfunctab: None,
            minpc: 80,
            text: 96,
            types: None,
            gofunc: None,
            textsectmap: 216,
        },
        Layout::V116 => Fields {
            ftab_len: 136,
            findfunctab: Some(152),
            minpc: 160,
            text: 176,
            types: Some(280),
            gofunc: None,
            textsectmap: 296,
        },
        Layout::V118 => Fields {
            ftab_len: 136,
            findfunctab: Some(152),
            minpc: 160,
            text: 176,
            types: Some(280),
            gofunc: Some(304),
            textsectmap: 312,
        },
        Layout::V120 => {
            // 1.27 dropped typelinks/itablinks and added four words before
            // gofunc. Without a version, the word at +344 decides: gofunc
            // (an address in the image) in 1.27, textsectmap.cap (a small
            // count) in 1.20-1.26.
            let go127 = match version {
                Some(v) if !v.is_lower_bound() => v.at_least(1, 27),
                _ => bin
                    .read_ptr(addr + 344)
                    .is_some_and(|w| w > 0xffff && bin.read_va(w, 1).is_some()),
            };
            if go127 {
                Fields {
                    ftab_len: 136,
                    findfunctab: Some(152),
                    minpc: 160,
                    text: 176,
                    types: None,
                    gofunc: Some(344),
                    textsectmap: 360,
                }
            } else {
                Fields {
                    ftab_len: 136,
                    findfunctab: Some(152),
                    minpc: 160,
                    text: 176,
                    types: Some(296),
                    gofunc: Some(320),
                    textsectmap: 328,
                }
            }
        }
    }
}

impl Moduledata {
    /// Reads and validates a moduledata at `addr` for a pclntab at
    /// `pclntab` with `nfunc` functions. `None` when the words there do not
    /// describe that table.
    pub fn read(
        bin: &Binary<'_>,
        addr: u64,
        layout: Layout,
        version: Option<GoVersion>,
        pclntab: u64,
        nfunc: u64,
    ) -> Option<Self> {
        let f = fields(layout, version, bin, addr);
        let word = |off: u64| bin.read_ptr(addr.checked_add(off)?);
        if word(0)? != pclntab {
            return None;
        }
        if word(f.ftab_len)? != nfunc.checked_add(1)? {
            return None;
        }
        let minpc = word(f.minpc)?;
        let maxpc = word(f.minpc + 8)?;
        let text = word(f.text)?;
        let etext = word(f.text + 8)?;
        let in_exec = |a: u64| {
            bin.segments()
                .iter()
                .any(|s| s.executable && a >= s.addr && a - s.addr < s.size)
        };
        if !(text < etext && minpc >= text && minpc <= maxpc && in_exec(text)) {
            return None;
        }
        let gofunc = f.gofunc.and_then(word).filter(|&g| g != 0);
        let mut text_sects = Vec::new();
        if let (Some(ptr), Some(len)) = (word(f.textsectmap), word(f.textsectmap + 8)) {
            if (2..=MAX_TEXT_SECTS).contains(&len) {
                for i in 0..len {
                    let at = ptr + i * 24;
                    match (
                        bin.read_ptr(at),
                        bin.read_ptr(at + 8),
                        bin.read_ptr(at + 16),
                    ) {
                        (Some(vaddr), Some(end), Some(baseaddr)) if vaddr <= end => text_sects
                            .push(TextSect {
                                vaddr,
                                end,
                                baseaddr,
                            }),
                        _ => {
                            text_sects.clear();
                            break;
                        }
                    }
                }
            }
        }
        let findfunctab = f.findfunctab.and_then(word).filter(|&a| a != 0);
        let types = f
            .types
            .and_then(|o| Some((word(o)?, word(o + 8)?)))
            .filter(|&(t, e)| t < e && e - t < 1 << 32 && bin.read_va(t, e - t).is_some());
        Some(Moduledata {
            addr,
            pclntab,
            text,
            etext,
            minpc,
            maxpc,
            gofunc,
            text_sects,
            findfunctab,
            types,
        })
    }

    /// Bytes of `findfunctab`: one bucket per 4 KiB of text.
    pub fn findfunctab_len(&self) -> u64 {
        let buckets = self.maxpc.saturating_sub(self.minpc).div_ceil(4096);
        buckets.saturating_mul(FINDFUNCTAB_BUCKET)
    }

    /// The moduledata's leading pointer-sized words, relocated: among them
    /// is every table the runtime points at (gcdata, gcbss, findfunctab,
    /// types, the pclntab), so the end of one blob of data is at most the
    /// nearest of these above it.
    pub fn pointers(&self, bin: &Binary<'_>) -> Vec<u64> {
        (0..POINTER_WORDS)
            .filter_map(|i| bin.read_ptr(self.addr.checked_add(8 * i)?))
            .collect()
    }

    /// Finds the moduledata of a pclntab: the `.go.module`/`__go_module`
    /// section (1.26+), the `runtime.firstmoduledata` symbol, or a scan of
    /// writable data for a word pointing at the table.
    pub fn locate(
        bin: &Binary<'_>,
        layout: Layout,
        version: Option<GoVersion>,
        pclntab: u64,
        nfunc: u64,
    ) -> Option<Self> {
        let read = |addr| Moduledata::read(bin, addr, layout, version, pclntab, nfunc);
        for name in [".go.module", "__go_module"] {
            if let Some(md) = bin.section(name).and_then(|s| read(s.addr)) {
                return Some(md);
            }
        }
        if let Some(md) = bin
            .symbol("runtime.firstmoduledata")
            .and_then(|s| read(s.addr))
        {
            return Some(md);
        }
        // moduledata is a (noptr)data symbol; scanning those sections
        // first avoids touching the large .data.rel.ro of PIE binaries.
        let needle = pclntab.to_le_bytes();
        let sections = bin
            .sections()
            .iter()
            .filter(|s| {
                matches!(
                    s.name.as_str(),
                    ".noptrdata" | ".data" | "__noptrdata" | "__data"
                )
            })
            .filter_map(|s| Some((s.addr, bin.section_data(s)?)));
        let segments = bin
            .segments()
            .iter()
            .filter(|s| s.writable)
            .filter_map(|s| Some((s.addr, bin.read_va(s.addr, s.file_size)?)));
        let scan = |(base, bytes): (u64, &[u8])| {
            let skip = (8 - base % 8) % 8;
            let aligned = bytes.get(skip as usize..)?;
            aligned
                .chunks_exact(8)
                .enumerate()
                .filter(|(_, w)| *w == needle)
                .find_map(|(i, _)| read(base + skip + 8 * i as u64))
        };
        if let Some(md) = sections.into_iter().find_map(scan) {
            return Some(md);
        }
        // Externally linked PIE files may hold 0 where the loader writes
        // the pointer; the relocation's addend names it. For a PIE this is
        // asked before the writable segments are scanned: it reads far less
        // than a scan of a large .data.rel.ro.
        let by_reloc = || bin.relocations_to(pclntab).into_iter().find_map(read);
        if bin.pie {
            if let Some(md) = by_reloc() {
                return Some(md);
            }
        }
        segments.into_iter().find_map(scan).or_else(by_reloc)
    }
}
