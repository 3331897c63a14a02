//! Observability (README.md, "Observability"): the events a provider emits to a logger, and its
//! counters ([`Stats`]).
//!
//! # Events
//!
//! Each event has a stable name, a level and a message of `key=value` fields (logfmt: values
//! with a space, a quote, `=` or a control character are quoted and escaped as Go's
//! `strconv.Quote` does), listed in [`EVENTS`], the one table every binding and the README's
//! event table are checked against. Every message starts with `program=`: the file name of the
//! program the provider runs (an argv's first element; for a command string, its first command
//! word as the shared cache's scanner finds it, or `sh` when it cannot tell). No event ever
//! holds a secret key, a session token, the helper's output or the helper's arguments.
//!
//! Events are emitted where things happen: around each run of the helper, in the cache, in the
//! shared cache and in a refresh ahead. An event is formatted only when a logger wants its
//! level: with no logger, or one whose level is below the event's, emitting costs one relaxed
//! atomic load and a comparison.
//!
//! # Loggers
//!
//! [`ProcessProvider::set_logger`](crate::ProcessProvider::set_logger) installs a closure
//! `Fn(Level, &str /* event */, &str /* message */)` with the least important level it wants.
//! It is called on whatever thread emits the event (a caller's, the refresh-ahead thread), never
//! while the library holds one of its locks, so a logger may call the library (read
//! [`stats`](crate::ProcessProvider::stats), say). A panic in a logger is caught and the event
//! dropped. Replacing or removing the logger (and dropping the provider) waits for the calls of
//! the previous one in progress on other threads: once it returns, the previous logger is never
//! called again. A logger must therefore not wait for a thread that is changing the logger.
//!
//! With the feature `log`, `ProcessProvider::log_to_facade` sends the events to the `log` crate
//! (target `processcreds`); with the feature `tracing`, `ProcessProvider::log_to_tracing` sends
//! them to `tracing`, as aws-sdk-rust logs.

mod stats;

#[cfg(any(feature = "log", feature = "tracing"))]
mod facade;

use std::fmt::{self, Display, Write as _};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use parking_lot::RwLock;

pub(crate) use stats::Counters;
pub use stats::Stats;

#[cfg(any(feature = "log", feature = "tracing"))]
pub(crate) use facade::*;

use crate::error::{Error, Status};

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
              (execution, timeout, parse, version, required, internal), the exit code or signal \
              of a failed exit, how long it ran, how many bytes it printed on stdout",
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

/// The `key=value` fields of an event's message, values unquoted, in order. Text that is not a
/// field is skipped.
///
/// ```
/// use processcreds::observe::fields;
///
/// let f = fields(r#"program=helper status=ok duration_ms=1.250 detail="a b\"c""#);
/// assert_eq!(f[0], ("program".to_owned(), "helper".to_owned()));
/// assert_eq!(f[3], ("detail".to_owned(), "a b\"c".to_owned()));
/// ```
pub fn fields(message: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut rest = message.trim_start();
    while !rest.is_empty() {
        let Some(eq) = rest.find('=') else { break };
        let key = rest[..eq].trim().to_owned();
        rest = &rest[eq + 1..];
        let value;
        if let Some(quoted) = rest.strip_prefix('"') {
            let (v, used) = unquote(quoted);
            value = v;
            rest = &quoted[used..];
        } else {
            let end = rest.find(' ').unwrap_or(rest.len());
            value = rest[..end].to_owned();
            rest = &rest[end..];
        }
        out.push((key, value));
        rest = rest.trim_start();
    }
    out
}

/// The text of a quoted value (after its opening quote) and the bytes used, closing quote
/// included.
fn unquote(s: &str) -> (String, usize) {
    let mut out = String::new();
    let mut chars = s.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '"' => return (out, i + 1),
            '\\' => match chars.next() {
                Some((_, 'n')) => out.push('\n'),
                Some((_, 't')) => out.push('\t'),
                Some((_, 'r')) => out.push('\r'),
                Some((_, 'x')) => {
                    let hex: String = chars.by_ref().take(2).map(|(_, c)| c).collect();
                    if let Some(c) = u32::from_str_radix(&hex, 16).ok().and_then(char::from_u32) {
                        out.push(c);
                    }
                }
                Some((_, c)) => out.push(c),
                None => break,
            },
            c => out.push(c),
        }
    }
    (out, s.len())
}

