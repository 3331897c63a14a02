/* processcreds benchmark: every figure is measured side by side in one run and printed as a
 * table of ratios against targets (bench/README.md). Timings alternate between the two sides of each
 * comparison and use medians, so that a noisy machine affects both sides alike.
 *
 *   bench <helper>     (bench/helper.c, built by `make bench`)
 */
#define _GNU_SOURCE
#include "common.h"

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "processcreds.h"

/* The baseline: posix_spawn with stdout piped, read to EOF, waitpid. */
static void bare_spawn(const char *path, char *const argv[]) {
    spawn_piped(path, argv, NULL);
}

static void fresh_retrieve(pc_provider *p) {
    pc_credentials *c = NULL;
    pc_expire(p);
    if (pc_retrieve(p, &c, NULL) != PC_STATUS_OK) {
        fprintf(stderr, "retrieve failed\n");
        exit(1);
    }
    pc_credentials_free(c);
}

/* CPU time of this process and of its reaped children. */
static double cpu_s(void) {
    struct rusage self, kids;
    getrusage(RUSAGE_SELF, &self);
    getrusage(RUSAGE_CHILDREN, &kids);
    return (double)(self.ru_utime.tv_sec + self.ru_stime.tv_sec + kids.ru_utime.tv_sec +
                    kids.ru_stime.tv_sec) +
           (double)(self.ru_utime.tv_usec + self.ru_stime.tv_usec + kids.ru_utime.tv_usec +
                    kids.ru_stime.tv_usec) /
               1e6;
}

struct comparison {
    double ours_med, base_med; /* medians of the single calls' wall times */
    double ratio;              /* median of the pairs' ratios (wall time) */
    double q1, q3;             /* its quartiles */
    double cpu_ratio;          /* total CPU time (with the helpers'), ours over the baseline */
};

/* Ours against the baseline, `n` pairs of calls: each pair runs the two side by side (which
 * goes first alternates), so that the load of a busy machine weighs on both alike; the ratio is
 * the median of the pairs' ratios. The CPU ratio compares the CPU time both sides used in all
 * (this process and the helpers), which waiting for a busy CPU does not inflate. */
static struct comparison compare_spawn(pc_provider *p, const char *path, char *const argv[],
                                       int n) {
    struct comparison c;
    double *a = malloc(sizeof(double) * (size_t)n), *b = malloc(sizeof(double) * (size_t)n);
    double *r = malloc(sizeof(double) * (size_t)n);
    double cpu_a = 0, cpu_b = 0;
    for (int i = 0; i < 20; i++) { /* warm up */
        bare_spawn(path, argv);
        fresh_retrieve(p);
    }
    for (int i = 0; i < n; i++) {
        for (int side = 0; side < 2; side++) {
            int ours = (i + side) % 2;
            double t0 = now_s(), c0 = cpu_s();
            if (ours) {
                fresh_retrieve(p);
            } else {
                bare_spawn(path, argv);
            }
            double t1 = now_s(), c1 = cpu_s();
            if (ours) {
                a[i] = t1 - t0;
                cpu_a += c1 - c0;
            } else {
                b[i] = t1 - t0;
                cpu_b += c1 - c0;
            }
        }
        r[i] = a[i] / b[i];
    }
    c.ours_med = median(a, n);
    c.base_med = median(b, n);
    c.ratio = median(r, n); /* sorts r */
    c.q1 = r[n / 4];
    c.q3 = r[(3 * n) / 4];
    c.cpu_ratio = cpu_a / cpu_b;
    free(a);
    free(b);
    free(r);
    return c;
}

static void print_comparison(const char *what, const char *cpu_what, struct comparison c) {
    printf("%-44s %10.1f us %10.1f us %8.3f  <= 1.05 %s (pairs' quartiles %.3f-%.3f)\n", what,
           c.ours_med * 1e6, c.base_med * 1e6, c.ratio, c.ratio <= 1.05 ? "ok" : "MISSED", c.q1,
           c.q3);
    printf("%-44s %12s %12s %8.3f  <= 1.05 %s\n", cpu_what, "", "", c.cpu_ratio,
           c.cpu_ratio <= 1.05 ? "ok" : "MISSED");
}

struct loop_arg {
    pc_provider *p;
    long n;
    pthread_barrier_t *barrier;
};

static void *cached_loop(void *arg) {
    struct loop_arg *la = arg;
    if (la->barrier) pthread_barrier_wait(la->barrier);
    for (long i = 0; i < la->n; i++) {
        pc_credentials *c;
        if (pc_retrieve(la->p, &c, NULL) != PC_STATUS_OK) abort();
        pc_credentials_free(c);
    }
    return NULL;
}

