/*
 * processcreds: AWS credentials from a credential_process helper, with the semantics of
 * aws-sdk-go v1's aws/credentials/processcreds.
 *
 * Ownership:
 *  - Strings passed in are NUL-terminated UTF-8 and copied; the caller keeps ownership.
 *  - pc_provider_new / pc_provider_new_argv / pc_provider_from_profile give a pc_provider that
 *    the caller frees with pc_free.
 *  - pc_retrieve gives a pc_credentials that the caller frees with pc_credentials_free (which
 *    wipes the secrets of the last reference). Credentials outlive their provider.
 *  - A pc_error written to *err is freed with pc_error_free. err may be NULL.
 *  - pc_retrieve_async writes a pc_request to *out (when out is not NULL) that the caller frees
 *    with pc_request_free, before or after the request's callback: freeing does not cancel. The
 *    callback owns what it is given: the pc_credentials (PC_STATUS_OK) or the pc_error (any other
 *    status), freed as above from any thread.
 *  - Strings returned by getters are borrowed from their handle and valid until it is freed;
 *    pc_version and pc_status_name return static strings.
 *  - Outputs are written only on success (an error object only on failure).
 *  - Every pointer argument is checked: NULL gives PC_STATUS_INVALID_ARGUMENT, a NULL return from
 *    a getter, or the documented default; never a crash. No panic crosses this boundary.
 *
 * Threads: every function is thread-safe, and one provider may be shared by many threads,
 * except that a handle must not be freed while another call uses it. Errors are returned as
 * objects, never kept in thread-local state.
 *
 * Asynchronous retrieves (pc_retrieve_async, pc_request_cancel, pc_retrieve_cached):
 *  - Threads: at most two library threads serve every asynchronous request of the process,
 *    whatever the number of requests or providers: "pc-async" runs the helpers and the shared
 *    cache's waits for all of them without blocking (one poll() on POSIX; on Windows one
 *    WaitForMultipleObjects over at most 63 handles of runs, taken in turn when there are more,
 *    each wait then lasting at most 10 ms), and "pc-callback" runs the callbacks, one at a time,
 *    in the order they were queued. That is, at most two library threads for async requests
 *    (plus the reaper and refresh-ahead threads described at pc_set_refresh_window and below:
 *    one reaper thread per process while a killed helper has not died, one thread per running
 *    background refresh). Both start on first use and end as soon as they are idle, so a program
 *    whose requests are all done has neither, and no descriptor of theirs. Every signal is
 *    blocked on both. After fork() the child has neither: requests pending in the parent never
 *    call back in the child.
 *  - Callbacks run exactly once per accepted request (pc_retrieve_async returned PC_STATUS_OK),
 *    on "pc-callback", never inside pc_retrieve_async (also when the credentials are cached).
 *    A callback may call any function of the library: pc_retrieve (which blocks: the callbacks
 *    queued after it wait), pc_request_free of its own request, pc_free of its own provider.
 *  - Asynchronous and blocking callers of one provider share one run of the helper. A run
 *    started by a blocking pc_retrieve runs on that caller's thread (requests may join it); one
 *    started by a request runs on "pc-async" (blocking callers may join it and wait).
 *  - Cancellation guarantees: pc_request_cancel queues the callback at once with
 *    PC_STATUS_CANCELED, unless it has already started or been queued with the result (then it
 *    does nothing); the callback runs within milliseconds unless a callback queued before it
 *    blocks. When no caller of this process waits for a run any more (every request waiting for
 *    it cancelled, no blocking pc_retrieve waiting for it), the helper and all its descendants
 *    are killed at once (within a few milliseconds; the killed helper is reaped later if it does
 *    not die at once), the shared cache's lock is released (another process waiting for it then
 *    runs the helper), and the next retrieve starts a new run. A run of a blocking pc_retrieve is
 *    never killed this way (that caller waits for it); a background refresh runs on until it
 *    ends or pc_free. pc_free cancels the provider's pending requests: each callback still runs
 *    once, with PC_STATUS_CANCELED; pc_free does not wait for callbacks (it may be called from
 *    one).
 *
 * Cancellation: no call is ended by a cancellation (pthread_cancel) of the calling thread. Where
 * a call may reach a cancellation point (a retrieve that runs the helper or uses the shared
 * cache, reading the shared config, pc_free) it disables cancellation for that time and then
 * restores the caller's state; the other calls reach none. A cancellation requested during a call
 * (or pending when it starts) acts at the caller's next cancellation point after the call
 * returns; the provider stays usable. The functions are not async-cancel-safe: call them with
 * the default deferred cancellation type.
 *
 * Signals: calls interrupted by signals (EINTR) resume; a timeout still ends at its deadline. A
 * host that reaps children it did not start (SIGCHLD ignored, or a handler calling waitpid(-1))
 * may take the helper's exit status: that retrieve fails with "waitid: no child processes".
 *
 * Status numbers are never renumbered.
 */

