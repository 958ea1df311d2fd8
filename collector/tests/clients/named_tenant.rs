//! Flags, `/decide/`, recordings and remote config check the project key the request
//! names, refuse bad input, and answer CORS for that tenant, never for "some tenant".

use super::{allow_origin, harness, json_of, send, KEY, PAGE, SECRET};
use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use serde_json::{json, Value};

/// One posthog-js `$snapshot` event for `key`.
pub(super) fn snapshot(key: &str) -> Value {
    json!({"event": "$snapshot", "properties": {
        "token": key, "distinct_id": "d", "$snapshot_data": [{"type": 2, "data": {}}]
    }})
}

/// A `POST` of `body` (JSON text) to `path`, from `origin` when given.
pub(super) fn post(path: &str, origin: Option<&str>, body: String) -> Request<Body> {
    let mut request = Request::post(path).header(header::CONTENT_TYPE, "application/json");
    if let Some(origin) = origin {
        request = request.header(header::ORIGIN, origin);
    }
    request.body(Body::from(body)).unwrap()
}

#[tokio::test]
async fn flags_decide_and_recordings_refuse_bad_input_and_count_nothing() {
    let h = harness("").await;
    let flags_body = |key: Option<&str>| json!({"token": key, "distinct_id": "m"}).to_string();
    for path in ["/decide/?v=3", "/flags/?v=2"] {
        for (body, status, code) in [
            (flags_body(None), 401, "missing_api_key"),
            (flags_body(Some("phc_wrong")), 401, "invalid_api_key"),
            ("{nope".to_owned(), 400, "invalid_json"),
            ("[1]".to_owned(), 400, "invalid_body"),
        ] {
            let (got, _, answer) = send(&h.app, post(path, None, body)).await;
            assert_eq!(
                (got.as_u16(), json_of(&answer)["code"].as_str()),
                (status, Some(code)),
                "{path}"
            );
        }
    }
    let no_key = json!([{"event": "$snapshot", "properties": {"$snapshot_data": []}}]);
    for (request, status, code) in [
        (
            post("/s/", None, no_key.to_string()),
            401,
            "missing_api_key",
        ),
        (
            post("/s/", None, json!([snapshot("phc_wrong")]).to_string()),
            401,
            "invalid_api_key",
        ),
        (
            post(
                "/s/",
                None,
                json!([snapshot(KEY), snapshot("phc_other")]).to_string(),
            ),
            400,
            "mixed_api_keys",
        ),
        (post("/s/", None, "{nope".into()), 400, "invalid_json"),
        (post("/s/", None, "[1]".into()), 400, "invalid_event"),
        (
            Request::post("/s/?compression=gzip-js")
                .body(Body::from(vec![0x1f, 0x8b, 0, 1, 2]))
                .unwrap(),
            400,
            "invalid_gzip",
        ),
    ] {
        let (got, _, answer) = send(&h.app, request).await;
        assert_eq!(
            (got.as_u16(), json_of(&answer)["code"].as_str()),
            (status, Some(code))
        );
    }
    let metrics = h.collector.state.metrics.render();
    assert!(
        !metrics.contains("reason=\"session_recording\""),
        "{metrics}"
    );
}

#[tokio::test]
async fn config_flags_and_recordings_follow_the_origins_of_the_tenant_they_name() {
    const OPEN: &str = "phc_clients_open_key";
    let h = harness(&format!(
        "allowed_origins = [\"{PAGE}\"]\n[[tenants]]\nname = \"open\"\napi_key = \"{OPEN}\"\nhash_key = \"{SECRET}-open\""
    ))
    .await;
    let evil = "https://evil.example";
    let routes = |key: &str, origin: &str| {
        let get = |path: String| {
            Request::get(path)
                .header(header::ORIGIN, origin)
                .body(Body::empty())
                .unwrap()
        };
        let flags = json!({"token": key, "distinct_id": "m"}).to_string();
        [
            get(format!("/array/{key}/config")),
            get(format!("/array/{key}/config.js")),
            post("/flags/?v=2", Some(origin), flags.clone()),
            post("/decide/?v=3", Some(origin), flags),
            post("/s/", Some(origin), json!([snapshot(key)]).to_string()),
        ]
    };
    // The restricted tenant's key from another origin: refused, the origin never reflected,
    // although the other tenant would allow it.
    for request in routes(KEY, evil) {
        let path = request.uri().to_string();
        let (status, headers, answer) = send(&h.app, request).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{path}");
        assert_eq!(json_of(&answer)["code"], "origin_not_allowed", "{path}");
        assert_eq!(allow_origin(&headers), None, "{path}");
    }
    for (key, origin) in [(KEY, PAGE), (OPEN, evil)] {
        for request in routes(key, origin) {
            let path = request.uri().to_string();
            let (status, headers, _) = send(&h.app, request).await;
            assert_eq!(status, StatusCode::OK, "{path}");
            assert_eq!(allow_origin(&headers), Some(origin), "{path}");
        }
    }
}
