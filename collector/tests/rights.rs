//! Data rights over HTTP, in process (`router().oneshot`) with the local sink: self-service
//! erase and export with an id nobody can guess, the admin API per tenant and for the whole
//! collector, receipts, stats, the audit log, and every way to cross tenants or send bad
//! input.

mod common;

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use axum::Router;
use common::InProcess;
use http_body_util::BodyExt;
use serde_json::{json, Value};
use std::path::Path;
use std::time::{Duration, Instant};
use tower::ServiceExt;

const KEY_A: &str = "phc_rights_tenant_a";
const KEY_B: &str = "phc_rights_tenant_b";
const ADMIN_A: &str = "tenant-a-admin-token-0123456789abcdef-01";
const ADMIN_B: &str = "tenant-b-admin-token-0123456789abcdef-02";
const COLLECTOR: &str = "collector-admin-token-0123456789abcdef-03";
/// Ids nobody can guess: what the SDK and posthog-js send.
const ANN: &str = "3f2b8c1d9e7a4b6c8d0e1f2a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e";
const BOB: &str = "0190a6d2-6c1e-7b3a-9f4e-2d8c7b6a5e41";
const CY: &str = "7c9e6679-7425-40de-944b-e07fc1f90ae7";

async fn harness() -> InProcess {
    common::in_process(&format!(
        "[admin]\ntoken = \"{COLLECTOR}\"\n\
         [[tenants]]\nname = \"a\"\napi_key = \"{KEY_A}\"\n\
         hash_key = \"rights-a-hash-key-0123456789abcdef-0123\"\nadmin_token = \"{ADMIN_A}\"\n\
         [[tenants]]\nname = \"b\"\napi_key = \"{KEY_B}\"\n\
         hash_key = \"rights-b-hash-key-0123456789abcdef-0123\"\nadmin_token = \"{ADMIN_B}\"\n"
    ))
    .await
}

async fn send(app: &Router, request: Request<Body>) -> (StatusCode, Vec<u8>) {
    let response = app.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    (status, bytes.to_vec())
}

fn post(path: &str, token: Option<&str>, body: Vec<u8>) -> Request<Body> {
    let mut request = Request::post(path).header(header::CONTENT_TYPE, "application/json");
    if let Some(token) = token {
        request = request.header(header::AUTHORIZATION, format!("Bearer {token}"));
    }
    request.body(Body::from(body)).unwrap()
}

fn get(path: &str, token: Option<&str>) -> Request<Body> {
    let mut request = Request::get(path);
    if let Some(token) = token {
        request = request.header(header::AUTHORIZATION, format!("Bearer {token}"));
    }
    request.body(Body::empty()).unwrap()
}

fn json_of(bytes: &[u8]) -> Value {
    serde_json::from_slice(bytes).unwrap_or(Value::Null)
}

/// Sends `n` events of `id` with `key`.
async fn ingest(app: &Router, key: &str, id: &str, n: usize) {
    let batch: Vec<Value> = (0..n)
        .map(|_| {
            json!({"event": "setup_completed", "distinct_id": id,
                   "properties": {"$telemetry_level": "basic", "duration_ms": 3}})
        })
        .collect();
    let body = serde_json::to_vec(&json!({"api_key": key, "batch": batch})).unwrap();
    let (status, answer) = send(app, post("/batch/", None, body)).await;
    assert_eq!(
        status,
        StatusCode::OK,
        "{}",
        String::from_utf8_lossy(&answer)
    );
}

/// Every stored line, parsed.
fn stored(data: &Path) -> Vec<Value> {
    let Ok(entries) = std::fs::read_dir(data.join("events")) else {
        return Vec::new();
    };
    let mut lines = Vec::new();
    for entry in entries {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|x| x == "jsonl") {
            let text = std::fs::read_to_string(path).unwrap();
            lines.extend(
                text.lines()
                    .map(|l| serde_json::from_str::<Value>(l).unwrap()),
            );
        }
    }
    lines
}

