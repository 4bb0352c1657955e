//! `rabbithole trace`: strace-style live tracing. The tracer crate drives
//! ptrace and pushes events into the [`Output`] sink below, which decodes
//! them with the `syscalls` crate and prints them with `render::strace`
//! (text), as JSON Lines (`--json`), or gathers the `-c` summary.

use anyhow::{bail, Context as _};
use model::syscall::{Call, ProcessExit, Ret, Signal, SummaryRow};
use render::strace::{LineOptions, PidPrefix, Printer, TimeFormat};
use serde::Serialize;
use std::collections::HashMap;
use std::ffi::OsString;
use std::fs::File;
use std::io::{BufWriter, IsTerminal, Write};
use std::path::PathBuf;
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use syscalls::{Context, Memory, Pending};
#[path = "trace_ebpf.rs"]
mod ebpf;
#[path = "trace_stacks.rs"]
mod stacks;

use tracer::{
    Birth, Control, ExitKind, Outcome, SeccompFilter, SignalInfo, Sink, SyscallEntry, SyscallExit,
    Thread, Tracer,
};

/// Arguments of `trace`.
#[derive(clap::Args)]
pub struct Args {
    /// Follow threads and child processes; twice (-ff) with -o writes one
    /// file per thread, FILE.TID. Go programs always run several threads:
    /// without -f most of their syscalls are not seen
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
    /// With -c: count syscalls per calling function or package (the first
    /// frame outside runtime, syscall and x/sys)
    #[arg(long, value_enum, value_name = "WHAT", requires = "summary")]
    pub by: Option<stacks::By>,
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
    #[arg(long, value_enum, default_value_t = ebpf::Backend::Auto)]
    pub backend: ebpf::Backend,
    /// eBPF ring buffer size in bytes, rounded up to a power of two
    /// (default 32 MiB; events that do not fit are counted as lost)
    #[arg(long, value_name = "BYTES")]
    pub ebpf_ring_size: Option<usize>,
    /// The command to run and its arguments
    #[arg(
        trailing_var_arg = true,
        allow_hyphen_values = true,
        value_name = "CMD"
    )]
    pub command: Vec<OsString>,
}

