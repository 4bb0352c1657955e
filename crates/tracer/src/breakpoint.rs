//! Software breakpoints and the small stop loop `path` drives them with.
//!
//! `path` needs to see each call on the way to one syscall at the moment it
//! is made (registers and stack words), so it plants `int3` on the `CALL`
//! and `JMP` instructions of the chain. The general engine resumes every
//! stop on its own and cannot rewrite registers, so this module drives the
//! shared wait (`stop::wait`, which names each stop) with its own policy:
//! it hands each breakpoint hit and each syscall stop to the caller and
//! holds that thread until [`Session::advance`] is called again.
//!
//! A hit is never resolved by putting the original byte back and
//! single-stepping: while the byte is restored, another thread could run
//! through the site unseen. The instruction under the breakpoint is a direct
//! `CALL`/`JMP` (or a register `CALL`) whose effect is known, so the loop
//! performs it instead: push the return address, set the pc. The original
//! bytes stay untouched until [`Session::remove_all`].
//!
//! Text is patched through `/proc/PID/mem`, which the kernel lets a ptrace
//! tracer write even in read-only mappings. linux/amd64 only.
//!
//! Children the command forks or vforks are traced too, silently: a vfork
//! child shares the command's memory and a fork child copies it, so both
//! run into the breakpoints (the loop performs the instruction for them
//! and reports nothing), and both inherit the seccomp filter, whose traced
//! calls fail with ENOSYS in a process nobody traces (the loop lets them
//! run). Only the command's own threads produce events.

use crate::event::{ExitKind, SyscallEntry, SyscallExit};
use crate::seccomp::SeccompFilter;
use crate::stop::{self, Next, SyscallStop};
use crate::sys::{
    self, O_EXITKILL, O_TRACECLONE, O_TRACEEXEC, O_TRACEFORK, O_TRACESECCOMP, O_TRACESYSGOOD,
    O_TRACEVFORK,
};
use crate::{spawn, Error, LiveThread, Registers};
use std::collections::HashMap;
use std::ffi::{OsStr, OsString};
use std::fs::File;
use std::os::unix::fs::FileExt;

mod attach;

const INT3: u8 = 0xcc;
/// `si_code` of a SIGTRAP raised by `int3`.
const SI_KERNEL: i32 = 0x80;

/// What the instruction under a breakpoint does; the loop performs it when
/// it resumes a thread stopped there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// A direct call: push `return_to`, continue at `target`.
    Call {
        /// Callee entry.
        target: u64,
        /// Address of the next instruction.
        return_to: u64,
    },
    /// A call through a general register (x86 register number 0..=15 in
    /// encoding order: RAX RCX RDX RBX RSP RBP RSI RDI R8..R15).
    CallRegister {
        /// Register number.
        reg: u8,
        /// Address of the next instruction.
        return_to: u64,
    },
    /// A direct jump to `target`.
    Jump {
        /// Destination.
        target: u64,
    },
}

/// What happened, one event per [`Session::advance`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stop {
    /// The command executed: its image is mapped and no instruction of it
    /// has run. Plant breakpoints now.
    Exec {
        /// Thread (and process) id.
        tid: i32,
    },
    /// A thread reached a breakpoint; it is held before the instruction,
    /// its registers show `pc` as the program counter.
    Breakpoint {
        /// Thread id.
        tid: i32,
        /// Address of the instruction.
        pc: u64,
    },
    /// A thread is entering a system call.
    SyscallEntry {
        /// Thread id.
        tid: i32,
        /// The call.
        entry: SyscallEntry,
    },
    /// A system call returned (only for threads passed to
    /// [`Session::want_exit`]).
    SyscallExit {
        /// Thread id.
        tid: i32,
        /// The result.
        exit: SyscallExit,
    },
    /// Every traced thread is gone; how the command ended.
    Finished(Option<ExitKind>),
}

struct Tracee {
    /// Its thread group: the command's, or a child process's.
    pid: i32,
    /// Before the command's execve: the calls are rabbithole's own.
    startup: bool,
    in_syscall: Option<SyscallEntry>,
    want_exit: bool,
}

