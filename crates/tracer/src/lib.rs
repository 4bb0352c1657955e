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
//! Under both ptrace users (the engine and the breakpoint [`breakpoint::Session`])
//! and the eBPF backend's spawned child there is one wait loop (`stop`:
//! `waitpid`, the stop named, the syscall read) and one layer of raw
//! system calls (`sys`: ptrace, wait, `process_vm_readv`, `bpf(2)`, the
//! ring buffer). [`proc`] reads `/proc` (threads, thread groups,
//! mappings) for every backend and the [`symbolize`]r. Go runtime layouts
//! come from `gobin::runtime::layout`.
//!
//! This is the only crate allowed `unsafe`; every block carries a
//! `// SAFETY:` line, and all but spawning, the clock and the signal
//! handler live in `sys`.
#![deny(missing_docs)]

mod arch;
pub mod backend;
pub mod breakpoint;
pub mod clock;
pub mod ebpf;
mod engine;
mod error;
mod event;
pub mod fake;
pub mod goroutine;
mod inherited;
pub mod interrupt;
pub mod proc;
mod seccomp;
mod spawn;
mod stop;
pub mod support;
pub mod symbolize;
mod sys;
mod thread;
pub mod unwind;

pub use arch::{native_arch, Arch, I386};
pub use backend::Backend;
pub use engine::{LiveThread, Options, Outcome, Tracer};
pub use error::Error;
pub use event::{Birth, Control, ExitKind, SignalInfo, Sink, SyscallEntry, SyscallExit};
pub use seccomp::{BpfInsn, SeccompFilter};
pub use spawn::resolve as resolve_program;
pub use thread::{Aarch64Regs, Registers, Thread, ThreadMemory, X86_64Regs};
