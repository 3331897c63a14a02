/* Asynchronous retrieves through the C ABI (pc_retrieve_async, pc_request_cancel,
 * pc_request_free, pc_retrieve_cached), built as strict C99 against the static and the shared
 * library and run natively, under AddressSanitizer + UndefinedBehaviorSanitizer and under
 * valgrind by `make test-c`. Every helper is a real child process (sh scripts written into a
 * temporary directory); every callback is counted, so "exactly once" is checked, and the
 * library's threads and this process's descriptors are counted from /proc.
 *
 *   test_async [FILTER]      runs the tests whose name contains FILTER (all by default)
 */
#define _POSIX_C_SOURCE 200809L

#include <dirent.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "processcreds.h"

#include "check.h"
#include "fixture.h"

/* valgrind slows every call: time bounds are relaxed there (what is checked stays). */
static int slow;

static int64_t bound_ms(int64_t ms) {
    return slow ? ms * 20 : ms;
}

/* ---- counting callbacks ---------------------------------------------------------------------- */

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static long completed; /* callbacks run, all requests */

/* One request's record, written by its callback. */
struct slot {
    int calls;
    uint32_t status;
    char key[64];
    int err_ok;    /* the error object matched the status (or there was none, on success) */
    int64_t at_ms; /* when the callback ran */
    pthread_t thread;
};

static void on_done(void *user_data, uint32_t status, pc_credentials *creds, pc_error *err) {
    struct slot *s = (struct slot *)user_data;
    pthread_mutex_lock(&mu);
    s->calls++;
    s->status = status;
    s->at_ms = fx_monotonic_ms();
    s->thread = pthread_self();
    if (status == PC_STATUS_OK) {
        s->err_ok = creds != NULL && err == NULL;
        if (creds != NULL) {
            snprintf(s->key, sizeof s->key, "%s", pc_credentials_access_key_id(creds));
        }
    } else {
        s->err_ok = creds == NULL && err != NULL && pc_error_status(err) == status;
        if (status == PC_STATUS_CANCELED && err != NULL) {
            s->err_ok = s->err_ok && strcmp(pc_error_code(err), "RequestCanceled") == 0;
        }
    }
    completed++;
    pthread_cond_broadcast(&cv);
    pthread_mutex_unlock(&mu);
    pc_credentials_free(creds);
    pc_error_free(err);
}

static long completed_now(void) {
    long n;
    pthread_mutex_lock(&mu);
    n = completed;
    pthread_mutex_unlock(&mu);
    return n;
}

/* Waits until `completed` reaches `n` or `ms` pass; whether it did. */
static int wait_completed(long n, int64_t ms) {
    int64_t deadline = fx_monotonic_ms() + ms;
    int ok;
    pthread_mutex_lock(&mu);
    while (completed < n && fx_monotonic_ms() < deadline) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_nsec += 2000000;
        if (ts.tv_nsec >= 1000000000L) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&cv, &mu, &ts);
    }
    ok = completed >= n;
    pthread_mutex_unlock(&mu);
    return ok;
}

/* ---- what /proc tells ------------------------------------------------------------------------ */

/* How many threads of this process are named `a` or `b` (NULL `a`: all threads), in one look at
 * /proc (a new thread carries its creator's name for a moment, so two looks could count a
 * thread twice). */
static int threads_named2(const char *a, const char *b) {
    DIR *d = opendir("/proc/self/task");
    struct dirent *e;
    int n = 0;
    if (d == NULL) {
        return -1;
    }
    while ((e = readdir(d)) != NULL) {
        char path[FX_PATH], comm[64] = "";
        FILE *f;
        if (e->d_name[0] == '.') {
            continue;
        }
        if (a == NULL) {
            n++;
            continue;
        }
        fx_format(path, sizeof path, "/proc/self/task/%s/comm", e->d_name);
        f = fopen(path, "r");
        if (f == NULL) {
            continue;
        }
        if (fgets(comm, sizeof comm, f) != NULL) {
            comm[strcspn(comm, "\n")] = '\0';
            if (strcmp(comm, a) == 0 || (b != NULL && strcmp(comm, b) == 0)) {
                n++;
            }
        }
        fclose(f);
    }
    closedir(d);
    return n;
}

