//! strace-compatible text for syscall events.
//!
//! [`format_arg`], [`format_args`] and [`format_ret`] render single pieces
//! (the JSON output's `text` field is [`format_args`]). [`Printer`] renders
//! whole lines for one output stream and keeps the state strace keeps: which
//! thread has a line open, so that an interleaving event first closes it
//! with ` <unfinished ...>` and the call later resumes as
//! `<... write resumed>`. [`format_summary`] renders `-c` tables.

use std::fmt::Write as _;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use model::syscall::{Arg, Call, ProcessExit, Ret, Signal, SummaryRow};

/// The column strace aligns ` = result` to.
const RESULT_COLUMN: usize = 40;

/// What starts each line to say which thread it is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum PidPrefix {
    /// Nothing (one traced process, or `-ff` per-thread files).
    #[default]
    None,
    /// `1234  ` (pid left-aligned in 5 columns): strace's form with `-o FILE -f`.
    Bare,
    /// `[pid  1234] ` (right-aligned in 5 columns): strace's form on the
    /// terminal once more than one thread is traced.
    Bracket,
}

/// `-t`, `-tt`, `-ttt`: the timestamp at the start of each line.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum TimeFormat {
    /// No timestamp.
    #[default]
    None,
    /// `-t`: `HH:MM:SS` local time.
    Seconds,
    /// `-tt`: `HH:MM:SS.uuuuuu` local time.
    Micros,
    /// `-ttt`: seconds since the epoch with microseconds.
    Epoch,
}

/// Line options for a [`Printer`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct LineOptions {
    /// Pid prefix style; the tracer may change it as threads appear.
    pub prefix: PidPrefix,
    /// Timestamp style.
    pub time: TimeFormat,
    /// `-T`: append ` <seconds>` spent in each call.
    pub durations: bool,
    /// Local time's offset from UTC in seconds, for `-t`/`-tt` (the tracer
    /// asks the C library once; this crate does no I/O).
    pub utc_offset_secs: i64,
}

/// Renders events for one output stream, strace's way.
#[derive(Clone, Debug, Default)]
pub struct Printer {
    /// Options; public so the tracer can switch the pid prefix on when a
    /// second thread appears.
    pub opts: LineOptions,
    open: Option<OpenLine>,
}

#[derive(Clone, Debug)]
struct OpenLine {
    tid: i32,
    col: usize,
}

impl Printer {
    /// A printer with no line open.
    pub fn new(opts: LineOptions) -> Printer {
        Printer { opts, open: None }
    }

    /// Text for a syscall-entry stop: the start of the line, left open
    /// (no newline) until the same thread's exit or another event.
    pub fn entry(&mut self, tid: i32, call: &Call, at: Option<SystemTime>) -> String {
        let mut out = self.close_other(tid);
        let start = out.len();
        self.leader(&mut out, tid, at);
        out.push_str(&call.name);
        out.push('(');
        push_joined(&mut out, &call.args[..call.entry_args.min(call.args.len())]);
        if call.deferred && !call.exit_sep && call.entry_args > 0 {
            out.push_str(", ");
        }
        self.open = Some(OpenLine {
            tid,
            col: char_count(&out[start..]),
        });
        out
    }

    /// Text for a syscall-exit stop of a call whose entry was printed with
    /// [`Printer::entry`]: the rest of the line, or a `<... resumed>` line
    /// when another event came in between.
    pub fn exit(
        &mut self,
        tid: i32,
        call: &Call,
        at: Option<SystemTime>,
        took: Option<Duration>,
    ) -> String {
        let exit_args = call.args.get(call.entry_args..).unwrap_or(&[]);
        let lost = call.deferred && exit_args.is_empty() && call.ret == Some(Ret::Unknown);
        let mut out;
        let mut col;
        match self.open.take() {
            Some(open) if open.tid == tid => {
                out = String::new();
                col = open.col;
                if call.deferred && call.exit_sep && !exit_args.is_empty() {
                    out.push_str(", ");
                }
            }
            other => {
                self.open = other;
                out = self.close_other(tid);
                let start = out.len();
                self.leader(&mut out, tid, at);
                let _ = write!(out, "<... {} resumed>", call.name);
                if call.deferred && call.exit_sep && !exit_args.is_empty() {
                    out.push_str(", ");
                }
                col = char_count(&out[start..]);
            }
        }
        let before = out.len();
        if lost {
            out.push_str(" <unfinished ...>");
        } else {
            push_joined(&mut out, exit_args);
        }
        out.push(')');
        col += char_count(&out[before..]);
        self.finish_result(&mut out, col, call.ret.as_ref(), took);
        out
    }

