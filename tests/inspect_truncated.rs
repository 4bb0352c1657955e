//! A cut binary (`head -c N prog > t`) is named as cut by every static
//! command: a degraded report says so in its warnings (text and JSON) and
//! marks the sections whose bytes lie past the end; a file the readers
//! cannot use at all fails in one line that names the truncation.

mod crafted;

use std::ffi::OsStr;

const STRIPPED: &str = "syscall_minimal-go1.27-linux-amd64-stripped";
const UNSTRIPPED: &str = "files_net-go1.27-linux-amd64";

fn cut(name: &str, len: usize) -> (std::path::PathBuf, usize) {
    let whole = crafted::fixture(name);
    let path = crafted::write("inspect_truncated", &format!("{name}-{len}"), &whole[..len]);
    (path, whole.len())
}

fn run(args: &[&str], file: &std::path::Path) -> (i32, String, String) {
    let mut a: Vec<&OsStr> = vec![OsStr::new(args[0]), file.as_os_str()];
    a.extend(args[1..].iter().map(OsStr::new));
    let out = crafted::run(&a);
    (
        out.status.code().unwrap(),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

#[test]
fn a_cut_report_warns_and_marks_the_sections_past_the_end() {
    let (file, whole) = cut(STRIPPED, 1_000_000);
    let want = format!("file truncated: 1000000 bytes where its headers describe {whole}");
    let (code, text, _) = run(&["inspect"], &file);
    assert_eq!(code, 0);
    assert!(text.contains(&format!("  warning   {want}")), "{text}");
    assert!(text.contains("(past the end)"), "{text}");
    assert!(!text.contains("not a Go binary"), "{text}");
    let (code, json, _) = run(&["inspect", "--json"], &file);
    assert_eq!(code, 0);
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert!(v["warnings"][0].as_str().unwrap().starts_with(&want), "{v}");
    assert_eq!(v["truncated"]["described"], whole);
    assert_eq!(v["truncated"]["file_size"], 1_000_000);
    let past: Vec<_> = v["sections"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["past_end"] == true)
        .collect();
    assert!(!past.is_empty(), "{v}");
    // size names it first among its notes.
    let (code, text, _) = run(&["size"], &file);
    assert_eq!(code, 0);
    assert!(text.contains(&format!("note: {want}")), "{text}");
}

#[test]
fn a_cut_file_the_readers_refuse_fails_in_one_line_naming_the_cut() {
    let (bin, whole) = cut(UNSTRIPPED, 1_000_000);
    let want = format!("file truncated: 1000000 bytes where its headers describe {whole}");
    for cmd in ["inspect", "funcs", "disasm", "size"] {
        let (code, out, err) = run(&[cmd], &bin);
        assert_eq!(code, 2, "{cmd}: {out}{err}");
        assert_eq!(err.lines().count(), 1, "{cmd}: {err}");
        assert!(err.contains(&want), "{cmd}: {err}");
    }
    // disasm on a cut stripped file says why there is no text.
    let (stripped, whole) = cut(STRIPPED, 1_000_000);
    let (code, _, err) = run(&["disasm"], &stripped);
    assert_eq!(code, 2);
    assert_eq!(
        err,
        format!(
            "rabbithole: {}: file truncated: 1000000 bytes where its headers describe {whole}: no text section\n",
            stripped.display()
        )
    );
}