static int threads_named(const char *name) {
    return threads_named2(name[0] == '\0' ? NULL : name, NULL);
}

static int library_threads(void) {
    return threads_named2("pc-async", "pc-callback");
}

/* Waits (bounded) until the library's async threads have ended; whether they have. */
static int no_library_thread_within(int64_t ms) {
    int64_t deadline = fx_monotonic_ms() + ms;
    while (library_threads() > 0) {
        if (fx_monotonic_ms() > deadline) {
            return 0;
        }
        fx_sleep_ms(2);
    }
    return 1;
}

static int open_fds(void) {
    DIR *d = opendir("/proc/self/fd");
    struct dirent *e;
    int n = 0;
    if (d == NULL) {
        return -1;
    }
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] != '.') {
            n++;
        }
    }
    closedir(d);
    return n - 1; /* the directory's own */
}

/* Whether `pid` is gone or a zombie. */
static int dead(long pid) {
    char path[64], stat[512];
    FILE *f;
    char *close;
    fx_format(path, sizeof path, "/proc/%ld/stat", pid);
    f = fopen(path, "r");
    if (f == NULL) {
        return 1;
    }
    if (fgets(stat, sizeof stat, f) == NULL) {
        fclose(f);
        return 1;
    }
    fclose(f);
    close = strrchr(stat, ')');
    return close == NULL || close[2] == 'Z' || close[2] == 'X';
}

/* Waits (bounded) for `pid` to die; the milliseconds it took, or -1. */
static int64_t dies_within(long pid, int64_t ms) {
    int64_t t0 = fx_monotonic_ms();
    while (!dead(pid)) {
        if (fx_monotonic_ms() - t0 > ms) {
            return -1;
        }
        fx_sleep_ms(1);
    }
    return fx_monotonic_ms() - t0;
}

/* The number written to `<dir>/name` by a helper, waiting (bounded) for it. */
static long read_number(const char *name) {
    int64_t deadline = fx_monotonic_ms() + 10000;
    while (fx_monotonic_ms() < deadline) {
        char path[FX_PATH];
        long v = 0;
        FILE *f = fopen(fx_path(path, name), "r");
        if (f != NULL) {
            int got = fscanf(f, "%ld", &v);
            fclose(f);
            if (got == 1 && v > 0) {
                return v;
            }
        }
        fx_sleep_ms(2);
    }
    return -1;
}

/* ---- helpers --------------------------------------------------------------------------------- */

/* `name`: appends a line to `<name>.count`, writes its pid to `<name>.pid` (the leader of its own
 * process group: the tests run without a terminal), starts a `sleep` child whose pid goes to
 * `<name>.child`, sleeps `secs`, prints credentials with key id AKIDASYNC. */
static int write_sleeper(const char *name, const char *secs) {
    return fx_script(name, NULL,
                     "echo run >> \"$D/%s.count\"\n"
                     "echo $$ > \"$D/%s.pid.tmp\"; mv \"$D/%s.pid.tmp\" \"$D/%s.pid\"\n"
                     "sleep 120 & echo $! > \"$D/%s.child.tmp\"; mv \"$D/%s.child.tmp\" "
                     "\"$D/%s.child\"\n"
                     "sleep %s\n"
                     "kill $! 2>/dev/null\n"
                     "printf '{\"Version\":1,\"AccessKeyId\":\"AKIDASYNC\",\"SecretAccessKey\":"
                     "\"async-secret\",\"Expiration\":\"2099-01-01T00:00:00Z\"}'\n",
                     name, name, name, name, name, name, name, secs);
}

static long runs_of(const char *helper) {
    char name[256];
    fx_format(name, sizeof name, "%s.count", helper);
    return fx_count(name);
}

static long pid_of(const char *helper, const char *what) {
    char name[256];
    fx_format(name, sizeof name, "%s.%s", helper, what);
    return read_number(name);
}

