//! `path` on Go programs that start child processes (issue #16, items 1
//! and 2): the children run into the breakpoints (a vfork child shares the
//! program's memory) and inherit the seccomp filter, yet they and the
//! program must behave as untraced, and the report must explain the
//! program's own call. Also: the program's signal masks, limits and
//! environment are as untraced. Needs ptrace (root in the project's
//! environment).

use std::path::PathBuf;
use std::process::{Command, Output};

fn fixture() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/bin/exec_child-go1.27-linux-amd64")
}

fn untraced(mode: &str) -> Output {
    Command::new(fixture())
        .arg(mode)
        .env("NO_COLOR", "1")
        .output()
        .unwrap()
}

/// `path` with `flags`, the report to a file so stdout is the program's.
fn traced(mode: &str, flags: &[&str]) -> (Output, String) {
    let report = std::env::temp_dir().join(format!(
        "rh-path-children-{}-{mode}-{}.txt",
        std::process::id(),
        flags.join("_")
    ));
    let out = Command::new(env!("CARGO_BIN_EXE_rabbithole"))
        .arg("path")
        .args(flags)
        .arg("-o")
        .arg(&report)
        .arg("--")
        .arg(fixture())
        .arg(mode)
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    let text = std::fs::read_to_string(&report).unwrap_or_default();
    let _ = std::fs::remove_file(&report);
    (out, text)
}

#[test]
fn a_vfork_child_survives_the_breakpoints() {
    let plain = untraced("true");
    let (out, report) = traced("true", &[]);
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&plain.stdout)
    );
    assert_eq!(out.status.code(), plain.status.code(), "{report}");
    assert_eq!(plain.status.code(), Some(0));
    assert!(
        report.starts_with("write(1, \"after true\\n\", 11) = 11"),
        "{report}"
    );
    // close's chain goes through syscall.RawSyscall6, which the vfork
    // child runs between clone and execve: it meets the breakpoints.
    let (out, report) = traced("true", &["--syscall", "close"]);
    assert_eq!(
        out.stdout,
        plain.stdout,
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(out.status.code(), Some(0));
    assert!(report.starts_with("close("), "{report}");
}

#[test]
fn a_child_shell_is_not_stopped_by_the_inherited_filter() {
    let plain = untraced("sh");
    assert_eq!(
        String::from_utf8_lossy(&plain.stdout),
        "child ok\nread true <nil>\n"
    );
    // The shell and cat open libraries and files: openat is the filtered
    // call, and it must work in them.
    let (out, report) = traced("sh", &["--syscall", "openat"]);
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&plain.stdout),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(out.status.code(), Some(0));
    // The report is the program's own openat, not one of its children's.
    assert!(
        report.starts_with("openat(AT_FDCWD, \"/etc/hostname\", O_RDONLY|O_CLOEXEC) = 3"),
        "{report}"
    );
    assert!(report.contains("main.main"), "{report}");
    // Same for its write, the default.
    let (out, report) = traced("sh", &[]);
    assert_eq!(out.stdout, plain.stdout);
    assert!(
        report.starts_with("write(1, \"read true <nil>\\n\", 16) = 16"),
        "{report}"
    );
}

/// /proc/self/status signal fields, /proc/self/limits and the environment,
/// of the program and of a child shell, as untraced; and its exit code.
#[test]
fn status_limits_and_environment_are_as_untraced() {
    let plain = untraced("status");
    assert_eq!(plain.status.code(), Some(7));
    let text = String::from_utf8_lossy(&plain.stdout);
    for want in ["SigBlk:", "SigIgn:", "SigCgt:", "Max open files", "env "] {
        assert!(text.contains(want), "{want} in {text}");
    }
    assert_eq!(text.matches("SigIgn:").count(), 2, "the child's too");
    for flags in [&[][..], &["--syscall", "openat"][..]] {
        let (out, _) = traced("status", flags);
        assert_eq!(String::from_utf8_lossy(&out.stdout), text, "{flags:?}");
        assert_eq!(out.status.code(), Some(7), "{flags:?}");
    }
}
