//! `rabbithole syscalls BIN --to NAME`: paths ranked the way a reader
//! wants them (fewest hops first across all sites, the program's own chain
//! before the runtime's), `--paths N` picking among the paths that pass
//! the syscall asked for (issue #16 item 11), the hop count in the table
//! and in each header equal to the hops printed, and a clear message when
//! no chain of direct calls reaches the syscall (`connect`).

use std::path::PathBuf;
use std::process::{Command, Output};

fn syscalls(bin: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_rabbithole"))
        .arg("syscalls")
        .arg(
            PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                .join("tests/fixtures/bin")
                .join(bin),
        )
        .args(args)
        .output()
        .unwrap()
}

/// Each path of the text output: its header and its hop lines.
fn blocks(text: &str) -> Vec<(String, Vec<String>)> {
    let mut out: Vec<(String, Vec<String>)> = Vec::new();
    for l in text.lines() {
        if l.starts_with("path ") {
            out.push((l.to_string(), Vec::new()));
        } else if l.starts_with("    start") || l.starts_with("  → ") {
            out.last_mut().unwrap().1.push(l.to_string());
        }
    }
    out
}

fn hop_count(header: &str) -> usize {
    let (_, rest) = header.split_once(" (").unwrap();
    rest.split_once(" hops)").unwrap().0.parse().unwrap()
}

#[test]
fn paths_filter_by_number_before_picking_n() {
    let o = syscalls(
        "calls-go1.27-linux-amd64",
        &["--to", "openat", "--paths", "1"],
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let text = String::from_utf8_lossy(&o.stdout);
    let b = blocks(&text);
    assert_eq!(b.len(), 1, "{text}");
    assert!(b[0].0.contains("to openat (number 257)"), "{text}");
    assert!(b[0].1[0].contains("start       main.main"), "{text}");
    // fcntl's number is loaded far above Syscall6, which the shortest
    // paths reach with other numbers.
    let o = syscalls(
        "files_net-go1.27-linux-amd64",
        &["--to", "fcntl", "--paths", "1"],
    );
    let text = String::from_utf8_lossy(&o.stdout);
    let b = blocks(&text);
    assert_eq!(b.len(), 1, "{text}");
    assert!(b[0].0.contains("to fcntl (number 72)"), "{text}");
}

#[test]
fn ranked_across_sites_with_true_hop_counts() {
    for (bin, to) in [
        ("calls-go1.27-linux-amd64", "write"),
        ("files_net-go1.27-linux-amd64", "openat"),
        ("syscall_minimal-go1.27-darwin-arm64", "write"),
    ] {
        let o = syscalls(bin, &["--to", to, "--paths", "12"]);
        let text = String::from_utf8_lossy(&o.stdout);
        let b = blocks(&text);
        assert!(!b.is_empty(), "{bin}: {text}");
        let counts: Vec<usize> = b.iter().map(|(h, _)| hop_count(h)).collect();
        for (h, hops) in &b {
            assert_eq!(hop_count(h), hops.len(), "{bin}: {h}");
        }
        assert!(
            counts.windows(2).all(|w| w[0] <= w[1]),
            "{bin}: not shortest first: {counts:?}"
        );
        // The table says how many hops the shortest path to a site prints.
        let table = String::from_utf8_lossy(&syscalls(bin, &[]).stdout).to_string();
        let addr = b[0]
            .0
            .split(" at ")
            .nth(1)
            .unwrap()
            .split(' ')
            .next()
            .unwrap();
        let row = table
            .lines()
            .find(|l| l.starts_with(addr))
            .unwrap_or_else(|| panic!("{bin}: no row for {addr}"));
        assert!(
            row.ends_with(&format!("(shortest {} hops)", counts[0])),
            "{bin}: {row}"
        );
    }
    // darwin: the program's own chain first, not the panic printer's.
    let o = syscalls("syscall_minimal-go1.27-darwin-arm64", &["--to", "write"]);
    let text = String::from_utf8_lossy(&o.stdout);
    let first = &blocks(&text)[0].1;
    assert!(first[1].contains("golang.org/x/sys/unix.Write"), "{text}");
    assert!(
        first.iter().any(|l| l.contains("libc_write_trampoline")),
        "{text}"
    );
    assert!(!first.iter().any(|l| l.contains("runtime.print")), "{text}");
}

#[test]
fn connect_through_a_function_value_is_explained() {
    let o = syscalls("calls-go1.27-linux-amd64", &["--to", "connect"]);
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("no chain of direct calls from main.main reaches connect")
            && err.contains("rabbithole path --syscall connect --"),
        "{err}"
    );
    // From the function that loads connect's number, the chain is there.
    let o = syscalls(
        "calls-go1.27-linux-amd64",
        &["--to", "connect", "--from", "syscall.connect"],
    );
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(text.contains("to connect (number 42)"), "{text}");
    assert!(text.contains("number set by syscall.connect"), "{text}");
}
