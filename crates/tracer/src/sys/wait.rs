//! `waitpid` for tracees and for the spawned child.

use super::last_errno;
use crate::{Error, ExitKind};

/// One raw `waitpid` result, decoded by hand: nix's `WaitStatus` cannot
/// carry real-time signal numbers and costs a conversion per stop.
pub(crate) enum Wait {
    /// A ptrace stop: the stop signal and the `PTRACE_EVENT_*` (0 for none).
    Stopped { tid: i32, signal: i32, event: i32 },
    /// The thread or process ended.
    Ended { tid: i32, how: ExitKind },
    /// Nothing to report yet (`block` was false).
    Nothing,
    /// A signal to rabbithole interrupted the wait (EINTR).
    Interrupted,
    /// No child or tracee is left.
    NoChildren,
}

/// Waits for `only` (any tracee when `None`) with `__WALL | __WNOTHREAD`:
/// every thread, but only this thread's tracees, since ptrace requests must
/// come from the tracing thread anyway. With `block` false, returns
/// [`Wait::Nothing`] at once when nothing is ready.
pub(crate) fn wait(only: Option<i32>, block: bool) -> Result<Wait, Error> {
    let mut status: libc::c_int = 0;
    let flags = libc::__WALL | libc::__WNOTHREAD | if block { 0 } else { libc::WNOHANG };
    // SAFETY: waitpid writes one int to `status`, a live local.
    let tid = unsafe { libc::waitpid(only.unwrap_or(-1), &mut status, flags) };
    if tid == -1 {
        return match last_errno() {
            libc::EINTR => Ok(Wait::Interrupted),
            libc::ECHILD => Ok(Wait::NoChildren),
            _ => Err(Error::os("waitpid")),
        };
    }
    if tid == 0 {
        return Ok(Wait::Nothing);
    }
    Ok(if libc::WIFSTOPPED(status) {
        Wait::Stopped {
            tid,
            signal: libc::WSTOPSIG(status),
            event: (status >> 16) & 0xffff,
        }
    } else if libc::WIFSIGNALED(status) {
        Wait::Ended {
            tid,
            how: ExitKind::Killed {
                signal: libc::WTERMSIG(status),
                core: libc::WCOREDUMP(status),
            },
        }
    } else {
        Wait::Ended {
            tid,
            how: ExitKind::Exited(libc::WEXITSTATUS(status)),
        }
    })
}
