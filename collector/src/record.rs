//! What the durable queue holds: one scrubbed, hashed event and where it came from.

use serde::{Deserialize, Serialize};

/// One event after policy, scrubbing and hashing, as queued for the sinks.
///
/// `event` is PostHog-shaped: `{"event", "distinct_id", "uuid", "timestamp", "properties"}`,
/// with `distinct_id` already re-hashed under the tenant's key.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredEvent {
    /// The tenant's name (not its key).
    pub tenant: String,
    /// When the collector accepted the event, RFC 3339 UTC.
    pub received_at: String,
    /// The event itself.
    pub event: serde_json::Value,
}

impl StoredEvent {
    /// A top-level string field of the event, or `""`.
    fn str_field(&self, key: &str) -> &str {
        self.event.get(key).and_then(|v| v.as_str()).unwrap_or("")
    }

    /// The event's name.
    pub fn name(&self) -> &str {
        self.str_field("event")
    }

    /// The event's (hashed) distinct id.
    pub fn distinct_id(&self) -> &str {
        self.str_field("distinct_id")
    }

    /// The event's uuid.
    pub fn uuid(&self) -> &str {
        self.str_field("uuid")
    }

    /// The event's timestamp (RFC 3339).
    pub fn timestamp(&self) -> &str {
        self.str_field("timestamp")
    }
}
