//! The engine on real processes: exit codes, signals, threads, exec by a
//! non-leader thread, seccomp filtering, attach and detach. Helper C
//! programs are compiled with the system `cc` into Cargo's temp dir.

use std::collections::HashMap;
use std::ffi::OsString;
use std::path::PathBuf;
use tracer::{
    Birth, Control, ExitKind, Options, Outcome, SeccompFilter, SignalInfo, Sink, SyscallEntry,
    SyscallExit, Thread, Tracer,
};

#[derive(Debug, Clone, PartialEq)]
enum Ev {
    Entry(i32, u64),
    Exit(i32, Option<u64>, i64),
    Signal(i32, i32),
    GroupStop(i32, i32),
    New(i32, i32, i32, Birth),
    Exec(i32, i32),
    Exited(i32, ExitKind, Option<u64>),
}

#[derive(Default)]
struct Record(Vec<Ev>);

impl Sink for Record {
    fn syscall_entry(&mut self, t: &dyn Thread, c: &SyscallEntry) -> Control {
        self.0.push(Ev::Entry(t.tid(), c.nr));
        Control::Continue
    }
    fn syscall_exit(&mut self, t: &dyn Thread, c: &SyscallExit) -> Control {
        self.0
            .push(Ev::Exit(t.tid(), c.entry.map(|e| e.nr), c.rval));
        Control::Continue
    }
    fn signal(&mut self, t: &dyn Thread, info: &SignalInfo) -> Control {
        self.0.push(Ev::Signal(t.tid(), info.signo));
        Control::Continue
    }
    fn group_stop(&mut self, tid: i32, _pid: i32, signal: i32) {
        self.0.push(Ev::GroupStop(tid, signal));
    }
    fn new_tracee(&mut self, parent: i32, child: i32, child_pid: i32, birth: Birth) {
        self.0.push(Ev::New(parent, child, child_pid, birth));
    }
    fn exec(&mut self, t: &dyn Thread, former: i32) {
        self.0.push(Ev::Exec(t.tid(), former));
    }
    fn exited(&mut self, tid: i32, _pid: i32, how: ExitKind, call: Option<&SyscallEntry>) {
        self.0.push(Ev::Exited(tid, how, call.map(|c| c.nr)));
    }
}

fn cc(name: &str) -> PathBuf {
    // Tests run in parallel and share the programs: build each once.
    static BUILT: std::sync::Mutex<Vec<(String, PathBuf)>> = std::sync::Mutex::new(Vec::new());
    let mut built = BUILT.lock().unwrap_or_else(|e| e.into_inner());
    if let Some((_, p)) = built.iter().find(|(n, _)| n == name) {
        return p.clone();
    }
    let out = build(name);
    built.push((name.to_string(), out.clone()));
    out
}

fn build(name: &str) -> PathBuf {
    let src = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/progs")
        .join(format!("{name}.c"));
    let out = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(name);
    let st = std::process::Command::new("cc")
        .args(["-O1", "-pthread", "-o"])
        .arg(&out)
        .arg(&src)
        .status()
        .expect("cc (gcc) is needed to build the helper programs");
    assert!(st.success(), "cc failed on {}", src.display());
    out
}

fn follow() -> Options {
    Options {
        follow_forks: true,
        seccomp: None,
    }
}

fn trace(program: &str, args: &[&str], opts: &Options) -> (Outcome, Vec<Ev>) {
    let args: Vec<OsString> = args.iter().map(OsString::from).collect();
    let mut t = Tracer::spawn(program.as_ref(), &args, opts).expect("spawn");
    let mut rec = Record::default();
    let outcome = t.run(&mut rec).expect("run");
    (outcome, rec.0)
}

#[test]
fn first_event_is_the_execve_and_exit_code_is_kept() {
    let (outcome, evs) = trace("sh", &["-c", "exit 3"], &follow());
    assert_eq!(outcome, Outcome::Finished(Some(ExitKind::Exited(3))));
    assert!(
        matches!(evs[0], Ev::Entry(_, nr) if nr == libc::SYS_execve as u64),
        "{:?}",
        &evs[..3]
    );
    assert!(evs.iter().any(|e| matches!(e, Ev::Exec(..))));
    assert!(
        matches!(evs.last(), Some(Ev::Exited(_, ExitKind::Exited(3), Some(nr))) if *nr == libc::SYS_exit_group as u64)
    );
}

