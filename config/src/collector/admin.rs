//! Access to `/metrics` and the details of `/readyz`.

use crate::Secret;
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;

/// The minimum length of `admin.token`, in bytes.
pub const MIN_ADMIN_TOKEN_BYTES: usize = 32;

/// Who may read `/metrics` and the details of `/readyz` (queue size, problems).
///
/// By default they are served on the main listener only when it listens on loopback. When
/// `listen` is set, they move to that separate listener (which serves nothing else); when
/// `token` is set, they need `Authorization: Bearer <token>` on every listener. `/healthz`
/// and the bare ready/not-ready answer of `/readyz` stay open everywhere, for load balancers.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AdminConfig {
    /// A separate address for `/healthz`, `/readyz` and `/metrics`, e.g. `127.0.0.1:8788`.
    /// Must differ from `listen`. Default: none.
    pub listen: Option<SocketAddr>,
    /// A bearer token that `/metrics` and `/readyz` details require, at least 32 bytes.
    /// Default: none.
    pub token: Option<Secret>,
}
