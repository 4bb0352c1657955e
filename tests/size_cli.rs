//! `rabbithole size` and `rabbithole compare` end to end: JSON shape, the
//! text tables, the treemap page rendered by headless Chromium, the
//! article's linux-vs-darwin comparison, stripped twins, and bad input.

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn bin(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/bin")
        .join(name)
}

fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("size_cli");
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

fn rabbithole(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_rabbithole"))
        .args(args)
        .output()
        .unwrap()
}

fn ok_json(args: &[&str]) -> Value {
    let out = rabbithole(args);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn sum(v: &Value, list: &str) -> u64 {
    v[list]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["bytes"].as_u64().unwrap())
        .sum()
}

#[test]
fn json_lists_sum_to_file_size() {
    let p = bin("syscall_minimal-go1.27-linux-amd64");
    let v = ok_json(&["size", "--json", p.to_str().unwrap()]);
    let n = std::fs::metadata(&p).unwrap().len();
    assert_eq!(v["file_size"].as_u64(), Some(n));
    for list in ["kinds", "sections", "packages", "modules"] {
        assert_eq!(sum(&v, list), n, "{list}");
    }
    let kinds: Vec<&str> = v["kinds"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["kind"].as_str().unwrap())
        .collect();
    for k in [
        "code",
        "pclntab",
        "dwarf",
        "symbols",
        "headers",
        "padding",
        "bss",
        "unattributed",
    ] {
        assert!(kinds.contains(&k), "{k} in {kinds:?}");
    }
    let bss = v["kinds"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["kind"] == "bss")
        .unwrap();
    assert_eq!(bss["bytes"], 0);
    assert!(bss["memory"].as_u64().unwrap() > 100_000);
    let pkgs = v["packages"].as_array().unwrap();
    let main = pkgs.iter().find(|p| p["package"] == "main").unwrap();
    assert_eq!(main["class"], "main");
    assert_eq!(main["module"], "example.com/syscall_minimal");
    assert!(main["code"].as_u64().unwrap() > 0);
    let unix = pkgs
        .iter()
        .find(|p| p["package"] == "golang.org/x/sys/unix")
        .unwrap();
    assert_eq!(unix["class"], "dependency");
    assert_eq!(unix["module"], "golang.org/x/sys");
    assert_eq!(pkgs[0]["package"], "runtime");
}

#[test]
fn text_tables() {
    let p = bin("syscall_minimal-go1.23-darwin-arm64");
    let p = p.to_str().unwrap();
    let out = rabbithole(&["size", p]);
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8(out.stdout).unwrap();
    for want in [
        "KIND",
        "MODULE",
        "PACKAGE",
        "code signature",
        "runtime",
        "█",
        "total",
    ] {
        assert!(text.contains(want), "{want}:\n{text}");
    }
    for (by, want) in [
        ("section", "__TEXT,__text"),
        ("kind", "memory only"),
        ("package", "golang.org/x/sys/unix"),
        ("module", "golang.org/x/sys"),
    ] {
        let out = rabbithole(&["size", "--by", by, p]);
        let text = String::from_utf8(out.stdout).unwrap();
        assert!(text.contains(want), "--by {by}: {want}:\n{text}");
        let total = text.lines().find(|l| l.starts_with("total")).unwrap();
        assert!(
            total.contains("1913442") && total.contains("100.0%"),
            "{total}"
        );
    }
}

fn chromium() -> &'static str {
    for c in ["chromium", "chromium-browser"] {
        if Command::new(c).arg("--version").output().is_ok() {
            return c;
        }
    }
    panic!("the treemap test needs Chromium: apt-get install -y chromium");
}

