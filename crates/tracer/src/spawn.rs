//! Starting the traced command: everything that allocates happens before
//! `fork`; the child only makes async-signal-safe calls (read, seccomp,
//! execve, write, _exit), as required after forking.

use crate::seccomp::{BpfInsn, SeccompFilter};
use crate::Error;
use std::ffi::{CString, OsStr, OsString};
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

/// The prepared pieces of an `execve`.
pub(crate) struct Prepared {
    path: CString,
    argv: Vec<CString>,
    envp: Vec<CString>,
}

/// Finds `program` like `execvp` does: as given when it contains a slash,
/// else in each `PATH` directory.
pub fn resolve(program: &OsStr) -> Result<PathBuf, Error> {
    let not_found = |e: std::io::Error| Error::NotFound {
        program: program.to_string_lossy().into_owned(),
        error: e,
    };
    if program.as_bytes().contains(&b'/') {
        let p = PathBuf::from(program);
        std::fs::metadata(&p).map_err(not_found)?;
        return Ok(p);
    }
    let path = std::env::var_os("PATH").unwrap_or_else(|| OsString::from("/usr/bin:/bin"));
    for dir in std::env::split_paths(&path) {
        let candidate = dir.join(program);
        if let Ok(meta) = std::fs::metadata(&candidate) {
            if meta.is_file() && meta.permissions().mode() & 0o111 != 0 {
                return Ok(candidate);
            }
        }
    }
    Err(not_found(std::io::Error::from_raw_os_error(libc::ENOENT)))
}

fn cstring(bytes: Vec<u8>, program: &OsStr) -> Result<CString, Error> {
    CString::new(bytes).map_err(|_| Error::Exec {
        program: program.to_string_lossy().into_owned(),
        error: std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            "argument contains a NUL byte",
        ),
    })
}

pub(crate) fn prepare(program: &OsStr, args: &[OsString]) -> Result<Prepared, Error> {
    let path = resolve(program)?;
    let mut argv = vec![cstring(program.as_bytes().to_vec(), program)?];
    for a in args {
        argv.push(cstring(a.as_bytes().to_vec(), program)?);
    }
    let mut envp = Vec::new();
    for (k, v) in std::env::vars_os() {
        let mut kv = k.into_vec();
        kv.push(b'=');
        kv.extend_from_slice(v.as_bytes());
        envp.push(cstring(kv, program)?);
    }
    Ok(Prepared {
        path: cstring(Path::new(&path).as_os_str().as_bytes().to_vec(), program)?,
        argv,
        envp,
    })
}

/// The forked child, stopped in `read` on the sync pipe until the tracer has
/// seized it, and a pipe that reports a failed exec's errno.
pub(crate) struct Child {
    pub pid: i32,
    pub sync_write: libc::c_int,
    pub error_read: libc::c_int,
}

#[repr(C)]
struct SockFprog {
    len: libc::c_ushort,
    filter: *const BpfInsn,
}

fn pipe_cloexec() -> Result<[libc::c_int; 2], Error> {
    let mut fds = [0; 2];
    // SAFETY: pipe2 writes two fds into the two-element array.
    if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) } == -1 {
        return Err(Error::os("pipe2"));
    }
    Ok(fds)
}

pub(crate) fn fork_child(prep: &Prepared, filter: Option<&SeccompFilter>) -> Result<Child, Error> {
    fork_child_with(prep, filter, false)
}