static pc_provider *provider_of(const char *helper) {
    pc_provider *p = NULL;
    char path[FX_PATH];
    const char *argv[1];
    argv[0] = fx_path(path, helper);
    if (pc_provider_new_argv(argv, 1, &p) != PC_STATUS_OK) {
        return NULL;
    }
    pc_set_stderr(p, PC_STDERR_DISCARD);
    pc_set_stdin(p, PC_STDIN_NULL);
    return p;
}

/* A thread's blocking retrieve on the provider `arg`: (void *)1 on success with the helper's
 * credentials. */
static void *blocking_retrieve(void *arg) {
    pc_credentials *c = NULL;
    void *ok = NULL;
    if (pc_retrieve((pc_provider *)arg, &c, NULL) == PC_STATUS_OK) {
        ok = strcmp(pc_credentials_access_key_id(c), "AKIDASYNC") == 0 ? (void *)1 : NULL;
        pc_credentials_free(c);
    }
    return ok;
}

/* ---- tests ----------------------------------------------------------------------------------- */

static void test_status_names(void) {
    CHECK_INT(PC_STATUS_CANCELED, 9);
    CHECK_INT(PC_STATUS_NOT_CACHED, 10);
    CHECK_STR(pc_status_name(PC_STATUS_CANCELED), "PC_STATUS_CANCELED");
    CHECK_STR(pc_status_name(PC_STATUS_NOT_CACHED), "PC_STATUS_NOT_CACHED");
}

static void test_null_arguments(void) {
    pc_provider *p;
    pc_request *r = (pc_request *)&completed;
    pc_credentials *c = (pc_credentials *)&completed;
    struct slot s;
    memset(&s, 0, sizeof s);
    CHECK(write_sleeper("nulls", "0") == 0);
    p = provider_of("nulls");
    CHECK(p != NULL);
    CHECK_STATUS(pc_retrieve_async(NULL, on_done, &s, &r), PC_STATUS_INVALID_ARGUMENT);
    CHECK_STATUS(pc_retrieve_async(p, NULL, &s, &r), PC_STATUS_INVALID_ARGUMENT);
    CHECK(r == (pc_request *)&completed);
    CHECK_STATUS(pc_retrieve_cached(NULL, &c), PC_STATUS_INVALID_ARGUMENT);
    CHECK_STATUS(pc_retrieve_cached(p, NULL), PC_STATUS_INVALID_ARGUMENT);
    CHECK(c == (pc_credentials *)&completed);
    pc_request_cancel(NULL);
    pc_request_free(NULL);
    pc_free(p);
    fx_sleep_ms(50);
    CHECK_INT(s.calls, 0);
    CHECK_INT(runs_of("nulls"), 0);
}

/* 100 requests and 4 blocking callers through a 0.5 s helper: one run, every callback exactly
 * once with the credentials, on a library thread. */
static void test_async_and_blocking_share_one_run(void) {
    enum { N = 100, B = 4 };
    static struct slot slots[N];
    pc_request *reqs[N];
    pthread_t blockers[B];
    long base = completed_now();
    pc_provider *p;
    int i;
    memset(slots, 0, sizeof slots);
    CHECK(write_sleeper("share", "0.5") == 0);
    p = provider_of("share");
    CHECK(p != NULL);
    for (i = 0; i < N; i++) {
        CHECK_STATUS(pc_retrieve_async(p, on_done, &slots[i], &reqs[i]), PC_STATUS_OK);
        CHECK(reqs[i] != NULL);
        if (i == N / 2) {
            int b;
            for (b = 0; b < B; b++) {
                CHECK(pthread_create(&blockers[b], NULL, blocking_retrieve, p) == 0);
            }
        }
    }
    CHECK(wait_completed(base + N, bound_ms(10000)));
    {
        int b;
        for (b = 0; b < B; b++) {
            void *status = NULL;
            pthread_join(blockers[b], &status);
            CHECK(status == (void *)1);
        }
    }
    fx_sleep_ms(50); /* a second call of any callback would come now */
    for (i = 0; i < N; i++) {
        CHECK_INT(slots[i].calls, 1);
        CHECK_STATUS(slots[i].status, PC_STATUS_OK);
        CHECK(slots[i].err_ok);
        CHECK_STR(slots[i].key, "AKIDASYNC");
        CHECK(!pthread_equal(slots[i].thread, pthread_self()));
        pc_request_free(reqs[i]);
    }
    CHECK_INT(runs_of("share"), 1);
    pc_free(p);
}