/// The page is self-contained (no URL to fetch), and Chromium lays the
/// rectangles out: the page's own script counts the rectangles with an
/// area inside the treemap and writes the count into the DOM.
#[test]
fn html_treemap_renders_in_headless_chromium() {
    let page = scratch("treemap.html");
    let p = bin("syscall_minimal-go1.27-darwin-arm64");
    let out = rabbithole(&[
        "size",
        "--json",
        "--html",
        page.to_str().unwrap(),
        p.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let html = std::fs::read_to_string(&page).unwrap();
    for banned in ["http://", "https://", "<link", "src="] {
        assert!(
            !html.contains(banned),
            "page is not self-contained: {banned}"
        );
    }
    let nonempty = report["packages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["bytes"].as_u64().unwrap() > 0)
        .count();
    let dom = Command::new(chromium())
        .args(["--headless", "--no-sandbox", "--disable-gpu", "--dump-dom"])
        .arg(format!("file://{}", page.display()))
        .output()
        .unwrap();
    assert!(dom.status.success());
    let dom = String::from_utf8_lossy(&dom.stdout);
    let rects = dom.matches("class=\"tm-rect\"").count();
    assert_eq!(rects, nonempty, "one rectangle per package");
    assert!(dom.contains("data-package=\"runtime\""));
    assert!(dom.contains("data-package=\"golang.org/x/sys/unix\""));
    assert!(dom.contains("data-package=\"(code signature)\""));
    let attr = |name: &str| -> f64 {
        let at = dom
            .find(&format!("{name}=\""))
            .unwrap_or_else(|| panic!("{name} not set: the script did not run"));
        let rest = &dom[at + name.len() + 2..];
        rest[..rest.find('"').unwrap()].parse().unwrap()
    };
    // Nearly all rectangles get visible area (slivers of a few bytes may
    // round to nothing) and together they fill most of the 1200x720 map.
    let rendered = attr("data-rendered-rects");
    assert!(
        rendered >= nonempty as f64 * 0.8,
        "{rendered} of {nonempty}"
    );
    let area = attr("data-rendered-area");
    assert!(
        area > 0.85 * 1200.0 * 720.0 && area <= 1200.0 * 720.0,
        "{area}"
    );
}

fn compare_json(a: &str, b: &str) -> Value {
    ok_json(&[
        "compare",
        "--json",
        bin(a).to_str().unwrap(),
        bin(b).to_str().unwrap(),
    ])
}

fn row<'a>(v: &'a Value, fact: &str) -> &'a Value {
    v["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["fact"] == fact)
        .unwrap_or_else(|| panic!("no row {fact}"))
}

/// The article's question: the static Linux binary is smaller than the
/// libc-linked Mac one. The rows name the differences and the size rows
/// account for every byte of the difference.
#[test]
fn compare_linux_and_darwin_seed() {
    for v in ["go1.27", "go1.23"] {
        let a = format!("syscall_minimal-{v}-linux-amd64");
        let b = format!("syscall_minimal-{v}-darwin-arm64");
        let c = compare_json(&a, &b);
        assert_eq!(row(&c, "format")["a"], "elf");
        assert_eq!(row(&c, "format")["b"], "macho");
        assert_eq!(row(&c, "arch")["b"], "arm64");
        assert_eq!(row(&c, "os")["b"], "darwin");
        assert_eq!(row(&c, "go version")["a"], row(&c, "go version")["b"]);
        assert_eq!(row(&c, "linking")["a"], "static");
        assert!(row(&c, "linking")["b"]
            .as_str()
            .unwrap()
            .starts_with("dynamic (libSystem.B.dylib"));
        assert_eq!(row(&c, "syscall mechanism")["a"], "raw (SYSCALL)");
        assert_eq!(row(&c, "syscall mechanism")["b"], "libc");
        let pa = row(&c, "path to write")["a"].as_str().unwrap();
        let pb = row(&c, "path to write")["b"].as_str().unwrap();
        assert!(
            pa.starts_with("main.main → unix.Write → unix.write"),
            "{pa}"
        );
        assert!(pa.ends_with("→ SYSCALL"), "{pa}");
        assert!(
            pb.starts_with("main.main → unix.Write → unix.write → syscall.syscall"),
            "{pb}"
        );
        assert!(pb.contains("libc_write_trampoline → write"), "{pb}");
        assert!(pb.ends_with("libc libSystem.B.dylib"), "{pb}");
        // Size: the total diff is the file size diff, and the kind rows
        // add up to it.
        let na = std::fs::metadata(bin(&a)).unwrap().len() as i64;
        let nb = std::fs::metadata(bin(&b)).unwrap().len() as i64;
        let total = row(&c, "size: total");
        assert_eq!(total["diff"].as_i64(), Some(nb - na));
        let kinds: Vec<&Value> = c["rows"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| {
                r["fact"].as_str().unwrap().starts_with("size: ") && r["fact"] != "size: total"
            })
            .collect();
        assert_eq!(
            kinds
                .iter()
                .map(|r| r["diff"].as_i64().unwrap())
                .sum::<i64>(),
            nb - na
        );
        // Largest movers first.
        let d: Vec<i64> = kinds
            .iter()
            .map(|r| r["diff"].as_i64().unwrap().abs())
            .collect();
        assert!(d.windows(2).all(|w| w[0] >= w[1]), "{d:?}");
        // Where it comes from: only the Mac binary has dynamic-linking
        // tables and a code signature.
        assert_eq!(row(&c, "size: dynamic linking")["a"], "0");
        assert!(row(&c, "size: code signature")["diff"].as_i64().unwrap() > 10_000);
        assert!(row(&c, "size: code")["diff"].as_i64().unwrap() > 0);
        // Both size reports come along.
        assert_eq!(c["a_size"]["file_size"].as_i64(), Some(na));
        assert_eq!(c["b_size"]["file_size"].as_i64(), Some(nb));
        assert!(c["summary"].as_str().unwrap().starts_with("B is"));
    }
}

#[test]
fn compare_stripped_twins_differ_in_symbols_and_dwarf_only() {
    for base in [
        "syscall_minimal-go1.27-linux-amd64",
        "syscall_minimal-go1.19-linux-amd64",
        "syscall_minimal-go1.27-darwin-arm64",
    ] {
        let c = compare_json(base, &format!("{base}-stripped"));
        assert_eq!(row(&c, "stripped")["a"], "no");
        assert_eq!(row(&c, "stripped")["b"], "yes");
        assert_eq!(row(&c, "dwarf")["b"], "no");
        assert_eq!(row(&c, "path to write")["a"], row(&c, "path to write")["b"]);
        // Before Go 1.25 type descriptors sit in .rodata, told apart by
        // their symbols only: stripped, they are rodata again, byte for
        // byte (issue 16: the kind `types` is the type descriptors).
        let diff = |kind: &str| {
            c["rows"]
                .as_array()
                .unwrap()
                .iter()
                .find(|r| r["fact"] == format!("size: {kind}"))
                .map_or(0, |r| r["diff"].as_i64().unwrap())
        };
        assert_eq!(diff("rodata"), -diff("types"), "{base}: rodata vs types");
        for r in c["rows"].as_array().unwrap() {
            let fact = r["fact"].as_str().unwrap();
            if let Some(kind) = fact.strip_prefix("size: ") {
                assert!(
                    [
                        "total",
                        "symbols",
                        "dwarf",
                        "headers",
                        "padding",
                        "code signature",
                        "rodata",
                        "types"
                    ]
                    .contains(&kind),
                    "{base}: {fact} changed"
                );
            }
            // Per package only the symbol-table share moves (and bytes that
            // symbols attributed to packages, now in shared pools).
            if fact.starts_with("package: ") && !fact.starts_with("package: (") {
                let pkg = &fact["package: ".len()..];
                let find = |side: &str| {
                    c[side]["packages"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .find(|p| p["package"] == pkg)
                        .map_or(0, |p| p["code"].as_u64().unwrap())
                };
                assert_eq!(find("a_size"), find("b_size"), "{base}: {pkg} code");
            }
        }
        let sym = row(&c, "size: symbols")["diff"].as_i64().unwrap();
        let dwarf = row(&c, "size: dwarf")["diff"].as_i64().unwrap();
        assert!(sym < 0 && dwarf < 0);
    }
}

#[test]
fn compare_text_table() {
    let a = bin("syscall_minimal-go1.27-linux-amd64");
    let b = bin("syscall_minimal-go1.27-darwin-arm64");
    let out = rabbithole(&["compare", a.to_str().unwrap(), b.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8(out.stdout).unwrap();
    for want in [
        "FACT",
        "syscall mechanism",
        "path to write",
        "size: code signature",
        "package: runtime",
        "B is 89064 bytes larger",
    ] {
        assert!(text.contains(want), "{want}:\n{text}");
    }
}

fn expect_error(args: &[&str], mentions: &str) {
    let out = rabbithole(args);
    assert_eq!(out.status.code(), Some(2), "{args:?}");
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.lines().count(), 1, "{args:?}: {err}");
    assert!(err.contains(mentions), "{args:?}: {err}");
    assert!(!err.contains("panicked"));
}

#[test]
fn bad_input_is_one_line_and_exit_2() {
    let empty = scratch("empty");
    std::fs::write(&empty, b"").unwrap();
    let text = scratch("text");
    std::fs::write(&text, b"#!/bin/sh\necho hi\n").unwrap();
    let real = std::fs::read(bin("syscall_minimal-go1.27-linux-amd64")).unwrap();
    let cut = scratch("truncated");
    std::fs::write(&cut, &real[..100]).unwrap();
    for p in [&empty, &text, &cut] {
        let s = p.to_str().unwrap();
        expect_error(&["size", s], s);
        expect_error(
            &[
                "compare",
                s,
                bin("syscall_write-go1.27-linux-amd64").to_str().unwrap(),
            ],
            s,
        );
    }
    expect_error(&["size", "/nonexistent/x"], "/nonexistent/x");
    // Damaged but parseable files still add up (or fail cleanly).
    for (i, at) in [0x40usize, 0x1000, real.len() / 2, real.len() - 4096]
        .iter()
        .enumerate()
    {
        let mut bytes = real.clone();
        for (j, b) in bytes.iter_mut().skip(*at).take(4096).enumerate() {
            *b ^= (j as u8).wrapping_mul(37) | 1;
        }
        let p = scratch(&format!("damaged{i}"));
        std::fs::write(&p, &bytes).unwrap();
        let out = rabbithole(&["size", "--json", p.to_str().unwrap()]);
        match out.status.code() {
            Some(0) => {
                let v: Value = serde_json::from_slice(&out.stdout).unwrap();
                assert_eq!(sum(&v, "kinds"), bytes.len() as u64);
                assert_eq!(sum(&v, "packages"), bytes.len() as u64);
            }
            Some(2) => assert_eq!(String::from_utf8_lossy(&out.stderr).lines().count(), 1),
            other => panic!("damaged{i}: exit {other:?}"),
        }
    }
}

/// `compare plain stripped` says what each package's difference is made
/// of: the runtime loses symbol-table bytes, not code (issue 16).
#[test]
fn compare_says_what_a_package_delta_is_made_of() {
    let base = "syscall_minimal-go1.27-linux-amd64";
    let c = compare_json(base, &format!("{base}-stripped"));
    let runtime = row(&c, "package: runtime");
    let made_of = runtime["made_of"].as_array().unwrap();
    let sum: i64 = made_of.iter().map(|k| k[1].as_i64().unwrap()).sum();
    assert_eq!(sum, runtime["diff"].as_i64().unwrap());
    assert_eq!(made_of[0][0], "symbols");
    assert!(!made_of.iter().any(|k| k[0] == "code"), "{made_of:?}");
    let out = rabbithole(&[
        "compare",
        bin(base).to_str().unwrap(),
        bin(&format!("{base}-stripped")).to_str().unwrap(),
    ]);
    let text = String::from_utf8(out.stdout).unwrap();
    let line = text
        .lines()
        .find(|l| l.starts_with("package: runtime "))
        .unwrap();
    assert!(line.contains("(symbols -"), "{line}");
}
