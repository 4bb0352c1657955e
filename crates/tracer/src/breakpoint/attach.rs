//! A running process under breakpoint control: every thread is seized
//! (no seccomp filter can be added to a running process, so its threads
//! stop at every syscall), and at the end every breakpoint is removed and
//! every thread detached, the process left running as before.

use super::{set_pc, Session, Tracee};
use crate::stop::{self, Next};
use crate::sys::{self, O_TRACECLONE, O_TRACEEXEC, O_TRACEFORK, O_TRACESYSGOOD, O_TRACEVFORK};
use crate::Error;

impl Session {
    /// Seizes process `pid` and all its threads (threads born meanwhile
    /// are picked up by reading `/proc/PID/task` until it is stable). No
    /// [`super::Stop::Exec`] comes: plant breakpoints right away.
    pub fn attach(pid: i32) -> Result<Session, Error> {
        let opts = O_TRACESYSGOOD | O_TRACEEXEC | O_TRACECLONE | O_TRACEFORK | O_TRACEVFORK;
        let mut s = Session::new(pid, opts, false);
        for _ in 0..1000 {
            let tids =
                crate::proc::threads_of(pid).map_err(|source| Error::Attach { pid, source })?;
            let new: Vec<i32> = tids
                .into_iter()
                .filter(|t| !s.tracees.contains_key(t))
                .collect();
            if new.is_empty() {
                break;
            }
            for tid in new {
                match sys::seize(tid, opts) {
                    Ok(()) => {}
                    Err(libc::ESRCH) => continue,
                    Err(e) if s.tracees.is_empty() => {
                        return Err(Error::Attach {
                            pid,
                            source: std::io::Error::from_raw_os_error(e),
                        })
                    }
                    Err(_) => continue,
                }
                let _ = sys::interrupt(tid);
                s.tracees.insert(
                    tid,
                    Tracee {
                        pid,
                        startup: false,
                        in_syscall: None,
                        want_exit: false,
                    },
                );
            }
        }
        Ok(s)
    }

    /// Removes every breakpoint and detaches every thread; a thread that
    /// trapped on a breakpoint meanwhile is moved back onto the restored
    /// instruction, a pending signal is delivered on detach.
    pub fn detach_all(&mut self) {
        self.remove_all();
        if let Some((tid, sig)) = self.held.take() {
            if let Some(pc) = self.held_at.take() {
                let _ = self.perform(tid, pc);
            }
            let _ = sys::detach(tid, sig);
            self.tracees.remove(&tid);
        }
        for &tid in self.tracees.keys() {
            let _ = sys::interrupt(tid);
        }
        while !self.tracees.is_empty() {
            match stop::wait(None, true) {
                Ok(Next::Stopped { tid, stop }) => {
                    let signal = match stop {
                        stop::Stop::Signal(libc::SIGTRAP) => match self.int3_at(tid) {
                            Some(pc) if self.removed.contains(&pc) => {
                                let _ = set_pc(tid, pc);
                                0
                            }
                            _ => libc::SIGTRAP,
                        },
                        stop::Stop::Signal(sig) => sig,
                        _ => 0,
                    };
                    let _ = sys::detach(tid, signal);
                    self.tracees.remove(&tid);
                }
                Ok(Next::Ended { tid, .. }) => {
                    self.tracees.remove(&tid);
                }
                Ok(Next::Interrupted | Next::Nothing) => {}
                Ok(Next::NoChildren) | Err(_) => break,
            }
        }
    }
}
