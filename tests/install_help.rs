//! What a new user meets: `rabbithole` alone, `--version`, and the
//! examples every `--help` ends with, each of which must be in the README
//! and must work when typed.

mod install_support;

use install_support::{bash, fixture, ok, rabbithole, scratch, subcommands, text, BIN};
use std::path::Path;
use std::process::Command;

#[test]
fn no_arguments_prints_where_to_start() {
    let out = ok(&[]);
    assert!(out.contains("Start here"), "{out}");
    let commands: Vec<&str> = out
        .lines()
        .filter(|l| l.trim_start().starts_with("rabbithole "))
        .collect();
    assert_eq!(commands.len(), 3, "{out}");
    for c in [
        "rabbithole inspect ./myprog",
        "rabbithole syscalls ./myprog --to write",
        "rabbithole path -- ./myprog",
    ] {
        assert!(out.contains(c), "{c} missing from\n{out}");
    }
}

#[test]
fn version_names_commit_and_backends() {
    let out = ok(&["--version"]);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(
        lines[0],
        format!("rabbithole {}", env!("CARGO_PKG_VERSION"))
    );
    let head = Command::new("git")
        .args(["rev-parse", "HEAD"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    let head = String::from_utf8(head.stdout).unwrap();
    assert_eq!(lines[1], format!("commit: {}", head.trim()), "{out}");
    // The same answer the tracer gives `trace --backend auto`.
    let ebpf = match tracer::ebpf::available() {
        Ok(()) => "ebpf: yes (BTF, BPF ring buffer, bpf() permitted)".to_string(),
        Err(why) => format!("ebpf: no ({why})"),
    };
    assert!(lines.contains(&ebpf.as_str()), "{ebpf:?} not in\n{out}");
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("ptrace: yes (") || l.starts_with("ptrace: no (")),
        "{out}"
    );
    // Every subcommand answers --version the same way.
    assert_eq!(ok(&["trace", "--version"]), out);
}

/// The example command lines at the end of `rabbithole NAME --help`.
fn examples(name: &str) -> Vec<String> {
    let help = ok(&[name, "--help"]);
    let (_, tail) = help
        .split_once("\nExamples:\n")
        .unwrap_or_else(|| panic!("{name}: no examples\n{help}"));
    let lines: Vec<&str> = tail.lines().collect();
    assert_eq!(
        lines.len() % 2,
        0,
        "{name}: an example without its line saying what it shows"
    );
    lines
        .chunks(2)
        .map(|pair| {
            assert!(
                pair[0].starts_with("  ") && pair[1].starts_with("      "),
                "{pair:?}"
            );
            pair[0].trim().to_string()
        })
        .collect()
}

#[test]
fn every_help_ends_with_two_or_three_examples_from_the_readme() {
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    for name in subcommands() {
        let examples = examples(&name);
        assert!((2..=3).contains(&examples.len()), "{name}: {examples:?}");
        for e in examples {
            assert!(e.contains(&format!("rabbithole {name}")), "{name}: {e}");
            assert!(readme.contains(&e), "README.md lacks the example {e:?}");
        }
    }
}

#[test]
fn every_example_works() {
    let dir = scratch("examples");
    let home = dir.join("home");
    for d in [
        ".zfunc",
        ".config/fish/completions",
        ".local/share/man/man1",
    ] {
        std::fs::create_dir_all(home.join(d)).unwrap();
    }
    // ./myprog is the seed program; ./myprog-old the same built by Go 1.23.
    std::fs::copy(
        fixture("syscall_minimal-go1.27-linux-amd64"),
        dir.join("myprog"),
    )
    .unwrap();
    std::fs::copy(
        fixture("syscall_minimal-go1.23-linux-amd64"),
        dir.join("myprog-old"),
    )
    .unwrap();
    let bin_dir = Path::new(BIN).parent().unwrap();
    let path = std::env::join_paths(
        std::iter::once(bin_dir.to_path_buf())
            .chain(std::env::split_paths(&std::env::var_os("PATH").unwrap())),
    )
    .unwrap();
    let mut ran = 0;
    for name in subcommands() {
        for e in examples(&name) {
            let out = bash(&e, &dir, &[("PATH", Path::new(&path)), ("HOME", &home)]);
            assert_eq!(out.status.code(), Some(0), "{e}\n{}", text(&out));
            ran += 1;
        }
    }
    assert!(ran >= 25, "only {ran} examples ran");
    // What the examples that write files wrote.
    for f in ["myprog.s", "path.html", "size.html"] {
        assert!(std::fs::metadata(dir.join(f)).unwrap().len() > 0, "{f}");
    }
    assert!(home.join(".zfunc/_rabbithole").exists());
    assert!(home
        .join(".config/fish/completions/rabbithole.fish")
        .exists());
    assert!(home
        .join(".local/share/man/man1/rabbithole-trace.1")
        .exists());
}

#[test]
fn unknown_flag_is_still_a_usage_error() {
    let out = rabbithole(&["--no-such-flag"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
}
