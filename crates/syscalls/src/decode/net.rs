//! Decoders: sockets.

use model::syscall::Arg;

use super::{le_u16, le_u32, le_u64, st, Dec, Decoder};
use crate::xlat::Xlat;

pub(super) fn decoder(name: &str) -> Option<Decoder> {
    use crate::reads::{Kind::*, Len::*, SOCKADDR};
    Some(match name {
        "socket" => (socket, &[]),
        "connect" | "bind" => (connect, &[(1, Sized(Arg(2), 1))]),
        "accept" | "accept4" => (accept, &[(1, Fixed(SOCKADDR)), (2, ValueResult)]),
        "listen" => (listen, &[]),
        "getsockname" | "getpeername" => (getsockname, &[(1, Fixed(SOCKADDR)), (2, ValueResult)]),
        "setsockopt" => (setsockopt, &[(3, Sized(Arg(4), 1))]),
        "getsockopt" => (getsockopt, &[(3, Fixed(64)), (4, ValueResult)]),
        "sendto" => (sendto, &[(1, Data(Arg(2))), (4, Sized(Arg(5), 1))]),
        "recvfrom" => (
            recvfrom,
            &[(1, Data(Ret)), (4, Fixed(SOCKADDR)), (5, ValueResult)],
        ),
        "sendmsg" => (sendmsg, &[(1, Fixed(56))]),
        "recvmsg" => (recvmsg, &[(1, Fixed(56))]),
        "shutdown" => (shutdown, &[]),
        _ => return None,
    })
}

const FAMILIES: Xlat = Xlat::new(&[
    (0, "AF_UNSPEC"),
    (1, "AF_UNIX"),
    (2, "AF_INET"),
    (10, "AF_INET6"),
    (16, "AF_NETLINK"),
    (17, "AF_PACKET"),
]);

const SOCK_TYPES: Xlat = Xlat::new(&[
    (1, "SOCK_STREAM"),
    (2, "SOCK_DGRAM"),
    (3, "SOCK_RAW"),
    (4, "SOCK_RDM"),
    (5, "SOCK_SEQPACKET"),
    (6, "SOCK_DCCP"),
    (10, "SOCK_PACKET"),
]);

const SOCK_FLAGS: Xlat = Xlat::new(&[(0o2000000, "SOCK_CLOEXEC"), (0o4000, "SOCK_NONBLOCK")]);

/// The kernel's protocol numbers (uapi `linux/in.h`), as strace names them.
const IPPROTO: Xlat = Xlat::dec(&[
    (0, "IPPROTO_IP"),
    (1, "IPPROTO_ICMP"),
    (2, "IPPROTO_IGMP"),
    (4, "IPPROTO_IPIP"),
    (6, "IPPROTO_TCP"),
    (8, "IPPROTO_EGP"),
    (12, "IPPROTO_PUP"),
    (17, "IPPROTO_UDP"),
    (22, "IPPROTO_IDP"),
    (29, "IPPROTO_TP"),
    (33, "IPPROTO_DCCP"),
    (41, "IPPROTO_IPV6"),
    (46, "IPPROTO_RSVP"),
    (47, "IPPROTO_GRE"),
    (50, "IPPROTO_ESP"),
    (51, "IPPROTO_AH"),
    (58, "IPPROTO_ICMPV6"),
    (92, "IPPROTO_MTP"),
    (94, "IPPROTO_BEETPH"),
    (98, "IPPROTO_ENCAP"),
    (103, "IPPROTO_PIM"),
    (108, "IPPROTO_COMP"),
    (115, "IPPROTO_L2TP"),
    (132, "IPPROTO_SCTP"),
    (136, "IPPROTO_UDPLITE"),
    (137, "IPPROTO_MPLS"),
    (143, "IPPROTO_ETHERNET"),
    (255, "IPPROTO_RAW"),
    (262, "IPPROTO_MPTCP"),
]);

fn sock_type(v: u64) -> Arg {
    let mut names = Vec::new();
    let mut rest = 0;
    match SOCK_TYPES.name(v & 0xf) {
        Some(n) => names.push(n.into()),
        None => rest |= v & 0xf,
    }
    match SOCK_FLAGS.bits(v & !0xf) {
        Arg::Flags { names: n, rest: r } => {
            names.extend(n);
            rest |= r;
        }
        _ => rest |= v & !0xf,
    }
    Arg::Flags { names, rest }
}

fn socket(d: &mut Dec<'_, '_>) {
    if d.entering() {
        let family = d.arg(0);
        d.push(FAMILIES.sym(family));
        d.push(sock_type(d.arg(1)));
        d.push(if matches!(family, 2 | 10) {
            IPPROTO.sym(d.arg32(2))
        } else {
            d.int(d.arg(2))
        });
    } else {
        d.ret_fd();
    }
}

