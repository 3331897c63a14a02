/* Host conditions through the C ABI (docs/RELIABILITY.md): threads cancelled with pthread_cancel
 * while they retrieve, a storm of signals interrupting every system call (EINTR), and a host
 * whose SIGCHLD handler reaps every child. Each case orders its steps through files and FIFOs
 * written by the helpers, never by sleeping.
 *
 *   test_host [FILTER]
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "fixture.h"
#include "processcreds.h"

#define JSON "{\"Version\":1,\"AccessKeyId\":\"AKHOST\",\"SecretAccessKey\":\"host-secret\"}"
#define TIMEOUT_TEXT "ProcessProviderExecutionError: credential process timed out"

/* Waits (bounded) until `<dir>/<name>` exists; 0 when it does. */
static int wait_file(const char *name) {
    char path[FX_PATH];
    int64_t end = fx_monotonic_ms() + 20000;
    fx_path(path, name);
    while (access(path, F_OK) != 0) {
        if (fx_monotonic_ms() > end) return -1;
        fx_sleep_ms(1);
    }
    return 0;
}

/* Opens the FIFO `<dir>/<name>` for writing (the helper blocks reading it) and writes a line. */
static int release(const char *name) {
    char path[FX_PATH];
    int fd = open(fx_path(path, name), O_WRONLY);
    if (fd < 0) return -1;
    if (write(fd, "go\n", 3) != 3) {
        close(fd);
        return -1;
    }
    return close(fd);
}

static pc_provider *provider(const char *script, uint64_t timeout_ms) {
    pc_provider *p = NULL;
    if (pc_provider_new(fx_cmd(script), &p) != PC_STATUS_OK) return NULL;
    pc_set_timeout(p, timeout_ms);
    return p;
}

/* Retrieves; returns the status, and the error text into `text` (or "") */
static uint32_t retrieve(pc_provider *p, char *text, size_t size) {
    pc_credentials *c = NULL;
    pc_error *e = NULL;
    uint32_t st = pc_retrieve(p, &c, &e);
    text[0] = '\0';
    if (st == PC_STATUS_OK) {
        if (strcmp(pc_credentials_access_key_id(c), "AKHOST") != 0) st = 1000;
        pc_credentials_free(c);
    } else {
        snprintf(text, size, "%s", pc_error_message(e));
        pc_error_free(e);
    }
    return st;
}

/* ------------------------------------------------------------------------------------------ */
/* pthread_cancel */

struct canceled_call {
    pc_provider *p;
    int async;                  /* the thread uses PTHREAD_CANCEL_ASYNCHRONOUS until the call */
    volatile uint32_t status;   /* the call's result */
    volatile int after_call;    /* set if the thread ran past its cancellation point */
};

static void call_init(struct canceled_call *cc, pc_provider *p) {
    memset(cc, 0, sizeof *cc);
    cc->p = p;
    cc->status = 999;
}

/* A new FIFO `gate` (a helper blocks reading it until `release`) and no `started`; 0 on
 * success. */
static int new_gate(void) {
    remove(fx_path(NULL, "started"));
    remove(fx_path(NULL, "gate"));
    return mkfifo(fx_path(NULL, "gate"), 0600);
}

static void *retrieve_then_testcancel(void *arg) {
    struct canceled_call *cc = arg;
    pc_credentials *c = NULL;
    cc->status = pc_retrieve(cc->p, &c, NULL);
    if (cc->status == PC_STATUS_OK) pc_credentials_free(c);
    /* The pending cancellation acts here, at the host's own cancellation point. */
    pthread_testcancel();
    cc->after_call = 1;
    return NULL;
}

/* A thread blocked in pc_retrieve (its helper waits on a FIFO) is cancelled; the helper is then
 * released. The call completes normally, the cancellation acts at the thread's next cancellation
 * point, the process does not abort, and the provider works on. */
static void cancel_thread_blocked_in_retrieve(void) {
    char text[512];
    pthread_t t;
    void *ret = NULL;
    struct canceled_call cc;
    pc_provider *p;
    CHECK(new_gate() == 0);
    CHECK(fx_script("blocked.sh", NULL,
                    "echo run >> \"$D/runs\"\n"
                    "[ -e \"$D/free\" ] || { : > \"$D/started\"; read x < \"$D/gate\"; }\n"
                    "printf '%%s' '" JSON "'\n") == 0);
    p = provider("blocked.sh", 60000);
    CHECK(p != NULL);
    call_init(&cc, p);
    CHECK(pthread_create(&t, NULL, retrieve_then_testcancel, &cc) == 0);
    CHECK(wait_file("started") == 0);
    CHECK(pthread_cancel(t) == 0);
    CHECK(release("gate") == 0);
    CHECK(pthread_join(t, &ret) == 0);
    CHECK(ret == PTHREAD_CANCELED);
    CHECK_STATUS(cc.status, PC_STATUS_OK);
    CHECK_INT(cc.after_call, 0);
    CHECK_INT(fx_count("runs"), 1);
    /* The provider works on. */
    CHECK(fx_write(fx_path(NULL, "free"), "", 0644) == 0);
    pc_expire(p);
    CHECK_STATUS(retrieve(p, text, sizeof text), PC_STATUS_OK);
    CHECK_INT(fx_count("runs"), 2);
    pc_free(p);
    remove(fx_path(NULL, "free"));
    remove(fx_path(NULL, "runs"));
}

