//! `rabbithole inspect --json` against the reference tools' outputs for
//! every committed fixture: `go version -m` (build info), `readelf -d -l`
//! (linking, entry, PIE), `llvm-objdump --dylibs-used` (Mach-O linking),
//! section headers (sizes), `file` (stripped, DWARF, linking) and
//! `go tool nm` (imports, the function named as syscall evidence).

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

/// Fixture names from the manifest (first column).
fn fixture_names() -> Vec<String> {
    let manifest = std::fs::read_to_string(fixtures().join("bin/MANIFEST.tsv"))
        .expect("tests/fixtures/bin/MANIFEST.tsv");
    let names: Vec<String> = manifest
        .lines()
        .skip(1)
        .filter_map(|l| l.split('\t').next())
        .filter(|n| !n.is_empty())
        .map(String::from)
        .collect();
    assert!(
        names.len() >= 20,
        "manifest lists only {} fixtures",
        names.len()
    );
    names
}

fn golden(name: &str, kind: &str) -> Option<String> {
    std::fs::read_to_string(fixtures().join("golden").join(format!("{name}.{kind}"))).ok()
}

fn inspect_json(name: &str) -> Value {
    let path = fixtures().join("bin").join(name);
    let out = Command::new(env!("CARGO_BIN_EXE_rabbithole"))
        .args(["inspect", "--json"])
        .arg(&path)
        .output()
        .expect("run rabbithole");
    assert!(
        out.status.success(),
        "{name}: exit {:?}: {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{name}: bad JSON: {e}"))
}

/// A module as `go version -m` prints it: path, version, sum, replacement.
#[derive(Debug, PartialEq)]
struct Mod {
    path: String,
    version: String,
    sum: String,
    replace: Option<Box<Mod>>,
}

#[derive(Debug, PartialEq, Default)]
struct VersionM {
    version: String,
    path: String,
    main: Option<Mod>,
    deps: Vec<Mod>,
    settings: Vec<(String, String)>,
}

/// Parses `go version -m` text. Written independently of gobin's parser
/// so the two are checked against each other.
fn parse_version_m(text: &str) -> VersionM {
    let mut lines = text.lines();
    let first = lines.next().expect("first line");
    let (_, version) = first.rsplit_once(": ").expect("FILE: goversion");
    let mut v = VersionM {
        version: version.to_string(),
        ..Default::default()
    };
    let mut last_is_main = false;
    for l in lines {
        let l = l.strip_prefix('\t').unwrap_or(l);
        let f: Vec<&str> = l.split('\t').collect();
        let module = |f: &[&str]| Mod {
            path: f[1].to_string(),
            version: f.get(2).unwrap_or(&"").to_string(),
            sum: f.get(3).unwrap_or(&"").to_string(),
            replace: None,
        };
        match f[0] {
            "path" => v.path = f[1].to_string(),
            "mod" => {
                v.main = Some(module(&f));
                last_is_main = true;
            }
            "dep" => {
                v.deps.push(module(&f));
                last_is_main = false;
            }
            "=>" => {
                let target = if last_is_main {
                    v.main.as_mut()
                } else {
                    v.deps.last_mut()
                };
                target.expect("=> after a module").replace = Some(Box::new(module(&f)));
            }
            "build" => {
                let kv = f[1..].join("\t");
                let (k, val) = kv.split_once('=').expect("key=value");
                let unq = |s: &str| {
                    if s.starts_with('"') {
                        serde_json::from_str::<String>(s).expect("quoted setting")
                    } else {
                        s.to_string()
                    }
                };
                v.settings.push((unq(k), unq(val)));
            }
            "" => {}
            other => panic!("unexpected go version -m line {other:?}"),
        }
    }
    v
}

fn json_mod(m: &Value) -> Option<Mod> {
    if m.is_null() {
        return None;
    }
    Some(Mod {
        path: m["path"].as_str().unwrap().to_string(),
        version: m["version"].as_str().unwrap().to_string(),
        sum: m["sum"].as_str().unwrap().to_string(),
        replace: m.get("replace").and_then(json_mod).map(Box::new),
    })
}

fn json_version_m(go: &Value) -> VersionM {
    VersionM {
        version: go["version"].as_str().unwrap().to_string(),
        path: go["path"].as_str().unwrap().to_string(),
        main: json_mod(&go["main"]),
        deps: go["deps"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| json_mod(d).unwrap())
            .collect(),
        settings: go["settings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| {
                (
                    s["key"].as_str().unwrap().to_string(),
                    s["value"].as_str().unwrap().to_string(),
                )
            })
            .collect(),
    }
}

