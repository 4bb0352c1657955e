//! Syscall sites and paths on the committed fixtures, checked against the
//! reference tools' goldens (gdb `bt` at the write, `go tool objdump`).

use analysis::{Analysis, Number, Path, SiteKind};
use gobin::GoBinary;
use std::io::Read as _;
use std::path::PathBuf;

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures")
}

fn load(name: &str) -> Vec<u8> {
    std::fs::read(fixtures().join("bin").join(name)).expect("fixture")
}

fn golden_gz(name: &str) -> String {
    let f = std::fs::File::open(fixtures().join("golden").join(name)).expect("golden");
    let mut s = String::new();
    flate2::read::GzDecoder::new(f)
        .read_to_string(&mut s)
        .expect("gunzip");
    s
}

fn write_paths(name: &str, nr: u64) -> Vec<Path> {
    let data = load(name);
    let go = GoBinary::parse(&data).expect("parse");
    let an = Analysis::new(&go, None);
    let from = an.function("main.main").expect("main.main");
    let mut out = Vec::new();
    for s in &an.sites {
        out.extend(an.paths_to(from, s.addr, 3, Some(nr)));
    }
    out
}

fn chain(p: &Path) -> Vec<(String, String)> {
    p.hops
        .iter()
        .map(|h| (h.function.clone(), h.via.clone()))
        .collect()
}

/// The functions gdb shows at the write (innermost first), without args.
fn gdb_functions(name: &str) -> Vec<String> {
    let text =
        std::fs::read_to_string(fixtures().join("golden").join(format!("{name}.gdb-bt.txt")))
            .expect("gdb golden");
    text.lines()
        .filter_map(|l| {
            let rest = l.split_once(' ')?.1.trim_start();
            let rest = match rest.split_once(" in ") {
                Some((addr, f)) if addr.starts_with("0x") => f,
                _ => rest,
            };
            Some(rest.split(" (").next()?.to_string())
        })
        .collect()
}

fn check_linux_amd64_seed(name: &str, raw: &str) {
    let paths = write_paths(name, 1);
    assert!(!paths.is_empty(), "{name}: no path to write");
    let p = &paths[0];
    let c = chain(p);
    let names: Vec<&str> = c.iter().map(|(f, _)| f.as_str()).collect();
    // The chain of issue 5: main.main -> unix.Write (inlined) -> unix.write
    // -> unix.Syscall (asm, tail jump) -> syscall.Syscall (ABI0 wrapper)
    // -> syscall.Syscall -> syscall.RawSyscall6 -> <raw>.Syscall6.
    assert_eq!(
        names,
        [
            "main.main",
            "golang.org/x/sys/unix.Write",
            "golang.org/x/sys/unix.write",
            "golang.org/x/sys/unix.Syscall",
            "syscall.Syscall",
            "syscall.Syscall",
            "syscall.RawSyscall6",
            raw,
        ],
        "{name}: {c:?}"
    );
    assert_eq!(c[1].1, "inlined");
    assert_eq!(c[4].1, "tail jump");
    assert_eq!(p.hops[3].abi, "ABI0");
    assert!(p.hops[3].asm);
    assert_eq!(p.hops[4].abi, "wrapper");
    // `<ABIInternal>` assembly: the compiler restores no X15 after calling it.
    assert_eq!(p.hops[7].abi, "ABIInternal");
    assert!(p.hops[7].asm);
    assert_eq!(p.number, Some(1));
    assert_eq!(p.name.as_deref(), Some("write"));
    assert_eq!(p.kind, SiteKind::Syscall);
    // gdb's bt at the write shows the same functions, innermost first, minus
    // the tail-jumped unix.Syscall that no stack can show.
    let mut gdb = gdb_functions(name);
    gdb.reverse();
    let without_tail: Vec<&str> = names
        .iter()
        .enumerate()
        .filter(|(i, _)| *i != 3)
        .map(|(_, n)| *n)
        .collect();
    assert_eq!(gdb, without_tail, "{name}: gdb golden");
}

#[test]
fn seed_go127_linux_amd64_path_to_write() {
    check_linux_amd64_seed(
        "syscall_minimal-go1.27-linux-amd64",
        "internal/runtime/syscall/linux.Syscall6",
    );
}

#[test]
fn seed_go124_linux_amd64_path_to_write() {
    check_linux_amd64_seed(
        "syscall_minimal-go1.24-linux-amd64",
        "internal/runtime/syscall.Syscall6",
    );
}

#[test]
fn stripped_twin_same_path() {
    let a = write_paths("syscall_minimal-go1.27-linux-amd64", 1);
    let b = write_paths("syscall_minimal-go1.27-linux-amd64-stripped", 1);
    assert_eq!(chain(&a[0]), chain(&b[0]));
}

#[test]
fn go119_uses_runtime_internal_syscall() {
    let paths = write_paths("syscall_minimal-go1.19-linux-amd64", 1);
    let last = &paths[0].hops.last().unwrap().function;
    assert_eq!(last, "runtime/internal/syscall.Syscall6");
}

#[test]
fn linux_arm64_svc_number_64() {
    let paths = write_paths("syscall_minimal-go1.27-linux-arm64", 64);
    assert!(!paths.is_empty());
    assert_eq!(paths[0].kind, SiteKind::Svc);
    assert_eq!(paths[0].name.as_deref(), Some("write"));
    assert_eq!(paths[0].hops[0].function, "main.main");
}

