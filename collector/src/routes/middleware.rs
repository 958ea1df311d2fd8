//! Request ids, the request span, the request timeout, and latency metrics.
//!
//! Two layers: [`request_context`] (id, span, metrics) wraps everything, the CORS layer
//! included; [`request_timeout`] sits inside the CORS layer, so its `503` carries
//! `Access-Control-Allow-Origin` like every other answer a page may read.
//!
//! Nothing the client chose reaches a log line unchecked: the span names the route (one of
//! the collector's fixed paths, or `unmatched`), never the raw path or query, and a client's
//! `X-Request-Id` is used only when it is short, plain and holds nothing the scrubber would
//! redact. Otherwise a fresh id replaces it, and the client's value is neither logged nor
//! echoed.
//!
//! One function rather than tower-http's request-id layers: those keep any id the client
//! sends, and the check above needs the scrubber from the router's state.

use super::app_state::AppState;
use super::error::ApiError;
use axum::extract::{MatchedPath, Request, State};
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::sync::Arc;
use std::time::Instant;
use tracing::Instrument;

/// The request id header, accepted from the client or generated.
pub const REQUEST_ID: &str = "x-request-id";

/// A client's id is kept only if it is short and plain, so it can never smuggle a payload
/// into the logs, and holds nothing that looks like a secret or personal data (an API key,
/// an email, a token: whatever the scrubber finds).
fn acceptable(state: &AppState, id: &str) -> bool {
    let plain = !id.is_empty()
        && id.len() <= 64
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.');
    plain && !state.pipeline.finds_anything(id)
}

/// The route to log for a path: one of the collector's own paths, or `unmatched` (an unknown
/// path may carry anything, e.g. an email or a key pasted into a URL).
fn route_label(path: &str) -> &'static str {
    super::INGEST_PATHS
        .iter()
        .chain(super::OPS_PATHS.iter())
        .find(|known| **known == path)
        .copied()
        .unwrap_or("unmatched")
}

/// Wraps every request: id, span, metrics.
pub async fn request_context(
    State(state): State<Arc<AppState>>,
    request: Request,
    next: Next,
) -> Response {
    let started = Instant::now();
    let id = request
        .headers()
        .get(REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .filter(|v| acceptable(&state, v))
        .map(str::to_owned)
        .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    // The matched route's template (`/array/{token}/config`, never the token), else one of
    // the fixed paths, else `unmatched`.
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(|m| m.as_str().to_owned())
        .unwrap_or_else(|| route_label(request.uri().path()).to_owned());
    let span = tracing::info_span!(
        "request",
        request_id = %id,
        method = %request.method(),
        route = %route
    );
    let mut response = next.run(request).instrument(span.clone()).await;
    let status = response.status().as_u16();
    span.in_scope(|| {
        if status >= 500 {
            tracing::warn!(status, "answered");
        } else {
            tracing::debug!(
                status,
                elapsed_us = started.elapsed().as_micros() as u64,
                "answered"
            );
        }
    });
    state.metrics.request(&route, status, started.elapsed());
    if let Ok(value) = HeaderValue::from_str(&id) {
        response.headers_mut().insert(REQUEST_ID, value);
    }
    response
}

/// Answers `503` (`timeout`) when the rest of the request takes longer than
/// `limits.request_timeout_ms`. Layered inside the CORS layer (see the module docs).
pub async fn request_timeout(
    State(state): State<Arc<AppState>>,
    request: Request,
    next: Next,
) -> Response {
    match tokio::time::timeout(state.request_timeout, next.run(request)).await {
        Ok(response) => response,
        Err(_) => {
            tracing::warn!("request timed out");
            ApiError::Unavailable {
                code: "timeout",
                detail: "the request took too long".into(),
            }
            .into_response()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_paths_are_not_logged() {
        assert_eq!(route_label("/batch/"), "/batch/");
        assert_eq!(route_label("/metrics"), "/metrics");
        assert_eq!(
            route_label("/users/jane.doe@example.com/ghp_R8x2Lq9ZtW4vYk7NbP3mC6sD1fH5jA0eUoIy"),
            "unmatched"
        );
        assert_eq!(route_label("/batch/extra"), "unmatched");
    }
}