fn strs(v: &Value) -> Vec<String> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap().to_string())
        .collect()
}

fn hex(s: &str) -> u64 {
    u64::from_str_radix(s.trim_start_matches("0x"), 16).unwrap()
}

#[test]
fn build_info_equals_go_version_m() {
    let mut checked = 0;
    for name in fixture_names() {
        let want = parse_version_m(
            &golden(&name, "version-m.txt")
                .unwrap_or_else(|| panic!("{name}: no version-m golden")),
        );
        let got = inspect_json(&name);
        assert!(!got["go"].is_null(), "{name}: go is null");
        assert_eq!(json_version_m(&got["go"]), want, "{name}");
        assert_eq!(got["go"]["encoding"], "inline", "{name}");
        assert!(
            got.get("warnings").is_none(),
            "{name}: {:?}",
            got["warnings"]
        );
        checked += 1;
    }
    assert!(checked >= 20);
}

#[test]
fn elf_linking_equals_readelf() {
    let mut checked = 0;
    for name in fixture_names().iter().filter(|n| n.contains("-linux-")) {
        let text = golden(name, "readelf-dl.txt").unwrap_or_else(|| panic!("{name}: no readelf"));
        let got = inspect_json(name);
        let mut interp = None;
        let mut needed = Vec::new();
        let mut entry = None;
        let mut pie = None;
        for l in text.lines() {
            if let Some(i) = l.split("[Requesting program interpreter: ").nth(1) {
                interp = Some(i.trim_end_matches(']').to_string());
            }
            if let Some(n) = l.split("Shared library: [").nth(1) {
                needed.push(n.trim_end_matches(']').to_string());
            }
            if let Some(e) = l.strip_prefix("Entry point ") {
                entry = Some(hex(e));
            }
            if let Some(t) = l.strip_prefix("Elf file type is ") {
                pie = Some(t.starts_with("DYN"));
            }
        }
        let link = &got["linking"];
        assert_eq!(link["interpreter"].as_str(), interp.as_deref(), "{name}");
        assert_eq!(strs(&link["needed"]), needed, "{name}");
        let kind = if interp.is_some() || !needed.is_empty() {
            "dynamic"
        } else {
            "static"
        };
        assert_eq!(link["kind"], kind, "{name}");
        assert_eq!(got["entry"].as_u64(), entry, "{name}");
        assert_eq!(got["pie"].as_bool(), pie, "{name}");
        assert_eq!(got["format"], "elf");
        assert_eq!(got["os"], "linux");
        let arch = if name.contains("arm64") {
            "arm64"
        } else {
            "amd64"
        };
        assert_eq!(got["arch"], arch, "{name}");
        checked += 1;
    }
    assert!(checked >= 15);
}

#[test]
fn macho_linking_equals_dylibs_used() {
    let mut checked = 0;
    for name in fixture_names().iter().filter(|n| n.contains("-darwin-")) {
        let text = golden(name, "dylibs.txt").unwrap_or_else(|| panic!("{name}: no dylibs"));
        let want: Vec<String> = text
            .lines()
            .skip(1)
            .filter_map(|l| l.trim().split(" (compatibility").next())
            .filter(|l| !l.is_empty())
            .map(String::from)
            .collect();
        assert!(!want.is_empty());
        let got = inspect_json(name);
        assert_eq!(strs(&got["linking"]["needed"]), want, "{name}");
        assert_eq!(got["linking"]["kind"], "dynamic");
        assert_eq!(got["linking"]["interpreter"], "/usr/lib/dyld");
        assert_eq!(got["format"], "macho");
        assert_eq!(got["os"], "darwin");
        assert_eq!(got["arch"], "arm64");
        checked += 1;
    }
    assert!(checked >= 4);
}

