//! The provider's cache: aws-sdk-go v1's `credentials.Credentials` semantics, shared by threads,
//! with refresh ahead (SEMANTICS.md, "Refresh ahead") as an option.
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
//! - Refresh ahead: a value is cached with a refresh window. Let E be its window-adjusted expiry.
//!   Until E - window the hot path returns it (one comparison, against E - window instead of E);
//!   from then until E, a retrieve still returns it at once and starts a background refresh
//!   ([`ahead`]) unless one runs or the back-off has not passed. The background refresh is a
//!   flight like any other: a caller finding the value expired meanwhile waits for it.
//! - Asynchronous requests ([`Cache::join`]) listen to the same flights as blocking callers; a
//!   flight one of them starts runs on the reactor (see [`flight`]), and is abandoned, its helper
//!   killed, when its last interested caller leaves.
//! - Events and counters (`observe`): `cache.hit`/`cache.miss` are emitted after the shard's
//!   lock is let go, and cost one relaxed load when no logger wants them; hits are counted in
//!   the shard (under its lock, which the hot path holds anyway: no shared cache line), misses
//!   and refreshes ahead in the provider's counters.

mod ahead;
mod flight;

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicI64, AtomicU32, AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use parking_lot::Mutex;

pub use ahead::{AheadJob, AheadRun};
pub use flight::{Listener, Outcome};

use ahead::Ahead;
use flight::{Driver, Flight};

use crate::credentials::Credentials;
use crate::error::Error;
use crate::observe::{event, Event, Observer};
use crate::reactor::JobCtl;
use crate::runner::Cancel;
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

/// A fetched value and the refresh window it is cached with (read when its run started).
pub struct Fresh {
    /// The run's result.
    pub fetched: Fetched,
    /// [`Options::refresh_window`](crate::Options::refresh_window) when the run started.
    pub refresh_window: Duration,
}

struct Entry {
    gen: u64,
    creds: Arc<Credentials>,
    /// E: the window-adjusted expiry; `None`: never expires.
    expires_at: Option<UnixTime>,
    /// Until when the value is served without starting a refresh: E less the refresh window
    /// (E itself without one).
    fresh_until: Option<UnixTime>,
}

/// What the cache holds for a caller.
enum Lookup {
    /// Valid, outside the refresh window.
    Fresh(Arc<Credentials>),
    /// Valid, inside the refresh window.
    Ahead(Arc<Credentials>),
    /// Nothing valid.
    Miss,
}

impl Entry {
    fn lookup(&self) -> Lookup {
        let Some(fresh_until) = self.fresh_until else {
            return Lookup::Fresh(self.creds.clone());
        };
        if crate::time::surely_not_after(fresh_until) {
            return Lookup::Fresh(self.creds.clone());
        }
        let now = UnixTime::now();
        // Expired means expiry < now (equal is not expired), as Go's time.Before.
        if fresh_until >= now {
            Lookup::Fresh(self.creds.clone())
        } else if self.expires_at.is_some_and(|e| e >= now) {
            Lookup::Ahead(self.creds.clone())
        } else {
            Lookup::Miss
        }
    }

    fn valid_at(&self, now: UnixTime) -> bool {
        self.expires_at.is_none_or(|t| t >= now)
    }
}

/// One shard per group of threads, on its own cache lines: its reference to the value, and the
/// cache hits of its threads (written under the shard's lock, read without it).
#[repr(align(128))]
struct Shard {
    slot: Mutex<Option<Entry>>,
    hits: AtomicU64,
}

impl Shard {
    /// Counts a hit; the caller holds `slot`'s lock (so a load and a store suffice).
    #[inline(always)]
    fn hit(&self) {
        self.hits
            .store(self.hits.load(Ordering::Relaxed) + 1, Ordering::Relaxed);
    }
}

const SHARDS: usize = 16;

static NEXT_THREAD: AtomicUsize = AtomicUsize::new(0);

thread_local! {
    static THREAD_SHARD: usize = NEXT_THREAD.fetch_add(1, Ordering::Relaxed) % SHARDS;
}

