//! Thin wrappers over the ptrace requests nix does not cover, or covers in a
//! way that costs on the hot path (resuming with any signal number, including
//! real-time ones that `nix::sys::signal::Signal` cannot represent).

use crate::{Arch, Error, Registers, SignalInfo};

pub(crate) const PTRACE_EVENT_FORK: i32 = 1;
pub(crate) const PTRACE_EVENT_VFORK: i32 = 2;
pub(crate) const PTRACE_EVENT_CLONE: i32 = 3;
pub(crate) const PTRACE_EVENT_EXEC: i32 = 4;
pub(crate) const PTRACE_EVENT_EXIT: i32 = 6;
pub(crate) const PTRACE_EVENT_SECCOMP: i32 = 7;
pub(crate) const PTRACE_EVENT_STOP: i32 = 128;

pub(crate) const SYSCALL_INFO_ENTRY: u8 = 1;
pub(crate) const SYSCALL_INFO_EXIT: u8 = 2;
pub(crate) const SYSCALL_INFO_SECCOMP: u8 = 3;

/// `struct ptrace_syscall_info`; the union is kept as raw words and read
/// according to `op`.
#[repr(C)]
#[derive(Default)]
pub(crate) struct SyscallInfo {
    pub op: u8,
    pub pad: [u8; 3],
    pub arch: u32,
    pub instruction_pointer: u64,
    pub stack_pointer: u64,
    pub data: [u64; 8],
}

impl SyscallInfo {
    pub fn arch(&self) -> Arch {
        Arch::from_audit(self.arch)
    }
    pub fn nr(&self) -> u64 {
        self.data[0]
    }
    pub fn args(&self) -> [u64; 6] {
        let d = &self.data;
        [d[1], d[2], d[3], d[4], d[5], d[6]]
    }
    pub fn rval(&self) -> i64 {
        self.data[0] as i64
    }
    pub fn is_error(&self) -> bool {
        self.data[1] & 0xff != 0
    }
}

fn last_errno() -> i32 {
    std::io::Error::last_os_error().raw_os_error().unwrap_or(0)
}

/// Issues a ptrace request whose result is only success or an errno.
fn request(req: libc::c_uint, tid: i32, addr: usize, data: usize) -> Result<(), i32> {
    // SAFETY: the requests passed here (SYSCALL, CONT, LISTEN, DETACH,
    // INTERRUPT, SEIZE) take integers only; the kernel validates the tid and
    // the tracer relationship and reports misuse as an errno.
    let r = unsafe {
        libc::ptrace(
            req,
            tid,
            addr as *mut libc::c_void,
            data as *mut libc::c_void,
        )
    };
    if r == -1 {
        Err(last_errno())
    } else {
        Ok(())
    }
}

pub(crate) fn seize(tid: i32, options: i32) -> Result<(), i32> {
    request(libc::PTRACE_SEIZE, tid, 0, options as usize)
}

pub(crate) fn interrupt(tid: i32) -> Result<(), i32> {
    request(libc::PTRACE_INTERRUPT, tid, 0, 0)
}

/// Resumes with syscall stops (`PTRACE_SYSCALL`) or without (`PTRACE_CONT`),
/// delivering `signal` (0 for none).
pub(crate) fn resume(tid: i32, syscall_stops: bool, signal: i32) -> Result<(), i32> {
    let req = if syscall_stops {
        libc::PTRACE_SYSCALL
    } else {
        libc::PTRACE_CONT
    };
    request(req, tid, 0, signal as usize)
}

pub(crate) fn listen(tid: i32) -> Result<(), i32> {
    request(libc::PTRACE_LISTEN, tid, 0, 0)
}

pub(crate) fn detach(tid: i32, signal: i32) -> Result<(), i32> {
    request(libc::PTRACE_DETACH, tid, 0, signal as usize)
}

pub(crate) fn event_message(tid: i32) -> Result<u64, i32> {
    let mut msg: libc::c_ulong = 0;
    // SAFETY: PTRACE_GETEVENTMSG writes one unsigned long to `data`, which
    // points at a live local of that type.
    let r = unsafe {
        libc::ptrace(
            libc::PTRACE_GETEVENTMSG,
            tid,
            std::ptr::null_mut::<libc::c_void>(),
            &mut msg as *mut libc::c_ulong as *mut libc::c_void,
        )
    };
    if r == -1 {
        Err(last_errno())
    } else {
        Ok(msg as u64)
    }
}

