//! Running the program to the syscall: one ptrace session with the plan's
//! breakpoints. Every hit records the registers and the stack words the
//! callee's ABI reads, keyed by goroutine; at the Nth matching syscall
//! entry the goroutine's hits, and which of their calls are still on its
//! stack, are kept, and the call is let run to its exit for the result.
//! Nothing is single-stepped, so the cost is a handful of stops however
//! much work the program does first.

use super::plan::Plan;
use super::Goroutine;
use crate::memory::{read_word, ThreadMemory};
use gobin::bytes::u64_le;
use gobin::GoBinary;
use std::collections::HashMap;
use std::ffi::OsString;
use tracer::breakpoint::{Session, Step, Stop};
use tracer::goroutine::{layouts, GLayout, MLayout};
use tracer::symbolize::Symbolizer;
use tracer::{Registers, Thread, X86_64Regs};

/// Stack words saved at each hit (ABI0 arguments live there).
const STACK_WORDS: usize = 12;
/// Bytes saved behind each pointer-looking value (for strings).
const PEEK: usize = 64;

/// One breakpoint hit.
#[derive(Clone)]
pub(crate) struct Hit {
    pub(crate) seq: u64,
    /// The g the thread ran (g0 once asmcgocall switched stacks).
    g: u64,
    pub(crate) regs: X86_64Regs,
    pub(crate) stack: Vec<u64>,
    /// The goroutine's stack top then (stacks move when they grow).
    stack_hi: u64,
    /// Bytes behind pointer-looking values.
    pub(crate) peeks: HashMap<u64, Vec<u8>>,
}

/// The stopped syscall.
pub(crate) struct Captured {
    pub(crate) tid: i32,
    g: u64,
    pub(crate) goid: Option<u64>,
    pub(crate) regs: X86_64Regs,
    pub(crate) entry: tracer::SyscallEntry,
    pending: Option<syscalls::Pending>,
    pub(crate) call: Option<model::syscall::Call>,
    pub(crate) ret: Option<i64>,
    /// Breakpoint hits of the goroutine, by static pc.
    pub(crate) hits: HashMap<u64, Hit>,
    /// Return-address slots read at the stop: static call pc -> live.
    pub(crate) live: HashMap<u64, bool>,
    /// exitsyscall observed after the call.
    pub(crate) exited_runtime: bool,
    /// The file mapped at the syscall instruction when it is not the Go
    /// binary's text (libc).
    pub(crate) mapping: Option<String>,
    /// The Go stack at the syscall, innermost first: the chain of last
    /// resort when no static chain reaches the instruction (calls through
    /// function values).
    pub(crate) stack: Vec<model::Frame>,
}

/// The state of one run: the plan, what was hit, what was captured.
pub(crate) struct Runner<'p> {
    plan: &'p Plan,
    nr: u64,
    nth: u64,
    sel: Goroutine,
    /// Load bias of the executable (PIE), known at its exec.
    pub(crate) bias: u64,
    entry_static: u64,
    layout: Option<(GLayout, MLayout)>,
    tls_off: i64,
    seq: u64,
    /// Hits by (g, static pc).
    hits: HashMap<(u64, u64), Hit>,
    /// Matching calls seen so far.
    pub(crate) count: u64,
    /// Calls of the syscall that other goroutines made, or that had no
    /// function matching `--match` on their chain.
    pub(crate) others: u64,
    /// `--match`: a function that must be on the chain.
    matching: Option<regex::Regex>,
    pub(crate) captured: Option<Captured>,
    done: bool,
    /// Executions to let pass before the program's own (the rehearsal's
    /// shell).
    skip_execs: u32,
    /// The program's own image runs: its syscalls count.
    started: bool,
    /// What to do at the captured call.
    mode: Mode,
}

