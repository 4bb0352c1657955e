//! Signal names, signal sets and siginfo, as strace shows them.

use model::syscall::{Arg, Signal};
use model::Arch;

use crate::decode::{le_u32, le_u64, st};

const NAMES: [&str; 32] = [
    "0",
    "SIGHUP",
    "SIGINT",
    "SIGQUIT",
    "SIGILL",
    "SIGTRAP",
    "SIGABRT",
    "SIGBUS",
    "SIGFPE",
    "SIGKILL",
    "SIGUSR1",
    "SIGSEGV",
    "SIGUSR2",
    "SIGPIPE",
    "SIGALRM",
    "SIGTERM",
    "SIGSTKFLT",
    "SIGCHLD",
    "SIGCONT",
    "SIGSTOP",
    "SIGTSTP",
    "SIGTTIN",
    "SIGTTOU",
    "SIGURG",
    "SIGXCPU",
    "SIGXFSZ",
    "SIGVTALRM",
    "SIGPROF",
    "SIGWINCH",
    "SIGIO",
    "SIGPWR",
    "SIGSYS",
];

/// The name strace uses for a signal number: `SIGURG`, `SIGRTMIN` (32),
/// `SIGRT_3` (35); numbers past 64 as digits.
pub fn signal_name(signo: i32) -> String {
    match signo {
        1..=31 => NAMES[signo as usize].to_string(),
        32 => "SIGRTMIN".to_string(),
        33..=64 => format!("SIGRT_{}", signo - 32),
        _ => signo.to_string(),
    }
}

/// The number of a signal name, with or without `SIG` (`URG`, `SIGURG`).
pub fn signal_from_name(name: &str) -> Option<i32> {
    let bare = name.strip_prefix("SIG").unwrap_or(name);
    (1..=64).find(|&n| signal_name(n).trim_start_matches("SIG") == bare)
}

/// A signal set of `nbytes` bytes: `[HUP INT]`, or `~[...]` with the
/// absent members when more than half the signals are present.
pub(crate) fn sigset(bytes: &[u8]) -> Arg {
    let nbits = (bytes.len() * 8).min(64);
    let is_set = |sig: usize| bytes[(sig - 1) / 8] & (1 << ((sig - 1) % 8)) != 0;
    let count = (1..=nbits).filter(|&s| is_set(s)).count();
    let negated = count * 2 > nbits;
    let items = (1..=nbits)
        .filter(|&s| is_set(s) != negated)
        .map(|s| signal_name(s as i32).trim_start_matches("SIG").to_string())
        .collect();
    Arg::Set { items, negated }
}

/// A signal number as an argument: its name, or the number.
pub(crate) fn signal_arg(signo: u64) -> Arg {
    match signo {
        1..=64 => Arg::Sym(signal_name(signo as i32).into()),
        _ => Arg::Int(signo as i32 as i64),
    }
}

fn si_code_name(signo: i32, code: i32) -> Option<&'static str> {
    let generic = match code {
        0 => Some("SI_USER"),
        0x80 => Some("SI_KERNEL"),
        -1 => Some("SI_QUEUE"),
        -2 => Some("SI_TIMER"),
        -3 => Some("SI_MESGQ"),
        -4 => Some("SI_ASYNCIO"),
        -5 => Some("SI_SIGIO"),
        -6 => Some("SI_TKILL"),
        -7 => Some("SI_DETHREAD"),
        -60 => Some("SI_ASYNCNL"),
        _ => None,
    };
    if code <= 0 || code == 0x80 {
        return generic;
    }
    let table: &[&str] = match signo {
        4 => &[
            "ILL_ILLOPC",
            "ILL_ILLOPN",
            "ILL_ILLADR",
            "ILL_ILLTRP",
            "ILL_PRVOPC",
            "ILL_PRVREG",
            "ILL_COPROC",
            "ILL_BADSTK",
            "ILL_BADIADDR",
        ],
        5 => &[
            "TRAP_BRKPT",
            "TRAP_TRACE",
            "TRAP_BRANCH",
            "TRAP_HWBKPT",
            "TRAP_UNK",
        ],
        7 => &[
            "BUS_ADRALN",
            "BUS_ADRERR",
            "BUS_OBJERR",
            "BUS_MCEERR_AR",
            "BUS_MCEERR_AO",
        ],
        8 => &[
            "FPE_INTDIV",
            "FPE_INTOVF",
            "FPE_FLTDIV",
            "FPE_FLTOVF",
            "FPE_FLTUND",
            "FPE_FLTRES",
            "FPE_FLTINV",
            "FPE_FLTSUB",
        ],
        11 => &["SEGV_MAPERR", "SEGV_ACCERR", "SEGV_BNDERR", "SEGV_PKUERR"],
        17 => &[
            "CLD_EXITED",
            "CLD_KILLED",
            "CLD_DUMPED",
            "CLD_TRAPPED",
            "CLD_STOPPED",
            "CLD_CONTINUED",
        ],
        29 => &[
            "POLL_IN", "POLL_OUT", "POLL_MSG", "POLL_ERR", "POLL_PRI", "POLL_HUP",
        ],
        31 => &["SYS_SECCOMP"],
        _ => &[],
    };
    table.get(code as usize - 1).copied()
}

