//! Where the bytes of a binary go: every byte of the file is given one
//! kind (code, pclntab, DWARF, headers...), one place (a section or a
//! container structure) and one owner (a Go package, or a named shared
//! pool such as string literals), so that every view adds up to the file
//! size exactly.
//!
//! The attribution is a set of claims on file ranges at a few priority
//! levels; a higher level wins where claims overlap, and bytes nobody
//! claims become padding (zeros) or an explicit "unattributed" row:
//!
//! 1. container structures: ELF header, program and section header
//!    tables; Mach-O header, load commands and the `__LINKEDIT` tables;
//! 2. Go structures read from the file itself, so stripped binaries get the
//!    same answer: function bodies and their alignment fill (pclntab and the
//!    end of each function's pc/sp table), the pclntab's own pieces per
//!    function (record, name, pc-value tables, file table per compilation
//!    unit), funcdata blobs, `findfunctab`, the type-descriptor range from
//!    moduledata, and symbol-table entries per symbol name;
//! 3. symbols with a size (ELF), or the span to the next symbol (Mach-O,
//!    whose symbols carry no size, as `go tool nm` does);
//! 4. the span after a zero-size container symbol (`go:string.*`, `type:*`);
//! 5. the rest of each section, by the section's kind.

use gobin::buildinfo::BuildInfo;
use gobin::container::Binary;
use gobin::pclntab::Layout;
use gobin::{Error, GoBinary};
use model::Format;
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};

/// What a byte is for. The order is the order of the kind table.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    /// Machine code of functions (bodies only).
    Code,
    /// The Go function table: names, pc-value tables, file tables, records.
    Pclntab,
    /// Per-function runtime data outside the pclntab proper (`go:func.*`:
    /// stack maps, inline trees, argument info).
    Funcdata,
    /// Go type descriptors (`type:*`).
    Types,
    /// Other read-only data: string literals, constants, GC bitmaps, itabs.
    Rodata,
    /// Initialised writable data (including build info and module data).
    Data,
    /// Zero-initialised data: memory only, no bytes in the file.
    Bss,
    /// DWARF debug information.
    Dwarf,
    /// Static symbol and string tables (`.symtab`, `LC_SYMTAB`).
    Symbols,
    /// Dynamic linking: dynamic symbols, relocations, PLT/GOT, stubs,
    /// dyld binding info.
    Dynamic,
    /// The Mach-O code signature (`LC_CODE_SIGNATURE`).
    Signature,
    /// ELF notes (build IDs).
    Notes,
    /// ELF/Mach-O headers, program/section header tables, load commands.
    Headers,
    /// Zero bytes between structures and alignment fill after functions.
    Padding,
    /// Non-zero bytes no structure of the file accounts for.
    Unattributed,
}

impl Kind {
    /// The name used in tables and JSON.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Code => "code",
            Kind::Pclntab => "pclntab",
            Kind::Funcdata => "funcdata",
            Kind::Types => "types",
            Kind::Rodata => "rodata",
            Kind::Data => "data",
            Kind::Bss => "bss",
            Kind::Dwarf => "dwarf",
            Kind::Symbols => "symbols",
            Kind::Dynamic => "dynamic linking",
            Kind::Signature => "code signature",
            Kind::Notes => "notes",
            Kind::Headers => "headers",
            Kind::Padding => "padding",
            Kind::Unattributed => "unattributed",
        }
    }

    /// Every kind, in table order.
    pub const ALL: [Kind; 15] = [
        Kind::Code,
        Kind::Pclntab,
        Kind::Funcdata,
        Kind::Types,
        Kind::Rodata,
        Kind::Data,
        Kind::Bss,
        Kind::Dwarf,
        Kind::Symbols,
        Kind::Dynamic,
        Kind::Signature,
        Kind::Notes,
        Kind::Headers,
        Kind::Padding,
        Kind::Unattributed,
    ];

    /// The owner of bytes of this kind that no package claims.
    fn pool(self) -> &'static str {
        match self {
            Kind::Code => "(code outside Go functions)",
            Kind::Pclntab => "(pclntab, shared)",
            Kind::Funcdata => "(funcdata, shared)",
            Kind::Types => "(type descriptors)",
            Kind::Rodata => "(rodata, no package)",
            Kind::Data => "(data, no package)",
            Kind::Bss => "(bss)",
            Kind::Dwarf => "(DWARF)",
            Kind::Symbols => "(symbol tables, shared)",
            Kind::Dynamic => "(dynamic linking)",
            Kind::Signature => "(code signature)",
            Kind::Notes => "(notes)",
            Kind::Headers => "(headers)",
            Kind::Padding => "(padding)",
            Kind::Unattributed => "(unattributed)",
        }
    }
}

impl Serialize for Kind {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.name())
    }
}

/// Who a package belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Class {
    /// The runtime and the internal packages it is built from.
    Runtime,
    /// The rest of the standard library.
    Std,
    /// The main module.
    Main,
    /// A dependency module.
    Dependency,
    /// Not a Go package: shared pools, file structure, padding.
    Other,
}

impl Class {
    /// The name used in tables.
    pub fn name(self) -> &'static str {
        match self {
            Class::Runtime => "runtime",
            Class::Std => "std",
            Class::Main => "main",
            Class::Dependency => "dependency",
            Class::Other => "other",
        }
    }
}

/// One row of the kind table.
#[derive(Clone, Debug, Serialize)]
pub struct KindRow {
    /// The kind.
    pub kind: Kind,
    /// Bytes of the file.
    pub bytes: u64,
    /// For bss: bytes of memory it takes at run time (none in the file).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub memory: Option<u64>,
}

/// One section, or one container structure that is not a section.
#[derive(Clone, Debug, Serialize)]
pub struct SectionRow {
    /// Section name (`.text`, `__text`) or a structure in parentheses
    /// (`(ELF header)`, `(load commands)`, `(padding)`).
    pub name: String,
    /// Mach-O segment of a section.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub segment: String,
    /// Bytes of the file attributed to it.
    pub bytes: u64,
    /// Size the header declares (memory size; for bss sections the only
    /// size there is). `None` for structures.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub size: Option<u64>,
    /// File offset, when it has file bytes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub offset: Option<u64>,
    /// Virtual address (0 for unloaded sections).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub addr: Option<u64>,
    /// The section's kind (its bytes may hold several; see `kinds`).
    pub kind: Kind,
}

/// One Go package, or one shared pool of bytes.
#[derive(Clone, Debug, Serialize)]
pub struct PackageRow {
    /// Import path (`runtime`, `golang.org/x/sys/unix`), or a pool name in
    /// parentheses (`(DWARF)`, `(string literals)`).
    pub package: String,
    /// runtime, std, main, dependency or other.
    pub class: Class,
    /// Module path (`std` for the standard library).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub module: Option<String>,
    /// Code bytes: the sum of its functions' sizes as the pclntab gives
    /// them (`rabbithole funcs`), alignment fill included.
    pub code: u64,
    /// The alignment fill inside `code` (after each body, up to the next
    /// function's entry).
    pub code_fill: u64,
    /// Number of functions in the pclntab.
    pub functions: u64,
    /// All bytes of the file attributed to it.
    pub bytes: u64,
    /// Those bytes by kind.
    pub kinds: BTreeMap<&'static str, u64>,
}

/// One module (or std, or the runtime) with its packages summed.
#[derive(Clone, Debug, Serialize)]
pub struct ModuleRow {
    /// `runtime`, `std`, a module path, or `other`.
    pub module: String,
    /// Version from build info.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// Class of its packages.
    pub class: Class,
    /// Packages in it.
    pub packages: usize,
    /// Code bytes (as in [`PackageRow::code`]).
    pub code: u64,
    /// All bytes attributed to it.
    pub bytes: u64,
}

