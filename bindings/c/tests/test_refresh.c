/* Refresh ahead through the C ABI (pc_set_refresh_window): run natively and under valgrind by
 * `make test-refresh`. The helper of a background refresh can be held (it creates `started.N`
 * and waits for `release.N`), so that "no retrieve waits for the helper" is checked by
 * retrieves completing while it is held, not by timing.
 *
 *   test_refresh [filter]
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "fixture.h"
#include "processcreds.h"

/* Under valgrind everything is slower: bounds are relaxed, the 50 ms one is not checked. */
static int under_valgrind;

/* The helper: run N appends a line to `runs` and its pid to `pids`; if `gate.N` exists it
 * creates `started.N` and waits for `release.N` (a `sleep` child keeps it company, to be killed
 * with its tree); prints `out.N`, else exits 3 if `fail` exists, else prints `out`. */
static int write_helper(void) {
    return fx_script("helper", NULL,
                     "echo run >> \"$D/runs\"\n"
                     "n=$(wc -l < \"$D/runs\" | tr -d ' ')\n"
                     "echo $$ >> \"$D/pids\"\n"
                     "if [ -f \"$D/gate.$n\" ]; then\n"
                     "  sleep 60 & echo $! > \"$D/child.$n\"\n"
                     "  : > \"$D/started.$n\"\n"
                     "  while [ ! -f \"$D/release.$n\" ] && [ -d \"$D\" ]; do sleep 0.01; done\n"
                     "  kill $! 2>/dev/null\n"
                     "fi\n"
                     "if [ -f \"$D/out.$n\" ]; then cat \"$D/out.$n\"; exit 0; fi\n"
                     "[ -f \"$D/fail\" ] && exit 3\n"
                     "cat \"$D/out\"\n");
}

/* Credentials JSON expiring at `unix_s` (whole seconds). */
static void creds_at(const char *name, const char *key, int64_t unix_s) {
    char text[512], path[FX_PATH];
    time_t t = (time_t)unix_s;
    struct tm tm;
    char when[32];
    gmtime_r(&t, &tm);
    strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
    fx_format(text, sizeof text,
              "{\"Version\":1,\"AccessKeyId\":\"%s\",\"SecretAccessKey\":\"refresh-secret\","
              "\"Expiration\":\"%s\"}",
              key, when);
    fx_write(fx_path(path, name), text, 0600);
}

static void touch(const char *name) {
    char path[FX_PATH];
    fx_write(fx_path(path, name), "", 0600);
}

static int exists(const char *name) {
    char path[FX_PATH];
    struct stat st;
    return stat(fx_path(path, name), &st) == 0;
}

/* Waits (bounded) for `<dir>/name` to exist. */
static int wait_exists(const char *name) {
    int64_t deadline = fx_monotonic_ms() + 30000;
    while (!exists(name)) {
        if (fx_monotonic_ms() > deadline) return 0;
        fx_sleep_ms(2);
    }
    return 1;
}

static long read_long(const char *name) {
    char path[FX_PATH];
    long v = -1;
    FILE *f = fopen(fx_path(path, name), "r");
    if (f != NULL) {
        if (fscanf(f, "%ld", &v) != 1) v = -1;
        fclose(f);
    }
    return v;
}

static int count_dir(const char *path) {
    int n = 0;
    DIR *d = opendir(path);
    struct dirent *e;
    if (d == NULL) return -1;
    while ((e = readdir(d)) != NULL) n += e->d_name[0] != '.';
    closedir(d);
    return n;
}

static int gone_within(pid_t pid, int64_t ms) {
    int64_t deadline = fx_monotonic_ms() + ms;
    char path[64], state = 0;
    for (;;) {
        FILE *f;
        snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
        f = fopen(path, "r");
        if (f == NULL) return 1;
        state = 0;
        if (fscanf(f, "%*d (%*[^)]) %c", &state) != 1) state = 0;
        fclose(f);
        if (state == 'Z' || state == 'X') return 1;
        if (fx_monotonic_ms() > deadline) return 0;
        fx_sleep_ms(5);
    }
}