/// Runs `trace`.
pub fn run(args: Args) -> anyhow::Result<u8> {
    if args.command.is_empty() == args.pid.is_empty() {
        bail!("trace needs a command to run (trace -- CMD ARGS) or -p PID, not both");
    }
    if args.follow >= 2 && args.output.is_none() {
        bail!("-ff needs -o FILE (it writes FILE.TID per thread)");
    }
    let arch = tracer::native_arch();
    let table = syscalls::table(arch).context("no syscall table for this architecture")?;
    let selected = match trace_expr(&args.expr)? {
        Some(expr) => Some(syscalls::parse_trace_set(arch, &expr)?),
        None => None,
    };
    let mut wanted = vec![selected.is_none(); 1024];
    if let Some(set) = &selected {
        for &nr in set {
            if let Some(w) = usize::try_from(nr).ok().and_then(|i| wanted.get_mut(i)) {
                *w = true;
            }
        }
    }
    let follow = args.follow > 0;
    if ebpf::chosen(&args)? {
        let mut out = Output::new(&args, wanted)?;
        tracer::interrupt::install(&[
            libc_sig::INT,
            libc_sig::TERM,
            libc_sig::HUP,
            libc_sig::QUIT,
        ])?;
        let set = selected.map(|s| s.into_iter().collect());
        return ebpf::run(&args, &mut out, set, table);
    }
    let seccomp = match &selected {
        Some(set) if follow && !args.no_seccomp_bpf && args.pid.is_empty() => {
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
        follow_forks: follow,
        seccomp,
    };

    let mut out = Output::new(&args, wanted)?;
    tracer::interrupt::install(&[libc_sig::INT, libc_sig::TERM, libc_sig::HUP, libc_sig::QUIT])?;
    let mut t = start(
        &args,
        &mut out,
        |pids| Tracer::attach(pids, &opts),
        |program, rest| Tracer::spawn(program, rest, &opts),
    )?;
    drive(&mut t, &mut out, !args.pid.is_empty())
}

/// What the trace loop needs of a backend (ptrace or eBPF).
trait Tracing {
    fn run(&mut self, out: &mut Output) -> Result<Outcome, tracer::Error>;
    /// Stops tracing `-p` processes, which keep running.
    fn detach_all(&mut self, out: &mut Output) -> Result<(), tracer::Error>;
    /// Passes a signal rabbithole received on to the spawned command.
    fn signal_main(&self, signal: i32);
    fn tracee_count(&self) -> usize;
}

impl Tracing for Tracer {
    fn run(&mut self, out: &mut Output) -> Result<Outcome, tracer::Error> {
        Tracer::run(self, out)
    }
    fn detach_all(&mut self, out: &mut Output) -> Result<(), tracer::Error> {
        Tracer::detach_all(self, out)
    }
    fn signal_main(&self, signal: i32) {
        Tracer::signal_main(self, signal)
    }
    fn tracee_count(&self) -> usize {
        Tracer::tracee_count(self)
    }
}

/// Attaches to `-p` processes (noting each) or spawns the command.
fn start<B>(
    args: &Args,
    out: &mut Output,
    attach: impl FnOnce(&[i32]) -> Result<B, tracer::Error>,
    spawn: impl FnOnce(&std::ffi::OsStr, &[OsString]) -> Result<B, tracer::Error>,
) -> anyhow::Result<B> {
    if args.pid.is_empty() {
        let (program, rest) = args
            .command
            .split_first()
            .expect("command checked non-empty");
        return Ok(spawn(program, rest)?);
    }
    let t = attach(&args.pid)?;
    for pid in &args.pid {
        out.note(&format!("Process {pid} attached"));
    }
    Ok(t)
}

/// Runs the trace to its end: the command's exit code (shell style), 0
/// after Ctrl-C detached from `-p` processes.
fn drive(t: &mut dyn Tracing, out: &mut Output, attach: bool) -> anyhow::Result<u8> {
    out.live = t.tracee_count();
    let code = loop {
        match t.run(out)? {
            Outcome::Finished(how) => break how.map_or(0, ExitKind::shell_code),
            Outcome::Paused(_) => continue,
            Outcome::Interrupted(r) => {
                if attach {
                    t.detach_all(out)?;
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
    out.finish()?;
    if let Some(note) = out.stacks.as_ref().and_then(|s| s.hidden_note()) {
        eprintln!("rabbithole: {note}");
    }
    Ok(code)
}

/// The few signal numbers the command line handles, without libc.
mod libc_sig {
    pub const HUP: i32 = 1;
    pub const INT: i32 = 2;
    pub const QUIT: i32 = 3;
    pub const TERM: i32 = 15;
}

/// Combines `-e` options: only `trace=` (or a bare list) is supported.
fn trace_expr(exprs: &[String]) -> anyhow::Result<Option<String>> {
    let mut found = None;
    for e in exprs {
        let value = match e.split_once('=') {
            Some(("trace", v)) => v,
            Some((kind, _)) => bail!("-e {kind}=... is not supported (only trace=)"),
            None => e.as_str(),
        };
        found = Some(value.to_string());
    }
    Ok(found)
}

/// Reads tracee memory for the decoders.
struct Mem<'a>(&'a dyn Thread);

impl Memory for Mem<'_> {
    fn read(&self, addr: u64, buf: &mut [u8]) -> usize {
        self.0.read_memory(addr, buf).unwrap_or(0)
    }
}

/// Per-thread state between a syscall's entry and exit. A thread keeps
/// its slot from call to call, so decoding reuses its buffers and moves
/// nothing; `active` says whether a call is in progress.
struct InCall {
    pending: Pending,
    /// CLOCK_MONOTONIC at entry, for -T and -c.
    started: Option<Duration>,
    at: Option<SystemTime>,
    active: bool,
}

impl InCall {
    fn idle() -> InCall {
        InCall {
            pending: Pending::default(),
            started: None,
            at: None,
            active: false,
        }
    }
}

/// Where lines go: one stream (stderr or -o FILE) or, with -ff, one file
/// per thread, each with its own open-line state.
struct Stream {
    w: BufWriter<Box<dyn Write>>,
    printer: Printer,
    flush_each: bool,
    /// Text of the event being printed, reused so that a line costs no
    /// allocation (the eBPF backend must keep up with its ring buffer).
    buf: Vec<u8>,
}

impl Stream {
    fn new(w: BufWriter<Box<dyn Write>>, printer: Printer, flush_each: bool) -> Stream {
        Stream {
            w,
            printer,
            flush_each,
            buf: Vec::with_capacity(256),
        }
    }

    /// Writes and empties `buf`.
    fn put_buf(&mut self) -> std::io::Result<()> {
        let r = self.put_bytes();
        self.buf.clear();
        r
    }

    fn put_bytes(&mut self) -> std::io::Result<()> {
        self.w.write_all(&self.buf)?;
        if self.flush_each && self.buf.ends_with(b"\n") {
            self.w.flush()?;
        }
        Ok(())
    }

    fn put(&mut self, text: &str) -> std::io::Result<()> {
        self.w.write_all(text.as_bytes())?;
        if self.flush_each && text.ends_with('\n') {
            self.w.flush()?;
        }
        Ok(())
    }
}

/// Maps keyed by thread id, looked up twice per syscall: SipHash's
/// resistance to chosen keys buys nothing for kernel-assigned ids, a
/// multiply-rotate hash is several times cheaper.
type TidMap<V> = HashMap<i32, V, std::hash::BuildHasherDefault<TidHasher>>;

#[derive(Default, Clone, Copy)]
struct TidHasher(u64);

impl TidHasher {
    fn mix(&mut self, v: u64) {
        self.0 = (self.0.rotate_left(5) ^ v).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
}

impl std::hash::Hasher for TidHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.mix(u64::from(b));
        }
    }

    fn write_i32(&mut self, v: i32) {
        self.mix(u64::from(v as u32));
    }
}

#[derive(Default)]
struct Tally {
    calls: u64,
    errors: u64,
    time: Duration,
}

/// The sink: decodes, filters and prints every event.
struct Output {
    wanted: Vec<bool>,
    /// Whether numbers beyond `wanted` are traced (no `-e trace=` set).
    wanted_rest: bool,
    /// -k, --by, --no-runtime.
    stacks: Option<stacks::Stacks>,
    arch: model::Arch,
    decode: syscalls::Options,
    fd_paths: bool,
    line: LineOptions,
    quiet: u8,
    json: bool,
    summary: bool,
    timing: bool,
    stamps: bool,
    per_thread_files: Option<PathBuf>,
    bare_prefix: bool,
    main: Option<Stream>,
    files: TidMap<Stream>,
    calls: TidMap<InCall>,
    tally: HashMap<std::borrow::Cow<'static, str>, Tally>,
    /// Threads currently traced, for strace's `[pid N]` rule.
    live: usize,
    error: Option<std::io::Error>,
    /// The trace shares stderr with rabbithole's own notes.
    to_stderr: bool,
    /// Wall-clock time minus CLOCK_MONOTONIC, to turn kernel event times
    /// into `-t` stamps.
    epoch_offset: Duration,
}

impl Output {
    fn new(args: &Args, wanted: Vec<bool>) -> anyhow::Result<Output> {
        let time = match args.timestamps {
            0 => TimeFormat::None,
            1 => TimeFormat::Seconds,
            2 => TimeFormat::Micros,
            _ => TimeFormat::Epoch,
        };
        let per_thread_files = (args.follow >= 2).then(|| args.output.clone()).flatten();
        let main = if per_thread_files.is_some() {
            None
        } else {
            let (w, flush_each): (Box<dyn Write>, bool) = match &args.output {
                Some(path) => (
                    Box::new(
                        File::create(path)
                            .with_context(|| format!("cannot create {}", path.display()))?,
                    ),
                    false,
                ),
                None => (Box::new(std::io::stderr()), std::io::stderr().is_terminal()),
            };
            Some(Stream::new(
                BufWriter::with_capacity(1 << 16, w),
                Printer::default(),
                flush_each,
            ))
        };
        Ok(Output {
            wanted_rest: wanted.iter().all(|w| *w),
            wanted,
            stacks: stacks::Stacks::new(args.stacks, args.stack_depth, args.by, args.no_runtime),
            arch: tracer::native_arch(),
            decode: syscalls::Options {
                string_limit: args.string_limit,
                verbose: args.verbose,
            },
            fd_paths: args.fd_paths,
            line: LineOptions {
                prefix: PidPrefix::None,
                time,
                durations: args.durations,
                utc_offset_secs: if matches!(time, TimeFormat::Seconds | TimeFormat::Micros) {
                    tracer::clock::utc_offset_secs()
                } else {
                    0
                },
            },
            quiet: args.quiet,
            json: args.json,
            summary: args.summary,
            timing: args.durations || args.summary || args.json,
            stamps: time != TimeFormat::None || args.json,
            per_thread_files,
            bare_prefix: args.follow == 1 && args.output.is_some(),
            main,
            files: TidMap::default(),
            calls: TidMap::default(),
            tally: HashMap::new(),
            live: 0,
            error: None,
            to_stderr: args.output.is_none(),
            epoch_offset: SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .unwrap_or_default()
                .saturating_sub(tracer::clock::monotonic()),
        })
    }

    /// The stream for `tid`, with strace's prefix rule applied.
    fn stream(&mut self, tid: i32) -> Option<&mut Stream> {
        let prefix = self.stream_prefix();
        let line = LineOptions {
            prefix,
            ..self.line
        };
        if let Some(base) = &self.per_thread_files {
            if let std::collections::hash_map::Entry::Vacant(slot) = self.files.entry(tid) {
                let mut name = base.clone().into_os_string();
                name.push(format!(".{tid}"));
                match File::create(&name) {
                    Ok(f) => {
                        slot.insert(Stream::new(
                            BufWriter::new(Box::new(f)),
                            Printer::new(line),
                            false,
                        ));
                    }
                    Err(e) => {
                        self.error.get_or_insert(e);
                        return None;
                    }
                }
            }
            return self.files.get_mut(&tid);
        }
        let s = self.main.as_mut()?;
        // Written only when it changes (it is the same for nearly every
        // event, and this runs twice per syscall).
        if s.printer.opts != line {
            s.printer.opts = line;
        }
        Some(s)
    }

    /// Lets `render` append to the stream's reused buffer, then writes it.
    fn emit(&mut self, tid: i32, render: impl FnOnce(&mut Printer, &mut Vec<u8>)) {
        let Some(s) = self.stream(tid) else {
            return;
        };
        s.buf.clear();
        render(&mut s.printer, &mut s.buf);
        if let Err(e) = s.put_buf() {
            self.error.get_or_insert(e);
        }
    }

    fn put(&mut self, tid: i32, text: &str) {
        if text.is_empty() {
            return;
        }
        if let Some(s) = self.stream(tid) {
            if let Err(e) = s.put(text) {
                self.error.get_or_insert(e);
            }
        }
    }

    /// A note about the tracer itself (attach, detach), on stderr like
    /// strace's own messages. An open line is not closed (strace prints
    /// the note in the middle of it); buffered trace text on stderr goes
    /// out first so the order stays right.
    fn note(&mut self, text: &str) {
        if self.quiet > 0 || self.json {
            return;
        }
        if self.to_stderr {
            if let Some(s) = self.main.as_mut() {
                let _ = s.w.flush();
            }
        }
        eprintln!("rabbithole: {text}");
    }

    /// The `[pid N] ` or `N ` prefix a line for `tid` gets now.
    fn prefix(&self, tid: i32) -> String {
        match self.stream_prefix() {
            PidPrefix::None => String::new(),
            PidPrefix::Bare => format!("{tid:<5} "),
            PidPrefix::Bracket => format!("[pid {tid:>5}] "),
        }
    }

    fn stream_prefix(&self) -> PidPrefix {
        if self.bare_prefix {
            PidPrefix::Bare
        } else if self.per_thread_files.is_none() && self.live > 1 {
            PidPrefix::Bracket
        } else {
            PidPrefix::None
        }
    }

    fn is_wanted(&self, nr: u64) -> bool {
        usize::try_from(nr)
            .ok()
            .and_then(|i| self.wanted.get(i))
            .copied()
            .unwrap_or(self.wanted_rest)
    }

    fn now(&self) -> Option<SystemTime> {
        self.stamps.then(SystemTime::now)
    }

    /// The wall-clock time of `thread`'s event: when the backend saw it
    /// happen (eBPF: in the kernel), else now.
    fn event_at(&self, thread: &dyn Thread) -> Option<SystemTime> {
        if !self.stamps {
            return None;
        }
        Some(match thread.event_time() {
            Some(mono) => UNIX_EPOCH + self.epoch_offset + mono,
            None => SystemTime::now(),
        })
    }

    /// The monotonic time of `thread`'s event, for durations.
    fn event_clock(&self, thread: &dyn Thread) -> Option<Duration> {
        self.timing
            .then(|| thread.event_time().unwrap_or_else(tracer::clock::monotonic))
    }

    /// Prints (or tallies) a finished call.
    fn finished(
        &mut self,
        tid: i32,
        pid: i32,
        call: &Call,
        at: Option<SystemTime>,
        took: Option<Duration>,
    ) {
        if self.summary {
            let t = self.tally.entry(call.name.clone()).or_default();
            t.calls += 1;
            if matches!(call.ret, Some(Ret::Error { .. })) {
                t.errors += 1;
            }
            t.time += took.unwrap_or_default();
            if let Some(st) = self.stacks.as_mut() {
                st.count(
                    tid,
                    &call.name,
                    matches!(call.ret, Some(Ret::Error { .. })),
                    took,
                );
            }
            return;
        }
        if self.json {
            let (ret, errno) = match &call.ret {
                Some(Ret::Error { errno, name, .. }) => {
                    (Some(-i64::from(*errno)), Some(name.as_ref()))
                }
                Some(Ret::Value { value, .. }) => (arg_number(value), None),
                _ => (None, None),
            };
            let ev = JsonSyscall {
                event: "syscall",
                time: epoch_secs(at),
                pid,
                tid,
                syscall: &call.name,
                nr: call.nr,
                args: &call.args,
                text: render::strace::format_args(call),
                ret,
                errno,
                ret_text: call.ret.as_ref().map(render::strace::format_ret),
                duration: took.map(|d| d.as_secs_f64()),
                stack: self.stacks.as_mut().and_then(|s| s.json(tid)),
            };
            self.json_line(tid, &ev);
            return;
        }
        let deco = self.stacks.as_mut().and_then(|st| st.decoration(tid));
        self.emit(tid, |p, out| {
            p.exit_to(out, tid, call, at, took);
            if let Some(d) = &deco {
                d.append(out);
            }
        });
    }

    /// One JSON object and a newline, serialized straight into the
    /// stream's reused buffer.
    fn json_line<T: Serialize>(&mut self, tid: i32, ev: &T) {
        let Some(s) = self.stream(tid) else {
            return;
        };
        s.buf.clear();
        let r = match serde_json::to_writer(&mut s.buf, ev) {
            Ok(()) => {
                s.buf.push(b'\n');
                s.put_buf()
            }
            Err(e) => {
                s.buf.clear();
                Err(std::io::Error::other(e))
            }
        };
        if let Err(e) = r {
            self.error.get_or_insert(e);
        }
    }

    fn finish(&mut self) -> anyhow::Result<()> {
        if self.summary {
            let rows: Vec<SummaryRow> = self
                .tally
                .iter()
                .map(|(name, t)| SummaryRow {
                    name: name.to_string(),
                    calls: t.calls,
                    errors: t.errors,
                    seconds: t.time.as_secs_f64(),
                })
                .collect();
            let text = match self.stacks.as_ref().filter(|s| s.grouped()) {
                Some(st) => st.summary(),
                None => render::strace::format_summary(&rows),
            };
            self.put(0, &text);
        }
        if let Some(s) = self.main.as_mut() {
            let close = s.printer.flush();
            s.w.write_all(close.as_bytes())?;
            s.w.flush()?;
        }
        for s in self.files.values_mut() {
            s.w.flush()?;
        }
        match self.error.take() {
            Some(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
                Err(anyhow::Error::new(e).context("writing the trace"))
            }
            _ => Ok(()),
        }
    }
}

fn arg_number(a: &model::syscall::Arg) -> Option<i64> {
    use model::syscall::Arg;
    match a {
        Arg::Int(v) => Some(*v),
        Arg::UInt(v) | Arg::Hex(v) | Arg::Ptr(v) | Arg::Oct(v) => Some(*v as i64),
        Arg::Fd { fd, .. } => Some(i64::from(*fd)),
        _ => None,
    }
}

fn epoch_secs(at: Option<SystemTime>) -> Option<f64> {
    at.and_then(|t| t.duration_since(UNIX_EPOCH).ok())
        .map(|d| d.as_secs_f64())
}

#[derive(Serialize)]
struct JsonSyscall<'a> {
    event: &'static str,
    time: Option<f64>,
    pid: i32,
    tid: i32,
    syscall: &'a str,
    nr: u64,
    args: &'a [model::syscall::Arg],
    text: String,
    ret: Option<i64>,
    errno: Option<&'a str>,
    ret_text: Option<String>,
    duration: Option<f64>,
    #[serde(flatten)]
    stack: Option<stacks::JsonStack>,
}

