//! The one error type of the HTTP API: precise 4xx detail for clients, opaque 5xx.

use crate::drop_reason::DropReason;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;

/// An error answered to a client. The body is `{"type", "code", "detail"}` as PostHog's
/// capture answers; it names the field or limit and never echoes the payload.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// The request is malformed (400).
    #[error("{detail}")]
    BadRequest {
        /// Stable machine-readable code.
        code: &'static str,
        /// Human-readable detail naming the field.
        detail: String,
    },
    /// No usable project key (401).
    #[error("{detail}")]
    Unauthorized {
        /// Stable machine-readable code.
        code: &'static str,
        /// Human-readable detail.
        detail: String,
    },
    /// The request is authenticated but not allowed here (403).
    #[error("{detail}")]
    Forbidden {
        /// Stable machine-readable code.
        code: &'static str,
        /// Human-readable detail naming what would be allowed.
        detail: String,
    },
    /// No such route (404). The path is never echoed.
    #[error("no such route")]
    NotFound,
    /// The body, or what it inflates to, or the batch, is over a limit (413).
    #[error("{detail}")]
    TooLarge {
        /// Stable machine-readable code.
        code: &'static str,
        /// Which limit.
        detail: String,
    },
    /// The tenant is over its rate limit (429).
    #[error("rate limit exceeded")]
    RateLimited {
        /// Seconds until a retry may succeed.
        retry_after_secs: u64,
    },
    /// The durable queue is full or the collector is stopping (503); clients retry.
    #[error("{detail}")]
    Unavailable {
        /// Stable machine-readable code.
        code: &'static str,
        /// Human-readable detail.
        detail: String,
    },
    /// Anything else (500). The cause is logged by the caller, never sent.
    #[error("internal error")]
    Internal,
}

impl ApiError {
    /// A 400 naming what is wrong.
    pub fn bad_request(code: &'static str, detail: impl Into<String>) -> Self {
        ApiError::BadRequest {
            code,
            detail: detail.into(),
        }
    }

    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::BadRequest { .. } => StatusCode::BAD_REQUEST,
            ApiError::Unauthorized { .. } => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden { .. } => StatusCode::FORBIDDEN,
            ApiError::NotFound => StatusCode::NOT_FOUND,
            ApiError::TooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            ApiError::Unavailable { .. } => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The stable code, for the body and for logs. A refusal that drops the request's events
    /// (rate limit, full or unavailable queue) is coded with the [`DropReason`] they are
    /// counted under.
    pub fn code(&self) -> &'static str {
        match self {
            ApiError::BadRequest { code, .. }
            | ApiError::Unauthorized { code, .. }
            | ApiError::Forbidden { code, .. }
            | ApiError::TooLarge { code, .. }
            | ApiError::Unavailable { code, .. } => code,
            ApiError::RateLimited { .. } => DropReason::RateLimited.as_str(),
            ApiError::NotFound => "not_found",
            ApiError::Internal => "internal_error",
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let kind = match &self {
            ApiError::BadRequest { .. } | ApiError::TooLarge { .. } => "validation_error",
            ApiError::Unauthorized { .. } | ApiError::Forbidden { .. } => "authentication_error",
            ApiError::NotFound => "invalid_request",
            ApiError::RateLimited { .. } => "rate_limit_error",
            ApiError::Unavailable { .. } | ApiError::Internal => "server_error",
        };
        let body = json!({"type": kind, "code": self.code(), "detail": self.to_string()});
        let mut response = (self.status(), Json(body)).into_response();
        let retry_after = match &self {
            ApiError::RateLimited { retry_after_secs } => Some(*retry_after_secs),
            ApiError::Unavailable { .. } => Some(5),
            _ => None,
        };
        if let Some(secs) = retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(secs.max(1)));
        }
        response
    }
}
