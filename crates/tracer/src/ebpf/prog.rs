//! The four BPF programs, generated with [`super::asm`].
//!
//! - `sys_exit`: one event per finished syscall of a traced thread: ids,
//!   number, arguments (from the saved user registers, still intact at
//!   exit), return value, times, the frame-pointer chain, the `g`
//!   prefix, and the bytes the per-syscall table asks for.
//! - `sys_enter`: events for the calls that must be seen at entry
//!   (`execve`, `exit_group`); the entry time of other calls when `-T`
//!   or `-c` needs durations; and the switch from "spawned, not yet
//!   exec'd" to traced at the child's `execve`.
//! - `sched_process_fork` / `sched_process_exit`: keep the tgid set
//!   current and tell user space about new and ended threads.
//! - `signal_deliver`: the `--- SIGxxx {...} ---` lines.
//!
//! Records go out with `bpf_ringbuf_output` (the variable size needs it);
//! a failed output adds one to the `lost` counter, which user space reads
//! and reports.

use super::asm::{Alu, Asm, Cond, Insn, Size, FP, R0, R1, R2, R3, R4, R5, R6, R7, R8, R9};
use super::capture::{ARGV_STRS, CAP_MAX};

/// Helper ids (include/uapi/linux/bpf.h).
mod helper {
    pub const MAP_LOOKUP: i32 = 1;
    pub const MAP_UPDATE: i32 = 2;
    pub const MAP_DELETE: i32 = 3;
    pub const KTIME_GET_NS: i32 = 5;
    pub const GET_CURRENT_PID_TGID: i32 = 14;
    pub const GET_CURRENT_TASK: i32 = 35;
    pub const PROBE_READ_USER: i32 = 112;
    pub const PROBE_READ_KERNEL: i32 = 113;
    pub const PROBE_READ_USER_STR: i32 = 114;
    pub const RINGBUF_OUTPUT: i32 = 130;
}

/// Event kinds (first u32 of every record).
pub const EV_SYSCALL: u32 = 1;
/// A syscall seen at entry only.
pub const EV_ENTRY: u32 = 2;
/// A new thread or process.
pub const EV_FORK: u32 = 3;
/// A thread ended.
pub const EV_EXIT: u32 = 4;
/// A signal is delivered.
pub const EV_SIGNAL: u32 = 5;

/// Header bytes of a syscall record before the frames.
pub const HDR: usize = 160;
/// Kind flag: the record carries a stack digest at offset 152.
pub const KIND_STACK: u32 = 0x100;
/// Kind flag: the frames and `g` were left out because an earlier record
/// with the same digest carried them (user space keeps every stack it
/// was sent whose digest the kernel remembers).
pub const KIND_ELIDED: u32 = 0x200;
/// Stack digests the kernel remembers as sent; past this many, records
/// carry their frames again.
pub const KNOWN_STACKS: u32 = 16384;
/// Bytes per frame record (fp, saved fp, return address).
pub const FRAME: usize = 24;
/// Highest offset a capture record may start at.
const OFF_MAX: i32 = 12288;
/// Size of the per-CPU scratch value the record is built in.
pub const SCRATCH: u32 = 20608;
/// Bytes of the stack above SP copied in one read, past the record in the
/// scratch value: the frame-pointer walk finds most frames there instead
/// of reading each with its own call.
const CHUNK: i32 = 1024;
/// Size of the per-CPU scratch value: the record, then the stack chunk.
pub const SCRATCH_VALUE: u32 = SCRATCH + CHUNK as u32;
/// Syscall numbers covered by the per-syscall table.
pub const NR_MAX: u32 = 512;
/// Bytes of one per-syscall table value.
pub const CFG_SIZE: u32 = 40;

/// Per-syscall flags.
pub const F_WANT: u32 = 1;
/// Take the event at entry.
pub const F_ENTRY: u32 = 2;
/// Skip the exit that returns 0 (the child side of clone/fork).
pub const F_SKIP_ZERO: u32 = 4;
/// Copy the u32 an argument points to at entry (byte 36 of the value:
/// the argument's offset in `pt_regs`; byte 37: the argument index).
pub const F_ENTRY_WORD: u32 = 8;

/// Capture kinds in the table.
pub const K_STR: u8 = 1;
/// Fixed byte count.
pub const K_FIXED: u8 = 2;
/// Count from an argument or the return value, times a scale.
pub const K_LEN: u8 = 3;
/// Pointer array and its first strings.
pub const K_ARGV: u8 = 4;

/// tgid states.
pub const ACTIVE: u32 = 1;
/// Spawned, waiting for its `execve`.
pub const PENDING: u32 = 2;

/// Capture slot tag of the `g` bytes.
pub const SLOT_G: u32 = 0x40;
/// The `m` of a g0 or gsignal.
pub const SLOT_M: u32 = 0x41;
/// The user goroutine (`m.curg`) of a g0 or gsignal.
pub const SLOT_CURG: u32 = 0x42;
/// The top of the user goroutine's stack (at `curg.sched.sp`).
pub const SLOT_SCHED: u32 = 0x43;
/// A frame record (saved fp, return address) on the user goroutine's
/// stack, at its frame pointer.
pub const SLOT_FRAME: u32 = 0x44;
/// Words of captures after the frame records digested at most; a longer
/// run leaves the record without a digest (always sent in full).
const DIGEST_WORDS: i16 = 256;
/// Frame records walked on the user goroutine's stack from a g0.
const CURG_FRAMES: u32 = 32;
/// Tag bit of an argv string.
pub const SLOT_ARGV_STR: u32 = 0x80;