#[test]
fn killed_by_a_signal_reports_the_signal() {
    let (outcome, evs) = trace("sh", &["-c", "kill -TERM $$"], &follow());
    assert_eq!(
        outcome,
        Outcome::Finished(Some(ExitKind::Killed {
            signal: libc::SIGTERM,
            core: false
        }))
    );
    assert_eq!(
        ExitKind::Killed {
            signal: 15,
            core: false
        }
        .shell_code(),
        143
    );
    assert!(evs
        .iter()
        .any(|e| matches!(e, Ev::Signal(_, libc::SIGTERM))));
}

#[test]
fn missing_program_is_a_clear_error() {
    let err = Tracer::spawn("no-such-program-xyz".as_ref(), &[], &follow())
        .err()
        .expect("error");
    assert!(
        err.to_string() == "Can't stat 'no-such-program-xyz': No such file or directory",
        "{err}"
    );
}

/// Per-thread getppid counts as the tracer saw them (completed calls).
fn getppid_counts(evs: &[Ev]) -> HashMap<i32, usize> {
    let mut counts = HashMap::new();
    for e in evs {
        if let Ev::Exit(tid, Some(nr), _) = e {
            if *nr == libc::SYS_getppid as u64 {
                *counts.entry(*tid).or_default() += 1;
            }
        }
    }
    counts
}

fn storm(opts: &Options) -> (HashMap<i32, usize>, HashMap<i32, usize>, Vec<Ev>) {
    storm_with(
        &format!("storm-{}", opts.seccomp.is_some()),
        |prog, args| trace(prog, args, opts),
    )
}

/// Runs the storm program (20 waves of 20 threads) under `run`: what the
/// program says each thread did, what the tracer saw, all events.
fn storm_with(
    tag: &str,
    run: impl FnOnce(&str, &[&str]) -> (Outcome, Vec<Ev>),
) -> (HashMap<i32, usize>, HashMap<i32, usize>, Vec<Ev>) {
    let prog = cc("storm");
    let report = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("{tag}.txt"));
    let (outcome, evs) = run(
        prog.to_str().unwrap(),
        &["20", "20", report.to_str().unwrap()],
    );
    assert_eq!(outcome, Outcome::Finished(Some(ExitKind::Exited(0))));
    let mut expected = HashMap::new();
    for line in std::fs::read_to_string(&report).unwrap().lines() {
        let f: Vec<&str> = line.split_whitespace().collect();
        expected.insert(f[1].parse::<i32>().unwrap(), f[3].parse::<usize>().unwrap());
    }
    (expected, getppid_counts(&evs), evs)
}

/// Threads whose counts differ: (tid, program's count, tracer's count).
fn count_diff(
    expected: &HashMap<i32, usize>,
    seen: &HashMap<i32, usize>,
) -> Vec<(i32, usize, usize)> {
    let mut tids: Vec<i32> = expected.keys().chain(seen.keys()).copied().collect();
    tids.sort_unstable();
    tids.dedup();
    tids.into_iter()
        .map(|t| {
            (
                t,
                expected.get(&t).copied().unwrap_or(0),
                seen.get(&t).copied().unwrap_or(0),
            )
        })
        .filter(|(_, a, b)| a != b)
        .collect()
}

/// All 400 threads of the storm, each with the program's own count of
/// calls, and a clone event for each.
fn assert_storm_seen_whole(expected: &HashMap<i32, usize>, seen: &HashMap<i32, usize>, evs: &[Ev]) {
    assert_eq!(expected.len(), 400, "the program reports 400 threads");
    let diff = count_diff(expected, seen);
    assert!(diff.is_empty(), "(tid, program, tracer) differ: {diff:?}");
    let clones = evs
        .iter()
        .filter(|e| matches!(e, Ev::New(_, _, _, Birth::Clone)))
        .count();
    assert!(clones >= 400, "saw {clones} clone events");
}