/* pc_retrieve_cached, the event loops' cached path: never runs or waits for the helper. */
static void cached_only_loop(pc_provider *p, long n) {
    for (long i = 0; i < n; i++) {
        pc_credentials *c;
        if (pc_retrieve_cached(p, &c) != PC_STATUS_OK) abort();
        pc_credentials_free(c);
    }
}

static double run_threads(pc_provider *p, int threads, long per_thread) {
    pthread_t t[8];
    struct loop_arg args[8];
    pthread_barrier_t barrier;
    pthread_barrier_init(&barrier, NULL, (unsigned)threads + 1);
    for (int i = 0; i < threads; i++) {
        args[i] = (struct loop_arg){p, per_thread, &barrier};
        pthread_create(&t[i], NULL, cached_loop, &args[i]);
    }
    pthread_barrier_wait(&barrier);
    double t0 = now_s();
    for (int i = 0; i < threads; i++) pthread_join(t[i], NULL);
    double t1 = now_s();
    pthread_barrier_destroy(&barrier);
    return t1 - t0;
}

/* In a child process, so that the peak RSS is the flood's alone. */
static void flood(const char *helper, long long bytes, double *secs, double *rss_mib, int *ok) {
    int fds[2];
    if (pipe(fds) != 0) die("pipe");
    pid_t pid = fork();
    if (pid == 0) {
        close(fds[0]);
        char *argv[] = {(char *)helper, NULL, NULL};
        char n[32];
        snprintf(n, sizeof n, "%lld", bytes);
        argv[1] = n;
        pc_provider *p;
        pc_provider_new_argv((const char *const *)argv, 2, &p);
        pc_set_timeout(p, 60000);
        pc_credentials *c = NULL;
        double t0 = now_s();
        int good = pc_retrieve(p, &c, NULL) == PC_STATUS_OK;
        double t1 = now_s();
        struct rusage ru;
        getrusage(RUSAGE_SELF, &ru);
        double out[3] = {t1 - t0, (double)ru.ru_maxrss / 1024.0, good};
        if (write(fds[1], out, sizeof out) != sizeof out) _exit(1);
        _exit(0);
    }
    close(fds[1]);
    double in[3] = {0, 0, 0};
    if (read(fds[0], in, sizeof in) != sizeof in) die("flood child");
    close(fds[0]);
    waitpid(pid, NULL, 0);
    *secs = in[0];
    *rss_mib = in[1];
    *ok = in[2] != 0;
}

static void *expired_retrieve(void *arg) {
    struct loop_arg *la = arg;
    pthread_barrier_wait(la->barrier);
    pc_credentials *c = NULL;
    if (pc_retrieve(la->p, &c, NULL) == PC_STATUS_OK) pc_credentials_free(c);
    return NULL;
}