/// Writes `value` as a logfmt value: bare when it needs no quoting, else quoted with Go's
/// `strconv.Quote` escapes.
fn write_value(out: &mut String, value: &str) {
    let plain = !value.is_empty()
        && value
            .chars()
            .all(|c| !c.is_control() && c != ' ' && c != '"' && c != '=' && c != '\\');
    if plain {
        out.push_str(value);
        return;
    }
    out.push('"');
    for c in value.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if c.is_control() => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// An event's message as given to a logger: its text followed by a NUL byte (for the C ABI,
/// which passes it without copying).
pub(crate) struct Message(String);

impl Message {
    /// The text.
    pub(crate) fn as_str(&self) -> &str {
        &self.0[..self.0.len() - 1]
    }

    /// The text as a NUL-terminated C string, valid while `self` lives.
    pub(crate) fn as_c_ptr(&self) -> *const std::ffi::c_char {
        self.0.as_ptr().cast()
    }
}

/// What a provider's events are given to (the C ABI's callback, a Rust closure, `log`).
pub(crate) type Sink = Arc<dyn Fn(Level, Event, &Message) + Send + Sync>;

/// The installed logger and the least important level it wants.
struct Installed {
    sink: Sink,
    min: Level,
    calls: Arc<Calls>,
}

/// The calls of one installed logger in progress in this process: the process id (high 32 bits)
/// and their number (low 32 bits). Calls counted before a `fork()`, by threads the child does not
/// have, do not count in the child.
#[derive(Default)]
struct Calls(AtomicU64);

const COUNT: u64 = 0xffff_ffff;

impl Calls {
    fn update(&self, f: impl Fn(u64, u64) -> u64) {
        let pid = u64::from(std::process::id());
        let _ = self
            .0
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |v| Some(f(v, pid)));
    }

    fn enter(&self) {
        self.update(|v, pid| if v >> 32 == pid { v + 1 } else { pid << 32 | 1 });
    }

    fn leave(&self) {
        self.update(|v, pid| {
            if v >> 32 == pid && v & COUNT > 0 {
                v - 1
            } else {
                v
            }
        });
    }

    fn in_progress(&self) -> u64 {
        let v = self.0.load(Ordering::Acquire);
        if v >> 32 == u64::from(std::process::id()) {
            v & COUNT
        } else {
            0
        }
    }
}

thread_local! {
    /// The loggers this thread is calling now (a logger may emit through the library again).
    static CALLING: std::cell::RefCell<Vec<usize>> = const { std::cell::RefCell::new(Vec::new()) };
}

fn calls_id(c: &Arc<Calls>) -> usize {
    Arc::as_ptr(c) as usize
}

/// A provider's observer: its logger, with the level read on hot paths, the program name its
/// messages start with, and its counters.
pub(crate) struct Observer {
    /// The installed logger's level as a number; 0: none. Read with a relaxed load.
    min: AtomicU32,
    slot: RwLock<Option<Installed>>,
    program: Box<str>,
    pub(crate) counters: Counters,
}

impl Observer {
    /// An observer with no logger, for a provider running `program` (a file name, see the
    /// module's documentation).
    pub(crate) fn new(program: impl Into<Box<str>>) -> Observer {
        Observer {
            min: AtomicU32::new(0),
            slot: RwLock::new(None),
            program: program.into(),
            counters: Counters::default(),
        }
    }

    /// Whether the logger wants events of `level`: one relaxed load.
    #[inline(always)]
    pub(crate) fn enabled(&self, level: Level) -> bool {
        level as u32 <= self.min.load(Ordering::Relaxed)
    }

