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
    /// A PostHog personal API key (`phx_…`) with the `person:write` scope, so that an
    /// erase also deletes the person in PostHog. Needs `project_id`. Default: none (an
    /// erase receipt then says PostHog keeps its copy).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub personal_api_key: Option<Secret>,
    /// The PostHog project id (a number, from the project settings) the personal API key
    /// deletes persons in. Default: none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub project_id: Option<u64>,
    /// Where PostHog's API answers, for deleting persons. Default: `host`, with PostHog
    /// Cloud's ingest hosts (`https://us.i.posthog.com`, `https://eu.i.posthog.com`)
    /// mapped to their app hosts (`https://us.posthog.com`, `https://eu.posthog.com`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_host: Option<String>,
}

impl PostHogConfig {
    /// The host of PostHog's API (see [`api_host`](Self::api_host)).
    pub fn api_host(&self) -> String {
        if let Some(host) = &self.api_host {
            return host.trim_end_matches('/').to_owned();
        }
        let host = self.host.trim_end_matches('/');
        match host.split_once("://") {
            Some((scheme, rest)) if rest.ends_with(".i.posthog.com") => {
                let region = rest.trim_end_matches(".i.posthog.com");
                format!("{scheme}://{region}.posthog.com")
            }
            _ => host.to_owned(),
        }
    }
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

/// How a sink section switches its sink on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Switch {
    /// `<name>.enabled`, on by default: the local sink.
    Enabled,
    /// The `[<name>]` table being set.
    Table,
}

/// One sink section of the file, for the checks that span every sink.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct SinkSection {
    /// The section's name, as in `[posthog]`.
    pub name: &'static str,
    /// How the section switches its sink on.
    pub switch: Switch,
    /// Whether it does in this configuration.
    pub on: bool,
}

impl super::CollectorConfig {
    /// Every sink section: the config crate's one list of sinks, beside their types. A new
    /// sink adds its line here.
    pub(crate) fn sink_sections(&self) -> [SinkSection; 3] {
        let section = |name, switch, on| SinkSection { name, switch, on };
        [
            section("local", Switch::Enabled, self.local.enabled),
            section("posthog", Switch::Table, self.posthog.is_some()),
            section("clickhouse", Switch::Table, self.clickhouse.is_some()),
        ]
    }

    /// Whether any sink section is switched on (accepted events must go somewhere).
    pub(crate) fn any_sink(&self) -> bool {
        self.sink_sections().iter().any(|s| s.on)
    }
}
