//! Calls into imported functions: Mach-O symbol stubs (`__symbol_stub1`,
//! `__stubs`) mapped to the symbol and dylib they bind to.
//!
//! The stub section's `reserved1` is its first index into the indirect
//! symbol table, and stubs are laid out in that order, so stub `i` binds
//! indirect symbol `reserved1 + i`. The stub size comes from the
//! architecture, not from `reserved2`: Go's linker writes 6 there even on
//! arm64, where its stubs are 12 bytes (`ADRP; LDR; BR`).

use gobin::GoBinary;
use object::macho;
use object::read::macho::{Nlist as _, Section as _};
use object::Object as _;
use std::collections::HashMap;

/// Stub ranges and what each stub calls.
#[derive(Default)]
pub struct Stubs {
    /// (start, stub size, names in order).
    sections: Vec<(u64, u64, Vec<String>)>,
    libraries: HashMap<String, Option<String>>,
}

impl Stubs {
    /// Reads the stub sections of a Mach-O; empty for anything else.
    pub fn read(go: &GoBinary<'_>) -> Stubs {
        let mut stubs = Stubs::default();
        for imp in &go.bin.imports {
            stubs
                .libraries
                .insert(imp.name.clone(), imp.library.clone());
        }
        if go.bin.format != model::Format::Macho {
            return stubs;
        }
        let stub_size = match go.bin.arch {
            model::Arch::Arm64 => 12,
            _ => 6,
        };
        let Ok(file) = object::read::macho::MachOFile64::<object::Endianness>::parse(go.bin.data())
        else {
            return stubs;
        };
        let endian = file.endian();
        let Some(indirect) = indirect_symbols(&file) else {
            return stubs;
        };
        let symtab = file.macho_symbol_table();
        for sec in file.sections() {
            let s = sec.macho_section();
            let kind = s.flags(endian).0 & macho::SECTION_TYPE;
            if kind != u32::from(macho::S_SYMBOL_STUBS.0) {
                continue;
            }
            let first = s.reserved1(endian) as usize;
            let count = usize::try_from(s.size(endian) / stub_size)
                .unwrap_or(0)
                .min(1 << 16);
            let mut names = Vec::with_capacity(count);
            for i in 0..count {
                let name = indirect
                    .get(first + i)
                    .and_then(|&ix| symtab.symbol(object::SymbolIndex(ix as usize)).ok())
                    .and_then(|sym| sym.name(endian, symtab.strings()).ok())
                    .map(|n| {
                        let n = String::from_utf8_lossy(n);
                        n.strip_prefix('_').unwrap_or(&n).to_string()
                    })
                    .unwrap_or_else(|| "?".into());
                names.push(name);
            }
            stubs.sections.push((s.addr(endian), stub_size, names));
        }
        stubs
    }

    /// The import a call or jump to `addr` reaches: (symbol, library).
    pub fn import_at(&self, addr: u64) -> Option<(String, Option<String>)> {
        for (start, size, names) in &self.sections {
            let off = addr.checked_sub(*start)?;
            let i = usize::try_from(off / size).ok()?;
            if off % size == 0 {
                if let Some(name) = names.get(i) {
                    let lib = self.libraries.get(name).cloned().flatten();
                    return Some((name.clone(), lib));
                }
            }
        }
        None
    }
}

fn indirect_symbols(
    file: &object::read::macho::MachOFile64<'_, object::Endianness>,
) -> Option<Vec<u32>> {
    let endian = file.endian();
    let data = file.data();
    let mut cmds = file.macho_load_commands().ok()?;
    while let Ok(Some(cmd)) = cmds.next() {
        if let Ok(Some(dysym)) = cmd.dysymtab() {
            let off = dysym.indirectsymoff.get(endian) as usize;
            let n = dysym.nindirectsyms.get(endian) as usize;
            let bytes = data.get(off..off.checked_add(n.checked_mul(4)?)?)?;
            return Some(
                bytes
                    .chunks_exact(4)
                    .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]))
                    .collect(),
            );
        }
    }
    None
}
