//! Two-phase decoding: [`decode_entry`] at syscall entry, [`decode_exit`]
//! at exit. Each syscall has one decoder function that is called in both
//! phases and pushes typed [`Arg`]s; it never formats text.

mod fs;
mod ioctl;
mod misc;
mod net;
mod process;
mod signal;
mod simple;
mod vm;

use std::borrow::Cow;
use std::cell::RefCell;
use std::sync::OnceLock;

use model::syscall::{Arg, Call, Field, Ret};
use model::Arch;

use crate::errno::{errno_message, errno_name};
use crate::memory::{read_cstr_into, read_exact, read_u32, read_u64, read_vec, Memory};
use crate::table::table;

/// Decoding choices that mirror strace's flags.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Options {
    /// `-s N`: most string bytes (and array elements) shown; default 32.
    pub string_limit: usize,
    /// `-v`: print structs and environments in full instead of abbreviated.
    pub verbose: bool,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            string_limit: 32,
            verbose: false,
        }
    }
}

/// Resolves a descriptor of the traced process to the path `-y` shows
/// (the tracer reads `/proc/PID/fd/N`).
pub type FdResolver<'a> = &'a dyn Fn(i32) -> Option<String>;

/// Everything a decoder may consult besides registers.
#[derive(Clone, Copy)]
pub struct Context<'a> {
    /// Architecture of the stopped thread.
    pub arch: Arch,
    /// The thread's memory.
    pub mem: &'a dyn Memory,
    /// Decoding options.
    pub opts: &'a Options,
    /// `-y`: descriptor-to-path lookup; `None` leaves descriptors bare.
    pub fd_path: Option<FdResolver<'a>>,
}

/// Registers at a syscall-entry stop (what `PTRACE_GET_SYSCALL_INFO`'s
/// entry record gives).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Entry {
    /// Syscall number.
    pub nr: u64,
    /// The six argument registers.
    pub args: [u64; 6],
    /// Stack pointer (rt_sigreturn reads the signal frame from it).
    pub sp: u64,
}

/// A syscall between entry and exit: what was decoded at entry, plus what
/// the exit phase needs. Hand it back to [`decode_exit`].
#[derive(Clone, Debug)]
pub struct Pending {
    call: Call,
    entry: Entry,
    decoder: Option<DecodeFn>,
    saved: Vec<u64>,
    ret: RetStyle,
    /// Byte buffers of the previous call's strings, for the next call's
    /// (a tracer reusing this `Pending` then allocates no string buffer).
    spare: RefCell<Vec<Vec<u8>>>,
}

/// Most string buffers kept for reuse, and the largest kept.
const SPARE_BUFFERS: usize = 4;
const SPARE_CAPACITY: usize = 1 << 16;

impl Pending {
    /// The call as known at entry (`ret` is `None`); render it for the
    /// first half of an `<unfinished ...>` line.
    pub fn call(&self) -> &Call {
        &self.call
    }

    /// The registers the call was entered with.
    pub fn entry(&self) -> &Entry {
        &self.entry
    }

    /// The call as it stands when it will never return (the thread exited
    /// inside it, or the syscall was `exit`): result `?`.
    pub fn abandon(self) -> Call {
        let mut call = self.call;
        call.ret = Some(Ret::Unknown);
        call
    }

    /// [`Pending::abandon`] in place, for a `Pending` that is reused.
    pub fn abandon_in_place(&mut self) -> &Call {
        self.call.ret = Some(Ret::Unknown);
        &self.call
    }
}

type DecodeFn = fn(&mut Dec<'_, '_>);

