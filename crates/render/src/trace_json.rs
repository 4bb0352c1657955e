//! `trace --json`: JSON Lines, one object per event. Every object starts
//! with `"schema": "rabbithole.trace/1"` and `"event"` (`syscall`, `signal`
//! or `exit`); `docs/json.md` lists every field.

use crate::stack::GoStack;
use crate::strace::{format_arg, format_args, format_ret};
use model::syscall::{Arg, Call, ProcessExit, Ret, Signal};
use serde::Serialize;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// The schema name and version every trace event carries.
pub const SCHEMA: &str = "rabbithole.trace/1";

/// Who and when, common to every event.
#[derive(Debug, Clone, Copy)]
pub struct Origin {
    /// When the event happened (wall clock), if known.
    pub at: Option<SystemTime>,
    /// Process id.
    pub pid: i32,
    /// Thread id.
    pub tid: i32,
}

#[derive(Serialize)]
struct SyscallEvent<'a> {
    schema: &'static str,
    event: &'static str,
    time: Option<f64>,
    pid: i32,
    tid: i32,
    syscall: &'a str,
    nr: u64,
    args: &'a [Arg],
    text: String,
    ret: Option<i64>,
    errno: Option<&'a str>,
    ret_text: Option<String>,
    duration: Option<f64>,
    #[serde(flatten)]
    stack: Option<StackFields>,
}

#[derive(Serialize)]
struct SignalEvent<'a> {
    schema: &'static str,
    event: &'static str,
    time: Option<f64>,
    pid: i32,
    tid: i32,
    signal: &'a str,
    stopped: bool,
    info: Option<&'a Arg>,
    text: String,
}

#[derive(Serialize)]
struct ExitEvent<'a> {
    schema: &'static str,
    event: &'static str,
    time: Option<f64>,
    pid: i32,
    tid: i32,
    #[serde(flatten)]
    how: &'a ProcessExit,
}

/// One frame of a `-k` stack.
#[derive(Serialize)]
struct FrameFields {
    pc: String,
    function: String,
    file: String,
    line: u32,
    inlined: bool,
}

/// The fields `-k` adds to a syscall event.
#[derive(Serialize)]
struct StackFields {
    goid: Option<u64>,
    g: String,
    stack: Vec<FrameFields>,
}

impl StackFields {
    fn new(s: &GoStack<'_>, depth: usize) -> StackFields {
        StackFields {
            goid: s.goid,
            g: s.goroutine.to_string(),
            stack: s
                .frames
                .iter()
                .take(depth)
                .map(|f| FrameFields {
                    pc: format!("{:#x}", f.pc),
                    function: f.function.clone(),
                    file: f.file.clone(),
                    line: f.line,
                    inlined: f.inlined,
                })
                .collect(),
        }
    }
}

fn epoch_secs(at: Option<SystemTime>) -> Option<f64> {
    at.and_then(|t| t.duration_since(UNIX_EPOCH).ok())
        .map(|d| d.as_secs_f64())
}

fn arg_number(a: &Arg) -> Option<i64> {
    match a {
        Arg::Int(v) => Some(*v),
        Arg::UInt(v) | Arg::Hex(v) | Arg::Ptr(v) | Arg::Oct(v) => Some(*v as i64),
        Arg::Fd { fd, .. } => Some(i64::from(*fd)),
        _ => None,
    }
}

/// Appends one line and its newline to `out`.
fn line<T: Serialize>(out: &mut Vec<u8>, ev: &T) -> serde_json::Result<()> {
    serde_json::to_writer(&mut *out, ev)?;
    out.push(b'\n');
    Ok(())
}

/// A finished syscall; `stack` (with the frames to print) under `-k`.
pub fn syscall(
    out: &mut Vec<u8>,
    origin: Origin,
    call: &Call,
    took: Option<Duration>,
    stack: Option<(&GoStack<'_>, usize)>,
) -> serde_json::Result<()> {
    let (ret, errno) = match &call.ret {
        Some(Ret::Error { errno, name, .. }) => (Some(-i64::from(*errno)), Some(name.as_ref())),
        Some(Ret::Value { value, .. }) => (arg_number(value), None),
        _ => (None, None),
    };
    line(
        out,
        &SyscallEvent {
            schema: SCHEMA,
            event: "syscall",
            time: epoch_secs(origin.at),
            pid: origin.pid,
            tid: origin.tid,
            syscall: &call.name,
            nr: call.nr,
            args: &call.args,
            text: format_args(call),
            ret,
            errno,
            ret_text: call.ret.as_ref().map(format_ret),
            duration: took.map(|d| d.as_secs_f64()),
            stack: stack.map(|(s, depth)| StackFields::new(s, depth)),
        },
    )
}

/// A signal delivered or a group-stop.
pub fn signal(out: &mut Vec<u8>, origin: Origin, sig: &Signal) -> serde_json::Result<()> {
    let text = format!(
        "--- {} {}---",
        sig.name,
        sig.info
            .as_ref()
            .map(|i| format_arg(i) + " ")
            .unwrap_or_default()
    );
    line(
        out,
        &SignalEvent {
            schema: SCHEMA,
            event: "signal",
            time: epoch_secs(origin.at),
            pid: origin.pid,
            tid: origin.tid,
            signal: &sig.name,
            stopped: sig.stopped,
            info: sig.info.as_ref(),
            text,
        },
    )
}

/// A thread or process ended.
pub fn exit(out: &mut Vec<u8>, origin: Origin, how: &ProcessExit) -> serde_json::Result<()> {
    line(
        out,
        &ExitEvent {
            schema: SCHEMA,
            event: "exit",
            time: epoch_secs(origin.at),
            pid: origin.pid,
            tid: origin.tid,
            how,
        },
    )
}

#[cfg(test)]
mod tests {
    use model::syscall::Arg;

    fn value(bytes: &[u8]) -> serde_json::Value {
        serde_json::to_value(Arg::Str {
            bytes: bytes.to_vec(),
            truncated: false,
        })
        .unwrap()
    }

    #[test]
    fn str_bytes_are_lossless() {
        // Valid UTF-8: the text alone says it all.
        assert_eq!(
            value("héllo\n".as_bytes()),
            serde_json::json!({"type": "str", "value": {"bytes": "héllo\n", "truncated": false}})
        );
        // Not UTF-8: the text is lossy, `hex` is exact.
        let v = value(b"a\xff\x00b");
        assert_eq!(v["value"]["bytes"], "a\u{fffd}\u{0}b");
        assert_eq!(v["value"]["hex"], "61ff0062");
    }
}
