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
    prefixes: PrefixCache,
}

/// The pid prefixes of the last few threads, as text: every line starts
/// with one and a handful of threads make most calls.
#[derive(Clone, Debug, Default)]
struct PrefixCache {
    entries: [CachedPrefix; 8],
    next: usize,
}

#[derive(Clone, Copy, Debug, Default)]
struct CachedPrefix {
    tid: i32,
    kind: PidPrefix,
    len: u8,
    text: [u8; 24],
}

impl PrefixCache {
    fn get(&self, tid: i32, kind: PidPrefix) -> Option<&[u8]> {
        self.entries
            .iter()
            .find(|e| e.tid == tid && e.kind == kind && e.len > 0)
            .map(|e| &e.text[..usize::from(e.len)])
    }

    fn put(&mut self, tid: i32, kind: PidPrefix, text: &[u8]) {
        let Some(slot) = self.entries.get_mut(self.next) else {
            return;
        };
        let Some(dst) = slot.text.get_mut(..text.len()) else {
            return;
        };
        dst.copy_from_slice(text);
        slot.tid = tid;
        slot.kind = kind;
        slot.len = text.len() as u8;
        self.next = (self.next + 1) % self.entries.len();
    }
}

#[derive(Clone, Debug)]
struct OpenLine {
    tid: i32,
    col: usize,
}

impl Printer {
    /// A printer with no line open.
    pub fn new(opts: LineOptions) -> Printer {
        Printer {
            opts,
            open: None,
            prefixes: PrefixCache::default(),
        }
    }

    /// Text for a syscall-entry stop: the start of the line, left open
    /// (no newline) until the same thread's exit or another event.
    pub fn entry(&mut self, tid: i32, call: &Call, at: Option<SystemTime>) -> String {
        let mut out = Vec::with_capacity(LINE_CAPACITY);
        self.entry_to(&mut out, tid, call, at);
        into_string(out)
    }

    /// [`Printer::entry`] appending to `out`, so a tracer can reuse one
    /// buffer for every event instead of allocating a line each time.
    pub fn entry_to(&mut self, out: &mut Vec<u8>, tid: i32, call: &Call, at: Option<SystemTime>) {
        self.close_other(out, tid);
        let start = out.len();
        self.leader(out, tid, at);
        out.extend_from_slice(call.name.as_bytes());
        out.push(b'(');
        push_joined(out, &call.args[..call.entry_args.min(call.args.len())]);
        if call.deferred && !call.exit_sep && call.entry_args > 0 {
            out.extend_from_slice(b", ");
        }
        self.open = Some(OpenLine {
            tid,
            col: char_count(&out[start..]),
        });
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
        let mut out = Vec::with_capacity(LINE_CAPACITY);
        self.exit_to(&mut out, tid, call, at, took);
        into_string(out)
    }

    /// [`Printer::exit`] appending to `out`.
    pub fn exit_to(
        &mut self,
        out: &mut Vec<u8>,
        tid: i32,
        call: &Call,
        at: Option<SystemTime>,
        took: Option<Duration>,
    ) {
        let exit_args = call.args.get(call.entry_args..).unwrap_or(&[]);
        let lost = call.deferred && exit_args.is_empty() && call.ret == Some(Ret::Unknown);
        let mut col;
        match self.open.take() {
            Some(open) if open.tid == tid => {
                col = open.col;
                if call.deferred && call.exit_sep && !exit_args.is_empty() {
                    out.extend_from_slice(b", ");
                }
            }
            other => {
                self.open = other;
                self.close_other(out, tid);
                let start = out.len();
                self.leader(out, tid, at);
                out.extend_from_slice(b"<... ");
                out.extend_from_slice(call.name.as_bytes());
                out.extend_from_slice(b" resumed>");
                if call.deferred && call.exit_sep && !exit_args.is_empty() {
                    out.extend_from_slice(b", ");
                }
                col = char_count(&out[start..]);
            }
        }
        let before = out.len();
        if lost {
            out.extend_from_slice(b" <unfinished ...>");
        } else {
            push_joined(out, exit_args);
        }
        out.push(b')');
        col += char_count(&out[before..]);
        self.finish_result(out, col, call.ret.as_ref(), took);
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
        let mut out = Vec::with_capacity(LINE_CAPACITY);
        self.line_to(&mut out, tid, call, at, took);
        into_string(out)
    }