/// Where the bytes of one binary go.
#[derive(Clone, Debug, Serialize)]
pub struct SizeReport {
    /// Size of the file: every table below sums to it.
    pub file_size: u64,
    /// Container format.
    pub format: Format,
    /// Instruction set.
    pub arch: &'static str,
    /// Target OS.
    pub os: &'static str,
    /// Go version from build info (or the pclntab's lower bound).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub go_version: Option<String>,
    /// What package attribution rests on: `pclntab+symbols`, `pclntab`,
    /// `symbols` or `sections`.
    pub attribution: &'static str,
    /// Bytes by kind (sums to `file_size`; bss has `memory` only).
    pub kinds: Vec<KindRow>,
    /// Bytes by section and structure, in file order (sums to `file_size`).
    pub sections: Vec<SectionRow>,
    /// Bytes by package and pool, largest first (sums to `file_size`).
    pub packages: Vec<PackageRow>,
    /// Bytes by module, largest first (sums to `file_size`).
    pub modules: Vec<ModuleRow>,
    /// How parts of the attribution were made or why they could not be.
    pub notes: Vec<String>,
}

impl SizeReport {
    /// Bytes of one kind.
    pub fn kind_bytes(&self, k: Kind) -> u64 {
        self.kinds
            .iter()
            .find(|r| r.kind == k)
            .map_or(0, |r| r.bytes)
    }

    /// The row of one package or pool.
    pub fn package(&self, name: &str) -> Option<&PackageRow> {
        self.packages.iter().find(|p| p.package == name)
    }
}

/// Measures a file. Fat Mach-O files are refused (measure one slice).
pub fn measure(data: &[u8]) -> Result<SizeReport, Error> {
    if data.len() >= 4
        && matches!(
            data[..4],
            [0xca, 0xfe, 0xba, 0xbe] | [0xca, 0xfe, 0xba, 0xbf]
        )
    {
        return Err(Error::Format(
            "fat Mach-O: measure one architecture slice (lipo -thin)".into(),
        ));
    }
    let bin = Binary::parse(data)?;
    match GoBinary::from_binary(bin) {
        Ok(go) => Ok(measure_go(&go)),
        Err(e) => {
            let bin = Binary::parse(data)?;
            let mut r = measure_binary(&bin, None);
            r.notes.push(format!("no Go function table: {e}"));
            Ok(r)
        }
    }
}

/// Measures a parsed Go binary.
pub fn measure_go(go: &GoBinary<'_>) -> SizeReport {
    measure_binary(&go.bin, Some(go))
}

// ---------------------------------------------------------------------
// Claims

/// Claim priority levels (higher wins).
const P_STRUCT: u8 = 5;
const P_GO: u8 = 4;
const P_SYM: u8 = 3;
const P_CONTAINER: u8 = 2;
const P_SECTION: u8 = 1;

#[derive(Clone, Copy, Debug)]
struct Claim {
    start: u64,
    end: u64,
    kind: Kind,
    owner: u32,
    place: u32,
}

/// Interned strings: owners and places.
#[derive(Default)]
struct Names {
    list: Vec<String>,
    index: HashMap<String, u32>,
}

impl Names {
    fn id(&mut self, s: &str) -> u32 {
        if let Some(&i) = self.index.get(s) {
            return i;
        }
        let i = self.list.len() as u32;
        self.list.push(s.to_string());
        self.index.insert(s.to_string(), i);
        i
    }
}

/// One section with file bytes, for mapping addresses to file offsets.
#[derive(Clone, Debug)]
struct Place {
    addr: u64,
    off: u64,
    file_size: u64,
    kind: Kind,
    place: u32,
    loaded: bool,
}

struct Builder<'a> {
    data: &'a [u8],
    levels: [Vec<Claim>; 6],
    owners: Names,
    places: Names,
    /// Loaded sections with file bytes, sorted by address.
    by_addr: Vec<Place>,
    notes: Vec<String>,
}

impl<'a> Builder<'a> {
    fn claim(&mut self, prio: u8, start: u64, end: u64, kind: Kind, owner: u32, place: u32) {
        let end = end.min(self.data.len() as u64);
        if start < end {
            self.levels[usize::from(prio)].push(Claim {
                start,
                end,
                kind,
                owner,
                place,
            });
        }
    }

    /// The loaded section holding `addr`.
    fn place_of(&self, addr: u64) -> Option<&Place> {
        let i = self.by_addr.partition_point(|p| p.addr <= addr);
        let p = self.by_addr.get(i.checked_sub(1)?)?;
        (addr - p.addr < p.file_size).then_some(p)
    }

    /// Claims `[addr, addr+len)` clipped to the section holding `addr`.
    fn claim_va(&mut self, prio: u8, addr: u64, len: u64, kind: Option<Kind>, owner: u32) {
        let Some(p) = self.place_of(addr) else {
            return;
        };
        let rel = addr - p.addr;
        let len = len.min(p.file_size - rel);
        let (start, place, pk) = (p.off + rel, p.place, p.kind);
        self.claim(prio, start, start + len, kind.unwrap_or(pk), owner, place);
    }

    /// The file bytes at a virtual address, up to the end of its section.
    fn bytes_at(&self, addr: u64) -> Option<&'a [u8]> {
        let p = self.place_of(addr)?;
        let start = usize::try_from(p.off.checked_add(addr - p.addr)?).ok()?;
        let end = usize::try_from(p.off.checked_add(p.file_size)?).ok()?;
        self.data.get(start..end)
    }

    /// Resolves the claims into non-overlapping pieces covering the file.
    fn resolve(mut self) -> (Vec<Claim>, Names, Names, Vec<String>) {
        let mut covered: Vec<(u64, u64)> = Vec::new();
        let mut pieces: Vec<Claim> = Vec::new();
        for prio in (0..self.levels.len()).rev() {
            let mut level = std::mem::take(&mut self.levels[prio]);
            level.sort_by_key(|c| c.start);
            let mut new: Vec<Claim> = Vec::new();
            let mut level_end = 0u64;
            for c in level {
                let mut s = c.start.max(level_end);
                if s >= c.end {
                    continue;
                }
                level_end = c.end;
                let mut i = covered.partition_point(|&(_, e)| e <= s);
                while s < c.end {
                    match covered.get(i) {
                        Some(&(cs, ce)) if cs < c.end => {
                            if s < cs {
                                new.push(Claim {
                                    start: s,
                                    end: cs,
                                    ..c
                                });
                            }
                            s = s.max(ce);
                            i += 1;
                        }
                        _ => {
                            new.push(Claim { start: s, ..c });
                            s = c.end;
                        }
                    }
                }
            }
            covered.extend(new.iter().map(|c| (c.start, c.end)));
            covered.sort_unstable();
            let mut merged: Vec<(u64, u64)> = Vec::with_capacity(covered.len());
            for (s, e) in covered {
                match merged.last_mut() {
                    Some(last) if last.1 >= s => last.1 = last.1.max(e),
                    _ => merged.push((s, e)),
                }
            }
            covered = merged;
            pieces.extend(new);
        }
        pieces.sort_by_key(|c| c.start);
        // Gaps: zero runs are padding, anything else is unattributed.
        let pad_owner = self.owners.id(Kind::Padding.pool());
        let un_owner = self.owners.id(Kind::Unattributed.pool());
        let pad_place = self.places.id("(padding)");
        let un_place = self.places.id("(unattributed)");
        let mut out = Vec::with_capacity(pieces.len() * 2);
        let mut pos = 0u64;
        let size = self.data.len() as u64;
        let data = self.data;
        let gap = |from: u64, to: u64, out: &mut Vec<Claim>| {
            if from >= to {
                return;
            }
            let bytes = &data[from as usize..to as usize];
            let lead = bytes.iter().take_while(|&&b| b == 0).count() as u64;
            let trail = if lead as usize == bytes.len() {
                0
            } else {
                bytes.iter().rev().take_while(|&&b| b == 0).count() as u64
            };
            let mid = (from + lead, to - trail);
            for (s, e, k, o, p) in [
                (from, mid.0, Kind::Padding, pad_owner, pad_place),
                (mid.0, mid.1, Kind::Unattributed, un_owner, un_place),
                (mid.1, to, Kind::Padding, pad_owner, pad_place),
            ] {
                if s < e {
                    out.push(Claim {
                        start: s,
                        end: e,
                        kind: k,
                        owner: o,
                        place: p,
                    });
                }
            }
        };
        for c in pieces {
            gap(pos, c.start, &mut out);
            pos = c.end;
            out.push(c);
        }
        gap(pos, size, &mut out);
        (out, self.owners, self.places, self.notes)
    }
}