    /// Installs `sink` for the events of `min` and more important ones (`None`: no logger);
    /// returns once the calls of the previous logger in progress on other threads have
    /// returned.
    pub(crate) fn set(&self, sink: Option<(Sink, Level)>) {
        self.min.store(0, Ordering::Relaxed);
        let min = sink.as_ref().map_or(0, |(_, l)| *l as u32);
        let old = std::mem::replace(
            &mut *self.slot.write(),
            sink.map(|(sink, min)| Installed {
                sink,
                min,
                calls: Arc::default(),
            }),
        );
        self.min.store(min, Ordering::Relaxed);
        if let Some(old) = old {
            wait_for_calls(&old.calls);
        }
    }

    /// Formats and gives the event to the logger, if it wants `level`.
    #[cold]
    #[inline(never)]
    pub(crate) fn emit(&self, event: Event, level: Level, fields: &[(&str, &dyn Display)]) {
        debug_assert!(fields.iter().all(|(k, _)| event
            .info()
            .fields
            .iter()
            .any(|f| f.trim_matches(['[', ']']) == *k)));
        let (sink, calls) = match &*self.slot.read() {
            Some(i) if level <= i.min => {
                i.calls.enter();
                (i.sink.clone(), i.calls.clone())
            }
            _ => return,
        };
        let mut text = String::with_capacity(96);
        text.push_str("program=");
        write_value(&mut text, &self.program);
        let mut value = String::new();
        for (key, v) in fields {
            value.clear();
            let _ = write!(value, "{v}");
            text.push(' ');
            text.push_str(key);
            text.push('=');
            write_value(&mut text, &value);
        }
        text.push('\0');
        let message = Message(text);
        let id = calls_id(&calls);
        CALLING.with(|c| c.borrow_mut().push(id));
        // A panicking logger loses its event; it never unwinds into the library.
        let _ = catch_unwind(AssertUnwindSafe(|| sink(level, event, &message)));
        CALLING.with(|c| c.borrow_mut().pop());
        calls.leave();
    }

    /// A run of the helper starts: `helper.start`, counted. Returns its start time.
    pub(crate) fn helper_start(&self) -> Instant {
        self.counters.helper_started();
        event!(self, Event::HelperStart);
        Instant::now()
    }

    /// A run of the helper that started at `start` ended with `result` (`bytes` printed on
    /// stdout, when it got that far); `timeout` is the run's.
    pub(crate) fn helper_end<T>(
        &self,
        start: Instant,
        timeout: Duration,
        bytes: usize,
        result: &Result<T, Error>,
    ) {
        let took = start.elapsed();
        let status = result.as_ref().err().map(Error::status);
        self.counters.helper_ended(took, status);
        let ms = Millis(took);
        match result {
            Ok(_) => event!(
                self,
                Event::HelperExit,
                "status" = "ok",
                "duration_ms" = ms,
                "bytes" = bytes
            ),
            Err(e) => {
                if e.status() == Status::Timeout {
                    event!(
                        self,
                        Event::HelperTimeout,
                        "timeout_ms" = timeout.as_millis(),
                        "duration_ms" = ms,
                    );
                }
                // Every helper.start has its helper.exit (after helper.timeout, status=timeout).
                if self.enabled(Level::Warn) {
                    let cause = e.cause().unwrap_or("");
                    let status = status_name(e.status());
                    if let Some(code) = cause.strip_prefix("exit status ") {
                        self.emit(
                            Event::HelperExit,
                            Level::Warn,
                            &[
                                ("status", &status),
                                ("exit", &code),
                                ("duration_ms", &ms),
                                ("bytes", &bytes),
                            ],
                        );
                    } else if let Some(sig) = cause.strip_prefix("signal: ") {
                        self.emit(
                            Event::HelperExit,
                            Level::Warn,
                            &[
                                ("status", &status),
                                ("signal", &sig),
                                ("duration_ms", &ms),
                                ("bytes", &bytes),
                            ],
                        );
                    } else {
                        self.emit(
                            Event::HelperExit,
                            Level::Warn,
                            &[("status", &status), ("duration_ms", &ms), ("bytes", &bytes)],
                        );
                    }
                }
            }
        }
    }
}

