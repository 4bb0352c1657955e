//! `rabbithole trace` end to end: exit codes, signals, the program's own
//! output, attach and detach, per-thread counts on a Go program, JSON
//! Lines, the -c summary, -ff files and seccomp-filtered tracing. These
//! test the ptrace engine, so they ask for it (`--backend ptrace`).

mod trace_support;

use std::collections::HashMap;
use std::process::{Command, Stdio};
use std::time::Duration;
use trace_support::*;

fn trace(args: &[&str]) -> std::process::Output {
    run(
        Command::new(rabbithole())
            .args(["trace", "--backend", "ptrace"])
            .args(args),
        60,
    )
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[test]
fn exit_code_and_stdout_are_the_programs() {
    let bin = fixture("files_net-go1.27-linux-amd64");
    let out = trace(&["-f", "-o", "/dev/null", "--", bin.to_str().unwrap(), "7"]);
    assert_eq!(out.status.code(), Some(7), "stderr: {}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(
        stdout.starts_with("read \"files_net data\\n\", 1 entries"),
        "stdout: {stdout}"
    );
    assert!(stdout.ends_with("exit 7\n"), "stdout: {stdout}");
    let out = trace(&["-qq", "--", "sh", "-c", "echo hello; exit 5"]);
    assert_eq!(out.status.code(), Some(5));
    assert_eq!(text(&out.stdout), "hello\n");
    let err = text(&out.stderr);
    assert!(
        err.lines()
            .any(|l| l.starts_with("write(1, \"hello\\n\", 6)") && l.ends_with(" = 6")),
        "{err}"
    );
}

#[test]
fn exit_lines_like_strace() {
    let out = trace(&["--", "sh", "-c", "exit 3"]);
    assert_eq!(out.status.code(), Some(3));
    assert!(
        text(&out.stderr)
            .ends_with("exit_group(3)                           = ?\n+++ exited with 3 +++\n"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn killed_child_gives_128_plus_signal() {
    let out = trace(&["-f", "--", "sh", "-c", "kill -TERM $$"]);
    assert_eq!(out.status.code(), Some(128 + 15));
    let err = text(&out.stderr);
    assert!(
        err.contains("--- SIGTERM {si_signo=SIGTERM, si_code=SI_USER, si_pid="),
        "{err}"
    );
    assert!(err.ends_with("+++ killed by SIGTERM +++\n"), "{err}");
}

#[test]
fn sigterm_to_rabbithole_is_passed_to_the_child() {
    let log = tmp("forward.txt");
    let mut child = Command::new(rabbithole())
        .args(["trace", "--backend", "ptrace", "-o"])
        .arg(&log)
        .args(["--", "sleep", "30"])
        .stdin(Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(500));
    Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    let st = wait_deadline(&mut child, 10);
    assert_eq!(st.code(), Some(128 + 15));
    let t = std::fs::read_to_string(&log).unwrap();
    assert!(t.contains("+++ killed by SIGTERM +++"), "{t}");
}

#[test]
fn missing_command_is_exit_127_with_one_line() {
    let out = trace(&["--", "/no/such/program"]);
    assert_eq!(out.status.code(), Some(127));
    let err = text(&out.stderr);
    assert_eq!(
        err,
        "rabbithole: Can't stat '/no/such/program': No such file or directory\n"
    );
}

/// Per-tid count of the fixture's worker writes in a `-f -o FILE` trace;
/// a call split by another thread's event is counted at its start.
fn writes_per_tid(trace: &str) -> HashMap<String, usize> {
    let mut m = HashMap::new();
    for l in trace.lines() {
        if let Some((tid, rest)) = l.split_once(' ') {
            let rest = rest.trim_start();
            if rest.starts_with("write(3, \"goroutine write\\n\", 16")
                && (rest.ends_with("= 16") || rest.ends_with("<unfinished ...>"))
            {
                *m.entry(tid.to_string()).or_default() += 1;
            }
        }
    }
    m
}

/// The fixture's own report: tid -> writes (summed: a thread freed by
/// one worker's UnlockOSThread may serve the next worker).
fn reported(stdout: &str) -> HashMap<String, usize> {
    let mut m = HashMap::new();
    for l in stdout.lines() {
        let f: Vec<&str> = l.split_whitespace().collect();
        // worker W goid G tid T writes N
        if f.len() == 8 && f[0] == "worker" {
            *m.entry(f[5].to_string()).or_default() += f[7].parse::<usize>().unwrap();
        }
    }
    m
}

fn check_go_thread_counts(extra: &[&str], tag: &str) {
    let bin = fixture("goroutines-go1.27-linux-amd64");
    let log = tmp(&format!("goroutines-{tag}.txt"));
    let mut args = vec!["-f", "-o", log.to_str().unwrap()];
    args.extend_from_slice(extra);
    args.extend_from_slice(&["--", bin.to_str().unwrap(), "8", "500"]);
    let out = trace(&args);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let want = reported(&text(&out.stdout));
    let total: usize = want.values().sum();
    assert_eq!(
        total,
        8 * 500,
        "8 workers x 500 writes: {}",
        text(&out.stdout)
    );
    let seen = writes_per_tid(&std::fs::read_to_string(&log).unwrap());
    for (tid, n) in &want {
        assert_eq!(
            seen.get(tid),
            Some(n),
            "thread {tid}: program counted {n} writes"
        );
    }
}

#[test]
fn every_go_worker_write_is_seen_on_its_thread() {
    check_go_thread_counts(&[], "all");
}

#[test]
fn seccomp_filtered_trace_sees_every_write_and_nothing_else() {
    check_go_thread_counts(&["-e", "trace=write"], "write");
    let t = std::fs::read_to_string(tmp("goroutines-write.txt")).unwrap();
    for l in t.lines() {
        let rest = l.split_once(' ').map(|(_, r)| r.trim_start()).unwrap_or(l);
        assert!(
            rest.starts_with("write(")
                || rest.starts_with("<... write resumed>")
                || rest.starts_with("+++")
                || rest.starts_with("---"),
            "unexpected line with -e trace=write: {l}"
        );
    }
}

#[test]
fn summary_counts_match_strace() {
    let bin = fixture("goroutines-go1.27-linux-amd64");
    let cmd = [bin.to_str().unwrap(), "4", "100"];
    let ours = trace(
        &[
            &["-f", "-c", "-e", "trace=write,openat", "--"][..],
            &cmd[..],
        ]
        .concat(),
    );
    assert_eq!(ours.status.code(), Some(0));
    let strace = run(
        Command::new("strace")
            .args(["-f", "-c", "-e", "trace=write,openat", "--"])
            .args(cmd),
        60,
    );
    let calls = |table: &str, name: &str| -> Option<u64> {
        table
            .lines()
            .find(|l| l.split_whitespace().last() == Some(name))
            .map(|l| {
                let f: Vec<&str> = l.split_whitespace().collect();
                f[3].parse().unwrap()
            })
    };
    let (o, s) = (text(&ours.stderr), text(&strace.stderr));
    // Like strace, "Process N attached" notes come first, then the table.
    let header = "% time     seconds  usecs/call     calls    errors syscall\n";
    let at = o
        .find(header)
        .unwrap_or_else(|| panic!("no summary header: {o}"));
    assert!(
        o[..at]
            .lines()
            .all(|l| l.starts_with("rabbithole: Process ")),
        "{o}"
    );
    // 4 x 100 worker writes + 4 report lines.
    assert_eq!(calls(&o, "write"), Some(404), "{o}");
    assert_eq!(
        calls(&o, "write"),
        calls(&s, "write"),
        "ours:\n{o}\nstrace:\n{s}"
    );
    assert_eq!(
        calls(&o, "openat"),
        calls(&s, "openat"),
        "ours:\n{o}\nstrace:\n{s}"
    );
}

#[test]
fn json_lines_carry_typed_args_text_and_errors() {
    let bin = fixture("files_net-go1.27-linux-amd64");
    let out = trace(&["-f", "--json", "--", bin.to_str().unwrap(), "0"]);
    assert_eq!(out.status.code(), Some(0));
    let mut kinds: HashMap<String, usize> = HashMap::new();
    let mut saw_enoent = false;
    for line in text(&out.stderr).lines() {
        let v: serde_json::Value =
            serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}"));
        let kind = v["event"].as_str().unwrap().to_string();
        assert!(
            v["pid"].as_i64().unwrap() > 0 && v["tid"].as_i64().unwrap() > 0,
            "{line}"
        );
        assert!(v["time"].as_f64().unwrap() > 1.0e9, "{line}");
        if kind == "syscall" {
            assert!(
                v["syscall"].is_string()
                    && v["nr"].is_u64()
                    && v["args"].is_array()
                    && v["text"].is_string(),
                "{line}"
            );
            if v["syscall"] == "openat"
                && v["errno"] == "ENOENT"
                && v["text"].as_str().unwrap().contains("/missing\"")
            {
                assert_eq!(v["ret"], -2);
                assert_eq!(v["args"][0]["type"], "sym");
                assert_eq!(v["args"][0]["value"], "AT_FDCWD");
                saw_enoent = true;
            }
        }
        *kinds.entry(kind).or_default() += 1;
    }
    assert!(saw_enoent, "the failed open of 'missing' is in the JSON");
    assert!(kinds["syscall"] > 100 && kinds["exit"] >= 2, "{kinds:?}");
}

#[test]
fn ff_writes_one_file_per_thread() {
    let base = tmp("ff");
    let dir = base.parent().unwrap();
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        if e.file_name().to_string_lossy().starts_with("ff.") {
            std::fs::remove_file(e.path()).unwrap();
        }
    }
    let out = trace(&[
        "-ff",
        "-o",
        base.to_str().unwrap(),
        "--",
        "sh",
        "-c",
        "/bin/true; /bin/true",
    ]);
    assert_eq!(out.status.code(), Some(0));
    let files: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with("ff."))
        .collect();
    assert_eq!(files.len(), 3, "sh and two children");
    let mut parents = 0;
    for f in files {
        let t = std::fs::read_to_string(f.path()).unwrap();
        assert!(t.contains("execve(\""), "every process executes: {t}");
        if t.starts_with("execve(\"/usr/bin/sh\"") || t.starts_with("execve(\"/bin/sh\"") {
            parents += 1;
            assert!(t.matches("wait4(").count() >= 2, "{t}");
        }
        assert!(t.ends_with("+++ exited with 0 +++\n"), "{t}");
        assert!(!t.contains("[pid"), "no pid prefix in per-thread files");
    }
    assert_eq!(parents, 1);
}

#[test]
fn attach_shows_calls_and_ctrl_c_detaches_leaving_the_process_running() {
    let bin = fixture("goroutines-go1.27-linux-amd64");
    let mut target = Command::new(&bin)
        .args(["2", "100000000"])
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(200));
    let log = tmp("attach.txt");
    let mut tracer = Command::new(rabbithole())
        .args(["trace", "--backend", "ptrace", "-f", "-o"])
        .arg(&log)
        .args(["-p", &target.id().to_string()])
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(700));
    Command::new("kill")
        .args(["-INT", &tracer.id().to_string()])
        .status()
        .unwrap();
    let st = wait_deadline(&mut tracer, 20);
    let mut err = String::new();
    std::io::Read::read_to_string(tracer.stderr.as_mut().unwrap(), &mut err).unwrap();
    assert_eq!(st.code(), Some(0), "{err}");
    assert!(
        err.contains(&format!("Process {} attached", target.id())),
        "{err}"
    );
    assert!(err.contains("detached"), "{err}");
    let t = std::fs::read_to_string(&log).unwrap();
    assert!(
        t.contains("write(3, \"goroutine write\\n\", 16) = 16"),
        "{}",
        &t[..t.len().min(2000)]
    );
    // Still running, not stopped, still writing.
    std::thread::sleep(Duration::from_millis(200));
    assert!(
        target.try_wait().unwrap().is_none(),
        "target died after detach"
    );
    let stat = std::fs::read_to_string(format!("/proc/{}/stat", target.id())).unwrap();
    let state = stat
        .rsplit(')')
        .next()
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap()
        .to_string();
    assert!(state == "R" || state == "S", "state after detach: {state}");
    let tracer_pid = std::fs::read_to_string(format!("/proc/{}/status", target.id()))
        .unwrap()
        .lines()
        .find(|l| l.starts_with("TracerPid:"))
        .unwrap()
        .to_string();
    assert_eq!(
        tracer_pid.split_whitespace().nth(1),
        Some("0"),
        "no tracer left"
    );
    target.kill().unwrap();
    target.wait().unwrap();
}

#[test]
fn unknown_options_are_errors_not_programs() {
    let out = trace(&["-k", "--stack-dept", "5", "--", "true"]);
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(
        err.starts_with("error: unexpected argument '--stack-dept' found"),
        "{err}"
    );
    // From the command on, every word is the command's, dashes or not.
    let out = trace(&[
        "-qq",
        "-e",
        "trace=none",
        "sh",
        "-c",
        "echo $0 $1",
        "-x",
        "--y",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "-x --y\n");
}

#[test]
fn ff_without_o_is_f_as_in_strace() {
    let out = trace(&[
        "-ff",
        "-qq",
        "-e",
        "trace=write",
        "--",
        "sh",
        "-c",
        "echo a; (echo b)",
    ]);
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(err.starts_with("write(1, \"a\\n\", 2)"), "{err}");
    assert!(
        err.lines()
            .any(|l| l.starts_with("[pid ") && l.contains("] write(1, \"b\\n\", 2)")),
        "{err}"
    );
}
