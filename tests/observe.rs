//! Observability through the Rust API (README.md, "Observability"): every event of the table
//! produced by a real scenario (helpers these tests write, a real cache directory, a refresh
//! ahead), the level filter, each message's keys as the table lists them, the counters after
//! known sequences, and the logger's rules (a panicking logger, a logger calling the library,
//! removal waiting for calls in progress, never called after the provider is dropped). With the
//! features `log` and `tracing` (`make test-rust` runs this file with them too), the events
//! reach those crates. Each case runs in a fresh copy of this binary (the cache directory is an
//! environment variable), which must leave no process, thread or descriptor behind.
// POSIX helpers; the events are the same on Windows (the shared cache's are tested there by
// tests/windows_shared_cache.rs).
#![cfg(unix)]

mod common;

use std::collections::BTreeSet;
use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::*;
use processcreds::observe::{fields, Level, EVENTS};
use processcreds::time::{format_rfc3339, UnixTime};
use processcreds::{ProcessProvider, SharedCacheMode, Status};

const VAR: &str = "PC_OBSERVE_CASE";

macro_rules! case {
    ($name:ident, $body:block) => {
        #[test]
        fn $name() {
            fn body() $body
            isolated(VAR, stringify!($name), Duration::from_secs(60), &[], body);
        }
    };
}

/// The secrets the helper prints and is given as an argument: no event may show them.
const SECRET: &str = "pcOBSrustSecretQ8w7E6r5T4y3U2i1O0p";
const TOKEN: &str = "pcOBSrustTokenZ1x2C3v4B5n6M7k8J9hG";

/// A helper controlled through files in its directory: counts its runs in `runs`, sleeps
/// `sleep` seconds when that file exists, exits 3 (saying the secret on stderr) when `fail`
/// exists, prints `bad` when that file exists, else `out`.
struct Helper {
    dir: TempDir,
    path: PathBuf,
}

impl Helper {
    fn new(tag: &str) -> Helper {
        let dir = TempDir::new(tag);
        let d = quote(dir.path());
        let path = dir.script(
            "obs-helper",
            &format!(
                r#"d={d}
echo run >> "$d/runs"
[ -f "$d/sleep" ] && sleep "$(cat "$d/sleep")"
[ -f "$d/fail" ] && {{ echo "failed: {SECRET}" >&2; exit 3; }}
[ -f "$d/bad" ] && {{ cat "$d/bad"; exit 0; }}
cat "$d/out""#
            ),
        );
        let h = Helper { dir, path };
        h.expiring_in(3600);
        h
    }

    fn expiring_in(&self, secs: u64) {
        let exp = format_rfc3339(UnixTime::now().plus(Duration::from_secs(secs)));
        self.file(
            "out",
            &format!(
                r#"{{"Version":1,"AccessKeyId":"AKOBS","SecretAccessKey":"{SECRET}","SessionToken":"{TOKEN}","Expiration":"{exp}"}}"#
            ),
        );
    }

    fn file(&self, name: &str, text: &str) {
        std::fs::write(self.dir.join(name), text).unwrap();
    }

    fn remove(&self, name: &str) {
        let _ = std::fs::remove_file(self.dir.join(name));
    }

    fn runs(&self) -> usize {
        runs(&self.dir.join("runs"))
    }

    /// A provider running `'<helper>' --token <secret>` through `sh -c`, stderr captured.
    fn provider(&self) -> ProcessProvider {
        let p = ProcessProvider::new(format!("{} --token {SECRET}", quote(&self.path)));
        p.update_options(|o| {
            o.stderr = processcreds::StderrMode::Capture;
            o.stdin = processcreds::StdinMode::Null;
        });
        p
    }
}

/// What a logger was given.
#[derive(Clone, Debug)]
struct Seen {
    level: Level,
    event: String,
    message: String,
}

#[derive(Clone, Default)]
struct Log(Arc<Mutex<Vec<Seen>>>);

impl Log {
    fn attach(&self, p: &ProcessProvider, min: Level) {
        let log = self.0.clone();
        p.set_logger(min, move |level, event, message| {
            log.lock().unwrap().push(Seen {
                level,
                event: event.to_owned(),
                message: message.to_owned(),
            })
        });
    }

