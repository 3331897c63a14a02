// Tests of the C++ layer (bindings/c/processcreds.hpp). Includes both headers twice, in both
// orders, to check the include guards and that the C header is valid C++.
#include "processcreds.h"
#include "processcreds.hpp"
#include "processcreds.h"
#include "processcreds.hpp"

#include <atomic>
#include <chrono>
#include <exception>
#include <memory>
#include <string>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

#include "check.h"
#include "fixture.h"

namespace pc = processcreds;
using namespace std::chrono_literals;

// The ownership model, checked at compile time.
static_assert(!std::is_copy_constructible_v<pc::provider>, "a provider is move-only");
static_assert(!std::is_copy_assignable_v<pc::provider>, "a provider is move-only");
static_assert(std::is_nothrow_move_constructible_v<pc::provider>, "");
static_assert(std::is_nothrow_move_assignable_v<pc::provider>, "");
static_assert(std::is_copy_constructible_v<pc::credentials>, "credentials share their handle");
static_assert(std::is_nothrow_move_constructible_v<pc::credentials>, "");
static_assert(std::is_nothrow_copy_constructible_v<pc::credentials>, "");
static_assert(std::is_base_of_v<std::runtime_error, pc::error>, "");
static_assert(std::is_nothrow_copy_constructible_v<pc::error>, "copying an exception never throws");
static_assert(static_cast<std::uint32_t>(pc::status::internal) == PC_STATUS_INTERNAL, "");