/// darwin: x/sys loads `libc_write_trampoline_addr`, hands the pointer to
/// syscall.syscall, the runtime switches to g0 in asmcgocall and calls its
/// dispatcher, which calls the trampoline, which jumps to libSystem's
/// `write` stub (go-internals 6.4).
#[test]
fn darwin_arm64_reaches_libsystem_write() {
    for (version, dispatcher) in [
        ("go1.19", "runtime.syscall"),
        ("go1.23", "runtime.syscall"),
        ("go1.27", "runtime.syscallN_trampoline"),
    ] {
        let data = load(&format!("syscall_minimal-{version}-darwin-arm64"));
        let go = GoBinary::parse(&data).expect("parse");
        let an = Analysis::new(&go, None);
        let from = an.function("main.main").unwrap();
        let site = an
            .sites
            .iter()
            .find(|s| {
                s.kind == SiteKind::Libc
                    && s.name.as_deref() == Some("write")
                    && s.function == "libc_write_trampoline"
            })
            .expect("x/sys's libc write site");
        assert_eq!(site.library.as_deref(), Some("/usr/lib/libSystem.B.dylib"));
        let paths = an.paths_to(from, site.addr, 1, None);
        let hops: Vec<(&str, &str)> = paths[0]
            .hops
            .iter()
            .map(|h| (h.function.as_str(), h.via.as_str()))
            .collect();
        let names: Vec<&str> = hops.iter().map(|h| h.0).collect();
        assert_eq!(
            names[..4],
            [
                "main.main",
                "golang.org/x/sys/unix.Write",
                "golang.org/x/sys/unix.write",
                "syscall.syscall"
            ],
            "{version}: {hops:?}"
        );
        let tail = &hops[hops.len() - 5..];
        assert_eq!(
            tail,
            [
                ("runtime.libcCall", "call"),
                ("runtime.asmcgocall", "call"),
                (dispatcher, "indirect call"),
                ("libc_write_trampoline", "indirect call"),
                ("write", "libc import"),
            ],
            "{version}: {hops:?}"
        );
    }
}

/// Every SYSCALL instruction in `go tool objdump`'s listing is a site.
#[test]
fn every_objdump_syscall_is_a_site() {
    for name in [
        "syscall_minimal-go1.27-linux-amd64",
        "syscall_minimal-go1.19-linux-amd64",
        "syscall_minimal-go1.27-linux-arm64",
    ] {
        let listing = golden_gz(&format!("{name}.objdump.txt.gz"));
        let mut want: Vec<u64> = listing
            .lines()
            .filter(|l| l.contains("\tSYSCALL\t") || l.contains("\tSVC $0\t"))
            .filter_map(|l| {
                let addr = l.split('\t').nth(1)?.trim();
                u64::from_str_radix(addr.trim_start_matches("0x"), 16).ok()
            })
            .collect();
        want.sort();
        let data = load(name);
        let go = GoBinary::parse(&data).unwrap();
        let an = Analysis::new(&go, None);
        let got: Vec<u64> = an
            .sites
            .iter()
            .filter(|s| s.kind != SiteKind::Libc)
            .map(|s| s.addr)
            .collect();
        assert!(!want.is_empty());
        assert_eq!(got, want, "{name}");
        // Sites with an inline constant name it.
        assert!(an
            .sites
            .iter()
            .any(|s| matches!(s.number, Number::Constant { .. }) && s.name.is_some()));
    }
}

/// Linux cgo: main.main hands the C wrapper's address to runtime.cgocall,
/// asmcgocall's landing pad calls it on the system stack, and the C code
/// calls `write` through the PLT.
#[test]
fn cgo_reaches_libc_write_through_the_plt() {
    let data = load("cgo_hello-go1.27-linux-amd64");
    let go = GoBinary::parse(&data).expect("parse");
    let an = Analysis::new(&go, None);
    let from = an.function("main.main").unwrap();
    let site = an
        .sites
        .iter()
        .find(|s| s.kind == SiteKind::Libc && s.name.as_deref() == Some("write"))
        .expect("a libc write site");
    assert_eq!(site.library.as_deref(), Some("libc.so.6"));
    assert!(
        site.function.ends_with("_Cfunc_hello_from_c"),
        "{}",
        site.function
    );
    let paths = an.paths_to(from, site.addr, 1, None);
    let hops: Vec<(&str, &str, &str)> = paths[0]
        .hops
        .iter()
        .map(|h| (h.function.as_str(), h.via.as_str(), h.abi.as_str()))
        .collect();
    assert_eq!(hops[0].0, "main.main");
    assert_eq!(hops[1].0, "main._Cfunc_hello_from_c");
    assert_eq!(hops[2].0, "runtime.cgocall");
    let n = hops.len();
    assert_eq!(hops[n - 3].0, "runtime.asmcgocall_landingpad");
    assert_eq!(hops[n - 2].1, "indirect call");
    assert_eq!(hops[n - 2].2, "C");
    assert_eq!(hops[n - 1], ("write", "libc import", "C"));
    // `--to write` on Linux also names C's write: same name, libc import.
    assert!(an
        .sites
        .iter()
        .any(|s| s.kind == SiteKind::Syscall && s.name.as_deref() == Some("write")));
}
