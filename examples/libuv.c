/* Credentials for a libuv program, retrieved from its loop without ever blocking it.
 *
 * The loop's thread asks pc_retrieve_cached first (never runs or waits for the helper). On
 * PC_STATUS_NOT_CACHED it starts pc_retrieve_async; the callback runs on the library's callback
 * thread, so it only queues the result and wakes the loop with uv_async_send; the loop's thread
 * then takes the credentials. Meanwhile a 1 ms heartbeat timer measures the loop's longest stall.
 *
 *   cc -std=c99 -o libuv-example examples/libuv.c -lprocesscreds $(pkg-config --cflags --libs libuv)
 *   ./libuv-example 'my-credential-helper --profile prod' [REQUESTS]
 */
/* libuv's header needs the POSIX types (pthread_rwlock_t) that strict C99 leaves out. */
#define _POSIX_C_SOURCE 200809L

#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <uv.h>

#include "processcreds.h"

/* A result handed from the library's callback thread to the loop's. */
struct result {
    struct result *next;
    uintptr_t id;
    uint32_t status;
    pc_credentials *creds;
    pc_error *err;
};

static pc_provider *provider;
static uv_async_t wake;
static uv_timer_t heartbeat, starter;
static uv_mutex_t lock;
static struct result *queued, **queued_end = &queued; /* first queued, first used */
static int requests = 10, done;
static uint64_t last_beat, longest_stall;

/* On the library's callback thread: queue the result, wake the loop. Nothing else here. */
static void on_credentials(void *user_data, uint32_t status, pc_credentials *creds,
                           pc_error *err) {
    struct result *r = malloc(sizeof *r);
    if (r == NULL) {
        abort();
    }
    r->id = (uintptr_t)user_data;
    r->status = status;
    r->creds = creds;
    r->err = err;
    r->next = NULL;
    uv_mutex_lock(&lock);
    *queued_end = r;
    queued_end = &r->next;
    uv_mutex_unlock(&lock);
    uv_async_send(&wake);
}

/* On the loop's thread: what a request brought. */
static void use(uintptr_t id, uint32_t status, pc_credentials *creds, pc_error *err) {
    if (status == PC_STATUS_OK) {
        printf("request %" PRIuPTR ": %s\n", id, pc_credentials_access_key_id(creds));
    } else {
        printf("request %" PRIuPTR ": %s\n", id, pc_error_message(err));
    }
    pc_credentials_free(creds);
    pc_error_free(err);
    if (++done == requests) {
        uv_close((uv_handle_t *)&wake, NULL);
        uv_close((uv_handle_t *)&heartbeat, NULL);
    }
}

static void on_wake(uv_async_t *handle) {
    struct result *r;
    (void)handle;
    uv_mutex_lock(&lock);
    r = queued;
    queued = NULL;
    queued_end = &queued;
    uv_mutex_unlock(&lock);
    while (r != NULL) {
        struct result *next = r->next;
        use(r->id, r->status, r->creds, r->err);
        free(r);
        r = next;
    }
}

/* Credentials for request `id`: cached at once, or asynchronously. */
static void get_credentials(uintptr_t id) {
    pc_credentials *c = NULL;
    if (pc_retrieve_cached(provider, &c) == PC_STATUS_OK) {
        use(id, PC_STATUS_OK, c, NULL);
        return;
    }
    if (pc_retrieve_async(provider, on_credentials, (void *)id, NULL) != PC_STATUS_OK) {
        abort();
    }
}

static void on_start(uv_timer_t *t) {
    int i;
    for (i = 0; i < requests; i++) {
        get_credentials((uintptr_t)i);
    }
    uv_close((uv_handle_t *)t, NULL);
}

static void on_beat(uv_timer_t *t) {
    uint64_t now = uv_hrtime();
    (void)t;
    if (last_beat != 0 && now - last_beat > longest_stall) {
        longest_stall = now - last_beat;
    }
    last_beat = now;
}

int main(int argc, char **argv) {
    uv_loop_t *loop = uv_default_loop();
    if (argc < 2) {
        fprintf(stderr, "usage: %s COMMAND [REQUESTS]\n", argv[0]);
        return 2;
    }
    if (argc > 2) {
        requests = atoi(argv[2]);
    }
    if (requests < 1 || pc_provider_new(argv[1], &provider) != PC_STATUS_OK) {
        return 2;
    }
    uv_mutex_init(&lock);
    uv_async_init(loop, &wake, on_wake);
    uv_timer_init(loop, &heartbeat);
    uv_timer_start(&heartbeat, on_beat, 1, 1);
    uv_timer_init(loop, &starter);
    uv_timer_start(&starter, on_start, 5, 0);
    uv_run(loop, UV_RUN_DEFAULT);
    printf("the loop's longest stall: %.1f ms\n", (double)longest_stall / 1e6);
    uv_loop_close(loop);
    uv_mutex_destroy(&lock);
    pc_free(provider);
    return 0;
}