/// A decoder and what it reads behind pointer arguments (see
/// [`crate::reads`]): one row of a topic's table.
type Decoder = (DecodeFn, &'static [crate::reads::Read]);

/// How the return value prints on success.
#[derive(Clone, Debug, PartialEq, Eq)]
enum RetStyle {
    Int,
    Hex,
    Fd,
    /// Set by the exit phase: the whole value decided by the decoder
    /// (boxed: rare, and it would make every pending call bigger).
    Custom(Box<(Arg, Option<String>)>),
}

impl Default for Pending {
    /// An empty slot for [`decode_entry_into`].
    fn default() -> Pending {
        Pending {
            call: Call {
                nr: 0,
                name: Cow::Borrowed(""),
                args: Vec::new(),
                entry_args: 0,
                deferred: false,
                exit_sep: false,
                ret: None,
            },
            entry: Entry::default(),
            decoder: None,
            saved: Vec::new(),
            ret: RetStyle::Int,
            spare: RefCell::new(Vec::new()),
        }
    }
}

/// Decodes the entry half of a syscall.
pub fn decode_entry(ctx: &Context<'_>, entry: &Entry) -> Pending {
    let mut pending = Pending::default();
    decode_entry_into(ctx, entry, &mut pending);
    pending
}

/// [`decode_entry`] into a `Pending` kept from an earlier call, which it
/// replaces: a tracer that keeps one per thread reuses its allocations
/// and moves no call around (this runs for every traced syscall).
pub fn decode_entry_into(ctx: &Context<'_>, entry: &Entry, pending: &mut Pending) {
    let info = table(ctx.arch).and_then(|t| t.by_nr(entry.nr));
    let call = &mut pending.call;
    call.nr = entry.nr;
    call.name = match info {
        Some(i) => Cow::Borrowed(i.name),
        None => Cow::Owned(format!("syscall_{:#x}", entry.nr)),
    };
    let spare = pending.spare.get_mut();
    for arg in call.args.drain(..) {
        if let Arg::Str { bytes, .. } = arg {
            if spare.len() < SPARE_BUFFERS && bytes.capacity() <= SPARE_CAPACITY {
                spare.push(bytes);
            }
        }
    }
    call.args.reserve(info.map_or(6, |i| i.nargs));
    call.entry_args = 0;
    call.deferred = false;
    call.exit_sep = false;
    call.ret = None;
    pending.entry = *entry;
    pending.decoder = decoder_by_nr(ctx.arch, entry.nr);
    pending.saved.clear();
    pending.ret = RetStyle::Int;
    match pending.decoder {
        Some(f) => {
            let mut d = Dec::new(ctx, pending, None);
            f(&mut d);
        }
        None => {
            // Unknown to the decoders: every argument register in hex,
            // as many as the table says (six when the number is unknown).
            let n = info.map_or(6, |i| i.nargs);
            for &a in entry.args.iter().take(n) {
                pending.call.args.push(Arg::Hex(a));
            }
        }
    }
    pending.call.entry_args = pending.call.args.len();
}

/// Decodes the exit half: output arguments and the result. `ret` is the
/// raw return register; -4095..=-1 means failure, as the kernel encodes it.
pub fn decode_exit(ctx: &Context<'_>, mut pending: Pending, ret: i64) -> Call {
    decode_exit_in_place(ctx, &mut pending, ret);
    pending.call
}

/// [`decode_exit`] without moving the call out: afterwards
/// [`Pending::call`] is the finished call, and the `Pending` can be
/// handed to [`decode_entry_into`] for the thread's next syscall.
pub fn decode_exit_in_place(ctx: &Context<'_>, pending: &mut Pending, ret: i64) {
    if let Some(f) = pending.decoder {
        let mut d = Dec::new(ctx, pending, Some(ret));
        f(&mut d);
    }
    let r = if (-4095..=-1).contains(&ret) {
        error_ret(-ret as i32)
    } else {
        match std::mem::replace(&mut pending.ret, RetStyle::Int) {
            RetStyle::Int => value(Arg::Int(ret)),
            RetStyle::Hex => value(Arg::Hex(ret as u64)),
            RetStyle::Fd => value(fd_arg(ctx, ret as i32)),
            RetStyle::Custom(custom) => {
                let (value, note) = *custom;
                Ret::Value { value, note }
            }
        }
    };
    pending.call.ret = Some(r);
}

fn value(arg: Arg) -> Ret {
    Ret::Value {
        value: arg,
        note: None,
    }
}

/// The [`Ret`] for a failed call with this errno.
pub fn error_ret(errno: i32) -> Ret {
    Ret::Error {
        errno,
        name: errno_name(errno).map_or_else(|| errno.to_string().into(), Cow::Borrowed),
        message: errno_message(errno)
            .map_or_else(|| format!("errno {errno}").into(), Cow::Borrowed),
    }
}

fn fd_arg(ctx: &Context<'_>, fd: i32) -> Arg {
    Arg::Fd {
        fd,
        path: if fd >= 0 {
            ctx.fd_path.and_then(|f| f(fd))
        } else {
            None
        },
    }
}

/// The working state of one decoder call. A decoder pushes its entry
/// arguments when [`Dec::entering`], calls [`Dec::defer`] if more come at
/// exit, and in the exit phase pushes those (only if it deferred) and picks
/// the return style.
pub(crate) struct Dec<'c, 'p> {
    ctx: &'c Context<'c>,
    p: &'p mut Pending,
    ret: Option<i64>,
}

impl<'c, 'p> Dec<'c, 'p> {
    fn new(ctx: &'c Context<'c>, p: &'p mut Pending, ret: Option<i64>) -> Dec<'c, 'p> {
        Dec { ctx, p, ret }
    }

    /// True in the entry phase.
    pub fn entering(&self) -> bool {
        self.ret.is_none()
    }

    /// True in the exit phase when the call succeeded.
    pub fn ok(&self) -> bool {
        matches!(self.ret, Some(r) if !(-4095..=-1).contains(&r))
    }

    /// The raw return value (exit phase; 0 at entry).
    pub fn retval(&self) -> i64 {
        self.ret.unwrap_or(0)
    }

    pub fn arg(&self, i: usize) -> u64 {
        self.p.entry.args.get(i).copied().unwrap_or(0)
    }

    /// The syscall's name (from the table; `syscall_0x..` when unknown).
    pub fn name(&self) -> &str {
        &self.p.call.name
    }

    /// An argument the C prototype declares `int` or `unsigned int`: only
    /// the register's low half is the value (strace prints
    /// `dup3(-1, -2, O_CLOEXEC)` for flags `0xdefaced00080000`).
    pub fn arg32(&self, i: usize) -> u64 {
        u64::from(self.arg(i) as u32)
    }

    /// The table's argument count for this syscall (6 when unknown).
    pub fn nargs(&self) -> usize {
        table(self.ctx.arch)
            .and_then(|t| t.by_nr(self.p.entry.nr))
            .map_or(6, |i| i.nargs)
    }

    /// A path the kernel produced with a known length (getcwd's includes
    /// its NUL; readlink's does not); like [`Dec::path`], not cut at `-s`.
    pub fn buf_exact(&self, addr: u64, len: u64) -> Arg {
        let len = len.min(4096);
        let whole = match read_vec(self.ctx.mem, addr, len as usize) {
            Some(bytes) if addr != 0 => Arg::Str {
                bytes,
                truncated: false,
            },
            _ if addr == 0 => Arg::Ptr(0),
            _ => Arg::Unreadable(addr),
        };
        match whole {
            Arg::Str {
                mut bytes,
                truncated,
            } => {
                if !truncated && bytes.last() == Some(&0) {
                    bytes.pop();
                }
                Arg::Str { bytes, truncated }
            }
            other => other,
        }
    }

    pub fn sp(&self) -> u64 {
        self.p.entry.sp
    }

    pub fn arch(&self) -> Arch {
        self.ctx.arch
    }

    pub fn limit(&self) -> usize {
        self.ctx.opts.string_limit
    }

    pub fn verbose(&self) -> bool {
        self.ctx.opts.verbose
    }

    pub fn push(&mut self, a: Arg) {
        self.p.call.args.push(a);
    }

    pub fn extend<const N: usize>(&mut self, args: [Arg; N]) {
        self.p.call.args.extend(args);
    }

    /// Ends the entry phase early: the remaining arguments come at exit.
    pub fn defer(&mut self) {
        self.p.call.deferred = true;
    }

    /// Like [`Dec::defer`], with the comma printed in the resumed half.
    pub fn defer_sep_at_exit(&mut self) {
        self.p.call.deferred = true;
        self.p.call.exit_sep = true;
    }

    /// Keeps a value from entry for the exit phase.
    pub fn save(&mut self, v: u64) {
        self.p.saved.push(v);
    }

    pub fn saved(&self, i: usize) -> Option<u64> {
        self.p.saved.get(i).copied()
    }

    pub fn ret_hex(&mut self) {
        self.p.ret = RetStyle::Hex;
    }

    pub fn ret_fd(&mut self) {
        self.p.ret = RetStyle::Fd;
    }

    pub fn ret_custom(&mut self, value: Arg, note: Option<String>) {
        self.p.ret = RetStyle::Custom(Box::new((value, note)));
    }

    // ---- argument builders -------------------------------------------

    pub fn fd(&self, v: u64) -> Arg {
        fd_arg(self.ctx, v as i32)
    }

    /// A directory fd argument of the *at() family.
    pub fn dirfd(&self, v: u64) -> Arg {
        if v as i32 == -100 {
            Arg::Sym("AT_FDCWD".into())
        } else {
            self.fd(v)
        }
    }

    pub fn int(&self, v: u64) -> Arg {
        Arg::Int(v as i32 as i64)
    }

    pub fn long(&self, v: u64) -> Arg {
        Arg::Int(v as i64)
    }

    pub fn uint(&self, v: u64) -> Arg {
        Arg::UInt(v as u32 as u64)
    }

    pub fn ulong(&self, v: u64) -> Arg {
        Arg::UInt(v)
    }

    /// A path: strace shows paths whole (up to PATH_MAX), ignoring `-s`.
    pub fn path(&self, addr: u64) -> Arg {
        self.read_str(addr, 4096)
    }

    pub fn cstr(&self, addr: u64) -> Arg {
        self.read_str(addr, self.limit())
    }

    /// A NUL-terminated string of at most `limit` bytes.
    fn read_str(&self, addr: u64, limit: usize) -> Arg {
        if addr == 0 {
            return Arg::Ptr(0);
        }
        let mut bytes = self.spare_bytes();
        match read_cstr_into(self.ctx.mem, addr, limit, &mut bytes) {
            Some(truncated) => Arg::Str { bytes, truncated },
            None => {
                self.give_back(bytes);
                Arg::Unreadable(addr)
            }
        }
    }

    /// An empty byte buffer, recycled from the previous call when possible.
    fn spare_bytes(&self) -> Vec<u8> {
        let mut bytes = self.p.spare.borrow_mut().pop().unwrap_or_default();
        bytes.clear();
        bytes
    }

    fn give_back(&self, bytes: Vec<u8>) {
        let mut spare = self.p.spare.borrow_mut();
        if spare.len() < SPARE_BUFFERS && bytes.capacity() <= SPARE_CAPACITY {
            spare.push(bytes);
        }
    }

    /// A buffer of `len` bytes, shown up to the `-s` limit.
    pub fn buf(&self, addr: u64, len: u64) -> Arg {
        if addr == 0 {
            return Arg::Ptr(0);
        }
        let limit = self.limit();
        let shown = usize::try_from(len).unwrap_or(usize::MAX).min(limit);
        // A recycled buffer keeps its old bytes: they are all overwritten
        // by a read that succeeds, and only the growth is zeroed.
        let mut bytes = self.p.spare.borrow_mut().pop().unwrap_or_default();
        bytes.resize(shown, 0);
        if read_exact(self.ctx.mem, addr, &mut bytes) {
            Arg::Str {
                truncated: len > shown as u64,
                bytes,
            }
        } else {
            self.give_back(bytes);
            Arg::Unreadable(addr)
        }
    }

    pub fn read_u32(&self, addr: u64) -> Option<u32> {
        read_u32(self.ctx.mem, addr)
    }

    pub fn read_u64(&self, addr: u64) -> Option<u64> {
        read_u64(self.ctx.mem, addr)
    }

    pub fn read_bytes(&self, addr: u64, len: usize) -> Option<Vec<u8>> {
        read_vec(self.ctx.mem, addr, len)
    }

    /// `[value]` for an int passed by pointer, or the address if unreadable.
    pub fn int_ptr(&self, addr: u64) -> Arg {
        if addr == 0 {
            return Arg::Ptr(0);
        }
        match self.read_u32(addr) {
            Some(v) => Arg::Array(vec![Arg::Int(v as i32 as i64)]),
            None => Arg::Unreadable(addr),
        }
    }

    /// Reads a struct of `size` bytes, or returns the address as
    /// unreadable (NULL stays NULL).
    pub fn struct_at(&self, addr: u64, size: usize) -> Result<Vec<u8>, Arg> {
        if addr == 0 {
            return Err(Arg::Ptr(0));
        }
        self.read_bytes(addr, size).ok_or(Arg::Unreadable(addr))
    }
}

/// Builds a `{name=value, ...}` struct from pairs.
pub(crate) fn st(fields: Vec<(&'static str, Arg)>) -> Arg {
    Arg::Struct(
        fields
            .into_iter()
            .map(|(n, v)| Field {
                name: n.into(),
                value: v,
            })
            .collect(),
    )
}

// Struct fields read whole; out-of-range reads give 0 so a short struct
// never panics (strace prints what it can).
pub(crate) use gobin::bytes::{
    u16_le_or_zero as le_u16, u32_le_or_zero as le_u32, u64_le_or_zero as le_u64,
};

/// The decoder for a syscall number, from a per-architecture array built
/// on first use: matching the name against every decoder's list on each
/// call cost more than decoding a `write`.
fn decoder_by_nr(arch: Arch, nr: u64) -> Option<DecodeFn> {
    static AMD64: OnceLock<Vec<Option<DecodeFn>>> = OnceLock::new();
    static ARM64: OnceLock<Vec<Option<DecodeFn>>> = OnceLock::new();
    let cell = match arch {
        Arch::Amd64 => &AMD64,
        Arch::Arm64 => &ARM64,
        Arch::Other(_) => return None,
    };
    let by_nr = cell.get_or_init(|| {
        let Some(t) = table(arch) else {
            return Vec::new();
        };
        let mut v = vec![None; t.len()];
        for s in t.iter() {
            if let Some(slot) = usize::try_from(s.nr).ok().and_then(|i| v.get_mut(i)) {
                *slot = decoder_for(s.name).map(|(f, _)| f);
            }
        }
        v
    });
    usize::try_from(nr)
        .ok()
        .and_then(|i| by_nr.get(i).copied().flatten())
}

pub(crate) fn decoder_for(name: &str) -> Option<Decoder> {
    fs::decoder(name)
        .or_else(|| net::decoder(name))
        .or_else(|| vm::decoder(name))
        .or_else(|| process::decoder(name))
        .or_else(|| signal::decoder(name))
        .or_else(|| misc::decoder(name))
        .or_else(|| simple::decoder(name))
}

/// Names of the syscalls with a typed decoder (the rest print raw hex).
pub fn decoded_syscalls() -> Vec<&'static str> {
    crate::table::table(Arch::Amd64)
        .into_iter()
        .chain(crate::table::table(Arch::Arm64))
        .flat_map(|t| t.iter())
        .filter(|s| decoder_for(s.name).is_some())
        .map(|s| s.name)
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect()
}
