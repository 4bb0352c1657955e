//! pclntab: functions, pc-value tables, inline trees, for every Go format.
//!
//! [`Pclntab`] is a zero-copy view of the table (go-internals §1): parsing
//! reads and checks the header and the functab, nothing else; a [`Func`]
//! decodes its `_func` record and pc-value tables only when asked. The four
//! layouts ([`Layout`]: Go 1.2, 1.16, 1.18, 1.20+) differ in a handful of
//! offsets, kept together in `FuncFields` so the accessors stay one code
//! path.
//!
//! [`GoBinary`] ties it to a [`crate::Binary`]: finds the table (section,
//! moduledata, symbol or magic scan) and the text base, and adds what the
//! container knows (symbol-table ABI suffixes).

mod func;
mod gobinary;
mod inline;
mod locate;
mod parts;
mod pcvalue;

pub use func::{Abi, AbiEvidence, Func};
pub use gobinary::GoBinary;
pub use inline::FrameRef;
pub use locate::{find_magic, Source};
pub use parts::SubTables;

use crate::bytes;
use crate::version::GoVersion;
use crate::Error;

/// The table format, from its magic number.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Layout {
    /// Go 1.2-1.15 (`0xfffffffb`): one blob, absolute entry words.
    V12,
    /// Go 1.16-1.17 (`0xfffffffa`): header with sub-table offsets.
    V116,
    /// Go 1.18-1.19 (`0xfffffff0`): u32 entry offsets from the text base.
    V118,
    /// Go 1.20 and later (`0xfffffff1`): `_func` gains startLine.
    V120,
}

impl Layout {
    /// The layout a magic number announces (little-endian).
    pub fn from_magic(magic: u32) -> Option<Self> {
        match magic {
            0xffff_fffb => Some(Layout::V12),
            0xffff_fffa => Some(Layout::V116),
            0xffff_fff0 => Some(Layout::V118),
            0xffff_fff1 => Some(Layout::V120),
            _ => None,
        }
    }
}

/// One entry of `moduledata.textsectmap`: text split over several
/// sections maps "virtual" entry offsets to addresses (go-internals §1.4).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TextSect {
    /// First virtual offset of the section.
    pub vaddr: u64,
    /// End of its virtual offsets.
    pub end: u64,
    /// Address the section starts at.
    pub baseaddr: u64,
}

/// File-backed memory of the image by virtual address: where funcdata
/// (inline trees) live, which need not be inside the table itself.
#[derive(Clone, Debug, Default)]
pub struct Image<'data> {
    ranges: Vec<(u64, &'data [u8])>,
}

impl<'data> Image<'data> {
    /// Adds bytes that the image holds at `addr`.
    pub fn add(&mut self, addr: u64, bytes: &'data [u8]) {
        self.ranges.push((addr, bytes));
    }

    /// `len` bytes at `addr`, when one range holds them all.
    pub fn read(&self, addr: u64, len: usize) -> Option<&'data [u8]> {
        self.ranges.iter().find_map(|&(base, bytes)| {
            let off = usize::try_from(addr.checked_sub(base)?).ok()?;
            bytes.get(off..off.checked_add(len)?)
        })
    }
}

/// What the table alone does not say, from moduledata, symbols or build
/// info. Everything is optional; tests assemble tables with only
/// `text_start`.
#[derive(Clone, Debug, Default)]
pub struct Context<'data> {
    /// `moduledata.text` (or `runtime.text`): the base of entry offsets in
    /// 1.18+. Required for 1.26+, whose header holds 0.
    pub text_start: Option<u64>,
    /// `moduledata.textsectmap` when text spans several sections.
    pub text_sects: Vec<TextSect>,
    /// `moduledata.gofunc`: base of funcdata offsets in 1.18+.
    pub gofunc: Option<u64>,
    /// The exact Go version, when build info gives it.
    pub version: Option<GoVersion>,
    /// Memory for funcdata reads.
    pub image: Image<'data>,
}