// ---------------------------------------------------------------------
// Reading helpers

fn u16_at(b: &[u8], off: usize, be: bool) -> Option<u64> {
    let s: [u8; 2] = b.get(off..off.checked_add(2)?)?.try_into().ok()?;
    Some(u64::from(if be {
        u16::from_be_bytes(s)
    } else {
        u16::from_le_bytes(s)
    }))
}

fn u32_at(b: &[u8], off: usize, be: bool) -> Option<u64> {
    let s: [u8; 4] = b.get(off..off.checked_add(4)?)?.try_into().ok()?;
    Some(u64::from(if be {
        u32::from_be_bytes(s)
    } else {
        u32::from_le_bytes(s)
    }))
}

fn u64_at(b: &[u8], off: usize, be: bool) -> Option<u64> {
    let s: [u8; 8] = b.get(off..off.checked_add(8)?)?.try_into().ok()?;
    Some(if be {
        u64::from_be_bytes(s)
    } else {
        u64::from_le_bytes(s)
    })
}

fn cstr_len(b: &[u8], off: usize) -> Option<usize> {
    b.get(off..)?.iter().position(|&c| c == 0)
}

fn cstr(b: &[u8], off: usize) -> Option<&str> {
    let n = cstr_len(b, off)?;
    std::str::from_utf8(&b[off..off + n]).ok()
}

fn uvarint(b: &[u8], pos: &mut usize) -> Option<u64> {
    let mut v = 0u64;
    for shift in (0..64).step_by(7) {
        let byte = *b.get(*pos)?;
        *pos += 1;
        v |= u64::from(byte & 0x7f) << shift;
        if byte & 0x80 == 0 {
            return Some(v);
        }
    }
    None
}

/// Most pc-value pairs read from one table (a function of 1 MB at one
/// pair per byte; real tables have far fewer).
const MAX_PCVALUE_PAIRS: usize = 1 << 20;

/// Walks a pc-value table: (bytes it occupies, pc span it covers).
fn pcvalue_extent(tab: &[u8], quantum: u64) -> Option<(usize, u64)> {
    let mut pos = 0usize;
    let mut pc = 0u64;
    for first in std::iter::once(true)
        .chain(std::iter::repeat(false))
        .take(MAX_PCVALUE_PAIRS)
    {
        let uv = uvarint(tab, &mut pos)?;
        if uv == 0 && !first {
            return Some((pos, pc));
        }
        let d = uvarint(tab, &mut pos)?;
        pc = pc.checked_add(d.checked_mul(quantum)?)?;
    }
    None
}

// ---------------------------------------------------------------------
// Package names

/// Packages the runtime is built from, beyond `runtime/...` and
/// `internal/runtime/...`.
const RUNTIME_INTERNALS: &[&str] = &[
    "internal/abi",
    "internal/bytealg",
    "internal/cpu",
    "internal/goarch",
    "internal/goos",
    "internal/goexperiment",
    "internal/chacha8rand",
    "internal/godebugs",
    "internal/profilerecord",
    "internal/stringslite",
    "internal/byteorder",
    "internal/race",
    "internal/asan",
    "internal/msan",
    "internal/coverage/rtcov",
    "internal/trace/tracev2",
    "internal/runtime",
];

/// The package (or pool) a symbol or function name belongs to.
pub fn package_of(name: &str) -> &str {
    let name = name.strip_suffix(".abi0").unwrap_or(name);
    for (prefix, pool) in [
        ("type:.eq.", "(type equality functions)"),
        ("type..eq.", "(type equality functions)"),
        ("type:.hash.", "(type hash functions)"),
        ("type..hash.", "(type hash functions)"),
        ("typerel.", "(type descriptors)"),
        ("type:", "(type descriptors)"),
        ("type.", "(type descriptors)"),
        ("go:string.", "(string literals)"),
        ("go.string.", "(string literals)"),
        ("go:func.", "(funcdata, shared)"),
        ("go.func.", "(funcdata, shared)"),
        ("go:itab.", "(itabs)"),
        ("go.itab.", "(itabs)"),
        ("go:itablink.", "(itabs)"),
        ("go.itablink.", "(itabs)"),
        ("runtime.gcbits.", "(GC bitmaps)"),
        ("gclocals·", "(funcdata, shared)"),
        ("go:", "(linker)"),
        ("$f64.", "(constants)"),
        ("$f32.", "(constants)"),
        ("$i64.", "(constants)"),
        ("$i32.", "(constants)"),
    ] {
        if name.starts_with(prefix) {
            return pool;
        }
    }
    // Before Go 1.21 linker symbols start `go.` (go.buildid); so do import
    // paths like go.etcd.io/bbolt, whose first element holds a dot.
    if let Some(rest) = name.strip_prefix("go.") {
        let first = rest.split('/').next().unwrap_or(rest);
        if !rest.contains('/') || !first.contains('.') {
            return "(linker)";
        }
    }
    // The path ends at the last slash before any type argument list; the
    // package at the first dot after it.
    let head = name.find('[').map_or(name, |i| &name[..i]);
    let base = head.rfind('/').map_or(0, |i| i + 1);
    match head[base..].find('.') {
        Some(0) | None => "(no package: C or assembly)",
        Some(i) => &name[..base + i],
    }
}

fn is_runtime(pkg: &str) -> bool {
    pkg == "runtime"
        || pkg.starts_with("runtime/internal/")
        || pkg == "runtime/cgo"
        || pkg.starts_with("internal/runtime/")
        || RUNTIME_INTERNALS.contains(&pkg)
}

/// Class and module of a package, from build info.
fn classify_package(pkg: &str, info: Option<&BuildInfo>) -> (Class, Option<String>) {
    if pkg.starts_with('(') {
        return (Class::Other, None);
    }
    let under =
        |p: &str, m: &str| p == m || (p.starts_with(m) && p.as_bytes().get(m.len()) == Some(&b'/'));
    if let Some(info) = info {
        let main_path = info
            .main
            .as_ref()
            .map(|m| m.path.as_str())
            .unwrap_or(&info.path);
        if pkg == "main" || (!main_path.is_empty() && under(pkg, main_path)) {
            return (Class::Main, Some(main_path.to_string()));
        }
        let dep = info
            .deps
            .iter()
            .filter(|d| under(pkg, &d.path))
            .max_by_key(|d| d.path.len());
        if let Some(d) = dep {
            return (Class::Dependency, Some(d.path.clone()));
        }
    } else if pkg == "main" {
        return (Class::Main, None);
    }
    let first = pkg.split('/').next().unwrap_or(pkg);
    if !first.contains('.') {
        let class = if is_runtime(pkg) {
            Class::Runtime
        } else {
            Class::Std
        };
        return (class, Some("std".into()));
    }
    (Class::Dependency, Some(guess_module(pkg)))
}

/// A module path for a package build info does not list (GOPATH or
/// vendored builds): the repository root on the big hosts, else the first
/// two path elements. Marked with `~` as a guess.
fn guess_module(pkg: &str) -> String {
    let parts: Vec<&str> = pkg.split('/').collect();
    let n = match parts[0] {
        "github.com" | "gitlab.com" | "bitbucket.org" | "golang.org" | "git.sr.ht" => 3,
        _ => 2,
    };
    format!("~{}", parts[..n.min(parts.len())].join("/"))
}

// ---------------------------------------------------------------------
// Sections

