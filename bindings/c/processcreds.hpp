// processcreds.hpp: a small C++17 layer over the processcreds C ABI (processcreds.h).
//
// What it adds over the C functions, and nothing else:
//  - ownership: the handles are released by destructors, never by hand;
//  - errors: a failed call throws processcreds::error, which carries the status (PC_STATUS_*),
//    the Go code ("ProcessProviderExecutionError", ...) and Go's Error() text (what());
//  - types: std::chrono durations and time points, std::string_view, std::optional.
//
// Classes
//  - processcreds::provider: owns a pc_provider. Move-only (a provider holds the helper's cache;
//    copying it would silently split that cache). Every const member function may be called from
//    many threads at once on one provider, e.g. through a std::shared_ptr<const provider>; the
//    setters are thread-safe as well, but destruction and move-assignment must not race with
//    any other use. A moved-from provider holds no handle: retrieve() throws an error with
//    status invalid_argument, is_expired() is true.
//  - processcreds::credentials: shares one immutable pc_credentials handle among its copies
//    (the reference count is atomic, so copies may live in and be destroyed by different
//    threads). The last copy to go releases the handle, which wipes the secrets. The
//    string_views it returns stay valid while this object, or a copy sharing its handle, lives.
//    Credentials outlive the provider that returned them. A default-constructed or moved-from
//    credentials is empty: its strings are empty, account_id() and expiration() are nullopt.
//  - processcreds::error: derives from std::runtime_error; copying it never throws.
//  - processcreds::request: an asynchronous retrieve (provider::retrieve_async). Move-only; its
//    destructor releases the handle without cancelling; cancel() cancels. The callback gets a
//    processcreds::result (the credentials, or the error: status canceled for a cancelled
//    request), exactly once, on the library's callback thread (see processcreds.h:
//    "Asynchronous retrieves"); an exception escaping the callback calls std::terminate.
//  - Observability: provider::set_logger(callback, min_level) gives the library's events to a
//    std::function (on whatever thread emits them; an exception it throws is swallowed, never
//    thrown into the library), provider::stats() its counters (pc_stats).
//
// Strings passed in must be valid UTF-8 without NUL bytes (a NUL throws invalid_argument here
// rather than silently cutting the string, as the C ABI would).

#ifndef PROCESSCREDS_HPP
#define PROCESSCREDS_HPP

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "processcreds.h"

namespace processcreds {

/// A PC_STATUS_* value. Unknown numbers (from a newer library) are representable too.
enum class status : std::uint32_t {
    ok = PC_STATUS_OK,
    invalid_argument = PC_STATUS_INVALID_ARGUMENT,
    execution = PC_STATUS_EXECUTION,
    timeout = PC_STATUS_TIMEOUT,
    parse = PC_STATUS_PARSE,
    version = PC_STATUS_VERSION,
    required = PC_STATUS_REQUIRED,
    config = PC_STATUS_CONFIG,
    internal = PC_STATUS_INTERNAL,
    canceled = PC_STATUS_CANCELED,
    not_cached = PC_STATUS_NOT_CACHED,
};

/// Where the helper's stderr goes.
enum class stderr_mode : std::uint32_t {
    inherit = PC_STDERR_INHERIT,
    capture = PC_STDERR_CAPTURE,
    discard = PC_STDERR_DISCARD,
};

/// Where the helper's stdin comes from.
enum class stdin_mode : std::uint32_t {
    inherit = PC_STDIN_INHERIT,
    null = PC_STDIN_NULL,
};

/// Whether provider::from_profile reads the shared config file (Go's SharedConfigState).
enum class shared_config : std::uint32_t {
    env = PC_SHARED_CONFIG_ENV,
    disable = PC_SHARED_CONFIG_DISABLE,
    enable = PC_SHARED_CONFIG_ENABLE,
};

/// Whether credentials are shared with the same user's other processes (pc_set_shared_cache).
enum class shared_cache : std::uint32_t {
    off = PC_SHARED_CACHE_OFF,
    user = PC_SHARED_CACHE_USER,
};

/// How important an event is (PC_LOG_*).
enum class log_level : std::uint32_t {
    error = PC_LOG_ERROR,
    warn = PC_LOG_WARN,
    info = PC_LOG_INFO,
    debug = PC_LOG_DEBUG,
};

/// A logger: the event's level, its name ("helper.exit") and its message ("program=... status=ok
/// ..."); the views are valid for the call only.
using logger = std::function<void(log_level, std::string_view event, std::string_view message)>;

/// Unix time with millisecond precision, as the C ABI gives it.
using time_point = std::chrono::time_point<std::chrono::system_clock, std::chrono::milliseconds>;

/// The library's version, e.g. "0.1.0".
inline std::string_view version() noexcept { return pc_version(); }

/// The C name of a status, e.g. "PC_STATUS_TIMEOUT" ("PC_STATUS_UNKNOWN" for other numbers).
inline std::string_view status_name(status s) noexcept {
    return pc_status_name(static_cast<std::uint32_t>(s));
}

/// A failed call: status, Go code and Go's Error() text (what(), also message()).
class error : public std::runtime_error {
public:
    error(processcreds::status s, const std::string &code, const std::string &message)
        : std::runtime_error(message), status_(s),
          code_(std::make_shared<const std::string>(code)) {}

