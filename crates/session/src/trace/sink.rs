//! The trace's [`Sink`]: the tracer pushes every event here; it is
//! filtered, decoded with `syscalls`, and printed with `render` (strace
//! text or JSON Lines) or counted for `-c`.

use super::filter::Wanted;
use super::stacks::{Stacks, Verdict};
use super::streams::Streams;
use super::tally::Tally;
use super::threads::{InCall, TidMap};
use super::Config;
use crate::memory::ThreadMemory;
use crate::Error;
use model::syscall::{Call, ProcessExit, Ret, Signal};
use render::strace::{LineOptions, PidPrefix, TimeFormat};
use render::trace_json::Origin;
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use syscalls::Context;
use tracer::{Birth, Control, ExitKind, SignalInfo, Sink, SyscallEntry, SyscallExit, Thread};

/// Decodes, filters and prints every event of one trace.
pub(crate) struct TraceSink {
    wanted: Wanted,
    /// -k, --by, --no-runtime.
    pub(crate) stacks: Option<Stacks>,
    arch: model::Arch,
    decode: syscalls::Options,
    fd_paths: bool,
    quiet: u8,
    json: bool,
    summary: bool,
    /// Event times are taken (for -T, -c and JSON).
    pub(crate) timing: bool,
    /// Wall-clock stamps are taken (for -t and JSON).
    pub(crate) stamps: bool,
    pub(crate) streams: Streams,
    calls: TidMap<InCall>,
    tally: Tally,
    /// Wall-clock time minus CLOCK_MONOTONIC, to turn kernel event times
    /// into `-t` stamps.
    epoch_offset: Duration,
}

impl TraceSink {
    pub(crate) fn new(
        config: &Config,
        arch: model::Arch,
        wanted: Wanted,
    ) -> Result<TraceSink, Error> {
        let time = config.timestamps;
        let line = LineOptions {
            prefix: PidPrefix::None,
            time,
            durations: config.durations,
            utc_offset_secs: if matches!(time, TimeFormat::Seconds | TimeFormat::Micros) {
                tracer::clock::utc_offset_secs()
            } else {
                0
            },
        };
        let quiet_notes = config.quiet > 0 || config.json;
        Ok(TraceSink {
            wanted,
            stacks: Stacks::new(
                config.stacks,
                config.stack_depth,
                config.by,
                config.no_runtime,
            ),
            arch,
            decode: syscalls::Options {
                string_limit: config.string_limit,
                verbose: config.verbose,
            },
            fd_paths: config.fd_paths,
            quiet: config.quiet,
            json: config.json,
            summary: config.summary,
            timing: config.durations || config.summary || config.json,
            stamps: time != TimeFormat::None || config.json,
            streams: Streams::open(&config.output, config.follow, line, quiet_notes)?,
            calls: TidMap::default(),
            tally: Tally::default(),
            epoch_offset: SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .unwrap_or_default()
                .saturating_sub(tracer::clock::monotonic()),
        })
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

    fn ctx<'a>(
        &'a self,
        mem: &'a ThreadMemory<'a>,
        resolver: Option<syscalls::FdResolver<'a>>,
    ) -> Context<'a> {
        Context {
            arch: self.arch,
            mem,
            opts: &self.decode,
            fd_path: resolver,
        }
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
        let error = matches!(call.ret, Some(Ret::Error { .. }));
        if self.summary {
            self.tally.add(call, error, took);
            if let Some(st) = self.stacks.as_mut() {
                st.count(tid, &call.name, error, took);
            }
            return;
        }
        if self.json {
            let stack = self.stacks.as_mut().and_then(|s| s.for_json(tid));
            let label = stack.as_ref().map(|(c, _)| c.goroutine());
            let origin = Origin { at, pid, tid };
            self.streams.emit_json(tid, |out| {
                let view = stack
                    .as_ref()
                    .zip(label.as_deref())
                    .map(|((c, depth), l)| (c.view(l), *depth));
                let view = view.as_ref().map(|(v, d)| (v, *d));
                render::trace_json::syscall(out, origin, call, took, view)
            });
            return;
        }
        let deco = self.stacks.as_mut().and_then(|st| st.decoration(tid));
        self.streams.emit(tid, |p, out| {
            p.exit_to(out, tid, call, at, took);
            if let Some(d) = &deco {
                d.append(out);
            }
        });
    }

    fn signal_event(&mut self, tid: i32, pid: i32, sig: &Signal) {
        if self.summary {
            return;
        }
        if self.json {
            let origin = now_at(pid, tid);
            self.streams
                .emit_json(tid, |out| render::trace_json::signal(out, origin, sig));
            return;
        }
        let at = self.now();
        self.streams.print(tid, |p| p.signal(tid, sig, at));
    }

    /// Ends the trace: the `-c` table, the last open line, the flushes.
    pub(crate) fn finish(&mut self) -> Result<(), Error> {
        if self.summary {
            let text = match self.stacks.as_ref().and_then(Stacks::summary) {
                Some(grouped) => grouped,
                None => render::strace::format_summary(&self.tally.rows()),
            };
            self.streams.put(0, &text);
        }
        self.streams.finish()
    }
}

/// Signals and exits carry the time they are printed: the tracer does
/// not time them.
fn now_at(pid: i32, tid: i32) -> Origin {
    Origin {
        at: Some(SystemTime::now()),
        pid,
        tid,
    }
}

fn fd_link(pid: i32, fd: i32) -> Option<String> {
    std::fs::read_link(format!("/proc/{pid}/fd/{fd}"))
        .ok()
        .map(|p| p.to_string_lossy().into_owned())
}

impl Sink for TraceSink {
    fn syscall_entry(&mut self, thread: &dyn Thread, call: &SyscallEntry) -> Control {
        if !self.wanted.contains(call.nr) {
            return Control::Continue;
        }
        if let Some(st) = self.stacks.as_mut() {
            if st.enter(thread) == Verdict::Hide {
                return Control::Continue;
            }
        }
        let tid = thread.tid();
        let pid = thread.pid();
        let mem = ThreadMemory(thread);
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
            self.streams
                .emit(tid, |p, out| p.entry_to(out, tid, slot.pending.call(), at));
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
                let mem = ThreadMemory(thread);
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
            if st.signal(info.signo) == Verdict::Hide {
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

    fn new_tracee(&mut self, parent: i32, child: i32, child_pid: i32, birth: Birth) {
        if matches!(birth, Birth::Fork | Birth::Vfork) {
            if let (Some(st), Some(parent_pid)) =
                (self.stacks.as_mut(), tracer::proc::thread_group_of(parent))
            {
                st.inherit(parent_pid, child_pid);
            }
        }
        self.streams.live += 1;
        self.streams.note(&render::notes::attached(child));
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
                self.streams
                    .print(tid, |p| p.superseded(tid, former_tid, at));
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
                let origin = now_at(pid, tid);
                self.streams
                    .emit_json(tid, |out| render::trace_json::exit(out, origin, &how));
            } else if self.quiet < 2 || matches!(how, ProcessExit::Killed { .. }) {
                let at = self.now();
                self.streams.print(tid, |p| p.exited(tid, &how, at));
            }
        }
        self.streams.live = self.streams.live.saturating_sub(1);
        self.streams.close_thread(tid);
    }

    fn process_ready(&mut self, pid: i32) {
        if let Some(st) = self.stacks.as_mut() {
            st.preload(pid);
        }
    }

    fn detached(&mut self, tid: i32, _pid: i32) {
        self.calls.remove(&tid);
        self.streams.live = self.streams.live.saturating_sub(1);
        self.streams.note(&render::notes::detached(tid));
    }
}
