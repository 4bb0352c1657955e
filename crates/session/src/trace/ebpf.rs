//! The eBPF backend for a trace: whether to take it (`--backend auto`
//! takes it when the kernel and privileges allow and says in one line why
//! not otherwise) and its options. It feeds the same sink as ptrace.

use super::sink::TraceSink;
use super::{start, BackendChoice, Config, Target};
use crate::Error;
use tracer::ebpf::{EbpfTracer, Options};

/// Default ring buffer: 32 MiB.
const RING_SIZE: usize = 32 << 20;

/// Whether to use eBPF; an explicit `--backend ebpf` that cannot work is
/// an error, `auto` falls back with a note.
pub(crate) fn chosen(config: &Config) -> Result<bool, Error> {
    // `-y` resolves descriptors through /proc when the line is printed;
    // with events read after the fact that could name a later file that
    // took the same number.
    let why_not = if config.fd_paths {
        Err(
            "-y needs each descriptor's path as the call ran, which the eBPF backend does not copy"
                .to_string(),
        )
    } else {
        tracer::ebpf::available()
    };
    match config.backend {
        BackendChoice::Ptrace => Ok(false),
        BackendChoice::Ebpf => match why_not {
            Ok(()) => Ok(true),
            Err(why) => Err(Error::Usage(format!("--backend ebpf: {why}"))),
        },
        BackendChoice::Auto => match why_not {
            Ok(()) => Ok(true),
            Err(why) => {
                if config.quiet == 0 && !config.json {
                    super::streams::stderr_note(&render::notes::ptrace_fallback(&why));
                }
                Ok(false)
            }
        },
    }
}

/// Runs the trace on the eBPF backend.
pub(crate) fn run(
    config: &Config,
    sink: &mut TraceSink,
    selected: Option<Vec<u64>>,
    table: &syscalls::Table,
) -> Result<u8, Error> {
    let opts = Options {
        follow: config.follow,
        wanted: selected,
        names: table.iter().map(|s| (s.nr, s.name)).collect(),
        string_limit: config.string_limit,
        stack_depth: sink.stacks.as_ref().map_or(0, |s| s.capture_depth()),
        timing: sink.timing || sink.stamps,
        ring_size: match config.ebpf_ring_size {
            None => RING_SIZE,
            Some(n) if (4096..=1 << 30).contains(&n) => n,
            Some(n) => {
                return Err(Error::Usage(format!(
                    "--ebpf-ring-size {n}: give 4096 bytes to 1 GiB"
                )))
            }
        },
    };
    let mut t = start(
        config,
        sink,
        |pids| EbpfTracer::attach(pids, &opts),
        |program, rest| EbpfTracer::spawn(program, rest, &opts),
    )?;
    let code = super::drive(&mut t, sink, matches!(config.target, Target::Attach(_)))?;
    let lost = t.lost();
    if lost > 0 {
        super::streams::stderr_note(&render::notes::events_lost(lost, t.events()));
    }
    Ok(code)
}