pub(crate) fn syscall_info(tid: i32, info: &mut SyscallInfo) -> Result<(), i32> {
    // SAFETY: the kernel writes at most `addr` bytes (the size of our
    // #[repr(C)] copy of struct ptrace_syscall_info) to `data`.
    let r = unsafe {
        libc::ptrace(
            libc::PTRACE_GET_SYSCALL_INFO,
            tid,
            std::mem::size_of::<SyscallInfo>() as *mut libc::c_void,
            info as *mut SyscallInfo as *mut libc::c_void,
        )
    };
    if r == -1 {
        Err(last_errno())
    } else {
        Ok(())
    }
}

pub(crate) fn signal_info(tid: i32) -> Result<SignalInfo, i32> {
    // SAFETY: siginfo_t is plain data; all-zero is a valid value.
    let mut si: libc::siginfo_t = unsafe { std::mem::zeroed() };
    // SAFETY: PTRACE_GETSIGINFO writes one siginfo_t to `data`, a live local.
    let r = unsafe {
        libc::ptrace(
            libc::PTRACE_GETSIGINFO,
            tid,
            std::ptr::null_mut::<libc::c_void>(),
            &mut si as *mut libc::siginfo_t as *mut libc::c_void,
        )
    };
    if r == -1 {
        return Err(last_errno());
    }
    Ok(decode_siginfo(&si))
}