/// A spawned command under breakpoint control.
pub struct Session {
    main_pid: i32,
    tracees: HashMap<i32, Tracee>,
    /// Planted breakpoints: address -> (original byte, what to perform).
    breakpoints: HashMap<u64, (u8, Step)>,
    /// Every breakpoint ever planted, removed or not: a fork child keeps
    /// its copy of the `int3` after the command's text is restored.
    steps: HashMap<u64, Step>,
    /// Addresses of breakpoints already removed: a thread may have hit one
    /// just before, and its trap is still to be reported.
    removed: std::collections::HashSet<u64>,
    /// The thread held by the last event and the signal to give it.
    held: Option<(i32, i32)>,
    /// Held at a breakpoint: its address.
    held_at: Option<u64>,
    seccomp: bool,
    /// The ptrace options every tracee has.
    options: i32,
    /// Nothing more to report ([`Session::quiet`]): the seccomp filter is
    /// suspended thread by thread where it is the process's only one.
    quiet: bool,
    /// Per process: whether its seccomp filters are ours alone, so that
    /// suspending them changes nothing the program set up itself.
    only_our_filter: HashMap<i32, bool>,
    /// ptrace stops seen, reported or not.
    stops: u64,
    mem: Option<File>,
    main_exit: Option<ExitKind>,
    info: sys::SyscallInfo,
    program: String,
    error_fd: Option<i32>,
}

impl Session {
    /// Starts `program args...` stopped at nothing yet; the first event is
    /// [`Stop::Exec`]. With `filter`, only the syscalls it traces stop the
    /// command (every thread inherits it).
    pub fn spawn(
        program: &OsStr,
        args: &[OsString],
        filter: Option<&SeccompFilter>,
    ) -> Result<Session, Error> {
        if !cfg!(target_arch = "x86_64") {
            return Err(Error::Os {
                what: "breakpoints (linux/amd64 only)",
                source: std::io::Error::from(std::io::ErrorKind::Unsupported),
            });
        }
        let prep = spawn::prepare(program, args)?;
        let child = spawn::fork_child(&prep, filter)?;
        let pid = child.pid;
        let mut opts =
            O_TRACESYSGOOD | O_TRACEEXEC | O_TRACECLONE | O_TRACEFORK | O_TRACEVFORK | O_EXITKILL;
        if filter.is_some() {
            opts |= O_TRACESECCOMP;
        }
        stop::seize_child(pid, opts)?;
        let mut s = Session::new(pid, opts, filter.is_some());
        s.program = program.to_string_lossy().into_owned();
        s.error_fd = Some(child.error_read);
        s.tracees.insert(
            pid,
            Tracee {
                pid,
                startup: true,
                in_syscall: None,
                want_exit: false,
            },
        );
        s.resume(pid, 0);
        spawn::release(child.sync_write);
        Ok(s)
    }

    /// A session over process `pid` with no tracee yet, its tracees set
    /// up with `options`.
    fn new(pid: i32, options: i32, seccomp: bool) -> Session {
        Session {
            main_pid: pid,
            tracees: HashMap::new(),
            breakpoints: HashMap::new(),
            steps: HashMap::new(),
            removed: std::collections::HashSet::new(),
            held: None,
            held_at: None,
            seccomp,
            options,
            quiet: false,
            only_our_filter: HashMap::new(),
            stops: 0,
            mem: None,
            main_exit: None,
            info: sys::SyscallInfo::default(),
            program: String::new(),
            error_fd: None,
        }
    }

    /// The command's process id.
    pub fn main_pid(&self) -> i32 {
        self.main_pid
    }

    /// The thread the last event is about, while it is held.
    pub fn held(&self) -> Option<LiveThread> {
        let (tid, _) = self.held?;
        let pid = self.tracees.get(&tid)?.pid;
        Some(LiveThread::new(tid, pid))
    }

    /// Plants a breakpoint on the instruction at `addr`, which does `step`.
    pub fn insert(&mut self, addr: u64, step: Step) -> Result<(), Error> {
        if self.breakpoints.contains_key(&addr) {
            return Ok(());
        }
        let mem = self.mem()?;
        let mut orig = [0u8; 1];
        mem.read_exact_at(&mut orig, addr)
            .map_err(|_| Error::Memory { addr })?;
        mem.write_all_at(&[INT3], addr)
            .map_err(|_| Error::Memory { addr })?;
        self.breakpoints.insert(addr, (orig[0], step));
        self.steps.insert(addr, step);
        Ok(())
    }

