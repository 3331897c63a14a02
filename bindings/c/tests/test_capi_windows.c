/* The C ABI on Windows (built with MinGW-w64 against processcreds.dll and against the static
 * library, run under Wine by `make test-windows`): command strings through cmd.exe verbatim
 * (D10), argv, Go's error texts, the timeout, the stdio modes, single flight across threads,
 * the cache functions, the shared cache shared with `processcreds.exe cache` (which must be
 * next to this program), the shared config under %USERPROFILE%, asynchronous retrieves (one run
 * for requests and a blocking caller, cancellation ending the helper's tree, pc_free with
 * pending requests, pc_retrieve_cached), and every function given NULL.
 *
 * The helpers are cmd.exe commands and batch files written into a temporary directory whose
 * name holds a space. */
#define WIN32_LEAN_AND_MEAN
#include <windows.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "processcreds.h"

#include "check.h"

#define PATH_MAX_ 1024

static char dir[PATH_MAX_];

static void path_in(char *buf, size_t size, const char *name) {
    int n = snprintf(buf, size, "%s\\%s", dir, name);
    if (n < 0 || (size_t)n >= size) {
        fprintf(stderr, "path too long\n");
        abort();
    }
}

static int write_file(const char *path, const char *text) {
    FILE *f = fopen(path, "wb");
    if (f == NULL) {
        return -1;
    }
    fputs(text, f);
    return fclose(f);
}

static const char *const STATIC_JSON =
    "{\"Version\":1,\"AccessKeyId\":\"AKIDWIN\",\"SecretAccessKey\":\"SECRETWIN\","
    "\"SessionToken\":\"TOKENWIN\",\"AccountId\":\"123456789012\"}";

/* Retrieves from a new provider for `command`; returns the status, the credentials or the
 * error through the out-parameters (the caller frees them). */
static uint32_t run(const char *command, pc_credentials **creds, pc_error **err) {
    pc_provider *p = NULL;
    uint32_t st = pc_provider_new(command, &p);
    if (st != PC_STATUS_OK) {
        return st;
    }
    st = pc_retrieve(p, creds, err);
    pc_free(p);
    return st;
}

static void test_version(void) {
    CHECK(pc_version() != NULL && pc_version()[0] != '\0');
    CHECK_STR(pc_status_name(PC_STATUS_TIMEOUT), "PC_STATUS_TIMEOUT");
    CHECK_STR(pc_status_name(999), "PC_STATUS_UNKNOWN");
}

static void test_echo_through_cmd(void) {
    pc_credentials *c = NULL;
    pc_error *e = NULL;
    int64_t ms = 0;
    CHECK_STATUS(run("echo {\"Version\":1,\"AccessKeyId\":\"AKIDECHO\",\"SecretAccessKey\":\"S\"}",
                     &c, &e),
                 PC_STATUS_OK);
    CHECK_STR(pc_credentials_access_key_id(c), "AKIDECHO");
    CHECK_SECRET_EQ(pc_credentials_secret_access_key(c), "S");
    CHECK_STR(pc_credentials_session_token(c), "");
    CHECK(pc_credentials_account_id(c) == NULL);
    CHECK_STR(pc_credentials_provider_name(c), "ProcessProvider");
    CHECK(!pc_credentials_expiration(c, &ms));
    pc_credentials_free(c);
}

/* D10: a quoted path with spaces and a quoted argument reach cmd.exe as written. */
static void test_quoted_path_with_space(void) {
    char bat[PATH_MAX_], json[PATH_MAX_], cmd[3 * PATH_MAX_];
    pc_credentials *c = NULL;
    pc_error *e = NULL;
    path_in(json, sizeof json, "static creds.json");
    path_in(bat, sizeof bat, "helper with space.bat");
    CHECK(write_file(json, STATIC_JSON) == 0);
    CHECK(write_file(bat, "@echo off\r\n"
                          "if not \"%~1\"==\"--flag\" exit /b 5\r\n"
                          "if not \"%~2\"==\"two words\" exit /b 6\r\n"
                          "type \"%~dp0static creds.json\"\r\n") == 0);
    snprintf(cmd, sizeof cmd, "\"%s\" --flag \"two words\"", bat);
    CHECK_STATUS(run(cmd, &c, &e), PC_STATUS_OK);
    CHECK_STR(pc_credentials_access_key_id(c), "AKIDWIN");
    CHECK_SECRET_EQ(pc_credentials_secret_access_key(c), "SECRETWIN");
    CHECK_SECRET_EQ(pc_credentials_session_token(c), "TOKENWIN");
    CHECK_STR(pc_credentials_account_id(c), "123456789012");
    pc_credentials_free(c);
}

