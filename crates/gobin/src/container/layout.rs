//! Where the container's own structures lie in the file: the file header,
//! the program and section header tables, the Mach-O load commands and the
//! `__LINKEDIT` tables they point at, and the static symbol table. A
//! file's bytes are its sections plus these; `size` gives every byte a
//! place from the two together.

use object::macho;
use object::read::elf::{FileHeader, SectionHeader as _};
use object::read::macho::{LoadCommandVariant, MachHeader};

/// What a structure of the file is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// The file header, the header tables, the load commands.
    Header,
    /// Symbol and string tables and what describes symbols (function
    /// starts, data in code).
    Symbols,
    /// Dynamic linking: indirect symbols, relocations, dyld binding info,
    /// fixups, split info.
    Dynamic,
    /// The code signature and its requirements.
    Signature,
}

/// One structure of the file that is not a section.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Structure {
    /// What it is (`ELF header`, `load commands`, `dyld bind info`).
    pub name: &'static str,
    /// What it is for.
    pub role: Role,
    /// File offset.
    pub offset: u64,
    /// Bytes it occupies (it may be empty).
    pub len: u64,
}

/// The static symbol table (`.symtab`, `LC_SYMTAB`): its entries and the
/// strings they name. Every entry's name is a u32 string-table offset at
/// the start of the entry, in both formats.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SymbolTable {
    /// File offset of the first entry.
    pub offset: u64,
    /// Number of entries.
    pub count: u64,
    /// Bytes per entry.
    pub entry_size: u64,
    /// File offset of the string table.
    pub strings_offset: u64,
    /// Size of the string table.
    pub strings_size: u64,
}

/// The container structures of a file, in file-header order.
#[derive(Clone, Debug, Default)]
pub struct FileLayout {
    /// Headers, header tables, load commands, then (Mach-O) the tables the
    /// load commands point at, in load-command order.
    pub structures: Vec<Structure>,
    /// The static symbol table, when the file has one.
    pub symbol_table: Option<SymbolTable>,
}

impl FileLayout {
    /// Reads the layout of a parsed ELF or Mach-O file.
    pub(super) fn read(file: &object::File<'_>, data: &[u8]) -> FileLayout {
        match file {
            object::File::Elf32(f) => elf(f.elf_header(), f.endian(), data),
            object::File::Elf64(f) => elf(f.elf_header(), f.endian(), data),
            object::File::MachO32(f) => mach_o(f.macho_header(), f.endian(), data),
            object::File::MachO64(f) => mach_o(f.macho_header(), f.endian(), data),
            _ => FileLayout::default(),
        }
    }
}

/// Bytes per `Elf64_Sym`, assumed when a symbol table says 0.
const ELF64_SYM_SIZE: u64 = 24;

fn elf<H: FileHeader>(h: &H, endian: H::Endian, data: &[u8]) -> FileLayout {
    let mut out = FileLayout::default();
    let header = |name, offset: u64, len: u64| Structure {
        name,
        role: Role::Header,
        offset,
        len,
    };
    out.structures
        .push(header("ELF header", 0, u64::from(h.e_ehsize(endian))));
    let ph = u64::from(h.e_phentsize(endian)) * u64::from(h.e_phnum(endian));
    out.structures
        .push(header("program headers", h.e_phoff(endian).into(), ph));
    let sh = u64::from(h.e_shentsize(endian)) * u64::from(h.e_shnum(endian));
    out.structures
        .push(header("section headers", h.e_shoff(endian).into(), sh));
    let shdrs = h.section_headers(endian, data).unwrap_or(&[]);
    // The first SHT_SYMTAB, with the string table its sh_link names.
    out.symbol_table = shdrs
        .iter()
        .find(|s| s.sh_type(endian) == object::elf::SHT_SYMTAB)
        .and_then(|s| {
            let strings = shdrs.get(s.sh_link(endian) as usize)?;
            let entry_size = match s.sh_entsize(endian).into() {
                0 => ELF64_SYM_SIZE,
                n => n,
            };
            Some(SymbolTable {
                offset: s.sh_offset(endian).into(),
                count: s.sh_size(endian).into() / entry_size,
                entry_size,
                strings_offset: strings.sh_offset(endian).into(),
                strings_size: strings.sh_size(endian).into(),
            })
        });
    out
}

