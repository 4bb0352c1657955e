//! The ptrace engine: one `waitpid(-1, __WALL)` loop over every traced
//! thread, one `PTRACE_GET_SYSCALL_INFO` per syscall stop, events pushed
//! into a [`Sink`]. State per thread is just "which call is it in", so stops
//! arriving in any order (a new thread's first stop before its creator's
//! clone event, threads killed mid-call by `exit_group`, exec by a
//! non-leader thread) are handled where they land.

use crate::event::{Birth, Control, ExitKind, Sink, SyscallEntry, SyscallExit};
use crate::seccomp::SeccompFilter;
use crate::stop::{self, Next, Stop, SyscallStop};
use crate::sys::{
    self, O_EXITKILL, O_TRACECLONE, O_TRACEEXEC, O_TRACEEXIT, O_TRACEFORK, O_TRACESECCOMP,
    O_TRACESYSGOOD, O_TRACEVFORK,
};
use crate::{spawn, Arch, Error, Registers, Thread};
use std::collections::HashMap;
use std::ffi::{OsStr, OsString};

const CLONE_THREAD: u64 = 0x0001_0000;

/// How to trace.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Follow clone, fork and vfork (strace `-f`). Without it only the
    /// first thread of a spawned command is traced; Go programs start
    /// several threads at once, so most of their calls are missed.
    pub follow_forks: bool,
    /// Only the syscalls this filter traces stop the tracee. Used only for
    /// spawned commands and only with `follow_forks`: an untraced thread
    /// hitting `SECCOMP_RET_TRACE` would get ENOSYS.
    pub seccomp: Option<SeccompFilter>,
}

/// Why [`Tracer::run`] returned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Every tracee is gone; the first process (spawned command, or first
    /// `-p` pid) ended this way, if it ended while traced.
    Finished(Option<ExitKind>),
    /// A sink returned [`Control::Pause`]; this thread is held stopped.
    Paused(i32),
    /// rabbithole received a signal (see [`crate::interrupt`]).
    Interrupted(crate::interrupt::Received),
}

struct Tracee {
    pid: i32,
    in_syscall: Option<SyscallEntry>,
    /// Resume with PTRACE_CONT between calls: a seccomp filter stops us.
    seccomp: bool,
    /// The spawned child before its execve: its calls are rabbithole's own.
    startup: bool,
}

/// A thread stopped under the tracer, as sinks see it.
pub struct LiveThread {
    tid: i32,
    pid: i32,
}

impl LiveThread {
    pub(crate) fn new(tid: i32, pid: i32) -> LiveThread {
        LiveThread { tid, pid }
    }
}

impl Thread for LiveThread {
    fn tid(&self) -> i32 {
        self.tid
    }
    fn pid(&self) -> i32 {
        self.pid
    }
    fn registers(&self) -> Result<Registers, Error> {
        sys::registers(self.tid)
    }
    fn read_memory(&self, addr: u64, buf: &mut [u8]) -> Result<usize, Error> {
        sys::read_memory(self.tid, addr, buf)
    }
}

/// Traced processes and the loop that drives them.
pub struct Tracer {
    tracees: HashMap<i32, Tracee>,
    main_pid: i32,
    main_exit: Option<ExitKind>,
    /// Tracees born from now on run under the seccomp filter.
    seccomp_active: bool,
    filter_installed: bool,
    follow: bool,
    spawned: bool,
    paused: Option<(i32, i32)>,
    error_fd: Option<i32>,
    program: String,
    info: sys::SyscallInfo,
}

fn exec_nr(arch: Arch, nr: u64) -> bool {
    match arch {
        Arch::Amd64 => nr == 59 || nr == 322,
        Arch::Arm64 => nr == 221 || nr == 281,
        crate::I386 => nr == 11 || nr == 358,
        Arch::Other(_) => false,
    }
}

fn errno_io(e: i32) -> std::io::Error {
    std::io::Error::from_raw_os_error(e)
}

impl Tracer {
    fn empty(main_pid: i32, opts: &Options, spawned: bool, program: String) -> Tracer {
        Tracer {
            tracees: HashMap::new(),
            main_pid,
            main_exit: None,
            seccomp_active: false,
            filter_installed: spawned && opts.follow_forks && opts.seccomp.is_some(),
            follow: opts.follow_forks,
            spawned,
            paused: None,
            error_fd: None,
            program,
            info: sys::SyscallInfo::default(),
        }
    }

