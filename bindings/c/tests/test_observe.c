/* Observability through the C ABI (pc_set_logger, pc_provider_stats): every event produced by a
 * real scenario (helpers the tests write, a real cache directory, asynchronous requests and their
 * cancellation), the level filter, no secret
 * in any message, the counters after known sequences, the logger's lifetime rules. Run
 * natively and under valgrind by `make test-observe`.
 *
 *   test_observe [filter]
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "fixture.h"
#include "processcreds.h"

static int under_valgrind;

/* The secrets the helpers print (and pass as arguments): no message may hold any part. */
#define SECRET "pcOBSsecretQ8w7E6r5T4y3U2i1O0pAzSx"
#define TOKEN "pcOBStokenZ1x2C3v4B5n6M7k8J9hG0fDs"

/* ---- an event log ---- */

#define LOG_MAX 512

struct record {
    uint32_t level;
    char event[48];
    char message[1024];
};

struct log {
    pthread_mutex_t mu;
    int n;
    struct record r[LOG_MAX];
};

static struct log events_log = {PTHREAD_MUTEX_INITIALIZER, 0, {{0, {0}, {0}}}};

static void on_event(void *user_data, uint32_t level, const char *event, const char *message) {
    struct log *l = user_data;
    pthread_mutex_lock(&l->mu);
    if (l->n < LOG_MAX) {
        struct record *r = &l->r[l->n++];
        r->level = level;
        fx_format(r->event, sizeof r->event, "%s", event);
        fx_format(r->message, sizeof r->message, "%s", message);
    }
    pthread_mutex_unlock(&l->mu);
}

static void log_reset(void) {
    pthread_mutex_lock(&events_log.mu);
    events_log.n = 0;
    pthread_mutex_unlock(&events_log.mu);
}

/* The index of the `nth` (0-based) record of `event`, or -1. */
static int find(const char *event, int nth) {
    int i, at = -1;
    pthread_mutex_lock(&events_log.mu);
    for (i = 0; i < events_log.n; i++) {
        if (strcmp(events_log.r[i].event, event) == 0 && nth-- == 0) {
            at = i;
            break;
        }
    }
    pthread_mutex_unlock(&events_log.mu);
    return at;
}

static int count(const char *event) {
    int n = 0;
    while (find(event, n) >= 0) n++;
    return n;
}

/* No record holds any 8 consecutive characters of the secret, the token or the helper's
 * argument text. */
static int log_is_clean(void) {
    const char *secrets[] = {SECRET, TOKEN};
    int i, s, clean = 1;
    pthread_mutex_lock(&events_log.mu);
    for (i = 0; i < events_log.n && clean; i++) {
        for (s = 0; s < 2 && clean; s++) {
            size_t k, len = strlen(secrets[s]);
            for (k = 0; k + 8 <= len; k++) {
                char part[9];
                memcpy(part, secrets[s] + k, 8);
                part[8] = '\0';
                if (strstr(events_log.r[i].message, part) != NULL ||
                    strstr(events_log.r[i].event, part) != NULL) {
                    clean = 0;
                    break;
                }
            }
        }
    }
    pthread_mutex_unlock(&events_log.mu);
    return clean;
}

static pc_stats stats_of(pc_provider *p) {
    pc_stats s;
    memset(&s, 0xff, sizeof s);
    s.size = sizeof s;
    if (pc_provider_stats(p, &s) != PC_STATUS_OK) abort();
    return s;
}

/* ---- helpers ---- */

