//! Fixtures for the end-to-end suite: a real ClickHouse started by the project's own
//! script, a PostHog stand-in, and the `hush-collector` binary as a child process.
//!
//! Every network fixture binds 127.0.0.1 only and stops when dropped.

pub mod clickhouse;
pub mod collector_process;
pub mod inprocess;
pub mod planted;
pub mod posthog_standin;
pub mod wait;
