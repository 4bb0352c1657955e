//! `trace --backend ebpf` against `trace --backend ptrace` on the same Go
//! programs: the decoded lines must agree after the strace comparison's
//! normalization (addresses, pids, padding; scheduler-dependent numbers
//! by shape), and every event of the ptrace run must be in the eBPF run.
//! Also: a thread storm through a deliberately tiny ring buffer reports
//! its lost events and the program still finishes normally; `-p` attaches
//! and detaches without the program noticing a stop.
//!
//! These tests need root (or CAP_BPF+CAP_PERFMON) and a 5.8+ kernel with
//! BTF; elsewhere they say so and check that `--backend ebpf` fails with
//! that reason and `auto` falls back to ptrace.

mod trace_support;

use std::collections::BTreeSet;
use std::process::{Command, Stdio};
use trace_support::*;

fn trace(backend: &str, tag: &str, flags: &[&str], cmd: &[&str]) -> (String, String, i32) {
    let path = tmp(&format!("{tag}.{backend}"));
    let out = run(
        Command::new(rabbithole())
            .args(["trace", "--backend", backend])
            .args(flags)
            .arg("-o")
            .arg(&path)
            .arg("--")
            .args(cmd),
        120,
    );
    (
        std::fs::read_to_string(&path).unwrap_or_default(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
        out.status.code().unwrap_or(-1),
    )
}

fn decoded(line: &Line) -> bool {
    line.text.starts_with("+++") || syscalls::decoded_syscalls().contains(&line.name.as_str())
}

/// Calls whose numbers, order or presence the Go scheduler decides.
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
    "sched_getaffinity",
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
    "connect",
];
const RARE: &[&str] = &[
    "futex",
    "nanosleep",
    "sched_yield",
    "epoll_pwait",
    "tgkill",
    "getpid",
    "gettid",
    "rt_sigreturn",
];

fn compare(tag: &str, cmd: &[&str], exact: &[&str]) {
    if let Some(why) = ebpf_unavailable() {
        eprintln!("eBPF unavailable, only the fallback is checked: {why}");
        assert!(why.contains("--backend ebpf:"), "{why}");
        return;
    }
    let (p_raw, _, p_code) = trace("ptrace", tag, &["-f", "-qq"], cmd);
    let (e_raw, e_err, e_code) = trace("ebpf", tag, &["-f", "-qq"], cmd);
    assert_eq!(p_code, e_code, "exit codes differ; ebpf stderr: {e_err}");
    assert!(!e_err.contains("lost"), "events lost: {e_err}");
    let p = normalize(&p_raw);
    let e = normalize(&e_raw);
    let pick = |lines: &[Line], want_exact: bool| -> Vec<String> {
        let mut v: Vec<String> = lines
            .iter()
            .filter(|l| decoded(l) && !l.text.is_empty())
            .filter(|l| exact.iter().any(|x| l.text.starts_with(x)) == want_exact)
            .map(|l| scrub(&l.text))
            .collect();
        v.sort();
        v
    };
    let (pe, ee) = (pick(&p, true), pick(&e, true));
    assert!(!pe.is_empty(), "{tag}: no deterministic lines from ptrace");
    assert!(
        pe == ee,
        "{tag}: deterministic calls differ\n{}",
        show_diff("ptrace", &pe, "ebpf", &ee)
    );
    let shapes = |v: Vec<String>| -> BTreeSet<String> {
        v.into_iter()
            .map(|t| {
                let name = t.split('(').next().unwrap_or("").to_string();
                if SCHEDULER.contains(&name.as_str()) {
                    // A thread created just before exit_group may make no
                    // call, leaving its tid unlabeled: compare as a number.
                    shape(
                        &regex::Regex::new(r"\bP(\d+)\b")
                            .unwrap()
                            .replace_all(&t, "$1"),
                    )
                } else {
                    t
                }
            })
            .collect()
    };
    let (ps, es) = (shapes(pick(&p, false)), shapes(pick(&e, false)));
    let timing_only = |t: &String| {
        let name = t.split('(').next().unwrap_or("");
        // Whether accept4 finds the connection waiting depends on timing.
        RARE.contains(&name) || t.ends_with("= ?") || t.contains("EAGAIN")
    };
    let only_p: Vec<&String> = ps.difference(&es).filter(|t| !timing_only(t)).collect();
    let only_e: Vec<&String> = es.difference(&ps).filter(|t| !timing_only(t)).collect();
    assert!(
        only_p.is_empty() && only_e.is_empty(),
        "{tag}: line shapes differ\nonly ptrace:\n  {}\nonly ebpf:\n  {}",
        only_p
            .iter()
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join("\n  "),
        only_e
            .iter()
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join("\n  ")
    );
    // Every ptrace event is in the eBPF run: per syscall name, at least as
    // many lines (the runtime's own calls vary a little between runs, so
    // only names the program itself drives are counted exactly above).
    let count = |lines: &[Line], name: &str| lines.iter().filter(|l| l.name == name).count();
    for name in exact.iter().map(|x| x.trim_end_matches('(')) {
        let name = name.split('(').next().unwrap_or(name);
        assert!(
            count(&e, name) >= count(&p, name),
            "{tag}: fewer {name} lines with ebpf ({}) than ptrace ({})",
            count(&e, name),
            count(&p, name)
        );
    }
}