/// Which `_func` field sits where, for one layout and pointer size.
#[derive(Clone, Copy, Debug)]
pub(crate) struct FuncFields {
    nameoff: usize,
    args: usize,
    deferreturn: usize,
    pcsp: usize,
    pcfile: usize,
    pcln: usize,
    npcdata: usize,
    cu_offset: Option<usize>,
    start_line: Option<usize>,
    func_id: Option<usize>,
    flag: Option<usize>,
    /// (offset, width in bytes: 1 or 4).
    nfuncdata: (usize, usize),
    pcdata: usize,
    /// Funcdata entries are absolute pointers (before 1.18), else u32
    /// offsets from gofunc.
    funcdata_ptrs: bool,
    /// FUNCDATA_InlTree and PCDATA_InlTreeIndex for this version.
    inl_funcdata: Option<u32>,
    inl_pcdata: u32,
    /// Inline tree entry format.
    inl: InlFormat,
}

/// The inline tree entry format (go-internals §1.8).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum InlFormat {
    /// Go 1.9-1.11: 16 bytes {parent, file, line, func}, no parentPc.
    Go19,
    /// Go 1.12-1.19: 20 bytes with parentPc.
    Go112,
    /// Go 1.20+: 16 bytes {funcID, nameOff, parentPc, startLine}.
    Go120,
}

impl FuncFields {
    fn new(layout: Layout, ptr: usize, version: Option<GoVersion>, old12: bool) -> Self {
        let e = match layout {
            Layout::V12 | Layout::V116 => ptr,
            Layout::V118 | Layout::V120 => 4,
        };
        let mut f = FuncFields {
            nameoff: e,
            args: e + 4,
            deferreturn: e + 8,
            pcsp: e + 12,
            pcfile: e + 16,
            pcln: e + 20,
            npcdata: e + 24,
            cu_offset: None,
            start_line: None,
            func_id: None,
            flag: None,
            nfuncdata: (e + 31, 1),
            pcdata: e + 32,
            funcdata_ptrs: true,
            inl_funcdata: Some(3),
            inl_pcdata: 2,
            inl: InlFormat::Go112,
        };
        match layout {
            Layout::V12 => {
                // The magic covers 1.2-1.15; the versions differ in the
                // record tail and the funcdata/pcdata numbering (§1.5, §1.6).
                if old12 {
                    f.nfuncdata = (e + 28, 4);
                    f.inl_funcdata = match version {
                        Some(v) if !v.at_least(1, 9) => None,
                        _ => Some(2),
                    };
                    f.inl_pcdata = 1;
                    f.inl = InlFormat::Go19;
                } else {
                    f.func_id = Some(e + 28);
                    let new14 = version.is_some_and(|v| v.at_least(1, 14));
                    f.inl_funcdata = Some(if new14 { 4 } else { 2 });
                    f.inl_pcdata = if new14 { 2 } else { 1 };
                }
            }
            Layout::V116 => {
                f.cu_offset = Some(e + 28);
                f.func_id = Some(e + 32);
                f.flag = Some(e + 33);
                f.nfuncdata = (e + 35, 1);
                f.pcdata = e + 36;
            }
            Layout::V118 => {
                f.cu_offset = Some(32);
                f.func_id = Some(36);
                f.flag = Some(37);
                f.nfuncdata = (39, 1);
                f.pcdata = 40;
                f.funcdata_ptrs = false;
            }
            Layout::V120 => {
                f.cu_offset = Some(32);
                f.start_line = Some(36);
                f.func_id = Some(40);
                f.flag = Some(41);
                f.nfuncdata = (43, 1);
                f.pcdata = 44;
                f.funcdata_ptrs = false;
                f.inl = InlFormat::Go120;
            }
        }
        f
    }
}

