//! The provider's logger: `pc_set_logger`, its callback type `pc_log_cb` and the levels
//! `PC_LOG_*` (the numbers of `observe::Level`, checked at compile time).

use std::ffi::{c_char, c_void};
use std::sync::Arc;

use super::provider::{pc_provider, setter_target};
use super::*;
use crate::observe::{Event, Level, Message, Sink};

/// `pc_set_logger`: failures (no event has this level today).
pub const PC_LOG_ERROR: u32 = 1;
/// `pc_set_logger`: a failed run of the helper, a timeout, the shared cache bypassed, a failed
/// refresh ahead.
pub const PC_LOG_WARN: u32 = 2;
/// `pc_set_logger`: each run of the helper, shared-cache entries written, refreshes ahead.
pub const PC_LOG_INFO: u32 = 3;
/// `pc_set_logger`: every retrieve (cache hits and misses), shared-cache hits and lock waits.
pub const PC_LOG_DEBUG: u32 = 4;

// The header's levels are the core's (cbindgen needs literals, so they are written above).
const _: () = assert!(PC_LOG_ERROR == Level::Error as u32);
const _: () = assert!(PC_LOG_WARN == Level::Warn as u32);
const _: () = assert!(PC_LOG_INFO == Level::Info as u32);
const _: () = assert!(PC_LOG_DEBUG == Level::Debug as u32);

/// A logger: called with the `user_data` given to `pc_set_logger`, the event's level
/// (`PC_LOG_*`), its name (e.g. `"helper.exit"`) and its message (`key=value` fields, the first
/// `program=`). Both strings are valid for the call only. Called on the thread that emits the
/// event (a caller's, the library's refresh-ahead thread, or its `pc-async` thread for
/// asynchronous requests' runs), possibly from several threads at once, never while the library
/// holds one of its locks (it may call the library, e.g. `pc_provider_stats`, but must not wait
/// for a retrieve, which on `pc-async` would wait for itself); the calling thread's cancellation is deferred meanwhile. It must not
/// unwind (throw) into the library.
pub type pc_log_cb = Option<
    unsafe extern "C" fn(
        user_data: *mut c_void,
        level: u32,
        event: *const c_char,
        message: *const c_char,
    ),
>;

/// A C callback and its user data.
struct CLogger {
    cb: unsafe extern "C" fn(*mut c_void, u32, *const c_char, *const c_char),
    user_data: *mut c_void,
}

// SAFETY: the header's contract: the callback may be called from any thread with `user_data`.
unsafe impl Send for CLogger {}
// SAFETY: as above, from several threads at once.
unsafe impl Sync for CLogger {}

impl CLogger {
    fn call(&self, level: Level, event: Event, message: &Message) {
        let _no_cancel = crate::runner::NoCancel::new();
        // SAFETY: the callback the caller gave, with NUL-terminated strings that live for the
        // call (the event names are static, with a NUL in `name_c`).
        unsafe {
            (self.cb)(
                self.user_data,
                level as u32,
                event_c_name(event),
                message.as_c_ptr(),
            )
        };
    }
}

/// The event's name as a static C string.
fn event_c_name(event: Event) -> *const c_char {
    let name: &'static str = match event {
        Event::HelperStart => "helper.start\0",
        Event::HelperExit => "helper.exit\0",
        Event::HelperTimeout => "helper.timeout\0",
        Event::CacheHit => "cache.hit\0",
        Event::CacheMiss => "cache.miss\0",
        Event::SharedCacheHit => "shared_cache.hit\0",
        Event::SharedCacheWrite => "shared_cache.write\0",
        Event::SharedCacheBypass => "shared_cache.bypass\0",
        Event::SharedCacheLockWait => "shared_cache.lock_wait\0",
        Event::RefreshStart => "refresh.start\0",
        Event::RefreshOk => "refresh.ok\0",
        Event::RefreshFail => "refresh.fail\0",
        Event::RequestCancel => "request.cancel\0",
    };
    static_cstr(name)
}