    fn all(&self) -> Vec<Seen> {
        self.0.lock().unwrap().clone()
    }

    fn names(&self) -> Vec<String> {
        self.all().into_iter().map(|s| s.event).collect()
    }

    fn clear(&self) {
        self.0.lock().unwrap().clear();
    }

    fn first(&self, event: &str) -> Seen {
        self.all()
            .into_iter()
            .find(|s| s.event == event)
            .unwrap_or_else(|| panic!("no {event} in {:?}", self.names()))
    }

    fn count(&self, event: &str) -> usize {
        self.all().iter().filter(|s| s.event == event).count()
    }

    fn wait_for(&self, event: &str) -> Seen {
        let deadline = Instant::now() + Duration::from_secs(20);
        while self.count(event) == 0 && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(5));
        }
        self.first(event)
    }

    /// Every message: `program=obs-helper` first, the keys those the table lists (in its order,
    /// optional ones possibly absent), the level the table's, no part of a secret.
    fn check(&self) {
        for s in self.all() {
            let row = EVENTS
                .iter()
                .find(|e| e.name == s.event)
                .unwrap_or_else(|| panic!("{} is not in the table", s.event));
            assert!(
                s.level == row.level || Some(s.level) == row.failure_level,
                "{}: level {}",
                s.event,
                s.level
            );
            let got = fields(&s.message);
            assert_eq!(
                got[0],
                ("program".to_owned(), "obs-helper".to_owned()),
                "{}",
                s.message
            );
            let mut table = row.fields.iter().map(|f| f.trim_matches(['[', ']']));
            for (k, _) in &got {
                assert!(
                    table.any(|f| f == k),
                    "{}: key {k} out of the table's order: {}",
                    s.event,
                    s.message
                );
            }
            for f in row.fields.iter().filter(|f| !f.starts_with('[')) {
                assert!(
                    got.iter().any(|(k, _)| k == f),
                    "{}: no {f}: {}",
                    s.event,
                    s.message
                );
            }
            for secret in [SECRET, TOKEN] {
                for w in secret.as_bytes().windows(8) {
                    let part = std::str::from_utf8(w).unwrap();
                    assert!(
                        !s.message.contains(part) && !s.event.contains(part),
                        "{}: a message shows part of a secret",
                        s.event
                    );
                }
            }
        }
    }
}

fn value(message: &str, key: &str) -> String {
    fields(message)
        .into_iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v)
        .unwrap_or_else(|| panic!("no {key} in {message}"))
}

case!(fresh_cached_expired_and_the_level_filter, {
    let h = Helper::new("obs-fresh");
    let p = h.provider();
    let log = Log::default();
    log.attach(&p, Level::Debug);
    for _ in 0..3 {
        p.retrieve().unwrap();
    }
    p.expire();
    p.retrieve().unwrap();
    assert_eq!(
        log.names(),
        [
            "cache.miss",
            "helper.start",
            "helper.exit",
            "cache.hit",
            "cache.hit",
            "cache.miss",
            "helper.start",
            "helper.exit"
        ]
    );
    let exit = log.first("helper.exit");
    assert_eq!(exit.level, Level::Info);
    assert_eq!(value(&exit.message, "status"), "ok");
    assert!(value(&exit.message, "bytes").parse::<usize>().unwrap() > 100);
    assert!(value(&exit.message, "duration_ms").parse::<f64>().unwrap() > 0.0);
    assert_eq!(log.first("cache.hit").level, Level::Debug);
    assert_eq!(log.first("cache.hit").message, "program=obs-helper");
    log.check();
    let s = p.stats();
    assert_eq!(
        (
            s.helper_runs,
            s.helper_failures,
            s.cache_hits,
            s.cache_misses
        ),
        (2, 0, 2, 2)
    );
    assert!(s.last_run_duration_us > 0);
    assert_eq!(
        s.refreshes_started + s.shared_cache_hits + s.shared_cache_writes,
        0
    );

    // At info: the cached retrieves say nothing; a run says helper.start and helper.exit.
    log.clear();
    log.attach(&p, Level::Info);
    p.retrieve().unwrap();
    assert!(log.names().is_empty());
    p.expire();
    p.retrieve().unwrap();
    assert_eq!(log.names(), ["helper.start", "helper.exit"]);
    // At warn: a success says nothing.
    log.clear();
    log.attach(&p, Level::Warn);
    p.expire();
    p.retrieve().unwrap();
    assert!(log.names().is_empty());
    // Removed: nothing at all; the counters go on.
    p.remove_logger();
    p.expire();
    h.file("fail", "");
    p.retrieve().unwrap_err();
    assert!(log.names().is_empty());
    assert_eq!(p.stats().helper_runs, 5);
    assert_eq!(p.stats().helper_failures, 1);
    assert_eq!(p.stats().cache_hits, 3);
    assert_eq!(h.runs(), 5);
});

