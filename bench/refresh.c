/* Refresh ahead (SEMANTICS.md, "Refresh ahead"): the worst retrieve latency of 8 threads retrieving across an expiry,
 * with and without a refresh window, the helper sleeping 300 ms. The modes alternate round by
 * round, and a round of cached retrieves with no expiry shows the machine's own noise.
 *
 *   bench-refresh        (built by `make bench-refresh`, part of `make bench`)
 *
 * Each thread retrieves, then pauses 200 us, so that the threads do not preempt one another
 * in the middle of a call on a machine with fewer cores than threads.
 */
#define _GNU_SOURCE
#include "common.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "processcreds.h"

enum { THREADS = 8, ROUNDS = 3 };

/* Credentials valid until the next whole second after 3 s from now, after sleeping 300 ms. */
static const char *HELPER =
    "sleep 0.3; n=$(( $(date +%s) + 3 )); "
    "printf '{\"Version\":1,\"AccessKeyId\":\"AK%s\",\"SecretAccessKey\":\"S\","
    "\"Expiration\":\"%s\"}' \"$n\" \"$(date -u -d \"@$n\" +%Y-%m-%dT%H:%M:%SZ)\"";

static int64_t unix_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

struct arg {
    pc_provider *p;
    atomic_int *stop;
    pthread_barrier_t *barrier;
    double worst;
    long calls, errors;
};

static void *hammer(void *v) {
    struct arg *a = v;
    pthread_barrier_wait(a->barrier);
    struct timespec pause = {0, 200000};
    while (!atomic_load(a->stop)) {
        pc_credentials *c = NULL;
        double t0 = now_s();
        uint32_t st = pc_retrieve(a->p, &c, NULL);
        double t = now_s() - t0;
        if (t > a->worst) a->worst = t;
        if (st == PC_STATUS_OK) {
            pc_credentials_free(c);
        } else {
            a->errors++;
        }
        a->calls++;
        nanosleep(&pause, NULL);
    }
    return NULL;
}

/* 8 threads retrieve until `until_ms` (Unix ms); the worst latency in seconds. */
static double run(pc_provider *p, int64_t until_ms, long *errors) {
    pthread_t t[THREADS];
    struct arg args[THREADS];
    atomic_int stop = 0;
    pthread_barrier_t barrier;
    pthread_barrier_init(&barrier, NULL, THREADS + 1);
    for (int i = 0; i < THREADS; i++) {
        args[i] = (struct arg){p, &stop, &barrier, 0, 0, 0};
        pthread_create(&t[i], NULL, hammer, &args[i]);
    }
    pthread_barrier_wait(&barrier);
    while (unix_ms() < until_ms) usleep(10000);
    atomic_store(&stop, 1);
    double worst = 0;
    for (int i = 0; i < THREADS; i++) {
        pthread_join(t[i], NULL);
        if (args[i].worst > worst) worst = args[i].worst;
        *errors += args[i].errors;
    }
    pthread_barrier_destroy(&barrier);
    return worst;
}

/* One round across the first expiry: `window_ms` 0 (off) or the refresh window. */
static double across_expiry(uint64_t window_ms, long *errors) {
    pc_provider *p;
    if (pc_provider_new(HELPER, &p) != PC_STATUS_OK) exit(1);
    pc_set_refresh_window(p, window_ms);
    pc_credentials *c;
    if (pc_retrieve(p, &c, NULL) != PC_STATUS_OK) {
        fprintf(stderr, "the helper failed\n");
        exit(1);
    }
    pc_credentials_free(c);
    int64_t expiry;
    if (!pc_expires_at(p, &expiry)) exit(1);
    /* Across the expiry, and past the 300 ms a refresh takes there. */
    double worst = run(p, expiry + 800, errors);
    pc_free(p);
    return worst;
}

/* Runs the same helper once, outside the library, 1 s from now: the CPU its processes take. */
static void *helper_beside(void *unused) {
    (void)unused;
    usleep(1000000);
    FILE *f = popen(HELPER, "r");
    if (f) {
        char buf[512];
        while (fread(buf, 1, sizeof buf, f) > 0) {
        }
        pclose(f);
    }
    return NULL;
}

static double cached_only(long *errors) {
    pc_provider *p;
    pc_provider_new("printf '{\"Version\":1,\"AccessKeyId\":\"A\",\"SecretAccessKey\":\"S\"}'", &p);
    pc_credentials *c;
    if (pc_retrieve(p, &c, NULL) != PC_STATUS_OK) exit(1);
    pc_credentials_free(c);
    pthread_t beside;
    pthread_create(&beside, NULL, helper_beside, NULL);
    double worst = run(p, unix_ms() + 2500, errors);
    pthread_join(beside, NULL);
    pc_free(p);
    return worst;
}

int main(void) {
    double off[ROUNDS], on[ROUNDS], base[ROUNDS];
    long errors = 0;
    for (int r = 0; r < ROUNDS; r++) {
        off[r] = across_expiry(0, &errors);
        on[r] = across_expiry(2000, &errors);
        base[r] = cached_only(&errors);
    }
    printf("processcreds %s refresh-ahead benchmark (%d threads, helper sleeping 300 ms, "
           "worst retrieve latency per round)\n\n",
           pc_version(), THREADS);
    printf("%-40s %10s %10s %10s %10s  %s\n", "measure", "round 1", "round 2", "round 3", "median",
           "target");
    const char *names[3] = {"across an expiry, no refresh window", "across an expiry, 2 s window",
                            "cached only, the helper run beside (noise)"};
    double *rows[3] = {off, on, base};
    double med[3];
    for (int i = 0; i < 3; i++) {
        double s[ROUNDS];
        memcpy(s, rows[i], sizeof s); /* the rounds are printed in their order */
        med[i] = median(s, ROUNDS);
        printf("%-40s", names[i]);
        for (int r = 0; r < ROUNDS; r++) printf(" %7.3f ms", rows[i][r] * 1e3);
        printf(" %7.3f ms  ", med[i] * 1e3);
        if (i == 0) printf("~ the helper's 300 ms %s\n", med[0] >= 0.25 ? "ok" : "MISSED");
        if (i == 1) printf("< 1 ms %s\n", med[1] < 1e-3 ? "ok" : "MISSED");
        if (i == 2) printf("\n");
    }
    printf("%-40s %10ld %10s %10s %10s  = 0 %s\n", "failed retrieves", errors, "", "", "",
           errors == 0 ? "ok" : "MISSED");
    return 0;
}
