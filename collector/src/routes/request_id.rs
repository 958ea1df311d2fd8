//! Request ids, the request span, the request timeout, and latency metrics.

use crate::error::ApiError;
use crate::state::AppState;
use axum::extract::{Request, State};
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::sync::Arc;
use std::time::Instant;
use tracing::Instrument;

/// The request id header, accepted from the client or generated.
pub const REQUEST_ID: &str = "x-request-id";

/// A client's id is kept only if it is short and plain, so it can never smuggle a payload
/// into the logs.
fn acceptable(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 64
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.')
}

/// Wraps every request: id, span, timeout, metrics.
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
        .filter(|v| acceptable(v))
        .map(str::to_owned)
        .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    let span = tracing::info_span!(
        "request",
        request_id = %id,
        method = %request.method(),
        path = %request.uri().path()
    );
    let timeout = state.request_timeout;
    let mut response = async move {
        match tokio::time::timeout(timeout, next.run(request)).await {
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
    .instrument(span.clone())
    .await;
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
    state.metrics.request(status, started.elapsed());
    if let Ok(value) = HeaderValue::from_str(&id) {
        response.headers_mut().insert(REQUEST_ID, value);
    }
    response
}
