//! The policy stage: drop reasons and removal of never-forwarded properties.

use hush_config::Policy;
use serde_json::{Map, Value};

pub use crate::drop_reason::DropReason;

/// Properties the collector itself never keeps: the project key travels in the body, not in
/// the event (posthog-js puts it in `properties.token`), and `distinct_id` is top-level.
const TRANSPORT_PROPERTIES: &[&str] = &["token", "api_key", "distinct_id", "$hush_redactions"];

impl super::Pipeline {
    /// The top-level properties the pipeline removes from every event before scrubbing
    /// (the project key, a copy of `distinct_id`, a client's own redaction counts).
    pub const TRANSPORT_PROPERTIES: &'static [&'static str] = TRANSPORT_PROPERTIES;
}

/// Removes forbidden properties at any depth, and transport fields at the top.
pub fn strip_properties(policy: &Policy, properties: &mut Map<String, Value>) {
    for key in TRANSPORT_PROPERTIES {
        properties.remove(*key);
    }
    strip_object(policy, properties, 0);
}

fn strip_object(policy: &Policy, map: &mut Map<String, Value>, depth: usize) {
    map.retain(|key, _| !policy.is_forbidden_property(key));
    for value in map.values_mut() {
        strip_value(policy, value, depth + 1);
    }
}

fn strip_value(policy: &Policy, value: &mut Value, depth: usize) {
    // Depth is bounded by ingest's limit; this guard only keeps a hostile value from
    // overflowing the stack if that limit is ever raised.
    if depth > 256 {
        *value = Value::Null;
        return;
    }
    match value {
        Value::Object(map) => strip_object(policy, map, depth),
        Value::Array(items) => items
            .iter_mut()
            .for_each(|v| strip_value(policy, v, depth + 1)),
        _ => {}
    }
}
