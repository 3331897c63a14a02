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
//! It is called on whatever thread emits the event (a caller's, the refresh-ahead thread, or the
//! `pc-async` thread that drives asynchronous requests' runs), never while the library holds one
//! of its locks, so a logger may call the library (read
//! [`stats`](crate::ProcessProvider::stats), say); it must not wait for a retrieve, which on the
//! `pc-async` thread would wait for itself. A panic in a logger is caught and the event
//! dropped. Replacing or removing the logger (and dropping the provider) waits for the calls of
//! the previous one in progress on other threads: once it returns, the previous logger is never
//! called again. A logger must therefore not wait for a thread that is changing the logger.
//!
//! With the feature `log`, `ProcessProvider::log_to_facade` sends the events to the `log` crate
//! (target `processcreds`); with the feature `tracing`, `ProcessProvider::log_to_tracing` sends
//! them to `tracing`, as aws-sdk-rust logs.

mod events;
mod message;
mod stats;

#[cfg(any(feature = "log", feature = "tracing"))]
mod facade;

use std::fmt::{Display, Write as _};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use parking_lot::RwLock;

pub use events::{Event, EventInfo, Level, EVENTS};
pub use message::fields;
pub(crate) use message::{status_name, Message, Millis};
pub(crate) use stats::Counters;
pub use stats::Stats;

use message::write_value;

#[cfg(any(feature = "log", feature = "tracing"))]
pub(crate) use facade::*;

use crate::error::{Error, Status};
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
            Err(e) if e.status() == Status::Canceled => event!(
                self,
                Event::HelperExit,
                "status" = status_name(e.status()),
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
}