#[test]
fn goroutines_ebpf_matches_ptrace() {
    let bin = fixture("goroutines-go1.27-linux-amd64");
    compare(
        "goroutines",
        &[bin.to_str().unwrap(), "4", "20"],
        &[
            "execve(",
            "write(3, ",
            "openat(AT_FDCWD, \"/dev/null\"",
            "exit_group(",
        ],
    );
}

#[test]
fn files_net_ebpf_matches_ptrace() {
    let bin = fixture("files_net-go1.27-linux-amd64");
    compare(
        "files_net",
        &[bin.to_str().unwrap(), "7"],
        &[
            "execve(",
            "mkdirat(",
            "unlinkat(",
            "socket(",
            "bind(",
            "listen(",
            "setsockopt(",
            "getdents64(",
            "exit_group(",
            "pipe2(",
            "write(",
            "openat(AT_FDCWD, \"/tmp",
        ],
    );
}

#[test]
fn tiny_ring_buffer_loses_events_and_says_so() {
    if ebpf_unavailable().is_some() {
        return;
    }
    let bin = fixture("goroutines-go1.27-linux-amd64");
    let (_, err, code) = trace(
        "ebpf",
        "storm",
        &["-f", "-qq", "--ebpf-ring-size", "4096"],
        &[bin.to_str().unwrap(), "16", "2000"],
    );
    assert_eq!(code, 0, "the tracee must finish normally: {err}");
    let re = regex::Regex::new(r"(\d+) events lost").unwrap();
    let lost: u64 = re
        .captures(&err)
        .unwrap_or_else(|| panic!("no lost-event report in: {err}"))[1]
        .parse()
        .unwrap();
    assert!(lost > 0);
}

#[test]
fn attach_and_detach_without_a_stop() {
    if ebpf_unavailable().is_some() {
        return;
    }
    // A Go program writing continuously; a ptrace attach would show in
    // /proc as a tracer and stopped threads. eBPF leaves TracerPid at 0
    // and the state never `t`.
    let bin = fixture("goroutines-go1.27-linux-amd64");
    let mut prog = Command::new(&bin)
        .args(["2", "100000000"])
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(150));
    let out_path = tmp("attach.ebpf");
    let mut tr = Command::new(rabbithole())
        .args([
            "trace",
            "--backend",
            "ebpf",
            "-f",
            "-e",
            "trace=write",
            "-o",
        ])
        .arg(&out_path)
        .arg("-p")
        .arg(prog.id().to_string())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stopped = false;
    for _ in 0..40 {
        std::thread::sleep(std::time::Duration::from_millis(10));
        for task in std::fs::read_dir(format!("/proc/{}/task", prog.id())).unwrap() {
            let status =
                std::fs::read_to_string(task.unwrap().path().join("status")).unwrap_or_default();
            stopped |= status.lines().any(|l| {
                (l.starts_with("TracerPid:") && l.split_whitespace().nth(1) != Some("0"))
                    || (l.starts_with("State:") && l.contains("t ("))
            });
        }
    }
    // SAFETY-free detach: SIGINT to rabbithole, like Ctrl-C.
    Command::new("kill")
        .args(["-INT", &tr.id().to_string()])
        .status()
        .unwrap();
    let st = wait_deadline(&mut tr, 30);
    assert!(st.success(), "rabbithole exit {st:?}");
    assert!(
        !stopped,
        "a thread of the traced program was seen stopped or traced"
    );
    let text = std::fs::read_to_string(&out_path).unwrap();
    assert!(
        text.lines().filter(|l| l.contains("write(3, ")).count() > 10,
        "{text}"
    );
    // Still running after the detach, and still writing.
    assert!(prog.try_wait().unwrap().is_none(), "the program died");
    let _ = prog.kill();
    let _ = prog.wait();
}

