// Usage: quiet OUT [own]. Makes one getppid, then 20,000 more, then writes
// to OUT the seccomp filter count the kernel lists for it. With "own", it
// first installs a seccomp filter of its own (allow everything), which a
// tracer must leave working.
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

int main(int argc, char **argv) {
    if (argc > 2 && strcmp(argv[2], "own") == 0) {
        struct sock_filter allow[] = {BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW)};
        struct sock_fprog prog = {1, allow};
        if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) ||
            prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog)) {
            perror("seccomp");
            return 3;
        }
    }
    getppid();
    for (int i = 0; i < 20000; i++) getppid();
    FILE *in = fopen("/proc/self/status", "r");
    FILE *out = fopen(argv[1], "w");
    char line[256];
    while (in && out && fgets(line, sizeof line, in))
        if (strncmp(line, "Seccomp_filters:", 16) == 0) fputs(line, out);
    return out ? 0 : 4;
}