static int single_flight(void) {
    char dir[] = "/tmp/pc-bench-XXXXXX";
    if (!mkdtemp(dir)) die("mkdtemp");
    char cmd[512];
    snprintf(cmd, sizeof cmd,
             "echo run >> %s/runs; sleep 0.2; printf '%%s' "
             "'{\"Version\":1,\"AccessKeyId\":\"A\",\"SecretAccessKey\":\"S\"}'",
             dir);
    pc_provider *p;
    pc_provider_new(cmd, &p);
    enum { T = 64 };
    pthread_t t[T];
    struct loop_arg a;
    pthread_barrier_t barrier;
    pthread_barrier_init(&barrier, NULL, T);
    a = (struct loop_arg){p, 0, &barrier};
    for (int i = 0; i < T; i++) pthread_create(&t[i], NULL, expired_retrieve, &a);
    for (int i = 0; i < T; i++) pthread_join(t[i], NULL);
    pthread_barrier_destroy(&barrier);
    pc_free(p);
    char path[600];
    snprintf(path, sizeof path, "%s/runs", dir);
    FILE *f = fopen(path, "r");
    int runs = 0;
    for (int ch; f && (ch = fgetc(f)) != EOF;) runs += ch == '\n';
    if (f) fclose(f);
    remove(path);
    rmdir(dir);
    return runs;
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: %s <helper>\n", argv[0]);
        return 2;
    }
    const char *helper = argv[1];
    int n = getenv("PC_BENCH_N") ? atoi(getenv("PC_BENCH_N")) : 3000;
    int fresh_only = getenv("PC_BENCH_ONLY") && strcmp(getenv("PC_BENCH_ONLY"), "fresh") == 0;
    if (n < 4) {
        fprintf(stderr, "PC_BENCH_N must be at least 4\n");
        return 2;
    }

    /* Fresh retrieve, argv, vs posix_spawn of the helper. */
    pc_provider *pa;
    const char *av[] = {helper};
    pc_provider_new_argv(av, 1, &pa);
    char *spawn_argv[] = {(char *)helper, NULL};
    struct comparison fa = compare_spawn(pa, helper, spawn_argv, n);

    /* Fresh retrieve, command string, vs posix_spawn of sh -c helper. */
    pc_provider *ps;
    pc_provider_new(helper, &ps);
    char *sh_argv[] = {"sh", "-c", (char *)helper, NULL};
    struct comparison fs = compare_spawn(ps, "/bin/sh", sh_argv, n);
    pc_free(ps);

    printf("processcreds %s benchmark (%d fresh retrieves a side, run side by side)\n\n",
           pc_version(), n);
    printf("%-44s %12s %12s %8s  %s\n", "measure", "ours", "baseline", "ratio", "target");
    print_comparison("fresh retrieve (argv) vs posix_spawn", "  the same, CPU time", fa);
    print_comparison("fresh retrieve (sh -c) vs posix_spawn sh -c", "  the same, CPU time", fs);
    fflush(stdout);
    if (fresh_only) {
        pc_free(pa);
        return 0;
    }

    /* Cached retrieve through the C ABI. */
    pc_credentials *c;
    pc_retrieve(pa, &c, NULL);
    pc_credentials_free(c);
    long iters = 5000000;
    struct loop_arg one = {pa, 200000, NULL};
    cached_loop(&one); /* warm up */
    double cached_best = 1e9, cached_only_best = 1e9;
    cached_only_loop(pa, 200000); /* warm up */
    for (int r = 0; r < 5; r++) {
        double t0 = now_s();
        one.n = iters;
        cached_loop(&one);
        double ns = (now_s() - t0) * 1e9 / (double)iters;
        if (ns < cached_best) cached_best = ns;
        t0 = now_s();
        cached_only_loop(pa, iters);
        ns = (now_s() - t0) * 1e9 / (double)iters;
        if (ns < cached_only_best) cached_only_best = ns;
    }

    /* Scaling: throughput of 2 threads vs 1, best of 5 alternating rounds each. */
    double best1 = 1e9, best2 = 1e9;
    for (int r = 0; r < 5; r++) {
        double t1 = run_threads(pa, 1, iters);
        double t2 = run_threads(pa, 2, iters);
        if (t1 < best1) best1 = t1;
        if (t2 < best2) best2 = t2;
    }
    double scaling = (2.0 * (double)iters / best2) / ((double)iters / best1);
    pc_free(pa);

    double flood_s, flood_rss;
    int flood_ok;
    flood(helper, 200LL * 1000 * 1000, &flood_s, &flood_rss, &flood_ok);

    int runs = single_flight();

    /* The promise is at most 100 ns; the cache's design keeps it at most 60 ns (bench/README.md). */
    printf("%-44s %10.1f ns %12s %8s  <= 60 ns %s\n", "cached retrieve + free (C ABI)", cached_best,
           "", "", cached_best <= 60 ? "ok" : "MISSED");
    printf("%-44s %10.1f ns %10.1f ns %8.3f  <= 60 ns %s\n",
           "async cached: pc_retrieve_cached vs pc_retrieve", cached_only_best, cached_best,
           cached_only_best / cached_best, cached_only_best <= 60 ? "ok" : "MISSED");
    printf("%-44s %12s %12s %7.2fx  >= 1.7x %s\n", "cached retrieves, 2 threads vs 1", "", "", scaling,
           scaling >= 1.7 ? "ok" : "MISSED");
    printf("%-44s %10.2f s  %12s %8s  < 2 s %s\n", "200 MB stdout flood: time", flood_s, "", "",
           flood_ok && flood_s < 2 ? "ok" : "MISSED");
    printf("%-44s %9.1f MiB %12s %8s  < 16 MiB %s\n", "200 MB stdout flood: peak RSS", flood_rss, "", "",
           flood_rss < 16 ? "ok" : "MISSED");
    printf("%-44s %12d %12s %8s  = 1 %s\n", "64 threads on an expired provider: processes", runs, "", "",
           runs == 1 ? "ok" : "MISSED");
    return 0;
}
