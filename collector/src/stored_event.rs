//! The event the pipeline builds once and every sink reads: scrubbed, hashed, typed.
//!
//! On the queue it travels as JSON in the shape queues have always held —
//! `{"tenant", "received_at", "event": {"event", "distinct_id", "uuid", "timestamp",
//! "properties"}}` — so records written by an older collector still decode.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;
use uuid::Uuid;

/// One event after policy, scrubbing and hashing, as queued for the sinks.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "Record", into = "Record")]
pub struct StoredEvent {
    /// The tenant's name (not its key).
    pub tenant: String,
    /// When the collector accepted the event (UTC).
    pub received_at: OffsetDateTime,
    /// The event's name.
    pub name: String,
    /// The distinct id, re-hashed under the tenant's key.
    pub distinct_id: String,
    /// The event's uuid (the client's, or generated at ingest).
    pub uuid: Uuid,
    /// When the event happened: the client's timestamp, or `received_at`.
    pub timestamp: OffsetDateTime,
    /// The scrubbed properties.
    pub properties: Map<String, Value>,
}

impl StoredEvent {
    /// The event in PostHog's shape: `{"event", "distinct_id", "uuid", "timestamp",
    /// "properties"}`.
    pub fn to_posthog(&self) -> Map<String, Value> {
        let mut out = Map::with_capacity(5);
        out.insert("event".into(), Value::String(self.name.clone()));
        out.insert(
            "distinct_id".into(),
            Value::String(self.distinct_id.clone()),
        );
        out.insert(
            "uuid".into(),
            Value::String(self.uuid.hyphenated().to_string()),
        );
        out.insert("timestamp".into(), Value::String(rfc3339(self.timestamp)));
        out.insert("properties".into(), Value::Object(self.properties.clone()));
        out
    }

    /// `received_at` as RFC 3339.
    pub fn received_at_rfc3339(&self) -> String {
        rfc3339(self.received_at)
    }
}

/// What identifies an event across retries and replays: its tenant (a 64-bit hash of the
/// name, see [`tenant_key`]) and its uuid. 24 bytes, so windows of them cost a few MB; two
/// tenants' names colliding *and* sharing a uuid is not a concern.
pub type ReplayKey = (u64, u128);

/// The tenant half of a [`ReplayKey`]: the first 8 bytes of the name's BLAKE3 hash.
pub fn tenant_key(tenant: &str) -> u64 {
    let hash = blake3::hash(tenant.as_bytes());
    u64::from_le_bytes(hash.as_bytes()[..8].try_into().expect("8 bytes"))
}

/// RFC 3339 text of a time (formatting an in-range `OffsetDateTime` cannot fail).
pub fn rfc3339(at: OffsetDateTime) -> String {
    at.format(&Rfc3339)
        .unwrap_or_else(|_| at.unix_timestamp().to_string())
}

/// The queue's JSON shape of a [`StoredEvent`].
#[derive(Serialize, Deserialize)]
struct Record {
    tenant: String,
    received_at: String,
    event: RecordEvent,
}

#[derive(Serialize, Deserialize)]
struct RecordEvent {
    event: String,
    distinct_id: String,
    uuid: String,
    timestamp: String,
    #[serde(default)]
    properties: Map<String, Value>,
}

/// Why a queue record is not a stored event (names the field, never its value).
#[derive(Debug, thiserror::Error)]
#[error("the record's `{0}` is malformed")]
pub struct RecordError(&'static str);

impl TryFrom<Record> for StoredEvent {
    type Error = RecordError;

    fn try_from(r: Record) -> Result<Self, RecordError> {
        let time = |text: &str, field| {
            OffsetDateTime::parse(text, &Rfc3339).map_err(|_| RecordError(field))
        };
        Ok(StoredEvent {
            received_at: time(&r.received_at, "received_at")?,
            timestamp: time(&r.event.timestamp, "timestamp")?,
            uuid: Uuid::parse_str(&r.event.uuid).map_err(|_| RecordError("uuid"))?,
            tenant: r.tenant,
            name: r.event.event,
            distinct_id: r.event.distinct_id,
            properties: r.event.properties,
        })
    }
}

impl From<StoredEvent> for Record {
    fn from(e: StoredEvent) -> Self {
        Record {
            tenant: e.tenant,
            received_at: rfc3339(e.received_at),
            event: RecordEvent {
                event: e.name,
                distinct_id: e.distinct_id,
                uuid: e.uuid.hyphenated().to_string(),
                timestamp: rfc3339(e.timestamp),
                properties: e.properties,
            },
        }
    }
}

/// A test uuid carrying a short tag (`u11`, at most 6 bytes) in its last 12 hex digits, so
/// tests can name events and read the names back ([`tag_of`]).
#[cfg(test)]
pub(crate) fn uuid_of(tag: &str) -> String {
    assert!(tag.len() <= 6, "tags are at most 6 bytes");
    let hex: String = tag.bytes().map(|b| format!("{b:02x}")).collect();
    format!("00000000-0000-4000-8000-{hex:0>12}")
}

/// The tag of a test uuid made by [`uuid_of`].
#[cfg(test)]
pub(crate) fn tag_of(uuid: &str) -> String {
    let hex = uuid[24..].trim_start_matches('0');
    let hex = if hex.len() % 2 == 1 {
        format!("0{hex}")
    } else {
        hex.to_owned()
    };
    let bytes: Vec<u8> = (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).expect("a test uuid"))
        .collect();
    String::from_utf8(bytes).expect("a test uuid")
}

#[cfg(test)]
impl StoredEvent {
    /// A stored event from its queue JSON's parts, for tests.
    pub(crate) fn for_test(tenant: &str, received_at: &str, event: Value) -> Self {
        let record =
            serde_json::json!({"tenant": tenant, "received_at": received_at, "event": event});
        serde_json::from_value(record).expect("a well-formed test event")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn records_of_the_queue_round_trip_and_old_ones_still_decode() {
        let old = json!({
            "tenant": "acme",
            "received_at": "2026-11-18T08:20:47.123Z",
            "event": {
                "event": "setup_completed",
                "distinct_id": "h:abc",
                "uuid": "84578881-22D1-4a29-b1aa-fa0a8b42ba37",
                "timestamp": "2026-11-18T10:20:46+02:00",
                "properties": {"duration_ms": 12}
            }
        });
        let stored: StoredEvent = serde_json::from_value(old).unwrap();
        assert_eq!(stored.name, "setup_completed");
        assert_eq!(
            stored.uuid.to_string(),
            "84578881-22d1-4a29-b1aa-fa0a8b42ba37"
        );
        assert_eq!(stored.timestamp.unix_timestamp(), 1_794_990_046);
        let again: StoredEvent =
            serde_json::from_slice(&serde_json::to_vec(&stored).unwrap()).unwrap();
        assert_eq!(again, stored);
        assert_eq!(
            stored.to_posthog()["properties"],
            json!({"duration_ms": 12})
        );
        assert_eq!(tag_of(&uuid_of("u11")), "u11");
        assert_eq!(tag_of(&uuid_of("v0")), "v0");
    }

    #[test]
    fn a_malformed_record_names_the_field() {
        let bad = json!({"tenant": "t", "received_at": "yesterday",
            "event": {"event": "e", "distinct_id": "d", "uuid": "u", "timestamp": "t"}});
        let err = serde_json::from_value::<StoredEvent>(bad)
            .unwrap_err()
            .to_string();
        assert!(err.contains("received_at"), "{err}");
        assert!(!err.contains("yesterday"), "{err}");
    }
}