    /// A whole call on one line (entry and exit with nothing in between),
    /// for tracers that decode both halves before printing.
    pub fn line(
        &mut self,
        tid: i32,
        call: &Call,
        at: Option<SystemTime>,
        took: Option<Duration>,
    ) -> String {
        let mut out = self.close_other(tid);
        self.open = None;
        let start = out.len();
        self.leader(&mut out, tid, at);
        out.push_str(&call.name);
        out.push('(');
        push_joined(&mut out, &call.args);
        out.push(')');
        let col = char_count(&out[start..]);
        self.finish_result(&mut out, col, call.ret.as_ref(), took);
        out
    }

    /// `--- SIGURG {si_signo=SIGURG, ...} ---` or `--- stopped by SIGSTOP ---`.
    pub fn signal(&mut self, tid: i32, sig: &Signal, at: Option<SystemTime>) -> String {
        let mut out = self.close_any();
        self.leader(&mut out, tid, at);
        if sig.stopped {
            let _ = writeln!(out, "--- stopped by {} ---", sig.name);
        } else {
            match &sig.info {
                Some(info) => {
                    let _ = writeln!(out, "--- {} {} ---", sig.name, format_arg(info));
                }
                None => {
                    let _ = writeln!(out, "--- {} ---", sig.name);
                }
            }
        }
        out
    }

    /// `+++ exited with 7 +++` or `+++ killed by SIGKILL (core dumped) +++`.
    pub fn exited(&mut self, tid: i32, how: &ProcessExit, at: Option<SystemTime>) -> String {
        let mut out = self.close_any();
        self.leader(&mut out, tid, at);
        out.push_str(&format_exit(how));
        out.push('\n');
        out
    }

    /// Closes a line left open (` <unfinished ...>`), e.g. at the end of
    /// the trace or before text that is not an event.
    pub fn flush(&mut self) -> String {
        self.close_any()
    }

    fn close_other(&mut self, tid: i32) -> String {
        match &self.open {
            Some(o) if o.tid != tid => self.close_any(),
            Some(_) => {
                // The same thread's line is open: its call was abandoned
                // (e.g. exec, or a second entry without exit); end it.
                self.open = None;
                " <unfinished ...>\n".to_string()
            }
            None => String::new(),
        }
    }

    fn close_any(&mut self) -> String {
        match self.open.take() {
            Some(_) => " <unfinished ...>\n".to_string(),
            None => String::new(),
        }
    }

    fn leader(&self, out: &mut String, tid: i32, at: Option<SystemTime>) {
        match self.opts.prefix {
            PidPrefix::None => {}
            PidPrefix::Bare => {
                let _ = write!(out, "{tid:<5} ");
            }
            PidPrefix::Bracket => {
                let _ = write!(out, "[pid {tid:>5}] ");
            }
        }
        if let Some(at) = at {
            out.push_str(&format_time(self.opts.time, at, self.opts.utc_offset_secs));
        }
    }

    fn finish_result(
        &self,
        out: &mut String,
        col: usize,
        ret: Option<&Ret>,
        took: Option<Duration>,
    ) {
        // strace prints ") ", then pads to the result column.
        out.push(' ');
        for _ in (col + 1)..RESULT_COLUMN {
            out.push(' ');
        }
        out.push_str("= ");
        out.push_str(&ret.map_or_else(|| "?".to_string(), format_ret));
        if self.opts.durations {
            if let Some(d) = took {
                let _ = write!(out, " <{}.{:06}>", d.as_secs(), d.subsec_micros());
            }
        }
        out.push('\n');
    }
}

fn char_count(s: &str) -> usize {
    s.chars().count()
}

