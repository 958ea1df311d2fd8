//! HTTP routes: PostHog-compatible ingest and the operations endpoints.

mod budget;
mod decode;
mod envelope;
mod ingest;
mod ops;
mod rate;
mod request_id;

pub use budget::Budget;
pub use decode::{decode_body, Compression};
pub use envelope::Envelope;
pub use rate::RateLimiter;

use crate::state::AppState;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};
use axum::Router;
use std::sync::Arc;

/// The collector's router. Tests call `router(state).oneshot(request)` with no socket.
pub fn router(state: Arc<AppState>) -> Router {
    let mut app = Router::new();
    for path in [
        "/batch",
        "/batch/",
        "/capture",
        "/capture/",
        "/e",
        "/e/",
        "/i/v0/e",
        "/i/v0/e/",
    ] {
        app = app.route(path, post(ingest::ingest));
    }
    app.route("/healthz", get(ops::healthz))
        .route("/readyz", get(ops::readyz))
        .route("/metrics", get(ops::metrics))
        // Ingest enforces its own limit while reading, with a JSON 413.
        .layer(DefaultBodyLimit::disable())
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            request_id::request_context,
        ))
        .with_state(state)
}