async fn until_stored(data: &Path, n: usize) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while stored(data).len() < n {
        assert!(
            Instant::now() < deadline,
            "the local sink did not store {n} events"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// How many stored events each (tenant, stored id) has.
fn census(data: &Path) -> std::collections::BTreeMap<(String, String), usize> {
    let mut counts = std::collections::BTreeMap::new();
    for line in stored(data) {
        let key = (
            line["tenant"].as_str().unwrap().to_owned(),
            line["distinct_id"].as_str().unwrap().to_owned(),
        );
        *counts.entry(key).or_default() += 1;
    }
    counts
}

fn self_body(key: &str, id: &str) -> Vec<u8> {
    serde_json::to_vec(&json!({"api_key": key, "distinct_id": id})).unwrap()
}

async fn export(app: &Router, request: Request<Body>) -> Vec<Value> {
    let (status, body) = send(app, request).await;
    assert_eq!(status, StatusCode::OK, "{}", String::from_utf8_lossy(&body));
    String::from_utf8(body)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// Polls the receipt until it is done; its answer.
async fn until_done(app: &Router, receipt: &str) -> Value {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let (status, body) = send(app, get(&format!("/v1/erase/{receipt}"), None)).await;
        assert_eq!(status, StatusCode::OK);
        let answer = json_of(&body);
        if answer["status"] != "pending" {
            assert_eq!(answer["status"], "done", "{answer}");
            return answer;
        }
        assert!(
            Instant::now() < deadline,
            "the erase did not finish: {answer}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn erase(app: &Router, request: Request<Body>) -> Value {
    let (status, body) = send(app, request).await;
    assert_eq!(
        status,
        StatusCode::ACCEPTED,
        "{}",
        String::from_utf8_lossy(&body)
    );
    let answer = json_of(&body);
    assert_eq!(answer["status"], "pending");
    until_done(app, answer["receipt"].as_str().unwrap()).await
}

fn audit_lines(data: &Path) -> Vec<Value> {
    std::fs::read_to_string(data.join("audit.jsonl"))
        .unwrap_or_default()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn self_service_erase_removes_exactly_that_person_and_a_second_erase_nothing() {
    let h = harness().await;
    let data = h.dir.path().join("data");
    ingest(&h.app, KEY_A, ANN, 3).await;
    ingest(&h.app, KEY_A, BOB, 2).await;
    ingest(&h.app, KEY_B, ANN, 4).await;
    until_stored(&data, 9).await;
    let before = census(&data);

    let mine = export(&h.app, post("/v1/export", None, self_body(KEY_A, ANN))).await;
    assert_eq!(mine.len(), 3);
    let hashed = mine[0]["distinct_id"].as_str().unwrap().to_owned();
    assert!(mine
        .iter()
        .all(|e| e["tenant"] == "a" && e["distinct_id"] == hashed.as_str()));
    assert_ne!(hashed, ANN, "stored ids are hashed");

    let done = erase(&h.app, post("/v1/erase", None, self_body(KEY_A, ANN))).await;
    assert_eq!(done["removed"]["local"], 3, "{done}");
    assert_eq!(done["removed"]["queue"], 0, "{done}");
    assert_eq!(done["removed"]["clickhouse"], Value::Null, "{done}");
    assert!(
        done["posthog"].as_str().unwrap().contains("not configured"),
        "{done}"
    );
    assert!(!done.to_string().contains(&hashed) && !done.to_string().contains(ANN));

    let mut expected = before.clone();
    expected.remove(&("a".to_owned(), hashed.clone()));
    assert_eq!(census(&data), expected, "only ann of tenant a went");

    let again = erase(&h.app, post("/v1/erase", None, self_body(KEY_A, ANN))).await;
    assert_eq!(again["removed"]["local"], 0, "{again}");
    assert_eq!(census(&data), expected);
    assert!(
        export(&h.app, post("/v1/export", None, self_body(KEY_A, ANN)))
            .await
            .is_empty()
    );

    // The audit log names the calls and the receipts, never an id.
    let audit = audit_lines(&data);
    let actions: Vec<&str> = audit
        .iter()
        .map(|l| l["action"].as_str().unwrap())
        .collect();
    for action in ["export", "erase_requested", "erase_done"] {
        assert!(actions.contains(&action), "{actions:?}");
    }
    let text = std::fs::read_to_string(data.join("audit.jsonl")).unwrap();
    assert!(
        !text.contains(ANN) && !text.contains(&hashed),
        "an id reached the audit log"
    );
    assert!(audit
        .iter()
        .all(|l| l["time"].is_string() && l["tenant"] == "a"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn self_service_takes_only_ids_nobody_can_guess_and_a_valid_key() {
    let h = harness().await;
    for id in [
        "ann@example.com",
        "ann",
        "42",
        "00000000-0000-0000-0000-000000000000",
    ] {
        for path in ["/v1/erase", "/v1/export"] {
            let (status, body) = send(&h.app, post(path, None, self_body(KEY_A, id))).await;
            assert_eq!(status, StatusCode::FORBIDDEN, "{path} {id}");
            assert_eq!(json_of(&body)["code"], "guessable_distinct_id");
            assert!(
                !String::from_utf8_lossy(&body).contains(id),
                "the id came back"
            );
        }
    }
    let cases: Vec<(Vec<u8>, StatusCode, &str)> = vec![
        (
            self_body("phc_nobody", ANN),
            StatusCode::UNAUTHORIZED,
            "invalid_api_key",
        ),
        (
            self_body(ADMIN_A, ANN),
            StatusCode::UNAUTHORIZED,
            "invalid_api_key",
        ),
        (
            b"{\"api_key\":".to_vec(),
            StatusCode::BAD_REQUEST,
            "invalid_body",
        ),
        (b"[1,2]".to_vec(), StatusCode::BAD_REQUEST, "invalid_body"),
        (
            json!({"api_key": KEY_A}).to_string().into_bytes(),
            StatusCode::BAD_REQUEST,
            "invalid_body",
        ),
        (
            json!({"api_key": KEY_A, "distinct_id": 7})
                .to_string()
                .into_bytes(),
            StatusCode::BAD_REQUEST,
            "invalid_body",
        ),
        (
            json!({"api_key": KEY_A, "distinct_id": ANN, "x": 1})
                .to_string()
                .into_bytes(),
            StatusCode::BAD_REQUEST,
            "invalid_body",
        ),
        (
            json!({"api_key": KEY_A, "distinct_id": ""})
                .to_string()
                .into_bytes(),
            StatusCode::BAD_REQUEST,
            "invalid_distinct_id",
        ),
        (
            vec![b' '; 20_000],
            StatusCode::PAYLOAD_TOO_LARGE,
            "body_too_large",
        ),
    ];
    for (body, status, code) in cases {
        for path in ["/v1/erase", "/v1/export"] {
            let (got, answer) = send(&h.app, post(path, None, body.clone())).await;
            assert_eq!(got, status, "{path}: {}", String::from_utf8_lossy(&answer));
            assert_eq!(json_of(&answer)["code"], code, "{path}");
            assert!(
                !String::from_utf8_lossy(&answer).contains(ANN),
                "the id came back"
            );
        }
    }
    for receipt in ["0123456789abcdef0123456789abcdef", "../../etc/passwd", "x"] {
        let (status, _) = send(&h.app, get(&format!("/v1/erase/{receipt}"), None)).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{receipt}");
    }
    let data = h.dir.path().join("data");
    assert!(
        !data.join("erasures.jsonl").exists(),
        "a refused call recorded a tombstone"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_tokens_act_on_their_own_tenant_only() {
    let h = harness().await;
    let data = h.dir.path().join("data");
    let only_a = "dana@example.com";
    ingest(&h.app, KEY_A, only_a, 2).await;
    ingest(&h.app, KEY_A, CY, 1).await;
    ingest(&h.app, KEY_B, CY, 2).await;
    until_stored(&data, 5).await;
    let before = census(&data);
    let body = |id: &str| serde_json::to_vec(&json!({"distinct_id": id})).unwrap();

    // No token, a wrong one, or a project key: refused.
    for token in [None, Some("nope"), Some(KEY_A), Some("")] {
        for path in ["/v1/admin/erase", "/v1/admin/export"] {
            let (status, _) = send(&h.app, post(path, token, body(only_a))).await;
            assert_eq!(status, StatusCode::UNAUTHORIZED, "{path} {token:?}");
        }
        let (status, _) = send(&h.app, get("/v1/admin/stats", token)).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
    // Tenant A's admin exports its person by any id.
    let dana = export(
        &h.app,
        post("/v1/admin/export", Some(ADMIN_A), body(only_a)),
    )
    .await;
    assert_eq!(dana.len(), 2);
    let hashed = dana[0]["distinct_id"].as_str().unwrap().to_owned();

    // Tenant B's token and key, with A's raw and hashed ids: nothing of A is read or removed,
    // and the answers look the same as for an id nobody has.
    for id in [only_a, hashed.as_str()] {
        assert!(
            export(&h.app, post("/v1/admin/export", Some(ADMIN_B), body(id)))
                .await
                .is_empty()
        );
        let done = erase(&h.app, post("/v1/admin/erase", Some(ADMIN_B), body(id))).await;
        assert_eq!(done["removed"]["local"], 0, "{done}");
    }
    assert!(
        export(&h.app, post("/v1/export", None, self_body(KEY_B, &hashed)))
            .await
            .is_empty()
    );
    let never = "5d41402abc4b2a76b9719d911017c5925d41402abc4b2a76b9719d911017c592";
    let (status, unknown) = send(&h.app, post("/v1/export", None, self_body(KEY_B, never))).await;
    let (_, known_elsewhere) =
        send(&h.app, post("/v1/export", None, self_body(KEY_B, &hashed))).await;
    assert_eq!((status, unknown), (StatusCode::OK, known_elsewhere));
    // A tenant's token naming another tenant is no token for it.
    let cross = serde_json::to_vec(&json!({"distinct_id": only_a, "tenant": "a"})).unwrap();
    let (status, _) = send(&h.app, post("/v1/admin/erase", Some(ADMIN_B), cross)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        census(&data),
        before,
        "tenant B's credentials changed tenant A"
    );

    // Stats: per day and per event name, this tenant only.
    let (status, stats) = send(&h.app, get("/v1/admin/stats", Some(ADMIN_A))).await;
    assert_eq!(status, StatusCode::OK);
    let stats = json_of(&stats);
    assert_eq!(stats["total"], 3, "{stats}");
    assert_eq!(stats["events"]["setup_completed"], 3, "{stats}");
    assert_eq!(
        stats["days"]
            .as_object()
            .unwrap()
            .values()
            .map(|v| v.as_u64().unwrap())
            .sum::<u64>(),
        3
    );

    // Tenant A's admin erases by email; the same email elsewhere would be another person.
    let done = erase(&h.app, post("/v1/admin/erase", Some(ADMIN_A), body(only_a))).await;
    assert_eq!(done["removed"]["local"], 2, "{done}");
    let mut expected = before.clone();
    expected.remove(&("a".to_owned(), hashed.clone()));
    assert_eq!(census(&data), expected);

    // The collector's token: a whole tenant, named; never without a name.
    let (status, _) = send(
        &h.app,
        post("/v1/admin/erase", Some(COLLECTOR), b"{}".to_vec()),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let whole = serde_json::to_vec(&json!({"tenant": "a"})).unwrap();
    let done = erase(&h.app, post("/v1/admin/erase", Some(COLLECTOR), whole)).await;
    assert_eq!(done["removed"]["local"], 1, "{done}");
    assert!(
        census(&data).keys().all(|(t, _)| t == "b"),
        "tenant a is gone whole"
    );
    assert_eq!(
        census(&data).values().sum::<usize>(),
        2,
        "tenant b is untouched"
    );
    let (status, _) = send(&h.app, get("/v1/admin/stats?tenant=b", Some(COLLECTOR))).await;
    assert_eq!(status, StatusCode::OK);
    // Events of a wholly erased tenant sent afterwards are kept.
    ingest(&h.app, KEY_A, CY, 1).await;
    until_stored(&data, 3).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_erase_during_ingest_loses_no_one_elses_event() {
    let h = harness().await;
    let data = h.dir.path().join("data");
    ingest(&h.app, KEY_A, ANN, 20).await;
    until_stored(&data, 20).await;
    let app = h.app.clone();
    let others = tokio::spawn(async move {
        for i in 0..40 {
            let id = format!("{i:02}{}", &BOB[2..]);
            ingest(&app, KEY_A, &id, 5).await;
        }
    });
    let done = erase(&h.app, post("/v1/erase", None, self_body(KEY_A, ANN))).await;
    others.await.unwrap();
    until_stored(&data, 200).await;
    assert_eq!(done["removed"]["local"], 20, "{done}");
    let census = census(&data);
    assert_eq!(census.len(), 40, "every other person is there");
    assert!(census.values().all(|&n| n == 5), "{census:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_admin_routes_answer_bad_input_with_a_clear_4xx() {
    let h = harness().await;
    let long = "x".repeat(201);
    let cases: Vec<(Vec<u8>, StatusCode, &str)> = vec![
        (
            b"{\"distinct_id\":".to_vec(),
            StatusCode::BAD_REQUEST,
            "invalid_body",
        ),
        (b"\"ann\"".to_vec(), StatusCode::BAD_REQUEST, "invalid_body"),
        (
            json!({"distinct_id": 5}).to_string().into_bytes(),
            StatusCode::BAD_REQUEST,
            "invalid_body",
        ),
        (
            json!({"distinct_id": "a", "x": 1}).to_string().into_bytes(),
            StatusCode::BAD_REQUEST,
            "invalid_body",
        ),
        (
            b"{}".to_vec(),
            StatusCode::BAD_REQUEST,
            "invalid_distinct_id",
        ),
        (
            json!({"distinct_id": " "}).to_string().into_bytes(),
            StatusCode::BAD_REQUEST,
            "invalid_distinct_id",
        ),
        (
            json!({"distinct_id": long}).to_string().into_bytes(),
            StatusCode::BAD_REQUEST,
            "invalid_distinct_id",
        ),
        (
            vec![b' '; 20_000],
            StatusCode::PAYLOAD_TOO_LARGE,
            "body_too_large",
        ),
    ];
    for (body, status, code) in cases {
        for path in ["/v1/admin/erase", "/v1/admin/export"] {
            let (got, answer) = send(&h.app, post(path, Some(ADMIN_A), body.clone())).await;
            assert_eq!(got, status, "{path}: {}", String::from_utf8_lossy(&answer));
            assert_eq!(json_of(&answer)["code"], code, "{path}");
        }
    }
    // The collector's token must name an existing tenant.
    let unknown = serde_json::to_vec(&json!({"tenant": "nobody"})).unwrap();
    let (status, _) = send(&h.app, post("/v1/admin/erase", Some(COLLECTOR), unknown)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _) = send(
        &h.app,
        get("/v1/admin/stats?tenant=nobody", Some(COLLECTOR)),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let data = h.dir.path().join("data");
    assert!(
        !data.join("erasures.jsonl").exists(),
        "a refused call recorded a tombstone"
    );
}
