/* A non-leader thread calls execve while the leader blocks in pause():
 * the kernel gives the executing thread the leader's tid. */
#include <pthread.h>
#include <unistd.h>

static char *const argv_true[] = {"true", 0};

static void *run(void *arg) {
    (void)arg;
    execv("/bin/true", argv_true);
    return 0;
}

int main(void) {
    pthread_t t;
    pthread_create(&t, 0, run, 0);
    pause();
    return 1;
}
