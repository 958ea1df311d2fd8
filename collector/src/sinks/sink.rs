//! The [`Sink`] trait and its errors.

use crate::drop_reason::DropReason;
use crate::stored_event::StoredEvent;
use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

/// The future returned by [`Sink::deliver`].
pub type DeliveryFuture<'a> =
    Pin<Box<dyn Future<Output = Result<Delivered, DeliveryError>> + Send + 'a>>;

/// What a successful [`Sink::deliver`] did: every event in the slice is stored downstream
/// except the ones in `refused`.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Delivered {
    /// Events the destination refused for good one at a time (an event too large on its
    /// own, say), counted under each reason. Empty for sinks that store all or nothing.
    pub refused: Vec<(DropReason, u64)>,
}

impl Delivered {
    /// Everything was stored.
    pub fn all() -> Self {
        Delivered::default()
    }

    /// How many events were refused.
    pub fn refused_count(&self) -> u64 {
        self.refused.iter().map(|(_, n)| n).sum()
    }
}

/// A destination for queued events. One runner task ([`super::spawn_sink`]) drives each sink,
/// so `deliver` is never called concurrently on the same sink by the runner.
///
/// `deliver` is all-or-nothing from the runner's point of view, but for single events a
/// sink refuses for good on their own: `Ok` means every event in the slice is stored
/// downstream except those counted in [`Delivered::refused`]; a [`DeliveryError::Retryable`] means the same slice will
/// be offered again (so a sink must tolerate seeing events twice — delivery is at least
/// once); a [`DeliveryError::Permanent`] means the slice is dropped and counted under the
/// error's reason.
pub trait Sink: Send + Sync {
    /// A short, stable name used in metrics and logs (`local`, `posthog`, `clickhouse`).
    fn name(&self) -> &'static str;

    /// Delivers `events`, in order.
    ///
    /// # Errors
    /// A [`DeliveryError`] saying whether to try again.
    fn deliver<'a>(&'a self, events: &'a [StoredEvent]) -> DeliveryFuture<'a>;
}

/// Why a delivery did not succeed. Reasons never contain event payloads, header values or
/// keys.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DeliveryError {
    /// Worth trying again later (timeouts, connection errors, 408, 429, 5xx, disk errors).
    #[error("retryable delivery failure: {reason}")]
    Retryable {
        /// How long the other side asked us to wait, if it said.
        retry_after: Option<Duration>,
        /// What went wrong, for the log.
        reason: String,
    },
    /// Will never succeed; the batch is dropped.
    #[error("permanent delivery failure: {reason}")]
    Permanent {
        /// Why, counted as the drop reason (e.g. `posthog_rejected_400`).
        reason: DropReason,
    },
}

impl DeliveryError {
    /// A retryable error without a `Retry-After`.
    pub fn retry(reason: impl Into<String>) -> Self {
        DeliveryError::Retryable {
            retry_after: None,
            reason: reason.into(),
        }
    }
}

/// A sink could not be set up, or an administrative operation on it failed.
#[derive(Debug, thiserror::Error)]
pub enum SinkError {
    /// The local sink's directory could not be created or written.
    #[error("local sink directory {path}: {source}")]
    Io {
        /// The directory or file.
        path: std::path::PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The HTTP client for PostHog could not be built.
    #[error("posthog client: {0}")]
    Http(String),
    /// A configuration value the sink cannot use.
    #[error("invalid sink setting `{key}`: {reason}")]
    Config {
        /// The key, e.g. `clickhouse.database`.
        key: &'static str,
        /// Why it is unusable.
        reason: String,
    },
    /// ClickHouse answered with an error or could not be reached.
    #[error("clickhouse: {0}")]
    ClickHouse(String),
    /// The queue has no reader for this sink.
    #[error("queue: {0}")]
    Queue(crate::queue::QueueError),
    /// A background pass (retention) stopped for a reason of its own, e.g. it panicked.
    #[error("retention: {0}")]
    Retention(&'static str),
    /// An operation did not finish within its time bound.
    #[error("{what} did not finish within {waited:?}")]
    Timeout {
        /// What was being waited for.
        what: &'static str,
        /// How long we waited.
        waited: Duration,
    },
}
