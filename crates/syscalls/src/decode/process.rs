//! Decoders: processes and threads.

use model::syscall::Arg;

use super::{le_u64, st, Dec, Decoder};
use crate::signal::signal_arg;
use crate::xlat::Xlat;

pub(super) fn decoder(name: &str) -> Option<Decoder> {
    use crate::reads::{Kind::*, Len::*};
    Some(match name {
        "clone" => (clone, &[(2, Fixed(4)), (3, Fixed(4))]),
        "clone3" => (clone3, &[(0, Sized(Arg(1), 1))]),
        "fork" | "vfork" | "getpid" | "getppid" | "gettid" | "sched_yield" | "getuid"
        | "geteuid" | "getgid" | "getegid" | "setsid" | "getpgrp" | "pause" => (no_args, &[]),
        "execve" => (execve, &[(0, Path), (1, Argv), (2, Argv)]),
        "execveat" => (execveat, &[(1, Path), (2, Argv), (3, Argv)]),
        "exit" | "exit_group" => (exit, &[]),
        "wait4" => (wait4, &[(1, Fixed(4)), (3, Fixed(144))]),
        _ => return None,
    })
}

fn no_args(_d: &mut Dec<'_, '_>) {}

const CLONE_FLAGS: Xlat = Xlat::new(&[
    (0x100, "CLONE_VM"),
    (0x200, "CLONE_FS"),
    (0x400, "CLONE_FILES"),
    (0x800, "CLONE_SIGHAND"),
    (0x1000, "CLONE_PIDFD"),
    (0x2000, "CLONE_PTRACE"),
    (0x4000, "CLONE_VFORK"),
    (0x8000, "CLONE_PARENT"),
    (0x10000, "CLONE_THREAD"),
    (0x20000, "CLONE_NEWNS"),
    (0x40000, "CLONE_SYSVSEM"),
    (0x80000, "CLONE_SETTLS"),
    (0x100000, "CLONE_PARENT_SETTID"),
    (0x200000, "CLONE_CHILD_CLEARTID"),
    (0x400000, "CLONE_DETACHED"),
    (0x800000, "CLONE_UNTRACED"),
    (0x1000000, "CLONE_CHILD_SETTID"),
    (0x2000000, "CLONE_NEWCGROUP"),
    (0x4000000, "CLONE_NEWUTS"),
    (0x8000000, "CLONE_NEWIPC"),
    (0x10000000, "CLONE_NEWUSER"),
    (0x20000000, "CLONE_NEWPID"),
    (0x40000000, "CLONE_NEWNET"),
    (0x80000000, "CLONE_IO"),
    (0x100000000, "CLONE_CLEAR_SIGHAND"),
    (0x200000000, "CLONE_INTO_CGROUP"),
    (0x400000000, "CLONE_NEWTIME"),
]);

/// clone's flags with the exit signal in the low byte: `CLONE_VM|SIGCHLD`.
fn clone_flags(v: u64) -> Arg {
    let sig = v & 0xff;
    match CLONE_FLAGS.bits(v & !0xff) {
        Arg::Flags { mut names, rest } => {
            if sig != 0 {
                match signal_arg(sig) {
                    Arg::Sym(s) => names.push(s),
                    _ => {
                        return Arg::Flags {
                            names,
                            rest: rest | sig,
                        }
                    }
                }
            }
            Arg::Flags { names, rest }
        }
        other => other,
    }
}

fn named(name: &str, value: Arg) -> Arg {
    Arg::Named {
        name: name.into(),
        value: Box::new(value),
    }
}

fn clone(d: &mut Dec<'_, '_>) {
    let flags = d.arg(0);
    // x86_64: flags, stack, parent_tid, child_tid, tls;
    // aarch64: flags, stack, parent_tid, tls, child_tid.
    let (ctid_i, tls_i) = if d.arch() == model::Arch::Arm64 {
        (4, 3)
    } else {
        (3, 4)
    };
    if d.entering() {
        d.push(named("child_stack", Arg::Ptr(d.arg(1))));
        d.push(named("flags", clone_flags(flags)));
        d.defer_sep_at_exit();
        return;
    }
    if flags & 0x100000 != 0 {
        let v = d.int_ptr(d.arg(2));
        d.push(named("parent_tid", v));
    }
    if flags & 0x80000 != 0 {
        d.push(named("tls", Arg::Hex(d.arg(tls_i))));
    }
    if flags & (0x1000000 | 0x200000) != 0 {
        d.push(named("child_tidptr", Arg::Ptr(d.arg(ctid_i))));
    }
}

fn clone3(d: &mut Dec<'_, '_>) {
    if !d.entering() {
        return;
    }
    let size = d.arg(1);
    let args = match d.struct_at(d.arg(0), 64) {
        Ok(b) => {
            let flags = le_u64(&b, 0);
            let mut f = vec![("flags", CLONE_FLAGS.flags(flags))];
            if flags & 0x1000 != 0 {
                f.push(("pidfd", Arg::Ptr(le_u64(&b, 8))));
            }
            if flags & (0x1000000 | 0x200000) != 0 {
                f.push(("child_tid", Arg::Ptr(le_u64(&b, 16))));
            }
            if flags & 0x100000 != 0 {
                f.push(("parent_tid", Arg::Ptr(le_u64(&b, 24))));
            }
            let sig = le_u64(&b, 32);
            f.push((
                "exit_signal",
                if sig == 0 {
                    Arg::Int(0)
                } else {
                    signal_arg(sig)
                },
            ));
            f.push(("stack", Arg::Ptr(le_u64(&b, 40))));
            f.push(("stack_size", Arg::Hex(le_u64(&b, 48))));
            if flags & 0x80000 != 0 {
                f.push(("tls", Arg::Hex(le_u64(&b, 56))));
            }
            st(f)
        }
        Err(a) => a,
    };
    d.push(args);
    d.push(Arg::UInt(size));
}