case!(failed_runs_and_timeouts, {
    let h = Helper::new("obs-fail");
    let p = h.provider();
    let log = Log::default();
    log.attach(&p, Level::Warn);
    h.file("fail", "");
    let e = p.retrieve().unwrap_err();
    assert_eq!(e.status(), Status::Execution);
    let exit = log.first("helper.exit");
    assert_eq!(exit.level, Level::Warn);
    assert_eq!(value(&exit.message, "status"), "execution");
    assert_eq!(value(&exit.message, "exit"), "3");
    assert_eq!(value(&exit.message, "bytes"), "0");
    h.remove("fail");
    // Bad output holding the secret: a parse failure, its bytes counted, never shown.
    h.file(
        "bad",
        &format!(r#"{{"Version":1,"SecretAccessKey":"{SECRET}""#),
    );
    assert_eq!(p.retrieve().unwrap_err().status(), Status::Parse);
    let bad = log.all()[1].clone();
    assert_eq!(
        (bad.event.as_str(), bad.level),
        ("helper.exit", Level::Warn)
    );
    assert_eq!(value(&bad.message, "status"), "parse");
    assert!(value(&bad.message, "bytes").parse::<usize>().unwrap() > 40);
    h.remove("bad");
    // A timeout: helper.timeout (the helper's tree killed), then its helper.exit.
    h.file("sleep", "5");
    p.update_options(|o| o.timeout = Duration::from_millis(300));
    assert_eq!(p.retrieve().unwrap_err().status(), Status::Timeout);
    assert_eq!(
        log.names(),
        [
            "helper.exit",
            "helper.exit",
            "helper.timeout",
            "helper.exit"
        ]
    );
    assert_eq!(value(&log.all()[3].message, "status"), "timeout");
    let t = log.first("helper.timeout");
    assert_eq!(t.level, Level::Warn);
    assert_eq!(value(&t.message, "timeout_ms"), "300");
    assert!(value(&t.message, "duration_ms").parse::<f64>().unwrap() >= 300.0);
    log.check();
    let s = p.stats();
    assert_eq!(
        (s.helper_runs, s.helper_failures, s.helper_timeouts),
        (3, 3, 1)
    );
    assert!(s.last_run_duration_us >= 300_000);
});

case!(shared_cache_write_hit_bypass_and_lock_wait, {
    let h = Helper::new("obs-shared");
    let cache = h.dir.join("cache");
    std::env::set_var("PROCESSCREDS_CACHE_DIR", &cache);
    let (a, b) = (h.provider(), h.provider());
    let log = Log::default();
    for p in [&a, &b] {
        log.attach(p, Level::Debug);
        p.update_options(|o| o.shared_cache = SharedCacheMode::User);
    }
    a.retrieve().unwrap();
    let w = log.first("shared_cache.write");
    assert_eq!(w.level, Level::Info);
    let entry = PathBuf::from(value(&w.message, "path"));
    assert_eq!(entry.parent(), Some(cache.as_path()));
    assert!(entry.to_string_lossy().ends_with(".entry") && entry.exists());
    b.retrieve().unwrap();
    let hit = log.first("shared_cache.hit");
    assert_eq!(hit.level, Level::Debug);
    assert_eq!(PathBuf::from(value(&hit.message, "path")), entry);
    assert_eq!(h.runs(), 1);
    assert_eq!(a.stats().shared_cache_writes, 1);
    assert_eq!((b.stats().shared_cache_hits, b.stats().helper_runs), (1, 0));

    // Two providers at once, the helper slow: one runs it, the other waits for the lock.
    // (New credentials: an expired provider refuses an entry holding those it expired.)
    std::fs::remove_file(&entry).unwrap();
    a.expire();
    b.expire();
    h.expiring_in(3601);
    h.file("sleep", "0.5");
    log.clear();
    let ta = {
        let a = Arc::new(a);
        let t = a.clone();
        (std::thread::spawn(move || t.retrieve().map(|_| ())), a)
    };
    std::thread::sleep(Duration::from_millis(100));
    b.retrieve().unwrap();
    ta.0.join().unwrap().unwrap();
    assert_eq!(h.runs(), 2);
    let wait = log.first("shared_cache.lock_wait");
    assert_eq!(wait.level, Level::Debug);
    assert!(value(&wait.message, "path").ends_with(".lock"));
    assert!(["locked", "entry"].contains(&value(&wait.message, "outcome").as_str()));
    assert!(value(&wait.message, "waited_ms").parse::<f64>().unwrap() > 50.0);
    h.remove("sleep");

    // A directory others may write: bypassed, with the reason and the path.
    let open = h.dir.join("open");
    std::fs::create_dir(&open).unwrap();
    std::fs::set_permissions(&open, std::fs::Permissions::from_mode(0o777)).unwrap();
    std::env::set_var("PROCESSCREDS_CACHE_DIR", &open);
    let c = h.provider();
    c.update_options(|o| o.shared_cache = SharedCacheMode::User);
    log.clear();
    log.attach(&c, Level::Warn);
    c.retrieve().unwrap();
    assert_eq!(log.names(), ["shared_cache.bypass"]);
    let by = log.first("shared_cache.bypass");
    assert_eq!(by.level, Level::Warn);
    assert_eq!(value(&by.message, "reason"), "directory_untrusted");
    assert_eq!(PathBuf::from(value(&by.message, "path")), open);
    assert!(value(&by.message, "detail").contains("mode 0777"));
    assert_eq!(c.stats().shared_cache_bypasses, 1);
    assert_eq!(c.stats().shared_cache_writes, 0);
    // A relative directory variable: ignored (a bypass warning with its value as the path).
    std::env::set_var("PROCESSCREDS_CACHE_DIR", "relative/dir");
    std::env::set_var("XDG_RUNTIME_DIR", &cache);
    c.expire();
    log.clear();
    c.retrieve().unwrap();
    let rel = log.first("shared_cache.bypass");
    assert_eq!(value(&rel.message, "reason"), "relative_directory");
    assert_eq!(value(&rel.message, "path"), "relative/dir");
    log.check();
    drop(ta.1);
});

case!(refresh_ahead_fails_then_succeeds, {
    let h = Helper::new("obs-refresh");
    h.expiring_in(60);
    let p = h.provider();
    p.update_options(|o| o.refresh_window = Duration::from_secs(100));
    let log = Log::default();
    log.attach(&p, Level::Info);
    p.retrieve().unwrap();
    h.file("fail", "");
    p.retrieve().unwrap(); // inside the window: starts the background refresh
    let start = log.wait_for("refresh.start");
    assert_eq!(start.level, Level::Info);
    let left: u64 = value(&start.message, "expires_in_ms").parse().unwrap();
    assert!(left > 50_000 && left <= 60_000, "{left}");
    let fail = log.wait_for("refresh.fail");
    assert_eq!(fail.level, Level::Warn);
    assert_eq!(value(&fail.message, "status"), "execution");
    assert_eq!(value(&fail.message, "failures"), "1");
    let backoff: u64 = value(&fail.message, "backoff_ms").parse().unwrap();
    assert!(backoff > 500 && backoff <= 1000, "{backoff}");
    let s = p.stats();
    assert_eq!(
        (
            s.refreshes_started,
            s.refreshes_failed,
            s.refreshes_succeeded
        ),
        (1, 1, 0)
    );
    // The helper's failure is a warn helper.exit too, on the refresh thread.
    assert!(log
        .all()
        .iter()
        .any(|s| s.event == "helper.exit" && s.level == Level::Warn));
    h.remove("fail");
    let deadline = Instant::now() + Duration::from_secs(20);
    while log.count("refresh.ok") == 0 && Instant::now() < deadline {
        p.retrieve().unwrap();
        std::thread::sleep(Duration::from_millis(20));
    }
    let ok = log.first("refresh.ok");
    assert_eq!(ok.level, Level::Info);
    assert!(value(&ok.message, "duration_ms").parse::<f64>().unwrap() > 0.0);
    let s = p.stats();
    assert_eq!((s.refreshes_started, s.refreshes_succeeded), (2, 1));
    log.check();
});

/// Starts an asynchronous retrieve of `p`; its result comes through the returned channel.
fn start_async(
    p: &ProcessProvider,
) -> (
    processcreds::Request,
    std::sync::mpsc::Receiver<processcreds::Result<Arc<processcreds::Credentials>>>,
) {
    let (tx, rx) = std::sync::mpsc::channel();
    let req = p.retrieve_with(move |r| {
        let _ = tx.send(r);
    });
    (req, rx)
}

case!(asynchronous_requests_are_observed, {
    // A request's run, driven by the library's reactor, emits the events of a blocking run and
    // counts the same; its shared cache's writes and hits too. A cancelled request emits
    // request.cancel; its run, killed when no caller waits any more, ends with helper.exit
    // status=canceled at info, and is not counted as a failure.
    let h = Helper::new("obs-async");
    let log = Log::default();
    std::env::set_var("PROCESSCREDS_CACHE_DIR", h.dir.join("cache"));
    let p = h.provider();
    log.attach(&p, Level::Debug);
    p.update_options(|o| o.shared_cache = SharedCacheMode::User);
    let (_req, rx) = start_async(&p);
    let got = rx.recv_timeout(Duration::from_secs(20)).unwrap();
    assert_eq!(got.unwrap().access_key_id(), "AKOBS");
    assert_eq!(
        log.names(),
        [
            "cache.miss",
            "helper.start",
            "helper.exit",
            "shared_cache.write"
        ]
    );
    assert_eq!(value(&log.first("helper.exit").message, "status"), "ok");
    // A second provider: served by the entry, through the reactor too.
    let q = h.provider();
    log.attach(&q, Level::Debug);
    q.update_options(|o| o.shared_cache = SharedCacheMode::User);
    log.clear();
    let (_req, rx) = start_async(&q);
    rx.recv_timeout(Duration::from_secs(20)).unwrap().unwrap();
    assert_eq!(log.names(), ["cache.miss", "shared_cache.hit"]);
    assert_eq!((q.stats().shared_cache_hits, q.stats().helper_runs), (1, 0));
    // Cancelled while its helper runs.
    let c = h.provider();
    log.attach(&c, Level::Debug);
    log.clear();
    h.file("sleep", "30");
    let runs = h.runs();
    let (req, rx) = start_async(&c);
    let deadline = Instant::now() + Duration::from_secs(10);
    while h.runs() == runs && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(5));
    }
    req.cancel();
    let err = rx
        .recv_timeout(Duration::from_secs(20))
        .unwrap()
        .unwrap_err();
    assert_eq!(err.status(), Status::Canceled);
    let exit = log.wait_for("helper.exit");
    assert_eq!(exit.level, Level::Info);
    assert_eq!(value(&exit.message, "status"), "canceled");
    assert_eq!(
        log.names(),
        [
            "cache.miss",
            "helper.start",
            "request.cancel",
            "helper.exit"
        ]
    );
    assert_eq!(log.first("request.cancel").level, Level::Debug);
    let s = c.stats();
    assert_eq!(
        (s.helper_runs, s.helper_failures, s.cache_misses),
        (1, 0, 1)
    );
    h.remove("sleep");
    // A request cancelled after its result: nothing more.
    log.clear();
    req.cancel();
    assert!(log.names().is_empty(), "{:?}", log.names());
    log.check();
});