    processcreds::status status() const noexcept { return status_; }
    /// The Go awserr code, e.g. "ProcessProviderExecutionError".
    const std::string &code() const noexcept { return *code_; }
    /// Go's Error() text: "CODE: message", then "\ncaused by: cause" where Go has a cause.
    /// Never holds a secret.
    std::string_view message() const noexcept { return what(); }

private:
    processcreds::status status_;
    std::shared_ptr<const std::string> code_; // shared: copying the exception never throws
};

namespace detail {

inline std::string_view view(const char *s) noexcept {
    return s != nullptr ? std::string_view(s) : std::string_view();
}

inline std::optional<time_point> unix_ms(bool present, std::int64_t ms) noexcept {
    if (!present) {
        return std::nullopt;
    }
    return time_point(std::chrono::milliseconds(ms));
}

/// Throws the error for `st`; takes ownership of `e` (may be null).
[[noreturn]] inline void raise(std::uint32_t st, pc_error *e, const char *context) {
    if (e != nullptr) {
        const auto s = static_cast<status>(pc_error_status(e));
        std::string code(view(pc_error_code(e)));
        std::string message(view(pc_error_message(e)));
        pc_error_free(e);
        throw error(s, code, message);
    }
    const char *code =
        st == PC_STATUS_INVALID_ARGUMENT ? "InvalidParameter" : "InternalError";
    throw error(static_cast<status>(st), code,
                std::string(code) + ": " + context + " failed with " + pc_status_name(st));
}

/// A NUL-free copy check: the C ABI would cut the string at the first NUL.
inline const char *c_str(const std::string &s, const char *what) {
    if (s.find('\0') != std::string::npos) {
        throw error(status::invalid_argument, "InvalidParameter",
                    std::string("InvalidParameter: ") + what + " contains a NUL byte");
    }
    return s.c_str();
}

inline void check(std::uint32_t st, const char *context) {
    if (st != PC_STATUS_OK) {
        raise(st, nullptr, context);
    }
}

inline std::uint64_t millis(std::chrono::milliseconds d, const char *what) {
    if (d.count() < 0) {
        throw error(status::invalid_argument, "InvalidParameter",
                    std::string("InvalidParameter: ") + what + " must not be negative");
    }
    return static_cast<std::uint64_t>(d.count());
}

struct credentials_deleter {
    void operator()(pc_credentials *c) const noexcept { pc_credentials_free(c); }
};

struct provider_deleter {
    void operator()(pc_provider *p) const noexcept { pc_free(p); }
};

struct request_deleter {
    void operator()(pc_request *r) const noexcept { pc_request_free(r); }
};
/// The C callback of every provider::set_logger: calls the std::function, swallowing what it
/// throws.
inline void log_trampoline(void *user_data, std::uint32_t level, const char *event,
                           const char *message) noexcept {
    try {
        (*static_cast<const logger *>(user_data))(static_cast<log_level>(level), view(event),
                                                   view(message));
    } catch (...) {
    }
}

} // namespace detail

/// Credentials returned by provider::retrieve(). Copies share one handle.
class credentials {
public:
    credentials() noexcept = default;

    /// Adopts a handle from pc_retrieve (released when the last copy goes; null gives an empty
    /// object). If allocating the shared count fails, the handle is released and
    /// std::bad_alloc thrown.
    explicit credentials(pc_credentials *owned) : handle_(owned, detail::credentials_deleter()) {}

