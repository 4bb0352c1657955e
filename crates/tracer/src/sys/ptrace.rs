//! Thin wrappers over the ptrace requests nix does not cover, or covers in a
//! way that costs on the hot path (resuming with any signal number, including
//! real-time ones that `nix::sys::signal::Signal` cannot represent).

use super::last_errno;
use crate::{Arch, Error, Registers, SignalInfo};

pub(crate) const PTRACE_EVENT_FORK: i32 = 1;
pub(crate) const PTRACE_EVENT_VFORK: i32 = 2;
pub(crate) const PTRACE_EVENT_CLONE: i32 = 3;
pub(crate) const PTRACE_EVENT_EXEC: i32 = 4;
pub(crate) const PTRACE_EVENT_EXIT: i32 = 6;
pub(crate) const PTRACE_EVENT_SECCOMP: i32 = 7;
pub(crate) const PTRACE_EVENT_STOP: i32 = 128;

pub(crate) const O_TRACESYSGOOD: i32 = 0x01;
pub(crate) const O_TRACEFORK: i32 = 0x02;
pub(crate) const O_TRACEVFORK: i32 = 0x04;
pub(crate) const O_TRACECLONE: i32 = 0x08;
pub(crate) const O_TRACEEXEC: i32 = 0x10;
pub(crate) const O_TRACEEXIT: i32 = 0x40;
pub(crate) const O_TRACESECCOMP: i32 = 0x80;
pub(crate) const O_EXITKILL: i32 = 0x0010_0000;
pub(crate) const O_SUSPEND_SECCOMP: i32 = 0x0020_0000;

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
        crate::arch::from_audit(self.arch)
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

/// Replaces a stopped tracee's ptrace options.
pub(crate) fn set_options(tid: i32, options: i32) -> Result<(), i32> {
    request(libc::PTRACE_SETOPTIONS, tid, 0, options as usize)
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
    let mut raw = [0u8; 128];
    // SAFETY: PTRACE_GETSIGINFO writes one 128-byte siginfo_t to `data`,
    // a live local of that size (plain bytes, any content valid).
    let r = unsafe {
        libc::ptrace(
            libc::PTRACE_GETSIGINFO,
            tid,
            std::ptr::null_mut::<libc::c_void>(),
            raw.as_mut_ptr() as *mut libc::c_void,
        )
    };
    if r == -1 {
        return Err(last_errno());
    }
    Ok(SignalInfo::from_raw(raw))
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
