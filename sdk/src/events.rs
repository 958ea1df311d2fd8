//! The wire shape of one event. The catalogue itself (names and classes) is
//! [`hush_config::catalogue`], shared with the collector's default policy.
//!
//! Events are built on the caller's thread with only what is cheap (uuid, timestamp, the
//! scrubbed text); the JSON is produced on the worker thread.

use hush_config::consent::Level;
use serde_json::{Map, Value};
use std::borrow::Cow;
use std::sync::Arc;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;
use uuid::Uuid;

/// Longest text property (error, prompt, names) kept, in bytes; longer text is cut at a
/// character boundary. Keeps the queue's memory bounded by its capacity.
pub(crate) const MAX_TEXT_BYTES: usize = 8 * 1024;

pub(crate) use hush_config::catalogue::{
    class_of, DEV_SERVER_FAILED, DEV_SERVER_STARTED, ERROR_REPORT, FEATURE_USED,
    PERFORMANCE_METRIC, PROMPT_SENT, SETUP_COMPLETED, SETUP_FAILED,
};
pub use hush_config::catalogue::{EventClass, CATALOGUE};

/// One property value.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Prop {
    Text(String),
    Number(f64),
}

impl Prop {
    fn to_json(&self) -> Value {
        match self {
            Prop::Text(s) => Value::String(s.clone()),
            Prop::Number(n) => serde_json::Number::from_f64(*n).map_or(Value::Null, Value::Number),
        }
    }
}

/// An event waiting to be sent.
#[derive(Debug, Clone)]
pub(crate) struct Event {
    pub name: Cow<'static, str>,
    pub class: EventClass,
    pub uuid: Uuid,
    pub timestamp: OffsetDateTime,
    /// The level at capture; sent as `$telemetry_level`.
    pub level: Level,
    pub distinct_id: Arc<str>,
    /// Properties shared by every event of this process (or the whole set, for an event
    /// read back from the spool).
    pub common: Arc<Map<String, Value>>,
    /// The event's own properties.
    pub props: Vec<(&'static str, Prop)>,
}

impl Event {
    /// Approximate heap size, for the memory bound.
    pub fn approx_bytes(&self) -> usize {
        let own: usize = self
            .props
            .iter()
            .map(|(k, v)| {
                k.len()
                    + match v {
                        Prop::Text(s) => s.capacity(),
                        Prop::Number(_) => 8,
                    }
            })
            .sum();
        std::mem::size_of::<Event>() + own + self.props.capacity() * 40
    }

    /// The PostHog-shaped JSON object.
    pub fn to_wire(&self) -> Value {
        let mut properties = (*self.common).clone();
        for (k, v) in &self.props {
            properties.insert((*k).to_string(), v.to_json());
        }
        properties.insert("$telemetry_level".into(), self.level.as_str().into());
        // Never sent, whatever a spool file or a future change might put there.
        for key in [
            "$ip",
            "$set",
            "$set_once",
            "hostname",
            "$hostname",
            "username",
            "cwd",
        ] {
            properties.remove(key);
        }
        let mut event = Map::new();
        event.insert("event".into(), Value::String(self.name.to_string()));
        event.insert(
            "distinct_id".into(),
            Value::String(self.distinct_id.to_string()),
        );
        event.insert("uuid".into(), Value::String(self.uuid.to_string()));
        event.insert("timestamp".into(), Value::String(rfc3339(self.timestamp)));
        event.insert("properties".into(), Value::Object(properties));
        Value::Object(event)
    }

    /// Reads back an event written by [`Event::to_wire`] (from the spool). `None` for
    /// anything that is not a catalogued event with a valid uuid and timestamp.
    pub fn from_wire(value: &Value) -> Option<Event> {
        let name = value.get("event")?.as_str()?;
        let class = class_of(name)?;
        let mut properties = value.get("properties")?.as_object()?.clone();
        let level = properties
            .remove("$telemetry_level")
            .and_then(|l| l.as_str().and_then(|s| s.parse::<Level>().ok()))?;
        Some(Event {
            name: Cow::Owned(name.to_string()),
            class,
            uuid: value.get("uuid")?.as_str()?.parse().ok()?,
            timestamp: OffsetDateTime::parse(value.get("timestamp")?.as_str()?, &Rfc3339).ok()?,
            level,
            distinct_id: Arc::from(value.get("distinct_id")?.as_str()?),
            common: Arc::new(properties),
            props: Vec::new(),
        })
    }
}

/// RFC 3339 with the offset; falls back to the Unix epoch text only if formatting fails,
/// which `time` documents cannot happen for UTC dates in range.
pub(crate) fn rfc3339(t: OffsetDateTime) -> String {
    t.format(&Rfc3339)
        .unwrap_or_else(|_| "1970-01-01T00:00:00Z".to_string())
}

/// Cuts `text` to at most [`MAX_TEXT_BYTES`] at a character boundary.
pub(crate) fn truncate(mut text: String) -> String {
    if text.len() > MAX_TEXT_BYTES {
        let mut end = MAX_TEXT_BYTES;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        text.truncate(end);
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_roundtrip() {
        let mut common = Map::new();
        common.insert("os".into(), "linux".into());
        common.insert("$ip".into(), "1.2.3.4".into());
        let e = Event {
            name: Cow::Borrowed(PROMPT_SENT),
            class: EventClass::OptIn,
            uuid: Uuid::new_v4(),
            timestamp: OffsetDateTime::now_utc(),
            level: Level::Full,
            distinct_id: Arc::from("abc"),
            common: Arc::new(common),
            props: vec![
                ("prompt", Prop::Text("hi".into())),
                ("n", Prop::Number(1.5)),
            ],
        };
        let wire = e.to_wire();
        assert_eq!(wire["properties"]["$telemetry_level"], "full");
        assert_eq!(wire["properties"]["prompt"], "hi");
        assert!(wire["properties"].get("$ip").is_none());
        let back = Event::from_wire(&wire).unwrap();
        assert_eq!(back.uuid, e.uuid);
        assert_eq!(back.class, EventClass::OptIn);
        assert_eq!(back.level, Level::Full);
        assert_eq!(back.to_wire(), wire);
    }

    #[test]
    fn unknown_events_are_not_read_back() {
        let v = serde_json::json!({"event": "chat_response", "uuid": Uuid::new_v4().to_string(),
            "timestamp": "2024-01-01T00:00:00Z", "distinct_id": "x",
            "properties": {"$telemetry_level": "full"}});
        assert!(Event::from_wire(&v).is_none());
    }

    #[test]
    fn truncates_at_char_boundary() {
        let s = "é".repeat(MAX_TEXT_BYTES);
        let t = truncate(s);
        assert!(t.len() <= MAX_TEXT_BYTES);
        assert!(t.len() > MAX_TEXT_BYTES - 2);
    }
}
