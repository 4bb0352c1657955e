//! The eBPF backend: syscalls traced in the kernel, without stopping the
//! tracee.
//!
//! Programs on the raw tracepoints `sys_enter`/`sys_exit` (no tracefs,
//! no BTF-typed attach) filter by a tgid set that `sched_process_fork` and
//! `sched_process_exit` keep current, copy each finished call's numbers,
//! the bytes behind its pointer arguments ([`capture`]), the user
//! frame-pointer chain and the start of Go's `g` into a ring buffer.
//! User space turns each record into the same [`crate::Sink`] calls the
//! ptrace engine makes, with a [`crate::Thread`] whose memory is the
//! captured bytes, so the `syscalls` decoders, `render::strace` and the Go
//! unwinder ([`crate::unwind`]) run unchanged.
//!
//! ## Why our own loader and an assembler in Rust
//!
//! `cargo build` must work on a fresh machine with the stable toolchain
//! and no clang. aya's BPF side needs nightly; libbpf-rs needs clang for
//! the programs and a C toolchain for libbpf. The programs here are small
//! and regular (filter, copy, output), so they are generated at run time
//! by a 200-line assembler ([`asm`]) and loaded over `bpf(2)` directly
//! ([`sys`]). Run-time generation also turns per-trace settings (stack
//! depth, `-T`, `-f`) into immediates and drops unused code, and the
//! verifier checks the result on every start, so there is no committed
//! object to keep in sync. Kernel struct offsets (`task_struct.pid`,
//! `exit_code`) come from the kernel's own BTF ([`btf`]).
//!
//! ## Stacks
//!
//! `bpf_get_stack(BPF_F_USER_STACK)` returns return addresses only. Go's
//! unwinder (pcsp tables, checked against frame pointers, inline
//! expansion) needs the frame addresses too, so the program walks the
//! same frame-pointer chain itself: one read of the 1 KiB above SP, where
//! a Go stack's innermost frames usually are, and a 16-byte read for each
//! frame beyond it. It records `(fp, saved fp, return address)` plus the word
//! at SP (the return address of a frameless assembly leaf such as
//! `Syscall6`). User space rebuilds a sparse stack image from those
//! records and runs the ptrace backend's unwinder on it. The goroutine
//! is the `g` in the thread's TLS slot (`task_struct.thread.fsbase` plus
//! the program's TLS offset; R14, Go's ABIInternal register, when that
//! cannot be read), whose first 176 bytes are copied. On a g0 or gsignal
//! (goid 0) the program also copies the `m`, the user goroutine
//! `m.curg`, the top of that goroutine's stack and its frame-pointer
//! chain (as captures at their addresses), so the unwinder names the
//! goroutine the runtime works for and continues across `systemstack`
//! exactly as it does on a stopped thread. The `g`/`m` offsets come from
//! the traced program's Go version (`goroutine::layouts`); in a child
//! that executes another program they may not fit, and the reader's
//! sanity checks then say `no g` rather than a made-up goroutine.
//!
//! A syscall-heavy program makes the same few calls from the same places
//! over and over, so the program digests everything the unwinder reads
//! (tgid, ip, sp, bp, the word at SP, the frame records, the `g` bytes)
//! and remembers the digests it has sent in full (a hash map of at most
//! `prog::KNOWN_STACKS`, entries added only after the record went out).
//! A later record with a known digest carries the digest alone; user
//! space keeps every stack it unwound by digest and never drops one the
//! kernel may still leave out. `-k` records are then as small as plain
//! ones, and one unwind serves every repeat.
//!
//! ## Times
//!
//! `-T`, `-t` and `-c` use `bpf_ktime_get_ns` (CLOCK_MONOTONIC) taken at
//! entry (kept per thread in a map) and exit, passed to the sink through
//! [`Thread::event_time`]; the printer turns them into wall-clock time.
//!
//! ## Limits
//!
//! x86-64 only (the register layout is built in). Strings of `argv`
//! after the 16th and environment arrays longer than 64 entries are not
//! copied. `readv`/`writev`/`sendmsg` show their iovec arrays, not the
//! data behind them. Records that do not fit in the ring buffer are
//! counted ([`EbpfTracer::lost`]), never waited for: the tracee is never
//! slowed down to let the reader catch up.

mod asm;
pub mod btf;
pub mod capture;
mod prog;
mod sys;

use crate::engine::Outcome;
use crate::event::{Birth, ExitKind, SignalInfo, Sink, SyscallEntry, SyscallExit};
use crate::{Arch, Error, Registers, Thread, X86_64Regs};
use std::collections::{HashMap, HashSet};
use std::ffi::{OsStr, OsString};
use std::os::fd::OwnedFd;
use std::time::Duration;
use sys::{Map, RingBuf};

/// What to trace and what to capture.
#[derive(Debug, Clone)]
pub struct Options {
    /// Follow threads and child processes (`-f`); else the first thread.
    pub follow: bool,
    /// Syscall numbers to trace; `None` traces all.
    pub wanted: Option<Vec<u64>>,
    /// The architecture's syscall table: number and strace name.
    pub names: Vec<(u64, &'static str)>,
    /// `-s`: bytes of data buffers and strings copied.
    pub string_limit: usize,
    /// Physical frames walked per syscall; 0 takes no stacks.
    pub stack_depth: usize,
    /// Record entry times (for `-T`, `-c`).
    pub timing: bool,
    /// Ring buffer bytes (rounded up to a power of two).
    pub ring_size: usize,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            follow: true,
            wanted: None,
            names: Vec::new(),
            string_limit: 32,
            stack_depth: 0,
            timing: false,
            ring_size: 32 << 20,
        }
    }
}

/// Where the fake thread pointer lives: a non-canonical address, so it
/// never collides with real tracee memory.
const FAKE_FS: u64 = 0xdead_0000_0000_0000;
const G_BYTES: u32 = 176;
/// Largest stack image rebuilt from the frame chain.
const MAX_IMAGE: u64 = 256 << 10;
/// errnos the kernel turns into a restart (strace prints `= ?` when the
/// thread dies instead).
const RESTARTS: [i64; 4] = [-512, -513, -514, -516];
/// x86-64 `mmap` and its `PROT_EXEC` bit.
const MMAP_NR: u64 = 9;
const PROT_EXEC: u64 = 4;

