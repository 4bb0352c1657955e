//! Decoders: time, futexes, scheduling, limits, and process attributes.

use std::borrow::Cow;

use model::syscall::Arg;

use super::{le_u32, le_u64, st, Dec, Decoder};
use crate::signal::signal_arg;
use crate::xlat::Xlat;

pub(super) fn decoder(name: &str) -> Option<Decoder> {
    use crate::reads::{Kind::*, Len::*, TIMESPEC};
    Some(match name {
        "futex" => (futex, &[(3, Fixed(TIMESPEC))]),
        "nanosleep" => (nanosleep, &[(0, Fixed(TIMESPEC)), (1, Fixed(TIMESPEC))]),
        "clock_nanosleep" => (
            clock_nanosleep,
            &[(2, Fixed(TIMESPEC)), (3, Fixed(TIMESPEC))],
        ),
        "clock_gettime" | "clock_getres" => (clock_gettime, &[(1, Fixed(TIMESPEC))]),
        "sched_getaffinity" => (sched_getaffinity, &[(2, Sized(Ret, 1))]),
        "uname" => (uname, &[(0, Fixed(390))]),
        "prlimit64" => (prlimit64, &[(2, Fixed(16)), (3, Fixed(16))]),
        "arch_prctl" => (arch_prctl, &[(1, Fixed(8))]),
        "set_tid_address" => (set_tid_address, &[]),
        "set_robust_list" => (set_robust_list, &[]),
        "rseq" => (rseq, &[]),
        "getrandom" => (getrandom, &[(0, Data(Ret))]),
        "prctl" => (prctl, &[(1, Fixed(16))]),
        "sysinfo" => (sysinfo, &[(0, Fixed(112))]),
        _ => return None,
    })
}

fn timespec(d: &Dec<'_, '_>, addr: u64) -> Arg {
    match d.struct_at(addr, 16) {
        Ok(b) => st(vec![
            ("tv_sec", Arg::Int(le_u64(&b, 0) as i64)),
            ("tv_nsec", Arg::Int(le_u64(&b, 8) as i64)),
        ]),
        Err(a) => a,
    }
}

const FUTEX_CMD: &[&str] = &[
    "FUTEX_WAIT",
    "FUTEX_WAKE",
    "FUTEX_FD",
    "FUTEX_REQUEUE",
    "FUTEX_CMP_REQUEUE",
    "FUTEX_WAKE_OP",
    "FUTEX_LOCK_PI",
    "FUTEX_UNLOCK_PI",
    "FUTEX_TRYLOCK_PI",
    "FUTEX_WAIT_BITSET",
    "FUTEX_WAKE_BITSET",
    "FUTEX_WAIT_REQUEUE_PI",
    "FUTEX_CMP_REQUEUE_PI",
    "FUTEX_LOCK_PI2",
];

/// [`FUTEX_CMD`] with `_PRIVATE`, spelled out so that the most common
/// futex calls name their operation without allocating.
const FUTEX_CMD_PRIVATE: &[&str] = &[
    "FUTEX_WAIT_PRIVATE",
    "FUTEX_WAKE_PRIVATE",
    "FUTEX_FD_PRIVATE",
    "FUTEX_REQUEUE_PRIVATE",
    "FUTEX_CMP_REQUEUE_PRIVATE",
    "FUTEX_WAKE_OP_PRIVATE",
    "FUTEX_LOCK_PI_PRIVATE",
    "FUTEX_UNLOCK_PI_PRIVATE",
    "FUTEX_TRYLOCK_PI_PRIVATE",
    "FUTEX_WAIT_BITSET_PRIVATE",
    "FUTEX_WAKE_BITSET_PRIVATE",
    "FUTEX_WAIT_REQUEUE_PI_PRIVATE",
    "FUTEX_CMP_REQUEUE_PI_PRIVATE",
    "FUTEX_LOCK_PI2_PRIVATE",
];

fn futex_op(op: u64) -> Arg {
    let cmd = (op & 0x7f) as usize;
    let private = op & 128 != 0;
    let mut names = Vec::new();
    let mut rest = op & !0x7f & !128 & !256;
    match FUTEX_CMD.get(cmd) {
        Some(n) if private => names.push(
            FUTEX_CMD_PRIVATE
                .get(cmd)
                .map_or_else(|| Cow::Owned(format!("{n}_PRIVATE")), |&p| Cow::Borrowed(p)),
        ),
        Some(&n) => names.push(n.into()),
        None => rest |= op & (0x7f | 128),
    }
    if op & 256 != 0 {
        names.push("FUTEX_CLOCK_REALTIME".into());
    }
    if names.is_empty() {
        return Arg::Commented {
            value: Box::new(Arg::Hex(rest)),
            comment: "FUTEX_???".into(),
        };
    }
    Arg::Flags { names, rest }
}