    /// [`Printer::line`] appending to `out`.
    pub fn line_to(
        &mut self,
        out: &mut Vec<u8>,
        tid: i32,
        call: &Call,
        at: Option<SystemTime>,
        took: Option<Duration>,
    ) {
        self.close_other(out, tid);
        self.open = None;
        let start = out.len();
        self.leader(out, tid, at);
        out.extend_from_slice(call.name.as_bytes());
        out.push(b'(');
        push_joined(out, &call.args);
        out.push(b')');
        let col = char_count(&out[start..]);
        self.finish_result(out, col, call.ret.as_ref(), took);
    }

    /// `--- SIGURG {si_signo=SIGURG, ...} ---` or `--- stopped by SIGSTOP ---`.
    pub fn signal(&mut self, tid: i32, sig: &Signal, at: Option<SystemTime>) -> String {
        let mut start = Vec::new();
        self.close_any(&mut start);
        self.leader(&mut start, tid, at);
        let mut out = into_string(start);
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
        let mut out = Vec::new();
        self.close_any(&mut out);
        self.leader(&mut out, tid, at);
        out.extend_from_slice(format_exit(how).as_bytes());
        out.push(b'\n');
        into_string(out)
    }

    /// `+++ superseded by execve in pid 1235 +++`: the end of a thread
    /// whose execve another thread of its process finished.
    pub fn superseded(&mut self, tid: i32, former_tid: i32, at: Option<SystemTime>) -> String {
        let mut out = Vec::new();
        self.close_any(&mut out);
        self.leader(&mut out, tid, at);
        let mut out = into_string(out);
        let _ = writeln!(out, "+++ superseded by execve in pid {former_tid} +++");
        out
    }

    /// Closes a line left open (` <unfinished ...>`), e.g. at the end of
    /// the trace or before text that is not an event.
    pub fn flush(&mut self) -> String {
        let mut out = Vec::new();
        self.close_any(&mut out);
        into_string(out)
    }

    fn close_other(&mut self, out: &mut Vec<u8>, tid: i32) {
        match &self.open {
            Some(o) if o.tid != tid => self.close_any(out),
            Some(_) => {
                // The same thread's line is open: its call was abandoned
                // (e.g. exec, or a second entry without exit); end it.
                self.open = None;
                out.extend_from_slice(UNFINISHED_EOL.as_bytes());
            }
            None => {}
        }
    }

    fn close_any(&mut self, out: &mut Vec<u8>) {
        if self.open.take().is_some() {
            out.extend_from_slice(UNFINISHED_EOL.as_bytes());
        }
    }

    fn leader(&mut self, out: &mut Vec<u8>, tid: i32, at: Option<SystemTime>) {
        let kind = self.opts.prefix;
        if let Some(text) = self.prefixes.get(tid, kind) {
            out.extend_from_slice(text);
        } else {
            let start = out.len();
            match kind {
                PidPrefix::None => {}
                PidPrefix::Bare => {
                    push_padded_int(out, i64::from(tid), 5, false);
                    out.push(b' ');
                }
                PidPrefix::Bracket => {
                    out.extend_from_slice(b"[pid ");
                    push_padded_int(out, i64::from(tid), 5, true);
                    out.extend_from_slice(b"] ");
                }
            }
            if kind != PidPrefix::None {
                self.prefixes.put(tid, kind, &out[start..]);
            }
        }
        if let Some(at) = at {
            push_time(out, self.opts.time, at, self.opts.utc_offset_secs);
        }
    }

    fn finish_result(
        &self,
        out: &mut Vec<u8>,
        col: usize,
        ret: Option<&Ret>,
        took: Option<Duration>,
    ) {
        // strace prints ") ", then pads to the result column.
        out.push(b' ');
        let pad = RESULT_COLUMN.saturating_sub(col + 1);
        push_spaces(out, pad);
        out.extend_from_slice(b"= ");
        match ret {
            Some(r) => push_ret(out, r),
            None => out.push(b'?'),
        }
        if self.opts.durations {
            if let Some(d) = took {
                out.extend_from_slice(b" <");
                push_u64(out, d.as_secs());
                out.push(b'.');
                push_zero_padded(out, u64::from(d.subsec_micros()), 6);
                out.push(b'>');
            }
        }
        out.push(b'\n');
    }
}

/// Room for a typical line, so building one costs a single allocation.
const LINE_CAPACITY: usize = 128;

/// What closes a line another event interrupts.
const UNFINISHED_EOL: &str = " <unfinished ...>\n";