    /// Puts every original byte back (threads held at one still perform
    /// its instruction when resumed).
    pub fn remove_all(&mut self) {
        let Ok(mem) = self.mem() else { return };
        let mem = mem.try_clone();
        if let Ok(mem) = mem {
            for (&addr, &(orig, _)) in &self.breakpoints {
                let _ = mem.write_all_at(&[orig], addr);
            }
        }
        self.removed.extend(self.breakpoints.keys());
        self.breakpoints.clear();
    }

    /// Nothing more will be asked of this run (the call is captured): let
    /// the command go to its end without stops. Each thread, at its next
    /// seccomp stop, gets `PTRACE_O_SUSPEND_SECCOMP` when the process's
    /// seccomp filters are ours alone (`Seccomp_filters: 1` in
    /// /proc/PID/status); threads and children it starts later inherit
    /// the option. A program with filters of its own keeps them and its
    /// stops. Suspending needs CAP_SYS_ADMIN; without it nothing changes.
    pub fn quiet(&mut self) {
        self.quiet = self.seccomp;
    }

    /// How many times a thread of the command stopped for the tracer,
    /// reported or not: what tracing cost the program.
    pub fn stops(&self) -> u64 {
        self.stops
    }

    /// Suspends seccomp for a tracee stopped at a syscall, when that is
    /// invisible to the program (see [`Session::quiet`]).
    fn suspend_seccomp(&mut self, tid: i32, pid: i32) {
        let ours = *self.only_our_filter.entry(pid).or_insert_with(|| {
            crate::proc::status_field(pid, "Seccomp_filters").as_deref() == Some("1")
        });
        if ours && sys::set_options(tid, self.options | sys::O_SUSPEND_SECCOMP).is_err() {
            // No CAP_SYS_ADMIN: keep stopping as before, without retrying.
            self.quiet = false;
        }
    }

    /// Reports the syscall exit of `tid` (held at its entry).
    pub fn want_exit(&mut self, tid: i32) {
        if let Some(t) = self.tracees.get_mut(&tid) {
            t.want_exit = true;
        }
    }

    /// Kills the command (every thread: SIGKILL goes to the process).
    pub fn kill(&mut self) {
        let _ = sys::send_signal(self.main_pid, libc::SIGKILL);
    }

    fn mem(&mut self) -> Result<&File, Error> {
        if self.mem.is_none() {
            let f = std::fs::OpenOptions::new()
                .read(true)
                .write(true)
                .open(format!("/proc/{}/mem", self.main_pid))
                .map_err(|source| Error::Os {
                    what: "open /proc/PID/mem",
                    source,
                })?;
            self.mem = Some(f);
        }
        Ok(self.mem.as_ref().expect("opened above"))
    }

    fn resume(&mut self, tid: i32, signal: i32) {
        let stops = match self.tracees.get(&tid) {
            Some(t) if t.pid != self.main_pid => false,
            Some(t) => !self.seccomp || t.want_exit,
            None => !self.seccomp,
        };
        let _ = sys::resume(tid, stops, signal);
    }

    /// Performs the instruction under the breakpoint for a thread held there.
    fn perform(&mut self, tid: i32, pc: u64) -> Result<(), Error> {
        let Some(&(_, step)) = self.breakpoints.get(&pc) else {
            // Removed meanwhile: the original byte is back; re-run it.
            return set_pc(tid, pc);
        };
        perform_step(self.mem()?, tid, step)
    }

    /// A thread of a child process trapped at `pc`: when its memory still
    /// holds one of the command's breakpoints there (a fork copy, or a
    /// vfork child sharing the command's memory), performs the instruction;
    /// when the original byte is back, runs it again. False when the trap
    /// is not a breakpoint's.
    fn child_trap(&mut self, tid: i32, pid: i32, pc: u64) -> Result<bool, Error> {
        let Some(&step) = self.steps.get(&pc) else {
            return Ok(false);
        };
        let mem = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open(format!("/proc/{pid}/mem"))
            .map_err(|source| Error::Os {
                what: "open /proc/PID/mem",
                source,
            })?;
        let mut byte = [0u8; 1];
        mem.read_exact_at(&mut byte, pc)
            .map_err(|_| Error::Memory { addr: pc })?;
        if byte[0] == INT3 {
            perform_step(&mem, tid, step)?;
        } else {
            set_pc(tid, pc)?;
        }
        Ok(true)
    }