static pc_provider *helper_provider(uint64_t window_ms) {
    char path[FX_PATH];
    const char *argv[1];
    pc_provider *p = NULL;
    fx_path(path, "helper");
    argv[0] = path;
    if (pc_provider_new_argv(argv, 1, &p) != PC_STATUS_OK) return NULL;
    pc_set_stderr(p, PC_STDERR_DISCARD);
    if (pc_set_refresh_window(p, window_ms) != PC_STATUS_OK) return NULL;
    return p;
}

static const char *key_of(pc_provider *p, char *buf, size_t size) {
    pc_credentials *c = NULL;
    if (pc_retrieve(p, &c, NULL) != PC_STATUS_OK) return NULL;
    fx_format(buf, size, "%s", pc_credentials_access_key_id(c));
    pc_credentials_free(c);
    return buf;
}

/* A fresh directory with the helper; old credentials valid for 10 minutes, new ones for 2 hours,
 * and run 2 (the background refresh) held. */
static int setup_held(void) {
    int64_t now = fx_now_ms() / 1000;
    if (fx_setup() != 0 || write_helper() != 0) return -1;
    creds_at("out.1", "AKOLD", now + 600);
    creds_at("out", "AKNEW", now + 7200);
    touch("gate.2");
    return 0;
}

/* setup_held, a provider with a window of an hour, and its first two retrieves, both AKOLD (the
 * second, in the window, starts the background refresh), once run 2 is held: *out (NULL after
 * a failed check). */
static void start_held_refresh(pc_provider **out) {
    char key[64];
    pc_provider *p;
    *out = NULL;
    CHECK(setup_held() == 0);
    p = helper_provider(3600 * 1000);
    CHECK(p != NULL);
    CHECK_STR(key_of(p, key, sizeof key), "AKOLD");
    CHECK_STR(key_of(p, key, sizeof key), "AKOLD");
    CHECK(wait_exists("started.2"));
    *out = p;
}

/* Retrieves (bounded, every 2 ms) until the key is `want`; the last key retrieved in `key`. */
static void wait_key(pc_provider *p, char *key, size_t size, const char *want) {
    int64_t deadline = fx_monotonic_ms() + 30000;
    const char *k;
    while (((k = key_of(p, key, size)) == NULL || strcmp(k, want) != 0) &&
           fx_monotonic_ms() < deadline) {
        fx_sleep_ms(2);
    }
}

static void test_null_and_defaults(void) {
    CHECK_STATUS(pc_set_refresh_window(NULL, 1000), PC_STATUS_INVALID_ARGUMENT);
}

struct hammer {
    pc_provider *p;
    atomic_long calls;
    atomic_int stop;
    atomic_int bad;
};

static void *hammer_loop(void *v) {
    struct hammer *h = v;
    while (!atomic_load(&h->stop)) {
        pc_credentials *c = NULL;
        if (pc_retrieve(h->p, &c, NULL) != PC_STATUS_OK) {
            atomic_store(&h->bad, 1);
            return NULL;
        }
        pc_credentials_free(c);
        atomic_fetch_add(&h->calls, 1);
    }
    return NULL;
}

