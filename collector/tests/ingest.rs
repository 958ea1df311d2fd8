//! In-process tests of the ingest API (`router().oneshot`, no socket): every status code,
//! every body shape and encoding, gzip bombs and deep nesting.

mod common;

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use axum::Router;
use base64::Engine as _;
use common::InProcess;
use flate2::write::GzEncoder;
use http_body_util::BodyExt;
use serde_json::{json, Value};
use std::io::Write;
use tower::ServiceExt;

const KEY: &str = "phc_ingest_test_key";
const SECRET: &str = "ingest-test-hash-key-0123456789abcdef-xyz";
const PLANTED: &str = "planted.person@example.com";

async fn harness(extra: &str) -> InProcess {
    common::in_process(&format!(
        "{extra}\n[[tenants]]\nname = \"t\"\napi_key = \"{KEY}\"\nhash_key = \"{SECRET}\"\n"
    ))
    .await
}

fn event(i: usize) -> Value {
    json!({
        "event": "setup_completed",
        "distinct_id": format!("machine-{i}"),
        "properties": {"$telemetry_level": "basic", "duration_ms": 12}
    })
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut enc = GzEncoder::new(Vec::new(), flate2::Compression::default());
    enc.write_all(bytes).unwrap();
    enc.finish().unwrap()
}

async fn send(app: &Router, request: Request<Body>) -> (StatusCode, Value, axum::http::HeaderMap) {
    let response = app.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    let value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    (status, value, headers)
}

fn post(path: &str, body: impl Into<Body>) -> Request<Body> {
    Request::post(path)
        .header(header::CONTENT_TYPE, "application/json")
        .body(body.into())
        .unwrap()
}

fn batch_body() -> Vec<u8> {
    serde_json::to_vec(&json!({"api_key": KEY, "batch": [event(1), event(2)]})).unwrap()
}

#[tokio::test]
async fn accepts_every_posthog_body_shape_and_path() {
    let h = harness("").await;
    let single =
        json!({"api_key": KEY, "event": "setup_completed", "distinct_id": "m", "properties": {}});
    let token_batch = json!({"token": KEY, "batch": [event(3)]});
    let array = json!([{"event": "dev_server_started", "distinct_id": "m", "api_key": KEY}]);
    let js_shape =
        json!({"event": "setup_completed", "properties": {"distinct_id": "m", "token": KEY}});
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("/batch/", batch_body()),
        ("/batch", batch_body()),
        ("/batch/", serde_json::to_vec(&token_batch).unwrap()),
        ("/capture/", serde_json::to_vec(&single).unwrap()),
        ("/capture", serde_json::to_vec(&single).unwrap()),
        ("/e/", serde_json::to_vec(&array).unwrap()),
        ("/e", serde_json::to_vec(&js_shape).unwrap()),
        ("/i/v0/e/", serde_json::to_vec(&single).unwrap()),
        ("/i/v0/e", serde_json::to_vec(&array).unwrap()),
    ];
    for (path, body) in cases {
        let (status, value, _) = send(&h.app, post(path, body)).await;
        assert_eq!(status, StatusCode::OK, "{path}: {value}");
        assert_eq!(value, json!({"status": 1}));
    }
}

#[tokio::test]
async fn accepts_every_encoding() {
    let h = harness("").await;
    let raw = batch_body();
    let gz = gzip(&raw);
    let header_gzip = Request::post("/batch/")
        .header(header::CONTENT_ENCODING, "gzip")
        .body(Body::from(gz.clone()))
        .unwrap();
    let query_gzip = post("/batch/?compression=gzip", gz.clone());
    let query_gzip_js = post("/e/?compression=gzip-js&ver=1.2", gz.clone());
    let sniffed_gzip = post("/batch/", gz.clone());
    let b64 = base64::engine::general_purpose::STANDARD.encode(&raw);
    let form = |data: String| {
        Request::post("/e/")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(format!(
                "data={}",
                form_urlencoded::byte_serialize(data.as_bytes()).collect::<String>()
            )))
            .unwrap()
    };
    let form_b64 = form(b64.clone());
    let form_gzip_b64 = form(base64::engine::general_purpose::STANDARD.encode(&gz));
    let query_base64 = post("/batch/?compression=base64", b64);
    for (name, request) in [
        ("header gzip", header_gzip),
        ("query gzip", query_gzip),
        ("query gzip-js", query_gzip_js),
        ("sniffed gzip", sniffed_gzip),
        ("form base64", form_b64),
        ("form base64 gzip", form_gzip_b64),
        ("query base64", query_base64),
    ] {
        let (status, value, _) = send(&h.app, request).await;
        assert_eq!(status, StatusCode::OK, "{name}: {value}");
    }
}