/// Whether this machine can run the backend; the error says exactly what
/// is missing.
pub fn available() -> Result<(), String> {
    if !cfg!(target_arch = "x86_64") {
        return Err("the eBPF backend supports x86-64 only".into());
    }
    if std::fs::metadata("/sys/kernel/btf/vmlinux").is_err() {
        return Err("the kernel has no BTF (/sys/kernel/btf/vmlinux is missing)".into());
    }
    match Map::create(sys::MAP_RINGBUF, 0, 0, 4096, "rh_probe") {
        Ok(_) => Ok(()),
        Err(Error::Os { source, .. }) if source.raw_os_error() == Some(libc::EPERM) => {
            Err("bpf() is not permitted (needs root or CAP_BPF and CAP_PERFMON)".into())
        }
        Err(Error::Os { source, .. }) if source.raw_os_error() == Some(libc::EINVAL) => {
            Err("the kernel has no BPF ring buffer (needs Linux 5.8 or later)".into())
        }
        Err(e) => Err(format!("bpf() does not work here: {e}")),
    }
}

/// Loaded programs, their maps and the ring buffer.
struct Kernel {
    tgids: Map,
    stats: Map,
    ring: RingBuf,
    _maps: Vec<Map>,
    _links: Vec<OwnedFd>,
}

impl Kernel {
    fn load(opts: &Options, program: Option<&std::path::Path>) -> Result<Kernel, Error> {
        if let Err(why) = available() {
            return Err(Error::Os {
                what: "eBPF backend",
                source: std::io::Error::other(why),
            });
        }
        // The ring's pages are allocated and cleared by the kernel, the
        // slowest step of the start: on another core, while the kernel's
        // BTF is parsed and the other maps are made.
        crate::spawn::note_inherited_dispositions();
        let ring_size = opts.ring_size;
        let ring = std::thread::spawn(move || RingBuf::create(ring_size));
        let btf = btf::Btf::vmlinux().ok_or_else(|| Error::Os {
            what: "eBPF backend",
            source: std::io::Error::other("cannot parse /sys/kernel/btf/vmlinux"),
        })?;
        let field = |path: &str| {
            btf.offset("task_struct", path).ok_or_else(|| Error::Os {
                what: "eBPF backend",
                source: std::io::Error::other(format!("no task_struct.{path} in the kernel's BTF")),
            })
        };
        let task_pid = field("pid")?;
        let task_exit_code = field("exit_code")?;
        let go = if opts.stack_depth > 0 {
            program.and_then(|p| go_offsets(p, btf.offset("task_struct", "thread.fsbase")?))
        } else {
            None
        };
        let tgids = Map::create_with(sys::MAP_HASH, 4, 4, 16384, sys::NO_PREALLOC, "rh_tgids")?;
        let syscfg = Map::create(
            sys::MAP_ARRAY,
            4,
            prog::CFG_SIZE,
            prog::NR_MAX,
            "rh_syscalls",
        )?;
        let scratch = Map::create(
            sys::MAP_PERCPU_ARRAY,
            4,
            prog::SCRATCH_VALUE,
            1,
            "rh_scratch",
        )?;
        let stats = Map::create(sys::MAP_ARRAY, 4, 32, 1, "rh_stats")?;
        // Entry times per thread in a call, only kept for -T/-t/-c: the
        // preallocated table costs milliseconds to create.
        let starts = Map::create(
            sys::MAP_HASH,
            4,
            8,
            if opts.timing { 65536 } else { 1 },
            "rh_starts",
        )?;
        let words = Map::create(sys::MAP_HASH, 4, 8, 16384, "rh_words")?;
        let known = Map::create_with(
            sys::MAP_HASH,
            8,
            8,
            if opts.stack_depth > 0 {
                prog::KNOWN_STACKS
            } else {
                1
            },
            sys::NO_PREALLOC,
            "rh_known",
        )?;
        let ring = ring.join().map_err(|_| Error::Os {
            what: "eBPF ring buffer",
            source: std::io::Error::other("the thread creating it panicked"),
        })??;
        let ring = RingBuf::from_map(ring)?;
        let execve = |name: &str| {
            opts.names
                .iter()
                .find(|(_, n)| *n == name)
                .map_or(u32::MAX >> 1, |(nr, _)| *nr as u32)
        };
        let settings = prog::Settings {
            stack_depth: opts.stack_depth.min(64) as u32,
            g_bytes: if opts.stack_depth > 0 { G_BYTES } else { 0 },
            timing: opts.timing,
            follow: opts.follow,
            str_cap: (opts.string_limit.min(4000) + 2) as u32,
            execve_nrs: [execve("execve"), execve("execveat")],
            task_pid,
            task_exit_code,
            go,
        };
        for (nr, value) in syscall_table(opts) {
            syscfg.update(&nr.to_ne_bytes(), &value)?;
        }
        let fds = prog::MapFds {
            tgids: tgids.fd(),
            syscfg: syscfg.fd(),
            scratch: scratch.fd(),
            events: ring.map().fd(),
            stats: stats.fd(),
            starts: starts.fd(),
            words: words.fd(),
            known: known.fd(),
        };
        let bad = |e: String| Error::Os {
            what: "eBPF program",
            source: std::io::Error::other(e),
        };
        let mut programs = vec![
            (
                "rh_sys_enter",
                "sys_enter",
                prog::sys_enter(&fds, &settings).map_err(bad)?,
            ),
            (
                "rh_sys_exit",
                "sys_exit",
                prog::sys_exit(&fds, &settings).map_err(bad)?,
            ),
            (
                "rh_exit",
                "sched_process_exit",
                prog::exit(&fds, &settings).map_err(bad)?,
            ),
            (
                "rh_signal",
                "signal_deliver",
                prog::signal(&fds, &settings).map_err(bad)?,
            ),
        ];
        if opts.follow {
            programs.push((
                "rh_fork",
                "sched_process_fork",
                prog::fork(&fds, &settings).map_err(bad)?,
            ));
        }
        // The verifier runs in the loading thread: the two large programs
        // are checked on both cores at once.
        let mut loaded = Vec::new();
        std::thread::scope(|scope| -> Result<(), Error> {
            let (first, rest) = programs.split_first().expect("sys_enter is first");
            let other = scope.spawn(|| sys::load_program(first.0, &first.2));
            for (name, tp, insns) in rest {
                loaded.push((*tp, sys::load_program(name, insns)?));
            }
            let fd = other.join().map_err(|_| Error::Os {
                what: "eBPF program",
                source: std::io::Error::other("the thread loading it panicked"),
            })??;
            loaded.push((first.1, fd));
            Ok(())
        })?;
        let mut links = Vec::new();
        for (tp, fd) in &loaded {
            links.push(sys::attach_raw_tracepoint(tp, fd)?);
        }
        Ok(Kernel {
            tgids,
            stats,
            ring,
            _maps: vec![syscfg, scratch, starts, words, known],
            _links: links,
        })
    }

