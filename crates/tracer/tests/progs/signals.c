/* Sends itself SIGUSR1 (handled), stops itself with SIGSTOP (continued by
 * a child after a moment), reaps the child (SIGCHLD), then exits with
 * code 7. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

static void on_usr1(int s) { (void)s; }

int main(void) {
    signal(SIGUSR1, on_usr1);
    raise(SIGUSR1);
    pid_t self = getpid();
    pid_t child = fork();
    if (child == 0) {
        usleep(100000);
        kill(self, SIGCONT);
        _exit(0);
    }
    raise(SIGSTOP);
    puts("continued");
    /* Reap the child so its SIGCHLD always reaches us before we exit. */
    waitpid(child, NULL, 0);
    exit(7);
}
