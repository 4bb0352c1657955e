//! Go stacks of a thread stopped at a syscall (go-internals §4.3–4.4).
//!
//! Each step finds the function at the pc in the pclntab and takes its
//! frame size from pcsp at that pc. The frame pointer chain is the fast
//! path and pcsp is its check: when BP sits where pcsp says the frame saved
//! it, the two agree by construction and the walk follows BP; in frameless
//! assembly leaves (`linux.Syscall6`), prologues, epilogues and wrappers BP
//! still belongs to a caller, and pcsp alone gives the right answer.
//!
//! Stacks switch. A syscall made on g0 (the scheduler, `systemstack`, cgo's
//! `asmcgocall`) reaches a stack-switching function whose caller is not on
//! this stack; the walk then continues on the user goroutine from where the
//! runtime saved it (`g.sched`, or `g.syscall*` for a goroutine in a
//! syscall), as Go's own traceback does. C frames are named from ELF
//! symbols; C code keeps no reliable frame chain, so after a few of them the
//! walk crosses to the goroutine the same way.
//!
//! The whole walk costs one register fetch, one read of `g` and usually one
//! read of the stack: memory is fetched in chunks from the stack pointer up
//! and every pc is looked up once per binary ([`crate::symbolize`]).

use crate::goroutine::{Current, GReader, Goroutine, Regs3, G_SYSCALL};
use crate::symbolize::{PcKind, Special, Symbolizer};
use crate::{Arch, Registers, Thread};
use model::Frame;

/// Bytes of stack fetched at once from the stack pointer up. Most
/// goroutine stacks at a syscall fit; deeper stacks cost another read
/// per 4 KiB.
const FIRST_CHUNK: u64 = 16 << 10;
const NEXT_CHUNK: u64 = 4 << 10;
/// Memory reads allowed per walk beyond the first chunk.
const MAX_READS: usize = 24;
/// Native frames walked before crossing to the goroutine.
const MAX_NATIVE: usize = 8;
/// FuncFlag SPWrite.
const SP_WRITE: u8 = 0x2;

/// How a walk ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum End {
    /// Reached `runtime.goexit` or another top frame: the whole stack.
    Complete,
    /// Stopped at the depth limit.
    Depth,
    /// Could not continue (unreadable memory, no function at the pc, a
    /// stack switch with nowhere to go).
    Lost,
}

/// One unwound stack.
#[derive(Debug, Clone)]
pub struct Stack {
    /// Logical frames, innermost first; inlined calls are separate frames
    /// with `inlined` set and the physical frame's pc.
    pub frames: Vec<Frame>,
    /// The goroutine the thread runs.
    pub current: Current,
    /// How the walk ended.
    pub end: End,
    /// Steps where the frame pointer and pcsp disagreed (pcsp used).
    pub fp_mismatches: u32,
}

/// A memory view of the stopped thread that reads whole chunks and
/// answers word reads from them.
struct StackMem<'a> {
    thread: &'a dyn Thread,
    chunks: Vec<(u64, Vec<u8>)>,
    reads: usize,
}

impl<'a> StackMem<'a> {
    fn new(thread: &'a dyn Thread, spare: Vec<u8>) -> Self {
        let mut chunks = Vec::with_capacity(4);
        chunks.push((0, spare));
        chunks[0].1.clear();
        StackMem {
            thread,
            chunks,
            reads: 0,
        }
    }

    /// Fetches `[addr, addr+len)`, or as much of it as is mapped.
    fn fetch(&mut self, addr: u64, len: u64) -> bool {
        if self.reads >= MAX_READS {
            return false;
        }
        self.reads += 1;
        let len = usize::try_from(len).unwrap_or(4096);
        let slot = if self.chunks[0].1.is_empty() {
            0
        } else {
            self.chunks.push((0, Vec::new()));
            self.chunks.len() - 1
        };
        let buf = &mut self.chunks[slot].1;
        buf.resize(len, 0);
        match self.thread.read_memory(addr, buf) {
            Ok(n) => {
                buf.truncate(n);
                self.chunks[slot].0 = addr;
                n >= 8
            }
            Err(_) => {
                buf.clear();
                false
            }
        }
    }

    fn word(&mut self, addr: u64) -> Option<u64> {
        for _ in 0..2 {
            for (start, bytes) in &self.chunks {
                if let Some(off) = addr.checked_sub(*start) {
                    let off = usize::try_from(off).ok()?;
                    if let Some(w) = gobin::bytes::u64_le(bytes, off) {
                        return Some(w);
                    }
                }
            }
            if !self.fetch(addr, NEXT_CHUNK) {
                return None;
            }
        }
        None
    }