/// Enough blanks to pad any line to [`RESULT_COLUMN`].
const SPACES: &[u8; RESULT_COLUMN] = &[b' '; RESULT_COLUMN];

/// `n` blanks (at most [`RESULT_COLUMN`], all any padding needs).
fn push_spaces(out: &mut Vec<u8>, n: usize) {
    out.extend_from_slice(&SPACES[..n.min(SPACES.len())]);
}

/// Columns taken by UTF-8 text: every byte that does not continue a
/// multi-byte character starts one.
fn char_count(s: &[u8]) -> usize {
    if s.is_ascii() {
        s.len()
    } else {
        s.iter().filter(|&&b| b & 0xc0 != 0x80).count()
    }
}

/// The printer only appends `str`s and ASCII, so its bytes are UTF-8.
fn into_string(bytes: Vec<u8>) -> String {
    String::from_utf8(bytes).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

/// The timestamp text (with its trailing space) for `-t`, `-tt`, `-ttt`.
pub fn format_time(fmt: TimeFormat, at: SystemTime, utc_offset_secs: i64) -> String {
    let mut out = Vec::new();
    push_time(&mut out, fmt, at, utc_offset_secs);
    into_string(out)
}

fn push_time(out: &mut Vec<u8>, fmt: TimeFormat, at: SystemTime, utc_offset_secs: i64) {
    let since = at.duration_since(UNIX_EPOCH).unwrap_or_default();
    let secs = since.as_secs() as i64;
    let micros = u64::from(since.subsec_micros());
    let local = secs.saturating_add(utc_offset_secs).rem_euclid(86_400) as u64;
    let (h, m, s) = (local / 3600, local / 60 % 60, local % 60);
    let clock = |out: &mut Vec<u8>| {
        push_zero_padded(out, h, 2);
        out.push(b':');
        push_zero_padded(out, m, 2);
        out.push(b':');
        push_zero_padded(out, s, 2);
    };
    match fmt {
        TimeFormat::None => {}
        TimeFormat::Seconds => {
            clock(out);
            out.push(b' ');
        }
        TimeFormat::Micros => {
            clock(out);
            out.push(b'.');
            push_zero_padded(out, micros, 6);
            out.push(b' ');
        }
        TimeFormat::Epoch => {
            push_i64(out, secs);
            out.push(b'.');
            push_zero_padded(out, micros, 6);
            out.push(b' ');
        }
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
    let mut out = Vec::with_capacity(LINE_CAPACITY);
    push_joined(&mut out, &call.args);
    into_string(out)
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
    let mut out = Vec::new();
    push_ret(&mut out, ret);
    into_string(out)
}

fn push_ret(out: &mut Vec<u8>, ret: &Ret) {
    match ret {
        Ret::Value { value, note } => {
            push_arg(out, value);
            if let Some(n) = note {
                out.extend_from_slice(b" (");
                out.extend_from_slice(n.as_bytes());
                out.push(b')');
            }
        }
        Ret::Error { name, message, .. } => {
            out.extend_from_slice(
                if name.starts_with("ERESTART") {
                    "? "
                } else {
                    "-1 "
                }
                .as_bytes(),
            );
            out.extend_from_slice(name.as_bytes());
            out.extend_from_slice(b" (");
            out.extend_from_slice(message.as_bytes());
            out.push(b')');
        }
        Ret::Unknown => out.push(b'?'),
    }
}

fn push_joined(out: &mut Vec<u8>, args: &[Arg]) {
    for (i, a) in args.iter().enumerate() {
        if i > 0 {
            out.extend_from_slice(b", ");
        }
        push_arg(out, a);
    }
}

/// One argument as strace prints it.
pub fn format_arg(arg: &Arg) -> String {
    let mut out = Vec::new();
    push_arg(&mut out, arg);
    into_string(out)
}

/// Appends a few digits byte by byte: for one to twenty bytes this beats
/// a call to `memcpy`, which is what copying a slice of unknown length
/// becomes.
fn push_digits(out: &mut Vec<u8>, digits: &[u8]) {
    out.reserve(digits.len());
    for &d in digits {
        out.push(d);
    }
}

/// The digits of `v` in `RADIX` (2..=16), lower case, right-aligned in a
/// buffer big enough for any u64 in octal; returns where they start. The
/// radix is a constant so that dividing by it compiles to a multiply.
#[inline]
fn digits<const RADIX: u64>(mut v: u64, buf: &mut [u8; 22]) -> usize {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = DIGITS[(v % RADIX) as usize];
        v /= RADIX;
        if v == 0 {
            return i;
        }
    }
}

/// "00" to "99": decimal numbers are written two digits per division.
const DIGIT_PAIRS: [u8; 200] = {
    let mut t = [0u8; 200];
    let mut i = 0;
    while i < 100 {
        t[2 * i] = b'0' + (i / 10) as u8;
        t[2 * i + 1] = b'0' + (i % 10) as u8;
        i += 1;
    }
    t
};

/// Writes the decimal digits of `v` into `buf`, ending just before `end`;
/// returns where they start.
fn write_decimal(mut v: u64, buf: &mut [u8], end: usize) -> usize {
    let mut i = end;
    while v >= 100 {
        let pair = (v % 100) as usize * 2;
        v /= 100;
        i -= 2;
        buf[i] = DIGIT_PAIRS[pair];
        buf[i + 1] = DIGIT_PAIRS[pair + 1];
    }
    if v >= 10 {
        let pair = v as usize * 2;
        i -= 2;
        buf[i] = DIGIT_PAIRS[pair];
        buf[i + 1] = DIGIT_PAIRS[pair + 1];
    } else {
        i -= 1;
        buf[i] = b'0' + v as u8;
    }
    i
}

/// Decimal, the same text as `{v}` without going through `core::fmt`
/// (this runs several times per traced syscall).
fn push_u64(out: &mut Vec<u8>, v: u64) {
    if v < 10 {
        out.push(b'0' + v as u8);
        return;
    }
    let mut buf = [0u8; 20];
    let i = write_decimal(v, &mut buf, 20);
    push_digits(out, &buf[i..]);
}

/// Signed decimal, as `{v}`.
fn push_i64(out: &mut Vec<u8>, v: i64) {
    if v < 0 {
        out.push(b'-');
    }
    push_u64(out, v.unsigned_abs());
}

/// Decimal with leading zeros up to `width` digits, as `{v:0width$}`.
fn push_zero_padded(out: &mut Vec<u8>, v: u64, width: usize) {
    let mut buf = [0u8; 22];
    let i = digits::<10>(v, &mut buf);
    for _ in (buf.len() - i)..width {
        out.push(b'0');
    }
    push_digits(out, &buf[i..]);
}

/// Signed decimal padded with blanks to `width` columns, on the left
/// (`right_align`, as `{v:>width$}`) or the right (`{v:<width$}`).
/// Every line starts with one (the pid prefix), so the field is built
/// in a blank array and copied at once.
fn push_padded_int(out: &mut Vec<u8>, v: i64, width: usize, right_align: bool) {
    const FIELD: usize = 24;
    let len = v
        .unsigned_abs()
        .checked_ilog10()
        .map_or(1, |l| l as usize + 1)
        + usize::from(v < 0);
    let width = width.clamp(len, FIELD);
    let mut field = [b' '; FIELD];
    let end = if right_align { width } else { len };
    let start = write_decimal(v.unsigned_abs(), &mut field, end);
    if v < 0 {
        field[start - 1] = b'-';
    }
    out.extend_from_slice(&field[..width]);
}

fn push_hex(out: &mut Vec<u8>, v: u64) {
    if v == 0 {
        out.push(b'0');
    } else {
        let mut buf = [0u8; 22];
        let i = digits::<16>(v, &mut buf);
        out.extend_from_slice(b"0x");
        push_digits(out, &buf[i..]);
    }
}

/// Octal with at least `min_digits` digits, zero-padded.
fn push_oct(out: &mut Vec<u8>, v: u64, min_digits: usize) {
    let mut buf = [0u8; 22];
    let i = digits::<8>(v, &mut buf);
    for _ in (buf.len() - i)..min_digits {
        out.push(b'0');
    }
    push_digits(out, &buf[i..]);
}

fn push_arg(out: &mut Vec<u8>, arg: &Arg) {
    match arg {
        Arg::Int(v) => push_i64(out, *v),
        Arg::UInt(v) => push_u64(out, *v),
        Arg::Hex(v) | Arg::Unreadable(v) => push_hex(out, *v),
        // C's `%#03o`, strace's mode format: `000`, `004`, `051`, `0644`
        Arg::Oct(0) => out.extend_from_slice(b"000"),
        Arg::Oct(v) => {
            if *v < 0o10 {
                out.push(b'0');
            }
            out.push(b'0');
            push_oct(out, *v, 1);
        }
        Arg::Ptr(0) => out.extend_from_slice(b"NULL"),
        Arg::Ptr(v) => push_hex(out, *v),
        Arg::Fd { fd, path } => {
            push_i64(out, i64::from(*fd));
            if let Some(p) = path {
                out.push(b'<');
                push_escaped_path(out, p);
                out.push(b'>');
            }
        }
        Arg::Str { bytes, truncated } => {
            push_quoted(out, bytes);
            if *truncated {
                out.extend_from_slice(b"...");
            }
        }
        Arg::HexStr { bytes, truncated } => {
            out.reserve(bytes.len() * 4 + 2);
            out.push(b'"');
            for &b in bytes {
                push_hex_escape(out, b);
            }
            out.push(b'"');
            if *truncated {
                out.extend_from_slice(b"...");
            }
        }
        Arg::Flags { names, rest } => {
            for (i, n) in names.iter().enumerate() {
                if i > 0 {
                    out.push(b'|');
                }
                out.extend_from_slice(n.as_bytes());
            }
            if *rest != 0 || names.is_empty() {
                if !names.is_empty() {
                    out.push(b'|');
                }
                push_hex(out, *rest);
            }
        }
        Arg::Sym(s) => out.extend_from_slice(s.as_bytes()),
        Arg::Or(parts) => {
            for (i, p) in parts.iter().enumerate() {
                if i > 0 {
                    out.push(b'|');
                }
                push_arg(out, p);
            }
        }
        Arg::Struct(fields) => {
            out.push(b'{');
            for (i, f) in fields.iter().enumerate() {
                if i > 0 {
                    out.extend_from_slice(b", ");
                }
                if !f.name.is_empty() {
                    out.extend_from_slice(f.name.as_bytes());
                    out.push(b'=');
                }
                push_arg(out, &f.value);
            }
            out.push(b'}');
        }
        Arg::Array(items) => {
            out.push(b'[');
            push_joined(out, items);
            out.push(b']');
        }
        Arg::Set { items, negated } => {
            if *negated {
                out.push(b'~');
            }
            out.push(b'[');
            for (i, it) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b' ');
                }
                out.extend_from_slice(it.as_bytes());
            }
            out.push(b']');
        }
        Arg::Call { func, args } => {
            out.extend_from_slice(func.as_bytes());
            out.push(b'(');
            push_joined(out, args);
            out.push(b')');
        }
        Arg::Changed { before, after } => {
            push_arg(out, before);
            out.extend_from_slice(b" => ");
            push_arg(out, after);
        }
        Arg::Commented { value, comment } => {
            push_arg(out, value);
            out.extend_from_slice(b" /* ");
            out.extend_from_slice(comment.as_bytes());
            out.extend_from_slice(b" */");
        }
        Arg::Named { name, value } => {
            out.extend_from_slice(name.as_bytes());
            out.push(b'=');
            push_arg(out, value);
        }
        Arg::Ellipsis => out.extend_from_slice(b"..."),
    }
}