    std::string_view access_key_id() const noexcept {
        return detail::view(pc_credentials_access_key_id(handle_.get()));
    }
    std::string_view secret_access_key() const noexcept {
        return detail::view(pc_credentials_secret_access_key(handle_.get()));
    }
    /// Empty when the helper gave none.
    std::string_view session_token() const noexcept {
        return detail::view(pc_credentials_session_token(handle_.get()));
    }
    /// nullopt when the helper gave none.
    std::optional<std::string_view> account_id() const noexcept {
        const char *s = pc_credentials_account_id(handle_.get());
        if (s == nullptr) {
            return std::nullopt;
        }
        return std::string_view(s);
    }
    /// "ProcessProvider", or "SharedConfigCredentials: <file>" for static profile keys.
    std::string_view provider_name() const noexcept {
        return detail::view(pc_credentials_provider_name(handle_.get()));
    }
    /// The helper's Expiration (or the Duration-derived time); nullopt: never expires.
    std::optional<time_point> expiration() const noexcept {
        std::int64_t ms = 0;
        bool present = pc_credentials_expiration(handle_.get(), &ms);
        return detail::unix_ms(present, ms);
    }

    /// False for an empty (default-constructed or moved-from) object.
    explicit operator bool() const noexcept { return handle_ != nullptr; }
    /// The C handle, for C APIs; owned by this object.
    const pc_credentials *get() const noexcept { return handle_.get(); }

private:
    std::shared_ptr<pc_credentials> handle_;
};

/// What an asynchronous retrieve brought: the credentials, or the error.
class result {
public:
    /// Success.
    explicit result(processcreds::credentials c) noexcept : creds_(std::move(c)) {}
    /// Failure.
    explicit result(processcreds::error e) : error_(std::make_shared<processcreds::error>(std::move(e))) {}

    /// status::ok, or the error's status (status::canceled for a cancelled request).
    processcreds::status status() const noexcept {
        return error_ ? error_->status() : status::ok;
    }
    /// True on success.
    explicit operator bool() const noexcept { return !error_; }
    /// The credentials; throws the error on failure.
    const processcreds::credentials &value() const {
        if (error_) {
            throw *error_;
        }
        return creds_;
    }
    /// The error, or nullptr on success.
    const processcreds::error *error() const noexcept { return error_.get(); }

private:
    processcreds::credentials creds_;
    std::shared_ptr<const processcreds::error> error_;
};

/// A pending asynchronous retrieve (provider::retrieve_async). Move-only. Destroying it releases
/// the handle and does not cancel: the callback still runs.
class request {
public:
    request() noexcept = default;
    /// Adopts a handle from pc_retrieve_async.
    explicit request(pc_request *owned) noexcept : handle_(owned) {}

    /// Cancels the request: unless its callback has started or been queued with the result, it
    /// runs promptly with status::canceled, and the helper is killed when no other caller waits
    /// for its run (pc_request_cancel). Again, or on an empty request: nothing.
    void cancel() const noexcept { pc_request_cancel(handle_.get()); }

    /// False for an empty (default-constructed or moved-from) request.
    explicit operator bool() const noexcept { return handle_ != nullptr; }
    /// The C handle; still owned by this object.
    pc_request *get() const noexcept { return handle_.get(); }

private:
    std::unique_ptr<pc_request, detail::request_deleter> handle_;
};

namespace detail {

/// The callback of an asynchronous retrieve, owned by the library until it runs.
struct pending {
    std::function<void(result)> callback;
};

/// The C callback: turns the C objects into a result, calls, frees the pending callback. An
/// exception escaping the callback ends the program (noexcept), as in a std::thread.
extern "C" inline void on_result(void *user_data, std::uint32_t st, pc_credentials *c,
                                 pc_error *e) noexcept {
    std::unique_ptr<pending> p(static_cast<pending *>(user_data));
    if (st == PC_STATUS_OK) {
        p->callback(result(credentials(c)));
        return;
    }
    try {
        raise(st, e, "pc_retrieve_async");
    } catch (const processcreds::error &err) {
        p->callback(result(err));
    }
}

} // namespace detail

/// A credential_process provider and its cache. Move-only.
class provider {
public:
    /// Runs `sh -c <command>`, as Go's NewCredentials(command).
    explicit provider(const std::string &command) {
        pc_provider *p = nullptr;
        detail::check(pc_provider_new(detail::c_str(command, "command"), &p),
                      "pc_provider_new (is the command valid UTF-8?)");
        handle_.reset(p);
    }

