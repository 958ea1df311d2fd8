//! HTTP routes: PostHog-compatible ingest and the operations endpoints.

mod admin;
mod app_state;
mod budget;
mod clients;
mod cors;
mod decode;
mod envelope;
pub mod error;
mod ingest;
mod middleware;
mod ops;
mod rate;
mod recent;
mod rights;

pub use admin::{Listener, OpsAccess};
pub use app_state::AppState;
pub use budget::Budget;
pub use cors::OriginVerdict;
pub use decode::{decode_body, Compression};
pub use envelope::Envelope;
pub use error::ApiError;
pub use rate::RateLimiter;
pub use recent::{Claim, RecentUuids};
pub use rights::RIGHTS_BODY_LIMIT;

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

/// posthog-node's v1 capture path.
pub const INGEST_V1_PATHS: [&str; 2] = ["/i/v1/analytics/events", "/i/v1/analytics/events/"];

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
        for path in INGEST_V1_PATHS {
            app = app.route(path, post(ingest::ingest_v1));
        }
        app = app
            .route("/array/{token}/config", get(clients::config_json))
            .route("/array/{token}/{script}", get(clients::config_js))
            .route("/flags", get(clients::flags).post(clients::flags))
            .route("/flags/", get(clients::flags).post(clients::flags))
            .route("/decide", get(clients::decide).post(clients::decide))
            .route("/decide/", get(clients::decide).post(clients::decide))
            .route("/s", post(clients::recording))
            .route("/s/", post(clients::recording))
            .route("/v1/erase", post(rights::erase))
            .route("/v1/erase/{receipt}", get(rights::erase_status))
            .route("/v1/export", post(rights::export))
            .route("/v1/admin/erase", post(rights::admin_erase))
            .route("/v1/admin/export", post(rights::admin_export))
            .route("/v1/admin/stats", get(rights::admin_stats));
    }
    app.route("/healthz", get(ops::healthz))
        .route("/readyz", get(admin::readyz))
        .route("/metrics", get(admin::metrics))
        .fallback(|| async { ApiError::NotFound })
        // Ingest enforces its own limit while reading, with a JSON 413.
        .layer(DefaultBodyLimit::disable())
        .layer(Extension(listener))
        // Inside CORS, so the timeout's 503 carries Access-Control-Allow-Origin too.
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            middleware::request_timeout,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            cors::cors,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            middleware::request_context,
        ))
        .with_state(state)
}
