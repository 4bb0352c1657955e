//! Names, paths and module strings from a binary never reach the terminal
//! as control sequences: a fixture whose module path holds
//! `ESC[2J ESC]0;TITLE BEL` (clear screen, set title) goes through every
//! static command, and no output holds an ESC or BEL byte; the text shows
//! them escaped (`\33`) instead.

mod crafted;

use std::ffi::OsStr;

const MODULE: &[u8] = b"example.com/syscall_minimal";
const HOSTILE: &[u8] = b"example.com/\x1b[2J\x1b]0;TITLE\x07x";

/// The crafted fixture, under a name of the test's own (tests run in
/// parallel).
fn hostile_binary(name: &str) -> std::path::PathBuf {
    let bytes = crafted::fixture("syscall_minimal-go1.27-linux-amd64");
    crafted::write(
        "static_escape",
        name,
        &crafted::replace_all(&bytes, MODULE, HOSTILE),
    )
}

fn assert_clean(what: &str, out: &std::process::Output) {
    for (stream, bytes) in [("stdout", &out.stdout), ("stderr", &out.stderr)] {
        assert!(
            !bytes.iter().any(|&b| b == 0x1b || b == 0x07),
            "{what}: control bytes on {stream}:\n{}",
            String::from_utf8_lossy(bytes)
        );
    }
}

#[test]
fn every_static_command_escapes_names_from_the_binary() {
    let bin = hostile_binary("commands");
    let b = bin.as_os_str();
    // main.main's address, file and line carry the module path.
    let funcs = crafted::run(&[OsStr::new("funcs"), b, OsStr::new("^main\\.main$")]);
    assert_clean("funcs", &funcs);
    let text = String::from_utf8(funcs.stdout).unwrap();
    assert!(
        text.contains("example.com/\\33[2J\\33]0;TITLE\\7x/main.go"),
        "{text}"
    );
    let addr = text.split_whitespace().next().unwrap().to_string();
    let runs: Vec<(&str, Vec<&OsStr>)> = vec![
        ("inspect", vec![OsStr::new("inspect"), b]),
        (
            "disasm",
            vec![
                OsStr::new("disasm"),
                b,
                OsStr::new("-s"),
                OsStr::new("^main\\.main$"),
            ],
        ),
        (
            "disasm --syntax gnu",
            vec![
                OsStr::new("disasm"),
                b,
                OsStr::new("--syntax"),
                OsStr::new("gnu"),
                OsStr::new("-s"),
                OsStr::new("^main\\.main$"),
            ],
        ),
        (
            "size",
            vec![
                OsStr::new("size"),
                b,
                OsStr::new("--by"),
                OsStr::new("module"),
            ],
        ),
        (
            "addr2line",
            vec![OsStr::new("addr2line"), b, OsStr::new(&addr)],
        ),
        ("syscalls", vec![OsStr::new("syscalls"), b]),
        (
            "syscalls --to write",
            vec![
                OsStr::new("syscalls"),
                b,
                OsStr::new("--to"),
                OsStr::new("write"),
            ],
        ),
        ("compare", vec![OsStr::new("compare"), b, b]),
    ];
    let mut escaped = 0;
    for (what, args) in runs {
        let out = crafted::run(&args);
        assert_clean(what, &out);
        if String::from_utf8_lossy(&out.stdout).contains("\\33[2J") {
            escaped += 1;
        }
    }
    // inspect, both disasm listings (file:line), size (module) and
    // addr2line show the path; the others must merely stay clean.
    assert!(
        escaped >= 5,
        "only {escaped} outputs showed the escaped path"
    );
}

#[test]
fn json_keeps_the_string_and_escapes_it_as_json() {
    let bin = hostile_binary("json");
    let out = crafted::run(&[OsStr::new("inspect"), bin.as_os_str(), OsStr::new("--json")]);
    assert_clean("inspect --json", &out);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let text = v.to_string();
    assert!(
        text.contains("example.com/\\u001b[2J\\u001b]0;TITLE\\u0007x"),
        "{text}"
    );
}

#[test]
fn file_names_in_error_messages_are_escaped() {
    let out = crafted::run(&[OsStr::new("inspect"), OsStr::new("/nonexistent/\x1b[2Jx")]);
    assert_eq!(out.status.code(), Some(2));
    assert_clean("error", &out);
    assert_eq!(
        String::from_utf8(out.stderr).unwrap(),
        "rabbithole: /nonexistent/\\33[2Jx: no such file\n"
    );
}