/// What a run does at the call it captures.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// Let it run to its result: the call explained.
    Explain,
    /// Kill the program: a rehearsal that only learns the chain.
    Rehearse,
    /// Stop driving, the program running on: learning the chain of a
    /// process attached to.
    Learn,
}

impl<'p> Runner<'p> {
    /// A run of `plan` to the `nth` call of syscall `nr`; `tls_off` is
    /// where `g` sits from fs_base.
    pub(crate) fn new(
        go: &GoBinary<'_>,
        tls_off: i64,
        plan: &'p Plan,
        nr: u64,
        nth: u64,
        sel: Goroutine,
    ) -> Runner<'p> {
        Runner {
            plan,
            nr,
            nth,
            sel,
            bias: 0,
            entry_static: go.bin.entry,
            layout: go.version.and_then(layouts),
            tls_off,
            seq: 0,
            hits: HashMap::new(),
            count: 0,
            others: 0,
            matching: None,
            captured: None,
            done: false,
            skip_execs: 0,
            started: false,
            mode: Mode::Explain,
        }
    }

    /// Counts only calls with a function matching `re` on their chain.
    pub(crate) fn matching(mut self, re: Option<&regex::Regex>) -> Self {
        self.matching = re.cloned();
        self
    }

    /// A rehearsal: the program runs under `/bin/sh` (one exec to skip),
    /// and is killed at the captured call.
    pub(crate) fn rehearse(mut self) -> Self {
        self.skip_execs = 1;
        self.mode = Mode::Rehearse;
        self
    }

    /// Learning on a process attached to: the captured call only teaches
    /// the chain, and the program runs on.
    pub(crate) fn learn(mut self) -> Self {
        self.mode = Mode::Learn;
        self
    }

    /// Runs the program to its end; its exit status.
    pub(crate) fn go(
        &mut self,
        program: &OsString,
        args: &[OsString],
    ) -> Result<Option<tracer::ExitKind>, tracer::Error> {
        let size = syscalls::table(model::Arch::Amd64)
            .map(|t| t.iter().map(|s| s.nr + 1).max().unwrap_or(0))
            .unwrap_or(0) as u32;
        let filter = tracer::SeccompFilter::new(&[self.nr as u32], size.max(self.nr as u32 + 1));
        // SIGINT, SIGTERM, SIGHUP: kill the command, report nothing.
        tracer::interrupt::install(&[2, 15, 1])?;
        let mut s = Session::spawn(program, args, Some(&filter))?;
        Ok(self.drive(&mut s, false)?.unwrap_or(None))
    }

    /// Starts on a process attached to (its image runs already): plants
    /// the plan's breakpoints now.
    pub(crate) fn attached(&mut self, s: &mut Session) -> Result<(), tracer::Error> {
        self.started = true;
        self.plant(s, s.main_pid())
    }

    /// Plants the plan's breakpoints in the image `tid` runs: all of
    /// them, or with stages only the outermost.
    fn plant(&mut self, s: &mut Session, tid: i32) -> Result<(), tracer::Error> {
        self.bias = load_bias(tid, self.entry_static);
        match self.plan.stages.first() {
            Some(&first) => self.arm(s, first),
            None => {
                let all: Vec<u64> = self.plan.breakpoints.keys().copied().collect();
                for pc in all {
                    self.arm(s, pc)?;
                }
                Ok(())
            }
        }
    }

    /// After a hit at stage `pc` by a goroutine that counts: plants the
    /// next stage, and with the last one the side calls.
    fn arm_after(&mut self, s: &mut Session, pc: u64) -> Result<(), tracer::Error> {
        let stages = &self.plan.stages;
        let Some(k) = stages.iter().position(|&p| p == pc) else {
            return Ok(());
        };
        let mut next: Vec<u64> = stages.get(k + 1).copied().into_iter().collect();
        if k + 2 >= stages.len() {
            next.extend(self.plan.sides.iter().map(|(_, _, p)| *p));
        }
        for p in next {
            self.arm(s, p)?;
        }
        Ok(())
    }

    /// Plants the breakpoint planned at static `pc`.
    fn arm(&mut self, s: &mut Session, pc: u64) -> Result<(), tracer::Error> {
        if let Some(p) = self.plan.breakpoints.get(&pc) {
            let step = match p.step {
                Step::Call { target, return_to } => Step::Call {
                    target: target.wrapping_add(self.bias),
                    return_to: return_to.wrapping_add(self.bias),
                },
                Step::CallRegister { reg, return_to } => Step::CallRegister {
                    reg,
                    return_to: return_to.wrapping_add(self.bias),
                },
                Step::Jump { target } => Step::Jump {
                    target: target.wrapping_add(self.bias),
                },
            };
            s.insert(pc.wrapping_add(self.bias), step)?;
        }
        Ok(())
    }

    /// Drives `s`: Some(how the program ended) when it did; with
    /// `until_done`, None as soon as the captured call is complete (the
    /// session then holds a thread, and the program runs on).
    pub(crate) fn drive(
        &mut self,
        s: &mut Session,
        until_done: bool,
    ) -> Result<Option<Option<tracer::ExitKind>>, tracer::Error> {
        loop {
            if until_done && self.done {
                return Ok(None);
            }
            match s.advance()? {
                Stop::Exec { .. } if self.skip_execs > 0 => self.skip_execs -= 1,
                Stop::Exec { tid } => {
                    self.started = true;
                    self.plant(s, tid)?;
                }
                Stop::Breakpoint { pc, .. } => {
                    let pc = pc.wrapping_sub(self.bias);
                    let counted = match s.held() {
                        Some(t) => self.hit(&t, pc),
                        None => false,
                    };
                    if self.done {
                        s.remove_all();
                        s.quiet();
                    } else if counted && self.captured.is_none() {
                        self.arm_after(s, pc)?;
                    }
                }
                Stop::SyscallEntry { tid, entry } => {
                    if self.started && self.captured.is_none() && entry.nr == self.nr {
                        if let Some(t) = s.held() {
                            if self.entry(&t, tid, entry) {
                                match self.mode {
                                    Mode::Rehearse => s.kill(),
                                    Mode::Learn => self.done = true,
                                    Mode::Explain => s.want_exit(tid),
                                }
                            }
                        }
                    }
                }
                Stop::SyscallExit { tid, exit } => {
                    if let Some(c) = self.captured.as_mut() {
                        if c.tid == tid && c.ret.is_none() {
                            c.ret = Some(exit.rval);
                            if let (Some(p), Some(t)) = (c.pending.take(), s.held()) {
                                c.call = Some(decoding(&t, |ctx| {
                                    syscalls::decode_exit(ctx, p, exit.rval)
                                }));
                            }
                            let wait_exitsyscall = self
                                .plan
                                .sides
                                .iter()
                                .any(|(_, callee, _)| callee == "runtime.exitsyscall");
                            if !wait_exitsyscall {
                                self.done = true;
                                s.remove_all();
                                s.quiet();
                            }
                        }
                    }
                }
                Stop::Finished(kind) => return Ok(Some(kind)),
            }
        }
    }

    /// The g running on a stopped thread: R14 in Go code (1.17+), else the
    /// TLS slot; checked by its stack bounds containing SP.
    fn current_g(&self, t: &dyn Thread, r: &X86_64Regs) -> Option<u64> {
        // g.stack.lo and g.stack.hi, in one read: this runs at every stop.
        let holds_sp = |g: u64| {
            let mut b = [0u8; 16];
            g != 0
                && t.read_memory(g, &mut b).ok() == Some(16)
                && matches!((u64_le(&b, 0), u64_le(&b, 8)), (Some(lo), Some(hi)) if lo <= r.rsp && r.rsp < hi)
        };
        if holds_sp(r.r14) {
            return Some(r.r14);
        }
        let tls = (r.fs_base as i64).wrapping_add(self.tls_off) as u64;
        read_word(t, tls).filter(|&g| g != 0)
    }

    fn goid(&self, t: &dyn Thread, g: u64) -> Option<u64> {
        read_word(t, g + self.layout?.0.goid as u64)
    }

    /// The user goroutine the M running g0 `g` works for (`g.m.curg`).
    fn curg(&self, t: &dyn Thread, g: u64) -> Option<u64> {
        let (gl, ml) = self.layout?;
        let m = read_word(t, g + gl.m as u64)?;
        read_word(t, m + ml.curg as u64).filter(|&c| c != 0)
    }

    /// Records a breakpoint hit; true when its goroutine counts.
    fn hit(&mut self, t: &dyn Thread, pc: u64) -> bool {
        let Ok(Registers::X86_64(r)) = t.registers() else {
            return false;
        };
        let Some(g) = self.current_g(t, &r) else {
            return false;
        };
        if let Some(c) = &mut self.captured {
            if c.g == g && c.ret.is_some() {
                let exits = self
                    .plan
                    .sides
                    .iter()
                    .any(|(_, callee, spc)| *spc == pc && callee == "runtime.exitsyscall");
                if exits {
                    c.exited_runtime = true;
                    self.done = true;
                }
            }
            return false;
        }
        // Calls of goroutines whose syscalls do not count are not recorded:
        // the chain's call sites are often shared with them.
        let counts = match self.sel {
            Goroutine::Any => true,
            Goroutine::Main => self.layout.is_none() || self.goid(t, g) == Some(1),
            Goroutine::Id(id) => self.layout.is_none() || self.goid(t, g) == Some(id),
        };
        // On g0 (cgo's asmcgocall) the goroutine is the M's curg.
        let counts = counts || self.goid(t, g) == Some(0);
        if !counts {
            return false;
        }
        self.seq += 1;
        let mut buf = vec![0u8; STACK_WORDS * 8];
        let n = t.read_memory(r.rsp, &mut buf).unwrap_or(0);
        let stack: Vec<u64> = (0..n / 8)
            .filter_map(|k| gobin::bytes::u64_le(&buf, k * 8))
            .collect();
        let mut peeks = HashMap::new();
        let regs = [r.rax, r.rbx, r.rcx, r.rdi, r.rsi, r.r8, r.r9, r.r10, r.r11];
        for v in regs.iter().chain(stack.iter()) {
            if (0x1000..0x8000_0000_0000).contains(v) && !peeks.contains_key(v) {
                let mut b = vec![0u8; PEEK];
                if let Ok(k) = t.read_memory(*v, &mut b) {
                    b.truncate(k);
                    peeks.insert(*v, b);
                }
            }
        }
        let stack_hi = read_word(t, g + 8).unwrap_or(0);
        self.hits.insert(
            (g, pc),
            Hit {
                seq: self.seq,
                g,
                regs: r,
                stack,
                stack_hi,
                peeks,
            },
        );
        true
    }

    /// A matching syscall entry; true when it is the one to show.
    fn entry(&mut self, t: &dyn Thread, tid: i32, entry: tracer::SyscallEntry) -> bool {
        let Ok(Registers::X86_64(r)) = t.registers() else {
            return false;
        };
        let g = self.current_g(t, &r).unwrap_or(0);
        let mut goid = (g != 0).then(|| self.goid(t, g)).flatten();
        let mut user_g = g;
        if goid == Some(0) {
            // On g0 (cgo, systemstack): the goroutine is m.curg.
            if let Some(curg) = self.curg(t, g) {
                user_g = curg;
                goid = self.goid(t, curg);
            }
        }
        let wanted = match self.sel {
            Goroutine::Any => true,
            Goroutine::Main => match goid {
                Some(id) => id == 1,
                // Unknown layout: the goroutine that entered main.main's calls.
                None => self.hits.keys().any(|(hg, _)| *hg == user_g),
            },
            Goroutine::Id(want) => goid == Some(want),
        };
        if !wanted {
            self.others += 1;
            return false;
        }
        let mut stack = None;
        if let Some(re) = &self.matching {
            let frames = tracer::unwind::Unwinder::new()
                .unwind(t, &Registers::X86_64(r), 64)
                .frames;
            if !frames.iter().any(|f| re.is_match(&f.function)) {
                self.others += 1;
                return false;
            }
            stack = Some(frames);
        }
        self.count += 1;
        if self.count != self.nth {
            return false;
        }
        let hits: HashMap<u64, Hit> = self
            .hits
            .iter()
            .filter(|((hg, _), _)| *hg == user_g || *hg == g)
            .map(|((_, pc), h)| (*pc, h.clone()))
            .collect();
        // Which calls are still on the stack: the return address is where
        // the breakpoint saw it would be pushed.
        let mut live = HashMap::new();
        for (pc, h) in &hits {
            let Some(p) = self.plan.breakpoints.get(pc) else {
                continue;
            };
            let ret = match p.step {
                Step::Call { return_to, .. } | Step::CallRegister { return_to, .. } => return_to,
                Step::Jump { .. } => continue,
            };
            let hi_now = read_word(t, h.g + 8).unwrap_or(0);
            let moved = hi_now.wrapping_sub(h.stack_hi);
            let slot = h.regs.rsp.wrapping_sub(8).wrapping_add(moved);
            live.insert(*pc, read_word(t, slot) == Some(ret.wrapping_add(self.bias)));
        }
        let e = syscalls::Entry {
            nr: entry.nr,
            args: entry.args,
            sp: entry.sp,
        };
        let pending = decoding(t, |ctx| syscalls::decode_entry(ctx, &e));
        self.captured = Some(Captured {
            tid,
            g: user_g,
            goid,
            regs: r,
            entry,
            pending: Some(pending),
            call: None,
            ret: None,
            hits,
            live,
            exited_runtime: false,
            mapping: mapping_of(t.pid(), entry.pc),
            stack: stack.unwrap_or_else(|| {
                tracer::unwind::Unwinder::new()
                    .unwind(t, &Registers::X86_64(r), 64)
                    .frames
            }),
        });
        true
    }
}