fn bitset(v: u64) -> Arg {
    if v as u32 == u32::MAX {
        Arg::Sym("FUTEX_BITSET_MATCH_ANY".into())
    } else {
        Arg::Hex(v as u32 as u64)
    }
}

fn futex(d: &mut Dec<'_, '_>) {
    if !d.entering() {
        return;
    }
    // futex's op, val, val2 and val3 are C ints; strace prints the values
    // unsigned (`4207869677`, not `-87097619`).
    let op = d.arg32(1);
    d.push(Arg::Ptr(d.arg(0)));
    d.push(futex_op(op));
    let val = Arg::UInt(d.arg32(2));
    let timeout = timespec(d, d.arg(3));
    let val2 = Arg::UInt(d.arg32(3));
    let uaddr2 = Arg::Ptr(d.arg(4));
    let val3 = d.arg32(5);
    match op & 0x7f {
        0 => d.extend([val, timeout]),
        1 | 2 => d.push(val),
        3 => d.extend([val, val2, uaddr2]),
        4 | 12 => d.extend([val, val2, uaddr2, Arg::UInt(val3)]),
        5 => d.extend([val, val2, uaddr2, wake_op(val3)]),
        6 | 13 => d.push(timeout),
        7 | 8 => {}
        9 => d.extend([val, timeout, bitset(val3)]),
        10 => d.extend([val, bitset(val3)]),
        11 => d.extend([val, timeout, uaddr2]),
        _ => d.extend([val, Arg::Ptr(d.arg(3)), uaddr2, Arg::Hex(val3)]),
    }
}

const FUTEX_WAKE_OPS: Xlat = Xlat::new(&[
    (0, "FUTEX_OP_SET"),
    (1, "FUTEX_OP_ADD"),
    (2, "FUTEX_OP_OR"),
    (3, "FUTEX_OP_ANDN"),
    (4, "FUTEX_OP_XOR"),
]);

const FUTEX_WAKE_CMPS: Xlat = Xlat::new(&[
    (0, "FUTEX_OP_CMP_EQ"),
    (1, "FUTEX_OP_CMP_NE"),
    (2, "FUTEX_OP_CMP_LT"),
    (3, "FUTEX_OP_CMP_LE"),
    (4, "FUTEX_OP_CMP_GT"),
    (5, "FUTEX_OP_CMP_GE"),
]);

/// C's `%#x`: `0` for zero, `0x1f` otherwise.
fn c_hex(v: u64) -> String {
    if v == 0 {
        "0".into()
    } else {
        format!("{v:#x}")
    }
}

/// FUTEX_WAKE_OP's encoded operation, spelled as strace spells it:
/// `FUTEX_OP_ADD<<28|0x1<<12|FUTEX_OP_CMP_GT<<24|0x2`.
fn wake_op(v: u64) -> Arg {
    let shifted = |x: &Xlat, value: u64, shift: u32| {
        Arg::Sym(match x.name(value) {
            Some(n) => format!("{n}<<{shift}").into(),
            None => format!("{}<<{shift} /* {} */", c_hex(value), x.unknown()).into(),
        })
    };
    let mut parts = Vec::new();
    if (v >> 28) & 8 != 0 {
        parts.push(Arg::Sym("FUTEX_OP_OPARG_SHIFT<<28".into()));
    }
    parts.push(shifted(&FUTEX_WAKE_OPS, (v >> 28) & 7, 28));
    parts.push(Arg::Sym(format!("{}<<12", c_hex((v >> 12) & 0xfff)).into()));
    parts.push(shifted(&FUTEX_WAKE_CMPS, (v >> 24) & 0xf, 24));
    parts.push(Arg::Hex(v & 0xfff));
    Arg::Or(parts)
}

/// The remaining-time argument: filled only when the sleep was interrupted.
fn rem(d: &Dec<'_, '_>, addr: u64) -> Arg {
    let interrupted = matches!(d.retval().checked_neg(), Some(4 | 512..=516));
    if interrupted && addr != 0 {
        timespec(d, addr)
    } else {
        Arg::Ptr(addr)
    }
}