namespace {

// Runs `f`, which must throw pc::error; returns it (status invalid as a marker if not thrown).
template <class F> pc::error thrown(F &&f) {
    try {
        f();
    } catch (const pc::error &e) {
        return e;
    }
    return pc::error(static_cast<pc::status>(UINT32_MAX), "none", "nothing was thrown");
}

#define CHECK_THROWS(expr, want_status)                                                            \
    do {                                                                                           \
        pc::error ct_e_ = thrown([&] { (void)(expr); });                                          \
        CHECK_STATUS(static_cast<std::uint32_t>(ct_e_.status()),                                   \
                     static_cast<std::uint32_t>(want_status));                                     \
        last = ct_e_.what();                                                                       \
        last_code = ct_e_.code();                                                                  \
    } while (0)

std::string last, last_code;

std::string full_command() {
    fx_script("full.sh", nullptr,
              "cat <<'JSON'\n"
              "{\"Version\": 1, \"AccessKeyId\": \"AKIDCPP\", \"SecretAccessKey\": \"cpp-secret\", "
              "\"SessionToken\": \"cpp-token\", \"AccountId\": \"210987654321\", "
              "\"Expiration\": \"2099-01-02T03:04:05.678Z\"}\n"
              "JSON\n");
    return fx_cmd("full.sh");
}

void test_version() {
    CHECK(pc::version() == PC_EXPECTED_VERSION);
    CHECK(pc::status_name(pc::status::timeout) == "PC_STATUS_TIMEOUT");
    CHECK(pc::status_name(static_cast<pc::status>(99)) == "PC_STATUS_UNKNOWN");
}

void test_retrieve_and_fields() {
    pc::provider p(full_command());
    CHECK(p);
    CHECK(p.is_expired());
    CHECK(!p.expires_at());
    p.set_timeout(10s).set_stderr(pc::stderr_mode::capture).set_stdin(pc::stdin_mode::null);
    pc::credentials c = p.retrieve();
    CHECK(c);
    CHECK(c.access_key_id() == "AKIDCPP");
    CHECK(c.secret_access_key() == "cpp-secret");
    CHECK(c.session_token() == "cpp-token");
    CHECK(c.account_id() && *c.account_id() == "210987654321");
    CHECK(c.provider_name() == "ProcessProvider");
    const pc::time_point want(std::chrono::milliseconds(fx_unix_ms(2099, 1, 2, 3, 4, 5, 678)));
    CHECK(c.expiration() == want);
    CHECK(!p.is_expired());
    CHECK(p.expires_at() == want);
    p.set_expiry_window(1s);
    p.expire();
    CHECK(p.is_expired());
    CHECK(p.retrieve().access_key_id() == "AKIDCPP");
    CHECK(p.expires_at() == want - 1s);
}

void test_credentials_share_and_outlive() {
    pc::credentials copy;
    CHECK(!copy);
    CHECK(copy.access_key_id().empty());
    CHECK(!copy.account_id());
    CHECK(!copy.expiration());
    CHECK(copy.get() == nullptr);
    {
        pc::provider p(full_command());
        pc::credentials c = p.retrieve();
        copy = c;
        pc::credentials moved = std::move(c);
        CHECK(!c); // NOLINT: a moved-from credentials is empty by contract
        CHECK(moved.get() == copy.get());
    } // provider and the other copies gone
    CHECK(copy);
    CHECK(copy.access_key_id() == "AKIDCPP");
    CHECK(copy.secret_access_key() == "cpp-secret");

    // Copies made and dropped on other threads.
    std::vector<std::thread> threads;
    std::atomic<int> good{0};
    for (int i = 0; i < 8; i++) {
        threads.emplace_back([copy, &good] {
            pc::credentials mine = copy;
            if (mine.access_key_id() == "AKIDCPP") {
                good++;
            }
        });
    }
    for (auto &t : threads) {
        t.join();
    }
    CHECK_INT(good.load(), 8);
}

void test_argv_and_minimal() {
    char path[FX_PATH];
    fx_script("args.sh", path,
              "printf '{\"Version\":1,\"AccessKeyId\":\"%%s\",\"SecretAccessKey\":\"s\"}' \"$1\"\n");
    pc::provider p = pc::provider::from_argv({path, "one arg $HOME"});
    pc::credentials c = p.retrieve();
    CHECK(c.access_key_id() == "one arg $HOME");
    CHECK(c.session_token().empty());
    CHECK(!c.account_id());
    CHECK(!c.expiration());
    CHECK(!p.expires_at());
}

void test_errors() {
    fx_script("fail.sh", nullptr, "echo 'helper says no' >&2\nexit 3\n");
    pc::provider p(fx_cmd("fail.sh"));
    p.set_stderr(pc::stderr_mode::capture);
    CHECK_THROWS(p.retrieve(), pc::status::execution);
    CHECK_STR(last.c_str(), "ProcessProviderExecutionError: error in credential_process\n"
                            "caused by: exit status 3\nstderr: helper says no");
    CHECK_STR(last_code.c_str(), "ProcessProviderExecutionError");

    fx_script("slow.sh", nullptr, "sleep 10\n");
    pc::provider slow(fx_cmd("slow.sh"));
    slow.set_timeout(200ms);
    CHECK_THROWS(slow.retrieve(), pc::status::timeout);
    CHECK_STR(last.c_str(), "ProcessProviderExecutionError: credential process timed out");

    pc::provider empty("");
    CHECK_THROWS(empty.retrieve(), pc::status::execution);
    CHECK_STR(last.c_str(),
              "ProcessProviderExecutionError: failed to prepare command: command must not be empty");

    // The error is a std::exception with what() = Go's text, and copies carry everything.
    try {
        p.retrieve();
        CHECK(false);
    } catch (const std::exception &e) {
        const auto *pe = dynamic_cast<const pc::error *>(&e);
        CHECK(pe != nullptr);
        pc::error copy = *pe;
        CHECK(copy.status() == pc::status::execution);
        CHECK(copy.code() == "ProcessProviderExecutionError");
        CHECK(copy.message() == e.what());
    }
}

void test_invalid_arguments() {
    CHECK_THROWS(pc::provider(std::string("echo a\0b", 8)), pc::status::invalid_argument);
    CHECK_STR(last_code.c_str(), "InvalidParameter");
    CHECK_THROWS(pc::provider("\xff"), pc::status::invalid_argument);
    CHECK_THROWS(pc::provider::from_argv({}), pc::status::invalid_argument);
    CHECK_THROWS(pc::provider::from_argv({"/bin/true", "\xc3"}), pc::status::invalid_argument);
    CHECK_THROWS(pc::provider::from_argv({std::string("a\0b", 3)}),
                 pc::status::invalid_argument);
    pc::provider p("true");
    CHECK_THROWS(p.set_stderr(static_cast<pc::stderr_mode>(7)), pc::status::invalid_argument);
    CHECK_THROWS(p.set_stdin(static_cast<pc::stdin_mode>(7)), pc::status::invalid_argument);
    CHECK_THROWS(p.set_timeout(-1ms), pc::status::invalid_argument);
    CHECK_THROWS(pc::provider::from_profile(std::nullopt, static_cast<pc::shared_config>(9)),
                 pc::status::invalid_argument);

    // A moved-from provider holds nothing and never crashes.
    pc::provider q = std::move(p);
    CHECK(q);
    CHECK(!p); // NOLINT: checked on purpose
    CHECK(p.is_expired());
    CHECK(!p.expires_at());
    p.expire();
    CHECK_THROWS(p.retrieve(), pc::status::invalid_argument);
    CHECK_THROWS(p.set_timeout(1s), pc::status::invalid_argument);

    // release() hands the handle to C.
    pc_provider *raw = q.release();
    CHECK(raw != nullptr);
    CHECK(!q);
    pc::provider back(raw);
    CHECK(back.get() == raw);
}

void test_profile() {
    char home[FX_PATH], creds[FX_PATH * 2];
    fx_mkdir("home");
    fx_mkdir("home/.aws");
    setenv("HOME", fx_path(home, "home"), 1);
    unsetenv("AWS_PROFILE");
    unsetenv("AWS_SDK_LOAD_CONFIG");
    unsetenv("AWS_CONFIG_FILE");
    unsetenv("AWS_SHARED_CREDENTIALS_FILE");
    fx_format(creds, sizeof creds,
              "[default]\ncredential_process = %s\n[static]\naws_access_key_id = AKIDSTATIC\n"
              "aws_secret_access_key = static-secret\n",
              full_command().c_str());
    fx_write(fx_path(nullptr, "home/.aws/credentials"), creds, 0600);

    CHECK(pc::provider::from_profile().retrieve().access_key_id() == "AKIDCPP");
    pc::credentials c = pc::provider::from_profile("static", pc::shared_config::disable).retrieve();
    CHECK(c.access_key_id() == "AKIDSTATIC");
    CHECK(c.provider_name().substr(0, 25) == "SharedConfigCredentials: ");
    CHECK_THROWS(pc::provider::from_profile("absent", pc::shared_config::enable),
                 pc::status::config);
    CHECK_STR(last_code.c_str(), "SharedConfigProfileNotExistsError");
}

void test_threads() {
    fx_script("count.sh", nullptr,
              "echo run >> \"$D/count\"\nsleep 1\n"
              "printf '{\"Version\":1,\"AccessKeyId\":\"AKIDTHREADS\",\"SecretAccessKey\":\"s\"}'\n");
    auto shared = std::make_shared<const pc::provider>(fx_cmd("count.sh"));
    std::vector<std::thread> threads;
    std::atomic<int> good{0};
    for (int i = 0; i < 16; i++) {
        threads.emplace_back([shared, &good] {
            for (int j = 0; j < 50; j++) {
                if (shared->retrieve().access_key_id() == "AKIDTHREADS") {
                    good++;
                }
            }
        });
    }
    for (auto &t : threads) {
        t.join();
    }
    CHECK_INT(good.load(), 16 * 50);
    CHECK_INT(fx_count("count"), 1);
}

// (fx_script's body is a printf format: %% for a %.)
// set_shared_cache: a second provider (as another process would) is served from the entry the
// first one wrote; set_refresh_window: a retrieve inside the window refreshes in the background.
void test_shared_cache_and_refresh_window() {
    char dir[FX_PATH];
    fx_mkdir("shared");
    setenv("PROCESSCREDS_CACHE_DIR", fx_path(dir, "shared"), 1);
    fx_script("shared.sh", nullptr,
              "echo run >> \"$D/shared-count\"\n"
              "printf '{\"Version\":1,\"AccessKeyId\":\"AKIDSHARED\",\"SecretAccessKey\":\"s\",'\n"
              "t=$(date +%%s)\nt=$((t + 3600))\n"
              "printf '\"Expiration\":\"%%s\"}' \"$(date -u -d \"@$t\" +%%Y-%%m-%%dT%%H:%%M:%%SZ)\"\n");
    {
        pc::provider a(fx_cmd("shared.sh"));
        pc::provider b(fx_cmd("shared.sh"));
        a.set_shared_cache(pc::shared_cache::user);
        b.set_shared_cache(pc::shared_cache::user);
        CHECK(a.retrieve().access_key_id() == "AKIDSHARED");
        CHECK(b.retrieve().access_key_id() == "AKIDSHARED");
        CHECK_INT(fx_count("shared-count"), 1);
        CHECK_THROWS(a.set_shared_cache(static_cast<pc::shared_cache>(7)),
                     pc::status::invalid_argument);
        CHECK_THROWS(a.set_refresh_window(-1ms), pc::status::invalid_argument);
    }
    unsetenv("PROCESSCREDS_CACHE_DIR");

    // A window longer than the credentials' life: every retrieve is inside it.
    pc::provider r(fx_cmd("shared.sh"));
    r.set_refresh_window(std::chrono::hours(2));
    CHECK(r.retrieve().access_key_id() == "AKIDSHARED");
    CHECK_INT(fx_count("shared-count"), 2);
    CHECK(r.retrieve().access_key_id() == "AKIDSHARED"); // cached, starts the refresh
    for (int i = 0; i < 1000 && fx_count("shared-count") < 3; i++) {
        fx_sleep_ms(10);
    }
    CHECK_INT(fx_count("shared-count"), 3);
}

static_assert(!std::is_copy_constructible_v<pc::request>, "a request is move-only");
static_assert(std::is_nothrow_move_constructible_v<pc::request>, "");
static_assert(static_cast<std::uint32_t>(pc::status::canceled) == PC_STATUS_CANCELED, "");

// retrieve_async: each callback exactly once, cancelled ones with status::canceled, one run for
// all; retrieve_cached never runs the helper.
void test_async() {
    fx_script("slow.sh", nullptr,
              "echo run >> \"$D/slow.count\"\n"
              "sleep 0.3\n"
              "printf '{\"Version\":1,\"AccessKeyId\":\"AKIDCPPASYNC\",\"SecretAccessKey\":\"s\"}'\n");
    pc::provider p(fx_cmd("slow.sh"));
    p.set_stderr(pc::stderr_mode::discard);
    CHECK(!p.retrieve_cached());
    CHECK(fx_count("slow.count") == 0);
    constexpr int n = 10;
    std::atomic<int> calls[n];
    std::atomic<int> statuses[n];
    std::atomic<int> keys{0};
    std::atomic<int> done{0};
    std::vector<pc::request> requests;
    for (int i = 0; i < n; i++) {
        calls[i] = 0;
        requests.push_back(p.retrieve_async([&, i](pc::result r) {
            calls[i]++;
            statuses[i] = static_cast<int>(r.status());
            if (r && r.value().access_key_id() == "AKIDCPPASYNC") {
                keys++;
            }
            if (!r) {
                CHECK(r.error() != nullptr);
                (void)thrown([&] { (void)r.value(); });
            }
            done++;
        }));
        CHECK(static_cast<bool>(requests.back()));
    }
    for (int i = 0; i < 3; i++) {
        requests[i].cancel();
    }
    auto deadline = std::chrono::steady_clock::now() + 10s;
    while (done < n && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(2ms);
    }
    std::this_thread::sleep_for(20ms);
    for (int i = 0; i < n; i++) {
        CHECK(calls[i] == 1);
        CHECK(statuses[i] == static_cast<int>(i < 3 ? pc::status::canceled : pc::status::ok));
    }
    CHECK(keys == n - 3);
    CHECK(fx_count("slow.count") == 1);
    auto cached = p.retrieve_cached();
    CHECK(cached && cached->access_key_id() == "AKIDCPPASYNC");
    // A request outliving its handle still calls back; the provider's destruction cancels.
    fx_script("never.sh", nullptr, "sleep 30\n");
    std::atomic<int> cancelled{0};
    {
        pc::provider q(fx_cmd("never.sh"));
        (void)q.retrieve_async([&](pc::result r) {
            if (r.status() == pc::status::canceled) {
                cancelled++;
            }
        });
    }
    deadline = std::chrono::steady_clock::now() + 5s;
    while (cancelled == 0 && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(2ms);
    }
    CHECK(cancelled == 1);
    pc::provider moved(fx_cmd("never.sh"));
    pc::provider taken(std::move(moved));
    CHECK_THROWS(moved.retrieve_async([](pc::result) {}), pc::status::invalid_argument);
}

// set_logger: the events reach the std::function at the levels asked for; an exception it
// throws stays out of the library; replacing and moving keep the right logger alive; stats().
void test_logger_and_stats() {
    fx_script("observed.sh", nullptr,
              "echo run >> \"$D/observed-count\"\n"
              "printf '{\"Version\":1,\"AccessKeyId\":\"AKIDOBS\",\"SecretAccessKey\":\"s3cr3t\"}'\n");
    std::vector<std::string> seen;
    pc::provider p(fx_cmd("observed.sh"));
    p.set_logger(
        [&](pc::log_level level, std::string_view event, std::string_view message) {
            seen.push_back(std::to_string(static_cast<int>(level)) + " " + std::string(event) +
                           ": " + std::string(message));
        },
        pc::log_level::debug);
    p.retrieve();
    p.retrieve();
    CHECK_INT(seen.size(), 4);
    CHECK(seen[0] == "4 cache.miss: program=observed.sh");
    CHECK(seen[1] == "3 helper.start: program=observed.sh");
    CHECK(seen[2].rfind("3 helper.exit: program=observed.sh status=ok duration_ms=", 0) == 0);
    CHECK(seen[3] == "4 cache.hit: program=observed.sh");
    for (const auto &line : seen) {
        CHECK(line.find("s3cr3t") == std::string::npos);
    }
    pc_stats s = p.stats();
    CHECK_INT(s.size, sizeof(pc_stats));
    CHECK_INT(s.helper_runs, 1);
    CHECK_INT(s.cache_hits, 1);
    CHECK_INT(s.cache_misses, 1);
    // A throwing logger: the retrieve is unharmed.
    p.set_logger([](pc::log_level, std::string_view, std::string_view) { throw 42; },
                 pc::log_level::debug);
    p.expire();
    CHECK(p.retrieve().access_key_id() == "AKIDOBS");
    // Moved: the logger goes with the provider.
    int calls = 0;
    p.set_logger([&](pc::log_level, std::string_view, std::string_view) { calls++; },
                 pc::log_level::info);
    pc::provider q(std::move(p));
    q.expire();
    q.retrieve();
    CHECK_INT(calls, 2);
    pc::provider other(fx_cmd("observed.sh"));
    other = std::move(q);
    other.expire();
    other.retrieve();
    CHECK_INT(calls, 4);
    // Removed (an empty function); level checked.
    other.set_logger(nullptr);
    other.expire();
    other.retrieve();
    CHECK_INT(calls, 4);
    CHECK_THROWS(other.set_logger([](pc::log_level, std::string_view, std::string_view) {},
                                  static_cast<pc::log_level>(9)),
                 pc::status::invalid_argument);
    CHECK_INT(other.stats().helper_runs, 5);
    CHECK_INT(fx_count("observed-count"), 5);
}

const check_case cases[] = {
    {"version", test_version},
    {"retrieve_and_fields", test_retrieve_and_fields},
    {"credentials_share_and_outlive", test_credentials_share_and_outlive},
    {"argv_and_minimal", test_argv_and_minimal},
    {"errors", test_errors},
    {"invalid_arguments", test_invalid_arguments},
    {"profile", test_profile},
    {"threads", test_threads},
    {"shared_cache_and_refresh_window", test_shared_cache_and_refresh_window},
    {"async", test_async},
    {"logger_and_stats", test_logger_and_stats},
};

} // namespace

int main(int argc, char **argv) {
    if (fx_setup() != 0) {
        std::printf("0 passed, 1 failed\n");
        return 1;
    }
    int rc = check_run(cases, sizeof cases / sizeof cases[0], argc > 1 ? argv[1] : nullptr);
    fx_teardown();
    return rc;
}
