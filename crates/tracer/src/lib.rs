//! Everything that touches the operating system below safe std: memory maps
//! of binaries (through `gobin::MappedFile`) and the ptrace engine ([`Tracer`]).
//!
//! The engine spawns or attaches, follows threads and forks, and pushes one
//! event per stop into a [`Sink`] (syscall entry and exit, signal,
//! group-stop, new tracee, exec, exit). Sinks see the stopped thread as a
//! [`Thread`] (registers, memory), which [`fake::FakeThread`] implements
//! for tests without root. A seccomp-bpf [`SeccompFilter`] keeps
//! untraced syscalls from stopping the tracee at all.
//!
//! This is the only crate allowed `unsafe`; every block carries a
//! `// SAFETY:` line.
#![deny(missing_docs)]

pub mod backend;
pub mod breakpoint;
pub mod clock;
pub mod ebpf;
mod engine;
mod error;
mod event;
pub mod fake;
pub mod goroutine;
pub mod interrupt;
mod seccomp;
mod spawn;
pub mod symbolize;
mod sys;
mod thread;
pub mod unwind;

pub use backend::Backend;
pub use engine::{LiveThread, Options, Outcome, Tracer};
pub use error::Error;
pub use event::{Birth, Control, ExitKind, SignalInfo, Sink, SyscallEntry, SyscallExit};
pub use seccomp::{BpfInsn, SeccompFilter};
pub use spawn::resolve as resolve_program;
pub use thread::{Aarch64Regs, Arch, Registers, Thread, X86_64Regs};
