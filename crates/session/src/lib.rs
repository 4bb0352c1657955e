//! Live questions over a running Go program, between the tracer and the
//! printer: [`trace`] (strace-style tracing: streams, per-thread state,
//! `-c` tallies, `--by`, `--no-runtime`, `-k` stacks, JSON events) and
//! [`path`] (run the program to one syscall and report every hop from
//! `main.main` down to it).
//!
//! Each is driven by a plain config struct ([`trace::Config`],
//! [`path::Config`]) and returns the exit code to give, so a session runs
//! the same from the command line or from a test:
//!
//! ```no_run
//! use session::trace::{BackendChoice, Config, Output, Target};
//! let mut config = Config::new(Target::Spawn(vec!["/bin/true".into()]));
//! config.follow = true;
//! config.backend = BackendChoice::Ptrace;
//! config.output = Output::File("/tmp/trace.txt".into());
//! let code = session::trace::run(&config)?;
//! # Ok::<(), session::Error>(())
//! ```
//!
//! Events come from `tracer` (through its [`tracer::Backend`] trait), are
//! decoded here with `syscalls`, and printed only by `render`.
#![deny(missing_docs)]
#![forbid(unsafe_code)]

mod error;
mod frames;
mod memory;
pub mod path;
pub mod trace;

pub use error::Error;
