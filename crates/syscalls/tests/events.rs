//! Decoding pieces that the probe cannot record (signal frames, siginfo,
//! calls that never return), checked against lines from strace's golden
//! run of the files_net fixture.

use model::Arch;
use render::strace::{LineOptions, PidPrefix, Printer};
use syscalls::{decode_entry, decode_siginfo, Context, Entry, FakeMemory, NoMemory, Options};

const GOLDEN: &str =
    include_str!("../../../tests/fixtures/golden/files_net-go1.27-linux-amd64.strace.txt");

/// Pids differ between golden runs; every number of 5+ digits becomes `N`
/// (all pids in these runs have five digits, so padding is unchanged).
fn norm(s: &str) -> String {
    let mut out = String::new();
    let mut digits = String::new();
    for c in s.chars().chain(std::iter::once('\0')) {
        if c.is_ascii_digit() {
            digits.push(c);
            continue;
        }
        if digits.len() >= 5 {
            out.push_str(&"N".repeat(digits.len()));
        } else {
            out.push_str(&digits);
        }
        digits.clear();
        if c != '\0' {
            out.push(c);
        }
    }
    out
}

fn golden_has(line: &str) {
    let want = norm(line);
    assert!(
        GOLDEN.lines().any(|l| norm(l) == want),
        "not in golden: {line}"
    );
}

fn bare() -> Printer {
    Printer::new(LineOptions {
        prefix: PidPrefix::Bare,
        ..Default::default()
    })
}

#[test]
fn sigurg_siginfo_line() {
    let mut raw = [0u8; 128];
    raw[0..4].copy_from_slice(&23i32.to_le_bytes());
    raw[8..12].copy_from_slice(&(-6i32).to_le_bytes());
    raw[16..20].copy_from_slice(&19568i32.to_le_bytes());
    let sig = decode_siginfo(Arch::Amd64, &raw);
    let line = bare().signal(19568, &sig, None);
    // Seen in a strace 6.1 run of files_net (SIGURG timing varies by run).
    assert_eq!(
        line,
        "19568 --- SIGURG {si_signo=SIGURG, si_code=SI_TKILL, si_pid=19568, si_uid=0} ---\n"
    );
}

#[test]
fn rt_sigreturn_reads_mask_from_signal_frame() {
    let mut mem = FakeMemory::new();
    mem.map(0x7000 + 296, vec![0u8; 8]);
    let opts = Options::default();
    let ctx = Context {
        arch: Arch::Amd64,
        mem: &mem,
        opts: &opts,
        fd_path: None,
    };
    let p = decode_entry(
        &ctx,
        &Entry {
            nr: 15,
            args: [0; 6],
            sp: 0x7000,
        },
    );
    let call = syscalls::decode_exit(&ctx, p, 0);
    let line = bare().line(19568, &call, None, None);
    assert_eq!(line, "19568 rt_sigreturn({mask=[]})           = 0\n");
}

#[test]
fn exit_group_never_returns() {
    let opts = Options::default();
    let ctx = Context {
        arch: Arch::Amd64,
        mem: &NoMemory,
        opts: &opts,
        fd_path: None,
    };
    let p = decode_entry(
        &ctx,
        &Entry {
            nr: 231,
            args: [7, 0, 0, 0, 0, 0],
            sp: 0,
        },
    );
    let mut printer = bare();
    let mut text = printer.entry(19574, p.call(), None);
    text += &printer.signal(19568, &decode_siginfo(Arch::Amd64, &[0; 16]), None);
    text += &printer.exit(19574, &p.abandon(), None, None);
    let lines: Vec<&str> = text.lines().collect();
    golden_has(lines[0]);
    golden_has(lines[2]);
}