#ifndef PROCESSCREDS_H
#define PROCESSCREDS_H

/* Generated by cbindgen from cbindgen.toml and src/capi/ (the status constants from src/error.rs); do not edit. Regenerate with `make header`. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/**
 * Success. No error has this status.
 */
#define PC_STATUS_OK 0

/**
 * A bad argument from the caller (code `InvalidParameter`): a NULL pointer, a string
 * that is not UTF-8, an empty argv, an unknown mode.
 */
#define PC_STATUS_INVALID_ARGUMENT 1

/**
 * The helper could not be started, exited non-zero or was killed by a signal, or the
 * command is empty or blank (code `ProcessProviderExecutionError`).
 */
#define PC_STATUS_EXECUTION 2

/**
 * The helper did not finish within the timeout (code `ProcessProviderExecutionError`,
 * message `credential process timed out`).
 */
#define PC_STATUS_TIMEOUT 3

/**
 * The helper's output is not valid JSON of the expected shape, or exceeds
 * `MaxBufSize` (code `ProcessProviderParseError`).
 */
#define PC_STATUS_PARSE 4

/**
 * The output's `Version` is not 1 (code `ProcessProviderVersionError`).
 */
#define PC_STATUS_VERSION 5

/**
 * `AccessKeyId` or `SecretAccessKey` is missing or empty (code
 * `ProcessProviderRequiredError`).
 */
#define PC_STATUS_REQUIRED 6

/**
 * The shared config or credentials files cannot give a provider for the profile (codes
 * `SharedConfigErr`, `SharedConfigProfileNotExistsError`, `SharedConfigLoadError`,
 * `CredentialRequiresARNError`).
 */
#define PC_STATUS_CONFIG 7

/**
 * A failure inside the library rather than of the helper (code `InternalError`): a
 * caught panic, a system call that failed while running the helper, a thread that
 * could not be started, a run cancelled by freeing its provider.
 */
#define PC_STATUS_INTERNAL 8

/**
 * The request was cancelled (code `RequestCanceled`): `pc_request_cancel`, the
 * provider freed while the request was pending, a dropped future, an ended context.
 */
#define PC_STATUS_CANCELED 9

/**
 * `pc_retrieve_cached` found no valid cached credentials (nothing was run or waited
 * for).
 */
#define PC_STATUS_NOT_CACHED 10

/**
 * `pc_set_logger`: failures (no event has this level today).
 */
#define PC_LOG_ERROR 1

/**
 * `pc_set_logger`: a failed run of the helper, a timeout, the shared cache bypassed, a failed
 * refresh ahead.
 */
#define PC_LOG_WARN 2

/**
 * `pc_set_logger`: each run of the helper, shared-cache entries written, refreshes ahead.
 */
#define PC_LOG_INFO 3

/**
 * `pc_set_logger`: every retrieve (cache hits and misses), shared-cache hits and lock waits.
 */
#define PC_LOG_DEBUG 4

/**
 * `pc_provider_from_profile`: shared config as `AWS_SDK_LOAD_CONFIG` says.
 */