/// (name, address, size) from `readelf -S -W` or `llvm-objdump --macho
/// --section-headers`.
fn golden_sections(text: &str) -> Vec<(String, u64, u64)> {
    let mut out = Vec::new();
    for l in text.lines() {
        if let Some(rest) = l.trim_start().strip_prefix('[') {
            // readelf: [Nr] Name Type Address Off Size ...
            let Some((nr, rest)) = rest.split_once(']') else {
                continue;
            };
            if nr.trim().parse::<u32>().is_err() {
                continue;
            }
            let f: Vec<&str> = rest.split_whitespace().collect();
            if f.len() < 5 || f[1] == "NULL" && f[0] == "NULL" {
                continue;
            }
            if f[0] == "NULL" {
                continue; // the unnamed null section 0
            }
            out.push((f[0].to_string(), hex(f[2]), hex(f[4])));
        } else {
            // llvm-objdump: Idx Name Size VMA Type
            let f: Vec<&str> = l.split_whitespace().collect();
            if f.len() >= 4 && f[0].parse::<u32>().is_ok() {
                out.push((f[1].to_string(), hex(f[3]), hex(f[2])));
            }
        }
    }
    out
}

#[test]
fn section_sizes_equal_section_headers() {
    let mut checked = 0;
    for name in fixture_names() {
        let text = golden(&name, "sections.txt").unwrap_or_else(|| panic!("{name}: no sections"));
        let want = golden_sections(&text);
        assert!(want.len() > 10, "{name}: golden parse found {}", want.len());
        let got = inspect_json(&name);
        let got: Vec<(String, u64, u64)> = got["sections"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| {
                (
                    s["name"].as_str().unwrap().to_string(),
                    s["addr"].as_u64().unwrap(),
                    s["size"].as_u64().unwrap(),
                )
            })
            .collect();
        assert_eq!(got, want, "{name}");
        checked += 1;
    }
    assert!(checked >= 20);
}

#[test]
fn flags_agree_with_file() {
    for name in fixture_names() {
        let Some(file) = golden(&name, "file.txt") else {
            continue;
        };
        let got = inspect_json(&name);
        if file.starts_with("ELF") {
            assert_eq!(
                got["stripped"].as_bool().unwrap(),
                file.contains(", stripped"),
                "{name}"
            );
            assert_eq!(
                got["dwarf"].as_bool().unwrap(),
                file.contains("with debug_info"),
                "{name}"
            );
            let dynamic = file.contains("dynamically linked");
            assert_eq!(
                got["pie"].as_bool().unwrap(),
                file.contains("pie executable")
            );
            if !dynamic {
                assert_eq!(got["linking"]["kind"], "static", "{name}");
            }
        } else {
            assert!(file.starts_with("Mach-O"), "{name}: {file}");
            assert_eq!(
                got["pie"].as_bool().unwrap(),
                file.contains("PIE"),
                "{name}"
            );
        }
        assert_eq!(
            got["stripped"].as_bool().unwrap(),
            name.ends_with("-stripped"),
            "{name}"
        );
    }
}

/// Text symbols from `go tool nm -n -size`: name -> (addr, size).
fn nm_text(name: &str) -> Option<Vec<(String, u64, u64, String)>> {
    let text = golden(name, "nm.txt")?;
    Some(
        text.lines()
            .filter_map(|l| {
                let f: Vec<&str> = l.split_whitespace().collect();
                // Undefined symbols have no size column: `ADDR U _write`.
                if f.len() == 3 && f[1] == "U" {
                    return Some((f[2].to_string(), 0, 0, "U".to_string()));
                }
                if f.len() < 4 {
                    return None;
                }
                Some((
                    f[3..].join(" "),
                    u64::from_str_radix(f[0], 16).ok()?,
                    f[1].parse().ok()?,
                    f[2].to_string(),
                ))
            })
            .collect(),
    )
}