/// One `-k` event of a trace.
struct Event {
    /// The call up to its first argument (enough to tell the program's
    /// writes apart).
    call: String,
    /// What ran the call, as in ` [goroutine 7]`, ` [g0]`, ` [no g]`.
    label: String,
    /// Frames as printed (function, file:line, pc).
    frames: Vec<String>,
}

impl Event {
    fn new(call: String, line: &str) -> Event {
        let label = line
            .rsplit_once(" [")
            .and_then(|(_, l)| l.strip_suffix(']'))
            .unwrap_or("")
            .to_string();
        Event {
            call,
            label,
            frames: Vec::new(),
        }
    }

    /// A user goroutine made the call.
    fn on_goroutine(&self) -> bool {
        self.label.starts_with("goroutine ")
    }
}

/// Every `-k` event of a trace.
fn stacks_of(trace: &str) -> Vec<Event> {
    let mut out: Vec<Event> = Vec::new();
    // Calls split by another thread's event: `<unfinished ...>` now, the
    // result and the stack on the `<... resumed>` line.
    let mut split: std::collections::HashMap<String, String> = Default::default();
    for line in trace.lines() {
        if let Some(frame) = line.strip_prefix(" > ") {
            if let Some(last) = out.last_mut() {
                last.frames.push(frame.to_string());
            }
            continue;
        }
        // `[pid N] ` or `N ` prefixes, then the call.
        let rest = line.trim_start_matches("[pid").trim_start();
        let tid: String = rest.chars().take_while(|c| c.is_ascii_digit()).collect();
        let body = rest[tid.len()..].trim_start_matches(']').trim_start();
        if body.starts_with("<... ") {
            let call = split.remove(&tid).unwrap_or_default();
            out.push(Event::new(call, line));
            continue;
        }
        let Some(open) = body.find('(') else { continue };
        let first_arg = body[open + 1..].split([',', ')']).next().unwrap_or("");
        let call = format!("{}({first_arg}", &body[..open]);
        if body.ends_with("<unfinished ...>") {
            split.insert(tid, call);
        } else {
            out.push(Event::new(call, line));
        }
    }
    out
}

/// Frames with each pc made relative to the first frame's, so PIE
/// binaries loaded at different addresses in two runs compare equal.
fn relative_pcs(frames: &[String]) -> Vec<String> {
    let re = regex::Regex::new(r"\[0x([0-9a-f]+)\]$").unwrap();
    let pc = |f: &String| {
        re.captures(f)
            .map(|c| i128::from_str_radix(&c[1], 16).unwrap())
    };
    let base = frames.iter().find_map(pc).unwrap_or(0);
    frames
        .iter()
        .map(|f| match pc(f) {
            Some(v) => re.replace(f, format!("[{:+#x}]", v - base)).into_owned(),
            None => f.clone(),
        })
        .collect()
}

