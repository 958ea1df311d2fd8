//! What browsers and PostHog clients need besides capture, in process (`router().oneshot`):
//! CORS for allowed and refused origins (the timeout's answer included), remote config,
//! flags, recordings, posthog-node's v1 capture, ingest that stores a retried or
//! beacon-posted event once, and what never leaves on any event. The key and origin checks
//! of the routes besides capture are in `clients/named_tenant.rs`.

mod common;
#[path = "clients/named_tenant.rs"]
mod named_tenant;

use axum::body::Body;
use axum::http::{header, HeaderMap, Request, StatusCode};
use axum::Router;
use base64::Engine as _;
use common::InProcess;
use flate2::write::GzEncoder;
use http_body_util::BodyExt;
use named_tenant::{post, snapshot};
use serde_json::{json, Value};
use std::io::Write;
use std::time::{Duration, Instant};
use tower::ServiceExt;

const KEY: &str = "phc_clients_test_key";
const SECRET: &str = "clients-test-hash-key-0123456789abcdef-xyz";
const PAGE: &str = "http://127.0.0.1:5173";

async fn harness(tenant_extra: &str) -> InProcess {
    common::in_process(&format!(
        "[[tenants]]\nname = \"t\"\napi_key = \"{KEY}\"\nhash_key = \"{SECRET}\"\n{tenant_extra}\n"
    ))
    .await
}

async fn send(app: &Router, request: Request<Body>) -> (StatusCode, HeaderMap, Vec<u8>) {
    let response = app.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    (status, headers, bytes.to_vec())
}

fn json_of(bytes: &[u8]) -> Value {
    serde_json::from_slice(bytes).unwrap_or(Value::Null)
}

fn event(uuid: &str) -> Value {
    json!({
        "event": "setup_completed", "distinct_id": "machine-1", "uuid": uuid,
        "properties": {"$telemetry_level": "basic"}
    })
}

fn batch(uuid: &str) -> Vec<u8> {
    serde_json::to_vec(&json!({"api_key": KEY, "batch": [event(uuid)]})).unwrap()
}

fn post_from(path: &str, origin: &str, body: Vec<u8>) -> Request<Body> {
    Request::post(path)
        .header(header::ORIGIN, origin)
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(body))
        .unwrap()
}

fn preflight(path: &str, origin: &str) -> Request<Body> {
    Request::options(path)
        .header(header::ORIGIN, origin)
        .header(header::ACCESS_CONTROL_REQUEST_METHOD, "POST")
        .header(header::ACCESS_CONTROL_REQUEST_HEADERS, "content-type")
        .body(Body::empty())
        .unwrap()
}

fn allow_origin(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::ACCESS_CONTROL_ALLOW_ORIGIN)
        .and_then(|v| v.to_str().ok())
}

