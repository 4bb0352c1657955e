//! Calls that need no tracee memory, decoded from their registers and
//! compared with the line real strace 6.1 printed for the same registers
//! (each case names how it was made: a call from strace's own test suite,
//! or `syscall(2)` issued by hand under `strace`). They pin strace's general
//! printing rules: C widths of int arguments, `NULL`, named constants and
//! the `0x10 /* RLIMIT_??? */` form of values no name covers.

use model::Arch;
use render::strace::format_call;
use syscalls::{decode_entry, decode_exit, Context, Entry, FakeMemory, Options};

/// The line for syscall `name` entered with `args` and returning `ret`,
/// with one space before `=` (strace pads to a column, which is not what
/// these cases check).
fn line(name: &str, args: &[u64], ret: i64) -> String {
    line_with(&FakeMemory::new(), name, args, ret)
}

/// [`line`] for a call whose pointer arguments point into `mem`.
fn line_with(mem: &FakeMemory, name: &str, args: &[u64], ret: i64) -> String {
    let table = syscalls::table(Arch::Amd64).unwrap();
    let nr = table.iter().find(|s| s.name == name).unwrap().nr;
    let mut entry = Entry {
        nr,
        ..Entry::default()
    };
    entry.args[..args.len()].copy_from_slice(args);
    let opts = Options::default();
    let ctx = Context {
        arch: Arch::Amd64,
        mem,
        opts: &opts,
        fd_path: None,
    };
    format_call(&decode_exit(&ctx, decode_entry(&ctx, &entry), ret))
}

const EBADF: i64 = -9;
const ESRCH: i64 = -3;
const EINVAL: i64 = -22;
const EFAULT: i64 = -14;

/// strace's tests fill the unused high half of int arguments with this.
const FILL: u64 = 0x0def_aced_0000_0000;

#[test]
fn int_arguments_use_their_low_32_bits() {
    // tests/dup3.c, k_dup3(-1, -2, O_CLOEXEC)
    assert_eq!(
        line(
            "dup3",
            &[FILL | 0xffff_ffff, FILL | 0xffff_fffe, FILL | 0o2000000],
            EBADF
        ),
        "dup3(-1, -2, O_CLOEXEC) = -1 EBADF (Bad file descriptor)"
    );
    // tests/epoll_ctl.c: invoke_syscall(-1UL, EPOLL_CTL_MOD, -16UL, 0), op
    // with F8ILL_KULONG_MASK in its high half
    assert_eq!(
        line(
            "epoll_ctl",
            &[u64::MAX, 0xffff_ffff_0000_0003, 0xffff_fff0, 0],
            EFAULT
        ),
        "epoll_ctl(-1, EPOLL_CTL_MOD, -16, NULL) = -1 EFAULT (Bad address)"
    );
    // syscall(__NR_kill, FILL | 999999, FILL | 14) under strace
    assert_eq!(
        line("kill", &[FILL | 999_999, FILL | 14], ESRCH),
        "kill(999999, SIGALRM) = -1 ESRCH (No such process)"
    );
}

#[test]
fn values_without_a_name_print_with_the_tables_unknown_comment() {
    // tests/prlimit64.c: syscall(__NR_prlimit64, 0, 16, 0, 0)
    assert_eq!(
        line("prlimit64", &[0, 16, 0, 0], EINVAL),
        "prlimit64(0, 0x10 /* RLIMIT_??? */, NULL, NULL) = -1 EINVAL (Invalid argument)"
    );
    // the rest: syscall(2) with these registers under strace 6.1
    assert_eq!(
        line("lseek", &[0xffff_ffff, 0, 0xdead_beef_0000_0010], EBADF),
        "lseek(-1, 0, 0x10 /* SEEK_??? */) = -1 EBADF (Bad file descriptor)"
    );
    assert_eq!(
        line("fcntl", &[0xffff_ffff, 0xbadc_0ded, 0], EBADF),
        "fcntl(-1, 0xbadc0ded /* F_??? */, 0) = -1 EBADF (Bad file descriptor)"
    );
    assert_eq!(
        line("madvise", &[0, 0, 0xdead_beef_0000_0063], EINVAL),
        "madvise(NULL, 0, 0x63 /* MADV_??? */) = -1 EINVAL (Invalid argument)"
    );
}