/// argv: `["a", "b"]`, at most `-s` elements then `...`.
fn string_array(d: &Dec<'_, '_>, addr: u64) -> Arg {
    if addr == 0 {
        return Arg::Ptr(0);
    }
    let mut items = Vec::new();
    for i in 0..4096u64 {
        let Some(p) = d.read_u64(addr.wrapping_add(i * 8)) else {
            if i == 0 {
                return Arg::Unreadable(addr);
            }
            break;
        };
        if p == 0 {
            break;
        }
        if items.len() >= d.limit() {
            items.push(Arg::Ellipsis);
            break;
        }
        items.push(d.cstr(p));
    }
    Arg::Array(items)
}

/// envp: strace shows only its address and length unless -v.
fn env_array(d: &Dec<'_, '_>, addr: u64) -> Arg {
    if addr == 0 || d.verbose() {
        return string_array(d, addr);
    }
    let mut n = 0u64;
    while n < 1 << 16 {
        match d.read_u64(addr.wrapping_add(n * 8)) {
            Some(0) => break,
            Some(_) => n += 1,
            None if n == 0 => return Arg::Unreadable(addr),
            None => break,
        }
    }
    Arg::Commented {
        value: Box::new(Arg::Ptr(addr)),
        comment: format!("{n} var{}", if n == 1 { "" } else { "s" }),
    }
}

fn execve(d: &mut Dec<'_, '_>) {
    if d.entering() {
        let p = d.path(d.arg(0));
        let a = string_array(d, d.arg(1));
        let e = env_array(d, d.arg(2));
        d.push(p);
        d.push(a);
        d.push(e);
    }
}

const EXECVEAT_FLAGS: Xlat =
    Xlat::new(&[(0x100, "AT_SYMLINK_NOFOLLOW"), (0x1000, "AT_EMPTY_PATH")]);

fn execveat(d: &mut Dec<'_, '_>) {
    if d.entering() {
        let f = d.dirfd(d.arg(0));
        let p = d.path(d.arg(1));
        let a = string_array(d, d.arg(2));
        let e = env_array(d, d.arg(3));
        d.push(f);
        d.push(p);
        d.push(a);
        d.push(e);
        d.push(EXECVEAT_FLAGS.flags(d.arg32(4)));
    }
}

fn exit(d: &mut Dec<'_, '_>) {
    if d.entering() {
        let c = d.int(d.arg(0));
        d.push(c);
    }
}

const WAIT_OPTIONS: Xlat = Xlat::new(&[
    (1, "WNOHANG"),
    (2, "WSTOPPED"),
    (4, "WEXITED"),
    (8, "WCONTINUED"),
    (0x1000000, "WNOWAIT"),
    (0x20000000, "__WNOTHREAD"),
    (0x40000000, "__WALL"),
    (0x80000000, "__WCLONE"),
]);

fn wait_status(s: u32) -> Arg {
    let text = if s & 0x7f == 0 {
        format!("WIFEXITED(s) && WEXITSTATUS(s) == {}", (s >> 8) & 0xff)
    } else if s & 0xff == 0x7f {
        let sig = crate::signal::signal_name(((s >> 8) & 0xff) as i32);
        match s >> 16 {
            0 => format!("WIFSTOPPED(s) && WSTOPSIG(s) == {sig}"),
            ev => format!("WIFSTOPPED(s) && WSTOPSIG(s) == {sig} && (s >> 16) == {ev}"),
        }
    } else if s == 0xffff {
        "WIFCONTINUED(s)".to_string()
    } else {
        let sig = crate::signal::signal_name((s & 0x7f) as i32);
        let core = if s & 0x80 != 0 {
            " && WCOREDUMP(s)"
        } else {
            ""
        };
        format!("WIFSIGNALED(s) && WTERMSIG(s) == {sig}{core}")
    };
    Arg::Array(vec![Arg::Struct(vec![model::syscall::Field {
        name: "".into(),
        value: Arg::Sym(text.into()),
    }])])
}

fn wait4(d: &mut Dec<'_, '_>) {
    if d.entering() {
        let p = d.int(d.arg(0));
        d.push(p);
        d.defer();
        return;
    }
    let addr = d.arg(1);
    let status = if addr == 0 {
        Arg::Ptr(0)
    } else if d.ok() && d.retval() > 0 {
        d.read_u32(addr).map_or(Arg::Unreadable(addr), wait_status)
    } else {
        Arg::Ptr(addr)
    };
    d.push(status);
    d.push(WAIT_OPTIONS.flags(d.arg32(2)));
    d.push(Arg::Ptr(d.arg(3)));
}