    fn into_spare(mut self) -> Vec<u8> {
        std::mem::take(&mut self.chunks[0].1)
    }
}

/// The register state at one step of the walk.
#[derive(Debug, Clone, Copy)]
struct Step {
    pc: u64,
    sp: u64,
    bp: u64,
    /// arm64 link register, when it still holds this frame's return
    /// address (innermost frame only).
    lr: Option<u64>,
    /// The pc is where the thread is (or where the runtime saved it), not
    /// a return address: look it up as is rather than at pc-1.
    exact: bool,
    /// The thread's own registers (the first step): a leaf may not have
    /// saved anything yet.
    innermost: bool,
}

/// Unwinds stacks of threads in traced processes. Keeps the symbol cache
/// and a reusable stack buffer; one per tracer.
#[derive(Debug, Default)]
pub struct Unwinder {
    /// Symbols of every traced process.
    pub symbols: Symbolizer,
    spare: Vec<u8>,
    readers: std::collections::HashMap<i32, Option<GReader>>,
}

impl Unwinder {
    /// An unwinder with empty caches.
    pub fn new() -> Unwinder {
        Unwinder::default()
    }

    /// Forgets `pid`'s mappings and Go layout (after `execve`).
    pub fn forget(&mut self, pid: i32) {
        self.symbols.forget(pid);
        self.readers.remove(&pid);
    }

    /// A new process starts with its parent's mappings and Go layout
    /// (see [`Symbolizer::inherit`]); its exec makes the caller
    /// [`forget`](Self::forget) them.
    pub fn inherit(&mut self, parent: i32, child: i32) {
        self.symbols.inherit(parent, child);
        let reader = self.reader(parent);
        self.readers.insert(child, reader);
    }

    /// Reads `pid`'s mappings now, while the process exists. Backends that
    /// deliver events after the fact (a ring buffer drained later) call it
    /// when they learn of a process, so stacks of a process that has
    /// exited meanwhile can still be named.
    pub fn preload(&mut self, pid: i32) {
        if self.symbols.is_known(pid) {
            // Known already: it mapped more code (a library) since.
            self.symbols.refresh(pid);
        }
        if self.readers.get(&pid).is_some_and(|r| r.is_none()) {
            self.readers.remove(&pid);
        }
        let _ = self.reader(pid);
    }

    /// The g reader for `pid`, from its Go executable's version.
    fn reader(&mut self, pid: i32) -> Option<GReader> {
        if let Some(r) = self.readers.get(&pid) {
            return *r;
        }
        let module = self.symbols.go_module(pid)?;
        let r = module.0.go().and_then(|go| {
            let version = go.version?;
            GReader::new(version, module.0.g_tls_offset_amd64())
        });
        // Kept once the Go executable is known; before (mappings read too
        // early) the next call asks again.
        self.readers.insert(pid, r);
        r
    }

    /// The goroutine `thread` runs.
    pub fn current(&mut self, thread: &dyn Thread, regs: &Registers) -> Current {
        match self.reader(thread.pid()) {
            Some(r) => r.current(thread, regs),
            None => Current::NoG,
        }
    }

    /// Unwinds `thread` from `regs`, at most `max_frames` logical frames.
    pub fn unwind(&mut self, thread: &dyn Thread, regs: &Registers, max_frames: usize) -> Stack {
        let current = self.current(thread, regs);
        let (isa, start) = match regs {
            Registers::X86_64(r) => (
                Arch::Amd64,
                Step {
                    pc: r.rip,
                    sp: r.rsp,
                    bp: r.rbp,
                    lr: None,
                    exact: true,
                    innermost: true,
                },
            ),
            Registers::Aarch64(r) => (
                Arch::Arm64,
                Step {
                    pc: r.pc,
                    sp: r.sp,
                    bp: r.x[29],
                    lr: Some(r.x[30]),
                    exact: true,
                    innermost: true,
                },
            ),
        };
        let mut mem = StackMem::new(thread, std::mem::take(&mut self.spare));
        let first_len = match current {
            Current::Goroutine(g) if start.sp >= g.stack_lo && start.sp < g.stack_hi => {
                (g.stack_hi - start.sp).min(FIRST_CHUNK)
            }
            _ => FIRST_CHUNK,
        };
        mem.fetch(start.sp, first_len);
        let mut walk = Walk {
            pid: thread.pid(),
            isa,
            symbols: &mut self.symbols,
            mem: &mut mem,
            frames: Vec::new(),
            max_frames,
            fp_mismatches: 0,
        };
        let end = walk.run(start, &current);
        let frames = std::mem::take(&mut walk.frames);
        let fp_mismatches = walk.fp_mismatches;
        self.spare = mem.into_spare();
        Stack {
            frames,
            current,
            end,
            fp_mismatches,
        }
    }
}