/* Cancelling every request kills the helper's process group within 100 ms, and every callback
 * gets PC_STATUS_CANCELED within 50 ms. */
static void test_cancel_all_kills_the_group(void) {
    enum { N = 50 };
    static struct slot slots[N];
    pc_request *reqs[N];
    long base = completed_now(), helper, child;
    int64_t t0, took;
    pc_provider *p;
    int i;
    memset(slots, 0, sizeof slots);
    CHECK(write_sleeper("cancelall", "60") == 0);
    p = provider_of("cancelall");
    CHECK(p != NULL);
    for (i = 0; i < N; i++) {
        CHECK_STATUS(pc_retrieve_async(p, on_done, &slots[i], &reqs[i]), PC_STATUS_OK);
    }
    helper = pid_of("cancelall", "pid");
    child = pid_of("cancelall", "child");
    CHECK(helper > 0 && child > 0);
    t0 = fx_monotonic_ms();
    for (i = 0; i < N; i++) {
        pc_request_cancel(reqs[i]);
    }
    took = dies_within(helper, bound_ms(100));
    CHECK(took >= 0);
    CHECK(dies_within(child, bound_ms(100)) >= 0);
    CHECK(fx_monotonic_ms() - t0 <= bound_ms(100));
    CHECK(wait_completed(base + N, bound_ms(50)));
    for (i = 0; i < N; i++) {
        CHECK_INT(slots[i].calls, 1);
        CHECK_STATUS(slots[i].status, PC_STATUS_CANCELED);
        CHECK(slots[i].err_ok);
        CHECK(slots[i].at_ms - t0 <= bound_ms(50));
        pc_request_cancel(reqs[i]); /* again: nothing more */
        pc_request_free(reqs[i]);
    }
    fx_sleep_ms(20);
    for (i = 0; i < N; i++) {
        CHECK_INT(slots[i].calls, 1);
    }
    CHECK_INT(runs_of("cancelall"), 1);
    /* The next request starts a new run. */
    {
        pc_credentials *c = NULL;
        CHECK_STATUS(pc_retrieve_cached(p, &c), PC_STATUS_NOT_CACHED);
    }
    pc_free(p);
}

/* Cancelling some requests leaves the run to the others. */
static void test_partial_cancel(void) {
    enum { N = 10 };
    static struct slot slots[N];
    pc_request *reqs[N];
    long base = completed_now(), helper;
    pc_provider *p;
    int i;
    memset(slots, 0, sizeof slots);
    CHECK(write_sleeper("partial", "0.4") == 0);
    p = provider_of("partial");
    CHECK(p != NULL);
    for (i = 0; i < N; i++) {
        CHECK_STATUS(pc_retrieve_async(p, on_done, &slots[i], &reqs[i]), PC_STATUS_OK);
    }
    helper = pid_of("partial", "pid");
    for (i = 0; i < N / 2; i++) {
        pc_request_cancel(reqs[i]);
    }
    CHECK(wait_completed(base + N / 2, bound_ms(50)));
    CHECK(!dead(helper));
    CHECK(wait_completed(base + N, bound_ms(10000)));
    fx_sleep_ms(20);
    for (i = 0; i < N; i++) {
        CHECK_INT(slots[i].calls, 1);
        CHECK_STATUS(slots[i].status, i < N / 2 ? PC_STATUS_CANCELED : PC_STATUS_OK);
        CHECK(slots[i].err_ok);
        pc_request_free(reqs[i]);
    }
    CHECK_INT(runs_of("partial"), 1);
    pc_free(p);
}

