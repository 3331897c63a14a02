//! The event table (one source for the C header's comment, the README's table and the
//! bindings' tests) and the levels.

use std::fmt::{self, Display};

/// How important an event is. The numbers are the C ABI's `PC_LOG_*` (0 there means off).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[repr(u32)]
pub enum Level {
    /// Something failed (no event has this level today; kept for the loggers' mapping).
    Error = 1,
    /// Something went wrong and was worked around, or will soon matter: a failed run, a
    /// timeout, the shared cache bypassed, a failed refresh ahead.
    Warn = 2,
    /// What a service would want in its logs: each run of the helper, entries written, refreshes.
    Info = 3,
    /// Every retrieve (cache hits and misses), shared-cache hits, lock waits.
    Debug = 4,
}

impl Level {
    /// Every level, most important first.
    pub const ALL: [Level; 4] = [Level::Error, Level::Warn, Level::Info, Level::Debug];

    /// The level's name: `error`, `warn`, `info` or `debug`.
    pub fn name(self) -> &'static str {
        match self {
            Level::Error => "error",
            Level::Warn => "warn",
            Level::Info => "info",
            Level::Debug => "debug",
        }
    }

    /// The level with this number (1 to 4); `None` otherwise (0 is "off" in the C ABI).
    pub fn from_u32(n: u32) -> Option<Level> {
        Level::ALL.into_iter().find(|l| *l as u32 == n)
    }
}

impl Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The events, in the order of [`EVENTS`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Event {
    /// `helper.start`
    HelperStart,
    /// `helper.exit`
    HelperExit,
    /// `helper.timeout`
    HelperTimeout,
    /// `cache.hit`
    CacheHit,
    /// `cache.miss`
    CacheMiss,
    /// `shared_cache.hit`
    SharedCacheHit,
    /// `shared_cache.write`
    SharedCacheWrite,
    /// `shared_cache.bypass`
    SharedCacheBypass,
    /// `shared_cache.lock_wait`
    SharedCacheLockWait,
    /// `refresh.start`
    RefreshStart,
    /// `refresh.ok`
    RefreshOk,
    /// `refresh.fail`
    RefreshFail,
    /// `request.cancel`
    RequestCancel,
}

/// One row of the event table.
#[derive(Debug)]
pub struct EventInfo {
    /// The event.
    pub event: Event,
    /// Its stable name, e.g. `helper.exit`.
    pub name: &'static str,
    /// Its level (of a success, for `helper.exit`).
    pub level: Level,
    /// Its level when it reports a failure (`helper.exit` of a failed run); `None`: always
    /// [`level`](Self::level).
    pub failure_level: Option<Level>,
    /// The keys of its message, in order (`program` first). Keys in brackets are given only
    /// when they apply.
    pub fields: &'static [&'static str],
    /// When it is emitted.
    pub doc: &'static str,
}