#define PC_SHARED_CONFIG_ENV 0

/**
 * `pc_provider_from_profile`: never read the config file.
 */
#define PC_SHARED_CONFIG_DISABLE 1

/**
 * `pc_provider_from_profile`: read the config file.
 */
#define PC_SHARED_CONFIG_ENABLE 2

/**
 * `pc_set_stderr`: the helper writes to the caller's stderr (default).
 */
#define PC_STDERR_INHERIT 0

/**
 * `pc_set_stderr`: the helper's stderr is captured (at most 64 KiB kept) and its end appended to
 * the error of a failed run.
 */
#define PC_STDERR_CAPTURE 1

/**
 * `pc_set_stderr`: the helper's stderr goes to /dev/null.
 */
#define PC_STDERR_DISCARD 2

/**
 * `pc_set_stdin`: the helper reads the caller's stdin (default).
 */
#define PC_STDIN_INHERIT 0

/**
 * `pc_set_stdin`: the helper's stdin is /dev/null.
 */
#define PC_STDIN_NULL 1

/**
 * `pc_set_shared_cache`: no shared cache; every process runs the helper (default).
 */
#define PC_SHARED_CACHE_OFF 0

/**
 * `pc_set_shared_cache`: credentials are shared with the same user's other processes through
 * a private cache directory, with one helper run at a time per key across processes.
 */
#define PC_SHARED_CACHE_USER 1

/**
 * The timeout of a new provider, in milliseconds (Go's `DefaultTimeout`, one minute):
 * `pc_set_timeout` changes it.
 */
#define PC_DEFAULT_TIMEOUT_MS 60000

/**
 * The `MaxBufSize` of a new provider, in bytes (Go's `DefaultBufSize`): `pc_set_max_buf_size`
 * changes it.
 */
#define PC_DEFAULT_BUF_SIZE 8192

/**
 * Credentials returned by `pc_retrieve`. Immutable; may be used from any thread; outlive the
 * provider; freed with `pc_credentials_free`, which wipes the secrets of the last reference.
 */
typedef struct pc_credentials pc_credentials;

/**
 * An error object. Created by the library for a caller that passed a `pc_error **`; freed with
 * `pc_error_free`. Its strings live as long as the object.
 */
typedef struct pc_error pc_error;

/**
 * A provider: the helper to run, its options and its credentials cache. Thread-safe: every
 * function may be called on one provider from many threads at once, except `pc_free`, which must
 * not race with any other use of the provider.
 */
typedef struct pc_provider pc_provider;

/**
 * A pending asynchronous retrieve, made by `pc_retrieve_async`. Freeing it
 * (`pc_request_free`) does not cancel it; cancelling it (`pc_request_cancel`) does not free it.
 */
typedef struct pc_request pc_request;

/**
 * A logger: called with the `user_data` given to `pc_set_logger`, the event's level
 * (`PC_LOG_*`), its name (e.g. `"helper.exit"`) and its message (`key=value` fields, the first
 * `program=`). Both strings are valid for the call only. Called on the thread that emits the
 * event (a caller's, the library's refresh-ahead thread, or its `pc-async` thread for
 * asynchronous requests' runs), possibly from several threads at once, never while the library
 * holds one of its locks (it may call the library, e.g. `pc_provider_stats`, but must not wait
 * for a retrieve, which on `pc-async` would wait for itself); the calling thread's cancellation is deferred meanwhile. It must not
 * unwind (throw) into the library.
 */
typedef void (*pc_log_cb)(void *user_data, uint32_t level, const char *event, const char *message);

/**
 * The callback of `pc_retrieve_async`: called exactly once per accepted request, on the
 * library's callback thread, with the request's `user_data`. On `PC_STATUS_OK`, `creds` holds
 * the credentials (the callback owns them: free them with `pc_credentials_free`, from any
 * thread, at any time) and `err` is NULL; on any other status (`PC_STATUS_CANCELED` for a
 * cancelled request), `creds` is NULL and `err` holds the error object (owned by the callback:
 * free it with `pc_error_free`).
 */
