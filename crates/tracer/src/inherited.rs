//! What rabbithole inherited from whoever started it, recorded before
//! Rust's runtime and rabbithole itself changed it, so a spawned program
//! inherits the same: the traced program must start exactly as it would
//! untraced.
//!
//! Three things change between the exec of rabbithole and the fork of the
//! traced program, and the child has to undo each:
//! - Rust's start-up sets SIGPIPE to ignored, and opens /dev/null on any
//!   of fds 0, 1, 2 that were closed (`prog >&-` must stay closed);
//! - rabbithole catches SIGINT, SIGTERM, SIGHUP, SIGQUIT, and glibc gives
//!   its own real-time signals (32, 33) handlers once a thread starts;
//!   a handler is reset to the default by execve, so an ignored signal
//!   (`nohup`, `trap "" HUP`) would arrive as default in the program;
//! - a thread that forks passes on its own signal mask.
//!
//! Reading this state in `main` is too late (Rust's start-up has run), so
//! it is read by a function in `.init_array`, which the dynamic loader
//! (or a static binary's start code) calls before `main` and before any
//! thread exists.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

/// Bit N set: signal N was ignored at start.
static IGNORED: AtomicU64 = AtomicU64::new(0);
/// Bit N set: signal N was blocked at start.
static BLOCKED: AtomicU64 = AtomicU64::new(0);
/// Bit N set: fd N (0, 1 or 2) was closed at start.
static CLOSED: AtomicU64 = AtomicU64::new(0);
/// Whether the recording ran (a test proves it does).
static RECORDED: AtomicBool = AtomicBool::new(false);

/// The kernel's `struct sigaction` on x86-64 and arm64: glibc's wrapper
/// refuses its own signals, so dispositions are read and set with the raw
/// call.
#[repr(C)]
struct KernelSigaction {
    handler: usize,
    flags: u64,
    restorer: usize,
    mask: u64,
}

/// The highest signal number (the kernel's `_NSIG`).
const SIGNALS: i32 = 64;

extern "C" fn record() {
    let mut ignored = 0u64;
    for sig in 1..=SIGNALS {
        let mut old = KernelSigaction {
            handler: 0,
            flags: 0,
            restorer: 0,
            mask: 0,
        };
        // SAFETY: reads a disposition into a live local (no new action).
        let r = unsafe {
            libc::syscall(
                libc::SYS_rt_sigaction,
                sig,
                std::ptr::null::<KernelSigaction>(),
                &mut old,
                8,
            )
        };
        if r == 0 && old.handler == libc::SIG_IGN {
            ignored |= 1 << (sig - 1);
        }
    }
    let mut mask = 0u64;
    // SAFETY: reads the mask into a live u64 (the kernel's sigset is 8 bytes).
    unsafe {
        libc::syscall(
            libc::SYS_rt_sigprocmask,
            libc::SIG_BLOCK,
            std::ptr::null::<u64>(),
            &mut mask,
            8,
        );
    }
    let mut closed = 0u64;
    for fd in 0..3 {
        // SAFETY: F_GETFD only reads the descriptor's flags.
        if unsafe { libc::fcntl(fd, libc::F_GETFD) } == -1 {
            closed |= 1 << fd;
        }
    }
    IGNORED.store(ignored, Ordering::Relaxed);
    BLOCKED.store(mask, Ordering::Relaxed);
    CLOSED.store(closed, Ordering::Relaxed);
    RECORDED.store(true, Ordering::Relaxed);
}

#[used]
#[link_section = ".init_array"]
static RECORD_AT_START: extern "C" fn() = record;

/// Whether `signal` was ignored when rabbithole started.
pub fn was_ignored(signal: i32) -> bool {
    (1..=SIGNALS).contains(&signal) && IGNORED.load(Ordering::Relaxed) & (1 << (signal - 1)) != 0
}

/// The state to give a forked child, read before forking (plain values:
/// the child only makes system calls).
#[derive(Clone, Copy)]
pub(crate) struct AtStart {
    ignored: u64,
    blocked: u64,
    closed: u64,
}

impl AtStart {
    /// The state recorded at start.
    pub(crate) fn load() -> AtStart {
        debug_assert!(RECORDED.load(Ordering::Relaxed), ".init_array did not run");
        AtStart {
            ignored: IGNORED.load(Ordering::Relaxed),
            blocked: BLOCKED.load(Ordering::Relaxed),
            closed: CLOSED.load(Ordering::Relaxed),
        }
    }

    /// Puts the calling process back to the recorded state: each signal
    /// ignored or default as at start, the start's mask, the std fds that
    /// were closed closed again.
    ///
    /// # Safety
    /// Only system calls on live locals: async-signal-safe, for a forked
    /// child. Closing fds 0-2 is the caller's intent.
    pub(crate) unsafe fn restore(self) {
        for sig in 1..=SIGNALS {
            if sig == libc::SIGKILL || sig == libc::SIGSTOP {
                continue;
            }
            let handler = if self.ignored & (1 << (sig - 1)) != 0 {
                libc::SIG_IGN
            } else {
                libc::SIG_DFL
            };
            let action = KernelSigaction {
                handler,
                flags: 0,
                restorer: 0,
                mask: 0,
            };
            // SAFETY: the caller's contract; `action` is a live local.
            unsafe {
                libc::syscall(
                    libc::SYS_rt_sigaction,
                    sig,
                    &action,
                    std::ptr::null_mut::<KernelSigaction>(),
                    8,
                );
            }
        }
        // SAFETY: sets the mask from a live u64.
        unsafe {
            libc::syscall(
                libc::SYS_rt_sigprocmask,
                libc::SIG_SETMASK,
                &self.blocked,
                std::ptr::null_mut::<u64>(),
                8,
            );
        }
        for fd in 0..3 {
            if self.closed & (1 << fd) != 0 {
                // SAFETY: closes a descriptor Rust's start-up opened on /dev/null.
                unsafe {
                    libc::close(fd);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recorded_before_main() {
        assert!(RECORDED.load(Ordering::Relaxed));
    }
}