/// `-k` under eBPF gives the ptrace backend's stacks: same frames, names,
/// lines and pcs, for plain, stripped and PIE binaries and an old Go.
#[test]
fn ebpf_stacks_equal_ptrace_stacks() {
    if let Some(why) = ebpf_unavailable() {
        eprintln!("eBPF unavailable: {why}");
        return;
    }
    let cases: [(&str, &[&str], &str); 4] = [
        ("goroutines-go1.27-linux-amd64", &["4", "20"], "write(3"),
        ("goroutines-go1.19-linux-amd64", &["3", "10"], "write(3"),
        (
            "syscall_minimal-go1.27-linux-amd64-stripped",
            &[],
            "write(1",
        ),
        ("syscall_minimal-go1.24-linux-amd64-pie", &[], "write(1"),
    ];
    for (name, args, call) in cases {
        let bin = fixture(name);
        let mut cmd = vec![bin.to_str().unwrap()];
        cmd.extend_from_slice(args);
        let flags = ["-f", "-qq", "-k", "-e", "trace=write,openat"];
        let (p, _, _) = trace("ptrace", &format!("k-{name}"), &flags, &cmd);
        let (e, e_err, _) = trace("ebpf", &format!("k-{name}"), &flags, &cmd);
        assert!(!e_err.contains("lost"), "{name}: events lost: {e_err}");
        let pick = |t: &str| -> (usize, BTreeSet<Vec<String>>, usize) {
            let events: Vec<_> = stacks_of(t)
                .into_iter()
                .filter(|s| s.call == call)
                .collect();
            let named = events.iter().filter(|s| s.on_goroutine()).count();
            let stacks = events.iter().map(|s| relative_pcs(&s.frames)).collect();
            (events.len(), stacks, named)
        };
        let (pn, ps, pg) = pick(&p);
        let (en, es, eg) = pick(&e);
        assert!(pn > 0, "{name}: no {call} events under ptrace:\n{p}");
        assert_eq!(pn, en, "{name}: {call} events: ptrace {pn}, ebpf {en}");
        assert_eq!(pg, pn, "{name}: ptrace events without a goroutine");
        assert_eq!(eg, en, "{name}: ebpf events without a goroutine:\n{e}");
        assert!(
            ps.iter()
                .all(|s| s.iter().any(|f| f.starts_with("main.main"))),
            "{name}: ptrace stacks do not reach main.main: {ps:?}"
        );
        assert_eq!(ps, es, "{name}: the stacks differ");
    }
}

/// `-T`, `-ttt`, `-c` and `--json` under eBPF take their times from the
/// kernel: a 0.2 s sleep shows as one, at the time it happened.
#[test]
fn kernel_times_for_durations_stamps_and_summary() {
    if ebpf_unavailable().is_some() {
        return;
    }
    let now = || {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs_f64()
    };
    let sleep = ["sleep", "0.2"];
    let flags = ["-T", "-ttt", "-e", "trace=clock_nanosleep,nanosleep"];
    let before = now();
    let (text, err, code) = trace("ebpf", "times", &flags, &sleep);
    let after = now();
    assert_eq!(code, 0, "{err}");
    let re = regex::Regex::new(r"^(\d+\.\d{6}) (clock_)?nanosleep\(.*= 0 <(\d+\.\d{6})>$").unwrap();
    let caps = text
        .lines()
        .find_map(|l| re.captures(l))
        .unwrap_or_else(|| panic!("no timed sleep line in:\n{text}"));
    let (at, took): (f64, f64) = (caps[1].parse().unwrap(), caps[3].parse().unwrap());
    assert!((0.19..1.0).contains(&took), "slept 0.2 s, -T says {took}");
    assert!(
        at >= before - 0.001 && at + took <= after + 0.001,
        "stamp {at} outside the run [{before}, {after}]"
    );

    let (summary, err, _) = trace(
        "ebpf",
        "times-c",
        &["-c", "-e", "trace=clock_nanosleep,nanosleep"],
        &sleep,
    );
    let row = summary
        .lines()
        .find(|l| l.trim_end().ends_with("nanosleep") && !l.contains("total"))
        .unwrap_or_else(|| panic!("no sleep row in:\n{summary}{err}"));
    let seconds: f64 = row.split_whitespace().nth(1).unwrap().parse().unwrap();
    assert!((0.19..1.0).contains(&seconds), "-c row: {row}");

    let before = now();
    let (json, err, _) = trace(
        "ebpf",
        "times-json",
        &["--json", "-e", "trace=clock_nanosleep,nanosleep"],
        &sleep,
    );
    let ev: serde_json::Value = json
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .find(|v| v["event"] == "syscall")
        .unwrap_or_else(|| panic!("no syscall event in:\n{json}{err}"));
    let d = ev["duration"].as_f64().unwrap();
    let t = ev["time"].as_f64().unwrap();
    assert!((0.19..1.0).contains(&d), "{ev}");
    assert!(t >= before - 0.001 && t <= now(), "{ev}");
}