#[derive(Default)]
struct State {
    current: Option<Entry>,
    flight: Option<Arc<Flight>>,
    last_gen: u64,
    ahead: Ahead,
}

impl State {
    /// The flight this process runs, if any (a flight inherited through fork() is nobody's,
    /// and an abandoned one is over for everyone).
    fn our_flight(&self) -> Option<&Arc<Flight>> {
        self.flight.as_ref().filter(|f| f.live())
    }
}

pub struct Cache {
    /// Generation of `state.current`; 0 when nothing is cached.
    gen: AtomicU64,
    /// Unix nanoseconds before which retrieves inside the refresh window need not look at the
    /// state (a background refresh runs, or the back-off has not passed), valid in the process
    /// `gate_pid` only.
    gate: AtomicI64,
    gate_pid: AtomicU32,
    state: Mutex<State>,
    shards: Box<[Shard]>,
}

impl Default for Cache {
    fn default() -> Self {
        Cache {
            gen: AtomicU64::new(0),
            gate: AtomicI64::new(0),
            gate_pid: AtomicU32::new(0),
            state: Mutex::new(State::default()),
            shards: (0..SHARDS)
                .map(|_| Shard {
                    slot: Mutex::new(None),
                    hits: AtomicU64::new(0),
                })
                .collect(),
        }
    }
}

fn nanos_i64(t: Option<UnixTime>) -> i64 {
    t.map_or(0, |t| t.as_nanos().clamp(0, i64::MAX as i128) as i64)
}

impl Cache {
    /// The cached credentials if valid, else the result of one `fetch` shared by all concurrent
    /// callers. Inside the refresh window, the cached credentials, and `ahead` is called to
    /// make the job of a background refresh when one is to start.
    pub fn get(
        &self,
        obs: &Observer,
        fetch: impl FnOnce() -> Result<Fresh, Error>,
        ahead: impl FnOnce() -> AheadJob,
    ) -> Result<Arc<Credentials>, Error> {
        match self.lookup(obs) {
            Lookup::Fresh(c) => Ok(c),
            Lookup::Ahead(c) => {
                self.start_ahead(obs, ahead);
                Ok(c)
            }
            Lookup::Miss => self.refresh(fetch),
        }
    }

    /// The cached credentials if valid, without running anything or waiting for a run; inside
    /// the refresh window, `ahead` is called as by [`get`](Self::get).
    /// A miss here is neither counted nor told (`cache.miss`): it runs nothing, and the caller
    /// that goes on to retrieve (e.g. asynchronously) counts it then.
    pub fn cached(
        &self,
        obs: &Observer,
        ahead: impl FnOnce() -> AheadJob,
    ) -> Option<Arc<Credentials>> {
        match self.lookup_told(obs, false) {
            Lookup::Fresh(c) => Some(c),
            Lookup::Ahead(c) => {
                self.start_ahead(obs, ahead);
                Some(c)
            }
            Lookup::Miss => None,
        }
    }

    /// The hot path, counted and told to `obs` (after the shard's lock is let go).
    #[inline(always)]
    fn lookup(&self, obs: &Observer) -> Lookup {
        self.lookup_told(obs, true)
    }

    /// [`lookup`](Self::lookup); a miss is counted and told only if `miss`.
    #[inline(always)]
    fn lookup_told(&self, obs: &Observer, miss: bool) -> Lookup {
        let found = self.lookup_counted();
        match &found {
            Lookup::Fresh(_) => event!(obs, Event::CacheHit),
            Lookup::Ahead(_) => event!(obs, Event::CacheHit, "ahead" = true),
            Lookup::Miss if !miss => {}
            Lookup::Miss => {
                obs.counters.cache_miss();
                event!(obs, Event::CacheMiss);
            }
        }
        found
    }

    /// Cache hits so far (the shards' counts).
    pub fn hits(&self) -> u64 {
        self.shards
            .iter()
            .map(|s| s.hits.load(Ordering::Relaxed))
            .sum()
    }

