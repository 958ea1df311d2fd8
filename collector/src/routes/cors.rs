//! CORS, so posthog-js in a browser can read the collector's answers.
//!
//! A preflight (`OPTIONS` on any path) is answered `204` at once. Every answer — errors
//! included — carries `Access-Control-Allow-Origin` with the request's origin when that
//! origin may send: to the tenant the request named, once its handler read the key (ingest,
//! remote config, flags, recordings: see [`OriginVerdict`]), otherwise to any tenant
//! (`allowed_origins`; default any origin, as PostHog allows for public project keys).
//! A handler that finds the named tenant refuses the origin answers `403`
//! ([`origin_refused`]). An origin that is not allowed is never
//! reflected, so the browser keeps the answer from the page. `/healthz`, `/readyz` and
//! `/metrics` get no CORS headers at all: no web page may read them.

use super::error::ApiError;
use super::AppState;
use crate::pipeline::Tenant;
use axum::extract::{Request, State};
use axum::http::header::{
    ACCESS_CONTROL_ALLOW_CREDENTIALS, ACCESS_CONTROL_ALLOW_HEADERS, ACCESS_CONTROL_ALLOW_METHODS,
    ACCESS_CONTROL_ALLOW_ORIGIN, ACCESS_CONTROL_MAX_AGE, ACCESS_CONTROL_REQUEST_HEADERS, ORIGIN,
    VARY,
};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::sync::Arc;

/// The methods the collector's browser-facing routes answer.
const METHODS: &str = "GET, POST, OPTIONS";
/// Headers allowed when a preflight names none (what posthog-js sends).
const DEFAULT_HEADERS: &str = "content-type";
/// How long a browser may cache a preflight answer, in seconds.
const MAX_AGE: &str = "86400";

/// Ingest's verdict on the request's origin for the tenant it named, put in the response's
/// extensions so the CORS answer follows that tenant's `allowed_origins`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OriginVerdict(pub bool);

impl OriginVerdict {
    /// `tenant`'s verdict on the request's `Origin`; `None` when it sent none (a server,
    /// not a browser: the key is all it needs).
    pub fn of(tenant: &Tenant, headers: &HeaderMap) -> Option<Self> {
        headers
            .get(ORIGIN)
            .and_then(|v| v.to_str().ok())
            .map(|origin| OriginVerdict(tenant.allows_origin(origin)))
    }

    /// Whether the request came from a web origin its tenant does not allow.
    pub fn refuses(verdict: Option<Self>) -> bool {
        verdict == Some(OriginVerdict(false))
    }
}

/// The `403` for a request from a web origin its tenant does not allow.
pub fn origin_refused() -> ApiError {
    ApiError::Forbidden {
        code: "origin_not_allowed",
        detail: "this project does not accept requests from this web origin (allowed_origins)"
            .into(),
    }
}

/// The CORS middleware (see the module docs).
pub async fn cors(State(state): State<Arc<AppState>>, request: Request, next: Next) -> Response {
    // Operator surfaces are for operators, never for a page the operator happens to visit.
    if super::OPS_PATHS.contains(&request.uri().path()) {
        return next.run(request).await;
    }
    let origin = request
        .headers()
        .get(ORIGIN)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    if request.method() == Method::OPTIONS {
        let mut response = StatusCode::NO_CONTENT.into_response();
        if let Some(origin) = origin.filter(|o| state.tenants.some_allow_origin(o)) {
            let headers = response.headers_mut();
            allow(headers, &origin);
            headers.insert(
                ACCESS_CONTROL_ALLOW_METHODS,
                HeaderValue::from_static(METHODS),
            );
            let asked = request
                .headers()
                .get(ACCESS_CONTROL_REQUEST_HEADERS)
                .and_then(|v| v.to_str().ok())
                .filter(|v| is_header_list(v))
                .and_then(|v| HeaderValue::from_str(v).ok())
                .unwrap_or(HeaderValue::from_static(DEFAULT_HEADERS));
            headers.insert(ACCESS_CONTROL_ALLOW_HEADERS, asked);
            headers.insert(ACCESS_CONTROL_MAX_AGE, HeaderValue::from_static(MAX_AGE));
        }
        vary(response.headers_mut());
        return response;
    }
    let mut response = next.run(request).await;
    if let Some(origin) = origin {
        let allowed = match response.extensions().get::<OriginVerdict>() {
            Some(OriginVerdict(allowed)) => *allowed,
            None => state.tenants.some_allow_origin(&origin),
        };
        if allowed {
            allow(response.headers_mut(), &origin);
        }
    }
    vary(response.headers_mut());
    response
}

fn allow(headers: &mut HeaderMap, origin: &str) {
    if let Ok(value) = HeaderValue::from_str(origin) {
        headers.insert(ACCESS_CONTROL_ALLOW_ORIGIN, value);
        // posthog-js may send credentials (cookies are never read here).
        headers.insert(
            ACCESS_CONTROL_ALLOW_CREDENTIALS,
            HeaderValue::from_static("true"),
        );
    }
}

fn vary(headers: &mut HeaderMap) {
    headers.append(VARY, HeaderValue::from_static("origin"));
}

/// A comma-separated list of header names (what a preflight may ask for), and nothing
/// else, so nothing odd is echoed.
fn is_header_list(value: &str) -> bool {
    value.len() <= 512
        && value.split(',').all(|name| {
            let name = name.trim();
            !name.is_empty()
                && name
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        })
}