/* D10: the output is never rewritten: an escaped quote stays one. */
static void test_output_not_rewritten(void) {
    char json[PATH_MAX_], cmd[2 * PATH_MAX_];
    pc_credentials *c = NULL;
    pc_error *e = NULL;
    path_in(json, sizeof json, "escaped.json");
    CHECK(write_file(json, "{\"Version\":1,\"AccessKeyId\":\"a\\\"b\",\"SecretAccessKey\":\"S\"}") ==
          0);
    snprintf(cmd, sizeof cmd, "type \"%s\"", json);
    CHECK_STATUS(run(cmd, &c, &e), PC_STATUS_OK);
    CHECK_STR(pc_credentials_access_key_id(c), "a\"b");
    pc_credentials_free(c);
}

static void test_argv(void) {
    char bat[PATH_MAX_];
    const char *argv[3];
    pc_provider *p = NULL;
    pc_credentials *c = NULL;
    pc_error *e = NULL;
    path_in(bat, sizeof bat, "helper with space.bat"); /* written by the test above */
    argv[0] = bat;
    argv[1] = "--flag";
    argv[2] = "two words";
    CHECK_STATUS(pc_provider_new_argv(argv, 3, &p), PC_STATUS_OK);
    CHECK_STATUS(pc_retrieve(p, &c, &e), PC_STATUS_OK);
    CHECK_STR(pc_credentials_access_key_id(c), "AKIDWIN");
    pc_credentials_free(c);
    pc_free(p);

    argv[0] = "pc-no-such-helper";
    CHECK_STATUS(pc_provider_new_argv(argv, 1, &p), PC_STATUS_OK);
    CHECK_STATUS(pc_retrieve(p, &c, &e), PC_STATUS_EXECUTION);
    CHECK_STR(pc_error_message(e), "ProcessProviderExecutionError: error in credential_process\n"
                                   "caused by: exec: \"pc-no-such-helper\": executable file not "
                                   "found in %PATH%");
    pc_error_free(e);
    e = NULL;
    pc_free(p);
}

static void test_errors_in_go_words(void) {
    pc_credentials *c = NULL;
    pc_error *e = NULL;
    CHECK_STATUS(run("exit 3", &c, &e), PC_STATUS_EXECUTION);
    CHECK_STR(pc_error_code(e), "ProcessProviderExecutionError");
    CHECK_STR(pc_error_message(e),
              "ProcessProviderExecutionError: error in credential_process\ncaused by: exit status 3");
    pc_error_free(e);
    e = NULL;

    CHECK_STATUS(run("echo not json", &c, &e), PC_STATUS_PARSE);
    CHECK_CONTAINS(pc_error_message(e),
                   "ProcessProviderParseError: parse failed of credential_process output\n");
    CHECK_LACKS(pc_error_message(e), "not json"); /* D4 */
    pc_error_free(e);
    e = NULL;

    CHECK_STATUS(run("echo {\"Version\":2}", &c, &e), PC_STATUS_VERSION);
    pc_error_free(e);
    e = NULL;
    CHECK_STATUS(run("echo {\"Version\":1,\"AccessKeyId\":\"a\"}", &c, &e), PC_STATUS_REQUIRED);
    CHECK_STR(pc_error_message(e),
              "ProcessProviderRequiredError: missing SecretAccessKey in process output");
    pc_error_free(e);
    e = NULL;
    CHECK_STATUS(run("   ", &c, &e), PC_STATUS_EXECUTION);
    CHECK_STR(pc_error_message(e),
              "ProcessProviderExecutionError: failed to prepare command: command must not be empty");
    pc_error_free(e);
    e = NULL;
}