    fn set_tgid(&self, tgid: i32, state: u32) -> Result<(), Error> {
        self.tgids.update(&tgid.to_ne_bytes(), &state.to_ne_bytes())
    }

    fn lost(&self) -> u64 {
        let mut v = [0u8; 32];
        if self.stats.lookup(&0u32.to_ne_bytes(), &mut v) {
            u64::from_ne_bytes(v[..8].try_into().expect("8 bytes"))
        } else {
            0
        }
    }
}

/// The Go layout of the program at `path` for the kernel side, `None`
/// when it is not a Go program the unwinder knows.
fn go_offsets(path: &std::path::Path, task_fsbase: u32) -> Option<prog::GoOffsets> {
    let module = crate::symbolize::Module::open(path).ok()?;
    let version = module.go()?.version?;
    let (g, m) = crate::goroutine::layouts(version)?;
    let small = |v: usize| i16::try_from(v).ok();
    Some(prog::GoOffsets {
        task_fsbase,
        tls: i32::try_from(module.g_tls_offset_amd64()).ok()?,
        g_goid: small(g.goid)?,
        g_m: small(g.m)?,
        g_sched_sp: small(g.sched_sp)?,
        g_sched_bp: small(g.sched_bp)?,
        m_curg: small(m.curg)?,
    })
}

/// The per-syscall table values: flags and up to four capture slots.
fn syscall_table(opts: &Options) -> Vec<(u32, [u8; prog::CFG_SIZE as usize])> {
    use capture::{Kind, Len};
    let wanted: Option<HashSet<u64>> = opts.wanted.as_ref().map(|w| w.iter().copied().collect());
    let limit = opts.string_limit.min(capture::CAP_MAX as usize) as u32;
    let mut out = Vec::new();
    for &(nr, name) in &opts.names {
        if nr >= u64::from(prog::NR_MAX) {
            continue;
        }
        let want = wanted.as_ref().is_none_or(|w| w.contains(&nr));
        let exec = matches!(name, "execve" | "execveat");
        if !want && !exec {
            continue;
        }
        let mut v = [0u8; prog::CFG_SIZE as usize];
        let mut flags = prog::F_WANT;
        if capture::at_entry(name) {
            flags |= prog::F_ENTRY;
        }
        if capture::child_returns_zero(name) {
            flags |= prog::F_SKIP_ZERO;
        }
        if let Some(arg) = capture::entry_word(name) {
            flags |= prog::F_ENTRY_WORD;
            let offs = prog::regs::ARGS;
            v[36] = offs[usize::from(arg).min(5)] as u8;
            v[37] = arg;
        }
        v[..4].copy_from_slice(&flags.to_ne_bytes());
        for (j, &(arg, kind)) in capture::spec(name).iter().take(4).enumerate() {
            let len_idx = |l: Len| match l {
                Len::Arg(i) => i,
                Len::Ret => 6,
            };
            let (k, lenarg, mul, cap) = match kind {
                Kind::Path => (prog::K_STR, 0, 1, 4098),
                Kind::CStr => (prog::K_STR, 0, 1, limit + 2),
                Kind::Data(l) => (prog::K_LEN, len_idx(l), 1, limit),
                Kind::Sized(l, scale) => (prog::K_LEN, len_idx(l), scale, capture::CAP_MAX),
                Kind::Fixed(n) => (prog::K_FIXED, 0, 1, n.min(capture::CAP_MAX)),
                Kind::Argv => (prog::K_ARGV, 0, 1, 8 * capture::ARGV_PTRS),
            };
            if cap == 0 {
                continue;
            }
            let at = 4 + 8 * j;
            v[at] = arg;
            v[at + 1] = k;
            v[at + 2] = lenarg;
            v[at + 3] = mul;
            v[at + 4..at + 8].copy_from_slice(&cap.to_ne_bytes());
        }
        // Not wanted, but kept so the spawned child's execve still
        // switches it to traced: no flags means no event.
        if !want {
            v[..4].copy_from_slice(&0u32.to_ne_bytes());
        }
        out.push((nr as u32, v));
    }
    out
}

/// A traced thread as one record shows it: registers from the syscall,
/// memory made of the captured bytes.
pub struct EventThread {
    tid: i32,
    pid: i32,
    regs: X86_64Regs,
    regions: Vec<(u64, Vec<u8>)>,
    /// Read before anything else: a value-result argument as it was at
    /// entry (a larger capture may cover it with its exit value).
    prior: Option<(u64, [u8; 4])>,
    /// The kernel's CLOCK_MONOTONIC time of the event being delivered.
    time: Option<Duration>,
    /// See [`Thread::stack_key`]; set when the record has a stack.
    stack_key: Option<u64>,
    /// What the stack image is made of: SP, the word at SP and the frame
    /// records. The image itself is built on the first read, so events
    /// whose stack is reused (same key) never pay for it.
    stack: Option<(u64, u64, Vec<u8>)>,
    image: std::cell::OnceCell<Option<Vec<u8>>>,
}

impl EventThread {
    fn bare(tid: i32, pid: i32) -> EventThread {
        EventThread {
            tid,
            pid,
            regs: X86_64Regs::default(),
            regions: Vec::new(),
            prior: None,
            time: None,
            stack_key: None,
            stack: None,
            image: std::cell::OnceCell::new(),
        }
    }

