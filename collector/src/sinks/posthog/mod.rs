//! The PostHog sink: forwards batches to `{host}/batch/` with the configured project key.
//!
//! # Wire format
//!
//! The same body `posthog-rs` sends: `{"api_key": KEY, "batch": [event, …], "sent_at":
//! RFC3339}`, each event PostHog-shaped (`event`, `distinct_id`, `uuid`, `timestamp`,
//! `properties`). Before sending, each event's properties get `"$geoip_disable": true` and
//! lose `$ip` (as does a top-level `ip`), and no client address is forwarded in any header,
//! so PostHog neither stores nor geolocates a user's IP.
//!
//! We speak HTTP with `reqwest` directly instead of using `posthog-rs` (0.30): its client
//! batches on its own worker and reports no per-batch outcome and no `Retry-After`, while
//! the collector must commit a queue batch only once PostHog accepted it, and must tell
//! retryable failures from permanent ones.
//!
//! # Outcomes
//!
//! - 2xx: delivered.
//! - timeouts, connection errors, 408, 429 and 5xx: [`DeliveryError::Retryable`], with
//!   `Retry-After` (seconds) when the server sent one.
//! - 413 (payload too large): the request is split in halves, each sent on its own, down
//!   to single events; an event PostHog refuses even alone is counted under
//!   `posthog_event_too_large` ([`Delivered::refused`]) and the rest are delivered, so one
//!   oversized event never costs its neighbours.
//! - any other status: [`DeliveryError::Permanent`] with reason `posthog_rejected_<status>`;
//!   logged with the status and count only, never the body (which may echo the payload).

use super::backoff::parse_retry_after;
use super::sink::{Delivered, DeliveryError, DeliveryFuture, Sink, SinkError};
use super::start::{BuiltSink, SinkConfig, SinkContext};
use crate::drop_reason::DropReason;
use crate::stored_event::StoredEvent;
use hush_config::{PostHogConfig, Secret};
use serde_json::{json, Value};
use std::time::Duration;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

/// Longest a partial PostHog batch is held for more events.
pub const POSTHOG_WAIT: Duration = Duration::from_secs(1);

impl SinkConfig for PostHogConfig {
    fn name(&self) -> &'static str {
        "posthog"
    }

    fn build(&self, _context: &SinkContext<'_>) -> Result<BuiltSink, SinkError> {
        let sink = PostHogSink::new(self)?;
        Ok(BuiltSink {
            batch: sink.batch_size(),
            sink: std::sync::Arc::new(sink),
            wait: POSTHOG_WAIT,
            tasks: Vec::new(),
        })
    }
}

/// Forwards events to PostHog's batch endpoint. See the [module docs](self).
#[derive(Debug, Clone)]
pub struct PostHogSink {
    client: reqwest::Client,
    url: String,
    api_key: Secret,
    batch_size: usize,
}

