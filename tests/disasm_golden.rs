//! `rabbithole disasm` against the reference tools' output committed in
//! tests/fixtures/golden: `go tool objdump` (every unstripped fixture),
//! binutils `objdump -d` (linux-amd64) and the stripped twins.
//!
//! Each test prints the ratio and the first mismatching lines, so the gap
//! to the reference stays visible even when the threshold is met.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

fn gunzip(path: &Path) -> String {
    let f = std::fs::File::open(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut s = String::new();
    flate2::read::GzDecoder::new(f)
        .read_to_string(&mut s)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    s
}

fn disasm(bin: &str, extra: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_rabbithole"))
        .arg("disasm")
        .arg(root().join("bin").join(bin))
        .args(extra)
        .output()
        .expect("run rabbithole");
    assert!(
        out.status.success(),
        "rabbithole disasm {bin} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8 output")
}

/// Fixtures with a `go tool objdump` golden.
fn objdump_fixtures() -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(root().join("golden"))
        .expect("golden dir")
        .filter_map(|e| {
            let name = e.ok()?.file_name().into_string().ok()?;
            name.strip_suffix(".objdump.txt.gz").map(str::to_string)
        })
        .collect();
    v.sort();
    v
}

/// Instruction lines (the ones starting with two spaces), keyed by address.
fn instruction_lines(listing: &str) -> std::collections::HashMap<String, &str> {
    listing
        .lines()
        .filter(|l| l.starts_with("  "))
        .filter_map(|l| {
            let addr = l.split('\t').find(|c| c.starts_with("0x"))?;
            Some((addr.to_string(), l))
        })
        .collect()
}

struct Score {
    total: usize,
    same: usize,
    examples: Vec<String>,
}

impl Score {
    fn ratio(&self) -> f64 {
        if self.total == 0 {
            return 0.0;
        }
        self.same as f64 / self.total as f64
    }
}

/// Compares every golden instruction line with ours at the same address,
/// byte for byte (columns, tabs, file:line, hex, text).
fn compare_go(name: &str) -> Score {
    let want = gunzip(&root().join("golden").join(format!("{name}.objdump.txt.gz")));
    let got = disasm(name, &[]);
    let ours = instruction_lines(&got);
    let mut score = Score {
        total: 0,
        same: 0,
        examples: Vec::new(),
    };
    for line in want.lines().filter(|l| l.starts_with("  ")) {
        score.total += 1;
        let addr = line.split('\t').find(|c| c.starts_with("0x")).unwrap_or("");
        match ours.get(addr) {
            Some(&l) if l == line => score.same += 1,
            other => {
                if score.examples.len() < 15 {
                    score.examples.push(format!(
                        "want {line:?}\n     got  {:?}",
                        other.copied().unwrap_or("<none>")
                    ));
                }
            }
        }
    }
    score
}

#[test]
fn go_syntax_matches_go_tool_objdump() {
    let fixtures = objdump_fixtures();
    assert!(
        fixtures.len() >= 10,
        "expected the objdump goldens, found {fixtures:?}"
    );
    let mut failed = Vec::new();
    for name in &fixtures {
        let s = compare_go(name);
        println!(
            "{name}: {}/{} instruction lines equal ({:.3}%)",
            s.same,
            s.total,
            100.0 * s.ratio()
        );
        for e in &s.examples {
            println!("   {e}");
        }
        if s.total == 0 || s.ratio() < 0.995 {
            failed.push(name.clone());
        }
    }
    assert!(failed.is_empty(), "below 99.5%: {failed:?}");
}

#[test]
fn headers_match_go_tool_objdump() {
    // Same functions, same order, same TEXT lines (symbol table order).
    for name in [
        "syscall_minimal-go1.27-linux-amd64",
        "syscall_minimal-go1.27-darwin-arm64",
    ] {
        let want = gunzip(&root().join("golden").join(format!("{name}.objdump.txt.gz")));
        let got = disasm(name, &[]);
        let w: Vec<&str> = want.lines().filter(|l| l.starts_with("TEXT ")).collect();
        let g: Vec<&str> = got.lines().filter(|l| l.starts_with("TEXT ")).collect();
        assert_eq!(w.len(), g.len(), "{name}: number of functions");
        let diff = w.iter().zip(&g).filter(|(a, b)| a != b).count();
        assert_eq!(diff, 0, "{name}: TEXT lines differ");
    }
}

