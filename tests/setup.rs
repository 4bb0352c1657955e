//! The README's promise: its second command runs the whole suite on a fresh
//! Debian machine, and CI runs exactly that command. These checks keep the
//! README, `.ci/run` and `test.sh` from drifting apart.

use std::path::Path;

fn read(rel: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(rel);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The commands of the README's first code block.
fn readme_commands() -> Vec<String> {
    let readme = read("README.md");
    let start = readme
        .find("```sh\n")
        .expect("README opens with a sh block")
        + 6;
    let end = start + readme[start..].find("```").expect("closed block");
    readme[start..end].lines().map(str::to_string).collect()
}

/// Shell lines that do something: no comments, no blank lines.
fn commands_of(script: &str) -> Vec<&str> {
    script
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .collect()
}

#[test]
fn readme_opens_with_a_run_and_the_test_command() {
    let cmds = readme_commands();
    assert_eq!(cmds.len(), 2, "{cmds:?}");
    assert!(cmds[0].starts_with("cargo run --release -- "), "{cmds:?}");
    assert_eq!(cmds[1], "./test.sh");
}

#[test]
fn ci_runs_exactly_the_readme_test_command() {
    let ci = read(".ci/run");
    let lines = commands_of(&ci);
    // Strict mode and moving to the repository root, then the command.
    assert_eq!(
        lines,
        [
            "set -euo pipefail",
            "cd \"$(dirname \"$0\")/..\"",
            &format!("exec {}", readme_commands()[1]),
        ],
        ".ci/run must install nothing and run nothing the README's command does not"
    );
}

/// Every program the tests start besides rabbithole and the fixtures, and
/// the Debian package that brings it (`None`: an essential package of every
/// Debian system: bash, dpkg, bsdutils' `script`, coreutils).
const TOOLS: &[(&str, Option<&str>)] = &[
    ("strace", Some("strace")),
    ("cc", Some("gcc")),
    ("gcc", Some("gcc")),
    ("kill", Some("procps")),
    ("chromium", Some("chromium")),
    ("sh", None),
    ("bash", None),
    ("true", None),
    ("sleep", None),
    ("mkfifo", None),
    ("dpkg", None),
    ("dpkg-deb", None),
    ("script", None),
    ("git", Some("git")),
    ("dpkg-shlibdeps", Some("dpkg-dev")),
    ("strip", Some("binutils")),
    ("groff", Some("groff-base")),
    ("man", Some("man-db")),
    ("zsh", Some("zsh")),
    ("fish", Some("fish")),
];

#[test]
fn test_sh_installs_every_tool_the_tests_start() {
    let script = read("test.sh");
    let list = script
        .lines()
        .find_map(|l| l.trim().strip_prefix("packages=("))
        .and_then(|l| l.strip_suffix(')'))
        .expect("test.sh has one packages=(...) line");
    let packages: Vec<&str> = list.split_whitespace().collect();
    for (tool, package) in TOOLS {
        if let Some(p) = package {
            assert!(
                packages.contains(p),
                "{tool} needs package {p}: not in test.sh"
            );
        }
    }
    // A C test program needs the C library's headers as well as gcc.
    assert!(packages.contains(&"libc6-dev"));

    // Every literal program name started by a test is in the table above,
    // so a new one cannot be added without its package.
    let mut started = Vec::new();
    for dir in ["tests", "tests/trace_support", "crates"] {
        collect_started(
            &Path::new(env!("CARGO_MANIFEST_DIR")).join(dir),
            &mut started,
        );
    }
    assert!(started.iter().any(|t| t == "strace"), "scan found nothing");
    for tool in &started {
        assert!(
            TOOLS.iter().any(|(t, _)| t == tool),
            "tests start `{tool}`: add it and its Debian package to TOOLS and test.sh"
        );
    }
}

/// Names in `Command::new("...")` in every Rust file below `dir` (test
/// code and crates' tests).
fn collect_started(dir: &Path, out: &mut Vec<String>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            if !path.ends_with("target") && !path.ends_with("fixtures") {
                collect_started(&path, out);
            }
        } else if path.extension().is_some_and(|e| e == "rs") {
            let text = std::fs::read_to_string(&path).unwrap_or_default();
            for part in text.split("Command::new(\"").skip(1) {
                if let Some(end) = part.find('"') {
                    let name = &part[..end];
                    // Prose such as `Command::new("...")` names no program.
                    let named = name.starts_with(|c: char| c.is_ascii_alphanumeric());
                    if named && !out.iter().any(|n| n == name) {
                        out.push(name.to_string());
                    }
                }
            }
        }
    }
}