/// Waits until no thread but this one (in the frames calling it) calls `old`.
fn wait_for_calls(old: &Arc<Calls>) {
    let id = calls_id(old);
    let mine = CALLING.with(|c| c.borrow().iter().filter(|&&x| x == id).count()) as u64;
    let mut spins = 0u32;
    while old.in_progress() > mine {
        spins += 1;
        if spins < 100 {
            std::thread::yield_now();
        } else {
            std::thread::sleep(Duration::from_micros(200));
        }
    }
}

/// A status as an event gives it: `execution`, `timeout`, ... (its C name, lower case, without
/// `PC_STATUS_`).
pub(crate) fn status_name(s: Status) -> String {
    s.name()
        .trim_start_matches("PC_STATUS_")
        .to_ascii_lowercase()
}

/// A duration as milliseconds with three decimals.
pub(crate) struct Millis(pub Duration);

impl Display for Millis {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let us = self.0.as_micros();
        write!(f, "{}.{:03}", us / 1000, us % 1000)
    }
}

/// Emits `event` through an [`Observer`] if its logger wants the event's level (or `level`):
/// `event!(obs, Event::X, "key" = value, ...)`; the values are formatted only then.
macro_rules! event {
    ($obs:expr, $event:expr $(, $key:literal = $value:expr)* $(,)?) => {{
        let obs: &$crate::observe::Observer = $obs;
        let event: $crate::observe::Event = $event;
        let level = event.level();
        if obs.enabled(level) {
            obs.emit(event, level, &[$(($key, &$value as &dyn ::std::fmt::Display)),*]);
        }
    }};
}
pub(crate) use event;

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

    #[test]
    fn values_are_quoted_when_they_must_be_and_parse_back() {
        let mut s = String::new();
        for v in [
            "plain",
            "",
            "a b",
            "q\"uote",
            "k=v",
            "back\\slash",
            "nl\nx",
            "\u{1}",
        ] {
            s.clear();
            s.push_str("k=");
            write_value(&mut s, v);
            let parsed = fields(&s);
            assert_eq!(parsed, vec![("k".to_owned(), v.to_owned())], "{s}");
        }
        let mut s = String::new();
        write_value(&mut s, "plain/path.entry");
        assert_eq!(s, "plain/path.entry");
    }

    #[test]
    fn messages_start_with_the_program_and_follow_the_table() {
        let obs = Observer::new("my helper");
        let seen = Arc::new(parking_lot::Mutex::new(Vec::new()));
        let s = seen.clone();
        obs.set(Some((
            Arc::new(move |l: Level, e: Event, m: &Message| {
                s.lock().push((l, e, m.as_str().to_owned()))
            }),
            Level::Info,
        )));
        event!(&obs, Event::CacheHit);
        event!(&obs, Event::SharedCacheWrite, "path" = "/tmp/x y");
        let got = seen.lock().clone();
        assert_eq!(
            got,
            vec![(
                Level::Info,
                Event::SharedCacheWrite,
                r#"program="my helper" path="/tmp/x y""#.to_owned()
            )]
        );
        obs.set(None);
        event!(&obs, Event::SharedCacheWrite, "path" = "/tmp/x");
        assert_eq!(seen.lock().len(), 1);
    }

    #[test]
    fn a_panicking_logger_loses_its_event_only() {
        let obs = Observer::new("h");
        obs.set(Some((
            Arc::new(|_: Level, _: Event, _: &Message| panic!("logger")),
            Level::Debug,
        )));
        event!(&obs, Event::CacheMiss);
        obs.set(None);
    }

    #[test]
    fn millis_have_three_decimals() {
        assert_eq!(
            Millis(Duration::from_micros(1_234_567)).to_string(),
            "1234.567"
        );
        assert_eq!(Millis(Duration::from_micros(5)).to_string(), "0.005");
    }
}
