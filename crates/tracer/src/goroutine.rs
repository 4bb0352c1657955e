//! The goroutine a stopped thread is running: its `g`, read from the
//! thread's TLS slot (or R14/R28), and the few fields of `g` and `m` the
//! unwinder and the trace output need.
//!
//! Field offsets come from [`gobin::runtime::layout`], per Go version (a
//! stripped binary has no DWARF to read them from). Every read is
//! sanity-checked (stack bounds ordered, goid 0 only for g0/gsignal,
//! `m.procid` equal to the thread id) so a wrong table shows up as "no g"
//! rather than as made-up goroutine ids.

use crate::{Registers, Thread};
use gobin::bytes;
use gobin::runtime::layout::G_HEAD_BYTES;
pub use gobin::runtime::layout::{layouts, GLayout, MLayout, G_SYSCALL};
use gobin::version::GoVersion;

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
                match thread.read_u64(slot) {
                    Some(g) if g != 0 => Some(g),
                    _ => (r.r14 != 0).then_some(r.r14),
                }
            }
            Registers::Aarch64(r) => (r.x[28] != 0).then_some(r.x[28]),
        }
    }

    /// Reads the g at `addr`; `None` when it does not look like one.
    pub fn read_g(&self, thread: &dyn Thread, addr: u64) -> Option<Goroutine> {
        let mut buf = [0u8; G_HEAD_BYTES];
        let want = self.g.goid + 8;
        let n = thread.read_memory(addr, &mut buf[..want]).ok()?;
        if n < want {
            return None;
        }
        let b = &buf[..want];
        // Every field lies before the end of `goid`, which was read.
        let word = |off| bytes::u64_le(b, off).unwrap_or(0);
        let lo = word(0);
        let hi = word(8);
        if lo == 0 || hi <= lo || hi - lo > MAX_STACK {
            return None;
        }
        let status = bytes::u32_le(b, self.g.status).unwrap_or(0) & !0x1000;
        if status > 11 {
            return None;
        }
        let syscall = (status == G_SYSCALL).then(|| Regs3 {
            pc: word(self.g.syscall_pc),
            sp: word(self.g.syscall_sp),
            bp: self.g.syscall_bp.map_or(0, word),
            lr: 0,
        });
        Some(Goroutine {
            addr,
            goid: word(self.g.goid),
            status,
            stack_lo: lo,
            stack_hi: hi,
            m: word(self.g.m),
            sched: Regs3 {
                pc: word(self.g.sched_pc),
                sp: word(self.g.sched_sp),
                bp: word(self.g.sched_bp),
                lr: word(self.g.sched_lr),
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
        // Every field lies before the end of `curg`, which was read.
        let word = |off| bytes::u64_le(mb, off).unwrap_or(0);
        let procid = word(self.m.procid);
        if procid != 0 && procid != u64::try_from(thread.tid()).unwrap_or(0) {
            // An m that belongs to another thread: the layout is wrong.
            return Current::NoG;
        }
        let curg_addr = word(self.m.curg);
        let curg = (curg_addr != 0 && curg_addr != addr)
            .then(|| self.read_g(thread, curg_addr))
            .flatten()
            .filter(|c| c.goid != 0);
        if word(self.m.g0) == addr {
            Current::G0 { g0: g, curg }
        } else if word(self.m.gsignal) == addr {
            Current::Gsignal { g, curg }
        } else {
            Current::NoG
        }
    }
}
