//! Syscall knowledge for rabbithole: per-arch tables, errno names, and
//! typed decoders that read tracee memory through a [`Memory`] trait and
//! never print.
//!
//! - [`table`]: number <-> name, argument count and strace classes for
//!   x86_64 and aarch64; [`parse_trace_set`] resolves `-e trace=` values.
//! - [`decode_entry`] / [`decode_exit`]: the two decoding phases. Inputs
//!   are read at entry (a path is gone after `execve`), outputs at exit
//!   (the buffer `read` filled); the result is a [`model::syscall::Call`]
//!   that `render::strace` prints exactly like strace.
//! - [`reads`]: what each decoder reads behind pointer arguments, declared
//!   in its table row; the eBPF backend copies exactly that.
//! - [`errno_name`], [`errno_message`], [`signal_name`], [`decode_siginfo`].
//!
//! Usage from a tracer, per syscall stop:
//!
//! ```
//! use syscalls::{decode_entry, decode_exit, Context, Entry, FakeMemory, Options};
//! let mut mem = FakeMemory::new();
//! mem.map(0x1000, b"hello\n".to_vec());
//! let opts = Options::default();
//! let ctx = Context { arch: model::Arch::Amd64, mem: &mem, opts: &opts, fd_path: None };
//! // syscall-entry stop: write(1, 0x1000, 6)
//! let pending = decode_entry(&ctx, &Entry { nr: 1, args: [1, 0x1000, 6, 0, 0, 0], sp: 0 });
//! // ... render pending.call() if another thread's event interleaves ...
//! // syscall-exit stop: rax = 6
//! let call = decode_exit(&ctx, pending, 6);
//! assert_eq!(call.name, "write");
//! ```
//!
//! Keep one `Pending` per thread between its entry and exit stops; if the
//! thread dies inside the call, [`Pending::abandon`] gives the `= ?` form.
#![deny(missing_docs)]
#![forbid(unsafe_code)]

mod class;
mod decode;
mod errno;
mod memory;
pub mod reads;
mod signal;
mod table;
mod xlat;

pub use class::{parse_trace_set, Class, TraceSetError};
pub use decode::{
    decode_entry, decode_entry_into, decode_exit, decode_exit_in_place, decoded_syscalls,
    error_ret, Context, Entry, FdResolver, Options, Pending,
};
pub use errno::{errno_from_name, errno_message, errno_name};
pub use memory::{FakeMemory, Memory, NoMemory};
pub use signal::{decode_siginfo, signal_from_name, signal_name};
pub use table::{table, SyscallInfo, Table};
