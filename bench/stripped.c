/* The shipped library (Cargo profile dist: no debug info, stripped) against the development one
 * (profile release, line tables kept), side by side in one process: both .so files are loaded
 * with dlopen (RTLD_LOCAL, so each has its own state), and the rounds of each measure alternate
 * between them, so that a noisy machine slows both sides alike. Medians of the rounds.
 *
 *   stripped <release .so> <dist .so> <helper>      (`make bench-stripped`)
 *
 * Prints, for a cached retrieve + free and for a fresh retrieve (expire, then retrieve: one run
 * of the argv helper), each side and the ratio shipped / development.
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
    void (*expire)(const pc_provider *);
    void (*free_provider)(pc_provider *);
    pc_provider *p;
} lib;

#define ROUNDS 31
#define CACHED_PER_ROUND 200000
#define FRESH_PER_ROUND 20

static void *sym(void *h, const char *path, const char *name) {
    void *f = dlsym(h, name);
    if (f == NULL) {
        fprintf(stderr, "%s: no %s\n", path, name);
        exit(1);
    }
    return f;
}

static void load(lib *l, const char *path, const char *helper) {
    void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (h == NULL) {
        fprintf(stderr, "dlopen %s: %s\n", path, dlerror());
        exit(1);
    }
    l->path = path;
    *(void **)&l->provider_new_argv = sym(h, path, "pc_provider_new_argv");
    *(void **)&l->retrieve = sym(h, path, "pc_retrieve");
    *(void **)&l->credentials_free = sym(h, path, "pc_credentials_free");
    *(void **)&l->expire = sym(h, path, "pc_expire");
    *(void **)&l->free_provider = sym(h, path, "pc_free");
    const char *argv[] = {helper};
    if (l->provider_new_argv(argv, 1, &l->p) != PC_STATUS_OK) {
        fprintf(stderr, "%s: pc_provider_new_argv failed\n", path);
        exit(1);
    }
}

static void retrieve(const lib *l) {
    pc_credentials *c = NULL;
    if (l->retrieve(l->p, &c, NULL) != PC_STATUS_OK) {
        fprintf(stderr, "%s: pc_retrieve failed\n", l->path);
        exit(1);
    }
    l->credentials_free(c);
}

/* ns per cached retrieve + free, one round. */
static double cached_round(const lib *l) {
    double t0 = now_s();
    for (int i = 0; i < CACHED_PER_ROUND; i++) retrieve(l);
    return (now_s() - t0) / CACHED_PER_ROUND * 1e9;
}

/* us per fresh retrieve, one round. */
static double fresh_round(const lib *l) {
    double t0 = now_s();
    for (int i = 0; i < FRESH_PER_ROUND; i++) {
        l->expire(l->p);
        retrieve(l);
    }
    return (now_s() - t0) / FRESH_PER_ROUND * 1e6;
}

int main(int argc, char **argv) {
    if (argc != 4) {
        fprintf(stderr, "usage: %s <release .so> <dist .so> <helper>\n", argv[0]);
        return 2;
    }
    lib dev, ship;
    load(&dev, argv[1], argv[3]);
    load(&ship, argv[2], argv[3]);
    retrieve(&dev); /* first runs: page-in, caches filled */
    retrieve(&ship);

    double c_dev[ROUNDS], c_ship[ROUNDS], f_dev[ROUNDS], f_ship[ROUNDS];
    for (int r = 0; r < ROUNDS; r++) {
        /* Which side goes first alternates too. */
        const lib *a = r % 2 ? &ship : &dev, *b = r % 2 ? &dev : &ship;
        double ca = cached_round(a), cb = cached_round(b);
        double fa = fresh_round(a), fb = fresh_round(b);
        c_dev[r] = a == &dev ? ca : cb;
        c_ship[r] = a == &dev ? cb : ca;
        f_dev[r] = a == &dev ? fa : fb;
        f_ship[r] = a == &dev ? fb : fa;
    }
    double cd = median(c_dev, ROUNDS), cs = median(c_ship, ROUNDS);
    double fd = median(f_dev, ROUNDS), fs = median(f_ship, ROUNDS);
    printf("shipped (profile dist, stripped) vs development (profile release), %d alternating rounds, medians\n\n",
           ROUNDS);
    printf("%-34s %14s %14s %8s\n", "measure", "shipped", "development", "ratio");
    printf("%-34s %11.1f ns %11.1f ns %8.3f\n", "cached retrieve + free (C ABI)", cs, cd, cs / cd);
    printf("%-34s %11.1f us %11.1f us %8.3f\n", "fresh retrieve (argv helper)", fs, fd, fs / fd);
    dev.free_provider(dev.p);
    ship.free_provider(ship.p);
    return 0;
}