#[derive(Serialize)]
struct JsonSignal<'a> {
    event: &'static str,
    time: Option<f64>,
    pid: i32,
    tid: i32,
    signal: &'a str,
    stopped: bool,
    info: Option<&'a model::syscall::Arg>,
    text: String,
}

#[derive(Serialize)]
struct JsonExit<'a> {
    event: &'static str,
    time: Option<f64>,
    pid: i32,
    tid: i32,
    #[serde(flatten)]
    how: &'a ProcessExit,
}

impl Output {
    fn ctx<'a>(
        &'a self,
        mem: &'a Mem<'a>,
        resolver: Option<syscalls::FdResolver<'a>>,
    ) -> Context<'a> {
        Context {
            arch: self.arch,
            mem,
            opts: &self.decode,
            fd_path: resolver,
        }
    }

    fn signal_event(&mut self, tid: i32, pid: i32, sig: &Signal) {
        if self.summary {
            return;
        }
        if self.json {
            let text = format!(
                "--- {} {}---",
                sig.name,
                sig.info
                    .as_ref()
                    .map(|i| render::strace::format_arg(i) + " ")
                    .unwrap_or_default()
            );
            let ev = JsonSignal {
                event: "signal",
                time: epoch_secs(Some(SystemTime::now())),
                pid,
                tid,
                signal: &sig.name,
                stopped: sig.stopped,
                info: sig.info.as_ref(),
                text,
            };
            self.json_line(tid, &ev);
            return;
        }
        let at = self.now();
        let text = match self.stream(tid) {
            Some(s) => s.printer.signal(tid, sig, at),
            None => return,
        };
        self.put(tid, &text);
    }
}

