/* What observability costs a cached retrieve, side by side in one process: this build's library
 * with no logger, the same with a logger at PC_LOG_WARN (the cached path's events are at debug,
 * below it: nothing is formatted), and, when given, another build of the library ("today": by
 * default main's, built by `make bench-observe`) with no logger. Every library is loaded with
 * dlopen (RTLD_LOCAL), so each side pays the same call overhead; the rounds of the sides
 * alternate (which goes first rotates), so that a noisy machine slows them alike. Medians.
 *
 *   observe <this .so> <helper> [<today's .so>]      (`make bench-observe`, part of `make bench`)
 */
#define _GNU_SOURCE
#include "common.h"

#include <dlfcn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "processcreds.h"

typedef struct {
    const char *path;
    uint32_t (*provider_new_argv)(const char *const *, size_t, pc_provider **);
    uint32_t (*retrieve)(const pc_provider *, pc_credentials **, pc_error **);
    void (*credentials_free)(pc_credentials *);
    void (*free_provider)(pc_provider *);
    uint32_t (*set_logger)(pc_provider *, pc_log_cb, void *, uint32_t);
    uint32_t (*stats)(const pc_provider *, pc_stats *);
} lib;

typedef struct {
    const lib *l;
    pc_provider *p;
} side;

#define ROUNDS 41
#define PER_ROUND 300000

static void *sym(void *h, const char *path, const char *name, int required) {
    void *f = dlsym(h, name);
    if (f == NULL && required) {
        fprintf(stderr, "%s: no %s\n", path, name);
        exit(1);
    }
    return f;
}

static void load(lib *l, const char *path) {
    void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (h == NULL) {
        fprintf(stderr, "dlopen %s: %s\n", path, dlerror());
        exit(1);
    }
    l->path = path;
    *(void **)&l->provider_new_argv = sym(h, path, "pc_provider_new_argv", 1);
    *(void **)&l->retrieve = sym(h, path, "pc_retrieve", 1);
    *(void **)&l->credentials_free = sym(h, path, "pc_credentials_free", 1);
    *(void **)&l->free_provider = sym(h, path, "pc_free", 1);
    *(void **)&l->set_logger = sym(h, path, "pc_set_logger", 0);
    *(void **)&l->stats = sym(h, path, "pc_provider_stats", 0);
}

static void retrieve(const side *s) {
    pc_credentials *c = NULL;
    if (s->l->retrieve(s->p, &c, NULL) != PC_STATUS_OK) {
        fprintf(stderr, "%s: pc_retrieve failed\n", s->l->path);
        exit(1);
    }
    s->l->credentials_free(c);
}

static side make(const lib *l, const char *helper) {
    side s = {l, NULL};
    const char *argv[] = {helper};
    if (l->provider_new_argv(argv, 1, &s.p) != PC_STATUS_OK) {
        fprintf(stderr, "%s: pc_provider_new_argv failed\n", l->path);
        exit(1);
    }
    retrieve(&s); /* runs the helper: from here on, cached */
    return s;
}

/* ns per cached retrieve + free, one round. */
static double round_ns(const side *s) {
    double t0 = now_s();
    for (int i = 0; i < PER_ROUND; i++) retrieve(s);
    return (now_s() - t0) / PER_ROUND * 1e9;
}

static long events;

static void on_event(void *user_data, uint32_t level, const char *event, const char *message) {
    (void)level;
    (void)event;
    (void)message;
    ++*(long *)user_data;
}

int main(int argc, char **argv) {
    if (argc != 3 && argc != 4) {
        fprintf(stderr, "usage: %s <this .so> <helper> [<today's .so>]\n", argv[0]);
        return 2;
    }
    lib ours, today;
    load(&ours, argv[1]);
    if (ours.set_logger == NULL || ours.stats == NULL) {
        fprintf(stderr, "%s: no pc_set_logger or pc_provider_stats\n", argv[1]);
        return 1;
    }
    int with_today = argc == 4;
    if (with_today) load(&today, argv[3]);

    enum { NONE, WARN, TODAY, SIDES };
    side s[SIDES];
    s[NONE] = make(&ours, argv[2]);
    s[WARN] = make(&ours, argv[2]);
    if (ours.set_logger(s[WARN].p, on_event, &events, PC_LOG_WARN) != PC_STATUS_OK) {
        fprintf(stderr, "pc_set_logger failed\n");
        return 1;
    }
    int n = with_today ? 3 : 2;
    if (with_today) s[TODAY] = make(&today, argv[2]);

    double t[SIDES][ROUNDS];
    for (int i = 0; i < n; i++) round_ns(&s[i]); /* warm up */
    for (int r = 0; r < ROUNDS; r++) {
        for (int k = 0; k < n; k++) {
            int i = (r + k) % n;
            t[i][r] = round_ns(&s[i]);
        }
    }
    double med[SIDES];
    for (int i = 0; i < n; i++) med[i] = median(t[i], ROUNDS);

    pc_stats st = {.size = sizeof st};
    ours.stats(s[WARN].p, &st);
    unsigned long long calls = (unsigned long long)(ROUNDS + 1) * PER_ROUND;

    printf("cached retrieve + free (C ABI) and observability, %d alternating rounds of %d, "
           "medians\n\n",
           ROUNDS, PER_ROUND);
    printf("%-44s %12s %12s %9s  %s\n", "measure", "ours", "baseline", "diff", "target");
    double ratio = med[WARN] / med[NONE];
    printf("%-44s %9.2f ns %9.2f ns %8.3fx  <= 1.10x %s\n", "logger at warn vs no logger",
           med[WARN], med[NONE], ratio, ratio <= 1.10 ? "ok" : "MISSED");
    if (with_today) {
        double diff = med[NONE] - med[TODAY];
        printf("%-44s %9.2f ns %9.2f ns %+7.2f ns  <= +2 ns %s\n",
               "no logger: this build vs today", med[NONE], med[TODAY], diff,
               diff <= 2.0 ? "ok" : "MISSED");
        double wdiff = med[WARN] - med[TODAY];
        printf("%-44s %9.2f ns %9.2f ns %+7.2f ns\n", "logger at warn: this build vs today",
               med[WARN], med[TODAY], wdiff);
    } else {
        printf("(no other build given: the comparison with today is skipped)\n");
    }
    int counted = st.cache_hits == calls && events == 0;
    printf("%-44s %12llu %12s %9s  = %llu, no event %s\n", "cache_hits counted (logger side)",
           (unsigned long long)st.cache_hits, "", "", calls, counted ? "ok" : "MISSED");
    for (int i = 0; i < n; i++) s[i].l->free_provider(s[i].p);
    return 0;
}