/// Gives the provider's events of level `min_level` and more important ones to `cb` (see
/// `pc_log_cb`), replacing the logger set before; NULL `cb` or `min_level` 0 removes it. No event
/// is formatted for a level no logger wants: with no logger, a cached `pc_retrieve` costs what it
/// did without one. Returns once the calls of the previous logger in progress on other threads
/// have returned (so its `user_data` may then be freed); `pc_free` does the same, so the logger is
/// never called once `pc_free` returns. A logger must not wait for a thread that is calling
/// `pc_set_logger` or `pc_free` on its provider. `PC_STATUS_INVALID_ARGUMENT` for a NULL provider
/// or a `min_level` above `PC_LOG_DEBUG`.
///
/// The events (name, level, the message's keys after `program`; keys in brackets only when they
/// apply; the README's "Observability" describes each):
///  - helper.start (info): a run of the helper starts.
///  - helper.exit (info; warn when the run gave no credentials): `status [exit] [signal]
///    duration_ms bytes`.
///  - helper.timeout (warn; the helper's tree was killed; its helper.exit follows): `timeout_ms
///    duration_ms`.
///  - cache.hit (debug): `[ahead]`.
///  - cache.miss (debug).
///  - shared_cache.hit (debug): `path`.
///  - shared_cache.write (info): `path`.
///  - shared_cache.bypass (warn): `reason [path] detail`.
///  - shared_cache.lock_wait (debug): `path waited_ms outcome`.
///  - refresh.start (info): `[expires_in_ms]`.
///  - refresh.ok (info): `duration_ms`.
///  - refresh.fail (warn): `status failures backoff_ms`.
///  - request.cancel (debug).
///
/// No message holds a secret key, a session token, the helper's output or its arguments:
/// `program` is the file name of the program run.
#[no_mangle]
pub extern "C" fn pc_set_logger(
    p: *mut pc_provider,
    cb: pc_log_cb,
    user_data: *mut c_void,
    min_level: u32,
) -> u32 {
    ffi_boundary!(PC_STATUS_INTERNAL, {
        // SAFETY: NULL or a live provider (the header's contract).
        let Some(p) = (unsafe { setter_target(p) }) else {
            return PC_STATUS_INVALID_ARGUMENT;
        };
        if min_level > PC_LOG_DEBUG {
            return PC_STATUS_INVALID_ARGUMENT;
        }
        let sink = match (cb, Level::from_u32(min_level)) {
            (Some(cb), Some(min)) => {
                let logger = CLogger { cb, user_data };
                let sink: Sink =
                    Arc::new(move |l: Level, e: Event, m: &Message| logger.call(l, e, m));
                Some((sink, min))
            }
            _ => None,
        };
        p.set_sink(sink);
        PC_STATUS_OK
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::observe::EVENTS;

    #[test]
    fn every_event_has_its_c_name() {
        for e in EVENTS {
            // SAFETY: a static NUL-terminated string.
            let name = unsafe { std::ffi::CStr::from_ptr(event_c_name(e.event)) };
            assert_eq!(name.to_str(), Ok(e.name));
        }
    }

    /// The comment of `pc_set_logger` (the header's) lists every event of the table with its
    /// level and keys.
    #[test]
    fn the_documented_events_are_the_table() {
        let src = include_str!("log.rs");
        let doc: Vec<&str> = src
            .lines()
            .skip_while(|l| !l.starts_with("/// The events (name"))
            .take_while(|l| l.starts_with("///"))
            .collect();
        let text = doc.join(" ").replace("///", " ");
        let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
        for e in EVENTS {
            let start = format!("- {} ({}", e.name, e.level);
            let at = text
                .find(&start)
                .unwrap_or_else(|| panic!("{start} is not documented"));
            let rest = &text[at + start.len()..];
            let end = rest.find(" - ").unwrap_or(rest.len());
            let entry = &rest[..end];
            if let Some(f) = e.failure_level {
                assert!(entry.contains(&format!("{f} when")), "{}: {entry}", e.name);
            }
            let keys = e.fields[1..].join(" ");
            assert!(
                keys.is_empty() || entry.contains(&format!("`{keys}`")),
                "{}: keys {keys} not in {entry}",
                e.name
            );
        }
    }
}
