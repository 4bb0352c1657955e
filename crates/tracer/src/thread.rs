//! What the rest of the program may do with a stopped thread: read its
//! registers and memory. Decoders and unwinders take `&dyn Thread`, so they
//! run on [`crate::fake::FakeThread`] in unit tests, without root or ptrace.

use crate::Error;

/// x86-64 general registers, in the kernel's `user_regs_struct` order.
#[allow(missing_docs)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct X86_64Regs {
    pub r15: u64,
    pub r14: u64,
    pub r13: u64,
    pub r12: u64,
    pub rbp: u64,
    pub rbx: u64,
    pub r11: u64,
    pub r10: u64,
    pub r9: u64,
    pub r8: u64,
    pub rax: u64,
    pub rcx: u64,
    pub rdx: u64,
    pub rsi: u64,
    pub rdi: u64,
    pub orig_rax: u64,
    pub rip: u64,
    pub cs: u64,
    pub eflags: u64,
    pub rsp: u64,
    pub ss: u64,
    pub fs_base: u64,
    pub gs_base: u64,
    pub ds: u64,
    pub es: u64,
    pub fs: u64,
    pub gs: u64,
}

/// AArch64 general registers (`struct user_pt_regs`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Aarch64Regs {
    /// x0..x30 (x29 is the frame pointer, x30 the link register).
    pub x: [u64; 31],
    /// Stack pointer.
    pub sp: u64,
    /// Program counter.
    pub pc: u64,
    /// Processor state.
    pub pstate: u64,
}

/// A thread's registers. The unwinder needs the frame pointer and the
/// thread pointer (Go's `g` lives at fs_base-8 or in R14 on amd64, in R28 on
/// arm64), and `path` needs every ABIInternal argument register, so the whole
/// set is kept rather than a few named fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Registers {
    /// x86-64.
    X86_64(X86_64Regs),
    /// AArch64.
    Aarch64(Aarch64Regs),
}

impl Registers {
    /// Program counter.
    pub fn pc(&self) -> u64 {
        match self {
            Registers::X86_64(r) => r.rip,
            Registers::Aarch64(r) => r.pc,
        }
    }

    /// Stack pointer.
    pub fn sp(&self) -> u64 {
        match self {
            Registers::X86_64(r) => r.rsp,
            Registers::Aarch64(r) => r.sp,
        }
    }

    /// Frame pointer (RBP, x29).
    pub fn frame_pointer(&self) -> u64 {
        match self {
            Registers::X86_64(r) => r.rbp,
            Registers::Aarch64(r) => r.x[29],
        }
    }

    /// The link register on arm64; amd64 keeps return addresses on the stack.
    pub fn link_register(&self) -> Option<u64> {
        match self {
            Registers::X86_64(_) => None,
            Registers::Aarch64(r) => Some(r.x[30]),
        }
    }
}

/// A thread the tracer holds stopped. Borrowed only for the duration of one
/// stop: once the engine resumes the thread, registers and memory may change.
pub trait Thread {
    /// Kernel thread id.
    fn tid(&self) -> i32;
    /// Thread group (process) id.
    fn pid(&self) -> i32;
    /// The thread's registers, fetched on demand (one ptrace call).
    fn registers(&self) -> Result<Registers, Error>;
    /// Reads tracee memory at `addr` into `buf`; returns how many bytes were
    /// read, which is less than `buf.len()` when the range runs into an
    /// unmapped page. Zero bytes read from a non-empty request is an error.
    fn read_memory(&self, addr: u64, buf: &mut [u8]) -> Result<usize, Error>;
    /// The little-endian word at `addr`, when all eight bytes are readable.
    fn read_u64(&self, addr: u64) -> Option<u64> {
        let mut b = [0u8; 8];
        (self.read_memory(addr, &mut b).ok()? == 8).then(|| u64::from_le_bytes(b))
    }
    /// When the event happened on CLOCK_MONOTONIC ([`crate::clock::monotonic`]),
    /// for backends that timestamp events where they happen (eBPF, in the
    /// kernel); `None` means "now", the stop itself (ptrace).
    fn event_time(&self) -> Option<std::time::Duration> {
        None
    }
    /// A digest of everything an unwind of this thread can read (registers,
    /// the captured stack, `g`), for backends whose memory is a snapshot:
    /// two events of one process with the same key unwind to the same
    /// stack, so the result can be reused. `None` (live memory, ptrace):
    /// always unwind.
    fn stack_key(&self) -> Option<u64> {
        None
    }
}

/// A stopped thread's memory as the `syscalls` decoders read it: a read
/// that fails counts as nothing read.
pub struct ThreadMemory<'a>(pub &'a dyn Thread);

impl syscalls::Memory for ThreadMemory<'_> {
    fn read(&self, addr: u64, buf: &mut [u8]) -> usize {
        self.0.read_memory(addr, buf).unwrap_or(0)
    }
}
