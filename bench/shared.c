/* Shared-cache benchmark (bench/README.md, and the README's "Sharing credentials between processes"): what a warm entry costs a fresh process, side by side in
 * one run. Each row alternates call by call with its baseline and compares medians, so a noisy
 * machine slows both alike.
 *
 *   bench-shared <processcreds> <helper>
 *       rows: a warm `processcreds cache -- helper` vs spawning /bin/true (target: at most 1.5x);
 *       a fresh process doing one pc_retrieve with PC_SHARED_CACHE_USER on a warm entry (this
 *       program started as `--client`) vs /bin/true; and the same process running the helper
 *       with the cache off, for scale.
 *   bench-shared --client <helper> <0|1>
 *       one provider for <helper> (argv), shared cache off (0) or on (1), one retrieve.
 *
 * PROCESSCREDS_CACHE_DIR is set to a fresh directory under $TMPDIR (or /tmp). PC_BENCH_N sets
 * the number of runs per side (default 300). PC_BENCH_BASELINE_CLI, when set, names another
 * build of the command (an earlier version): a row compares its warm `cache` with this build's,
 * side by side.
 */
#define _GNU_SOURCE
#include "common.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "processcreds.h"

/* The CPU time (user and system) of this process's waited-for children so far, in seconds. */
static double children_cpu(void) {
    struct rusage ru;
    if (getrusage(RUSAGE_CHILDREN, &ru) != 0) die("getrusage");
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
           (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

/* Spawns argv[0] with stdout piped and read to EOF, waits; returns the seconds taken (and adds
 * the CPU seconds it used, its own children's included, to *cpu unless NULL) and fails unless
 * it exited 0 having printed at least `min_out` bytes. */
static double timed_spawn_cpu(char *const argv[], size_t min_out, double *cpu) {
    double c0 = children_cpu();
    double t0 = now_s();
    size_t total = 0;
    int status = spawn_piped(argv[0], argv, &total);
    double t = now_s() - t0;
    if (cpu) *cpu += children_cpu() - c0;
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || total < min_out) {
        fprintf(stderr, "%s failed (status %d, %zu bytes out)\n", argv[0], status, total);
        exit(1);
    }
    return t;
}

static double timed_spawn(char *const argv[], size_t min_out) {
    return timed_spawn_cpu(argv, min_out, NULL);
}

static int client(const char *helper, int shared) {
    const char *argv[] = {helper};
    pc_provider *p = NULL;
    if (pc_provider_new_argv(argv, 1, &p) != PC_STATUS_OK) return 2;
    if (pc_set_shared_cache(p, shared ? PC_SHARED_CACHE_USER : PC_SHARED_CACHE_OFF) != PC_STATUS_OK)
        return 2;
    pc_credentials *c = NULL;
    uint32_t st = pc_retrieve(p, &c, NULL);
    if (st == PC_STATUS_OK) {
        /* Something on stdout, so the parent can check that the retrieve happened. */
        if (write(1, "ok\n", 3) != 3) st = PC_STATUS_INTERNAL;
        pc_credentials_free(c);
    }
    pc_free(p);
    return st == PC_STATUS_OK ? 0 : 1;
}

struct row {
    const char *name;
    double base, value;
    double target; /* 0: none */
    double cpu_base, cpu_value; /* mean CPU seconds per run */
};

/* Alternates `a` (baseline) and `b` n times; medians in seconds, and the mean CPU seconds of a
 * run of each (which waiting for a busy CPU does not inflate). */
static void side_by_side(char *const a[], char *const b[], size_t b_min_out, int n, double *ma,
                         double *mb, double *ca, double *cb) {
    double *va = malloc(sizeof(double) * (size_t)n), *vb = malloc(sizeof(double) * (size_t)n);
    if (!va || !vb) die("malloc");
    *ca = *cb = 0;
    for (int i = 0; i < n; i++) {
        va[i] = timed_spawn_cpu(a, 0, ca);
        vb[i] = timed_spawn_cpu(b, b_min_out, cb);
    }
    *ma = median(va, n);
    *mb = median(vb, n);
    *ca /= n;
    *cb /= n;
    free(va);
    free(vb);
}

int main(int argc, char **argv) {
    if (argc == 4 && strcmp(argv[1], "--client") == 0) return client(argv[2], atoi(argv[3]));
    if (argc != 3) {
        fprintf(stderr, "usage: %s <processcreds> <helper>\n", argv[0]);
        return 2;
    }
    char self[4096];
    ssize_t len = readlink("/proc/self/exe", self, sizeof self - 1);
    if (len <= 0) die("readlink /proc/self/exe");
    self[len] = 0;
    int n = getenv("PC_BENCH_N") ? atoi(getenv("PC_BENCH_N")) : 300;
    if (n < 1) n = 1;

    const char *tmp = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/pc-bench-shared-XXXXXX", tmp);
    if (!mkdtemp(dir)) die("mkdtemp");
    char cache[4200];
    snprintf(cache, sizeof cache, "%s/cache", dir);
    setenv("PROCESSCREDS_CACHE_DIR", cache, 1);

    char *true_argv[] = {"/bin/true", NULL};
    char *cli_argv[] = {argv[1], "cache", "--", argv[2], NULL};
    char *hit_argv[] = {self, "--client", argv[2], "1", NULL};
    char *miss_argv[] = {self, "--client", argv[2], "0", NULL};

    /* Warm the entries (the command's and the library's share the key: the same argv). */
    timed_spawn(cli_argv, 10);
    timed_spawn(hit_argv, 3);

    const char *other = getenv("PC_BENCH_BASELINE_CLI");
    char *other_argv[] = {(char *)other, "cache", "--", argv[2], NULL};
    if (other && *other) timed_spawn(other_argv, 10);

    struct row rows[4];
    int nrows = 3;
    double base, v, cbase, cv;
    side_by_side(true_argv, cli_argv, 10, n, &base, &v, &cbase, &cv);
    rows[0] = (struct row){"warm `processcreds cache` vs /bin/true", base, v, 1.5, cbase, cv};
    side_by_side(true_argv, hit_argv, 3, n, &base, &v, &cbase, &cv);
    rows[1] = (struct row){"fresh process, shared-cache hit vs /bin/true", base, v, 0, cbase, cv};
    side_by_side(hit_argv, miss_argv, 3, n, &base, &v, &cbase, &cv);
    rows[2] = (struct row){"fresh process, helper run vs shared-cache hit", base, v, 0, cbase, cv};
    if (other && *other) {
        side_by_side(other_argv, cli_argv, 10, n, &base, &v, &cbase, &cv);
        rows[nrows++] = (struct row){"warm `cache`: this build vs PC_BENCH_BASELINE_CLI", base, v,
                                     0, cbase, cv};
    }

    printf("%-48s %12s %12s %8s %8s\n", "shared cache (median of N runs each)", "baseline",
           "measured", "ratio", "target");
    int ok = 1;
    for (int i = 0; i < nrows; i++) {
        double ratio = rows[i].value / rows[i].base;
        char target[32] = "-";
        if (rows[i].target > 0) {
            snprintf(target, sizeof target, "<= %.1fx", rows[i].target);
            if (ratio > rows[i].target) ok = 0;
        }
        printf("%-48s %9.1f us %9.1f us %7.2fx %8s\n", rows[i].name, rows[i].base * 1e6,
               rows[i].value * 1e6, ratio, target);
        printf("%-48s %9.1f us %9.1f us %7.2fx\n", "  CPU time (mean, children included)",
               rows[i].cpu_base * 1e6, rows[i].cpu_value * 1e6, rows[i].cpu_value / rows[i].cpu_base);
    }
    printf("N = %d per side%s\n", n, ok ? "" : "; TARGET MISSED");

    /* Clean up the cache directory (entries, lock files). */
    char cmd[8400];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", dir);
    return 0;
}