/* A blocking caller waiting for a request's run keeps it alive when the request is cancelled. */
static void test_blocking_caller_keeps_the_run(void) {
    struct slot s;
    pc_request *r = NULL;
    pthread_t t;
    void *ok = NULL;
    long base = completed_now(), helper;
    pc_provider *p;
    memset(&s, 0, sizeof s);
    CHECK(write_sleeper("keeps", "0.5") == 0);
    p = provider_of("keeps");
    CHECK(p != NULL);
    CHECK_STATUS(pc_retrieve_async(p, on_done, &s, &r), PC_STATUS_OK);
    helper = pid_of("keeps", "pid");
    CHECK(pthread_create(&t, NULL, blocking_retrieve, p) == 0);
    fx_sleep_ms(100);
    pc_request_cancel(r);
    CHECK(wait_completed(base + 1, bound_ms(50)));
    CHECK_STATUS(s.status, PC_STATUS_CANCELED);
    CHECK(!dead(helper));
    pthread_join(t, &ok);
    CHECK(ok == (void *)1);
    CHECK_INT(runs_of("keeps"), 1);
    pc_request_free(r);
    pc_free(p);
}

/* pc_free with pending requests: each callback runs once with PC_STATUS_CANCELED and the run
 * they waited for is killed. */
static void test_free_with_pending_requests(void) {
    enum { N = 20 };
    static struct slot slots[N];
    long base = completed_now(), helper;
    pc_provider *p;
    int i;
    memset(slots, 0, sizeof slots);
    CHECK(write_sleeper("freepending", "60") == 0);
    p = provider_of("freepending");
    CHECK(p != NULL);
    for (i = 0; i < N; i++) {
        /* Half without a handle: only pc_free can cancel those. */
        pc_request *r = NULL;
        CHECK_STATUS(pc_retrieve_async(p, on_done, &slots[i], i % 2 ? &r : NULL), PC_STATUS_OK);
        pc_request_free(r);
    }
    helper = pid_of("freepending", "pid");
    pc_free(p);
    CHECK(dies_within(helper, bound_ms(100)) >= 0);
    CHECK(wait_completed(base + N, bound_ms(50)));
    fx_sleep_ms(20);
    for (i = 0; i < N; i++) {
        CHECK_INT(slots[i].calls, 1);
        CHECK_STATUS(slots[i].status, PC_STATUS_CANCELED);
        CHECK(slots[i].err_ok);
    }
}

/* pc_free from inside a callback: of the callback's own provider, and of another provider with
 * pending requests, whose callbacks then run (after this one) with PC_STATUS_CANCELED. */
struct freeing {
    pc_provider *own;
    pc_provider *other;
    pc_request *own_request;
    int calls;
    uint32_t status;
};

static void free_in_callback(void *user_data, uint32_t status, pc_credentials *creds,
                             pc_error *err) {
    struct freeing *f = (struct freeing *)user_data;
    pc_credentials *again = NULL;
    /* Anything may be called here: a blocking retrieve (cached by now), then the frees. */
    if (pc_retrieve(f->own, &again, NULL) == PC_STATUS_OK) {
        pc_credentials_free(again);
    }
    pc_free(f->other);
    pc_free(f->own);
    pc_request_free(f->own_request);
    pthread_mutex_lock(&mu);
    f->calls++;
    f->status = status;
    completed++;
    pthread_cond_broadcast(&cv);
    pthread_mutex_unlock(&mu);
    pc_credentials_free(creds);
    pc_error_free(err);
}