#[test]
fn symbol_filter_matches_go_tool_objdump() {
    let name = "syscall_minimal-go1.27-linux-amd64";
    let want = gunzip(&root().join("golden").join(format!("{name}.objdump.txt.gz")));
    let got = disasm(name, &["-s", "^golang.org/x/sys/unix.write$"]);
    let start = want
        .find("TEXT golang.org/x/sys/unix.write(SB)")
        .expect("in golden");
    let block = &want[start..];
    let end = block.find("\n\n").map_or(block.len(), |i| i + 1);
    assert_eq!(got, &block[..end]);
}

/// binutils text for one instruction: mnemonic and operands, `#` comments
/// dropped, runs of spaces collapsed.
fn norm_gnu(s: &str) -> String {
    let s = s.split(" #").next().unwrap_or(s);
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[test]
fn gnu_syntax_matches_binutils_on_amd64() {
    let mut failed = Vec::new();
    let mut names: Vec<String> = std::fs::read_dir(root().join("golden"))
        .expect("golden dir")
        .filter_map(|e| {
            let n = e.ok()?.file_name().into_string().ok()?;
            n.strip_suffix(".gnu-objdump.txt.gz").map(str::to_string)
        })
        .collect();
    names.sort();
    assert!(!names.is_empty());
    for name in &names {
        let want = gunzip(
            &root()
                .join("golden")
                .join(format!("{name}.gnu-objdump.txt.gz")),
        );
        let got = disasm(name, &["--syntax", "gnu"]);
        let mut ours = std::collections::HashMap::new();
        for l in got.lines().filter(|l| l.starts_with("  ")) {
            let cells: Vec<&str> = l.split('\t').filter(|c| !c.is_empty()).collect();
            if cells.len() >= 4 {
                let addr = u64::from_str_radix(cells[1].trim_start_matches("0x"), 16).unwrap_or(0);
                ours.insert(addr, norm_gnu(cells[3]));
            }
        }
        let (mut total, mut same, mut ex) = (0usize, 0usize, Vec::new());
        for l in want.lines() {
            let Some((a, text)) = l.trim_start().split_once(":\t") else {
                continue;
            };
            let Ok(addr) = u64::from_str_radix(a, 16) else {
                continue;
            };
            let Some(g) = ours.get(&addr) else {
                // binutils decodes across our function boundaries
                // (padding, data); only instructions both list count.
                continue;
            };
            total += 1;
            if *g == norm_gnu(text) {
                same += 1;
            } else if ex.len() < 15 {
                ex.push(format!("{addr:#x}: want {:?} got {g:?}", norm_gnu(text)));
            }
        }
        let r = same as f64 / total.max(1) as f64;
        println!(
            "{name}: {same}/{total} GNU instructions equal ({:.3}%)",
            100.0 * r
        );
        for e in &ex {
            println!("   {e}");
        }
        if total == 0 || r < 0.99 {
            failed.push(name.clone());
        }
    }
    assert!(failed.is_empty(), "below 99%: {failed:?}");
}

#[test]
fn stripped_twin_lists_the_same_code() {
    // Names come from the pclntab instead of the symbol table. What cannot
    // match: data symbols (`sym+off(SB)` operands print as `0x...(IP)`),
    // non-Go text symbols, and functions the table does not describe.
    let pairs = [
        (
            "syscall_minimal-go1.27-linux-amd64",
            "syscall_minimal-go1.27-linux-amd64-stripped",
        ),
        (
            "syscall_minimal-go1.19-linux-amd64",
            "syscall_minimal-go1.19-linux-amd64-stripped",
        ),
        (
            "syscall_minimal-go1.27-darwin-arm64",
            "syscall_minimal-go1.27-darwin-arm64-stripped",
        ),
    ];
    for (full, stripped) in pairs {
        if !root().join("bin").join(stripped).exists() {
            panic!("missing fixture {stripped}");
        }
        let a = disasm(full, &[]);
        let b = disasm(stripped, &[]);
        let la = instruction_lines(&a);
        let lb = instruction_lines(&b);
        let (mut total, mut same, mut ex) = (0usize, 0usize, Vec::new());
        for (addr, l) in &la {
            total += 1;
            // Cells, not padding: a data reference printed as `0x...(IP)`
            // changes the width of its function's columns.
            match lb.get(addr) {
                Some(m) if strip_data_refs(m) == strip_data_refs(l) => same += 1,
                other => {
                    if ex.len() < 10 {
                        ex.push(format!(
                            "want {l:?}\n     got  {:?}",
                            other.copied().unwrap_or("<none>")
                        ));
                    }
                }
            }
        }
        let r = same as f64 / total.max(1) as f64;
        println!(
            "{stripped}: {same}/{total} lines as unstripped ({:.3}%)",
            100.0 * r
        );
        for e in &ex {
            println!("   {e}");
        }
        assert!(r >= 0.99, "{stripped}: {:.3}% equal", 100.0 * r);
    }
}

/// The instruction text with data-symbol operands replaced by a marker, so
/// `runtime.x+8(SB)` (unstripped) and `0x1234(IP)` (stripped) compare equal.
fn strip_data_refs(l: &str) -> String {
    l.split('\t')
        .filter(|c| !c.is_empty())
        .map(|c| {
            c.split(", ")
                .map(|op| {
                    let op = op.rsplit(' ').next().unwrap_or(op);
                    if op.ends_with("(SB)") || op.ends_with("(IP)") {
                        "<mem>"
                    } else {
                        op
                    }
                })
                .collect::<Vec<_>>()
                .join(", ")
        })
        .collect::<Vec<_>>()
        .join("\t")
}

#[test]
fn json_output_is_one_document() {
    let out = disasm(
        "syscall_minimal-go1.27-linux-arm64",
        &["-s", "^main\\.main$", "--json", "--both"],
    );
    let v: serde_json::Value = serde_json::from_str(&out).expect("valid JSON");
    let funcs = v["functions"].as_array().expect("functions");
    assert_eq!(funcs.len(), 1);
    assert_eq!(funcs[0]["name"], "main.main");
    let insts = funcs[0]["instructions"].as_array().expect("instructions");
    assert!(
        insts.iter().any(|i| i["text"] == "JMP main.main(SB)"),
        "{insts:?}"
    );
    assert!(insts.iter().all(|i| i["gnu"].is_string()));
}

/// GNU syntax names a call into the PLT as binutils does (`<free@plt>`),
/// at every instruction binutils names one in the cgo fixture; Go syntax
/// keeps `go tool objdump`'s bare address.
#[test]
fn gnu_syntax_names_plt_entries_like_binutils() {
    let name = "cgo_hello-go1.27-linux-amd64";
    let want =
        std::fs::read_to_string(root().join(format!("golden/{name}.plt-calls.txt"))).unwrap();
    let listing = disasm(name, &["--syntax", "gnu"]);
    let ours: std::collections::HashMap<u64, &str> = listing
        .lines()
        .filter_map(|l| {
            let cells: Vec<&str> = l.split('\t').filter(|c| !c.is_empty()).collect();
            let addr = u64::from_str_radix(cells.get(1)?.trim_start_matches("0x"), 16).ok()?;
            Some((addr, *cells.get(3)?))
        })
        .collect();
    let mut checked = 0;
    for line in want.lines() {
        let (addr, target) = line.split_once(' ').unwrap();
        let addr = u64::from_str_radix(addr, 16).unwrap();
        let text = ours
            .get(&addr)
            .unwrap_or_else(|| panic!("{addr:#x} not listed"));
        assert!(
            text.contains(&format!("<{target}>")),
            "{addr:#x}: {text} (want <{target}>)"
        );
        checked += 1;
    }
    assert!(checked >= 60, "only {checked} PLT calls in the golden");
    let go = disasm(name, &["-s", "^x_cgo_init$"]);
    assert!(!go.contains("@plt"), "{go}");
}
