//! Sums the resolved pieces into the report's views: by kind, by section
//! and structure, by package and pool, by module.

use super::claims::Resolved;
use super::go::CodeTally;
use super::owners::classify_package;
use super::report::{Class, Kind, KindRow, ModuleRow, PackageRow, SectionRow};
use gobin::buildinfo::BuildInfo;
use std::collections::{BTreeMap, HashMap, HashSet};

/// The report's views of the resolved pieces.
pub(super) struct Views {
    pub(super) kinds: Vec<KindRow>,
    pub(super) sections: Vec<SectionRow>,
    pub(super) packages: Vec<PackageRow>,
    pub(super) modules: Vec<ModuleRow>,
}

/// Sums `r` by kind, section (`rows` in file order, then structures by
/// offset), package and module.
pub(super) fn views(
    r: &Resolved,
    rows: Vec<(u32, SectionRow)>,
    bss_memory: u64,
    code: &CodeTally,
    info: Option<&BuildInfo>,
) -> Views {
    let mut kind_bytes: HashMap<Kind, u64> = HashMap::new();
    let mut place_bytes: HashMap<u32, u64> = HashMap::new();
    let mut owner_bytes: HashMap<u32, (u64, BTreeMap<&'static str, u64>)> = HashMap::new();
    for p in &r.pieces {
        let n = p.end - p.start;
        *kind_bytes.entry(p.kind).or_default() += n;
        *place_bytes.entry(p.place).or_default() += n;
        let e = owner_bytes.entry(p.owner).or_default();
        e.0 += n;
        *e.1.entry(p.kind.name()).or_default() += n;
    }
    let kinds = Kind::ALL
        .iter()
        .map(|&k| KindRow {
            kind: k,
            bytes: kind_bytes.get(&k).copied().unwrap_or(0),
            memory: (k == Kind::Bss).then_some(bss_memory),
        })
        .filter(|r| r.bytes > 0 || r.kind == Kind::Bss || r.kind == Kind::Unattributed)
        .collect();
    let sections = section_rows(r, rows, &place_bytes);
    let mut packages: Vec<PackageRow> = owner_bytes
        .into_iter()
        .map(|(o, (bytes, kinds))| {
            let name = r.owners.list[o as usize].clone();
            let (class, module) = classify_package(&name, info);
            let (code, code_fill, functions) = code.get(&o).copied().unwrap_or_default();
            PackageRow {
                package: name,
                class,
                module,
                // Bodies only, as `go tool nm -size` sizes functions; the
                // fill after them is padding, reported apart.
                code: code - code_fill,
                code_fill,
                functions,
                bytes,
                kinds,
            }
        })
        .collect();
    packages.sort_by(|a, b| b.bytes.cmp(&a.bytes).then(a.package.cmp(&b.package)));
    let modules = module_rows(&packages, info);
    Views {
        kinds,
        sections,
        packages,
        modules,
    }
}

/// Sections in file order, then the structures that are not sections by
/// offset.
fn section_rows(
    r: &Resolved,
    rows: Vec<(u32, SectionRow)>,
    place_bytes: &HashMap<u32, u64>,
) -> Vec<SectionRow> {
    let mut seen_places = HashSet::new();
    let mut out: Vec<SectionRow> = Vec::with_capacity(rows.len());
    for (place, mut row) in rows {
        row.bytes = place_bytes.get(&place).copied().unwrap_or(0);
        seen_places.insert(place);
        out.push(row);
    }
    let mut first_off: HashMap<u32, u64> = HashMap::new();
    for p in &r.pieces {
        first_off.entry(p.place).or_insert(p.start);
    }
    let mut extra: Vec<(u64, SectionRow)> = place_bytes
        .iter()
        .filter(|(pl, _)| !seen_places.contains(*pl))
        .map(|(&pl, &n)| {
            let name = r.places.list[pl as usize].clone();
            let kind = r
                .pieces
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
    out.extend(extra.into_iter().map(|(_, r)| r));
    out
}

/// Packages summed by module (the runtime and the pools each as one),
/// largest first.
fn module_rows(packages: &[PackageRow], info: Option<&BuildInfo>) -> Vec<ModuleRow> {
    let mut modules: BTreeMap<String, ModuleRow> = BTreeMap::new();
    for p in packages {
        let key = match p.class {
            Class::Runtime => "runtime".to_string(),
            Class::Other => "other".to_string(),
            _ => p
                .module
                .clone()
                .unwrap_or_else(|| "(unknown module)".into()),
        };
        let version = info.and_then(|i| {
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
    modules
}
