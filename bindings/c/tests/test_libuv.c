/* Retrieves driven from a libuv loop (Debian's libuv1-dev), as examples/libuv.c does them:
 * pc_retrieve_cached on the loop's thread, else pc_retrieve_async whose callback hands the
 * result to the loop through uv_async_send. A 1 ms heartbeat timer must never stall more than
 * 20 ms while 100 requests wait for a 0.5 s helper that runs once; cancelling every request from
 * the loop kills the helper's process group within 100 ms. Run by `make test-c`.
 *
 *   test_libuv [FILTER]
 */
#define _POSIX_C_SOURCE 200809L

#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <uv.h>

#include "processcreds.h"

#include "check.h"
#include "fixture.h"

enum { N = 100 };

struct result {
    struct result *next;
    int id;
    uint32_t status;
    pc_credentials *creds;
    pc_error *err;
};

/* One loop's run. */
static struct {
    uv_loop_t loop;
    uv_async_t wake;
    uv_timer_t heartbeat, starter, canceller;
    uv_mutex_t lock;
    struct result *queued;
    pc_provider *p;
    pc_request *reqs[N];
    int calls[N];
    uint32_t status[N];
    int ok_keys, done, cached_hits, cancel_after_ms;
    int64_t cancelled_at;
    uint64_t last_beat, longest_stall, beats;
    pthread_t loop_thread;
    int callbacks_on_loop; /* library callbacks that ran on the loop's thread: must stay 0 */
} L;

static void on_credentials(void *user_data, uint32_t status, pc_credentials *creds,
                           pc_error *err) {
    struct result *r = malloc(sizeof *r);
    if (r == NULL) {
        abort();
    }
    if (pthread_equal(pthread_self(), L.loop_thread)) {
        L.callbacks_on_loop++;
    }
    r->id = (int)(intptr_t)user_data;
    r->status = status;
    r->creds = creds;
    r->err = err;
    uv_mutex_lock(&L.lock);
    r->next = L.queued;
    L.queued = r;
    uv_mutex_unlock(&L.lock);
    uv_async_send(&L.wake);
}

static void use(int id, uint32_t status, pc_credentials *creds, pc_error *err) {
    L.calls[id]++;
    L.status[id] = status;
    if (status == PC_STATUS_OK && strcmp(pc_credentials_access_key_id(creds), "AKIDUV") == 0) {
        L.ok_keys++;
    }
    pc_credentials_free(creds);
    pc_error_free(err);
    pc_request_free(L.reqs[id]);
    L.reqs[id] = NULL;
    if (++L.done == N) {
        uv_close((uv_handle_t *)&L.wake, NULL);
        uv_close((uv_handle_t *)&L.heartbeat, NULL);
        if (L.cancel_after_ms > 0) {
            uv_close((uv_handle_t *)&L.canceller, NULL);
        }
    }
}

static void on_wake(uv_async_t *h) {
    struct result *r;
    (void)h;
    uv_mutex_lock(&L.lock);
    r = L.queued;
    L.queued = NULL;
    uv_mutex_unlock(&L.lock);
    while (r != NULL) {
        struct result *next = r->next;
        use(r->id, r->status, r->creds, r->err);
        free(r);
        r = next;
    }
}

static void on_start(uv_timer_t *t) {
    int i;
    for (i = 0; i < N; i++) {
        pc_credentials *c = NULL;
        if (pc_retrieve_cached(L.p, &c) == PC_STATUS_OK) {
            L.cached_hits++;
            use(i, PC_STATUS_OK, c, NULL);
            continue;
        }
        if (pc_retrieve_async(L.p, on_credentials, (void *)(intptr_t)i, &L.reqs[i]) !=
            PC_STATUS_OK) {
            abort();
        }
    }
    uv_close((uv_handle_t *)t, NULL);
}

static void on_cancel(uv_timer_t *t) {
    int i;
    (void)t;
    L.cancelled_at = fx_monotonic_ms();
    for (i = 0; i < N; i++) {
        pc_request_cancel(L.reqs[i]);
    }
}

static void on_beat(uv_timer_t *t) {
    uint64_t now = uv_hrtime();
    (void)t;
    if (L.last_beat != 0 && now - L.last_beat > L.longest_stall) {
        L.longest_stall = now - L.last_beat;
    }
    L.last_beat = now;
    L.beats++;
}

/* Runs one loop: N retrieves started 5 ms in, cancelled `cancel_after_ms` later (0: never). */
static int run_loop(const char *command, int cancel_after_ms) {
    memset(&L, 0, sizeof L);
    L.cancel_after_ms = cancel_after_ms;
    L.loop_thread = pthread_self();
    if (pc_provider_new(command, &L.p) != PC_STATUS_OK || uv_loop_init(&L.loop) != 0) {
        return -1;
    }
    pc_set_stderr(L.p, PC_STDERR_DISCARD);
    uv_mutex_init(&L.lock);
    uv_async_init(&L.loop, &L.wake, on_wake);
    uv_timer_init(&L.loop, &L.heartbeat);
    uv_timer_start(&L.heartbeat, on_beat, 1, 1);
    uv_timer_init(&L.loop, &L.starter);
    uv_timer_start(&L.starter, on_start, 5, 0);
    if (cancel_after_ms > 0) {
        uv_timer_init(&L.loop, &L.canceller);
        uv_timer_start(&L.canceller, on_cancel, 5 + (uint64_t)cancel_after_ms, 0);
    }
    uv_run(&L.loop, UV_RUN_DEFAULT);
    uv_loop_close(&L.loop);
    uv_mutex_destroy(&L.lock);
    return 0;
}

