//! The events the engine pushes into a [`Sink`], one call per ptrace stop.
//! Printers (text, JSON, `-c` summary) and later the Go unwinder and the
//! `path` stepper are sinks; they see a borrowed [`Thread`] while it is
//! stopped and tell the engine what to do next with a [`Control`].

use crate::{Arch, Thread};
use gobin::bytes;

/// A system call as its entry stop shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SyscallEntry {
    /// Instruction set of the call (a 64-bit process may make i386 calls).
    pub arch: Arch,
    /// Syscall number in that arch's table.
    pub nr: u64,
    /// The six argument registers, raw.
    pub args: [u64; 6],
    /// Instruction pointer just after the syscall instruction.
    pub pc: u64,
    /// Stack pointer at the call.
    pub sp: u64,
}

/// A system call's return, with its entry when the engine saw it (a thread
/// attached mid-call has an exit without entry).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SyscallExit {
    /// The matching entry, kept by the engine so exit decoders can read the
    /// buffers the entry pointed at.
    pub entry: Option<SyscallEntry>,
    /// Return value; a negated errno when `is_error`.
    pub rval: i64,
    /// Whether `rval` is an error.
    pub is_error: bool,
}

/// The fields of a `siginfo_t` that strace prints; which of them are
/// meaningful depends on `signo` and `code`. `raw` keeps the whole record
/// for decoders that read it by layout.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SignalInfo {
    /// The 128-byte `siginfo_t` as `PTRACE_GETSIGINFO` returned it.
    pub raw: [u8; 128],
    /// Signal number.
    pub signo: i32,
    /// `si_errno`.
    pub errno: i32,
    /// `si_code` (`SI_USER`, `SI_TKILL`, `CLD_EXITED`, `SEGV_MAPERR`...).
    pub code: i32,
    /// Sender pid (kill, tkill, queue, SIGCHLD).
    pub pid: i32,
    /// Sender uid.
    pub uid: u32,
    /// SIGCHLD: exit status or signal.
    pub status: i32,
    /// SIGCHLD: user time in clock ticks.
    pub utime: i64,
    /// SIGCHLD: system time in clock ticks.
    pub stime: i64,
    /// Faulting address (SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGTRAP).
    pub addr: u64,
    /// Value sent with sigqueue or by a POSIX timer (`si_value`).
    pub value: u64,
    /// POSIX timer id (`SI_TIMER`).
    pub timer_id: i32,
    /// POSIX timer overrun count (`SI_TIMER`).
    pub overrun: i32,
}

impl SignalInfo {
    /// Reads the fields from a 128-byte `siginfo_t` by their kernel
    /// offsets on 64-bit Linux (the union starts at byte 16; libc exposes
    /// only some of its members).
    pub fn from_raw(raw: [u8; 128]) -> SignalInfo {
        let i32_at = |o| bytes::i32_le(&raw, o).unwrap_or(0);
        let u64_at = |o| bytes::u64_le(&raw, o).unwrap_or(0);
        SignalInfo {
            raw,
            signo: i32_at(0),
            errno: i32_at(4),
            code: i32_at(8),
            pid: i32_at(16),
            uid: i32_at(20) as u32,
            status: i32_at(24),
            utime: u64_at(32) as i64,
            stime: u64_at(40) as i64,
            addr: u64_at(16),
            value: u64_at(24),
            timer_id: i32_at(16),
            overrun: i32_at(20),
        }
    }
}

/// How a thread ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitKind {
    /// `exit`/`exit_group` with this code.
    Exited(i32),
    /// Killed by a signal.
    Killed {
        /// The signal.
        signal: i32,
        /// Whether a core was dumped.
        core: bool,
    },
}

impl ExitKind {
    /// The shell convention: the code, or 128 + signal.
    pub fn shell_code(self) -> u8 {
        match self {
            ExitKind::Exited(code) => (code & 0xff) as u8,
            ExitKind::Killed { signal, .. } => 128u8.wrapping_add((signal & 0x7f) as u8),
        }
    }
}

/// How a new tracee came to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Birth {
    /// `clone` (a thread, or a process made by clone without SIGCHLD).
    Clone,
    /// `fork` or clone with exit signal SIGCHLD.
    Fork,
    /// `vfork` or clone with `CLONE_VFORK`.
    Vfork,
}

/// What the engine does after a sink has seen a stop.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Control {
    /// Resume the thread as usual.
    #[default]
    Continue,
    /// Keep the thread stopped and return from [`crate::Tracer::run`] with
    /// [`crate::Outcome::Paused`], so the caller can inspect it further (the
    /// `path` command stops at the Nth `write` this way, then single-steps);
    /// the next `run` resumes it.
    Pause,
}

/// Receives every event of a trace. Every method has a default that ignores
/// the event, so a sink implements only what it shows.
pub trait Sink {
    /// A thread entered a system call (it is stopped before the kernel runs it).
    fn syscall_entry(&mut self, _thread: &dyn Thread, _call: &SyscallEntry) -> Control {
        Control::Continue
    }
    /// A system call returned.
    fn syscall_exit(&mut self, _thread: &dyn Thread, _call: &SyscallExit) -> Control {
        Control::Continue
    }
    /// A signal is about to be delivered; the engine passes it on to the thread.
    fn signal(&mut self, _thread: &dyn Thread, _info: &SignalInfo) -> Control {
        Control::Continue
    }
    /// The thread's process entered a group-stop (SIGSTOP, SIGTSTP...).
    fn group_stop(&mut self, _tid: i32, _pid: i32, _signal: i32) {}
    /// A new thread or process is now traced.
    fn new_tracee(&mut self, _parent: i32, _child: i32, _child_pid: i32, _birth: Birth) {}
    /// `execve` succeeded; `former_tid` differs from the thread's tid when a
    /// non-leader thread executed (it takes the leader's id).
    fn exec(&mut self, _thread: &dyn Thread, _former_tid: i32) {}
    /// A thread ended; `in_syscall` is the call it was in, if any (a thread
    /// killed by another's `exit_group` never returns from its call).
    fn exited(&mut self, _tid: i32, _pid: i32, _how: ExitKind, _in_syscall: Option<&SyscallEntry>) {
    }
    /// A thread was detached (Ctrl-C on `-p`) and keeps running.
    fn detached(&mut self, _tid: i32, _pid: i32) {}
    /// `pid` runs the program it will run from now on (just spawned or
    /// attached to), or mapped more code (a library). Backends that
    /// deliver events after the fact (a ring buffer drained later) say so
    /// as soon as they know, so the sink can read what it needs from
    /// `/proc` (mappings for stacks) before the process may be gone.
    fn process_ready(&mut self, _pid: i32) {}
}
