//! Claims from the container: its own structures (headers, header tables,
//! load commands, `__LINKEDIT` tables), its sections, its symbols, and the
//! symbol table's entries and names per package.

use super::claims::{Builder, Place, P_CONTAINER, P_GO, P_SECTION, P_STRUCT, P_SYM};
use super::owners::{is_container, is_marker, package_of};
use super::report::{Kind, SectionRow};
use gobin::container::{Binary, Role};
use model::Format;
use std::collections::HashMap;

/// Claims the headers, header tables and load commands above everything,
/// and the Mach-O `__LINKEDIT` tables below the per-name claims symbol
/// tables get at [`P_GO`]: these take what no name claims.
pub(super) fn claim_structures(b: &mut Builder<'_>, bin: &Binary<'_>) {
    for s in &bin.layout().structures {
        let (prio, kind) = match s.role {
            Role::Header => (P_STRUCT, Kind::Headers),
            Role::Symbols => (P_CONTAINER, Kind::Symbols),
            Role::Dynamic => (P_CONTAINER, Kind::Dynamic),
            Role::Signature => (P_CONTAINER, Kind::Signature),
        };
        let owner = b.owners.id(kind.pool());
        let place = b.places.id(&format!("({})", s.name));
        b.claim(
            prio,
            s.offset,
            s.offset.saturating_add(s.len),
            kind,
            owner,
            place,
        );
    }
}

/// Claims each section's bytes by its kind, the fallback for whatever no
/// structure, symbol or Go table claims, and maps the loaded ones by
/// address. Returns the section rows (bytes still 0) with their places,
/// and the memory bss takes.
pub(super) fn claim_sections(
    b: &mut Builder<'_>,
    bin: &Binary<'_>,
) -> (Vec<(u32, SectionRow)>, u64) {
    let mut rows = Vec::new();
    let mut bss_memory = 0u64;
    for s in bin.sections() {
        let mut kind = section_kind(&s.name, s.executable, s.writable);
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
            if s.addr != 0 {
                b.map_section(Place {
                    addr: s.addr,
                    off,
                    file_size: s.file_size,
                    kind,
                    place,
                });
            }
        }
    }
    (rows, bss_memory)
}

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

/// Claims symbols: sized ones, Mach-O spans to the next symbol, and the
/// span after a zero-size container symbol.
pub(super) fn claim_symbols(b: &mut Builder<'_>, bin: &Binary<'_>) {
    let syms = bin.symbols();
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
        // A section of type data (`.typelink`, `.go.type`) belongs to the
        // type descriptors whatever symbol marks it (`runtime.typelink`).
        let in_types = place.kind == Kind::Types;
        let owner_of = |b: &mut Builder<'_>, name: &str| match in_types {
            true => b.owners.id(Kind::Types.pool()),
            false => b.owners.id(package_of(name)),
        };
        let span = next.unwrap_or(sec_end).min(sec_end) - s.addr;
        for sym in group {
            if sym.size > 0 {
                let owner = owner_of(b, &sym.name);
                b.claim_va(P_SYM, sym.addr, sym.size, kind_of(&sym.name), owner);
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
            let owner = owner_of(b, &pick.name);
            let prio = if is_container(&pick.name) {
                P_CONTAINER
            } else {
                P_SYM
            };
            b.claim_va(prio, s.addr, span, kind_of(&pick.name), owner);
        } else if let Some(c) = group.iter().find(|g| g.size == 0 && is_container(&g.name)) {
            let owner = owner_of(b, &c.name);
            b.claim_va(P_CONTAINER, s.addr, span, kind_of(&c.name), owner);
        }
    }
}

/// The kind a symbol's bytes are whatever section holds them: a type
/// descriptor is `types` (older linkers put them in `.rodata`, newer
/// ones in `.go.type`), so the kind and the `(type descriptors)` pool
/// give one number.
fn kind_of(name: &str) -> Option<Kind> {
    (package_of(name) == Kind::Types.pool()).then_some(Kind::Types)
}

/// Most symbol-table entries read (a corrupt count stops here).
const MAX_SYMBOLS: u64 = 1 << 26;

/// Claims symbol-table entries and their names per package (ELF
/// `.symtab`, Mach-O `LC_SYMTAB`).
pub(super) fn claim_symbol_table(b: &mut Builder<'_>, bin: &Binary<'_>) {
    let Some(t) = &bin.layout().symbol_table else {
        return;
    };
    let macho = bin.format == Format::Macho;
    let (place_sym, place_str) = match macho {
        true => (b.places.id("(symbol table)"), b.places.id("(string table)")),
        false => (b.places.id(".symtab"), b.places.id(".strtab")),
    };
    let d = b.data;
    let shared = b.owners.id(Kind::Symbols.pool());
    let (Ok(so), Ok(ss)) = (
        usize::try_from(t.strings_offset),
        usize::try_from(t.strings_size),
    ) else {
        return;
    };
    let Some(strs) = d.get(so..so.saturating_add(ss)) else {
        return;
    };
    let mut names: HashMap<u32, u32> = HashMap::new();
    for i in 0..t.count.min(MAX_SYMBOLS) {
        let Some(base) = t.offset.checked_add(i * t.entry_size) else {
            break;
        };
        // Both formats start an entry with its name's string offset.
        let Some(n) = usize::try_from(base)
            .ok()
            .and_then(|o| gobin::bytes::u32_le(d, o))
        else {
            break;
        };
        let name = gobin::bytes::cstr(strs, n as usize).unwrap_or("");
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
        b.claim(
            P_GO,
            base,
            base + t.entry_size,
            Kind::Symbols,
            owner,
            place_sym,
        );
        if n != 0 {
            names.entry(n).or_insert(owner);
        }
    }
    for (n, owner) in names {
        if let Some(name) = gobin::bytes::cstr_bytes(strs, n as usize) {
            let s = t.strings_offset + u64::from(n);
            b.claim(
                P_GO,
                s,
                s + name.len() as u64 + 1,
                Kind::Symbols,
                owner,
                place_str,
            );
        }
    }
}