fn fd_link(pid: i32, fd: i32) -> Option<String> {
    std::fs::read_link(format!("/proc/{pid}/fd/{fd}"))
        .ok()
        .map(|p| p.to_string_lossy().into_owned())
}

impl Sink for Output {
    fn syscall_entry(&mut self, thread: &dyn Thread, call: &SyscallEntry) -> Control {
        if !self.is_wanted(call.nr) {
            return Control::Continue;
        }
        if let Some(st) = self.stacks.as_mut() {
            if st.enter(thread) == stacks::Verdict::Hide {
                return Control::Continue;
            }
        }
        let tid = thread.tid();
        let pid = thread.pid();
        let mem = Mem(thread);
        let resolve = move |fd: i32| fd_link(pid, fd);
        let resolver: Option<syscalls::FdResolver<'_>> = self.fd_paths.then_some(&resolve);
        let entry = syscalls::Entry {
            nr: call.nr,
            args: call.args,
            sp: call.sp,
        };
        // The map is taken out while the call in it is printed.
        let mut calls = std::mem::take(&mut self.calls);
        let slot = calls.entry(tid).or_insert_with(InCall::idle);
        syscalls::decode_entry_into(&self.ctx(&mem, resolver), &entry, &mut slot.pending);
        let at = self.event_at(thread);
        if !self.summary && !self.json {
            self.emit(tid, |p, out| p.entry_to(out, tid, slot.pending.call(), at));
        }
        slot.started = self.event_clock(thread);
        slot.at = at;
        slot.active = true;
        self.calls = calls;
        Control::Continue
    }

