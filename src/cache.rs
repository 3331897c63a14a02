//! The provider's cache: aws-sdk-go v1's `credentials.Credentials` semantics, shared by threads.
//!
//! - A valid cached value is returned without running anything. The hot path reads one shared
//!   atomic (written only when the value changes) and then works on a per-thread shard. The
//!   secrets are on the heap once (`Credentials` shares one allocation of its fields); each shard
//!   holds its own reference-counted `Credentials` (a 128-byte block holding a pointer to those
//!   fields), and a cached retrieve returns a new reference to that block. So cached retrieves
//!   from different threads count references on different cache lines and scale with threads,
//!   and nothing is copied. The shards are emptied when a new value lands and on `expire()`, so
//!   an idle shard never keeps an old secret alive.
//! - Concurrent retrieves while expired run the helper once (single flight): every caller gets
//!   that run's result, success or error.
//! - Errors are not cached, and a failed refresh never returns the stale value.
//! - `expire()` clears the cache.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;

use parking_lot::{Condvar, Mutex};

use crate::credentials::Credentials;
use crate::error::Error;
use crate::time::UnixTime;

/// The result of one helper run ([`ProcessProvider::fetch`](crate::ProcessProvider::fetch)):
/// credentials and their window-adjusted expiry.
pub struct Fetched {
    /// The credentials.
    pub credentials: Credentials,
    /// Their expiry less [`Options::expiry_window`](crate::Options::expiry_window); `None`: they
    /// never expire.
    pub expires_at: Option<UnixTime>,
}

#[derive(Clone)]
struct Entry {
    gen: u64,
    creds: Arc<Credentials>,
    expires_at: Option<UnixTime>,
}

impl Entry {
    fn valid_at(&self, now: impl FnOnce() -> UnixTime) -> bool {
        // Expired means expiry < now (equal is not expired), as Go's time.Before.
        self.expires_at.is_none_or(|t| t >= now())
    }
}

/// One shard per group of threads, on its own cache lines.
#[repr(align(128))]
struct Shard(Mutex<Option<Entry>>);

const SHARDS: usize = 16;

static NEXT_THREAD: AtomicUsize = AtomicUsize::new(0);

thread_local! {
    static THREAD_SHARD: usize = NEXT_THREAD.fetch_add(1, Ordering::Relaxed) % SHARDS;
}

struct Flight {
    /// The process running the helper: a child forked during the run inherits this flight but
    /// not the thread that would complete it.
    owner: u32,
    result: Mutex<Option<Result<Arc<Credentials>, Error>>>,
    done: Condvar,
}

impl Flight {
    fn new() -> Flight {
        Flight {
            owner: std::process::id(),
            result: Mutex::new(None),
            done: Condvar::new(),
        }
    }

    fn wait(&self) -> Result<Arc<Credentials>, Error> {
        let mut r = self.result.lock();
        loop {
            if let Some(r) = r.as_ref() {
                return r.clone();
            }
            self.done.wait(&mut r);
        }
    }

    fn complete(&self, result: Result<Arc<Credentials>, Error>) {
        *self.result.lock() = Some(result);
        self.done.notify_all();
    }
}

#[derive(Default)]
struct State {
    current: Option<Entry>,
    flight: Option<Arc<Flight>>,
    last_gen: u64,
}

pub struct Cache {
    /// Generation of `state.current`; 0 when nothing is cached.
    gen: AtomicU64,
    state: Mutex<State>,
    shards: Box<[Shard]>,
}

impl Default for Cache {
    fn default() -> Self {
        Cache {
            gen: AtomicU64::new(0),
            state: Mutex::new(State::default()),
            shards: (0..SHARDS).map(|_| Shard(Mutex::new(None))).collect(),
        }
    }
}