static void test_timeout_and_stderr(void) {
    pc_provider *p = NULL;
    pc_credentials *c = NULL;
    pc_error *e = NULL;
    DWORD start;
    CHECK_STATUS(pc_provider_new("ping -n 30 127.0.0.1 >nul", &p), PC_STATUS_OK);
    CHECK_STATUS(pc_set_timeout(p, 500), PC_STATUS_OK);
    start = GetTickCount();
    CHECK_STATUS(pc_retrieve(p, &c, &e), PC_STATUS_TIMEOUT);
    CHECK_STR(pc_error_message(e), "ProcessProviderExecutionError: credential process timed out");
    CHECK(GetTickCount() - start < 20000);
    pc_error_free(e);
    e = NULL;
    pc_free(p);

    CHECK_STATUS(pc_provider_new("echo no cached token>&2& exit 2", &p), PC_STATUS_OK);
    CHECK_STATUS(pc_set_stderr(p, PC_STDERR_CAPTURE), PC_STATUS_OK);
    CHECK_STATUS(pc_set_stdin(p, PC_STDIN_NULL), PC_STATUS_OK);
    CHECK_STATUS(pc_retrieve(p, &c, &e), PC_STATUS_EXECUTION);
    CHECK_STR(pc_error_message(e), "ProcessProviderExecutionError: error in credential_process\n"
                                   "caused by: exit status 2\nstderr: no cached token");
    pc_error_free(e);
    e = NULL;
    CHECK_STATUS(pc_set_stderr(p, PC_STDERR_DISCARD), PC_STATUS_OK);
    CHECK_STATUS(pc_retrieve(p, &c, &e), PC_STATUS_EXECUTION);
    CHECK_STR(pc_error_message(e), "ProcessProviderExecutionError: error in credential_process\n"
                                   "caused by: exit status 2");
    pc_error_free(e);
    e = NULL;
    CHECK_STATUS(pc_set_stderr(p, 7), PC_STATUS_INVALID_ARGUMENT);
    pc_free(p);
}

static void test_cache_and_expiry(void) {
    char json[PATH_MAX_], cmd[2 * PATH_MAX_];
    pc_provider *p = NULL;
    pc_credentials *c = NULL;
    pc_error *e = NULL;
    int64_t ms = 0, at = 0;
    path_in(json, sizeof json, "expiring.json");
    CHECK(write_file(json, "{\"Version\":1,\"AccessKeyId\":\"AKIDEXP\",\"SecretAccessKey\":\"S\","
                           "\"Expiration\":\"2999-01-02T03:04:05Z\"}") == 0);
    snprintf(cmd, sizeof cmd, "type \"%s\"", json);
    CHECK_STATUS(pc_provider_new(cmd, &p), PC_STATUS_OK);
    CHECK(pc_is_expired(p));
    CHECK(!pc_expires_at(p, &at));
    CHECK_STATUS(pc_set_expiry_window(p, 60000), PC_STATUS_OK);
    CHECK_STATUS(pc_retrieve(p, &c, &e), PC_STATUS_OK);
    CHECK(pc_credentials_expiration(c, &ms));
    CHECK_INT(ms, INT64_C(32472241445000));
    CHECK(!pc_is_expired(p));
    CHECK(pc_expires_at(p, &at));
    CHECK_INT(at, ms - 60000);
    pc_free(p); /* the credentials outlive their provider */
    CHECK_STR(pc_credentials_access_key_id(c), "AKIDEXP");
    pc_credentials_free(c);
}

/* 16 threads retrieving from one expired provider run the helper once. */
struct flight {
    pc_provider *p;
    volatile LONG failures;
};

static DWORD WINAPI flight_worker(LPVOID arg) {
    struct flight *f = (struct flight *)arg;
    pc_credentials *c = NULL;
    pc_error *e = NULL;
    if (pc_retrieve(f->p, &c, &e) != PC_STATUS_OK) {
        InterlockedIncrement(&f->failures);
        pc_error_free(e);
        e = NULL;
        return 0;
    }
    if (strcmp(pc_credentials_access_key_id(c), "AKIDWIN") != 0) {
        InterlockedIncrement(&f->failures);
    }
    pc_credentials_free(c);
    return 0;
}

static void test_single_flight(void) {
    char json[PATH_MAX_], count[PATH_MAX_], cmd[3 * PATH_MAX_], line[64];
    HANDLE threads[16];
    struct flight f;
    FILE *fp;
    int i, runs = 0;
    path_in(json, sizeof json, "static creds.json");
    path_in(count, sizeof count, "runs.txt");
    DeleteFileA(count);
    /* The helper counts its runs and takes a moment, so that the threads overlap. */
    snprintf(cmd, sizeof cmd, "echo x>>\"%s\"& ping -n 2 127.0.0.1 >nul& type \"%s\"", count,
             json);
    f.failures = 0;
    CHECK_STATUS(pc_provider_new(cmd, &f.p), PC_STATUS_OK);
    for (i = 0; i < 16; i++) {
        threads[i] = CreateThread(NULL, 0, flight_worker, &f, 0, NULL);
        CHECK(threads[i] != NULL);
    }
    CHECK(WaitForMultipleObjects(16, threads, TRUE, 60000) == WAIT_OBJECT_0);
    for (i = 0; i < 16; i++) {
        CloseHandle(threads[i]);
    }
    pc_free(f.p);
    CHECK_INT(f.failures, 0);
    fp = fopen(count, "r");
    CHECK(fp != NULL);
    while (fgets(line, sizeof line, fp) != NULL) {
        runs += line[0] == 'x';
    }
    fclose(fp);
    CHECK_INT(runs, 1);
}

