//! The one place a tracer waits: every backend's loop (the engine, the
//! breakpoint session, the eBPF backend's spawned child) calls [`wait`],
//! which runs `waitpid`, names the stop and hands it back; the caller
//! decides what to do and resumes. Syscall stops are read with
//! [`syscall`], which turns `PTRACE_GET_SYSCALL_INFO` into an entry or an
//! exit, so no loop decodes a raw wait status or syscall-info record.

use crate::event::{Birth, ExitKind, SyscallEntry};
use crate::sys::{self, Wait};
use crate::Error;

/// What kind of ptrace stop a thread is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Stop {
    /// A syscall-entry, syscall-exit or seccomp stop; [`syscall`] tells
    /// which.
    Syscall,
    /// A signal-delivery stop: the signal is delivered on resume unless
    /// the caller suppresses it.
    Signal(i32),
    /// A group-stop (SIGSTOP, SIGTSTP, SIGTTIN, SIGTTOU) under
    /// `PTRACE_SEIZE`: resume with `PTRACE_LISTEN` to keep seeing events.
    Group(i32),
    /// The thread called `execve` successfully.
    Exec,
    /// The thread made a new thread or process (its id is the event
    /// message).
    Birth(Birth),
    /// The thread is about to exit; its exit status follows.
    Exiting,
    /// Any other stop (`PTRACE_INTERRUPT`, events not asked for).
    Other,
}

/// What one wait returned.
pub(crate) enum Next {
    /// A thread stopped.
    Stopped {
        /// The thread.
        tid: i32,
        /// The stop.
        stop: Stop,
    },
    /// A thread or process ended.
    Ended {
        /// The thread.
        tid: i32,
        /// How.
        how: ExitKind,
    },
    /// Nothing is ready (a non-blocking wait).
    Nothing,
    /// A signal to rabbithole interrupted the wait.
    Interrupted,
    /// No tracee or child is left.
    NoChildren,
}

const SYSCALL_TRAP: i32 = libc::SIGTRAP | 0x80;

/// Waits for the next stop or end of `only` (any tracee when `None`); with
/// `block` false, [`Next::Nothing`] when none is ready.
pub(crate) fn wait(only: Option<i32>, block: bool) -> Result<Next, Error> {
    Ok(match sys::wait(only, block)? {
        Wait::Stopped { tid, signal, event } => Next::Stopped {
            tid,
            stop: classify(signal, event),
        },
        Wait::Ended { tid, how } => Next::Ended { tid, how },
        Wait::Nothing => Next::Nothing,
        Wait::Interrupted => Next::Interrupted,
        Wait::NoChildren => Next::NoChildren,
    })
}

fn classify(signal: i32, event: i32) -> Stop {
    match event {
        _ if signal == SYSCALL_TRAP => Stop::Syscall,
        sys::PTRACE_EVENT_SECCOMP => Stop::Syscall,
        0 => Stop::Signal(signal),
        sys::PTRACE_EVENT_CLONE => Stop::Birth(Birth::Clone),
        sys::PTRACE_EVENT_FORK => Stop::Birth(Birth::Fork),
        sys::PTRACE_EVENT_VFORK => Stop::Birth(Birth::Vfork),
        sys::PTRACE_EVENT_EXEC => Stop::Exec,
        sys::PTRACE_EVENT_EXIT => Stop::Exiting,
        sys::PTRACE_EVENT_STOP
            if matches!(
                signal,
                libc::SIGSTOP | libc::SIGTSTP | libc::SIGTTIN | libc::SIGTTOU
            ) =>
        {
            Stop::Group(signal)
        }
        _ => Stop::Other,
    }
}

/// A syscall stop, read with `PTRACE_GET_SYSCALL_INFO`.
pub(crate) enum SyscallStop {
    /// Entering a call (`PTRACE_SYSCALL` mode).
    Entry(SyscallEntry),
    /// Entering a call that the seccomp filter traces.
    Seccomp(SyscallEntry),
    /// Leaving a call.
    Exit {
        /// Return value (a negated errno when `is_error`).
        rval: i64,
        /// Whether the call failed.
        is_error: bool,
    },
}

/// The call a thread in a [`Stop::Syscall`] is making; `None` when the
/// thread is gone or the record is of no known kind. `info` is the
/// caller's buffer, reused across stops.
pub(crate) fn syscall(tid: i32, info: &mut sys::SyscallInfo) -> Option<SyscallStop> {
    sys::syscall_info(tid, info).ok()?;
    let entry = || SyscallEntry {
        arch: info.arch(),
        nr: info.nr(),
        args: info.args(),
        pc: info.instruction_pointer,
        sp: info.stack_pointer,
    };
    match info.op {
        sys::SYSCALL_INFO_ENTRY => Some(SyscallStop::Entry(entry())),
        sys::SYSCALL_INFO_SECCOMP => Some(SyscallStop::Seccomp(entry())),
        sys::SYSCALL_INFO_EXIT => Some(SyscallStop::Exit {
            rval: info.rval(),
            is_error: info.is_error(),
        }),
        _ => None,
    }
}

/// Seizes the freshly forked `pid` with `options` and waits for the stop
/// `PTRACE_INTERRUPT` causes, so it can be resumed with syscall stops on.
/// On failure the child is killed.
pub(crate) fn seize_child(pid: i32, options: i32) -> Result<(), Error> {
    let fail = |what: &'static str, e: i32| {
        let _ = sys::send_signal(pid, libc::SIGKILL);
        Error::Os {
            what,
            source: std::io::Error::from_raw_os_error(e),
        }
    };
    sys::seize(pid, options).map_err(|e| fail("PTRACE_SEIZE", e))?;
    sys::interrupt(pid).map_err(|e| fail("PTRACE_INTERRUPT", e))?;
    loop {
        match wait(Some(pid), true)? {
            Next::Stopped { .. } => return Ok(()),
            Next::Interrupted => continue,
            _ => return Err(fail("waitpid", libc::ECHILD)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stops_are_named_from_signal_and_event() {
        assert_eq!(classify(SYSCALL_TRAP, 0), Stop::Syscall);
        assert_eq!(
            classify(libc::SIGTRAP, sys::PTRACE_EVENT_SECCOMP),
            Stop::Syscall
        );
        assert_eq!(classify(libc::SIGTRAP, 0), Stop::Signal(libc::SIGTRAP));
        assert_eq!(
            classify(libc::SIGTRAP, sys::PTRACE_EVENT_CLONE),
            Stop::Birth(Birth::Clone)
        );
        assert_eq!(classify(libc::SIGTRAP, sys::PTRACE_EVENT_EXEC), Stop::Exec);
        assert_eq!(
            classify(libc::SIGTSTP, sys::PTRACE_EVENT_STOP),
            Stop::Group(libc::SIGTSTP)
        );
        assert_eq!(classify(libc::SIGTRAP, sys::PTRACE_EVENT_STOP), Stop::Other);
    }
}
