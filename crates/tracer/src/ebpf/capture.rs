//! Which bytes behind which arguments the kernel side copies, per syscall.
//!
//! The decoders in the `syscalls` crate read tracee memory through a
//! `Memory` trait; with eBPF that memory is gone by the time user space
//! sees the event, so the program copies, at the syscall's exit (at its
//! entry for `execve` and the calls that never return), what those
//! decoders will read: paths, the `-s` prefix of data buffers, structs
//! passed by pointer, sockaddrs. This table mirrors the decoders' argument
//! tables; `tests/captures.rs` runs every decoder on synthetic arguments
//! and checks each read it makes falls inside what is listed here. A pointer not listed decodes as the bare address, like an
//! unreadable pointer under ptrace.

/// How many bytes to copy from one argument's pointer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// A NUL-terminated path, up to 4096 bytes (strace shows paths whole).
    Path,
    /// A NUL-terminated string shown up to `-s`.
    CStr,
    /// `-s` bytes at most, and no more than the length in `len`.
    Data(Len),
    /// `len` times `scale` bytes, up to the capture maximum (dirents,
    /// epoll events, sockaddrs with their length).
    Sized(Len, u8),
    /// Exactly this many bytes (a struct).
    Fixed(u32),
    /// An `argv`-style array: the pointers and the first strings.
    Argv,
}

/// Where a length comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Len {
    /// Argument register `i`.
    Arg(u8),
    /// The return value (bytes the kernel produced).
    Ret,
}

/// Most bytes copied for one argument.
pub const CAP_MAX: u32 = 8192;
/// Pointers copied from an `argv` or `envp` array.
pub const ARGV_PTRS: u32 = 64;
/// Strings of `argv` copied.
pub const ARGV_STRS: usize = 16;
/// The capture slots (positions in a [`spec`] list) that may hold
/// [`Kind::Argv`]; the BPF program copies pointed-to strings only there.
pub const ARGV_SLOTS: [u32; 2] = [1, 2];