    /// The stack image (from SP), built on first use.
    fn image(&self) -> Option<(u64, &[u8])> {
        let (sp, leaf, frames) = self.stack.as_ref()?;
        let image = self.image.get_or_init(|| {
            let captures: Vec<(u64, u32, &[u8])> = self
                .regions
                .iter()
                .map(|(a, d)| (*a, 0, d.as_slice()))
                .collect();
            stack_image(*sp, *leaf, frames, &captures)
        });
        image.as_deref().map(|i| (*sp, i))
    }
}

impl Thread for EventThread {
    fn tid(&self) -> i32 {
        self.tid
    }
    fn pid(&self) -> i32 {
        self.pid
    }
    fn registers(&self) -> Result<Registers, Error> {
        Ok(Registers::X86_64(self.regs))
    }
    fn event_time(&self) -> Option<Duration> {
        self.time
    }
    fn stack_key(&self) -> Option<u64> {
        self.stack_key
    }
    fn read_memory(&self, addr: u64, buf: &mut [u8]) -> Result<usize, Error> {
        if buf.is_empty() {
            return Ok(0);
        }
        if let Some((at, bytes)) = &self.prior {
            if let Some(avail) = addr
                .checked_sub(*at)
                .and_then(|o| bytes.get(usize::try_from(o).ok()?..))
                .filter(|a| !a.is_empty())
            {
                let n = avail.len().min(buf.len());
                buf[..n].copy_from_slice(&avail[..n]);
                return Ok(n);
            }
        }
        // Regions may overlap (a struct on the stack is both a capture
        // and part of the stack image, with the same bytes); the longest
        // run from `addr` wins.
        let mut best: Option<&[u8]> = None;
        let image = self.image();
        let stack = image.iter().map(|&(sp, bytes)| (sp, bytes));
        let captured = self.regions.iter().map(|(a, d)| (*a, d.as_slice()));
        for (start, bytes) in stack.chain(captured) {
            let Some(off) = addr.checked_sub(start) else {
                continue;
            };
            let Some(avail) = usize::try_from(off).ok().and_then(|o| bytes.get(o..)) else {
                continue;
            };
            if !avail.is_empty() && best.is_none_or(|b| b.len() < avail.len()) {
                best = Some(avail);
            }
        }
        match best {
            Some(avail) => {
                let n = avail.len().min(buf.len());
                buf[..n].copy_from_slice(&avail[..n]);
                Ok(n)
            }
            None => Err(Error::Memory { addr }),
        }
    }
}

fn u32_at(b: &[u8], off: usize) -> u32 {
    b.get(off..off + 4)
        .map_or(0, |s| u32::from_ne_bytes(s.try_into().expect("4 bytes")))
}

fn u64_at(b: &[u8], off: usize) -> u64 {
    b.get(off..off + 8)
        .map_or(0, |s| u64::from_ne_bytes(s.try_into().expect("8 bytes")))
}

/// One syscall record, decoded.
struct Record {
    /// A value-result argument's u32 at entry: (address, value).
    entry_word: Option<(u64, u32)>,
    nr: u64,
    args: [u64; 6],
    ret: i64,
    /// Kernel times (CLOCK_MONOTONIC ns): when the call entered (0 when not
    /// recorded) and when the record was made (exit, or entry for calls
    /// seen at entry only).
    entered: u64,
    recorded: u64,
    thread: EventThread,
}

/// Parses a syscall record (header, frames, captures) into a thread
/// whose memory holds the captured bytes and a rebuilt stack image.
fn parse_syscall(rec: &[u8]) -> Option<Record> {
    if rec.len() < prog::HDR {
        return None;
    }
    let tid = u32_at(rec, 8) as i32;
    let pid = u32_at(rec, 12) as i32;
    let nr = u64_at(rec, 16);
    let mut args = [0u64; 6];
    for (i, a) in args.iter_mut().enumerate() {
        *a = u64_at(rec, 24 + 8 * i);
    }
    let ret = u64_at(rec, 72) as i64;
    let (ip, sp, bp, g) = (
        u64_at(rec, 96),
        u64_at(rec, 104),
        u64_at(rec, 112),
        u64_at(rec, 120),
    );
    let nframes = u32_at(rec, 4) as usize;
    let mut regions = Vec::new();
    let mut off = prog::HDR;
    let frames_end = off.checked_add(nframes.checked_mul(prog::FRAME)?)?;
    let frames = rec.get(off..frames_end)?;
    off = frames_end;
    let mut captures = Vec::new();
    while off + 16 <= rec.len() {
        let addr = u64_at(rec, off);
        let len = u32_at(rec, off + 8) as usize;
        let slot = u32_at(rec, off + 12);
        let data = rec.get(off + 16..off + 16 + len)?;
        captures.push((addr, slot, data));
        off += 16 + ((len + 7) & !7);
    }
    // The kernel digests what the unwinder reads (registers, frames, the
    // word at SP, g) and leaves frames and g out of records whose digest
    // it sent before: the digest is the stack's identity either way.
    let flags = u32_at(rec, 0);
    let leaf = u64_at(rec, 128);
    let stack_key = (flags & prog::KIND_STACK != 0).then(|| u64_at(rec, 152));
    let stack = (flags & prog::KIND_ELIDED == 0 && (nframes > 0 || leaf != 0))
        .then(|| (sp, leaf, frames.to_vec()));
    let mut have_g = false;
    for &(addr, slot, data) in &captures {
        if !data.is_empty() {
            regions.push((addr, data.to_vec()));
            have_g |= slot == prog::SLOT_G && addr == g;
        }
    }
    if have_g {
        // The thread pointer slot Go keeps g in (fs_base + small negative
        // offset) reads as g.
        let words: Vec<u8> = std::iter::repeat_n(g.to_ne_bytes(), 8).flatten().collect();
        regions.push((FAKE_FS - 64, words));
    }
    let regs = X86_64Regs {
        rip: ip,
        rsp: sp,
        rbp: bp,
        r14: g,
        orig_rax: nr,
        rax: ret as u64,
        rdi: args[0],
        rsi: args[1],
        rdx: args[2],
        r10: args[3],
        r8: args[4],
        r9: args[5],
        fs_base: if have_g { FAKE_FS } else { 0 },
        ..X86_64Regs::default()
    };
    let word = u64_at(rec, 144);
    let entry_word = match (word >> 32) as usize {
        0 => None,
        i => args.get(i - 1).map(|&addr| (addr, word as u32)),
    };
    Some(Record {
        entry_word,
        nr,
        args,
        ret,
        entered: u64_at(rec, 88),
        recorded: u64_at(rec, 80),
        thread: EventThread {
            tid,
            pid,
            regs,
            regions,
            prior: None,
            time: None,
            stack_key,
            stack,
            image: std::cell::OnceCell::new(),
        },
    })
}

