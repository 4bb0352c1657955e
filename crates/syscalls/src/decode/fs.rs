//! Decoders: files, descriptors, directories.

use std::borrow::Cow;

use model::syscall::Arg;

use super::{Dec, Decoder};
use crate::xlat::Xlat;

pub(super) fn decoder(name: &str) -> Option<Decoder> {
    use crate::reads::{Kind::*, Len::*, STAT, TIMESPEC};
    Some(match name {
        "read" => (read, &[(1, Data(Ret))]),
        "write" => (write, &[(1, Data(Arg(2)))]),
        "pread64" => (pread, &[(1, Data(Ret))]),
        "pwrite64" => (pwrite, &[(1, Data(Arg(2)))]),
        "readv" => (readv, &[(1, Sized(Arg(2), 16))]),
        "writev" => (writev, &[(1, Sized(Arg(2), 16))]),
        "close" | "fsync" | "fdatasync" | "fchdir" => (fd_only, &[]),
        "openat" => (openat, &[(1, Path)]),
        "open" => (open, &[(0, Path)]),
        "creat" => (creat, &[(0, Path)]),
        "stat" | "lstat" => (stat_path, &[(0, Path), (1, Fixed(STAT))]),
        "fstat" => (fstat, &[(1, Fixed(STAT))]),
        "newfstatat" => (newfstatat, &[(1, Path), (2, Fixed(STAT))]),
        "statx" => (statx, &[(1, Path), (4, Fixed(256))]),
        "lseek" => (lseek, &[]),
        "access" => (access, &[(0, Path)]),
        "faccessat" | "faccessat2" => (faccessat, &[(1, Path)]),
        "pipe" | "pipe2" => (pipe2, &[(0, Fixed(8))]),
        "dup" => (fd_only_ret_fd, &[]),
        "dup2" => (dup2, &[]),
        "dup3" => (dup3, &[]),
        "fcntl" => (fcntl, &[(2, Fixed(32))]),
        "getdents64" | "getdents" => (getdents, &[(1, Sized(Ret, 1))]),
        "getcwd" => (getcwd, &[(0, Sized(Ret, 1))]),
        "chdir" | "rmdir" | "unlink" | "chroot" => (path_only, &[(0, Path)]),
        "mkdir" => (mkdir, &[(0, Path)]),
        "mkdirat" => (mkdirat, &[(1, Path)]),
        "unlinkat" => (unlinkat, &[(1, Path)]),
        "rename" | "symlink" | "link" => (two_paths, &[(0, Path), (1, Path)]),
        "renameat" | "renameat2" => (renameat, &[(1, Path), (3, Path)]),
        "readlink" => (readlink, &[(0, Path), (1, Sized(Ret, 1))]),
        "readlinkat" => (readlinkat, &[(1, Path), (2, Sized(Ret, 1))]),
        "ftruncate" => (ftruncate, &[]),
        "ioctl" => (super::ioctl::ioctl, &[(2, Fixed(64))]),
        "epoll_create1" => (epoll_create1, &[]),
        "epoll_create" => (epoll_create, &[]),
        "epoll_ctl" => (epoll_ctl, &[(3, Fixed(12))]),
        "epoll_pwait" => (epoll_wait, &[(1, Sized(Ret, 12)), (4, Fixed(8))]),
        "epoll_wait" => (epoll_wait, &[(1, Sized(Ret, 12))]),
        "epoll_pwait2" => (
            epoll_wait,
            &[(1, Sized(Ret, 12)), (3, Fixed(TIMESPEC)), (4, Fixed(8))],
        ),
        "eventfd2" | "eventfd" => (eventfd, &[]),
        "poll" => (poll, &[(0, Sized(Arg(1), 8))]),
        _ => return None,
    })
}

const O_ACCMODE: Xlat = Xlat::new(&[(0, "O_RDONLY"), (1, "O_WRONLY"), (2, "O_RDWR")]);

/// open(2) flags without the access mode (x86_64 and aarch64 values), in
/// the order strace prints them (O_CLOEXEC before O_DIRECTORY, as strace
/// 6.1 shows `O_RDONLY|O_NONBLOCK|O_CLOEXEC|O_DIRECTORY`).
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
    (0o400000, "O_NOFOLLOW"),
    (0o1000000, "O_NOATIME"),
    (0o2000000, "O_CLOEXEC"),
    (0o200000, "O_DIRECTORY"),
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
    (0o100000, "O_NOFOLLOW"),
    (0o1000000, "O_NOATIME"),
    (0o2000000, "O_CLOEXEC"),
    (0o40000, "O_DIRECTORY"),
    (0o20040000, "O_TMPFILE"),
    (0o10000000, "O_PATH"),
];

