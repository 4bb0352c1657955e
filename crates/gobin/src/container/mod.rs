//! The container layer: ELF and Mach-O files as the rest of `gobin` needs
//! them. Sections, segments, symbols, dynamic linking facts, and reads by
//! virtual address with PIE relocations applied.
//!
//! Everything borrows from the file's bytes (usually an mmap); nothing is
//! copied except small tables (section list, symbols). PIE relocations are
//! searched in place in the file's relocation table, which is read only
//! when a pointer is first read.

mod fat;
mod layout;
mod relocs;
pub mod truncation;

pub use fat::{is_fat, slices, Slice};
pub use layout::{FileLayout, Role, Structure, SymbolTable};

use crate::bytes;
use crate::Error;
use model::{Arch, Format, Os};
use object::elf;
use object::macho;
use object::read::elf::{Dyn as _, FileHeader as _, ProgramHeader as _};
use object::read::macho::{MachHeader as _, Segment as _};
use object::{
    Object, ObjectSection, ObjectSegment, ObjectSymbol, SectionFlags, SectionKind, SymbolKind,
};
use relocs::{Relocs, RELA_SIZE_U64};
use serde::Serialize;

/// One section of the file.
#[derive(Clone, Debug, Serialize)]
pub struct Section {
    /// Name as the container spells it (`.gopclntab`, `__gopclntab`).
    pub name: String,
    /// Mach-O segment name (`__TEXT`); empty for ELF.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub segment: String,
    /// Virtual address (0 for sections that are not loaded).
    pub addr: u64,
    /// Size in memory.
    pub size: u64,
    /// Offset of its bytes in the file, when it has any.
    #[serde(skip)]
    pub file_offset: Option<u64>,
    /// Bytes it occupies in the file (0 for bss-like sections).
    pub file_size: u64,
    /// Holds executable code.
    #[serde(skip)]
    pub executable: bool,
    /// Its bytes lie (in part) past the end of a truncated file: what is
    /// read from it is missing, not absent.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub past_end: bool,
    /// Written at run time: ELF `SHF_WRITE`; on Mach-O, a section of a
    /// `__DATA*` segment other than `__DATA_CONST` (read-only once dyld
    /// has relocated it).
    #[serde(skip)]
    pub writable: bool,
}

/// One loadable segment.
#[derive(Clone, Debug)]
pub struct Segment {
    /// Virtual address.
    pub addr: u64,
    /// Size in memory.
    pub size: u64,
    /// Offset in the file.
    pub file_offset: u64,
    /// Bytes present in the file.
    pub file_size: u64,
    /// Executable.
    pub executable: bool,
    /// Writable.
    pub writable: bool,
}

/// A defined symbol from the static symbol table (not present when stripped).
#[derive(Clone, Debug)]
pub struct Symbol {
    /// Name, with Mach-O's leading `_` removed.
    pub name: String,
    /// Address.
    pub addr: u64,
    /// Size (0 when the container does not say, as in Mach-O).
    pub size: u64,
    /// True for code.
    pub text: bool,
}

/// An imported function (dynamic symbol resolved at load time).
#[derive(Clone, Debug, Serialize)]
pub struct Import {
    /// Symbol name without Mach-O's leading `_` (`write`, `__error`).
    pub name: String,
    /// Library it is bound to, when the container records it.
    pub library: Option<String>,
}

/// A parsed ELF or Mach-O file.
pub struct Binary<'data> {
    data: &'data [u8],
    /// Container format.
    pub format: Format,
    /// Instruction set.
    pub arch: Arch,
    /// Target OS.
    pub os: Os,
    /// Entry point address.
    pub entry: u64,
    /// Position independent executable.
    pub pie: bool,
    /// ELF PT_INTERP or Mach-O LC_LOAD_DYLINKER.
    pub interpreter: Option<String>,
    /// ELF DT_NEEDED or Mach-O LC_LOAD_DYLIB names, in file order.
    pub needed: Vec<String>,
    /// Imported functions.
    pub imports: Vec<Import>,
    /// ELF PT_TLS (vaddr, memsz, align), used to find g in cgo binaries.
    pub tls: Option<(u64, u64, u64)>,
    sections: Vec<Section>,
    segments: Vec<Segment>,
    symbols: Vec<Symbol>,
    /// The loader's R_*_RELATIVE relocations: link-time value of each
    /// pointer it relocates.
    relocs: Relocs<'data>,
    has_dwarf: bool,
    has_symtab: bool,
    layout: FileLayout,
    /// Set when the file is shorter than its headers say.
    pub truncation: Option<truncation::Truncation>,
}

