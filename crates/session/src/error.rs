//! What can stop a session before the traced program has run its course.

/// A session's failure; its message is one line for the user.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The configuration asks for something that cannot be done.
    #[error("{0}")]
    Usage(String),
    /// A `-e trace=` expression names no syscall or class.
    #[error(transparent)]
    TraceSet(#[from] syscalls::TraceSetError),
    /// The program's binary cannot be read or is not one `path` handles.
    #[error("{0}")]
    Binary(String),
    /// The tracer failed (spawn, attach, ptrace, eBPF).
    #[error(transparent)]
    Tracer(#[from] tracer::Error),
    /// Writing output failed.
    #[error("{what}")]
    Io {
        /// What was being written, naming the file.
        what: String,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
}

impl Error {
    /// The exit code for this failure: a shell's 127 or 126 when the
    /// command could not be run, else 2 (rabbithole's own failure).
    pub fn exit_code(&self) -> u8 {
        match self {
            Error::Tracer(e) => e.exec_exit_code().unwrap_or(2),
            _ => 2,
        }
    }

    /// An I/O failure while doing `what`.
    pub(crate) fn io(what: impl Into<String>, source: std::io::Error) -> Error {
        Error::Io {
            what: what.into(),
            source,
        }
    }
}
