//! One module per command. Each has an `Args` (clap) and a
//! `run(Args) -> anyhow::Result<u8>` returning the exit code; an `Err`
//! becomes a one-line message and exit code 2. A static command opens the
//! file, asks the library, and hands the answer to `render`.

pub mod addr2line;
pub mod compare;
pub mod completions;
pub mod disasm;
pub mod funcs;
pub mod inspect;
pub mod man;
pub mod path;
pub mod size;
pub mod syscalls;
pub mod trace;

use std::io::{BufWriter, StdoutLock};
use std::path::Path;

/// True when the error is a write to a closed pipe (`rabbithole ... | head`),
/// which is not a failure.
pub fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|e| {
        e.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

/// Maps the binary at `path`; the error names the file.
pub fn open(path: &Path) -> anyhow::Result<gobin::MappedFile> {
    gobin::MappedFile::open(path).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))
}

/// Stdout, buffered in large blocks (listings run to megabytes).
pub type Stdout = BufWriter<StdoutLock<'static>>;

/// Stdout for JSON, which escapes its own strings.
pub fn stdout() -> Stdout {
    BufWriter::with_capacity(1 << 16, std::io::stdout().lock())
}

/// Stdout for text: names and paths from the binary cannot reach the
/// terminal as control sequences.
pub fn text_stdout() -> render::terminal::Guard<Stdout> {
    render::terminal::Guard::new(stdout())
}

/// Where a command writes: JSON as is, text through the terminal guard.
pub fn output(json: bool) -> Box<dyn std::io::Write> {
    if json {
        Box::new(stdout())
    } else {
        Box::new(text_stdout())
    }
}