impl<'data> Binary<'data> {
    /// The warning naming a truncation and the sections it cut.
    pub fn truncation_warning(&self, t: &truncation::Truncation) -> String {
        let cut: Vec<&Section> = self.sections.iter().filter(|s| s.past_end).collect();
        let named: Vec<&str> = cut
            .iter()
            .map(|s| s.name.as_str())
            .filter(|n| !n.is_empty())
            .collect();
        let unnamed = cut.len() - named.len();
        let mut w = t.to_string();
        if !named.is_empty() {
            w.push_str("; sections past the end: ");
            w.push_str(&named.join(", "));
        }
        if unnamed > 0 {
            w.push_str(&format!(
                "; {unnamed} sections past the end, names unreadable (the section name table is cut)"
            ));
        }
        w
    }

    /// Parses a thin ELF or Mach-O image. Fat Mach-O files are split with
    /// [`slices`] first.
    pub fn parse(data: &'data [u8]) -> Result<Self, Error> {
        if data.is_empty() {
            return Err(Error::Format("empty file".into()));
        }
        let file = object::File::parse(data).map_err(|e| match container_magic(data) {
            Some(kind) => match truncation::check(data) {
                Some(t) => Error::Format(format!("{t}: {}", lower_first(&e))),
                None => Error::Format(format!("malformed {kind} file: {}", lower_first(&e))),
            },
            None => Error::Format("not an ELF or Mach-O file".into()),
        })?;
        let format = match file.format() {
            object::BinaryFormat::Elf => Format::Elf,
            object::BinaryFormat::MachO => Format::Macho,
            other => return Err(Error::Format(format!("unsupported container {other:?}"))),
        };
        let arch = arch_of(file.architecture());
        let os = match format {
            Format::Elf => Os::Linux,
            Format::Macho => Os::Darwin,
        };
        let mut sections = Vec::new();
        let mut has_dwarf = false;
        for s in file.sections() {
            let name = s.name().unwrap_or("").to_string();
            if name.contains("debug_info") {
                has_dwarf = true;
            }
            let segment = s.segment_name().ok().flatten().unwrap_or("").to_string();
            let (file_offset, file_size) = match s.file_range() {
                Some((o, n)) => (Some(o), n),
                None => (None, 0),
            };
            let writable = match s.flags() {
                SectionFlags::Elf { sh_flags, .. } => sh_flags.0 & elf::SHF_WRITE.0 != 0,
                _ => segment.starts_with("__DATA") && segment != "__DATA_CONST",
            };
            sections.push(Section {
                name,
                segment,
                addr: s.address(),
                size: s.size(),
                file_offset,
                file_size,
                past_end: file_offset
                    .is_some_and(|o| o.saturating_add(file_size) > data.len() as u64),
                executable: s.kind() == SectionKind::Text,
                writable,
            });
        }
        let mut segments = Vec::new();
        let mut symbols = Vec::new();
        let mut has_symtab = false;
        for sym in file.symbols() {
            has_symtab = true;
            if !sym.is_definition() {
                continue;
            }
            let Ok(raw) = sym.name() else { continue };
            let name = match format {
                Format::Macho => raw.strip_prefix('_').unwrap_or(raw),
                Format::Elf => raw,
            };
            symbols.push(Symbol {
                name: name.to_string(),
                addr: sym.address(),
                size: sym.size(),
                text: sym.kind() == SymbolKind::Text,
            });
        }
        symbols.sort_by_key(|s| s.addr);
        let mut bin = Binary {
            data,
            format,
            arch,
            os,
            entry: file.entry(),
            pie: false,
            interpreter: None,
            needed: Vec::new(),
            imports: Vec::new(),
            tls: None,
            sections,
            segments: Vec::new(),
            symbols,
            relocs: Relocs::default(),
            has_dwarf,
            has_symtab,
            layout: FileLayout::read(&file, data),
            truncation: truncation::check(data),
        };
        match &file {
            object::File::Elf64(elf) => bin.read_elf_dynamic(elf, &mut segments)?,
            object::File::MachO64(m) => bin.read_macho_commands(m, &mut segments)?,
            _ => {
                for seg in file.segments() {
                    let (o, n) = seg.file_range();
                    segments.push(Segment {
                        addr: seg.address(),
                        size: seg.size(),
                        file_offset: o,
                        file_size: n,
                        executable: false,
                        writable: false,
                    });
                }
            }
        }
        bin.segments = segments;
        if let Ok(imports) = file.imports() {
            for imp in imports.flatten() {
                let object::read::NameOrOrdinal::Name(raw) = imp.name() else {
                    continue;
                };
                let name = String::from_utf8_lossy(raw);
                let name = match format {
                    Format::Macho => name.strip_prefix('_').unwrap_or(&name).to_string(),
                    Format::Elf => name.into_owned(),
                };
                let lib = String::from_utf8_lossy(imp.library()).into_owned();
                bin.imports.push(Import {
                    name,
                    library: (!lib.is_empty()).then_some(lib),
                });
            }
        }
        Ok(bin)
    }

