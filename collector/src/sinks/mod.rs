//! Sinks: where queued events go — local JSON Lines files ([`LocalSink`]), PostHog
//! ([`PostHogSink`]), ClickHouse ([`ClickHouseSink`]) — and the runner ([`spawn_sink`]) that
//! drains one queue reader into each, with retries, backoff and one counted outcome per
//! event.

mod backoff;
pub mod clickhouse;
pub mod local;
pub mod posthog;
pub mod retention;
pub mod runner;
mod sink;
mod start;

pub use self::backoff::{parse_retry_after, Backoff, MAX_RETRY_AFTER};
pub use self::clickhouse::ClickHouseSink;
pub use self::local::{LocalSink, LocalStats};
pub use self::local::{LOCAL_BATCH, LOCAL_WAIT};
pub use self::posthog::PostHogSink;
pub use self::posthog::POSTHOG_WAIT;
pub use self::runner::{spawn_sink, spawn_sink_with, BatchSource, RunnerOptions};
pub use self::sink::{Delivered, DeliveryError, DeliveryFuture, Sink, SinkError};
pub use self::start::{consumer_names, start_all, BuiltSink, SinkConfig, SinkContext};

use hush_config::CollectorConfig;

/// Every sink section `config` turns on, in a fixed order: the collector's one list of
/// sinks. Adding a sink is four files (ARCHITECTURE.md, "How to add… a sink"): its folder
/// (the sink and `impl SinkConfig` for its section), its `mod` line and one line here, and
/// in the config crate its section's type with its line in `sink_sections` and its field
/// on `CollectorConfig`.
pub fn configured(config: &CollectorConfig) -> Vec<&dyn SinkConfig> {
    let mut sinks: Vec<&dyn SinkConfig> = Vec::new();
    sinks.extend(
        Some(&config.local)
            .filter(|c| c.enabled)
            .map(|c| c as &dyn SinkConfig),
    );
    sinks.extend(config.posthog.as_ref().map(|c| c as &dyn SinkConfig));
    sinks.extend(config.clickhouse.as_ref().map(|c| c as &dyn SinkConfig));
    sinks
}