/* Two threads retrieve from one expired provider: one runs the helper, the other waits for that
 * run. Both are cancelled while the helper is blocked; both calls complete with the credentials,
 * and both threads end at their next cancellation point. */
static void cancel_threads_waiting_for_one_run(void) {
    pthread_t t[2];
    struct canceled_call cc[2];
    void *ret = NULL;
    int i;
    pc_provider *p;
    CHECK(new_gate() == 0);
    CHECK(fx_script("blocked2.sh", NULL,
                    "echo run >> \"$D/runs2\"\n"
                    ": > \"$D/started\"; read x < \"$D/gate\"\n"
                    "printf '%%s' '" JSON "'\n") == 0);
    p = provider("blocked2.sh", 60000);
    CHECK(p != NULL);
    for (i = 0; i < 2; i++) call_init(&cc[i], p);
    CHECK(pthread_create(&t[0], NULL, retrieve_then_testcancel, &cc[0]) == 0);
    CHECK(wait_file("started") == 0);
    CHECK(pthread_create(&t[1], NULL, retrieve_then_testcancel, &cc[1]) == 0);
    CHECK(pthread_cancel(t[0]) == 0);
    CHECK(pthread_cancel(t[1]) == 0);
    CHECK(release("gate") == 0);
    for (i = 0; i < 2; i++) {
        CHECK(pthread_join(t[i], &ret) == 0);
        CHECK(ret == PTHREAD_CANCELED);
        CHECK_STATUS(cc[i].status, PC_STATUS_OK);
        CHECK_INT(cc[i].after_call, 0);
    }
    CHECK_INT(fx_count("runs2"), 1);
    pc_free(p);
}

/* In a thread of cancel_while_waiting: waits, not cancellable, until the main thread has asked
 * for the cancellation; then enables it again (deferred: it stays pending). */
static void wait_for_pending_cancel(pthread_barrier_t *barrier) {
    int old;
    pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, &old);
    pthread_barrier_wait(barrier);
    pthread_barrier_wait(barrier);
    pthread_setcancelstate(PTHREAD_CANCEL_ENABLE, &old);
}

/* Runs `fn(arg)` on a thread that passes `barrier` (of 2) through wait_for_pending_cancel, asks
 * for its cancellation in between, and joins it: its result into *ret. 0 on success. */
static int cancel_while_waiting(void *(*fn)(void *), void *arg, pthread_barrier_t *barrier,
                                void **ret) {
    pthread_t t;
    if (pthread_create(&t, NULL, fn, arg) != 0) return -1;
    pthread_barrier_wait(barrier);
    if (pthread_cancel(t) != 0) return -1;
    pthread_barrier_wait(barrier);
    return pthread_join(t, ret);
}

struct profile_call {
    pthread_barrier_t *barrier;
    volatile uint32_t status;
    volatile int after_call;
};

static void *profile_with_cancel_pending(void *arg) {
    struct profile_call *pc = arg;
    pc_provider *p = NULL;
    /* A cancellation is pending: the library, which reads files, must not act on it. */
    wait_for_pending_cancel(pc->barrier);
    pc->status = pc_provider_from_profile("cancel", PC_SHARED_CONFIG_DISABLE, &p, NULL);
    if (pc->status == PC_STATUS_OK) pc_free(p);
    pthread_testcancel();
    pc->after_call = 1;
    return NULL;
}

/* A cancellation already pending when a call starts does not act inside it (reading the
 * shared config files, whose open and read are cancellation points). */