typedef void (*pc_retrieve_cb)(void *user_data, uint32_t status, pc_credentials *creds, pc_error *err);

/**
 * A provider's counters (`pc_provider_stats`). The caller sets `size` to `sizeof(pc_stats)`;
 * the library fills the fields that fit in `size` and writes back the size it filled. Later
 * versions only append fields. Each counter only grows; they are read one by one, so a read
 * during activity may see one counter updated and not yet another.
 */
typedef struct {
  /**
   * The size of the struct the caller gives, then of the part the library filled.
   */
  uint32_t size;
  /**
   * Runs of the helper started (helper.start).
   */
  uint64_t helper_runs;
  /**
   * Runs that gave no credentials: a failed exit, bad output, a timeout, a failed spawn.
   */
  uint64_t helper_failures;
  /**
   * Runs that passed their timeout (counted in helper_failures too).
   */
  uint64_t helper_timeouts;
  /**
   * Retrieves answered from the cache (cache.hit).
   */
  uint64_t cache_hits;
  /**
   * Retrieves that found nothing valid cached (cache.miss).
   */
  uint64_t cache_misses;
  /**
   * Fetches served by an entry of the shared cache (shared_cache.hit).
   */
  uint64_t shared_cache_hits;
  /**
   * Entries written to the shared cache (shared_cache.write).
   */
  uint64_t shared_cache_writes;
  /**
   * Times the shared cache was bypassed or not written (shared_cache.bypass).
   */
  uint64_t shared_cache_bypasses;
  /**
   * Refreshes ahead started (refresh.start).
   */
  uint64_t refreshes_started;
  /**
   * Refreshes ahead that replaced the credentials (refresh.ok).
   */
  uint64_t refreshes_succeeded;
  /**
   * Refreshes ahead that failed (refresh.fail).
   */
  uint64_t refreshes_failed;
  /**
   * How long the last run of the helper took, in microseconds (0 before the first).
   */
  uint64_t last_run_duration_us;
} pc_stats;

