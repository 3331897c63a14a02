//! The logging crates a Rust program already uses: `log` (feature `log`) and `tracing`
//! (feature `tracing`), target `processcreds`. Each gives a sink and the least important level
//! the crate's current filter lets through (read when the sink is installed).

use std::sync::Arc;

use super::{Event, Level, Message, Sink};

/// A sink for the `log` facade, and the level `log::max_level()` lets through now (`None`: off).
#[cfg(feature = "log")]
pub(crate) fn log_sink() -> (Sink, Option<Level>) {
    fn to_log(l: Level) -> log::Level {
        match l {
            Level::Error => log::Level::Error,
            Level::Warn => log::Level::Warn,
            Level::Info => log::Level::Info,
            Level::Debug => log::Level::Debug,
        }
    }
    let sink: Sink = Arc::new(|level: Level, event: Event, message: &Message| {
        let level = to_log(level);
        if log::log_enabled!(target: "processcreds", level) {
            log::logger().log(
                &log::Record::builder()
                    .level(level)
                    .target("processcreds")
                    .module_path_static(Some("processcreds"))
                    .args(format_args!("{event}: {}", message.as_str()))
                    .build(),
            );
        }
    });
    let min = match log::max_level() {
        log::LevelFilter::Off => None,
        log::LevelFilter::Error => Some(Level::Error),
        log::LevelFilter::Warn => Some(Level::Warn),
        log::LevelFilter::Info => Some(Level::Info),
        log::LevelFilter::Debug | log::LevelFilter::Trace => Some(Level::Debug),
    };
    (sink, min)
}

/// A sink for `tracing` (each event a `tracing` event with the field `event` and the message),
/// and the level the current subscribers let through (`None`: off).
#[cfg(feature = "tracing")]
pub(crate) fn tracing_sink() -> (Sink, Option<Level>) {
    let sink: Sink = Arc::new(|level: Level, event: Event, message: &Message| {
        let (e, m) = (event.name(), message.as_str());
        match level {
            Level::Error => tracing::error!(target: "processcreds", event = e, "{e}: {m}"),
            Level::Warn => tracing::warn!(target: "processcreds", event = e, "{e}: {m}"),
            Level::Info => tracing::info!(target: "processcreds", event = e, "{e}: {m}"),
            Level::Debug => tracing::debug!(target: "processcreds", event = e, "{e}: {m}"),
        }
    });
    let min = match tracing::level_filters::LevelFilter::current().into_level() {
        None => None,
        Some(tracing::Level::ERROR) => Some(Level::Error),
        Some(tracing::Level::WARN) => Some(Level::Warn),
        Some(tracing::Level::INFO) => Some(Level::Info),
        Some(_) => Some(Level::Debug),
    };
    (sink, min)
}
