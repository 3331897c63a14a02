//! Refresh ahead (SEMANTICS.md, "Refresh ahead") with real helpers that count their runs.
//!
//! Timing is asserted through ordering, not sleeps: the helper of a background refresh can be
//! held (it writes `started.N` and waits for `release.N`), so "no retrieve waits for the helper"
//! is checked as "every thread completes many retrieves while the helper is held". Each test
//! runs in a fresh copy of this binary and must leave no process, thread or descriptor behind.
// POSIX helpers and system calls; the Windows runner has its own tests (windows_*.rs).
#![cfg(unix)]

mod common;

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

use common::*;
use processcreds::time::{format_rfc3339, UnixTime};
use processcreds::{ProcessProvider, SharedCacheMode};

const VAR: &str = "PC_REFRESH_CASE";

macro_rules! case {
    ($name:ident, $body:block) => {
        #[test]
        fn $name() {
            fn body() $body
            isolated(VAR, stringify!($name), Duration::from_secs(60), &[], body);
        }
    };
}

/// A helper controlled through files in its directory. Run N (counted from 1) appends
/// `<unix seconds> <parent pid>` to `runs`; waits, if `gate.N` exists, for `release.N` (writing
/// its pid to `started.N` first); sleeps `sleep.N` seconds if that file exists; then prints
/// `out.N`, or `out` when there is no `out.N`, or exits 3 when `fail` exists.
struct Helper {
    dir: TempDir,
    path: PathBuf,
}

impl Helper {
    fn new(tag: &str) -> Helper {
        let dir = TempDir::new(tag);
        let d = quote(dir.path());
        let path = dir.script(
            "helper",
            &format!(
                r#"d={d}
echo "$(date +%s.%N) $PPID" >> "$d/runs"
n=$(wc -l < "$d/runs" | tr -d ' ')
if [ -f "$d/gate.$n" ]; then
  echo $$ > "$d/started.$n.tmp"; mv "$d/started.$n.tmp" "$d/started.$n"
  while [ ! -f "$d/release.$n" ] && [ -d "$d" ]; do sleep 0.01; done
fi
[ -f "$d/sleep.$n" ] && sleep "$(cat "$d/sleep.$n")"
if [ -f "$d/out.$n" ]; then cat "$d/out.$n"; exit 0; fi
[ -f "$d/fail" ] && exit 3
cat "$d/out""#
            ),
        );
        Helper { dir, path }
    }

    /// A helper whose run 1 prints AKOLD, valid for 10 minutes, and later runs AKNEW, valid for
    /// 2 hours; run 2 (the background refresh) is held at its gate.
    fn old_then_held_new(tag: &str) -> Helper {
        let h = Helper::new(tag);
        let now = UnixTime::now();
        h.write(
            "out.1",
            &creds_json("AKOLD", Some(&at(now.plus(secs(600.0))))),
        );
        h.write(
            "out",
            &creds_json("AKNEW", Some(&at(now.plus(secs(7200.0))))),
        );
        h.write("gate.2", "");
        h
    }

    /// Two retrieves from `p` (a provider of [`Helper::old_then_held_new`] whose window holds
    /// the credentials at once), both AKOLD: the second starts the background refresh. Waits
    /// for it to be held; its pid.
    fn start_held_refresh(&self, p: &ProcessProvider) -> i32 {
        assert_eq!(p.retrieve().unwrap().access_key_id(), "AKOLD");
        assert_eq!(p.retrieve().unwrap().access_key_id(), "AKOLD");
        self.wait_started(2)
    }