/// `O_RDONLY|O_CLOEXEC`: the access mode always named first. Open flags
/// are a C `int` wherever they are passed: the register's high half is
/// not part of the value.
pub(super) fn open_flags(d: &Dec<'_, '_>, v: u64) -> Arg {
    let v = u64::from(v as u32);
    let table = if d.arch() == model::Arch::Arm64 {
        O_FLAGS_ARM64
    } else {
        O_FLAGS_X86
    };
    let mode = v & 3;
    let mut names = vec![O_ACCMODE
        .name(mode)
        .map_or_else(|| format!("{mode:#x}").into(), Cow::Borrowed)];
    let mut rest = v & !3;
    for &(bits, name) in table {
        if rest & bits == bits {
            names.push(name.into());
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

/// A mode argument as strace prints it: the kernel's `umode_t`, 16 bits,
/// so `0xffffffff` is `0177777`.
fn umode(v: u64) -> u64 {
    v & 0xffff
}

fn open_mode(d: &mut Dec<'_, '_>, flags: u64, mode: u64) {
    // The mode is shown only when the flags can create a file.
    let tmpfile = if d.arch() == model::Arch::Arm64 {
        0o20040000
    } else {
        0o20200000
    };
    if flags & 0o100 != 0 || flags & tmpfile == tmpfile {
        d.push(Arg::Oct(umode(mode)));
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

fn fd_only_ret_fd(d: &mut Dec<'_, '_>) {
    if d.entering() {
        let a = d.fd(d.arg(0));
        d.push(a);
    } else {
        d.ret_fd();
    }
}

fn pread(d: &mut Dec<'_, '_>) {
    read(d);
    if !d.entering() {
        let off = d.long(d.arg(3));
        d.push(off);
    }
}

fn pwrite(d: &mut Dec<'_, '_>) {
    write(d);
    if d.entering() {
        let off = d.long(d.arg(3));
        d.push(off);
    }
}

/// `[{iov_base="...", iov_len=N}, ...]`; `data` caps how many bytes in
/// total are shown as contents (what the call actually transferred).
pub(super) fn iovec(d: &Dec<'_, '_>, addr: u64, count: u64, data: Option<u64>) -> Arg {
    if addr == 0 {
        return Arg::Ptr(0);
    }
    let mut items = Vec::new();
    let mut left = data.unwrap_or(u64::MAX);
    for i in 0..count.min(1024) {
        if i as usize >= d.limit() {
            items.push(Arg::Ellipsis);
            break;
        }
        let Some(b) = d.read_bytes(addr.wrapping_add(i * 16), 16) else {
            if i == 0 {
                return Arg::Unreadable(addr);
            }
            items.push(Arg::Ellipsis);
            break;
        };
        let base = super::le_u64(&b, 0);
        let len = super::le_u64(&b, 8);
        let shown = len.min(left);
        left -= shown;
        let content = if data.is_some() && shown == 0 && len > 0 {
            d.buf(base, 0)
        } else {
            d.buf(base, shown)
        };
        items.push(super::st(vec![
            ("iov_base", content),
            ("iov_len", Arg::UInt(len)),
        ]));
    }
    Arg::Array(items)
}

fn readv(d: &mut Dec<'_, '_>) {
    if d.entering() {
        let a = d.fd(d.arg(0));
        d.push(a);
        d.defer();
        return;
    }
    let v = if d.ok() {
        iovec(d, d.arg(1), d.arg(2), Some(d.retval() as u64))
    } else {
        Arg::Ptr(d.arg(1))
    };
    d.push(v);
    let n = d.int(d.arg(2));
    d.push(n);
}

fn writev(d: &mut Dec<'_, '_>) {
    if d.entering() {
        let a = d.fd(d.arg(0));
        let v = iovec(d, d.arg(1), d.arg(2), None);
        let n = d.int(d.arg(2));
        d.push(a);
        d.push(v);
        d.push(n);
    }
}

fn creat(d: &mut Dec<'_, '_>) {
    if d.entering() {
        let p = d.path(d.arg(0));
        d.push(p);
        d.push(Arg::Oct(umode(d.arg(1))));
    } else {
        d.ret_fd();
    }
}

const S_IFMT: Xlat = Xlat::new(&[
    (0o140000, "S_IFSOCK"),
    (0o120000, "S_IFLNK"),
    (0o100000, "S_IFREG"),
    (0o060000, "S_IFBLK"),
    (0o040000, "S_IFDIR"),
    (0o020000, "S_IFCHR"),
    (0o010000, "S_IFIFO"),
]);

/// `S_IFREG|0644`, `S_IFDIR|S_ISVTX|0777`.
pub(super) fn file_mode(mode: u64) -> Arg {
    let mut parts = Vec::new();
    if let Some(n) = S_IFMT.name(mode & 0o170000) {
        parts.push(Arg::Sym(n.into()));
    }
    // strace names the set-id and sticky bits: `S_IFDIR|S_ISVTX|0777`.
    for (bit, name) in [
        (0o4000, "S_ISUID"),
        (0o2000, "S_ISGID"),
        (0o1000, "S_ISVTX"),
    ] {
        if mode & bit != 0 {
            parts.push(Arg::Sym(name.into()));
        }
    }
    parts.push(Arg::Oct(mode & 0o777));
    Arg::Or(parts)
}

fn makedev(dev: u64) -> Arg {
    let major = ((dev >> 8) & 0xfff) | ((dev >> 32) & !0xfff);
    let minor = (dev & 0xff) | ((dev >> 12) & !0xff);
    Arg::Call {
        func: "makedev".into(),
        args: vec![Arg::Hex(major), Arg::Hex(minor)],
    }
}

/// `struct stat` (x86_64 and aarch64 generic layouts), abbreviated like
/// strace without -v.
fn stat_struct(d: &Dec<'_, '_>, addr: u64) -> Arg {
    let arm = d.arch() == model::Arch::Arm64;
    let b = match d.struct_at(addr, if arm { 128 } else { 144 }) {
        Ok(b) => b,
        Err(a) => return a,
    };
    use super::{le_u32, le_u64};
    let (mode, nlink, uid, gid, rdev, size, blksize, blocks, t) = if arm {
        (
            le_u32(&b, 16) as u64,
            le_u32(&b, 20) as u64,
            le_u32(&b, 24),
            le_u32(&b, 28),
            le_u64(&b, 32),
            le_u64(&b, 48),
            le_u32(&b, 56) as u64,
            le_u64(&b, 64),
            72,
        )
    } else {
        (
            le_u32(&b, 24) as u64,
            le_u64(&b, 16),
            le_u32(&b, 28),
            le_u32(&b, 32),
            le_u64(&b, 40),
            le_u64(&b, 48),
            le_u64(&b, 56),
            le_u64(&b, 64),
            72,
        )
    };
    let is_dev = matches!(mode & 0o170000, 0o060000 | 0o020000);
    let mut f = Vec::new();
    if d.verbose() {
        f.push(("st_dev", makedev(le_u64(&b, 0))));
        f.push(("st_ino", Arg::UInt(le_u64(&b, 8))));
    }
    f.push(("st_mode", file_mode(mode)));
    if d.verbose() {
        f.push(("st_nlink", Arg::UInt(nlink)));
        f.push(("st_uid", Arg::UInt(uid as u64)));
        f.push(("st_gid", Arg::UInt(gid as u64)));
        f.push(("st_blksize", Arg::UInt(blksize)));
        f.push(("st_blocks", Arg::UInt(blocks)));
    }
    if is_dev {
        f.push(("st_rdev", makedev(rdev)));
    } else {
        f.push(("st_size", Arg::Int(size as i64)));
    }
    if d.verbose() {
        for (i, n) in ["st_atime", "st_mtime", "st_ctime"].iter().enumerate() {
            f.push((n, Arg::Int(le_u64(&b, t + i * 16) as i64)));
        }
    } else {
        return with_ellipsis(f);
    }
    super::st(f)
}

pub(super) fn with_ellipsis(f: Vec<(&'static str, Arg)>) -> Arg {
    let mut f = f;
    f.push(("", Arg::Ellipsis));
    super::st(f)
}

fn out_or_ptr(d: &Dec<'_, '_>, addr: u64, f: fn(&Dec<'_, '_>, u64) -> Arg) -> Arg {
    if d.ok() {
        f(d, addr)
    } else {
        Arg::Ptr(addr)
    }
}

fn stat_path(d: &mut Dec<'_, '_>) {
    if d.entering() {
        let p = d.path(d.arg(0));
        d.push(p);
        d.defer();
    } else {
        let s = out_or_ptr(d, d.arg(1), stat_struct);
        d.push(s);
    }
}

fn fstat(d: &mut Dec<'_, '_>) {
    if d.entering() {
        let a = d.fd(d.arg(0));
        d.push(a);
        d.defer();
    } else {
        let s = out_or_ptr(d, d.arg(1), stat_struct);
        d.push(s);
    }
}

const AT_FLAGS: Xlat = Xlat::new(&[
    (0x100, "AT_SYMLINK_NOFOLLOW"),
    (0x200, "AT_REMOVEDIR"),
    (0x400, "AT_SYMLINK_FOLLOW"),
    (0x800, "AT_NO_AUTOMOUNT"),
    (0x1000, "AT_EMPTY_PATH"),
    (0x8000, "AT_RECURSIVE"),
]);

fn newfstatat(d: &mut Dec<'_, '_>) {
    if d.entering() {
        let a = d.dirfd(d.arg(0));
        let p = d.path(d.arg(1));
        d.push(a);
        d.push(p);
        d.defer();
    } else {
        let s = out_or_ptr(d, d.arg(2), stat_struct);
        d.push(s);
        d.push(AT_FLAGS.flags(d.arg32(3)));
    }
}

const STATX_MASK: Xlat = Xlat::new(&[
    (0xfff, "STATX_ALL"),
    (0x7ff, "STATX_BASIC_STATS"),
    (0x1, "STATX_TYPE"),
    (0x2, "STATX_MODE"),
    (0x4, "STATX_NLINK"),
    (0x8, "STATX_UID"),
    (0x10, "STATX_GID"),
    (0x20, "STATX_ATIME"),
    (0x40, "STATX_MTIME"),
    (0x80, "STATX_CTIME"),
    (0x100, "STATX_INO"),
    (0x200, "STATX_SIZE"),
    (0x400, "STATX_BLOCKS"),
    (0x800, "STATX_BTIME"),
    (0x1000, "STATX_MNT_ID"),
    (0x2000, "STATX_DIOALIGN"),
    (0x4000, "STATX_MNT_ID_UNIQUE"),
]);

const STATX_SYNC: Xlat = Xlat::new(&[
    (0, "AT_STATX_SYNC_AS_STAT"),
    (0x2000, "AT_STATX_FORCE_SYNC"),
    (0x4000, "AT_STATX_DONT_SYNC"),
]);

fn statx_flags(v: u64) -> Arg {
    let sync = v & 0x6000;
    let mut names = vec![STATX_SYNC
        .name(sync)
        .map_or_else(|| format!("{sync:#x}").into(), Cow::Borrowed)];
    match AT_FLAGS.bits(v & !0x6000) {
        Arg::Flags { names: n, rest } if !(n.is_empty() && rest == 0) => {
            names.extend(n);
            Arg::Flags { names, rest }
        }
        _ => Arg::Flags { names, rest: 0 },
    }
}

fn statx_struct(d: &Dec<'_, '_>, addr: u64) -> Arg {
    let b = match d.struct_at(addr, 256) {
        Ok(b) => b,
        Err(a) => return a,
    };
    use super::{le_u16, le_u32, le_u64};
    let mut f = vec![
        ("stx_mask", STATX_MASK.flags(le_u32(&b, 0) as u64)),
        ("stx_attributes", Arg::Hex(le_u64(&b, 8))),
        ("stx_mode", file_mode(le_u16(&b, 28) as u64)),
        ("stx_size", Arg::UInt(le_u64(&b, 40))),
    ];
    if d.verbose() {
        f.push(("stx_blksize", Arg::UInt(le_u32(&b, 4) as u64)));
        f.push(("stx_nlink", Arg::UInt(le_u32(&b, 16) as u64)));
        f.push(("stx_uid", Arg::UInt(le_u32(&b, 20) as u64)));
        f.push(("stx_gid", Arg::UInt(le_u32(&b, 24) as u64)));
        f.push(("stx_ino", Arg::UInt(le_u64(&b, 32))));
        f.push(("stx_blocks", Arg::UInt(le_u64(&b, 48))));
        return super::st(f);
    }
    with_ellipsis(f)
}

fn statx(d: &mut Dec<'_, '_>) {
    if d.entering() {
        let a = d.dirfd(d.arg(0));
        let p = d.path(d.arg(1));
        d.push(a);
        d.push(p);
        d.push(statx_flags(d.arg(2)));
        d.push(STATX_MASK.flags(d.arg32(3)));
        d.defer();
    } else {
        let s = out_or_ptr(d, d.arg(4), statx_struct);
        d.push(s);
    }
}

const SEEK: Xlat = Xlat::new(&[
    (0, "SEEK_SET"),
    (1, "SEEK_CUR"),
    (2, "SEEK_END"),
    (3, "SEEK_DATA"),
    (4, "SEEK_HOLE"),
]);

fn lseek(d: &mut Dec<'_, '_>) {
    if d.entering() {
        let a = d.fd(d.arg(0));
        let o = d.long(d.arg(1));
        d.push(a);
        d.push(o);
        d.push(SEEK.sym(d.arg32(2)));
    }
}

const ACCESS: Xlat = Xlat::new(&[(0, "F_OK"), (4, "R_OK"), (2, "W_OK"), (1, "X_OK")]);

fn access(d: &mut Dec<'_, '_>) {
    if d.entering() {
        let p = d.path(d.arg(0));
        d.push(p);
        d.push(ACCESS.flags(d.arg32(1)));
    }
}

const FACCESS_FLAGS: Xlat = Xlat::new(&[
    (0x200, "AT_EACCESS"),
    (0x100, "AT_SYMLINK_NOFOLLOW"),
    (0x1000, "AT_EMPTY_PATH"),
]);

fn faccessat(d: &mut Dec<'_, '_>) {
    if d.entering() {
        let a = d.dirfd(d.arg(0));
        let p = d.path(d.arg(1));
        d.push(a);
        d.push(p);
        d.push(ACCESS.flags(d.arg32(2)));
        if d.nargs() > 3 {
            d.push(FACCESS_FLAGS.flags(d.arg32(3)));
        }
    }
}

fn pipe2(d: &mut Dec<'_, '_>) {
    if d.entering() {
        d.defer();
        return;
    }
    let fds = if d.ok() {
        match d.read_bytes(d.arg(0), 8) {
            Some(b) => Arg::Array(vec![
                d.fd(super::le_u32(&b, 0) as u64),
                d.fd(super::le_u32(&b, 4) as u64),
            ]),
            None => Arg::Unreadable(d.arg(0)),
        }
    } else {
        Arg::Ptr(d.arg(0))
    };
    d.push(fds);
    if d.nargs() > 1 {
        let f = open_flags_bare(d, d.arg(1));
        d.push(f);
    }
}

/// Open flags without an access mode (pipe2, dup3, eventfd...).
fn open_flags_bare(d: &Dec<'_, '_>, v: u64) -> Arg {
    match open_flags(d, v) {
        Arg::Flags { mut names, rest } => {
            names.remove(0);
            O_ACCMODE.unnamed_bits(Arg::Flags { names, rest })
        }
        other => other,
    }
}

fn dup2(d: &mut Dec<'_, '_>) {
    if d.entering() {
        let a = d.fd(d.arg(0));
        let b = d.fd(d.arg(1));
        d.push(a);
        d.push(b);
    } else {
        d.ret_fd();
    }
}

fn dup3(d: &mut Dec<'_, '_>) {
    dup2(d);
    if d.entering() {
        let f = open_flags_bare(d, d.arg(2));
        d.push(f);
    }
}

const F_CMD: Xlat = Xlat::new(&[
    (0, "F_DUPFD"),
    (1, "F_GETFD"),
    (2, "F_SETFD"),
    (3, "F_GETFL"),
    (4, "F_SETFL"),
    (5, "F_GETLK"),
    (6, "F_SETLK"),
    (7, "F_SETLKW"),
    (8, "F_SETOWN"),
    (9, "F_GETOWN"),
    (10, "F_SETSIG"),
    (11, "F_GETSIG"),
    (15, "F_SETOWN_EX"),
    (16, "F_GETOWN_EX"),
    (36, "F_OFD_GETLK"),
    (37, "F_OFD_SETLK"),
    (38, "F_OFD_SETLKW"),
    (1024, "F_SETLEASE"),
    (1025, "F_GETLEASE"),
    (1026, "F_NOTIFY"),
    (1030, "F_DUPFD_CLOEXEC"),
    (1031, "F_SETPIPE_SZ"),
    (1032, "F_GETPIPE_SZ"),
    (1033, "F_ADD_SEALS"),
    (1034, "F_GET_SEALS"),
]);

const FD_FLAGS: Xlat = Xlat::new(&[(1, "FD_CLOEXEC")]);

const LOCK_TYPE: Xlat = Xlat::new(&[(0, "F_RDLCK"), (1, "F_WRLCK"), (2, "F_UNLCK")]);

fn flock(d: &Dec<'_, '_>, addr: u64, with_pid: bool) -> Arg {
    let b = match d.struct_at(addr, 32) {
        Ok(b) => b,
        Err(a) => return a,
    };
    use super::{le_u16, le_u32, le_u64};
    let mut f = vec![
        ("l_type", LOCK_TYPE.sym(le_u16(&b, 0) as u64)),
        ("l_whence", SEEK.sym(le_u16(&b, 2) as u64)),
        ("l_start", Arg::Int(le_u64(&b, 8) as i64)),
        ("l_len", Arg::Int(le_u64(&b, 16) as i64)),
    ];
    if with_pid {
        f.push(("l_pid", Arg::Int(le_u32(&b, 24) as i32 as i64)));
    }
    super::st(f)
}

fn fcntl(d: &mut Dec<'_, '_>) {
    let cmd = d.arg32(1);
    if d.entering() {
        let a = d.fd(d.arg(0));
        d.push(a);
        d.push(F_CMD.sym(cmd));
        match cmd {
            0 | 1030 | 1031 => {
                let v = d.long(d.arg(2));
                d.push(v);
            }
            2 => d.push(FD_FLAGS.flags(d.arg32(2))),
            4 => {
                let f = open_flags(d, d.arg(2));
                d.push(f);
            }
            6 | 7 | 37 | 38 => {
                let l = flock(d, d.arg(2), false);
                d.push(l);
            }
            5 | 16 | 36 => d.defer(),
            8 => {
                let v = d.int(d.arg(2));
                d.push(v);
            }
            10 => d.push(crate::signal::signal_arg(d.arg32(2))),
            15 => d.push(f_owner_ex(d)),
            1024 => d.push(LOCK_TYPE.sym(d.arg(2))),
            1026 => d.push(DN_FLAGS.flags(d.arg(2))),
            1033 => d.push(SEALS.flags(d.arg(2))),
            1 | 3 | 9 | 11 | 1025 | 1032 | 1034 => {}
            _ => d.push(Arg::Hex(d.arg(2))),
        }
        return;
    }
    let v = d.retval() as u64;
    match cmd {
        5 | 36 => {
            let l = if d.ok() {
                flock(d, d.arg(2), true)
            } else {
                Arg::Ptr(d.arg(2))
            };
            d.push(l);
        }
        16 => d.push(f_owner_ex(d)),
        0 | 1030 => d.ret_fd(),
        _ if !d.ok() => {}
        1 if v != 0 => d.ret_custom(
            Arg::Hex(v),
            Some(format!("flags {}", flag_text(&FD_FLAGS.flags(v)))),
        ),
        3 => {
            let f = open_flags(d, v);
            d.ret_custom(Arg::Hex(v), Some(format!("flags {}", flag_text(&f))));
        }
        // strace: `= 0x2 (F_UNLCK)`, and no note for a value with no name
        1025 => d.ret_custom(Arg::Hex(v), LOCK_TYPE.name(v).map(String::from)),
        1034 if v != 0 => d.ret_custom(
            Arg::Hex(v),
            Some(format!("seals {}", flag_text(&SEALS.bits(v)))),
        ),
        11 if v != 0 => d.ret_custom(
            Arg::Int(v as i64),
            Some(crate::signal::signal_name(v as i32)),
        ),
        _ => {}
    }
}

const F_OWNER_TYPE: Xlat =
    Xlat::new(&[(0, "F_OWNER_TID"), (1, "F_OWNER_PID"), (2, "F_OWNER_PGRP")]);

/// `struct f_owner_ex` behind fcntl's third argument.
fn f_owner_ex(d: &Dec<'_, '_>) -> Arg {
    use super::{le_u32, st};
    match d.struct_at(d.arg(2), 8) {
        Ok(b) => st(vec![
            ("type", F_OWNER_TYPE.sym(u64::from(le_u32(&b, 0)))),
            ("pid", Arg::Int(i64::from(le_u32(&b, 4) as i32))),
        ]),
        Err(a) => a,
    }
}

const DN_FLAGS: Xlat = Xlat::new(&[
    (0x1, "DN_ACCESS"),
    (0x2, "DN_MODIFY"),
    (0x4, "DN_CREATE"),
    (0x8, "DN_DELETE"),
    (0x10, "DN_RENAME"),
    (0x20, "DN_ATTRIB"),
    (0x8000_0000, "DN_MULTISHOT"),
]);

const SEALS: Xlat = Xlat::new(&[
    (0x1, "F_SEAL_SEAL"),
    (0x2, "F_SEAL_SHRINK"),
    (0x4, "F_SEAL_GROW"),
    (0x8, "F_SEAL_WRITE"),
    (0x10, "F_SEAL_FUTURE_WRITE"),
]);

/// The `A|B` text of a flags value, for notes on return values.
pub(super) fn flag_text(a: &Arg) -> String {
    match a {
        Arg::Flags { names, rest } => {
            let mut parts: Vec<String> = names.iter().map(|n| n.to_string()).collect();
            if *rest != 0 || parts.is_empty() {
                parts.push(if *rest == 0 {
                    "0".into()
                } else {
                    format!("{rest:#x}")
                });
            }
            parts.join("|")
        }
        Arg::Sym(s) => s.to_string(),
        _ => String::new(),
    }
}

fn getdents(d: &mut Dec<'_, '_>) {
    if d.entering() {
        let a = d.fd(d.arg(0));
        d.push(a);
        d.defer();
        return;
    }
    let addr = d.arg(1);
    if d.ok() {
        // Count records by walking d_reclen (offset 16 in both layouts).
        let len = (d.retval() as u64).min(1 << 20) as usize;
        let mut n = 0;
        if let Some(b) = d.read_bytes(addr, len) {
            let mut off = 0usize;
            while off + 18 <= len {
                let reclen = super::le_u16(&b, off + 16) as usize;
                if reclen == 0 {
                    break;
                }
                n += 1;
                off += reclen;
            }
        }
        d.push(Arg::Commented {
            value: Box::new(Arg::Ptr(addr)),
            comment: format!("{n} entries"),
        });
    } else {
        d.push(Arg::Ptr(addr));
    }
    let c = d.uint(d.arg(2));
    d.push(c);
}

fn getcwd(d: &mut Dec<'_, '_>) {
    if d.entering() {
        d.defer();
        return;
    }
    let a = if d.ok() {
        d.buf_exact(d.arg(0), d.retval() as u64)
    } else {
        Arg::Ptr(d.arg(0))
    };
    d.push(a);
    let n = d.ulong(d.arg(1));
    d.push(n);
}

fn path_only(d: &mut Dec<'_, '_>) {
    if d.entering() {
        let p = d.path(d.arg(0));
        d.push(p);
    }
}

fn mkdir(d: &mut Dec<'_, '_>) {
    if d.entering() {
        let p = d.path(d.arg(0));
        d.push(p);
        d.push(Arg::Oct(umode(d.arg(1))));
    }
}

fn mkdirat(d: &mut Dec<'_, '_>) {
    if d.entering() {
        let a = d.dirfd(d.arg(0));
        let p = d.path(d.arg(1));
        d.push(a);
        d.push(p);
        d.push(Arg::Oct(umode(d.arg(2))));
    }
}

fn unlinkat(d: &mut Dec<'_, '_>) {
    if d.entering() {
        let a = d.dirfd(d.arg(0));
        let p = d.path(d.arg(1));
        d.push(a);
        d.push(p);
        d.push(AT_FLAGS.flags(d.arg32(2)));
    }
}

fn two_paths(d: &mut Dec<'_, '_>) {
    if d.entering() {
        let a = d.path(d.arg(0));
        let b = d.path(d.arg(1));
        d.push(a);
        d.push(b);
    }
}

const RENAME_FLAGS: Xlat = Xlat::new(&[
    (1, "RENAME_NOREPLACE"),
    (2, "RENAME_EXCHANGE"),
    (4, "RENAME_WHITEOUT"),
]);

fn renameat(d: &mut Dec<'_, '_>) {
    if d.entering() {
        let a = d.dirfd(d.arg(0));
        let p = d.path(d.arg(1));
        let b = d.dirfd(d.arg(2));
        let q = d.path(d.arg(3));
        d.push(a);
        d.push(p);
        d.push(b);
        d.push(q);
        if d.nargs() > 4 {
            d.push(RENAME_FLAGS.flags(d.arg32(4)));
        }
    }
}

fn readlink_common(d: &mut Dec<'_, '_>, first: usize) {
    if d.entering() {
        d.defer();
        return;
    }
    let a = if d.ok() {
        d.buf_exact(d.arg(first), d.retval() as u64)
    } else {
        Arg::Ptr(d.arg(first))
    };
    d.push(a);
    let n = d.ulong(d.arg(first + 1));
    d.push(n);
}

fn readlink(d: &mut Dec<'_, '_>) {
    if d.entering() {
        let p = d.path(d.arg(0));
        d.push(p);
    }
    readlink_common(d, 1);
}

fn readlinkat(d: &mut Dec<'_, '_>) {
    if d.entering() {
        let a = d.dirfd(d.arg(0));
        let p = d.path(d.arg(1));
        d.push(a);
        d.push(p);
    }
    readlink_common(d, 2);
}

fn ftruncate(d: &mut Dec<'_, '_>) {
    if d.entering() {
        let a = d.fd(d.arg(0));
        let l = d.long(d.arg(1));
        d.push(a);
        d.push(l);
    }
}

const EPOLL_CLOEXEC: Xlat = Xlat::new(&[(0o2000000, "EPOLL_CLOEXEC")]);

fn epoll_create1(d: &mut Dec<'_, '_>) {
    if d.entering() {
        d.push(EPOLL_CLOEXEC.flags(d.arg32(0)));
    } else {
        d.ret_fd();
    }
}

fn epoll_create(d: &mut Dec<'_, '_>) {
    if d.entering() {
        let n = d.int(d.arg(0));
        d.push(n);
    } else {
        d.ret_fd();
    }
}

const EPOLL_OP: Xlat = Xlat::new(&[
    (1, "EPOLL_CTL_ADD"),
    (2, "EPOLL_CTL_DEL"),
    (3, "EPOLL_CTL_MOD"),
]);

const EPOLL_EVENTS: Xlat = Xlat::new(&[
    (0x1, "EPOLLIN"),
    (0x2, "EPOLLPRI"),
    (0x4, "EPOLLOUT"),
    (0x8, "EPOLLERR"),
    (0x10, "EPOLLHUP"),
    (0x20, "EPOLLNVAL"),
    (0x40, "EPOLLRDNORM"),
    (0x80, "EPOLLRDBAND"),
    (0x100, "EPOLLWRNORM"),
    (0x200, "EPOLLWRBAND"),
    (0x400, "EPOLLMSG"),
    (0x2000, "EPOLLRDHUP"),
    (1 << 28, "EPOLLEXCLUSIVE"),
    (1 << 29, "EPOLLWAKEUP"),
    (1 << 30, "EPOLLONESHOT"),
    (1 << 31, "EPOLLET"),
]);

/// One `struct epoll_event` from its 12 packed bytes (x86_64) or 16
/// (aarch64, naturally aligned).
fn epoll_event(b: &[u8], data_off: usize) -> Arg {
    let data = super::le_u64(b, data_off);
    super::st(vec![
        ("events", EPOLL_EVENTS.flags(super::le_u32(b, 0) as u64)),
        (
            "data",
            super::st(vec![
                ("u32", Arg::UInt(data as u32 as u64)),
                ("u64", Arg::UInt(data)),
            ]),
        ),
    ])
}

fn epoll_layout(d: &Dec<'_, '_>) -> (usize, usize) {
    if d.arch() == model::Arch::Arm64 {
        (16, 8)
    } else {
        (12, 4)
    }
}

fn epoll_ctl(d: &mut Dec<'_, '_>) {
    if d.entering() {
        let a = d.fd(d.arg(0));
        let b = d.fd(d.arg(2));
        d.push(a);
        d.push(EPOLL_OP.sym(d.arg32(1)));
        d.push(b);
        let (size, off) = epoll_layout(d);
        let ev = if d.arg32(1) == 2 {
            Arg::Ptr(d.arg(3))
        } else {
            match d.struct_at(d.arg(3), size) {
                Ok(b) => epoll_event(&b, off),
                Err(a) => a,
            }
        };
        d.push(ev);
    }
}

fn epoll_wait(d: &mut Dec<'_, '_>) {
    if d.entering() {
        let a = d.fd(d.arg(0));
        d.push(a);
        d.defer();
        return;
    }
    let (size, off) = epoll_layout(d);
    let evs = if d.ok() {
        let n = (d.retval() as usize).min(d.limit().max(1) + 1);
        let mut items = Vec::new();
        for i in 0..n {
            if i >= d.limit() {
                items.push(Arg::Ellipsis);
                break;
            }
            match d.read_bytes(d.arg(1).wrapping_add((i * size) as u64), size) {
                Some(b) => items.push(epoll_event(&b, off)),
                None => break,
            }
        }
        Arg::Array(items)
    } else {
        Arg::Ptr(d.arg(1))
    };
    d.push(evs);
    let m = d.int(d.arg(2));
    let t = d.int(d.arg(3));
    d.push(m);
    d.push(t);
    if d.nargs() > 4 {
        let mask = super::signal::sigset_at(d, d.arg(4), d.arg(5));
        d.push(mask);
        let n = d.ulong(d.arg(5));
        d.push(n);
    }
}

const EFD_FLAGS: Xlat = Xlat::new(&[
    (1, "EFD_SEMAPHORE"),
    (0o2000000, "EFD_CLOEXEC"),
    (0o4000, "EFD_NONBLOCK"),
]);

fn eventfd(d: &mut Dec<'_, '_>) {
    if d.entering() {
        let v = d.uint(d.arg(0));
        d.push(v);
        if d.nargs() > 1 {
            d.push(EFD_FLAGS.flags(d.arg32(1)));
        }
    } else {
        d.ret_fd();
    }
}

const POLL_EVENTS: Xlat = Xlat::new(&[
    (0x1, "POLLIN"),
    (0x2, "POLLPRI"),
    (0x4, "POLLOUT"),
    (0x8, "POLLERR"),
    (0x10, "POLLHUP"),
    (0x20, "POLLNVAL"),
    (0x40, "POLLRDNORM"),
    (0x80, "POLLRDBAND"),
    (0x100, "POLLWRNORM"),
    (0x200, "POLLWRBAND"),
    (0x400, "POLLMSG"),
    (0x2000, "POLLRDHUP"),
]);

fn pollfds(d: &Dec<'_, '_>, revents: bool) -> Option<Vec<Arg>> {
    let n = d.arg(1).min(1024) as usize;
    let mut items = Vec::new();
    for i in 0..n {
        if i >= d.limit() {
            items.push(Arg::Ellipsis);
            break;
        }
        let b = d.read_bytes(d.arg(0).wrapping_add((i * 8) as u64), 8)?;
        let fd = super::le_u32(&b, 0) as i32;
        let ev = super::le_u16(&b, if revents { 6 } else { 4 }) as u64;
        if revents && ev == 0 {
            continue;
        }
        items.push(super::st(vec![
            ("fd", d.fd(fd as u64)),
            (
                if revents { "revents" } else { "events" },
                POLL_EVENTS.flags(ev),
            ),
        ]));
    }
    Some(items)
}

fn poll(d: &mut Dec<'_, '_>) {
    if d.entering() {
        let a = pollfds(d, false).map_or(Arg::Unreadable(d.arg(0)), Arg::Array);
        d.push(a);
        let n = d.uint(d.arg(1));
        let t = d.int(d.arg(2));
        d.push(n);
        d.push(t);
    } else if d.ok() {
        let r = d.retval();
        if r > 0 {
            if let Some(items) = pollfds(d, true) {
                d.ret_custom(Arg::Int(r), Some(render_inline(&Arg::Array(items))));
            }
        } else {
            d.ret_custom(Arg::Int(0), Some("Timeout".into()));
        }
    }
}

/// A tiny printer for notes on return values (poll's revents list): the
/// model keeps notes as text because strace prints them in parentheses.
fn render_inline(a: &Arg) -> String {
    match a {
        Arg::Array(items) => format!(
            "[{}]",
            items
                .iter()
                .map(render_inline)
                .collect::<Vec<_>>()
                .join(", ")
        ),
        Arg::Struct(fields) => format!(
            "{{{}}}",
            fields
                .iter()
                .map(|f| format!("{}={}", f.name, render_inline(&f.value)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        Arg::Fd { fd, .. } => fd.to_string(),
        Arg::Flags { .. } => flag_text(a),
        Arg::Ellipsis => "...".into(),
        _ => String::new(),
    }
}