impl PostHogSink {
    /// A sink for `config.host` with `config.api_key`, sending at most `config.batch_size`
    /// events per request and giving each request `config.timeout_ms`.
    ///
    /// # Errors
    /// [`SinkError::Http`] if the HTTP client cannot be built (e.g. no TLS roots).
    pub fn new(config: &PostHogConfig) -> Result<Self, SinkError> {
        let client = reqwest::Client::builder()
            .timeout(Duration::from_millis(config.timeout_ms.max(1)))
            .connect_timeout(Duration::from_millis(config.timeout_ms.clamp(1, 10_000)))
            // A redirect would turn the POST into a GET and lose the batch; report it instead.
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("hush-collector/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| SinkError::Http(e.without_url().to_string()))?;
        Ok(PostHogSink {
            client,
            url: format!("{}/batch/", config.host.trim_end_matches('/')),
            api_key: config.api_key.clone(),
            batch_size: config.batch_size.max(1),
        })
    }

    /// Events per request (the runner's batch size should be this).
    pub fn batch_size(&self) -> usize {
        self.batch_size
    }

    /// Sends one request with `events` (at most `batch_size` of them).
    async fn send(&self, events: &[StoredEvent]) -> Result<(), DeliveryError> {
        let body = batch_body(self.api_key.expose(), events);
        let response = self
            .client
            .post(&self.url)
            .json(&body)
            .send()
            .await
            .map_err(|e| {
                let reason = describe_reqwest(&e);
                tracing::debug!(sink = "posthog", count = events.len(), reason = %reason, "request failed");
                DeliveryError::retry(reason)
            })?;
        let status = response.status();
        if status.is_success() {
            return Ok(());
        }
        let code = status.as_u16();
        if code == 408 || code == 429 || status.is_server_error() {
            let retry_after = response
                .headers()
                .get(reqwest::header::RETRY_AFTER)
                .and_then(|v| v.to_str().ok())
                .and_then(parse_retry_after);
            tracing::debug!(
                sink = "posthog",
                status = code,
                count = events.len(),
                retry_after_s = retry_after.map(|d| d.as_secs()),
                "batch not accepted, will retry"
            );
            return Err(DeliveryError::Retryable {
                retry_after,
                reason: format!("posthog answered {code}"),
            });
        }
        if code == 413 {
            tracing::debug!(
                sink = "posthog",
                count = events.len(),
                "request too large for PostHog"
            );
            return Err(DeliveryError::Permanent {
                reason: DropReason::PostHogRejected(413),
            });
        }
        tracing::warn!(
            sink = "posthog",
            status = code,
            count = events.len(),
            "batch rejected, dropping it"
        );
        Err(DeliveryError::Permanent {
            reason: DropReason::PostHogRejected(code),
        })
    }
}

impl Sink for PostHogSink {
    fn name(&self) -> &'static str {
        "posthog"
    }

    /// Sends `events` in requests of at most `batch_size`, splitting a request that PostHog
    /// finds too large (see the [module docs](self)). If a later request fails, a retry
    /// sends the earlier ones again; PostHog deduplicates on `uuid`.
    fn deliver<'a>(&'a self, events: &'a [StoredEvent]) -> DeliveryFuture<'a> {
        Box::pin(async move {
            let mut too_large = 0u64;
            for chunk in events.chunks(self.batch_size) {
                // Parts still to send, the next one last (so they go in order).
                let mut parts = vec![chunk];
                while let Some(part) = parts.pop() {
                    match self.send(part).await {
                        Ok(()) => {}
                        Err(DeliveryError::Permanent {
                            reason: DropReason::PostHogRejected(413),
                        }) => {
                            if part.len() > 1 {
                                let (first, second) = part.split_at(part.len() / 2);
                                parts.push(second);
                                parts.push(first);
                            } else {
                                tracing::warn!(
                                    sink = "posthog",
                                    "one event is too large for PostHog on its own; dropping it"
                                );
                                too_large += 1;
                            }
                        }
                        Err(error) => return Err(error),
                    }
                }
            }
            let mut delivered = Delivered::all();
            if too_large > 0 {
                delivered
                    .refused
                    .push((DropReason::PostHogEventTooLarge, too_large));
            }
            Ok(delivered)
        })
    }
}

/// The request body: `{"api_key", "batch", "sent_at"}`.
fn batch_body(api_key: &str, events: &[StoredEvent]) -> Value {
    let sent_at = OffsetDateTime::now_utc()
        .format(&Rfc3339)
        .unwrap_or_default();
    json!({
        "api_key": api_key,
        "batch": events.iter().map(outgoing_event).collect::<Vec<_>>(),
        "sent_at": sent_at,
    })
}

/// One event as PostHog gets it: GeoIP off, no IP.
fn outgoing_event(stored: &StoredEvent) -> Value {
    let mut event = stored.to_posthog();
    if let Some(Value::Object(props)) = event.get_mut("properties") {
        props.remove("$ip");
        props.insert("$geoip_disable".into(), Value::Bool(true));
    }
    Value::Object(event)
}

/// A log-safe description of a transport error: its kind and the host, never the path,
/// query, headers or body.
fn describe_reqwest(error: &reqwest::Error) -> String {
    let kind = if error.is_timeout() {
        "timeout"
    } else if error.is_connect() {
        "connection failed"
    } else if error.is_body() || error.is_decode() {
        "response body error"
    } else {
        "request error"
    };
    match error.url().and_then(|u| u.host_str()) {
        Some(host) => format!("{kind} ({host})"),
        None => kind.to_string(),
    }
}

#[cfg(test)]
mod tests;
