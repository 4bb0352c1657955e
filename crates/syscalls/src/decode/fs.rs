//! Decoders: files, descriptors, directories.

use model::syscall::Arg;

use super::{Dec, DecodeFn};
use crate::xlat::Xlat;

pub(super) fn decoder(name: &str) -> Option<DecodeFn> {
    Some(match name {
        "read" => read,
        "write" => write,
        "close" => fd_only,
        "openat" => openat,
        "open" => open,
        _ => return None,
    })
}

const O_ACCMODE: Xlat = Xlat::new(&[(0, "O_RDONLY"), (1, "O_WRONLY"), (2, "O_RDWR")]);

/// open(2) flags without the access mode (x86_64 and aarch64 values).
const O_FLAGS_X86: &[(u64, &str)] = &[
    (0o100, "O_CREAT"),
    (0o200, "O_EXCL"),
    (0o400, "O_NOCTTY"),
    (0o1000, "O_TRUNC"),
    (0o2000, "O_APPEND"),
    (0o4000, "O_NONBLOCK"),
    (0o4010000, "O_SYNC"),
    (0o10000, "O_DSYNC"),
    (0o20000, "O_ASYNC"),
    (0o40000, "O_DIRECT"),
    (0o100000, "O_LARGEFILE"),
    (0o200000, "O_DIRECTORY"),
    (0o400000, "O_NOFOLLOW"),
    (0o1000000, "O_NOATIME"),
    (0o2000000, "O_CLOEXEC"),
    (0o20200000, "O_TMPFILE"),
    (0o10000000, "O_PATH"),
];

/// aarch64 swaps O_DIRECTORY/O_NOFOLLOW/O_DIRECT/O_LARGEFILE.
const O_FLAGS_ARM64: &[(u64, &str)] = &[
    (0o100, "O_CREAT"),
    (0o200, "O_EXCL"),
    (0o400, "O_NOCTTY"),
    (0o1000, "O_TRUNC"),
    (0o2000, "O_APPEND"),
    (0o4000, "O_NONBLOCK"),
    (0o4010000, "O_SYNC"),
    (0o10000, "O_DSYNC"),
    (0o20000, "O_ASYNC"),
    (0o200000, "O_DIRECT"),
    (0o400000, "O_LARGEFILE"),
    (0o40000, "O_DIRECTORY"),
    (0o100000, "O_NOFOLLOW"),
    (0o1000000, "O_NOATIME"),
    (0o2000000, "O_CLOEXEC"),
    (0o20040000, "O_TMPFILE"),
    (0o10000000, "O_PATH"),
];

/// `O_RDONLY|O_CLOEXEC`: the access mode always named first.
pub(super) fn open_flags(d: &Dec<'_, '_>, v: u64) -> Arg {
    let table = if d.arch() == model::Arch::Arm64 {
        O_FLAGS_ARM64
    } else {
        O_FLAGS_X86
    };
    let mode = v & 3;
    let mut names = vec![O_ACCMODE
        .name(mode)
        .map_or_else(|| format!("{mode:#x}"), str::to_string)];
    let mut rest = v & !3;
    for &(bits, name) in table {
        if rest & bits == bits {
            names.push(name.to_string());
            rest &= !bits;
        }
    }
    Arg::Flags { names, rest }
}

fn fd_only(d: &mut Dec<'_, '_>) {
    if d.entering() {
        let a = d.fd(d.arg(0));
        d.push(a);
    }
}

fn read(d: &mut Dec<'_, '_>) {
    if d.entering() {
        let a = d.fd(d.arg(0));
        d.push(a);
        d.defer();
        return;
    }
    let buf = if d.ok() {
        d.buf(d.arg(1), d.retval() as u64)
    } else {
        Arg::Ptr(d.arg(1))
    };
    d.push(buf);
    let n = d.ulong(d.arg(2));
    d.push(n);
}

fn write(d: &mut Dec<'_, '_>) {
    if d.entering() {
        let a = d.fd(d.arg(0));
        let b = d.buf(d.arg(1), d.arg(2));
        let c = d.ulong(d.arg(2));
        d.push(a);
        d.push(b);
        d.push(c);
    }
}

fn open_mode(d: &mut Dec<'_, '_>, flags: u64, mode: u64) {
    // The mode is shown only when the flags can create a file.
    let tmpfile = if d.arch() == model::Arch::Arm64 {
        0o20040000
    } else {
        0o20200000
    };
    if flags & 0o100 != 0 || flags & tmpfile == tmpfile {
        d.push(Arg::Oct(mode & 0o7777));
    }
}

fn openat(d: &mut Dec<'_, '_>) {
    if d.entering() {
        let a = d.dirfd(d.arg(0));
        let p = d.path(d.arg(1));
        let f = open_flags(d, d.arg(2));
        d.push(a);
        d.push(p);
        d.push(f);
        open_mode(d, d.arg(2), d.arg(3));
    } else {
        d.ret_fd();
    }
}

fn open(d: &mut Dec<'_, '_>) {
    if d.entering() {
        let p = d.path(d.arg(0));
        let f = open_flags(d, d.arg(1));
        d.push(p);
        d.push(f);
        open_mode(d, d.arg(1), d.arg(2));
    } else {
        d.ret_fd();
    }
}
