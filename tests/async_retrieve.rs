//! Asynchronous retrieves from Rust (`ProcessProvider::retrieve_async`, `retrieve_with`) with
//! real helpers: one run shared with blocking callers, exactly one result per request, dropping
//! or cancelling kills the helper's process group, a partial cancel leaves the run to the rest,
//! the provider's drop cancels what is pending, and at most two library threads serve any
//! number of pending requests, none left once they are done. Each test runs in a fresh copy of
//! this binary and must leave no process, thread or descriptor behind.
// POSIX helpers and system calls; Windows has its own tests (bindings/c/tests/test_capi_windows.c).
#![cfg(unix)]

mod common;

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Barrier};
use std::task::{Context, Poll, Wake, Waker};
use std::time::{Duration, Instant};

use common::*;
use processcreds::{ProcessProvider, SharedCacheMode, Status};

const VAR: &str = "PC_ASYNC_CASE";

macro_rules! case {
    ($name:ident, $body:block) => {
        #[test]
        fn $name() {
            fn body() $body
            isolated(VAR, stringify!($name), Duration::from_secs(60), &[], body);
        }
    };
}

/// A helper that appends a line to `runs`, writes its pid (a process group leader's: the
/// caller has no terminal) to `pid`, starts a `sleep` child that writes its pid to `child`,
/// sleeps `secs` and prints credentials.
fn sleeper(dir: &TempDir, secs: f64) -> ProcessProvider {
    let d = quote(dir.path());
    let json = creds_json("AKIDASYNC", Some("2100-01-01T00:00:00Z"));
    let script = dir.script(
        "helper",
        &format!(
            "d={d}\necho run >> \"$d/runs\"\necho $$ > \"$d/pid.tmp\"; mv \"$d/pid.tmp\" \"$d/pid\"\n\
             sleep 60 & echo $! > \"$d/child.tmp\"; mv \"$d/child.tmp\" \"$d/child\"\n\
             sleep {secs}\nkill $! 2>/dev/null\nprintf '%s' '{json}'"
        ),
    );
    ProcessProvider::from_argv(vec![script.display().to_string()]).unwrap()
}

/// Polls `f` on this thread until it is ready (an executor that is not tokio).
fn block_on<F: Future>(f: F) -> F::Output {
    struct Unpark(std::thread::Thread);
    impl Wake for Unpark {
        fn wake(self: Arc<Self>) {
            self.0.unpark();
        }
    }
    let waker = Waker::from(Arc::new(Unpark(std::thread::current())));
    let mut cx = Context::from_waker(&waker);
    let mut f = std::pin::pin!(f);
    loop {
        if let Poll::Ready(v) = f.as_mut().poll(&mut cx) {
            return v;
        }
        std::thread::park();
    }
}