/// The timestamp text (with its trailing space) for `-t`, `-tt`, `-ttt`.
pub fn format_time(fmt: TimeFormat, at: SystemTime, utc_offset_secs: i64) -> String {
    let since = at.duration_since(UNIX_EPOCH).unwrap_or_default();
    let secs = since.as_secs() as i64;
    let micros = since.subsec_micros();
    let local = secs.saturating_add(utc_offset_secs).rem_euclid(86_400);
    let (h, m, s) = (local / 3600, local / 60 % 60, local % 60);
    match fmt {
        TimeFormat::None => String::new(),
        TimeFormat::Seconds => format!("{h:02}:{m:02}:{s:02} "),
        TimeFormat::Micros => format!("{h:02}:{m:02}:{s:02}.{micros:06} "),
        TimeFormat::Epoch => format!("{secs}.{micros:06} "),
    }
}

/// `+++ exited with N +++` without the newline.
pub fn format_exit(how: &ProcessExit) -> String {
    match how {
        ProcessExit::Exited { code } => format!("+++ exited with {code} +++"),
        ProcessExit::Killed {
            signal,
            core_dumped,
        } => format!(
            "+++ killed by {signal}{} +++",
            if *core_dumped { " (core dumped)" } else { "" }
        ),
    }
}

/// All arguments of a call, comma-separated, as between strace's
/// parentheses (the JSON `text` field).
pub fn format_args(call: &Call) -> String {
    let mut out = String::new();
    push_joined(&mut out, &call.args);
    out
}

/// A whole call without pid, time or padding: `write(1, "hi\n", 3) = 3`.
pub fn format_call(call: &Call) -> String {
    format!(
        "{}({}) = {}",
        call.name,
        format_args(call),
        call.ret
            .as_ref()
            .map_or_else(|| "?".to_string(), format_ret)
    )
}

/// A result as strace prints it after `= `.
pub fn format_ret(ret: &Ret) -> String {
    match ret {
        Ret::Value { value, note } => {
            let mut s = format_arg(value);
            if let Some(n) = note {
                let _ = write!(s, " ({n})");
            }
            s
        }
        Ret::Error { name, message, .. } if name.starts_with("ERESTART") => {
            format!("? {name} ({message})")
        }
        Ret::Error { name, message, .. } => format!("-1 {name} ({message})"),
        Ret::Unknown => "?".to_string(),
    }
}

fn push_joined(out: &mut String, args: &[Arg]) {
    for (i, a) in args.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        push_arg(out, a);
    }
}

/// One argument as strace prints it.
pub fn format_arg(arg: &Arg) -> String {
    let mut out = String::new();
    push_arg(&mut out, arg);
    out
}

fn push_hex(out: &mut String, v: u64) {
    if v == 0 {
        out.push('0');
    } else {
        let _ = write!(out, "{v:#x}");
    }
}

fn push_arg(out: &mut String, arg: &Arg) {
    match arg {
        Arg::Int(v) => {
            let _ = write!(out, "{v}");
        }
        Arg::UInt(v) => {
            let _ = write!(out, "{v}");
        }
        Arg::Hex(v) | Arg::Unreadable(v) => push_hex(out, *v),
        Arg::Oct(v) => {
            let _ = write!(out, "0{v:03o}");
        }
        Arg::Ptr(0) => out.push_str("NULL"),
        Arg::Ptr(v) => push_hex(out, *v),
        Arg::Fd { fd, path } => {
            let _ = write!(out, "{fd}");
            if let Some(p) = path {
                out.push('<');
                push_escaped_path(out, p);
                out.push('>');
            }
        }
        Arg::Str { bytes, truncated } => {
            push_quoted(out, bytes);
            if *truncated {
                out.push_str("...");
            }
        }
        Arg::HexStr { bytes, truncated } => {
            out.push('"');
            for b in bytes {
                let _ = write!(out, "\\x{b:02x}");
            }
            out.push('"');
            if *truncated {
                out.push_str("...");
            }
        }
        Arg::Flags { names, rest } => {
            for (i, n) in names.iter().enumerate() {
                if i > 0 {
                    out.push('|');
                }
                out.push_str(n);
            }
            if *rest != 0 || names.is_empty() {
                if !names.is_empty() {
                    out.push('|');
                }
                push_hex(out, *rest);
            }
        }
        Arg::Sym(s) => out.push_str(s),
        Arg::Or(parts) => {
            for (i, p) in parts.iter().enumerate() {
                if i > 0 {
                    out.push('|');
                }
                push_arg(out, p);
            }
        }
        Arg::Struct(fields) => {
            out.push('{');
            for (i, f) in fields.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                if !f.name.is_empty() {
                    out.push_str(&f.name);
                    out.push('=');
                }
                push_arg(out, &f.value);
            }
            out.push('}');
        }
        Arg::Array(items) => {
            out.push('[');
            push_joined(out, items);
            out.push(']');
        }
        Arg::Set { items, negated } => {
            if *negated {
                out.push('~');
            }
            out.push('[');
            for (i, it) in items.iter().enumerate() {
                if i > 0 {
                    out.push(' ');
                }
                out.push_str(it);
            }
            out.push(']');
        }
        Arg::Call { func, args } => {
            out.push_str(func);
            out.push('(');
            push_joined(out, args);
            out.push(')');
        }
        Arg::Changed { before, after } => {
            push_arg(out, before);
            out.push_str(" => ");
            push_arg(out, after);
        }
        Arg::Commented { value, comment } => {
            push_arg(out, value);
            let _ = write!(out, " /* {comment} */");
        }
        Arg::Named { name, value } => {
            out.push_str(name);
            out.push('=');
            push_arg(out, value);
        }
        Arg::Ellipsis => out.push_str("..."),
    }
}