/// Reads the union members of a siginfo_t by their kernel offsets on 64-bit
/// Linux (the union starts at byte 16), since libc exposes only some of them.
fn decode_siginfo(si: &libc::siginfo_t) -> SignalInfo {
    // SAFETY: siginfo_t is 128 bytes of plain data; viewing it as bytes is
    // always valid.
    let raw: &[u8; 128] = unsafe { &*(si as *const libc::siginfo_t as *const [u8; 128]) };
    let i32_at = |o: usize| i32::from_ne_bytes([raw[o], raw[o + 1], raw[o + 2], raw[o + 3]]);
    let u64_at = |o: usize| {
        let mut b = [0u8; 8];
        b.copy_from_slice(&raw[o..o + 8]);
        u64::from_ne_bytes(b)
    };
    SignalInfo {
        raw: *raw,
        signo: si.si_signo,
        errno: si.si_errno,
        code: si.si_code,
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

/// The thread's general registers as the kernel lays them out
/// (PTRACE_GETREGSET, NT_PRSTATUS).
pub(crate) fn raw_registers(tid: i32) -> Result<libc::user_regs_struct, Error> {
    // SAFETY: user_regs_struct is plain data; all-zero is valid.
    let mut regs: libc::user_regs_struct = unsafe { std::mem::zeroed() };
    let mut iov = libc::iovec {
        iov_base: &mut regs as *mut libc::user_regs_struct as *mut libc::c_void,
        iov_len: std::mem::size_of::<libc::user_regs_struct>(),
    };
    // SAFETY: PTRACE_GETREGSET/NT_PRSTATUS writes at most iov_len bytes
    // into iov_base, which points at `regs`.
    let r = unsafe {
        libc::ptrace(
            libc::PTRACE_GETREGSET,
            tid,
            libc::NT_PRSTATUS as usize as *mut libc::c_void,
            &mut iov as *mut libc::iovec as *mut libc::c_void,
        )
    };
    if r == -1 {
        return Err(Error::Gone(tid));
    }
    Ok(regs)
}

/// Writes the thread's general registers back (PTRACE_SETREGSET). Start
/// from [`raw_registers`] so the segment registers the kernel checks stay.
pub(crate) fn set_raw_registers(tid: i32, regs: &libc::user_regs_struct) -> Result<(), Error> {
    let mut copy = *regs;
    let mut iov = libc::iovec {
        iov_base: &mut copy as *mut libc::user_regs_struct as *mut libc::c_void,
        iov_len: std::mem::size_of::<libc::user_regs_struct>(),
    };
    // SAFETY: PTRACE_SETREGSET/NT_PRSTATUS reads iov_len bytes from
    // iov_base, which points at the initialized `copy`.
    let r = unsafe {
        libc::ptrace(
            libc::PTRACE_SETREGSET,
            tid,
            libc::NT_PRSTATUS as usize as *mut libc::c_void,
            &mut iov as *mut libc::iovec as *mut libc::c_void,
        )
    };
    if r == -1 {
        return Err(Error::os("PTRACE_SETREGSET"));
    }
    Ok(())
}

pub(crate) fn registers(tid: i32) -> Result<Registers, Error> {
    #[cfg(target_arch = "x86_64")]
    {
        let regs = raw_registers(tid)?;
        Ok(Registers::X86_64(crate::X86_64Regs {
            r15: regs.r15,
            r14: regs.r14,
            r13: regs.r13,
            r12: regs.r12,
            rbp: regs.rbp,
            rbx: regs.rbx,
            r11: regs.r11,
            r10: regs.r10,
            r9: regs.r9,
            r8: regs.r8,
            rax: regs.rax,
            rcx: regs.rcx,
            rdx: regs.rdx,
            rsi: regs.rsi,
            rdi: regs.rdi,
            orig_rax: regs.orig_rax,
            rip: regs.rip,
            cs: regs.cs,
            eflags: regs.eflags,
            rsp: regs.rsp,
            ss: regs.ss,
            fs_base: regs.fs_base,
            gs_base: regs.gs_base,
            ds: regs.ds,
            es: regs.es,
            fs: regs.fs,
            gs: regs.gs,
        }))
    }
    #[cfg(target_arch = "aarch64")]
    {
        let regs = raw_registers(tid)?;
        Ok(Registers::Aarch64(crate::Aarch64Regs {
            x: regs.regs,
            sp: regs.sp,
            pc: regs.pc,
            pstate: regs.pstate,
        }))
    }
}

/// Reads tracee memory with one `process_vm_readv`, stopping at the first
/// unreadable page (the call returns a short count there).
pub(crate) fn read_memory(pid: i32, addr: u64, buf: &mut [u8]) -> Result<usize, Error> {
    if buf.is_empty() {
        return Ok(0);
    }
    let local = [std::io::IoSliceMut::new(buf)];
    let remote = [nix::sys::uio::RemoteIoVec {
        base: addr as usize,
        len: local[0].len(),
    }];
    match nix::sys::uio::process_vm_readv(nix::unistd::Pid::from_raw(pid), &mut { local }, &remote)
    {
        Ok(0) | Err(_) => Err(Error::Memory { addr }),
        Ok(n) => Ok(n),
    }
}

/// Raw `waitpid(-1, __WALL | __WNOTHREAD)` status (only this thread's
/// tracees: ptrace requests must come from the tracing thread anyway), decoded by hand: nix's WaitStatus cannot
/// carry real-time signal numbers and costs a conversion per stop.
pub(crate) enum Wait {
    Stopped { tid: i32, signal: i32, event: i32 },
    Exited { tid: i32, code: i32 },
    Killed { tid: i32, signal: i32, core: bool },
    Interrupted,
    NoChildren,
}

pub(crate) fn wait_any(only: Option<i32>) -> Result<Wait, Error> {
    let mut status: libc::c_int = 0;
    // SAFETY: waitpid writes one int to `status`, a live local.
    let tid = unsafe {
        libc::waitpid(
            only.unwrap_or(-1),
            &mut status,
            libc::__WALL | libc::__WNOTHREAD,
        )
    };
    if tid == -1 {
        return match last_errno() {
            libc::EINTR => Ok(Wait::Interrupted),
            libc::ECHILD => Ok(Wait::NoChildren),
            _ => Err(Error::os("waitpid")),
        };
    }
    Ok(if libc::WIFSTOPPED(status) {
        Wait::Stopped {
            tid,
            signal: libc::WSTOPSIG(status),
            event: (status >> 16) & 0xffff,
        }
    } else if libc::WIFSIGNALED(status) {
        Wait::Killed {
            tid,
            signal: libc::WTERMSIG(status),
            core: libc::WCOREDUMP(status),
        }
    } else {
        Wait::Exited {
            tid,
            code: libc::WEXITSTATUS(status),
        }
    })
}

/// Thread group id of `tid`, from /proc (needed only when a thread shows up
/// before its creator's clone event names it).
pub(crate) fn thread_group_of(tid: i32) -> Option<i32> {
    let status = std::fs::read_to_string(format!("/proc/{tid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("Tgid:"))
        .and_then(|v| v.trim().parse().ok())
}

pub(crate) fn send_signal(pid: i32, signal: i32) -> Result<(), i32> {
    // SAFETY: kill takes integers only.
    if unsafe { libc::kill(pid, signal) } == -1 {
        Err(last_errno())
    } else {
        Ok(())
    }
}
