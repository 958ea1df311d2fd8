//! The projects that may send events.

use crate::{PolicyConfig, Secret};
use serde::{Deserialize, Serialize};

/// The minimum length of a tenant's `hash_key`, in bytes.
pub const MIN_HASH_KEY_BYTES: usize = 32;

/// One project: its key, its name and its secret for pseudonymising ids.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TenantConfig {
    /// A short name, stored in the `tenant` column.
    pub name: String,
    /// The project key that SDKs and PostHog clients send (`phc_...`).
    pub api_key: Secret,
    /// Secret key for hashing `distinct_id`s, at least 32 bytes.
    pub hash_key: Secret,
    /// Additions to the event policy for this tenant only.
    #[serde(default)]
    pub policy: PolicyConfig,
    /// Ready-made policy additions: `["web"]` forwards posthog-js's page events with a
    /// fixed property allowlist (see the README). Default none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub presets: Vec<Preset>,
    /// Web origins (`https://app.example.com`) whose pages may send events with this
    /// project key; a browser on any other origin is refused. Default: any origin, as
    /// PostHog allows for public project keys.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allowed_origins: Option<Vec<String>>,
    /// A bearer token, at least 32 bytes, for this tenant's data-rights admin API
    /// (`/v1/admin/erase`, `/v1/admin/export`, `/v1/admin/stats`): erase and export any
    /// person of this tenant by any id. Default: none (the admin API refuses this tenant).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub admin_token: Option<Secret>,
    /// Days to keep this tenant's stored events; older ones are dropped from the local sink
    /// and ClickHouse at start and every day. Default: keep them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retention_days: Option<u32>,
}

/// A ready-made addition to a tenant's event policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Preset {
    /// posthog-js's `$pageview`, `$pageleave`, `$exception` and `$web_vitals`, with only
    /// the page, browser, device, library and campaign properties.
    Web,
}
