//! Parameter names from DWARF, flattened to the machine words an ABI
//! passes: `fd`, `p.ptr`, `p.len`, `p.cap`. Only input parameters count
//! (Go marks results with DW_AT_variable_parameter).
//!
//! Sections are read through `object`, which inflates the zlib-compressed
//! sections Go writes (SHF_COMPRESSED) itself; a section that claims an
//! implausible size is refused before it is inflated.

use gimli::{AttributeValue, EndianSlice, LittleEndian};
use object::{Object as _, ObjectSection as _};
use std::borrow::Cow;
use std::collections::HashMap;

type R<'a> = EndianSlice<'a, LittleEndian>;

/// Input parameter words per function entry address.
pub struct Params {
    by_entry: HashMap<u64, Vec<String>>,
}

/// Caps that keep a hostile DWARF from costing much.
const MAX_SECTION: u64 = 256 << 20;
const MAX_WORDS: usize = 16;
const MAX_DEPTH: usize = 5;

/// The sections gimli reads for names, types and addresses.
const SECTIONS: [&str; 9] = [
    ".debug_info",
    ".debug_abbrev",
    ".debug_str",
    ".debug_line_str",
    ".debug_addr",
    ".debug_str_offsets",
    ".debug_line",
    ".debug_rnglists",
    ".debug_ranges",
];

/// A section's bytes, inflated when compressed; empty when absent, too
/// large or malformed.
fn section<'d>(file: &object::File<'d>, name: &str) -> Cow<'d, [u8]> {
    let Some(s) = file.section_by_name(name) else {
        return Cow::Borrowed(&[]);
    };
    let too_big = s
        .compressed_file_range()
        .map_or(true, |r| r.uncompressed_size > MAX_SECTION);
    if too_big {
        return Cow::Borrowed(&[]);
    }
    s.uncompressed_data().unwrap_or(Cow::Borrowed(&[]))
}

impl Params {
    /// Reads the subprograms of the DWARF in a binary's file bytes; `None`
    /// without DWARF.
    pub fn load(file: &[u8]) -> Option<Params> {
        let obj = object::File::parse(file).ok()?;
        let data: HashMap<&str, Cow<'_, [u8]>> =
            SECTIONS.iter().map(|n| (*n, section(&obj, n))).collect();
        if data[".debug_info"].is_empty() {
            return None;
        }
        let load = |id: gimli::SectionId| -> Result<R<'_>, gimli::Error> {
            let bytes = data.get(id.name()).map(|v| v.as_ref()).unwrap_or(&[]);
            Ok(EndianSlice::new(bytes, LittleEndian))
        };
        let dwarf = gimli::Dwarf::load(load).ok()?;
        let mut units = Vec::new();
        let mut iter = dwarf.units();
        while let Ok(Some(header)) = iter.next() {
            if let Ok(unit) = dwarf.unit(header) {
                units.push(unit);
            }
        }
        let mut by_entry = HashMap::new();
        for unit in &units {
            collect_unit(&dwarf, &units, unit, &mut by_entry);
        }
        Some(Params { by_entry })
    }

    /// The word names of the function at `entry`, when DWARF lists any.
    pub fn words(&self, entry: u64) -> Option<Vec<String>> {
        self.by_entry.get(&entry).filter(|w| !w.is_empty()).cloned()
    }
}