static void cancel_pending_before_a_call(void) {
    pthread_barrier_t barrier;
    struct profile_call pc;
    void *ret = NULL;
    char creds[FX_PATH];
    fx_path(creds, "credentials");
    CHECK(fx_write(creds, "[cancel]\ncredential_process = true\n", 0644) == 0);
    CHECK(setenv("AWS_SHARED_CREDENTIALS_FILE", creds, 1) == 0);
    CHECK(pthread_barrier_init(&barrier, NULL, 2) == 0);
    memset(&pc, 0, sizeof pc);
    pc.barrier = &barrier;
    pc.status = 999;
    CHECK(cancel_while_waiting(profile_with_cancel_pending, &pc, &barrier, &ret) == 0);
    pthread_barrier_destroy(&barrier);
    unsetenv("AWS_SHARED_CREDENTIALS_FILE");
    CHECK(ret == PTHREAD_CANCELED);
    CHECK_STATUS(pc.status, PC_STATUS_OK);
    CHECK_INT(pc.after_call, 0);
}

struct cached_calls {
    pc_provider *p;
    pthread_barrier_t *barrier;
    volatile int done;       /* how many calls completed */
    volatile int after_call; /* set if the thread ran past its cancellation point */
};

static void *cached_calls_with_cancel_pending(void *arg) {
    struct cached_calls *cc = arg;
    int i;
    int64_t ms;
    wait_for_pending_cancel(cc->barrier);
    /* A cancellation is pending: none of these calls may act on it. */
    for (i = 0; i < 100; i++) {
        pc_credentials *c = NULL;
        pc_error *e = NULL;
        if (pc_retrieve(cc->p, &c, &e) != PC_STATUS_OK) return NULL;
        if (pc_credentials_access_key_id(c) == NULL || pc_credentials_secret_access_key(c) == NULL)
            return NULL;
        pc_credentials_expiration(c, &ms);
        pc_credentials_free(c);
        (void)pc_is_expired(cc->p);
        (void)pc_expires_at(cc->p, &ms);
        cc->done++;
    }
    pthread_testcancel();
    cc->after_call = 1;
    return NULL;
}

/* Calls that reach no cancellation point (a cached retrieve, the getters, the frees) do not
 * defer cancellation (it costs two atomic operations a call); with a cancellation pending they
 * complete, and the thread is cancelled at its own next cancellation point. */
static void cancel_pending_during_cached_calls(void) {
    pthread_barrier_t barrier;
    struct cached_calls cc;
    void *ret = NULL;
    char text[512];
    CHECK(fx_script("ok.sh", NULL, "printf '%%s' '" JSON "'\n") == 0);
    memset(&cc, 0, sizeof cc);
    cc.p = provider("ok.sh", 30000);
    CHECK(cc.p != NULL);
    CHECK_STATUS(retrieve(cc.p, text, sizeof text), PC_STATUS_OK); /* cached from now on */
    CHECK(pthread_barrier_init(&barrier, NULL, 2) == 0);
    cc.barrier = &barrier;
    CHECK(cancel_while_waiting(cached_calls_with_cancel_pending, &cc, &barrier, &ret) == 0);
    pthread_barrier_destroy(&barrier);
    CHECK(ret == PTHREAD_CANCELED);
    CHECK_INT(cc.done, 100);
    CHECK_INT(cc.after_call, 0);
    pc_free(cc.p);
}

/* ------------------------------------------------------------------------------------------ */
/* EINTR storm: SIGALRM every millisecond, handler installed without SA_RESTART */

static volatile sig_atomic_t alarms;

static void on_alarm(int sig) {
    (void)sig;
    alarms++;
}

static int storm(int on) {
    struct itimerval it;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    /* Stopped: ignored rather than back to the default, since a signal already on its way to
     * another thread may still land. */
    sa.sa_handler = on ? on_alarm : SIG_IGN;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0; /* no SA_RESTART: every blocking call is interrupted */
    memset(&it, 0, sizeof it);
    if (on) {
        it.it_interval.tv_usec = 1000;
        it.it_value.tv_usec = 1000;
        if (sigaction(SIGALRM, &sa, NULL) != 0) return -1;
        return setitimer(ITIMER_REAL, &it, NULL);
    }
    if (setitimer(ITIMER_REAL, &it, NULL) != 0) return -1;
    return sigaction(SIGALRM, &sa, NULL);
}

/* Fresh retrieves (a slow helper, so that many signals land while the library waits), a
 * timeout, a flood and a spawn failure, all under the storm: each gives its exact result. */