    fn syscall_exit(&mut self, thread: &dyn Thread, call: &SyscallExit) -> Control {
        let tid = thread.tid();
        let mut calls = std::mem::take(&mut self.calls);
        if let Some(c) = calls.get_mut(&tid).filter(|c| c.active) {
            c.active = false;
            if call.entry.map(|e| e.nr) == Some(c.pending.entry().nr) {
                let pid = thread.pid();
                let took = c
                    .started
                    .zip(self.event_clock(thread))
                    .map(|(s, e)| e.saturating_sub(s));
                let mem = Mem(thread);
                let resolve = move |fd: i32| fd_link(pid, fd);
                let resolver: Option<syscalls::FdResolver<'_>> = self.fd_paths.then_some(&resolve);
                let ctx = self.ctx(&mem, resolver);
                syscalls::decode_exit_in_place(&ctx, &mut c.pending, call.rval);
                self.finished(tid, pid, c.pending.call(), c.at, took);
            }
        }
        self.calls = calls;
        Control::Continue
    }

    fn signal(&mut self, thread: &dyn Thread, info: &SignalInfo) -> Control {
        if let Some(st) = self.stacks.as_mut() {
            if st.signal(info.signo) == stacks::Verdict::Hide {
                return Control::Continue;
            }
        }
        let sig = syscalls::decode_siginfo(self.arch, &info.raw);
        self.signal_event(thread.tid(), thread.pid(), &sig);
        Control::Continue
    }

