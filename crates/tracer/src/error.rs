//! The tracer's typed errors.

/// Why a tracing operation failed. Each variant names the operation, so the
/// command line can print one clear line.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The command to run was not found or is not executable.
    #[error("cannot run {program}: {source}")]
    Exec {
        /// The program as given on the command line.
        program: String,
        /// What the kernel or the path search said.
        source: std::io::Error,
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
    pub(crate) fn os(what: &'static str) -> Self {
        Error::Os {
            what,
            source: std::io::Error::last_os_error(),
        }
    }
}
