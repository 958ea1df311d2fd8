//! What PostHog clients call besides capture, answered the way each expects: remote config
//! (posthog-js), feature flags (`/flags/`, and `/decide/` for older clients) and session
//! recordings (`/s/`). hush has no flags and keeps no recordings, so the answers say so.
//!
//! Each route checks the project key the request names, as capture does: in the path
//! (remote config), in the body (`token` or `api_key` for flags, as posthog-js, posthog-node
//! and posthog Python send it; each event's key for recordings, as posthog-js sends them as
//! `$snapshot` events) or else in the query (`?token=`). No key or an unknown one is `401`,
//! a body that is not what the route reads `400`, and a page on a web origin the named
//! tenant does not allow `403`: the CORS answer follows that tenant, never "some tenant"
//! (see [`OriginVerdict`]).

use super::cors::{origin_refused, OriginVerdict};
use super::decode::{decode_body, Compression};
use super::envelope::{invalid_json, Envelope};
use super::error::ApiError;
use super::ingest::{read_body, resolve_tenant, INLINE_BODY_BYTES};
use super::AppState;
use crate::drop_reason::DropReason;
use axum::body::Body;
use axum::extract::{Path, RawQuery, State};
use axum::http::header::{self, CONTENT_TYPE};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::Json;
use hush_config::LimitsConfig;
use serde::de::IgnoredAny;
use serde::Deserialize;
use serde_json::{json, Value};
use std::sync::Arc;

/// posthog-js's remote config: gzip-js compression supported; recordings, surveys,
/// heatmaps and exception autocapture off; events to `/i/v0/e/`.
fn remote_config(token: &str) -> Value {
    json!({
        "token": token,
        "supportedCompression": ["gzip", "gzip-js"],
        "hasFeatureFlags": false,
        "captureDeadClicks": false,
        "capturePerformance": false,
        "autocapture_opt_out": false,
        "autocaptureExceptions": false,
        "analytics": {"endpoint": "/i/v0/e/"},
        "elementsChainAsString": true,
        "errorTracking": {"autocaptureExceptions": false, "suppressionRules": []},
        "sessionRecording": false,
        "heatmaps": false,
        "surveys": false,
        "defaultIdentifiedOnly": true,
        "siteApps": [],
    })
}

/// `GET /array/{token}/config`: the remote config as JSON.
pub async fn config_json(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    Path(token): Path<String>,
) -> Response {
    let (verdict, checked) = check(&state, &headers, Some(&token));
    respond(
        verdict,
        checked.map(|()| Json(remote_config(&token)).into_response()),
    )
}

/// `GET /array/{token}/config.js`: the remote config as the script posthog-js loads.
pub async fn config_js(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    Path((token, script)): Path<(String, String)>,
) -> Response {
    if script != "config.js" {
        return ApiError::NotFound.into_response();
    }
    let (verdict, checked) = check(&state, &headers, Some(&token));
    let answer = checked.map(|()| {
        // The token is a known key (letters, digits, `_`), so it is safe inside the script.
        let config = json!({"config": remote_config(&token), "siteApps": []});
        let script = format!(
            "(function() {{\n  window._POSTHOG_REMOTE_CONFIG = window._POSTHOG_REMOTE_CONFIG || {{}};\n  window._POSTHOG_REMOTE_CONFIG[{key}] = {config};\n}})();\n",
            key = Value::String(token),
        );
        ([(CONTENT_TYPE, "application/javascript")], script).into_response()
    });
    respond(verdict, answer)
}

/// The empty `/flags/` answer (any version): both shapes the current clients read — v2's
/// `flags` and v1's `featureFlags`/`featureFlagPayloads` — present and empty.
fn no_flags() -> Value {
    json!({
        "flags": {},
        "featureFlags": {},
        "featureFlagPayloads": {},
        "errorsWhileComputingFlags": false,
        "quotaLimited": [],
        "requestId": uuid::Uuid::new_v4().to_string(),
    })
}

/// The `/decide/` answer (older clients): no flags, and every optional feature off.
fn no_decide() -> Value {
    let mut answer = remote_config("");
    if let Value::Object(fields) = &mut answer {
        fields.remove("token");
        fields.insert("featureFlags".into(), json!({}));
        fields.insert("featureFlagPayloads".into(), json!({}));
        fields.insert("errorsWhileComputingFlags".into(), json!(false));
        fields.insert("config".into(), json!({"enable_collect_everything": false}));
        fields.insert("toolbarParams".into(), json!({}));
        fields.insert("isAuthenticated".into(), json!(false));
    }
    answer
}

/// `/flags/` (any version): the project key checked, then no flags.
pub async fn flags(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
    body: Body,
) -> Response {
    flags_like(&state, &headers, query, body, no_flags).await
}

/// `/decide/` (older clients): the project key checked, then no flags.
pub async fn decide(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
    body: Body,
) -> Response {
    flags_like(&state, &headers, query, body, no_decide).await
}

async fn flags_like(
    state: &Arc<AppState>,
    headers: &HeaderMap,
    query: Option<String>,
    body: Body,
    answer: fn() -> Value,
) -> Response {
    let found = match read_found(state, headers, query.as_deref(), body, flags_body).await {
        Ok(found) => found,
        Err(e) => return e.into_response(),
    };
    let key = found.key.or_else(|| query_key(query.as_deref()));
    let (verdict, checked) = check(state, headers, key.as_deref());
    respond(verdict, checked.map(|()| Json(answer()).into_response()))
}

