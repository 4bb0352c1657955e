//! A trace session: strace-style live tracing of a command or of running
//! processes. [`run`] takes a [`Config`], starts the backend the config
//! chooses (ptrace or eBPF, through [`tracer::Backend`]), feeds its events
//! to a sink that decodes them with `syscalls` and prints them with
//! `render`, and returns the traced command's exit code.
//!
//! Rooms: `filter` (`-e trace=`), `sink` (the events), `streams` (stderr,
//! `-o`, `-ff` files), `outfile` (opening those without following a
//! planted link), `threads` (per-thread state), `tally` (`-c`),
//! `stacks` (`-k`, `--by`, `--no-runtime`), `ebpf` (choosing and
//! configuring the eBPF backend).

mod ebpf;
mod filter;
mod outfile;
mod sink;
mod stacks;
mod streams;
mod tally;
mod threads;

use crate::Error;
use render::strace::TimeFormat;
pub use render::tally::Grouping;
use sink::TraceSink;
use std::ffi::{OsStr, OsString};
use std::path::PathBuf;
use tracer::{Backend, ExitKind, Outcome, SeccompFilter, Tracer};

/// What to trace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// Run this command (program and arguments) under the tracer.
    Spawn(Vec<OsString>),
    /// Attach to these running processes and all their threads.
    Attach(Vec<i32>),
}

/// Where the trace lines go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Output {
    /// stderr, which the traced program shares.
    Stderr,
    /// One file (`-o FILE`).
    File(PathBuf),
    /// One file per thread, `BASE.TID` (`-ff -o BASE`).
    PerThread(PathBuf),
}

/// Which tracer runs the trace.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BackendChoice {
    /// eBPF when the kernel and privileges allow (with a note saying why
    /// not otherwise), else ptrace.
    Auto,
    /// eBPF, or an error saying why it cannot run.
    Ebpf,
    /// ptrace: stops the program at each traced syscall, loses nothing.
    Ptrace,
}

/// Everything a trace session needs to know, free of any command-line
/// parser.
#[derive(Debug, Clone)]
pub struct Config {
    /// The command to run or the processes to attach to.
    pub target: Target,
    /// Follow threads and child processes (`-f`).
    pub follow: bool,
    /// Where lines go.
    pub output: Output,
    /// `-e` expressions (`trace=open,read`, `trace=%file`, `trace=!futex`).
    pub filter: Vec<String>,
    /// Longest string shown, in bytes (`-s`).
    pub string_limit: usize,
    /// Print paths for file descriptors (`-y`).
    pub fd_paths: bool,
    /// Print the time spent in each call (`-T`).
    pub durations: bool,
    /// Timestamps at the start of each line (`-t`, `-tt`, `-ttt`).
    pub timestamps: TimeFormat,
    /// A summary table at the end instead of each call (`-c`).
    pub summary: bool,
    /// Unabbreviated structs and environments (`-v`).
    pub verbose: bool,
    /// 1: no attach/detach notes; 2: no `+++ exited` lines either.
    pub quiet: u8,
    /// JSON Lines, one object per event.
    pub json: bool,
    /// Keep untraced syscalls from stopping the program with a
    /// seccomp-bpf filter (ptrace, spawned commands, `-f`, a filter set).
    pub seccomp_bpf: bool,
    /// Print the Go stack of each call (`-k`).
    pub stacks: bool,
    /// Deepest stack printed.
    pub stack_depth: usize,
    /// With `summary`: count per calling function or package.
    pub by: Option<Grouping>,
    /// Hide the syscalls the Go runtime makes on its own.
    pub no_runtime: bool,
    /// Which tracer to use.
    pub backend: BackendChoice,
    /// eBPF ring buffer size in bytes; `None` for the default.
    pub ebpf_ring_size: Option<usize>,
}

impl Config {
    /// strace's defaults for `target`: follow nothing, print to stderr,
    /// 32-byte strings, 32-frame stacks, automatic backend.
    pub fn new(target: Target) -> Config {
        Config {
            target,
            follow: false,
            output: Output::Stderr,
            filter: Vec::new(),
            string_limit: 32,
            fd_paths: false,
            durations: false,
            timestamps: TimeFormat::None,
            summary: false,
            verbose: false,
            quiet: 0,
            json: false,
            seccomp_bpf: true,
            stacks: false,
            stack_depth: 32,
            by: None,
            no_runtime: false,
            backend: BackendChoice::Auto,
            ebpf_ring_size: None,
        }
    }
}