/// Paths after `-y` are quoted like strings, without the quotes, and with
/// `<` and `>` in octal too so that the `<...>` stays unambiguous
/// (strace 6.1: `3</tmp/\303\251t \74x\76\\\n\177>`).
fn push_escaped_path(out: &mut Vec<u8>, p: &str) {
    push_escaped(out, p.as_bytes(), true);
}

/// `\xNN`, two lower-case hex digits.
fn push_hex_escape(out: &mut Vec<u8>, b: u8) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.push(b'\\');
    out.push(b'x');
    out.push(HEX[usize::from(b >> 4)]);
    out.push(HEX[usize::from(b & 0xf)]);
}

/// A C string literal the way strace quotes tracee bytes: printable ASCII
/// as is, the usual backslash escapes, everything else in octal (three
/// digits only when the next character is an octal digit, so the escape
/// stays unambiguous).
fn push_quoted(out: &mut Vec<u8>, bytes: &[u8]) {
    out.reserve(bytes.len() + 2);
    out.push(b'"');
    push_escaped(out, bytes, false);
    out.push(b'"');
}

/// The inside of [`push_quoted`]; `angles` also puts `<` and `>` in octal.
fn push_escaped(out: &mut Vec<u8>, bytes: &[u8], angles: bool) {
    let class = |b: u8| match b {
        b'<' | b'>' if angles => OCTAL,
        _ => QUOTE_CLASS[usize::from(b)],
    };
    let mut rest = bytes;
    loop {
        // Most tracee text is printable: copy each such run at once.
        let run = rest
            .iter()
            .position(|&b| class(b) != PLAIN)
            .unwrap_or(rest.len());
        out.extend_from_slice(&rest[..run]);
        let Some((&b, tail)) = rest[run..].split_first() else {
            break;
        };
        out.push(b'\\');
        match class(b) {
            OCTAL => {
                let next_is_digit = tail.first().is_some_and(|n| (b'0'..=b'7').contains(n));
                push_oct(out, u64::from(b), if next_is_digit { 3 } else { 1 });
            }
            letter => out.push(letter),
        }
        rest = tail;
    }
}