    fn file(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    fn write(&self, name: &str, text: &str) {
        std::fs::write(self.file(name), text).unwrap();
    }

    fn provider(&self, window: Duration) -> ProcessProvider {
        let p = ProcessProvider::from_argv(vec![self.path.display().to_string()]).unwrap();
        p.update_options(|o| o.refresh_window = window);
        p
    }

    /// (time, parent pid) of every run so far.
    fn runs(&self) -> Vec<(f64, i32)> {
        std::fs::read_to_string(self.file("runs"))
            .unwrap_or_default()
            .lines()
            .map(|l| {
                let (t, pid) = l.split_once(' ').unwrap();
                (t.parse().unwrap(), pid.parse().unwrap())
            })
            .collect()
    }

    /// Waits (bounded) for run `n` to be held at its gate; its pid.
    fn wait_started(&self, n: usize) -> i32 {
        wait_for(
            &format!("run {n} to start"),
            Duration::from_secs(20),
            || self.file(&format!("started.{n}")).exists(),
        );
        read_pid(&self.file(&format!("started.{n}")))
    }
}

/// Polls `cond` every 2 ms for at most `bound`; fails naming `what` if it never holds.
fn wait_for(what: &str, bound: Duration, mut cond: impl FnMut() -> bool) {
    let deadline = Instant::now() + bound;
    while !cond() {
        assert!(Instant::now() < deadline, "waited {bound:?} for {what}");
        std::thread::sleep(Duration::from_millis(2));
    }
}

/// Retrieves from `p` (bounded) until it returns the credentials of `key`.
fn wait_key(what: &str, p: &ProcessProvider, key: &str) {
    wait_for(what, Duration::from_secs(20), || {
        p.retrieve().unwrap().access_key_id() == key
    });
}

/// The RFC 3339 text of `t` (whole seconds: the fraction is dropped).
fn at(t: UnixTime) -> String {
    format_rfc3339(t)
}

/// `t` as [`at`] writes it.
fn whole_secs(t: UnixTime) -> UnixTime {
    UnixTime::from_nanos(t.as_nanos() - t.as_nanos().rem_euclid(1_000_000_000))
}

fn secs(s: f64) -> Duration {
    Duration::from_secs_f64(s)
}

fn unix_secs(t: UnixTime) -> f64 {
    t.as_nanos() as f64 / 1e9
}

/// Threads retrieving in a loop (200 us apart), each counting its calls and keeping its longest
/// call.
struct Hammer {
    calls: Vec<Arc<AtomicU64>>,
    stop: Arc<AtomicBool>,
    handles: Vec<std::thread::JoinHandle<(Duration, Vec<String>)>>,
}

impl Hammer {
    /// `threads` threads call `p.retrieve()` until stopped; each returns its longest call and
    /// the access key ids it saw, in order, without repeats.
    fn start(p: &Arc<ProcessProvider>, threads: usize) -> Hammer {
        let stop = Arc::new(AtomicBool::new(false));
        let barrier = Arc::new(Barrier::new(threads + 1));
        let mut calls = Vec::new();
        let handles = (0..threads)
            .map(|_| {
                let (p, stop, barrier) = (p.clone(), stop.clone(), barrier.clone());
                let n = Arc::new(AtomicU64::new(0));
                calls.push(n.clone());
                std::thread::spawn(move || {
                    barrier.wait();
                    let mut longest = Duration::ZERO;
                    let mut seen: Vec<String> = Vec::new();
                    while !stop.load(Ordering::Relaxed) {
                        let t = Instant::now();
                        let c = p.retrieve().expect("a retrieve failed");
                        longest = longest.max(t.elapsed());
                        if seen.last().map(String::as_str) != Some(c.access_key_id()) {
                            seen.push(c.access_key_id().to_string());
                        }
                        n.fetch_add(1, Ordering::Relaxed);
                        // A short pause, so that on a machine with fewer cores than threads
                        // the threads do not preempt one another in the middle of a call.
                        std::thread::sleep(Duration::from_micros(200));
                    }
                    (longest, seen)
                })
            })
            .collect();
        barrier.wait();
        Hammer {
            calls,
            stop,
            handles,
        }
    }

    fn counts(&self) -> Vec<u64> {
        self.calls
            .iter()
            .map(|c| c.load(Ordering::Relaxed))
            .collect()
    }

