//! The words around the commands: each command's examples (one list, shown
//! at the end of its `--help` and as the EXAMPLES of its man page), its
//! exit status, the "start here" that `rabbithole` alone prints, and the
//! `--version` report.
//!
//! Every example is a command line from the README's Install section; a
//! test runs each one on a fixture, so none can stop working unnoticed.

use std::io::{self, Write};

/// One example: the command line and what it shows.
pub struct Example {
    /// What to type, `./myprog` standing for the reader's Go binary.
    pub command: &'static str,
    /// What it shows, one short line.
    pub shows: &'static str,
}

const fn ex(command: &'static str, shows: &'static str) -> Example {
    Example { command, shows }
}

/// The examples of subcommand `name` (empty for an unknown name).
pub fn examples(name: &str) -> &'static [Example] {
    EXAMPLES
        .iter()
        .find(|(command, _)| *command == name)
        .map_or(&[], |(_, examples)| examples)
}

const EXAMPLES: &[(&str, &[Example])] = &[
    (
        "inspect",
        &[
            ex(
                "rabbithole inspect ./myprog",
                "how it is built and linked, and how it reaches the kernel",
            ),
            ex(
                "rabbithole inspect --json ./myprog",
                "the same as one JSON document",
            ),
        ],
    ),
    (
        "funcs",
        &[
            ex(
                "rabbithole funcs ./myprog 'main\\.'",
                "functions of package main: entry, size, ABI, file:line",
            ),
            ex(
                "rabbithole funcs --json ./myprog",
                "every function as JSON (stripped binaries too)",
            ),
        ],
    ),
    (
        "addr2line",
        &[
            ex(
                "rabbithole addr2line ./myprog 0x47fd24",
                "the function and file:line at an address, inlined frames first",
            ),
            ex(
                "rabbithole addr2line --json ./myprog 0x47fd24 0x47fca0",
                "several addresses as one JSON document",
            ),
        ],
    ),
    (
        "disasm",
        &[
            ex(
                "rabbithole disasm -s 'main\\.main$' ./myprog",
                "one function, as `go tool objdump -s` prints it",
            ),
            ex(
                "rabbithole disasm --syntax intel -s 'unix\\.write$' ./myprog",
                "the same in Intel syntax",
            ),
            ex(
                "rabbithole disasm ./myprog > myprog.s",
                "the whole binary (a progress bar on the terminal)",
            ),
        ],
    ),
    (
        "syscalls",
        &[
            ex(
                "rabbithole syscalls ./myprog",
                "every syscall site and how many paths from main.main reach it",
            ),
            ex(
                "rabbithole syscalls ./myprog --to write",
                "the call chains from main.main down to write",
            ),
        ],
    ),
    (
        "trace",
        &[
            ex(
                "rabbithole trace -f -- ./myprog",
                "every syscall of every thread, as `strace -f` prints it",
            ),
            ex(
                "rabbithole trace -f -k -e trace=write -- ./myprog",
                "each write with the Go stack that made it",
            ),
            ex(
                "rabbithole trace -f -c --by caller -- ./myprog",
                "which of your functions make which syscalls",
            ),
        ],
    ),
    (
        "path",
        &[
            ex(
                "rabbithole path -- ./myprog",
                "every hop from main.main down to the first write",
            ),
            ex(
                "rabbithole path --explain -- ./myprog",
                "the same, explaining each rabbit hole on the way",
            ),
            ex(
                "rabbithole path --html path.html -- ./myprog",
                "also the chain as a diagram in a web page",
            ),
        ],
    ),
    (
        "size",
        &[
            ex(
                "rabbithole size ./myprog",
                "where the bytes go: by kind, module and package",
            ),
            ex("rabbithole size --by package ./myprog", "every package"),
            ex(
                "rabbithole size --html size.html ./myprog",
                "also a treemap web page",
            ),
        ],
    ),
    (
        "compare",
        &[
            ex(
                "rabbithole compare ./myprog-old ./myprog",
                "two builds side by side, and where the size changed",
            ),
            ex(
                "rabbithole compare --json ./myprog-old ./myprog",
                "the same as JSON",
            ),
        ],
    ),
    (
        "completions",
        &[
            ex(
                "source <(rabbithole completions bash)",
                "Tab completion in this bash",
            ),
            ex(
                "rabbithole completions zsh > ~/.zfunc/_rabbithole",
                "for zsh (with ~/.zfunc in $fpath)",
            ),
            ex(
                "rabbithole completions fish > ~/.config/fish/completions/rabbithole.fish",
                "for fish",
            ),
        ],
    ),
    (
        "man",
        &[
            ex(
                "rabbithole man | man -l -",
                "read rabbithole(1) without installing it",
            ),
            ex(
                "rabbithole man ~/.local/share/man/man1",
                "install every page for `man rabbithole-trace`",
            ),
        ],
    ),
];