fn section_kind(name: &str, executable: bool, writable: bool) -> Kind {
    let n = name.trim_start_matches('.').trim_start_matches('_');
    let n = n.strip_prefix("_").unwrap_or(n);
    if n.starts_with("debug") || n.starts_with("zdebug") || n.starts_with("_debug") {
        return Kind::Dwarf;
    }
    match n {
        "text" | "init" | "fini" => Kind::Code,
        "gopclntab" => Kind::Pclntab,
        "go.type" | "go_type" | "typelink" => Kind::Types,
        "bss" | "noptrbss" | "tbss" | "common" => Kind::Bss,
        "symtab" | "strtab" => Kind::Symbols,
        "shstrtab" => Kind::Headers,
        "interp" | "dynsym" | "dynstr" | "dynamic" | "hash" | "gnu.hash" | "gnu.version"
        | "gnu.version_r" | "gnu.version_d" | "rela.dyn" | "rela.plt" | "rel.dyn" | "rel.plt"
        | "plt" | "plt.got" | "got" | "got.plt" | "stubs" | "symbol_stub1" | "la_symbol_ptr"
        | "nl_symbol_ptr" | "stub_helper" => Kind::Dynamic,
        _ if n.starts_with("note") => Kind::Notes,
        _ if n.starts_with("rela") || n.starts_with("rel.") => Kind::Dynamic,
        "data.rel.ro" | "go_func" | "go.func" => Kind::Rodata,
        _ if executable => Kind::Code,
        _ if writable => Kind::Data,
        "noptrdata" | "data" | "go.buildinfo" | "go_buildinfo" | "go.fipsinfo" | "go_fipsinfo"
        | "go.module" | "go_module" | "init_array" | "tdata" => Kind::Data,
        _ => Kind::Rodata,
    }
}

/// Raw ELF section header facts `Binary` does not keep.
struct ElfShdr {
    kind: u64,
    offset: u64,
    size: u64,
    link: u64,
    entsize: u64,
    flags: u64,
}

fn elf_layout(b: &mut Builder<'_>) -> Vec<ElfShdr> {
    let d = b.data;
    let be = d.get(5) == Some(&2);
    let is64 = d.get(4) == Some(&2);
    let field = |off32: usize, off64: usize, wide: bool| -> Option<u64> {
        if is64 {
            if wide {
                u64_at(d, off64, be)
            } else {
                u16_at(d, off64, be)
            }
        } else if wide {
            u32_at(d, off32, be)
        } else {
            u16_at(d, off32, be)
        }
    };
    let headers = b.owners.id(Kind::Headers.pool());
    let ehsize = field(40, 52, false).unwrap_or(if is64 { 64 } else { 52 });
    let place = b.places.id("(ELF header)");
    b.claim(P_STRUCT, 0, ehsize, Kind::Headers, headers, place);
    if let (Some(phoff), Some(phentsize), Some(phnum)) = (
        field(28, 32, true),
        field(42, 54, false),
        field(44, 56, false),
    ) {
        let place = b.places.id("(program headers)");
        b.claim(
            P_STRUCT,
            phoff,
            phoff.saturating_add(phentsize * phnum),
            Kind::Headers,
            headers,
            place,
        );
    }
    let mut shdrs = Vec::new();
    if let (Some(shoff), Some(shentsize), Some(shnum)) = (
        field(32, 40, true),
        field(46, 58, false),
        field(48, 60, false),
    ) {
        let place = b.places.id("(section headers)");
        b.claim(
            P_STRUCT,
            shoff,
            shoff.saturating_add(shentsize * shnum),
            Kind::Headers,
            headers,
            place,
        );
        for i in 0..shnum {
            let Some(base) = shoff
                .checked_add(i * shentsize)
                .and_then(|o| usize::try_from(o).ok())
            else {
                break;
            };
            let (kind, flags, offset, size, link, entsize) = if is64 {
                (
                    u32_at(d, base + 4, be),
                    u64_at(d, base + 8, be),
                    u64_at(d, base + 24, be),
                    u64_at(d, base + 32, be),
                    u32_at(d, base + 40, be),
                    u64_at(d, base + 56, be),
                )
            } else {
                (
                    u32_at(d, base + 4, be),
                    u32_at(d, base + 8, be),
                    u32_at(d, base + 16, be),
                    u32_at(d, base + 20, be),
                    u32_at(d, base + 24, be),
                    u32_at(d, base + 36, be),
                )
            };
            let (Some(kind), Some(flags), Some(offset), Some(size), Some(link), Some(entsize)) =
                (kind, flags, offset, size, link, entsize)
            else {
                break;
            };
            shdrs.push(ElfShdr {
                kind,
                offset,
                size,
                link,
                entsize,
                flags,
            });
        }
    }
    shdrs
}

