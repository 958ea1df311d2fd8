//! HTTP routes: PostHog-compatible ingest and the operations endpoints.

mod admin;
mod budget;
mod decode;
mod envelope;
pub mod error;
mod ingest;
mod middleware;
mod ops;
mod rate;
mod state;

pub use admin::{Listener, OpsAccess};
pub use budget::Budget;
pub use decode::{decode_body, Compression};
pub use envelope::Envelope;
pub use error::ApiError;
pub use rate::RateLimiter;
pub use state::AppState;

use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};
use axum::{Extension, Router};
use std::sync::Arc;

/// The PostHog capture paths ingest answers on.
pub const INGEST_PATHS: [&str; 8] = [
    "/batch",
    "/batch/",
    "/capture",
    "/capture/",
    "/e",
    "/e/",
    "/i/v0/e",
    "/i/v0/e/",
];

/// The operations paths, on every listener.
pub const OPS_PATHS: [&str; 3] = ["/healthz", "/readyz", "/metrics"];

/// The collector's main router, treating operator details as the configuration says
/// (see [`OpsAccess`]). Tests call `router(state).oneshot(request)` with no socket.
pub fn router(state: Arc<AppState>) -> Router {
    let listener = state.ops.main_listener();
    app(state, listener)
}

/// The router for one listener: the main one has ingest and the operations endpoints, the
/// admin one only the operations endpoints. Unknown paths get a JSON 404 that does not
/// repeat the path.
pub fn app(state: Arc<AppState>, listener: Listener) -> Router {
    let mut app = Router::new();
    if matches!(listener, Listener::Main { .. }) {
        for path in INGEST_PATHS {
            app = app.route(path, post(ingest::ingest));
        }
    }
    app.route("/healthz", get(ops::healthz))
        .route("/readyz", get(admin::readyz))
        .route("/metrics", get(admin::metrics))
        .fallback(|| async { ApiError::NotFound })
        // Ingest enforces its own limit while reading, with a JSON 413.
        .layer(DefaultBodyLimit::disable())
        .layer(Extension(listener))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            middleware::request_context,
        ))
        .with_state(state)
}