#[test]
fn nanosleep_cut_by_exit_prints_unfinished() {
    let mut mem = FakeMemory::new();
    mem.map(
        0x1000,
        [0u64.to_le_bytes(), 20000u64.to_le_bytes()].concat(),
    );
    let opts = Options::default();
    let ctx = Context {
        arch: Arch::Amd64,
        mem: &mem,
        opts: &opts,
        fd_path: None,
    };
    let p = decode_entry(
        &ctx,
        &Entry {
            nr: 35,
            args: [0x1000, 0, 0, 0, 0, 0],
            sp: 0,
        },
    );
    let mut printer = bare();
    let first = printer.entry(19569, p.call(), None);
    let other = decode_entry(
        &ctx,
        &Entry {
            nr: 39,
            args: [0; 6],
            sp: 0,
        },
    );
    let between = printer.entry(19568, other.call(), None);
    let second = printer.exit(19569, &p.abandon(), None, None);
    let text = first + &between + &second;
    assert_eq!(
        text,
        "19569 nanosleep({tv_sec=0, tv_nsec=20000},  <unfinished ...>\n\
         19568 getpid( <unfinished ...>\n\
         19569 <... nanosleep resumed> <unfinished ...>) = ?\n"
    );
}

#[test]
fn fd_paths_with_y() {
    let mut mem = FakeMemory::new();
    mem.map(0x1000, b"hi\n".to_vec());
    let opts = Options::default();
    let resolve = |fd: i32| (fd == 1).then(|| "/dev/pts/0".to_string());
    let ctx = Context {
        arch: Arch::Amd64,
        mem: &mem,
        opts: &opts,
        fd_path: Some(&resolve),
    };
    let p = decode_entry(
        &ctx,
        &Entry {
            nr: 1,
            args: [1, 0x1000, 3, 0, 0, 0],
            sp: 0,
        },
    );
    let call = syscalls::decode_exit(&ctx, p, 3);
    assert_eq!(
        render::strace::format_call(&call),
        "write(1</dev/pts/0>, \"hi\\n\", 3) = 3"
    );
}

#[test]
fn unknown_syscalls_print_raw_hex() {
    let opts = Options::default();
    let ctx = Context {
        arch: Arch::Amd64,
        mem: &NoMemory,
        opts: &opts,
        fd_path: None,
    };
    let p = decode_entry(
        &ctx,
        &Entry {
            nr: 0x1ff,
            args: [1, 2, 3, 4, 5, 6],
            sp: 0,
        },
    );
    let call = syscalls::decode_exit(&ctx, p, -38);
    assert_eq!(
        render::strace::format_call(&call),
        "syscall_0x1ff(0x1, 0x2, 0x3, 0x4, 0x5, 0x6) = -1 ENOSYS (Function not implemented)"
    );
}

#[test]
fn trace_sets() {
    let file = syscalls::parse_trace_set(Arch::Amd64, "%file").unwrap();
    assert!(file.contains(&257) && !file.contains(&0));
    let not_net = syscalls::parse_trace_set(Arch::Amd64, "!%net").unwrap();
    assert!(!not_net.contains(&41) && not_net.contains(&0));
    assert!(syscalls::parse_trace_set(Arch::Amd64, "nosuch").is_err());
    assert_eq!(
        syscalls::parse_trace_set(Arch::Arm64, "openat")
            .unwrap()
            .into_iter()
            .collect::<Vec<_>>(),
        vec![56]
    );
}

/// stat modes with the set-id and sticky bits print them by name, as strace
/// does for /tmp: `S_IFDIR|S_ISVTX|0777`.
#[test]
fn sticky_directory_mode() {
    use syscalls::{decode_entry, decode_exit, Context, Entry, FakeMemory, Options};
    let mut mem = FakeMemory::new();
    mem.map_cstr(0x1000, "/tmp");
    let mut st = vec![0u8; 144];
    st[24..28].copy_from_slice(&0o41777u32.to_le_bytes());
    mem.map(0x2000, st);
    let opts = Options::default();
    let ctx = Context {
        arch: model::Arch::Amd64,
        mem: &mem,
        opts: &opts,
        fd_path: None,
    };
    // newfstatat(AT_FDCWD, "/tmp", buf, 0)
    let p = decode_entry(
        &ctx,
        &Entry {
            nr: 262,
            args: [(-100i64) as u64, 0x1000, 0x2000, 0, 0, 0],
            sp: 0,
        },
    );
    let call = decode_exit(&ctx, p, 0);
    let text = render::strace::format_args(&call);
    assert!(text.contains("st_mode=S_IFDIR|S_ISVTX|0777"), "{text}");
}