/// Mach-O load commands: header, commands, and the `__LINKEDIT` tables
/// they point at. Returns the symbol table (symoff, nsyms, stroff, strsize).
fn macho_layout(b: &mut Builder<'_>) -> Option<(u64, u64, u64, u64)> {
    let d = b.data;
    let magic = u32_at(d, 0, false)?;
    let (is64, be) = match magic {
        0xfeed_facf => (true, false),
        0xfeed_face => (false, false),
        0xcffa_edfe => (true, true),
        0xcefa_edfe => (false, true),
        _ => return None,
    };
    let hsize = if is64 { 32 } else { 28 };
    let headers = b.owners.id(Kind::Headers.pool());
    let place = b.places.id("(Mach-O header)");
    b.claim(P_STRUCT, 0, hsize, Kind::Headers, headers, place);
    let ncmds = u32_at(d, 16, be)?;
    let sizeofcmds = u32_at(d, 20, be)?;
    let place = b.places.id("(load commands)");
    b.claim(
        P_STRUCT,
        hsize,
        hsize + sizeofcmds,
        Kind::Headers,
        headers,
        place,
    );
    let mut symtab = None;
    let mut off = hsize as usize;
    let end = off.saturating_add(sizeofcmds as usize);
    let mut regions: Vec<(&'static str, Kind, u64, u64)> = Vec::new();
    for _ in 0..ncmds.min(1 << 16) {
        let (Some(cmd), Some(size)) = (u32_at(d, off, be), u32_at(d, off + 4, be)) else {
            break;
        };
        if size < 8 || off + size as usize > end {
            break;
        }
        let w = |i: usize| u32_at(d, off + 8 + 4 * i, be).unwrap_or(0);
        match cmd {
            0x2 => {
                // LC_SYMTAB
                let (symoff, nsyms, stroff, strsize) = (w(0), w(1), w(2), w(3));
                let ent = if is64 { 16 } else { 12 };
                regions.push(("(symbol table)", Kind::Symbols, symoff, nsyms * ent));
                regions.push(("(string table)", Kind::Symbols, stroff, strsize));
                symtab = Some((symoff, nsyms, stroff, strsize));
            }
            0xb => {
                // LC_DYSYMTAB: toc, module table, external refs, indirect
                // symbols, relocations.
                regions.push(("(dysymtab: toc)", Kind::Dynamic, w(6), w(7) * 8));
                regions.push((
                    "(dysymtab: modules)",
                    Kind::Dynamic,
                    w(8),
                    w(9) * if is64 { 56 } else { 52 },
                ));
                regions.push(("(dysymtab: external refs)", Kind::Dynamic, w(10), w(11) * 4));
                regions.push(("(indirect symbols)", Kind::Dynamic, w(12), w(13) * 4));
                regions.push(("(external relocations)", Kind::Dynamic, w(14), w(15) * 8));
                regions.push(("(local relocations)", Kind::Dynamic, w(16), w(17) * 8));
            }
            0x22 | 0x8000_0022 => {
                // LC_DYLD_INFO(_ONLY)
                regions.push(("(dyld rebase info)", Kind::Dynamic, w(0), w(1)));
                regions.push(("(dyld bind info)", Kind::Dynamic, w(2), w(3)));
                regions.push(("(dyld weak bind info)", Kind::Dynamic, w(4), w(5)));
                regions.push(("(dyld lazy bind info)", Kind::Dynamic, w(6), w(7)));
                regions.push(("(dyld export info)", Kind::Dynamic, w(8), w(9)));
            }
            0x1d => regions.push(("(code signature)", Kind::Signature, w(0), w(1))),
            0x1e => regions.push(("(segment split info)", Kind::Dynamic, w(0), w(1))),
            0x26 => regions.push(("(function starts)", Kind::Symbols, w(0), w(1))),
            0x29 => regions.push(("(data in code)", Kind::Symbols, w(0), w(1))),
            0x2b => regions.push(("(code signing DRs)", Kind::Signature, w(0), w(1))),
            0x2e => regions.push(("(linker optimization hints)", Kind::Dynamic, w(0), w(1))),
            0x8000_0033 => regions.push(("(dyld exports trie)", Kind::Dynamic, w(0), w(1))),
            0x8000_0034 => regions.push(("(dyld chained fixups)", Kind::Dynamic, w(0), w(1))),
            _ => {}
        }
        off += size as usize;
    }
    for (name, kind, start, len) in regions {
        if len == 0 {
            continue;
        }
        let owner = b.owners.id(kind.pool());
        let place = b.places.id(name);
        // Below the per-name claims symbol tables get at P_GO: this is
        // what no name claims.
        b.claim(
            P_CONTAINER,
            start,
            start.saturating_add(len),
            kind,
            owner,
            place,
        );
    }
    symtab
}

// ---------------------------------------------------------------------
// Go structures

/// The `_func` record facts size attribution needs.
struct Rec {
    /// Range of the record inside `pclntable`.
    start: usize,
    end: usize,
    cu: u32,
    tables: Vec<u32>,
    funcdata: Vec<u64>,
}

/// Claims the pclntab's pieces per function. Returns each function's
/// body end (from its pc/sp table) by function index, and funcdata
/// addresses with their owners.
struct PclnPieces {
    body_end: Vec<Option<u64>>,
    funcdata: Vec<(u64, u32, usize)>,
}

const MIXED: u32 = u32::MAX;

fn merge_owner(slot: &mut Option<u32>, o: u32) {
    *slot = match *slot {
        None => Some(o),
        Some(x) if x == o => Some(x),
        Some(_) => Some(MIXED),
    };
}

fn pclntab_pieces(
    b: &mut Builder<'_>,
    go: &GoBinary<'_>,
    func_owner: &[u32],
) -> Option<PclnPieces> {
    let tab = &go.pclntab;
    let layout = tab.layout();
    if layout == Layout::V12 {
        b.notes
            .push("Go 1.2-1.15 pclntab: its pieces are not attributed per package".into());
        return None;
    }
    let addr = tab.addr();
    let data = b.bytes_at(addr)?;
    let ptr = usize::from(tab.ptr_size());
    let quantum = u64::from(tab.quantum());
    let be = false;
    let word = |i: usize| -> Option<usize> {
        let v = if ptr == 8 {
            u64_at(data, 8 + i * ptr, be)?
        } else {
            u32_at(data, 8 + i * ptr, be)?
        };
        usize::try_from(v).ok().filter(|&v| v <= data.len())
    };
    let nfunc = tab.len();
    let k = if layout == Layout::V116 { 2 } else { 3 };
    let hdr = 8 + (k + 5) * ptr;
    let offs = [
        word(k)?,
        word(k + 1)?,
        word(k + 2)?,
        word(k + 3)?,
        word(k + 4)?,
    ];
    let end_of = |o: usize| {
        offs.iter()
            .copied()
            .filter(|&x| x > o)
            .min()
            .unwrap_or(data.len())
    };
    let (nametab, cutab, filetab, pctab, pcln) = (
        offs[0]..end_of(offs[0]),
        offs[1]..end_of(offs[1]),
        offs[2]..end_of(offs[2]),
        offs[3]..end_of(offs[3]),
        offs[4],
    );
    let shared = b.owners.id(Kind::Pclntab.pool());
    let claim = |b: &mut Builder<'_>, s: usize, e: usize, owner: u32| {
        b.claim_va(
            P_GO,
            addr + s as u64,
            (e - s) as u64,
            Some(Kind::Pclntab),
            owner,
        );
    };
    claim(b, 0, hdr.min(data.len()), shared);
    // Function names (inlined functions' names too): by the name itself.
    let names = data.get(nametab.clone())?;
    let mut pos = 0usize;
    while pos < names.len() {
        let n = cstr_len(names, pos).unwrap_or(names.len() - pos);
        let name = std::str::from_utf8(&names[pos..pos + n]).unwrap_or("");
        let owner = if name.is_empty() {
            shared
        } else {
            b.owners.id(package_of(name))
        };
        let e = (pos + n + 1).min(names.len());
        claim(b, nametab.start + pos, nametab.start + e, owner);
        pos = e;
    }
    // Functab and records.
    let (esz, fixed) = match layout {
        Layout::V116 => (2 * ptr, 44usize),
        Layout::V118 => (8, 40),
        _ => (8, 44),
    };
    let ftab = data.get(pcln..)?;
    let rd = |b: &[u8], o: usize| u32_at(b, o, be).map(|v| v as u32);
    let mut recs: Vec<Option<Rec>> = Vec::with_capacity(nfunc);
    for i in 0..nfunc {
        let owner = func_owner.get(i).copied().unwrap_or(shared);
        claim(b, pcln + i * esz, pcln + (i + 1) * esz, owner);
        let funcoff = match layout {
            Layout::V116 => {
                if ptr == 8 {
                    u64_at(ftab, i * esz + ptr, be).and_then(|v| usize::try_from(v).ok())
                } else {
                    u32_at(ftab, i * esz + ptr, be).map(|v| v as usize)
                }
            }
            _ => rd(ftab, i * esz + 4).map(|v| v as usize),
        };
        let rec = funcoff.and_then(|fo| {
            let r = ftab.get(fo..)?;
            let (npcdata_at, cu_at, nfd_at) = match layout {
                Layout::V116 => (32, 36, 43),
                _ => (28, 32, fixed - 1),
            };
            let npcdata = rd(r, npcdata_at)? as usize;
            let nfuncdata = *r.get(nfd_at)? as usize;
            if npcdata > 1 << 10 {
                return None;
            }
            let mut tables = Vec::with_capacity(3 + npcdata);
            let first = if layout == Layout::V116 { 20 } else { 16 };
            for t in 0..3 {
                tables.push(rd(r, first + 4 * t)?);
            }
            for p in 0..npcdata {
                tables.push(rd(r, fixed + 4 * p)?);
            }
            let after = fixed + 4 * npcdata;
            let mut funcdata = Vec::with_capacity(nfuncdata);
            let end = if layout == Layout::V116 {
                let base = after.div_ceil(ptr) * ptr;
                for j in 0..nfuncdata {
                    let v = if ptr == 8 {
                        u64_at(r, base + j * ptr, be)?
                    } else {
                        u32_at(r, base + j * ptr, be)?
                    };
                    if v != 0 {
                        funcdata.push(v);
                    }
                }
                base + nfuncdata * ptr
            } else {
                let gofunc = go.moduledata.as_ref().and_then(|m| m.gofunc);
                for j in 0..nfuncdata {
                    let v = rd(r, after + 4 * j)?;
                    if let (true, Some(g)) = (v != u32::MAX, gofunc) {
                        funcdata.push(g + u64::from(v));
                    }
                }
                after + 4 * nfuncdata
            };
            r.get(..end)?;
            Some(Rec {
                start: pcln + fo,
                end: pcln + fo + end,
                cu: rd(r, cu_at)?,
                tables,
                funcdata,
            })
        });
        recs.push(rec);
    }
    // pc-value tables: exact extents, owned by the package when only one
    // package's functions use them.
    let pct = data.get(pctab.clone())?;
    let mut table_owner: HashMap<u32, Option<u32>> = HashMap::new();
    let mut body_end = vec![None; nfunc];
    let mut cu_owner: BTreeMap<u32, Option<u32>> = BTreeMap::new();
    let mut funcdata = Vec::new();
    for (i, rec) in recs.iter().enumerate() {
        let Some(rec) = rec else { continue };
        let owner = func_owner.get(i).copied().unwrap_or(shared);
        claim(b, rec.start, rec.end, owner);
        for &t in &rec.tables {
            if t != 0 {
                merge_owner(table_owner.entry(t).or_default(), owner);
            }
        }
        if let Some(t) = rec.tables.first().copied().filter(|&t| t != 0) {
            if let Some((_, span)) = pct
                .get(t as usize..)
                .and_then(|s| pcvalue_extent(s, quantum))
            {
                body_end[i] = Some(span);
            }
        }
        if rec.cu != u32::MAX {
            merge_owner(cu_owner.entry(rec.cu).or_default(), owner);
        }
        for &fd in &rec.funcdata {
            funcdata.push((fd, owner, i));
        }
    }
    for (&t, &owner) in &table_owner {
        let Some((len, _)) = pct
            .get(t as usize..)
            .and_then(|s| pcvalue_extent(s, quantum))
        else {
            continue;
        };
        let owner = owner.filter(|&o| o != MIXED).unwrap_or(shared);
        let s = pctab.start + t as usize;
        claim(b, s, s + len, owner);
    }
    // cutab: one run of file indexes per compilation unit (a package).
    let cus: Vec<(u32, Option<u32>)> = cu_owner.into_iter().collect();
    let cut = data.get(cutab.clone())?;
    let files = data.get(filetab.clone())?;
    let mut file_owner: BTreeMap<u32, Option<u32>> = BTreeMap::new();
    for (j, &(cu, owner)) in cus.iter().enumerate() {
        let s = (cu as usize).saturating_mul(4);
        let e = cus
            .get(j + 1)
            .map_or(cut.len(), |&(n, _)| (n as usize).saturating_mul(4))
            .min(cut.len());
        if s >= e {
            continue;
        }
        let owner = owner.filter(|&o| o != MIXED).unwrap_or(shared);
        claim(b, cutab.start + s, cutab.start + e, owner);
        for slot in (s..e).step_by(4) {
            if let Some(f) = rd(cut, slot).filter(|&f| f != u32::MAX) {
                merge_owner(file_owner.entry(f).or_default(), owner);
            }
        }
    }
    for (&f, &owner) in &file_owner {
        let Some(n) = cstr_len(files, f as usize) else {
            continue;
        };
        let owner = owner.filter(|&o| o != MIXED).unwrap_or(shared);
        let s = filetab.start + f as usize;
        claim(b, s, s + n + 1, owner);
    }
    Some(PclnPieces { body_end, funcdata })
}