case!(every_event_of_the_table_comes_from_a_real_scenario, {
    // The scenarios above, in one process, with one logger at debug: every event of the table
    // is seen.
    let h = Helper::new("obs-all");
    let log = Log::default();
    let cache = h.dir.join("cache");
    std::env::set_var("PROCESSCREDS_CACHE_DIR", &cache);
    let (a, b) = (h.provider(), h.provider());
    for p in [&a, &b] {
        log.attach(p, Level::Debug);
        p.update_options(|o| o.shared_cache = SharedCacheMode::User);
    }
    a.retrieve().unwrap();
    a.retrieve().unwrap();
    b.retrieve().unwrap();
    // lock_wait: a run in another thread holds the lock.
    std::fs::remove_dir_all(&cache).unwrap();
    a.expire();
    b.expire();
    h.expiring_in(3601);
    h.file("sleep", "0.4");
    std::thread::scope(|s| {
        s.spawn(|| a.retrieve().unwrap());
        std::thread::sleep(Duration::from_millis(100));
        b.retrieve().unwrap();
    });
    h.remove("sleep");
    // bypass
    std::fs::set_permissions(&cache, std::fs::Permissions::from_mode(0o777)).unwrap();
    a.expire();
    a.retrieve().unwrap();
    // timeout
    let t = h.provider();
    log.attach(&t, Level::Debug);
    h.file("sleep", "5");
    t.update_options(|o| o.timeout = Duration::from_millis(200));
    t.retrieve().unwrap_err();
    h.remove("sleep");
    // refresh ahead: a failure, then a success
    let r = h.provider();
    log.attach(&r, Level::Debug);
    h.expiring_in(60);
    r.update_options(|o| o.refresh_window = Duration::from_secs(100));
    r.retrieve().unwrap();
    h.file("fail", "");
    r.retrieve().unwrap();
    log.wait_for("refresh.fail");
    h.remove("fail");
    let deadline = Instant::now() + Duration::from_secs(20);
    while log.count("refresh.ok") == 0 && Instant::now() < deadline {
        r.retrieve().unwrap();
        std::thread::sleep(Duration::from_millis(20));
    }
    // request.cancel: a request cancelled while its run goes on.
    let f = h.provider();
    log.attach(&f, Level::Debug);
    h.file("sleep", "30");
    let runs = h.runs();
    let (req, rx) = start_async(&f);
    let deadline = Instant::now() + Duration::from_secs(10);
    while h.runs() == runs && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(5));
    }
    req.cancel();
    rx.recv_timeout(Duration::from_secs(20))
        .unwrap()
        .unwrap_err();
    h.remove("sleep");
    let seen: BTreeSet<String> = log.names().into_iter().collect();
    let want: BTreeSet<String> = EVENTS.iter().map(|e| e.name.to_owned()).collect();
    assert_eq!(seen, want);
    log.check();
});

