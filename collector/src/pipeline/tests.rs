//! The whole pipeline on representative events; snapshots show exactly what leaves.

use super::*;
use hush_config::PolicyConfig;
use serde_json::json;

const SECRET: &[u8] = b"pipeline-test-hash-key-0123456789abcdef";

fn tenants() -> Tenants {
    Tenants::single("phc_k", "acme", SECRET, &PolicyConfig::default())
}

fn run(event: Value) -> (Verdict, BTreeMap<String, u64>) {
    let tenants = tenants();
    let tenant = tenants.get("phc_k").unwrap();
    let pipeline = Pipeline::new(Scrubber::default());
    let (_, incoming) = parse_event(event).unwrap();
    let mut redactions = BTreeMap::new();
    let verdict = pipeline.process(
        tenant,
        incoming,
        time::macros::datetime!(2026-11-23 12:00:00 UTC),
        &mut redactions,
    );
    (verdict, redactions)
}

fn forwarded(event: Value) -> Value {
    match run(event).0 {
        Verdict::Forward(stored) => Value::Object(stored.to_posthog()),
        Verdict::Drop(reason) => panic!("dropped: {}", reason.as_str()),
    }
}

fn dropped(event: Value) -> DropReason {
    match run(event).0 {
        Verdict::Drop(reason) => reason,
        Verdict::Forward(_) => panic!("forwarded"),
    }
}

#[test]
fn basic_event_scrubbed_hashed_and_stripped() {
    let out = forwarded(json!({
        "event": "dev_server_failed",
        "distinct_id": "aef7ac86d66c7a644fb12853ef86dcfa",
        "uuid": "84578881-22d1-4a29-b1aa-fa0a8b42ba37",
        "timestamp": "2026-11-18T08:20:46Z",
        "$set": {"email": "top.level@example.com"},
        "properties": {
            "$telemetry_level": "basic",
            "os": "linux",
            "app_version": "3.13.7",
            "$device_id": "device-raw-1",
            "error": "PrismaClientInitializationError: Can't reach database at postgresql://edescamps:s3cr3t!pw@db.example.com:5432/app [localhost:3000] for ana@example.org",
            "duration_ms": 59214,
            "$ip": "198.51.100.23",
            "$geoip_city_name": "Lyon",
            "context": {"llm_response": "nested answer", "path": "/Users/ana/dev/app/src/index.ts"},
            "$set_once": {"first_seen": "2026-01-01"},
            "token": "phc_k"
        }
    }));
    insta::assert_json_snapshot!(out);
}

#[test]
fn opt_in_event_needs_full() {
    let event = |level: &str| {
        json!({"event": "prompt_sent", "distinct_id": "m",
               "properties": {"$telemetry_level": level, "prompt": "explain error E0308 to me, I am bob@example.com", "model": "gpt-4o", "max_tokens": 4096}})
    };
    assert_eq!(dropped(event("basic")), DropReason::NotOptedIn);
    assert_eq!(
        dropped(json!({"event": "prompt_sent", "distinct_id": "m"})),
        DropReason::NotOptedIn
    );
    let out = forwarded(event("full"));
    assert_eq!(
        out["properties"]["prompt"],
        "explain error E0308 to me, I am [EMAIL]"
    );
    assert_eq!(out["properties"]["max_tokens"], 4096);
}

#[test]
fn chat_responses_and_unknown_events_are_dropped() {
    assert_eq!(
        dropped(
            json!({"event": "chat_response", "distinct_id": "m", "properties": {"$telemetry_level": "full"}})
        ),
        DropReason::ChatResponse
    );
    assert_eq!(
        dropped(json!({"event": "$pageview", "distinct_id": "m"})),
        DropReason::UnknownEvent
    );
    assert_eq!(
        dropped(
            json!({"event": "$identify", "distinct_id": "m", "properties": {"$set": {"email": "x@example.com"}}})
        ),
        DropReason::UnknownEvent
    );
}

#[test]
fn same_id_same_hash_and_counts_are_summarised() {
    let a = forwarded(json!({"event": "setup_completed", "distinct_id": "machine-1"}));
    let b = forwarded(json!({"event": "setup_completed", "distinct_id": "machine-1"}));
    let c = forwarded(json!({"event": "setup_completed", "distinct_id": "machine-2"}));
    assert_eq!(a["distinct_id"], b["distinct_id"]);
    assert_ne!(a["distinct_id"], c["distinct_id"]);
    assert_eq!(
        a["timestamp"], "2026-11-23T12:00:00Z",
        "received_at when none was sent"
    );

    let (verdict, counts) = run(json!({"event": "setup_failed", "distinct_id": "m",
        "properties": {"error": "a@example.com and b@example.com"}}));
    assert_eq!(counts.get("email"), Some(&2));
    let Verdict::Forward(stored) = verdict else {
        panic!()
    };
    assert_eq!(stored.properties[REDACTIONS_PROPERTY]["email"], 2);
}

#[test]
fn a_client_cannot_forge_the_redaction_summary() {
    let out = forwarded(json!({"event": "setup_completed", "distinct_id": "m",
        "properties": {"$hush_redactions": {"email": "x@example.com"}}}));
    assert!(out["properties"].get(REDACTIONS_PROPERTY).is_none());
}
