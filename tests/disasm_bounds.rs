//! `disasm` on damaged or hostile input stays bounded: a function whose
//! size is corrupt ends at the next function, `--json` streams in bounded
//! memory, and `--source` reads only regular Go source files.

mod crafted;

use std::ffi::OsStr;

const FIXTURE: &str = "syscall_minimal-go1.27-linux-amd64";

fn disasm(bin: &std::path::Path, extra: &[&str]) -> std::process::Output {
    let mut args = vec![OsStr::new("disasm"), bin.as_os_str()];
    args.extend(extra.iter().map(OsStr::new));
    crafted::run(&args)
}

#[test]
fn a_corrupt_symbol_size_ends_at_the_next_function() {
    let mut bytes = crafted::fixture(FIXTURE);
    let at = crafted::elf_symbol_size_at(&bytes, "main.main");
    bytes[at..at + 8].copy_from_slice(&0x7fff_ffffu64.to_le_bytes());
    let bad = crafted::write("disasm_bounds", "huge_main", &bytes);
    let good = crafted::fixture_path(FIXTURE);
    let want = disasm(&good, &["-s", "^main\\.main$"]);
    let got = disasm(&bad, &["-s", "^main\\.main$"]);
    assert_eq!(got.status.code(), Some(0));
    let (want, got) = (
        String::from_utf8(want.stdout).unwrap(),
        String::from_utf8(got.stdout).unwrap(),
    );
    // Up to the next function: main.main's code, then only the INT3
    // padding before the next symbol (at most 16-byte alignment).
    let extra = got.strip_prefix(&want).expect("the true listing first");
    assert!(extra.lines().all(|l| l.contains("INT $0x3")), "{extra}");
    assert!(extra.lines().count() < 16, "{extra}");
    let json = disasm(&bad, &["-s", "^main\\.main$", "--json"]);
    let v: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    let f = &v["functions"][0];
    let len = f["end"].as_u64().unwrap() - f["addr"].as_u64().unwrap();
    assert!(len < 96 + 16, "main.main listed over {len} bytes");
}

/// Runs `disasm --json` of the largest fixture with the data segment
/// (heap included) limited to `kb`: the whole document held at once
/// (24 MB of JSON, 71 MB of heap) cannot fit, a stream can.
#[test]
fn json_streams_in_bounded_memory() {
    let bin = crafted::fixture_path("files_net-go1.27-linux-amd64");
    let out = std::process::Command::new("sh")
        .arg("-c")
        .arg("ulimit -d 48000 && exec \"$0\" disasm --json \"$1\" | wc -c")
        .arg(env!("CARGO_BIN_EXE_rabbithole"))
        .arg(&bin)
        .output()
        .unwrap();
    let bytes: u64 = String::from_utf8_lossy(&out.stdout).trim().parse().unwrap();
    assert!(
        bytes > 20_000_000,
        "{bytes} bytes of JSON; stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn source_reads_only_regular_go_files_and_says_what_it_skipped() {
    // The fixture names its main package's file by its module path; a
    // crafted one points it at a device through a symbolic link, and the
    // listing must neither hang nor read it, and must say so.
    // A short path: it replaces one of the fixture's names in place.
    let link = std::path::PathBuf::from(format!("/tmp/rhz{}.go", std::process::id()));
    let _ = std::fs::remove_file(&link);
    std::os::unix::fs::symlink("/dev/zero", &link).unwrap();
    // Same length as "example.com/syscall_minimal/main.go".
    let target = link.to_str().unwrap();
    let from = b"example.com/syscall_minimal/main.go";
    let mut to = vec![b'/'; from.len() - target.len()];
    to.extend_from_slice(target.as_bytes());
    assert_eq!(
        to.len(),
        from.len(),
        "scratch path too long for the fixture"
    );
    let bytes = crafted::replace_all(&crafted::fixture(FIXTURE), from, &to);
    let bin = crafted::write("disasm_bounds", "zero_source", &bytes);
    let out = disasm(&bin, &["--source", "-s", "^main\\.main$"]);
    assert_eq!(out.status.code(), Some(0));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.contains(&format!(
            "rhz{}.go skipped: not a regular file (a device)",
            std::process::id()
        )),
        "{err}"
    );
}
