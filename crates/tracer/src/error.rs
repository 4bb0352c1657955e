//! The tracer's typed errors.

/// Why a tracing operation failed. Each variant names the operation, so the
/// command line can print one clear line.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The command to run is not there: a path that cannot be stat'ed,
    /// or a name in no `PATH` directory. Worded as strace words it.
    #[error("Can't stat '{program}': {}", strerror(error))]
    NotFound {
        /// The program as given on the command line.
        program: String,
        /// What `stat` or the path search said (part of the message, not
        /// a separate cause).
        error: std::io::Error,
    },
    /// The command exists but the kernel refused to run it (not
    /// executable, bad format, missing interpreter).
    #[error("cannot run '{program}': {}", strerror(error))]
    Exec {
        /// The program as given on the command line.
        program: String,
        /// What `execve` said (part of the message).
        error: std::io::Error,
    },
    /// Attaching to a process failed (no such process, or not permitted).
    #[error("cannot attach to process {pid}: {source}")]
    Attach {
        /// The process or thread id.
        pid: i32,
        /// The ptrace error.
        source: std::io::Error,
    },
    /// A system call the engine depends on failed.
    #[error("{what}: {source}")]
    Os {
        /// The operation, e.g. "fork" or "PTRACE_GET_SYSCALL_INFO".
        what: &'static str,
        /// The error from the kernel.
        source: std::io::Error,
    },
    /// A thread vanished (killed, exited) while being inspected.
    #[error("thread {0} is gone")]
    Gone(i32),
    /// An address of the tracee could not be read.
    #[error("cannot read tracee memory at {addr:#x}")]
    Memory {
        /// The first address that could not be read.
        addr: u64,
    },
}

impl Error {
    /// The exit code a shell gives a command that could not be run: 127
    /// when it is not found, 126 when it cannot be executed; `None` for
    /// failures of the tracer itself.
    pub fn exec_exit_code(&self) -> Option<u8> {
        match self {
            Error::NotFound { error, .. } | Error::Exec { error, .. } => {
                Some(if error.kind() == std::io::ErrorKind::NotFound {
                    127
                } else {
                    126
                })
            }
            _ => None,
        }
    }

    pub(crate) fn os(what: &'static str) -> Self {
        Error::Os {
            what,
            source: std::io::Error::last_os_error(),
        }
    }
}

/// The C library's wording of an error, without std's " (os error N)",
/// as strace and shells print it.
fn strerror(e: &std::io::Error) -> String {
    let text = e.to_string();
    match e.raw_os_error() {
        Some(n) => text
            .strip_suffix(&format!(" (os error {n})"))
            .map_or(text.clone(), str::to_string),
        None => text,
    }
}
