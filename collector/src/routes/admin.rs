//! Who may read the operator details: `/metrics` and the body of `/readyz`.
//!
//! - With `admin.token` set, every listener asks for `Authorization: Bearer <token>`.
//! - Without it, the admin listener (`admin.listen`) answers anyone who reaches it, and the
//!   main listener answers only when it listens on loopback and no admin listener is set.
//!
//! Refused, `/metrics` answers `401` (token missing or wrong) or `403` (not on this
//! listener), and `/readyz` answers only `{"status": "ready"}` or `{"status": "not_ready"}`
//! with its usual status code, so load balancers keep working.

use super::app_state::AppState;
use super::error::ApiError;
use super::ops;
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use hush_config::{CollectorConfig, Secret};
use serde_json::json;
use std::net::SocketAddr;
use std::sync::Arc;

/// Which listener a request came in on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Listener {
    /// The main listener (ingest and the operations endpoints).
    Main {
        /// Whether operator details are served here without a token: the listener is on
        /// loopback and no admin listener is set ([`OpsAccess::main_is_open`]).
        ops_open: bool,
    },
    /// The admin listener: `/healthz`, `/readyz` and `/metrics` only.
    Admin,
}

/// The admin token and the default openness of the main listener.
#[derive(Debug, Clone, Default)]
pub struct OpsAccess {
    token: Option<Secret>,
    main_open: bool,
}

impl OpsAccess {
    /// From `[admin]` and `listen`.
    pub fn from_config(config: &CollectorConfig) -> Self {
        OpsAccess {
            token: config.admin.token.clone(),
            main_open: OpsAccess::main_is_open(config.listen, config.admin.listen.is_some()),
        }
    }

    /// Whether the main listener on `addr` serves operator details without a token: only on
    /// loopback, and only when there is no admin listener.
    pub fn main_is_open(addr: SocketAddr, admin_listener: bool) -> bool {
        !admin_listener && addr.ip().is_loopback()
    }

    /// How the main listener is treated by [`super::router`], from the configuration.
    pub fn main_listener(&self) -> Listener {
        Listener::Main {
            ops_open: self.main_open,
        }
    }

    /// Whether a request on `listener` with `headers` may read operator details.
    ///
    /// # Errors
    /// `401` when a token is configured and the request does not carry it, `403` when no
    /// token is configured and this listener does not serve the details.
    pub fn check(&self, listener: Listener, headers: &HeaderMap) -> Result<(), ApiError> {
        if let Some(token) = &self.token {
            let sent = headers
                .get(header::AUTHORIZATION)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().split_once(' '))
                .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
                .map(|(_, token)| token.trim());
            return match sent {
                // blake3's Hash compares in constant time.
                Some(sent)
                    if blake3::hash(sent.as_bytes()) == blake3::hash(token.expose().as_bytes()) =>
                {
                    Ok(())
                }
                Some(_) => Err(ApiError::Unauthorized {
                    code: "invalid_admin_token",
                    detail: "the admin token is not valid".into(),
                }),
                None => Err(ApiError::Unauthorized {
                    code: "admin_token_required",
                    detail: "send the admin token as `Authorization: Bearer <admin.token>`".into(),
                }),
            };
        }
        match listener {
            Listener::Admin | Listener::Main { ops_open: true } => Ok(()),
            Listener::Main { ops_open: false } => Err(ApiError::Forbidden {
                code: "admin_only",
                detail: "operator details are served on the admin listener (admin.listen), \
                         on a loopback listener, or with the admin token (admin.token)"
                    .into(),
            }),
        }
    }
}

/// `/metrics`, for those [`OpsAccess::check`] lets in.
pub async fn metrics(
    State(state): State<Arc<AppState>>,
    Extension(listener): Extension<Listener>,
    headers: HeaderMap,
) -> Response {
    match state.ops.check(listener, &headers) {
        Ok(()) => ops::metrics(State(state)).await.into_response(),
        Err(e) => with_challenge(e.into_response()),
    }
}

/// `/readyz`: the full answer for those [`OpsAccess::check`] lets in, the bare status for
/// everyone else.
pub async fn readyz(
    State(state): State<Arc<AppState>>,
    Extension(listener): Extension<Listener>,
    headers: HeaderMap,
) -> Response {
    let response = ops::readyz(State(state.clone())).await.into_response();
    if state.ops.check(listener, &headers).is_ok() {
        return response;
    }
    let status = response.status();
    let word = if status == StatusCode::OK {
        "ready"
    } else {
        "not_ready"
    };
    (status, Json(json!({ "status": word }))).into_response()
}

fn with_challenge(mut response: Response) -> Response {
    if response.status() == StatusCode::UNAUTHORIZED {
        response
            .headers_mut()
            .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    const TOKEN: &str = "admin-token-0123456789abcdef0123456789";

    fn bearer(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(header::AUTHORIZATION, value.parse().unwrap());
        headers
    }

    #[test]
    fn only_loopback_main_listeners_without_an_admin_listener_are_open() {
        for (addr, admin, open) in [
            ("127.0.0.1:8787", false, true),
            ("[::1]:8787", false, true),
            ("127.0.0.1:8787", true, false),
            ("0.0.0.0:8787", false, false),
            ("[::]:8787", false, false),
            ("192.0.2.10:8787", false, false),
        ] {
            assert_eq!(
                OpsAccess::main_is_open(addr.parse().unwrap(), admin),
                open,
                "{addr} admin={admin}"
            );
        }
    }

    #[test]
    fn a_token_is_needed_everywhere_once_configured() {
        let access = OpsAccess {
            token: Some(Secret::new(TOKEN)),
            main_open: true,
        };
        let open = Listener::Main { ops_open: true };
        for listener in [open, Listener::Admin] {
            let e = access.check(listener, &HeaderMap::new()).unwrap_err();
            assert_eq!(e.code(), "admin_token_required");
            let e = access.check(listener, &bearer("Bearer wrong")).unwrap_err();
            assert_eq!(e.code(), "invalid_admin_token");
            let e = access
                .check(listener, &bearer(&format!("Basic {TOKEN}")))
                .unwrap_err();
            assert_eq!(e.code(), "admin_token_required", "only the Bearer scheme");
            assert!(access
                .check(listener, &bearer(&format!("bearer  {TOKEN}")))
                .is_ok());
            assert!(access
                .check(listener, &bearer(&format!("Bearer {TOKEN}")))
                .is_ok());
        }
    }

    #[test]
    fn without_a_token_the_listener_decides() {
        let access = OpsAccess::default();
        assert!(access.check(Listener::Admin, &HeaderMap::new()).is_ok());
        assert!(access
            .check(Listener::Main { ops_open: true }, &HeaderMap::new())
            .is_ok());
        let e = access
            .check(
                Listener::Main { ops_open: false },
                &bearer("Bearer anything"),
            )
            .unwrap_err();
        assert_eq!(e.code(), "admin_only");
    }
}
