//! Decoders: ioctl, for the terminal and descriptor requests programs
//! (and Go's runtime and os package) actually make.

use model::syscall::Arg;

use super::{le_u16, le_u32, st, Dec};
use crate::xlat::Xlat;

const REQUESTS: Xlat = Xlat::new(&[
    (0x5401, "TCGETS"),
    (0x5402, "TCSETS"),
    (0x5403, "TCSETSW"),
    (0x5404, "TCSETSF"),
    (0x540b, "TCFLSH"),
    (0x540e, "TIOCSCTTY"),
    (0x540f, "TIOCGPGRP"),
    (0x5410, "TIOCSPGRP"),
    (0x5413, "TIOCGWINSZ"),
    (0x5414, "TIOCSWINSZ"),
    (0x541b, "FIONREAD"),
    (0x5421, "FIONBIO"),
    (0x5422, "TIOCNOTTY"),
    (0x5450, "FIONCLEX"),
    (0x5451, "FIOCLEX"),
    (0x5452, "FIOASYNC"),
    (0x80045430, "TIOCGPTN"),
    (0x40045431, "TIOCSPTLCK"),
    (0x5429, "TIOCGSID"),
]);

const IFLAG: Xlat = Xlat::new(&[
    (0o1, "IGNBRK"),
    (0o2, "BRKINT"),
    (0o4, "IGNPAR"),
    (0o10, "PARMRK"),
    (0o20, "INPCK"),
    (0o40, "ISTRIP"),
    (0o100, "INLCR"),
    (0o200, "IGNCR"),
    (0o400, "ICRNL"),
    (0o1000, "IUCLC"),
    (0o2000, "IXON"),
    (0o4000, "IXANY"),
    (0o10000, "IXOFF"),
    (0o20000, "IMAXBEL"),
    (0o40000, "IUTF8"),
]);

const LFLAG: Xlat = Xlat::new(&[
    (0o1, "ISIG"),
    (0o2, "ICANON"),
    (0o4, "XCASE"),
    (0o10, "ECHO"),
    (0o20, "ECHOE"),
    (0o40, "ECHOK"),
    (0o100, "ECHONL"),
    (0o200, "NOFLSH"),
    (0o400, "TOSTOP"),
    (0o100000, "IEXTEN"),
    (0o1000, "ECHOCTL"),
    (0o2000, "ECHOPRT"),
    (0o4000, "ECHOKE"),
    (0o10000, "FLUSHO"),
    (0o40000, "PENDIN"),
    (0o200000, "EXTPROC"),
]);

const OFLAG_BITS: Xlat = Xlat::new(&[
    (0o1, "OPOST"),
    (0o2, "OLCUC"),
    (0o4, "ONLCR"),
    (0o10, "OCRNL"),
    (0o20, "ONOCR"),
    (0o40, "ONLRET"),
    (0o100, "OFILL"),
    (0o200, "OFDEL"),
]);

fn oflag(v: u64) -> Arg {
    // The delay fields are enums inside the word; strace names each one.
    let mut names = Vec::new();
    let fields: [(u64, &[&'static str]); 6] = [
        (0o400, &["NL0", "NL1"]),
        (0o3000, &["CR0", "CR1", "CR2", "CR3"]),
        (0o14000, &["TAB0", "TAB1", "TAB2", "TAB3"]),
        (0o20000, &["BS0", "BS1"]),
        (0o40000, &["VT0", "VT1"]),
        (0o100000, &["FF0", "FF1"]),
    ];
    let mut rest = v;
    for (mask, vals) in fields {
        let shift = mask.trailing_zeros();
        let idx = ((v & mask) >> shift) as usize;
        if let Some(&n) = vals.get(idx) {
            names.push(n.into());
        }
        rest &= !mask;
    }
    OFLAG_BITS.take_bits(&mut rest, &mut names);
    Arg::Flags { names, rest }
}

const BAUD: &[&str] = &[
    "B0", "B50", "B75", "B110", "B134", "B150", "B200", "B300", "B600", "B1200", "B1800", "B2400",
    "B4800", "B9600", "B19200", "B38400",
];

const CFLAG_BITS: Xlat = Xlat::new(&[
    (0o100, "CSTOPB"),
    (0o200, "CREAD"),
    (0o400, "PARENB"),
    (0o1000, "PARODD"),
    (0o2000, "HUPCL"),
    (0o4000, "CLOCAL"),
    (0o20000000000, "CRTSCTS"),
]);

fn cflag(v: u64) -> Arg {
    let mut names = Vec::new();
    let baud = v & 0o10017;
    match BAUD.get(baud as usize) {
        Some(&b) => names.push(b.into()),
        None => names.push(format!("{baud:#o}").into()),
    }
    names.push(["CS5", "CS6", "CS7", "CS8"][((v >> 4) & 3) as usize].into());
    let mut rest = v & !0o10017 & !0o60;
    CFLAG_BITS.take_bits(&mut rest, &mut names);
    Arg::Flags { names, rest }
}

fn termios(b: &[u8]) -> Arg {
    st(vec![
        ("c_iflag", IFLAG.flags(le_u32(b, 0) as u64)),
        ("c_oflag", oflag(le_u32(b, 4) as u64)),
        ("c_cflag", cflag(le_u32(b, 8) as u64)),
        ("c_lflag", LFLAG.flags(le_u32(b, 12) as u64)),
        ("", Arg::Ellipsis),
    ])
}

fn winsize(b: &[u8]) -> Arg {
    st(vec![
        ("ws_row", Arg::UInt(le_u16(b, 0) as u64)),
        ("ws_col", Arg::UInt(le_u16(b, 2) as u64)),
        ("ws_xpixel", Arg::UInt(le_u16(b, 4) as u64)),
        ("ws_ypixel", Arg::UInt(le_u16(b, 6) as u64)),
    ])
}

pub(super) fn ioctl(d: &mut Dec<'_, '_>) {
    let req = d.arg(1) as u32 as u64;
    let addr = d.arg(2);
    if d.entering() {
        let a = d.fd(d.arg(0));
        d.push(a);
        d.push(REQUESTS.sym(req));
        match req {
            // Inputs: decoded now.
            0x5402..=0x5404 => {
                let t = d.struct_at(addr, 36).map_or_else(|a| a, |b| termios(&b));
                d.push(t);
            }
            0x5414 => {
                let w = d.struct_at(addr, 8).map_or_else(|a| a, |b| winsize(&b));
                d.push(w);
            }
            0x5410 | 0x5421 | 0x5452 | 0x40045431 => {
                let v = d.int_ptr(addr);
                d.push(v);
            }
            0x540b | 0x540e => {
                let v = d.int(addr);
                d.push(v);
            }
            0x5422 | 0x5450 | 0x5451 => {}
            // Outputs: at exit.
            0x5401 | 0x5413 | 0x541b | 0x540f | 0x80045430 | 0x5429 => d.defer(),
            _ => d.push(Arg::Hex(addr)),
        }
        return;
    }
    if !matches!(req, 0x5401 | 0x5413 | 0x541b | 0x540f | 0x80045430 | 0x5429) {
        return;
    }
    let out = if !d.ok() {
        Arg::Ptr(addr)
    } else {
        match req {
            0x5401 => d.struct_at(addr, 36).map_or_else(|a| a, |b| termios(&b)),
            0x5413 => d.struct_at(addr, 8).map_or_else(|a| a, |b| winsize(&b)),
            _ => d.int_ptr(addr),
        }
    };
    d.push(out);
}