/// Every stored line of the local sink, once it holds at least `n`.
async fn stored(h: &InProcess, n: usize) -> Vec<Value> {
    let dir = h.dir.path().join("data/events");
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let lines: Vec<Value> = std::fs::read_dir(&dir)
            .into_iter()
            .flatten()
            .flat_map(|e| {
                let text = std::fs::read_to_string(e.unwrap().path()).unwrap();
                text.lines()
                    .map(|l| serde_json::from_str(l).unwrap())
                    .collect::<Vec<Value>>()
            })
            .collect();
        if lines.len() >= n || Instant::now() > deadline {
            return lines;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn any_origin_by_default_preflights_and_answers_carry_cors_errors_included() {
    let h = harness("").await;
    let (status, headers, _) = send(&h.app, preflight("/e/", PAGE)).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(allow_origin(&headers), Some(PAGE));
    let methods = headers[header::ACCESS_CONTROL_ALLOW_METHODS]
        .to_str()
        .unwrap();
    assert!(methods.contains("POST"), "{methods}");
    assert_eq!(
        headers[header::ACCESS_CONTROL_ALLOW_HEADERS],
        "content-type"
    );

    let (status, headers, _) = send(
        &h.app,
        post_from("/e/", PAGE, batch("0195f2a2-8b1c-7c3d-9e4f-000000000001")),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(allow_origin(&headers), Some(PAGE));
    // An error answer is readable by the page too.
    let unknown = serde_json::to_vec(&json!({"api_key": "phc_nope", "batch": []})).unwrap();
    let (status, headers, _) = send(&h.app, post_from("/batch/", PAGE, unknown)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(allow_origin(&headers), Some(PAGE));
    // Operator surfaces are never readable by a page.
    let metrics = Request::get("/metrics")
        .header(header::ORIGIN, PAGE)
        .body(Body::empty())
        .unwrap();
    let (_, headers, _) = send(&h.app, metrics).await;
    assert_eq!(allow_origin(&headers), None);
    // A preflight naming odd headers is answered with the default list, not an echo.
    let odd = Request::options("/e/")
        .header(header::ORIGIN, PAGE)
        .header(header::ACCESS_CONTROL_REQUEST_HEADERS, "content-type, x\"y")
        .body(Body::empty())
        .unwrap();
    let (_, headers, _) = send(&h.app, odd).await;
    assert_eq!(
        headers[header::ACCESS_CONTROL_ALLOW_HEADERS],
        "content-type"
    );
}

#[tokio::test]
async fn a_restricted_tenant_refuses_other_origins_and_never_reflects_them() {
    let h = harness("allowed_origins = [\"https://app.example.com/\"]").await;
    let evil = "https://evil.example";
    let (status, headers, _) = send(&h.app, preflight("/e/", evil)).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(allow_origin(&headers), None);
    let (status, headers, body) = send(
        &h.app,
        post_from("/e/", evil, batch("0195f2a2-8b1c-7c3d-9e4f-000000000002")),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(json_of(&body)["code"], "origin_not_allowed");
    assert_eq!(allow_origin(&headers), None);
    // The configured origin (any case, trailing slash or not) is answered.
    let good = "https://App.Example.com";
    let (_, headers, _) = send(&h.app, preflight("/e/", good)).await;
    assert_eq!(allow_origin(&headers), Some(good));
    let (status, headers, _) = send(
        &h.app,
        post_from("/e/", good, batch("0195f2a2-8b1c-7c3d-9e4f-000000000003")),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(allow_origin(&headers), Some(good));
    // Servers (no Origin) are not browsers: the key is all they need.
    let plain = Request::post("/batch/")
        .body(Body::from(batch("0195f2a2-8b1c-7c3d-9e4f-000000000004")))
        .unwrap();
    assert_eq!(send(&h.app, plain).await.0, StatusCode::OK);
    assert_eq!(stored(&h, 2).await.len(), 2);
}

#[tokio::test]
async fn remote_config_flags_decide_and_recordings_answer_what_clients_expect() {
    let h = harness("").await;
    let get = |path: String| Request::get(path).body(Body::empty()).unwrap();
    let (status, _, body) = send(&h.app, get(format!("/array/{KEY}/config"))).await;
    assert_eq!(status, StatusCode::OK);
    let config = json_of(&body);
    assert!(config["supportedCompression"]
        .as_array()
        .unwrap()
        .contains(&json!("gzip-js")));
    for off in [
        "sessionRecording",
        "heatmaps",
        "surveys",
        "autocaptureExceptions",
    ] {
        assert_eq!(config[off], json!(false), "{off}");
    }
    let (status, headers, body) = send(&h.app, get(format!("/array/{KEY}/config.js"))).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers[header::CONTENT_TYPE], "application/javascript");
    let script = String::from_utf8(body).unwrap();
    assert!(script.contains("_POSTHOG_REMOTE_CONFIG") && script.contains(KEY));
    // Bad input: an unknown key, another file name.
    let (status, _, body) = send(&h.app, get("/array/phc_unknown/config".into())).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(json_of(&body)["code"], "invalid_api_key");
    let (status, _, _) = send(&h.app, get(format!("/array/{KEY}/other.js"))).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    for path in ["/flags/?v=2", "/flags", "/decide/?v=3", "/decide"] {
        let request = Request::post(path)
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(
                json!({"api_key": KEY, "distinct_id": "m"}).to_string(),
            ))
            .unwrap();
        let (status, _, body) = send(&h.app, request).await;
        assert_eq!(status, StatusCode::OK, "{path}");
        let answer = json_of(&body);
        assert_eq!(answer["featureFlags"], json!({}), "{path}");
        assert_eq!(answer["errorsWhileComputingFlags"], json!(false), "{path}");
    }
    // posthog-js's recording: `$snapshot` events with the key in their properties, gzip-js.
    let snapshots = json!([snapshot(KEY), snapshot(KEY)]).to_string();
    let recording = Request::post("/s/?compression=gzip-js&ver=1.449.2")
        .header(header::CONTENT_TYPE, "text/plain")
        .body(Body::from(gzip(snapshots.as_bytes())))
        .unwrap();
    let (status, _, body) = send(&h.app, recording).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(json_of(&body), json!({"status": 1}));
    assert!(h
        .collector
        .state
        .metrics
        .render()
        .contains("hush_events_dropped_total{reason=\"session_recording\"} 2"));
    // Unknown paths are a JSON 404, counted under `unmatched`.
    let (status, _, body) = send(&h.app, get("/nope/x@example.com".into())).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(json_of(&body)["code"], "not_found");
    assert!(h
        .collector
        .state
        .metrics
        .render()
        .contains("hush_http_route_requests_total{route=\"unmatched\"} 1"));
}

#[tokio::test]
async fn the_request_timeout_answer_carries_cors_too() {
    let h = harness("[limits]\nrequest_timeout_ms = 200").await;
    // A body that never ends: ingest reads it until the request timeout.
    let endless = futures_util::stream::pending::<Result<bytes::Bytes, std::io::Error>>();
    let stalled = Request::post("/e/")
        .header(header::ORIGIN, PAGE)
        .body(Body::from_stream(endless))
        .unwrap();
    let (status, headers, answer) =
        tokio::time::timeout(Duration::from_secs(10), send(&h.app, stalled))
            .await
            .expect("no answer at the request timeout");
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(json_of(&answer)["code"], "timeout");
    assert_eq!(allow_origin(&headers), Some(PAGE));
    assert!(headers.contains_key("x-request-id"));
}

#[tokio::test]
async fn element_texts_and_group_properties_never_leave_on_any_event() {
    // The web preset, and a policy that also allows posthog-js's `$autocapture`.
    let h = harness("presets = [\"web\"]\npolicy = { basic_events = [\"$autocapture\"] }").await;
    let posthog_js = json!({
        "$groups": {"company": "acme-corp"}, "$group_key": "acme-corp",
        "$group_set": {"plan": "acme-plan"}, "$elements_chain": "button:text=\"Pay Jane\"",
        "$elements": [{"tag_name": "button", "$el_text": "Pay Jane"}],
        "nested": {"$el_text": "Pay Jane", "kept": "yes"}, "$telemetry_level": "basic",
    });
    let body = json!({"api_key": KEY, "batch": [
        {"event": "setup_completed", "distinct_id": "m", "properties": posthog_js},
        {"event": "$autocapture", "distinct_id": "m", "properties": posthog_js},
    ]});
    let (status, _, _) = send(&h.app, post("/batch/", None, body.to_string())).await;
    assert_eq!(status, StatusCode::OK);
    let lines = stored(&h, 2).await;
    assert_eq!(lines.len(), 2);
    for line in &lines {
        let text = line.to_string();
        for gone in [
            "acme",
            "Jane",
            "$groups",
            "$group_key",
            "$group_set",
            "$elements",
            "$el_text",
        ] {
            assert!(
                !text.contains(gone),
                "{gone} left on {}: {text}",
                line["event"]
            );
        }
        assert_eq!(line["properties"]["nested"], json!({"kept": "yes"}));
    }
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut enc = GzEncoder::new(Vec::new(), flate2::Compression::default());
    enc.write_all(bytes).unwrap();
    enc.finish().unwrap()
}

#[tokio::test]
async fn posthog_node_v1_capture_is_ingested_like_batch() {
    let h = harness("").await;
    let body = json!({
        "created_at": "2026-11-30T12:00:00Z",
        "batch": [{
            "event": "setup_completed", "uuid": "0195f2a2-8b1c-7c3d-9e4f-0000000000a1",
            "distinct_id": "node-1", "timestamp": "2026-11-30T12:00:00Z", "options": {},
            "properties": {"$telemetry_level": "basic", "error": "x@example.com"}
        }]
    });
    let v1 = |auth: Option<&str>, body: Vec<u8>, gzipped: bool| {
        let mut request = Request::post("/i/v1/analytics/events")
            .header(header::CONTENT_TYPE, "application/json");
        if let Some(auth) = auth {
            request = request.header(header::AUTHORIZATION, auth);
        }
        if gzipped {
            request = request.header(header::CONTENT_ENCODING, "gzip");
        }
        request.body(Body::from(body)).unwrap()
    };
    let bytes = serde_json::to_vec(&body).unwrap();
    let (status, _, answer) = send(
        &h.app,
        v1(Some(&format!("Bearer {KEY}")), gzip(&bytes), true),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(json_of(&answer), json!({"results": {}}));
    let lines = stored(&h, 1).await;
    assert_eq!(lines.len(), 1);
    assert_eq!(lines[0]["properties"]["error"], "[EMAIL]");
    // Bad input: no key, a wrong key, a body that is not JSON.
    let (status, _, answer) = send(&h.app, v1(None, bytes.clone(), false)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(json_of(&answer)["code"], "missing_api_key");
    let (status, _, _) = send(&h.app, v1(Some("Bearer phc_wrong"), bytes, false)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _, answer) = send(
        &h.app,
        v1(Some(&format!("Bearer {KEY}")), b"{nope".to_vec(), false),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(json_of(&answer)["code"], "invalid_json");
}

#[tokio::test]
async fn a_retried_and_a_beacon_posted_event_is_stored_once() {
    let h = harness("").await;
    let uuid = "0195f2a2-8b1c-7c3d-9e4f-0000000000b1";
    for _ in 0..2 {
        let (status, _, _) = send(&h.app, post_from("/batch/", PAGE, batch(uuid))).await;
        assert_eq!(status, StatusCode::OK);
    }
    // posthog-js's sendBeacon at unload: a form post of base64 JSON, same event again.
    let data = base64::engine::general_purpose::STANDARD.encode(batch(uuid));
    let beacon = Request::post("/e/?compression=base64")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(format!(
            "data={}",
            form_urlencoded::byte_serialize(data.as_bytes()).collect::<String>()
        )))
        .unwrap();
    let (status, _, _) = send(&h.app, beacon).await;
    assert_eq!(status, StatusCode::OK);
    // A batch holding the event twice, and a new one beside it.
    let twice = serde_json::to_vec(&json!({"api_key": KEY, "batch": [
        event(uuid), event("0195f2a2-8b1c-7c3d-9e4f-0000000000b2"), event(uuid)
    ]}))
    .unwrap();
    assert_eq!(
        send(&h.app, post_from("/batch/", PAGE, twice)).await.0,
        StatusCode::OK
    );
    tokio::time::sleep(Duration::from_millis(300)).await;
    let lines = stored(&h, 2).await;
    let uuids: Vec<&str> = lines.iter().map(|l| l["uuid"].as_str().unwrap()).collect();
    assert_eq!(uuids, [uuid, "0195f2a2-8b1c-7c3d-9e4f-0000000000b2"]);
    assert!(h
        .collector
        .state
        .metrics
        .render()
        .contains("hush_events_dropped_total{reason=\"duplicate\"} 4"));
}

#[tokio::test]
async fn the_web_preset_keeps_page_events_with_the_allowlist_only() {
    let h = harness("presets = [\"web\"]").await;
    let page = |event: &str, extra: Value| {
        let mut properties = json!({
            "distinct_id": "0195f2a2-anon-device", "token": KEY,
            "$current_url": "https://app.example.com/settings?email=jane%40example.com&utm_source=mail#section",
            "$pathname": "/settings", "$host": "app.example.com",
            "$referrer": "https://search.example/?q=jane+doe", "$referring_domain": "search.example",
            "$browser": "Chrome", "$os": "Linux", "$device_type": "Desktop",
            "$screen_width": 1920, "$lib": "web", "$lib_version": "1.300.0",
            "$session_id": "0195f2a2-session", "$device_id": "0195f2a2-device",
            "$set": {"email": "jane@example.com"}, "$groups": {"company": "acme"},
            "$active_feature_flags": ["beta"], "$elements_chain": "button:text=\"Pay Jane\"",
            "title": "Jane's settings",
        });
        if let (Value::Object(p), Value::Object(e)) = (&mut properties, extra) {
            p.extend(e);
        }
        json!({"event": event, "properties": properties})
    };
    let body = serde_json::to_vec(&json!([
        page("$pageview", json!({})),
        page(
            "$web_vitals",
            json!({"$web_vitals_LCP_value": 812.5,
            "$web_vitals_LCP_event": {"attribution": {"element": "#jane"}}})
        ),
        page(
            "$exception",
            json!({"$exception_type": "TypeError",
            "$exception_message": "cannot read user jane@example.com",
            "$exception_level": "error",
            "$exception_list": [{"type": "TypeError", "value": "cannot read user jane@example.com",
                "mechanism": {"handled": false},
                "stacktrace": {"frames": [{"filename": "/home/jane/app.js"}]}}]})
        ),
        page("$autocapture", json!({})),
        page("$identify", json!({"$set": {"name": "Jane"}})),
    ]))
    .unwrap();
    let (status, _, answer) = send(&h.app, post_from("/e/", PAGE, body)).await;
    assert_eq!(
        status,
        StatusCode::OK,
        "{}",
        String::from_utf8_lossy(&answer)
    );
    tokio::time::sleep(Duration::from_millis(300)).await;
    let lines = stored(&h, 3).await;
    let names: Vec<&str> = lines.iter().map(|l| l["event"].as_str().unwrap()).collect();
    assert_eq!(names, ["$pageview", "$web_vitals", "$exception"]);
    let allowed = hush_collector::pipeline::web::WEB_PROPERTIES;
    for line in &lines {
        for key in line["properties"].as_object().unwrap().keys() {
            assert!(
                allowed.contains(&key.as_str())
                    || key == "$hush_redactions"
                    || (key.starts_with("$web_vitals_") && key.ends_with("_value")),
                "{key} kept on {}",
                line["event"]
            );
        }
        let text = line.to_string();
        assert!(!text.contains("jane"), "{text}");
        assert!(!text.contains("0195f2a2-session") && !text.contains("0195f2a2-device"));
    }
    let view = &lines[0]["properties"];
    assert_eq!(
        view["$current_url"],
        "https://app.example.com/settings?utm_source=mail"
    );
    assert_eq!(view["$browser"], "Chrome");
    assert!(
        view["$session_id"].as_str().unwrap().len() == 32,
        "re-hashed"
    );
    assert_eq!(lines[1]["properties"]["$web_vitals_LCP_value"], 812.5);
    assert_eq!(lines[2]["properties"]["$exception_type"], "TypeError");
    assert_eq!(
        lines[2]["properties"]["$exception_list"],
        json!([{"type": "TypeError", "value": "cannot read user [EMAIL]"}]),
        "type and message, scrubbed; no mechanism, no stack trace"
    );

    // Without the preset, page events are unknown events.
    let plain = harness("").await;
    let body = serde_json::to_vec(&json!([page("$pageview", json!({}))])).unwrap();
    assert_eq!(
        send(&plain.app, post_from("/e/", PAGE, body)).await.0,
        StatusCode::OK
    );
    tokio::time::sleep(Duration::from_millis(300)).await;
    let events = plain.dir.path().join("data/events");
    let files = std::fs::read_dir(&events).map(|d| d.count()).unwrap_or(0);
    assert_eq!(files, 0, "a page event was stored without the preset");
}

#[tokio::test]
async fn a_batch_with_a_copy_another_request_is_storing_waits_for_it_and_stores_the_rest() {
    let h = harness("").await;
    let busy: uuid::Uuid = "0195f2a2-8b1c-7c3d-9e4f-0000000000c1".parse().unwrap();
    let new = "0195f2a2-8b1c-7c3d-9e4f-0000000000c2";
    // Another request holds the first event (its append is in flight)...
    let recent = &h.collector.state.recent;
    assert_eq!(
        recent.claim("t", &[busy]),
        [hush_collector::routes::Claim::New]
    );
    let state = h.collector.state.clone();
    let other = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(150)).await;
        // ...and stores it.
        state.recent.settle("t", &[busy], true);
    });
    let body = serde_json::to_vec(&json!({"api_key": KEY, "batch": [
        event(&busy.to_string()), event(new)
    ]}))
    .unwrap();
    let started = Instant::now();
    let (status, _, answer) = send(&h.app, post_from("/batch/", PAGE, body)).await;
    assert_eq!(
        status,
        StatusCode::OK,
        "{}",
        String::from_utf8_lossy(&answer)
    );
    assert!(
        started.elapsed() >= Duration::from_millis(100),
        "it did not wait"
    );
    other.await.unwrap();
    let lines = stored(&h, 1).await;
    let uuids: Vec<&str> = lines.iter().map(|l| l["uuid"].as_str().unwrap()).collect();
    assert_eq!(
        uuids,
        [new],
        "the copy stored by the other request is not stored again"
    );
    assert!(h
        .collector
        .state
        .metrics
        .render()
        .contains("hush_events_dropped_total{reason=\"duplicate\"} 1"));
}