#[test]
fn syscall_mechanism_and_cgo() {
    for name in fixture_names() {
        let got = inspect_json(&name);
        let m = &got["syscall_mechanism"];
        let evidence = strs(&m["evidence"]);
        let cgo = name.starts_with("cgo_");
        assert_eq!(
            got["cgo"].as_bool().unwrap(),
            cgo,
            "{name}: {:?}",
            got["cgo_evidence"]
        );
        if name.contains("-darwin-") {
            assert_eq!(m["kind"], "libc", "{name}");
            assert!(
                evidence.contains(&"imports write from /usr/lib/libSystem.B.dylib".to_string()),
                "{name}: {evidence:?}"
            );
            // The only SVC allowed is the exit fallback in the entry stub
            // of older toolchains.
            assert!(
                evidence
                    .iter()
                    .any(|e| e == "no SVC instruction in the code"
                        || e == "1 SVC instruction in the code, in _rt0_arm64_darwin"),
                "{name}: {evidence:?}"
            );
            // Imports are the undefined symbols go tool nm lists.
            if let Some(nm) = nm_text(&name) {
                let mut want: Vec<String> = nm
                    .iter()
                    .filter(|s| s.3 == "U")
                    .map(|s| s.0.strip_prefix('_').unwrap_or(&s.0).to_string())
                    .collect();
                let mut imports: Vec<String> = got["imports"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|i| i["name"].as_str().unwrap().to_string())
                    .collect();
                want.sort();
                imports.sort();
                assert_eq!(imports, want, "{name}");
            }
            continue;
        }
        let want_kind = if cgo { "raw+libc" } else { "raw" };
        assert_eq!(m["kind"], want_kind, "{name}: {evidence:?}");
        let instr = if name.contains("arm64") {
            "SVC"
        } else {
            "SYSCALL"
        };
        assert_eq!(m["instruction"], instr, "{name}");
        // Where names are available, the evidence names the function that
        // holds the trap, and its address lies inside that function as
        // go tool nm reports it.
        // Function names come from the pclntab, so stripped binaries are
        // covered too; -s -w leaves the code where it was, so a stripped
        // fixture is checked against its unstripped twin's nm.
        assert_eq!(got["function_names"], "pclntab", "{name}");
        assert!(got["go_functions"].as_u64().unwrap() > 1000, "{name}");
        let Some(nm) = nm_text(name.trim_end_matches("-stripped")) else {
            panic!("{name}: no nm golden for it or its twin");
        };
        let raw = evidence
            .iter()
            .find(|e| e.starts_with(&format!("raw {instr} at ")))
            .unwrap_or_else(|| panic!("{name}: no raw evidence in {evidence:?}"));
        let rest = raw.strip_prefix(&format!("raw {instr} at ")).unwrap();
        let (addr, func) = rest.split_once(" in ").unwrap();
        let addr = hex(addr);
        let sym = nm
            .iter()
            .find(|s| s.0 == func || s.0.strip_suffix(".abi0") == Some(func))
            .unwrap_or_else(|| panic!("{name}: {func} not in nm"));
        assert!(
            addr >= sym.1 && addr < sym.1 + sym.2,
            "{name}: {addr:#x} outside {func}"
        );
        let expected_pkg = if name.contains("go1.19") || name.contains("go1.21") {
            "runtime/internal/syscall.Syscall6"
        } else if name.contains("go1.23") || name.contains("go1.24") {
            "internal/runtime/syscall.Syscall6"
        } else {
            "internal/runtime/syscall/linux.Syscall6"
        };
        assert_eq!(func.trim_end_matches(".abi0"), expected_pkg, "{name}");
    }
}

#[test]
fn text_output_is_a_compact_summary() {
    let path = fixtures().join("bin/syscall_minimal-go1.27-linux-amd64");
    let out = Command::new(env!("CARGO_BIN_EXE_rabbithole"))
        .arg("inspect")
        .arg(&path)
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.lines().count() < 25, "{text}");
    for want in [
        "go1.27.3  example.com/syscall_minimal",
        "golang.org/x/sys v0.3.0 => /usr/share/gocode/src/golang.org/x/sys (devel)",
        "linking   static",
        "raw SYSCALL at 0x40c84c in internal/runtime/syscall/linux.Syscall6",
    ] {
        assert!(text.contains(want), "missing {want:?} in\n{text}");
    }
}

#[test]
fn non_go_binary_gets_container_facts_and_null_go() {
    // Any dynamically linked C program will do; every Debian has ls.
    let ls = Path::new("/bin/ls");
    assert!(ls.exists(), "/bin/ls is missing");
    let out = Command::new(env!("CARGO_BIN_EXE_rabbithole"))
        .args(["inspect", "--json"])
        .arg(ls)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let got: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(got["go"].is_null());
    assert_eq!(got["format"], "elf");
    assert_eq!(got["cgo"], false);
    assert_eq!(got["function_names"], "none");
    assert!(got["go_functions"].is_null());
    assert_eq!(got["linking"]["kind"], "dynamic");
    assert!(strs(&got["linking"]["needed"])
        .iter()
        .any(|n| n.starts_with("libc.so")));
    assert_eq!(got["syscall_mechanism"]["kind"], "libc");
    assert!(got["sections"]
        .as_array()
        .unwrap()
        .iter()
        .any(|s| s["name"] == ".text"));
}