/* The lines of `path` (0 when it does not exist). */
static int count_lines(const char *path) {
    char line[256];
    int n = 0;
    FILE *fp = fopen(path, "r");
    if (fp == NULL) {
        return 0;
    }
    while (fgets(line, sizeof line, fp) != NULL) {
        n++;
    }
    fclose(fp);
    return n;
}

/* Runs `processcreds.exe cache --command CMD` (the command found next to this program) with
 * this process's environment, its stdout and stderr into files; its exit code, or -1. */
static long run_cache_command(const char *exe, const char *cmd, const char *out, const char *err) {
    char line[4 * PATH_MAX_];
    char quoted[3 * PATH_MAX_];
    size_t i, j = 0;
    SECURITY_ATTRIBUTES sa = {sizeof sa, NULL, TRUE};
    STARTUPINFOA si;
    PROCESS_INFORMATION pi;
    HANDLE o, e;
    DWORD code = 0;
    BOOL ok;
    /* The command string as one argument: its quotes escaped (it ends with no backslash). */
    for (i = 0; cmd[i] != '\0' && j + 2 < sizeof quoted; i++) {
        if (cmd[i] == '"') {
            quoted[j++] = '\\';
        }
        quoted[j++] = cmd[i];
    }
    quoted[j] = '\0';
    snprintf(line, sizeof line, "\"%s\" cache --command \"%s\"", exe, quoted);
    o = CreateFileA(out, GENERIC_WRITE, FILE_SHARE_READ, &sa, CREATE_ALWAYS, 0, NULL);
    e = CreateFileA(err, GENERIC_WRITE, FILE_SHARE_READ, &sa, CREATE_ALWAYS, 0, NULL);
    if (o == INVALID_HANDLE_VALUE || e == INVALID_HANDLE_VALUE) {
        return -1;
    }
    memset(&si, 0, sizeof si);
    si.cb = sizeof si;
    si.dwFlags = STARTF_USESTDHANDLES;
    si.hStdInput = GetStdHandle(STD_INPUT_HANDLE);
    si.hStdOutput = o;
    si.hStdError = e;
    ok = CreateProcessA(exe, line, NULL, NULL, TRUE, 0, NULL, NULL, &si, &pi);
    CloseHandle(o);
    CloseHandle(e);
    if (!ok) {
        return -1;
    }
    if (WaitForSingleObject(pi.hProcess, 60000) != WAIT_OBJECT_0 ||
        !GetExitCodeProcess(pi.hProcess, &code)) {
        code = (DWORD)-1;
    }
    CloseHandle(pi.hThread);
    CloseHandle(pi.hProcess);
    return (long)code;
}

/* Whether the file `path` holds `text`. */
static int file_has(const char *path, const char *text) {
    char buf[4096];
    size_t n;
    FILE *fp = fopen(path, "rb");
    if (fp == NULL) {
        return 0;
    }
    n = fread(buf, 1, sizeof buf - 1, fp);
    fclose(fp);
    buf[n] = '\0';
    return strstr(buf, text) != NULL;
}

/* The shared cache: a provider of this program (pc_set_shared_cache) and `processcreds.exe
 * cache` running the same command string in the same environment share one entry, in both
 * directions; %ROLE% referenced by the command separates entries. */
