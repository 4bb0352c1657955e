//! Syscall events and their typed arguments, as decoders produce them.
//!
//! Decoders (crate `syscalls`) turn register values and tracee memory into
//! these types and never format text; printers (crate `render`) turn them
//! into strace's text or JSON. Keeping the two apart is what lets `--json`
//! carry the same knowledge as the text output, typed.
//!
//! - [`Call`]: one syscall, its [`Arg`]s and its [`Ret`].
//! - [`Signal`]: a signal delivered to (or stopping) a thread.
//! - [`ProcessExit`]: how a thread or process ended.
//! - [`SummaryRow`]: one line of a `-c` summary.

use std::borrow::Cow;

use serde::{Serialize, Serializer};

/// One argument (or struct field, or array element) as a decoder
/// understood it. Each variant names how strace would show the value, so a
/// printer needs no syscall knowledge.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "type", content = "value", rename_all = "snake_case")]
pub enum Arg {
    /// Signed decimal (`-1`, `4096`).
    Int(i64),
    /// Unsigned decimal.
    UInt(u64),
    /// Hexadecimal (`0x1f`); zero prints as `0`.
    Hex(u64),
    /// Octal with a leading zero, at least three digits (`0644`, `000`).
    Oct(u64),
    /// An address; zero prints as `NULL`.
    Ptr(u64),
    /// An address whose contents could not be read (unmapped, or the
    /// thread is gone); printed as the address, like strace does.
    Unreadable(u64),
    /// A file descriptor, with its path when `-y` asked for paths.
    Fd {
        /// The descriptor number.
        fd: i32,
        /// What the descriptor referred to when the call was decoded.
        path: Option<String>,
    },
    /// Bytes read from the tracee, shown as a quoted, escaped C string.
    #[serde(serialize_with = "str_value")]
    Str {
        /// The bytes, cut at the `-s` limit.
        bytes: Vec<u8>,
        /// True when the tracee had more bytes than `-s` allows (`"..."...`).
        truncated: bool,
    },
    /// Bytes shown entirely as `\x..` escapes, as strace shows random or
    /// binary data (getrandom).
    HexStr {
        /// The bytes, cut at the `-s` limit.
        #[serde(serialize_with = "bytes_as_hex")]
        bytes: Vec<u8>,
        /// True when there were more bytes than shown.
        truncated: bool,
    },
    /// A bit set by name (`O_RDONLY|O_CLOEXEC`); bits without a name
    /// follow in hex. Empty names and zero rest print `0`.
    Flags {
        /// Names of the recognised bits (or the zero-valued name first).
        names: Vec<Cow<'static, str>>,
        /// Bits no name covers.
        rest: u64,
    },
    /// A symbolic constant (`AT_FDCWD`, `SIGURG`, `F_GETFD`); borrowed
    /// from a decoder's table when it can be, so most cost no allocation.
    Sym(Cow<'static, str>),
    /// Pieces joined by `|` where one part is not a flag (`S_IFREG|0644`).
    Or(Vec<Arg>),
    /// A C struct: `{name=value, ...}`.
    Struct(Vec<Field>),
    /// A C array: `[a, b]`.
    Array(Vec<Arg>),
    /// A bit set shown as strace shows signal masks and CPU sets:
    /// `[HUP INT]`, `~[KILL]` (the complement), `[0 1]`.
    Set {
        /// Members, already named.
        items: Vec<String>,
        /// True when `items` are the members *not* in the set.
        negated: bool,
    },
    /// A value shown as a function call (`htons(80)`, `inet_addr("1.2.3.4")`).
    Call {
        /// The function name.
        func: String,
        /// Its arguments.
        args: Vec<Arg>,
    },
    /// A value the kernel changed during the call: `before => after`.
    Changed {
        /// Value at entry.
        before: Box<Arg>,
        /// Value at exit.
        after: Box<Arg>,
    },
    /// A value with a C comment after it (`0x7ffc... /* 43 vars */`).
    Commented {
        /// The value itself.
        value: Box<Arg>,
        /// The comment text, without the delimiters.
        comment: String,
    },
    /// `name=value`, for calls strace prints with named arguments (clone).
    Named {
        /// The argument's name.
        name: String,
        /// Its value.
        value: Box<Arg>,
    },
    /// `...`: more elements or fields exist but are not shown.
    Ellipsis,
}

/// One field of an [`Arg::Struct`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Field {
    /// The field name as strace spells it (`st_mode`, `sa_handler`).
    pub name: Cow<'static, str>,
    /// The field's value.
    pub value: Arg,
}