#[test]
fn thread_storm_loses_no_event() {
    let (expected, seen, evs) = storm(&follow());
    assert_storm_seen_whole(&expected, &seen, &evs);
    // Every thread that appeared also exited.
    let exits = evs.iter().filter(|e| matches!(e, Ev::Exited(..))).count();
    let births = evs.iter().filter(|e| matches!(e, Ev::New(..))).count();
    assert_eq!(exits, births + 1);
}

#[test]
fn seccomp_filter_stops_only_on_traced_calls_and_loses_nothing() {
    let table_size = 512;
    let filter = SeccompFilter::new(&[libc::SYS_getppid as u32], table_size);
    let opts = Options {
        follow_forks: true,
        seccomp: Some(filter),
    };
    let (expected, seen, evs) = storm(&opts);
    let diff = count_diff(&expected, &seen);
    assert!(diff.is_empty(), "(tid, program, tracer) differ: {diff:?}");
    let other: Vec<&Ev> = evs
        .iter()
        .filter(|e| match e {
            Ev::Entry(_, nr) | Ev::Exit(_, Some(nr), _) => {
                *nr != libc::SYS_getppid as u64 && *nr != libc::SYS_execve as u64
            }
            _ => false,
        })
        .collect();
    assert!(
        other.is_empty(),
        "unfiltered calls stopped the tracee: {:?}",
        &other[..other.len().min(5)]
    );
}

#[test]
fn exec_by_a_non_leader_thread_takes_the_leader_tid() {
    let prog = cc("thread_exec");
    let (outcome, evs) = trace(prog.to_str().unwrap(), &[], &follow());
    assert_eq!(outcome, Outcome::Finished(Some(ExitKind::Exited(0))));
    let execs: Vec<&Ev> = evs.iter().filter(|e| matches!(e, Ev::Exec(..))).collect();
    assert_eq!(execs.len(), 2, "{execs:?}");
    let Ev::Exec(tid, former) = *execs[1] else {
        unreachable!()
    };
    assert_ne!(
        tid, former,
        "the second exec is made by a non-leader thread"
    );
    // The execve made by `former` returns 0 in the leader's tid.
    let exec_nr = libc::SYS_execve as u64;
    assert!(evs.contains(&Ev::Exit(tid, Some(exec_nr), 0)), "{evs:?}");
}

#[test]
fn signals_group_stops_and_continue_are_reported() {
    let prog = cc("signals");
    let (outcome, evs) = trace(prog.to_str().unwrap(), &[], &follow());
    assert_eq!(outcome, Outcome::Finished(Some(ExitKind::Exited(7))));
    let main = match evs[0] {
        Ev::Entry(tid, _) => tid,
        _ => panic!("{:?}", evs[0]),
    };
    assert!(evs.contains(&Ev::Signal(main, libc::SIGUSR1)));
    assert!(evs.contains(&Ev::Signal(main, libc::SIGSTOP)));
    assert!(evs.contains(&Ev::GroupStop(main, libc::SIGSTOP)));
    assert!(evs.contains(&Ev::Signal(main, libc::SIGCONT)));
    assert!(evs.contains(&Ev::Signal(main, libc::SIGCHLD)));
}

struct PauseAtGetppid(usize);

impl Sink for PauseAtGetppid {
    fn syscall_entry(&mut self, _t: &dyn Thread, c: &SyscallEntry) -> Control {
        if c.nr == libc::SYS_getppid as u64 {
            self.0 += 1;
            if self.0 == 1 {
                return Control::Pause;
            }
        }
        Control::Continue
    }
}

