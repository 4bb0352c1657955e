//! Completions and man pages, generated from the clap definitions: the
//! scripts parse and load in their shells, every page renders without a
//! groff warning, and every flag `--help` lists is in its page.

mod install_support;

use install_support::{bash, ok, scratch, subcommands, text, BIN};
use std::path::Path;
use std::process::Command;

#[test]
fn bash_completion_parses_and_registers() {
    let dir = scratch("bash");
    let script = dir.join("rabbithole.bash");
    std::fs::write(&script, ok(&["completions", "bash"])).unwrap();
    let out = Command::new("bash")
        .arg("-n")
        .arg(&script)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out));
    let out = bash(
        "source ./rabbithole.bash && complete -p rabbithole",
        &dir,
        &[],
    );
    assert!(out.status.success(), "{}", text(&out));
    let registered = String::from_utf8(out.stdout).unwrap();
    assert!(
        registered.trim_end().ends_with("-F _rabbithole rabbithole"),
        "{registered}"
    );
    // And it completes: subcommands after `rabbithole`, flags after `trace -`.
    let complete = |words: &str, cword: usize| {
        let script = format!(
            "source ./rabbithole.bash; COMP_WORDS=({words}); COMP_CWORD={cword}; \
             _rabbithole rabbithole \"${{COMP_WORDS[$COMP_CWORD]}}\" \"${{COMP_WORDS[$COMP_CWORD-1]}}\"; \
             printf '%s\\n' \"${{COMPREPLY[@]}}\""
        );
        let out = bash(&script, &dir, &[]);
        assert!(out.status.success(), "{}", text(&out));
        String::from_utf8(out.stdout).unwrap()
    };
    let subs = complete("rabbithole ''", 1);
    for name in subcommands() {
        assert!(
            subs.lines().any(|l| l == name),
            "{name} not offered:\n{subs}"
        );
    }
    let flags = complete("rabbithole trace --no", 2);
    assert!(flags.lines().any(|l| l == "--no-runtime"), "{flags}");
}

/// Checks a script with `SHELL -n` (./test.sh installs zsh and fish).
fn shell_parses(shell: &str, file: &str) {
    assert!(
        Command::new(shell).arg("-c").arg("true").output().is_ok(),
        "{shell} is required to check its completions (./test.sh installs it)"
    );
    let dir = scratch(shell);
    let script = dir.join(file);
    std::fs::write(&script, ok(&["completions", shell])).unwrap();
    let out = Command::new(shell).arg("-n").arg(&script).output().unwrap();
    assert!(out.status.success(), "{}", text(&out));
}

#[test]
fn zsh_and_fish_completions_parse() {
    shell_parses("zsh", "_rabbithole");
    shell_parses("fish", "rabbithole.fish");
}

/// A page rendered as plain text; groff must not warn (`-ww`).
fn render(page: &Path) -> String {
    let out = Command::new("groff")
        .args(["-ww", "-man", "-Tascii", "-P-cbou"])
        .arg(page)
        .output()
        .expect("groff (apt-get install groff-base)");
    assert!(
        out.status.success() && out.stderr.is_empty(),
        "{}: {}",
        page.display(),
        text(&out)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// The flags and arguments in `rabbithole NAME --help` (clap's own list).
fn flags_in_help(name: Option<&str>) -> Vec<String> {
    let help = ok(&[name.unwrap_or("--help"), "--help"][usize::from(name.is_none())..]);
    let mut flags = Vec::new();
    for line in help.lines().filter(|l| l.starts_with("  ")) {
        for word in line.split(|c: char| c.is_whitespace() || c == ',') {
            // `-f...` repeats, `[CMD]...` is optional: the page names
            // the flag and the argument.
            let word = word.trim_end_matches("...");
            let is_flag = word.starts_with('-') && word.len() > 1 && word != "--";
            let is_arg = (word.starts_with('<') && word.ends_with('>'))
                || (word.starts_with('[') && word.ends_with(']'));
            if is_flag {
                flags.push(word.to_string());
            } else if is_arg {
                flags.push(word[1..word.len() - 1].to_string());
            }
            if !(word.is_empty() || is_flag || is_arg) {
                break; // the flag's description begins
            }
        }
    }
    flags
}

#[test]
fn every_page_renders_and_lists_every_flag() {
    let dir = scratch("man");
    ok(&["man", dir.to_str().unwrap()]);
    let mut pages = vec![(None, dir.join("rabbithole.1"))];
    for name in subcommands() {
        let page = dir.join(format!("rabbithole-{name}.1"));
        pages.push((Some(name), page));
    }
    let mut checked = 0;
    for (name, page) in &pages {
        let text = render(page);
        let flags = flags_in_help(name.as_deref());
        assert!(flags.iter().any(|f| f == "--help"), "{name:?}: {flags:?}");
        for flag in &flags {
            let found = text.match_indices(flag.as_str()).any(|(i, _)| {
                let after = text[i + flag.len()..].chars().next();
                !after.is_some_and(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
            });
            assert!(found, "{}: {flag} missing", page.display());
            checked += 1;
        }
        for section in [
            "NAME",
            "SYNOPSIS",
            "OPTIONS",
            "EXAMPLES",
            "EXIT STATUS",
            "SEE ALSO",
        ] {
            assert!(
                text.lines().any(|l| l == section),
                "{}: no {section}",
                page.display()
            );
        }
        if let Some(name) = name {
            let examples = text.split("\nEXAMPLES\n").nth(1).unwrap();
            assert!(
                examples.contains(&format!("rabbithole {name} ")),
                "{name}: {examples}"
            );
        }
    }
    assert!(checked > 80, "only {checked} flags checked");
    // One page per subcommand, and nothing else.
    let mut written: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    written.sort();
    assert_eq!(written.len(), pages.len(), "{written:?}");
}

#[test]
fn man_without_dir_prints_the_main_page() {
    let page = ok(&["man"]);
    assert!(
        page.contains(".TH rabbithole 1"),
        "{}",
        &page[..200.min(page.len())]
    );
    let out = bash(
        &format!("{BIN} man | MANROFFOPT=-ww man -l -"),
        Path::new("."),
        &[],
    );
    assert!(
        out.status.success() && out.stderr.is_empty(),
        "{}",
        text(&out)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("rabbithole-trace(1)"));
}

#[test]
fn completions_survive_a_closed_pipe() {
    let out = bash(
        &format!("{BIN} completions bash | head -c 10 >/dev/null; echo ${{PIPESTATUS[0]}}"),
        Path::new("."),
        &[],
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        "0",
        "{}",
        text(&out)
    );
}
