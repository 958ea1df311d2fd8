//! Fixtures for the end-to-end suite: a real ClickHouse started by the project's own
//! script, a PostHog stand-in, the `hush-collector` binary as a child process, and the real
//! PostHog JavaScript clients with headless Chromium.
//!
//! Every network fixture binds 127.0.0.1 only and stops when dropped.

pub mod clickhouse;
pub mod collector_process;
pub mod inprocess;
pub mod js;
pub mod local_sink;
pub mod planted;
pub mod posthog_persons;
pub mod posthog_standin;
pub mod wait;