case!(loggers_may_panic_call_the_library_and_be_replaced, {
    let h = Helper::new("obs-rules");
    let p = Arc::new(h.provider());
    // A panicking logger loses its events; the retrieve is unharmed.
    p.set_logger(Level::Debug, |_, _, _| panic!("a logger that panics"));
    p.retrieve().unwrap();
    p.retrieve().unwrap();
    // A logger calling the library (no lock of the library is held while it runs).
    let weak = Arc::downgrade(&p);
    let runs_seen = Arc::new(AtomicUsize::new(usize::MAX));
    let r = runs_seen.clone();
    p.set_logger(Level::Info, move |_, event, _| {
        if event == "helper.exit" {
            let p = weak.upgrade().unwrap();
            r.store(p.stats().helper_runs as usize, Ordering::SeqCst);
            let _ = p.cached();
        }
    });
    p.expire();
    p.retrieve().unwrap();
    assert_eq!(runs_seen.load(Ordering::SeqCst), 2);
    // Replacing a logger waits for its calls in progress on other threads.
    let in_call = Arc::new(AtomicBool::new(false));
    let done = Arc::new(AtomicBool::new(false));
    let (i, d) = (in_call.clone(), done.clone());
    p.set_logger(Level::Info, move |_, event, _| {
        if event == "helper.start" {
            i.store(true, Ordering::SeqCst);
            std::thread::sleep(Duration::from_millis(300));
            d.store(true, Ordering::SeqCst);
        }
    });
    p.expire();
    let t = {
        let p = p.clone();
        std::thread::spawn(move || p.retrieve().map(|_| ()))
    };
    while !in_call.load(Ordering::SeqCst) {
        std::thread::sleep(Duration::from_millis(1));
    }
    p.remove_logger();
    assert!(
        done.load(Ordering::SeqCst),
        "remove_logger returned during a call"
    );
    t.join().unwrap().unwrap();
    // A logger may replace itself from inside a call (its own frame is not waited for).
    let p2 = Arc::new(h.provider());
    let weak = Arc::downgrade(&p2);
    p2.set_logger(Level::Info, move |_, _, _| {
        if let Some(p) = weak.upgrade() {
            p.remove_logger();
        }
    });
    p2.retrieve().unwrap();
    assert_eq!(p2.stats().helper_runs, 1);
});