#[tokio::test]
async fn unauthorized_without_a_known_project_key() {
    let h = harness("").await;
    let no_key = json!({"batch": [event(1)]});
    let unknown = json!({"api_key": "phc_not_configured", "batch": [event(1)]});
    let personal = json!({"api_key": "phx_personal_key", "batch": [event(1)]});
    for (body, code) in [
        (no_key, "missing_api_key"),
        (unknown, "invalid_api_key"),
        (personal, "personal_api_key"),
    ] {
        let (status, value, _) = send(&h.app, post("/batch/", body.to_string())).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert_eq!(value["code"], code);
    }
    let (_, value, _) = send(
        &h.app,
        post(
            "/batch/",
            json!({"api_key": "phx_x", "batch": []}).to_string(),
        ),
    )
    .await;
    assert!(
        value["detail"].as_str().unwrap().contains("project"),
        "{value}"
    );
}

#[tokio::test]
async fn bad_requests_name_the_problem_and_never_echo_the_payload() {
    let h = harness("").await;
    let missing_event = json!({"api_key": KEY, "batch": [event(0), {"distinct_id": PLANTED}]});
    let missing_id = json!({"api_key": KEY, "batch": [{"event": "setup_completed", "properties": {"x": PLANTED}}]});
    let wrong_type =
        json!({"api_key": KEY, "batch": [{"event": "setup_completed", "distinct_id": [PLANTED]}]});
    let batch_not_array = json!({"api_key": KEY, "batch": {"event": PLANTED}});
    let props_not_object = json!({"api_key": KEY, "batch": [{"event": "setup_completed", "distinct_id": "m", "properties": PLANTED}]});
    let cases: Vec<(Request<Body>, &str, Option<&str>)> = vec![
        (
            post(
                "/batch/",
                format!("{{\"api_key\": \"{KEY}\", \"batch\": [\"{PLANTED}"),
            ),
            "invalid_json",
            None,
        ),
        (
            post("/batch/", vec![0xff, 0xfe, b'{', 0x80]),
            "invalid_json",
            None,
        ),
        (
            post("/batch/", missing_event.to_string()),
            "invalid_event",
            Some("batch[1]: `event`"),
        ),
        (
            post("/batch/", missing_id.to_string()),
            "invalid_event",
            Some("`distinct_id` is missing"),
        ),
        (
            post("/batch/", wrong_type.to_string()),
            "invalid_event",
            Some("`distinct_id` must be"),
        ),
        (
            post("/batch/", batch_not_array.to_string()),
            "invalid_batch",
            None,
        ),
        (
            post("/batch/", props_not_object.to_string()),
            "invalid_event",
            Some("`properties`"),
        ),
        (post("/batch/", "42"), "invalid_body", None),
        (
            post("/batch/?compression=gzip", "not gzip at all"),
            "invalid_gzip",
            None,
        ),
        (
            post("/batch/?compression=lz64", "x"),
            "unsupported_compression",
            None,
        ),
        (
            Request::post("/e/")
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(Body::from("data=%%%not-base64"))
                .unwrap(),
            "invalid_base64",
            None,
        ),
    ];
    for (request, code, detail) in cases {
        let (status, value, _) = send(&h.app, request).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{code}: {value}");
        assert_eq!(value["code"], code, "{value}");
        assert_eq!(value["type"], "validation_error");
        if let Some(detail) = detail {
            assert!(
                value["detail"].as_str().unwrap().contains(detail),
                "{value}"
            );
        }
        assert!(
            !value.to_string().contains(PLANTED),
            "payload echoed: {value}"
        );
    }
}

#[tokio::test]
async fn deep_nesting_is_refused() {
    let h = harness("").await;
    for depth in [100, 5000] {
        let nested = "[".repeat(depth) + &"]".repeat(depth);
        let body = format!(
            "{{\"api_key\": \"{KEY}\", \"batch\": [{{\"event\": \"setup_completed\", \"distinct_id\": \"m\", \"properties\": {{\"x\": {nested}}}}}]}}"
        );
        let (status, value, _) = send(&h.app, post("/batch/", body)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "depth {depth}: {value}");
        assert!(
            value["detail"].as_str().unwrap().contains("nested"),
            "{value}"
        );
    }
}