/// The examples of `name` as the end of its `--help`.
pub fn after_help(name: &str) -> String {
    let mut text = String::from("Examples:");
    for e in examples(name) {
        text.push_str(&format!("\n  {}\n      {}", e.command, e.shows));
    }
    text
}

/// The EXIT STATUS of subcommand `name` (the top-level page: `None`).
pub fn exit_status(name: Option<&str>) -> &'static str {
    match name {
        Some("trace") => {
            "The traced program's exit code (128 + the signal number when a signal killed \
             it); 2 when rabbithole could not start or attach (bad flags, program not \
             found, ptrace or eBPF not permitted), with one line saying why."
        }
        Some("path") => {
            "The program's exit code; 2 when rabbithole could not run it (bad flags, \
             program not found, ptrace not permitted), with one line saying why."
        }
        Some("addr2line") => {
            "0 on success; 1 when an address given or read is not hex; 2 on a usage \
             error or unreadable input, with one line naming the file and the problem."
        }
        Some("disasm") => {
            "0 on success; 1 when -s matches no function; 2 on a usage error or \
             unreadable input, with one line naming the file and the problem."
        }
        Some("syscalls") => {
            "0 on success; 1 when no syscall site is found or matches --to; 2 on a \
             usage error or unreadable input, with one line naming the file and the \
             problem."
        }
        Some("completions") | Some("man") => "0 on success; 2 on a usage error or a failed write.",
        Some(_) => {
            "0 on success; 2 on a usage error or unreadable input, with one line naming \
             the file and the problem."
        }
        None => {
            "0 on success; 1 when nothing matched (a regular expression, --to, an \
             address that is not hex); a traced program's own exit code for trace and \
             path; 2 on a usage error or unreadable input, with one line naming the file \
             and the problem."
        }
    }
}

/// The three commands to try first on a binary of one's own.
pub fn first_steps() -> [&'static Example; 3] {
    [
        &examples("inspect")[0],
        &examples("syscalls")[1],
        &examples("path")[0],
    ]
}

/// What `rabbithole` alone prints: the three commands to try first.
pub fn write_start_here(w: &mut dyn Write) -> io::Result<()> {
    writeln!(
        w,
        "rabbithole: how does this Go program make its system calls?"
    )?;
    writeln!(w)?;
    writeln!(w, "Start here, with a Go binary of your own:")?;
    for e in first_steps() {
        writeln!(w, "  {:<40} {}", e.command, e.shows)?;
    }
    writeln!(w)?;
    writeln!(
        w,
        "Every command: rabbithole --help; one command: rabbithole COMMAND --help or man rabbithole-COMMAND"
    )
}

/// What `--version` reports.
pub struct Version<'a> {
    /// The package version.
    pub version: &'a str,
    /// The git commit built from; empty when built outside a checkout.
    pub commit: &'a str,
    /// Each backend's name and whether it works here (and why).
    pub backends: &'a [(&'a str, Result<String, String>)],
}

/// Writes the `--version` report: `ebpf: yes (why)` or `ebpf: no (why)`.
pub fn write_version(w: &mut dyn Write, v: &Version<'_>) -> io::Result<()> {
    writeln!(w, "rabbithole {}", v.version)?;
    match v.commit {
        "" => writeln!(w, "commit: unknown (not built from a git checkout)")?,
        commit => writeln!(w, "commit: {commit}")?,
    }
    for (name, support) in v.backends {
        match support {
            Ok(why) => writeln!(w, "{name}: yes ({why})")?,
            Err(why) => writeln!(w, "{name}: no ({why})")?,
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_names_each_backend_with_its_reason() {
        let backends = [
            ("ptrace", Ok("kernel.yama.ptrace_scope=0".to_string())),
            ("ebpf", Err("the kernel has no BTF".to_string())),
        ];
        let mut out = Vec::new();
        let v = Version {
            version: "1.2.3",
            commit: "abc123",
            backends: &backends,
        };
        write_version(&mut out, &v).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "rabbithole 1.2.3\ncommit: abc123\nptrace: yes (kernel.yama.ptrace_scope=0)\n\
             ebpf: no (the kernel has no BTF)\n"
        );
    }

    #[test]
    fn after_help_lists_every_example() {
        let text = after_help("trace");
        assert!(text.starts_with("Examples:\n"));
        for e in examples("trace") {
            assert!(text.contains(e.command) && text.contains(e.shows));
        }
    }
}