/// A parsed pclntab. Cheap to build (header and functab checks only);
/// every per-function detail is decoded on demand.
#[derive(Clone, Debug)]
pub struct Pclntab<'data> {
    data: &'data [u8],
    addr: u64,
    layout: Layout,
    quantum: u8,
    ptr_size: u8,
    nfunc: usize,
    nfiles: usize,
    /// Base of 1.18+ entry offsets.
    text_start: u64,
    text_sects: Vec<TextSect>,
    gofunc: Option<u64>,
    funcnametab: &'data [u8],
    cutab: &'data [u8],
    filetab: &'data [u8],
    pctab: &'data [u8],
    /// functab followed by the `_func` records (funcoffs count from here).
    pclntable: &'data [u8],
    /// Where the header's sub-tables lie (1.16+).
    sub_tables: Option<SubTables>,
    /// Where the functab starts inside `pclntable` (after nfunc in V12).
    functab_off: usize,
    /// V12 only: offset of the file table from the table start.
    filetab_v12: usize,
    fields: FuncFields,
    image: Image<'data>,
    version: Option<GoVersion>,
    warnings: Vec<String>,
    /// Built on the first [`Pclntab::func_at`].
    pages: std::sync::OnceLock<PageIndex>,
    /// The name and file tables as `str`, once
    /// [`Pclntab::check_string_tables`] found each valid UTF-8 as a whole.
    names_str: Option<&'data str>,
    files_str: Option<&'data str>,
}

/// log2 of the page size of [`PageIndex`].
const PAGE_SHIFT: u32 = 12;

/// Most pages indexed (16 GiB of code); past this the table is corrupt
/// and lookups fall back to a search of the whole functab.
const MAX_PAGES: u64 = 1 << 22;

/// For each 4 KiB page of code, the last function starting at or before
/// the page: a lookup then searches the few functions of one page instead
/// of the whole functab, whose binary search over a large binary misses
/// the cache at almost every step (the idea of the runtime's findfunctab,
/// built here from the functab itself). 4 bytes per page: 30 KB for
/// 30 MB of code.
#[derive(Clone, Debug, Default)]
struct PageIndex {
    /// Raw entry of the first function: page 0 starts there.
    base: u64,
    first: Vec<u32>,
}

/// The NUL-terminated string at `off` of `table`, as [`bytes::cstr`] reads it;
/// `whole` is `table` as a `str` when known valid.
fn str_at<'d>(table: &'d [u8], whole: Option<&'d str>, off: usize) -> Option<&'d str> {
    match whole {
        Some(w) => {
            let n = memchr::memchr(0, table.get(off..)?)?;
            // Both ends are char boundaries exactly when the bytes
            // between are valid UTF-8 on their own.
            w.get(off..off + n)
        }
        None => bytes::cstr(table, off),
    }
}

/// Most functions any real binary has (a 500 MB binary has ~1M); a count
/// above this is corruption, refused before any loop trusts it.
const MAX_FUNCS: usize = 1 << 24;

