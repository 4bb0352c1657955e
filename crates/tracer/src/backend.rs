//! One interface over both tracers: the ptrace [`Tracer`] and the eBPF
//! [`EbpfTracer`] push the same events into a [`Sink`], so a trace session
//! drives either through [`Backend`] and never asks which one it has.

use crate::ebpf::EbpfTracer;
use crate::{Error, Outcome, Sink, Tracer};

/// What a trace session needs of a tracer, ptrace or eBPF.
pub trait Backend {
    /// Delivers events to `sink` until the trace ends, pauses or is
    /// interrupted.
    fn run(&mut self, sink: &mut dyn Sink) -> Result<Outcome, Error>;
    /// Stops tracing attached (`-p`) processes, which keep running.
    fn detach_all(&mut self, sink: &mut dyn Sink) -> Result<(), Error>;
    /// Passes a signal the tracer itself received on to the spawned command.
    fn signal_main(&self, signal: i32);
    /// Threads traced now.
    fn tracee_count(&self) -> usize;
    /// Kills (SIGKILL) every traced process of a spawned command, the
    /// command and the descendants being traced: the trace is ending
    /// early and nothing it started may go on untraced.
    fn kill_spawned(&self);
}

impl Backend for Tracer {
    fn run(&mut self, sink: &mut dyn Sink) -> Result<Outcome, Error> {
        Tracer::run(self, sink)
    }
    fn detach_all(&mut self, sink: &mut dyn Sink) -> Result<(), Error> {
        Tracer::detach_all(self, sink)
    }
    fn signal_main(&self, signal: i32) {
        Tracer::signal_main(self, signal)
    }
    fn tracee_count(&self) -> usize {
        Tracer::tracee_count(self)
    }
    fn kill_spawned(&self) {
        Tracer::kill_spawned(self)
    }
}

impl Backend for EbpfTracer {
    fn run(&mut self, sink: &mut dyn Sink) -> Result<Outcome, Error> {
        EbpfTracer::run(self, sink)
    }
    fn detach_all(&mut self, sink: &mut dyn Sink) -> Result<(), Error> {
        // The kernel side stops at once; nothing here can fail.
        EbpfTracer::detach_all(self, sink);
        Ok(())
    }
    fn signal_main(&self, signal: i32) {
        EbpfTracer::signal_main(self, signal)
    }
    fn tracee_count(&self) -> usize {
        EbpfTracer::tracee_count(self)
    }
    fn kill_spawned(&self) {
        EbpfTracer::kill_spawned(self)
    }
}