/// Syscalls the runtime makes on the system stack (g0) name the user
/// goroutine it works for and continue the stack across `systemstack`
/// onto that goroutine's stack, as under ptrace: the kernel copies `m`,
/// `m.curg` and the goroutine's frame-pointer chain.
#[test]
fn g0_stacks_name_the_goroutine_and_cross_systemstack() {
    if ebpf_unavailable().is_some() {
        return;
    }
    let bin = fixture("files_net-go1.27-linux-amd64");
    let flags = ["-f", "-qq", "-k"];
    let cmd = [bin.to_str().unwrap(), "7"];
    let (p, _, _) = trace("ptrace", "g0", &flags, &cmd);
    let (e, err, _) = trace("ebpf", "g0", &flags, &cmd);
    assert!(!err.contains("lost"), "{err}");
    let labels = |t: &str, what: &str| t.lines().filter(|l| l.contains(what)).count();
    // Crossing: a g0 event whose stack goes from systemstack down to
    // the goroutine's own frames and ends at goexit.
    let crossed = |t: &str| {
        t.split("\n")
            .collect::<Vec<_>>()
            .windows(2)
            .filter(|w| {
                w[0].contains("runtime.systemstack ") && w[1].contains("runtime.systemstack_switch")
            })
            .count()
    };
    assert!(
        labels(&e, "[g0 (goroutine ") > 0,
        "no g0 event names its goroutine:\n{e}"
    );
    assert!(crossed(&e) > 0, "no stack crosses systemstack:\n{e}");
    assert!(crossed(&p) > 0, "ptrace: no stack crosses systemstack");
    // Unnamed threads only where ptrace has them too (before the runtime
    // set g up, a new thread's first calls).
    assert!(
        labels(&e, "[no g]") <= labels(&p, "[no g]") + 2,
        "ebpf {} [no g], ptrace {}",
        labels(&e, "[no g]"),
        labels(&p, "[no g]")
    );
    // (execve's entry stack belongs to rabbithole's own child before the
    // exec, named under ptrace only because it stops there.)
    // A new thread's first calls (after clone, before the runtime set up
    // its g: `[no g]`) end in an unnamed frame or none under either
    // backend, depending on what its fresh stack holds; compare the rest
    // by call.
    let unnamed = |t: &str| -> BTreeSet<String> {
        stacks_of(t)
            .into_iter()
            .filter(|s| !s.call.starts_with("execve(") && s.label != "no g")
            .filter(|s| s.frames.iter().any(|f| f.starts_with("? ")))
            .map(|s| s.call.split('(').next().unwrap_or("").to_string())
            .collect()
    };
    let (ue, up) = (unnamed(&e), unnamed(&p));
    assert!(
        ue.is_subset(&up),
        "calls with unnamed frames under eBPF only: {:?}",
        ue.difference(&up).collect::<Vec<_>>()
    );
}