/// The stack from SP up to the last frame record, zero where nothing was
/// read, with the frame records and the captures that fall inside it.
fn stack_image(
    sp: u64,
    leaf: u64,
    frames: &[u8],
    captures: &[(u64, u32, &[u8])],
) -> Option<Vec<u8>> {
    let mut end = sp.checked_add(8)?;
    let records: Vec<(u64, u64, u64)> = frames
        .chunks_exact(prog::FRAME)
        .map(|f| (u64_at(f, 0), u64_at(f, 8), u64_at(f, 16)))
        .filter(|&(fp, _, _)| fp >= sp && fp - sp < MAX_IMAGE)
        .collect();
    for &(fp, _, _) in &records {
        end = end.max(fp + 16);
    }
    let mut image = vec![0u8; usize::try_from(end - sp).ok()?];
    image[..8].copy_from_slice(&leaf.to_ne_bytes());
    for &(fp, next, ret) in &records {
        let o = (fp - sp) as usize;
        image[o..o + 8].copy_from_slice(&next.to_ne_bytes());
        image[o + 8..o + 16].copy_from_slice(&ret.to_ne_bytes());
    }
    for &(addr, _, data) in captures {
        if addr >= sp && addr < end {
            let o = (addr - sp) as usize;
            let n = data.len().min(image.len() - o);
            image[o..o + n].copy_from_slice(&data[..n]);
        }
    }
    Some(image)
}

fn signal_info(raw48: &[u8]) -> SignalInfo {
    let mut raw = [0u8; 128];
    let n = raw48.len().min(48);
    raw[..n].copy_from_slice(&raw48[..n]);
    let i32_at = |o: usize| u32_at(&raw, o) as i32;
    SignalInfo {
        raw,
        signo: i32_at(0),
        errno: i32_at(4),
        code: i32_at(8),
        pid: i32_at(16),
        uid: i32_at(20) as u32,
        status: i32_at(24),
        utime: u64_at(&raw, 32) as i64,
        stime: u64_at(&raw, 40) as i64,
        addr: u64_at(&raw, 16),
        value: u64_at(&raw, 24),
        timer_id: i32_at(16),
        overrun: i32_at(20),
    }
}

/// How a process ended, from a wait status (`task_struct.exit_code` has
/// the same encoding).
fn exit_kind(code: u32) -> ExitKind {
    let code = code as i32;
    if code & 0x7f == 0 {
        ExitKind::Exited((code >> 8) & 0xff)
    } else {
        ExitKind::Killed {
            signal: code & 0x7f,
            core: code & 0x80 != 0,
        }
    }
}

/// Per-thread state between records.
#[derive(Default)]
struct State {
    /// Threads alive and traced: tid -> tgid.
    live: HashMap<i32, i32>,
    /// `execve` entries waiting for their exit, by tid.
    execs: HashMap<i32, SyscallEntry>,
    /// An exit with a restart errno, held until we know whether the
    /// thread dies in it (then strace shows `= ?`).
    held: HashMap<i32, Record>,
    /// The first process, to report how it ended.
    main: i32,
    main_exit: Option<ExitKind>,
    /// The spawned program's own execve has been handled.
    started: bool,
    /// Events handled.
    events: u64,
}

impl State {
    fn deliver(&mut self, rec: Record, sink: &mut dyn Sink) {
        let entry = SyscallEntry {
            arch: Arch::X86_64,
            nr: rec.nr,
            args: rec.args,
            pc: rec.thread.regs.rip,
            sp: rec.thread.regs.rsp,
        };
        let mut thread = rec.thread;
        // The entry decoder must see a value-result length as it was
        // before the kernel rewrote it.
        thread.prior = rec
            .entry_word
            .map(|(addr, value)| (addr, value.to_ne_bytes()));
        thread.time = (rec.entered != 0).then(|| Duration::from_nanos(rec.entered));
        sink.syscall_entry(&thread, &entry);
        thread.prior = None;
        thread.time = (rec.recorded != 0).then(|| Duration::from_nanos(rec.recorded));
        sink.syscall_exit(
            &thread,
            &SyscallExit {
                entry: Some(entry),
                rval: rec.ret,
                is_error: (-4095..0).contains(&rec.ret),
            },
        );
    }

    fn flush(&mut self, tid: i32, sink: &mut dyn Sink) {
        if let Some(rec) = self.held.remove(&tid) {
            self.deliver(rec, sink);
        }
    }