impl Cache {
    /// The cached credentials if valid, else the result of one `fetch` shared by all concurrent
    /// callers.
    pub fn get(
        &self,
        fetch: impl FnOnce() -> Result<Fetched, Error>,
    ) -> Result<Arc<Credentials>, Error> {
        match self.cached() {
            Some(c) => Ok(c),
            None => self.refresh(fetch),
        }
    }

    /// The cached credentials if valid, without running anything or waiting for a run (the hot
    /// path).
    pub fn cached(&self) -> Option<Arc<Credentials>> {
        let gen = self.gen.load(Ordering::Acquire);
        if gen == 0 {
            return None;
        }
        let shard = &self.shards[THREAD_SHARD.with(|s| *s)];
        let mut slot = shard.0.lock();
        match slot.as_ref() {
            Some(e) if e.gen == gen => {
                return e.valid_at(UnixTime::now).then(|| e.creds.clone());
            }
            _ => {}
        }
        // Refill this shard with its own reference to the current value (its fields are shared).
        let st = self.state.lock();
        let cur = st.current.as_ref()?;
        if !cur.valid_at(UnixTime::now) {
            return None;
        }
        let own = Entry {
            gen: cur.gen,
            creds: Arc::new((*cur.creds).clone()),
            expires_at: cur.expires_at,
        };
        drop(st);
        let out = own.creds.clone();
        *slot = Some(own);
        Some(out)
    }

    fn refresh(
        &self,
        fetch: impl FnOnce() -> Result<Fetched, Error>,
    ) -> Result<Arc<Credentials>, Error> {
        let mut st = self.state.lock();
        if let Some(cur) = &st.current {
            if cur.valid_at(UnixTime::now) {
                return Ok(cur.creds.clone());
            }
        }
        if let Some(flight) = st.flight.clone() {
            if flight.owner == std::process::id() {
                drop(st);
                return flight.wait();
            }
            // Inherited through fork(): nobody here will complete it; run our own.
        }
        let flight = Arc::new(Flight::new());
        st.flight = Some(flight.clone());
        drop(st);

        let fetched = catch_unwind(AssertUnwindSafe(fetch)).unwrap_or_else(|_| {
            Err(Error::internal(
                "internal error while retrieving credentials",
            ))
        });

        let mut st = self.state.lock();
        if st.flight.as_ref().is_some_and(|f| Arc::ptr_eq(f, &flight)) {
            st.flight = None;
        }
        let result = fetched.map(|f| {
            st.last_gen += 1;
            let entry = Entry {
                gen: st.last_gen,
                creds: Arc::new(f.credentials),
                expires_at: f.expires_at,
            };
            let out = entry.creds.clone();
            self.gen.store(entry.gen, Ordering::Release);
            st.current = Some(entry);
            out
        });
        let landed = result.is_ok();
        drop(st);
        if landed {
            // References to the value replaced go now, not at each shard's next use.
            self.clear_shards();
        }
        flight.complete(result.clone());
        result
    }

    /// Empties every shard. Called without the state lock (the hot path takes a shard's lock,
    /// then the state's).
    fn clear_shards(&self) {
        for shard in self.shards.iter() {
            shard.0.lock().take();
        }
    }

    /// Go's `Credentials.IsExpired()`: true when nothing is cached or the cached value expired.
    pub fn is_expired(&self) -> bool {
        let st = self.state.lock();
        st.current
            .as_ref()
            .is_none_or(|e| !e.valid_at(UnixTime::now))
    }

    /// Clears the cache: the next retrieve runs the helper.
    pub fn expire(&self) {
        {
            let mut st = self.state.lock();
            st.current = None;
            self.gen.store(0, Ordering::Release);
        }
        // Drop the per-thread references now rather than at their next use.
        self.clear_shards();
    }

    /// The window-adjusted expiry of the cached value, also once expired; `None` when nothing is
    /// cached or the value never expires.
    pub fn expires_at(&self) -> Option<UnixTime> {
        self.state
            .lock()
            .current
            .as_ref()
            .and_then(|e| e.expires_at)
    }
}