static void eintr_storm(void) {
    char text[512];
    int i;
    int64_t t0, took;
    sig_atomic_t before;
    pc_provider *ok, *slow, *hang, *flood, *missing;
    const char *argv_missing[] = {"/nonexistent/helper-for-eintr"};
    CHECK(fx_script("ok.sh", NULL, "printf '%%s' '" JSON "'\n") == 0);
    CHECK(fx_script("slow.sh", NULL, "sleep 0.2; printf '%%s' '" JSON "'\n") == 0);
    CHECK(fx_script("hang.sh", NULL, "exec sleep 30\n") == 0);
    CHECK(fx_script("flood.sh", NULL, "exec yes\n") == 0);
    ok = provider("ok.sh", 30000);
    slow = provider("slow.sh", 30000);
    hang = provider("hang.sh", 300);
    flood = provider("flood.sh", 30000);
    CHECK(ok && slow && hang && flood);
    CHECK(pc_provider_new_argv(argv_missing, 1, &missing) == PC_STATUS_OK);
    before = alarms;
    CHECK(storm(1) == 0);
    for (i = 0; i < 20; i++) {
        pc_expire(ok);
        CHECK_STATUS(retrieve(ok, text, sizeof text), PC_STATUS_OK);
    }
    for (i = 0; i < 3; i++) {
        pc_expire(slow);
        CHECK_STATUS(retrieve(slow, text, sizeof text), PC_STATUS_OK);
    }
    t0 = fx_monotonic_ms();
    CHECK_STATUS(retrieve(hang, text, sizeof text), PC_STATUS_TIMEOUT);
    took = fx_monotonic_ms() - t0;
    CHECK_STR(text, TIMEOUT_TEXT);
    CHECK(took >= 300 && took < 3000);
    CHECK_STATUS(retrieve(flood, text, sizeof text), PC_STATUS_PARSE);
    CHECK_STATUS(retrieve(missing, text, sizeof text), PC_STATUS_EXECUTION);
    CHECK_STR(text, "ProcessProviderExecutionError: error in credential_process\ncaused by: "
                    "fork/exec /nonexistent/helper-for-eintr: no such file or directory");
    CHECK(storm(0) == 0);
    /* The storm really was one: hundreds of signals landed during the calls. */
    CHECK(alarms - before > 300);
    pc_free(ok);
    pc_free(slow);
    pc_free(hang);
    pc_free(flood);
    pc_free(missing);
}

/* ------------------------------------------------------------------------------------------ */
/* A host that reaps every child */

static volatile sig_atomic_t reaped_by_host;

static void reap_all(int sig) {
    int saved = errno;
    (void)sig;
    while (waitpid(-1, NULL, WNOHANG) > 0) reaped_by_host++;
    errno = saved;
}

/* The host's SIGCHLD handler reaps every child with waitpid(-1, WNOHANG), racing the library
 * for the helper's exit status. Documented result (SEMANTICS.md): each retrieve either succeeds
 * (the library reaped the helper first) or fails with Go's text for a lost status, never hangs
 * and never returns anything else; timeouts and floods keep their errors. */
static void host_reaping_every_child(void) {
    struct sigaction sa, old;
    char text[512];
    int i, ok = 0, lost = 0;
    pc_provider *p, *hang;
    CHECK(fx_script("ok.sh", NULL, "printf '%%s' '" JSON "'\n") == 0);
    CHECK(fx_script("hang.sh", NULL, "exec sleep 30\n") == 0);
    p = provider("ok.sh", 30000);
    hang = provider("hang.sh", 300);
    CHECK(p && hang);
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = reap_all;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART;
    CHECK(sigaction(SIGCHLD, &sa, &old) == 0);
    for (i = 0; i < 40; i++) {
        uint32_t st;
        pc_expire(p);
        st = retrieve(p, text, sizeof text);
        if (st == PC_STATUS_OK) {
            ok++;
        } else {
            CHECK_STATUS(st, PC_STATUS_EXECUTION);
            CHECK_STR(text, "ProcessProviderExecutionError: error in credential_process\n"
                            "caused by: waitid: no child processes");
            lost++;
        }
    }
    CHECK_STATUS(retrieve(hang, text, sizeof text), PC_STATUS_TIMEOUT);
    CHECK(sigaction(SIGCHLD, &old, NULL) == 0);
    printf("    40 retrieves: %d succeeded, %d lost the exit status to the host; the host reaped "
           "%d children\n",
           ok, lost, (int)reaped_by_host);
    CHECK_INT(ok + lost, 40);
    pc_free(p);
    pc_free(hang);
}

int main(int argc, char **argv) {
    static const struct check_case cases[] = {
        {"cancel_thread_blocked_in_retrieve", cancel_thread_blocked_in_retrieve},
        {"cancel_threads_waiting_for_one_run", cancel_threads_waiting_for_one_run},
        {"cancel_pending_before_a_call", cancel_pending_before_a_call},
        {"cancel_pending_during_cached_calls", cancel_pending_during_cached_calls},
        {"eintr_storm", eintr_storm},
        {"host_reaping_every_child", host_reaping_every_child},
    };
    int rc;
    if (fx_setup() != 0) return 1;
    rc = check_run(cases, sizeof cases / sizeof cases[0], argc > 1 ? argv[1] : NULL);
    fx_teardown();
    return rc;
}