    /// Runs argv[0] with the other elements as arguments, with no shell.
    static provider from_argv(const std::vector<std::string> &argv) {
        if (argv.empty()) {
            throw error(status::invalid_argument, "InvalidParameter",
                        "InvalidParameter: argv must not be empty");
        }
        std::vector<const char *> ptrs;
        ptrs.reserve(argv.size());
        for (const std::string &a : argv) {
            ptrs.push_back(detail::c_str(a, "an argv element"));
        }
        pc_provider *p = nullptr;
        detail::check(pc_provider_new_argv(ptrs.data(), ptrs.size(), &p),
                      "pc_provider_new_argv (is every element valid UTF-8?)");
        return provider(p);
    }

    /// The provider of a shared-config profile (nullopt: AWS_PROFILE, ..., "default"). Reads
    /// the environment and the files now.
    static provider from_profile(const std::optional<std::string> &profile = std::nullopt,
                                 shared_config config = shared_config::env) {
        pc_provider *p = nullptr;
        pc_error *e = nullptr;
        const char *name = profile ? detail::c_str(*profile, "profile") : nullptr;
        std::uint32_t st =
            pc_provider_from_profile(name, static_cast<std::uint32_t>(config), &p, &e);
        if (st != PC_STATUS_OK) {
            detail::raise(st, e, "pc_provider_from_profile");
        }
        return provider(p);
    }

    /// Adopts a handle made by a pc_provider_* constructor.
    explicit provider(pc_provider *owned) noexcept : handle_(owned) {}

    provider(provider &&) noexcept = default;
    /// The provider held before is freed first (its logger is never called after), then its
    /// logger.
    provider &operator=(provider &&other) noexcept {
        if (this != &other) {
            handle_.reset();
            logger_ = std::move(other.logger_);
            handle_ = std::move(other.handle_);
        }
        return *this;
    }
    provider(const provider &) = delete;
    provider &operator=(const provider &) = delete;
    ~provider() = default;

    // Setters (take effect from the next run of the helper); they return *this for chaining.

    /// How long the helper may run (default 60 s); zero fails every retrieve at once.
    provider &set_timeout(std::chrono::milliseconds d) {
        detail::check(pc_set_timeout(handle_.get(), detail::millis(d, "timeout")),
                      "pc_set_timeout");
        return *this;
    }
    /// How many bytes of stdout are kept (default 8192).
    provider &set_max_buf_size(std::size_t bytes) {
        detail::check(pc_set_max_buf_size(handle_.get(), bytes), "pc_set_max_buf_size");
        return *this;
    }
    /// Subtracted from the expiry, to refresh early (default 0).
    provider &set_expiry_window(std::chrono::milliseconds d) {
        detail::check(pc_set_expiry_window(handle_.get(), detail::millis(d, "expiry window")),
                      "pc_set_expiry_window");
        return *this;
    }
    /// Lifetime of credentials whose output has no Expiration (default 0: never expire).
    provider &set_duration(std::chrono::milliseconds d) {
        detail::check(pc_set_duration(handle_.get(), detail::millis(d, "duration")),
                      "pc_set_duration");
        return *this;
    }
    provider &set_stderr(stderr_mode m) {
        detail::check(pc_set_stderr(handle_.get(), static_cast<std::uint32_t>(m)),
                      "pc_set_stderr");
        return *this;
    }
    provider &set_stdin(stdin_mode m) {
        detail::check(pc_set_stdin(handle_.get(), static_cast<std::uint32_t>(m)), "pc_set_stdin");
        return *this;
    }
    /// Shares credentials with the same user's other processes (default shared_cache::off);
    /// see pc_set_shared_cache.
    provider &set_shared_cache(shared_cache m) {
        detail::check(pc_set_shared_cache(handle_.get(), static_cast<std::uint32_t>(m)),
                      "pc_set_shared_cache");
        return *this;
    }
    /// Refresh ahead: how long before the expiry a retrieve starts a background refresh and
    /// returns the cached credentials at once (default 0: off); see pc_set_refresh_window.
    provider &set_refresh_window(std::chrono::milliseconds d) {
        detail::check(pc_set_refresh_window(handle_.get(), detail::millis(d, "refresh window")),
                      "pc_set_refresh_window");
        return *this;
    }