case!(a_child_forked_during_a_logger_call_does_not_wait_for_it, {
    // A call in progress on another thread of the parent does not exist in a child: removing
    // the logger there returns at once.
    let h = Helper::new("obs-fork");
    let p = Arc::new(h.provider());
    let in_call = Arc::new(AtomicBool::new(false));
    let i = in_call.clone();
    p.set_logger(Level::Info, move |_, event, _| {
        if event == "helper.start" {
            i.store(true, Ordering::SeqCst);
            std::thread::sleep(Duration::from_millis(1500));
        }
    });
    let t = {
        let p = p.clone();
        std::thread::spawn(move || p.retrieve().map(|_| ()))
    };
    while !in_call.load(Ordering::SeqCst) {
        std::thread::sleep(Duration::from_millis(1));
    }
    // SAFETY: the child only removes the logger and exits.
    let pid = unsafe { libc::fork() };
    if pid == 0 {
        let start = Instant::now();
        p.remove_logger();
        let code = if start.elapsed() < Duration::from_millis(500) {
            0
        } else {
            1
        };
        // SAFETY: ending the child without running the parent's destructors.
        unsafe { libc::_exit(code) };
    }
    assert!(pid > 0);
    let mut status = 0;
    // SAFETY: reaping our own child.
    assert_eq!(unsafe { libc::waitpid(pid, &mut status, 0) }, pid);
    assert!(
        libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0,
        "the child waited for a call of the parent's thread ({status})"
    );
    t.join().unwrap().unwrap();
});

