//! `rabbithole trace`: strace-style live tracing. The flags become a
//! [`session::trace::Config`]; the session traces, decodes and prints.

use anyhow::bail;
use render::strace::TimeFormat;
use session::trace::{BackendChoice, Config, Grouping, Output, Target};
use std::ffi::OsString;
use std::path::PathBuf;

/// Arguments of `trace`.
#[derive(clap::Args)]
#[command(after_help = render::help::after_help("trace"))]
pub struct Args {
    /// Follow threads and child processes; twice (-ff) with -o writes one
    /// file per thread, FILE.TID (without -o, -ff is -f, as in strace). Go
    /// programs always run several threads: without -f most of their
    /// syscalls are not seen
    #[arg(short = 'f', action = clap::ArgAction::Count)]
    pub follow: u8,
    /// Attach to a running process and all its threads (repeatable);
    /// Ctrl-C detaches and leaves it running
    #[arg(short = 'p', value_name = "PID")]
    pub pid: Vec<i32>,
    /// Which syscalls to show: `trace=open,read`, `trace=%file`, `%net`,
    /// `%process`, `%signal`, `%memory`, `%desc`, negation `trace=!futex`
    #[arg(short = 'e', value_name = "EXPR")]
    pub expr: Vec<String>,
    /// Write the trace to FILE instead of stderr
    #[arg(short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Longest string shown, in bytes
    #[arg(short = 's', value_name = "N", default_value_t = 32)]
    pub string_limit: usize,
    /// Print paths for file descriptors
    #[arg(short = 'y')]
    pub fd_paths: bool,
    /// Print time spent in each syscall
    #[arg(short = 'T')]
    pub durations: bool,
    /// Timestamps: -t seconds, -tt microseconds, -ttt epoch seconds
    #[arg(short = 't', action = clap::ArgAction::Count)]
    pub timestamps: u8,
    /// Print a summary table (calls, errors, time per syscall) at the end
    /// instead of each call
    #[arg(short = 'c')]
    pub summary: bool,
    /// Unabbreviated structs and environments
    #[arg(short = 'v')]
    pub verbose: bool,
    /// Quieter: -q hides attach/detach notes, -qq also `+++ exited with`
    /// lines (deaths by signal are still shown, as strace does)
    #[arg(short = 'q', action = clap::ArgAction::Count)]
    pub quiet: u8,
    /// JSON Lines, one object per event (syscall, signal, exit)
    #[arg(long)]
    pub json: bool,
    /// Stop at every syscall even with -e trace=... (no seccomp-bpf filter)
    #[arg(long)]
    pub no_seccomp_bpf: bool,
    /// Print the Go stack of each syscall under it (file:line, inlined
    /// frames marked) and `[goroutine N]` on its line
    #[arg(short = 'k')]
    pub stacks: bool,
    /// Deepest stack printed with -k
    #[arg(long, value_name = "N", default_value_t = 32)]
    pub stack_depth: usize,
    /// With -c: count syscalls per calling function or package (caller:
    /// the first frame of the program's own code, outside the standard
    /// library; stdlib-caller: the first outside runtime, syscall and x/sys)
    #[arg(long, value_enum, value_name = "WHAT", requires = "summary")]
    pub by: Option<By>,
    /// Hide syscalls the Go runtime makes on its own (scheduler, GC,
    /// allocator, SIGURG preemption) and say how many were hidden
    #[arg(long)]
    pub no_runtime: bool,
    /// Tracer: `auto` (the default) takes eBPF when the kernel and
    /// privileges allow and says why not otherwise; `ebpf` traces in the
    /// kernel without stopping the program (root or CAP_BPF+CAP_PERFMON,
    /// Linux 5.8+ with BTF), prints each call when it returns and counts
    /// the events its ring buffer could not hold; `ptrace` stops the
    /// program at each syscall like strace and loses nothing
    #[arg(long, value_enum, default_value_t = Backend::Auto)]
    pub backend: Backend,
    /// eBPF ring buffer size in bytes, rounded up to a power of two
    /// (default 32 MiB; events that do not fit are counted as lost)
    #[arg(long, value_name = "BYTES")]
    pub ebpf_ring_size: Option<usize>,
    /// The command to run and its arguments. Options before it are
    /// rabbithole's (an unknown one is an error); everything from the
    /// command on is the command's
    #[arg(trailing_var_arg = true, value_name = "CMD")]
    pub command: Vec<OsString>,
}

/// What `-c --by` groups syscalls by.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum By {
    /// The first function of the program's own code (outside the standard
    /// library; else outside the runtime, syscall and x/sys packages).
    Caller,
    /// The first function outside the runtime, syscall and x/sys
    /// packages, often in the standard library (os, net).
    StdlibCaller,
    /// The caller's package.
    Package,
}

/// Which tracer `trace` runs on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Backend {
    /// eBPF when the kernel and privileges allow, else ptrace.
    Auto,
    /// In-kernel tracing with eBPF (root or CAP_BPF+CAP_PERFMON, Linux 5.8+, BTF).
    Ebpf,
    /// ptrace: stops the tracee at every traced syscall.
    Ptrace,
}

/// Runs `trace`.
pub fn run(args: Args) -> anyhow::Result<u8> {
    Ok(session::trace::run(&config(args)?)?)
}

/// The session's config from the flags, checking what clap cannot.
fn config(args: Args) -> anyhow::Result<Config> {
    let target = match (args.command.is_empty(), args.pid.is_empty()) {
        (false, true) => Target::Spawn(args.command),
        (true, false) => Target::Attach(args.pid),
        _ => bail!("trace needs a command to run (trace -- CMD ARGS) or -p PID, not both"),
    };
    let output = match (args.output, args.follow) {
        // strace's meaning: -ff without -o is -f (nothing to split).
        (None, _) => Output::Stderr,
        (Some(file), 2..) => Output::PerThread(file),
        (Some(file), _) => Output::File(file),
    };
    Ok(Config {
        target,
        follow: args.follow > 0,
        output,
        filter: args.expr,
        string_limit: args.string_limit,
        fd_paths: args.fd_paths,
        durations: args.durations,
        timestamps: match args.timestamps {
            0 => TimeFormat::None,
            1 => TimeFormat::Seconds,
            2 => TimeFormat::Micros,
            _ => TimeFormat::Epoch,
        },
        summary: args.summary,
        verbose: args.verbose,
        quiet: args.quiet,
        json: args.json,
        seccomp_bpf: !args.no_seccomp_bpf,
        stacks: args.stacks,
        stack_depth: args.stack_depth,
        by: args.by.map(|b| match b {
            By::Caller => Grouping::Caller,
            By::StdlibCaller => Grouping::StdlibCaller,
            By::Package => Grouping::Package,
        }),
        no_runtime: args.no_runtime,
        backend: match args.backend {
            Backend::Auto => BackendChoice::Auto,
            Backend::Ebpf => BackendChoice::Ebpf,
            Backend::Ptrace => BackendChoice::Ptrace,
        },
        ebpf_ring_size: args.ebpf_ring_size,
    })
}
