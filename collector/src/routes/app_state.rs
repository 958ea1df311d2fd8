//! What every request handler shares.

use super::recent::RecentUuids;
use super::{OpsAccess, RateLimiter};
use crate::metrics::Metrics;
use crate::pipeline::{Pipeline, Tenants};
use crate::queue::Queue;
use hush_config::LimitsConfig;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// Shared state behind the router.
pub struct AppState {
    /// policy → scrub → hash.
    pub pipeline: Pipeline,
    /// Tenants by project key.
    pub tenants: Tenants,
    /// The durable queue.
    pub queue: Queue,
    /// Counters.
    pub metrics: Arc<Metrics>,
    /// Request limits.
    pub limits: LimitsConfig,
    /// Per-tenant rate limit.
    pub rate: RateLimiter,
    /// The queue's disk cap, for readiness.
    pub max_queue_bytes: u64,
    /// The longest a request may take.
    pub request_timeout: Duration,
    /// Who may read `/metrics` and the details of `/readyz`; nobody but the admin listener
    /// until [`AppState::with_ops`] says otherwise.
    pub ops: OpsAccess,
    /// Uuids accepted lately, so a retried event is queued once.
    pub recent: RecentUuids,
    /// Erase, export and stats on request; `None` answers those routes 503.
    pub rights: Option<Arc<crate::rights::DataRights>>,
    stopping: AtomicBool,
}

impl AppState {
    /// State from its parts; limits come from `limits`.
    pub fn new(
        pipeline: Pipeline,
        tenants: Tenants,
        queue: Queue,
        metrics: Arc<Metrics>,
        limits: LimitsConfig,
        max_queue_bytes: u64,
    ) -> Self {
        AppState {
            rate: RateLimiter::new(limits.rate_per_second, limits.rate_burst),
            request_timeout: Duration::from_millis(limits.request_timeout_ms),
            pipeline,
            tenants,
            queue,
            metrics,
            limits,
            max_queue_bytes,
            ops: OpsAccess::default(),
            recent: RecentUuids::default(),
            rights: None,
            stopping: AtomicBool::new(false),
        }
    }

    /// The same state with this access to the operator details.
    pub fn with_ops(mut self, ops: OpsAccess) -> Self {
        self.ops = ops;
        self
    }

    /// The same state serving data-rights requests with `rights`.
    pub fn with_rights(mut self, rights: Arc<crate::rights::DataRights>) -> Self {
        self.rights = Some(rights);
        self
    }

    /// Marks the collector as stopping (readiness turns false).
    pub fn set_stopping(&self) {
        self.stopping.store(true, Ordering::Relaxed);
    }

    /// Whether the collector is stopping.
    pub fn is_stopping(&self) -> bool {
        self.stopping.load(Ordering::Relaxed)
    }
}
