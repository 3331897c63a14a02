/* What the C benchmarks share: the monotonic clock, medians, failing loudly, and the baseline
 * every spawning row is compared with (posix_spawn with stdout piped, read to EOF, waitpid).
 * Include it after defining _GNU_SOURCE (for pipe2), before any other header. */
#ifndef PC_BENCH_COMMON_H
#define PC_BENCH_COMMON_H

#ifndef _GNU_SOURCE
#error "define _GNU_SOURCE before including bench/common.h"
#endif

#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

/* Seconds on the monotonic clock. */
static inline double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static inline int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The median of v[0..n) (sorts v). */
static inline double median(double *v, int n) {
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static inline void die(const char *what) {
    perror(what);
    exit(1);
}

/* Spawns `path` with `argv`, its stdout piped and read to EOF, and waits for it: its wait status,
 * and into *out_bytes (unless NULL) how many bytes it printed. Exits if it cannot be spawned. */
static inline int spawn_piped(const char *path, char *const argv[], size_t *out_bytes) {
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0) die("pipe2");
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, fds[1], 1);
    pid_t pid;
    int rc = posix_spawn(&pid, path, &fa, NULL, argv, environ);
    if (rc != 0) {
        fprintf(stderr, "posix_spawn %s: %s\n", path, strerror(rc));
        exit(1);
    }
    posix_spawn_file_actions_destroy(&fa);
    close(fds[1]);
    char buf[8192];
    size_t total = 0;
    ssize_t n;
    while ((n = read(fds[0], buf, sizeof buf)) > 0) total += (size_t)n;
    close(fds[0]);
    int status;
    if (waitpid(pid, &status, 0) != pid) die("waitpid");
    if (out_bytes != NULL) *out_bytes = total;
    return status;
}

#endif /* PC_BENCH_COMMON_H */