    /// The lookup; a hit is counted in the shard, under its lock.
    #[inline(always)]
    fn lookup_counted(&self) -> Lookup {
        let gen = self.gen.load(Ordering::Acquire);
        if gen == 0 {
            return Lookup::Miss;
        }
        let shard = &self.shards[THREAD_SHARD.with(|s| *s)];
        let mut slot = shard.slot.lock();
        if let Some(e) = slot.as_ref() {
            if e.gen == gen {
                let found = e.lookup();
                if !matches!(found, Lookup::Miss) {
                    shard.hit();
                }
                return found;
            }
        }
        // Refill this shard with its own reference to the current value (its fields are shared).
        let st = self.state.lock();
        let Some(cur) = st.current.as_ref() else {
            return Lookup::Miss;
        };
        let own = Entry {
            gen: cur.gen,
            creds: Arc::new((*cur.creds).clone()),
            expires_at: cur.expires_at,
            fresh_until: cur.fresh_until,
        };
        drop(st);
        let found = own.lookup();
        *slot = Some(own);
        if !matches!(found, Lookup::Miss) {
            shard.hit();
        }
        found
    }

    fn refresh(
        &self,
        fetch: impl FnOnce() -> Result<Fresh, Error>,
    ) -> Result<Arc<Credentials>, Error> {
        let mut st = self.state.lock();
        if let Some(cur) = &st.current {
            if cur.valid_at(UnixTime::now()) {
                return Ok(cur.creds.clone());
            }
        }
        if let Some(flight) = st.our_flight().cloned() {
            drop(st);
            // None: the reactor's flight was abandoned meanwhile; this caller starts afresh.
            return match flight.wait() {
                Some(result) => result,
                None => self.refresh(fetch),
            };
        }
        let flight = Arc::new(Flight::new(Driver::Caller));
        st.flight = Some(flight.clone());
        drop(st);

        let fetched = catch_unwind(AssertUnwindSafe(fetch)).unwrap_or_else(|_| Err(panicked()));
        self.land(&flight, fetched, false)
    }

    /// Inside the refresh window: starts a background refresh unless one runs, the back-off
    /// has not passed, or the value is no longer in its window.
    fn start_ahead(&self, obs: &Observer, job: impl FnOnce() -> AheadJob) {
        let now = UnixTime::now();
        let pid = std::process::id();
        if (now.as_nanos() < i128::from(self.gate.load(Ordering::Acquire)))
            && self.gate_pid.load(Ordering::Acquire) == pid
        {
            return;
        }
        let mut st = self.state.lock();
        if st.our_flight().is_some() {
            self.close_gate(i64::MAX);
            return;
        }
        if !st.ahead.may_start(now) {
            self.close_gate(nanos_i64(st.ahead.not_before));
            return;
        }
        match &st.current {
            Some(cur) if cur.fresh_until.is_some_and(|t| t < now) && cur.valid_at(now) => {}
            _ => return,
        }
        let flight = Arc::new(Flight::new(Driver::Ahead));
        st.flight = Some(flight.clone());
        self.close_gate(i64::MAX);
        let starting = st.ahead.prepare(flight);
        let expires_in = st.current.as_ref().and_then(|c| c.expires_at);
        // The thread starts outside the lock: retrieves that reach the lock meanwhile (those
        // that saw the gate open) do not wait for it. The flight stays ours, so no second
        // refresh starts; the provider cannot be freed during this call.
        drop(st);
        obs.counters.refresh_started();
        match expires_in {
            Some(e) => event!(
                obs,
                Event::RefreshStart,
                "expires_in_ms" = e.as_nanos().saturating_sub(now.as_nanos()).max(0) / 1_000_000
            ),
            None => event!(obs, Event::RefreshStart),
        }
        match starting.spawn(job()) {
            Ok(worker) => self.state.lock().ahead.install(worker),
            Err(flight) => {
                // No thread: counts as a failed refresh (the back-off applies).
                let started = std::time::Instant::now();
                let result = Err(Error::internal("cannot start a background refresh thread"));
                self.land_ahead(obs, &flight, result, started);
            }
        }
    }