    /// Resumes the held thread and waits for the next event.
    pub fn advance(&mut self) -> Result<Stop, Error> {
        if let Some((tid, sig)) = self.held.take() {
            if let Some(pc) = self.held_at.take() {
                // A thread that died meanwhile reports its exit below.
                let _ = self.perform(tid, pc);
            }
            self.resume(tid, sig);
        }
        loop {
            if self.tracees.is_empty() {
                return Ok(Stop::Finished(self.main_exit));
            }
            match stop::wait(None, true)? {
                Next::Interrupted => {
                    if crate::interrupt::take().is_some() {
                        self.kill();
                    }
                }
                Next::NoChildren => {
                    self.tracees.clear();
                    return Ok(Stop::Finished(self.main_exit));
                }
                Next::Nothing => {}
                Next::Ended { tid, how } => self.ended(tid, how)?,
                Next::Stopped { tid, stop } => {
                    self.stops += 1;
                    if let Some(stop) = self.stopped(tid, stop)? {
                        return Ok(stop);
                    }
                }
            }
        }
    }

    fn ended(&mut self, tid: i32, how: ExitKind) -> Result<(), Error> {
        let Some(t) = self.tracees.remove(&tid) else {
            return Ok(());
        };
        if t.startup {
            if let Some(fd) = self.error_fd.take() {
                return Err(spawn::exec_failure(fd, &self.program));
            }
        }
        if tid == self.main_pid {
            self.main_exit = Some(how);
        }
        Ok(())
    }

    /// One stop: Some(event) holds the thread, None resumed it.
    fn stopped(&mut self, tid: i32, stop: stop::Stop) -> Result<Option<Stop>, Error> {
        let main = self.main_pid;
        let t = self.tracees.entry(tid).or_insert_with(|| Tracee {
            pid: crate::proc::thread_group_of(tid).unwrap_or(main),
            startup: false,
            in_syscall: None,
            want_exit: false,
        });
        let startup = t.startup;
        let pid = t.pid;
        if self.quiet && matches!(stop, stop::Stop::Syscall) && !t.want_exit {
            self.suspend_seccomp(tid, pid);
            self.resume(tid, 0);
            return Ok(None);
        }
        if pid != main {
            let pid = t.pid;
            self.child_stopped(tid, pid, stop)?;
            return Ok(None);
        }
        match stop {
            stop::Stop::Syscall => {
                if let Some(stop) = self.syscall_stop(tid)? {
                    self.held = Some((tid, 0));
                    return Ok(Some(stop));
                }
                self.resume(tid, 0);
            }
            stop::Stop::Signal(signal) => {
                if signal == libc::SIGTRAP && !startup {
                    if let Some(pc) = self.int3_at(tid) {
                        if self.breakpoints.contains_key(&pc) {
                            set_pc(tid, pc)?;
                            self.held = Some((tid, 0));
                            self.held_at = Some(pc);
                            return Ok(Some(Stop::Breakpoint { tid, pc }));
                        }
                        if self.removed.contains(&pc) {
                            // Trapped on a breakpoint removed since: the
                            // original byte is back, run it again, drop the trap.
                            set_pc(tid, pc)?;
                            self.resume(tid, 0);
                            return Ok(None);
                        }
                    }
                }
                self.resume(tid, signal);
            }
            stop::Stop::Exec => {
                if let Some(t) = self.tracees.get_mut(&tid) {
                    t.startup = false;
                }
                if let Some(fd) = self.error_fd.take() {
                    spawn::close(fd);
                }
                self.mem = None;
                self.held = Some((tid, 0));
                return Ok(Some(Stop::Exec { tid }));
            }
            stop::Stop::Group(_) => {
                let _ = sys::listen(tid);
            }
            stop::Stop::Birth(_) | stop::Stop::Exiting | stop::Stop::Other => self.resume(tid, 0),
        }
        Ok(None)
    }

    /// A stop of a child process's thread: nothing is reported, the child
    /// runs as it would untraced (its seccomp stops let the call run).
    fn child_stopped(&mut self, tid: i32, pid: i32, stop: stop::Stop) -> Result<(), Error> {
        match stop {
            stop::Stop::Signal(libc::SIGTRAP) => {
                let trapped = match self.int3_at(tid) {
                    Some(pc) => self.child_trap(tid, pid, pc)?,
                    None => false,
                };
                self.resume(tid, if trapped { 0 } else { libc::SIGTRAP });
            }
            stop::Stop::Signal(signal) => self.resume(tid, signal),
            stop::Stop::Group(_) => {
                let _ = sys::listen(tid);
            }
            stop::Stop::Syscall
            | stop::Stop::Exec
            | stop::Stop::Birth(_)
            | stop::Stop::Exiting
            | stop::Stop::Other => self.resume(tid, 0),
        }
        Ok(())
    }