static void test_free_inside_a_callback(void) {
    enum { N = 5 };
    static struct slot slots[N];
    static struct freeing f;
    long base = completed_now(), helper;
    pc_request *r = NULL;
    int i;
    memset(slots, 0, sizeof slots);
    memset(&f, 0, sizeof f);
    CHECK(write_sleeper("ownfast", "0.1") == 0);
    CHECK(write_sleeper("otherslow", "60") == 0);
    f.own = provider_of("ownfast");
    f.other = provider_of("otherslow");
    CHECK(f.own != NULL && f.other != NULL);
    for (i = 0; i < N; i++) {
        CHECK_STATUS(pc_retrieve_async(f.other, on_done, &slots[i], NULL), PC_STATUS_OK);
    }
    helper = pid_of("otherslow", "pid");
    CHECK_STATUS(pc_retrieve_async(f.own, free_in_callback, &f, &r), PC_STATUS_OK);
    /* The handle is written before the request starts: the callback may free it. */
    pthread_mutex_lock(&mu);
    f.own_request = r;
    pthread_mutex_unlock(&mu);
    CHECK(wait_completed(base + 1 + N, bound_ms(10000)));
    CHECK(dies_within(helper, bound_ms(100)) >= 0);
    fx_sleep_ms(20);
    CHECK_INT(f.calls, 1);
    CHECK_STATUS(f.status, PC_STATUS_OK);
    for (i = 0; i < N; i++) {
        CHECK_INT(slots[i].calls, 1);
        CHECK_STATUS(slots[i].status, PC_STATUS_CANCELED);
    }
}

/* pc_retrieve_cached never runs the helper; a cached hit through pc_retrieve_async still calls
 * back on the library's thread. */
static void test_retrieve_cached_never_runs_the_helper(void) {
    struct slot s;
    pc_credentials *c = NULL;
    long base = completed_now();
    pc_provider *p;
    int i;
    memset(&s, 0, sizeof s);
    CHECK(write_sleeper("cached", "0") == 0);
    p = provider_of("cached");
    CHECK(p != NULL);
    for (i = 0; i < 100; i++) {
        CHECK_STATUS(pc_retrieve_cached(p, &c), PC_STATUS_NOT_CACHED);
    }
    CHECK(c == NULL);
    fx_sleep_ms(50);
    CHECK_INT(runs_of("cached"), 0);
    CHECK_STATUS(pc_retrieve_async(p, on_done, &s, NULL), PC_STATUS_OK);
    CHECK(wait_completed(base + 1, bound_ms(10000)));
    CHECK_STATUS(s.status, PC_STATUS_OK);
    CHECK_INT(runs_of("cached"), 1);
    CHECK_STATUS(pc_retrieve_cached(p, &c), PC_STATUS_OK);
    CHECK(c != NULL);
    CHECK_STR(pc_credentials_access_key_id(c), "AKIDASYNC");
    pc_credentials_free(c);
    /* A hit through pc_retrieve_async: on the callback thread, not here. */
    memset(&s, 0, sizeof s);
    CHECK_STATUS(pc_retrieve_async(p, on_done, &s, NULL), PC_STATUS_OK);
    CHECK(wait_completed(base + 2, bound_ms(5000)));
    CHECK_STATUS(s.status, PC_STATUS_OK);
    CHECK(!pthread_equal(s.thread, pthread_self()));
    pc_expire(p);
    c = NULL;
    CHECK_STATUS(pc_retrieve_cached(p, &c), PC_STATUS_NOT_CACHED);
    CHECK(c == NULL);
    CHECK_INT(runs_of("cached"), 1);
    pc_free(p);
}

/* However many requests are pending, at most two library threads serve them; none is left
 * once they are done, nor any descriptor. */