static void test_shared_with_the_command(void) {
    char exe[PATH_MAX_], cache[PATH_MAX_], bat[PATH_MAX_], count[PATH_MAX_], cmd[3 * PATH_MAX_];
    char out[PATH_MAX_], err[PATH_MAX_];
    char *slash;
    pc_provider *p = NULL;
    pc_credentials *c = NULL;
    pc_error *e = NULL;
    DWORD n = GetModuleFileNameA(NULL, exe, sizeof exe);
    CHECK(n > 0 && n < sizeof exe);
    slash = strrchr(exe, '\\');
    CHECK(slash != NULL);
    snprintf(slash + 1, sizeof exe - (size_t)(slash + 1 - exe), "processcreds.exe");
    /* mk/windows.mk puts the command next to this program: not finding it is a failure. */
    CHECK(GetFileAttributesA(exe) != INVALID_FILE_ATTRIBUTES);

    path_in(cache, sizeof cache, "shared cache");
    path_in(bat, sizeof bat, "shared helper.bat");
    path_in(count, sizeof count, "shared runs.txt");
    path_in(out, sizeof out, "shared out.txt");
    path_in(err, sizeof err, "shared err.txt");
    CHECK(write_file(bat, "@echo off\r\n"
                          "echo x>>\"%~dp0shared runs.txt\"\r\n"
                          "echo {\"Version\":1,\"AccessKeyId\":\"AKID%ROLE%\",\"SecretAccessKey\":"
                          "\"SHAREDSECRET\",\"Expiration\":\"2199-01-01T00:00:00Z\"}\r\n") == 0);
    CHECK(SetEnvironmentVariableA("PROCESSCREDS_CACHE_DIR", cache));
    snprintf(cmd, sizeof cmd, "\"%s\" --role %%ROLE%%", bat);

    /* This program first: it runs the helper and writes the entry; the command is served. */
    CHECK(SetEnvironmentVariableA("ROLE", "readonly"));
    CHECK_STATUS(pc_provider_new(cmd, &p), PC_STATUS_OK);
    CHECK_STATUS(pc_set_shared_cache(p, PC_SHARED_CACHE_USER), PC_STATUS_OK);
    CHECK_STATUS(pc_retrieve(p, &c, &e), PC_STATUS_OK);
    CHECK_STR(pc_credentials_access_key_id(c), "AKIDreadonly");
    pc_credentials_free(c);
    pc_free(p);
    CHECK_INT(count_lines(count), 1);
    CHECK_INT(run_cache_command(exe, cmd, out, err), 0);
    CHECK(file_has(out, "\"AccessKeyId\":\"AKIDreadonly\""));
    CHECK(!file_has(err, "SHAREDSECRET"));
    CHECK_INT(count_lines(count), 1);

    /* Another ROLE: another entry. The command first this time; this program is served. */
    CHECK(SetEnvironmentVariableA("ROLE", "admin"));
    CHECK_INT(run_cache_command(exe, cmd, out, err), 0);
    CHECK(file_has(out, "\"AccessKeyId\":\"AKIDadmin\""));
    CHECK_INT(count_lines(count), 2);
    CHECK_STATUS(pc_provider_new(cmd, &p), PC_STATUS_OK);
    CHECK_STATUS(pc_set_shared_cache(p, PC_SHARED_CACHE_USER), PC_STATUS_OK);
    CHECK_STATUS(pc_retrieve(p, &c, &e), PC_STATUS_OK);
    CHECK_STR(pc_credentials_access_key_id(c), "AKIDadmin");
    pc_credentials_free(c);
    pc_free(p);
    CHECK_INT(count_lines(count), 2);
    CHECK(SetEnvironmentVariableA("ROLE", NULL));
    CHECK(SetEnvironmentVariableA("PROCESSCREDS_CACHE_DIR", NULL));
}