fn call(func: &str, args: Vec<Arg>) -> Arg {
    Arg::Call {
        func: func.into(),
        args,
    }
}

fn quoted(s: &str) -> Arg {
    Arg::Str {
        bytes: s.as_bytes().to_vec(),
        truncated: false,
    }
}

fn ipv6_text(b: &[u8]) -> String {
    std::net::Ipv6Addr::from(<[u8; 16]>::try_from(b).unwrap_or([0; 16])).to_string()
}

/// A socket address of `len` bytes at `addr`.
pub(super) fn sockaddr(d: &Dec<'_, '_>, addr: u64, len: u64) -> Arg {
    if addr == 0 {
        return Arg::Ptr(0);
    }
    let len = len.min(128) as usize;
    if len < 2 {
        return Arg::Ptr(addr);
    }
    let b = match d.read_bytes(addr, len) {
        Some(b) => b,
        None => return Arg::Unreadable(addr),
    };
    let family = le_u16(&b, 0) as u64;
    let mut f = vec![("sa_family", FAMILIES.sym(family))];
    let port = || u16::from_be_bytes([b[2], b[3]]);
    match family {
        2 if len >= 8 => {
            let ip = std::net::Ipv4Addr::new(b[4], b[5], b[6], b[7]);
            f.push(("sin_port", call("htons", vec![Arg::UInt(port() as u64)])));
            f.push(("sin_addr", call("inet_addr", vec![quoted(&ip.to_string())])));
        }
        10 if len >= 24 => {
            f.push(("sin6_port", call("htons", vec![Arg::UInt(port() as u64)])));
            let flow = u32::from_be_bytes([b[4], b[5], b[6], b[7]]);
            f.push(("sin6_flowinfo", call("htonl", vec![Arg::UInt(flow as u64)])));
            f.push((
                "",
                call(
                    "inet_pton",
                    vec![
                        Arg::Sym("AF_INET6".into()),
                        quoted(&ipv6_text(&b[8..24])),
                        Arg::Sym("&sin6_addr".into()),
                    ],
                ),
            ));
            if len >= 28 {
                f.push(("sin6_scope_id", Arg::UInt(le_u32(&b, 24) as u64)));
            }
        }
        1 => {
            let path = &b[2..];
            if path.first() == Some(&0) && path.len() > 1 {
                let name = &path[1..];
                f.push((
                    "sun_path",
                    Arg::Sym(format!("@{}", crate_render_str(name)).into()),
                ));
            } else if !path.is_empty() {
                let end = path.iter().position(|&c| c == 0).unwrap_or(path.len());
                f.push((
                    "sun_path",
                    Arg::Str {
                        bytes: path[..end].to_vec(),
                        truncated: false,
                    },
                ));
            }
        }
        16 if len >= 12 => {
            f.push(("nl_pid", Arg::UInt(le_u32(&b, 4) as u64)));
            f.push((
                "nl_groups",
                Arg::Sym(format!("{:08x}", le_u32(&b, 8)).into()),
            ));
        }
        _ => {
            f.push((
                "sa_data",
                Arg::Str {
                    bytes: b[2..].to_vec(),
                    truncated: false,
                },
            ));
        }
    }
    st(f)
}

/// Abstract socket names are printed quoted after `@`; the model has no
/// "prefix" form, so the quoting is done here with the same escapes.
fn crate_render_str(b: &[u8]) -> String {
    let mut s = String::from("\"");
    for &c in b {
        match c {
            b'"' => s.push_str("\\\""),
            b'\\' => s.push_str("\\\\"),
            0x20..=0x7e => s.push(c as char),
            _ => s.push_str(&format!("\\{c:o}")),
        }
    }
    s.push('"');
    s
}

fn connect(d: &mut Dec<'_, '_>) {
    if d.entering() {
        let a = d.fd(d.arg(0));
        let s = sockaddr(d, d.arg(1), d.arg(2));
        let n = d.int(d.arg(2));
        d.push(a);
        d.push(s);
        d.push(n);
    }
}

fn listen(d: &mut Dec<'_, '_>) {
    if d.entering() {
        let a = d.fd(d.arg(0));
        let n = d.int(d.arg(1));
        d.push(a);
        d.push(n);
    }
}

/// `[16]`, or `[112 => 16]` when the kernel changed the length.
fn socklen(d: &Dec<'_, '_>, addr: u64, before: Option<u64>) -> Arg {
    if addr == 0 {
        return Arg::Ptr(0);
    }
    let after = d.read_u32(addr).map(|v| v as u64);
    match (before, after) {
        (Some(b), Some(a)) if a != b && d.ok() => Arg::Array(vec![Arg::Changed {
            before: Box::new(Arg::Int(b as i64)),
            after: Box::new(Arg::Int(a as i64)),
        }]),
        (Some(b), _) => Arg::Array(vec![Arg::Int(b as i64)]),
        (None, Some(a)) => Arg::Array(vec![Arg::Int(a as i64)]),
        (None, None) => Arg::Unreadable(addr),
    }
}