    fn options(&self) -> i32 {
        let mut o = O_TRACESYSGOOD | O_TRACEEXEC | O_TRACEEXIT;
        if self.follow {
            o |= O_TRACECLONE | O_TRACEFORK | O_TRACEVFORK;
        }
        if self.filter_installed {
            o |= O_TRACESECCOMP;
        }
        if self.spawned {
            o |= O_EXITKILL;
        }
        o
    }

    /// Starts `program args...` under the tracer. It keeps rabbithole's
    /// stdin, stdout, stderr and terminal. The first event is its `execve`.
    pub fn spawn(program: &OsStr, args: &[OsString], opts: &Options) -> Result<Tracer, Error> {
        let prep = spawn::prepare(program, args)?;
        let name = program.to_string_lossy().into_owned();
        let mut t = Tracer::empty(0, opts, true, name);
        let filter = if t.filter_installed {
            opts.seccomp.as_ref()
        } else {
            None
        };
        let child = spawn::fork_child(&prep, filter)?;
        t.main_pid = child.pid;
        t.error_fd = Some(child.error_read);
        stop::seize_child(child.pid, t.options())?;
        t.tracees.insert(
            child.pid,
            Tracee {
                pid: child.pid,
                in_syscall: None,
                seccomp: false,
                startup: true,
            },
        );
        if let Err(e) = sys::resume(child.pid, true, 0) {
            let _ = sys::send_signal(child.pid, libc::SIGKILL);
            return Err(Error::Os {
                what: "PTRACE_SYSCALL",
                source: errno_io(e),
            });
        }
        spawn::release(child.sync_write);
        Ok(t)
    }

    /// Attaches to running processes and every one of their threads
    /// (threads appearing while attaching are picked up by re-reading
    /// `/proc/PID/task` until it is stable). The processes are not stopped
    /// for longer than one ptrace round trip.
    pub fn attach(pids: &[i32], opts: &Options) -> Result<Tracer, Error> {
        let first = pids.first().copied().unwrap_or(0);
        let mut t = Tracer::empty(first, opts, false, String::new());
        for &pid in pids {
            let mut rounds = 0;
            loop {
                let tids =
                    crate::proc::threads_of(pid).map_err(|source| Error::Attach { pid, source })?;
                let new: Vec<i32> = tids
                    .into_iter()
                    .filter(|tid| !t.tracees.contains_key(tid))
                    .collect();
                if new.is_empty() || rounds > 1000 {
                    break;
                }
                rounds += 1;
                for tid in new {
                    match sys::seize(tid, t.options()) {
                        Ok(()) => {}
                        Err(libc::ESRCH) => continue,
                        Err(e) => {
                            if t.tracees.is_empty() {
                                return Err(Error::Attach {
                                    pid,
                                    source: errno_io(e),
                                });
                            }
                            continue;
                        }
                    }
                    let _ = sys::interrupt(tid);
                    t.tracees.insert(
                        tid,
                        Tracee {
                            pid,
                            in_syscall: None,
                            seccomp: false,
                            startup: false,
                        },
                    );
                }
            }
        }
        Ok(t)
    }

    /// The first process's pid (the spawned command, or the first `-p`).
    pub fn main_pid(&self) -> i32 {
        self.main_pid
    }

    /// Number of threads currently traced.
    pub fn tracee_count(&self) -> usize {
        self.tracees.len()
    }

    /// Sends `signal` to the first process (forwarding a `kill` aimed at
    /// rabbithole to the traced command).
    pub fn signal_main(&self, signal: i32) {
        let _ = sys::send_signal(self.main_pid, signal);
    }

    /// Kills every traced process when the command was spawned (attached
    /// processes are left alone); [`Tracer::run`] then reports their ends.
    pub fn kill_spawned(&self) {
        if !self.spawned {
            return;
        }
        let mut pids: Vec<i32> = self.tracees.values().map(|t| t.pid).collect();
        pids.sort_unstable();
        pids.dedup();
        for pid in pids {
            let _ = sys::send_signal(pid, libc::SIGKILL);
        }
    }

    /// The thread a sink paused, to inspect before the next [`Tracer::run`].
    pub fn paused_thread(&self) -> Option<LiveThread> {
        let (tid, _) = self.paused?;
        let pid = self.tracees.get(&tid)?.pid;
        Some(LiveThread { tid, pid })
    }