    /// Waits until every thread has made `more` calls beyond `from`.
    fn wait_calls(&self, from: &[u64], more: u64, what: &str) {
        wait_for(what, Duration::from_secs(20), || {
            self.counts().iter().zip(from).all(|(n, f)| *n >= f + more)
        });
    }

    fn finish(self) -> Vec<(Duration, Vec<String>)> {
        self.stop.store(true, Ordering::Relaxed);
        self.handles
            .into_iter()
            .map(|h| h.join().unwrap())
            .collect()
    }
}

case!(in_window_retrieves_never_wait_and_the_helper_runs_once, {
    let h = Helper::new("once");
    let now = UnixTime::now();
    // Valid for 61.5 s, with a 60 s window: the refresh point is 1.5 s away.
    h.write(
        "out.1",
        &creds_json("AKOLD", Some(&at(now.plus(secs(61.5))))),
    );
    h.write("gate.2", "");
    h.write("sleep.2", "0.3");
    h.write(
        "out",
        &creds_json("AKNEW", Some(&at(now.plus(secs(7200.0))))),
    );
    let p = Arc::new(h.provider(secs(60.0)));
    assert_eq!(p.retrieve().unwrap().access_key_id(), "AKOLD");

    // 8 threads retrieve across the refresh point. Once the background refresh's helper has
    // started, it is held: every thread must still complete 200 more retrieves.
    let hammer = Hammer::start(&p, 8);
    h.wait_started(2);
    let held = hammer.counts();
    hammer.wait_calls(
        &held,
        200,
        "200 retrieves per thread while the helper is held",
    );
    assert_eq!(h.runs().len(), 2, "one refresh while the helper is held");
    assert!(!p.is_expired());

    // Released, the helper sleeps 300 ms and lands new credentials; the threads go on until
    // each has seen them, then 100 retrieves more.
    h.write("release.2", "");
    wait_key("the refresh to land", &p, "AKNEW");
    let landed = hammer.counts();
    hammer.wait_calls(&landed, 100, "retrieves after the refresh");
    let results = hammer.finish();
    let longest = results.iter().map(|r| r.0).max().unwrap();
    println!("longest retrieve across the refresh: {longest:?} (helper: 300 ms, held first)");
    for (_, seen) in &results {
        assert_eq!(seen.last().map(String::as_str), Some("AKNEW"));
        assert!(seen.iter().all(|k| k == "AKOLD" || k == "AKNEW"));
    }
    assert_eq!(h.runs().len(), 2, "the helper ran once for the refresh");
    assert!(
        longest < Duration::from_millis(150),
        "a retrieve took {longest:?}: it waited for the helper"
    );
    drop(p);
});

case!(
    a_failing_refresh_returns_no_error_before_expiry_then_gos_error,
    {
        let h = Helper::new("fail");
        let start = UnixTime::now();
        let expiry = whole_secs(start.plus(secs(5.0)));
        // In the 60 s window from the first retrieve on; every run after the first fails.
        h.write("out.1", &creds_json("AKOLD", Some(&at(expiry))));
        h.write("fail", "");
        let p = Arc::new(h.provider(secs(60.0)));
        assert_eq!(p.retrieve().unwrap().access_key_id(), "AKOLD");

        let handles: Vec<_> = (0..4)
            .map(|_| {
                let p = p.clone();
                std::thread::spawn(move || {
                    let mut ok = 0u64;
                    loop {
                        match p.retrieve() {
                            Ok(c) => {
                                assert_eq!(c.access_key_id(), "AKOLD");
                                ok += 1;
                            }
                            Err(e) => return (ok, UnixTime::now(), e.to_string()),
                        }
                        std::thread::sleep(Duration::from_millis(1));
                    }
                })
            })
            .collect();
        for hd in handles {
            let (ok, when, text) = hd.join().unwrap();
            assert!(ok > 0, "no retrieve succeeded before the expiry");
            assert!(
                when >= expiry,
                "an error came {} s before the expiry",
                unix_secs(expiry) - unix_secs(when)
            );
            assert_eq!(
            text,
            "ProcessProviderExecutionError: error in credential_process\ncaused by: exit status 3"
        );
        }
        // The background attempts (before the expiry) keep the back-off: 1 s, then 2 s, then 4 s
        // (capped at the expiry) after each failure.
        let runs = h.runs();
        let background: Vec<f64> = runs[1..]
            .iter()
            .map(|r| r.0)
            .filter(|&t| t < unix_secs(expiry))
            .collect();
        assert!(background.len() >= 2, "background attempts: {background:?}");
        assert!(background.len() <= 4, "background attempts: {background:?}");
        for (i, pair) in background.windows(2).enumerate() {
            let gap = pair[1] - pair[0];
            let backoff = f64::from(1u32 << i);
            assert!(
                gap >= backoff,
                "attempt {} came {gap:.3} s after the one before (back-off {backoff} s)",
                i + 2
            );
        }
        drop(p);
    }
);

case!(freeing_the_provider_cancels_the_background_refresh, {
    let h = Helper::old_then_held_new("free");
    let p = h.provider(secs(3600.0));
    let helper = h.start_held_refresh(&p);
    let t = Instant::now();
    drop(p);
    let took = t.elapsed();
    println!("freeing the provider during a background refresh took {took:?}");
    assert!(took < Duration::from_millis(50), "freeing took {took:?}");
    assert!(
        gone_within(helper, Duration::from_secs(2)),
        "the abandoned helper still runs"
    );
    assert_eq!(h.runs().len(), 2);
});

case!(
    a_child_forked_during_a_background_refresh_has_none_in_flight,
    {
        let h = Helper::old_then_held_new("fork");
        let parent = h.provider(secs(3600.0));
        h.start_held_refresh(&parent);
        // The parent's refresh is held at its gate. In the child: a retrieve returns at once and
        // starts the child's own refresh (run 3, whose parent is the child), which lands.
        // SAFETY: the child only retrieves and leaves with _exit.
        let pid = unsafe { libc::fork() };
        assert!(pid >= 0);
        if pid == 0 {
            let child_side = |p: ProcessProvider| -> Option<()> {
                if p.retrieve().ok()?.access_key_id() != "AKOLD" {
                    return None;
                }
                let deadline = Instant::now() + Duration::from_secs(20);
                while p.retrieve().ok()?.access_key_id() != "AKNEW" {
                    if Instant::now() > deadline {
                        return None;
                    }
                    std::thread::sleep(Duration::from_millis(5));
                }
                // Freeing the provider here must not touch the parent's refresh.
                drop(p);
                Some(())
            };
            let code = if child_side(parent).is_some() { 0 } else { 1 };
            // SAFETY: leaving the forked child at once.
            unsafe { libc::_exit(code) };
        }
        let mut status = 0;
        // SAFETY: our child.
        assert_eq!(unsafe { libc::waitpid(pid, &mut status, 0) }, pid);
        assert!(
            libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0,
            "the child's retrieves failed or hung ({status:#x})"
        );
        let runs = h.runs();
        assert_eq!(runs.len(), 3);
        assert_eq!(runs[2].1, pid, "run 3 is the child's");
        // The parent's refresh is still held, then lands.
        assert!(!h.file("release.2").exists());
        h.write("release.2", "");
        wait_key("the parent's refresh", &parent, "AKNEW");
        assert_eq!(h.runs().len(), 3);
    }
);

case!(expire_during_a_background_refresh_keeps_its_result, {
    let h = Helper::old_then_held_new("expire");
    let p = Arc::new(h.provider(secs(3600.0)));
    h.start_held_refresh(&p);
    // pc_expire clears the cache at once; the retrieve that follows waits for the refresh in
    // flight rather than starting a second helper, and gets its result.
    p.expire();
    assert!(p.is_expired() && p.expires_at().is_none());
    let waiter = {
        let p = p.clone();
        std::thread::spawn(move || p.retrieve().map(|c| c.access_key_id().to_string()))
    };
    h.write("release.2", "");
    assert_eq!(waiter.join().unwrap().unwrap(), "AKNEW");
    assert_eq!(p.retrieve().unwrap().access_key_id(), "AKNEW");
    assert!(!p.is_expired());
    assert_eq!(
        h.runs().len(),
        2,
        "one helper for the refresh and the retrieve"
    );
});

case!(
    credentials_landing_inside_their_window_are_refreshed_at_most_once_a_second,
    {
        let h = Helper::new("loop");
        // Every run gives credentials valid for 10 s, with a 60 s window: always inside it.
        h.write(
            "out",
            &creds_json("AKLOOP", Some(&at(UnixTime::now().plus(secs(10.0))))),
        );
        let p = Arc::new(h.provider(secs(60.0)));
        p.retrieve().unwrap();
        let start = Instant::now();
        let hammer = Hammer::start(&p, 2);
        // Observed for 2.5 s.
        std::thread::sleep(Duration::from_millis(2500));
        let counts = hammer.counts();
        let runs_during = h.runs().len();
        let elapsed = start.elapsed();
        hammer.finish();
        assert!(counts.iter().all(|&n| n > 0));
        // The first run, then one background refresh at most per second.
        let bound = 2 + elapsed.as_secs() as usize;
        assert!(
            (2..=bound).contains(&runs_during),
            "{runs_during} runs in {elapsed:?}"
        );
    }
);

case!(without_a_window_nothing_runs_in_the_background, {
    let h = Helper::new("zero");
    h.write(
        "out",
        &creds_json("AKZERO", Some(&at(UnixTime::now().plus(secs(600.0))))),
    );
    // With a window of an hour, these credentials would be refreshed at once.
    let p = h.provider(Duration::ZERO);
    p.retrieve().unwrap();
    let hammer = Hammer::start(&Arc::new(p), 2);
    let from = hammer.counts();
    hammer.wait_calls(&from, 1000, "cached retrieves");
    hammer.finish();
    assert_eq!(h.runs().len(), 1);
});

case!(credentials_that_never_expire_are_never_refreshed, {
    let h = Helper::new("never");
    h.write("out", &creds_json("AKNEVER", None));
    let p = h.provider(secs(3600.0));
    for _ in 0..1000 {
        assert_eq!(p.retrieve().unwrap().access_key_id(), "AKNEVER");
    }
    assert_eq!(h.runs().len(), 1);
    assert!(p.expires_at().is_none());
});

#[test]
fn with_the_shared_cache_background_refreshes_run_the_helper_once() {
    fn body() {
        let h = Helper::old_then_held_new("sharedahead");
        // This process runs this case alone (its own copy of the test binary).
        std::env::set_var("PROCESSCREDS_CACHE_DIR", h.file("cache"));
        // Two providers of the same helper share entries (as two processes would), both with
        // a window of an hour: the credentials of run 1 are inside it at once.
        let shared = || {
            let p = h.provider(secs(3600.0));
            p.update_options(|o| o.shared_cache = SharedCacheMode::User);
            p
        };
        let (a, b) = (shared(), shared());
        assert_eq!(a.retrieve().unwrap().access_key_id(), "AKOLD");
        assert_eq!(b.retrieve().unwrap().access_key_id(), "AKOLD"); // served the entry
        assert_eq!(h.runs().len(), 1);
        // A's background refresh takes the key's lock and runs the helper (held); B's waits for
        // the lock, then is served the entry A writes.
        assert_eq!(a.retrieve().unwrap().access_key_id(), "AKOLD");
        h.wait_started(2);
        assert_eq!(b.retrieve().unwrap().access_key_id(), "AKOLD");
        h.write("release.2", "");
        for p in [&a, &b] {
            wait_key("the refreshed credentials", p, "AKNEW");
        }
        assert_eq!(h.runs().len(), 2, "the helper ran once for both refreshes");
    }
    isolated(
        VAR,
        "with_the_shared_cache_background_refreshes_run_the_helper_once",
        Duration::from_secs(60),
        &[],
        body,
    );
}