/* The shared config's home is %USERPROFILE% (aws-sdk-go v1's shareddefaults on Windows). */
static void test_profile_under_userprofile(void) {
    char aws[PATH_MAX_], creds_file[PATH_MAX_], want[2 * PATH_MAX_];
    pc_provider *p = NULL;
    pc_credentials *c = NULL;
    pc_error *e = NULL;
    path_in(aws, sizeof aws, ".aws");
    path_in(creds_file, sizeof creds_file, ".aws\\credentials");
    CreateDirectoryA(aws, NULL);
    CHECK(write_file(creds_file, "[default]\r\n"
                                 "aws_access_key_id = AKIDPROFILE\r\n"
                                 "aws_secret_access_key = SECRETPROFILE\r\n"
                                 "[proc]\r\n"
                                 "credential_process = echo {\"Version\":1,\"AccessKeyId\":"
                                 "\"AKIDPROC\",\"SecretAccessKey\":\"S\"}\r\n") == 0);
    CHECK(SetEnvironmentVariableA("USERPROFILE", dir));
    CHECK(SetEnvironmentVariableA("HOME", "C:\\pc-not-the-home"));
    CHECK(SetEnvironmentVariableA("AWS_PROFILE", NULL));
    CHECK(SetEnvironmentVariableA("AWS_SHARED_CREDENTIALS_FILE", NULL));
    CHECK(SetEnvironmentVariableA("AWS_CONFIG_FILE", NULL));
    CHECK(SetEnvironmentVariableA("AWS_SDK_LOAD_CONFIG", NULL));

    CHECK_STATUS(pc_provider_from_profile(NULL, PC_SHARED_CONFIG_ENV, &p, &e), PC_STATUS_OK);
    CHECK_STATUS(pc_retrieve(p, &c, &e), PC_STATUS_OK);
    CHECK_STR(pc_credentials_access_key_id(c), "AKIDPROFILE");
    snprintf(want, sizeof want, "SharedConfigCredentials: %s", creds_file);
    CHECK_STR(pc_credentials_provider_name(c), want);
    pc_credentials_free(c);
    pc_free(p);

    CHECK_STATUS(pc_provider_from_profile("proc", PC_SHARED_CONFIG_ENV, &p, &e), PC_STATUS_OK);
    CHECK_STATUS(pc_retrieve(p, &c, &e), PC_STATUS_OK);
    CHECK_STR(pc_credentials_access_key_id(c), "AKIDPROC");
    CHECK_STR(pc_credentials_provider_name(c), "ProcessProvider");
    pc_credentials_free(c);
    pc_free(p);

    CHECK_STATUS(pc_provider_from_profile("nope", PC_SHARED_CONFIG_ENV, &p, &e), PC_STATUS_CONFIG);
    CHECK_CONTAINS(pc_error_message(e), creds_file);
    pc_error_free(e);
    e = NULL;
}

static void test_null_and_bad_arguments(void) {
    pc_provider *p = NULL;
    pc_credentials *c = NULL;
    pc_error *e = NULL;
    const char *argv[1] = {NULL};
    int64_t ms;
    CHECK_STATUS(pc_provider_new(NULL, &p), PC_STATUS_INVALID_ARGUMENT);
    CHECK_STATUS(pc_provider_new("echo", NULL), PC_STATUS_INVALID_ARGUMENT);
    CHECK_STATUS(pc_provider_new("\xff", &p), PC_STATUS_INVALID_ARGUMENT);
    CHECK_STATUS(pc_provider_new_argv(NULL, 1, &p), PC_STATUS_INVALID_ARGUMENT);
    CHECK_STATUS(pc_provider_new_argv(argv, 1, &p), PC_STATUS_INVALID_ARGUMENT);
    CHECK_STATUS(pc_provider_new_argv(argv, 0, &p), PC_STATUS_INVALID_ARGUMENT);
    CHECK_STATUS(pc_provider_from_profile(NULL, 9, &p, &e), PC_STATUS_INVALID_ARGUMENT);
    pc_error_free(e);
    e = NULL;
    CHECK_STATUS(pc_set_timeout(NULL, 1), PC_STATUS_INVALID_ARGUMENT);
    CHECK_STATUS(pc_set_max_buf_size(NULL, 1), PC_STATUS_INVALID_ARGUMENT);
    CHECK_STATUS(pc_set_expiry_window(NULL, 1), PC_STATUS_INVALID_ARGUMENT);
    CHECK_STATUS(pc_set_duration(NULL, 1), PC_STATUS_INVALID_ARGUMENT);
    CHECK_STATUS(pc_set_stderr(NULL, 0), PC_STATUS_INVALID_ARGUMENT);
    CHECK_STATUS(pc_set_stdin(NULL, 0), PC_STATUS_INVALID_ARGUMENT);
    CHECK_STATUS(pc_retrieve(NULL, &c, &e), PC_STATUS_INVALID_ARGUMENT);
    CHECK(pc_is_expired(NULL));
    pc_expire(NULL);
    CHECK(!pc_expires_at(NULL, &ms));
    pc_free(NULL);
    CHECK(pc_credentials_access_key_id(NULL) == NULL);
    CHECK(pc_credentials_secret_access_key(NULL) == NULL);
    CHECK(pc_credentials_session_token(NULL) == NULL);
    CHECK(pc_credentials_account_id(NULL) == NULL);
    CHECK(pc_credentials_provider_name(NULL) == NULL);
    CHECK(!pc_credentials_expiration(NULL, &ms));
    pc_credentials_free(NULL);
    CHECK(pc_error_code(NULL) == NULL);
    CHECK(pc_error_message(NULL) == NULL);
    pc_error_free(NULL);
    CHECK_STATUS(pc_provider_new("echo", &p), PC_STATUS_OK);
    e = NULL;
    CHECK_STATUS(pc_retrieve(p, NULL, &e), PC_STATUS_INVALID_ARGUMENT);
    pc_error_free(e);
    e = NULL;
    pc_free(p);
}

