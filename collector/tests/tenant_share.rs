//! Fair sharing of the queue: one tenant at its share gets `503 queue_full` while another
//! is still accepted. No sink drains the queue here (PostHog is unreachable and the local
//! sink is off), so what is accepted stays queued.

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use http_body_util::BodyExt;
use hush_collector::{router, Collector};
use hush_config::CollectorConfig;
use serde_json::{json, Value};
use tower::ServiceExt;

const CONFIG: &str = r#"
[local]
enabled = false

[posthog]
host = "http://127.0.0.1:9"
api_key = "phc_upstream"

[queue]
max_bytes = 1048576
segment_bytes = 65536
tenant_share = 0.25

[[tenants]]
name = "noisy"
api_key = "phc_noisy_tenant_key"
hash_key = "noisy-tenant-hash-key-0123456789abcdef-xyz"

[[tenants]]
name = "quiet"
api_key = "phc_quiet_tenant_key"
hash_key = "quiet-tenant-hash-key-0123456789abcdef-xyz"
"#;

fn batch(key: &str, n: usize) -> Body {
    let events: Vec<Value> = (0..n)
        .map(|i| {
            json!({
                "event": "setup_completed",
                "distinct_id": format!("machine-{i}"),
                "properties": {"$telemetry_level": "basic", "duration_ms": 12}
            })
        })
        .collect();
    Body::from(serde_json::to_vec(&json!({"api_key": key, "batch": events})).unwrap())
}

async fn post(app: &axum::Router, body: Body) -> (StatusCode, Value, bool) {
    let request = Request::post("/batch/")
        .header(header::CONTENT_TYPE, "application/json")
        .body(body)
        .unwrap();
    let response = app.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let retry_after = response.headers().contains_key(header::RETRY_AFTER);
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        retry_after,
    )
}

#[tokio::test]
async fn a_tenant_at_its_share_gets_503_while_another_is_accepted() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("hush.toml");
    let data_dir = dir.path().join("data");
    std::fs::write(
        &path,
        format!("data_dir = \"{}\"\n{CONFIG}", data_dir.display()),
    )
    .unwrap();
    let config = CollectorConfig::load_from(Some(&path), Vec::new()).unwrap();
    let collector = Collector::start(&config).await.unwrap();
    let app = router(collector.state.clone());

    let mut accepted = 0;
    let refusal = loop {
        let (status, body, retry_after) = post(&app, batch("phc_noisy_tenant_key", 50)).await;
        if status != StatusCode::OK {
            break (status, body, retry_after);
        }
        accepted += 1;
        assert!(accepted < 1000, "the noisy tenant's share never filled");
    };
    assert_eq!(refusal.0, StatusCode::SERVICE_UNAVAILABLE, "{}", refusal.1);
    assert_eq!(refusal.1["code"], "queue_full");
    assert!(refusal.2, "503 without Retry-After");
    // It held about a quarter of the cap, not all of it.
    let queued = collector.state.queue.stats().bytes_on_disk;
    assert!(
        (200_000..=300_000).contains(&queued),
        "{queued} bytes queued at the share"
    );
    // The other tenant is still accepted, and the noisy one still refused.
    for _ in 0..5 {
        let (status, body, _) = post(&app, batch("phc_quiet_tenant_key", 50)).await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }
    let (status, _, _) = post(&app, batch("phc_noisy_tenant_key", 50)).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    collector.stop(std::time::Duration::from_secs(1)).await;
}