#[test]
fn flags_with_no_named_bit_print_the_unknown_comment() {
    assert_eq!(
        line("getrandom", &[0, 0, 0x3000], EINVAL),
        "getrandom(NULL, 0, 0x3000 /* GRND_??? */) = -1 EINVAL (Invalid argument)"
    );
    assert_eq!(
        line("pipe2", &[0, FILL | 0x4000_0000], EINVAL),
        "pipe2(NULL, 0x40000000 /* O_??? */) = -1 EINVAL (Invalid argument)"
    );
    assert_eq!(
        line("epoll_create1", &[FILL | 0x4000_0000], EINVAL),
        "epoll_create1(0x40000000 /* EPOLL_??? */) = -1 EINVAL (Invalid argument)"
    );
    assert_eq!(
        line("eventfd2", &[0, FILL | 2], EINVAL),
        "eventfd2(0, 0x2 /* EFD_??? */) = -1 EINVAL (Invalid argument)"
    );
    // named bits keep the leftover in hex, without a comment (tests/getrandom.c)
    assert_eq!(
        line("getrandom", &[0x1000, 4, 0x3003], EINVAL),
        "getrandom(0x1000, 4, GRND_NONBLOCK|GRND_RANDOM|0x3000) = -1 EINVAL (Invalid argument)"
    );
}

#[test]
fn modes_print_as_the_kernels_16_bit_umode_t() {
    // syscall(2) with these registers under strace 6.1
    assert_eq!(
        line("mkdir", &[0, u64::MAX], EFAULT),
        "mkdir(NULL, 0177777) = -1 EFAULT (Bad address)"
    );
    assert_eq!(
        line(
            "mkdirat",
            &[FILL | 0xffff_ff9c, 0, 0xdead_beef_ffff_ffff],
            EFAULT
        ),
        "mkdirat(AT_FDCWD, NULL, 0177777) = -1 EFAULT (Bad address)"
    );
    assert_eq!(
        line(
            "openat",
            &[FILL | 0xffff_ff9c, 0, 0o100, FILL | 0x1ffff],
            EFAULT
        ),
        "openat(AT_FDCWD, NULL, O_RDONLY|O_CREAT, 0177777) = -1 EFAULT (Bad address)"
    );
    assert_eq!(
        line("creat", &[0, 0o1000644], EFAULT),
        "creat(NULL, 0644) = -1 EFAULT (Bad address)"
    );
}

#[test]
fn futex_arguments_follow_the_command() {
    const ENOSYS: i64 = -38;
    // syscall(__NR_futex, ...) with these registers under strace 6.1
    assert_eq!(
        line("futex", &[0, FILL, 0xfabc_deed, 0], EFAULT),
        "futex(NULL, FUTEX_WAIT, 4206681837, NULL) = -1 EFAULT (Bad address)"
    );
    assert_eq!(
        line("futex", &[0, FILL | 5, 1, 2, 0, 0x7cff_fabc], EFAULT),
        "futex(NULL, FUTEX_WAKE_OP, 1, 2, NULL, 0x7<<28 /* FUTEX_OP_??? */|0xfff<<12|\
         0xc<<24 /* FUTEX_OP_CMP_??? */|0xabc) = -1 EFAULT (Bad address)"
    );
    assert_eq!(
        line("futex", &[0, 5, 1, 2, 0, 0x1400_1002], EFAULT),
        "futex(NULL, FUTEX_WAKE_OP, 1, 2, NULL, FUTEX_OP_ADD<<28|0x1<<12|\
         FUTEX_OP_CMP_GT<<24|0x2) = -1 EFAULT (Bad address)"
    );
    assert_eq!(
        line("futex", &[0, 8, 0], EFAULT),
        "futex(NULL, FUTEX_TRYLOCK_PI) = -1 EFAULT (Bad address)"
    );
    assert_eq!(
        line("futex", &[0, 2, 7], ENOSYS),
        "futex(NULL, FUTEX_FD, 7) = -1 ENOSYS (Function not implemented)"
    );
    assert_eq!(
        line(
            "futex",
            &[0, 0x7e, 0xfabc_deed, 0x1000, 0x2000, 0xdead_beef],
            ENOSYS
        ),
        "futex(NULL, 0x7e /* FUTEX_??? */, 4206681837, 0x1000, 0x2000, 0xdeadbeef) \
         = -1 ENOSYS (Function not implemented)"
    );
}

#[test]
fn epoll_ctl_del_shows_its_event_pointer_whatever_the_high_half() {
    // tests/epoll_ctl.c: invoke_syscall(-3U, EPOLL_CTL_DEL, -4U, ev), op
    // with F8ILL_KULONG_MASK in its high half; strace reads no event for DEL
    assert_eq!(
        line(
            "epoll_ctl",
            &[
                0xffff_fffd,
                0xffff_ffff_0000_0002,
                0xffff_fffc,
                0x7fd5_f943_7ff4
            ],
            EBADF
        ),
        "epoll_ctl(-3, EPOLL_CTL_DEL, -4, 0x7fd5f9437ff4) = -1 EBADF (Bad file descriptor)"
    );
}