fn save_len(d: &mut Dec<'_, '_>, addr: u64) {
    let v = if addr == 0 {
        u64::MAX
    } else {
        d.read_u32(addr).map_or(u64::MAX, |v| v as u64)
    };
    d.save(v);
}

fn saved_len(d: &Dec<'_, '_>, i: usize) -> Option<u64> {
    d.saved(i).filter(|&v| v != u64::MAX)
}

fn addr_and_len(d: &mut Dec<'_, '_>, addr_i: usize, len_i: usize, saved_i: usize) {
    let before = saved_len(d, saved_i);
    let addr = d.arg(addr_i);
    let sa = if d.ok() && addr != 0 {
        let after = d.read_u32(d.arg(len_i)).map_or(0, |v| v as u64);
        sockaddr(d, addr, after.min(before.unwrap_or(after)))
    } else {
        Arg::Ptr(addr)
    };
    d.push(sa);
    let l = socklen(d, d.arg(len_i), before);
    d.push(l);
}

fn accept(d: &mut Dec<'_, '_>) {
    if d.entering() {
        let a = d.fd(d.arg(0));
        d.push(a);
        save_len(d, d.arg(2));
        d.defer();
        return;
    }
    addr_and_len(d, 1, 2, 0);
    if d.nargs() > 3 {
        d.push(SOCK_FLAGS.flags(d.arg32(3)));
    }
    d.ret_fd();
}

fn getsockname(d: &mut Dec<'_, '_>) {
    if d.entering() {
        let a = d.fd(d.arg(0));
        d.push(a);
        save_len(d, d.arg(2));
        d.defer();
        return;
    }
    addr_and_len(d, 1, 2, 0);
}

const SOL: Xlat = Xlat::new(&[
    (0, "SOL_IP"),
    (1, "SOL_SOCKET"),
    (6, "SOL_TCP"),
    (17, "SOL_UDP"),
    (41, "SOL_IPV6"),
]);

const SO: Xlat = Xlat::new(&[
    (1, "SO_DEBUG"),
    (2, "SO_REUSEADDR"),
    (3, "SO_TYPE"),
    (4, "SO_ERROR"),
    (5, "SO_DONTROUTE"),
    (6, "SO_BROADCAST"),
    (7, "SO_SNDBUF"),
    (8, "SO_RCVBUF"),
    (9, "SO_KEEPALIVE"),
    (10, "SO_OOBINLINE"),
    (13, "SO_LINGER"),
    (15, "SO_REUSEPORT"),
    (20, "SO_RCVTIMEO_OLD"),
    (21, "SO_SNDTIMEO_OLD"),
    (32, "SO_SNDBUFFORCE"),
    (33, "SO_RCVBUFFORCE"),
    (38, "SO_PROTOCOL"),
    (39, "SO_DOMAIN"),
]);

const TCP_OPTS: Xlat = Xlat::new(&[
    (1, "TCP_NODELAY"),
    (2, "TCP_MAXSEG"),
    (3, "TCP_CORK"),
    (4, "TCP_KEEPIDLE"),
    (5, "TCP_KEEPINTVL"),
    (6, "TCP_KEEPCNT"),
    (7, "TCP_SYNCNT"),
    (9, "TCP_DEFER_ACCEPT"),
    (12, "TCP_QUICKACK"),
    (18, "TCP_USER_TIMEOUT"),
    (23, "TCP_FASTOPEN"),
    (30, "TCP_FASTOPEN_CONNECT"),
]);

const IPV6_OPTS: Xlat = Xlat::new(&[(26, "IPV6_V6ONLY")]);

fn level_and_name(d: &mut Dec<'_, '_>) {
    let level = d.arg(1) as u32 as u64;
    d.push(SOL.sym(level));
    let name = d.arg(2) as u32 as u64;
    d.push(match level {
        1 => SO.sym(name),
        6 => TCP_OPTS.sym(name),
        41 => IPV6_OPTS.sym(name),
        _ => Arg::Int(name as i64),
    });
}

fn optval(d: &Dec<'_, '_>, addr: u64, len: u64) -> Arg {
    if len == 4 {
        d.int_ptr(addr)
    } else {
        d.buf(addr, len)
    }
}

fn setsockopt(d: &mut Dec<'_, '_>) {
    if d.entering() {
        let a = d.fd(d.arg(0));
        d.push(a);
        level_and_name(d);
        let v = optval(d, d.arg(3), d.arg(4));
        d.push(v);
        let n = d.int(d.arg(4));
        d.push(n);
    }
}

