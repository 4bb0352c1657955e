//! The goroutine a stopped thread is running: its `g`, read from the
//! thread's TLS slot (or R14/R28), and the few fields of `g` and `m` the
//! unwinder and the trace output need.
//!
//! Field offsets come from per-version tables (go-internals §4.2): a
//! stripped binary has no DWARF to read them from, and the layout of the
//! head of `g` and `m` has changed only when `gobuf` lost or gained a word
//! (1.23 added `syscallbp`, 1.25 removed `gobuf.ret`). Every read is
//! sanity-checked (stack bounds ordered, goid 0 only for g0/gsignal,
//! `m.procid` equal to the thread id) so a wrong table shows up as "no g"
//! rather than as made-up goroutine ids.

use crate::{Registers, Thread};
use gobin::version::GoVersion;

/// `_Gsyscall`: the goroutine is in a system call; `syscall{sp,pc,bp}` are
/// valid.
pub const G_SYSCALL: u32 = 3;

/// Offsets into `runtime.g` (64-bit).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GLayout {
    /// `g.m`.
    pub m: usize,
    /// `g.sched.sp`, `.pc`, `.bp`.
    pub sched_sp: usize,
    /// `g.sched.pc`.
    pub sched_pc: usize,
    /// `g.sched.lr` (LR machines).
    pub sched_lr: usize,
    /// `g.sched.bp`.
    pub sched_bp: usize,
    /// `g.syscallsp`.
    pub syscall_sp: usize,
    /// `g.syscallpc`.
    pub syscall_pc: usize,
    /// `g.syscallbp` (Go 1.23+).
    pub syscall_bp: Option<usize>,
    /// `g.atomicstatus` (u32).
    pub status: usize,
    /// `g.goid` (u64).
    pub goid: usize,
}

/// Offsets into `runtime.m` (64-bit).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MLayout {
    /// `m.g0` (always 0).
    pub g0: usize,
    /// `m.procid`: the OS thread id on Linux.
    pub procid: usize,
    /// `m.gsignal`.
    pub gsignal: usize,
    /// `m.curg`.
    pub curg: usize,
}

/// Layouts for a Go release, `None` before 1.9 (not supported).
pub fn layouts(v: GoVersion) -> Option<(GLayout, MLayout)> {
    if !v.at_least(1, 9) {
        return None;
    }
    // gobuf: sp pc g ctxt [ret] lr bp. `ret` went away in 1.25.
    let gobuf_words = if v.at_least(1, 25) { 6 } else { 7 };
    let sched = 56;
    let sched_bp = sched + (gobuf_words - 1) * 8;
    let sched_lr = sched_bp - 8;
    let after_sched = sched + gobuf_words * 8;
    let has_syscallbp = v.at_least(1, 23);
    let syscall_sp = after_sched;
    let syscall_pc = after_sched + 8;
    let syscall_bp = has_syscallbp.then_some(after_sched + 16);
    // stktopsp, param follow; then atomicstatus, stackLock, goid.
    let status = after_sched + if has_syscallbp { 24 } else { 16 } + 16;
    let goid = status + 8;
    let g = GLayout {
        m: 48,
        sched_sp: sched,
        sched_pc: sched + 8,
        sched_lr,
        sched_bp,
        syscall_sp,
        syscall_pc,
        syscall_bp,
        status,
        goid,
    };
    // m: g0, morebuf (a gobuf), divmod+pad, procid, gsignal,
    // goSigStack (40), sigmask (8), tls[6], mstartfn, curg.
    let procid = 8 + gobuf_words * 8 + 8;
    let gsignal = procid + 8;
    let tls = gsignal + 8 + 40 + 8;
    let m = MLayout {
        g0: 0,
        procid,
        gsignal,
        curg: tls + 6 * 8 + 8,
    };
    Some((g, m))
}

/// A saved (pc, sp, bp) triple to unwind from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Regs3 {
    /// Program counter.
    pub pc: u64,
    /// Stack pointer.
    pub sp: u64,
    /// Frame pointer (0 when the runtime did not save one).
    pub bp: u64,
    /// Link register (arm64 `sched.lr`; 0 otherwise).
    pub lr: u64,
}

