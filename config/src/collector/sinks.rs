//! Where accepted events go: PostHog, ClickHouse and the local JSON Lines files.

use crate::Secret;
use serde::{Deserialize, Serialize};

/// Where and how to forward events to PostHog.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PostHogConfig {
    /// PostHog host, e.g. `https://eu.i.posthog.com`.
    pub host: String,
    /// The project key to forward with.
    pub api_key: Secret,
    /// Events per request. Default 100.
    #[serde(default = "default_posthog_batch")]
    pub batch_size: usize,
    /// Request timeout in milliseconds. Default 10000.
    #[serde(default = "default_timeout_ms")]
    pub timeout_ms: u64,
}

/// Where and how to store events in ClickHouse.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClickHouseConfig {
    /// HTTP(S) endpoint, e.g. `http://127.0.0.1:8123`; `https://` uses TLS with the Mozilla
    /// root certificates (ClickHouse Cloud: `https://HOST:8443`).
    pub url: String,
    /// Database, created at start if missing. Default `hush`.
    #[serde(default = "default_ch_database")]
    pub database: String,
    /// User. Default `default`.
    #[serde(default = "default_ch_user")]
    pub user: String,
    /// Password. Default empty.
    #[serde(default)]
    pub password: Secret,
    /// Rows per insert. Default 1000.
    #[serde(default = "default_ch_batch")]
    pub batch_size: usize,
    /// Longest wait before a partial batch is inserted, in milliseconds. Default 1000.
    #[serde(default = "default_flush_ms")]
    pub flush_interval_ms: u64,
    /// Days of data to keep; older daily partitions are dropped. Default: keep all.
    #[serde(default)]
    pub retention_days: Option<u32>,
}

/// The local JSON Lines sink under `data_dir/events/`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LocalSinkConfig {
    /// Whether the local sink runs. Default true.
    pub enabled: bool,
}

fn default_posthog_batch() -> usize {
    100
}
fn default_timeout_ms() -> u64 {
    10_000
}
fn default_ch_database() -> String {
    "hush".into()
}
fn default_ch_user() -> String {
    "default".into()
}
fn default_ch_batch() -> usize {
    1000
}
fn default_flush_ms() -> u64 {
    1000
}

impl super::CollectorConfig {
    /// Whether any sink section is switched on (accepted events must go somewhere). The
    /// config crate's one list of sink sections, beside their types.
    pub(crate) fn any_sink(&self) -> bool {
        self.local.enabled || self.posthog.is_some() || self.clickhouse.is_some()
    }
}
