//! Sinks: where queued events go — local JSON Lines files ([`LocalSink`]), PostHog
//! ([`PostHogSink`]), ClickHouse ([`ClickHouseSink`]) — and the runner ([`spawn_sink`]) that
//! drains one queue reader into each, with retries, backoff and one counted outcome per
//! event.

mod backoff;
pub mod clickhouse;
pub mod local;
pub mod posthog;
pub mod runner;
mod sink;
mod start;

pub use self::backoff::{parse_retry_after, Backoff, MAX_RETRY_AFTER};
pub use self::clickhouse::ClickHouseSink;
pub use self::local::LocalSink;
pub use self::posthog::PostHogSink;
pub use self::runner::{spawn_sink, spawn_sink_with, BatchSource, RunnerOptions};
pub use self::sink::{Delivered, DeliveryError, DeliveryFuture, Sink, SinkError};
pub use self::start::{consumer_names, start_all, LOCAL_BATCH, LOCAL_WAIT, POSTHOG_WAIT};