    fn group_stop(&mut self, tid: i32, pid: i32, signal: i32) {
        let sig = Signal {
            signo: signal,
            name: syscalls::signal_name(signal),
            info: None,
            stopped: true,
        };
        self.signal_event(tid, pid, &sig);
    }

    fn new_tracee(&mut self, _parent: i32, child: i32, _child_pid: i32, _birth: Birth) {
        self.live += 1;
        self.note(&format!("Process {child} attached"));
    }

    fn exec(&mut self, thread: &dyn Thread, former_tid: i32) {
        if let Some(st) = self.stacks.as_mut() {
            st.forget(thread.pid());
        }
        let tid = thread.tid();
        if former_tid != tid {
            // The executing thread took the leader's tid; its execve
            // finishes under that tid.
            if let Some(c) = self.calls.remove(&former_tid).filter(|c| c.active) {
                self.calls.insert(tid, c);
            }
            if self.quiet < 2 && !self.json && !self.summary {
                let at = self.now();
                let prefix = self.prefix(tid);
                if let Some(s) = self.stream(tid) {
                    let mut text = s.printer.flush();
                    text.push_str(&prefix);
                    text.push_str(&render::strace::format_time(
                        s.printer.opts.time,
                        at.unwrap_or(UNIX_EPOCH),
                        s.printer.opts.utc_offset_secs,
                    ));
                    text.push_str(&format!(
                        "+++ superseded by execve in pid {former_tid} +++\n"
                    ));
                    self.put(tid, &text);
                }
            }
        }
    }

