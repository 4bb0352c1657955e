//! A symbol table as `go tool objdump` sees it: the text section and every
//! defined symbol, for disassembly listings.
//!
//! Go's objdump lists every symbol whose section is the text section, sizes
//! them from the ELF symbol table or, on Mach-O, from the distance to the
//! next symbol, and resolves an address to the last symbol starting at or
//! below it when the address falls inside that symbol. This differs from
//! [`crate::Binary::symbols`] (which keeps the container's own sizes and
//! strips every Mach-O `_`), so it is read on its own.

use crate::container::arch_of;
use crate::Error;
use model::Arch;

/// One symbol.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sym {
    /// Name as the file spells it (Mach-O names keep their `_`).
    pub name: String,
    /// Start address.
    pub addr: u64,
    /// Size in bytes (inferred on Mach-O).
    pub size: u64,
    /// Defined in the text section: gets a `TEXT` listing.
    pub text: bool,
}

/// Symbols sorted by address, resolving addresses to names.
#[derive(Clone, Debug, Default)]
pub struct SymTab {
    syms: Vec<Sym>,
    /// The symbols' addresses alone: a binary search over them touches
    /// far fewer cache lines than one over `syms` (a lookup per branch
    /// and data reference of a listing).
    addrs: Vec<u64>,
}

impl SymTab {
    /// Sorts `syms` by address (stable, so equal addresses keep file order).
    pub fn new(mut syms: Vec<Sym>) -> SymTab {
        syms.sort_by_key(|s| s.addr);
        let addrs = syms.iter().map(|s| s.addr).collect();
        SymTab { syms, addrs }
    }

    /// All symbols, sorted by address.
    pub fn syms(&self) -> &[Sym] {
        &self.syms
    }

    /// True when there are no symbols.
    pub fn is_empty(&self) -> bool {
        self.syms.is_empty()
    }

    /// Index of the last symbol starting at or below `addr`.
    fn floor(&self, addr: u64) -> Option<usize> {
        let i = self.addrs.partition_point(|&a| a <= addr);
        i.checked_sub(1)
    }

    /// The symbol containing `addr`, as Go's objdump resolves it: its name
    /// and start address.
    pub fn lookup(&self, addr: u64) -> Option<(&str, u64)> {
        let s = &self.syms[self.floor(addr)?];
        if s.addr != 0 && s.addr <= addr && addr < s.addr.saturating_add(s.size) {
            Some((s.name.as_str(), s.addr))
        } else {
            None
        }
    }

    /// The symbol binutils names in a `<sym+off>` comment: the closest one
    /// at or below `addr`, sizes ignored; among symbols at one address the
    /// first named one.
    pub fn nearest(&self, addr: u64) -> Option<(&str, u64)> {
        let i = self.floor(addr)?;
        let a = self.syms[i].addr;
        let first = self.addrs[..=i].partition_point(|&x| x < a);
        let s = self.syms[first..=i]
            .iter()
            .find(|s| !s.name.is_empty())
            .unwrap_or(&self.syms[i]);
        if s.addr == 0 {
            return None;
        }
        Some((s.name.as_str(), s.addr))
    }
}

/// The text section and symbols of a binary, read the way `go tool objdump`
/// reads them.
pub struct ObjFile<'data> {
    /// Address of the text section (`.text`, `__text`).
    pub text_addr: u64,
    /// Its bytes.
    pub text: &'data [u8],
    /// Symbols from the static symbol table (empty when stripped).
    pub symtab: SymTab,
    /// Instruction set.
    pub arch: Arch,
}

impl<'data> ObjFile<'data> {
    /// Reads the text section and symbol table of an ELF or Mach-O file.
    pub fn parse(data: &'data [u8]) -> Result<ObjFile<'data>, Error> {
        // In a cut file the reason anything is missing is the cut.
        ObjFile::read(data).map_err(|e| match crate::container::truncation::check(data) {
            Some(t) => Error::Format(format!("{t}: {e}")),
            None => e,
        })
    }

    fn read(data: &'data [u8]) -> Result<ObjFile<'data>, Error> {
        use object::{Object, ObjectSection, ObjectSymbol, SectionIndex};
        let file = object::File::parse(data).map_err(|e| Error::Format(e.to_string()))?;
        let macho = file.format() == object::BinaryFormat::MachO;
        let text_name = if macho { "__text" } else { ".text" };
        let text_sec = file
            .sections()
            .find(|s| {
                s.name() == Ok(text_name)
                    && (!macho || s.segment_name().ok().flatten() == Some("__TEXT"))
            })
            .ok_or_else(|| Error::Format("no text section".into()))?;
        let text_index: SectionIndex = text_sec.index();
        let text_addr = text_sec.address();
        let text = text_sec
            .data()
            .map_err(|e| Error::Format(format!("text section: {e}")))?;
        let mut syms = Vec::new();
        let mut addrs = Vec::new();
        for s in file.symbols() {
            if macho {
                // Go skips stab entries; object hides them already.
                addrs.push(s.address());
            }
            if s.is_undefined() {
                continue;
            }
            let Ok(name) = s.name() else { continue };
            // Go symbols are written with a leading underscore on Mach-O,
            // which Go's reader drops; C and assembly names such as
            // `_cmpbody` keep theirs in `go tool objdump` output (observed:
            // names without a dot keep it).
            let name = if macho {
                match name.strip_prefix('_') {
                    Some(rest) if rest.contains('.') => rest,
                    _ => name,
                }
            } else {
                name
            };
            if matches!(
                name,
                "runtime.text" | "text" | "_text" | "runtime.etext" | "etext" | "_etext"
            ) {
                continue;
            }
            let text = s.section_index() == Some(text_index);
            syms.push(Sym {
                name: name.to_string(),
                addr: s.address(),
                size: s.size(),
                text,
            });
        }
        if macho {
            addrs.sort_unstable();
            for s in &mut syms {
                let i = addrs.partition_point(|&a| a <= s.addr);
                s.size = addrs.get(i).map_or(0, |&next| next - s.addr);
            }
        }
        Ok(ObjFile {
            arch: arch_of(file.architecture()),
            text_addr,
            text,
            symtab: SymTab::new(syms),
        })
    }
}