// Stack slots.
const REGS: i16 = -168;
const KEY: i16 = -176;
const PT: i16 = -184;
const CADDR: i16 = -192;
const CN: i16 = -200;
const AOFF: i16 = -208;
const VAL: i16 = -216;
const TMP: i16 = -224;
const HASH: i16 = -232;
const GOFF: i16 = -240;
const MOFF: i16 = -248;
const COFF: i16 = -256;
const FOFF: i16 = -264;
const CHOK: i16 = -272;

/// Offsets in x86-64 `struct pt_regs`.
pub mod regs {
    #![allow(missing_docs)]
    pub const SIZE: i32 = 168;
    pub const R14: i16 = 8;
    pub const BP: i16 = 32;
    pub const R10: i16 = 56;
    pub const R9: i16 = 64;
    pub const R8: i16 = 72;
    pub const DX: i16 = 96;
    pub const SI: i16 = 104;
    pub const DI: i16 = 112;
    pub const ORIG_AX: i16 = 120;
    pub const IP: i16 = 128;
    pub const SP: i16 = 152;
    /// The six syscall arguments, in order.
    pub const ARGS: [i16; 6] = [DI, SI, DX, R10, R8, R9];
}

/// Map descriptors the programs refer to.
#[derive(Clone, Copy, Debug)]
pub struct MapFds {
    /// tgid -> state.
    pub tgids: i32,
    /// nr -> per-syscall table value.
    pub syscfg: i32,
    /// Per-CPU scratch record.
    pub scratch: i32,
    /// The ring buffer.
    pub events: i32,
    /// Counters: [0] = lost records.
    pub stats: i32,
    /// tid -> entry time.
    pub starts: i32,
    /// tid -> u32 at a value-result argument at entry.
    pub words: i32,
    /// Stack digests sent in full (see [`KIND_ELIDED`]).
    pub known: i32,
}

/// What the programs are built for.
#[derive(Clone, Copy, Debug)]
pub struct Settings {
    /// Physical frames walked (0 = no stacks).
    pub stack_depth: u32,
    /// Bytes of `g` copied with a stack (0 = none).
    pub g_bytes: u32,
    /// Record entry times.
    pub timing: bool,
    /// Follow threads and children; else the leader thread only.
    pub follow: bool,
    /// Capture size of an argv string (`-s` + 2).
    pub str_cap: u32,
    /// `execve` and `execveat` numbers.
    pub execve_nrs: [u32; 2],
    /// Offset of `task_struct.pid` (tgid follows).
    pub task_pid: u32,
    /// Offset of `task_struct.exit_code`.
    pub task_exit_code: u32,
    /// The traced program's Go layout, when it is a Go program: `g` from
    /// its TLS slot, and on g0 the `m` and user goroutine.
    pub go: Option<GoOffsets>,
}

/// Where things are in the traced Go program and the kernel.
#[derive(Clone, Copy, Debug)]
pub struct GoOffsets {
    /// `task_struct.thread.fsbase`.
    pub task_fsbase: u32,
    /// The g slot relative to the thread pointer.
    pub tls: i32,
    /// `g.goid`, `g.m`.
    pub g_goid: i16,
    /// `g.m`.
    pub g_m: i16,
    /// `g.sched.sp`, `g.sched.bp`.
    pub g_sched_sp: i16,
    /// `g.sched.bp`.
    pub g_sched_bp: i16,
    /// `m.curg`.
    pub m_curg: i16,
}

/// Map helper calls with the key (and value) in stack slots: r0 is the
/// result (a value pointer for lookups, 0 when absent).
trait MapCalls {
    fn map_lookup(&mut self, map: i32, key: i16) -> &mut Self;
    /// `flags`: 0 any, 1 `BPF_NOEXIST`.
    fn map_update(&mut self, map: i32, key: i16, value: i16, flags: i32) -> &mut Self;
    fn map_delete(&mut self, map: i32, key: i16) -> &mut Self;
}

impl MapCalls for Asm {
    fn map_lookup(&mut self, map: i32, key: i16) -> &mut Self {
        self.load_map(R1, map)
            .mov(R2, FP)
            .alu_imm(Alu::Add, R2, key as i32)
            .call(helper::MAP_LOOKUP)
    }
    fn map_update(&mut self, map: i32, key: i16, value: i16, flags: i32) -> &mut Self {
        self.load_map(R1, map)
            .mov(R2, FP)
            .alu_imm(Alu::Add, R2, key as i32)
            .mov(R3, FP)
            .alu_imm(Alu::Add, R3, value as i32)
            .mov_imm(R4, flags)
            .call(helper::MAP_UPDATE)
    }
    fn map_delete(&mut self, map: i32, key: i16) -> &mut Self {
        self.load_map(R1, map)
            .mov(R2, FP)
            .alu_imm(Alu::Add, R2, key as i32)
            .call(helper::MAP_DELETE)
    }
}