    fn read_elf_dynamic(
        &mut self,
        elf: &object::read::elf::ElfFile64<'data>,
        segments: &mut Vec<Segment>,
    ) -> Result<(), Error> {
        let endian = elf.endian();
        let header = elf.elf_header();
        self.pie = header.e_type(endian) == elf::ET_DYN;
        for ph in elf.elf_program_headers() {
            let flags = ph.p_flags(endian);
            match ph.p_type(endian) {
                elf::PT_LOAD => segments.push(Segment {
                    addr: ph.p_vaddr(endian),
                    size: ph.p_memsz(endian),
                    file_offset: ph.p_offset(endian),
                    file_size: ph.p_filesz(endian),
                    executable: flags.0 & elf::PF_X.0 != 0,
                    writable: flags.0 & elf::PF_W.0 != 0,
                }),
                elf::PT_INTERP => {
                    if let Ok(raw) = ph.data(endian, self.data) {
                        let path = bytes::cstr_bytes(raw, 0).unwrap_or(raw);
                        self.interpreter = Some(String::from_utf8_lossy(path).into_owned());
                    }
                }
                elf::PT_TLS => {
                    self.tls = Some((ph.p_vaddr(endian), ph.p_memsz(endian), ph.p_align(endian)))
                }
                _ => {}
            }
        }
        // DT_NEEDED names live in the string table DT_STRTAB points at.
        let Some(dynamic) = elf.elf_program_headers().iter().find_map(|ph| {
            if ph.p_type(endian) == elf::PT_DYNAMIC {
                ph.dynamic(endian, self.data).ok().flatten()
            } else {
                None
            }
        }) else {
            return Ok(());
        };
        let mut strtab = None;
        let mut strsz = None;
        let (mut rela, mut relasz, mut relaent, mut relacount) = (None, None, None, None);
        for d in dynamic {
            match d.tag(endian) {
                elf::DT_STRTAB => strtab = Some(d.d_val(endian)),
                elf::DT_STRSZ => strsz = Some(d.d_val(endian)),
                elf::DT_RELA => rela = Some(d.d_val(endian)),
                elf::DT_RELASZ => relasz = Some(d.d_val(endian)),
                elf::DT_RELAENT => relaent = Some(d.d_val(endian)),
                elf::DT_RELACOUNT => relacount = usize::try_from(d.d_val(endian)).ok(),
                elf::DT_FLAGS_1 if d.d_val(endian) & elf::DF_1_PIE.0 != 0 => self.pie = true,
                _ => {}
            }
        }
        // The relocation table is only located here; it is read on the
        // first pointer read (see `Relocs`).
        if let (Some(addr), Some(size), Some(RELA_SIZE_U64) | None) = (rela, relasz, relaent) {
            if elf.is_little_endian() {
                if let Some(raw) = self.read_segment_va(segments, addr, size) {
                    self.relocs.raw = raw;
                    self.relocs.count = relacount;
                }
            }
        }
        let strings = match (strtab, strsz) {
            (Some(addr), Some(size)) => self.read_segment_va(segments, addr, size),
            _ => None,
        };
        for d in dynamic {
            if d.tag(endian) == elf::DT_NEEDED {
                let off = d.d_val(endian) as usize;
                if let Some(name) = strings
                    .and_then(|s| s.get(off..))
                    .map(|s| bytes::cstr_bytes(s, 0).unwrap_or(s))
                {
                    self.needed.push(String::from_utf8_lossy(name).into_owned());
                }
            }
        }
        Ok(())
    }