/* ---- asynchronous retrieves ---- */

/* One request's record, written by its callback (on the library's callback thread). */
struct slot {
    LONG calls;
    uint32_t status;
    DWORD thread;
    char key[32];
};

static volatile LONG completed;

static void on_done(void *user_data, uint32_t status, pc_credentials *creds, pc_error *err) {
    struct slot *s = (struct slot *)user_data;
    s->status = status;
    s->thread = GetCurrentThreadId();
    if (creds != NULL) {
        snprintf(s->key, sizeof s->key, "%s", pc_credentials_access_key_id(creds));
    }
    pc_credentials_free(creds);
    pc_error_free(err);
    InterlockedIncrement(&s->calls);
    InterlockedIncrement(&completed);
}

/* Waits (bounded) until `completed` reaches n; whether it did. */
static int wait_completed(LONG n, DWORD ms) {
    DWORD start = GetTickCount();
    while (completed < n) {
        if (GetTickCount() - start > ms) {
            return 0;
        }
        Sleep(2);
    }
    return 1;
}

static DWORD WINAPI blocking_worker(LPVOID arg) {
    pc_credentials *c = NULL;
    DWORD ok = pc_retrieve((pc_provider *)arg, &c, NULL) == PC_STATUS_OK &&
               strcmp(pc_credentials_access_key_id(c), "AKIDWIN") == 0;
    pc_credentials_free(c);
    return ok;
}

/* 20 requests and a blocking caller share one run; every callback once, on a library thread. */
static void test_async_one_run(void) {
    enum { N = 20 };
    static struct slot slots[N];
    char json[PATH_MAX_], count[PATH_MAX_], cmd[3 * PATH_MAX_];
    pc_request *reqs[N];
    pc_credentials *c = NULL;
    pc_provider *p = NULL;
    HANDLE t;
    DWORD ok = 0;
    LONG base = completed;
    int i;
    memset(slots, 0, sizeof slots);
    path_in(json, sizeof json, "static creds.json");
    path_in(count, sizeof count, "async runs.txt");
    CHECK(write_file(json, STATIC_JSON) == 0);
    DeleteFileA(count);
    snprintf(cmd, sizeof cmd, "echo x>>\"%s\"& ping -n 2 127.0.0.1 >nul& type \"%s\"", count,
             json);
    CHECK_STATUS(pc_provider_new(cmd, &p), PC_STATUS_OK);
    CHECK_STATUS(pc_retrieve_cached(p, &c), PC_STATUS_NOT_CACHED);
    CHECK(c == NULL);
    for (i = 0; i < N; i++) {
        CHECK_STATUS(pc_retrieve_async(p, on_done, &slots[i], &reqs[i]), PC_STATUS_OK);
    }
    t = CreateThread(NULL, 0, blocking_worker, p, 0, NULL);
    CHECK(t != NULL);
    CHECK(wait_completed(base + N, 60000));
    CHECK(WaitForSingleObject(t, 60000) == WAIT_OBJECT_0);
    GetExitCodeThread(t, &ok);
    CloseHandle(t);
    CHECK(ok == 1);
    Sleep(50);
    for (i = 0; i < N; i++) {
        CHECK_INT(slots[i].calls, 1);
        CHECK_STATUS(slots[i].status, PC_STATUS_OK);
        CHECK_STR(slots[i].key, "AKIDWIN");
        CHECK(slots[i].thread != GetCurrentThreadId());
        pc_request_free(reqs[i]);
    }
    CHECK_INT(count_lines(count), 1);
    CHECK_STATUS(pc_retrieve_cached(p, &c), PC_STATUS_OK);
    CHECK_STR(pc_credentials_access_key_id(c), "AKIDWIN");
    pc_credentials_free(c);
    pc_free(p);
}

/* Cancelling every request ends the helper's tree (the job object): what the helper would do
 * after its wait never happens; every callback gets PC_STATUS_CANCELED. pc_free cancels what is
 * pending in the same way. */