/// Loads the pid_tgid into PT, the tgid into KEY, and jumps to `out`
/// unless the thread is traced in a state in `states`; the map value
/// pointer is left in r0.
fn prologue(a: &mut Asm, m: &MapFds, s: &Settings, exec_switch: bool) {
    a.call(helper::GET_CURRENT_PID_TGID)
        .store(Size::DW, FP, PT, R0)
        .mov(R1, R0)
        .alu_imm(Alu::Rsh, R1, 32)
        .store(Size::W, FP, KEY, R1);
    if !s.follow {
        a.mov(R2, R0)
            .alu_imm(Alu::Lsh, R2, 32)
            .alu_imm(Alu::Rsh, R2, 32)
            .jmp_reg(Cond::Ne, R1, R2, "out");
    }
    a.map_lookup(m.tgids, KEY)
        .jmp_imm(Cond::Eq, R0, 0, "out")
        .load(Size::W, R1, R0, 0)
        .jmp_imm(Cond::Eq, R1, ACTIVE as i32, "traced");
    if exec_switch {
        // The spawned child becomes traced at its execve.
        a.jmp_imm(Cond::Ne, R1, PENDING as i32, "out")
            .load(Size::DW, R2, R6, 8)
            .jmp_imm(Cond::Eq, R2, s.execve_nrs[0] as i32, "switch")
            .jmp_imm(Cond::Eq, R2, s.execve_nrs[1] as i32, "switch")
            .ja("out")
            .label("switch")
            .store_imm(Size::W, R0, 0, ACTIVE as i32)
            .ja("traced");
    } else {
        a.ja("out");
    }
    a.label("traced");
}

/// `return 0`.
fn epilogue(a: &mut Asm) {
    a.label("out").mov_imm(R0, 0).exit();
}

/// Sends `len` bytes at `r2` (already set) to the ring buffer, counting
/// a failure as lost.
fn output(a: &mut Asm, m: &MapFds, tag: &str) {
    output_then(a, m, tag, |_| {});
}

/// [`output`], running `sent` only when the record went out.
fn output_then(a: &mut Asm, m: &MapFds, tag: &str, sent: impl FnOnce(&mut Asm)) {
    let ok = format!("{tag}_sent");
    let lost = format!("{tag}_lost");
    a.load_map(R1, m.events)
        .mov_imm(R4, 1) // BPF_RB_NO_WAKEUP: user space polls
        .call(helper::RINGBUF_OUTPUT)
        .jmp_imm(Cond::Ne, R0, 0, &lost);
    sent(a);
    a.ja(&ok)
        .label(&lost)
        .store_imm(Size::W, FP, KEY, 0)
        .map_lookup(m.stats, KEY)
        .jmp_imm(Cond::Eq, R0, 0, &ok)
        .mov_imm(R1, 1)
        .atomic_add64(R0, 0, R1)
        .label(&ok);
}

/// Sends a small record built on the stack at `at`: the kind, padding and
/// the pid_tgid (written here), then what the caller put at `at + 16`;
/// `len` bytes in all.
fn small_record(a: &mut Asm, m: &MapFds, tag: &str, at: i16, kind: u32, len: i32) {
    a.store_imm(Size::W, FP, at, kind as i32)
        .store_imm(Size::W, FP, at + 4, 0)
        .load(Size::DW, R1, FP, PT)
        .store(Size::DW, FP, at + 8, R1)
        .mov(R2, FP)
        .alu_imm(Alu::Add, R2, at as i32)
        .mov_imm(R3, len);
    output(a, m, tag);
}

/// Appends one capture record at offset r7 of the scratch value (r8):
/// `{addr u64, len u32, slot u32}` and the bytes, 8-aligned. Expects the
/// user address in r3 and the wanted size in r2.
fn capture(a: &mut Asm, tag: &str, slot: u32, string: bool) {
    let skip = format!("{tag}_skip");
    let hdr = format!("{tag}_hdr");
    a.jmp_imm(Cond::Eq, R3, 0, &skip)
        .jmp_imm(Cond::Eq, R2, 0, &skip)
        .jmp_imm(Cond::Gt, R2, CAP_MAX as i32, &skip)
        .jmp_imm(Cond::Gt, R7, OFF_MAX, &skip)
        .store(Size::DW, FP, CADDR, R3)
        .store(Size::DW, FP, CN, R2)
        .mov(R1, R8)
        .alu_reg(Alu::Add, R1, R7)
        .alu_imm(Alu::Add, R1, 16);
    if string {
        let pos = format!("{tag}_pos");
        a.call(helper::PROBE_READ_USER_STR)
            .mov(R2, R0)
            .jmp_imm(Cond::Sgt, R2, 0, &pos)
            .mov_imm(R2, 0)
            .label(&pos)
            .jmp_imm(Cond::Le, R2, CAP_MAX as i32, &hdr)
            .mov_imm(R2, 0);
    } else {
        a.call(helper::PROBE_READ_USER)
            .mov_imm(R2, 0)
            .jmp_imm(Cond::Ne, R0, 0, &hdr)
            .load(Size::DW, R2, FP, CN)
            .jmp_imm(Cond::Le, R2, CAP_MAX as i32, &hdr)
            .mov_imm(R2, 0);
    }
    a.label(&hdr)
        .mov(R1, R8)
        .alu_reg(Alu::Add, R1, R7)
        .load(Size::DW, R3, FP, CADDR)
        .store(Size::DW, R1, 0, R3)
        .store(Size::W, R1, 8, R2)
        .store_imm(Size::W, R1, 12, slot as i32)
        .alu_imm(Alu::Add, R7, 16)
        .alu_imm(Alu::Add, R2, 7)
        .alu_imm(Alu::And, R2, -8)
        .alu_reg(Alu::Add, R7, R2)
        .label(&skip);
    forget_r7(a);
}