    fn handle(&mut self, data: &[u8], sink: &mut dyn Sink) {
        self.events += 1;
        let kind = u32_at(data, 0) & 0xff;
        let tid = u32_at(data, 8) as i32;
        let pid = u32_at(data, 12) as i32;
        match kind {
            prog::EV_SYSCALL => {
                let Some(rec) = parse_syscall(data) else {
                    return;
                };
                self.flush(tid, sink);
                self.live.entry(tid).or_insert(pid);
                // execve's exit: its registers belong to the new program.
                let former = if self.execs.contains_key(&tid) {
                    Some(tid)
                } else {
                    self.execs
                        .iter()
                        .find(|(t, e)| e.nr == rec.nr && self.live.get(t).is_none_or(|p| *p == pid))
                        .map(|(t, _)| *t)
                };
                if let Some(former) = former.filter(|f| rec.nr == self.exec_nr(*f)) {
                    let mut rec = rec;
                    rec.thread.time =
                        (rec.recorded != 0).then(|| Duration::from_nanos(rec.recorded));
                    let entry = self.execs.remove(&former).expect("found above");
                    if rec.ret == 0 {
                        if former != tid {
                            self.live.remove(&former);
                        }
                        // The spawned command's first exec starts the
                        // program that `process_ready` already announced
                        // (its mappings read once the exec was complete);
                        // passing it on would make the sink forget them,
                        // and the program may be gone by now.
                        let first = tid == self.main && former == tid && !self.started;
                        self.started |= tid == self.main;
                        if !first {
                            sink.exec(&rec.thread, former);
                        }
                    }
                    sink.syscall_exit(
                        &rec.thread,
                        &SyscallExit {
                            entry: Some(entry),
                            rval: rec.ret,
                            is_error: (-4095..0).contains(&rec.ret),
                        },
                    );
                    return;
                }
                // New code mapped (the dynamic loader bringing in libc):
                // its names must be read while the process still runs.
                let exec_map = rec.nr == MMAP_NR
                    && rec.args[2] & PROT_EXEC != 0
                    && !(-4095..0).contains(&rec.ret);
                if RESTARTS.contains(&rec.ret) {
                    self.held.insert(tid, rec);
                } else {
                    self.deliver(rec, sink);
                }
                if exec_map {
                    sink.process_ready(pid);
                }
            }
            prog::EV_ENTRY => {
                let Some(mut rec) = parse_syscall(data) else {
                    return;
                };
                rec.thread.time = (rec.recorded != 0).then(|| Duration::from_nanos(rec.recorded));
                self.flush(tid, sink);
                self.live.entry(tid).or_insert(pid);
                let entry = SyscallEntry {
                    arch: Arch::X86_64,
                    nr: rec.nr,
                    args: rec.args,
                    pc: rec.thread.regs.rip,
                    sp: rec.thread.regs.rsp,
                };
                sink.syscall_entry(&rec.thread, &entry);
                self.execs.insert(tid, entry);
            }
            prog::EV_FORK => {
                let child = u32_at(data, 16) as i32;
                let child_pid = u32_at(data, 20) as i32;
                if self.live.insert(child, child_pid).is_none() {
                    let birth = if child_pid == pid {
                        Birth::Clone
                    } else {
                        Birth::Fork
                    };
                    sink.new_tracee(tid, child, child_pid, birth);
                }
            }
            prog::EV_EXIT => {
                let how = exit_kind(u32_at(data, 16));
                if let Some(mut rec) = self.held.remove(&tid) {
                    // Died inside the call: entry only, the sink shows `= ?`.
                    rec.thread.time = (rec.entered != 0).then(|| Duration::from_nanos(rec.entered));
                    let entry = SyscallEntry {
                        arch: Arch::X86_64,
                        nr: rec.nr,
                        args: rec.args,
                        pc: rec.thread.regs.rip,
                        sp: rec.thread.regs.rsp,
                    };
                    sink.syscall_entry(&rec.thread, &entry);
                }
                self.execs.remove(&tid);
                if self.live.remove(&tid).is_some() || tid == self.main {
                    if tid == self.main {
                        self.main_exit = Some(how);
                    }
                    sink.exited(tid, pid, how, None);
                }
            }
            prog::EV_SIGNAL => {
                self.flush(tid, sink);
                let info = signal_info(data.get(16..).unwrap_or(&[]));
                sink.signal(&EventThread::bare(tid, pid), &info);
            }
            _ => {}
        }
    }

    fn exec_nr(&self, tid: i32) -> u64 {
        self.execs.get(&tid).map_or(u64::MAX, |e| e.nr)
    }
}

/// A trace running in the kernel.
pub struct EbpfTracer {
    kernel: Kernel,
    state: State,
    /// The spawned command, until reaped.
    child: Option<i32>,
    child_status: Option<ExitKind>,
    /// `-p` processes.
    attached: Vec<i32>,
    /// Processes to announce with [`Sink::process_ready`] on the next run.
    ready: Vec<i32>,
    /// The spawned child, stopped after its exec until announced.
    held_at_exec: Option<i32>,
}

impl EbpfTracer {
    /// Loads the programs, starts `program` blocked before its `execve`,
    /// marks it as waiting for exec in the tgid set and lets it go: its
    /// first traced instruction is the `execve`.
    pub fn spawn(program: &OsStr, args: &[OsString], opts: &Options) -> Result<Self, Error> {
        let prep = crate::spawn::prepare(program, args)?;
        let path = crate::spawn::resolve(program)?;
        let kernel = Kernel::load(opts, Some(&path))?;
        // The child stops once at its exec (a ptrace stop it cannot see),
        // so its mappings are read before a short program can be gone;
        // `run` lets it go at once.
        let child = crate::spawn::fork_child_with(&prep, None, true)?;
        if let Err(e) = kernel.set_tgid(child.pid, prog::PENDING) {
            // SAFETY: killing and reaping our own child.
            unsafe {
                libc::kill(child.pid, libc::SIGKILL);
                libc::waitpid(child.pid, std::ptr::null_mut(), 0);
            }
            return Err(e);
        }
        crate::spawn::release(child.sync_write);
        let mut state = State {
            main: child.pid,
            ..State::default()
        };
        state.live.insert(child.pid, child.pid);
        let mut t = EbpfTracer {
            kernel,
            state,
            child: Some(child.pid),
            child_status: None,
            attached: Vec::new(),
            ready: vec![child.pid],
            held_at_exec: None,
        };
        // A failed exec reports its errno on the error pipe.
        let exec_failed = crate::spawn::exec_error(child.error_read);
        crate::spawn::close(child.error_read);
        if let Some(source) = exec_failed {
            t.reap(true);
            return Err(Error::Exec {
                program: program.to_string_lossy().into_owned(),
                source,
            });
        }
        // Stopped at the exec (SIGTRAP), or ended before it.
        let mut status = 0;
        // SAFETY: waits for our own child; `status` is a live local.
        let r = unsafe { libc::waitpid(child.pid, &mut status, 0) };
        if r == child.pid && libc::WIFSTOPPED(status) {
            t.held_at_exec = Some(child.pid);
        } else if r == child.pid {
            t.child = None;
            t.child_status = Some(exit_kind(status as u32));
        }
        Ok(t)
    }