/// Decodes a 128-byte `siginfo_t` (as `PTRACE_GETSIGINFO` returns it) into
/// the event strace prints as `--- SIGURG {si_signo=SIGURG, ...} ---`.
/// Short input decodes as far as it goes.
pub fn decode_siginfo(arch: Arch, raw: &[u8]) -> Signal {
    let _ = arch; // same layout on both 64-bit architectures
    let signo = le_u32(raw, 0) as i32;
    let errno = le_u32(raw, 4) as i32;
    let code = le_u32(raw, 8) as i32;
    let name = signal_name(signo);
    let mut f: Vec<(&str, Arg)> = vec![("si_signo", Arg::Sym(name.clone().into()))];
    if errno != 0 {
        f.push(("si_errno", errno_arg(errno)));
    }
    f.push((
        "si_code",
        match si_code_name(signo, code) {
            Some(n) => Arg::Sym(n.into()),
            None => Arg::Int(code as i64),
        },
    ));
    let pid = Arg::Int(le_u32(raw, 16) as i32 as i64);
    let uid = Arg::UInt(le_u32(raw, 20) as u64);
    match code {
        0 | -6 => {
            f.push(("si_pid", pid));
            f.push(("si_uid", uid));
        }
        -1 => {
            f.push(("si_pid", pid));
            f.push(("si_uid", uid));
            f.push((
                "si_value",
                st(vec![
                    ("sival_int", Arg::Int(le_u32(raw, 24) as i32 as i64)),
                    ("sival_ptr", Arg::Ptr(le_u64(raw, 24))),
                ]),
            ));
        }
        -2 => {
            f.push(("si_timerid", Arg::Hex(le_u32(raw, 16) as u64)));
            f.push(("si_overrun", Arg::Int(le_u32(raw, 20) as i32 as i64)));
            f.push((
                "si_value",
                st(vec![
                    ("sival_int", Arg::Int(le_u32(raw, 24) as i32 as i64)),
                    ("sival_ptr", Arg::Ptr(le_u64(raw, 24))),
                ]),
            ));
        }
        _ if signo == 17 && code > 0 => {
            f.push(("si_pid", pid));
            f.push(("si_uid", uid));
            let status = le_u32(raw, 24) as i32;
            f.push((
                "si_status",
                if code == 1 {
                    Arg::Int(status as i64)
                } else {
                    signal_arg(status as u64)
                },
            ));
            f.push(("si_utime", Arg::Int(le_u64(raw, 32) as i64)));
            f.push(("si_stime", Arg::Int(le_u64(raw, 40) as i64)));
        }
        _ if signo == 31 && code == 1 => {
            f.push(("si_call_addr", Arg::Ptr(le_u64(raw, 16))));
            f.push(("si_syscall", Arg::Int(le_u32(raw, 24) as i32 as i64)));
            f.push(("si_arch", Arg::Hex(le_u32(raw, 28) as u64)));
        }
        _ if matches!(signo, 4 | 5 | 7 | 8 | 11) => {
            f.push(("si_addr", Arg::Ptr(le_u64(raw, 16))));
        }
        _ if signo == 29 && code > 0 => {
            f.push(("si_band", Arg::Int(le_u64(raw, 16) as i64)));
            f.push(("si_fd", Arg::Int(le_u32(raw, 24) as i32 as i64)));
        }
        _ => {}
    }
    Signal {
        signo,
        name,
        info: Some(st(f)),
        stopped: false,
    }
}

fn errno_arg(errno: i32) -> Arg {
    match crate::errno::errno_name(errno) {
        Some(n) => Arg::Sym(n.into()),
        None => Arg::Int(errno as i64),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert_eq!(signal_name(23), "SIGURG");
        assert_eq!(signal_name(32), "SIGRTMIN");
        assert_eq!(signal_name(35), "SIGRT_3");
        assert_eq!(signal_from_name("URG"), Some(23));
        assert_eq!(signal_from_name("SIGRT_3"), Some(35));
    }

    #[test]
    fn sets_negate_past_half() {
        assert_eq!(
            sigset(&[0, 0, 0, 0, 0, 0, 0, 0]),
            Arg::Set {
                items: vec![],
                negated: false
            }
        );
        assert_eq!(
            sigset(&[0xff; 8]),
            Arg::Set {
                items: vec![],
                negated: true
            }
        );
        assert_eq!(
            sigset(&[0x03, 0, 0, 0, 0, 0, 0, 0]),
            Arg::Set {
                items: vec!["HUP".into(), "INT".into()],
                negated: false
            }
        );
    }
}
