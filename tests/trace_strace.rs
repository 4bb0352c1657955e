//! `rabbithole trace` against strace, on the same commands in the same
//! test: for every syscall the `syscalls` crate decodes, the lines must be
//! equal after normalizing addresses, pids and padding. Signals (`---`)
//! and exits (`+++`) are compared too. Single-threaded programs (ls, cat,
//! sh -c) must match line for line per process; Go programs schedule
//! differently from run to run, so their deterministic calls are compared
//! as multisets and the scheduler-dependent ones by shape (numbers
//! replaced), both ways.

mod trace_support;

use std::collections::{BTreeMap, BTreeSet};
use trace_support::*;

fn decoded(line: &Line) -> bool {
    line.text.starts_with("---")
        || line.text.starts_with("+++")
        || syscalls::decoded_syscalls().contains(&line.name.as_str())
}

/// Per-process sequences of decoded lines.
fn by_process(lines: &[Line]) -> BTreeMap<String, Vec<String>> {
    let mut m: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for l in lines.iter().filter(|l| decoded(l)) {
        m.entry(l.pid.clone()).or_default().push(scrub(&l.text));
    }
    m
}

fn assert_same_sequences(tag: &str, cmd: &[&str]) {
    let (s, r) = trace_both(tag, &["-f", "-qq"], cmd);
    let s = by_process(&normalize(&s));
    let r = by_process(&normalize(&r));
    assert!(!s.is_empty(), "strace produced no decoded lines");
    let s_keys: Vec<&String> = s.keys().collect();
    let r_keys: Vec<&String> = r.keys().collect();
    assert_eq!(s_keys, r_keys, "different processes");
    for (pid, s_lines) in &s {
        let (s_seq, s_async) = split_async(s_lines);
        let (r_seq, r_async) = split_async(&r[pid]);
        assert!(
            s_seq == r_seq,
            "{tag}: process {pid} differs\n{}",
            show_diff("strace", &s_seq, "rabbithole", &r_seq)
        );
        assert!(
            s_async == r_async,
            "{tag}: process {pid}: signals differ\n{}",
            show_diff("strace", &s_async, "rabbithole", &r_async)
        );
    }
}

/// Splits off SIGCHLD deliveries and their rt_sigreturn: whether SIGCHLD
/// interrupts the parent's wait4 or arrives after it returned is a race
/// between the child's exit and the parent's wakeup, so those lines are
/// compared as a multiset (rt_sigreturn's value is the interrupted call's
/// result, which depends on the same race).
fn split_async(lines: &[String]) -> (Vec<String>, Vec<String>) {
    let mut seq = Vec::new();
    let mut asynchronous = Vec::new();
    for l in lines {
        if l.starts_with("--- SIGCHLD") {
            asynchronous.push(l.clone());
        } else if l.starts_with("rt_sigreturn(") {
            asynchronous.push(l.split(") = ").next().unwrap_or(l).to_string());
        } else {
            seq.push(l.clone());
        }
    }
    asynchronous.sort();
    (seq, asynchronous)
}

#[test]
fn ls_matches_strace() {
    let dir = env!("CARGO_MANIFEST_DIR");
    assert_same_sequences("ls", &["ls", "-la", dir]);
}

#[test]
fn cat_matches_strace() {
    assert_same_sequences("cat", &["cat", "/etc/passwd", "/nonexistent"]);
}

#[test]
fn sh_fork_exec_chain_matches_strace() {
    assert_same_sequences(
        "sh",
        &[
            "sh",
            "-c",
            "sh -c 'echo a; /bin/true'; cat /dev/null; exit 3",
        ],
    );
}

#[test]
fn socket_protocols_named_like_strace() {
    // MPTCP (262) and UDP-Lite (136): numbers beyond the common ones.
    let (s, r) = trace_both(
        "protocols",
        &["-qq", "-e", "trace=socket"],
        &[
            "perl",
            "-e",
            "socket(my $a, 2, 1, 262); socket(my $b, 10, 2, 136); socket(my $c, 2, 3, 143)",
        ],
    );
    let calls = |t: &str| -> Vec<String> {
        t.lines()
            .filter(|l| l.starts_with("socket("))
            .map(scrub)
            .collect()
    };
    assert_eq!(calls(&s).len(), 3, "{s}");
    assert!(s.contains("IPPROTO_MPTCP"), "{s}");
    assert_eq!(calls(&s), calls(&r));
}

#[test]
fn killed_by_signal_matches_strace() {
    assert_same_sequences("kill", &["sh", "-c", "kill -USR1 $$"]);
}

