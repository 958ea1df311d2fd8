//! Events with planted personal data and secrets, and the check that none of it survived.

use serde_json::{json, Value};

/// The tenant key the suite configures.
pub const TENANT_KEY: &str = "phc_e2e_tenant_project_key";
/// The tenant's hash secret.
pub const TENANT_HASH_KEY: &str = "e2e-tenant-hash-key-0123456789abcdef-0123456789";
/// The key the collector forwards to PostHog with.
pub const FORWARD_KEY: &str = "phc_e2e_forward_key";

/// Values planted in events that must never come out of the collector (as they are).
pub const PLANTED: &[&str] = &[
    "jane.doe+e2e@example.com",
    "ghp_R8x2Lq9ZtW4vYk7NbP3mC6sD1fH5jA0eUoIy",
    "AKIA2E0A8F3B9C7D1Q5R",
    "sk-proj-Qw3rTy7UiOp9AsDf2GhJk4Lz6XcVb8NmQw3rTy7UiOp",
    "4111 1111 1111 1111",
    "203.0.113.77",
    "+44 20 7946 0958",
    "/home/janedoe/",
    "hunter2-Sup3r-Secret!",
    "The assistant says: here is the generated answer text",
];

/// The raw distinct id of event `i`.
pub fn raw_id(i: usize) -> String {
    format!("raw-machine-id-{i:06}-e2e")
}

/// A `setup_failed` event carrying every planted value, with a chat response and person
/// properties that must be removed.
pub fn planted_event(i: usize) -> Value {
    json!({
        "event": "setup_failed",
        "distinct_id": raw_id(i),
        "uuid": uuid_for(i),
        "timestamp": "2026-11-20T10:00:00Z",
        "properties": {
            "$telemetry_level": "basic",
            "os": "linux",
            "app_version": "1.2.3",
            "error": format!(
                "ECONNREFUSED 127.0.0.1:5432 for jane.doe+e2e@example.com; token ghp_R8x2Lq9ZtW4vYk7NbP3mC6sD1fH5jA0eUoIy \
                 key AKIA2E0A8F3B9C7D1Q5R openai sk-proj-Qw3rTy7UiOp9AsDf2GhJk4Lz6XcVb8NmQw3rTy7UiOp card 4111 1111 1111 1111 \
                 from 203.0.113.77 call +44 20 7946 0958 in /home/janedoe/project/src/main.rs password=hunter2-Sup3r-Secret! run {i}"
            ),
            "response": "The assistant says: here is the generated answer text",
            "$set": {"email": "jane.doe+e2e@example.com"},
            "$ip": "203.0.113.77",
        }
    })
}

/// A deterministic uuid for event `i`.
pub fn uuid_for(i: usize) -> String {
    format!("00000000-0000-4000-8000-{i:012}")
}

/// Fails with the first planted value or raw id found in `text`.
///
/// # Errors
/// Names which planted value leaked (the value itself is test data).
pub fn assert_clean(text: &str, ids: usize) -> anyhow::Result<()> {
    for planted in PLANTED {
        anyhow::ensure!(!text.contains(planted), "planted value leaked: {planted}");
    }
    for i in 0..ids {
        anyhow::ensure!(
            !text.contains(&raw_id(i)),
            "raw distinct_id leaked: {}",
            raw_id(i)
        );
    }
    Ok(())
}
