/* Retrieves credentials from a credential_process helper through the C ABI and prints them
 * without the secrets, then shows that a second retrieve is served from the cache.
 *
 *   demo '<command>'        (run as sh -c <command>)
 */
#define _POSIX_C_SOURCE 200809L
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "processcreds.h"

/* Secrets are never printed, not even a part or their length: only whether they are set. */
static void print_secret(const char *label, const char *s) {
    printf("  %-18s %s\n", label, s[0] ? "(set, not shown)" : "(none)");
}

static double now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: %s '<credential_process command>'\n", argv[0]);
        return 2;
    }
    printf("processcreds %s\n", pc_version());

    pc_provider *p = NULL;
    uint32_t st = pc_provider_new(argv[1], &p);
    if (st != PC_STATUS_OK) {
        fprintf(stderr, "pc_provider_new: %s\n", pc_status_name(st));
        return 1;
    }
    pc_set_timeout(p, 10000);

    pc_credentials *c = NULL;
    pc_error *err = NULL;
    double t0 = now_ns();
    st = pc_retrieve(p, &c, &err);
    double t1 = now_ns();
    if (st != PC_STATUS_OK) {
        fprintf(stderr, "%s\n%s\n", pc_status_name(st), pc_error_message(err));
        pc_error_free(err);
        pc_free(p);
        return 1;
    }
    /* Not the command line either: it may carry a secret. */
    printf("credentials from the helper (first retrieve: %.2f ms)\n", (t1 - t0) / 1e6);
    printf("  %-18s %s\n", "AccessKeyId", pc_credentials_access_key_id(c));
    print_secret("SecretAccessKey", pc_credentials_secret_access_key(c));
    print_secret("SessionToken", pc_credentials_session_token(c));
    const char *account = pc_credentials_account_id(c);
    printf("  %-18s %s\n", "AccountId", account ? account : "(none)");
    printf("  %-18s %s\n", "ProviderName", pc_credentials_provider_name(c));
    int64_t ms = 0;
    if (pc_credentials_expiration(c, &ms)) {
        time_t secs = (time_t)(ms / 1000);
        char buf[64];
        strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", gmtime(&secs));
        printf("  %-18s %s\n", "Expiration", buf);
    } else {
        printf("  %-18s never\n", "Expiration");
    }
    pc_credentials_free(c);

    enum { N = 100000 };
    t0 = now_ns();
    for (int i = 0; i < N; i++) {
        if (pc_retrieve(p, &c, NULL) != PC_STATUS_OK) {
            fprintf(stderr, "cached retrieve failed\n");
            return 1;
        }
        pc_credentials_free(c);
    }
    t1 = now_ns();
    printf("cached retrieve: %.0f ns each over %d calls (expired: %s)\n", (t1 - t0) / N, N,
           pc_is_expired(p) ? "yes" : "no");
    pc_free(p);
    return 0;
}
