/* Thread storm: WAVES waves of THREADS threads; thread i of wave w calls
 * getppid() (1 + (w*THREADS+i) % 7) times, then exits. Prints one line per
 * thread, "tid T getppid N", to the file named by the third argument (or
 * stdout), so a tracer's per-thread counts can be checked against the
 * program's own. */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

struct job { int n; long tid; };

static void *work(void *arg) {
    struct job *j = arg;
    j->tid = syscall(SYS_gettid);
    for (int k = 0; k < j->n; k++)
        syscall(SYS_getppid);
    return NULL;
}

int main(int argc, char **argv) {
    int waves = argc > 1 ? atoi(argv[1]) : 20;
    int threads = argc > 2 ? atoi(argv[2]) : 20;
    struct job *jobs = calloc((size_t)waves * threads, sizeof *jobs);
    pthread_t *ids = calloc(threads, sizeof *ids);
    for (int w = 0; w < waves; w++) {
        for (int i = 0; i < threads; i++) {
            jobs[w * threads + i].n = 1 + (w * threads + i) % 7;
            if (pthread_create(&ids[i], NULL, work, &jobs[w * threads + i]) != 0)
                return 2;
        }
        for (int i = 0; i < threads; i++)
            pthread_join(ids[i], NULL);
    }
    FILE *out = argc > 3 ? fopen(argv[3], "w") : stdout;
    if (!out)
        return 3;
    for (int j = 0; j < waves * threads; j++)
        fprintf(out, "tid %ld getppid %d\n", jobs[j].tid, jobs[j].n);
    fclose(out);
    return 0;
}