/// Adds the input parameters of every subprogram in `unit`.
fn collect_unit(
    dwarf: &gimli::Dwarf<R<'_>>,
    units: &[gimli::Unit<R<'_>>],
    unit: &gimli::Unit<R<'_>>,
    by_entry: &mut HashMap<u64, Vec<String>>,
) {
    let mut entries = unit.entries();
    let mut current: Option<(u64, isize)> = None;
    let mut depth = 0isize;
    while let Ok(Some((delta, e))) = entries.next_dfs() {
        depth += delta;
        if let Some((_, d)) = current {
            if depth <= d {
                current = None;
            }
        }
        if e.tag() == gimli::DW_TAG_subprogram {
            let lo = e
                .attr_value(gimli::DW_AT_low_pc)
                .ok()
                .flatten()
                .and_then(|v| dwarf.attr_address(unit, v).ok().flatten());
            if let Some(lo) = lo {
                current = Some((lo, depth));
                by_entry.entry(lo).or_default();
            }
            continue;
        }
        let Some((lo, d)) = current else { continue };
        if e.tag() != gimli::DW_TAG_formal_parameter || depth != d + 1 {
            continue;
        }
        let out = matches!(
            e.attr_value(gimli::DW_AT_variable_parameter),
            Ok(Some(AttributeValue::Flag(true)))
        );
        if out {
            continue;
        }
        let name = attr_string(dwarf, unit, e.attr_value(gimli::DW_AT_name).ok().flatten())
            .unwrap_or_else(|| "?".into());
        let mut words = Vec::new();
        if let Ok(Some(t)) = e.attr_value(gimli::DW_AT_type) {
            flatten(dwarf, units, unit, t, &name, 0, &mut words);
        } else {
            words.push(name);
        }
        let list = by_entry.entry(lo).or_default();
        if list.len() + words.len() <= MAX_WORDS {
            list.extend(words);
        }
    }
}

fn attr_string(
    dwarf: &gimli::Dwarf<R<'_>>,
    unit: &gimli::Unit<R<'_>>,
    v: Option<AttributeValue<R<'_>>>,
) -> Option<String> {
    let s = dwarf.attr_string(unit, v?).ok()?;
    Some(String::from_utf8_lossy(s.slice()).into_owned())
}

/// Finds the unit and entry a type reference points at.
fn resolve<'u, 'a>(
    units: &'u [gimli::Unit<R<'a>>],
    unit: &'u gimli::Unit<R<'a>>,
    v: AttributeValue<R<'a>>,
) -> Option<(&'u gimli::Unit<R<'a>>, gimli::UnitOffset)> {
    match v {
        AttributeValue::UnitRef(off) => Some((unit, off)),
        AttributeValue::DebugInfoRef(off) => units.iter().find_map(|u| {
            let o = off.to_unit_offset(&u.header)?;
            Some((u, o))
        }),
        _ => None,
    }
}

/// Appends the word names of a value of type `t` called `name`.
fn flatten(
    dwarf: &gimli::Dwarf<R<'_>>,
    units: &[gimli::Unit<R<'_>>],
    unit: &gimli::Unit<R<'_>>,
    t: AttributeValue<R<'_>>,
    name: &str,
    depth: usize,
    out: &mut Vec<String>,
) {
    if depth > MAX_DEPTH || out.len() >= MAX_WORDS {
        return;
    }
    let Some((u, off)) = resolve(units, unit, t) else {
        out.push(name.to_string());
        return;
    };
    let Ok(e) = u.entry(off) else {
        out.push(name.to_string());
        return;
    };
    match e.tag() {
        gimli::DW_TAG_typedef => match e.attr_value(gimli::DW_AT_type) {
            Ok(Some(inner)) => flatten(dwarf, units, u, inner, name, depth + 1, out),
            _ => out.push(name.to_string()),
        },
        gimli::DW_TAG_structure_type => {
            let size = match e.attr_value(gimli::DW_AT_byte_size) {
                Ok(Some(v)) => v.udata_value().unwrap_or(0),
                _ => 0,
            };
            if size == 0 {
                return;
            }
            let Ok(mut tree) = u.entries_tree(Some(off)) else {
                out.push(name.to_string());
                return;
            };
            let Ok(root) = tree.root() else { return };
            let mut children = root.children();
            while let Ok(Some(child)) = children.next() {
                let m = child.entry();
                if m.tag() != gimli::DW_TAG_member {
                    continue;
                }
                let mname = attr_string(dwarf, u, m.attr_value(gimli::DW_AT_name).ok().flatten())
                    .unwrap_or_else(|| "?".into());
                // Go's string and slice headers call their pointer `str`
                // and `array`; one word name for both reads better.
                let mname = match mname.as_str() {
                    "array" | "str" => "ptr".to_string(),
                    _ => mname,
                };
                let full = format!("{name}.{mname}");
                match m.attr_value(gimli::DW_AT_type) {
                    Ok(Some(mt)) => flatten(dwarf, units, u, mt, &full, depth + 1, out),
                    _ => out.push(full),
                }
            }
        }
        _ => {
            let size = match e.attr_value(gimli::DW_AT_byte_size) {
                Ok(Some(v)) => v.udata_value().unwrap_or(8),
                _ => 8,
            };
            if size > 0 {
                out.push(name.to_string());
            }
        }
    }
}
