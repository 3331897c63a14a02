/* example.c: credentials from a credential_process helper through the C ABI.
 *
 *   cc -std=c99 example.c $(pkg-config --cflags --libs processcreds) -o example
 *   ./example '/usr/local/bin/my-helper --profile dev'
 */
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include <processcreds.h>

int main(int argc, char **argv) {
    pc_provider *provider = NULL;
    pc_credentials *creds = NULL;
    pc_error *err = NULL;
    int64_t expires_ms;
    uint32_t status;

    if (argc != 2) {
        fprintf(stderr, "usage: %s '<credential_process command>'\n", argv[0]);
        return 2;
    }

    /* Runs `sh -c <command>`; pc_provider_new_argv runs a program without a shell, and
     * pc_provider_from_profile reads ~/.aws/config and ~/.aws/credentials. */
    status = pc_provider_new(argv[1], &provider);
    if (status != PC_STATUS_OK) {
        fprintf(stderr, "bad command: %s\n", pc_status_name(status));
        return 1;
    }
    pc_set_timeout(provider, 10000);                /* ms; Go's default is one minute */
    pc_set_expiry_window(provider, 60000);          /* refresh a minute early */
    pc_set_stderr(provider, PC_STDERR_CAPTURE);     /* the helper's stderr goes into errors */

    /* Runs the helper (once, however many threads ask) or returns the cached credentials. */
    status = pc_retrieve(provider, &creds, &err);
    if (status != PC_STATUS_OK) {
        /* e.g. "ProcessProviderExecutionError: error in credential_process\n"
         *      "caused by: exit status 1\nstderr: ..." */
        fprintf(stderr, "%s (%s)\n", pc_error_message(err), pc_status_name(status));
        pc_error_free(err);
        pc_free(provider);
        return 1;
    }

    /* The strings belong to `creds` and stay valid until pc_credentials_free, even after the
     * provider is freed. Never log the secret or the token. */
    printf("AccessKeyId: %s\n", pc_credentials_access_key_id(creds));
    printf("has session token: %s\n", pc_credentials_session_token(creds)[0] ? "yes" : "no");
    if (pc_credentials_account_id(creds) != NULL) {
        printf("AccountId: %s\n", pc_credentials_account_id(creds));
    }
    if (pc_credentials_expiration(creds, &expires_ms)) {
        time_t secs = (time_t)(expires_ms / 1000); /* Unix milliseconds */
        char when[32];
        strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", gmtime(&secs));
        printf("Expiration: %s\n", when);
    } else {
        printf("never expires\n");
    }
    pc_credentials_free(creds); /* wipes the secret */

    pc_free(provider);
    return 0;
}
