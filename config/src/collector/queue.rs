//! The durable queue between ingest and the sinks.

use serde::{Deserialize, Serialize};

/// The durable queue.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QueueConfig {
    /// Disk cap for queued events, in bytes; ingest answers 503 when full. Default 1 GiB.
    pub max_bytes: u64,
    /// Size of one log segment, in bytes. Default 64 MiB.
    pub segment_bytes: u64,
    /// The fraction of `max_bytes` one tenant may hold in the queue (`0 < share <= 1`):
    /// a tenant at its share gets `503` while the others are still accepted. Default:
    /// half the cap when more than one tenant is configured, the whole cap with one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tenant_share: Option<f64>,
}

impl QueueConfig {
    /// The bytes one tenant may hold in the queue, out of `tenants` tenants
    /// (see [`QueueConfig::tenant_share`]); `None` means only the whole cap applies.
    pub fn max_tenant_bytes(&self, tenants: usize) -> Option<u64> {
        let share = match self.tenant_share {
            Some(share) => share,
            None if tenants > 1 => 0.5,
            None => return None,
        };
        // The cap fits an f64 exactly enough: a share is a policy, not an accounting.
        Some((self.max_bytes as f64 * share) as u64)
    }
}

impl Default for QueueConfig {
    fn default() -> Self {
        QueueConfig {
            max_bytes: 1 << 30,
            segment_bytes: 64 << 20,
            tenant_share: None,
        }
    }
}
