//! The raw system calls the tracer makes, in one place: ptrace requests
//! ([`ptrace`]), `waitpid` ([`wait`]), `process_vm_readv` ([`memory`]),
//! `bpf(2)` and the BPF ring buffer's shared pages ([`bpf`],
//! [`ringbuf`]), read-only file mappings ([`mapped`]). Everything above this layer is safe code; each `unsafe`
//! block here carries a `// SAFETY:` line. (Spawning, the clock and the
//! signal handler keep their few blocks next to the code they serve.)

pub(crate) mod bpf;
pub(crate) mod mapped;
pub(crate) mod memory;
pub(crate) mod ptrace;
pub(crate) mod ringbuf;
pub(crate) mod wait;

pub(crate) use memory::read_memory;
pub(crate) use ptrace::*;
pub(crate) use wait::{wait, Wait};

fn last_errno() -> i32 {
    std::io::Error::last_os_error().raw_os_error().unwrap_or(0)
}

/// Sends `signal` to process `pid`.
pub(crate) fn send_signal(pid: i32, signal: i32) -> Result<(), i32> {
    // SAFETY: kill takes integers only.
    if unsafe { libc::kill(pid, signal) } == -1 {
        Err(last_errno())
    } else {
        Ok(())
    }
}

/// The system's page size.
pub(crate) fn page_size() -> usize {
    // SAFETY: sysconf has no memory effects.
    unsafe { libc::sysconf(libc::_SC_PAGESIZE) as usize }
}
