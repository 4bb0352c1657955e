//! The size report: bytes by kind, section, package and module, each view
//! summing to the file size.

use model::Format;
use serde::Serialize;
use std::collections::BTreeMap;

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
    pub(super) fn pool(self) -> &'static str {
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
    /// Code bytes: its functions' bodies, each ending where its pc
    /// tables end (equal to `go tool nm -size` on unstripped binaries).
    pub code: u64,
    /// The alignment fill after those bodies, up to each next function's
    /// entry: padding, not code (`code + code_fill` is what `rabbithole
    /// funcs` sizes).
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
