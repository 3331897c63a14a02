/* Test fixture shared by the C and C++ tests: a temporary directory (its name holds a space, so
 * that quoting is exercised), helper scripts written into it, run counters, and cleanup.
 * Needs _POSIX_C_SOURCE >= 200809L. */
#ifndef PC_TEST_FIXTURE_H
#define PC_TEST_FIXTURE_H

#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define FX_PATH 1024

static char fx_dir[FX_PATH];

/* snprintf that aborts the test program rather than truncate a path or a script. */
static inline void fx_format(char *buf, size_t size, const char *fmt, ...) {
    va_list ap;
    int n;
    va_start(ap, fmt);
    n = vsnprintf(buf, size, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= size) {
        fprintf(stderr, "test fixture: text too long for its buffer\n");
        abort();
    }
}

static inline void fx_sleep_ms(long ms) {
    struct timespec ts;
    ts.tv_sec = ms / 1000;
    ts.tv_nsec = (ms % 1000) * 1000000L;
    nanosleep(&ts, NULL);
}

/* Creates the temporary directory; returns 0 on success. */
static inline int fx_setup(void) {
    const char *tmp = getenv("TMPDIR");
    size_t n;
    if (tmp == NULL || tmp[0] == '\0') {
        tmp = "/tmp";
    }
    /* No trailing slash: the library cleans paths as Go's filepath.Join does, and the tests
     * compare them with the ones made here. */
    n = strlen(tmp);
    while (n > 1 && tmp[n - 1] == '/') {
        n--;
    }
    fx_format(fx_dir, sizeof fx_dir, "%.*s/processcreds c-test.XXXXXX", (int)n, tmp);
    if (mkdtemp(fx_dir) == NULL) {
        perror("mkdtemp");
        return -1;
    }
    return 0;
}

static inline void fx_remove_tree(const char *path) {
    struct stat st;
    if (lstat(path, &st) != 0) {
        return;
    }
    if (S_ISDIR(st.st_mode)) {
        DIR *d = opendir(path);
        if (d != NULL) {
            struct dirent *e;
            while ((e = readdir(d)) != NULL) {
                char child[FX_PATH];
                if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) {
                    continue;
                }
                fx_format(child, sizeof child, "%s/%s", path, e->d_name);
                fx_remove_tree(child);
            }
            closedir(d);
        }
        rmdir(path);
    } else {
        unlink(path);
    }
}

static inline void fx_teardown(void) {
    if (fx_dir[0] != '\0') {
        fx_remove_tree(fx_dir);
    }
}

/* `<dir>/<name>` into buf (static storage when buf is NULL: valid until the next such call). */
static inline const char *fx_path(char *buf, const char *name) {
    static char own[FX_PATH];
    char *out = buf != NULL ? buf : own;
    fx_format(out, FX_PATH, "%s/%s", fx_dir, name);
    return out;
}

/* Writes `content` to `path` with mode `mode`; returns 0 on success. */
static inline int fx_write(const char *path, const char *content, mode_t mode) {
    FILE *f = fopen(path, "w");
    if (f == NULL) {
        return -1;
    }
    fputs(content, f);
    if (fclose(f) != 0) {
        return -1;
    }
    return chmod(path, mode);
}

static inline int fx_mkdir(const char *name) {
    char path[FX_PATH];
    return mkdir(fx_path(path, name), 0700) == 0 || errno == EEXIST ? 0 : -1;
}

/* Writes an executable sh script `<dir>/<name>`: a shebang, `D='<dir>'`, then the body formatted
 * from `fmt`. Its path goes to `path_out` (FX_PATH bytes) when not NULL. Returns 0 on success. */
static inline int fx_script(const char *name, char *path_out, const char *fmt, ...) {
    char body[16384], text[17408], path[FX_PATH];
    va_list ap;
    int n;
    va_start(ap, fmt);
    n = vsnprintf(body, sizeof body, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof body) {
        return -1;
    }
    fx_format(text, sizeof text, "#!/bin/sh\nD='%s'\n%s", fx_dir, body);
    fx_path(path, name);
    if (path_out != NULL) {
        fx_format(path_out, FX_PATH, "%s", path);
    }
    return fx_write(path, text, 0755);
}

/* A command string running the script `name` through sh -c, quoted. Static storage. */
static inline const char *fx_cmd(const char *name) {
    static char cmd[FX_PATH + 4];
    fx_format(cmd, sizeof cmd, "'%s/%s'", fx_dir, name);
    return cmd;
}

/* Number of lines in `<dir>/<name>` (0 when it does not exist). */
static inline long fx_count(const char *name) {
    char path[FX_PATH];
    long n = 0;
    int ch;
    FILE *f = fopen(fx_path(path, name), "r");
    if (f == NULL) {
        return 0;
    }
    while ((ch = fgetc(f)) != EOF) {
        if (ch == '\n') {
            n++;
        }
    }
    fclose(f);
    return n;
}

static inline int64_t fx_now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + (int64_t)(ts.tv_nsec / 1000000);
}

static inline int64_t fx_monotonic_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + (int64_t)(ts.tv_nsec / 1000000);
}

/* Days since 1970-01-01 of a proleptic Gregorian date. */
static inline int64_t fx_days_from_civil(int64_t y, unsigned m, unsigned d) {
    int64_t era;
    unsigned yoe, doy, doe;
    y -= m <= 2;
    era = (y >= 0 ? y : y - 399) / 400;
    yoe = (unsigned)(y - era * 400);
    doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

/* Unix milliseconds of a UTC date and time. */
static inline int64_t fx_unix_ms(int64_t y, unsigned mo, unsigned d, unsigned h, unsigned mi,
                                 unsigned s, unsigned ms) {
    return ((fx_days_from_civil(y, mo, d) * 24 + h) * 60 + mi) * 60000 + (int64_t)s * 1000 + ms;
}

#endif /* PC_TEST_FIXTURE_H */