struct Walk<'a, 'm> {
    pid: i32,
    isa: Arch,
    symbols: &'a mut Symbolizer,
    mem: &'a mut StackMem<'m>,
    frames: Vec<Frame>,
    max_frames: usize,
    fp_mismatches: u32,
}

/// What to do after a frame.
enum Next {
    Continue(Step),
    /// Continue on the user goroutine (a stack switch).
    Switch,
    Stop(End),
}

impl Walk<'_, '_> {
    fn full(&self) -> bool {
        self.frames.len() >= self.max_frames
    }

    fn run(&mut self, start: Step, current: &Current) -> End {
        let user = current.user().copied();
        let mut on_system = matches!(current, Current::G0 { .. } | Current::Gsignal { .. });
        let mut step = start;
        let mut native = 0usize;
        // Goroutine steps only ever move up the stack; a switch resets it.
        let mut guard = 0u32;
        loop {
            guard += 1;
            if self.full() {
                return End::Depth;
            }
            if guard > 4096 {
                return End::Lost;
            }
            let next = self.frame(step, &mut native, on_system);
            match next {
                Next::Continue(s) => {
                    // SP grows toward callers; only an arm64 leaf shares
                    // its SP with its caller (the return address is in LR).
                    let stuck = s.sp < step.sp || (s.sp == step.sp && !step.innermost);
                    if stuck || s.pc == 0 {
                        return self.fallback(on_system, user, step);
                    }
                    step = s;
                }
                Next::Stop(End::Lost) => return self.fallback(on_system, user, step),
                Next::Stop(end) => return end,
                Next::Switch => {
                    if !on_system {
                        return End::Lost;
                    }
                    let Some(g) = user else { return End::Lost };
                    on_system = false;
                    native = 0;
                    step = resume_point(&g);
                    if step.pc == 0 || step.sp == 0 {
                        return End::Lost;
                    }
                }
            }
        }
    }

    /// When the walk on the system stack loses its way, the user goroutine
    /// is still a valid place to go on from (its saved state is exact).
    /// On the goroutine's own stack, a goroutine in a syscall has saved the
    /// caller of `entersyscall`, a valid restart further up.
    fn fallback(&mut self, on_system: bool, user: Option<Goroutine>, last: Step) -> End {
        let Some(g) = user else {
            return End::Lost;
        };
        let step = resume_point(&g);
        let usable = if on_system {
            step.sp != last.sp
        } else {
            g.status == G_SYSCALL && step.sp > last.sp
        };
        if step.pc == 0 || step.sp == 0 || !usable {
            return End::Lost;
        }
        let mut native = 0;
        let mut step = step;
        for _ in 0..4096 {
            if self.full() {
                return End::Depth;
            }
            match self.frame(step, &mut native, false) {
                Next::Continue(s) if s.sp > step.sp && s.pc != 0 => step = s,
                Next::Stop(end) if end != End::Lost => return end,
                _ => return End::Lost,
            }
        }
        End::Lost
    }

    fn push_frames(&mut self, pc: u64, frames: &[Frame]) {
        for f in frames {
            if self.full() {
                return;
            }
            let mut f = f.clone();
            f.pc = pc;
            self.frames.push(f);
        }
    }

