//! Calls into imported functions: Mach-O symbol stubs (`__symbol_stub1`,
//! `__stubs`) and ELF PLT entries, mapped to the symbol (and, on Mach-O, the
//! dylib) they bind to.
//!
//! ELF: each PLT entry starts with `jmp *slot(%rip)` (after an optional
//! `endbr64`/`bnd`); the slot is the GOT word a `R_*_JUMP_SLOT` (or
//! `GLOB_DAT`) relocation names.
//!
//! The stub section's `reserved1` is its first index into the indirect
//! symbol table, and stubs are laid out in that order, so stub `i` binds
//! indirect symbol `reserved1 + i`. The stub size comes from the
//! architecture, not from `reserved2`: Go's linker writes 6 there even on
//! arm64, where its stubs are 12 bytes (`ADRP; LDR; BR`).

use crate::bytes;
use crate::Binary;
use object::macho;
use object::read::macho::{Nlist as _, Section as _};
use object::Object as _;
use std::collections::HashMap;

/// Stub ranges and what each stub calls.
#[derive(Default)]
pub struct Stubs {
    /// (start, stub size, names in order).
    sections: Vec<(u64, u64, Vec<String>)>,
    /// ELF PLT entry address -> symbol.
    plt: HashMap<u64, String>,
    libraries: HashMap<String, Option<String>>,
}

impl Stubs {
    /// Reads the Mach-O stub sections or the ELF PLT of a binary.
    pub fn read(bin: &Binary<'_>) -> Stubs {
        let mut stubs = Stubs::default();
        for imp in &bin.imports {
            stubs
                .libraries
                .insert(imp.name.clone(), imp.library.clone());
        }
        if bin.format == model::Format::Elf {
            stubs.plt = elf_plt(bin);
            return stubs;
        }
        if bin.format != model::Format::Macho {
            return stubs;
        }
        let stub_size = match bin.arch {
            model::Arch::Arm64 => 12,
            _ => 6,
        };
        let Ok(file) = object::read::macho::MachOFile64::<object::Endianness>::parse(bin.data())
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

    /// ELF PLT entries as (address, symbol), sorted by address.
    pub fn plt_entries(&self) -> Vec<(u64, &str)> {
        let mut v: Vec<(u64, &str)> = self.plt.iter().map(|(&a, n)| (a, n.as_str())).collect();
        v.sort_unstable();
        v
    }

    /// The import a call or jump to `addr` reaches: (symbol, library).
    pub fn import_at(&self, addr: u64) -> Option<(String, Option<String>)> {
        if let Some(name) = self.plt.get(&addr) {
            let lib = self.libraries.get(name).cloned().flatten();
            return Some((name.clone(), lib));
        }
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
            let raw = data.get(off..off.checked_add(n.checked_mul(4)?)?)?;
            return (0..n).map(|i| bytes::u32_le(raw, 4 * i)).collect();
        }
    }
    None
}

/// PLT entry address -> imported symbol, for `.plt`, `.plt.sec` and `.plt.got`.
fn elf_plt(bin: &Binary<'_>) -> HashMap<u64, String> {
    let mut out = HashMap::new();
    let Ok(file) = object::File::parse(bin.data()) else {
        return out;
    };
    let mut slots: HashMap<u64, String> = HashMap::new();
    if let (Some(relocs), Some(dynsyms)) = (file.dynamic_relocations(), file.dynamic_symbol_table())
    {
        for (offset, rel) in relocs {
            if let object::RelocationTarget::Symbol(ix) = rel.target() {
                if let Ok(sym) = object::ObjectSymbolTable::symbol_by_index(&dynsyms, ix) {
                    if let Ok(name) = object::ObjectSymbol::name(&sym) {
                        let name = name.split('@').next().unwrap_or(name);
                        slots.insert(offset, name.to_string());
                    }
                }
            }
        }
    }
    if slots.is_empty() {
        return out;
    }
    for sec in bin.sections() {
        if !matches!(sec.name.as_str(), ".plt" | ".plt.sec" | ".plt.got") {
            continue;
        }
        let Some(code) = bin.section_data(sec) else {
            continue;
        };
        let entry = if sec.name == ".plt.got" { 8 } else { 16 };
        for start in (0..code.len()).step_by(entry) {
            let Some(entry_bytes) = code.get(start..(start + entry).min(code.len())) else {
                continue;
            };
            // Skip endbr64 (f3 0f 1e fa) and a bnd prefix (f2).
            let mut k = 0;
            if entry_bytes.starts_with(&[0xf3, 0x0f, 0x1e, 0xfa]) {
                k = 4;
            }
            if entry_bytes.get(k) == Some(&0xf2) {
                k += 1;
            }
            if entry_bytes.get(k..k + 2) != Some(&[0xff, 0x25]) {
                continue;
            }
            let Some(disp) = bytes::i32_le(entry_bytes, k + 2) else {
                continue;
            };
            let at = sec.addr + start as u64;
            let next = at + (k + 6) as u64;
            if let Some(slot) = next.checked_add_signed(i64::from(disp)) {
                if let Some(name) = slots.get(&slot) {
                    out.insert(at, name.clone());
                }
            }
        }
    }
    out
}