fn nanosleep(d: &mut Dec<'_, '_>) {
    if d.entering() {
        let t = timespec(d, d.arg(0));
        d.push(t);
        d.defer();
        return;
    }
    let r = rem(d, d.arg(1));
    d.push(r);
}

const CLOCKS: Xlat = Xlat::new(&[
    (0, "CLOCK_REALTIME"),
    (1, "CLOCK_MONOTONIC"),
    (2, "CLOCK_PROCESS_CPUTIME_ID"),
    (3, "CLOCK_THREAD_CPUTIME_ID"),
    (4, "CLOCK_MONOTONIC_RAW"),
    (5, "CLOCK_REALTIME_COARSE"),
    (6, "CLOCK_MONOTONIC_COARSE"),
    (7, "CLOCK_BOOTTIME"),
    (8, "CLOCK_REALTIME_ALARM"),
    (9, "CLOCK_BOOTTIME_ALARM"),
    (11, "CLOCK_TAI"),
]);

const TIMER_FLAGS: Xlat = Xlat::new(&[(1, "TIMER_ABSTIME")]);

fn clock_nanosleep(d: &mut Dec<'_, '_>) {
    if d.entering() {
        d.push(CLOCKS.sym(d.arg32(0)));
        d.push(TIMER_FLAGS.flags(d.arg32(1)));
        let t = timespec(d, d.arg(2));
        d.push(t);
        d.defer();
        return;
    }
    let r = rem(d, d.arg(3));
    d.push(r);
}

fn clock_gettime(d: &mut Dec<'_, '_>) {
    if d.entering() {
        d.push(CLOCKS.sym(d.arg32(0)));
        d.defer();
        return;
    }
    let t = if d.ok() {
        timespec(d, d.arg(1))
    } else {
        Arg::Ptr(d.arg(1))
    };
    d.push(t);
}

fn sched_getaffinity(d: &mut Dec<'_, '_>) {
    if d.entering() {
        let p = d.int(d.arg(0));
        let n = d.uint(d.arg(1));
        d.push(p);
        d.push(n);
        d.defer();
        return;
    }
    let addr = d.arg(2);
    if !d.ok() {
        d.push(Arg::Ptr(addr));
        return;
    }
    let len = (d.retval() as usize).min(8192);
    match d.read_bytes(addr, len) {
        Some(b) => {
            let items = (0..len * 8)
                .filter(|&i| b[i / 8] & (1 << (i % 8)) != 0)
                .map(|i| i.to_string())
                .collect();
            d.push(Arg::Set {
                items,
                negated: false,
            });
        }
        None => d.push(Arg::Unreadable(addr)),
    }
}

fn uname(d: &mut Dec<'_, '_>) {
    if d.entering() {
        d.defer();
        return;
    }
    let addr = d.arg(0);
    let a = match (d.ok(), d.struct_at(addr, 390)) {
        (true, Ok(b)) => {
            let field = |i: usize| {
                let s = &b[i * 65..(i + 1) * 65];
                let end = s.iter().position(|&c| c == 0).unwrap_or(65);
                let limit = d.limit();
                Arg::Str {
                    bytes: s[..end.min(limit)].to_vec(),
                    truncated: end > limit,
                }
            };
            if d.verbose() {
                st(vec![
                    ("sysname", field(0)),
                    ("nodename", field(1)),
                    ("release", field(2)),
                    ("version", field(3)),
                    ("machine", field(4)),
                    ("domainname", field(5)),
                ])
            } else {
                st(vec![
                    ("sysname", field(0)),
                    ("nodename", field(1)),
                    ("", Arg::Ellipsis),
                ])
            }
        }
        (_, Err(a)) => a,
        (false, Ok(_)) => Arg::Ptr(addr),
    };
    d.push(a);
}

const RLIMITS: Xlat = Xlat::new(&[
    (0, "RLIMIT_CPU"),
    (1, "RLIMIT_FSIZE"),
    (2, "RLIMIT_DATA"),
    (3, "RLIMIT_STACK"),
    (4, "RLIMIT_CORE"),
    (5, "RLIMIT_RSS"),
    (6, "RLIMIT_NPROC"),
    (7, "RLIMIT_NOFILE"),
    (8, "RLIMIT_MEMLOCK"),
    (9, "RLIMIT_AS"),
    (10, "RLIMIT_LOCKS"),
    (11, "RLIMIT_SIGPENDING"),
    (12, "RLIMIT_MSGQUEUE"),
    (13, "RLIMIT_NICE"),
    (14, "RLIMIT_RTPRIO"),
    (15, "RLIMIT_RTTIME"),
]);

