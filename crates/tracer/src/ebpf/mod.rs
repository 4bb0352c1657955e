//! The eBPF backend: syscalls traced in the kernel, without stopping the
//! tracee.
//!
//! Programs on the raw tracepoints `sys_enter`/`sys_exit` (no tracefs,
//! no BTF-typed attach) filter by a tgid set that `sched_process_fork` and
//! `sched_process_exit` keep current, copy each finished call's numbers,
//! the bytes behind its pointer arguments ([`capture`]), the user
//! frame-pointer chain and the start of Go's `g` into a ring buffer.
//! User space turns each record into the same [`crate::Sink`] calls the
//! ptrace engine makes, with a [`crate::Thread`] whose memory is the
//! captured bytes, so the `syscalls` decoders, `render::strace` and the Go
//! unwinder ([`crate::unwind`]) run unchanged.
//!
//! ## Why our own loader and an assembler in Rust
//!
//! `cargo build` must work on a fresh machine with the stable toolchain
//! and no clang. aya's BPF side needs nightly; libbpf-rs needs clang for
//! the programs and a C toolchain for libbpf. The programs here are small
//! and regular (filter, copy, output), so they are generated at run time
//! by a 200-line assembler (`asm.rs`) and loaded over `bpf(2)` directly
//! (`crate::sys::bpf`). Run-time generation also turns per-trace settings (stack
//! depth, `-T`, `-f`) into immediates and drops unused code, and the
//! verifier checks the result on every start, so there is no committed
//! object to keep in sync. Kernel struct offsets (`task_struct.pid`,
//! `exit_code`) come from the kernel's own BTF ([`btf`]).
//!
//! ## Stacks
//!
//! `bpf_get_stack(BPF_F_USER_STACK)` returns return addresses only. Go's
//! unwinder (pcsp tables, checked against frame pointers, inline
//! expansion) needs the frame addresses too, so the program walks the
//! same frame-pointer chain itself: one read of the 1 KiB above SP, where
//! a Go stack's innermost frames usually are, and a 16-byte read for each
//! frame beyond it. It records `(fp, saved fp, return address)` plus the word
//! at SP (the return address of a frameless assembly leaf such as
//! `Syscall6`). User space rebuilds a sparse stack image from those
//! records and runs the ptrace backend's unwinder on it. The goroutine
//! is the `g` in the thread's TLS slot (`task_struct.thread.fsbase` plus
//! the program's TLS offset; R14, Go's ABIInternal register, when that
//! cannot be read), whose first 176 bytes are copied. On a g0 or gsignal
//! (goid 0) the program also copies the `m`, the user goroutine
//! `m.curg`, the top of that goroutine's stack and its frame-pointer
//! chain (as captures at their addresses), so the unwinder names the
//! goroutine the runtime works for and continues across `systemstack`
//! exactly as it does on a stopped thread. The `g`/`m` offsets come from
//! the traced program's Go version (`gobin::runtime::layout`); in a child
//! that executes another program they may not fit, and the reader's
//! sanity checks then say `no g` rather than a made-up goroutine.
//!
//! A syscall-heavy program makes the same few calls from the same places
//! over and over, so the program digests everything the unwinder reads
//! (tgid, ip, sp, bp, the word at SP, the frame records, the `g` bytes)
//! and remembers the digests it has sent in full (a hash map of at most
//! `prog::KNOWN_STACKS`, entries added only after the record went out).
//! A later record with a known digest carries the digest alone; user
//! space keeps every stack it unwound by digest and never drops one the
//! kernel may still leave out. `-k` records are then as small as plain
//! ones, and one unwind serves every repeat.
//!
//! ## Times
//!
//! `-T`, `-t` and `-c` use `bpf_ktime_get_ns` (CLOCK_MONOTONIC) taken at
//! entry (kept per thread in a map) and exit, passed to the sink through
//! [`crate::Thread::event_time`]; the printer turns them into wall-clock time.
//!
//! ## Limits
//!
//! x86-64 only (the register layout is built in). Strings of `argv`
//! after the 16th and environment arrays longer than 64 entries are not
//! copied. `readv`/`writev`/`sendmsg` show their iovec arrays, not the
//! data behind them. Records that do not fit in the ring buffer are
//! counted ([`EbpfTracer::lost`]), never waited for: the tracee is never
//! slowed down to let the reader catch up.

//!
//! ## Files
//!
//! `kernel.rs` loads the programs (`prog.rs`, written with `asm.rs`,
//! kernel offsets from [`btf`]) and makes the maps; [`capture`] turns the
//! `syscalls` crate's declarations of what each decoder reads into the
//! per-syscall table the programs follow; [`EbpfTracer`] (`trace.rs`)
//! spawns or attaches and drains the ring; each record is parsed
//! (`record.rs`) into an [`EventThread`] (`thread.rs`) and fed through the
//! per-thread state machine (`state.rs`) into the [`crate::Sink`].

pub(crate) mod asm;
pub mod btf;
pub mod capture;
mod kernel;
mod prog;
mod record;
mod state;
mod thread;
mod trace;

use crate::sys::bpf::{Map, MAP_RINGBUF};
use crate::Error;
pub use prog::KNOWN_STACKS;
pub use thread::EventThread;
pub use trace::EbpfTracer;

/// The thread a ring-buffer syscall record describes (registers, captured
/// memory, stack image), built exactly as the reader builds it; `None` for
/// a record too short for its header or frames. Public for the fuzz target.
pub fn parse_syscall_record(rec: &[u8]) -> Option<EventThread> {
    record::parse_syscall(rec).map(|r| r.thread)
}

/// What to trace and what to capture.
#[derive(Debug, Clone)]
pub struct Options {
    /// Follow threads and child processes (`-f`); else the first thread.
    pub follow: bool,
    /// Syscall numbers to trace; `None` traces all.
    pub wanted: Option<Vec<u64>>,
    /// The architecture's syscall table: number and strace name.
    pub names: Vec<(u64, &'static str)>,
    /// `-s`: bytes of data buffers and strings copied.
    pub string_limit: usize,
    /// Physical frames walked per syscall; 0 takes no stacks.
    pub stack_depth: usize,
    /// Record entry times (for `-T`, `-c`).
    pub timing: bool,
    /// Ring buffer bytes (rounded up to a power of two).
    pub ring_size: usize,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            follow: true,
            wanted: None,
            names: Vec::new(),
            string_limit: 32,
            stack_depth: 0,
            timing: false,
            ring_size: 32 << 20,
        }
    }
}

/// Whether this machine can run the backend; the error says exactly what
/// is missing.
pub fn available() -> Result<(), String> {
    if !cfg!(target_arch = "x86_64") {
        return Err("the eBPF backend supports x86-64 only".into());
    }
    if std::fs::metadata("/sys/kernel/btf/vmlinux").is_err() {
        return Err("the kernel has no BTF (/sys/kernel/btf/vmlinux is missing)".into());
    }
    match Map::create(MAP_RINGBUF, 0, 0, 4096, "rh_probe") {
        Ok(_) => Ok(()),
        Err(Error::Os { source, .. }) if source.raw_os_error() == Some(libc::EPERM) => {
            Err("bpf() is not permitted (needs root or CAP_BPF and CAP_PERFMON)".into())
        }
        Err(Error::Os { source, .. }) if source.raw_os_error() == Some(libc::EINVAL) => {
            Err("the kernel has no BPF ring buffer (needs Linux 5.8 or later)".into())
        }
        Err(e) => Err(format!("bpf() does not work here: {e}")),
    }
}
