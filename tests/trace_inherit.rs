//! The traced program starts exactly as it would untraced, under both
//! backends: ignored signals stay ignored, the blocked mask is kept,
//! rlimits, environment and open fds are the same, closed stdin and stdout
//! stay closed; a program that cannot be run exits 127 or 126 as from a
//! shell. Each case runs the same command untraced and traced and compares
//! what the program sees in /proc.

mod trace_support;

use std::process::Command;
use trace_support::*;

/// The backends to compare; eBPF only where it can run (said when not).
fn backends() -> Vec<&'static str> {
    match ebpf_unavailable() {
        None => vec!["ptrace", "ebpf"],
        Some(why) => {
            eprintln!("eBPF unavailable, only ptrace is checked: {why}");
            vec!["ptrace"]
        }
    }
}

/// The `/proc/self/status` fields that say how a program was started (not
/// its pid, memory or tracer, nor `SigQ`, the user's signals queued in
/// any process).
const STATUS_FIELDS: &[&str] = &[
    "Umask",
    "Uid",
    "Gid",
    "Groups",
    "SigPnd",
    "ShdPnd",
    "SigBlk",
    "SigIgn",
    "SigCgt",
    "CapInh",
    "CapPrm",
    "CapEff",
    "CapBnd",
    "CapAmb",
    "NoNewPrivs",
    "Seccomp",
];

/// Runs the probe (a perl program writing what it sees to fd 3) from a
/// parent that lowers two rlimits, ignores SIGHUP and SIGUSR1, blocks
/// SIGUSR2, closes stdin and stdout and clears the environment but for
/// two variables; `tracer` is put between that parent and the probe.
/// Returns what the probe wrote. perl-base is on every Debian, and its
/// POSIX module is the one shell-level way to block a signal.
fn probe(tag: &str, tracer: &[&str]) -> String {
    let out = tmp(&format!("inherit-{tag}.txt"));
    let _ = std::fs::remove_file(&out);
    let status = run(
        Command::new("sh")
            .args([
                "-c",
                r#"ulimit -S -n 200; ulimit -S -c 0; exec 3>"$0" "$@""#,
                out.to_str().unwrap(),
                "perl",
                "-MPOSIX",
                "-e",
                r#"$SIG{HUP} = $SIG{USR1} = "IGNORE";
                   sigprocmask(SIG_BLOCK, POSIX::SigSet->new(SIGUSR2)) or die;
                   POSIX::close(0); POSIX::close(1);
                   exec @ARGV or die"#,
                "env",
                "-i",
                "A=1",
                "B=two words",
            ])
            .args(tracer)
            .args(["perl", "-MPOSIX", "-e", SEEN]),
        60,
    );
    assert!(
        status.status.success(),
        "{tag}: {}",
        String::from_utf8_lossy(&status.stderr)
    );
    std::fs::read_to_string(&out).unwrap()
}

/// The probe: its open fds and what each is (listed before the script
/// opens anything; perl itself has already put its `-e` /dev/null and
/// POSIX.pm on the lowest free fds, which shows whether 0 and 1 were
/// free), its own status fields, rlimits and environment.
const SEEN: &str = r#"my @fds = map { "fd $_ -> " . readlink("/proc/self/fd/$_") }
    grep { my @st = POSIX::fstat($_); @st } 0..1023;
open(my $o, ">&=", 3) or die;
for my $f ("/proc/self/status", "/proc/self/limits") { open(my $i, "<", $f) or die; print {$o} <$i>; }
open(my $e, "<", "/proc/self/environ") or die; my $env = join("", <$e>); $env =~ tr/\0/\n/; print {$o} $env;
print {$o} map { "$_\n" } @fds;"#;

/// The lines that say how the probe was started: the chosen status
/// fields and everything else the probe wrote, with what differs between
/// any two runs (the per-run stderr pipe, the output file's name) made
/// the same.
fn started_as(tag: &str, text: &str) -> Vec<String> {
    text.lines()
        .filter(|l| {
            let key = l.split(':').next().unwrap_or("");
            !l.contains(":\t") || STATUS_FIELDS.contains(&key)
        })
        .map(|l| match l.find("pipe:[") {
            Some(at) if l.starts_with("fd ") => format!("{}pipe", &l[..at]),
            _ => l.replace(&format!("inherit-{tag}.txt"), "inherit.txt"),
        })
        .collect()
}

#[test]
fn the_program_starts_as_it_would_untraced() {
    let untraced = started_as("untraced", &probe("untraced", &[]));
    let expect = |field: &str, bits: u64| {
        let line = untraced
            .iter()
            .find(|l| l.starts_with(&format!("{field}:")))
            .unwrap_or_else(|| panic!("no {field} in {untraced:?}"));
        let set = u64::from_str_radix(line.split('\t').nth(1).unwrap(), 16).unwrap();
        assert_eq!(set & bits, bits, "set-up not in effect: {line}");
    };
    // The set-up took: SIGHUP (1) and SIGUSR1 (10) ignored, SIGUSR2 (12)
    // blocked.
    expect("SigIgn", 1 << 0 | 1 << 9);
    expect("SigBlk", 1 << 11);
    assert!(
        untraced.iter().any(|l| l.starts_with("fd 3 -> ")),
        "{untraced:?}"
    );
    assert!(untraced.contains(&"B=two words".to_string()));
    let rab = rabbithole();
    for backend in backends() {
        let traced = started_as(
            backend,
            &probe(
                backend,
                &[
                    rab,
                    "trace",
                    "--backend",
                    backend,
                    "-qq",
                    "-o",
                    "/dev/null",
                    "--",
                ],
            ),
        );
        assert_eq!(untraced, traced, "--backend {backend}");
    }
}

/// The exit code of `ls /` with stdout closed (a write error: 2), run
/// through `tracer`.
fn ls_with_stdout_closed(tracer: &[&str]) -> Option<i32> {
    run(
        Command::new("sh")
            .args(["-c", r#"exec "$@" >&-"#, "sh"])
            .args(tracer)
            .args(["ls", "/"]),
        30,
    )
    .status
    .code()
}

#[test]
fn closed_stdout_stays_closed() {
    let untraced = ls_with_stdout_closed(&[]);
    assert_eq!(untraced, Some(2));
    for backend in backends() {
        let traced = ls_with_stdout_closed(&[
            rabbithole(),
            "trace",
            "--backend",
            backend,
            "-o",
            "/dev/null",
            "--",
        ]);
        assert_eq!(traced, untraced, "--backend {backend}");
    }
}

#[test]
fn exec_failures_exit_like_a_shell() {
    let not_exec = tmp("not-executable.sh");
    std::fs::write(&not_exec, "#!/bin/sh\n").unwrap();
    let rab = rabbithole();
    for backend in backends() {
        for (program, code, says) in [
            (
                "./no-such-program",
                127,
                "rabbithole: Can't stat './no-such-program': No such file or directory\n",
            ),
            (
                "no-such-program-anywhere",
                127,
                "rabbithole: Can't stat 'no-such-program-anywhere': No such file or directory\n",
            ),
            (not_exec.to_str().unwrap(), 126, "': Permission denied\n"),
        ] {
            let out = run(
                Command::new(rab).args(["trace", "--backend", backend, "--", program]),
                30,
            );
            let err = String::from_utf8_lossy(&out.stderr);
            assert_eq!(out.status.code(), Some(code), "{backend} {program}: {err}");
            assert!(err.ends_with(says), "{backend} {program}: {err}");
        }
    }
}