case!(a_dropped_provider_never_calls_its_logger, {
    // A background refresh outlives the provider by a little: its events go nowhere once the
    // provider is dropped.
    let h = Helper::new("obs-drop");
    h.expiring_in(60);
    let p = h.provider();
    p.update_options(|o| o.refresh_window = Duration::from_secs(100));
    p.retrieve().unwrap();
    h.file("sleep", "0.3");
    let calls_after = Arc::new(AtomicUsize::new(0));
    let dropped = Arc::new(AtomicBool::new(false));
    let (c, d) = (calls_after.clone(), dropped.clone());
    p.set_logger(Level::Debug, move |_, _, _| {
        if d.load(Ordering::SeqCst) {
            c.fetch_add(1, Ordering::SeqCst);
        }
    });
    p.retrieve().unwrap(); // starts the refresh
    std::thread::sleep(Duration::from_millis(50));
    drop(p);
    dropped.store(true, Ordering::SeqCst);
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(calls_after.load(Ordering::SeqCst), 0);
});

#[cfg(feature = "log")]
mod facade {
    use super::*;

    pub(super) struct Capture(pub(super) Mutex<Vec<(log::Level, String, String)>>);

    impl log::Log for Capture {
        fn enabled(&self, m: &log::Metadata<'_>) -> bool {
            m.level() <= log::Level::Info
        }
        fn log(&self, r: &log::Record<'_>) {
            self.0
                .lock()
                .unwrap()
                .push((r.level(), r.target().to_owned(), r.args().to_string()));
        }
        fn flush(&self) {}
    }

    pub(super) static CAPTURE: Capture = Capture(Mutex::new(Vec::new()));
}

#[cfg(feature = "log")]
case!(events_reach_the_log_facade, {
    use facade::CAPTURE;
    log::set_logger(&CAPTURE).unwrap();
    log::set_max_level(log::LevelFilter::Info);
    let h = Helper::new("obs-log");
    let p = h.provider();
    p.log_to_facade();
    p.retrieve().unwrap();
    p.retrieve().unwrap();
    let got = CAPTURE.0.lock().unwrap().clone();
    assert_eq!(got.len(), 2, "{got:?}");
    assert_eq!(got[0].0, log::Level::Info);
    assert_eq!(got[0].1, "processcreds");
    assert_eq!(got[0].2, "helper.start: program=obs-helper");
    assert!(got[1]
        .2
        .starts_with("helper.exit: program=obs-helper status=ok"));
});