    /// Starts tracing running processes (all their threads) without
    /// stopping them.
    pub fn attach(pids: &[i32], opts: &Options) -> Result<Self, Error> {
        let exe = pids
            .first()
            .and_then(|p| std::fs::read_link(format!("/proc/{p}/exe")).ok());
        let kernel = Kernel::load(opts, exe.as_deref())?;
        let mut state = State::default();
        let mut attached = Vec::new();
        for &pid in pids {
            let tgid = tgid_of(pid).ok_or_else(|| Error::Attach {
                pid,
                source: std::io::Error::from_raw_os_error(libc::ESRCH),
            })?;
            kernel.set_tgid(tgid, prog::ACTIVE)?;
            for tid in threads_of(tgid) {
                if opts.follow || tid == tgid {
                    state.live.insert(tid, tgid);
                }
            }
            attached.push(tgid);
        }
        state.main = attached.first().copied().unwrap_or(0);
        // Running programs: any exec from now on is a new program.
        state.started = true;
        Ok(EbpfTracer {
            kernel,
            state,
            child: None,
            child_status: None,
            ready: attached.clone(),
            held_at_exec: None,
            attached,
        })
    }

    /// Threads traced now.
    pub fn tracee_count(&self) -> usize {
        self.state.live.len().max(1)
    }

    /// Records the kernel could not hand over (ring buffer full).
    pub fn lost(&self) -> u64 {
        self.kernel.lost()
    }

    /// Passes a signal rabbithole received on to the spawned command.
    pub fn signal_main(&self, signal: i32) {
        if let Some(pid) = self.child {
            // SAFETY: kill has no memory effects; the pid is our unreaped
            // child, so it cannot have been reused.
            unsafe {
                libc::kill(pid, signal);
            }
        }
    }

    /// Records handled so far.
    pub fn events(&self) -> u64 {
        self.state.events
    }

    fn reap(&mut self, block: bool) {
        let Some(pid) = self.child else { return };
        let mut status = 0;
        // SAFETY: waits for our own child; `status` is a live local.
        let r = unsafe { libc::waitpid(pid, &mut status, if block { 0 } else { libc::WNOHANG }) };
        if r == pid {
            self.child = None;
            self.child_status = Some(exit_kind(status as u32));
        } else if r == -1 {
            self.child = None;
        }
    }

    /// Drops threads that are gone without an exit record (records
    /// lost, or exits before tracing began).
    fn prune(&mut self) {
        self.state
            .live
            .retain(|tid, _| std::path::Path::new(&format!("/proc/{tid}")).exists());
    }

    /// Hands records to `sink` until every traced thread has ended or
    /// rabbithole got a signal.
    pub fn run(&mut self, sink: &mut dyn Sink) -> Result<Outcome, Error> {
        for pid in std::mem::take(&mut self.ready) {
            sink.process_ready(pid);
        }
        if let Some(pid) = self.held_at_exec.take() {
            // SAFETY: detaching our own child from its exec stop; the
            // pending SIGTRAP is dropped (signal 0).
            unsafe {
                libc::ptrace(libc::PTRACE_DETACH, pid, 0, 0);
            }
        }
        // Quiet since: the reader polls every 200 us for a while after
        // the last record (a short program's events, such as the mapping
        // of its libraries, are read while it still runs), then every
        // 2 ms.
        let mut quiet = std::time::Instant::now();
        loop {
            let state = &mut self.state;
            let n = self.kernel.ring.drain(|rec| state.handle(rec, sink));
            if let Some(r) = crate::interrupt::take() {
                return Ok(Outcome::Interrupted(r));
            }
            if n > 0 {
                quiet = std::time::Instant::now();
                continue;
            }
            let idle = quiet.elapsed();
            self.reap(false);
            let done = if self.attached.is_empty() {
                self.child.is_none()
            } else {
                self.attached
                    .iter()
                    .all(|p| !std::path::Path::new(&format!("/proc/{p}")).exists())
            };
            if done {
                // Everything the kernel wrote before the end is in the
                // ring now; take it, then settle threads whose exit was
                // not seen.
                let state = &mut self.state;
                self.kernel.ring.drain(|rec| state.handle(rec, sink));
                self.prune();
                if self.state.live.is_empty() || idle > Duration::from_millis(400) {
                    let held: Vec<i32> = self.state.held.keys().copied().collect();
                    for tid in held {
                        self.state.flush(tid, sink);
                    }
                    let how = self.child_status.or(self.state.main_exit);
                    return Ok(Outcome::Finished(how));
                }
            }
            let fast = idle < Duration::from_millis(50);
            std::thread::sleep(Duration::from_micros(if fast { 200 } else { 2000 }));
        }
    }

    /// Stops tracing (`-p` and Ctrl-C): the processes never noticed.
    pub fn detach_all(&mut self, sink: &mut dyn Sink) {
        for p in &self.attached {
            self.kernel.tgids.delete(&p.to_ne_bytes());
        }
        let state = &mut self.state;
        self.kernel.ring.drain(|rec| state.handle(rec, sink));
        let mut tids: Vec<(i32, i32)> = self.state.live.drain().collect();
        tids.sort();
        for (tid, pid) in tids {
            sink.detached(tid, pid);
        }
    }
}

fn tgid_of(pid: i32) -> Option<i32> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("Tgid:"))
        .and_then(|v| v.trim().parse().ok())
}