/// [`fork_child`]; with `stop_at_exec` the child asks to be traced
/// (`PTRACE_TRACEME`), so it stops with SIGTRAP right after its execve,
/// before the new program's first instruction, until detached, and is
/// killed by the kernel when rabbithole dies.
pub(crate) fn fork_child_with(
    prep: &Prepared,
    filter: Option<&SeccompFilter>,
    stop_at_exec: bool,
) -> Result<Child, Error> {
    let at_start = crate::inherited::AtStart::load();
    // SAFETY: getpid cannot fail.
    let parent = unsafe { libc::getpid() };
    let sync = pipe_cloexec()?;
    let error = pipe_cloexec()?;
    let mut argv: Vec<*const libc::c_char> = prep.argv.iter().map(|a| a.as_ptr()).collect();
    argv.push(std::ptr::null());
    let mut envp: Vec<*const libc::c_char> = prep.envp.iter().map(|a| a.as_ptr()).collect();
    envp.push(std::ptr::null());
    let fprog = filter.map(|f| SockFprog {
        len: f.program.len() as libc::c_ushort,
        filter: f.program.as_ptr(),
    });
    // SAFETY: rabbithole is single-threaded when it forks; the child below
    // touches only memory prepared before the fork and calls only
    // async-signal-safe functions before execve or _exit.
    let pid = unsafe { libc::fork() };
    if pid == -1 {
        return Err(Error::os("fork"));
    }
    if pid == 0 {
        // SAFETY: see the fork above; every pointer passed (argv, envp, the
        // BPF program, the path) points into allocations of the parent that
        // the child's copy of the address space still holds.
        unsafe {
            libc::close(sync[1]);
            libc::close(error[0]);
            let mut byte = 0u8;
            while libc::read(sync[0], &mut byte as *mut u8 as *mut libc::c_void, 1) == -1
                && *libc::__errno_location() == libc::EINTR
            {}
            libc::close(sync[0]);
            at_start.restore();
            if let Some(prog) = &fprog {
                let prog_ptr = prog as *const SockFprog;
                let mut r = libc::syscall(
                    libc::SYS_seccomp,
                    1, /* SECCOMP_SET_MODE_FILTER */
                    0,
                    prog_ptr,
                );
                if r == -1 && *libc::__errno_location() == libc::EACCES {
                    libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
                    r = libc::syscall(libc::SYS_seccomp, 1, 0, prog_ptr);
                }
                if r == -1 {
                    let e = *libc::__errno_location();
                    libc::write(error[1], &e as *const i32 as *const libc::c_void, 4);
                    libc::_exit(127);
                }
            }
            if stop_at_exec {
                // Traced by ptrace only until its exec (the eBPF backend),
                // so ptrace's EXITKILL will not end it if rabbithole dies:
                // the kernel does, as it does for a ptrace trace. Checked
                // after setting, in case rabbithole is already gone.
                libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL, 0, 0, 0);
                if libc::getppid() != parent {
                    libc::_exit(127);
                }
                libc::ptrace(libc::PTRACE_TRACEME, 0, 0, 0);
            }
            libc::execve(prep.path.as_ptr(), argv.as_ptr(), envp.as_ptr());
            let e = *libc::__errno_location();
            libc::write(error[1], &e as *const i32 as *const libc::c_void, 4);
            libc::_exit(127);
        }
    }
    // SAFETY: closing the child's ends in the parent; the fds are ours.
    unsafe {
        libc::close(sync[0]);
        libc::close(error[1]);
    }
    Ok(Child {
        pid,
        sync_write: sync[1],
        error_read: error[0],
    })
}

/// Lets the child go on to execve.
pub(crate) fn release(fd: libc::c_int) {
    // A byte, not just the close: a child forked at the same time by
    // another thread holds a copy of this write end until it executes, so
    // waiting for end-of-file could wait on that child, and that child on
    // us (two tracers starting programs at once).
    // SAFETY: writes one byte from a live local, then closes our own end.
    unsafe {
        let byte = 1u8;
        libc::write(fd, &byte as *const u8 as *const libc::c_void, 1);
        libc::close(fd);
    }
}

/// After the child died before exec: the errno it reported, if any.
pub(crate) fn exec_error(fd: libc::c_int) -> Option<std::io::Error> {
    let mut e: i32 = 0;
    // SAFETY: reads at most 4 bytes into a live i32; the child has exited,
    // so the read cannot block.
    let n = unsafe { libc::read(fd, &mut e as *mut i32 as *mut libc::c_void, 4) };
    (n == 4).then(|| std::io::Error::from_raw_os_error(e))
}

/// The error for a child that died before its exec: what it reported on
/// the error pipe `fd` (which this closes), ENOEXEC when it said nothing.
pub(crate) fn exec_failure(fd: libc::c_int, program: &str) -> crate::Error {
    let error = exec_error(fd).unwrap_or_else(|| std::io::Error::from_raw_os_error(libc::ENOEXEC));
    close(fd);
    crate::Error::Exec {
        program: program.to_string(),
        error,
    }
}

pub(crate) fn close(fd: libc::c_int) {
    // SAFETY: closing our own fd once.
    unsafe {
        libc::close(fd);
    }
}
