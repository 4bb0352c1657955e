//! Trace output files never write through a symbolic link someone else
//! planted: `-o FILE` follows only a link the running user owns, `-ff`
//! files (`FILE.TID`) follow none.

mod trace_support;

use std::path::Path;
use std::process::Command;
use trace_support::*;

/// A fresh directory with a victim file and the path of a link to it.
fn setup(tag: &str) -> (std::path::PathBuf, std::path::PathBuf) {
    let dir = tmp(&format!("links-{tag}"));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let victim = dir.join("victim");
    std::fs::write(&victim, "precious\n").unwrap();
    (dir, victim)
}

fn trace(args: &[&str]) -> std::process::Output {
    run(
        Command::new(rabbithole())
            .args(["trace", "--backend", "ptrace"])
            .args(args),
        30,
    )
}

fn link(victim: &Path, at: &Path, owner: Option<u32>) {
    std::os::unix::fs::symlink(victim, at).unwrap();
    if let Some(uid) = owner {
        std::os::unix::fs::lchown(at, Some(uid), None).unwrap();
    }
}

#[test]
fn o_refuses_a_link_someone_else_owns() {
    let (dir, victim) = setup("other");
    let out_path = dir.join("trace.txt");
    link(&victim, &out_path, Some(54321));
    let out = trace(&["-o", out_path.to_str().unwrap(), "--", "true"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("owned by uid 54321"), "{err}");
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious\n");
}

#[test]
fn o_follows_the_users_own_link() {
    let (dir, victim) = setup("own");
    let out_path = dir.join("trace.txt");
    link(&victim, &out_path, None);
    let out = trace(&["-o", out_path.to_str().unwrap(), "--", "true"]);
    assert_eq!(out.status.code(), Some(0));
    let written = std::fs::read_to_string(&victim).unwrap();
    assert!(written.contains("+++ exited with 0 +++"), "{written}");
}

#[test]
fn ff_files_follow_no_link() {
    let (dir, victim) = setup("ff");
    let base = dir.join("t");
    // The next pids the kernel hands out: a link waits at every FILE.TID
    // the traced program can get.
    let last: i32 = std::fs::read_to_string("/proc/sys/kernel/ns_last_pid")
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    for pid in last + 1..last + 400 {
        link(&victim, &dir.join(format!("t.{pid}")), None);
    }
    let out = trace(&["-ff", "-o", base.to_str().unwrap(), "--", "true"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("writing the trace"), "{err}");
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious\n");
}