    fn exited(&mut self, tid: i32, pid: i32, how: ExitKind, _in_syscall: Option<&SyscallEntry>) {
        if let Some(c) = self.calls.remove(&tid).filter(|c| c.active) {
            let took = c
                .started
                .map(|s| tracer::clock::monotonic().saturating_sub(s));
            let call = c.pending.abandon();
            self.finished(tid, pid, &call, c.at, took);
        }
        let how = match how {
            ExitKind::Exited(code) => ProcessExit::Exited { code },
            ExitKind::Killed { signal, core } => ProcessExit::Killed {
                signal: syscalls::signal_name(signal),
                core_dumped: core,
            },
        };
        if !self.summary {
            if self.json {
                let ev = JsonExit {
                    event: "exit",
                    time: epoch_secs(Some(SystemTime::now())),
                    pid,
                    tid,
                    how: &how,
                };
                self.json_line(tid, &ev);
            } else if self.quiet < 2 || matches!(how, ProcessExit::Killed { .. }) {
                let at = self.now();
                if let Some(s) = self.stream(tid) {
                    let text = s.printer.exited(tid, &how, at);
                    self.put(tid, &text);
                }
            }
        }
        self.live = self.live.saturating_sub(1);
        if let Some(mut s) = self.files.remove(&tid) {
            let _ = s.w.flush();
        }
    }

    fn process_ready(&mut self, pid: i32) {
        if let Some(st) = self.stacks.as_mut() {
            st.preload(pid);
        }
    }

    fn detached(&mut self, tid: i32, _pid: i32) {
        self.calls.remove(&tid);
        self.live = self.live.saturating_sub(1);
        self.note(&format!("Process {tid} detached"));
    }
}