static void test_retrieves_do_not_wait_for_the_background_refresh(void) {
    enum { T = 8 };
    struct hammer h[T];
    pthread_t t[T];
    long held[T];
    char key[64];
    int i, all;
    long more = under_valgrind ? 20 : 100;
    int64_t deadline;
    pc_provider *p;
    CHECK(setup_held() == 0);
    p = helper_provider(3600 * 1000);
    CHECK(p != NULL);
    CHECK_STR(key_of(p, key, sizeof key), "AKOLD");
    for (i = 0; i < T; i++) {
        h[i].p = p;
        atomic_init(&h[i].calls, 0);
        atomic_init(&h[i].stop, 0);
        atomic_init(&h[i].bad, 0);
        pthread_create(&t[i], NULL, hammer_loop, &h[i]);
    }
    CHECK(wait_exists("started.2"));
    for (i = 0; i < T; i++) held[i] = atomic_load(&h[i].calls);
    deadline = fx_monotonic_ms() + 30000;
    do {
        all = 1;
        for (i = 0; i < T; i++) all &= atomic_load(&h[i].calls) >= held[i] + more;
        if (!all) fx_sleep_ms(2);
    } while (!all && fx_monotonic_ms() < deadline);
    CHECK(all); /* 100 (20 under valgrind) retrieves per thread while the helper is held */
    CHECK_INT(fx_count("runs"), 2);
    CHECK(!pc_is_expired(p));
    touch("release.2");
    wait_key(p, key, sizeof key, "AKNEW");
    for (i = 0; i < T; i++) {
        atomic_store(&h[i].stop, 1);
        pthread_join(t[i], NULL);
        CHECK(!atomic_load(&h[i].bad));
    }
    CHECK_STR(key, "AKNEW");
    CHECK_INT(fx_count("runs"), 2);
    pc_free(p);
    fx_teardown();
}

static void test_free_during_a_background_refresh(void) {
    int threads_before = count_dir("/proc/self/task"), fds_before = count_dir("/proc/self/fd");
    int64_t t0, took;
    long helper, child;
    pc_provider *p;
    start_held_refresh(&p);
    CHECK(p != NULL);
    child = read_long("child.2");
    {
        char path[FX_PATH];
        FILE *f = fopen(fx_path(path, "pids"), "r");
        CHECK(f != NULL);
        CHECK(fscanf(f, "%*d %ld", &helper) == 1);
        fclose(f);
    }
    t0 = fx_monotonic_ms();
    pc_free(p);
    took = fx_monotonic_ms() - t0;
    printf("    pc_free during a background refresh: %lld ms\n", (long long)took);
    if (!under_valgrind) CHECK(took < 50);
    CHECK(gone_within((pid_t)helper, 2000));
    CHECK(gone_within((pid_t)child, 2000));
    /* No thread or descriptor left. */
    {
        int64_t deadline = fx_monotonic_ms() + 2000;
        while (count_dir("/proc/self/task") != threads_before && fx_monotonic_ms() < deadline) {
            fx_sleep_ms(5);
        }
    }
    CHECK_INT(count_dir("/proc/self/task"), threads_before);
    CHECK_INT(count_dir("/proc/self/fd"), fds_before);
    CHECK_INT(waitpid(-1, NULL, WNOHANG), -1); /* no child left, zombie or not */
    CHECK_INT(fx_count("runs"), 2);
    fx_teardown();
}

static void test_fork_during_a_background_refresh(void) {
    char key[64];
    pid_t pid;
    int status = 0;
    pc_provider *p;
    start_held_refresh(&p);
    CHECK(p != NULL);
    pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        /* No refresh in flight here: this retrieve starts the child's own, which lands. The
         * verdict goes to a file: under valgrind the child then dies by SIGKILL, skipping the
         * exit-time leak check, which would count the memory the parent's refresh thread owns
         * (that thread does not exist here). */
        int64_t deadline = fx_monotonic_ms() + 30000;
        const char *k = key_of(p, key, sizeof key);
        const char *verdict = "ok";
        if (k == NULL || strcmp(k, "AKOLD") != 0) verdict = "first retrieve";
        while (k != NULL && strcmp(k, "AKNEW") != 0) {
            if (fx_monotonic_ms() > deadline) break;
            fx_sleep_ms(5);
            k = key_of(p, key, sizeof key);
        }
        if (k == NULL || strcmp(k, "AKNEW") != 0) verdict = "no refresh of its own";
        pc_free(p); /* must leave the parent's refresh alone */
        {
            char path[FX_PATH];
            fx_write(fx_path(path, "child.verdict"), verdict, 0600);
        }
        if (under_valgrind) raise(SIGKILL);
        _exit(0);
    }
    CHECK_INT(waitpid(pid, &status, 0), pid);
    CHECK((WIFEXITED(status) && WEXITSTATUS(status) == 0) ||
          (under_valgrind && WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL));
    {
        char path[FX_PATH], verdict[64] = "";
        FILE *f = fopen(fx_path(path, "child.verdict"), "r");
        CHECK(f != NULL);
        CHECK(fgets(verdict, sizeof verdict, f) != NULL);
        fclose(f);
        CHECK_STR(verdict, "ok");
    }
    CHECK_INT(fx_count("runs"), 3);
    CHECK(!exists("release.2"));
    touch("release.2");
    wait_key(p, key, sizeof key, "AKNEW");
    CHECK_STR(key, "AKNEW");
    CHECK_INT(fx_count("runs"), 3);
    pc_free(p);
    fx_teardown();
}