/// The captures for `name` (strace's name), at most four.
pub fn spec(name: &str) -> &'static [(u8, Kind)] {
    use Kind::*;
    use Len::*;
    const STAT: u32 = 144;
    const SOCKADDR: u32 = 128;
    const TIMESPEC: u32 = 16;
    match name {
        "read" | "pread64" => &[(1, Data(Ret))],
        "getrandom" => &[(0, Data(Ret))],
        // One byte per page: never more than the length in bytes, and
        // the decoder shows at most `-s` of them.
        "mincore" => &[(2, Data(Arg(1)))],
        "write" | "pwrite64" => &[(1, Data(Arg(2)))],
        "open" | "creat" | "access" | "chdir" | "mkdir" | "rmdir" | "unlink" | "chmod"
        | "chown" | "lchown" | "truncate" | "chroot" | "acct" | "swapon" | "swapoff" | "mknod"
        | "umount2" => &[(0, Path)],
        "openat" | "faccessat" | "faccessat2" | "mkdirat" | "unlinkat" | "fchmodat"
        | "fchmodat2" | "fchownat" | "mknodat" | "inotify_add_watch" | "fanotify_mark" => {
            &[(1, Path)]
        }
        "openat2" => &[(1, Path), (2, Fixed(24))],
        "stat" | "lstat" => &[(0, Path), (1, Fixed(STAT))],
        "fstat" => &[(1, Fixed(STAT))],
        "newfstatat" | "fstatat64" => &[(1, Path), (2, Fixed(STAT))],
        "statx" => &[(1, Path), (4, Fixed(256))],
        "statfs" => &[(0, Path), (1, Fixed(120))],
        "fstatfs" => &[(1, Fixed(120))],
        "rename" | "symlink" | "link" => &[(0, Path), (1, Path)],
        "renameat" | "renameat2" | "linkat" => &[(1, Path), (3, Path)],
        "symlinkat" => &[(0, Path), (2, Path)],
        "readlink" => &[(0, Path), (1, Sized(Ret, 1))],
        "readlinkat" => &[(1, Path), (2, Sized(Ret, 1))],
        "getcwd" => &[(0, Sized(Ret, 1))],
        "utimensat" => &[(1, Path), (2, Fixed(2 * TIMESPEC))],
        // Pointer arrays only in slots ARGV_SLOTS (the program copies
        // their strings there only).
        "execve" => &[(0, Path), (1, Argv), (2, Argv)],
        "execveat" => &[(1, Path), (2, Argv), (3, Argv)],
        "connect" | "bind" => &[(1, Sized(Arg(2), 1))],
        "accept" | "accept4" | "getsockname" | "getpeername" => {
            &[(1, Fixed(SOCKADDR)), (2, Fixed(4))]
        }
        "sendto" => &[(1, Data(Arg(2))), (4, Sized(Arg(5), 1))],
        "recvfrom" => &[(1, Data(Ret)), (4, Fixed(SOCKADDR)), (5, Fixed(4))],
        "setsockopt" => &[(3, Sized(Arg(4), 1))],
        "getsockopt" => &[(3, Fixed(64)), (4, Fixed(4))],
        "socketpair" => &[(3, Fixed(8))],
        "pipe" | "pipe2" => &[(0, Fixed(8))],
        "rt_sigaction" => &[(1, Fixed(32)), (2, Fixed(32))],
        "rt_sigprocmask" => &[(1, Fixed(8)), (2, Fixed(8))],
        "rt_sigsuspend" | "rt_sigpending" => &[(0, Fixed(8))],
        "rt_sigtimedwait" => &[(0, Fixed(8)), (1, Fixed(128)), (2, Fixed(TIMESPEC))],
        "rt_sigqueueinfo" => &[(2, Fixed(128))],
        "rt_tgsigqueueinfo" => &[(3, Fixed(128))],
        "sigaltstack" => &[(0, Fixed(24)), (1, Fixed(24))],
        "nanosleep" => &[(0, Fixed(TIMESPEC)), (1, Fixed(TIMESPEC))],
        "clock_nanosleep" => &[(2, Fixed(TIMESPEC)), (3, Fixed(TIMESPEC))],
        "clock_gettime" | "clock_getres" | "clock_settime" => &[(1, Fixed(TIMESPEC))],
        "gettimeofday" | "settimeofday" => &[(0, Fixed(16)), (1, Fixed(8))],
        "time" => &[(0, Fixed(8))],
        "futex" => &[(3, Fixed(TIMESPEC))],
        "epoll_ctl" => &[(3, Fixed(12))],
        "epoll_wait" => &[(1, Sized(Ret, 12))],
        "epoll_pwait" => &[(1, Sized(Ret, 12)), (4, Fixed(8))],
        "epoll_pwait2" => &[(1, Sized(Ret, 12)), (3, Fixed(TIMESPEC)), (4, Fixed(8))],
        "sched_getaffinity" => &[(2, Sized(Ret, 1))],
        "sched_setaffinity" => &[(2, Sized(Arg(1), 1))],
        "sched_getparam" | "sched_setparam" => &[(1, Fixed(4))],
        "sched_setscheduler" => &[(2, Fixed(4))],
        "sched_rr_get_interval" => &[(1, Fixed(TIMESPEC))],
        "prlimit64" => &[(2, Fixed(16)), (3, Fixed(16))],
        "getrlimit" | "setrlimit" => &[(1, Fixed(16))],
        "getrusage" => &[(1, Fixed(144))],
        "uname" => &[(0, Fixed(390))],
        "sysinfo" => &[(0, Fixed(112))],
        "times" => &[(0, Fixed(32))],
        "getdents" | "getdents64" => &[(1, Sized(Ret, 1))],
        "wait4" => &[(1, Fixed(4)), (3, Fixed(144))],
        "waitid" => &[(2, Fixed(128)), (4, Fixed(144))],
        "poll" => &[(0, Sized(Arg(1), 8))],
        "ppoll" => &[(0, Sized(Arg(1), 8)), (2, Fixed(TIMESPEC)), (3, Fixed(8))],
        "select" => &[
            (1, Fixed(128)),
            (2, Fixed(128)),
            (3, Fixed(128)),
            (4, Fixed(16)),
        ],
        "pselect6" => &[
            (1, Fixed(128)),
            (2, Fixed(128)),
            (3, Fixed(128)),
            (4, Fixed(16)),
        ],
        "ioctl" => &[(2, Fixed(64))],
        "fcntl" => &[(2, Fixed(32))],
        "arch_prctl" => &[(1, Fixed(8))],
        "clone3" => &[(0, Sized(Arg(1), 1))],
        "clone" => &[(2, Fixed(4)), (3, Fixed(4))],
        "setitimer" => &[(1, Fixed(32)), (2, Fixed(32))],
        "getitimer" => &[(1, Fixed(32))],
        "timerfd_settime" => &[(2, Fixed(32)), (3, Fixed(32))],
        "timerfd_gettime" => &[(1, Fixed(32))],
        "timer_create" => &[(1, Fixed(64)), (2, Fixed(4))],
        "timer_settime" => &[(2, Fixed(32)), (3, Fixed(32))],
        "readv" | "writev" | "preadv" | "pwritev" | "preadv2" | "pwritev2" => {
            &[(1, Sized(Arg(2), 16))]
        }
        "sendmsg" | "recvmsg" => &[(1, Fixed(56))],
        "sendfile" => &[(2, Fixed(8))],
        "memfd_create" => &[(0, CStr)],
        "getresuid" | "getresgid" => &[(0, Fixed(4)), (1, Fixed(4)), (2, Fixed(4))],
        "getgroups" | "setgroups" => &[(1, Sized(Arg(0), 4))],
        "capget" | "capset" => &[(0, Fixed(8)), (1, Fixed(24))],
        "set_tid_address" => &[],
        "prctl" => &[(1, Fixed(16))],
        "mount" => &[(0, Path), (1, Path), (2, CStr)],
        "mq_open" | "shm_open" => &[(0, CStr)],
        "signalfd" | "signalfd4" => &[(1, Fixed(8))],
        "sched_getattr" | "sched_setattr" => &[(1, Fixed(56))],
        "get_robust_list" => &[(1, Fixed(8)), (2, Fixed(8))],
        "io_uring_setup" => &[(1, Fixed(120))],
        _ => &[],
    }
}