    fn close_gate(&self, until: i64) {
        self.gate.store(until, Ordering::Release);
        self.gate_pid.store(std::process::id(), Ordering::Release);
    }

    /// For an asynchronous request: the cached credentials if valid (inside the refresh window,
    /// `ahead` is called as by [`get`](Self::get)); else `listener` joins the flight in progress,
    /// or a new one that the caller starts on the reactor ([`Joined::Start`]).
    pub fn join(
        &self,
        obs: &Observer,
        listener: Arc<dyn Listener>,
        ahead: impl FnOnce() -> AheadJob,
    ) -> Joined {
        match self.lookup(obs) {
            Lookup::Fresh(c) => return Joined::Hit(c),
            Lookup::Ahead(c) => {
                self.start_ahead(obs, ahead);
                return Joined::Hit(c);
            }
            Lookup::Miss => {}
        }
        let mut st = self.state.lock();
        if let Some(cur) = &st.current {
            if cur.valid_at(UnixTime::now()) {
                return Joined::Hit(cur.creds.clone());
            }
        }
        if st.ahead.closed() {
            return Joined::Closed;
        }
        if let Some(flight) = st.our_flight() {
            if flight.listen(listener.clone()) {
                return Joined::Waiting(Membership(Arc::downgrade(flight)));
            }
        }
        let ctl = JobCtl::new();
        let flight = Arc::new(Flight::new(Driver::Reactor(ctl.clone())));
        flight.listen(listener);
        st.flight = Some(flight.clone());
        Joined::Start(Membership(Arc::downgrade(&flight)), Launch { flight, ctl })
    }

    /// Lands the result of a flight started by [`join`](Self::join) (on the reactor).
    pub fn land_launched(&self, launch: &Launch, result: Result<Fresh, Error>) {
        let _ = self.land(&launch.flight, result, false);
    }

    /// Runs a background refresh's `fetch` and lands its result; called by the job on the
    /// refresh thread.
    pub fn run_ahead(
        &self,
        obs: &Observer,
        run: AheadRun,
        fetch: impl FnOnce(&Cancel) -> Result<Fresh, Error>,
    ) {
        let started = std::time::Instant::now();
        let fetched = catch_unwind(AssertUnwindSafe(|| fetch(run.cancel())))
            .unwrap_or_else(|_| Err(panicked()));
        self.land_ahead(obs, &run.flight, fetched, started);
    }

    /// Lands a background refresh's result, counted and told to `obs` (`refresh.ok`, or
    /// `refresh.fail` with the back-off now in force).
    fn land_ahead(
        &self,
        obs: &Observer,
        flight: &Arc<Flight>,
        result: Result<Fresh, Error>,
        started: std::time::Instant,
    ) {
        let landed = self.land(flight, result, true);
        obs.counters.refresh_ended(landed.is_ok());
        match landed {
            Ok(_) => event!(
                obs,
                Event::RefreshOk,
                "duration_ms" = crate::observe::Millis(started.elapsed())
            ),
            Err(e) => {
                if obs.enabled(Event::RefreshFail.level()) {
                    let (failures, not_before) = {
                        let st = self.state.lock();
                        (st.ahead.failures(), st.ahead.not_before)
                    };
                    let backoff_ms = not_before.map_or(0, |t| {
                        t.as_nanos()
                            .saturating_sub(UnixTime::now().as_nanos())
                            .max(0)
                            / 1_000_000
                    });
                    event!(
                        obs,
                        Event::RefreshFail,
                        "status" = crate::observe::status_name(e.status()),
                        "failures" = failures,
                        "backoff_ms" = backoff_ms,
                    );
                }
            }
        }
    }