impl<'data> Pclntab<'data> {
    /// Parses the table at the start of `data`, which the image maps at
    /// `addr`. `data` may run past the table's end (to the end of the
    /// section or segment); every offset is checked against it.
    pub fn parse(data: &'data [u8], addr: u64, ctx: Context<'data>) -> Result<Self, Error> {
        let bad = |m: &str| Error::Go(format!("pclntab: {m}"));
        let magic = bytes::u32_le(data, 0).ok_or_else(|| bad("truncated header"))?;
        let layout = Layout::from_magic(magic).ok_or_else(|| {
            if Layout::from_magic(magic.swap_bytes()).is_some() {
                bad("big-endian tables are not supported")
            } else {
                bad(&format!("unknown magic {magic:#010x}"))
            }
        })?;
        let (pad1, pad2, quantum, ptr) = match data.get(4..8) {
            Some(&[a, b, q, p]) => (a, b, q, p),
            _ => return Err(bad("truncated header")),
        };
        if pad1 != 0 || pad2 != 0 || !matches!(quantum, 1 | 2 | 4) || !matches!(ptr, 4 | 8) {
            return Err(bad("header prefix is not a Go pclntab"));
        }
        let p = usize::from(ptr);
        let word = |i: usize| -> Result<u64, Error> {
            bytes::word_le(data, 8 + i * p, p).ok_or_else(|| bad("truncated header"))
        };
        let as_off = |v: u64| -> Result<usize, Error> {
            usize::try_from(v)
                .ok()
                .filter(|&o| o <= data.len())
                .ok_or_else(|| bad("header offset outside the table"))
        };
        let nfunc = usize::try_from(word(0)?)
            .ok()
            .filter(|&n| n <= MAX_FUNCS)
            .ok_or_else(|| bad("absurd function count"))?;
        let mut warnings = Vec::new();
        let mut tab = Pclntab {
            data,
            addr,
            layout,
            quantum,
            ptr_size: ptr,
            nfunc,
            nfiles: 0,
            text_start: 0,
            text_sects: ctx.text_sects,
            gofunc: ctx.gofunc,
            funcnametab: data,
            cutab: &[],
            filetab: &[],
            pctab: data,
            pclntable: data,
            sub_tables: None,
            functab_off: 0,
            filetab_v12: 0,
            fields: FuncFields::new(layout, p, ctx.version, false),
            image: ctx.image,
            version: ctx.version,
            warnings: Vec::new(),
            pages: std::sync::OnceLock::new(),
            names_str: None,
            files_str: None,
        };
        match layout {
            Layout::V12 => {
                let ft_end = (2 * nfunc + 1)
                    .checked_mul(p)
                    .and_then(|n| n.checked_add(8 + p))
                    .ok_or_else(|| bad("absurd function count"))?;
                let filetab =
                    bytes::u32_le(data, ft_end).ok_or_else(|| bad("truncated functab"))?;
                tab.filetab_v12 = as_off(u64::from(filetab))?;
                tab.nfiles = bytes::u32_le(data, tab.filetab_v12).unwrap_or(0) as usize;
                // The functab of 1.2-1.15 starts right after nfunc and its
                // funcoffs count from the table start.
                tab.pclntable = data;
                tab.functab_off = 8 + p;
                let old = tab.detect_pre_go112();
                tab.fields = FuncFields::new(layout, p, ctx.version, old);
            }
            Layout::V116 | Layout::V118 | Layout::V120 => {
                let k = if layout == Layout::V116 { 2 } else { 3 };
                tab.nfiles = usize::try_from(word(1)?).unwrap_or(usize::MAX);
                if layout != Layout::V116 {
                    let hdr_text = word(2)?;
                    tab.text_start = hdr_text;
                }
                let offs = [
                    as_off(word(k)?)?,
                    as_off(word(k + 1)?)?,
                    as_off(word(k + 2)?)?,
                    as_off(word(k + 3)?)?,
                    as_off(word(k + 4)?)?,
                ];
                // Each sub-table ends where the next one (in address order)
                // starts; the linker writes them in header order.
                let end_of = |o: usize| {
                    offs.iter()
                        .copied()
                        .filter(|&x| x > o)
                        .min()
                        .unwrap_or(data.len())
                };
                let sub = |o: usize| o..end_of(o);
                let parts = SubTables {
                    header: 0..(8 + (k + 5) * p).min(data.len()),
                    funcnames: sub(offs[0]),
                    cutab: sub(offs[1]),
                    filetab: sub(offs[2]),
                    pctab: sub(offs[3]),
                    functab: offs[4]..data.len(),
                };
                tab.funcnametab = &data[parts.funcnames.clone()];
                tab.cutab = &data[parts.cutab.clone()];
                tab.filetab = &data[parts.filetab.clone()];
                tab.pctab = &data[parts.pctab.clone()];
                tab.pclntable = &data[parts.functab.clone()];
                tab.sub_tables = Some(parts);
            }
        }
        if matches!(layout, Layout::V118 | Layout::V120) {
            match ctx.text_start {
                Some(t) => tab.text_start = t,
                None if tab.text_start != 0 => {}
                None => {
                    return Err(bad(
                        "header has no text start (Go 1.26+) and moduledata was not found",
                    ))
                }
            }
        }
        tab.check_functab(&mut warnings)?;
        tab.warnings = warnings;
        Ok(tab)
    }
}