/// A syscall's result.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Ret {
    /// Success: the value as it should print (decimal, hex, fd), and an
    /// optional note strace adds in parentheses (`(flags O_RDONLY)`).
    Value {
        /// The value.
        value: Arg,
        /// Text shown after it in parentheses.
        note: Option<String>,
    },
    /// Failure: `-1 ENOENT (No such file or directory)`; kernel-internal
    /// restart codes (`ERESTARTSYS`) print as `? ERESTARTSYS (...)`.
    Error {
        /// The positive errno number.
        errno: i32,
        /// Its symbolic name (`ENOENT`); `E?` style text when unknown.
        /// Borrowed from the errno table when known.
        name: Cow<'static, str>,
        /// strerror-style message.
        message: Cow<'static, str>,
    },
    /// No result: the call never returned (`exit`, `exit_group`, a thread
    /// killed while blocked). Prints as `?`.
    Unknown,
}

/// One syscall, decoded. Arguments are split in two phases because strace
/// reads inputs at entry (a path is gone after `execve`) and outputs at
/// exit (the buffer `read` filled).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Call {
    /// Syscall number on the traced thread's architecture.
    pub nr: u64,
    /// Name (`openat`), or `syscall_0x1ad` for numbers no table knows;
    /// borrowed from the syscall table in the usual case, so decoding a
    /// call does not allocate its name.
    pub name: Cow<'static, str>,
    /// Arguments in order, entry-phase ones first.
    pub args: Vec<Arg>,
    /// How many of `args` were known at entry; the rest were decoded at exit.
    pub entry_args: usize,
    /// True when some arguments are only decoded at exit, so a line cut at
    /// entry ends with `, <unfinished ...>`; when the call never returns
    /// (`ret` is [`Ret::Unknown`]) those arguments print as `<unfinished ...>`.
    pub deferred: bool,
    /// When a line is split (`<unfinished ...>`), put the comma before the
    /// first exit argument in the resumed half instead of the first half;
    /// strace does this for `clone`.
    pub exit_sep: bool,
    /// The result; `None` while the call is in progress.
    pub ret: Option<Ret>,
}

/// A signal reported for a thread: delivered (`--- SIGURG {...} ---`) or
/// stopping it (`--- stopped by SIGSTOP ---`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Signal {
    /// Signal number.
    pub signo: i32,
    /// Name with the `SIG` prefix (`SIGURG`, `SIGRT_3`).
    pub name: String,
    /// Decoded siginfo (an [`Arg::Struct`]), when the tracer could read it.
    pub info: Option<Arg>,
    /// True for a group-stop rather than a delivery.
    pub stopped: bool,
}

/// How a traced thread or process ended.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ProcessExit {
    /// Normal exit with a status code.
    Exited {
        /// The exit code (0-255).
        code: i32,
    },
    /// Killed by a signal.
    Killed {
        /// Signal name (`SIGKILL`).
        signal: String,
        /// True when the kernel wrote a core dump.
        core_dumped: bool,
    },
}

/// One syscall's line in a `-c` summary, gathered by the tracer.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SummaryRow {
    /// Syscall name.
    pub name: String,
    /// How many times it was called.
    pub calls: u64,
    /// How many of those calls failed.
    pub errors: u64,
    /// Total time spent in it, in seconds.
    pub seconds: f64,
}

/// Strings from tracees are bytes; JSON wants text. `bytes` is the text
/// (lossy where the bytes are not UTF-8, for readers that want a string),
/// and when it is lossy, `hex` carries every byte exactly.
fn str_value<S: Serializer>(bytes: &[u8], truncated: &bool, s: S) -> Result<S::Ok, S::Error> {
    use serde::ser::SerializeMap;
    let exact = std::str::from_utf8(bytes).is_ok();
    let mut m = s.serialize_map(Some(if exact { 2 } else { 3 }))?;
    m.serialize_entry("bytes", &String::from_utf8_lossy(bytes))?;
    m.serialize_entry("truncated", truncated)?;
    if !exact {
        m.serialize_entry("hex", &HexBytes(bytes))?;
    }
    m.end()
}

struct HexBytes<'a>(&'a [u8]);

impl Serialize for HexBytes<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        bytes_as_hex(self.0, s)
    }
}

fn bytes_as_hex<S: Serializer>(bytes: &[u8], s: S) -> Result<S::Ok, S::Error> {
    use std::fmt::Write as _;
    let mut t = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(t, "{b:02x}");
    }
    s.serialize_str(&t)
}
