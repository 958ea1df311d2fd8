//! hush-collector: the self-hosted collector.
//!
//! Data flows one way: ingest ([`routes`]) → [`pipeline`] (policy → scrub → hash) →
//! durable [`queue`] → [`sinks`] (local JSON Lines, PostHog, ClickHouse). An event is
//! acknowledged only once it is on disk. `hush-collector scrub` runs the
//! same pipeline over JSON Lines.

pub mod dev_tenant;
pub mod drop_reason;
pub mod erasures;
pub mod listener;
pub mod metrics;
pub mod pipeline;
pub mod queue;
pub mod report;
pub mod rights;
pub mod routes;
pub mod server;
pub mod sinks;
pub mod stored_event;

pub use routes::router;
pub use server::{build_scrubber, serve, serve_on, Collector, Listeners, ServeError};
