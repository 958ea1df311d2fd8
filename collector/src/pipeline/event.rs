//! Reading one PostHog-shaped event out of JSON, naming the field that is wrong.

use serde_json::{Map, Value};
use std::fmt;

/// Longest accepted event name, in bytes (PostHog's limit is similar).
const MAX_EVENT_NAME: usize = 200;
/// Longest accepted `distinct_id`, in bytes.
const MAX_DISTINCT_ID: usize = 1000;

/// An event as a client sent it, validated but not yet through the pipeline.
#[derive(Debug, Clone, PartialEq)]
pub struct IncomingEvent {
    /// The event name.
    pub name: String,
    /// The raw distinct id (numbers are turned into their decimal text).
    pub distinct_id: String,
    /// The event's uuid (generated when the client sent none).
    pub uuid: uuid::Uuid,
    /// The client's timestamp, if it sent one.
    pub timestamp: Option<time::OffsetDateTime>,
    /// The properties.
    pub properties: Map<String, Value>,
}

/// A field of an event is missing or has the wrong type. Names the field, never its value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct EventError {
    /// The field, e.g. `distinct_id`.
    pub field: &'static str,
    /// What is wrong.
    pub reason: &'static str,
}

impl fmt::Display for EventError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "`{}` {}", self.field, self.reason)
    }
}

fn err(field: &'static str, reason: &'static str) -> EventError {
    EventError { field, reason }
}

/// Reads one event. Returns the project key the event itself carries (`api_key`, `token`,
/// or posthog-js's `properties.token`), if any, and the event.
///
/// # Errors
/// [`EventError`] naming the field when the value is not an object, `event` or
/// `distinct_id` is missing or mistyped, `properties` is not an object, or `uuid` or
/// `timestamp` are malformed.
pub fn parse_event(value: Value) -> Result<(Option<String>, IncomingEvent), EventError> {
    let mut object = match value {
        Value::Object(map) => map,
        _ => return Err(err("event", "must be a JSON object")),
    };
    let mut properties = match object.remove("properties") {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(map)) => map,
        Some(_) => return Err(err("properties", "must be an object")),
    };
    let name = match object.remove("event") {
        Some(Value::String(s)) if !s.trim().is_empty() => s,
        Some(Value::String(_)) | None | Some(Value::Null) => {
            return Err(err("event", "is missing"))
        }
        Some(_) => return Err(err("event", "must be a string")),
    };
    if name.len() > MAX_EVENT_NAME {
        return Err(err("event", "is longer than 200 bytes"));
    }
    // posthog-js sends distinct_id inside properties.
    let raw_id = match object.remove("distinct_id") {
        Some(Value::Null) | None => properties.remove("distinct_id"),
        other => other,
    };
    let distinct_id = match raw_id {
        Some(Value::String(s)) if !s.trim().is_empty() => s,
        Some(Value::Number(n)) => n.to_string(),
        Some(Value::String(_)) | None | Some(Value::Null) => {
            return Err(err("distinct_id", "is missing"))
        }
        Some(_) => return Err(err("distinct_id", "must be a string or a number")),
    };
    if distinct_id.len() > MAX_DISTINCT_ID {
        return Err(err("distinct_id", "is longer than 1000 bytes"));
    }
    let uuid = match object.remove("uuid") {
        None | Some(Value::Null) => uuid::Uuid::new_v4(),
        Some(Value::String(s)) => match uuid::Uuid::parse_str(&s) {
            Ok(u) => u,
            Err(_) => return Err(err("uuid", "is not a valid UUID")),
        },
        Some(_) => return Err(err("uuid", "must be a string")),
    };
    let timestamp = match object.remove("timestamp") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => {
            match time::OffsetDateTime::parse(&s, &time::format_description::well_known::Rfc3339) {
                Ok(at) => Some(at),
                Err(_) => return Err(err("timestamp", "is not an RFC 3339 date-time")),
            }
        }
        Some(_) => return Err(err("timestamp", "must be a string")),
    };
    let key = [object.remove("api_key"), object.remove("token")]
        .into_iter()
        .flatten()
        .chain(properties.get("token").cloned())
        .find_map(|v| match v {
            Value::String(s) if !s.is_empty() => Some(s),
            _ => None,
        });
    Ok((
        key,
        IncomingEvent {
            name,
            distinct_id,
            uuid,
            timestamp,
            properties,
        },
    ))
}

/// A JSON error as its category and position, never the offending text.
pub fn describe_json_error(e: &serde_json::Error) -> String {
    let what = match e.classify() {
        serde_json::error::Category::Io => "unreadable input",
        serde_json::error::Category::Syntax => "malformed JSON",
        serde_json::error::Category::Data => "unexpected JSON type",
        serde_json::error::Category::Eof => "truncated JSON",
    };
    format!("{what} at line {} column {}", e.line(), e.column())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reads_sdk_and_posthog_js_shapes() {
        let (key, e) = parse_event(json!({
            "event": "setup_completed", "distinct_id": "abc",
            "uuid": "84578881-22D1-4a29-b1aa-fa0a8b42ba37", "timestamp": "2026-11-18T08:20:46Z",
            "properties": {"os": "linux"}
        }))
        .unwrap();
        assert_eq!(key, None);
        assert_eq!(e.uuid.to_string(), "84578881-22d1-4a29-b1aa-fa0a8b42ba37");
        let (key, e) = parse_event(json!({
            "event": "setup_completed",
            "properties": {"distinct_id": 42, "token": "phc_js"}
        }))
        .unwrap();
        assert_eq!(key.as_deref(), Some("phc_js"));
        assert_eq!(e.distinct_id, "42");
        assert_eq!(e.uuid.get_version_num(), 4);
    }

    #[test]
    fn names_the_bad_field() {
        let cases = [
            (json!([1]), "event"),
            (json!({"distinct_id": "a"}), "event"),
            (json!({"event": 5, "distinct_id": "a"}), "event"),
            (json!({"event": "x"}), "distinct_id"),
            (json!({"event": "x", "distinct_id": ""}), "distinct_id"),
            (
                json!({"event": "x", "distinct_id": {"a": 1}}),
                "distinct_id",
            ),
            (
                json!({"event": "x", "distinct_id": "a", "properties": []}),
                "properties",
            ),
            (
                json!({"event": "x", "distinct_id": "a", "uuid": "nope"}),
                "uuid",
            ),
            (
                json!({"event": "x", "distinct_id": "a", "timestamp": "yesterday"}),
                "timestamp",
            ),
        ];
        for (value, field) in cases {
            assert_eq!(parse_event(value).unwrap_err().field, field);
        }
    }
}
