//! A `path` run driven from a plain `Config`: the seed program to its
//! write, the JSON report read back from `-o FILE`. Needs ptrace (root in
//! the project's environment).

use session::path::{Config, Goroutine};
use std::path::PathBuf;

#[test]
fn seed_write_report() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let bin = root.join("tests/fixtures/bin/syscall_minimal-go1.27-linux-amd64");
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("session-tests");
    std::fs::create_dir_all(&dir).unwrap();
    let out = dir.join("path.json");
    let config = Config {
        command: vec![bin.into()],
        syscall: "write".into(),
        nth: 1,
        goroutine: Goroutine::Main,
        matching: None,
        pid: None,
        explain: false,
        json: true,
        html: None,
        output: Some(out.clone()),
        color: false,
    };
    assert_eq!(session::path::run(&config).expect("path runs"), 0);
    let text = std::fs::read_to_string(&out).unwrap();
    assert!(
        text.starts_with("{\n  \"schema\": \"rabbithole.path/1\",\n"),
        "{text}"
    );
    assert!(
        text.contains("\"text\": \"write(1, \\\"hello syscall\\\\n\\\", 14) = 14\""),
        "{text}"
    );
    assert!(text.contains("\"function\": \"main.main\""), "{text}");
}
