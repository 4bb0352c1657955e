//! Decoders: address-space mapping.

use std::borrow::Cow;

use model::syscall::Arg;

use super::{Dec, Decoder};
use crate::xlat::Xlat;

pub(super) fn decoder(name: &str) -> Option<Decoder> {
    use crate::reads::{Kind::*, Len::*};
    Some(match name {
        "mmap" => (mmap, &[]),
        "mprotect" | "pkey_mprotect" => (mprotect, &[]),
        "munmap" => (munmap, &[]),
        "brk" => (brk, &[]),
        "madvise" => (madvise, &[]),
        "mincore" => (mincore, &[(2, Data(Arg(1)))]),
        _ => return None,
    })
}

const PROT: Xlat = Xlat::new(&[
    (0, "PROT_NONE"),
    (1, "PROT_READ"),
    (2, "PROT_WRITE"),
    (4, "PROT_EXEC"),
    (8, "PROT_SEM"),
    (0x1000000, "PROT_GROWSDOWN"),
    (0x2000000, "PROT_GROWSUP"),
]);

const MAP_TYPE: Xlat = Xlat::new(&[
    (1, "MAP_SHARED"),
    (2, "MAP_PRIVATE"),
    (3, "MAP_SHARED_VALIDATE"),
]);

const MAP_FLAGS: Xlat = Xlat::new(&[
    (0x10, "MAP_FIXED"),
    (0x20, "MAP_ANONYMOUS"),
    (0x40, "MAP_32BIT"),
    (0x100, "MAP_GROWSDOWN"),
    (0x800, "MAP_DENYWRITE"),
    (0x1000, "MAP_EXECUTABLE"),
    (0x2000, "MAP_LOCKED"),
    (0x4000, "MAP_NORESERVE"),
    (0x8000, "MAP_POPULATE"),
    (0x10000, "MAP_NONBLOCK"),
    (0x20000, "MAP_STACK"),
    (0x40000, "MAP_HUGETLB"),
    (0x80000, "MAP_SYNC"),
    (0x100000, "MAP_FIXED_NOREPLACE"),
    (0x4000000, "MAP_UNINITIALIZED"),
]);

fn map_flags(v: u64) -> Arg {
    let mut names = vec![MAP_TYPE
        .name(v & 0xf)
        .map_or_else(|| format!("{:#x}", v & 0xf).into(), Cow::Borrowed)];
    match MAP_FLAGS.bits(v & !0xf) {
        Arg::Flags { names: n, rest } => {
            names.extend(n);
            Arg::Flags { names, rest }
        }
        other => other,
    }
}

fn mmap(d: &mut Dec<'_, '_>) {
    if d.entering() {
        d.push(Arg::Ptr(d.arg(0)));
        let len = d.ulong(d.arg(1));
        d.push(len);
        d.push(PROT.flags(d.arg(2)));
        d.push(map_flags(d.arg(3)));
        let fd = d.fd(d.arg(4));
        d.push(fd);
        d.push(Arg::Hex(d.arg(5)));
    } else {
        d.ret_hex();
    }
}

fn mprotect(d: &mut Dec<'_, '_>) {
    if d.entering() {
        d.push(Arg::Ptr(d.arg(0)));
        let len = d.ulong(d.arg(1));
        d.push(len);
        d.push(PROT.flags(d.arg(2)));
        if d.nargs() > 3 {
            let k = d.int(d.arg(3));
            d.push(k);
        }
    }
}

fn munmap(d: &mut Dec<'_, '_>) {
    if d.entering() {
        d.push(Arg::Ptr(d.arg(0)));
        let len = d.ulong(d.arg(1));
        d.push(len);
    }
}

fn brk(d: &mut Dec<'_, '_>) {
    if d.entering() {
        d.push(Arg::Ptr(d.arg(0)));
    } else {
        d.ret_hex();
    }
}

const ADVICE: Xlat = Xlat::new(&[
    (0, "MADV_NORMAL"),
    (1, "MADV_RANDOM"),
    (2, "MADV_SEQUENTIAL"),
    (3, "MADV_WILLNEED"),
    (4, "MADV_DONTNEED"),
    (8, "MADV_FREE"),
    (9, "MADV_REMOVE"),
    (10, "MADV_DONTFORK"),
    (11, "MADV_DOFORK"),
    (12, "MADV_MERGEABLE"),
    (13, "MADV_UNMERGEABLE"),
    (14, "MADV_HUGEPAGE"),
    (15, "MADV_NOHUGEPAGE"),
    (16, "MADV_DONTDUMP"),
    (17, "MADV_DODUMP"),
    (18, "MADV_WIPEONFORK"),
    (19, "MADV_KEEPONFORK"),
    (20, "MADV_COLD"),
    (21, "MADV_PAGEOUT"),
    (22, "MADV_POPULATE_READ"),
    (23, "MADV_POPULATE_WRITE"),
    (24, "MADV_DONTNEED_LOCKED"),
    (25, "MADV_COLLAPSE"),
    (100, "MADV_HWPOISON"),
    (101, "MADV_SOFT_OFFLINE"),
]);

fn madvise(d: &mut Dec<'_, '_>) {
    if d.entering() {
        d.push(Arg::Ptr(d.arg(0)));
        let len = d.ulong(d.arg(1));
        d.push(len);
        d.push(ADVICE.sym(d.arg32(2)));
    }
}

fn mincore(d: &mut Dec<'_, '_>) {
    if d.entering() {
        d.push(Arg::Ptr(d.arg(0)));
        let len = d.ulong(d.arg(1));
        d.push(len);
        d.defer();
        return;
    }
    let addr = d.arg(2);
    if !d.ok() {
        d.push(Arg::Ptr(addr));
        return;
    }
    let pages = d.arg(1).div_ceil(4096).min(1 << 16) as usize;
    let shown = pages.min(d.limit());
    match d.read_bytes(addr, shown) {
        Some(b) => {
            let mut items: Vec<Arg> = b.iter().map(|&v| Arg::UInt((v & 1) as u64)).collect();
            if pages > shown {
                items.push(Arg::Ellipsis);
            }
            d.push(Arg::Array(items));
        }
        None => d.push(Arg::Unreadable(addr)),
    }
}