static void test_expire_during_a_background_refresh(void) {
    char key[64];
    int64_t ms;
    pc_provider *p;
    start_held_refresh(&p);
    CHECK(p != NULL);
    pc_expire(p);
    CHECK(pc_is_expired(p));
    CHECK(!pc_expires_at(p, &ms));
    touch("release.2");
    /* The retrieve waits for the refresh in flight and gets its result: no second helper. */
    CHECK_STR(key_of(p, key, sizeof key), "AKNEW");
    CHECK(!pc_is_expired(p));
    CHECK_INT(fx_count("runs"), 2);
    pc_free(p);
    fx_teardown();
}

static void test_failing_refresh_no_error_before_expiry(void) {
    int64_t expiry = fx_now_ms() / 1000 + 4;
    long ok = 0;
    pc_provider *p;
    pc_credentials *c = NULL;
    pc_error *e = NULL;
    uint32_t st;
    char key[64];
    CHECK(fx_setup() == 0 && write_helper() == 0);
    creds_at("out.1", "AKOLD", expiry);
    touch("fail");
    p = helper_provider(60 * 1000);
    CHECK(p != NULL);
    CHECK_STR(key_of(p, key, sizeof key), "AKOLD");
    for (;;) {
        st = pc_retrieve(p, &c, &e);
        if (st != PC_STATUS_OK) break;
        CHECK_STR(pc_credentials_access_key_id(c), "AKOLD");
        pc_credentials_free(c);
        ok++;
        fx_sleep_ms(1);
    }
    CHECK(fx_now_ms() >= expiry * 1000);
    CHECK(ok > 0);
    CHECK_STATUS(st, PC_STATUS_EXECUTION);
    CHECK_STR(pc_error_message(e),
              "ProcessProviderExecutionError: error in credential_process\n"
              "caused by: exit status 3");
    pc_error_free(e);
    /* 1 (first) + background attempts at about 0, >= 1 and >= 3 s (fewer when slow) + the one
     * after the expiry. */
    CHECK(fx_count("runs") >= 3 && fx_count("runs") <= 6);
    pc_free(p);
    fx_teardown();
}

int main(int argc, char **argv) {
    static const struct check_case cases[] = {
        {"null_and_defaults", test_null_and_defaults},
        {"retrieves_do_not_wait_for_the_background_refresh",
         test_retrieves_do_not_wait_for_the_background_refresh},
        {"free_during_a_background_refresh", test_free_during_a_background_refresh},
        {"fork_during_a_background_refresh", test_fork_during_a_background_refresh},
        {"expire_during_a_background_refresh", test_expire_during_a_background_refresh},
        {"failing_refresh_no_error_before_expiry", test_failing_refresh_no_error_before_expiry},
    };
    under_valgrind = getenv("PC_TEST_UNDER_VALGRIND") != NULL;
    return check_run(cases, sizeof cases / sizeof cases[0], argc > 1 ? argv[1] : NULL);
}