fn threads_of(tgid: i32) -> Vec<i32> {
    std::fs::read_dir(format!("/proc/{tgid}/task"))
        .map(|d| {
            d.filter_map(|e| e.ok()?.file_name().to_str()?.parse().ok())
                .collect()
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stack_image_places_frames_and_captures() {
        let sp = 0x1000;
        let mut frames = Vec::new();
        for (fp, next, ret) in [(0x1010u64, 0x1040u64, 0x4444u64), (0x1040, 0, 0x5555)] {
            frames.extend_from_slice(&fp.to_ne_bytes());
            frames.extend_from_slice(&next.to_ne_bytes());
            frames.extend_from_slice(&ret.to_ne_bytes());
        }
        let cap: &[u8] = &[9, 9];
        let img = stack_image(sp, 0x3333, &frames, &[(0x1020, 0, cap)]).unwrap();
        assert_eq!(img.len(), 0x50);
        assert_eq!(u64_at(&img, 0), 0x3333);
        assert_eq!(u64_at(&img, 0x10), 0x1040);
        assert_eq!(u64_at(&img, 0x18), 0x4444);
        assert_eq!(u64_at(&img, 0x48), 0x5555);
        assert_eq!(&img[0x20..0x22], &[9, 9]);
    }

    #[test]
    fn longest_region_wins_reads() {
        let mut t = EventThread::bare(1, 1);
        t.regions.push((0x100, vec![1; 4]));
        t.regions.push((0xf0, vec![2; 0x40]));
        let mut b = [0u8; 64];
        assert_eq!(t.read_memory(0x100, &mut b).unwrap(), 0x30);
        assert!(t.read_memory(0x200, &mut b).is_err());
    }

    #[test]
    fn exit_codes_decode_like_wait_status() {
        assert_eq!(exit_kind(3 << 8), ExitKind::Exited(3));
        assert_eq!(
            exit_kind(9),
            ExitKind::Killed {
                signal: 9,
                core: false
            }
        );
    }

    #[test]
    fn the_table_marks_entry_calls_and_copies_paths() {
        let opts = Options {
            names: vec![
                (2, "open"),
                (59, "execve"),
                (231, "exit_group"),
                (1, "write"),
            ],
            wanted: Some(vec![2, 231]),
            ..Options::default()
        };
        let t: HashMap<u32, [u8; 40]> = syscall_table(&opts).into_iter().collect();
        assert!(!t.contains_key(&1), "write is not wanted");
        assert_eq!(u32_at(&t[&2], 0), prog::F_WANT);
        assert_eq!(t[&2][5], prog::K_STR);
        assert_eq!(u32_at(&t[&231], 0), prog::F_WANT | prog::F_ENTRY);
        assert_eq!(
            u32_at(&t[&59], 0),
            0,
            "execve kept for the exec switch only"
        );
    }

    #[derive(Default)]
    struct Count {
        calls: Vec<String>,
        exits: usize,
    }

    impl Sink for Count {
        fn syscall_entry(&mut self, t: &dyn Thread, c: &SyscallEntry) -> crate::Control {
            let mut b = [0u8; 64];
            let n = t.read_memory(c.args[1], &mut b).unwrap_or(0);
            self.calls
                .push(format!("{} {:?}", c.nr, String::from_utf8_lossy(&b[..n])));
            crate::Control::Continue
        }
        fn exited(&mut self, _: i32, _: i32, _: ExitKind, _: Option<&SyscallEntry>) {
            self.exits += 1;
        }
    }

    #[test]
    fn traces_a_command_in_the_kernel() {
        if available().is_err() {
            eprintln!("skipped: {:?}", available());
            return;
        }
        let opts = Options {
            names: vec![
                (257, "openat"),
                (59, "execve"),
                (231, "exit_group"),
                (1, "write"),
            ],
            stack_depth: 16,
            ..Options::default()
        };
        let mut t = EbpfTracer::spawn(
            OsStr::new("/bin/sh"),
            &["-c".into(), "echo hi >/dev/null; exit 3".into()],
            &opts,
        )
        .unwrap();
        let mut sink = Count::default();
        let out = t.run(&mut sink).unwrap();
        assert!(
            matches!(out, Outcome::Finished(Some(ExitKind::Exited(3)))),
            "{out:?}"
        );
        assert!(
            sink.calls.iter().any(|c| c.starts_with("59 ")),
            "{:?}",
            sink.calls
        );
        assert!(
            sink.calls.iter().any(|c| c.starts_with("1 \"hi")),
            "{:?}",
            sink.calls
        );
        assert!(
            sink.calls.iter().any(|c| c.starts_with("257 \"/dev/null")),
            "{:?}",
            sink.calls
        );
        assert!(sink.exits >= 1);
        assert_eq!(t.lost(), 0);
    }

    /// Per write: the stack key and whether the record carried the stack.
    #[derive(Default)]
    struct Keys(Vec<(Option<u64>, bool)>);

    impl Sink for Keys {
        fn syscall_entry(&mut self, t: &dyn Thread, c: &SyscallEntry) -> crate::Control {
            if c.nr == 1 {
                let mut b = [0u8; 8];
                let carried = t.read_memory(c.sp, &mut b).is_ok();
                self.0.push((t.stack_key(), carried));
            }
            crate::Control::Continue
        }
    }

    #[test]
    fn repeated_stacks_are_sent_once() {
        if available().is_err() {
            eprintln!("skipped: {:?}", available());
            return;
        }
        let opts = Options {
            names: vec![(59, "execve"), (231, "exit_group"), (1, "write")],
            stack_depth: 16,
            ..Options::default()
        };
        let script = "i=0; while [ $i -lt 50 ]; do echo hi; i=$((i+1)); done >/dev/null";
        let mut t =
            EbpfTracer::spawn(OsStr::new("/bin/sh"), &["-c".into(), script.into()], &opts).unwrap();
        let mut sink = Keys::default();
        t.run(&mut sink).unwrap();
        assert_eq!(sink.0.len(), 50, "{:?}", sink.0);
        let mut seen = HashSet::new();
        for &(key, carried) in &sink.0 {
            let key = key.expect("every stack record has a digest");
            // The first record of a stack carries it; repeats leave it out.
            assert_eq!(carried, seen.insert(key), "{:?}", sink.0);
        }
        assert!(seen.len() < 10, "the loop's writes share stacks: {seen:?}");
        assert_eq!(t.lost(), 0);
    }

    #[test]
    fn programs_assemble() {
        let m = prog::MapFds {
            tgids: 3,
            syscfg: 4,
            scratch: 5,
            events: 6,
            stats: 7,
            starts: 8,
            words: 9,
            known: 10,
        };
        for (depth, timing, follow) in [(0, false, true), (32, true, false)] {
            let s = prog::Settings {
                stack_depth: depth,
                g_bytes: 176,
                timing,
                follow,
                str_cap: 34,
                execve_nrs: [59, 322],
                task_pid: 100,
                task_exit_code: 200,
                go: Some(prog::GoOffsets {
                    task_fsbase: 300,
                    tls: -8,
                    g_goid: 160,
                    g_m: 48,
                    g_sched_sp: 56,
                    g_sched_bp: 104,
                    m_curg: 192,
                }),
            };
            for p in [
                prog::sys_enter(&m, &s),
                prog::sys_exit(&m, &s),
                prog::fork(&m, &s),
                prog::exit(&m, &s),
                prog::signal(&m, &s),
            ] {
                let p = p.unwrap();
                // Far below the kernel's limit for privileged loaders (one
                // million); a runaway generator shows here.
                assert!(p.len() < 16384, "program of {} insns", p.len());
            }
        }
    }
}