/// `-y` needs each descriptor's path as the call ran, which events read
/// after the fact cannot give: `auto` takes ptrace and says why, an
/// explicit `--backend ebpf` refuses.
#[test]
fn fd_paths_use_ptrace() {
    if ebpf_unavailable().is_some() {
        return;
    }
    let file = tmp("fd-paths.txt");
    let script = format!("echo hi > {}", file.display());
    let out = run(
        Command::new(rabbithole()).args([
            "trace",
            "-y",
            "-e",
            "trace=close",
            "--",
            "sh",
            "-c",
            &script,
        ]),
        60,
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(err.contains("tracing with ptrace: -y needs"), "{err}");
    assert!(err.contains(&format!("<{}>", file.display())), "{err}");
    let out = run(
        Command::new(rabbithole()).args(["trace", "--backend", "ebpf", "-y", "--", "true"]),
        60,
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--backend ebpf: -y needs"));
}

/// Records that wrap the ring's end (a 4 KiB ring, many writes) arrive
/// whole: every `write` line decodes to the bytes the shell wrote.
#[test]
fn records_wrapping_the_ring_arrive_whole() {
    if let Some(why) = ebpf_unavailable() {
        eprintln!("eBPF unavailable: {why}");
        return;
    }
    let script = "i=0; while [ $i -lt 3000 ]; do echo \"record $i\"; i=$((i+1)); done";
    let (text, err, code) = trace(
        "ebpf",
        "wrap",
        &["-qq", "-e", "trace=write", "--ebpf-ring-size", "4096"],
        &["sh", "-c", script],
    );
    assert_eq!(code, 0, "{err}");
    let line = regex::Regex::new(r#"^write\(1, "record (\d+)\\n", (\d+)\) += (\d+)$"#).unwrap();
    let writes: Vec<&str> = text.lines().filter(|l| l.starts_with("write(")).collect();
    // Far more than a 4 KiB ring holds at once: it wrapped many times.
    assert!(writes.len() > 200, "{} writes\n{err}", writes.len());
    for w in writes {
        let c = line
            .captures(w)
            .unwrap_or_else(|| panic!("not a whole record: {w}"));
        let n: usize = c[1].len() + "record \n".len();
        assert_eq!(c[2].parse::<usize>().unwrap(), n, "{w}");
        assert_eq!(c[3].parse::<usize>().unwrap(), n, "{w}");
    }
}

/// Tracing a short command costs little memory: rabbithole's peak RSS,
/// read by the traced command itself from its parent's status, stays
/// under 40 MB with the default 32 MiB ring (mapped twice and whole, the
/// ring alone was 64 MiB of RSS).
#[test]
fn a_short_trace_stays_small() {
    if let Some(why) = ebpf_unavailable() {
        eprintln!("eBPF unavailable: {why}");
        return;
    }
    let out = run(
        Command::new(rabbithole()).args([
            "trace",
            "--backend",
            "ebpf",
            "-f",
            "-o",
            "/dev/null",
            "--",
            "sh",
            "-c",
            "grep VmHWM /proc/$PPID/status",
        ]),
        30,
    );
    let text = String::from_utf8_lossy(&out.stdout);
    let kb: u64 = text
        .split_whitespace()
        .nth(1)
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("no VmHWM: {text}"));
    assert!(kb < 40 << 10, "peak RSS {kb} kB");
}

/// A vfork'd child (Go's `os/exec`) runs Go code until its exec: under
/// eBPF its events are read after the fact, when the child may already be
/// the new program, so it must be named from its parent's mappings. Its
/// `execve` stack equals the ptrace backend's, frame for frame.
#[test]
fn vfork_child_stacks_are_named_as_under_ptrace() {
    if let Some(why) = ebpf_unavailable() {
        eprintln!("eBPF unavailable: {why}");
        return;
    }
    let bin = fixture("exec_child-go1.27-linux-amd64");
    let cmd = [bin.to_str().unwrap(), "true"];
    let flags = ["-f", "-qq", "-k", "-e", "trace=execve"];
    let child_exec = |t: &str| -> Vec<String> {
        let events: Vec<_> = stacks_of(t)
            .into_iter()
            .filter(|s| s.call.starts_with("execve(") && s.call.ends_with("/true\""))
            .collect();
        assert_eq!(events.len(), 1, "one execve of true:\n{t}");
        assert!(events[0].on_goroutine(), "no goroutine:\n{t}");
        events[0].frames.clone()
    };
    let (p, _, pcode) = trace("ptrace", "vfork", &flags, &cmd);
    let pf = child_exec(&p);
    assert!(
        pf.iter()
            .any(|f| f.starts_with("syscall.forkAndExecInChild1 ")),
        "ptrace stack: {pf:?}"
    );
    // Repeated: the child's exec races the reader; each run must name it.
    for round in 0..3 {
        let (e, e_err, ecode) = trace("ebpf", &format!("vfork{round}"), &flags, &cmd);
        assert_eq!((pcode, ecode), (0, 0), "{e_err}");
        assert_eq!(
            child_exec(&e),
            pf,
            "round {round}: eBPF stack of the vfork child"
        );
    }
}