    /// Ends `flight` with `result`: a success replaces the cached value; a failure leaves it.
    /// Every caller waiting for the flight gets the result.
    fn land(
        &self,
        flight: &Arc<Flight>,
        result: Result<Fresh, Error>,
        background: bool,
    ) -> Result<Arc<Credentials>, Error> {
        let mut st = self.state.lock();
        if st.flight.as_ref().is_some_and(|f| Arc::ptr_eq(f, flight)) {
            st.flight = None;
        }
        let now = UnixTime::now();
        let result = result.map(|f| {
            st.last_gen += 1;
            let expires_at = f.fetched.expires_at;
            let entry = Entry {
                gen: st.last_gen,
                creds: Arc::new(f.fetched.credentials),
                expires_at,
                fresh_until: expires_at.map(|e| e.minus(f.refresh_window)),
            };
            let out = entry.creds.clone();
            self.gen.store(entry.gen, Ordering::Release);
            st.current = Some(entry);
            out
        });
        if background {
            let expires_at = st.current.as_ref().and_then(|e| e.expires_at);
            st.ahead.finished(result.is_ok(), now, expires_at);
        } else if result.is_ok() {
            st.ahead.reset();
        }
        if st.our_flight().is_none() {
            self.close_gate(nanos_i64(st.ahead.not_before));
        }
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
            shard.slot.lock().take();
        }
    }

    /// Go's `Credentials.IsExpired()`: true when nothing is cached or the cached value expired.
    pub fn is_expired(&self) -> bool {
        let st = self.state.lock();
        st.current
            .as_ref()
            .is_none_or(|e| !e.valid_at(UnixTime::now()))
    }

    /// Clears the cache: the next retrieve runs the helper. A refresh in flight goes on, and
    /// its result, when it succeeds, becomes the cached value. Returns the value cleared.
    pub fn expire(&self) -> Option<Arc<Credentials>> {
        let old = {
            let mut st = self.state.lock();
            let old = st.current.take().map(|e| e.creds);
            st.ahead.reset();
            self.gen.store(0, Ordering::Release);
            old
        };
        // Drop the per-thread references now rather than at their next use.
        self.clear_shards();
        old
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

    /// For the provider's end: no background refresh starts any more, and the running one is
    /// cancelled (its helper killed with its tree); returns once its thread has ended, or after
    /// a short bound.
    ///
    /// The listeners of the flight in progress are told they were cancelled, and a flight the
    /// reactor drives for them alone is abandoned (its helper killed).
    pub fn close(&self) {
        let (stop, flight) = {
            let mut st = self.state.lock();
            (st.ahead.close(), st.our_flight().cloned())
        };
        if let Some(flight) = flight {
            let (listeners, job) = flight.drop_listeners();
            if let Some(job) = job {
                job.cancel();
            }
            for l in listeners {
                l.complete(Err(Error::canceled()));
            }
        }
        if let Some(stop) = stop {
            stop();
        }
    }
}

/// What [`Cache::join`] found.
pub enum Joined {
    /// Valid cached credentials.
    Hit(Arc<Credentials>),
    /// The provider was freed: nothing starts any more.
    Closed,
    /// The listener joined the flight in progress.
    Waiting(Membership),
    /// The listener joined a new flight, which the caller runs on the reactor with this launch
    /// (the job cancelled through [`Launch::job`]) and lands with [`Cache::land_launched`].
    Start(Membership, Launch),
}

/// A listener's place in a flight, to leave it.
pub struct Membership(std::sync::Weak<Flight>);

impl Membership {
    /// Takes `listener` out of its flight (a cancelled request). When it was the last caller
    /// interested in a flight the reactor drives, the flight is abandoned and its job cancelled.
    pub fn leave(&self, listener: &Arc<dyn Listener>) {
        if let Some(job) = self.0.upgrade().and_then(|f| f.leave(listener)) {
            job.cancel();
        }
    }
}

/// A flight to run on the reactor (see [`Joined::Start`]).
pub struct Launch {
    flight: Arc<Flight>,
    ctl: JobCtl,
}

impl Launch {
    /// The control of the job that runs the flight.
    pub(crate) fn job(&self) -> &JobCtl {
        &self.ctl
    }
}

fn panicked() -> Error {
    Error::internal("internal error while retrieving credentials")
}