/// Spills r7 to the record (its reserved word) and reloads it, so the
/// verifier sees one "bounded unknown" offset after every capture
/// instead of one exact value per path, and can prune the paths.
fn forget_r7(a: &mut Asm) {
    a.store(Size::DW, R8, 136, R7).load(Size::DW, R7, R8, 136);
}

/// The captures the per-syscall table (r9) lists.
fn table_captures(a: &mut Asm, s: &Settings, argv: bool) {
    for j in 0..4u32 {
        // Pointer arrays sit in slots 1 and 2 only (execve's argv and
        // envp; see `capture::ARGV_SLOTS`): the string copies are most of
        // the program, so the other slots go without them.
        let argv = argv && super::capture::ARGV_SLOTS.contains(&j);
        let base = 4 + 8 * j as i16;
        let t = |x: &str| format!("slot{j}_{x}");
        a.load(Size::B, R1, R9, base + 1)
            .jmp_imm(Cond::Eq, R1, 0, &t("end"))
            .load(Size::B, R2, R9, base)
            .alu_imm(Alu::And, R2, 7)
            .alu_imm(Alu::Lsh, R2, 3)
            .alu_reg(Alu::Add, R2, R8)
            .load(Size::DW, R3, R2, 24)
            .jmp_imm(Cond::Eq, R1, K_STR as i32, &t("str"))
            .jmp_imm(Cond::Eq, R1, K_FIXED as i32, &t("fixed"))
            .jmp_imm(Cond::Eq, R1, K_LEN as i32, &t("len"));
        if argv {
            a.jmp_imm(Cond::Eq, R1, K_ARGV as i32, &t("argv"));
        }
        a.ja(&t("end"));
        a.label(&t("str")).load(Size::W, R2, R9, base + 4);
        capture(a, &t("s"), j, true);
        a.ja(&t("end"));
        a.label(&t("fixed")).load(Size::W, R2, R9, base + 4);
        capture(a, &t("f"), j, false);
        a.ja(&t("end"));
        a.label(&t("len"))
            .load(Size::B, R4, R9, base + 2)
            .alu_imm(Alu::And, R4, 7)
            .alu_imm(Alu::Lsh, R4, 3)
            .alu_reg(Alu::Add, R4, R8)
            .load(Size::DW, R4, R4, 24)
            .jmp_imm(Cond::Sle, R4, 0, &t("end"))
            .jmp_imm(Cond::Gt, R4, CAP_MAX as i32, &t("big"))
            .load(Size::B, R5, R9, base + 3)
            .alu_reg(Alu::Mul, R4, R5)
            .label(&t("big"))
            .load(Size::W, R2, R9, base + 4)
            .jmp_reg(Cond::Ge, R4, R2, &t("capped"))
            .mov(R2, R4)
            .label(&t("capped"));
        capture(a, &t("l"), j, false);
        a.ja(&t("end"));
        if argv {
            a.label(&t("argv"))
                .load(Size::W, R2, R9, base + 4)
                .mov(R1, R7)
                .alu_imm(Alu::Add, R1, 16)
                .store(Size::DW, FP, AOFF, R1);
            capture(a, &t("a"), j, false);
            a.load(Size::DW, R1, FP, AOFF)
                .alu_imm(Alu::Sub, R1, 16)
                .jmp_reg(Cond::Eq, R7, R1, &t("end"));
            for k in 0..ARGV_STRS {
                a.load(Size::DW, R1, FP, AOFF)
                    .jmp_imm(Cond::Gt, R1, OFF_MAX + 16, &t("end"))
                    .alu_reg(Alu::Add, R1, R8)
                    .load(Size::DW, R3, R1, 8 * k as i16)
                    .jmp_imm(Cond::Eq, R3, 0, &t("end"))
                    .mov_imm(R2, s.str_cap as i32);
                capture(a, &t(&format!("as{k}")), SLOT_ARGV_STR | j, true);
            }
        }
        a.label(&t("end"));
    }
}

/// Fills the record header from the saved registers (on the stack at
/// REGS) into the scratch value (r8); the time only when `timing` (-T,
/// -t, -c), as reading the clock costs every event.
fn header(a: &mut Asm, kind: u32, timing: bool) {
    a.store_imm(Size::W, R8, 0, kind as i32)
        .store_imm(Size::W, R8, 4, 0)
        .load(Size::DW, R1, FP, PT)
        .store(Size::DW, R8, 8, R1);
    let copies: [(i16, i16); 11] = [
        (regs::ORIG_AX, 16),
        (regs::DI, 24),
        (regs::SI, 32),
        (regs::DX, 40),
        (regs::R10, 48),
        (regs::R8, 56),
        (regs::R9, 64),
        (regs::IP, 96),
        (regs::SP, 104),
        (regs::BP, 112),
        (regs::R14, 120),
    ];
    for (from, to) in copies {
        a.load(Size::DW, R1, FP, REGS + from)
            .store(Size::DW, R8, to, R1);
    }
    if timing {
        a.call(helper::KTIME_GET_NS).store(Size::DW, R8, 80, R0);
    } else {
        a.store_imm(Size::DW, R8, 80, 0);
    }
    a.store_imm(Size::DW, R8, 88, 0)
        .store_imm(Size::DW, R8, 128, 0)
        .store_imm(Size::DW, R8, 136, 0)
        .store_imm(Size::DW, R8, 144, 0)
        .store_imm(Size::DW, R8, 152, 0);
}