/// One goroutine as read from its `g`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Goroutine {
    /// Address of the `g`.
    pub addr: u64,
    /// Goroutine id (0 for g0 and gsignal).
    pub goid: u64,
    /// `atomicstatus` without the scan bit.
    pub status: u32,
    /// Stack bounds `[lo, hi)`.
    pub stack_lo: u64,
    /// Stack top.
    pub stack_hi: u64,
    /// The `m` it is bound to (0 when none).
    pub m: u64,
    /// Where the scheduler saved it (`g.sched`).
    pub sched: Regs3,
    /// The caller of `entersyscall`, while `status == _Gsyscall`.
    pub syscall: Option<Regs3>,
}

/// What a thread is running, as far as Go is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Current {
    /// No g could be read (not Go code, not yet initialised, or the
    /// tables do not fit).
    NoG,
    /// The system goroutine of an M (scheduler, GC, cgo and libc calls);
    /// `curg` is the user goroutine bound to the M, if any.
    G0 {
        /// The g0 itself.
        g0: Goroutine,
        /// The user goroutine the M is running on behalf of.
        curg: Option<Goroutine>,
    },
    /// The signal-handling goroutine of an M.
    Gsignal {
        /// The gsignal itself.
        g: Goroutine,
        /// The interrupted user goroutine, if any.
        curg: Option<Goroutine>,
    },
    /// An ordinary goroutine.
    Goroutine(Goroutine),
}

impl Current {
    /// The goroutine id to print for the event: the running goroutine, or
    /// on g0/gsignal the user goroutine the M works for.
    pub fn goid(&self) -> Option<u64> {
        match self {
            Current::Goroutine(g) => Some(g.goid),
            Current::G0 { curg, .. } | Current::Gsignal { curg, .. } => curg.map(|g| g.goid),
            Current::NoG => None,
        }
    }

    /// A short description: `goroutine 7`, `g0`, `g0 (goroutine 7)`,
    /// `gsignal`, `no g`.
    pub fn describe(&self) -> String {
        match self {
            Current::Goroutine(g) => format!("goroutine {}", g.goid),
            Current::G0 { curg: Some(c), .. } => format!("g0 (goroutine {})", c.goid),
            Current::G0 { curg: None, .. } => "g0".into(),
            Current::Gsignal { curg: Some(c), .. } => format!("gsignal (goroutine {})", c.goid),
            Current::Gsignal { curg: None, .. } => "gsignal".into(),
            Current::NoG => "no g".into(),
        }
    }

    /// The user goroutine, if any.
    pub fn user(&self) -> Option<&Goroutine> {
        match self {
            Current::Goroutine(g) => Some(g),
            Current::G0 { curg, .. } | Current::Gsignal { curg, .. } => curg.as_ref(),
            Current::NoG => None,
        }
    }
}

/// How to find and read `g` in one process.
#[derive(Debug, Clone, Copy)]
pub struct GReader {
    /// `g` field offsets.
    pub g: GLayout,
    /// `m` field offsets.
    pub m: MLayout,
    /// Offset of the g slot from the thread pointer (amd64 fs_base).
    pub tls_offset: i64,
}

/// Largest goroutine or system stack accepted as plausible.
const MAX_STACK: u64 = 1 << 30;

fn u64_at(b: &[u8], off: usize) -> u64 {
    b.get(off..off + 8)
        .and_then(|s| s.try_into().ok())
        .map_or(0, u64::from_le_bytes)
}

fn u32_at(b: &[u8], off: usize) -> u32 {
    b.get(off..off + 4)
        .and_then(|s| s.try_into().ok())
        .map_or(0, u32::from_le_bytes)
}

impl GReader {
    /// A reader for a Go release; `tls_offset` from the binary
    /// ([`crate::symbolize::Module::g_tls_offset_amd64`]).
    pub fn new(version: GoVersion, tls_offset: i64) -> Option<GReader> {
        let (g, m) = layouts(version)?;
        Some(GReader { g, m, tls_offset })
    }

    /// The address of the current g: TLS first (valid in any code), R14
    /// (amd64 Go code) or R28 (arm64) when TLS cannot be read.
    pub fn g_addr(&self, thread: &dyn Thread, regs: &Registers) -> Option<u64> {
        match regs {
            Registers::X86_64(r) => {
                let slot = r.fs_base.checked_add_signed(self.tls_offset)?;
                match read_word(thread, slot) {
                    Some(g) if g != 0 => Some(g),
                    _ => (r.r14 != 0).then_some(r.r14),
                }
            }
            Registers::Aarch64(r) => (r.x[28] != 0).then_some(r.x[28]),
        }
    }

