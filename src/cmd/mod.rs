//! One module per command. Each has an `Args` (clap) and a
//! `run(Args) -> anyhow::Result<u8>` returning the exit code; an `Err`
//! becomes a one-line message and exit code 2.

pub mod addr2line;
pub mod compare;
pub mod disasm;
pub mod funcs;
pub mod inspect;
pub mod path;
pub mod size;
pub mod syscalls;
pub mod trace;

/// True when the error is a write to a closed pipe (`rabbithole ... | head`),
/// which is not a failure.
pub fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|e| {
        e.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}