static void iso(char *out, size_t n, int64_t unix_s) {
    time_t t = (time_t)unix_s;
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, n, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* `<dir>/out`: credentials with the secrets, expiring at `unix_s`. */
static void creds_file(const char *name, int64_t unix_s) {
    char text[512], when[32], path[FX_PATH];
    iso(when, sizeof when, unix_s);
    fx_format(text, sizeof text,
              "{\"Version\":1,\"AccessKeyId\":\"AKOBS\",\"SecretAccessKey\":\"" SECRET
              "\",\"SessionToken\":\"" TOKEN "\",\"Expiration\":\"%s\"}",
              when);
    fx_write(fx_path(path, name), text, 0600);
}

/* The helper `obs-helper`: counts its runs in `runs`, sleeps `sleep` seconds when that file
 * exists, exits 3 when `fail` exists, else prints `out`. Its arguments (a secret) are ignored. */
static int write_helper(void) {
    return fx_script("obs-helper", NULL,
                     "echo run >> \"$D/runs\"\n"
                     "[ -f \"$D/sleep\" ] && sleep \"$(cat \"$D/sleep\")\"\n"
                     "[ -f \"$D/fail\" ] && { echo 'helper says " SECRET "' >&2; exit 3; }\n"
                     "cat \"$D/out\"\n");
}

static void touch(const char *name, const char *content) {
    char path[FX_PATH];
    fx_write(fx_path(path, name), content, 0600);
}

static void rm(const char *name) {
    char path[FX_PATH];
    unlink(fx_path(path, name));
}

/* A provider running the helper with the secret as its argument, through sh -c, with a logger
 * at `level`. */
static pc_provider *provider(uint32_t level) {
    char cmd[FX_PATH + 128];
    pc_provider *p = NULL;
    fx_format(cmd, sizeof cmd, "%s --token " SECRET, fx_cmd("obs-helper"));
    if (pc_provider_new(cmd, &p) != PC_STATUS_OK) return NULL;
    pc_set_stderr(p, PC_STDERR_CAPTURE);
    pc_set_stdin(p, PC_STDIN_NULL);
    if (level != 0 && pc_set_logger(p, on_event, &events_log, level) != PC_STATUS_OK) {
        pc_free(p);
        return NULL;
    }
    return p;
}

static uint32_t retrieve(pc_provider *p) {
    pc_credentials *c = NULL;
    pc_error *e = NULL;
    uint32_t st = pc_retrieve(p, &c, &e);
    pc_credentials_free(c);
    pc_error_free(e);
    return st;
}

static int setup(void) {
    log_reset();
    if (fx_setup() != 0 || write_helper() != 0) return -1;
    creds_file("out", fx_now_ms() / 1000 + 3600);
    return 0;
}

/* ---- tests ---- */

static void test_arguments(void) {
    pc_provider *p = NULL;
    pc_stats s;
    CHECK(setup() == 0);
    CHECK_STATUS(pc_set_logger(NULL, on_event, &events_log, PC_LOG_INFO),
                 PC_STATUS_INVALID_ARGUMENT);
    CHECK_STATUS(pc_provider_new("true", &p), PC_STATUS_OK);
    CHECK_STATUS(pc_set_logger(p, on_event, &events_log, PC_LOG_DEBUG + 1),
                 PC_STATUS_INVALID_ARGUMENT);
    CHECK_STATUS(pc_set_logger(p, NULL, &events_log, PC_LOG_INFO), PC_STATUS_OK);
    CHECK_STATUS(pc_set_logger(p, on_event, &events_log, 0), PC_STATUS_OK);
    CHECK_STATUS(pc_provider_stats(NULL, &s), PC_STATUS_INVALID_ARGUMENT);
    CHECK_STATUS(pc_provider_stats(p, NULL), PC_STATUS_INVALID_ARGUMENT);
    s.size = 2;
    CHECK_STATUS(pc_provider_stats(p, &s), PC_STATUS_INVALID_ARGUMENT);
    CHECK_INT(s.size, 2);
    /* Nothing is logged with the logger off (NULL callback or level 0). */
    retrieve(p);
    CHECK_INT(events_log.n, 0);
    pc_free(p);
    fx_teardown();
}

/* A caller built against a shorter pc_stats gets the fields it knows, and the size filled. */
static void test_stats_size_versioning(void) {
    pc_provider *p;
    unsigned char buf[sizeof(pc_stats) + 16];
    pc_stats full;
    uint32_t size;
    uint64_t runs;
    CHECK(setup() == 0);
    p = provider(0);
    CHECK(p != NULL);
    CHECK_STATUS(retrieve(p), PC_STATUS_OK);
    /* The size field and the first two counters (helper_runs, helper_failures). */
    memset(buf, 0xab, sizeof buf);
    size = (uint32_t)(offsetof(pc_stats, helper_failures) + sizeof(uint64_t));
    memcpy(buf, &size, sizeof size);
    CHECK_STATUS(pc_provider_stats(p, (pc_stats *)(void *)buf), PC_STATUS_OK);
    memcpy(&size, buf, sizeof size);
    CHECK_INT(size, offsetof(pc_stats, helper_failures) + sizeof(uint64_t));
    memcpy(&runs, buf + offsetof(pc_stats, helper_runs), sizeof runs);
    CHECK_INT(runs, 1);
    CHECK(buf[offsetof(pc_stats, helper_timeouts)] == 0xab); /* not written */
    /* A longer struct: the library fills its own size and says so. */
    memset(buf, 0xab, sizeof buf);
    size = sizeof buf;
    memcpy(buf, &size, sizeof size);
    CHECK_STATUS(pc_provider_stats(p, (pc_stats *)(void *)buf), PC_STATUS_OK);
    memcpy(&size, buf, sizeof size);
    CHECK_INT(size, sizeof(pc_stats));
    CHECK(buf[sizeof(pc_stats)] == 0xab);
    full = stats_of(p);
    CHECK_INT(full.size, sizeof(pc_stats));
    CHECK_INT(full.helper_runs, 1);
    CHECK_INT(full.cache_misses, 1);
    CHECK_INT(full.cache_hits, 0);
    pc_free(p);
    fx_teardown();
}

/* A fresh run at info: helper.start then helper.exit, with the program's name and no
 * argument; a cached retrieve adds nothing at info. */
static void test_fresh_run_at_info(void) {
    pc_provider *p;
    int start, exit_;
    pc_stats s;
    CHECK(setup() == 0);
    p = provider(PC_LOG_INFO);
    CHECK(p != NULL);
    CHECK_STATUS(retrieve(p), PC_STATUS_OK);
    CHECK_STATUS(retrieve(p), PC_STATUS_OK);
    CHECK_INT(events_log.n, 2);
    start = find("helper.start", 0);
    exit_ = find("helper.exit", 0);
    CHECK(start == 0 && exit_ == 1);
    CHECK_INT(events_log.r[start].level, PC_LOG_INFO);
    CHECK_STR(events_log.r[start].message, "program=obs-helper");
    CHECK_INT(events_log.r[exit_].level, PC_LOG_INFO);
    CHECK_CONTAINS(events_log.r[exit_].message, "program=obs-helper status=ok duration_ms=");
    CHECK_CONTAINS(events_log.r[exit_].message, " bytes=");
    CHECK_LACKS(events_log.r[exit_].message, "--token");
    CHECK(log_is_clean());
    s = stats_of(p);
    CHECK_INT(s.helper_runs, 1);
    CHECK_INT(s.helper_failures, 0);
    CHECK_INT(s.cache_misses, 1);
    CHECK_INT(s.cache_hits, 1);
    CHECK(s.last_run_duration_us > 0);
    pc_free(p);
    fx_teardown();
}

/* At debug: cache.miss before the run, cache.hit for each cached retrieve. */
static void test_cache_hits_and_misses_at_debug(void) {
    pc_provider *p;
    pc_stats s;
    int i;
    CHECK(setup() == 0);
    p = provider(PC_LOG_DEBUG);
    CHECK(p != NULL);
    for (i = 0; i < 5; i++) CHECK_STATUS(retrieve(p), PC_STATUS_OK);
    CHECK_INT(count("cache.miss"), 1);
    CHECK_INT(count("cache.hit"), 4);
    CHECK(find("cache.miss", 0) < find("helper.start", 0));
    CHECK_INT(events_log.r[find("cache.hit", 0)].level, PC_LOG_DEBUG);
    CHECK_STR(events_log.r[find("cache.hit", 0)].message, "program=obs-helper");
    pc_expire(p);
    CHECK_STATUS(retrieve(p), PC_STATUS_OK);
    s = stats_of(p);
    CHECK_INT(s.cache_misses, 2);
    CHECK_INT(s.cache_hits, 4);
    CHECK_INT(s.helper_runs, 2);
    CHECK_INT(count("cache.miss"), 2);
    CHECK(log_is_clean());
    pc_free(p);
    fx_teardown();
}

/* At warn: a successful run says nothing; a failed one is helper.exit at warn with its status
 * and exit code, never its stderr (which holds the secret). */
static void test_level_filter_and_failed_run(void) {
    pc_provider *p;
    pc_stats s;
    int at;
    CHECK(setup() == 0);
    p = provider(PC_LOG_WARN);
    CHECK(p != NULL);
    CHECK_STATUS(retrieve(p), PC_STATUS_OK);
    CHECK_INT(events_log.n, 0);
    pc_expire(p);
    touch("fail", "");
    CHECK_STATUS(retrieve(p), PC_STATUS_EXECUTION);
    CHECK_INT(events_log.n, 1);
    at = find("helper.exit", 0);
    CHECK(at == 0);
    CHECK_INT(events_log.r[at].level, PC_LOG_WARN);
    CHECK_CONTAINS(events_log.r[at].message, "program=obs-helper status=execution exit=3 ");
    CHECK(log_is_clean());
    s = stats_of(p);
    CHECK_INT(s.helper_runs, 2);
    CHECK_INT(s.helper_failures, 1);
    CHECK_INT(s.helper_timeouts, 0);
    pc_free(p);
    fx_teardown();
}

static void test_timeout(void) {
    pc_provider *p;
    pc_stats s;
    int at;
    CHECK(setup() == 0);
    touch("sleep", "5");
    p = provider(PC_LOG_WARN);
    CHECK(p != NULL);
    pc_set_timeout(p, 300);
    CHECK_STATUS(retrieve(p), PC_STATUS_TIMEOUT);
    at = find("helper.timeout", 0);
    CHECK(at == 0);
    CHECK_INT(events_log.n, 2);
    CHECK(find("helper.exit", 0) == 1);
    CHECK_CONTAINS(events_log.r[1].message, "program=obs-helper status=timeout duration_ms=");
    CHECK_INT(events_log.r[at].level, PC_LOG_WARN);
    CHECK_CONTAINS(events_log.r[at].message, "program=obs-helper timeout_ms=300 duration_ms=");
    s = stats_of(p);
    CHECK_INT(s.helper_runs, 1);
    CHECK_INT(s.helper_failures, 1);
    CHECK_INT(s.helper_timeouts, 1);
    CHECK(s.last_run_duration_us >= 300000);
    pc_free(p);
    fx_teardown();
}

/* The callback of pc_retrieve_async: its status, once. */
static atomic_int async_status = -1;

static void on_result(void *user_data, uint32_t status, pc_credentials *creds, pc_error *err) {
    (void)user_data;
    pc_credentials_free(creds);
    pc_error_free(err);
    atomic_store(&async_status, (int)status);
}

static int wait_async_status(void) {
    int64_t deadline = fx_now_ms() + 20000;
    while (atomic_load(&async_status) < 0 && fx_now_ms() < deadline) fx_sleep_ms(2);
    return atomic_load(&async_status);
}

/* An asynchronous request cancelled while its helper runs: request.cancel (debug), then the
 * run, killed as no caller waits for it any more, ends with helper.exit status=canceled at info,
 * not counted as a failure. An answered request's run has the events of a blocking one. */
static void test_async_request_and_cancel(void) {
    pc_provider *p;
    pc_request *req = NULL;
    pc_stats s;
    int64_t deadline;
    int at;
    CHECK(setup() == 0);
    p = provider(PC_LOG_DEBUG);
    CHECK(p != NULL);
    atomic_store(&async_status, -1);
    CHECK_STATUS(pc_retrieve_async(p, on_result, NULL, &req), PC_STATUS_OK);
    CHECK_INT(wait_async_status(), PC_STATUS_OK);
    pc_request_free(req);
    CHECK(find("cache.miss", 0) == 0);
    CHECK(find("helper.start", 0) == 1);
    at = find("helper.exit", 0);
    CHECK(at == 2);
    CHECK_CONTAINS(events_log.r[at].message, "program=obs-helper status=ok duration_ms=");
    pc_expire(p);
    log_reset();
    touch("sleep", "30");
    atomic_store(&async_status, -1);
    req = NULL;
    CHECK_STATUS(pc_retrieve_async(p, on_result, NULL, &req), PC_STATUS_OK);
    deadline = fx_now_ms() + 10000;
    while (fx_count("runs") < 2 && fx_now_ms() < deadline) fx_sleep_ms(2);
    pc_request_cancel(req);
    CHECK_INT(wait_async_status(), PC_STATUS_CANCELED);
    pc_request_free(req);
    deadline = fx_now_ms() + 10000;
    while (find("helper.exit", 0) < 0 && fx_now_ms() < deadline) fx_sleep_ms(2);
    at = find("request.cancel", 0);
    CHECK(at >= 0);
    if (at >= 0) {
        CHECK_INT(events_log.r[at].level, PC_LOG_DEBUG);
        CHECK(strcmp(events_log.r[at].message, "program=obs-helper") == 0);
    }
    at = find("helper.exit", 0);
    CHECK(at > find("request.cancel", 0));
    if (at >= 0) {
        CHECK_INT(events_log.r[at].level, PC_LOG_INFO);
        CHECK_CONTAINS(events_log.r[at].message, "program=obs-helper status=canceled duration_ms=");
    }
    s = stats_of(p);
    CHECK_INT(s.helper_runs, 2);
    CHECK_INT(s.helper_failures, 0);
    CHECK_INT(s.cache_misses, 2);
    CHECK(log_is_clean());
    rm("sleep");
    pc_free(p);
    fx_teardown();
}

/* A cache directory of our own: entries written and served, with their events and counters. */
static void test_shared_cache_write_and_hit(void) {
    pc_provider *a, *b;
    char dir[FX_PATH];
    pc_stats s;
    int at;
    CHECK(setup() == 0);
    fx_path(dir, "cache");
    setenv("PROCESSCREDS_CACHE_DIR", dir, 1);
    a = provider(PC_LOG_DEBUG);
    b = provider(PC_LOG_DEBUG);
    CHECK(a != NULL && b != NULL);
    pc_set_shared_cache(a, PC_SHARED_CACHE_USER);
    pc_set_shared_cache(b, PC_SHARED_CACHE_USER);
    CHECK_STATUS(retrieve(a), PC_STATUS_OK);
    at = find("shared_cache.write", 0);
    CHECK(at >= 0);
    CHECK_INT(events_log.r[at].level, PC_LOG_INFO);
    CHECK_CONTAINS(events_log.r[at].message, "program=obs-helper path=");
    CHECK_CONTAINS(events_log.r[at].message, "/cache/");
    CHECK_CONTAINS(events_log.r[at].message, ".entry");
    CHECK_INT(count("shared_cache.hit"), 0);
    CHECK_STATUS(retrieve(b), PC_STATUS_OK);
    CHECK_INT(fx_count("runs"), 1);
    at = find("shared_cache.hit", 0);
    CHECK(at >= 0);
    CHECK_INT(events_log.r[at].level, PC_LOG_DEBUG);
    CHECK_CONTAINS(events_log.r[at].message, ".entry");
    CHECK_INT(count("shared_cache.bypass"), 0);
    s = stats_of(a);
    CHECK_INT(s.shared_cache_writes, 1);
    CHECK_INT(s.shared_cache_hits, 0);
    s = stats_of(b);
    CHECK_INT(s.shared_cache_hits, 1);
    CHECK_INT(s.helper_runs, 0);
    CHECK(log_is_clean());
    pc_free(a);
    pc_free(b);
    unsetenv("PROCESSCREDS_CACHE_DIR");
    fx_teardown();
}

/* A directory others may write (0777) is bypassed: a warning with the reason and the path. */
static void test_shared_cache_bypass_on_a_0777_directory(void) {
    pc_provider *p;
    char dir[FX_PATH], want[FX_PATH + 16];
    pc_stats s;
    int at;
    CHECK(setup() == 0);
    fx_path(dir, "open");
    CHECK(mkdir(dir, 0700) == 0 && chmod(dir, 0777) == 0);
    setenv("PROCESSCREDS_CACHE_DIR", dir, 1);
    p = provider(PC_LOG_WARN);
    CHECK(p != NULL);
    pc_set_shared_cache(p, PC_SHARED_CACHE_USER);
    CHECK_STATUS(retrieve(p), PC_STATUS_OK);
    at = find("shared_cache.bypass", 0);
    CHECK(at >= 0);
    CHECK_INT(events_log.r[at].level, PC_LOG_WARN);
    CHECK_CONTAINS(events_log.r[at].message, "program=obs-helper reason=directory_untrusted path=");
    /* The path has a space: quoted. */
    fx_format(want, sizeof want, "path=\"%s\"", dir);
    CHECK_CONTAINS(events_log.r[at].message, want);
    CHECK_CONTAINS(events_log.r[at].message, "detail=\"shared cache: the directory ");
    s = stats_of(p);
    CHECK_INT(s.shared_cache_bypasses, 1);
    CHECK_INT(s.shared_cache_writes, 0);
    CHECK_INT(s.helper_runs, 1);
    CHECK(log_is_clean());
    pc_free(p);
    unsetenv("PROCESSCREDS_CACHE_DIR");
    fx_teardown();
}

struct retrieve_arg {
    pc_provider *p;
    uint32_t status;
};

static void *retrieve_thread(void *arg) {
    struct retrieve_arg *a = arg;
    a->status = retrieve(a->p);
    return NULL;
}

/* Two providers (two "processes" of the same key) at once, the helper slow: one runs it, the
 * other waits for the key's lock and is served the entry. */
static void test_shared_cache_lock_wait(void) {
    pc_provider *a, *b;
    char dir[FX_PATH];
    struct retrieve_arg ra, rb;
    pthread_t ta, tb;
    int at;
    CHECK(setup() == 0);
    fx_path(dir, "cache");
    setenv("PROCESSCREDS_CACHE_DIR", dir, 1);
    touch("sleep", "0.5");
    a = provider(PC_LOG_DEBUG);
    b = provider(PC_LOG_DEBUG);
    CHECK(a != NULL && b != NULL);
    pc_set_shared_cache(a, PC_SHARED_CACHE_USER);
    pc_set_shared_cache(b, PC_SHARED_CACHE_USER);
    ra.p = a;
    rb.p = b;
    pthread_create(&ta, NULL, retrieve_thread, &ra);
    fx_sleep_ms(100);
    pthread_create(&tb, NULL, retrieve_thread, &rb);
    pthread_join(ta, NULL);
    pthread_join(tb, NULL);
    CHECK_STATUS(ra.status, PC_STATUS_OK);
    CHECK_STATUS(rb.status, PC_STATUS_OK);
    CHECK_INT(fx_count("runs"), 1);
    at = find("shared_cache.lock_wait", 0);
    CHECK(at >= 0);
    CHECK_INT(events_log.r[at].level, PC_LOG_DEBUG);
    CHECK_CONTAINS(events_log.r[at].message, ".lock\" waited_ms=");
    /* The waiter takes the lock the writer let go, or sees its entry first: served either way. */
    CHECK(strstr(events_log.r[at].message, " outcome=locked") != NULL ||
          strstr(events_log.r[at].message, " outcome=entry") != NULL);
    CHECK_INT(count("shared_cache.lock_wait"), 1);
    CHECK_INT(count("shared_cache.hit"), 1);
    CHECK_INT(count("shared_cache.write"), 1);
    pc_free(a);
    pc_free(b);
    unsetenv("PROCESSCREDS_CACHE_DIR");
    fx_teardown();
}

/* Refresh ahead: a background refresh that fails (refresh.start, refresh.fail with the
 * back-off), then one that succeeds (refresh.ok). */
static void test_refresh_fail_then_ok(void) {
    pc_provider *p;
    pc_stats s;
    int64_t deadline;
    int at;
    CHECK(setup() == 0);
    /* Valid for 60 s; a refresh window of 100 s: every retrieve is inside it. */
    creds_file("out", fx_now_ms() / 1000 + 60);
    p = provider(PC_LOG_INFO);
    CHECK(p != NULL);
    pc_set_refresh_window(p, 100 * 1000);
    CHECK_STATUS(retrieve(p), PC_STATUS_OK);
    touch("fail", "");
    CHECK_STATUS(retrieve(p), PC_STATUS_OK); /* starts the background refresh */
    deadline = fx_monotonic_ms() + 20000;
    while (find("refresh.fail", 0) < 0 && fx_monotonic_ms() < deadline) fx_sleep_ms(5);
    at = find("refresh.start", 0);
    CHECK(at >= 0);
    CHECK_INT(events_log.r[at].level, PC_LOG_INFO);
    CHECK_CONTAINS(events_log.r[at].message, "program=obs-helper expires_in_ms=");
    at = find("refresh.fail", 0);
    CHECK(at >= 0);
    CHECK_INT(events_log.r[at].level, PC_LOG_WARN);
    CHECK_CONTAINS(events_log.r[at].message,
                   "program=obs-helper status=execution failures=1 backoff_ms=");
    s = stats_of(p);
    CHECK_INT(s.refreshes_started, 1);
    CHECK_INT(s.refreshes_failed, 1);
    CHECK_INT(s.refreshes_succeeded, 0);
    /* After the back-off (1 s), the next retrieve starts one that succeeds. */
    rm("fail");
    deadline = fx_monotonic_ms() + 20000;
    while (find("refresh.ok", 0) < 0 && fx_monotonic_ms() < deadline) {
        CHECK_STATUS(retrieve(p), PC_STATUS_OK);
        fx_sleep_ms(20);
    }
    at = find("refresh.ok", 0);
    CHECK(at >= 0);
    CHECK_INT(events_log.r[at].level, PC_LOG_INFO);
    CHECK_CONTAINS(events_log.r[at].message, "program=obs-helper duration_ms=");
    s = stats_of(p);
    CHECK(s.refreshes_started >= 2);
    CHECK(s.refreshes_succeeded >= 1);
    CHECK_INT(s.refreshes_failed, 1);
    CHECK(log_is_clean());
    pc_free(p);
    fx_teardown();
}

/* ---- the logger's lifetime ---- */

static atomic_int in_slow_logger, slow_logger_done;

static void slow_logger(void *user_data, uint32_t level, const char *event, const char *message) {
    (void)level;
    (void)event;
    (void)message;
    if (strcmp(event, "helper.start") == 0) {
        pc_stats s;
        /* The library holds none of its locks: the logger may call it. */
        s.size = sizeof s;
        pc_provider_stats((const pc_provider *)user_data, &s);
        atomic_store(&in_slow_logger, 1);
        fx_sleep_ms(300);
        atomic_store(&slow_logger_done, 1);
    }
}

/* pc_set_logger (and pc_free) return once the previous logger's calls on other threads have
 * returned: after it, its user data may go. */
static void test_set_logger_waits_for_calls_in_progress(void) {
    pc_provider *p;
    struct retrieve_arg ra;
    pthread_t t;
    CHECK(setup() == 0);
    p = provider(0);
    CHECK(p != NULL);
    CHECK_STATUS(pc_set_logger(p, slow_logger, p, PC_LOG_INFO), PC_STATUS_OK);
    ra.p = p;
    pthread_create(&t, NULL, retrieve_thread, &ra);
    while (!atomic_load(&in_slow_logger)) fx_sleep_ms(1);
    CHECK_STATUS(pc_set_logger(p, on_event, &events_log, PC_LOG_INFO), PC_STATUS_OK);
    CHECK(atomic_load(&slow_logger_done));
    pthread_join(t, NULL);
    CHECK_STATUS(ra.status, PC_STATUS_OK);
    /* The new logger got the rest of the run. */
    CHECK_INT(count("helper.exit"), 1);
    CHECK_INT(count("helper.start"), 0);
    pc_free(p);
    fx_teardown();
}

int main(int argc, char **argv) {
    static const struct check_case cases[] = {
        {"arguments", test_arguments},
        {"stats_size_versioning", test_stats_size_versioning},
        {"fresh_run_at_info", test_fresh_run_at_info},
        {"cache_hits_and_misses_at_debug", test_cache_hits_and_misses_at_debug},
        {"level_filter_and_failed_run", test_level_filter_and_failed_run},
        {"timeout", test_timeout},
        {"async_request_and_cancel", test_async_request_and_cancel},
        {"shared_cache_write_and_hit", test_shared_cache_write_and_hit},
        {"shared_cache_bypass_on_a_0777_directory", test_shared_cache_bypass_on_a_0777_directory},
        {"shared_cache_lock_wait", test_shared_cache_lock_wait},
        {"refresh_fail_then_ok", test_refresh_fail_then_ok},
        {"set_logger_waits_for_calls_in_progress", test_set_logger_waits_for_calls_in_progress},
    };
    under_valgrind = getenv("PC_TEST_UNDER_VALGRIND") != NULL;
    (void)under_valgrind;
    return check_run(cases, sizeof cases / sizeof cases[0], argc > 1 ? argv[1] : NULL);
}