#[test]
fn fcntl_commands_decode_their_argument_and_result() {
    // syscall(__NR_fcntl, ...) with these registers under strace 6.1
    assert_eq!(
        line("fcntl", &[9, 1025], 2),
        "fcntl(9, F_GETLEASE) = 0x2 (F_UNLCK)"
    );
    assert_eq!(
        line("fcntl", &[0xffff_ffff, 10, FILL | 14], EBADF),
        "fcntl(-1, F_SETSIG, SIGALRM) = -1 EBADF (Bad file descriptor)"
    );
    assert_eq!(
        line("fcntl", &[0xffff_ffff, 1026, 0x8000_0001], EBADF),
        "fcntl(-1, F_NOTIFY, DN_ACCESS|DN_MULTISHOT) = -1 EBADF (Bad file descriptor)"
    );
    assert_eq!(
        line("fcntl", &[0xffff_ffff, 1024, FILL | 1], EBADF),
        "fcntl(-1, F_SETLEASE, 0xdefaced00000001 /* F_??? */) = -1 EBADF (Bad file descriptor)"
    );
    assert_eq!(
        line("fcntl", &[0xffff_ffff, 1033, FILL | 3], EBADF),
        "fcntl(-1, F_ADD_SEALS, F_SEAL_SEAL|F_SEAL_SHRINK|0xdefaced00000000) \
         = -1 EBADF (Bad file descriptor)"
    );
    assert_eq!(
        line("fcntl", &[0xffff_ffff, 1031, FILL | 0x1000], EBADF),
        "fcntl(-1, F_SETPIPE_SZ, 1004211375834140672) = -1 EBADF (Bad file descriptor)"
    );
    // tests/fcntl-common.c, test_f_owner_ex_type_pid(F_OWNER_TID, 1234567890)
    let mut mem = FakeMemory::new();
    let owner = [0u32.to_le_bytes(), 1_234_567_890u32.to_le_bytes()].concat();
    mem.map(0x7f39_fdc8_cff8, owner);
    assert_eq!(
        line_with(&mem, "fcntl", &[0, 15, 0x7f39_fdc8_cff8], 0),
        "fcntl(0, F_SETOWN_EX, {type=F_OWNER_TID, pid=1234567890}) = 0"
    );
}

#[test]
fn scalar_syscalls_print_each_argument_at_its_c_type() {
    // syscall(2) with these registers under strace 6.1
    assert_eq!(
        line("setuid", &[FILL | 0xffff_ffff], EINVAL),
        "setuid(-1) = -1 EINVAL (Invalid argument)"
    );
    assert_eq!(line("setuid", &[FILL], 0), "setuid(0) = 0");
    assert_eq!(line("alarm", &[FILL | 42], 0), "alarm(42) = 0");
    assert_eq!(
        line("chmod", &[0, FILL | 0o644], EFAULT),
        "chmod(NULL, 0644) = -1 EFAULT (Bad address)"
    );
    assert_eq!(
        line("chown", &[0, 0xffff_ffff, FILL | 5], EFAULT),
        "chown(NULL, -1, 5) = -1 EFAULT (Bad address)"
    );
    assert_eq!(
        line("setresuid", &[0xffff_fffe, 0xffff_ffff, FILL | 5], 0),
        "setresuid(4294967294, -1, 5) = 0"
    );
    assert_eq!(
        line("truncate", &[0, 0xdead_beef_ffff_fffe], EINVAL),
        "truncate(NULL, 16045690985392373758) = -1 EINVAL (Invalid argument)"
    );
    assert_eq!(
        line("getpgid", &[FILL | 0xffff_ffff], ESRCH),
        "getpgid(-1) = -1 ESRCH (No such process)"
    );
}

#[test]
fn more_scalar_syscalls_from_their_signatures() {
    // syscall(2) with these registers under strace 6.1
    assert_eq!(
        line("flock", &[0xdead_beef_ffff_ffff, FILL | 5], EBADF),
        "flock(-1, LOCK_SH|LOCK_NB) = -1 EBADF (Bad file descriptor)"
    );
    assert_eq!(
        line("flock", &[0xffff_ffff, 0x100], EINVAL),
        "flock(-1, 0x100 /* LOCK_??? */) = -1 EINVAL (Invalid argument)"
    );
    assert_eq!(line("acct", &[0], 0), "acct(NULL) = 0");
    assert_eq!(
        line("pivot_root", &[0, 0], EFAULT),
        "pivot_root(NULL, NULL) = -1 EFAULT (Bad address)"
    );
    assert_eq!(
        line(
            "inotify_rm_watch",
            &[0xdead_beef_ffff_ffff, FILL | 0xffff_ffff],
            EBADF
        ),
        "inotify_rm_watch(-1, -1) = -1 EBADF (Bad file descriptor)"
    );
}
