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
}