impl<'data> Pclntab<'data> {
    fn entry_size(&self) -> usize {
        match self.layout {
            Layout::V12 | Layout::V116 => 2 * usize::from(self.ptr_size),
            Layout::V118 | Layout::V120 => 8,
        }
    }

    /// Functab entry `i` as stored (absolute before 1.18, else an offset);
    /// `i == nfunc` is the end of the last function.
    fn raw_entry(&self, i: usize) -> Option<u64> {
        let off = self
            .functab_off
            .checked_add(i.checked_mul(self.entry_size())?)?;
        match self.layout {
            Layout::V12 | Layout::V116 => bytes::word_le(self.pclntable, off, self.ptr_size.into()),
            Layout::V118 | Layout::V120 => bytes::u32_le(self.pclntable, off).map(u64::from),
        }
    }

    /// Offset of function `i`'s `_func` record inside `pclntable`.
    fn funcoff(&self, i: usize) -> Option<usize> {
        let off = self
            .functab_off
            .checked_add(i.checked_mul(self.entry_size())?)?;
        let v = match self.layout {
            Layout::V12 | Layout::V116 => {
                let p = usize::from(self.ptr_size);
                bytes::word_le(self.pclntable, off + p, p)?
            }
            Layout::V118 | Layout::V120 => u64::from(bytes::u32_le(self.pclntable, off + 4)?),
        };
        usize::try_from(v).ok()
    }

    fn raw_to_pc(&self, raw: u64) -> Option<u64> {
        match self.layout {
            Layout::V12 | Layout::V116 => Some(raw),
            Layout::V118 | Layout::V120 if self.text_sects.len() > 1 => {
                let last = self.text_sects.len() - 1;
                self.text_sects.iter().enumerate().find_map(|(i, s)| {
                    let inside = raw >= s.vaddr && (raw < s.end || (i == last && raw == s.end));
                    inside.then(|| s.baseaddr.checked_add(raw - s.vaddr))?
                })
            }
            Layout::V118 | Layout::V120 => self.text_start.checked_add(raw),
        }
    }

    fn pc_to_raw(&self, pc: u64) -> Option<u64> {
        match self.layout {
            Layout::V12 | Layout::V116 => Some(pc),
            Layout::V118 | Layout::V120 if self.text_sects.len() > 1 => {
                self.text_sects.iter().find_map(|s| {
                    let off = pc.checked_sub(s.baseaddr)?;
                    (off < s.end.saturating_sub(s.vaddr)).then(|| s.vaddr + off)
                })
            }
            Layout::V118 | Layout::V120 => pc.checked_sub(self.text_start),
        }
    }

    /// Checks that the functab fits, is sorted, and agrees with the
    /// `_func` records at both ends. An unsorted tail is cut off with a
    /// warning; a functab that does not fit or disagrees is an error (it is
    /// not a pclntab, or not this layout).
    fn check_functab(&mut self, warnings: &mut Vec<String>) -> Result<(), Error> {
        let bad = |m: &str| Error::Go(format!("pclntab: {m}"));
        if self.nfunc == 0 {
            return Err(bad("no functions"));
        }
        if self.raw_entry(self.nfunc).is_none() {
            return Err(bad("functab extends past the table"));
        }
        let mut prev = self.raw_entry(0).unwrap_or(0);
        for i in 1..=self.nfunc {
            let e = self.raw_entry(i).unwrap_or(0);
            if e < prev {
                warnings.push(format!(
                    "functab is not sorted at entry {i} of {}; using the first {}",
                    self.nfunc,
                    i - 1
                ));
                self.nfunc = i - 1;
                break;
            }
            prev = e;
        }
        if self.nfunc == 0 {
            return Err(bad("functab is not sorted"));
        }
        for i in [0, self.nfunc - 1] {
            let rec = self
                .funcoff(i)
                .and_then(|o| self.pclntable.get(o..))
                .ok_or_else(|| bad("function record outside the table"))?;
            let rec_entry = match self.layout {
                Layout::V12 | Layout::V116 => bytes::word_le(rec, 0, self.ptr_size.into()),
                Layout::V118 | Layout::V120 => bytes::u32_le(rec, 0).map(u64::from),
            };
            if rec_entry != self.raw_entry(i) {
                return Err(bad("functab and function records disagree"));
            }
        }
        Ok(())
    }