/// `POST /s/`: session recordings. The project key is checked as for capture; then the
/// recording is accepted and dropped whole (its events counted as `session_recording`),
/// so the recorder never retries.
pub async fn recording(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
    body: Body,
) -> Response {
    let found = match read_found(&state, &headers, query.as_deref(), body, recording_body).await {
        Ok(found) => found,
        Err(e) => return e.into_response(),
    };
    let key = found.key.or_else(|| query_key(query.as_deref()));
    let (verdict, checked) = check(&state, &headers, key.as_deref());
    let answer = checked.map(|()| {
        state
            .metrics
            .dropped(DropReason::SessionRecording.as_str(), found.events as u64);
        Json(json!({"status": 1})).into_response()
    });
    respond(verdict, answer)
}

/// The named tenant's check: `401` for no key or an unknown one, `403` for a web origin it
/// does not allow; with its verdict on the origin for the CORS layer.
fn check(
    state: &AppState,
    headers: &HeaderMap,
    key: Option<&str>,
) -> (Option<OriginVerdict>, Result<(), ApiError>) {
    let tenant = match resolve_tenant(state, key) {
        Ok(tenant) => tenant,
        Err(e) => return (None, Err(e)),
    };
    let verdict = OriginVerdict::of(&tenant, headers);
    if OriginVerdict::refuses(verdict) {
        return (verdict, Err(origin_refused()));
    }
    (verdict, Ok(()))
}

/// The answer, carrying the named tenant's origin verdict for the CORS layer.
fn respond(verdict: Option<OriginVerdict>, result: Result<Response, ApiError>) -> Response {
    let mut response = result.unwrap_or_else(IntoResponse::into_response);
    if let Some(verdict) = verdict {
        response.extensions_mut().insert(verdict);
    }
    response
}

/// What a body names: its project key, and how many events it holds.
struct Found {
    key: Option<String>,
    events: usize,
}

/// Reads and decodes the body as ingest does (size cap, gzip, base64, form), then runs
/// `find` on the JSON: on the blocking pool when the body is large, compressed or a form.
async fn read_found(
    state: &Arc<AppState>,
    headers: &HeaderMap,
    query: Option<&str>,
    body: Body,
    find: fn(&[u8], &LimitsConfig) -> Result<Found, ApiError>,
) -> Result<Found, ApiError> {
    let text = |name| headers.get(name).and_then(|v| v.to_str().ok());
    let announced = text(header::CONTENT_LENGTH).and_then(|v| v.trim().parse::<u64>().ok());
    let raw = read_body(body, state.limits.max_body_bytes, announced).await?;
    let compression = Compression::from_request(text(header::CONTENT_ENCODING), query)?;
    let is_form =
        text(CONTENT_TYPE).is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    let inline = raw.len() <= INLINE_BODY_BYTES && compression == Compression::None && !is_form;
    let work = move |limits: &LimitsConfig| {
        let bytes = decode_body(&raw, is_form, compression, limits)?;
        find(&bytes, limits)
    };
    if inline {
        work(&state.limits)
    } else {
        let state = state.clone();
        tokio::task::spawn_blocking(move || work(&state.limits))
            .await
            .map_err(|_| ApiError::Internal)?
    }
}

/// The `token` (or `api_key`) query parameter.
fn query_key(query: Option<&str>) -> Option<String> {
    form_urlencoded::parse(query?.as_bytes())
        .find(|(k, v)| (k == "token" || k == "api_key") && !v.is_empty())
        .map(|(_, v)| v.into_owned())
}

/// The keys a JSON object may name itself by, as capture reads them.
#[derive(Deserialize)]
struct Keys {
    #[serde(default)]
    api_key: Option<Value>,
    #[serde(default)]
    token: Option<Value>,
    #[serde(default)]
    properties: Option<PropertyKeys>,
}

/// posthog-js puts the key in `properties.token`.
#[derive(Deserialize)]
struct PropertyKeys {
    #[serde(default)]
    token: Option<Value>,
}

impl Keys {
    fn key(self) -> Option<String> {
        [
            self.api_key,
            self.token,
            self.properties.and_then(|p| p.token),
        ]
        .into_iter()
        .flatten()
        .find_map(|v| match v {
            Value::String(s) if !s.is_empty() => Some(s),
            _ => None,
        })
    }
}

/// A flags body: empty (the key is in the query), or one JSON object naming the key.
fn flags_body(bytes: &[u8], _: &LimitsConfig) -> Result<Found, ApiError> {
    let bytes = bytes.trim_ascii();
    let key = if bytes.is_empty() {
        None
    } else if bytes.starts_with(b"{") {
        let keys: Keys = serde_json::from_slice(bytes).map_err(|e| invalid_json(&e))?;
        keys.key()
    } else {
        serde_json::from_slice::<IgnoredAny>(bytes).map_err(|e| invalid_json(&e))?;
        return Err(ApiError::bad_request(
            "invalid_body",
            "expected a JSON object with the project `token`",
        ));
    };
    Ok(Found { key, events: 0 })
}

/// A recording body: capture's shapes (posthog-js sends `$snapshot` events), each event
/// read only for its key; every event must name the same one.
fn recording_body(bytes: &[u8], limits: &LimitsConfig) -> Result<Found, ApiError> {
    let envelope = Envelope::read(bytes, limits)?;
    let mut key = envelope.api_key.map(|k| k.into_owned());
    for (i, event) in envelope.events.iter().enumerate() {
        let keys: Keys = serde_json::from_str(event.get()).map_err(|_| {
            ApiError::bad_request(
                "invalid_event",
                format!("batch[{i}] is not an event object"),
            )
        })?;
        match (&key, keys.key()) {
            (None, Some(k)) => key = Some(k),
            (Some(a), Some(b)) if *a != b => {
                return Err(ApiError::bad_request(
                    "mixed_api_keys",
                    format!("batch[{i}] carries a different api_key than the batch"),
                ))
            }
            _ => {}
        }
    }
    Ok(Found {
        key,
        events: envelope.events.len(),
    })
}
