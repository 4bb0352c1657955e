//! Which libc functions make a system call: a cgo binary imports dozens
//! of libc functions (`malloc`, `pthread_mutex_lock`, `strerror`), and a
//! call to one is a syscall site only when that function is the wrapper
//! of a syscall (`write`, `openat`, `connect`), as a reader of the
//! `syscalls` table means it. The others are shown on request.
//!
//! A libc function named as a syscall of the binary's architecture wraps
//! it, except the few answered in user space by the vDSO; the wrappers
//! named otherwise are listed in [`WRAPPERS`].

/// Wrappers whose names differ from the syscall they make.
const WRAPPERS: &[(&str, &str)] = &[
    ("sigaction", "rt_sigaction"),
    ("sigprocmask", "rt_sigprocmask"),
    ("pthread_sigmask", "rt_sigprocmask"),
    ("sigsuspend", "rt_sigsuspend"),
    ("sigpending", "rt_sigpending"),
    ("sigtimedwait", "rt_sigtimedwait"),
    ("raise", "tgkill"),
    ("pthread_kill", "tgkill"),
    ("pthread_create", "clone3"),
    ("fork", "clone"),
    ("waitpid", "wait4"),
    ("wait", "wait4"),
    ("open", "openat"),
    ("open64", "openat"),
    ("openat64", "openat"),
    ("creat", "openat"),
    ("pread", "pread64"),
    ("pwrite", "pwrite64"),
    ("lseek64", "lseek"),
    ("fstat64", "fstat"),
    ("stat64", "newfstatat"),
    ("lstat64", "newfstatat"),
    ("fstatat", "newfstatat"),
    ("fstatat64", "newfstatat"),
    ("getdents", "getdents64"),
    ("readdir", "getdents64"),
    ("readdir64", "getdents64"),
    ("mmap64", "mmap"),
    ("prlimit", "prlimit64"),
    ("getrlimit64", "prlimit64"),
    ("setrlimit64", "prlimit64"),
    ("seteuid", "setresuid"),
    ("setegid", "setresgid"),
    ("_exit", "exit_group"),
    ("_Exit", "exit_group"),
    ("usleep", "nanosleep"),
    ("sleep", "clock_nanosleep"),
    ("dup2", "dup3"),
    ("pipe", "pipe2"),
    ("accept", "accept4"),
    ("send", "sendto"),
    ("recv", "recvfrom"),
    ("poll", "ppoll"),
];

/// Syscalls the C library answers from the vDSO, without entering the
/// kernel.
const VDSO: &[&str] = &[
    "clock_gettime",
    "gettimeofday",
    "time",
    "getcpu",
    "clock_getres",
];

/// The syscall libc's function `name` makes, if it is a wrapper of one;
/// `is_syscall` says whether a name is a syscall of the architecture.
pub fn wrapped_syscall(name: &str, is_syscall: impl Fn(&str) -> bool) -> Option<&str> {
    if let Some(&(_, sys)) = WRAPPERS.iter().find(|(f, _)| *f == name) {
        return Some(sys);
    }
    (!VDSO.contains(&name) && is_syscall(name)).then_some(name)
}

#[cfg(test)]
mod tests {
    use super::wrapped_syscall;

    fn amd64(name: &str) -> bool {
        syscalls::table(model::Arch::Amd64)
            .and_then(|t| t.by_name(name))
            .is_some()
    }

    #[test]
    fn wrappers_make_syscalls_and_library_functions_do_not() {
        for (f, sys) in [
            ("write", "write"),
            ("openat", "openat"),
            ("connect", "connect"),
            ("sigaction", "rt_sigaction"),
            ("pthread_sigmask", "rt_sigprocmask"),
            ("setuid", "setuid"),
            ("mmap", "mmap"),
        ] {
            assert_eq!(wrapped_syscall(f, amd64), Some(sys), "{f}");
        }
        for f in [
            "malloc",
            "free",
            "pthread_mutex_lock",
            "strerror",
            "__errno_location",
            "sigemptyset",
            "fprintf",
            "clock_gettime",
        ] {
            assert_eq!(wrapped_syscall(f, amd64), None, "{f}");
        }
    }
}
