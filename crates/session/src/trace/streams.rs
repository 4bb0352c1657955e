//! Where trace lines go: one stream (stderr or `-o FILE`) or, with `-ff`,
//! one file per thread, each with its own printer and open-line state;
//! strace's rule for the `[pid N]` prefix; the tracer's own notes on
//! stderr.

use super::threads::TidMap;
use super::Output;
use crate::Error;
use render::strace::{LineOptions, PidPrefix, Printer};
use std::io::{BufWriter, IsTerminal, Write};
use std::path::PathBuf;

/// One output stream with its printer.
pub(crate) struct Stream {
    w: BufWriter<Box<dyn Write>>,
    pub(crate) printer: Printer,
    flush_each: bool,
    /// Text of the event being printed, reused so that a line costs no
    /// allocation (the eBPF backend must keep up with its ring buffer).
    pub(crate) buf: Vec<u8>,
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
    pub(crate) fn put_buf(&mut self) -> std::io::Result<()> {
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

/// Every stream of one trace.
pub(crate) struct Streams {
    line: LineOptions,
    per_thread_files: Option<PathBuf>,
    bare_prefix: bool,
    main: Option<Stream>,
    files: TidMap<Stream>,
    /// Threads currently traced, for strace's `[pid N]` rule.
    pub(crate) live: usize,
    /// The first write error; the trace goes on and reports it at the end.
    error: Option<std::io::Error>,
    /// The trace shares stderr with rabbithole's own notes.
    to_stderr: bool,
    /// Notes are left out (`-q`, `--json`).
    quiet_notes: bool,
}

impl Streams {
    /// Opens the main stream (stderr or `-o FILE`); per-thread files are
    /// created as their threads first print.
    pub(crate) fn open(
        output: &Output,
        follow: bool,
        line: LineOptions,
        quiet_notes: bool,
    ) -> Result<Streams, Error> {
        let (main, per_thread_files) = match output {
            Output::PerThread(base) => (None, Some(base.clone())),
            Output::File(path) => {
                let f = super::outfile::create_output(path)
                    .map_err(|e| Error::io(format!("cannot create {}", path.display()), e))?;
                (Some((Box::new(f) as Box<dyn Write>, false)), None)
            }
            Output::Stderr => (
                Some((
                    Box::new(std::io::stderr()) as Box<dyn Write>,
                    std::io::stderr().is_terminal(),
                )),
                None,
            ),
        };
        Ok(Streams {
            line,
            per_thread_files,
            bare_prefix: follow && matches!(output, Output::File(_)),
            main: main.map(|(w, flush_each)| {
                Stream::new(
                    BufWriter::with_capacity(1 << 16, w),
                    Printer::default(),
                    flush_each,
                )
            }),
            files: TidMap::default(),
            live: 0,
            error: None,
            to_stderr: matches!(output, Output::Stderr),
            quiet_notes,
        })
    }

    /// The stream for `tid`, with strace's prefix rule applied.
    pub(crate) fn stream(&mut self, tid: i32) -> Option<&mut Stream> {
        let line = LineOptions {
            prefix: self.prefix(),
            ..self.line
        };
        if let Some(base) = &self.per_thread_files {
            if let std::collections::hash_map::Entry::Vacant(slot) = self.files.entry(tid) {
                let mut name = base.clone().into_os_string();
                name.push(format!(".{tid}"));
                match super::outfile::create_nofollow(std::path::Path::new(&name)) {
                    Ok(f) => {
                        slot.insert(Stream::new(
                            BufWriter::new(Box::new(f)),
                            Printer::new(line),
                            false,
                        ));
                    }
                    Err(e) => {
                        self.failed(e);
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

    fn prefix(&self) -> PidPrefix {
        if self.bare_prefix {
            PidPrefix::Bare
        } else if self.per_thread_files.is_none() && self.live > 1 {
            PidPrefix::Bracket
        } else {
            PidPrefix::None
        }
    }

    /// Lets `render` append to the stream's reused buffer, then writes it.
    pub(crate) fn emit(&mut self, tid: i32, render: impl FnOnce(&mut Printer, &mut Vec<u8>)) {
        let Some(s) = self.stream(tid) else {
            return;
        };
        s.buf.clear();
        render(&mut s.printer, &mut s.buf);
        if let Err(e) = s.put_buf() {
            self.failed(e);
        }
    }

    /// Lets `render` serialize one JSON line into the stream's reused
    /// buffer, then writes it.
    pub(crate) fn emit_json<E: Into<std::io::Error>>(
        &mut self,
        tid: i32,
        render: impl FnOnce(&mut Vec<u8>) -> Result<(), E>,
    ) {
        let Some(s) = self.stream(tid) else {
            return;
        };
        s.buf.clear();
        let r = match render(&mut s.buf) {
            Ok(()) => s.put_buf(),
            Err(e) => {
                s.buf.clear();
                Err(e.into())
            }
        };
        if let Err(e) = r {
            self.failed(e);
        }
    }

    /// Lets `render` make a whole text from the stream's printer, then
    /// writes it.
    pub(crate) fn print(&mut self, tid: i32, render: impl FnOnce(&mut Printer) -> String) {
        let Some(s) = self.stream(tid) else {
            return;
        };
        let text = render(&mut s.printer);
        self.put(tid, &text);
    }

    /// Writes `text` to `tid`'s stream.
    pub(crate) fn put(&mut self, tid: i32, text: &str) {
        if text.is_empty() {
            return;
        }
        if let Some(s) = self.stream(tid) {
            if let Err(e) = s.put(text) {
                self.failed(e);
            }
        }
    }

    /// A note about the tracer itself (attach, detach), on stderr like
    /// strace's own messages. An open line is not closed (strace prints
    /// the note in the middle of it); buffered trace text on stderr goes
    /// out first so the order stays right.
    pub(crate) fn note(&mut self, text: &str) {
        if self.quiet_notes {
            return;
        }
        if self.to_stderr {
            if let Some(s) = self.main.as_mut() {
                let _ = s.w.flush();
            }
        }
        render::notes::emit(text);
    }

    /// Keeps the first write error for the end; a closed pipe (`trace
    /// ... 2>&1 | head`) also ends the trace now, as SIGPIPE ends strace.
    fn failed(&mut self, e: std::io::Error) {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            tracer::interrupt::output_closed();
        }
        self.error.get_or_insert(e);
    }

    /// The thread is gone: its `-ff` file is complete.
    pub(crate) fn close_thread(&mut self, tid: i32) {
        if let Some(mut s) = self.files.remove(&tid) {
            let _ = s.w.flush();
        }
    }

    /// Closes a line left open, flushes everything and reports the first
    /// write error (a closed pipe is not one: `trace ... | head`).
    pub(crate) fn finish(&mut self) -> Result<(), Error> {
        self.flush_all()
            .map_err(|e| Error::io("writing the trace", e))?;
        match self.error.take() {
            Some(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
                Err(Error::io("writing the trace", e))
            }
            _ => Ok(()),
        }
    }

    fn flush_all(&mut self) -> std::io::Result<()> {
        if let Some(s) = self.main.as_mut() {
            let close = s.printer.flush();
            s.w.write_all(close.as_bytes())?;
            s.w.flush()?;
        }
        for s in self.files.values_mut() {
            s.w.flush()?;
        }
        Ok(())
    }
}