/// The frame-pointer chain from the saved BP, the word at SP (a
/// frameless leaf's return address) and the start of `g`. Leaves the
/// capture offset in r7.
fn stack(a: &mut Asm, s: &Settings, m: &MapFds, digest: bool) {
    a.mov_imm(R7, HDR as i32);
    if s.stack_depth == 0 {
        return;
    }
    // One read of the stack above SP; frames inside it cost no call.
    a.mov(R1, R8)
        .alu_imm(Alu::Add, R1, SCRATCH as i32)
        .mov_imm(R2, CHUNK)
        .load(Size::DW, R3, R8, 104)
        .call(helper::PROBE_READ_USER)
        .store(Size::DW, FP, CHOK, R0)
        .jmp_imm(Cond::Ne, R0, 0, "leaf_slow")
        .load(Size::DW, R1, R8, SCRATCH as i16)
        .store(Size::DW, R8, 128, R1)
        .ja("leaf_done")
        .label("leaf_slow")
        .mov(R1, R8)
        .alu_imm(Alu::Add, R1, 128)
        .mov_imm(R2, 8)
        .load(Size::DW, R3, R8, 104)
        .call(helper::PROBE_READ_USER)
        .label("leaf_done")
        .load(Size::DW, R6, R8, 112);
    for i in 0..s.stack_depth as i16 {
        let at = HDR as i16 + FRAME as i16 * i;
        let slow = format!("frame{i}_slow");
        let got = format!("frame{i}_got");
        a.jmp_imm(Cond::Eq, R6, 0, "walked")
            .store(Size::DW, R8, at, R6)
            .load(Size::DW, R1, FP, CHOK)
            .jmp_imm(Cond::Ne, R1, 0, &slow)
            .mov(R2, R6)
            .load(Size::DW, R1, R8, 104)
            .alu_reg(Alu::Sub, R2, R1)
            .jmp_imm(Cond::Gt, R2, CHUNK - 16, &slow)
            .alu_reg(Alu::Add, R2, R8)
            .load(Size::DW, R3, R2, SCRATCH as i16)
            .load(Size::DW, R4, R2, SCRATCH as i16 + 8)
            .store(Size::DW, R8, at + 8, R3)
            .store(Size::DW, R8, at + 16, R4)
            .ja(&got)
            .label(&slow)
            .mov(R1, R8)
            .alu_imm(Alu::Add, R1, at as i32 + 8)
            .mov_imm(R2, 16)
            .mov(R3, R6)
            .call(helper::PROBE_READ_USER)
            .jmp_imm(Cond::Ne, R0, 0, "walked")
            .label(&got)
            .store_imm(Size::W, R8, 4, i as i32 + 1)
            .alu_imm(Alu::Add, R7, FRAME as i32)
            .load(Size::DW, R1, R8, at + 8)
            .jmp_reg(Cond::Le, R1, R6, "walked")
            .mov(R6, R1);
    }
    a.label("walked");
    forget_r7(a);
    if s.g_bytes > 0 {
        a.store(Size::DW, FP, GOFF, R7)
            .load(Size::DW, R3, R8, 120)
            .mov_imm(R2, s.g_bytes as i32);
        capture(a, "g", SLOT_G, false);
        if let Some(go) = s.go {
            // R14 is this thread's g when SP lies on that g's stack (Go
            // code, the common case: no more reads); else the g in the
            // TLS slot replaces it.
            captured(a, GOFF, s.g_bytes, "g_tls");
            a.load(Size::DW, R2, R1, 16)
                .load(Size::DW, R3, R1, 24)
                .load(Size::DW, R4, R8, 104)
                .jmp_reg(Cond::Gt, R2, R4, "g_tls")
                .jmp_reg(Cond::Ge, R4, R3, "g_tls")
                .ja("g_ok")
                .label("g_tls")
                .load(Size::DW, R7, FP, GOFF);
            g_from_tls(a, go);
            a.load(Size::DW, R3, R8, 120).mov_imm(R2, s.g_bytes as i32);
            capture(a, "g2", SLOT_G, false);
            a.label("g_ok");
            user_goroutine(a, s, go);
        }
    }
    if digest {
        stack_digest(a, s, m);
    }
}

/// Replaces the `g` taken from R14 (offset 120) with the one in the
/// thread's TLS slot when it can be read: R14 holds g only in Go code
/// that follows ABIInternal, the TLS slot always.
fn g_from_tls(a: &mut Asm, go: GoOffsets) {
    a.call(helper::GET_CURRENT_TASK)
        .mov(R3, R0)
        .alu_imm(Alu::Add, R3, go.task_fsbase as i32)
        .mov(R1, FP)
        .alu_imm(Alu::Add, R1, VAL as i32)
        .mov_imm(R2, 8)
        .call(helper::PROBE_READ_KERNEL)
        .jmp_imm(Cond::Ne, R0, 0, "tls_done")
        .load(Size::DW, R3, FP, VAL)
        .jmp_imm(Cond::Eq, R3, 0, "tls_done")
        .alu_imm(Alu::Add, R3, go.tls)
        .mov(R1, FP)
        .alu_imm(Alu::Add, R1, VAL as i32)
        .mov_imm(R2, 8)
        .call(helper::PROBE_READ_USER)
        .jmp_imm(Cond::Ne, R0, 0, "tls_done")
        .load(Size::DW, R1, FP, VAL)
        .jmp_imm(Cond::Eq, R1, 0, "tls_done")
        .store(Size::DW, R8, 120, R1)
        .label("tls_done");
}