fn mach_o<H: MachHeader>(h: &H, endian: H::Endian, data: &[u8]) -> FileLayout {
    let mut out = FileLayout::default();
    let hsize = std::mem::size_of::<H>() as u64;
    out.structures.push(Structure {
        name: "Mach-O header",
        role: Role::Header,
        offset: 0,
        len: hsize,
    });
    out.structures.push(Structure {
        name: "load commands",
        role: Role::Header,
        offset: hsize,
        len: u64::from(h.sizeofcmds(endian)),
    });
    let Ok(mut cmds) = h.load_commands(endian, data, 0) else {
        return out;
    };
    let mut add = |name, role, offset: u32, len: u64| {
        out.structures.push(Structure {
            name,
            role,
            offset: u64::from(offset),
            len,
        })
    };
    let (nlist, module) = if h.is_type_64() { (16, 56) } else { (12, 52) };
    let mut symtab = None;
    while let Ok(Some(cmd)) = cmds.next() {
        let n = |v: u32, size: u64| u64::from(v) * size;
        match cmd.variant() {
            Ok(LoadCommandVariant::Symtab(c)) => {
                let (symoff, nsyms) = (c.symoff.get(endian), c.nsyms.get(endian));
                let (stroff, strsize) = (c.stroff.get(endian), c.strsize.get(endian));
                add("symbol table", Role::Symbols, symoff, n(nsyms, nlist));
                add("string table", Role::Symbols, stroff, n(strsize, 1));
                symtab = Some(SymbolTable {
                    offset: symoff.into(),
                    count: nsyms.into(),
                    entry_size: nlist,
                    strings_offset: stroff.into(),
                    strings_size: strsize.into(),
                });
            }
            Ok(LoadCommandVariant::Dysymtab(c)) => {
                let dynamic = |name, off: &object::U32<_>, count: &object::U32<_>, size| {
                    (name, off.get(endian), n(count.get(endian), size))
                };
                for (name, off, len) in [
                    dynamic("dysymtab: toc", &c.tocoff, &c.ntoc, 8),
                    dynamic("dysymtab: modules", &c.modtaboff, &c.nmodtab, module),
                    dynamic(
                        "dysymtab: external refs",
                        &c.extrefsymoff,
                        &c.nextrefsyms,
                        4,
                    ),
                    dynamic("indirect symbols", &c.indirectsymoff, &c.nindirectsyms, 4),
                    dynamic("external relocations", &c.extreloff, &c.nextrel, 8),
                    dynamic("local relocations", &c.locreloff, &c.nlocrel, 8),
                ] {
                    add(name, Role::Dynamic, off, len);
                }
            }
            Ok(LoadCommandVariant::DyldInfo(c)) => {
                for (name, off, size) in [
                    ("dyld rebase info", &c.rebase_off, &c.rebase_size),
                    ("dyld bind info", &c.bind_off, &c.bind_size),
                    ("dyld weak bind info", &c.weak_bind_off, &c.weak_bind_size),
                    ("dyld lazy bind info", &c.lazy_bind_off, &c.lazy_bind_size),
                    ("dyld export info", &c.export_off, &c.export_size),
                ] {
                    add(name, Role::Dynamic, off.get(endian), n(size.get(endian), 1));
                }
            }
            Ok(LoadCommandVariant::LinkeditData(c)) => {
                let (name, role) = match cmd.cmd() {
                    macho::LC_CODE_SIGNATURE => ("code signature", Role::Signature),
                    macho::LC_SEGMENT_SPLIT_INFO => ("segment split info", Role::Dynamic),
                    macho::LC_FUNCTION_STARTS => ("function starts", Role::Symbols),
                    macho::LC_DATA_IN_CODE => ("data in code", Role::Symbols),
                    macho::LC_DYLIB_CODE_SIGN_DRS => ("code signing DRs", Role::Signature),
                    macho::LC_LINKER_OPTIMIZATION_HINT => {
                        ("linker optimization hints", Role::Dynamic)
                    }
                    macho::LC_DYLD_EXPORTS_TRIE => ("dyld exports trie", Role::Dynamic),
                    macho::LC_DYLD_CHAINED_FIXUPS => ("dyld chained fixups", Role::Dynamic),
                    _ => continue,
                };
                add(
                    name,
                    role,
                    c.dataoff.get(endian),
                    n(c.datasize.get(endian), 1),
                );
            }
            _ => {}
        }
    }
    out.symbol_table = symtab;
    out
}

#[cfg(test)]
mod tests {
    use crate::Binary;
    use model::Format;

    /// On every fixture: the header comes first, and the symbol table is
    /// where the `.symtab` section says, or absent when stripped (ELF; a
    /// stripped Mach-O keeps its imports in `LC_SYMTAB`).
    #[test]
    fn fixture_layouts() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/fixtures/bin");
        let mut checked = 0;
        for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
            let Ok(data) = std::fs::read(entry.path()) else {
                continue;
            };
            let Ok(bin) = Binary::parse(&data) else {
                continue;
            };
            let name = entry.file_name().to_string_lossy().into_owned();
            let layout = bin.layout();
            let first = &layout.structures[0];
            let (header, len) = match bin.format {
                Format::Elf => ("ELF header", 64),
                Format::Macho => ("Mach-O header", 32),
            };
            assert_eq!((first.name, first.offset, first.len), (header, 0, len));
            let symtab = layout.symbol_table.as_ref();
            match bin.format {
                Format::Elf => assert_eq!(symtab.is_none(), name.ends_with("-stripped"), "{name}"),
                Format::Macho => assert!(symtab.is_some(), "{name}"),
            }
            if let (Some(t), Some(s)) = (symtab, bin.section(".symtab")) {
                assert_eq!(Some(t.offset), s.file_offset, "{name}");
                assert_eq!(t.count * t.entry_size, s.file_size, "{name}");
                let strtab = bin.section(".strtab").unwrap();
                assert_eq!(Some(t.strings_offset), strtab.file_offset, "{name}");
            }
            checked += 1;
        }
        assert!(checked >= 20, "fixtures missing");
    }
}