/// Words of moduledata scanned for pointers that bound the funcdata.
const MODULEDATA_WORDS: u64 = 64;

/// Stack maps (funcdata 0 and 1) carry their own size.
fn stackmap_len(b: &[u8]) -> Option<u64> {
    let n = u32_at(b, 0, false)?;
    let nbit = u32_at(b, 4, false)?;
    Some(8 + n.checked_mul(nbit.div_ceil(8))?)
}

/// Claims funcdata blobs: each runs to the next blob, owned by the
/// package when only one package's functions refer to it.
fn funcdata_pieces(b: &mut Builder<'_>, mut blobs: Vec<(u64, u32, usize)>, bound: u64) {
    if blobs.is_empty() {
        return;
    }
    let shared = b.owners.id(Kind::Funcdata.pool());
    blobs.sort_unstable();
    let mut starts: Vec<(u64, Option<u32>)> = Vec::new();
    for (a, o, _) in blobs {
        match starts.last_mut() {
            Some((la, lo)) if *la == a => merge_owner(lo, o),
            _ => starts.push((a, Some(o))),
        }
    }
    for (j, &(a, owner)) in starts.iter().enumerate() {
        let next = starts.get(j + 1).map_or(bound, |n| n.0).max(a);
        let mut len = next - a;
        if j + 1 == starts.len() {
            // The last blob: trust its own header when it is a stack map
            // that fits, else it runs to the bound.
            if let Some(n) = b.bytes_at(a).and_then(stackmap_len) {
                len = len.min(n);
            }
        }
        let owner = owner.filter(|&o| o != MIXED).unwrap_or(shared);
        b.claim_va(P_GO, a, len, Some(Kind::Funcdata), owner);
    }
}

/// Claims symbol-table entries and their names per package (ELF
/// `.symtab`, Mach-O `LC_SYMTAB`).
#[allow(clippy::too_many_arguments)]
fn symtab_pieces(
    b: &mut Builder<'_>,
    symoff: u64,
    nsyms: u64,
    entsize: u64,
    stroff: u64,
    strsize: u64,
    name_at: usize,
    macho: bool,
    place_sym: u32,
    place_str: u32,
) {
    let d = b.data;
    let shared = b.owners.id(Kind::Symbols.pool());
    let (Ok(so), Ok(ss)) = (usize::try_from(stroff), usize::try_from(strsize)) else {
        return;
    };
    let Some(strs) = d.get(so..so.saturating_add(ss)) else {
        return;
    };
    let be = false;
    let mut names: HashMap<u32, u32> = HashMap::new();
    for i in 0..nsyms.min(1 << 26) {
        let Some(base) = symoff.checked_add(i * entsize) else {
            break;
        };
        let Some(n) = usize::try_from(base)
            .ok()
            .and_then(|o| u32_at(d, o + name_at, be))
        else {
            break;
        };
        let name = cstr(strs, n as usize).unwrap_or("");
        let name = if macho {
            name.strip_prefix('_').unwrap_or(name)
        } else {
            name
        };
        let owner = if name.is_empty() {
            shared
        } else {
            b.owners.id(package_of(name))
        };
        b.claim(P_GO, base, base + entsize, Kind::Symbols, owner, place_sym);
        if n != 0 {
            names.entry(n as u32).or_insert(owner);
        }
    }
    for (n, owner) in names {
        if let Some(len) = cstr_len(strs, n as usize) {
            let s = stroff + u64::from(n);
            b.claim(P_GO, s, s + len as u64 + 1, Kind::Symbols, owner, place_str);
        }
    }
}

/// Moduledata words beyond what `gobin` reads: `findfunctab` and the type
/// range. Offsets by layout (go-internals §2); Go 1.27 moved the tail, and
/// has a `.go.type` section instead.
fn moduledata_words(go: &GoBinary<'_>) -> (Option<u64>, Option<(u64, u64)>) {
    let Some(md) = &go.moduledata else {
        return (None, None);
    };
    let word = |off: u64| go.bin.read_ptr(md.addr.checked_add(off)?);
    let layout = go.pclntab.layout();
    let findfunctab = match layout {
        Layout::V12 => None,
        _ => word(152),
    };
    let types_at = match layout {
        Layout::V116 | Layout::V118 => Some(280),
        Layout::V120 if !go.version.is_some_and(|v| v.at_least(1, 27)) => Some(296),
        _ => None,
    };
    let types = types_at
        .and_then(|o| Some((word(o)?, word(o + 8)?)))
        .filter(|&(t, e)| t < e && e - t < 1 << 32 && go.bin.read_va(t, e - t).is_some());
    (findfunctab, types)
}

// ---------------------------------------------------------------------
// The measurement

