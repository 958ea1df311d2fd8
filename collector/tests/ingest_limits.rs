//! Bounded work per request, in process (`router().oneshot`): the body's project key is
//! checked before any event is looked at, and every per-request limit is answered 413 with
//! the limit named.

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use axum::Router;
use http_body_util::BodyExt;
use hush_collector::{router, Collector};
use hush_config::CollectorConfig;
use serde_json::{json, Value};
use tempfile::TempDir;
use tower::ServiceExt;

const KEY: &str = "phc_limits_test_key";
const SECRET: &str = "limits-test-hash-key-0123456789abcdef-xyz";

async fn app(limits: &str) -> (TempDir, Router) {
    let dir = TempDir::new().unwrap();
    let path = dir.path().join("hush.toml");
    std::fs::write(
        &path,
        format!(
            "data_dir = \"{}\"\n[limits]\n{limits}\n[[tenants]]\nname = \"t\"\napi_key = \"{KEY}\"\nhash_key = \"{SECRET}\"\n",
            dir.path().join("data").display()
        ),
    )
    .unwrap();
    let config = CollectorConfig::load_from(Some(&path), Vec::new()).unwrap();
    let collector = Collector::start(&config).await.unwrap();
    (dir, router(collector.state.clone()))
}

async fn post(app: &Router, body: impl Into<Body>) -> (StatusCode, Value) {
    let request = Request::post("/batch/")
        .header(header::CONTENT_TYPE, "application/json")
        .body(body.into())
        .unwrap();
    let response = app.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

fn event(properties: Value) -> Value {
    json!({"event": "setup_completed", "distinct_id": "m", "properties": properties})
}

#[tokio::test]
async fn the_body_key_is_checked_before_the_events() {
    let (_dir, app) = app("").await;
    // Events that are invalid, or over a limit, do not matter when the key is unknown.
    let too_many: serde_json::Map<String, Value> =
        (0..2000).map(|i| (format!("p{i}"), json!(i))).collect();
    for batch in [
        json!([{"event": 5}]),
        json!([event(Value::Object(too_many))]),
        json!([{"event": "setup_completed", "distinct_id": "m", "api_key": "phc_other"}]),
    ] {
        let body = json!({"api_key": "phc_unknown", "batch": batch});
        let (status, value) = post(&app, body.to_string()).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{value}");
        assert_eq!(value["code"], "invalid_api_key");
    }
}

#[tokio::test]
async fn each_limit_is_413_naming_it() {
    let (_dir, app) = app(
        "max_properties_per_event = 10\nmax_keys_per_request = 100\nmax_string_bytes_per_request = 2000\nmax_body_bytes = 100000\n",
    )
    .await;
    let eleven: serde_json::Map<String, Value> =
        (0..11).map(|i| (format!("p{i}"), json!(i))).collect();
    let nine: serde_json::Map<String, Value> =
        (0..9).map(|i| (format!("p{i}"), json!(i))).collect();
    let long_strings: serde_json::Map<String, Value> = (0..5)
        .map(|i| (format!("s{i}"), json!("x".repeat(500))))
        .collect();
    let cases = [
        (
            json!({"api_key": KEY, "batch": [event(Value::Object(eleven))]}),
            "too_many_properties",
            "limits.max_properties_per_event",
        ),
        (
            // Twelve keys per event is fine; nine events (108 keys) are not.
            json!({"api_key": KEY, "batch": vec![event(Value::Object(nine)); 9]}),
            "too_many_keys",
            "limits.max_keys_per_request",
        ),
        (
            json!({"api_key": KEY, "batch": [event(Value::Object(long_strings))]}),
            "too_many_string_bytes",
            "limits.max_string_bytes_per_request",
        ),
    ];
    for (body, code, limit) in cases {
        let (status, value) = post(&app, body.to_string()).await;
        assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{code}: {value}");
        assert_eq!(value["code"], code);
        assert!(value["detail"].as_str().unwrap().contains(limit), "{value}");
    }

    // A Content-Length over the cap is refused without reading the body.
    let request = Request::post("/batch/")
        .header(header::CONTENT_LENGTH, "100001")
        .body(Body::new(Endless))
        .unwrap();
    let response = app.clone().oneshot(request).await.unwrap();
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);

    // Under every limit, the same shapes are accepted.
    let ok: serde_json::Map<String, Value> = (0..10).map(|i| (format!("p{i}"), json!(i))).collect();
    let (status, value) = post(
        &app,
        json!({"api_key": KEY, "batch": [event(Value::Object(ok))]}).to_string(),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{value}");
}

/// A body that never ends: reading it would hang the test.
struct Endless;

impl hyper::body::Body for Endless {
    type Data = axum::body::Bytes;
    type Error = std::convert::Infallible;

    fn poll_frame(
        self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<hyper::body::Frame<Self::Data>, Self::Error>>> {
        std::task::Poll::Pending
    }
}

#[tokio::test]
async fn keys_carried_by_events_are_found_without_parsing_them() {
    let (_dir, app) = app("").await;
    let array = json!([
        {"event": "setup_completed", "distinct_id": "m", "api_key": KEY},
        {"event": "setup_completed", "distinct_id": "m", "properties": {"token": KEY}},
    ]);
    let (status, value) = post(&app, array.to_string()).await;
    assert_eq!(status, StatusCode::OK, "{value}");
    let mixed = json!([
        {"event": "setup_completed", "distinct_id": "m", "api_key": KEY},
        {"event": "setup_completed", "distinct_id": "m", "token": "phc_other"},
    ]);
    let (status, value) = post(&app, mixed.to_string()).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{value}");
    assert_eq!(value["code"], "mixed_api_keys");
    let unknown = json!([{"event": "setup_completed", "distinct_id": "m", "token": "phc_other"}]);
    let (status, _) = post(&app, unknown.to_string()).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}