/// How [`push_quoted`] shows each byte: as is, in octal, or as a
/// backslash and this letter.
const QUOTE_CLASS: [u8; 256] = {
    let mut t = [OCTAL; 256];
    let mut b = 0x20;
    while b < 0x7f {
        t[b] = PLAIN;
        b += 1;
    }
    t[b'"' as usize] = b'"';
    t[b'\\' as usize] = b'\\';
    t[b'\n' as usize] = b'n';
    t[b'\t' as usize] = b't';
    t[b'\r' as usize] = b'r';
    t[0x0b] = b'v';
    t[0x0c] = b'f';
    t
};
const PLAIN: u8 = 0;
const OCTAL: u8 = 1;

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
            name: name.to_string().into(),
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

    /// The quoting as first written with `core::fmt`, kept to check the
    /// faster one against.
    fn quoted_reference(bytes: &[u8]) -> String {
        let mut out = String::from('"');
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
        out
    }

    /// What a `push_*` helper appends to an empty buffer.
    fn text(push: impl FnOnce(&mut Vec<u8>)) -> String {
        let mut out = Vec::new();
        push(&mut out);
        String::from_utf8(out).expect("printer output is UTF-8")
    }

    #[test]
    fn quoting_every_byte_and_pair_matches_reference() {
        for a in 0..=255u8 {
            assert_eq!(
                text(|o| push_quoted(o, &[a])),
                quoted_reference(&[a]),
                "byte {a:#x}"
            );
            for b in 0..=255u8 {
                let bytes = [a, b, b'x', a, b'7'];
                assert_eq!(
                    text(|o| push_quoted(o, &bytes)),
                    quoted_reference(&bytes),
                    "bytes {bytes:?}"
                );
            }
        }
        let long = b"goroutine write\n\0\x01 plain \x7f8 \"q\" \\ end\xff";
        assert_eq!(text(|o| push_quoted(o, long)), quoted_reference(long));
        assert_eq!(text(|o| push_quoted(o, b"")), "\"\"");
    }

    #[test]
    fn numbers_match_core_fmt() {
        let signed = [
            0,
            1,
            -1,
            9,
            10,
            -10,
            99,
            100,
            -100,
            4567,
            99999,
            100000,
            4194304,
            i64::MAX,
            i64::MIN,
        ];
        let unsigned = [
            0,
            1,
            7,
            8,
            9,
            10,
            15,
            16,
            99,
            100,
            101,
            0o777,
            4096,
            1 << 40,
            u64::MAX,
        ];
        for v in signed {
            assert_eq!(text(|o| push_i64(o, v)), format!("{v}"));
            assert_eq!(text(|o| push_padded_int(o, v, 5, true)), format!("{v:>5}"));
            assert_eq!(text(|o| push_padded_int(o, v, 5, false)), format!("{v:<5}"));
            assert_eq!(text(|o| push_padded_int(o, v, 2, true)), format!("{v:>2}"));
            assert_eq!(text(|o| push_padded_int(o, v, 7, false)), format!("{v:<7}"));
            assert_eq!(text(|o| push_padded_int(o, v, 7, true)), format!("{v:>7}"));
        }
        for v in unsigned {
            assert_eq!(text(|o| push_u64(o, v)), format!("{v}"));
            let hex = if v == 0 {
                "0".into()
            } else {
                format!("{v:#x}")
            };
            assert_eq!(text(|o| push_hex(o, v)), hex);
            // C's `%#03o`: a leading zero for nonzero values, three characters at least
            let oct = if v == 0 {
                "000".into()
            } else {
                format!("{:0>3}", format!("0{v:o}"))
            };
            assert_eq!(format_arg(&Arg::Oct(v)), oct);
            assert_eq!(text(|o| push_zero_padded(o, v, 6)), format!("{v:06}"));
        }
        for b in 0..=255u8 {
            assert_eq!(text(|o| push_hex_escape(o, b)), format!("\\x{b:02x}"));
        }
    }

    #[test]
    fn modes_print_as_strace_prints_them() {
        // strace 6.1: `openat(AT_FDCWD, NULL, O_RDONLY|O_CREAT, 000)`, `... 051)`,
        // `mkdir(NULL, 004)`, `chmod(NULL, 0644)`, `mkdir(NULL, 0177777)`
        for (mode, text) in [
            (0, "000"),
            (0o51, "051"),
            (0o4, "004"),
            (0o644, "0644"),
            (0o177777, "0177777"),
        ] {
            assert_eq!(format_arg(&Arg::Oct(mode)), text);
        }
    }

    #[test]
    fn paths_escape_like_strings_and_angle_brackets() {
        // strace 6.1 -y on a file named "\u{e9}t <x>\\\n\x7f"
        let a = Arg::Fd {
            fd: 3,
            path: Some("/tmp/w2y/\u{e9}t <x>\\\n\x7f".into()),
        };
        assert_eq!(format_arg(&a), r"3</tmp/w2y/\303\251t \74x\76\\\n\177>");
        // from strace's tests/fsync-y.c: three-digit octal before a digit
        let a = Arg::Fd {
            fd: 3,
            path: Some("/d/\x01\x020<0".into()),
        };
        assert_eq!(format_arg(&a), r"3</d/\1\0020\0740>");
    }

    #[test]
    fn times_match_core_fmt() {
        for (secs, offset) in [(1_700_011_507, 3600), (86_399, 0), (0, -7200), (59, 0)] {
            let at = UNIX_EPOCH + Duration::new(secs, 42_000);
            let local = (secs as i64 + offset).rem_euclid(86_400);
            let (h, m, s) = (local / 3600, local / 60 % 60, local % 60);
            assert_eq!(
                format_time(TimeFormat::Seconds, at, offset),
                format!("{h:02}:{m:02}:{s:02} ")
            );
            assert_eq!(
                format_time(TimeFormat::Micros, at, offset),
                format!("{h:02}:{m:02}:{s:02}.000042 ")
            );
            assert_eq!(
                format_time(TimeFormat::Epoch, at, offset),
                format!("{secs}.000042 ")
            );
        }
        let at = UNIX_EPOCH + Duration::new(1_700_011_507, 42_000);
        assert_eq!(format_time(TimeFormat::Micros, at, 0), "01:25:07.000042 ");
        assert_eq!(format_time(TimeFormat::None, at, 0), "");
    }

    #[test]
    fn prefixes_follow_style_changes_and_many_threads() {
        let c = call("getpid", vec![], 0, false, int(1));
        let mut p = Printer::new(LineOptions::default());
        let mut got = String::new();
        let mut want = String::new();
        for round in 0..3 {
            for tid in [7, 1234567, -3, 42, 99999, 100000, 5, 6, 8, 9, 10, 7] {
                p.opts.prefix = match (round + tid) % 3 {
                    0 => PidPrefix::None,
                    1 => PidPrefix::Bare,
                    _ => PidPrefix::Bracket,
                };
                got += &p.line(tid, &c, None, None);
                let lead = match p.opts.prefix {
                    PidPrefix::None => String::new(),
                    PidPrefix::Bare => format!("{tid:<5} "),
                    PidPrefix::Bracket => format!("[pid {tid:>5}] "),
                };
                let body = "getpid()";
                let col = lead.len() + body.len();
                want += &format!(
                    "{lead}{body}{:pad$}= 1\n",
                    " ",
                    pad = 40usize.saturating_sub(col)
                );
            }
        }
        assert_eq!(got, want);
    }

    #[test]
    fn durations_and_bracket_prefix() {
        let c = call(
            "close",
            vec![Arg::Fd { fd: 3, path: None }],
            1,
            false,
            int(0),
        );
        let mut p = Printer::new(LineOptions {
            prefix: PidPrefix::Bracket,
            durations: true,
            ..Default::default()
        });
        assert_eq!(
            p.line(42, &c, None, Some(Duration::new(3, 45_678_000))),
            "[pid    42] close(3)                    = 0 <3.045678>\n"
        );
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