/// Points r1 at the capture record whose offset is in the stack slot
/// `slot` and jumps to `fail` unless it holds exactly `len` bytes.
fn captured(a: &mut Asm, slot: i16, len: u32, fail: &str) {
    a.load(Size::DW, R1, FP, slot)
        .jmp_imm(Cond::Gt, R1, OFF_MAX, fail)
        .alu_reg(Alu::Add, R1, R8)
        .load(Size::W, R2, R1, 8)
        .jmp_imm(Cond::Ne, R2, len as i32, fail);
}

/// On a g0 or gsignal (goid 0): the `m`, its user goroutine `curg`, the
/// top of that goroutine's stack and its frame-pointer chain, so user
/// space can name the goroutine and continue the stack across
/// `systemstack` as the ptrace backend does.
fn user_goroutine(a: &mut Asm, s: &Settings, go: GoOffsets) {
    let m_bytes = go.m_curg as u32 + 8;
    captured(a, GOFF, s.g_bytes, "user_done");
    a.load(Size::DW, R2, R1, 16 + go.g_goid)
        .jmp_imm(Cond::Ne, R2, 0, "user_done")
        .load(Size::DW, R3, R1, 16 + go.g_m)
        .jmp_imm(Cond::Eq, R3, 0, "user_done")
        .store(Size::DW, FP, MOFF, R7)
        .mov_imm(R2, m_bytes as i32);
    capture(a, "m", SLOT_M, false);
    captured(a, MOFF, m_bytes, "user_done");
    a.load(Size::DW, R3, R1, 16 + go.m_curg)
        .jmp_imm(Cond::Eq, R3, 0, "user_done")
        .store(Size::DW, FP, COFF, R7)
        .mov_imm(R2, s.g_bytes as i32);
    capture(a, "curg", SLOT_CURG, false);
    captured(a, COFF, s.g_bytes, "user_done");
    a.load(Size::DW, R6, R1, 16 + go.g_sched_bp)
        .load(Size::DW, R3, R1, 16 + go.g_sched_sp)
        .mov_imm(R2, 64);
    capture(a, "sched", SLOT_SCHED, false);
    for i in 0..CURG_FRAMES.min(s.stack_depth) {
        let t = format!("cf{i}");
        a.jmp_imm(Cond::Eq, R6, 0, "user_done")
            .store(Size::DW, FP, FOFF, R7)
            .mov(R3, R6)
            .mov_imm(R2, 16);
        capture(a, &t, SLOT_FRAME, false);
        captured(a, FOFF, 16, "user_done");
        a.load(Size::DW, R2, R1, 16)
            .jmp_reg(Cond::Le, R2, R6, "user_done")
            .mov(R6, R2);
    }
    a.label("user_done");
}

/// One word (r2) into the digest in r1 (r5 holds the multiplier, r4 is
/// clobbered): xor, multiply, fold the high half down.
fn mix(a: &mut Asm) {
    a.alu_reg(Alu::Xor, R1, R2)
        .alu_reg(Alu::Mul, R1, R5)
        .mov(R4, R1)
        .alu_imm(Alu::Rsh, R4, 29)
        .alu_reg(Alu::Xor, R1, R4);
}

/// Digests everything user space unwinds from (tgid, ip, sp, bp, g, the
/// word at SP, the frame records, the `g` bytes) into offset 152, and
/// leaves the frames and `g` out of the record when an earlier record
/// with the same digest carried them (r7 back to the header's end).
fn stack_digest(a: &mut Asm, s: &Settings, m: &MapFds) {
    a.store_imm(Size::DW, FP, HASH, 0)
        .mov_imm64(R5, 0x9e37_79b9_7f4a_7c15)
        .load(Size::DW, R1, FP, PT)
        .alu_imm(Alu::Rsh, R1, 32);
    for off in [96, 104, 112, 120, 128] {
        a.load(Size::DW, R2, R8, off);
        mix(a);
    }
    a.load(Size::W, R6, R8, 4);
    for i in 0..s.stack_depth as i16 {
        a.jmp_imm(Cond::Le, R6, i as i32, "digest_frames");
        for w in 0..3 {
            a.load(Size::DW, R2, R8, HDR as i16 + FRAME as i16 * i + 8 * w);
            mix(a);
        }
    }
    a.label("digest_frames");
    if s.g_bytes > 0 {
        // Every capture after the frame records (g, and on a g0 the m,
        // the user goroutine and its stack): from GOFF to r7.
        a.load(Size::DW, R3, FP, GOFF)
            .jmp_imm(Cond::Gt, R3, OFF_MAX, "digest_none")
            .mov(R6, R7)
            .alu_reg(Alu::Sub, R6, R3)
            .jmp_imm(Cond::Sgt, R6, 8 * DIGEST_WORDS as i32, "digest_none")
            .alu_reg(Alu::Add, R3, R8);
        for k in 0..DIGEST_WORDS {
            a.jmp_imm(Cond::Sle, R6, 8 * k as i32, "digest_g")
                .load(Size::DW, R2, R3, 8 * k);
            mix(a);
        }
        a.label("digest_g");
    }
    a.store(Size::DW, R8, 152, R1)
        .store(Size::DW, FP, HASH, R1)
        .load(Size::W, R1, R8, 0)
        .alu_imm(Alu::Or, R1, KIND_STACK as i32)
        .store(Size::W, R8, 0, R1)
        .map_lookup(m.known, HASH)
        .jmp_imm(Cond::Eq, R0, 0, "digest_new")
        .load(Size::W, R1, R8, 0)
        .alu_imm(Alu::Or, R1, KIND_ELIDED as i32)
        .store(Size::W, R8, 0, R1)
        .store_imm(Size::W, R8, 4, 0)
        .mov_imm(R7, HDR as i32)
        .label("digest_new")
        .label("digest_none");
}

