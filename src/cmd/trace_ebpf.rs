//! `trace --backend ebpf`: the same [`Output`] sink as the ptrace path,
//! fed by `tracer::ebpf`, which traces in the kernel without stopping the
//! tracee. `--backend auto` (the default) takes this path when the kernel
//! and privileges allow and says in one line why not otherwise.

use super::{Args, Output, Tracing};
use tracer::ebpf::{EbpfTracer, Options};
use tracer::Outcome;

impl Tracing for EbpfTracer {
    fn run(&mut self, out: &mut Output) -> Result<Outcome, tracer::Error> {
        EbpfTracer::run(self, out)
    }
    fn detach_all(&mut self, out: &mut Output) -> Result<(), tracer::Error> {
        EbpfTracer::detach_all(self, out);
        Ok(())
    }
    fn signal_main(&self, signal: i32) {
        EbpfTracer::signal_main(self, signal)
    }
    fn tracee_count(&self) -> usize {
        EbpfTracer::tracee_count(self)
    }
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

/// Whether to use eBPF; an explicit `--backend ebpf` that cannot work is
/// an error, `auto` falls back with a note.
pub fn chosen(args: &Args) -> anyhow::Result<bool> {
    // `-y` resolves descriptors through /proc when the line is printed;
    // with events read after the fact that could name a later file that
    // took the same number.
    let why_not = if args.fd_paths {
        Err(
            "-y needs each descriptor's path as the call ran, which the eBPF backend does not copy"
                .to_string(),
        )
    } else {
        tracer::ebpf::available()
    };
    match args.backend {
        Backend::Ptrace => Ok(false),
        Backend::Ebpf => match why_not {
            Ok(()) => Ok(true),
            Err(why) => anyhow::bail!("--backend ebpf: {why}"),
        },
        Backend::Auto => match why_not {
            Ok(()) => Ok(true),
            Err(why) => {
                if args.quiet == 0 && !args.json {
                    eprintln!("rabbithole: tracing with ptrace: {why}");
                }
                Ok(false)
            }
        },
    }
}

/// Runs the trace on the eBPF backend.
pub fn run(
    args: &Args,
    out: &mut Output,
    selected: Option<Vec<u64>>,
    table: &syscalls::Table,
) -> anyhow::Result<u8> {
    let stack_depth = match &out.stacks {
        Some(_) if args.by.is_some() || args.no_runtime => 64,
        Some(_) => args.stack_depth.clamp(1, 64),
        None => 0,
    };
    let opts = Options {
        follow: args.follow > 0,
        wanted: selected,
        names: table.iter().map(|s| (s.nr, s.name)).collect(),
        string_limit: args.string_limit,
        stack_depth,
        timing: out.timing || out.stamps,
        ring_size: match args.ebpf_ring_size {
            None => 32 << 20,
            Some(n) if (4096..=1 << 30).contains(&n) => n,
            Some(n) => anyhow::bail!("--ebpf-ring-size {n}: give 4096 bytes to 1 GiB"),
        },
    };
    let mut t = super::start(
        args,
        out,
        |pids| EbpfTracer::attach(pids, &opts),
        |program, rest| EbpfTracer::spawn(program, rest, &opts),
    )?;
    let code = super::drive(&mut t, out, !args.pid.is_empty())?;
    let lost = t.lost();
    if lost > 0 {
        eprintln!(
            "rabbithole: {lost} events lost: the ring buffer was full ({} events shown; \
             a larger --ebpf-ring-size or --backend ptrace loses none)",
            t.events()
        );
    }
    Ok(code)
}