static void test_library_threads_stay_bounded(void) {
    enum { P = 20, R = 25 };
    static struct slot slots[P * R];
    pc_provider *ps[P];
    long base = completed_now();
    int threads_before, fds_before, most = 0, most_all = 0;
    int i, j;
    memset(slots, 0, sizeof slots);
    /* From a process with no library thread (those of the tests before have ended). */
    CHECK(no_library_thread_within(bound_ms(2000)));
    threads_before = threads_named("");
    fds_before = open_fds();
    for (i = 0; i < P; i++) {
        char name[32];
        fx_format(name, sizeof name, "bounded%d", i);
        CHECK(write_sleeper(name, "0.3") == 0);
        ps[i] = provider_of(name);
        CHECK(ps[i] != NULL);
    }
    for (i = 0; i < P; i++) {
        for (j = 0; j < R; j++) {
            CHECK_STATUS(pc_retrieve_async(ps[i], on_done, &slots[i * R + j], NULL),
                         PC_STATUS_OK);
        }
    }
    {
        int64_t deadline = fx_monotonic_ms() + bound_ms(10000);
        while (completed_now() < base + P * R && fx_monotonic_ms() < deadline) {
            int lib = library_threads(), all = threads_named("") - threads_before;
            most = lib > most ? lib : most;
            most_all = all > most_all ? all : most_all;
            fx_sleep_ms(2);
        }
    }
    CHECK(wait_completed(base + P * R, 1));
    printf("    library threads at most %d (all new threads at most %d) for %d requests\n", most,
           most_all, P * R);
    CHECK(most <= 2);
    CHECK(most_all <= 2); /* no helper is killed here: no reaper thread either */
    for (i = 0; i < P; i++) {
        char name[32];
        fx_format(name, sizeof name, "bounded%d", i);
        CHECK_INT(runs_of(name), 1);
        pc_free(ps[i]);
    }
    for (i = 0; i < P * R; i++) {
        CHECK_INT(slots[i].calls, 1);
        CHECK_STATUS(slots[i].status, PC_STATUS_OK);
    }
    CHECK(no_library_thread_within(bound_ms(2000)));
    CHECK_INT(open_fds(), fds_before);
}

/* Threads starting and ending in quick succession (every callback on a new callback thread, the
 * reactor started and ended for each run): a sampler counting every thread of the process never
 * sees more than two library threads beside the test's own. */
static volatile int sampling;
static int sampled_most;

static void *sample_threads(void *arg) {
    (void)arg;
    while (sampling) {
        int n = threads_named("");
        if (n > sampled_most) {
            sampled_most = n;
        }
    }
    return NULL;
}

static void test_threads_starting_and_ending(void) {
    enum { N = 100 };
    static struct slot slots[N];
    pc_provider *p;
    pthread_t sampler;
    int before, i;
    memset(slots, 0, sizeof slots);
    CHECK(write_sleeper("churn", "0") == 0);
    p = provider_of("churn");
    CHECK(p != NULL);
    CHECK(no_library_thread_within(bound_ms(2000)));
    before = threads_named("");
    sampled_most = 0;
    sampling = 1;
    CHECK(pthread_create(&sampler, NULL, sample_threads, NULL) == 0);
    for (i = 0; i < N; i++) {
        long base = completed_now();
        if (i % 10 == 0) {
            pc_expire(p); /* a run on the reactor */
        }
        CHECK_STATUS(pc_retrieve_async(p, on_done, &slots[i], NULL), PC_STATUS_OK);
        CHECK(wait_completed(base + 1, bound_ms(10000)));
        CHECK(no_library_thread_within(bound_ms(2000)));
    }
    sampling = 0;
    pthread_join(sampler, NULL);
    printf("    at most %d threads beside the %d of the test and its sampler\n",
           sampled_most - before - 1, before);
    CHECK(sampled_most - before - 1 <= 2);
    for (i = 0; i < N; i++) {
        CHECK_INT(slots[i].calls, 1);
        CHECK_STATUS(slots[i].status, PC_STATUS_OK);
    }
    CHECK_INT(runs_of("churn"), N / 10);
    pc_free(p);
}

/* 1,000 requests cancelled at random moments: every callback exactly once (OK or CANCELED),
 * no library thread left, no descriptor leaked (and, under valgrind, no leak or error). */
struct canceller {
    pc_request **reqs;
    int n;
    unsigned seed;
};

static void *cancel_randomly(void *arg) {
    struct canceller *c = (struct canceller *)arg;
    int i;
    for (i = 0; i < c->n; i++) {
        c->seed = c->seed * 1103515245u + 12345u;
        if ((c->seed >> 16) % 4 == 0) {
            fx_sleep_ms((long)((c->seed >> 8) % 3));
        }
        pc_request_cancel(c->reqs[i]);
    }
    return NULL;
}

