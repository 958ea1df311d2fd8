//! `/healthz`, `/readyz`, `/metrics`.

use super::app_state::AppState;
use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use axum::Json;
use serde_json::json;
use std::sync::Arc;

/// Alive: the process answers.
pub async fn healthz() -> Json<serde_json::Value> {
    Json(json!({"status": "ok"}))
}

/// Ready: the queue can take events (its writes work and it is below 90% of its cap)
/// and the collector is not stopping.
pub async fn readyz(State(state): State<Arc<AppState>>) -> impl IntoResponse {
    let stats = state.queue.stats();
    state
        .metrics
        .set_queue(stats.bytes_on_disk, stats.depth.clone());
    let mut problems = Vec::new();
    if state.is_stopping() {
        problems.push("stopping".to_string());
    }
    if let Some(reason) = state.queue.unavailable_reason() {
        problems.push(reason);
    }
    if stats.bytes_on_disk.saturating_mul(10) >= state.max_queue_bytes.saturating_mul(9) {
        problems.push("queue nearly full: sinks are not keeping up".to_string());
    }
    let body = json!({
        "status": if problems.is_empty() { "ready" } else { "not_ready" },
        "problems": problems,
        "queue_bytes": stats.bytes_on_disk,
        "queue_depth": stats.depth,
    });
    let status = if problems.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (status, Json(body))
}

/// Prometheus text.
pub async fn metrics(State(state): State<Arc<AppState>>) -> impl IntoResponse {
    let stats = state.queue.stats();
    state.metrics.set_queue(stats.bytes_on_disk, stats.depth);
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        state.metrics.render(),
    )
}