    /// Drives the tracees until all are gone, a sink pauses one, or
    /// rabbithole is interrupted.
    pub fn run(&mut self, sink: &mut dyn Sink) -> Result<Outcome, Error> {
        if let Some((tid, sig)) = self.paused.take() {
            self.resume(tid, sig);
        }
        loop {
            if self.tracees.is_empty() {
                return Ok(Outcome::Finished(self.main_exit));
            }
            // A busy tracee keeps waitpid from ever returning EINTR, so
            // look at the flag on every stop too (one atomic load).
            if let Some(r) = crate::interrupt::take() {
                return Ok(Outcome::Interrupted(r));
            }
            match stop::wait(None, true)? {
                Next::Interrupted => {
                    if let Some(r) = crate::interrupt::take() {
                        return Ok(Outcome::Interrupted(r));
                    }
                }
                Next::NoChildren => {
                    self.tracees.clear();
                    return Ok(Outcome::Finished(self.main_exit));
                }
                Next::Nothing => {}
                Next::Ended { tid, how } => self.ended(tid, how, sink)?,
                Next::Stopped { tid, stop } => {
                    if let Some(sig) = self.stopped(tid, stop, sink)? {
                        self.paused = Some((tid, sig));
                        return Ok(Outcome::Paused(tid));
                    }
                }
            }
        }
    }

    fn ended(&mut self, tid: i32, how: ExitKind, sink: &mut dyn Sink) -> Result<(), Error> {
        let Some(t) = self.tracees.remove(&tid) else {
            return Ok(());
        };
        if t.startup {
            // The child died before its execve: report why.
            if let Some(fd) = self.error_fd.take() {
                return Err(spawn::exec_failure(fd, &self.program));
            }
        }
        if tid == self.main_pid {
            self.main_exit = Some(how);
        }
        sink.exited(tid, t.pid, how, t.in_syscall.as_ref());
        Ok(())
    }

    fn tracee(&mut self, tid: i32) -> &mut Tracee {
        let seccomp = self.seccomp_active;
        self.tracees.entry(tid).or_insert_with(|| Tracee {
            pid: crate::proc::thread_group_of(tid).unwrap_or(tid),
            in_syscall: None,
            seccomp,
            startup: false,
        })
    }

    fn resume(&mut self, tid: i32, signal: i32) {
        let syscall_stops = self
            .tracees
            .get(&tid)
            .is_none_or(|t| !t.seccomp || t.in_syscall.is_some());
        // ESRCH: the thread died meanwhile (e.g. another thread's
        // exit_group); its exit is reported by waitpid.
        let _ = sys::resume(tid, syscall_stops, signal);
    }

    /// Handles one stop; returns Some(signal to deliver) when a sink paused
    /// the thread, None after resuming it.
    fn stopped(&mut self, tid: i32, stop: Stop, sink: &mut dyn Sink) -> Result<Option<i32>, Error> {
        let pid = self.tracee(tid).pid;
        let thread = LiveThread { tid, pid };
        let mut deliver = 0;
        let mut control = Control::Continue;
        match stop {
            Stop::Syscall => control = self.syscall_stop(&thread, sink),
            Stop::Signal(signal) => {
                if let Ok(info) = sys::signal_info(tid) {
                    if !self.tracee(tid).startup {
                        control = sink.signal(&thread, &info);
                    }
                }
                deliver = signal;
            }
            Stop::Birth(birth) => self.born(tid, birth, sink),
            Stop::Exec => self.executed(tid, sink),
            Stop::Group(signal) => {
                // Stay stopped but keep reporting (PTRACE_LISTEN), so
                // SIGCONT and exits are seen.
                sink.group_stop(tid, pid, signal);
                let _ = sys::listen(tid);
                return Ok(None);
            }
            // Exiting: the exit status follows.
            Stop::Exiting | Stop::Other => {}
        }
        if control == Control::Pause {
            return Ok(Some(deliver));
        }
        self.resume(tid, deliver);
        Ok(None)
    }

    fn syscall_stop(&mut self, thread: &LiveThread, sink: &mut dyn Sink) -> Control {
        let tid = thread.tid;
        let Some(call) = stop::syscall(tid, &mut self.info) else {
            return Control::Continue;
        };
        let t = self
            .tracees
            .get_mut(&tid)
            .expect("tracee registered by stopped()");
        match call {
            SyscallStop::Entry(entry) | SyscallStop::Seccomp(entry) => {
                if matches!(call, SyscallStop::Seccomp(_)) && t.in_syscall.is_some() {
                    // The entry stop came first (PTRACE_SYSCALL mode).
                    return Control::Continue;
                }
                t.in_syscall = Some(entry);
                if t.startup {
                    if !exec_nr(entry.arch, entry.nr) {
                        return Control::Continue;
                    }
                    t.startup = false;
                }
                sink.syscall_entry(thread, &entry)
            }
            SyscallStop::Exit { rval, is_error } => {
                let entry = t.in_syscall.take();
                if t.startup {
                    return Control::Continue;
                }
                let exit = SyscallExit {
                    entry,
                    rval,
                    is_error,
                };
                // The spawned command's execve failed (shown, as strace
                // does): what the child does next is rabbithole's code
                // reporting the errno, not the program's, and its end is
                // reported as the exec failure.
                let exec_failed = is_error
                    && self.error_fd.is_some()
                    && entry.is_some_and(|e| exec_nr(e.arch, e.nr));
                if exec_failed {
                    t.startup = true;
                }
                sink.syscall_exit(thread, &exit)
            }
        }
    }

