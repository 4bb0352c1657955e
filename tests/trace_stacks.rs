//! Go stacks at traced syscalls, checked against gdb's `bt` at the same
//! stop (tests/fixtures/golden/*.gdb-bt.txt: `catch syscall write`, run,
//! `bt`). These run the fixtures under ptrace, so they need the rights to
//! trace a child (root or a permissive ptrace_scope) on linux/amd64.
#![cfg(all(target_os = "linux", target_arch = "x86_64"))]

use model::Frame;
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use tracer::goroutine::Current;
use tracer::unwind::{End, Stack, Unwinder};
use tracer::{Control, Options, Outcome, Sink, SyscallEntry, Thread, Tracer};

const WRITE: u64 = 1;

fn fixture(name: &str) -> PathBuf {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/bin")
        .join(name);
    assert!(p.exists(), "fixture {} missing", p.display());
    p
}

fn golden(name: &str) -> String {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/golden")
        .join(format!("{name}.gdb-bt.txt"));
    std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// One gdb `bt` line: its pc when gdb printed one (not for frame #0 nor
/// for a frame inlined into the one above), and the function.
#[derive(Debug)]
struct GdbFrame {
    pc: Option<u64>,
    function: String,
}

fn parse_gdb(text: &str) -> Vec<GdbFrame> {
    let mut out = Vec::new();
    for line in text.lines() {
        let Some(rest) = line.strip_prefix('#') else {
            continue;
        };
        let rest = rest.split_once(' ').map_or("", |(_, r)| r).trim_start();
        let (pc, rest) = match rest.strip_prefix("0x") {
            Some(r) => {
                let (hex, r) = r.split_once(" in ").expect("pc followed by ' in '");
                (Some(u64::from_str_radix(hex, 16).unwrap()), r)
            }
            None => (None, rest),
        };
        let function = rest.split(" (").next().unwrap().to_string();
        out.push(GdbFrame { pc, function });
    }
    out
}

/// What the sink saw at one syscall.
struct Seen {
    tid: i32,
    stack: Stack,
    /// Load bias of the Go executable, to compare PIE pcs with gdb's
    /// (gdb runs PIE binaries at 0x555555554000).
    bias: u64,
}

struct Recorder {
    unwinder: Unwinder,
    nr: u64,
    limit: usize,
    seen: Vec<Seen>,
}

impl Sink for Recorder {
    fn syscall_entry(&mut self, thread: &dyn Thread, call: &SyscallEntry) -> Control {
        if call.nr == self.nr && self.seen.len() < self.limit {
            let regs = thread.registers().expect("registers");
            let stack = self.unwinder.unwind(thread, &regs, 64);
            let bias = self
                .unwinder
                .symbols
                .go_module(thread.pid())
                .map_or(0, |(_, b)| b);
            self.seen.push(Seen {
                tid: thread.tid(),
                stack,
                bias,
            });
        }
        Control::Continue
    }

    fn exec(&mut self, thread: &dyn Thread, _former_tid: i32) {
        self.unwinder.forget(thread.pid());
    }
}

fn trace(program: &Path, args: &[&str], nr: u64, limit: usize) -> Vec<Seen> {
    let args: Vec<OsString> = args.iter().map(OsString::from).collect();
    let opts = Options {
        follow_forks: true,
        seccomp: None,
    };
    let mut t = Tracer::spawn(program.as_os_str(), &args, &opts).expect("spawn under ptrace");
    let mut rec = Recorder {
        unwinder: Unwinder::new(),
        nr,
        limit,
        seen: Vec::new(),
    };
    loop {
        match t.run(&mut rec).expect("trace") {
            Outcome::Finished(_) => break,
            Outcome::Paused(_) | Outcome::Interrupted(_) => continue,
        }
    }
    rec.seen
}

fn names(frames: &[Frame]) -> Vec<&str> {
    frames.iter().map(|f| f.function.as_str()).collect()
}

/// Link-time pc of each physical frame (one per group of inlined frames).
fn physical_pcs(frames: &[Frame], bias: u64) -> Vec<u64> {
    frames
        .iter()
        .filter(|f| !f.inlined)
        .map(|f| f.pc.wrapping_sub(bias))
        .collect()
}

/// The stack at the first write of `bin` must list gdb's functions for
/// `golden_of`, in order, with the same return addresses, then go on to
/// runtime.main and runtime.goexit (gdb stops at main.main).
fn check_syscall_minimal(bin: &str, golden_of: &str, gdb_base: u64) {
    let seen = trace(&fixture(bin), &[], WRITE, 1);
    let first = seen
        .first()
        .unwrap_or_else(|| panic!("{bin}: no write seen"));
    let gdb = parse_gdb(&golden(golden_of));
    assert!(gdb.len() >= 7, "{golden_of}: golden too short");
    let ours = &first.stack.frames;
    let want: Vec<&str> = gdb.iter().map(|g| g.function.as_str()).collect();
    assert!(
        ours.len() > want.len(),
        "{bin}: stack {:?} shorter than gdb's {:?}",
        names(ours),
        want
    );
    assert_eq!(
        names(&ours[..want.len()]),
        want,
        "{bin}: functions differ from gdb bt"
    );
    // gdb prints the inlined x/sys unix.Write and main.main as two frames
    // at one pc; the unwinder marks the inlined one.
    let w = ours
        .iter()
        .position(|f| f.function == "golang.org/x/sys/unix.Write")
        .expect("unix.Write frame");
    assert!(ours[w].inlined, "{bin}: unix.Write not marked inlined");
    assert_eq!(ours[w + 1].function, "main.main");
    assert!(!ours[w + 1].inlined);
    assert_eq!(ours[w].pc, ours[w + 1].pc);
    // Return addresses equal gdb's (frames #1.. that carry a pc).
    let gdb_pcs: Vec<u64> = gdb
        .iter()
        .filter_map(|g| g.pc)
        .map(|pc| pc - gdb_base)
        .collect();
    let our_pcs = physical_pcs(ours, first.bias);
    assert_eq!(
        &our_pcs[1..=gdb_pcs.len()],
        &gdb_pcs[..],
        "{bin}: return addresses differ from gdb"
    );
    let tail = names(&ours[want.len()..]);
    assert_eq!(
        tail,
        ["runtime.main", "runtime.goexit"],
        "{bin}: below main.main"
    );
    assert_eq!(first.stack.end, End::Complete);
    assert_eq!(
        first.stack.fp_mismatches, 0,
        "{bin}: frame pointers disagree with pcs"
    );
    // main.main runs on goroutine 1 (go-internals §4.2 sanity check).
    match first.stack.current {
        Current::Goroutine(g) => {
            assert_eq!(g.goid, 1, "{bin}: main goroutine id");
            assert_eq!(g.status, tracer::goroutine::G_SYSCALL, "{bin}: status");
        }
        other => panic!("{bin}: expected the main goroutine, got {other:?}"),
    }
}

/// gdb runs PIE binaries at 0x555555554000; these are linked at 0x400000.
const PIE_BIAS: u64 = 0x5555_5555_4000 - 0x40_0000;

#[test]
fn syscall_minimal_go119() {
    check_syscall_minimal(
        "syscall_minimal-go1.19-linux-amd64",
        "syscall_minimal-go1.19-linux-amd64",
        0,
    );
}

#[test]
fn syscall_minimal_go121() {
    check_syscall_minimal(
        "syscall_minimal-go1.21-linux-amd64",
        "syscall_minimal-go1.21-linux-amd64",
        0,
    );
}

#[test]
fn syscall_minimal_go123() {
    check_syscall_minimal(
        "syscall_minimal-go1.23-linux-amd64",
        "syscall_minimal-go1.23-linux-amd64",
        0,
    );
}

#[test]
fn syscall_minimal_go124() {
    check_syscall_minimal(
        "syscall_minimal-go1.24-linux-amd64",
        "syscall_minimal-go1.24-linux-amd64",
        0,
    );
}

#[test]
fn syscall_minimal_go127() {
    check_syscall_minimal(
        "syscall_minimal-go1.27-linux-amd64",
        "syscall_minimal-go1.27-linux-amd64",
        0,
    );
}

/// Stripped twins: no symbols, no DWARF, and gdb's golden for them is a
/// column of `??`. The pclntab survives stripping, so the stack must equal
/// the unstripped twin's golden.
#[test]
fn stripped_twins_give_the_same_stack() {
    for v in ["1.19", "1.21", "1.23", "1.24", "1.27"] {
        check_syscall_minimal(
            &format!("syscall_minimal-go{v}-linux-amd64-stripped"),
            &format!("syscall_minimal-go{v}-linux-amd64"),
            0,
        );
    }
}

#[test]
fn pie_builds() {
    for v in ["1.24", "1.27"] {
        let name = format!("syscall_minimal-go{v}-linux-amd64-pie");
        check_syscall_minimal(&name, &name, PIE_BIAS);
    }
}

/// Every write the workers make carries the goroutine id the program
/// itself prints for that thread (`worker N goid G tid T writes W`). The
/// fixture runs under `sh -c 'exec ...'`, so the symbol cache is also
/// reloaded across an exec.
fn check_goroutines(bin: &str) {
    let out = std::env::temp_dir().join(format!(
        "rabbithole-stacks-{bin}-{}.txt",
        std::process::id()
    ));
    let cmd = format!(
        "exec '{}' 4 25 > '{}'",
        fixture(bin).display(),
        out.display()
    );
    let seen = trace(Path::new("/bin/sh"), &["-c", &cmd], WRITE, usize::MAX);
    let report = std::fs::read_to_string(&out).expect("fixture output");
    let _ = std::fs::remove_file(&out);
    let mut workers = 0;
    let mut by_tid: std::collections::BTreeMap<(i32, Option<u64>), usize> = Default::default();
    for s in &seen {
        *by_tid.entry((s.tid, s.stack.current.goid())).or_default() += 1;
    }
    eprintln!("{bin}: {report}\n(tid, goid) -> writes: {by_tid:?}");
    let mut pairs = Vec::new();
    for line in report.lines() {
        let f: Vec<&str> = line.split_whitespace().collect();
        assert_eq!(f.len(), 8, "unexpected line {line:?}");
        let goid: u64 = f[3].parse().unwrap();
        let tid: i32 = f[5].parse().unwrap();
        let writes: usize = f[7].parse().unwrap();
        // Workers that run one after another may share a thread (the
        // program reports the same tid), so events are matched by tid and
        // goid together.
        let ours: Vec<&Seen> = seen
            .iter()
            .filter(|s| s.tid == tid && s.stack.current.goid() == Some(goid))
            .collect();
        assert_eq!(
            ours.len(),
            writes,
            "{bin}: writes seen on tid {tid} as goroutine {goid}"
        );
        for s in ours {
            assert!(matches!(s.stack.current, Current::Goroutine(_)));
            assert_eq!(
                s.stack.end,
                End::Complete,
                "{bin}: {:?}",
                names(&s.stack.frames)
            );
            let want = ["syscall.Write", "main.main.func1"];
            assert!(
                s.stack
                    .frames
                    .windows(2)
                    .any(|w| [w[0].function.as_str(), w[1].function.as_str()] == want),
                "{bin}: {:?}",
                names(&s.stack.frames)
            );
        }
        pairs.push((tid, goid));
        workers += 1;
    }
    assert_eq!(workers, 4, "{bin}: report {report:?}");
    // And no worker write was attributed to a goroutine the program does
    // not report for that thread.
    for s in &seen {
        if s.stack
            .frames
            .iter()
            .any(|f| f.function == "main.main.func1")
        {
            let pair = (s.tid, s.stack.current.goid().unwrap_or(0));
            assert!(
                pairs.contains(&pair),
                "{bin}: worker write as {pair:?}, report {report:?}"
            );
        }
    }
}

#[test]
fn goroutine_ids_match_the_program_go127() {
    check_goroutines("goroutines-go1.27-linux-amd64");
}

#[test]
fn goroutine_ids_match_the_program_go119() {
    check_goroutines("goroutines-go1.19-linux-amd64");
}

/// cgo: the first write comes from C (`write` in libc) on g0 inside
/// asmcgocall; the stack names the libc function, then continues on the
/// goroutine that made the cgo call, down to main.main. A spot check: C
/// frames between libc and asmcgocall are not unwound (no CFI reader).
#[test]
fn cgo_write_reaches_main_main() {
    let seen = trace(&fixture("cgo_hello-go1.27-linux-amd64"), &[], WRITE, 2);
    assert_eq!(seen.len(), 2, "two writes (C, then Go)");
    let c = &seen[0].stack;
    let fns = names(&c.frames);
    eprintln!("cgo_hello C write: {} {fns:?}", c.current.describe());
    assert!(
        c.frames[0].file.contains("libc"),
        "innermost frame in libc: {:?}",
        c.frames[0]
    );
    assert_ne!(c.frames[0].function, "?");
    for want in [
        "runtime.cgocall",
        "main._Cfunc_hello_from_c",
        "main.main",
        "runtime.main",
        "runtime.goexit",
    ] {
        assert!(fns.contains(&want), "{want} missing from {fns:?}");
    }
    assert!(matches!(c.current, Current::G0 { curg: Some(g), .. } if g.goid == 1));
    let go = &seen[1].stack;
    let fns = names(&go.frames);
    eprintln!("cgo_hello Go write: {} {fns:?}", go.current.describe());
    assert_eq!(go.current.goid(), Some(1));
    assert!(fns.contains(&"main.main"));
    assert_eq!(go.end, End::Complete);
}
