//! Syscalls whose arguments are all scalars, descriptors and paths,
//! decoded from a table of their C signatures: each argument printed at
//! its C type's width and in strace's form for that type.

use model::syscall::Arg;

use super::{Dec, Decoder};
use crate::xlat::Xlat;

/// One argument's C type, as strace prints it.
#[derive(Clone, Copy)]
enum C {
    Fd,
    DirFd,
    /// `int`, `pid_t`.
    Int,
    /// `unsigned int`.
    UInt,
    /// `unsigned long`, `size_t`, `loff_t` printed unsigned (truncate).
    ULong,
    Path,
    /// `umode_t`: 16 bits in octal.
    Mode,
    /// `uid_t`/`gid_t`: `-1` for the "unchanged" value, else unsigned.
    Id,
    /// An `unsigned int` of flag bits.
    Flags(&'static Xlat),
}

use C::*;

const SIGNATURES: &[(&str, &[C])] = &[
    ("alarm", &[UInt]),
    ("setuid", &[Id]),
    ("setgid", &[Id]),
    ("setfsuid", &[Id]),
    ("setfsgid", &[Id]),
    ("setreuid", &[Id, Id]),
    ("setregid", &[Id, Id]),
    ("setresuid", &[Id, Id, Id]),
    ("setresgid", &[Id, Id, Id]),
    ("chmod", &[Path, Mode]),
    ("fchmod", &[Fd, Mode]),
    ("fchmodat", &[DirFd, Path, Mode]),
    ("chown", &[Path, Id, Id]),
    ("lchown", &[Path, Id, Id]),
    ("fchown", &[Fd, Id, Id]),
    ("truncate", &[Path, ULong]),
    ("getpgid", &[Int]),
    ("getsid", &[Int]),
    ("setpgid", &[Int, Int]),
    ("syncfs", &[Fd]),
    ("flock", &[Fd, Flags(&LOCK)]),
    ("acct", &[Path]),
    ("pivot_root", &[Path, Path]),
    ("inotify_rm_watch", &[Fd, Int]),
];

const LOCK: Xlat = Xlat::new(&[
    (1, "LOCK_SH"),
    (2, "LOCK_EX"),
    (4, "LOCK_NB"),
    (8, "LOCK_UN"),
]);

pub(super) fn decoder(name: &str) -> Option<Decoder> {
    use crate::reads::Kind::Path as P;
    let (_, sig) = SIGNATURES.iter().find(|(n, _)| *n == name)?;
    // The paths it reads, for the eBPF capture plan: paths come first or
    // second in every signature above.
    let reads: &'static [crate::reads::Read] = match sig {
        [Path, Path, ..] => &[(0, P), (1, P)],
        [Path, ..] => &[(0, P)],
        [_, Path, ..] => &[(1, P)],
        _ => &[],
    };
    Some((by_signature, reads))
}

fn by_signature(d: &mut Dec<'_, '_>) {
    if !d.entering() {
        return;
    }
    let Some((_, sig)) = SIGNATURES.iter().find(|(n, _)| *n == d.name()) else {
        return;
    };
    for (i, c) in sig.iter().enumerate() {
        let v = d.arg(i);
        let a = match c {
            Fd => d.fd(v),
            DirFd => d.dirfd(v),
            Int => d.int(v),
            UInt => d.uint(v),
            ULong => d.ulong(v),
            Path => d.path(v),
            Mode => Arg::Oct(v & 0xffff),
            Id if v as u32 == u32::MAX => Arg::Int(-1),
            Id => d.uint(v),
            Flags(x) => x.flags(d.arg32(i)),
        };
        d.push(a);
    }
}
