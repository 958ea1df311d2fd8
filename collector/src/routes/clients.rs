//! What PostHog clients call besides capture, answered the way each expects: remote config
//! (posthog-js), feature flags (`/flags/`, and `/decide/` for older clients) and session
//! recordings (`/s/`). hush has no flags and keeps no recordings, so the answers say so.

use super::error::ApiError;
use super::ingest::resolve_tenant;
use super::state::AppState;
use crate::drop_reason::DropReason;
use axum::extract::{Path, State};
use axum::http::header::CONTENT_TYPE;
use axum::response::{IntoResponse, Response};
use axum::Json;
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
    Path(token): Path<String>,
) -> Result<Json<Value>, ApiError> {
    resolve_tenant(&state, Some(&token))?;
    Ok(Json(remote_config(&token)))
}

/// `GET /array/{token}/config.js`: the remote config as the script posthog-js loads.
pub async fn config_js(
    State(state): State<Arc<AppState>>,
    Path((token, script)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    if script != "config.js" {
        return Err(ApiError::NotFound);
    }
    resolve_tenant(&state, Some(&token))?;
    // The token is a known key (letters, digits, `_`), so it is safe inside the script.
    let config = json!({"config": remote_config(&token), "siteApps": []});
    let script = format!(
        "(function() {{\n  window._POSTHOG_REMOTE_CONFIG = window._POSTHOG_REMOTE_CONFIG || {{}};\n  window._POSTHOG_REMOTE_CONFIG[{key}] = {config};\n}})();\n",
        key = Value::String(token),
    );
    Ok(([(CONTENT_TYPE, "application/javascript")], script).into_response())
}

/// `/flags/` (any version): no flags. Both shapes the current clients read — v2's
/// `flags` and v1's `featureFlags`/`featureFlagPayloads` — are present and empty.
pub async fn flags() -> Json<Value> {
    Json(json!({
        "flags": {},
        "featureFlags": {},
        "featureFlagPayloads": {},
        "errorsWhileComputingFlags": false,
        "quotaLimited": [],
        "requestId": uuid::Uuid::new_v4().to_string(),
    }))
}

/// `/decide/` (older clients): no flags, and every optional feature off.
pub async fn decide() -> Json<Value> {
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
    Json(answer)
}

/// `POST /s/`: session recordings are accepted and dropped whole (counted), so the
/// recorder never retries.
pub async fn recording(State(state): State<Arc<AppState>>) -> Json<Value> {
    state
        .metrics
        .dropped(DropReason::SessionRecording.as_str(), 1);
    Json(json!({"status": 1}))
}