/// Reads the user registers (`ctx->args[0]`) to REGS; jumps to `out` on
/// failure.
fn read_regs(a: &mut Asm) {
    a.mov(R1, FP)
        .alu_imm(Alu::Add, R1, REGS as i32)
        .mov_imm(R2, regs::SIZE)
        .load(Size::DW, R3, R6, 0)
        .call(helper::PROBE_READ_KERNEL)
        .jmp_imm(Cond::Ne, R0, 0, "out");
}

/// Looks up the per-syscall value for the nr in r1 into r9; jumps to
/// `out` when the call is not wanted.
fn syscall_config(a: &mut Asm, m: &MapFds) {
    a.jmp_imm(Cond::Ge, R1, NR_MAX as i32, "out")
        .store(Size::W, FP, KEY, R1)
        .map_lookup(m.syscfg, KEY)
        .jmp_imm(Cond::Eq, R0, 0, "out")
        .mov(R9, R0)
        .load(Size::W, R1, R9, 0)
        .jmp_imm(Cond::Eq, R1, 0, "out");
}

fn scratch(a: &mut Asm, m: &MapFds) {
    a.store_imm(Size::W, FP, KEY, 0)
        .map_lookup(m.scratch, KEY)
        .jmp_imm(Cond::Eq, R0, 0, "out")
        .mov(R8, R0);
}

fn send_record(a: &mut Asm, m: &MapFds, s: &Settings, digest: bool) {
    a.jmp_imm(Cond::Gt, R7, SCRATCH as i32, "out")
        .mov(R2, R8)
        .mov(R3, R7);
    output_then(a, m, "rec", |a| {
        if s.stack_depth == 0 || !digest {
            return;
        }
        // A stack sent in full: later records with its digest leave it out.
        a.load(Size::W, R1, R8, 0)
            .alu_imm(Alu::And, R1, (KIND_STACK | KIND_ELIDED) as i32)
            .jmp_imm(Cond::Ne, R1, KIND_STACK as i32, "rec_sent")
            .store_imm(Size::DW, FP, VAL, 1)
            .map_update(m.known, HASH, VAL, 1);
    });
}

/// `raw_tracepoint/sys_exit`: args = (struct pt_regs *, long ret).
pub fn sys_exit(m: &MapFds, s: &Settings) -> Result<Vec<Insn>, String> {
    let mut a = Asm::new();
    a.mov(R6, R1);
    prologue(&mut a, m, s, false);
    read_regs(&mut a);
    a.load(Size::DW, R1, FP, REGS + regs::ORIG_AX);
    syscall_config(&mut a, m);
    a.store(Size::DW, FP, AOFF, R1)
        .load(Size::DW, R7, R6, 8)
        .alu_imm(Alu::And, R1, F_SKIP_ZERO as i32)
        .jmp_imm(Cond::Eq, R1, 0, "keep")
        .jmp_imm(Cond::Eq, R7, 0, "out")
        .label("keep")
        .store(Size::DW, FP, TMP, R7);
    scratch(&mut a, m);
    header(&mut a, EV_SYSCALL, s.timing);
    a.load(Size::DW, R1, FP, TMP)
        .store(Size::DW, R8, 72, R1)
        .load(Size::DW, R1, FP, AOFF)
        .alu_imm(Alu::And, R1, F_ENTRY_WORD as i32)
        .jmp_imm(Cond::Eq, R1, 0, "no_word")
        .load(Size::DW, R1, FP, PT)
        .store(Size::W, FP, KEY, R1)
        .map_lookup(m.words, KEY)
        .jmp_imm(Cond::Eq, R0, 0, "no_word")
        .load(Size::DW, R1, R0, 0)
        .store(Size::DW, R8, 144, R1)
        .map_delete(m.words, KEY)
        .label("no_word");
    if s.timing {
        a.load(Size::DW, R1, FP, PT)
            .store(Size::W, FP, KEY, R1)
            .map_lookup(m.starts, KEY)
            .jmp_imm(Cond::Eq, R0, 0, "no_start")
            .load(Size::DW, R1, R0, 0)
            .store(Size::DW, R8, 88, R1)
            .map_delete(m.starts, KEY)
            .label("no_start");
    }
    stack(&mut a, s, m, true);
    table_captures(&mut a, s, false);
    send_record(&mut a, m, s, true);
    epilogue(&mut a);
    a.finish()
}