    /// Emits the frame(s) at `step` and computes the caller.
    fn frame(&mut self, step: Step, native: &mut usize, on_system: bool) -> Next {
        let caller = !step.exact;
        let Some(res) = self.symbols.lookup(self.pid, step.pc, caller) else {
            self.frames.push(Frame {
                pc: step.pc,
                function: "?".into(),
                file: String::new(),
                line: 0,
                inlined: false,
            });
            return if on_system {
                Next::Switch
            } else {
                Next::Stop(End::Lost)
            };
        };
        let info = res.info;
        match &info.kind {
            PcKind::Go {
                sp_delta,
                special,
                flag,
                asm,
                ..
            } => {
                *native = 0;
                self.push_frames(step.pc, &info.frames);
                // Only the assembly that really moves SP switches stacks
                // (runtime.asmcgocall also names its ABI wrapper).
                let switches = flag & SP_WRITE != 0 || (*flag == 0 && *asm);
                match special {
                    Special::Goexit | Special::Top => return Next::Stop(End::Complete),
                    Special::Systemstack | Special::Mcall | Special::Asmcgocall
                        if switches && (!step.innermost || sp_delta.unwrap_or(0) > 0) =>
                    {
                        if !on_system {
                            return Next::Stop(End::Lost);
                        }
                        if *special == Special::Asmcgocall && self.isa == Arch::Amd64 {
                            // asmcgocall left (depth, old g) at the aligned
                            // g0 SP it called C with.
                            if let Some(s) = self.cgo_return(step) {
                                return Next::Continue(s);
                            }
                        }
                        return Next::Switch;
                    }
                    _ => {}
                }
                match sp_delta {
                    Some(d) if *d >= 0 => self.go_caller(step, *d as u64),
                    _ => self.fp_caller(step),
                }
            }
            PcKind::Native { .. } | PcKind::Unknown => {
                let function = match &info.kind {
                    PcKind::Native { symbol, .. } => symbol.clone(),
                    _ => "?".to_string(),
                };
                let file = self
                    .symbols
                    .module(res.module)
                    .map(|m| m.path().to_string())
                    .unwrap_or_default();
                self.frames.push(Frame {
                    pc: step.pc,
                    function,
                    file,
                    line: 0,
                    inlined: false,
                });
                *native += 1;
                if *native > MAX_NATIVE {
                    return if on_system {
                        Next::Switch
                    } else {
                        Next::Stop(End::Lost)
                    };
                }
                match self.native_caller(step) {
                    Some(s) => Next::Continue(s),
                    None if on_system => Next::Switch,
                    None => Next::Stop(End::Lost),
                }
            }
        }
    }

    /// The caller of a Go frame whose SP delta at the pc is `d`.
    fn go_caller(&mut self, step: Step, d: u64) -> Next {
        match self.isa {
            Arch::Amd64 => {
                let Some(ret_slot) = step.sp.checked_add(d) else {
                    return Next::Stop(End::Lost);
                };
                // A frame that is set up saved the caller's BP just below
                // the return address, and BP points there: the frame
                // pointer chain and pcsp agree. Where they do not (the
                // thread's own frame mid-prologue, a frameless leaf whose
                // BP is the caller's) pcsp is right.
                if d >= 8 && !step.innermost && step.bp != 0 && step.bp != ret_slot - 8 {
                    self.fp_mismatches += 1;
                }
                let ret = self.mem.word(ret_slot);
                let bp = if d >= 8 {
                    self.mem.word(ret_slot - 8)
                } else {
                    Some(step.bp)
                };
                let Some(ret) = ret else {
                    return Next::Stop(End::Lost);
                };
                Next::Continue(Step {
                    pc: ret,
                    sp: ret_slot + 8,
                    bp: bp.unwrap_or(0),
                    lr: None,
                    exact: false,
                    innermost: false,
                })
            }
            // Registers exist for two architectures only.
            Arch::Arm64 | Arch::Other(_) => {
                // The saved LR is at 0(RSP) once the frame is set up; a leaf
                // or a function in its prologue still has it in LR.
                let ret = match step.lr {
                    Some(lr) if d == 0 => Some(lr),
                    _ => self.mem.word(step.sp),
                };
                let Some(ret) = ret else {
                    return Next::Stop(End::Lost);
                };
                let bp = if d > 0 {
                    step.sp.checked_sub(8).and_then(|a| self.mem.word(a))
                } else {
                    Some(step.bp)
                };
                Next::Continue(Step {
                    pc: ret,
                    sp: step.sp + d,
                    bp: bp.unwrap_or(0),
                    lr: None,
                    exact: false,
                    innermost: false,
                })
            }
        }
    }

    /// The caller by frame pointer alone (no pcsp): Go code without a
    /// table, or the first native frame guess.
    fn fp_caller(&mut self, step: Step) -> Next {
        if step.bp <= step.sp || step.bp - step.sp > (1 << 20) {
            return Next::Stop(End::Lost);
        }
        let (Some(ret), Some(bp)) = (self.mem.word(step.bp + 8), self.mem.word(step.bp)) else {
            return Next::Stop(End::Lost);
        };
        Next::Continue(Step {
            pc: ret,
            sp: step.bp + 16,
            bp,
            lr: None,
            exact: false,
            innermost: false,
        })
    }