#[test]
fn a_sink_can_pause_a_thread_and_inspect_it() {
    let prog = cc("storm");
    let mut t = Tracer::spawn(prog.as_os_str(), &["1".into(), "1".into()], &follow()).unwrap();
    let mut sink = PauseAtGetppid(0);
    let outcome = t.run(&mut sink).unwrap();
    let Outcome::Paused(tid) = outcome else {
        panic!("{outcome:?}")
    };
    let th = t.paused_thread().expect("paused thread");
    assert_eq!(th.tid(), tid);
    let regs = th.registers().unwrap();
    assert_ne!(regs.pc(), 0);
    let mut word = [0u8; 8];
    assert_eq!(th.read_memory(regs.sp(), &mut word).unwrap(), 8);
    assert_eq!(
        t.run(&mut sink).unwrap(),
        Outcome::Finished(Some(ExitKind::Exited(0)))
    );
}

#[test]
fn attach_then_detach_leaves_the_process_running() {
    let mut child = std::process::Command::new("sh")
        .args(["-c", "while :; do sleep 0.01; done"])
        .spawn()
        .unwrap();
    let pid = child.id() as i32;
    let mut t = Tracer::attach(&[pid], &follow()).unwrap();
    assert_eq!(t.tracee_count(), 1);
    let mut rec = Record::default();
    t.detach_all(&mut rec).unwrap();
    assert_eq!(t.tracee_count(), 0);
    std::thread::sleep(std::time::Duration::from_millis(100));
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    let state = stat
        .rsplit(')')
        .next()
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap();
    assert!(state == "S" || state == "R", "state after detach: {state}");
    assert!(child.try_wait().unwrap().is_none(), "still running");
    child.kill().unwrap();
    child.wait().unwrap();
}

/// Per-thread counts the program reports, the tracer's, all events, and
/// the events the tracer lost.
type StormRun = (HashMap<i32, usize>, HashMap<i32, usize>, Vec<Ev>, u64);

/// The eBPF backend on the storm: `None` when eBPF cannot run here.
fn ebpf_storm(ring_size: usize) -> Option<StormRun> {
    if let Err(why) = tracer::ebpf::available() {
        eprintln!("eBPF unavailable, not checked: {why}");
        return None;
    }
    let opts = tracer::ebpf::Options {
        names: vec![
            (libc::SYS_getppid as u64, "getppid"),
            (libc::SYS_execve as u64, "execve"),
            (libc::SYS_exit_group as u64, "exit_group"),
        ],
        ring_size,
        ..tracer::ebpf::Options::default()
    };
    let mut lost = 0;
    let (expected, seen, evs) = storm_with(&format!("storm-ebpf-{ring_size}"), |prog, args| {
        let args: Vec<OsString> = args.iter().map(OsString::from).collect();
        let mut t = tracer::ebpf::EbpfTracer::spawn(prog.as_ref(), &args, &opts).expect("spawn");
        let mut rec = Record::default();
        let outcome = t.run(&mut rec).expect("run");
        lost = t.lost();
        (outcome, rec.0)
    });
    Some((expected, seen, evs, lost))
}

#[test]
fn ebpf_thread_storm_loses_no_event_at_the_default_ring() {
    let Some((expected, seen, evs, lost)) = ebpf_storm(tracer::ebpf::Options::default().ring_size)
    else {
        return;
    };
    assert_eq!(lost, 0);
    assert_storm_seen_whole(&expected, &seen, &evs);
}

#[test]
fn ebpf_thread_storm_through_a_tiny_ring_counts_what_it_loses() {
    // One page of ring: most records cannot fit while the reader sleeps.
    let Some((expected, seen, _, lost)) = ebpf_storm(4096) else {
        return;
    };
    // The program ran to its end, unslowed and unkilled (storm_with
    // checked exit 0), and every call is either seen or counted as lost.
    let calls: usize = expected.values().sum();
    let got: usize = seen.values().sum();
    assert!(lost > 0, "a 4 KiB ring held all {calls} calls?");
    assert!(
        got as u64 + lost >= calls as u64,
        "{got} seen + {lost} lost < {calls} made"
    );
    for (tid, n) in &seen {
        assert!(
            expected.get(tid).is_some_and(|e| n <= e),
            "thread {tid}: {n} calls seen, more than it made"
        );
    }
}