/// Runs a decoder on the stopped thread's memory, with strace's default
/// limits (the report shows the call as strace would).
fn decoding<R>(t: &dyn Thread, decode: impl FnOnce(&syscalls::Context<'_>) -> R) -> R {
    let mem = ThreadMemory(t);
    let opts = syscalls::Options::default();
    decode(&syscalls::Context {
        arch: model::Arch::Amd64,
        mem: &mem,
        opts: &opts,
        fd_path: None,
    })
}

/// The file mapped at `addr` in `pid` (libc when a cgo call made the
/// syscall), as the tracer's symbolizer reads /proc/PID/maps.
fn mapping_of(pid: i32, addr: u64) -> Option<String> {
    let mut maps = Symbolizer::new();
    let found = maps.lookup(pid, addr, false)?;
    maps.module(found.module).map(|m| m.path().to_string())
}

/// The auxiliary vector's key for the program's entry point.
const AT_ENTRY: u64 = 9;

/// Where a PIE was loaded: AT_ENTRY from the auxiliary vector minus the
/// ELF entry (0 for fixed-address executables).
fn load_bias(pid: i32, entry: u64) -> u64 {
    let Ok(aux) = std::fs::read(format!("/proc/{pid}/auxv")) else {
        return 0;
    };
    for pair in aux.chunks_exact(16) {
        let (Some(k), Some(v)) = (u64_le(pair, 0), u64_le(pair, 8)) else {
            continue;
        };
        if k == AT_ENTRY {
            return v.wrapping_sub(entry);
        }
    }
    0
}
