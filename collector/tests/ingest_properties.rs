//! The network-facing parsers never panic and never echo what they were given.

use hush_collector::pipeline::parse_event;
use hush_collector::routes::ApiError;
use hush_collector::routes::{decode_body, Budget, Compression, Envelope};
use hush_config::LimitsConfig;
use proptest::prelude::*;
use serde_json::Value;

fn limits() -> LimitsConfig {
    LimitsConfig {
        max_body_bytes: 64 * 1024,
        max_json_depth: 16,
        max_string_bytes: 1024,
        ..LimitsConfig::default()
    }
}

/// Everything ingest does with a body before it looks up the tenant: decode, read the top
/// level, count every event against the limits.
fn read_body(bytes: &[u8], form: bool, compression: Compression) -> Result<usize, ApiError> {
    let limits = limits();
    let decoded = decode_body(bytes, form, compression, &limits)?;
    let envelope = Envelope::read(&decoded, &limits)?;
    let mut budget = Budget::new(&limits);
    for event in &envelope.events {
        budget.check(event, envelope.depth)?;
    }
    Ok(envelope.events.len())
}

fn arb_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        "\\PC{0,40}".prop_map(Value::from),
    ];
    leaf.prop_recursive(6, 64, 8, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..8).prop_map(Value::Array),
            prop::collection::btree_map(
                prop_oneof![
                    Just("event".to_string()),
                    Just("distinct_id".to_string()),
                    Just("properties".to_string()),
                    Just("uuid".to_string()),
                    Just("timestamp".to_string()),
                    Just("batch".to_string()),
                    Just("api_key".to_string()),
                    "[a-z_$]{1,12}",
                ],
                inner,
                0..8
            )
            .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn decode_never_panics_on_bytes(bytes in prop::collection::vec(any::<u8>(), 0..2048), form in any::<bool>(), gzip in any::<bool>()) {
        let compression = if gzip { Compression::Gzip } else { Compression::None };
        let _ = read_body(&bytes, form, compression);
        let _ = read_body(&bytes, form, Compression::Base64);
    }

    #[test]
    fn errors_never_echo_the_body(secret in "[a-z]{12}@example\\.com", cut in 0usize..60) {
        let body = format!("{{\"api_key\": \"phc_x\", \"batch\": [{{\"event\": \"{secret}\", \"distinct_id\": \"{secret}\"}}]}}");
        let truncated = &body.as_bytes()[..body.len().saturating_sub(cut + 1)];
        if let Err(e) = read_body(truncated, false, Compression::None) {
            prop_assert!(!e.to_string().contains(&secret));
        }
    }

    #[test]
    fn any_json_is_read_or_refused_by_code(value in arb_json()) {
        let body = serde_json::to_vec(&value).unwrap();
        match read_body(&body, false, Compression::None) {
            Ok(_) => {}
            Err(e) => prop_assert!(!e.code().is_empty()),
        }
    }

    #[test]
    fn parse_event_never_panics_and_names_a_field(value in arb_json()) {
        match parse_event(value) {
            Ok((_, event)) => {
                prop_assert!(!event.name.trim().is_empty());
                prop_assert!(!event.distinct_id.trim().is_empty());
                prop_assert_eq!(event.uuid.hyphenated().to_string().len(), 36);
            }
            Err(e) => prop_assert!(!e.field.is_empty()),
        }
    }
}