    fn read_macho_commands(
        &mut self,
        m: &object::read::macho::MachOFile64<'data>,
        segments: &mut Vec<Segment>,
    ) -> Result<(), Error> {
        let endian = m.endian();
        self.pie = m.macho_header().flags(endian).0 & macho::MH_PIE.0 != 0;
        for seg in m.segments() {
            let cmd = seg.macho_segment();
            let prot = cmd.initprot(endian);
            let (o, n) = seg.file_range();
            if seg.name().ok().flatten() == Some("__PAGEZERO") {
                continue;
            }
            segments.push(Segment {
                addr: seg.address(),
                size: seg.size(),
                file_offset: o,
                file_size: n,
                executable: prot.0 & macho::VM_PROT_EXECUTE.0 != 0,
                writable: prot.0 & macho::VM_PROT_WRITE.0 != 0,
            });
        }
        let mut cmds = m
            .macho_load_commands()
            .map_err(|e| Error::Format(format!("malformed Mach-O load commands: {e}")))?;
        while let Ok(Some(cmd)) = cmds.next() {
            match cmd.variant() {
                Ok(object::read::macho::LoadCommandVariant::Dylib(d))
                    if cmd.cmd() == macho::LC_LOAD_DYLIB
                        || cmd.cmd() == macho::LC_LOAD_WEAK_DYLIB =>
                {
                    if let Ok(name) = cmd.string(endian, d.dylib.name) {
                        self.needed.push(String::from_utf8_lossy(name).into_owned());
                    }
                }
                Ok(object::read::macho::LoadCommandVariant::EntryPoint(e)) => {
                    // LC_MAIN gives a file offset; report the address it maps to.
                    let off = e.entryoff.get(endian);
                    if let Some(seg) = segments
                        .iter()
                        .find(|s| off >= s.file_offset && off - s.file_offset < s.file_size)
                    {
                        self.entry = seg.addr.wrapping_add(off - seg.file_offset);
                    }
                }
                Ok(object::read::macho::LoadCommandVariant::LoadDylinker(d)) => {
                    if let Ok(name) = cmd.string(endian, d.name) {
                        self.interpreter = Some(String::from_utf8_lossy(name).into_owned());
                    }
                }
                _ => {}
            }
        }
        Ok(())
    }