fn getsockopt(d: &mut Dec<'_, '_>) {
    if d.entering() {
        let a = d.fd(d.arg(0));
        d.push(a);
        level_and_name(d);
        save_len(d, d.arg(4));
        d.defer();
        return;
    }
    let before = saved_len(d, 0);
    let after = d.read_u32(d.arg(4)).map(|v| v as u64);
    let v = if d.ok() {
        optval(d, d.arg(3), after.unwrap_or(0))
    } else {
        Arg::Ptr(d.arg(3))
    };
    d.push(v);
    let l = socklen(d, d.arg(4), before);
    d.push(l);
}

const MSG_FLAGS: Xlat = Xlat::new(&[
    (0x1, "MSG_OOB"),
    (0x2, "MSG_PEEK"),
    (0x4, "MSG_DONTROUTE"),
    (0x8, "MSG_CTRUNC"),
    (0x10, "MSG_PROXY"),
    (0x20, "MSG_TRUNC"),
    (0x40, "MSG_DONTWAIT"),
    (0x80, "MSG_EOR"),
    (0x100, "MSG_WAITALL"),
    (0x200, "MSG_FIN"),
    (0x400, "MSG_SYN"),
    (0x800, "MSG_CONFIRM"),
    (0x1000, "MSG_RST"),
    (0x2000, "MSG_ERRQUEUE"),
    (0x4000, "MSG_NOSIGNAL"),
    (0x8000, "MSG_MORE"),
    (0x10000, "MSG_WAITFORONE"),
    (0x20000, "MSG_BATCH"),
    (0x4000000, "MSG_ZEROCOPY"),
    (0x20000000, "MSG_FASTOPEN"),
    (0x40000000, "MSG_CMSG_CLOEXEC"),
]);

fn sendto(d: &mut Dec<'_, '_>) {
    if d.entering() {
        let a = d.fd(d.arg(0));
        let b = d.buf(d.arg(1), d.arg(2));
        let n = d.ulong(d.arg(2));
        d.extend([a, b, n, MSG_FLAGS.flags(d.arg32(3))]);
        let s = sockaddr(d, d.arg(4), d.arg(5));
        let l = d.int(d.arg(5));
        d.extend([s, l]);
    }
}

fn recvfrom(d: &mut Dec<'_, '_>) {
    if d.entering() {
        let a = d.fd(d.arg(0));
        d.push(a);
        save_len(d, d.arg(5));
        d.defer();
        return;
    }
    let b = if d.ok() {
        d.buf(d.arg(1), d.retval() as u64)
    } else {
        Arg::Ptr(d.arg(1))
    };
    let n = d.ulong(d.arg(2));
    d.extend([b, n, MSG_FLAGS.flags(d.arg32(3))]);
    addr_and_len(d, 4, 5, 0);
}

fn msghdr(d: &Dec<'_, '_>, addr: u64, data: Option<u64>) -> Arg {
    let b = match d.struct_at(addr, 56) {
        Ok(b) => b,
        Err(a) => return a,
    };
    let name = le_u64(&b, 0);
    let namelen = le_u32(&b, 8) as u64;
    let iov = le_u64(&b, 16);
    let iovlen = le_u64(&b, 24);
    let control = le_u64(&b, 32);
    let controllen = le_u64(&b, 40);
    let mut f = vec![
        ("msg_name", sockaddr(d, name, namelen)),
        ("msg_namelen", Arg::UInt(namelen)),
        ("msg_iov", super::fs::iovec(d, iov, iovlen, data)),
        ("msg_iovlen", Arg::UInt(iovlen)),
    ];
    if controllen > 0 {
        f.push(("msg_control", Arg::Ptr(control)));
    }
    f.push(("msg_controllen", Arg::UInt(controllen)));
    f.push(("msg_flags", MSG_FLAGS.flags(le_u32(&b, 48) as u64)));
    st(f)
}

fn sendmsg(d: &mut Dec<'_, '_>) {
    if d.entering() {
        let a = d.fd(d.arg(0));
        let m = msghdr(d, d.arg(1), None);
        d.extend([a, m, MSG_FLAGS.flags(d.arg32(2))]);
    }
}

fn recvmsg(d: &mut Dec<'_, '_>) {
    if d.entering() {
        let a = d.fd(d.arg(0));
        d.push(a);
        d.defer();
        return;
    }
    let m = if d.ok() {
        msghdr(d, d.arg(1), Some(d.retval() as u64))
    } else {
        Arg::Ptr(d.arg(1))
    };
    d.extend([m, MSG_FLAGS.flags(d.arg32(2))]);
}

const SHUT: Xlat = Xlat::new(&[(0, "SHUT_RD"), (1, "SHUT_WR"), (2, "SHUT_RDWR")]);

fn shutdown(d: &mut Dec<'_, '_>) {
    if d.entering() {
        let a = d.fd(d.arg(0));
        d.extend([a, SHUT.sym(d.arg32(1))]);
    }
}
