//! Operator surfaces: who may read `/metrics` and `/readyz` details (admin listener, admin
//! token, loopback only by default), and what reaches the log and the client of a request
//! whose path or `X-Request-Id` carries personal data or a secret.

mod common;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use common::{get, request, Process, Server, KEY};
use http_body_util::BodyExt;
use hush_collector::routes::{app, Listener};
use hush_collector::Collector;
use hush_config::CollectorConfig;
use tower::ServiceExt;

const TOKEN: &str = "operator-test-admin-token-0123456789abcdef";
const EMAIL: &str = "jane.doe@example.com";
const GITHUB_TOKEN: &str = "ghp_R8x2Lq9ZtW4vYk7NbP3mC6sD1fH5jA0eUoIy";

#[test]
fn an_admin_listener_takes_the_operator_details_off_the_main_listener() {
    let server = Server::start("", true);
    let admin = server.admin.unwrap();

    let refused = get(server.addr, "/metrics", &[]);
    assert_eq!(refused.status, 403, "{}", refused.text());
    assert_eq!(refused.json()["code"], "admin_only");
    assert!(!refused.text().contains("hush_events"), "no metrics leak");
    let ready = get(server.addr, "/readyz", &[]);
    assert_eq!(ready.status, 200);
    assert_eq!(
        ready.json(),
        serde_json::json!({"status": "ready"}),
        "only the bare status on the main listener"
    );
    assert_eq!(get(server.addr, "/healthz", &[]).status, 200);

    let metrics = get(admin, "/metrics", &[]);
    assert_eq!(metrics.status, 200);
    assert!(metrics.text().contains("hush_events_received_total"));
    let ready = get(admin, "/readyz", &[]);
    assert_eq!(ready.status, 200);
    assert!(
        ready.json().get("queue_bytes").is_some(),
        "{}",
        ready.text()
    );
    // The admin listener serves nothing else.
    let body = format!(r#"{{"api_key": "{KEY}", "batch": []}}"#);
    let ingest = request(admin, "POST", "/batch/", &[], body.as_bytes());
    assert_eq!(ingest.status, 404);
    assert_eq!(ingest.json()["code"], "not_found");
    assert_eq!(
        request(server.addr, "POST", "/batch/", &[], body.as_bytes()).status,
        200
    );
}

#[test]
fn an_admin_token_protects_the_operator_details_everywhere() {
    let server = Server::start(&format!("[admin]\ntoken = \"{TOKEN}\"\n"), false);
    let missing = get(server.addr, "/metrics", &[]);
    assert_eq!(missing.status, 401);
    assert_eq!(missing.json()["code"], "admin_token_required");
    assert_eq!(missing.header("www-authenticate"), Some("Bearer"));
    let wrong = get(
        server.addr,
        "/metrics",
        &[("Authorization", "Bearer not-the-token")],
    );
    assert_eq!(wrong.status, 401);
    assert_eq!(wrong.json()["code"], "invalid_admin_token");
    assert!(!wrong.everything().contains(TOKEN));
    let bearer = format!("Bearer {TOKEN}");
    let allowed = get(server.addr, "/metrics", &[("Authorization", &bearer)]);
    assert_eq!(allowed.status, 200);
    assert!(allowed.text().contains("hush_events_received_total"));

    let bare = get(server.addr, "/readyz", &[]);
    assert_eq!(bare.json(), serde_json::json!({"status": "ready"}));
    let full = get(server.addr, "/readyz", &[("Authorization", &bearer)]);
    assert!(full.json().get("queue_depth").is_some(), "{}", full.text());
}

/// A main listener that is not on loopback (the test only binds loopback, so the router is
/// asked as the server would build it for `0.0.0.0`).
#[tokio::test]
async fn a_main_listener_off_loopback_refuses_metrics_without_a_token() {
    let dir = tempfile::TempDir::new().unwrap();
    let path = common::write_config(dir.path(), "listen = \"0.0.0.0:8787\"\n");
    let config = CollectorConfig::load_from(Some(&path), Vec::new()).unwrap();
    let collector = Collector::start(&config).await.unwrap();
    let state = collector.state.clone();
    assert_eq!(
        state.ops.main_listener(),
        Listener::Main { ops_open: false },
        "from the configuration"
    );
    let router = hush_collector::router(state.clone());
    let response = router
        .clone()
        .oneshot(Request::get("/metrics").body(Body::empty()).unwrap())
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    let response = router
        .oneshot(Request::get("/readyz").body(Body::empty()).unwrap())
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let body = response.into_body().collect().await.unwrap().to_bytes();
    assert_eq!(&body[..], br#"{"status":"ready"}"#);

    let admin = app(state, Listener::Admin)
        .oneshot(Request::get("/metrics").body(Body::empty()).unwrap())
        .await
        .unwrap();
    assert_eq!(admin.status(), StatusCode::OK);
    collector.stop(std::time::Duration::from_secs(5)).await;
}

#[test]
fn paths_and_request_ids_with_secrets_never_reach_the_log_or_the_client() {
    let collector = Process::start("", &[("RUST_LOG", "trace")]);
    let addr = collector.addr;
    let planted = [
        EMAIL,
        GITHUB_TOKEN,
        "jane.doe",
        "R8x2Lq9ZtW4vYk7NbP3mC6sD1fH5jA0eUoIy",
    ];
    let mut answers = Vec::new();

    // A 404 whose path and query carry an email and a GitHub token.
    let path = format!("/users/{EMAIL}/keys/{GITHUB_TOKEN}?email={EMAIL}&token={GITHUB_TOKEN}");
    let answer = get(addr, &path, &[("X-Request-Id", GITHUB_TOKEN)]);
    assert_eq!(answer.status, 404);
    assert_eq!(answer.json()["code"], "not_found");
    answers.push(answer);
    let answer = get(addr, &format!("/u/{}", EMAIL.replace('@', "%40")), &[]);
    assert_eq!(answer.status, 404);
    answers.push(answer);

    // Secret-looking request ids on a good request, a bad request and the ops endpoints.
    let good = format!(
        r#"{{"api_key": "{KEY}", "batch": [{{"event": "setup_completed", "distinct_id": "m"}}]}}"#
    );
    for id in [
        GITHUB_TOKEN,
        EMAIL,
        "Bearer ghp_x",
        "sk-ant-api03-R8x2Lq9ZtW4vYk7NbP3mC6sD1fH5jA0eUoIy",
    ] {
        answers.push(request(
            addr,
            "POST",
            "/batch/",
            &[("X-Request-Id", id)],
            good.as_bytes(),
        ));
        answers.push(request(
            addr,
            "POST",
            "/batch/",
            &[("X-Request-Id", id)],
            b"{",
        ));
        answers.push(get(addr, "/healthz", &[("X-Request-Id", id)]));
    }
    for answer in &answers {
        let everything = answer.everything();
        for secret in planted {
            assert!(
                !everything.contains(secret),
                "{secret} echoed back: {everything}"
            );
        }
        let id = answer
            .header("x-request-id")
            .expect("every answer has an id");
        assert!(
            uuid::Uuid::parse_str(id).is_ok(),
            "replaced by a fresh id: {id}"
        );
    }

    // A plain id is kept and echoed, so clients can still correlate.
    let plain = get(
        addr,
        "/healthz",
        &[("X-Request-Id", "req-2026-11-30.abc_123")],
    );
    assert_eq!(plain.header("x-request-id"), Some("req-2026-11-30.abc_123"));
    let uuid = "0b0e1c9a-6a35-4b2d-9a51-2f9d1f6f5e11";
    assert_eq!(
        get(addr, "/healthz", &[("X-Request-Id", uuid)]).header("x-request-id"),
        Some(uuid)
    );

    let log = strip_ansi(&collector.stop());
    assert!(
        log.contains("route=unmatched") && log.contains("req-2026-11-30.abc_123"),
        "the requests were logged:\n{log}"
    );
    for secret in planted {
        assert!(!log.contains(secret), "{secret} reached the log:\n{log}");
    }
    assert!(!log.contains("/users/"), "the raw path reached the log");
}

/// The log without terminal colour codes.
fn strip_ansi(log: &str) -> String {
    let mut out = String::with_capacity(log.len());
    let mut chars = log.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            for c in chars.by_ref() {
                if c.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}