    fn read_segment_va(&self, segments: &[Segment], addr: u64, len: u64) -> Option<&'data [u8]> {
        let seg = segments
            .iter()
            .find(|s| addr >= s.addr && addr - s.addr < s.file_size)?;
        let start = seg.file_offset.checked_add(addr - seg.addr)?;
        let avail = seg.file_size - (addr - seg.addr);
        if len > avail {
            return None;
        }
        let start = usize::try_from(start).ok()?;
        let end = start.checked_add(usize::try_from(len).ok()?)?;
        self.data.get(start..end)
    }

    /// The whole file.
    pub fn data(&self) -> &'data [u8] {
        self.data
    }

    /// All sections in file order.
    pub fn sections(&self) -> &[Section] {
        &self.sections
    }

    /// Where the headers, header tables, load commands and symbol table lie.
    pub fn layout(&self) -> &FileLayout {
        &self.layout
    }

    /// Loadable segments (Mach-O `__PAGEZERO` excluded).
    pub fn segments(&self) -> &[Segment] {
        &self.segments
    }

    /// Defined symbols sorted by address; empty when stripped.
    pub fn symbols(&self) -> &[Symbol] {
        &self.symbols
    }

    /// True when the file has a static symbol table.
    pub fn has_symtab(&self) -> bool {
        self.has_symtab
    }

    /// True when DWARF debug info is present (plain or compressed).
    pub fn has_dwarf(&self) -> bool {
        self.has_dwarf
    }

    /// First section with this exact name.
    pub fn section(&self, name: &str) -> Option<&Section> {
        self.sections.iter().find(|s| s.name == name)
    }

    /// The file bytes of a section (empty slice for bss-like sections).
    pub fn section_data(&self, s: &Section) -> Option<&'data [u8]> {
        let off = usize::try_from(s.file_offset?).ok()?;
        let end = off.checked_add(usize::try_from(s.file_size).ok()?)?;
        self.data.get(off..end)
    }

    /// Bytes at a virtual address, from the file-backed part of a segment.
    pub fn read_va(&self, addr: u64, len: u64) -> Option<&'data [u8]> {
        self.read_segment_va(&self.segments, addr, len)
    }

    /// Everything from `addr` to the end of its segment's file-backed bytes.
    pub fn read_va_tail(&self, addr: u64) -> Option<&'data [u8]> {
        let seg = self
            .segments
            .iter()
            .find(|s| addr >= s.addr && addr - s.addr < s.file_size)?;
        self.read_va(addr, seg.file_size - (addr - seg.addr))
    }

    /// Reads a pointer-sized little-endian word at `addr`, replaced by its
    /// link-time value when the loader would relocate it (PIE).
    pub fn read_ptr(&self, addr: u64) -> Option<u64> {
        if let Some(v) = self.relocs.value_at(addr) {
            return Some(v);
        }
        bytes::u64_le(self.read_va(addr, 8)?, 0)
    }

    /// Addresses of the words the loader relocates to `target` (PIE): how
    /// a pointer to a table is found when the file holds 0 in its place.
    pub fn relocations_to(&self, target: u64) -> Vec<u64> {
        self.relocs.to(target)
    }

    /// The relocated words in `[start, end)` as (address, link-time value),
    /// by address: lets a caller look for pointer-shaped structures (a
    /// PIE's moduledata) without scanning the data itself.
    pub fn relocations_in(&self, start: u64, end: u64) -> Vec<(u64, u64)> {
        self.relocs.within(start, end)
    }

    /// The symbol with exactly this name.
    pub fn symbol(&self, name: &str) -> Option<&Symbol> {
        self.symbols.iter().find(|s| s.name == name)
    }
}

/// The instruction set `object` names, as the model spells it.
pub(crate) fn arch_of(arch: object::Architecture) -> Arch {
    match arch {
        object::Architecture::X86_64 => Arch::Amd64,
        object::Architecture::Aarch64 => Arch::Arm64,
        object::Architecture::I386 => Arch::Other("386"),
        object::Architecture::Arm => Arch::Other("arm"),
        object::Architecture::Riscv64 => Arch::Other("riscv64"),
        object::Architecture::PowerPc64 => Arch::Other("ppc64"),
        object::Architecture::S390x => Arch::Other("s390x"),
        object::Architecture::LoongArch64 => Arch::Other("loong64"),
        _ => Arch::Other("unknown"),
    }
}

/// `object`'s messages start with a capital; ours continue a sentence.
fn lower_first(e: &dyn std::fmt::Display) -> String {
    let s = e.to_string();
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_lowercase().chain(c).collect(),
        None => s,
    }
}

/// Names the container by its magic number alone, so a file too damaged
/// to parse is still called what it claims to be.
fn container_magic(data: &[u8]) -> Option<&'static str> {
    if is_fat(data) {
        return Some("fat Mach-O");
    }
    match data.get(..4)? {
        [0x7f, b'E', b'L', b'F'] => Some("ELF"),
        [0xcf, 0xfa, 0xed, 0xfe] | [0xce, 0xfa, 0xed, 0xfe] => Some("Mach-O"),
        [0xfe, 0xed, 0xfa, 0xcf] | [0xfe, 0xed, 0xfa, 0xce] => Some("Mach-O"),
        _ => None,
    }
}