    fn born(&mut self, parent: i32, birth: Birth, sink: &mut dyn Sink) {
        let Ok(child) = sys::event_message(parent).map(|m| m as i32) else {
            return;
        };
        let (parent_pid, entry) = match self.tracees.get(&parent) {
            Some(p) => (p.pid, p.in_syscall),
            None => return,
        };
        let child_pid = match birth {
            Birth::Fork | Birth::Vfork => child,
            Birth::Clone => match clone_flags(parent, entry) {
                Some(flags) if flags & CLONE_THREAD != 0 => parent_pid,
                Some(_) => child,
                None => crate::proc::thread_group_of(child).unwrap_or(child),
            },
        };
        let seccomp = self.seccomp_active;
        let t = self.tracees.entry(child).or_insert(Tracee {
            pid: child_pid,
            in_syscall: None,
            seccomp,
            startup: false,
        });
        t.pid = child_pid;
        sink.new_tracee(parent, child, child_pid, birth);
    }

    fn executed(&mut self, tid: i32, sink: &mut dyn Sink) {
        let former = sys::event_message(tid).map(|m| m as i32).unwrap_or(tid);
        if former != tid {
            // A non-leader thread executed and took the leader's tid; the
            // old leader vanished without an exit report.
            if let Some(mut moved) = self.tracees.remove(&former) {
                moved.pid = tid;
                self.tracees.insert(tid, moved);
            }
        }
        let seccomp = self.filter_installed;
        if let Some(t) = self.tracees.get_mut(&tid) {
            if t.startup || t.seccomp != seccomp {
                t.startup = false;
                t.seccomp = seccomp;
            }
            t.pid = tid;
        }
        if self.filter_installed {
            self.seccomp_active = true;
        }
        if let Some(fd) = self.error_fd.take() {
            spawn::close(fd);
        }
        sink.exec(&LiveThread { tid, pid: tid }, former);
    }

    /// Detaches from every tracee, leaving the processes running (Ctrl-C on
    /// `-p`). Each thread is interrupted, then detached at its stop with any
    /// signal it was about to receive.
    pub fn detach_all(&mut self, sink: &mut dyn Sink) -> Result<(), Error> {
        if let Some((tid, sig)) = self.paused.take() {
            if let Some(t) = self.tracees.remove(&tid) {
                let _ = sys::detach(tid, sig);
                sink.detached(tid, t.pid);
            }
        }
        let tids: Vec<i32> = self.tracees.keys().copied().collect();
        for tid in tids {
            if sys::interrupt(tid) == Err(libc::ESRCH) {
                self.tracees.remove(&tid);
            }
        }
        while !self.tracees.is_empty() {
            match stop::wait(None, true)? {
                Next::Interrupted | Next::Nothing => continue,
                Next::NoChildren => break,
                Next::Ended { tid, how } => self.ended(tid, how, sink)?,
                Next::Stopped { tid, stop } => {
                    let Some(t) = self.tracees.remove(&tid) else {
                        continue;
                    };
                    let pass = match stop {
                        Stop::Signal(signal) => signal,
                        _ => 0,
                    };
                    let _ = sys::detach(tid, pass);
                    sink.detached(tid, t.pid);
                }
            }
        }
        Ok(())
    }
}

impl Drop for Tracer {
    fn drop(&mut self) {
        if let Some(fd) = self.error_fd.take() {
            spawn::close(fd);
        }
    }
}

/// The clone flags of the call a thread is in: the first argument of
/// `clone`, the first field of `struct clone_args` for `clone3`.
fn clone_flags(tid: i32, entry: Option<SyscallEntry>) -> Option<u64> {
    let e = entry?;
    let (clone, clone3) = match e.arch {
        Arch::Amd64 => (56, 435),
        Arch::Arm64 => (220, 435),
        _ => return None,
    };
    if e.nr == clone {
        Some(e.args[0])
    } else if e.nr == clone3 {
        LiveThread::new(tid, tid).read_u64(e.args[0])
    } else {
        None
    }
}