    /// The caller of a native frame. A syscall wrapper in libc is a leaf
    /// that has not touched the stack, so its return address is at SP (or
    /// in LR); after that only a plausible frame pointer chain is followed.
    fn native_caller(&mut self, step: Step) -> Option<Step> {
        if step.innermost {
            let ret = match (self.isa, step.lr) {
                (Arch::Arm64, Some(lr)) => Some(lr),
                _ => self.mem.word(step.sp),
            };
            if let Some(ret) = ret {
                if self.symbols.lookup(self.pid, ret, true).is_some() && !self.is_entry(ret) {
                    return Some(Step {
                        pc: ret,
                        sp: step.sp + if self.isa == Arch::Amd64 { 8 } else { 0 },
                        bp: step.bp,
                        lr: None,
                        exact: false,
                        innermost: false,
                    });
                }
            }
        }
        match self.fp_caller(step) {
            Next::Continue(s) if self.symbols.lookup(self.pid, s.pc, true).is_some() => Some(s),
            _ => None,
        }
    }

    /// Whether `pc` is the first instruction of a function. A return
    /// address never is (Go's assembler keeps each one inside its caller),
    /// but a function pointer is: `__libc_sigaction` keeps the handler
    /// (`runtime.sigtramp`) at SP, where a leaf wrapper's return address
    /// would be.
    fn is_entry(&mut self, pc: u64) -> bool {
        let Some(r) = self.symbols.lookup(self.pid, pc, false) else {
            return false;
        };
        match r.info.kind {
            PcKind::Go { entry, .. } => entry.wrapping_add(r.bias) == pc,
            PcKind::Native { offset, .. } => offset == 0,
            PcKind::Unknown => false,
        }
    }

    /// Crosses from the C side of `asmcgocall` back to its goroutine: at
    /// the return into asmcgocall, `[SP]` holds the goroutine stack depth
    /// and `[SP+8]` the old g (amd64).
    fn cgo_return(&mut self, step: Step) -> Option<Step> {
        let depth = self.mem.word(step.sp)?;
        let oldg = self.mem.word(step.sp + 8)?;
        let hi = self.mem.word(oldg.checked_add(8)?)?;
        let gsp = hi.checked_sub(depth)?;
        let ret = self.mem.word(gsp)?;
        self.symbols.lookup(self.pid, ret, true)?;
        Some(Step {
            pc: ret,
            sp: gsp + 8,
            bp: 0,
            lr: None,
            exact: false,
            innermost: false,
        })
    }
}

