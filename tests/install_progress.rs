//! Progress bars appear on a terminal's stderr and nowhere else: not when
//! stderr is a pipe or a file, not with `--json`. The terminal is a
//! pseudo-terminal from util-linux `script`.

mod install_support;

use install_support::{fixture, rabbithole, text, BIN};
use std::process::Command;

/// A whole-binary listing big enough for a bar (thousands of functions).
fn big() -> String {
    fixture("files_net-go1.27-linux-amd64")
        .display()
        .to_string()
}

/// What the terminal shows while `args` runs with stdout to /dev/null.
fn on_a_terminal(args: &str) -> String {
    let out = Command::new("script")
        .args(["-qec", &format!("{BIN} {args} >/dev/null"), "/dev/null"])
        .output()
        .expect("script (util-linux)");
    assert!(out.status.success(), "{}", text(&out));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn disasm_shows_a_bar_on_a_terminal() {
    let screen = on_a_terminal(&format!("disasm {}", big()));
    assert!(screen.contains("disassembling ["), "{screen:?}");
    let total = screen
        .split(" functions")
        .next()
        .and_then(|s| s.rsplit('/').next())
        .unwrap();
    assert!(total.parse::<usize>().unwrap() > 2000, "{screen:?}");
    // Erased at the end: the last thing drawn clears the line.
    assert!(
        screen.ends_with("\r\x1b[2K"),
        "{:?}",
        &screen[screen.len().saturating_sub(80)..]
    );
}

#[test]
fn no_bar_with_json_or_a_filter() {
    for args in [
        format!("disasm --json {}", big()),
        format!("disasm -s main {}", big()),
    ] {
        let screen = on_a_terminal(&args);
        assert_eq!(screen, "", "{args}");
    }
}

#[test]
fn no_bar_when_stderr_is_not_a_terminal() {
    let out = rabbithole(&["disasm", &big()]);
    assert!(out.status.success());
    assert!(out.stdout.len() > 1_000_000);
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