    /// Gives the provider's events of `min_level` and more important ones to `f` (see
    /// pc_set_logger; an empty `f` removes the logger). The previous logger is destroyed once
    /// its calls in progress on other threads have returned. Not to be called concurrently with
    /// itself on one provider.
    provider &set_logger(logger f, log_level min_level = log_level::info) {
        std::unique_ptr<logger> next;
        if (f) {
            next = std::make_unique<logger>(std::move(f));
        }
        detail::check(pc_set_logger(handle_.get(), next ? detail::log_trampoline : nullptr,
                                    next.get(), static_cast<std::uint32_t>(min_level)),
                      "pc_set_logger");
        logger_ = std::move(next); // the previous one is no longer called: destroyed here
        return *this;
    }

    /// The provider's counters since it was made (pc_provider_stats).
    pc_stats stats() const {
        pc_stats s{};
        s.size = sizeof s;
        detail::check(pc_provider_stats(handle_.get(), &s), "pc_provider_stats");
        return s;
    }

    /// The cached credentials while valid, else those of one run of the helper shared by all
    /// concurrent callers. Throws processcreds::error on failure. Blocks while the helper runs.
    credentials retrieve() const {
        pc_credentials *c = nullptr;
        pc_error *e = nullptr;
        std::uint32_t st = pc_retrieve(handle_.get(), &c, &e);
        if (st != PC_STATUS_OK) {
            detail::raise(st, e, "pc_retrieve");
        }
        return credentials(c);
    }

    /// Starts a retrieve and returns at once: `callback(processcreds::result)` runs exactly once,
    /// on the library's callback thread (never inside this call), with the credentials or the
    /// error (status::canceled after request::cancel() or when the provider is destroyed first).
    /// Asynchronous and blocking callers share one run of the helper. Throws on a moved-from
    /// provider (the callback then never runs).
    template <class F> request retrieve_async(F &&callback) const {
        auto p = std::make_unique<detail::pending>();
        p->callback = std::function<void(result)>(std::forward<F>(callback));
        pc_request *r = nullptr;
        std::uint32_t st = pc_retrieve_async(handle_.get(), detail::on_result, p.get(), &r);
        if (st != PC_STATUS_OK) {
            detail::raise(st, nullptr, "pc_retrieve_async");
        }
        p.release(); // the library owns it until the callback
        return request(r);
    }

    /// The cached credentials, never running or waiting for the helper; nullopt when none are
    /// valid (pc_retrieve_cached).
    std::optional<credentials> retrieve_cached() const {
        pc_credentials *c = nullptr;
        std::uint32_t st = pc_retrieve_cached(handle_.get(), &c);
        if (st == PC_STATUS_NOT_CACHED) {
            return std::nullopt;
        }
        detail::check(st, "pc_retrieve_cached");
        return credentials(c);
    }

    /// True when nothing is cached or the cached credentials expired.
    bool is_expired() const noexcept { return pc_is_expired(handle_.get()); }
    /// Clears the cache: the next retrieve runs the helper.
    void expire() const noexcept { pc_expire(handle_.get()); }
    /// The window-adjusted expiry of the cached credentials (also once expired); nullopt when
    /// nothing is cached or they never expire.
    std::optional<time_point> expires_at() const noexcept {
        std::int64_t ms = 0;
        bool present = pc_expires_at(handle_.get(), &ms);
        return detail::unix_ms(present, ms);
    }

    /// False for a moved-from provider.
    explicit operator bool() const noexcept { return handle_ != nullptr; }
    /// The C handle, for C APIs; still owned by this object.
    pc_provider *get() const noexcept { return handle_.get(); }
    /// Gives up ownership: the caller frees the handle with pc_free. A logger set with
    /// set_logger is removed first (it goes with this object).
    pc_provider *release() noexcept {
        if (logger_ && handle_) {
            pc_set_logger(handle_.get(), nullptr, nullptr, 0);
        }
        logger_.reset();
        return handle_.release();
    }

private:
    // Declared before handle_, so destroyed after it: pc_free returns once the logger is no
    // longer called.
    std::unique_ptr<logger> logger_;
    std::unique_ptr<pc_provider, detail::provider_deleter> handle_;
};

} // namespace processcreds

#endif // PROCESSCREDS_HPP
