/* Makes one call of each syscall rabbithole decodes, recording for each
 * the registers, the result and the memory it touched, so a test can
 * replay the decoder on the same values and compare with the line strace
 * printed for the same call (record.sh pairs them up).
 *
 * All memory a call reads or writes lives in `arena`, so a snapshot of the
 * arena before and after each call is everything the decoder can see. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <linux/sched.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdarg.h>
#include <sys/random.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#define ARENA 16384
static unsigned char arena[ARENA] __attribute__((aligned(4096)));
static unsigned char image[ARENA]; /* arena as the log last described it */
static size_t top;
static char *out;
static size_t outlen, outcap;

static void emit(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void emit(const char *fmt, ...) {
	va_list ap;
	for (;;) {
		va_start(ap, fmt);
		int n = vsnprintf(out + outlen, outcap - outlen, fmt, ap);
		va_end(ap);
		if (n >= 0 && (size_t)n < outcap - outlen) {
			outlen += n;
			return;
		}
		outcap = outcap * 2 + 65536;
		out = realloc(out, outcap);
	}
}

/* Logs the arena bytes that differ from the last logged image. */
static void diff(char tag) {
	for (size_t i = 0; i < ARENA;) {
		if (arena[i] == image[i]) {
			i++;
			continue;
		}
		size_t j = i;
		while (j < ARENA && (arena[j] != image[j] || (j + 1 < ARENA && arena[j + 1] != image[j + 1])))
			j++;
		emit("%c %zu ", tag, i);
		for (size_t k = i; k < j; k++)
			emit("%02x", arena[k]);
		emit("\n");
		memcpy(image + i, arena + i, j - i);
		i = j;
	}
}

static void *alloc(size_t n) {
	top = (top + 7) & ~(size_t)7;
	void *p = arena + top;
	top += n;
	if (top > ARENA)
		abort();
	return p;
}

static char *S(const char *s) {
	char *p = alloc(strlen(s) + 1);
	strcpy(p, s);
	return p;
}

static long call(long nr, long a, long b, long c, long d, long e, long f) {
	emit("= %ld %lx %lx %lx %lx %lx %lx\n", nr, a, b, c, d, e, f);
	diff('E');
	long r = syscall(nr, a, b, c, d, e, f);
	long raw = r == -1 ? -errno : r;
	diff('X');
	emit("R %ld\n", raw);
	return r;
}
#define C0(nr) call(nr, 0, 0, 0, 0, 0, 0)
#define C1(nr, a) call(nr, (long)(a), 0, 0, 0, 0, 0)
#define C2(nr, a, b) call(nr, (long)(a), (long)(b), 0, 0, 0, 0)
#define C3(nr, a, b, c) call(nr, (long)(a), (long)(b), (long)(c), 0, 0, 0)
#define C4(nr, a, b, c, d) call(nr, (long)(a), (long)(b), (long)(c), (long)(d), 0, 0)
#define C5(nr, a, b, c, d, e) call(nr, (long)(a), (long)(b), (long)(c), (long)(d), (long)(e), 0)
#define C6(nr, a, b, c, d, e, f) call(nr, (long)(a), (long)(b), (long)(c), (long)(d), (long)(e), (long)(f))

struct kact { void *handler; unsigned long flags; void *restorer; uint64_t mask; };
static void on_usr1(int sig) { (void)sig; }

int main(int argc, char **argv) {
	if (argc < 3)
		return 2;
	const char *dir = argv[2];
	emit("B %lx\n", (unsigned long)arena);
	syscall(SYS_getpgid, 999999); /* start marker */

	/* files */
	char *path = S(dir), *file = alloc(256), *file2 = alloc(256), *sub = alloc(256), *link = alloc(256);
	snprintf(file, 256, "%s/data.txt", dir);
	snprintf(file2, 256, "%s/renamed.txt", dir);
	snprintf(sub, 256, "%s/sub", dir);
	snprintf(link, 256, "%s/link", dir);
	C3(SYS_mkdirat, AT_FDCWD, sub, 0750);
	int fd = C4(SYS_openat, AT_FDCWD, file, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	char *hello = S("hello, world\n\twith \"quotes\" and \\ and \x01\x7f\xff bytes that run past the limit\n");
	C3(SYS_write, fd, hello, strlen(hello));
	C4(SYS_pwrite64, fd, S("XYZ"), 3, 7);
	C3(SYS_lseek, fd, 0, SEEK_SET);
	char *buf = alloc(128);
	C3(SYS_read, fd, buf, 128);
	C4(SYS_pread64, fd, buf, 5, 2);
	C3(SYS_read, fd, buf, 128); /* EOF */
	struct iovec *iov = alloc(2 * sizeof *iov);
	iov[0].iov_base = S("abc"); iov[0].iov_len = 3;
	iov[1].iov_base = S("defg"); iov[1].iov_len = 4;
	C3(SYS_writev, fd, iov, 2);
	C3(SYS_lseek, fd, -7, SEEK_END);
	char *b1 = alloc(4), *b2 = alloc(8);
	iov[0].iov_base = b1; iov[0].iov_len = 4;
	iov[1].iov_base = b2; iov[1].iov_len = 8;
	C3(SYS_readv, fd, iov, 2);
	struct stat *st = alloc(sizeof *st);
	C2(SYS_fstat, fd, st);
	C2(SYS_stat, file, st);
	C2(SYS_lstat, path, st);
	C4(SYS_newfstatat, AT_FDCWD, file, st, 0);
	C4(SYS_newfstatat, fd, S(""), st, AT_EMPTY_PATH);
	C4(SYS_newfstatat, AT_FDCWD, S("/nonexistent"), st, AT_SYMLINK_NOFOLLOW);
	void *stx = alloc(256);
	C5(SYS_statx, AT_FDCWD, file, AT_STATX_SYNC_AS_STAT, 0xfff, stx);
	C5(SYS_statx, AT_FDCWD, S("/nonexistent"), AT_SYMLINK_NOFOLLOW, 0x7ff, stx);
	C2(SYS_access, file, R_OK | W_OK);
	C2(SYS_access, S("/nonexistent"), F_OK);
	C4(SYS_faccessat2, AT_FDCWD, file, X_OK, AT_EACCESS);
	C1(SYS_close, C3(SYS_open, file, O_RDONLY, 0));
	C3(SYS_open, S("/nonexistent/x"), O_WRONLY | O_CREAT | O_EXCL, 0600);
	C4(SYS_openat, AT_FDCWD, S("/"), O_RDONLY | O_DIRECTORY | O_NONBLOCK, 0);
	int dfd = 4;
	char *dents = alloc(2048);
	C3(SYS_getdents64, dfd, dents, 2048);
	C3(SYS_getdents64, dfd, dents, 2048);
	C1(SYS_close, dfd);
	char *cwd = alloc(256);
	C2(SYS_getcwd, cwd, 256);
	C1(SYS_chdir, path);
	C1(SYS_chdir, S("/nonexistent"));
	C4(SYS_renameat2, AT_FDCWD, file, AT_FDCWD, file2);
	C5(SYS_renameat2, AT_FDCWD, file2, AT_FDCWD, file, RENAME_NOREPLACE);
	C2(SYS_symlink, S("data.txt"), link);
	char *lbuf = alloc(64);
	C4(SYS_readlinkat, AT_FDCWD, link, lbuf, 64);
	C4(SYS_readlinkat, AT_FDCWD, file, lbuf, 64);
	C3(SYS_unlinkat, AT_FDCWD, link, 0);
	C3(SYS_unlinkat, AT_FDCWD, sub, AT_REMOVEDIR);
	int newfd = C1(SYS_dup, fd);
	C2(SYS_dup2, newfd, 20);
	C3(SYS_dup3, newfd, 21, O_CLOEXEC);
	C2(SYS_fcntl, fd, F_GETFD);
	C3(SYS_fcntl, fd, F_SETFD, FD_CLOEXEC);
	C2(SYS_fcntl, fd, F_GETFL);
	C3(SYS_fcntl, fd, F_SETFL, O_RDWR | O_NONBLOCK | O_APPEND);
	C3(SYS_fcntl, fd, F_DUPFD_CLOEXEC, 30);
	struct flock *fl = alloc(sizeof *fl);
	fl->l_type = F_WRLCK; fl->l_whence = SEEK_SET; fl->l_start = 0; fl->l_len = 10;
	C3(SYS_fcntl, fd, F_SETLK, fl);
	C3(SYS_fcntl, fd, F_GETLK, fl);
	C2(SYS_fcntl, 99, F_GETFD);
	int *pfd = alloc(8);
	C2(SYS_pipe2, pfd, O_CLOEXEC | O_NONBLOCK);
	int *nread = alloc(4);
	C3(SYS_ioctl, pfd[0], FIONREAD, nread);
	C3(SYS_ioctl, fd, TCGETS, alloc(64));
	struct winsize *ws = alloc(sizeof *ws);
	C3(SYS_ioctl, fd, TIOCGWINSZ, ws);
	int *one = alloc(4);
	*one = 1;
	C3(SYS_ioctl, pfd[0], FIONBIO, one);
	int ptm = C3(SYS_openat, AT_FDCWD, S("/dev/ptmx"), O_RDWR | O_NOCTTY);
	if (ptm >= 0) {
		C3(SYS_ioctl, ptm, TCGETS, alloc(64));
		ws = alloc(sizeof *ws);
		ws->ws_row = 24; ws->ws_col = 80;
		C3(SYS_ioctl, ptm, TIOCSWINSZ, ws);
		C3(SYS_ioctl, ptm, TIOCGWINSZ, ws);
		C3(SYS_ioctl, ptm, TIOCGPTN, alloc(4));
	}

	/* memory */
	long m = C6(SYS_mmap, 0, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	C3(SYS_mprotect, m, 4096, PROT_READ);
	C3(SYS_madvise, m, 8192, MADV_DONTNEED);
	*(volatile char *)(m + 4096) = 1;
	unsigned char *vec = alloc(2);
	C3(SYS_mincore, m, 8192, vec);
	C2(SYS_munmap, m, 8192);
	C6(SYS_mmap, 0x10000, 4096, PROT_READ, MAP_SHARED | MAP_FIXED_NOREPLACE, fd, 0);
	C1(SYS_brk, 0);

	/* signals */
	struct kact *act = alloc(sizeof *act), *oact = alloc(sizeof *oact);
	act->handler = on_usr1;
	act->flags = SA_RESTART | 0x04000000 /* SA_RESTORER */;
	act->restorer = 0;
	act->mask = (1ull << (SIGINT - 1)) | (1ull << (SIGTERM - 1));
	C4(SYS_rt_sigaction, SIGUSR1, 0, oact, 8);
	act->flags = SA_RESTART | SA_ONSTACK | SA_SIGINFO;
	C4(SYS_rt_sigaction, SIGUSR2, act, oact, 8);
	act->handler = SIG_IGN;
	act->mask = ~0ull;
	act->flags = 0;
	C4(SYS_rt_sigaction, SIGPIPE, act, 0, 8);
	uint64_t *set = alloc(8), *oset = alloc(8);
	*set = (1ull << (SIGCHLD - 1)) | (1ull << 33);
	C4(SYS_rt_sigprocmask, SIG_BLOCK, set, oset, 8);
	C4(SYS_rt_sigprocmask, SIG_SETMASK, oset, 0, 8);
	*set = ~0ull & ~(1ull << (SIGKILL - 1));
	C4(SYS_rt_sigprocmask, SIG_UNBLOCK, set, 0, 8);
	stack_t *ss = alloc(sizeof *ss), *oss = alloc(sizeof *oss);
	ss->ss_sp = alloc(1); ss->ss_size = 65536; ss->ss_flags = 0;
	C2(SYS_sigaltstack, 0, oss);
	C2(SYS_sigaltstack, ss, oss);
	int pid = C0(SYS_getpid), tid = C0(SYS_gettid);
	C2(SYS_kill, pid, 0);
	C3(SYS_tgkill, pid, tid, 0);
	C2(SYS_kill, 999999999, SIGTERM);

	/* processes */
	C0(SYS_getpid);
	C0(SYS_getppid);
	C0(SYS_gettid);
	C0(SYS_sched_yield);
	long child = C0(SYS_fork);
	if (child == 0)
		syscall(SYS_exit_group, 3);
	int *status = alloc(4);
	C4(SYS_wait4, child, status, 0, 0);
	child = C5(SYS_clone, SIGCHLD, 0, 0, 0, 0);
	if (child == 0)
		syscall(SYS_exit_group, 0);
	C4(SYS_wait4, -1, status, __WALL, 0);
	struct clone_args *ca = alloc(sizeof *ca);
	memset(ca, 0, sizeof *ca);
	ca->exit_signal = SIGCHLD;
	child = C2(SYS_clone3, ca, sizeof *ca);
	if (child == 0)
		syscall(SYS_exit_group, 0);
	C4(SYS_wait4, child, 0, WNOHANG, 0);
	C4(SYS_wait4, child, 0, 0, 0);
	char **av = alloc(3 * sizeof(char *));
	av[0] = S("/nonexistent/prog"); av[1] = S("arg one"); av[2] = 0;
	char **ev = alloc(3 * sizeof(char *));
	ev[0] = S("A=1"); ev[1] = S("B=2"); ev[2] = 0;
	C3(SYS_execve, av[0], av, ev);
	C5(SYS_execveat, AT_FDCWD, av[0], av, ev, 0);

	/* time, scheduling, misc */
	struct timespec *ts = alloc(sizeof *ts), *ts2 = alloc(sizeof *ts2);
	ts->tv_sec = 0; ts->tv_nsec = 1000;
	C2(SYS_nanosleep, ts, 0);
	C4(SYS_clock_nanosleep, CLOCK_MONOTONIC, 0, ts, ts2);
	C2(SYS_clock_gettime, CLOCK_MONOTONIC, ts2);
	C2(SYS_clock_gettime, CLOCK_REALTIME, ts2);
	unsigned long *mask = alloc(128);
	C3(SYS_sched_getaffinity, 0, 128, mask);
	int *word = alloc(4);
	*word = 0;
	C3(SYS_futex, word, FUTEX_WAKE_PRIVATE, 1);
	C4(SYS_futex, word, FUTEX_WAIT_PRIVATE, 1, ts);
	C6(SYS_futex, word, FUTEX_WAIT_BITSET | FUTEX_CLOCK_REALTIME, 1, 0, 0, FUTEX_BITSET_MATCH_ANY);
	void *uts = alloc(390);
	C1(SYS_uname, uts);
	struct rlimit *rl = alloc(sizeof *rl);
	C4(SYS_prlimit64, 0, RLIMIT_NOFILE, 0, rl);
	C4(SYS_prlimit64, 0, RLIMIT_STACK, rl + 0, 0);
	unsigned long *fsbase = alloc(8);
	C2(SYS_arch_prctl, 0x1003 /* ARCH_GET_FS */, fsbase);
	C1(SYS_set_tid_address, alloc(4));
	void *robust = alloc(24);
	C2(SYS_set_robust_list, robust, 24);
	C4(SYS_rseq, alloc(32), 32, 0, 0x53053053);
	int ep = C1(SYS_epoll_create1, EPOLL_CLOEXEC);
	struct epoll_event *ev1 = alloc(sizeof *ev1 * 4);
	ev1->events = EPOLLIN | EPOLLET; ev1->data.u64 = 0x100000003;
	C4(SYS_epoll_ctl, ep, EPOLL_CTL_ADD, pfd[0], ev1);
	C4(SYS_epoll_ctl, ep, EPOLL_CTL_DEL, pfd[0], ev1);
	ev1->events = EPOLLOUT; ev1->data.u64 = 7;
	C4(SYS_epoll_ctl, ep, EPOLL_CTL_ADD, pfd[1], ev1);
	C6(SYS_epoll_pwait, ep, ev1, 4, 0, 0, 8);
	C6(SYS_epoll_pwait, ep, ev1, 4, 0, 0, 8);
	C2(SYS_eventfd2, 0, EFD_CLOEXEC | EFD_NONBLOCK);
	unsigned char *rnd = alloc(8);
	C3(SYS_getrandom, rnd, 8, GRND_NONBLOCK);
	C2(SYS_prctl, PR_SET_NAME, S("probe-name"));
	char *pname = alloc(16);
	C2(SYS_prctl, PR_GET_NAME, pname);
	C2(SYS_prctl, PR_SET_PDEATHSIG, SIGKILL);
	C5(SYS_prctl, PR_GET_DUMPABLE, 0, 0, 0, 0);
	void *si = alloc(128);
	C1(SYS_sysinfo, si);

	/* sockets */
	int s = C3(SYS_socket, AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	struct sockaddr_in *sin = alloc(sizeof *sin);
	sin->sin_family = AF_INET; sin->sin_port = 0; sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	C3(SYS_bind, s, sin, sizeof *sin);
	socklen_t *alen = alloc(4);
	*alen = sizeof *sin;
	C3(SYS_getsockname, s, sin, alen);
	char *msg = S("datagram");
	C6(SYS_sendto, s, msg, 8, 0, sin, sizeof *sin);
	struct sockaddr_in *from = alloc(sizeof *from);
	*alen = sizeof *from;
	char *rbuf = alloc(64);
	C6(SYS_recvfrom, s, rbuf, 64, 0, from, alen);
	struct msghdr *mh = alloc(sizeof *mh);
	struct iovec *miov = alloc(sizeof *miov);
	miov->iov_base = S("via sendmsg"); miov->iov_len = 11;
	memset(mh, 0, sizeof *mh);
	mh->msg_name = sin; mh->msg_namelen = sizeof *sin; mh->msg_iov = miov; mh->msg_iovlen = 1;
	C3(SYS_sendmsg, s, mh, 0);
	miov->iov_base = rbuf; miov->iov_len = 64;
	mh->msg_name = from; mh->msg_namelen = sizeof *from;
	C3(SYS_recvmsg, s, mh, 0);
	C6(SYS_recvfrom, s, rbuf, 64, MSG_DONTWAIT, 0, 0);
	int t = C3(SYS_socket, AF_INET, SOCK_STREAM | SOCK_NONBLOCK, IPPROTO_TCP);
	*one = 1;
	C5(SYS_setsockopt, t, SOL_SOCKET, SO_REUSEADDR, one, 4);
	C5(SYS_setsockopt, t, IPPROTO_TCP, TCP_NODELAY, one, 4);
	sin->sin_port = 0;
	C3(SYS_bind, t, sin, sizeof *sin);
	C2(SYS_listen, t, 16);
	*alen = sizeof *sin;
	C3(SYS_getsockname, t, sin, alen);
	int c2 = C3(SYS_socket, AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	C3(SYS_connect, c2, sin, sizeof *sin);
	struct pollfd *pf = alloc(sizeof *pf);
	pf->fd = c2; pf->events = POLLOUT;
	C3(SYS_poll, pf, 1, 1000);
	int *ival = alloc(4);
	socklen_t *ilen = alloc(4);
	*ilen = 4;
	C5(SYS_getsockopt, c2, SOL_SOCKET, SO_ERROR, ival, ilen);
	*alen = sizeof *from;
	int a = C4(SYS_accept4, t, from, alen, SOCK_CLOEXEC);
	*alen = sizeof *from;
	C3(SYS_getpeername, a, from, alen);
	*alen = sizeof *from;
	C3(SYS_getpeername, t, from, alen);
	C2(SYS_shutdown, a, SHUT_WR);
	struct sockaddr_un *sun = alloc(sizeof *sun);
	sun->sun_family = AF_UNIX;
	snprintf(sun->sun_path, sizeof sun->sun_path, "%s/sock", dir);
	int u = C3(SYS_socket, AF_UNIX, SOCK_STREAM, 0);
	C3(SYS_bind, u, sun, offsetof(struct sockaddr_un, sun_path) + strlen(sun->sun_path) + 1);
	struct sockaddr_in6 *s6 = alloc(sizeof *s6);
	memset(s6, 0, sizeof *s6);
	s6->sin6_family = AF_INET6; s6->sin6_port = htons(443); s6->sin6_addr.s6_addr[15] = 1;
	int six = C3(SYS_socket, AF_INET6, SOCK_DGRAM, 0);
	C3(SYS_connect, six, s6, sizeof *s6);

	syscall(SYS_getpgid, 999998); /* end marker */
	FILE *f = fopen(argv[1], "w");
	if (!f)
		return 1;
	fwrite(out, 1, outlen, f);
	fclose(f);
	return 0;
}