/// Paths after `-y` are printed raw except for the characters that would
/// make the `<...>` ambiguous, which strace escapes in hex.
fn push_escaped_path(out: &mut String, p: &str) {
    for c in p.chars() {
        match c {
            '<' | '>' | '\\' => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            c => out.push(c),
        }
    }
}

/// A C string literal the way strace quotes tracee bytes: printable ASCII
/// as is, the usual backslash escapes, everything else in octal (three
/// digits only when the next character is an octal digit, so the escape
/// stays unambiguous).
fn push_quoted(out: &mut String, bytes: &[u8]) {
    out.push('"');
    for (i, &b) in bytes.iter().enumerate() {
        match b {
            b'"' => out.push_str("\\\""),
            b'\\' => out.push_str("\\\\"),
            b'\n' => out.push_str("\\n"),
            b'\t' => out.push_str("\\t"),
            b'\r' => out.push_str("\\r"),
            0x0b => out.push_str("\\v"),
            0x0c => out.push_str("\\f"),
            0x20..=0x7e => out.push(b as char),
            _ => {
                let next_is_digit = bytes.get(i + 1).is_some_and(|n| (b'0'..=b'7').contains(n));
                if next_is_digit {
                    let _ = write!(out, "\\{b:03o}");
                } else {
                    let _ = write!(out, "\\{b:o}");
                }
            }
        }
    }
    out.push('"');
}