/// `raw_tracepoint/sys_enter`: args = (struct pt_regs *, long id).
pub fn sys_enter(m: &MapFds, s: &Settings) -> Result<Vec<Insn>, String> {
    let mut a = Asm::new();
    a.mov(R6, R1);
    prologue(&mut a, m, s, true);
    a.load(Size::DW, R1, R6, 8);
    syscall_config(&mut a, m);
    a.mov(R2, R1)
        .alu_imm(Alu::And, R2, F_ENTRY_WORD as i32)
        .jmp_imm(Cond::Eq, R2, 0, "no_word")
        .store(Size::DW, FP, TMP, R1)
        .load(Size::B, R3, R9, 36)
        .load(Size::DW, R1, R6, 0)
        .alu_reg(Alu::Add, R3, R1)
        .mov(R1, FP)
        .alu_imm(Alu::Add, R1, VAL as i32)
        .mov_imm(R2, 8)
        .call(helper::PROBE_READ_KERNEL)
        .jmp_imm(Cond::Ne, R0, 0, "word_done")
        .load(Size::DW, R3, FP, VAL)
        .store_imm(Size::DW, FP, VAL, 0)
        .mov(R1, FP)
        .alu_imm(Alu::Add, R1, VAL as i32)
        .mov_imm(R2, 4)
        .call(helper::PROBE_READ_USER)
        .jmp_imm(Cond::Ne, R0, 0, "word_done")
        .load(Size::B, R1, R9, 37)
        .alu_imm(Alu::Add, R1, 1)
        .store(Size::W, FP, VAL + 4, R1)
        .load(Size::DW, R1, FP, PT)
        .store(Size::W, FP, KEY, R1)
        .map_update(m.words, KEY, VAL, 0)
        .label("word_done")
        .load(Size::DW, R1, FP, TMP)
        .label("no_word")
        .alu_imm(Alu::And, R1, F_ENTRY as i32)
        .jmp_imm(Cond::Ne, R1, 0, "entry_event");
    if s.timing {
        a.load(Size::DW, R1, FP, PT)
            .store(Size::W, FP, KEY, R1)
            .call(helper::KTIME_GET_NS)
            .store(Size::DW, FP, VAL, R0)
            .map_update(m.starts, KEY, VAL, 0);
    }
    a.ja("out").label("entry_event");
    read_regs(&mut a);
    scratch(&mut a, m);
    header(&mut a, EV_ENTRY, s.timing);
    a.store_imm(Size::DW, R8, 72, 0);
    // Rare calls (execve, exit_group): no digest, a smaller program.
    stack(&mut a, s, m, false);
    table_captures(&mut a, s, true);
    send_record(&mut a, m, s, false);
    epilogue(&mut a);
    a.finish()
}

/// `raw_tracepoint/sched_process_fork`: args = (parent, child).
pub fn fork(m: &MapFds, s: &Settings) -> Result<Vec<Insn>, String> {
    let mut a = Asm::new();
    a.mov(R6, R1);
    prologue(&mut a, m, s, false);
    // Record: kind u32, pad, parent pid_tgid u64, child pid u32, tgid u32.
    a.mov(R1, FP)
        .alu_imm(Alu::Add, R1, TMP as i32)
        .mov_imm(R2, 8)
        .load(Size::DW, R3, R6, 8)
        .alu_imm(Alu::Add, R3, s.task_pid as i32)
        .call(helper::PROBE_READ_KERNEL)
        .jmp_imm(Cond::Ne, R0, 0, "out")
        .load(Size::W, R1, FP, TMP + 4)
        .load(Size::W, R2, FP, KEY)
        .jmp_reg(Cond::Eq, R1, R2, "send")
        .store(Size::W, FP, KEY, R1)
        .store_imm(Size::W, FP, VAL, ACTIVE as i32)
        .store_imm(Size::W, FP, VAL + 4, 0)
        .map_update(m.tgids, KEY, VAL, 0)
        .label("send");
    small_record(&mut a, m, "fork", -240, EV_FORK, 24);
    epilogue(&mut a);
    a.finish()
}

/// `raw_tracepoint/sched_process_exit`: the current task ends.
pub fn exit(m: &MapFds, s: &Settings) -> Result<Vec<Insn>, String> {
    let mut a = Asm::new();
    a.mov(R6, R1);
    prologue(&mut a, m, s, false);
    a.store_imm(Size::DW, FP, TMP, 0)
        .call(helper::GET_CURRENT_TASK)
        .mov(R3, R0)
        .alu_imm(Alu::Add, R3, s.task_exit_code as i32)
        .mov(R1, FP)
        .alu_imm(Alu::Add, R1, TMP as i32)
        .mov_imm(R2, 4)
        .call(helper::PROBE_READ_KERNEL);
    small_record(&mut a, m, "exit", -240, EV_EXIT, 24);
    epilogue(&mut a);
    a.finish()
}

/// `raw_tracepoint/signal_deliver`: args = (sig, kernel_siginfo *, ka).
pub fn signal(m: &MapFds, s: &Settings) -> Result<Vec<Insn>, String> {
    let mut a = Asm::new();
    a.mov(R6, R1);
    prologue(&mut a, m, s, false);
    // Record: kind u32, pad, pid_tgid u64, 48 bytes of siginfo.
    a.mov(R1, FP)
        .alu_imm(Alu::Add, R1, -272)
        .mov_imm(R2, 48)
        .load(Size::DW, R3, R6, 8)
        .call(helper::PROBE_READ_KERNEL)
        .jmp_imm(Cond::Ne, R0, 0, "out");
    small_record(&mut a, m, "sig", -288, EV_SIGNAL, 64);
    epilogue(&mut a);
    a.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn programs_assemble() {
        let m = MapFds {
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
            let s = Settings {
                stack_depth: depth,
                g_bytes: 176,
                timing,
                follow,
                str_cap: 34,
                execve_nrs: [59, 322],
                task_pid: 100,
                task_exit_code: 200,
                go: Some(GoOffsets {
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
                sys_enter(&m, &s),
                sys_exit(&m, &s),
                fork(&m, &s),
                exit(&m, &s),
                signal(&m, &s),
            ] {
                let p = p.unwrap();
                // Far below the kernel's limit for privileged loaders (one
                // million); a runaway generator shows here.
                assert!(p.len() < 16384, "program of {} insns", p.len());
            }
        }
    }
}
