/* Calls every x86_64 syscall number once with zero arguments behind a
 * seccomp filter that fails each one with ENOSYS, so nothing runs for
 * real. Traced by gen.sh with strace's raw and class filters to learn
 * each syscall's argument count and classes. */
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(int argc, char **argv) {
	struct sock_filter f[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_exit_group, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | 38),
	};
	struct sock_fprog prog = {sizeof f / sizeof f[0], f};
	int max = argc > 1 ? atoi(argv[1]) : 470;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 ||
	    prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) != 0)
		return 2;
	/* 335..423 are unassigned on x86_64 (the 32-bit time64 range). */
	for (long nr = 0; nr <= max; nr++)
		if (nr != SYS_exit_group && (nr < 335 || nr > 423))
			syscall(nr, 0L, 0L, 0L, 0L, 0L, 0L);
	syscall(SYS_exit_group, 0);
	return 0;
}