fn measure_binary(bin: &Binary<'_>, go: Option<&GoBinary<'_>>) -> SizeReport {
    let data = bin.data();
    let file_size = data.len() as u64;
    let mut b = Builder {
        data,
        levels: Default::default(),
        owners: Names::default(),
        places: Names::default(),
        by_addr: Vec::new(),
        notes: Vec::new(),
    };
    // Container structures and section table facts.
    let mut symtab: Option<(u64, u64, u64, u64, u64, usize, bool)> = None;
    let mut elf_shdrs = Vec::new();
    match bin.format {
        Format::Elf => {
            elf_shdrs = elf_layout(&mut b);
            let sh_symtab = 2;
            if let Some(s) = elf_shdrs.iter().find(|s| s.kind == sh_symtab) {
                if let Some(str_s) = elf_shdrs.get(s.link as usize) {
                    let ent = if s.entsize == 0 { 24 } else { s.entsize };
                    symtab = Some((
                        s.offset,
                        s.size / ent,
                        ent,
                        str_s.offset,
                        str_s.size,
                        0,
                        false,
                    ));
                }
            }
        }
        Format::Macho => {
            if let Some((symoff, nsyms, stroff, strsize)) = macho_layout(&mut b) {
                symtab = Some((symoff, nsyms, 16, stroff, strsize, 0, true));
            }
        }
    }
    // Sections: the fallback claim for their bytes, and the address map.
    let sections = bin.sections();
    let mut rows: Vec<(u32, SectionRow)> = Vec::new();
    let mut bss_memory = 0u64;
    for (i, s) in sections.iter().enumerate() {
        // __DATA_CONST is read-only once dyld has relocated it.
        let writable = match bin.format {
            Format::Elf => elf_shdrs.get(i).is_some_and(|h| h.flags & 1 != 0),
            Format::Macho => s.segment.starts_with("__DATA") && s.segment != "__DATA_CONST",
        };
        let mut kind = section_kind(&s.name, s.executable, writable);
        if s.file_size == 0 && s.size > 0 && kind != Kind::Bss && s.file_offset.is_none() {
            kind = Kind::Bss;
        }
        let label = if s.segment.is_empty() {
            s.name.clone()
        } else {
            format!("{},{}", s.segment, s.name)
        };
        let place = b.places.id(&label);
        if s.name.is_empty() && s.size == 0 && s.addr == 0 {
            continue;
        }
        if kind == Kind::Bss {
            bss_memory += s.size;
        }
        rows.push((
            place,
            SectionRow {
                name: s.name.clone(),
                segment: s.segment.clone(),
                bytes: 0,
                size: Some(s.size),
                offset: s.file_offset.filter(|_| s.file_size > 0),
                addr: Some(s.addr),
                kind,
            },
        ));
        if let (Some(off), true) = (s.file_offset, s.file_size > 0) {
            let owner = b.owners.id(kind.pool());
            b.claim(
                P_SECTION,
                off,
                off.saturating_add(s.file_size),
                kind,
                owner,
                place,
            );
            b.by_addr.push(Place {
                addr: s.addr,
                off,
                file_size: s.file_size,
                kind,
                place,
                loaded: s.addr != 0,
            });
        }
    }
    b.by_addr.retain(|p| p.loaded);
    b.by_addr.sort_by_key(|p| p.addr);

    // Symbols: sized claims, Mach-O spans, container spans.
    let syms = bin.symbols();
    let mut attribution = "sections";
    if !syms.is_empty() {
        attribution = "symbols";
        let mut i = 0;
        while i < syms.len() {
            let s = &syms[i];
            // Next symbol at a higher address (aliases share one).
            let mut j = i + 1;
            while j < syms.len() && syms[j].addr == s.addr {
                j += 1;
            }
            let next = syms.get(j).map(|n| n.addr);
            let group = &syms[i..j];
            i = j;
            let Some(place) = b.place_of(s.addr) else {
                continue;
            };
            let sec_end = place.addr + place.file_size;
            let span = next.unwrap_or(sec_end).min(sec_end) - s.addr;
            for sym in group {
                if sym.size > 0 {
                    let owner = b.owners.id(package_of(&sym.name));
                    b.claim_va(P_SYM, sym.addr, sym.size, None, owner);
                }
            }
            let sized = group.iter().any(|g| g.size > 0);
            if bin.format == Format::Macho && !sized {
                // Mach-O symbols carry no size: each runs to the next, as
                // `go tool nm` reports them. Prefer a real name over a
                // section marker.
                let pick = group
                    .iter()
                    .find(|g| !is_marker(&g.name))
                    .or_else(|| group.iter().find(|g| is_container(&g.name)));
                // Boundary markers alone (runtime.pclntab) say nothing
                // about ownership.
                let Some(pick) = pick else {
                    continue;
                };
                let owner = b.owners.id(package_of(&pick.name));
                let prio = if is_container(&pick.name) {
                    P_CONTAINER
                } else {
                    P_SYM
                };
                b.claim_va(prio, s.addr, span, None, owner);
            } else if let Some(c) = group.iter().find(|g| g.size == 0 && is_container(&g.name)) {
                let owner = b.owners.id(package_of(&c.name));
                b.claim_va(P_CONTAINER, s.addr, span, None, owner);
            }
        }
    }
    if let Some((symoff, nsyms, ent, stroff, strsize, name_at, macho)) = symtab {
        let (ps, pt) = match macho {
            true => (b.places.id("(symbol table)"), b.places.id("(string table)")),
            false => (b.places.id(".symtab"), b.places.id(".strtab")),
        };
        symtab_pieces(
            &mut b, symoff, nsyms, ent, stroff, strsize, name_at, macho, ps, pt,
        );
    }

    // Go: functions, the pclntab's pieces, funcdata, types, findfunctab.
    let mut pkg_code: HashMap<u32, (u64, u64, u64)> = HashMap::new();
    let mut go_version = None;
    if let Some(go) = go {
        attribution = if syms.is_empty() {
            "pclntab"
        } else {
            "pclntab+symbols"
        };
        go_version = go.version.map(|v| v.to_string());
        let funcs: Vec<_> = go.pclntab.funcs().collect();
        let mut func_owner = vec![0u32; go.pclntab.len()];
        for f in &funcs {
            if let Some(slot) = func_owner.get_mut(f.index()) {
                *slot = b.owners.id(package_of(f.name()));
            }
        }
        let pieces = pclntab_pieces(&mut b, go, &func_owner);
        for f in &funcs {
            let owner = func_owner[f.index()];
            let body = pieces
                .as_ref()
                .and_then(|p| p.body_end.get(f.index()).copied().flatten())
                .unwrap_or(f.size())
                .min(f.size());
            b.claim_va(P_GO, f.entry(), body, Some(Kind::Code), owner);
            b.claim_va(
                P_GO,
                f.entry() + body,
                f.size() - body,
                Some(Kind::Padding),
                owner,
            );
            let e = pkg_code.entry(owner).or_default();
            e.0 += f.size();
            e.1 += f.size() - body;
            e.2 += 1;
        }
        let (findfunctab, types) = moduledata_words(go);
        if let (Some(ff), Some(md)) = (findfunctab, &go.moduledata) {
            // 20 bytes per 4 KiB bucket of text (go-internals §2).
            let buckets = (md.maxpc.saturating_sub(md.minpc)).div_ceil(4096);
            let owner = b.owners.id(Kind::Pclntab.pool());
            b.claim_va(
                P_GO,
                ff,
                buckets.saturating_mul(20),
                Some(Kind::Pclntab),
                owner,
            );
        }
        if let Some(p) = pieces {
            // The last funcdata blob runs at most to the next structure
            // the runtime points at (moduledata words: gcdata, gcbss,
            // findfunctab, types, the pclntab...), never by symbols, so a
            // stripped twin measures the same.
            let last = p.funcdata.iter().map(|f| f.0).max().unwrap_or(0);
            let mut bound = b.place_of(last).map_or(last, |pl| pl.addr + pl.file_size);
            let md_words = go.moduledata.as_ref().map_or(Vec::new(), |md| {
                (0..MODULEDATA_WORDS)
                    .filter_map(|i| go.bin.read_ptr(md.addr.checked_add(8 * i)?))
                    .collect()
            });
            for other in md_words.into_iter().chain(
                [findfunctab, types.map(|t| t.0), Some(go.pclntab.addr())]
                    .into_iter()
                    .flatten(),
            ) {
                if other > last {
                    bound = bound.min(other);
                }
            }
            funcdata_pieces(&mut b, p.funcdata, bound);
        }
    } else if syms.is_empty() {
        b.notes.push(
            "no symbols and no Go function table: bytes are attributed by section only".into(),
        );
    }
    if syms.is_empty() && go.is_some() {
        b.notes.push(
            "stripped: data, rodata and string literals are not attributed to packages (no symbols)"
                .into(),
        );
    }
    b.notes.push(
        "string literals and type descriptors are shared pools: the binary does not record which package they came from"
            .into(),
    );

    let (pieces, owners, places, notes) = b.resolve();

    // Aggregate.
    let mut kind_bytes: HashMap<Kind, u64> = HashMap::new();
    let mut place_bytes: HashMap<u32, u64> = HashMap::new();
    let mut owner_bytes: HashMap<u32, (u64, BTreeMap<&'static str, u64>)> = HashMap::new();
    for p in &pieces {
        let n = p.end - p.start;
        *kind_bytes.entry(p.kind).or_default() += n;
        *place_bytes.entry(p.place).or_default() += n;
        let e = owner_bytes.entry(p.owner).or_default();
        e.0 += n;
        *e.1.entry(p.kind.name()).or_default() += n;
    }
    let kinds: Vec<KindRow> = Kind::ALL
        .iter()
        .map(|&k| KindRow {
            kind: k,
            bytes: kind_bytes.get(&k).copied().unwrap_or(0),
            memory: (k == Kind::Bss).then_some(bss_memory),
        })
        .filter(|r| r.bytes > 0 || r.kind == Kind::Bss || r.kind == Kind::Unattributed)
        .collect();
    // Sections in file order, then structures by offset.
    let mut seen_places = std::collections::HashSet::new();
    let mut section_rows: Vec<SectionRow> = Vec::with_capacity(rows.len());
    for (place, mut row) in rows {
        row.bytes = place_bytes.get(&place).copied().unwrap_or(0);
        seen_places.insert(place);
        section_rows.push(row);
    }
    let mut first_off: HashMap<u32, u64> = HashMap::new();
    for p in &pieces {
        first_off.entry(p.place).or_insert(p.start);
    }
    let mut extra: Vec<(u64, SectionRow)> = place_bytes
        .iter()
        .filter(|(pl, _)| !seen_places.contains(*pl))
        .map(|(&pl, &n)| {
            let name = places.list[pl as usize].clone();
            let kind = pieces
                .iter()
                .find(|p| p.place == pl)
                .map_or(Kind::Unattributed, |p| p.kind);
            (
                first_off.get(&pl).copied().unwrap_or(0),
                SectionRow {
                    name,
                    segment: String::new(),
                    bytes: n,
                    size: None,
                    offset: None,
                    addr: None,
                    kind,
                },
            )
        })
        .collect();
    extra.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.name.cmp(&b.1.name)));
    section_rows.extend(extra.into_iter().map(|(_, r)| r));

    let info = go.and_then(|g| gobin::buildinfo::read(&g.bin).ok().flatten());
    let mut packages: Vec<PackageRow> = owner_bytes
        .into_iter()
        .map(|(o, (bytes, kinds))| {
            let name = owners.list[o as usize].clone();
            let (class, module) = classify_package(&name, info.as_ref());
            let (code, code_fill, functions) = pkg_code.get(&o).copied().unwrap_or_default();
            PackageRow {
                package: name,
                class,
                module,
                code,
                code_fill,
                functions,
                bytes,
                kinds,
            }
        })
        .collect();
    packages.sort_by(|a, b| b.bytes.cmp(&a.bytes).then(a.package.cmp(&b.package)));

    let mut modules: BTreeMap<String, ModuleRow> = BTreeMap::new();
    for p in &packages {
        let key = match p.class {
            Class::Runtime => "runtime".to_string(),
            Class::Other => "other".to_string(),
            _ => p
                .module
                .clone()
                .unwrap_or_else(|| "(unknown module)".into()),
        };
        let version = info.as_ref().and_then(|i| {
            if p.class == Class::Main {
                i.main.as_ref().map(|m| m.version.clone())
            } else {
                i.deps
                    .iter()
                    .find(|d| Some(&d.path) == p.module.as_ref())
                    .map(|d| d.version.clone())
            }
        });
        let m = modules.entry(key.clone()).or_insert(ModuleRow {
            module: key,
            version,
            class: p.class,
            packages: 0,
            code: 0,
            bytes: 0,
        });
        m.packages += 1;
        m.code += p.code;
        m.bytes += p.bytes;
    }
    let mut modules: Vec<ModuleRow> = modules.into_values().collect();
    modules.sort_by(|a, b| b.bytes.cmp(&a.bytes).then(a.module.cmp(&b.module)));

    let mut notes = notes;
    let guessed = packages
        .iter()
        .filter(|p| p.module.as_deref().is_some_and(|m| m.starts_with('~')))
        .count();
    if guessed > 0 {
        notes.push(format!(
            "{guessed} packages are in no module the build info lists (GOPATH or vendored build): their module, marked ~, is guessed from the import path"
        ));
    }
    if let Some(go) = go {
        notes.extend(go.warnings.iter().map(|w| format!("pclntab: {w}")));
    }
    SizeReport {
        file_size,
        format: bin.format,
        arch: bin.arch.name(),
        os: bin.os.name(),
        go_version,
        attribution,
        kinds,
        sections: section_rows,
        packages,
        modules,
        notes,
    }
}