static void test_async_cancel_ends_the_tree(void) {
    enum { N = 10 };
    static struct slot slots[N];
    char started[PATH_MAX_], after[PATH_MAX_], cmd[3 * PATH_MAX_];
    pc_request *reqs[N];
    pc_provider *p = NULL;
    LONG base = completed;
    DWORD t0;
    int i, round;
    for (round = 0; round < 2; round++) {
        memset(slots, 0, sizeof slots);
        path_in(started, sizeof started, "async started.txt");
        path_in(after, sizeof after, "async after.txt");
        DeleteFileA(started);
        DeleteFileA(after);
        snprintf(cmd, sizeof cmd,
                 "echo x>\"%s\"& ping -n 4 127.0.0.1 >nul& echo late>\"%s\"& type nul", started,
                 after);
        CHECK_STATUS(pc_provider_new(cmd, &p), PC_STATUS_OK);
        for (i = 0; i < N; i++) {
            CHECK_STATUS(pc_retrieve_async(p, on_done, &slots[i], &reqs[i]), PC_STATUS_OK);
        }
        t0 = GetTickCount();
        while (count_lines(started) == 0 && GetTickCount() - t0 < 30000) {
            Sleep(5);
        }
        CHECK_INT(count_lines(started), 1);
        t0 = GetTickCount();
        if (round == 0) {
            for (i = 0; i < N; i++) {
                pc_request_cancel(reqs[i]);
            }
        } else {
            pc_free(p);
        }
        CHECK(wait_completed(base + N, 2000));
        base += N;
        printf("    %s: every callback within %lu ms\n", round == 0 ? "cancel" : "pc_free",
               (unsigned long)(GetTickCount() - t0));
        for (i = 0; i < N; i++) {
            CHECK_INT(slots[i].calls, 1);
            CHECK_STATUS(slots[i].status, PC_STATUS_CANCELED);
            pc_request_free(reqs[i]);
        }
        /* The helper would have written `after` about 3 s in: it was killed with its tree. */
        Sleep(4000);
        CHECK_INT(count_lines(after), 0);
        if (round == 0) {
            pc_free(p);
        }
    }
}

static const struct check_case cases[] = {
    {"version", test_version},
    {"echo_through_cmd", test_echo_through_cmd},
    {"quoted_path_with_space", test_quoted_path_with_space},
    {"output_not_rewritten", test_output_not_rewritten},
    {"argv", test_argv},
    {"errors_in_go_words", test_errors_in_go_words},
    {"timeout_and_stderr", test_timeout_and_stderr},
    {"cache_and_expiry", test_cache_and_expiry},
    {"single_flight", test_single_flight},
    {"shared_with_the_command", test_shared_with_the_command},
    {"profile_under_userprofile", test_profile_under_userprofile},
    {"null_and_bad_arguments", test_null_and_bad_arguments},
    {"async_one_run", test_async_one_run},
    {"async_cancel_ends_the_tree", test_async_cancel_ends_the_tree},
};

static void remove_tree(const char *path) {
    char pattern[PATH_MAX_], child[PATH_MAX_];
    WIN32_FIND_DATAA fd;
    HANDLE h;
    snprintf(pattern, sizeof pattern, "%s\\*", path);
    h = FindFirstFileA(pattern, &fd);
    if (h != INVALID_HANDLE_VALUE) {
        do {
            if (strcmp(fd.cFileName, ".") == 0 || strcmp(fd.cFileName, "..") == 0) {
                continue;
            }
            snprintf(child, sizeof child, "%s\\%s", path, fd.cFileName);
            if (fd.dwFileAttributes & FILE_ATTRIBUTE_DIRECTORY) {
                remove_tree(child);
            } else {
                DeleteFileA(child);
            }
        } while (FindNextFileA(h, &fd));
        FindClose(h);
    }
    RemoveDirectoryA(path);
}

int main(int argc, char **argv) {
    char tmp[MAX_PATH];
    int rc;
    DWORD n = GetTempPathA(sizeof tmp, tmp);
    if (n == 0 || n >= sizeof tmp) {
        printf("0 passed, 1 failed\n");
        return 1;
    }
    while (n > 0 && tmp[n - 1] == '\\') {
        tmp[--n] = '\0';
    }
    snprintf(dir, sizeof dir, "%s\\processcreds c-test %lu", tmp,
             (unsigned long)GetCurrentProcessId());
    if (!CreateDirectoryA(dir, NULL)) {
        printf("cannot create %s\n0 passed, 1 failed\n", dir);
        return 1;
    }
    rc = check_run(cases, sizeof cases / sizeof cases[0], argc > 1 ? argv[1] : NULL);
    remove_tree(dir);
    return rc;
}
