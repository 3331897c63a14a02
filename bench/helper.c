/* Benchmark helper: prints fixed credentials (or, with an argument N, the credentials followed by
 * N bytes of spaces) and exits. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char creds[] =
    "{\"Version\":1,\"AccessKeyId\":\"AKIDBENCHMARK0000001\","
    "\"SecretAccessKey\":\"bench/secret/EXAMPLEKEY0123456789abcdef\","
    "\"SessionToken\":\"bench-session-token-EXAMPLE\","
    "\"Expiration\":\"2199-01-01T00:00:00Z\"}";

static int write_all(const char *p, size_t n) {
    while (n > 0) {
        ssize_t w = write(1, p, n);
        if (w <= 0) return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

int main(int argc, char **argv) {
    if (write_all(creds, sizeof creds - 1) != 0) return 1;
    if (argc > 1) {
        static char spaces[1 << 20];
        memset(spaces, ' ', sizeof spaces);
        long long left = atoll(argv[1]);
        while (left > 0) {
            size_t n = left < (long long)sizeof spaces ? (size_t)left : sizeof spaces;
            if (write_all(spaces, n) != 0) return 1;
            left -= (long long)n;
        }
    }
    return 0;
}