/// strace writes limits that are whole kibibytes as `N*1024`.
fn rlim(v: u64) -> Arg {
    if v == u64::MAX {
        Arg::Sym("RLIM64_INFINITY".into())
    } else if v > 0 && v & 1023 == 0 {
        Arg::Sym(format!("{}*1024", v / 1024).into())
    } else {
        Arg::UInt(v)
    }
}

fn rlimit(d: &Dec<'_, '_>, addr: u64) -> Arg {
    match d.struct_at(addr, 16) {
        Ok(b) => st(vec![
            ("rlim_cur", rlim(le_u64(&b, 0))),
            ("rlim_max", rlim(le_u64(&b, 8))),
        ]),
        Err(a) => a,
    }
}

fn prlimit64(d: &mut Dec<'_, '_>) {
    if d.entering() {
        let p = d.int(d.arg(0));
        d.push(p);
        d.push(RLIMITS.sym(d.arg32(1)));
        let n = rlimit(d, d.arg(2));
        d.push(n);
        d.defer();
        return;
    }
    let old = if d.ok() {
        rlimit(d, d.arg(3))
    } else {
        Arg::Ptr(d.arg(3))
    };
    d.push(old);
}

const ARCH_CODES: Xlat = Xlat::new(&[
    (0x1001, "ARCH_SET_GS"),
    (0x1002, "ARCH_SET_FS"),
    (0x1003, "ARCH_GET_FS"),
    (0x1004, "ARCH_GET_GS"),
    (0x1011, "ARCH_GET_CPUID"),
    (0x1012, "ARCH_SET_CPUID"),
]);

fn arch_prctl(d: &mut Dec<'_, '_>) {
    let code = d.arg(0);
    if d.entering() {
        d.push(ARCH_CODES.sym(code));
        match code {
            0x1003 | 0x1004 => d.defer(),
            0x1011 => {}
            _ => d.push(Arg::Hex(d.arg(1))),
        }
        return;
    }
    if matches!(code, 0x1003 | 0x1004) {
        let addr = d.arg(1);
        let v = match (d.ok(), d.read_u64(addr)) {
            (true, Some(v)) => Arg::Array(vec![Arg::Hex(v)]),
            _ => Arg::Ptr(addr),
        };
        d.push(v);
    }
}

fn set_tid_address(d: &mut Dec<'_, '_>) {
    if d.entering() {
        d.push(Arg::Ptr(d.arg(0)));
    }
}

fn set_robust_list(d: &mut Dec<'_, '_>) {
    if d.entering() {
        d.push(Arg::Ptr(d.arg(0)));
        let n = d.ulong(d.arg(1));
        d.push(n);
    }
}

fn rseq(d: &mut Dec<'_, '_>) {
    if d.entering() {
        d.push(Arg::Ptr(d.arg(0)));
        d.push(Arg::Hex(d.arg(1) as u32 as u64));
        let f = d.int(d.arg(2));
        d.push(f);
        d.push(Arg::Hex(d.arg(3) as u32 as u64));
    }
}

const GRND: Xlat = Xlat::new(&[
    (1, "GRND_NONBLOCK"),
    (2, "GRND_RANDOM"),
    (4, "GRND_INSECURE"),
]);

fn getrandom(d: &mut Dec<'_, '_>) {
    if d.entering() {
        d.defer();
        return;
    }
    let a = match d.buf(d.arg(0), if d.ok() { d.retval() as u64 } else { 0 }) {
        Arg::Str { bytes, truncated } if d.ok() => Arg::HexStr { bytes, truncated },
        _ => Arg::Ptr(d.arg(0)),
    };
    d.push(a);
    let n = d.ulong(d.arg(1));
    d.push(n);
    d.push(GRND.flags(d.arg32(2)));
}