/// The events: name, level, fields and meaning. The C header's comment of `pc_set_logger`, the
/// README's event table and the bindings' tests are checked against this table.
pub const EVENTS: &[EventInfo] = &[
    EventInfo {
        event: Event::HelperStart,
        name: "helper.start",
        level: Level::Info,
        failure_level: None,
        fields: &["program"],
        doc: "a run of the helper starts",
    },
    EventInfo {
        event: Event::HelperExit,
        name: "helper.exit",
        level: Level::Info,
        failure_level: Some(Level::Warn),
        fields: &[
            "program",
            "status",
            "[exit]",
            "[signal]",
            "duration_ms",
            "bytes",
        ],
        doc: "the run ended (warn when it gave no credentials): status ok or the failure's \
              (execution, timeout, parse, version, required, internal), or canceled (at info: \
              every asynchronous request waiting for it was cancelled and its tree killed), the \
              exit code or signal of a failed exit, how long it ran, how many bytes it printed \
              on stdout",
    },
    EventInfo {
        event: Event::HelperTimeout,
        name: "helper.timeout",
        level: Level::Warn,
        failure_level: None,
        fields: &["program", "timeout_ms", "duration_ms"],
        doc: "the run passed its timeout: the helper and its descendants were killed (its \
              helper.exit follows, status timeout)",
    },
    EventInfo {
        event: Event::CacheHit,
        name: "cache.hit",
        level: Level::Debug,
        failure_level: None,
        fields: &["program", "[ahead]"],
        doc: "a retrieve was answered from the cache (ahead=true: inside the refresh window)",
    },
    EventInfo {
        event: Event::CacheMiss,
        name: "cache.miss",
        level: Level::Debug,
        failure_level: None,
        fields: &["program"],
        doc: "a retrieve found nothing valid cached: it runs the helper or waits for the run \
              in flight",
    },
    EventInfo {
        event: Event::SharedCacheHit,
        name: "shared_cache.hit",
        level: Level::Debug,
        failure_level: None,
        fields: &["program", "path"],
        doc: "a valid entry of the shared cache was served: no helper ran",
    },
    EventInfo {
        event: Event::SharedCacheWrite,
        name: "shared_cache.write",
        level: Level::Info,
        failure_level: None,
        fields: &["program", "path"],
        doc: "the helper's credentials were written to the shared cache",
    },
    EventInfo {
        event: Event::SharedCacheBypass,
        name: "shared_cache.bypass",
        level: Level::Warn,
        failure_level: None,
        fields: &["program", "reason", "[path]", "detail"],
        doc: "the shared cache was bypassed or not written, or a setting ignored: the reason \
              (directory_untrusted, entry_untrusted, lock_unusable, lock_unsupported, no_space, \
              not_written, file_size_limit, ...), the path and what was wrong",
    },
    EventInfo {
        event: Event::SharedCacheLockWait,
        name: "shared_cache.lock_wait",
        level: Level::Debug,
        failure_level: None,
        fields: &["program", "path", "waited_ms", "outcome"],
        doc: "another process held the key's lock: how long this one waited, and how the wait \
              ended (locked, entry, timeout, cancelled)",
    },
    EventInfo {
        event: Event::RefreshStart,
        name: "refresh.start",
        level: Level::Info,
        failure_level: None,
        fields: &["program", "[expires_in_ms]"],
        doc: "a refresh ahead started in the background (time left before the cached \
              credentials expire)",
    },
    EventInfo {
        event: Event::RefreshOk,
        name: "refresh.ok",
        level: Level::Info,
        failure_level: None,
        fields: &["program", "duration_ms"],
        doc: "a refresh ahead replaced the cached credentials",
    },
    EventInfo {
        event: Event::RefreshFail,
        name: "refresh.fail",
        level: Level::Warn,
        failure_level: None,
        fields: &["program", "status", "failures", "backoff_ms"],
        doc: "a refresh ahead failed: the cached credentials are kept; its status, the \
              consecutive failures, and the back-off before the next attempt",
    },
    EventInfo {
        event: Event::RequestCancel,
        name: "request.cancel",
        level: Level::Debug,
        failure_level: None,
        fields: &["program"],
        doc: "an asynchronous request was cancelled",
    },
];

impl Event {
    /// The event's row of [`EVENTS`].
    pub fn info(self) -> &'static EventInfo {
        &EVENTS[self as usize]
    }

    /// The event's stable name, e.g. `helper.exit`.
    pub fn name(self) -> &'static str {
        self.info().name
    }

    /// The event's level (of a success, for `helper.exit`).
    pub fn level(self) -> Level {
        self.info().level
    }

    /// The event named `name`.
    pub fn from_name(name: &str) -> Option<Event> {
        EVENTS.iter().find(|e| e.name == name).map(|e| e.event)
    }
}

impl Display for Event {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_is_in_the_enum_order_with_distinct_names() {
        for (i, e) in EVENTS.iter().enumerate() {
            assert_eq!(e.event as usize, i, "{}", e.name);
            assert_eq!(Event::from_name(e.name), Some(e.event));
            assert_eq!(e.fields[0], "program", "{}", e.name);
        }
        let mut names: Vec<_> = EVENTS.iter().map(|e| e.name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), EVENTS.len());
        assert_eq!(Event::RequestCancel.name(), "request.cancel");
    }

    #[test]
    fn levels_have_the_c_numbers() {
        assert_eq!(Level::Error as u32, 1);
        assert_eq!(Level::Debug as u32, 4);
        assert_eq!(Level::from_u32(0), None);
        assert_eq!(Level::from_u32(3), Some(Level::Info));
        assert_eq!(Level::from_u32(5), None);
        assert!(Level::Error < Level::Debug);
    }
}