/// Syscalls whose number, order or values depend on the Go scheduler.
const SCHEDULER: &[&str] = &[
    "futex",
    "nanosleep",
    "sched_yield",
    "epoll_pwait",
    "epoll_wait",
    "tgkill",
    "getpid",
    "gettid",
    "rt_sigreturn",
    "mmap",
    "munmap",
    "madvise",
    "clone",
    "clone3",
    "sigaltstack",
    "rt_sigprocmask",
    "rt_sigaction",
    "set_robust_list",
    "rseq",
    "prctl",
    "sched_getaffinity",
    "getrlimit",
    "prlimit64",
    "read",
    "write",
    "close",
    "fcntl",
    "epoll_ctl",
    "eventfd2",
    "pipe2",
    "accept4",
    "getsockopt",
    "getsockname",
    "getpeername",
    "openat",
    "newfstatat",
    "fstat",
    "exit_group",
    "exit",
];

/// Calls that may or may not happen in a given run of a Go program (a
/// non-blocking accept4 gets EAGAIN when it runs before the connect; any
/// EAGAIN of non-blocking I/O is likewise a matter of timing).
const RARE: &[&str] = &[
    "futex",
    "nanosleep",
    "sched_yield",
    "epoll_pwait",
    "tgkill",
    "getpid",
    "gettid",
    "rt_sigreturn",
    "accept4",
];

fn assert_go_matches(tag: &str, cmd: &[&str], exact: &[&str]) {
    let (s_raw, r_raw) = trace_both(tag, &["-f", "-qq"], cmd);
    let s = normalize(&s_raw);
    let r = normalize(&r_raw);
    let pick = |lines: &[Line], want_exact: bool| -> Vec<String> {
        let mut v: Vec<String> = lines
            .iter()
            .filter(|l| decoded(l) && !l.text.starts_with("---"))
            .filter(|l| exact.iter().any(|e| l.text.starts_with(e)) == want_exact)
            .map(|l| scrub(&l.text))
            .collect();
        v.sort();
        v
    };
    // Deterministic calls: the same multiset.
    let (se, re) = (pick(&s, true), pick(&r, true));
    assert!(
        !se.is_empty(),
        "{tag}: no deterministic lines in strace's trace"
    );
    assert!(
        se == re,
        "{tag}: deterministic calls differ\n{}",
        show_diff("strace", &se, "rabbithole", &re)
    );
    // Everything else: the same set of lines, numbers normalized for the
    // scheduler-dependent calls.
    let shapes = |v: Vec<String>| -> BTreeSet<String> {
        v.into_iter()
            .map(|t| {
                let name = t.split('(').next().unwrap_or("").to_string();
                if SCHEDULER.contains(&name.as_str()) {
                    shape(&t)
                } else {
                    t
                }
            })
            .collect()
    };
    let (ss, rs) = (shapes(pick(&s, false)), shapes(pick(&r, false)));
    // Lines that appear in one run only must be ones the scheduler
    // decides: preemption (tgkill SIGURG, getpid, rt_sigreturn), futex and
    // epoll outcomes, sleeps, calls cut short by exit_group (`= ?`).
    let timing_only = |t: &String| {
        let name = t.split('(').next().unwrap_or("");
        RARE.iter().any(|r| shape(r) == name)
            || t.ends_with("= ?")
            || t.ends_with("<unfinished ...>")
            || t.contains("= -N EAGAIN")
    };
    let only_s: Vec<String> = ss
        .difference(&rs)
        .filter(|t| !timing_only(t))
        .cloned()
        .collect();
    let only_r: Vec<String> = rs
        .difference(&ss)
        .filter(|t| !timing_only(t))
        .cloned()
        .collect();
    assert!(
        only_s.is_empty() && only_r.is_empty(),
        "{tag}: line shapes differ\nonly strace:\n  {}\nonly rabbithole:\n  {}",
        only_s.join("\n  "),
        only_r.join("\n  ")
    );
    // Signals: the same kinds.
    let sigs = |lines: &[Line]| -> BTreeSet<String> {
        lines
            .iter()
            .filter(|l| l.text.starts_with("---"))
            .map(|l| shape(&l.text))
            .collect()
    };
    let (s_sig, r_sig) = (sigs(&s), sigs(&r));
    for sig in r_sig.iter() {
        assert!(
            s_sig.contains(sig) || sig.contains("SIGURG"),
            "{tag}: signal line unknown to strace's run: {sig}\nstrace had: {s_sig:?}"
        );
    }
}

#[test]
fn goroutines_matches_strace() {
    let bin = fixture("goroutines-go1.27-linux-amd64");
    assert_go_matches(
        "goroutines",
        &[bin.to_str().unwrap(), "4", "20"],
        &["execve(", "write(3, ", "openat(AT_FDCWD, \"/dev/null\""],
    );
}

#[test]
fn files_net_matches_strace() {
    let bin = fixture("files_net-go1.27-linux-amd64");
    assert_go_matches(
        "files_net",
        &[bin.to_str().unwrap(), "7"],
        &[
            "execve(",
            "mkdirat(",
            "unlinkat(",
            "socket(",
            "bind(",
            "listen(",
            "connect(",
            "setsockopt(",
            "getdents64(",
            "pipe2(",
            "write(",
            "openat(AT_FDCWD, \"/tmp",
        ],
    );
}
