/* A tiny test harness for the C and C++ tests: CHECK macros that end the current test (a
 * `void (void)` function) at the first failure, and a runner that prints one line per test and
 * a final `N passed, N failed` line.
 *
 * Values of strings that may hold secrets are never printed: CHECK_SECRET_EQ reports only that
 * the strings differ.
 */
#ifndef PC_TEST_CHECK_H
#define PC_TEST_CHECK_H

#include <stdio.h>
#include <string.h>

#include "processcreds.h"

/* Set by a failing CHECK; read and reset by check_run. */
static int check_failed_flag;

static inline void check_report(const char *file, int line, const char *what) {
    fprintf(stdout, "    %s:%d: %s\n", file, line, what);
    check_failed_flag = 1;
}

static inline const char *check_show(const char *s) {
    return s ? s : "(NULL)";
}

#define CHECK(cond)                                                                            \
    do {                                                                                       \
        if (!(cond)) {                                                                         \
            check_report(__FILE__, __LINE__, "CHECK(" #cond ") failed");                       \
            return;                                                                            \
        }                                                                                      \
    } while (0)

/* Compares two status numbers and prints their names. */
#define CHECK_STATUS(got, want)                                                                \
    do {                                                                                       \
        unsigned long check_g_ = (unsigned long)(got), check_w_ = (unsigned long)(want);       \
        if (check_g_ != check_w_) {                                                            \
            char check_m_[256];                                                                \
            snprintf(check_m_, sizeof check_m_, "%s is %s (%lu), want %s (%lu)", #got,         \
                     pc_status_name((uint32_t)check_g_), check_g_,                             \
                     pc_status_name((uint32_t)check_w_), check_w_);                            \
            check_report(__FILE__, __LINE__, check_m_);                                        \
            return;                                                                            \
        }                                                                                      \
    } while (0)

#define CHECK_INT(got, want)                                                                   \
    do {                                                                                       \
        long long check_g_ = (long long)(got), check_w_ = (long long)(want);                   \
        if (check_g_ != check_w_) {                                                            \
            char check_m_[256];                                                                \
            snprintf(check_m_, sizeof check_m_, "%s is %lld, want %lld", #got, check_g_,       \
                     check_w_);                                                                \
            check_report(__FILE__, __LINE__, check_m_);                                        \
            return;                                                                            \
        }                                                                                      \
    } while (0)

/* Compares two strings (either may be NULL) and prints both. Not for secrets. */
#define CHECK_STR(got, want)                                                                   \
    do {                                                                                       \
        const char *check_g_ = (got), *check_w_ = (want);                                      \
        if ((check_g_ == NULL) != (check_w_ == NULL) ||                                        \
            (check_g_ != NULL && strcmp(check_g_, check_w_) != 0)) {                           \
            printf("    %s:%d: %s\n      is:   \"%s\"\n      want: \"%s\"\n", __FILE__,       \
                   __LINE__, #got, check_show(check_g_), check_show(check_w_));                \
            check_failed_flag = 1;                                                             \
            return;                                                                            \
        }                                                                                      \
    } while (0)

/* Compares two strings without printing them. */
#define CHECK_SECRET_EQ(got, want)                                                             \
    do {                                                                                       \
        const char *check_g_ = (got), *check_w_ = (want);                                      \
        if (check_g_ == NULL || check_w_ == NULL || strcmp(check_g_, check_w_) != 0) {         \
            check_report(__FILE__, __LINE__, #got " differs from the expected value");         \
            return;                                                                            \
        }                                                                                      \
    } while (0)

/* `hay` (not NULL) contains `needle`; prints hay, so not for secrets. */
#define CHECK_CONTAINS(hay, needle)                                                            \
    do {                                                                                       \
        const char *check_h_ = (hay), *check_n_ = (needle);                                    \
        if (check_h_ == NULL || strstr(check_h_, check_n_) == NULL) {                          \
            printf("    %s:%d: %s does not contain \"%s\"\n      is: \"%s\"\n", __FILE__,     \
                   __LINE__, #hay, check_n_, check_show(check_h_));                            \
            check_failed_flag = 1;                                                             \
            return;                                                                            \
        }                                                                                      \
    } while (0)

/* `hay` does not contain `needle`; prints neither (the needle is typically a secret). */
#define CHECK_LACKS(hay, needle)                                                               \
    do {                                                                                       \
        const char *check_h_ = (hay), *check_n_ = (needle);                                    \
        if (check_h_ != NULL && strstr(check_h_, check_n_) != NULL) {                          \
            check_report(__FILE__, __LINE__, #hay " contains " #needle);                       \
            return;                                                                            \
        }                                                                                      \
    } while (0)

typedef void (*check_fn)(void);

struct check_case {
    const char *name;
    check_fn fn;
};

/* Runs the cases whose name contains `filter` (all when NULL); prints `ok`/`FAIL` per case and
 * the final `N passed, N failed` line. Returns the process exit status. */
static inline int check_run(const struct check_case *cases, size_t n, const char *filter) {
    int passed = 0, failed = 0;
    size_t i;
    for (i = 0; i < n; i++) {
        if (filter != NULL && strstr(cases[i].name, filter) == NULL) {
            continue;
        }
        check_failed_flag = 0;
        fflush(stdout);
        cases[i].fn();
        if (check_failed_flag) {
            printf("FAIL %s\n", cases[i].name);
            failed++;
        } else {
            printf("ok   %s\n", cases[i].name);
            passed++;
        }
        fflush(stdout);
    }
    printf("%d passed, %d failed\n", passed, failed);
    fflush(stdout);
    return failed == 0 && passed > 0 ? 0 : 1;
}

#endif /* PC_TEST_CHECK_H */