    /// Go 1.2-1.11 records end in an i32 nfuncdata where 1.12-1.15 have
    /// funcID, padding and a u8 nfuncdata; both carry magic `0xfffffffb`.
    /// Without a version, the u8 slot tells them apart: 1.12+ functions
    /// almost all carry funcdata, while in the old layout that byte is the
    /// top byte of a small i32 and always 0.
    fn detect_pre_go112(&self) -> bool {
        if let Some(v) = self.version {
            return !v.at_least(1, 12);
        }
        let p = usize::from(self.ptr_size);
        let n = self.nfunc.min(10_000);
        !(0..n).any(|i| {
            self.funcoff(i)
                .and_then(|o| self.pclntable.get(o + p + 31))
                .is_some_and(|&b| b != 0)
        })
    }

    /// Number of functions.
    pub fn len(&self) -> usize {
        self.nfunc
    }

    /// True when the table lists no function (never, for a parsed table).
    pub fn is_empty(&self) -> bool {
        self.nfunc == 0
    }

    /// The table's format.
    pub fn layout(&self) -> Layout {
        self.layout
    }

    /// Virtual address of the table.
    pub fn addr(&self) -> u64 {
        self.addr
    }

    /// Instruction size unit (1 on amd64, 4 on arm64).
    pub fn quantum(&self) -> u8 {
        self.quantum
    }

    /// Target pointer size.
    pub fn ptr_size(&self) -> u8 {
        self.ptr_size
    }

    /// The base entry offsets count from (1.18+; 0 before).
    pub fn text_start(&self) -> u64 {
        self.text_start
    }

    /// Number of file-table entries the header declares.
    pub fn nfiles(&self) -> usize {
        self.nfiles
    }

    /// Problems found while parsing that left a partial result.
    pub fn warnings(&self) -> &[String] {
        &self.warnings
    }

    /// The Go version the table was decoded for, when known exactly.
    pub fn version(&self) -> Option<GoVersion> {
        self.version
    }