/// Syscalls whose event is taken at entry: their arguments are gone at
/// exit (`execve` replaces the address space) or there is no exit.
pub fn at_entry(name: &str) -> bool {
    matches!(name, "execve" | "execveat" | "exit" | "exit_group")
}

/// Syscalls whose return in the new child (0) is not an event of the
/// parent's call.
pub fn child_returns_zero(name: &str) -> bool {
    matches!(name, "clone" | "clone3" | "fork" | "vfork")
}

/// Value-result length arguments (`socklen_t *`): their value at entry
/// is copied too, so `[112 => 16]` shows both.
pub fn entry_word(name: &str) -> Option<u8> {
    match name {
        "accept" | "accept4" | "getsockname" | "getpeername" => Some(2),
        "recvfrom" => Some(5),
        "getsockopt" => Some(4),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pointer_arrays_only_in_their_slots() {
        for (nr, name) in (0..1024).filter_map(|nr| Some((nr, syscalls_name(nr)?))) {
            for (j, (_, kind)) in spec(name).iter().enumerate() {
                if matches!(kind, Kind::Argv) {
                    assert!(ARGV_SLOTS.contains(&(j as u32)), "{nr} {name} slot {j}");
                }
            }
        }
    }

    fn syscalls_name(nr: u64) -> Option<&'static str> {
        syscalls::table(model::Arch::Amd64)?
            .iter()
            .find(|s| s.nr == nr)
            .map(|s| s.name)
    }
}