#ifdef __cplusplus
extern "C" {
#endif // __cplusplus

/**
 * The library's version, e.g. `"0.1.0"`. Static; never freed.
 */
const char *pc_version(void);

/**
 * The C name of a status, e.g. `"PC_STATUS_TIMEOUT"`; `"PC_STATUS_UNKNOWN"` for a number that is
 * not a status. Static; never freed.
 */
const char *pc_status_name(uint32_t status);

/**
 * The access key id. Borrowed from `c`; NULL for NULL.
 */
const char *pc_credentials_access_key_id(const pc_credentials *c);

/**
 * The secret access key. Borrowed from `c`; NULL for NULL.
 */
const char *pc_credentials_secret_access_key(const pc_credentials *c);

/**
 * The session token, `""` when there is none. Borrowed from `c`; NULL for NULL.
 */
const char *pc_credentials_session_token(const pc_credentials *c);

/**
 * The account id the helper gave (`AccountId`), NULL when none (or for NULL). Borrowed from `c`.
 */
const char *pc_credentials_account_id(const pc_credentials *c);

/**
 * `"ProcessProvider"`, or `"SharedConfigCredentials: <file>"` for static profile keys. Borrowed
 * from `c`; NULL for NULL.
 */
const char *pc_credentials_provider_name(const pc_credentials *c);

/**
 * Writes the helper's own `Expiration` (or the `Duration`-derived time) in Unix milliseconds to
 * `*unix_ms_out` and returns true; returns false (writing nothing) when the credentials never
 * expire or an argument is NULL.
 */
bool pc_credentials_expiration(const pc_credentials *c, int64_t *unix_ms_out);

/**
 * Releases credentials; the secrets are wiped when the last reference goes. NULL is a no-op.
 */
void pc_credentials_free(pc_credentials *c);

/**
 * The error's status (a `PC_STATUS_*` value); `PC_STATUS_INVALID_ARGUMENT` for NULL.
 */
uint32_t pc_error_status(const pc_error *e);

/**
 * The Go `awserr` code, e.g. `"ProcessProviderExecutionError"`; NULL for NULL. Borrowed from
 * `e`.
 */
const char *pc_error_code(const pc_error *e);

/**
 * Go's `Error()` text: `CODE: message`, then `\ncaused by: cause` where Go has a cause (and
 * `\nstderr: ...` in stderr capture mode). Never contains a secret. NULL for NULL. Borrowed from
 * `e`.
 */
const char *pc_error_message(const pc_error *e);

/**
 * Frees an error object. NULL is a no-op.
 */
void pc_error_free(pc_error *e);

/**
 * Gives the provider's events of level `min_level` and more important ones to `cb` (see
 * `pc_log_cb`), replacing the logger set before; NULL `cb` or `min_level` 0 removes it. No event
 * is formatted for a level no logger wants: with no logger, a cached `pc_retrieve` costs what it
 * did without one. Returns once the calls of the previous logger in progress on other threads
 * have returned (so its `user_data` may then be freed); `pc_free` does the same, so the logger is
 * never called once `pc_free` returns. A logger must not wait for a thread that is calling
 * `pc_set_logger` or `pc_free` on its provider. `PC_STATUS_INVALID_ARGUMENT` for a NULL provider
 * or a `min_level` above `PC_LOG_DEBUG`.
 *
 * The events (name, level, the message's keys after `program`; keys in brackets only when they
 * apply; the README's "Observability" describes each):
 *  - helper.start (info): a run of the helper starts.
 *  - helper.exit (info; warn when the run gave no credentials): `status [exit] [signal]
 *    duration_ms bytes`.
 *  - helper.timeout (warn; the helper's tree was killed; its helper.exit follows): `timeout_ms
 *    duration_ms`.
 *  - cache.hit (debug): `[ahead]`.
 *  - cache.miss (debug).
 *  - shared_cache.hit (debug): `path`.
 *  - shared_cache.write (info): `path`.
 *  - shared_cache.bypass (warn): `reason [path] detail`.
 *  - shared_cache.lock_wait (debug): `path waited_ms outcome`.
 *  - refresh.start (info): `[expires_in_ms]`.
 *  - refresh.ok (info): `duration_ms`.
 *  - refresh.fail (warn): `status failures backoff_ms`.
 *  - request.cancel (debug).
 *
 * No message holds a secret key, a session token, the helper's output or its arguments:
 * `program` is the file name of the program run.
 */
uint32_t pc_set_logger(pc_provider *p, pc_log_cb cb, void *user_data, uint32_t min_level);

/**
 * A provider that runs `sh -c <command>` (`sh` looked up on `PATH` at each run); on Windows
 * `cmd.exe /d /s /c "<command>"`, the command reaching cmd.exe verbatim. The command is
 * copied. An empty or blank command is accepted and fails at every retrieve with
 * `ProcessProviderExecutionError`. Returns `PC_STATUS_INVALID_ARGUMENT` for a NULL argument or a
 * command that is not UTF-8.
 */
uint32_t pc_provider_new(const char *command, pc_provider **out);

/**
 * A provider that runs `argv[0]` with `argv[1..argc]` directly, with no shell (`argv[0]` is
 * looked up on `PATH` when it has no `/`; on Windows, as Go's `os/exec` does, with `PATHEXT`,
 * the arguments quoted by the MSVCRT rules). The strings are copied. `argc` 0, a NULL `argv` or
 * element, or an element that is not UTF-8 is `PC_STATUS_INVALID_ARGUMENT`.
 */
uint32_t pc_provider_new_argv(const char *const *argv, size_t argc, pc_provider **out);

/**
 * A provider for a shared-config profile, as aws-sdk-go v1's session resolves it: the
 * profile's `credential_process` (run as `sh -c`), or its static keys (returned as never-expiring
 * credentials named `SharedConfigCredentials: <file>`, with no helper run). `profile` NULL means
 * `AWS_PROFILE`, then `AWS_DEFAULT_PROFILE` (when shared config is on), then `default`.
 * `shared_config` is `PC_SHARED_CONFIG_ENV` (as `AWS_SDK_LOAD_CONFIG` says),
 * `PC_SHARED_CONFIG_DISABLE` or `PC_SHARED_CONFIG_ENABLE`. The environment and files are read
 * now. A profile that cannot give a provider is `PC_STATUS_CONFIG`, with an error object in
 * `*err` when `err` is not NULL.
 */
uint32_t pc_provider_from_profile(const char *profile, uint32_t shared_config, pc_provider **out, pc_error **err);

/**
 * Frees a provider. Credentials it returned stay valid. NULL is a no-op. A background refresh
 * in progress (`pc_set_refresh_window`) is cancelled: its helper is killed with its tree, and
 * `pc_free` returns within about 50 ms. Its pending asynchronous requests (`pc_retrieve_async`)
 * are cancelled: each callback still runs exactly once, with `PC_STATUS_CANCELED`, and a run
 * that only they waited for is killed with its tree. `pc_free` does not wait for callbacks: it
 * may be called from one (that of a request of this very provider included). Request handles
 * stay valid until `pc_request_free`.
 */
void pc_free(pc_provider *p);

/**
 * How long the helper may run, in milliseconds, from spawn (default `PC_DEFAULT_TIMEOUT_MS`, one
 * minute). On timeout the helper and its descendants are killed. 0 fails every retrieve at once
 * with the timeout error.
 */
uint32_t pc_set_timeout(pc_provider *p, uint64_t timeout_ms);

/**
 * How many bytes of stdout are kept (default `PC_DEFAULT_BUF_SIZE`, 8192). Trailing JSON
 * whitespace beyond it is ignored; any other byte beyond it fails the retrieve at once with a
 * parse error.
 */
uint32_t pc_set_max_buf_size(pc_provider *p, size_t bytes);

/**
 * Subtracted from the credentials' expiry so that they are refreshed early (default 0).
 */
uint32_t pc_set_expiry_window(pc_provider *p, uint64_t window_ms);

/**
 * Lifetime of credentials whose output has no `Expiration` (default 0: they never expire).
 */
uint32_t pc_set_duration(pc_provider *p, uint64_t duration_ms);

/**
 * Where the helper's stderr goes: `PC_STDERR_INHERIT` (default), `PC_STDERR_CAPTURE` or
 * `PC_STDERR_DISCARD`. Another value is `PC_STATUS_INVALID_ARGUMENT`.
 */
uint32_t pc_set_stderr(pc_provider *p, uint32_t mode);

/**
 * Where the helper's stdin comes from: `PC_STDIN_INHERIT` (default) or `PC_STDIN_NULL`. Another
 * value is `PC_STATUS_INVALID_ARGUMENT`.
 */
uint32_t pc_set_stdin(pc_provider *p, uint32_t mode);

/**
 * Whether the provider shares credentials with the same user's other processes:
 * `PC_SHARED_CACHE_OFF` (default) or `PC_SHARED_CACHE_USER`. Another value is
 * `PC_STATUS_INVALID_ARGUMENT`.
 *
 * With `PC_SHARED_CACHE_USER`, a refresh first looks for a valid entry in the cache directory
 * (`$PROCESSCREDS_CACHE_DIR`, else `$XDG_RUNTIME_DIR/processcreds`, else
 * `${XDG_CACHE_HOME:-$HOME/.cache}/processcreds`; created 0700), keyed on what can change the
 * helper's output: the command (or argv) and the file it runs, the working directory when a
 * path in it is relative, the variables a command string references, `HOME`, every `AWS_*`
 * variable, the duration and max buffer size, and `pc_set_shared_cache_key` and
 * `pc_set_shared_cache_env` (the README's "what separates entries"). An entry is served while
 * its expiry less this provider's expiry window is in the future, unless it holds the
 * credentials `pc_expire` cleared. Otherwise one process at a time runs the helper for a key
 * (waiting counts against the timeout) and writes its credentials when they expire; credentials
 * that never expire, static profile keys and errors are never written. A directory or entry
 * that is not private to the effective user (owner, mode 0700/0600, not a symlink) is left
 * alone and bypassed, and no cache failure ever fails a retrieve. POSIX only: elsewhere the
 * cache is always bypassed.
 */
uint32_t pc_set_shared_cache(pc_provider *p, uint32_t mode);

/**
 * Refresh ahead, in milliseconds (default 0: off). Let E be the credentials' expiry less the
 * expiry window. From E - `window_ms` until E, `pc_retrieve` returns the cached credentials at
 * once and starts one refresh on a thread of the library, unless one is running: its success
 * replaces the cached credentials; its failure keeps them and is retried no sooner than a
 * back-off (1 s, doubling, at most 1 min; 1 s after a success too). From E on, `pc_retrieve`
 * runs the helper itself as without a window (one run for all callers; its error is returned),
 * or waits for the background refresh in flight. `pc_free` cancels a background refresh: the
 * helper is killed with its tree and `pc_free` returns within about 50 ms. `pc_expire` during
 * one clears the cache; the refresh goes on and, when it succeeds, its credentials are cached
 * (a retrieve meanwhile waits for it). A process forked during one has no refresh in flight.
 * Applies to credentials fetched from the next run of the helper on.
 */
uint32_t pc_set_refresh_window(pc_provider *p, uint64_t window_ms);

/**
 * Retrieves credentials: the cached ones while they are valid (nothing runs), else from one run
 * of the helper shared by every concurrent caller. On success writes a new reference to `*out`
 * (free it with `pc_credentials_free`). On failure returns the status and, when `err` is not
 * NULL, writes an error object to `*err` (free it with `pc_error_free`); errors are not cached.
 * Blocks while the helper runs; the calling thread's cancellation is deferred meanwhile.
 * With a refresh window (`pc_set_refresh_window`), inside it: returns the cached credentials at
 * once and starts a background refresh.
 */
uint32_t pc_retrieve(const pc_provider *p, pc_credentials **out, pc_error **err);

/**
 * True when nothing is cached (before the first success, after `pc_expire`) or the cached
 * credentials have expired; true for NULL.
 */
bool pc_is_expired(const pc_provider *p);

/**
 * Clears the cache, so that the next retrieve runs the helper. NULL is a no-op. With
 * `PC_SHARED_CACHE_USER`, that retrieve does not accept a shared entry holding the credentials
 * cleared here (a caller expires credentials the service has just rejected): it runs the helper
 * under the cross-process lock and replaces the entry, unless another process has already
 * replaced it with different credentials, which are then served. The provider keeps a
 * fingerprint of them (a hash), never the secret.
 */
void pc_expire(const pc_provider *p);

/**
 * Writes the window-adjusted expiry of the cached credentials (also once expired) in Unix
 * milliseconds to `*unix_ms_out` and returns true; returns false (writing nothing) when nothing is
 * cached, the cached credentials never expire, or an argument is NULL.
 */
bool pc_expires_at(const pc_provider *p, int64_t *unix_ms_out);

/**
 * Starts an asynchronous retrieve and returns at once: `cb(user_data, ...)` is called exactly
 * once when the request ends, on the library's callback thread, never inside this call (also
 * when the credentials are cached), with the credentials, the helper's error, or
 * `PC_STATUS_CANCELED` (`pc_request_cancel`, or `pc_free` of the provider while it is pending).
 * Asynchronous and blocking callers of one provider share one run of the helper (single
 * flight), and the shared cache and refresh ahead apply as to `pc_retrieve`.
 *
 * When `out` is not NULL, a request handle is written to `*out` before the request starts (so
 * before the callback can run); free it with `pc_request_free` (before or after the callback:
 * freeing it does not cancel the request). With `out` NULL the request cannot be cancelled but
 * by `pc_free`.
 *
 * Returns `PC_STATUS_OK` when the request is accepted (the callback will run), or
 * `PC_STATUS_INVALID_ARGUMENT` for a NULL `p` or `cb` (nothing is written, the callback never
 * runs).
 */
uint32_t pc_retrieve_async(const pc_provider *p, pc_retrieve_cb cb, void *user_data, pc_request **out);

/**
 * Cancels a request: unless its callback has already started or been queued with the result,
 * the callback is queued at once (it runs within milliseconds, after the callbacks queued
 * before it) with `PC_STATUS_CANCELED`. The request leaves the run it waited for; when no other
 * caller of this process waits for that run (no other pending request, no blocking
 * `pc_retrieve`), the helper and all its descendants are killed, the shared cache's lock is
 * released (a process waiting for it then runs the helper itself), and the next retrieve starts
 * a new run. A background refresh (`pc_set_refresh_window`) is not stopped this way: it runs
 * on until it ends or `pc_free`. Cancelling again, or after the callback, does nothing. NULL is
 * a no-op. Does not free the handle. May be called from any thread, including from a callback.
 */
void pc_request_cancel(pc_request *r);

/**
 * Frees a request handle. Does not cancel the request: its callback still runs (exactly once).
 * NULL is a no-op.
 */
void pc_request_free(pc_request *r);

/**
 * The cached credentials, without running the helper or waiting for a run in progress: on
 * `PC_STATUS_OK` writes a new reference to `*out` (free it with `pc_credentials_free`); returns
 * `PC_STATUS_NOT_CACHED` (writing nothing) when no valid credentials are cached. Inside the
 * refresh window (`pc_set_refresh_window`) it returns the cached credentials and starts the
 * background refresh, as `pc_retrieve` does. For event loops: try it first, and call
 * `pc_retrieve_async` on `PC_STATUS_NOT_CACHED`. `PC_STATUS_INVALID_ARGUMENT` for a NULL `p` or
 * `out`.
 */
uint32_t pc_retrieve_cached(const pc_provider *p, pc_credentials **out);

/**
 * Extra text for the shared cache's key (`processcreds cache --cache-key`): providers running
 * the same helper for different purposes (two roles a helper picks from a file it reads) keep
 * separate entries. NULL (the default) adds nothing; `""` is a text of its own. The text is
 * copied. Returns `PC_STATUS_INVALID_ARGUMENT` for a NULL provider or a text that is not UTF-8.
 * A provider and `processcreds cache --cache-key TEXT` running the same helper in the same
 * environment share entries.
 */
uint32_t pc_set_shared_cache_key(pc_provider *p, const char *text);

/**
 * Variables whose values the shared cache's key holds too (`processcreds cache --key-env`),
 * because the helper reads them without the command line showing it (a token file, a role
 * name); the key already holds `HOME`, every `AWS_*` variable and the variables a command string
 * references. `names` holds `count` variable names; NULL with `count` 0 names none (the
 * default). The names are copied; order and repeats do not matter. A NULL `names` with a
 * non-zero `count`, a NULL element, an element that is not UTF-8, empty, or holds `=`, or a
 * NULL provider is `PC_STATUS_INVALID_ARGUMENT`, and nothing is changed.
 */
uint32_t pc_set_shared_cache_env(pc_provider *p, const char *const *names, size_t count);

/**
 * Writes the provider's counters into `*out`: the fields that fit in `out->size` bytes (set by
 * the caller, normally `sizeof(pc_stats)`), and `out->size` becomes the size filled (a caller
 * built against an older, shorter `pc_stats` gets the fields it knows; a newer, longer one
 * learns what this library fills). `PC_STATUS_INVALID_ARGUMENT` (nothing written) for a NULL
 * argument or a `size` below `sizeof(uint32_t)`. Reads relaxed atomics only: cheap, and never
 * slows down a retrieve.
 */
uint32_t pc_provider_stats(const pc_provider *p, pc_stats *out);

#ifdef __cplusplus
}  // extern "C"
#endif  // __cplusplus

#endif  /* PROCESSCREDS_H */