/// Zero-size symbols that stand for a whole pool (`go:string.*`).
fn is_container(name: &str) -> bool {
    name.ends_with('*') || name.contains(".*")
}

/// Section boundary markers (`runtime.text`, `runtime.erodata`).
fn is_marker(name: &str) -> bool {
    matches!(
        name,
        "runtime.text"
            | "runtime.etext"
            | "runtime.rodata"
            | "runtime.erodata"
            | "runtime.types"
            | "runtime.etypes"
            | "runtime.noptrdata"
            | "runtime.enoptrdata"
            | "runtime.data"
            | "runtime.edata"
            | "runtime.bss"
            | "runtime.ebss"
            | "runtime.noptrbss"
            | "runtime.enoptrbss"
            | "runtime.end"
            | "runtime.pclntab"
            | "runtime.epclntab"
            | "runtime.symtab"
            | "runtime.esymtab"
            | "runtime.egcdata"
            | "runtime.egcbss"
    ) || is_container(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn package_names() {
        for (name, pkg) in [
            ("main.main", "main"),
            ("golang.org/x/sys/unix.Write", "golang.org/x/sys/unix"),
            ("internal/abi.(*Type).DescriptorSize", "internal/abi"),
            ("runtime.morestack.abi0", "runtime"),
            ("slices.Sort[go.shape.[]uint8,go.shape.uint8]", "slices"),
            (
                "vendor/golang.org/x/net/dns/dnsmessage.(*Parser).Start",
                "vendor/golang.org/x/net/dns/dnsmessage",
            ),
            ("type:.eq.[8]interface {}", "(type equality functions)"),
            ("go:string.*", "(string literals)"),
            ("x_cgo_init", "(no package: C or assembly)"),
            ("$f64.3ff0000000000000", "(constants)"),
            ("go.etcd.io/bbolt.(*DB).Open", "go.etcd.io/bbolt"),
            ("go.buildid", "(linker)"),
            ("go.string.\"a/b.c\"", "(string literals)"),
            ("go.shape.int", "(linker)"),
            (
                "internal/sync.(*HashTrieMap[go.shape.interface {},go.shape.struct {}]).All",
                "internal/sync",
            ),
        ] {
            assert_eq!(package_of(name), pkg, "{name}");
        }
    }

    #[test]
    fn classes() {
        assert_eq!(classify_package("runtime", None).0, Class::Runtime);
        assert_eq!(
            classify_package("internal/runtime/maps", None).0,
            Class::Runtime
        );
        assert_eq!(classify_package("syscall", None).0, Class::Std);
        assert_eq!(
            classify_package("vendor/golang.org/x/net/idna", None).0,
            Class::Std
        );
        assert_eq!(
            classify_package("golang.org/x/sys/unix", None).0,
            Class::Dependency
        );
        assert_eq!(classify_package("main", None).0, Class::Main);
        assert_eq!(
            classify_package("github.com/aws/aws-sdk-go/service/s3", None),
            (Class::Dependency, Some("~github.com/aws/aws-sdk-go".into()))
        );
        assert_eq!(
            classify_package("go.etcd.io/bbolt", None).1.as_deref(),
            Some("~go.etcd.io/bbolt")
        );
        assert_eq!(classify_package("(DWARF)", None).0, Class::Other);
    }

    #[test]
    fn pcvalue_extent_stops_at_terminator() {
        // value +1 over 5 pcs, value +2 over 3 pcs, end.
        let t = [2, 5, 4, 3, 0, 9];
        assert_eq!(pcvalue_extent(&t, 1), Some((5, 8)));
        assert_eq!(pcvalue_extent(&t, 4), Some((5, 32)));
        assert_eq!(pcvalue_extent(&[2, 5], 1), None);
    }
}