struct Count(AtomicUsize);
impl Wake for Count {
    fn wake(self: Arc<Self>) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

/// Polls a future once with a waker that counts its wakes.
fn poll_once<F: Future + Unpin>(f: &mut F, wakes: &Arc<Count>) -> Poll<F::Output> {
    let waker = Waker::from(wakes.clone());
    Pin::new(f).poll(&mut Context::from_waker(&waker))
}

/// The library's threads running now (by name).
fn library_threads() -> Vec<String> {
    std::fs::read_dir("/proc/self/task")
        .unwrap()
        .flatten()
        .filter_map(|t| std::fs::read_to_string(t.path().join("comm")).ok())
        .map(|c| c.trim().to_owned())
        .filter(|c| c == "pc-async" || c == "pc-callback")
        .collect()
}

fn wait_for(what: &str, bound: Duration, mut f: impl FnMut() -> bool) {
    let deadline = Instant::now() + bound;
    while !f() {
        assert!(Instant::now() < deadline, "{what}: not within {bound:?}");
        std::thread::sleep(Duration::from_millis(2));
    }
}

case!(futures_and_blocking_callers_share_one_run, {
    let dir = TempDir::new("share");
    let p = Arc::new(sleeper(&dir, 0.5));
    let mut futures: Vec<_> = (0..100).map(|_| Box::pin(p.retrieve_async())).collect();
    let wakes = Arc::new(Count(AtomicUsize::new(0)));
    for f in &mut futures {
        assert!(poll_once(f, &wakes).is_pending());
    }
    let barrier = Arc::new(Barrier::new(5));
    let blocking: Vec<_> = (0..4)
        .map(|_| {
            let (p, b) = (p.clone(), barrier.clone());
            std::thread::spawn(move || {
                b.wait();
                p.retrieve().map(|c| c.access_key_id().to_owned())
            })
        })
        .collect();
    barrier.wait();
    for t in blocking {
        assert_eq!(t.join().unwrap().unwrap(), "AKIDASYNC");
    }
    wait_for("every future woken", Duration::from_secs(10), || {
        wakes.0.load(Ordering::SeqCst) >= 100
    });
    for f in futures {
        assert_eq!(block_on(f).unwrap().access_key_id(), "AKIDASYNC");
    }
    assert_eq!(runs(&dir.join("runs")), 1, "one run for every caller");
    // Cached now: ready at the first poll.
    let mut again = Box::pin(p.retrieve_async());
    assert!(matches!(poll_once(&mut again, &wakes), Poll::Ready(Ok(_))));
    assert!(library_threads().len() <= 2);
    wait_for("no library thread left", Duration::from_secs(2), || {
        library_threads().is_empty()
    });
});

case!(dropping_the_future_kills_the_helpers_group, {
    let dir = TempDir::new("drop");
    let p = sleeper(&dir, 30.0);
    let wakes = Arc::new(Count(AtomicUsize::new(0)));
    let mut f = Box::pin(p.retrieve_async());
    assert!(poll_once(&mut f, &wakes).is_pending());
    let pid = read_pid(&dir.join("pid"));
    let child = read_pid(&dir.join("child"));
    let t0 = Instant::now();
    drop(f);
    assert!(gone_within(pid, Duration::from_millis(100)), "helper alive");
    assert!(
        gone_within(child, Duration::from_millis(100)),
        "its child alive"
    );
    assert!(
        t0.elapsed() < Duration::from_millis(150),
        "{:?}",
        t0.elapsed()
    );
    // The next retrieve starts afresh.
    std::fs::write(dir.join("fast"), "").unwrap();
    assert_eq!(runs(&dir.join("runs")), 1);
});

case!(a_partial_cancel_leaves_the_run_to_the_others, {
    let dir = TempDir::new("partial");
    let p = sleeper(&dir, 0.4);
    let (tx, rx) = mpsc::channel();
    let requests: Vec<_> = (0..10)
        .map(|i| {
            let tx = tx.clone();
            p.retrieve_with(move |r| {
                tx.send((
                    i,
                    r.map(|c| c.access_key_id().to_owned())
                        .map_err(|e| e.status()),
                ))
                .unwrap();
            })
        })
        .collect();
    let pid = read_pid(&dir.join("pid"));
    for r in &requests[..5] {
        r.cancel();
        r.cancel(); // again: nothing more
    }
    let mut got: Vec<_> = (0..10)
        .map(|_| rx.recv_timeout(Duration::from_secs(10)).unwrap())
        .collect();
    got.sort_by_key(|(i, _)| *i);
    for (i, r) in got {
        if i < 5 {
            assert_eq!(r, Err(Status::Canceled), "request {i}");
        } else {
            assert_eq!(r.as_deref(), Ok("AKIDASYNC"), "request {i}");
        }
    }
    assert!(
        rx.recv_timeout(Duration::from_millis(200)).is_err(),
        "a second callback"
    );
    assert!(gone_within(pid, Duration::from_secs(1)));
    assert_eq!(runs(&dir.join("runs")), 1);
    // Cancelling after the result changes nothing.
    requests[9].cancel();
    assert!(rx.recv_timeout(Duration::from_millis(100)).is_err());
});

case!(
    cancelling_every_request_kills_the_group_and_calls_back_cancelled,
    {
        let dir = TempDir::new("all");
        let p = sleeper(&dir, 30.0);
        let (tx, rx) = mpsc::channel();
        let requests: Vec<_> = (0..50)
            .map(|_| {
                let tx = tx.clone();
                p.retrieve_with(move |r| tx.send(r.map(|_| ()).map_err(|e| e.status())).unwrap())
            })
            .collect();
        let pid = read_pid(&dir.join("pid"));
        let child = read_pid(&dir.join("child"));
        let t0 = Instant::now();
        for r in &requests {
            r.cancel();
        }
        assert!(gone_within(pid, Duration::from_millis(100)), "helper alive");
        assert!(
            gone_within(child, Duration::from_millis(100)),
            "its child alive"
        );
        assert!(
            t0.elapsed() < Duration::from_millis(150),
            "{:?}",
            t0.elapsed()
        );
        for _ in 0..50 {
            assert_eq!(
                rx.recv_timeout(Duration::from_millis(50)).unwrap(),
                Err(Status::Canceled)
            );
        }
        // A new request starts a new run.
        drop(p);
    }
);

case!(a_blocking_caller_keeps_the_run_alive, {
    let dir = TempDir::new("blocking");
    let p = Arc::new(sleeper(&dir, 0.5));
    let (tx, rx) = mpsc::channel();
    let r = p.retrieve_with(move |r| tx.send(r.map_err(|e| e.status()).is_ok()).unwrap());
    let pid = read_pid(&dir.join("pid"));
    let q = p.clone();
    let blocking = std::thread::spawn(move || q.retrieve().map(|c| c.access_key_id().to_owned()));
    // The blocking caller joins the reactor's run; give it time to be waiting.
    std::thread::sleep(Duration::from_millis(100));
    r.cancel();
    assert!(!rx.recv_timeout(Duration::from_secs(1)).unwrap());
    assert!(
        alive(pid),
        "the run was killed while a blocking caller waits for it"
    );
    assert_eq!(blocking.join().unwrap().unwrap(), "AKIDASYNC");
    assert_eq!(runs(&dir.join("runs")), 1);
});

case!(dropping_the_provider_cancels_pending_requests, {
    let dir = TempDir::new("free");
    let p = sleeper(&dir, 30.0);
    let (tx, rx) = mpsc::channel();
    for _ in 0..20 {
        let tx = tx.clone();
        p.retrieve_with(move |r| tx.send(r.map(|_| ()).map_err(|e| e.status())).unwrap());
    }
    let wakes = Arc::new(Count(AtomicUsize::new(0)));
    let mut f = Box::pin(p.retrieve_async());
    assert!(poll_once(&mut f, &wakes).is_pending());
    let pid = read_pid(&dir.join("pid"));
    drop(p);
    for _ in 0..20 {
        assert_eq!(
            rx.recv_timeout(Duration::from_secs(1)).unwrap(),
            Err(Status::Canceled)
        );
    }
    assert!(rx.recv_timeout(Duration::from_millis(100)).is_err());
    match poll_once(&mut f, &wakes) {
        Poll::Ready(Err(e)) => assert_eq!(e.status(), Status::Canceled),
        other => panic!("{:?}", other.map(|r| r.map(|_| ()))),
    }
    assert!(gone_within(pid, Duration::from_millis(200)));
});

case!(a_callback_may_drop_its_provider_and_retrieve, {
    let dir = TempDir::new("inside");
    let p = Arc::new(sleeper(&dir, 0.2));
    let (tx, rx) = mpsc::channel();
    let slot = Arc::new(parking_lot::Mutex::new(Some(p.clone())));
    let inner = slot.clone();
    let tx2 = tx.clone();
    p.retrieve_with(move |r| {
        let p = inner.lock().take().unwrap();
        // Blocking retrieve from the callback: cached by now.
        let again = p.retrieve().unwrap();
        tx2.send(r.is_ok() && again.access_key_id() == "AKIDASYNC")
            .unwrap();
        drop(p);
    });
    let pending = p.clone();
    drop(p);
    // The last reference goes inside the callback.
    drop(pending);
    assert!(rx.recv_timeout(Duration::from_secs(5)).unwrap());
    drop(tx);
});

case!(cached_credentials_never_run_the_helper, {
    let dir = TempDir::new("cached");
    let p = sleeper(&dir, 0.0);
    assert!(p.cached().is_none());
    assert_eq!(runs(&dir.join("runs")), 0);
    let (tx, rx) = mpsc::channel();
    let here = std::thread::current().id();
    p.retrieve_with(move |r| {
        tx.send((std::thread::current().id() != here, r.is_ok()))
            .unwrap()
    });
    assert_eq!(
        rx.recv_timeout(Duration::from_secs(5)).unwrap(),
        (true, true)
    );
    assert_eq!(runs(&dir.join("runs")), 1);
    // A hit still calls back on the library's thread, not here.
    let (tx, rx) = mpsc::channel();
    p.retrieve_with(move |r| {
        tx.send((std::thread::current().id() != here, r.is_ok()))
            .unwrap()
    });
    assert_eq!(
        rx.recv_timeout(Duration::from_secs(5)).unwrap(),
        (true, true)
    );
    assert!(p.cached().is_some());
    assert_eq!(runs(&dir.join("runs")), 1);
});

case!(many_pending_requests_use_at_most_two_library_threads, {
    let dir = TempDir::new("threads");
    let providers: Vec<_> = (0..20)
        .map(|i| {
            let d = TempDir::new(&format!("threads{i}"));
            let p = sleeper(&d, 0.3);
            (d, p)
        })
        .collect();
    let (tx, rx) = mpsc::channel();
    let before = threads();
    for (_, p) in &providers {
        for _ in 0..25 {
            let tx = tx.clone();
            p.retrieve_with(move |r| tx.send(r.is_ok()).unwrap());
        }
    }
    let mut most = 0;
    let mut got = 0;
    while got < 500 {
        most = most.max(library_threads().len()).max(threads() - before);
        if let Ok(ok) = rx.recv_timeout(Duration::from_millis(5)) {
            assert!(ok);
            got += 1;
        }
    }
    assert!(most <= 2, "{most} library threads");
    for (d, _) in &providers {
        assert_eq!(runs(&d.join("runs")), 1);
    }
    drop(dir);
    wait_for("no library thread left", Duration::from_secs(2), || {
        library_threads().is_empty()
    });
});

case!(shared_cache_lock_is_released_when_cancelled, {
    let dir = TempDir::new("shared");
    let cache = TempDir::new("shared-dir");
    std::fs::set_permissions(
        cache.path(),
        std::os::unix::fs::PermissionsExt::from_mode(0o700),
    )
    .unwrap();
    std::env::set_var("PROCESSCREDS_CACHE_DIR", cache.path());
    let p = sleeper(&dir, 30.0);
    p.update_options(|o| o.shared_cache = SharedCacheMode::User);
    let wakes = Arc::new(Count(AtomicUsize::new(0)));
    let mut f = Box::pin(p.retrieve_async());
    assert!(poll_once(&mut f, &wakes).is_pending());
    let pid = read_pid(&dir.join("pid"));
    // A second provider of this process waits for the first's lock (one run per key).
    let q = sleeper(&dir, 0.0);
    q.update_options(|o| o.shared_cache = SharedCacheMode::User);
    let mut g = Box::pin(q.retrieve_async());
    assert!(poll_once(&mut g, &wakes).is_pending());
    std::thread::sleep(Duration::from_millis(100));
    assert_eq!(runs(&dir.join("runs")), 1, "the lock was not waited for");
    drop(f);
    assert!(gone_within(pid, Duration::from_millis(100)));
    // The lock went with the cancelled run: the waiter runs the helper itself.
    let c = block_on(g).unwrap();
    assert_eq!(c.access_key_id(), "AKIDASYNC");
    assert_eq!(runs(&dir.join("runs")), 2);
    std::env::remove_var("PROCESSCREDS_CACHE_DIR");
});

case!(a_forked_child_has_no_library_thread_and_starts_its_own, {
    let dir = TempDir::new("fork");
    let p = sleeper(&dir, 30.0);
    let wakes = Arc::new(Count(AtomicUsize::new(0)));
    let mut f = Box::pin(p.retrieve_async());
    assert!(poll_once(&mut f, &wakes).is_pending());
    let pid = read_pid(&dir.join("pid"));
    let fast_dir = TempDir::new("fork-child");
    let fast = sleeper(&fast_dir, 0.0);
    // SAFETY: the child only retrieves (threads of its own start there) and exits with _exit.
    let child = unsafe { libc::fork() };
    if child == 0 {
        let ok = library_threads().is_empty()
            && block_on(fast.retrieve_async()).is_ok_and(|c| c.access_key_id() == "AKIDASYNC");
        // SAFETY: ends the child without running the parent's destructors.
        unsafe { libc::_exit(if ok { 0 } else { 1 }) };
    }
    let mut status = 0;
    // SAFETY: waiting for our child.
    assert_eq!(unsafe { libc::waitpid(child, &mut status, 0) }, child);
    assert!(
        libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0,
        "{status}"
    );
    // The parent's request is untouched by the child.
    assert!(alive(pid));
    drop(f);
    assert!(gone_within(pid, Duration::from_millis(100)));
});
