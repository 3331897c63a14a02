//! A provider's counters: relaxed atomics, updated where the events are emitted, off the cached
//! path (cache hits are counted per shard of the cache, whose lock the cached path holds
//! anyway, and summed when read).

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::Duration;

use crate::error::Status;

/// A provider's counters since it was made ([`ProcessProvider::stats`](crate::ProcessProvider::stats);
/// the C ABI's `pc_stats`, with the same names). Each counter only grows; they are read one by
/// one, so a read during activity may see one counter updated and not yet another (enough for
/// metrics).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct Stats {
    /// Runs of the helper started (`helper.start`).
    pub helper_runs: u64,
    /// Runs that gave no credentials: a failed exit, bad output, a timeout, a failed spawn.
    pub helper_failures: u64,
    /// Runs that passed their timeout (counted in `helper_failures` too).
    pub helper_timeouts: u64,
    /// Retrieves answered from the cache (`cache.hit`).
    pub cache_hits: u64,
    /// Retrieves that found nothing valid cached (`cache.miss`).
    pub cache_misses: u64,
    /// Fetches served by an entry of the shared cache (`shared_cache.hit`).
    pub shared_cache_hits: u64,
    /// Entries written to the shared cache (`shared_cache.write`).
    pub shared_cache_writes: u64,
    /// Times the shared cache was bypassed or not written (`shared_cache.bypass`).
    pub shared_cache_bypasses: u64,
    /// Refreshes ahead started (`refresh.start`).
    pub refreshes_started: u64,
    /// Refreshes ahead that replaced the credentials (`refresh.ok`).
    pub refreshes_succeeded: u64,
    /// Refreshes ahead that failed (`refresh.fail`).
    pub refreshes_failed: u64,
    /// How long the last run of the helper took, in microseconds (0 before the first).
    pub last_run_duration_us: u64,
}

/// The counters but for cache hits (see the module's documentation).
#[derive(Default)]
pub(crate) struct Counters {
    helper_runs: AtomicU64,
    helper_failures: AtomicU64,
    helper_timeouts: AtomicU64,
    cache_misses: AtomicU64,
    shared_cache_hits: AtomicU64,
    shared_cache_writes: AtomicU64,
    shared_cache_bypasses: AtomicU64,
    refreshes_started: AtomicU64,
    refreshes_succeeded: AtomicU64,
    refreshes_failed: AtomicU64,
    last_run_duration_us: AtomicU64,
}

fn add(c: &AtomicU64) {
    c.fetch_add(1, Relaxed);
}

impl Counters {
    pub(crate) fn helper_started(&self) {
        add(&self.helper_runs);
    }

    pub(crate) fn helper_ended(&self, took: Duration, failure: Option<Status>) {
        let us = u64::try_from(took.as_micros()).unwrap_or(u64::MAX);
        self.last_run_duration_us.store(us, Relaxed);
        // A run killed because every caller waiting for it was cancelled is no failure.
        if let Some(s) = failure.filter(|s| *s != Status::Canceled) {
            add(&self.helper_failures);
            if s == Status::Timeout {
                add(&self.helper_timeouts);
            }
        }
    }

    pub(crate) fn cache_miss(&self) {
        add(&self.cache_misses);
    }

    pub(crate) fn shared_cache_hit(&self) {
        add(&self.shared_cache_hits);
    }

    pub(crate) fn shared_cache_write(&self) {
        add(&self.shared_cache_writes);
    }

    pub(crate) fn shared_cache_bypass(&self) {
        add(&self.shared_cache_bypasses);
    }

    pub(crate) fn refresh_started(&self) {
        add(&self.refreshes_started);
    }

    pub(crate) fn refresh_ended(&self, ok: bool) {
        add(if ok {
            &self.refreshes_succeeded
        } else {
            &self.refreshes_failed
        });
    }

    /// The counters, with `cache_hits` counted elsewhere.
    pub(crate) fn read(&self, cache_hits: u64) -> Stats {
        Stats {
            helper_runs: self.helper_runs.load(Relaxed),
            helper_failures: self.helper_failures.load(Relaxed),
            helper_timeouts: self.helper_timeouts.load(Relaxed),
            cache_hits,
            cache_misses: self.cache_misses.load(Relaxed),
            shared_cache_hits: self.shared_cache_hits.load(Relaxed),
            shared_cache_writes: self.shared_cache_writes.load(Relaxed),
            shared_cache_bypasses: self.shared_cache_bypasses.load(Relaxed),
            refreshes_started: self.refreshes_started.load(Relaxed),
            refreshes_succeeded: self.refreshes_succeeded.load(Relaxed),
            refreshes_failed: self.refreshes_failed.load(Relaxed),
            last_run_duration_us: self.last_run_duration_us.load(Relaxed),
        }
    }
}
