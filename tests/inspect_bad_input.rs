//! Bad input to `inspect`: a one-line error naming the file and exit code 2,
//! or (for damage the readers can step around) a degraded report; never a
//! panic, a signal, or a hang.

use std::path::{Path, PathBuf};
use std::process::Command;

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/bin")
            .join(name),
    )
    .unwrap()
}

fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("inspect_bad_input");
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

/// Deterministic bytes (xorshift), so failures reproduce.
fn noise(seed: u64, n: usize) -> Vec<u8> {
    let mut x = seed | 1;
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

enum Outcome {
    Error(String),
    Report(serde_json::Value),
}

/// Runs the built binary; fails the test on a panic, a signal, or any exit
/// other than 0 (with valid JSON) or 2 (with one line naming the file).
fn run(path: &Path, json: bool) -> Outcome {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_rabbithole"));
    cmd.arg("inspect");
    if json {
        cmd.arg("--json");
    }
    let out = cmd.arg(path).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let shown = path.display().to_string();
    match out.status.code() {
        Some(0) => {
            assert!(stderr.is_empty(), "{shown}: stderr on success: {stderr}");
            if json {
                Outcome::Report(
                    serde_json::from_slice(&out.stdout)
                        .unwrap_or_else(|e| panic!("{shown}: invalid JSON: {e}")),
                )
            } else {
                Outcome::Report(serde_json::Value::Null)
            }
        }
        Some(2) => {
            assert_eq!(stderr.lines().count(), 1, "{shown}: not one line: {stderr}");
            assert!(
                stderr.starts_with(&format!("rabbithole: {shown}: ")),
                "{shown}: message does not name the file: {stderr}"
            );
            assert!(!stderr.contains("panicked"), "{stderr}");
            assert!(out.stdout.is_empty());
            Outcome::Error(stderr.trim_end().to_string())
        }
        other => panic!("{shown}: exit {other:?}, stderr: {stderr}"),
    }
}

fn expect_error(path: &Path, phrase: &str) {
    for json in [false, true] {
        match run(path, json) {
            Outcome::Error(msg) => assert!(msg.contains(phrase), "{msg:?} lacks {phrase:?}"),
            Outcome::Report(_) => panic!("{}: expected an error", path.display()),
        }
    }
}

#[test]
fn unreadable_inputs_are_one_line_errors() {
    let empty = scratch("empty");
    std::fs::write(&empty, b"").unwrap();
    expect_error(&empty, "empty file");

    let dir = scratch("a_directory");
    std::fs::create_dir_all(&dir).unwrap();
    expect_error(&dir, "is a directory");

    expect_error(&scratch("does-not-exist"), "no such file");

    let random = scratch("random");
    std::fs::write(&random, noise(7, 64 * 1024)).unwrap();
    expect_error(&random, "not an ELF or Mach-O file");

    let script = scratch("script.sh");
    std::fs::write(&script, b"#!/bin/sh\necho hello syscall\n").unwrap();
    expect_error(&script, "not an ELF or Mach-O file");

    // Valid magic, nothing else.
    let elf_magic = scratch("elf-magic-only");
    std::fs::write(&elf_magic, b"\x7fELF\x02\x01\x01").unwrap();
    expect_error(&elf_magic, "malformed");
    let macho_magic = scratch("macho-magic-only");
    std::fs::write(
        &macho_magic,
        [0xcf, 0xfa, 0xed, 0xfe, 0x0c, 0x00, 0x00, 0x01],
    )
    .unwrap();
    expect_error(&macho_magic, "malformed");
}

#[test]
fn truncated_fixtures_through_the_binary() {
    for name in [
        "syscall_minimal-go1.27-linux-amd64",
        "syscall_minimal-go1.27-darwin-arm64-stripped",
        "cgo_hello-go1.27-linux-amd64",
    ] {
        let data = fixture(name);
        for len in [
            16,
            64,
            100,
            4096,
            data.len() / 3,
            data.len() / 2,
            data.len() - 1,
        ] {
            let p = scratch(&format!("{name}.trunc{len}"));
            std::fs::write(&p, &data[..len]).unwrap();
            // Either outcome is acceptable; `run` checks its form.
            let _ = run(&p, true);
            let _ = run(&p, false);
        }
    }
}

/// In-process sweep over many mutations (the binary spawns too slowly for
/// thousands): the readers must return, Ok or Err, for every one.
fn sweep(name: &str, seed: u64) -> (usize, usize) {
    let data = fixture(name);
    let (mut ok, mut err) = (0, 0);
    let mut check = |bytes: &[u8]| match gobin::report::inspect(bytes) {
        Ok(r) => {
            serde_json::to_string(&r).unwrap();
            ok += 1;
        }
        Err(e) => {
            let msg = e.to_string();
            assert!(!msg.is_empty() && !msg.contains('\n'), "{msg:?}");
            err += 1;
        }
    };
    // Truncations: dense near the start (headers, load commands), sparse after.
    let mut lens: Vec<usize> = (0..4096).step_by(61).collect();
    lens.extend((1..200).map(|i| data.len() / 200 * i));
    for len in lens {
        check(&data[..len.min(data.len())]);
    }
    // Byte flips: every early offset region, then random positions, with
    // values that stress lengths and offsets (0, 0xff, 0x80, random).
    let r = noise(seed, 4096);
    let mut buf = data.clone();
    let mut offsets: Vec<usize> = (0..1024).step_by(3).collect();
    offsets.extend(
        (0..600)
            .filter_map(|i| gobin::bytes::u32_le(&r, 4 * i))
            .map(|v| v as usize % data.len()),
    );
    for (i, &off) in offsets.iter().enumerate() {
        let v = match i % 4 {
            0 => 0xff,
            1 => 0x00,
            2 => 0x80,
            _ => r[i % r.len()],
        };
        let old = buf[off];
        buf[off] = v;
        check(&buf);
        buf[off] = old;
    }
    (ok, err)
}

#[test]
fn mutated_fixtures_never_panic() {
    for (i, name) in [
        "syscall_minimal-go1.27-linux-amd64",
        "syscall_minimal-go1.27-linux-amd64-pie",
        "syscall_minimal-go1.19-linux-arm64",
        "syscall_minimal-go1.27-darwin-arm64-stripped",
        "syscall_minimal-go1.23-darwin-arm64",
        "cgo_hello-go1.27-linux-amd64",
    ]
    .iter()
    .enumerate()
    {
        let (ok, err) = sweep(name, 0x9e37_79b9 + i as u64);
        // Both outcomes must actually occur, or the sweep tests nothing.
        assert!(ok > 100 && err > 10, "{name}: {ok} reports, {err} errors");
    }
}

#[test]
fn damaged_build_info_degrades_to_a_warning() {
    let name = "syscall_minimal-go1.27-linux-amd64";
    let mut data = fixture(name);
    let off = data
        .windows(14)
        .position(|w| w == gobin::buildinfo::MAGIC)
        .unwrap();
    // Version string length points past the end of the section.
    data[off + 32] = 0x7f;
    data[off + 33] = b'x';
    let p = scratch("bad-buildinfo");
    std::fs::write(&p, &data).unwrap();
    let Outcome::Report(r) = run(&p, true) else {
        panic!("expected a degraded report");
    };
    assert!(r["go"].is_null());
    assert_eq!(r["format"], "elf");
    assert_eq!(r["syscall_mechanism"]["kind"], "raw");
    let warnings = r["warnings"].as_array().unwrap();
    assert!(
        warnings
            .iter()
            .any(|w| w.as_str().unwrap().contains("build info")),
        "{warnings:?}"
    );
}

#[test]
fn fat_macho_reports_each_slice() {
    // A universal file made of two committed thin slices.
    let a = fixture("syscall_minimal-go1.27-darwin-arm64-stripped");
    let b = fixture("syscall_minimal-go1.23-darwin-arm64");
    let align = 1u64 << 14;
    let off_a = align;
    let off_b = (off_a + a.len() as u64).div_ceil(align) * align;
    let mut fat = Vec::new();
    fat.extend_from_slice(&0xcafe_babe_u32.to_be_bytes());
    fat.extend_from_slice(&2u32.to_be_bytes());
    for (off, len) in [(off_a, a.len()), (off_b, b.len())] {
        fat.extend_from_slice(&0x0100_000c_u32.to_be_bytes()); // CPU_TYPE_ARM64
        fat.extend_from_slice(&0u32.to_be_bytes());
        fat.extend_from_slice(&(off as u32).to_be_bytes());
        fat.extend_from_slice(&(len as u32).to_be_bytes());
        fat.extend_from_slice(&14u32.to_be_bytes());
    }
    fat.resize(off_a as usize, 0);
    fat.extend_from_slice(&a);
    fat.resize(off_b as usize, 0);
    fat.extend_from_slice(&b);
    let p = scratch("universal");
    std::fs::write(&p, &fat).unwrap();
    let Outcome::Report(r) = run(&p, true) else {
        panic!("fat file rejected");
    };
    assert_eq!(r["fat"], true);
    let slices = r["slices"].as_array().unwrap();
    assert_eq!(slices.len(), 2);
    assert_eq!(slices[0]["go"]["version"], "go1.27.3");
    assert_eq!(slices[0]["stripped"], true);
    assert_eq!(slices[1]["go"]["version"], "go1.23.3");
    assert_eq!(slices[1]["stripped"], false);
    for s in slices {
        assert_eq!(s["syscall_mechanism"]["kind"], "libc");
    }
    // A slice pointing past the end of the file is an error, not a panic.
    let mut bad = fat.clone();
    bad[16..20].copy_from_slice(&u32::MAX.to_be_bytes());
    std::fs::write(&p, &bad).unwrap();
    expect_error(&p, "fat Mach-O");
}
