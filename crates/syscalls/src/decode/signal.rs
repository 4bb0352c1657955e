//! Decoders: signals.

use model::syscall::Arg;

use super::{le_u64, st, Dec, Decoder};
use crate::signal::{signal_arg, sigset};
use crate::xlat::Xlat;

pub(super) fn decoder(name: &str) -> Option<Decoder> {
    use crate::reads::Kind::*;
    Some(match name {
        "rt_sigaction" => (rt_sigaction, &[(1, Fixed(32)), (2, Fixed(32))]),
        "rt_sigprocmask" => (rt_sigprocmask, &[(1, Fixed(8)), (2, Fixed(8))]),
        "rt_sigreturn" => (rt_sigreturn, &[]),
        "sigaltstack" => (sigaltstack, &[(0, Fixed(24)), (1, Fixed(24))]),
        "kill" | "tkill" => (kill, &[]),
        "tgkill" => (tgkill, &[]),
        _ => return None,
    })
}

/// A signal set in memory: `[HUP INT]`, NULL, or the address when the
/// size is not one strace reads.
pub(super) fn sigset_at(d: &Dec<'_, '_>, addr: u64, size: u64) -> Arg {
    if addr == 0 {
        return Arg::Ptr(0);
    }
    if size == 0 || size > 128 {
        return Arg::Ptr(addr);
    }
    match d.read_bytes(addr, size as usize) {
        Some(b) => sigset(&b),
        None => Arg::Unreadable(addr),
    }
}

const SA_FLAGS: Xlat = Xlat::new(&[
    (0x04000000, "SA_RESTORER"),
    (0x08000000, "SA_ONSTACK"),
    (0x10000000, "SA_RESTART"),
    (0x20000000, "SA_INTERRUPT"),
    (0x40000000, "SA_NODEFER"),
    (0x80000000, "SA_RESETHAND"),
    (4, "SA_SIGINFO"),
    (1, "SA_NOCLDSTOP"),
    (2, "SA_NOCLDWAIT"),
]);

fn sigaction(d: &Dec<'_, '_>, addr: u64, size: u64) -> Arg {
    // Kernel layout: handler, flags, restorer, mask.
    let b = match d.struct_at(addr, 24 + (size.clamp(1, 8) as usize)) {
        Ok(b) => b,
        Err(a) => return a,
    };
    let handler = le_u64(&b, 0);
    let flags = le_u64(&b, 8);
    let mut f = vec![
        (
            "sa_handler",
            match handler {
                0 => Arg::Sym("SIG_DFL".into()),
                1 => Arg::Sym("SIG_IGN".into()),
                h => Arg::Hex(h),
            },
        ),
        ("sa_mask", sigset(b.get(24..).unwrap_or(&[]))),
        ("sa_flags", SA_FLAGS.flags(flags)),
    ];
    if flags & 0x04000000 != 0 {
        f.push(("sa_restorer", Arg::Hex(le_u64(&b, 16))));
    }
    st(f)
}

fn rt_sigaction(d: &mut Dec<'_, '_>) {
    if d.entering() {
        d.push(signal_arg(d.arg(0)));
        let a = sigaction(d, d.arg(1), d.arg(3));
        d.push(a);
        d.defer();
        return;
    }
    let old = if d.ok() {
        sigaction(d, d.arg(2), d.arg(3))
    } else {
        Arg::Ptr(d.arg(2))
    };
    d.push(old);
    let n = d.ulong(d.arg(3));
    d.push(n);
}

const HOW: Xlat = Xlat::new(&[(0, "SIG_BLOCK"), (1, "SIG_UNBLOCK"), (2, "SIG_SETMASK")]);

fn rt_sigprocmask(d: &mut Dec<'_, '_>) {
    if d.entering() {
        d.push(HOW.sym(d.arg32(0)));
        let s = sigset_at(d, d.arg(1), d.arg(3));
        d.push(s);
        d.defer();
        return;
    }
    let old = if d.ok() {
        sigset_at(d, d.arg(2), d.arg(3))
    } else {
        Arg::Ptr(d.arg(2))
    };
    d.push(old);
    let n = d.ulong(d.arg(3));
    d.push(n);
}

fn rt_sigreturn(d: &mut Dec<'_, '_>) {
    if !d.entering() {
        return;
    }
    // The signal frame is at the stack pointer: the ucontext's uc_sigmask
    // sits after uc_flags, uc_link, uc_stack and the machine context.
    let off = if d.arch() == model::Arch::Arm64 {
        128 + 40
    } else {
        296
    };
    let sp = d.sp();
    let mask = match d.read_bytes(sp.wrapping_add(off), 8) {
        Some(b) if sp != 0 => sigset(&b),
        _ => Arg::Unreadable(sp.wrapping_add(off)),
    };
    d.push(st(vec![("mask", mask)]));
}

const SS_FLAGS: Xlat = Xlat::new(&[
    (1, "SS_ONSTACK"),
    (2, "SS_DISABLE"),
    (1 << 31, "SS_AUTODISARM"),
]);

fn stack_t(d: &Dec<'_, '_>, addr: u64) -> Arg {
    match d.struct_at(addr, 24) {
        Ok(b) => st(vec![
            ("ss_sp", Arg::Ptr(le_u64(&b, 0))),
            ("ss_flags", SS_FLAGS.flags(super::le_u32(&b, 8) as u64)),
            ("ss_size", Arg::UInt(le_u64(&b, 16))),
        ]),
        Err(a) => a,
    }
}

fn sigaltstack(d: &mut Dec<'_, '_>) {
    if d.entering() {
        let s = stack_t(d, d.arg(0));
        d.push(s);
        d.defer();
        return;
    }
    let old = if d.ok() {
        stack_t(d, d.arg(1))
    } else {
        Arg::Ptr(d.arg(1))
    };
    d.push(old);
}

fn kill(d: &mut Dec<'_, '_>) {
    if d.entering() {
        let p = d.int(d.arg(0));
        d.push(p);
        d.push(sig_or_zero(d.arg32(1)));
    }
}

fn sig_or_zero(v: u64) -> Arg {
    if v == 0 {
        Arg::Int(0)
    } else {
        signal_arg(v)
    }
}

fn tgkill(d: &mut Dec<'_, '_>) {
    if d.entering() {
        let a = d.int(d.arg(0));
        let b = d.int(d.arg(1));
        d.push(a);
        d.push(b);
        d.push(sig_or_zero(d.arg32(2)));
    }
}