    /// The address of the `int3` a SIGTRAP stop comes from, if it came
    /// from one.
    fn int3_at(&self, tid: i32) -> Option<u64> {
        let info = sys::signal_info(tid).ok()?;
        if info.code != SI_KERNEL {
            return None;
        }
        sys::registers(tid).ok()?.pc().checked_sub(1)
    }

    fn syscall_stop(&mut self, tid: i32) -> Result<Option<Stop>, Error> {
        let Some(call) = stop::syscall(tid, &mut self.info) else {
            return Ok(None);
        };
        let Some(t) = self.tracees.get_mut(&tid) else {
            return Ok(None);
        };
        match call {
            SyscallStop::Entry(entry) | SyscallStop::Seccomp(entry) => {
                if self.seccomp && matches!(call, SyscallStop::Entry(_)) && t.in_syscall.is_some() {
                    // PTRACE_SYSCALL after a seccomp stop: the same call.
                    return Ok(None);
                }
                t.in_syscall = Some(entry);
                if t.startup {
                    return Ok(None);
                }
                Ok(Some(Stop::SyscallEntry { tid, entry }))
            }
            SyscallStop::Exit { rval, is_error } => {
                let entry = t.in_syscall.take();
                if t.startup || !t.want_exit {
                    return Ok(None);
                }
                t.want_exit = false;
                Ok(Some(Stop::SyscallExit {
                    tid,
                    exit: SyscallExit {
                        entry,
                        rval,
                        is_error,
                    },
                }))
            }
        }
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        if let Some(fd) = self.error_fd.take() {
            spawn::close(fd);
        }
    }
}

/// Performs `step` for thread `tid` held before it: pushes the return
/// address through `mem` (its process's memory) and sets the pc.
fn perform_step(mem: &File, tid: i32, step: Step) -> Result<(), Error> {
    let Registers::X86_64(mut r) = sys::registers(tid)? else {
        return Err(Error::Gone(tid));
    };
    let (target, ret) = match step {
        Step::Jump { target } => (target, None),
        Step::Call { target, return_to } => (target, Some(return_to)),
        Step::CallRegister { reg, return_to } => (reg_value(&r, reg), Some(return_to)),
    };
    if let Some(ret) = ret {
        let sp = r.rsp.wrapping_sub(8);
        mem.write_all_at(&ret.to_le_bytes(), sp)
            .map_err(|_| Error::Memory { addr: sp })?;
        r.rsp = sp;
    }
    r.rip = target;
    set_regs(tid, &r)
}

fn reg_value(r: &crate::X86_64Regs, reg: u8) -> u64 {
    match reg {
        0 => r.rax,
        1 => r.rcx,
        2 => r.rdx,
        3 => r.rbx,
        4 => r.rsp,
        5 => r.rbp,
        6 => r.rsi,
        7 => r.rdi,
        8 => r.r8,
        9 => r.r9,
        10 => r.r10,
        11 => r.r11,
        12 => r.r12,
        13 => r.r13,
        14 => r.r14,
        _ => r.r15,
    }
}

fn set_pc(tid: i32, pc: u64) -> Result<(), Error> {
    let Registers::X86_64(mut r) = sys::registers(tid)? else {
        return Err(Error::Gone(tid));
    };
    r.rip = pc;
    set_regs(tid, &r)
}

/// Moves a held thread: only the pc and sp change.
#[cfg(target_arch = "x86_64")]
fn set_regs(tid: i32, r: &crate::X86_64Regs) -> Result<(), Error> {
    let mut regs = sys::raw_registers(tid)?;
    regs.rip = r.rip;
    regs.rsp = r.rsp;
    sys::set_raw_registers(tid, &regs)
}

#[cfg(not(target_arch = "x86_64"))]
fn set_regs(tid: i32, _r: &crate::X86_64Regs) -> Result<(), Error> {
    Err(Error::Gone(tid))
}