/* A helper counting its runs in `name.count` and writing its pid to `name.pid`. */
static const char *helper(const char *name, const char *secs) {
    if (fx_script(name, NULL,
                  "echo run >> \"$D/%s.count\"\n"
                  "echo $$ > \"$D/%s.pid.tmp\"; mv \"$D/%s.pid.tmp\" \"$D/%s.pid\"\n"
                  "sleep %s\n"
                  "printf '{\"Version\":1,\"AccessKeyId\":\"AKIDUV\",\"SecretAccessKey\":\"uv-s\","
                  "\"Expiration\":\"2099-01-01T00:00:00Z\"}'\n",
                  name, name, name, name, secs) != 0) {
        return NULL;
    }
    return fx_cmd(name);
}

static long count_of(const char *name, const char *ext) {
    char file[256];
    fx_format(file, sizeof file, "%s.%s", name, ext);
    return fx_count(file);
}

static long pid_in(const char *name) {
    char path[FX_PATH], file[256];
    long pid = -1;
    FILE *f;
    fx_format(file, sizeof file, "%s.pid", name);
    f = fopen(fx_path(path, file), "r");
    if (f != NULL) {
        if (fscanf(f, "%ld", &pid) != 1) {
            pid = -1;
        }
        fclose(f);
    }
    return pid;
}

static int dead(long pid) {
    char path[64], stat[512], *close;
    FILE *f;
    fx_format(path, sizeof path, "/proc/%ld/stat", pid);
    f = fopen(path, "r");
    if (f == NULL) {
        return 1;
    }
    close = fgets(stat, sizeof stat, f) != NULL ? strrchr(stat, ')') : NULL;
    fclose(f);
    return close == NULL || close[2] == 'Z' || close[2] == 'X';
}

static void test_heartbeat_never_stalls(void) {
    const char *cmd = helper("beat", "0.5");
    int i;
    CHECK(cmd != NULL);
    CHECK(run_loop(cmd, 0) == 0);
    printf("    heartbeat: %lu beats, longest stall %.2f ms; %d requests, %d cached hits\n",
           (unsigned long)L.beats, (double)L.longest_stall / 1e6, N, L.cached_hits);
    CHECK(L.longest_stall < 20 * 1000000ull);
    CHECK(L.beats > 100);
    CHECK_INT(count_of("beat", "count"), 1);
    CHECK_INT(L.ok_keys, N);
    CHECK_INT(L.callbacks_on_loop, 0);
    for (i = 0; i < N; i++) {
        CHECK_INT(L.calls[i], 1);
        CHECK_STATUS(L.status[i], PC_STATUS_OK);
    }
    /* Cached now: every retrieve from the loop is a hit, on the loop's thread. */
    {
        pc_credentials *c = NULL;
        CHECK_STATUS(pc_retrieve_cached(L.p, &c), PC_STATUS_OK);
        pc_credentials_free(c);
    }
    pc_free(L.p);
}

static void test_cancel_from_the_loop_kills_the_helper(void) {
    const char *cmd = helper("cancel", "30");
    long pid;
    int64_t took = -1;
    int i;
    CHECK(cmd != NULL);
    CHECK(run_loop(cmd, 200) == 0);
    pid = pid_in("cancel");
    CHECK(pid > 0);
    while (fx_monotonic_ms() - L.cancelled_at <= 100) {
        if (dead(pid)) {
            took = fx_monotonic_ms() - L.cancelled_at;
            break;
        }
        fx_sleep_ms(1);
    }
    printf("    helper dead %lld ms after the cancels; longest stall %.2f ms\n", (long long)took,
           (double)L.longest_stall / 1e6);
    CHECK(took >= 0);
    CHECK(L.longest_stall < 20 * 1000000ull);
    for (i = 0; i < N; i++) {
        CHECK_INT(L.calls[i], 1);
        CHECK_STATUS(L.status[i], PC_STATUS_CANCELED);
    }
    CHECK_INT(count_of("cancel", "count"), 1);
    pc_free(L.p);
}

static const struct check_case cases[] = {
    {"heartbeat_never_stalls", test_heartbeat_never_stalls},
    {"cancel_from_the_loop_kills_the_helper", test_cancel_from_the_loop_kills_the_helper},
};

int main(int argc, char **argv) {
    int rc;
    signal(SIGPIPE, SIG_IGN);
    if (fx_setup() != 0) {
        return 1;
    }
    rc = check_run(cases, sizeof cases / sizeof cases[0], argc > 1 ? argv[1] : NULL);
    fx_teardown();
    return rc;
}