#[cfg(feature = "tracing")]
mod tracing_events {
    use super::*;
    use tracing::field::{Field, Visit};
    use tracing::span::{Attributes, Id, Record};
    use tracing::{Event as TEvent, Metadata, Subscriber};

    #[derive(Default)]
    pub(super) struct Capture(pub(super) Mutex<Vec<(tracing::Level, String, String)>>);

    struct Fields(String, String);

    impl Visit for Fields {
        fn record_str(&mut self, f: &Field, v: &str) {
            if f.name() == "event" {
                self.0 = v.to_owned();
            }
        }
        fn record_debug(&mut self, f: &Field, v: &dyn std::fmt::Debug) {
            if f.name() == "message" {
                self.1 = format!("{v:?}");
            }
        }
    }

    impl Subscriber for &'static Capture {
        fn enabled(&self, m: &Metadata<'_>) -> bool {
            *m.level() <= tracing::Level::INFO
        }
        fn max_level_hint(&self) -> Option<tracing::level_filters::LevelFilter> {
            Some(tracing::level_filters::LevelFilter::INFO)
        }
        fn new_span(&self, _: &Attributes<'_>) -> Id {
            Id::from_u64(1)
        }
        fn record(&self, _: &Id, _: &Record<'_>) {}
        fn record_follows_from(&self, _: &Id, _: &Id) {}
        fn event(&self, e: &TEvent<'_>) {
            let mut f = Fields(String::new(), String::new());
            e.record(&mut f);
            self.0
                .lock()
                .unwrap()
                .push((*e.metadata().level(), f.0, f.1));
        }
        fn enter(&self, _: &Id) {}
        fn exit(&self, _: &Id) {}
    }
}

#[cfg(feature = "tracing")]
case!(events_reach_tracing, {
    use tracing_events::Capture;
    static CAPTURE: std::sync::OnceLock<Capture> = std::sync::OnceLock::new();
    let c: &'static Capture = CAPTURE.get_or_init(Capture::default);
    tracing::subscriber::set_global_default(c).unwrap();
    let h = Helper::new("obs-tracing");
    let p = h.provider();
    p.log_to_tracing();
    p.retrieve().unwrap();
    p.retrieve().unwrap();
    let got = c.0.lock().unwrap().clone();
    assert_eq!(got.len(), 2, "{got:?}");
    assert_eq!(got[0].0, tracing::Level::INFO);
    assert_eq!(got[0].1, "helper.start");
    assert_eq!(got[0].2, "helper.start: program=obs-helper");
    assert_eq!(got[1].1, "helper.exit");
});

/// The README's event table is the library's: name, level, fields, in the same order.
#[test]
fn the_readme_event_table_is_the_library_table() {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let section = &readme[readme
        .find("## Observability")
        .expect("an Observability section")..];
    let section = &section[..section[3..].find("\n## ").map_or(section.len(), |i| i + 3)];
    let rows: Vec<Vec<String>> = section
        .lines()
        .filter(|l| l.starts_with("| `") && l.contains('.'))
        .filter(|l| !l.contains("pc_set_logger"))
        .map(|l| {
            l.trim_matches('|')
                .split(" | ")
                .map(|c| c.trim().to_owned())
                .collect()
        })
        .collect();
    assert_eq!(rows.len(), EVENTS.len(), "{rows:?}");
    for (row, e) in rows.iter().zip(EVENTS) {
        assert_eq!(row[0], format!("`{}`", e.name));
        let level = match e.failure_level {
            Some(f) => format!("{} ({f} on failure)", e.level),
            None => e.level.to_string(),
        };
        assert_eq!(row[1], level, "{}", e.name);
        let fields = e.fields[1..].join(" ");
        let want = if fields.is_empty() {
            "—".to_owned()
        } else {
            format!("`{fields}`")
        };
        assert_eq!(row[2], want, "{}", e.name);
    }
}