    /// Function `i` in entry order, `None` when its record is corrupt.
    pub fn func(&self, i: usize) -> Option<Func<'_>> {
        if i >= self.nfunc {
            return None;
        }
        self.func_between(i, self.raw_entry(i)?, self.raw_entry(i + 1)?)
    }

    /// Function `i`, whose raw entry and end the caller has read.
    fn func_between(&self, i: usize, raw: u64, raw_end: u64) -> Option<Func<'_>> {
        let entry = self.raw_to_pc(raw)?;
        let end = self.raw_to_pc(raw_end)?;
        let rec = self.pclntable.get(self.funcoff(i)?..)?;
        Func::new(self, i, rec, entry, end)
    }

    /// Every function, sorted by entry. Corrupt records are skipped.
    pub fn funcs(&self) -> impl Iterator<Item = Func<'_>> {
        (0..self.nfunc).filter_map(move |i| self.func(i))
    }

    fn page_index(&self) -> &PageIndex {
        self.pages.get_or_init(|| {
            let (Some(base), Some(end)) = (self.raw_entry(0), self.raw_entry(self.nfunc)) else {
                return PageIndex::default();
            };
            let pages = (end.saturating_sub(base) >> PAGE_SHIFT) + 1;
            if pages > MAX_PAGES || u32::try_from(self.nfunc).is_err() {
                return PageIndex::default();
            }
            let mut first = Vec::with_capacity(pages as usize);
            // Invariant: entry(i) <= the page start (entries are sorted,
            // checked at parse time).
            let mut i = 0usize;
            for p in 0..pages {
                let start = base + (p << PAGE_SHIFT);
                while i + 1 < self.nfunc && self.raw_entry(i + 1).is_some_and(|e| e <= start) {
                    i += 1;
                }
                first.push(i as u32);
            }
            PageIndex { base, first }
        })
    }

    /// The function whose code holds `pc`: a page index narrows the
    /// functab to a few entries, then a binary search.
    pub fn func_at(&self, pc: u64) -> Option<Func<'_>> {
        let raw = self.pc_to_raw(pc)?;
        // Last entry <= raw: a partition point over the functab's entries
        // (checked to fit at parse time).
        let size = self.entry_size();
        let tab = self
            .pclntable
            .get(self.functab_off..self.functab_off + self.nfunc * size)?;
        let narrow = matches!(self.layout, Layout::V118 | Layout::V120);
        let p = usize::from(self.ptr_size);
        let (mut lo, mut hi) = (0usize, self.nfunc);
        let index = self.page_index();
        if !index.first.is_empty() {
            let page = usize::try_from(raw.checked_sub(index.base)? >> PAGE_SHIFT).ok()?;
            // Entries before `first[page]` are <= raw; those after
            // `first[page + 1]` are above the next page, so above raw.
            lo = *index.first.get(page)? as usize;
            hi = index
                .first
                .get(page + 1)
                .map_or(self.nfunc, |&n| n as usize + 1);
        }
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            let e = if narrow {
                u64::from(bytes::u32_le(tab, mid * size)?)
            } else {
                bytes::word_le(tab, mid * size, p)?
            };
            if e <= raw {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        let i = lo.checked_sub(1)?;
        let end = self.raw_entry(i + 1)?;
        if raw >= end || i >= self.nfunc {
            return None;
        }
        self.func_between(i, self.raw_entry(i)?, end)
    }

    /// Checks the function-name and file tables as UTF-8 once, as wholes,
    /// so that later reads only check that a string starts on a char
    /// boundary instead of validating it: worth it before many lookups
    /// (validation was a fifth of an `addr2line` lookup's instructions),
    /// not for a few (it reads both tables through). A table that is not
    /// valid UTF-8 as a whole keeps being read string by string.
    pub fn check_string_tables(&mut self) {
        if self.layout == Layout::V12 {
            // Names and files live inside the one blob with binary data.
            return;
        }
        self.names_str = std::str::from_utf8(self.funcnametab).ok();
        self.files_str = std::str::from_utf8(self.filetab).ok();
    }

    /// A name from the function-name table.
    pub(crate) fn name_at(&self, off: u32) -> Option<&'data str> {
        str_at(self.funcnametab, self.names_str, usize::try_from(off).ok()?)
    }

    /// The file a pcfile value names, for a function with this cutab base.
    pub(crate) fn file_name(&self, cu_offset: Option<u32>, fileno: i32) -> Option<&'data str> {
        let fileno = u32::try_from(fileno).ok()?;
        match self.layout {
            Layout::V12 => {
                if fileno == 0 {
                    return None;
                }
                let slot = self
                    .filetab_v12
                    .checked_add(usize::try_from(fileno).ok()?.checked_mul(4)?)?;
                let off = bytes::u32_le(self.data, slot)?;
                bytes::cstr(self.data, off as usize)
            }
            _ => {
                let idx = cu_offset?.checked_add(fileno)?;
                let off = bytes::u32_le(self.cutab, usize::try_from(idx).ok()?.checked_mul(4)?)?;
                if off == u32::MAX {
                    return None;
                }
                str_at(self.filetab, self.files_str, off as usize)
            }
        }
    }

    /// A pc-value table starting at `off` in pctab; `None` for offset 0
    /// (absent).
    pub(crate) fn pctab_at(&self, off: u32) -> Option<&'data [u8]> {
        if off == 0 {
            return None;
        }
        self.pctab.get(usize::try_from(off).ok()?..)
    }
}