/// Where the user goroutine's stack continues: `g.syscall*` while it is in
/// a syscall (cgo calls count), else `g.sched`.
fn resume_point(g: &Goroutine) -> Step {
    let r: Regs3 = match g.syscall {
        Some(s) if g.status == G_SYSCALL && s.pc != 0 => s,
        _ => g.sched,
    };
    Step {
        pc: r.pc,
        sp: r.sp,
        bp: r.bp,
        lr: (r.lr != 0).then_some(r.lr),
        exact: true,
        innermost: false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fake::FakeThread;
    use crate::symbolize::Module;
    use crate::X86_64Regs;

    const PID: i32 = 100;
    const TID: i32 = 101;

    fn fixture(name: &str) -> std::path::PathBuf {
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../tests/fixtures/bin")
            .join(name)
    }

    fn unwinder_for(name: &str) -> Unwinder {
        let m = Module::open(&fixture(name)).expect("fixture");
        assert!(m.go().is_some());
        let mut u = Unwinder::new();
        u.symbols.add_mapping(PID, m, 0x40_0000, 0x60_0000, 0);
        u
    }

    fn words(base: u64, len: usize, set: &[(u64, u64)]) -> Vec<u8> {
        let mut v = vec![0u8; len];
        for &(addr, val) in set {
            let off = usize::try_from(addr - base).unwrap();
            v[off..off + 8].copy_from_slice(&val.to_le_bytes());
        }
        v
    }

    /// A `g` (go1.25+ layout) as bytes.
    fn g_bytes(lo: u64, hi: u64, m: u64, goid: u64, status: u32, sched: Regs3) -> Vec<u8> {
        let mut v = words(
            0,
            168,
            &[
                (0, lo),
                (8, hi),
                (48, m),
                (56, sched.sp),
                (64, sched.pc),
                (96, sched.bp),
                (152, goid),
            ],
        );
        v[144..148].copy_from_slice(&status.to_le_bytes());
        v
    }

    fn names(s: &Stack) -> Vec<(&str, bool)> {
        s.frames
            .iter()
            .map(|f| (f.function.as_str(), f.inlined))
            .collect()
    }

    /// Return addresses and pcsp deltas of the verified go1.27 example
    /// (go-internals §4.6): (pc, delta, sp) per physical frame.
    const EXAMPLE: [(u64, u64, u64); 8] = [
        (0x40c84e, 0, 0xed40),
        (0x47f22d, 64, 0xed48),
        (0x47f286, 88, 0xed90),
        (0x47f4ce, 40, 0xedf0),
        (0x47f9c5, 80, 0xee20),
        (0x47fd25, 56, 0xee78),
        (0x445a67, 288, 0xeeb8),
        (0x47b4a1, 0, 0xefe0),
    ];
    const STACK: u64 = 0xc000_0000_0000;

    /// Lays out the example's goroutine stack: each frame's return address
    /// at sp+delta and a saved BP chain below it.
    fn example_stack() -> Vec<u8> {
        let mut set = Vec::new();
        for w in EXAMPLE.windows(2) {
            let (_, d, sp) = w[0];
            let (ret, _, caller_sp) = w[1];
            assert_eq!(sp + d + 8, caller_sp, "example is self-consistent");
            set.push((STACK + sp + d, ret));
            if d >= 8 {
                // Saved BP = the caller frame's BP slot.
                let (_, cd, csp) = w[1];
                set.push((STACK + sp + d - 8, STACK + csp + cd.max(8) - 8));
            }
        }
        words(STACK + 0xe000, 0x2000, &set)
    }

    fn example_regs() -> X86_64Regs {
        X86_64Regs {
            rip: EXAMPLE[0].0,
            rsp: STACK + EXAMPLE[0].2,
            // Syscall6 is frameless: BP is still RawSyscall6's.
            rbp: STACK + EXAMPLE[1].2 + EXAMPLE[1].1 - 8,
            fs_base: 0x5008,
            ..X86_64Regs::default()
        }
    }

    const EXAMPLE_NAMES: [(&str, bool); 9] = [
        ("internal/runtime/syscall/linux.Syscall6", false),
        ("syscall.RawSyscall6", false),
        ("syscall.Syscall", false),
        ("syscall.Syscall", false),
        ("golang.org/x/sys/unix.write", false),
        ("golang.org/x/sys/unix.Write", true),
        ("main.main", false),
        ("runtime.main", false),
        ("runtime.goexit", false),
    ];

    #[test]
    fn verified_example_unwinds_with_inline_frames() {
        let mut u = unwinder_for("syscall_minimal-go1.27-linux-amd64");
        let mut t = FakeThread::new(PID, TID);
        t.registers = Registers::X86_64(example_regs());
        let g = 0xc000_0100_0000;
        t.map(0x5000, 0xc000_0100_0000u64.to_le_bytes().to_vec());
        t.map(STACK + 0xe000, example_stack());
        t.map(
            g,
            g_bytes(
                STACK + 0x8000,
                STACK + 0xf000,
                0x77_0000,
                1,
                3,
                Regs3::default(),
            ),
        );
        let s = u.unwind(&t, &t.registers.clone(), 64);
        assert_eq!(names(&s), EXAMPLE_NAMES);
        assert_eq!(s.end, End::Complete);
        assert_eq!(s.fp_mismatches, 0);
        // Return addresses as the frames' pcs; inlined frames share theirs.
        let pcs: Vec<u64> = s
            .frames
            .iter()
            .filter(|f| !f.inlined)
            .map(|f| f.pc)
            .collect();
        let want: Vec<u64> = EXAMPLE.iter().map(|e| e.0).collect();
        assert_eq!(pcs, want);
        assert_eq!(s.frames[5].pc, s.frames[6].pc);
        assert_eq!(s.frames[6].file, "example.com/syscall_minimal/main.go");
        assert_eq!(s.frames[6].line, 9);
        assert_eq!(s.frames[5].line, 167);
        assert_eq!(s.current.goid(), Some(1));
        assert_eq!(s.current.describe(), "goroutine 1");
    }

    #[test]
    fn depth_limit_cuts_the_stack() {
        let mut u = unwinder_for("syscall_minimal-go1.27-linux-amd64");
        let mut t = FakeThread::new(PID, TID);
        t.registers = Registers::X86_64(example_regs());
        t.map(STACK + 0xe000, example_stack());
        let s = u.unwind(&t, &t.registers.clone(), 3);
        assert_eq!(s.frames.len(), 3);
        assert_eq!(s.end, End::Depth);
    }

    #[test]
    fn without_a_g_the_registers_still_unwind() {
        let mut u = unwinder_for("syscall_minimal-go1.27-linux-amd64-stripped");
        let mut t = FakeThread::new(PID, TID);
        t.registers = Registers::X86_64(example_regs());
        t.map(STACK + 0xe000, example_stack());
        let s = u.unwind(&t, &t.registers.clone(), 64);
        assert_eq!(s.current, Current::NoG);
        assert_eq!(s.current.describe(), "no g");
        assert_eq!(names(&s), EXAMPLE_NAMES);
    }

    #[test]
    fn frame_pointer_disagreement_is_counted_and_pcsp_wins() {
        let mut u = unwinder_for("syscall_minimal-go1.27-linux-amd64");
        let mut t = FakeThread::new(PID, TID);
        let mut regs = example_regs();
        // A BP that points nowhere useful: pcsp must still find every frame.
        regs.rbp = STACK + 0xe100;
        t.registers = Registers::X86_64(regs);
        t.map(STACK + 0xe000, example_stack());
        let s = u.unwind(&t, &t.registers.clone(), 64);
        assert_eq!(names(&s), EXAMPLE_NAMES);
        assert_eq!(s.fp_mismatches, 1);
    }

    /// A syscall on g0 under `systemstack`: the walk reaches systemstack
    /// and continues on the user goroutine from its `g.sched`.
    #[test]
    fn g0_under_systemstack_crosses_to_the_goroutine() {
        let mut u = unwinder_for("syscall_minimal-go1.27-linux-amd64");
        let mut t = FakeThread::new(PID, TID);
        let g0 = 0xc000_0200_0000u64;
        let curg = 0xc000_0100_0000u64;
        let m = 0x77_0000u64;
        let sys = 0x7f00_0000_0000u64; // g0 stack
                                       // g0: Syscall6 (frameless leaf) returning into systemstack after
                                       // `CALL DI` (0x479b2a).
        t.map(sys, words(sys, 0x1000, &[(sys + 0x800, 0x479b2a)]));
        t.registers = Registers::X86_64(X86_64Regs {
            rip: EXAMPLE[0].0,
            rsp: sys + 0x800,
            rbp: 0,
            fs_base: 0x5008,
            ..X86_64Regs::default()
        });
        t.map(0x5000, g0.to_le_bytes().to_vec());
        t.map(g0, g_bytes(sys, sys + 0x10000, m, 0, 2, Regs3::default()));
        t.map(
            m,
            words(m, 192, &[(m, g0), (m + 64, TID as u64), (m + 184, curg)]),
        );
        // curg saved by systemstack: pc = systemstack_switch+8 (pcsp 8),
        // sp such that [sp+8] is the return into main.main.
        let gs = STACK + EXAMPLE[5].2 - 16;
        let mut set = vec![(gs + 8, EXAMPLE[5].0)];
        set.push((STACK + EXAMPLE[5].2 + EXAMPLE[5].1, EXAMPLE[6].0));
        set.push((STACK + EXAMPLE[6].2 + EXAMPLE[6].1, EXAMPLE[7].0));
        t.map(STACK + 0xe000, words(STACK + 0xe000, 0x2000, &set));
        let sched = Regs3 {
            pc: 0x479ac8,
            sp: gs,
            bp: 0,
            lr: 0,
        };
        t.map(
            curg,
            g_bytes(STACK + 0x8000, STACK + 0xf000, m, 7, 2, sched),
        );
        let s = u.unwind(&t, &t.registers.clone(), 64);
        let got: Vec<&str> = s.frames.iter().map(|f| f.function.as_str()).collect();
        assert_eq!(
            got,
            [
                "internal/runtime/syscall/linux.Syscall6",
                "runtime.systemstack",
                "runtime.systemstack_switch",
                "golang.org/x/sys/unix.Write",
                "main.main",
                "runtime.main",
                "runtime.goexit"
            ]
        );
        assert_eq!(s.end, End::Complete);
        assert!(matches!(s.current, Current::G0 { curg: Some(c), .. } if c.goid == 7));
        assert_eq!(s.current.goid(), Some(7));
        assert_eq!(s.current.describe(), "g0 (goroutine 7)");
    }

    #[test]
    fn an_m_of_another_thread_is_not_trusted() {
        let mut u = unwinder_for("syscall_minimal-go1.27-linux-amd64");
        let mut t = FakeThread::new(PID, TID);
        let g0 = 0xc000_0200_0000u64;
        let m = 0x77_0000u64;
        t.registers = Registers::X86_64(X86_64Regs {
            fs_base: 0x5008,
            ..X86_64Regs::default()
        });
        t.map(0x5000, g0.to_le_bytes().to_vec());
        t.map(g0, g_bytes(0x1000, 0x9000, m, 0, 2, Regs3::default()));
        t.map(m, words(m, 192, &[(m, g0), (m + 64, 4242)]));
        assert_eq!(u.current(&t, &t.registers.clone()), Current::NoG);
        // The same m with this thread's id is a g0 without a user goroutine.
        t.map(m + 0x1000, Vec::new());
        let mut t2 = FakeThread::new(PID, TID);
        t2.registers = t.registers;
        t2.map(0x5000, g0.to_le_bytes().to_vec());
        t2.map(g0, g_bytes(0x1000, 0x9000, m, 0, 2, Regs3::default()));
        t2.map(m, words(m, 192, &[(m, g0), (m + 64, TID as u64)]));
        let c = u.current(&t2, &t2.registers.clone());
        assert!(matches!(c, Current::G0 { curg: None, .. }));
        assert_eq!(c.describe(), "g0");
        assert_eq!(c.goid(), None);
    }

    /// arm64: the leaf's return address is in LR, every other frame saved
    /// LR at 0(RSP), and the caller's SP is SP + pcsp delta; g is R28.
    #[test]
    fn arm64_walks_with_the_link_register() {
        use crate::Aarch64Regs;
        let m = Module::open(&fixture("syscall_minimal-go1.27-linux-arm64")).expect("fixture");
        let chain = [
            "internal/runtime/syscall/linux.Syscall6",
            "syscall.RawSyscall6",
            "syscall.Syscall",
            "golang.org/x/sys/unix.write",
            "main.main",
            "runtime.main",
        ];
        // For each function a pc with its frame set up (the leaf: any pc,
        // it has no frame), so pc-1 lookups stay in the same function.
        let mut pcs = Vec::new();
        {
            let go = m.go().unwrap();
            for name in chain {
                let f = go
                    .pclntab
                    .funcs()
                    .find(|f| {
                        f.name() == name && !f.is_asm()
                            || (f.name() == name && name.ends_with("Syscall6"))
                    })
                    .unwrap_or_else(|| panic!("{name}"));
                let size = f.frame_size().unwrap_or(0);
                let pc = (f.entry() + 8..f.end())
                    .step_by(4)
                    .find(|&pc| {
                        f.sp_delta(pc) == Some(size as i32)
                            && f.sp_delta(pc - 1) == Some(size as i32)
                    })
                    .unwrap_or_else(|| panic!("no body pc in {name}"));
                pcs.push((pc, u64::from(size)));
            }
        }
        assert_eq!(pcs[0].1, 0, "Syscall6 is frameless on arm64");
        let goexit = {
            let go = m.go().unwrap();
            let f = go
                .pclntab
                .funcs()
                .find(|f| f.name() == "runtime.goexit")
                .unwrap();
            f.entry() + 8
        };
        let mut u = Unwinder::new();
        u.symbols.add_mapping(PID, m, 0x1_0000, 0x100_0000, 0);
        let sp0 = STACK + 0xe000;
        let mut set = Vec::new();
        let mut sp = sp0; // the leaf's caller has the same SP
        for i in 1..pcs.len() {
            let ret = pcs.get(i + 1).map_or(goexit, |p| p.0);
            set.push((sp, ret));
            sp += pcs[i].1;
        }
        let mut t = FakeThread::new(PID, TID);
        t.map(STACK + 0xe000, words(STACK + 0xe000, 0x2000, &set));
        let g = 0xc000_0100_0000u64;
        t.map(
            g,
            g_bytes(
                STACK + 0x8000,
                STACK + 0xf000,
                0x77_0000,
                1,
                3,
                Regs3::default(),
            ),
        );
        let mut regs = Aarch64Regs {
            sp: sp0,
            pc: pcs[0].0,
            ..Aarch64Regs::default()
        };
        regs.x[30] = pcs[1].0;
        regs.x[28] = g;
        t.registers = Registers::Aarch64(regs);
        let s = u.unwind(&t, &t.registers.clone(), 64);
        let physical: Vec<&str> = s
            .frames
            .iter()
            .filter(|f| !f.inlined)
            .map(|f| f.function.as_str())
            .collect();
        let mut want = chain.to_vec();
        want.push("runtime.goexit");
        assert_eq!(physical, want);
        assert_eq!(s.end, End::Complete);
        assert_eq!(s.current.goid(), Some(1));
    }
}