/// The signals that end a trace early: SIGINT, SIGTERM, SIGHUP, SIGQUIT.
const INTERRUPTS: [i32; 4] = [2, 15, 1, 3];

/// Runs the trace to its end: the traced command's exit code (shell
/// style), 0 after Ctrl-C detached from attached processes.
pub fn run(config: &Config) -> Result<u8, Error> {
    let arch = tracer::native_arch();
    let table = syscalls::table(arch)
        .ok_or_else(|| Error::Usage("no syscall table for this architecture".into()))?;
    let selected = filter::selected(arch, &config.filter)?;
    let wanted = filter::Wanted::new(selected.as_ref());
    if ebpf::chosen(config)? {
        let mut sink = TraceSink::new(config, arch, wanted)?;
        tracer::interrupt::install(&INTERRUPTS)?;
        let set = selected.map(|s| s.into_iter().collect());
        return ebpf::run(config, &mut sink, set, table);
    }
    let seccomp = match (&selected, &config.target) {
        (Some(set), Target::Spawn(_)) if config.follow && config.seccomp_bpf => {
            let nrs: Vec<u32> = set.iter().filter_map(|&n| u32::try_from(n).ok()).collect();
            let size = table.iter().map(|s| s.nr + 1).max().unwrap_or(0);
            Some(SeccompFilter::new(
                &nrs,
                u32::try_from(size).unwrap_or(u32::MAX),
            ))
        }
        _ => None,
    };
    let opts = tracer::Options {
        follow_forks: config.follow,
        seccomp,
    };
    let mut sink = TraceSink::new(config, arch, wanted)?;
    tracer::interrupt::install(&INTERRUPTS)?;
    let mut t = start(
        config,
        &mut sink,
        |pids| Tracer::attach(pids, &opts),
        |program, rest| Tracer::spawn(program, rest, &opts),
    )?;
    drive(
        &mut t,
        &mut sink,
        matches!(config.target, Target::Attach(_)),
    )
}

/// Attaches to the target processes (noting each) or spawns the command.
fn start<B>(
    config: &Config,
    sink: &mut TraceSink,
    attach: impl FnOnce(&[i32]) -> Result<B, tracer::Error>,
    spawn: impl FnOnce(&OsStr, &[OsString]) -> Result<B, tracer::Error>,
) -> Result<B, Error> {
    match &config.target {
        Target::Spawn(command) => {
            let (program, rest) = command
                .split_first()
                .ok_or_else(|| Error::Usage("trace needs a command to run".into()))?;
            Ok(spawn(program, rest)?)
        }
        Target::Attach(pids) => {
            let t = attach(pids)?;
            for pid in pids {
                sink.streams.note(&render::notes::attached(*pid));
            }
            Ok(t)
        }
    }
}

/// Runs the backend until the trace ends, passing signals on or
/// detaching on interrupts.
fn drive(t: &mut dyn Backend, sink: &mut TraceSink, attach: bool) -> Result<u8, Error> {
    sink.streams.live = t.tracee_count();
    let code = loop {
        match t.run(sink)? {
            Outcome::Finished(how) => break how.map_or(0, ExitKind::shell_code),
            Outcome::Paused(_) => continue,
            Outcome::Interrupted(r) if r.output_closed() => {
                // Nothing can show the trace any more: stop, leaving
                // nothing that rabbithole started to run on untraced.
                if attach {
                    t.detach_all(sink)?;
                } else {
                    t.kill_spawned();
                    while !matches!(t.run(sink)?, Outcome::Finished(_)) {}
                }
                return Err(Error::io(
                    "writing the trace",
                    std::io::ErrorKind::BrokenPipe.into(),
                ));
            }
            Outcome::Interrupted(r) => {
                if attach {
                    t.detach_all(sink)?;
                    break 0;
                }
                // Ctrl-C on the terminal reached the child already (same
                // process group); a signal sent to rabbithole is passed on.
                if r.from_process {
                    t.signal_main(r.signal);
                }
            }
        }
    };
    sink.finish()?;
    if let Some(note) = sink.stacks.as_ref().and_then(|s| s.hidden_note()) {
        render::notes::emit(&note);
    }
    Ok(code)
}