/// The `-c` table, strace's layout: rows sorted by time (then by the
/// order given), a total line, errors column blank when zero.
pub fn format_summary(rows: &[SummaryRow]) -> String {
    let mut rows: Vec<&SummaryRow> = rows.iter().collect();
    rows.sort_by(|a, b| {
        b.seconds
            .partial_cmp(&a.seconds)
            .unwrap_or(std::cmp::Ordering::Equal)
    });
    let total_secs: f64 = rows.iter().map(|r| r.seconds).sum();
    let total_calls: u64 = rows.iter().map(|r| r.calls).sum();
    let total_errors: u64 = rows.iter().map(|r| r.errors).sum();
    let dashes = "------ ----------- ----------- --------- --------- ----------------\n";
    let mut out = String::new();
    out.push_str("% time     seconds  usecs/call     calls    errors syscall\n");
    out.push_str(dashes);
    let line = |out: &mut String, pct: f64, secs: f64, calls: u64, errors: u64, name: &str| {
        let per_call = if calls > 0 {
            (secs * 1e6 / calls as f64) as u64
        } else {
            0
        };
        let errors = if errors > 0 {
            errors.to_string()
        } else {
            String::new()
        };
        let _ = writeln!(
            out,
            "{pct:6.2} {secs:11.6} {per_call:11} {calls:9} {errors:>9} {name}"
        );
    };
    for r in &rows {
        let pct = if total_secs > 0.0 {
            r.seconds * 100.0 / total_secs
        } else {
            0.0
        };
        line(&mut out, pct, r.seconds, r.calls, r.errors, &r.name);
    }
    out.push_str(dashes);
    line(
        &mut out,
        100.0,
        total_secs,
        total_calls,
        total_errors,
        "total",
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call(name: &str, args: Vec<Arg>, entry: usize, deferred: bool, ret: Ret) -> Call {
        Call {
            nr: 0,
            name: name.into(),
            args,
            entry_args: entry,
            deferred,
            exit_sep: false,
            ret: Some(ret),
        }
    }

    fn int(v: i64) -> Ret {
        Ret::Value {
            value: Arg::Int(v),
            note: None,
        }
    }

    #[test]
    fn full_line_pads_to_column_40() {
        let c = call(
            "close",
            vec![Arg::Fd { fd: 3, path: None }],
            1,
            false,
            int(0),
        );
        let mut p = Printer::new(LineOptions {
            prefix: PidPrefix::Bare,
            ..Default::default()
        });
        assert_eq!(
            p.line(19568, &c, None, None),
            "19568 close(3)                          = 0\n"
        );
    }

    #[test]
    fn interleaved_threads_split_and_resume() {
        let read = call(
            "read",
            vec![
                Arg::Fd { fd: 3, path: None },
                Arg::Str {
                    bytes: b"through the pipe\n".to_vec(),
                    truncated: false,
                },
                Arg::UInt(64),
            ],
            1,
            true,
            int(17),
        );
        let mut entry_only = read.clone();
        entry_only.args.truncate(1);
        entry_only.ret = None;
        let nano = call("nanosleep", vec![Arg::Ptr(0)], 0, false, int(0));
        let mut p = Printer::new(LineOptions {
            prefix: PidPrefix::Bare,
            ..Default::default()
        });
        let mut s = p.entry(19568, &entry_only, None);
        s += &p.exit(19569, &nano, None, None);
        s += &p.exit(19568, &read, None, None);
        assert_eq!(
            s,
            "19568 read(3,  <unfinished ...>\n\
             19569 <... nanosleep resumed>NULL)      = 0\n\
             19568 <... read resumed>\"through the pipe\\n\", 64) = 17\n"
        );
    }

    #[test]
    fn quoting_matches_strace() {
        let a = Arg::Str {
            bytes: b"\x7fELF\x02\x01\x01\0\0\"\\\n".to_vec(),
            truncated: true,
        };
        assert_eq!(format_arg(&a), "\"\\177ELF\\2\\1\\1\\0\\0\\\"\\\\\\n\"...");
        let b = Arg::Str {
            bytes: vec![0, b'1'],
            truncated: false,
        };
        assert_eq!(format_arg(&b), "\"\\0001\"");
    }

    #[test]
    fn errors_and_restarts() {
        let e = Ret::Error {
            errno: 2,
            name: "ENOENT".into(),
            message: "No such file or directory".into(),
        };
        assert_eq!(format_ret(&e), "-1 ENOENT (No such file or directory)");
        let r = Ret::Error {
            errno: 512,
            name: "ERESTARTSYS".into(),
            message: "To be restarted if SA_RESTART is set".into(),
        };
        assert_eq!(
            format_ret(&r),
            "? ERESTARTSYS (To be restarted if SA_RESTART is set)"
        );
    }

    #[test]
    fn summary_layout() {
        let rows = vec![
            SummaryRow {
                name: "read".into(),
                calls: 7,
                errors: 0,
                seconds: 0.0,
            },
            SummaryRow {
                name: "ioctl".into(),
                calls: 2,
                errors: 2,
                seconds: 0.0,
            },
        ];
        assert_eq!(
            format_summary(&rows),
            "% time     seconds  usecs/call     calls    errors syscall\n\
             ------ ----------- ----------- --------- --------- ----------------\n  \
             0.00    0.000000           0         7           read\n  \
             0.00    0.000000           0         2         2 ioctl\n\
             ------ ----------- ----------- --------- --------- ----------------\n\
             100.00    0.000000           0         9         2 total\n"
        );
    }
}