#[tokio::test]
async fn oversized_bodies_and_gzip_bombs_are_413() {
    let h = harness("[limits]\nmax_body_bytes = 100000\nmax_batch_len = 10\n").await;
    let big = vec![b' '; 150_000];
    let (status, value, _) = send(&h.app, post("/batch/", big)).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{value}");

    // 50 MB of zeros compresses to ~50 KB: under the raw limit, far over once inflated.
    let bomb = gzip(&vec![b'0'; 50_000_000]);
    assert!(bomb.len() < 100_000);
    let request = Request::post("/batch/")
        .header(header::CONTENT_ENCODING, "gzip")
        .body(Body::from(bomb))
        .unwrap();
    let (status, value, _) = send(&h.app, request).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{value}");
    assert_eq!(value["code"], "body_too_large");

    let long = "x".repeat(5000);
    let body = json!({"api_key": KEY, "batch": [{"event": "setup_completed", "distinct_id": "m", "properties": {"note": long}}]});
    let h2 = harness("[limits]\nmax_string_bytes = 4096\n").await;
    let (status, value, _) = send(&h2.app, post("/batch/", body.to_string())).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{value}");
    assert_eq!(value["code"], "string_too_long");

    let batch: Vec<Value> = (0..11).map(event).collect();
    let (status, value, _) = send(
        &h.app,
        post(
            "/batch/",
            json!({"api_key": KEY, "batch": batch}).to_string(),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{value}");
    assert_eq!(value["code"], "batch_too_large");
}

#[tokio::test]
async fn rate_limit_is_429_with_retry_after() {
    let h = harness("[limits]\nrate_per_second = 1\nrate_burst = 3\n").await;
    let (status, _, _) = send(&h.app, post("/batch/", batch_body())).await;
    assert_eq!(status, StatusCode::OK);
    let (status, value, headers) = send(&h.app, post("/batch/", batch_body())).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{value}");
    assert!(headers.get(header::RETRY_AFTER).is_some());
}

#[tokio::test]
async fn full_queue_is_503_and_nothing_is_acknowledged() {
    // PostHog on a closed port: the only sink is down, so accepted events back up on disk.
    let h = harness(
        "[local]\nenabled = false\n[posthog]\nhost = \"http://127.0.0.1:9\"\napi_key = \"phc_f\"\n[queue]\nmax_bytes = 16384\nsegment_bytes = 4096\n",
    )
    .await;
    let mut saw_503 = false;
    for _ in 0..50 {
        let (status, value, headers) = send(&h.app, post("/batch/", batch_body())).await;
        if status == StatusCode::SERVICE_UNAVAILABLE {
            assert_eq!(value["code"], "queue_full");
            assert!(headers.get(header::RETRY_AFTER).is_some());
            saw_503 = true;
            break;
        }
        assert_eq!(status, StatusCode::OK);
    }
    assert!(saw_503, "the queue never filled");
    let ready = h
        .app
        .clone()
        .oneshot(Request::get("/readyz").body(Body::empty()).unwrap())
        .await
        .unwrap();
    assert_eq!(ready.status(), StatusCode::SERVICE_UNAVAILABLE);
}

#[tokio::test]
async fn health_ready_metrics_and_request_ids() {
    let h = harness("").await;
    let (status, _, headers) = send(
        &h.app,
        Request::get("/healthz").body(Body::empty()).unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        headers.get("x-request-id").is_some(),
        "a request id is generated"
    );
    let (status, _, _) = send(&h.app, Request::get("/readyz").body(Body::empty()).unwrap()).await;
    assert_eq!(status, StatusCode::OK);

    let request = Request::post("/batch/")
        .header("x-request-id", "client-id-123")
        .body(Body::from(
            json!({"api_key": KEY, "batch": [event(1), {"event": "chat_response", "distinct_id": "m"}, {"event": "pageview", "distinct_id": "m"}]}).to_string(),
        ))
        .unwrap();
    let (status, _, headers) = send(&h.app, request).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers.get("x-request-id").unwrap(), "client-id-123");

    let response = h
        .app
        .clone()
        .oneshot(Request::get("/metrics").body(Body::empty()).unwrap())
        .await
        .unwrap();
    let text = String::from_utf8(
        response
            .into_body()
            .collect()
            .await
            .unwrap()
            .to_bytes()
            .to_vec(),
    )
    .unwrap();
    assert!(text.contains("hush_events_received_total 3"), "{text}");
    assert!(text.contains("hush_events_accepted_total 1"), "{text}");
    assert!(
        text.contains("hush_events_dropped_total{reason=\"chat_response\"} 1"),
        "{text}"
    );
    assert!(
        text.contains("hush_events_dropped_total{reason=\"unknown_event\"} 1"),
        "{text}"
    );
    assert!(
        text.contains("hush_request_duration_seconds_bucket"),
        "{text}"
    );
    assert!(text.contains("hush_queue_depth"), "{text}");
}

#[tokio::test]
async fn accepted_events_are_on_disk_scrubbed_and_hashed() {
    let h = harness("").await;
    let body = json!({"api_key": KEY, "batch": [{
        "event": "setup_failed", "distinct_id": "raw-machine-id-42",
        "properties": {"$telemetry_level": "basic", "error": format!("EACCES for {PLANTED}"), "$ip": "198.51.100.7", "$set": {"email": PLANTED}}
    }]});
    let mut request = post("/batch/", body.to_string());
    request
        .headers_mut()
        .insert("x-forwarded-for", "203.0.113.99, 10.0.0.1".parse().unwrap());
    let (status, _, _) = send(&h.app, request).await;
    assert_eq!(status, StatusCode::OK);
    // The durable queue holds the event before the 200; none of it raw, no client IP.
    let mut text = String::new();
    for entry in walk(&h.dir.path().join("data")) {
        text.push_str(&String::from_utf8_lossy(&std::fs::read(entry).unwrap()));
    }
    assert!(text.contains("EACCES for [EMAIL]"), "scrubbed event queued");
    assert!(!text.contains(PLANTED));
    assert!(!text.contains("raw-machine-id-42"));
    assert!(!text.contains("198.51.100.7"));
    assert!(
        !text.contains("203.0.113.99"),
        "X-Forwarded-For is never stored"
    );
    h.collector.stop(std::time::Duration::from_secs(5)).await;
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(walk(&path));
        } else {
            out.push(path);
        }
    }
    out
}
