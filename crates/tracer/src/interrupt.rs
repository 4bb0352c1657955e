//! Catching Ctrl-C and friends without losing them: the handler only records
//! the signal (and whether the terminal or a `kill` sent it); the engine's
//! `waitpid` returns EINTR because the handler is installed without
//! SA_RESTART, and [`crate::Tracer::run`] reports
//! [`crate::Outcome::Interrupted`] so the command decides: detach (`-p`) or
//! forward to the child (spawned).

use std::sync::atomic::{AtomicI32, Ordering};

static PENDING: AtomicI32 = AtomicI32::new(0);
static CODE: AtomicI32 = AtomicI32::new(0);

extern "C" fn record(signal: libc::c_int, info: *mut libc::siginfo_t, _ctx: *mut libc::c_void) {
    let code = if info.is_null() {
        0
    } else {
        // SAFETY: the kernel passes a valid siginfo_t to SA_SIGINFO handlers.
        unsafe { (*info).si_code }
    };
    CODE.store(code, Ordering::SeqCst);
    PENDING.store(signal, Ordering::SeqCst);
}

/// Installs the recording handler for `signals` (e.g. SIGINT, SIGTERM,
/// SIGHUP, SIGQUIT), except those ignored when rabbithole started: under
/// `nohup` or `trap "" HUP` a hangup is meant to reach nobody, as a shell
/// keeps a signal ignored on entry ignored. The traced child gets the
/// dispositions rabbithole started with (`inherited`).
pub fn install(signals: &[i32]) -> Result<(), crate::Error> {
    for &signal in signals {
        if crate::inherited::was_ignored(signal) {
            continue;
        }
        // SAFETY: sigaction is plain data; zeroed is a valid empty action.
        let mut action: libc::sigaction = unsafe { std::mem::zeroed() };
        action.sa_sigaction = record as *const () as usize;
        action.sa_flags = libc::SA_SIGINFO;
        // SAFETY: the handler only stores into atomics (async-signal-safe);
        // `action` is fully initialised and outlives the call.
        let r = unsafe {
            libc::sigemptyset(&mut action.sa_mask);
            libc::sigaction(signal, &action, std::ptr::null_mut())
        };
        if r == -1 {
            return Err(crate::Error::os("sigaction"));
        }
    }
    Ok(())
}

/// Records that rabbithole's own output is a closed pipe, as if SIGPIPE
/// had arrived: Rust ignores SIGPIPE, so the write fails with EPIPE
/// instead of ending the process as it ends strace. The trace loops then
/// return [`crate::Outcome::Interrupted`] with [`Received::output_closed`].
pub fn output_closed() {
    // SI_KERNEL: not sent by a process.
    CODE.store(0x80, Ordering::SeqCst);
    PENDING.store(libc::SIGPIPE, Ordering::SeqCst);
}

/// A signal rabbithole itself received.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Received {
    /// The signal number.
    pub signal: i32,
    /// True when sent by a process (`kill`), false when the kernel sent it
    /// (Ctrl-C on the terminal, which also reached the traced child, since
    /// it shares the foreground process group).
    pub from_process: bool,
}

impl Received {
    /// The "signal" is rabbithole's output being gone
    /// ([`output_closed`]); SIGPIPE itself is ignored, so nothing else
    /// records it.
    pub fn output_closed(&self) -> bool {
        self.signal == libc::SIGPIPE
    }
}

/// Takes the last recorded signal, if any.
pub fn take() -> Option<Received> {
    let signal = PENDING.swap(0, Ordering::SeqCst);
    (signal != 0).then(|| Received {
        signal,
        from_process: CODE.load(Ordering::SeqCst) <= 0,
    })
}