const PR_OPTIONS: Xlat = Xlat::new(&[
    (1, "PR_SET_PDEATHSIG"),
    (2, "PR_GET_PDEATHSIG"),
    (3, "PR_GET_DUMPABLE"),
    (4, "PR_SET_DUMPABLE"),
    (8, "PR_SET_KEEPCAPS"),
    (7, "PR_GET_KEEPCAPS"),
    (15, "PR_SET_NAME"),
    (16, "PR_GET_NAME"),
    (21, "PR_GET_SECCOMP"),
    (22, "PR_SET_SECCOMP"),
    (23, "PR_CAPBSET_READ"),
    (24, "PR_CAPBSET_DROP"),
    (36, "PR_SET_CHILD_SUBREAPER"),
    (37, "PR_GET_CHILD_SUBREAPER"),
    (38, "PR_SET_NO_NEW_PRIVS"),
    (39, "PR_GET_NO_NEW_PRIVS"),
    (41, "PR_SET_THP_DISABLE"),
    (42, "PR_GET_THP_DISABLE"),
    (0x53564d41, "PR_SET_VMA"),
]);

const DUMPABLE: Xlat = Xlat::new(&[
    (0, "SUID_DUMP_DISABLE"),
    (1, "SUID_DUMP_USER"),
    (2, "SUID_DUMP_ROOT"),
]);

fn prctl(d: &mut Dec<'_, '_>) {
    let opt = d.arg(0) as u32 as u64;
    if d.entering() {
        d.push(PR_OPTIONS.sym(opt));
        match opt {
            1 => d.push(sig_or_zero(d.arg(1))),
            15 => {
                let s = d.cstr(d.arg(1));
                d.push(s);
            }
            2 | 16 => d.defer(),
            3 | 7 | 21 | 37 | 39 | 42 => {}
            4 => d.push(DUMPABLE.sym(d.arg32(1))),
            8 | 23 | 24 | 36 => {
                let v = d.ulong(d.arg(1));
                d.push(v);
            }
            38 | 41 => {
                for i in 1..5 {
                    let v = d.ulong(d.arg(i));
                    d.push(v);
                }
            }
            _ => {
                for i in 1..5 {
                    d.push(Arg::Hex(d.arg(i)));
                }
            }
        }
        return;
    }
    match opt {
        2 => {
            let a = match (d.ok(), d.read_u32(d.arg(1))) {
                (true, Some(v)) => Arg::Array(vec![sig_or_zero(v as u64)]),
                _ => Arg::Ptr(d.arg(1)),
            };
            d.push(a);
        }
        16 => {
            let a = if d.ok() {
                d.cstr(d.arg(1))
            } else {
                Arg::Ptr(d.arg(1))
            };
            d.push(a);
        }
        3 if d.ok() => {
            let v = d.retval() as u64;
            if let Some(n) = DUMPABLE.name(v) {
                d.ret_custom(Arg::Int(v as i64), Some(n.to_string()));
            }
        }
        _ => {}
    }
}

fn sig_or_zero(v: u64) -> Arg {
    if v == 0 {
        Arg::Int(0)
    } else {
        signal_arg(v)
    }
}

fn sysinfo(d: &mut Dec<'_, '_>) {
    if d.entering() {
        d.defer();
        return;
    }
    let addr = d.arg(0);
    let a = match (d.ok(), d.struct_at(addr, 112)) {
        (true, Ok(b)) => st(vec![
            ("uptime", Arg::Int(le_u64(&b, 0) as i64)),
            (
                "loads",
                Arg::Array(vec![
                    Arg::UInt(le_u64(&b, 8)),
                    Arg::UInt(le_u64(&b, 16)),
                    Arg::UInt(le_u64(&b, 24)),
                ]),
            ),
            ("totalram", Arg::UInt(le_u64(&b, 32))),
            ("freeram", Arg::UInt(le_u64(&b, 40))),
            ("sharedram", Arg::UInt(le_u64(&b, 48))),
            ("bufferram", Arg::UInt(le_u64(&b, 56))),
            ("totalswap", Arg::UInt(le_u64(&b, 64))),
            ("freeswap", Arg::UInt(le_u64(&b, 72))),
            ("procs", Arg::UInt(super::le_u16(&b, 80) as u64)),
            ("totalhigh", Arg::UInt(le_u64(&b, 88))),
            ("freehigh", Arg::UInt(le_u64(&b, 96))),
            ("mem_unit", Arg::UInt(le_u32(&b, 104) as u64)),
        ]),
        (_, Err(a)) => a,
        (false, Ok(_)) => Arg::Ptr(addr),
    };
    d.push(a);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn private_futex_names_follow_the_plain_ones() {
        assert_eq!(FUTEX_CMD.len(), FUTEX_CMD_PRIVATE.len());
        for (plain, private) in FUTEX_CMD.iter().zip(FUTEX_CMD_PRIVATE) {
            assert_eq!(format!("{plain}_PRIVATE"), *private);
        }
    }
}