    /// Reads the g at `addr`; `None` when it does not look like one.
    pub fn read_g(&self, thread: &dyn Thread, addr: u64) -> Option<Goroutine> {
        let mut buf = [0u8; 176];
        let want = self.g.goid + 8;
        let n = thread.read_memory(addr, &mut buf[..want]).ok()?;
        if n < want {
            return None;
        }
        let b = &buf[..want];
        let lo = u64_at(b, 0);
        let hi = u64_at(b, 8);
        if lo == 0 || hi <= lo || hi - lo > MAX_STACK {
            return None;
        }
        let status = u32_at(b, self.g.status) & !0x1000;
        if status > 11 {
            return None;
        }
        let syscall = (status == G_SYSCALL).then(|| Regs3 {
            pc: u64_at(b, self.g.syscall_pc),
            sp: u64_at(b, self.g.syscall_sp),
            bp: self.g.syscall_bp.map_or(0, |o| u64_at(b, o)),
            lr: 0,
        });
        Some(Goroutine {
            addr,
            goid: u64_at(b, self.g.goid),
            status,
            stack_lo: lo,
            stack_hi: hi,
            m: u64_at(b, self.g.m),
            sched: Regs3 {
                pc: u64_at(b, self.g.sched_pc),
                sp: u64_at(b, self.g.sched_sp),
                bp: u64_at(b, self.g.sched_bp),
                lr: u64_at(b, self.g.sched_lr),
            },
            syscall,
        })
    }

    /// What the thread runs. A goroutine with id 0 is a g0 or gsignal;
    /// only then is the `m` read (one more memory read), to tell which and
    /// to find the user goroutine.
    pub fn current(&self, thread: &dyn Thread, regs: &Registers) -> Current {
        let Some(addr) = self.g_addr(thread, regs) else {
            return Current::NoG;
        };
        let Some(g) = self.read_g(thread, addr) else {
            return Current::NoG;
        };
        if g.goid != 0 {
            return Current::Goroutine(g);
        }
        let mut mbuf = [0u8; 256];
        let want = self.m.curg + 8;
        let Some(mb) = thread
            .read_memory(g.m, &mut mbuf[..want])
            .ok()
            .filter(|&n| n >= want)
            .map(|_| &mbuf[..want])
        else {
            return Current::NoG;
        };
        let procid = u64_at(mb, self.m.procid);
        if procid != 0 && procid != u64::try_from(thread.tid()).unwrap_or(0) {
            // An m that belongs to another thread: the layout is wrong.
            return Current::NoG;
        }
        let curg_addr = u64_at(mb, self.m.curg);
        let curg = (curg_addr != 0 && curg_addr != addr)
            .then(|| self.read_g(thread, curg_addr))
            .flatten()
            .filter(|c| c.goid != 0);
        if u64_at(mb, self.m.g0) == addr {
            Current::G0 { g0: g, curg }
        } else if u64_at(mb, self.m.gsignal) == addr {
            Current::Gsignal { g, curg }
        } else {
            Current::NoG
        }
    }
}

fn read_word(thread: &dyn Thread, addr: u64) -> Option<u64> {
    let mut b = [0u8; 8];
    (thread.read_memory(addr, &mut b).ok()? == 8).then(|| u64::from_le_bytes(b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layouts_match_the_verified_go127_offsets() {
        let (g, m) = layouts(GoVersion::new(1, 27, 3)).unwrap();
        assert_eq!(g.goid, 152);
        assert_eq!(g.status, 144);
        assert_eq!(g.syscall_sp, 104);
        assert_eq!(g.syscall_pc, 112);
        assert_eq!(g.syscall_bp, Some(120));
        assert_eq!(g.sched_bp, 96);
        assert_eq!(g.sched_lr, 88);
        assert_eq!(m.procid, 64);
        assert_eq!(m.gsignal, 72);
        assert_eq!(m.curg, 184);
    }

    #[test]
    fn goid_moves_with_syscallbp_and_gobuf_ret() {
        let goid = |minor| layouts(GoVersion::new(1, minor, 0)).unwrap().0.goid;
        assert_eq!(goid(19), 152);
        assert_eq!(goid(22), 152);
        assert_eq!(goid(23), 160);
        assert_eq!(goid(24), 160);
        assert_eq!(goid(25), 152);
        assert!(layouts(GoVersion::new(1, 8, 0)).is_none());
        let (g, _) = layouts(GoVersion::new(1, 21, 0)).unwrap();
        assert_eq!(g.syscall_bp, None);
        assert_eq!(g.status, 144);
    }
}
