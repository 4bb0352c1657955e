//! `size` on every fixture, checked against the reference tools: totals
//! equal the file size, section sizes equal `readelf -S -W` /
//! `llvm-objdump --section-headers`, per-package code equals the sum of the
//! pclntab's function sizes, and package attribution agrees with
//! `go tool nm -size` summed by package.

use analysis::size::{self, Class, Kind, SizeReport};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

fn all_fixtures() -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(fixtures().join("bin"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains("-go1."))
        // Known gap (issue 16 report): internally linked cgo puts C
        // functions in the pclntab with no pc tables, so their bodies and
        // packages are not yet measured as go tool nm sizes them.
        .filter(|n| !n.starts_with("cgo_hello_internal"))
        .collect();
    v.sort();
    assert!(v.len() >= 20, "fixtures missing: {v:?}");
    v
}

fn load(name: &str) -> Vec<u8> {
    std::fs::read(fixtures().join("bin").join(name)).unwrap()
}

fn golden(name: &str, kind: &str) -> Option<String> {
    std::fs::read_to_string(fixtures().join("golden").join(format!("{name}.{kind}"))).ok()
}

fn measure(name: &str) -> SizeReport {
    size::measure(&load(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

#[test]
fn every_view_sums_to_the_file_size() {
    for name in all_fixtures() {
        let data = load(&name);
        let r = size::measure(&data).unwrap();
        let n = data.len() as u64;
        assert_eq!(r.file_size, n, "{name}");
        assert_eq!(
            r.kinds.iter().map(|k| k.bytes).sum::<u64>(),
            n,
            "{name}: kinds"
        );
        assert_eq!(
            r.sections.iter().map(|k| k.bytes).sum::<u64>(),
            n,
            "{name}: sections"
        );
        assert_eq!(
            r.packages.iter().map(|k| k.bytes).sum::<u64>(),
            n,
            "{name}: packages"
        );
        assert_eq!(
            r.modules.iter().map(|k| k.bytes).sum::<u64>(),
            n,
            "{name}: modules"
        );
        for p in &r.packages {
            assert_eq!(
                p.kinds.values().sum::<u64>(),
                p.bytes,
                "{name}: {}",
                p.package
            );
        }
        // Every fixture is fully explained: nothing unattributed, bss
        // reported as memory only.
        assert_eq!(r.kind_bytes(Kind::Unattributed), 0, "{name}");
        let bss = r.kinds.iter().find(|k| k.kind == Kind::Bss).unwrap();
        assert_eq!(bss.bytes, 0, "{name}");
        assert!(bss.memory.unwrap() > 0, "{name}");
        for k in [Kind::Code, Kind::Pclntab, Kind::Headers] {
            assert!(r.kind_bytes(k) > 0, "{name}: no {k:?}");
        }
        // The Go classes are all there (the seed imports golang.org/x/sys).
        for c in [Class::Runtime, Class::Std, Class::Main, Class::Dependency] {
            if c == Class::Dependency && !name.starts_with("syscall_minimal") {
                continue;
            }
            assert!(r.packages.iter().any(|p| p.class == c), "{name}: no {c:?}");
        }
        assert!(r.attribution.starts_with("pclntab"), "{name}");
    }
}

/// Per package, `code` plus `code_fill` is the sum of its functions'
/// sizes from the pclntab (what `rabbithole funcs` prints), and the total
/// is all of them; `code` alone is the bodies (issue 16: package code
/// equals `go tool nm -size`, the fill is padding).
#[test]
fn package_code_is_the_sum_of_function_sizes() {
    for name in all_fixtures() {
        let data = load(&name);
        let go = gobin::GoBinary::parse(&data).unwrap();
        let mut want: BTreeMap<String, (u64, u64)> = BTreeMap::new();
        for f in go.pclntab.funcs() {
            let e = want
                .entry(size::package_of(f.name()).to_string())
                .or_default();
            e.0 += f.size();
            e.1 += 1;
        }
        let r = size::measure_go(&go);
        let got: BTreeMap<String, (u64, u64)> = r
            .packages
            .iter()
            .filter(|p| p.functions > 0)
            .map(|p| (p.package.clone(), (p.code + p.code_fill, p.functions)))
            .collect();
        assert_eq!(got, want, "{name}");
        // Code bytes plus fill are the whole function table's span.
        let span: u64 = go.pclntab.funcs().map(|f| f.size()).sum();
        let code_and_fill: u64 = r.packages.iter().map(|p| p.code + p.code_fill).sum();
        assert_eq!(code_and_fill, span, "{name}");
    }
}

struct GoldenSection {
    name: String,
    size: u64,
    offset: Option<u64>,
}

/// `readelf -S -W` rows, or `llvm-objdump --macho --section-headers` rows.
fn golden_sections(text: &str) -> Vec<GoldenSection> {
    let mut out = Vec::new();
    for line in text.lines() {
        let t = line.trim_start();
        if let Some(rest) = t.strip_prefix('[') {
            // ELF: [Nr] Name Type Address Off Size ...
            let Some((nr, rest)) = rest.split_once(']') else {
                continue;
            };
            if nr.trim().parse::<u32>().is_err() {
                continue;
            }
            let f: Vec<&str> = rest.split_whitespace().collect();
            // The NULL section has no name: its first field is the type.
            let (name, ty, off, size) = if f.first() == Some(&"NULL") {
                continue;
            } else {
                (f[0], f[1], f[3], f[4])
            };
            let size = u64::from_str_radix(size, 16).unwrap();
            let off = u64::from_str_radix(off, 16).unwrap();
            out.push(GoldenSection {
                name: name.to_string(),
                size,
                offset: (ty != "NOBITS").then_some(off),
            });
        } else {
            // Mach-O: Idx Name Size VMA Type
            let f: Vec<&str> = t.split_whitespace().collect();
            if f.len() >= 4 && f[0].parse::<u32>().is_ok() && f[1].starts_with("__") {
                out.push(GoldenSection {
                    name: f[1].to_string(),
                    size: u64::from_str_radix(f[2], 16).unwrap(),
                    offset: None,
                });
            }
        }
    }
    out
}

#[test]
fn sections_match_readelf_and_llvm_objdump() {
    let mut checked = 0;
    for name in all_fixtures() {
        let Some(text) = golden(&name, "sections.txt") else {
            continue;
        };
        let want = golden_sections(&text);
        assert!(!want.is_empty(), "{name}: golden not parsed");
        let r = measure(&name);
        let got: Vec<_> = r.sections.iter().filter(|s| s.size.is_some()).collect();
        assert_eq!(got.len(), want.len(), "{name}: section count");
        for (g, w) in got.iter().zip(&want) {
            // llvm-objdump cuts names at 16 characters.
            assert!(
                g.name.starts_with(&w.name),
                "{name}: {} vs {}",
                g.name,
                w.name
            );
            assert_eq!(g.size, Some(w.size), "{name}: {} size", w.name);
            if w.offset.is_some() && w.size > 0 {
                assert_eq!(g.offset, w.offset, "{name}: {} offset", w.name);
            }
            // A section's file bytes never exceed its size, and only bss
            // has none.
            if g.kind != Kind::Bss {
                assert!(g.bytes <= w.size, "{name}: {}", w.name);
            } else {
                assert_eq!(g.bytes, 0, "{name}: {}", w.name);
            }
        }
        checked += 1;
    }
    assert!(checked >= 20, "{checked}");
}

const MARKERS: &[&str] = &[
    "runtime.text",
    "runtime.etext",
    "runtime.rodata",
    "runtime.erodata",
    "runtime.types",
    "runtime.etypes",
    "runtime.pclntab",
    "runtime.epclntab",
    "runtime.symtab",
    "runtime.esymtab",
    "runtime.findfunctab",
    "runtime.noptrdata",
    "runtime.enoptrdata",
    "runtime.data",
    "runtime.edata",
    "runtime.egcdata",
    "runtime.egcbss",
];

/// `go tool nm -n -size` summed by package (text, rodata and data symbols:
/// everything with bytes in the file).
fn nm_by_package(text: &str, macho: bool) -> BTreeMap<String, u64> {
    let mut out = BTreeMap::new();
    let mut seen = std::collections::HashSet::new();
    for line in text.lines() {
        let f: Vec<&str> = line.split_whitespace().collect();
        if f.len() < 4 || !"TtRrDd".contains(f[2]) || f[2].len() != 1 {
            continue;
        }
        let size: u64 = f[1].parse().unwrap();
        let name = f[3..].join(" ");
        // On Mach-O nm sizes a symbol to the next one, so section markers
        // span whole tables (runtime.pclntab spans the pclntab): they say
        // nothing about packages.
        if macho && MARKERS.contains(&f[3]) {
            continue;
        }
        // ... and aliases at one address each get the whole span: count
        // it once.
        if macho && !seen.insert(f[0].to_string()) {
            continue;
        }
        // The typelink table indexes the type descriptors: counted with
        // them (one name, one number), not with the runtime.
        if f[3] == "runtime.typelink" || f[3] == "_runtime.typelink" {
            continue;
        }
        // The findfunctab (pc -> function index of the function table) is
        // counted with the pclntab it indexes (kind `pclntab`), not as
        // runtime rodata: 4.5 KB of a small Go 1.19 program's runtime.
        if f[3] == "runtime.findfunctab" || f[3] == "_runtime.findfunctab" {
            continue;
        }
        // Mach-O C symbols keep their underscore in nm's listing.
        let name = match macho {
            true => name.strip_prefix('_').unwrap_or(&name),
            false => &name,
        };
        *out.entry(size::package_of(name).to_string()).or_default() += size;
    }
    out
}

/// For unstripped fixtures, every package's bytes of code (bodies, from
/// the pclntab's pc/sp tables) plus its rodata and data (from symbols)
/// agree with `go tool nm -size` within 1%. On Mach-O, whose symbols
/// carry no size, nm measures each to the next symbol, so alignment fill
/// counts too.
#[test]
fn packages_agree_with_go_tool_nm() {
    let mut checked = 0;
    for name in all_fixtures() {
        let Some(text) = golden(&name, "nm.txt") else {
            continue;
        };
        let r = measure(&name);
        let macho = r.format == model::Format::Macho;
        let want = nm_by_package(&text, macho);
        let mut compared = 0;
        for p in r.packages.iter().filter(|p| p.class != Class::Other) {
            let k = |n: &str| p.kinds.get(n).copied().unwrap_or(0);
            let mut got = k("code") + k("rodata") + k("data") + k("types");
            if macho {
                got += k("padding");
            }
            let w = want.get(&p.package).copied().unwrap_or(0);
            let tol = (w / 100).max(if macho { 64 } else { 0 });
            assert!(
                got.abs_diff(w) <= tol,
                "{name}: {}: size {got} vs go tool nm {w}",
                p.package
            );
            compared += 1;
        }
        // And the other way round: every package nm knows is measured.
        for (pkg, &w) in &want {
            if pkg.starts_with('(') || w == 0 {
                continue;
            }
            assert!(
                r.package(pkg).is_some(),
                "{name}: {pkg} ({w} bytes) missing"
            );
        }
        assert!(compared > 20, "{name}: {compared}");
        checked += 1;
    }
    assert!(checked >= 18, "{checked}");
}

/// Function bodies end where their pc/sp table ends: the ELF symbol size.
#[test]
fn code_bodies_equal_elf_symbol_sizes() {
    for name in all_fixtures() {
        let data = load(&name);
        let go = gobin::GoBinary::parse(&data).unwrap();
        if go.bin.format != model::Format::Elf || go.bin.symbols().is_empty() {
            continue;
        }
        let r = size::measure_go(&go);
        let mut sym_code: BTreeMap<&str, u64> = BTreeMap::new();
        let entries: std::collections::HashSet<u64> =
            go.pclntab.funcs().map(|f| f.entry()).collect();
        for s in go
            .bin
            .symbols()
            .iter()
            .filter(|s| s.text && entries.contains(&s.addr))
        {
            *sym_code.entry(size::package_of(&s.name)).or_default() += s.size;
        }
        // Pools hold C functions too (cgo), known from symbols only.
        for p in r
            .packages
            .iter()
            .filter(|p| p.functions > 0 && p.class != Class::Other)
        {
            let body = p.kinds.get("code").copied().unwrap_or(0);
            assert_eq!(body, p.code, "{name}: {}", p.package);
            let want = sym_code.get(p.package.as_str()).copied().unwrap_or(0);
            assert!(
                body.abs_diff(want) <= want / 100,
                "{name}: {}: bodies {body} vs symbols {want}",
                p.package
            );
        }
    }
}

/// Stripping removes symbols and DWARF (and their section headers);
/// everything else is the same byte for byte.
#[test]
fn stripped_twins_differ_in_symbols_and_dwarf_only() {
    for name in all_fixtures() {
        let Some(full) = name.strip_suffix("-stripped") else {
            continue;
        };
        let a = measure(full);
        let b = measure(&name);
        for k in Kind::ALL {
            let (x, y) = (a.kind_bytes(k), b.kind_bytes(k));
            match k {
                Kind::Symbols | Kind::Dwarf | Kind::Headers | Kind::Padding | Kind::Signature => {}
                // Before Go 1.25 type descriptors lie in .rodata, told
                // apart by their symbols only: stripped, they are rodata.
                Kind::Types | Kind::Rodata => {}
                _ => assert_eq!(x, y, "{name}: {k:?}"),
            }
        }
        let types_and_rodata =
            |r: &SizeReport| r.kind_bytes(Kind::Types) + r.kind_bytes(Kind::Rodata);
        assert_eq!(types_and_rodata(&a), types_and_rodata(&b), "{name}");
        assert!(a.kind_bytes(Kind::Dwarf) > 0 && b.kind_bytes(Kind::Dwarf) == 0);
        assert!(a.kind_bytes(Kind::Symbols) > b.kind_bytes(Kind::Symbols));
        for p in a.packages.iter().filter(|p| p.functions > 0) {
            let q = b.package(&p.package).unwrap();
            assert_eq!(
                (p.code, p.code_fill),
                (q.code, q.code_fill),
                "{name}: {}",
                p.package
            );
            assert_eq!(
                p.kinds.get("pclntab"),
                q.kinds.get("pclntab"),
                "{name}: {}",
                p.package
            );
        }
    }
}

/// On unstripped ELF fixtures a package's `code` is exactly what
/// `go tool nm -size` gives its functions (`T`/`t` symbols): bodies, not
/// the fill between them, which is padding.
#[test]
fn package_code_equals_go_tool_nm() {
    let mut checked = 0;
    for name in all_fixtures() {
        let Some(text) = golden(&name, "nm.txt") else {
            continue;
        };
        let r = measure(&name);
        if r.format != model::Format::Elf {
            continue;
        }
        let mut want: BTreeMap<String, u64> = BTreeMap::new();
        for line in text.lines() {
            let f: Vec<&str> = line.split_whitespace().collect();
            if f.len() >= 4 && (f[2] == "T" || f[2] == "t") {
                *want
                    .entry(size::package_of(&f[3..].join(" ")).to_string())
                    .or_default() += f[1].parse::<u64>().unwrap();
            }
        }
        for p in r
            .packages
            .iter()
            .filter(|p| p.functions > 0 && p.class != Class::Other)
        {
            let w = want.get(&p.package).copied().unwrap_or(0);
            assert_eq!(p.code, w, "{name}: {} code vs go tool nm", p.package);
            checked += 1;
        }
    }
    assert!(checked > 100, "{checked}");
}

/// Type descriptors are one name and one number: the kind `types` holds
/// exactly the bytes of the `(type descriptors)` pool that are type data,
/// whichever section the linker put them in (`.rodata` before Go 1.25,
/// `.go.type` after; `.typelink` in both).
#[test]
fn type_descriptors_are_one_number() {
    for name in all_fixtures() {
        let r = measure(&name);
        let kind = r
            .kinds
            .iter()
            .find(|k| k.kind == size::Kind::Types)
            .map_or(0, |k| k.bytes);
        let pool = r
            .package("(type descriptors)")
            .map_or(0, |p| p.kinds.get("types").copied().unwrap_or(0));
        assert_eq!(kind, pool, "{name}");
        assert!(kind > 0, "{name}");
    }
}