static void test_random_cancels(void) {
    enum { N = 1000, P = 8 };
    static struct slot slots[N];
    static pc_request *reqs[N];
    pc_provider *ps[P];
    struct canceller can;
    pthread_t t;
    long base = completed_now(), ok = 0, cancelled = 0;
    int fds_before, i;
    const char *const delays[P] = {"0", "0.005", "0.01", "0.02", "0.03", "0.05", "0.08", "0.1"};
    memset(slots, 0, sizeof slots);
    CHECK(no_library_thread_within(bound_ms(2000)));
    fds_before = open_fds();
    for (i = 0; i < P; i++) {
        char name[32];
        fx_format(name, sizeof name, "random%d", i);
        CHECK(write_sleeper(name, delays[i]) == 0);
        ps[i] = provider_of(name);
        CHECK(ps[i] != NULL);
    }
    can.reqs = reqs;
    can.n = N;
    can.seed = (unsigned)fx_monotonic_ms();
    for (i = 0; i < N; i++) {
        pc_provider *p = ps[i % P];
        CHECK_STATUS(pc_retrieve_async(p, on_done, &slots[i], &reqs[i]), PC_STATUS_OK);
        if (i % 97 == 0) {
            pc_expire(p); /* a new run for the requests that follow */
        }
        if (i == N / 4) {
            CHECK(pthread_create(&t, NULL, cancel_randomly, &can) == 0);
        }
    }
    pthread_join(t, NULL);
    CHECK(wait_completed(base + N, bound_ms(30000)));
    fx_sleep_ms(50);
    for (i = 0; i < N; i++) {
        CHECK_INT(slots[i].calls, 1);
        CHECK(slots[i].status == PC_STATUS_OK || slots[i].status == PC_STATUS_CANCELED);
        CHECK(slots[i].err_ok);
        ok += slots[i].status == PC_STATUS_OK;
        cancelled += slots[i].status == PC_STATUS_CANCELED;
        pc_request_free(reqs[i]);
    }
    printf("    %ld succeeded, %ld cancelled\n", ok, cancelled);
    CHECK(cancelled > 0);
    for (i = 0; i < P; i++) {
        pc_free(ps[i]);
    }
    CHECK(no_library_thread_within(bound_ms(3000)));
    /* Killed helpers are reaped by the process's reaper thread when they linger: wait for it. */
    {
        int64_t deadline = fx_monotonic_ms() + bound_ms(3000);
        while ((threads_named("processcreds-re") > 0 || open_fds() != fds_before) &&
               fx_monotonic_ms() < deadline) {
            fx_sleep_ms(5);
        }
    }
    CHECK_INT(open_fds(), fds_before);
}

static const struct check_case cases[] = {
    {"status_names", test_status_names},
    {"null_arguments", test_null_arguments},
    {"async_and_blocking_share_one_run", test_async_and_blocking_share_one_run},
    {"cancel_all_kills_the_group", test_cancel_all_kills_the_group},
    {"partial_cancel", test_partial_cancel},
    {"blocking_caller_keeps_the_run", test_blocking_caller_keeps_the_run},
    {"free_with_pending_requests", test_free_with_pending_requests},
    {"free_inside_a_callback", test_free_inside_a_callback},
    {"retrieve_cached_never_runs_the_helper", test_retrieve_cached_never_runs_the_helper},
    {"library_threads_stay_bounded", test_library_threads_stay_bounded},
    {"threads_starting_and_ending", test_threads_starting_and_ending},
    {"random_cancels", test_random_cancels},
};

int main(int argc, char **argv) {
    int rc;
    slow = getenv("PC_TEST_UNDER_VALGRIND") != NULL;
    signal(SIGPIPE, SIG_IGN);
    if (fx_setup() != 0) {
        return 1;
    }
    rc = check_run(cases, sizeof cases / sizeof cases[0], argc > 1 ? argv[1] : NULL);
    fx_teardown();
    return rc;
}
