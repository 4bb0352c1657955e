//! A trace session driven from a plain `Config`, no command line: the
//! seed program under ptrace, its lines read back from `-o FILE`. Needs
//! ptrace (root in the project's environment).

use session::trace::{BackendChoice, Config, Output, Target};
use std::path::PathBuf;

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures/bin")
        .join(name)
}

fn out_file(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("session-tests");
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

/// Traces the seed's writes into `file`; the exit code and the lines.
fn trace_writes(file: &str, json: bool) -> (u8, Vec<String>) {
    let out = out_file(file);
    let bin = fixture("syscall_minimal-go1.27-linux-amd64");
    let mut config = Config::new(Target::Spawn(vec![bin.into()]));
    config.follow = true;
    config.backend = BackendChoice::Ptrace;
    config.filter = vec!["trace=write".into()];
    config.output = Output::File(out.clone());
    config.json = json;
    config.quiet = 1;
    let code = session::trace::run(&config).expect("trace runs");
    let text = std::fs::read_to_string(&out).unwrap();
    (code, text.lines().map(str::to_string).collect())
}

/// A line without its `TID ` prefix (`-f -o FILE`, as in strace).
fn body(line: &str) -> &str {
    line.split_once(' ').map_or(line, |(_, b)| b.trim_start())
}

#[test]
fn text_lines_of_the_seed() {
    let (code, lines) = trace_writes("seed.txt", false);
    assert_eq!(code, 0);
    let writes: Vec<&str> = lines
        .iter()
        .map(|l| body(l))
        .filter(|b| b.starts_with("write("))
        .collect();
    assert_eq!(writes.len(), 1, "{lines:#?}");
    assert!(
        writes[0].starts_with("write(1, \"hello syscall\\n\", 14)") && writes[0].ends_with(" = 14"),
        "{lines:#?}"
    );
    // One exit line per thread, the last one the leader's; nothing else
    // but the runtime's preemption signals.
    assert_eq!(body(&lines[lines.len() - 1]), "+++ exited with 0 +++");
    for l in &lines {
        let b = body(l);
        assert!(
            b.starts_with("write(") || b == "+++ exited with 0 +++" || b.starts_with("--- SIGURG "),
            "{l}"
        );
    }
}

#[test]
fn json_lines_of_the_seed_carry_the_schema() {
    let (code, lines) = trace_writes("seed.jsonl", true);
    assert_eq!(code, 0);
    for l in &lines {
        assert!(
            l.starts_with("{\"schema\":\"rabbithole.trace/1\",\"event\":"),
            "{l}"
        );
    }
    let writes: Vec<&String> = lines
        .iter()
        .filter(|l| l.contains("\"syscall\":\"write\""))
        .collect();
    assert_eq!(writes.len(), 1, "{lines:#?}");
    assert!(
        writes[0].contains("\"text\":\"1, \\\"hello syscall\\\\n\\\", 14\",\"ret\":14,"),
        "{}",
        writes[0]
    );
    assert!(
        lines[lines.len() - 1].contains("\"event\":\"exit\""),
        "{lines:#?}"
    );
}
