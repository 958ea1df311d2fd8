//! Internal counters, rendered as Prometheus text at `/metrics`.
//!
//! The counters live in a [`prometheus_client`] [`Registry`], which writes the exposition
//! (the Prometheus text format, version 0.0.4) and escapes label values. Counters carry ids,
//! counts and reasons only — never payloads or keys: every label value comes from a bounded
//! set named in code (drop reasons, sink names, detector kinds, status codes, timeout phases).
//! Drops are counted by [`DropReason`], whose stable name is the `reason` label.
//!
//! A new metric is a field of [`Metrics`] and one `register` line in [`Metrics::default`].
//! The library appends `_total` to a counter's name and a full stop to every help text, so
//! both are registered without them: `"hush_events_received"` is exposed as
//! `hush_events_received_total`. (In debug builds it panics on a counter named `…_total`.)

mod labelled;

use crate::drop_reason::DropReason;
use labelled::Labelled;
use prometheus_client::encoding::prometheus_text;
use prometheus_client::encoding::{EncodeLabelSet, EncodeLabelValue, LabelValueEncoder};
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;
use std::cmp::Ordering;
use std::collections::BTreeMap;
use std::fmt::{self, Write as _};
use std::sync::atomic::AtomicU64;
use std::time::Duration;

/// Upper bounds of the request latency histogram, in seconds.
const LATENCY_BUCKETS: [f64; 12] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0,
];

/// A gauge of a count (queue sizes, open connections).
type CountGauge = Gauge<u64, AtomicU64>;

/// All of the collector's counters. Shared behind an `Arc`.
pub struct Metrics {
    /// Events received in requests (before policy).
    pub received: AtomicCounter,
    /// Events accepted into the durable queue.
    pub accepted: AtomicCounter,
    /// Events dropped by the pipeline, by reason.
    dropped: Labelled<ReasonLabel, Counter>,
    /// Redactions made, by detector kind.
    redactions: Labelled<KindLabel, Counter>,
    /// Requests answered, by status code.
    requests: Labelled<StatusLabel, Counter>,
    /// Requests answered, by route (the route's template, or `unmatched`).
    routes: Labelled<RouteLabel, Counter>,
    /// Bytes of the queue on disk, refreshed by whoever reads the queue's stats.
    queue_bytes: CountGauge,
    /// Events not yet delivered, per sink, refreshed with `queue_bytes`.
    queue_depth: Labelled<SinkLabel, CountGauge>,
    /// Events delivered, per sink.
    sink_delivered: Labelled<SinkLabel, Counter>,
    /// Failed delivery attempts, per sink.
    sink_failed: Labelled<SinkLabel, Counter>,
    /// Retries after a failure, per sink.
    sink_retries: Labelled<SinkLabel, Counter>,
    /// Events a sink gave up on, per sink and reason.
    sink_dropped: Labelled<SinkReasonLabel, Counter>,
    /// Events dropped by retention, per sink and tenant.
    retention_dropped: Labelled<SinkTenantLabel, Counter>,
    /// Client connections open now.
    connections_open: CountGauge,
    /// Client connections accepted under the cap.
    connections_accepted: Counter,
    /// Client connections refused at the cap.
    connections_refused: Counter,
    /// Client connections closed by a timeout, by phase.
    connections_timed_out: Labelled<PhaseLabel, Counter>,
    /// Request latency.
    latency: Histogram,
    /// Holds a handle to each metric above, in the order `/metrics` lists them.
    registry: Registry,
}

/// A counter of events (`hush_events_received`, `hush_events_accepted`), kept by a
/// prometheus-client [`Counter`].
#[derive(Debug, Default)]
pub struct AtomicCounter(Counter);

impl AtomicCounter {
    /// Adds `n`.
    pub fn add(&self, n: u64) {
        self.0.inc_by(n);
    }

    /// The count now.
    pub fn get(&self) -> u64 {
        self.0.get()
    }
}

/// Why the collector closed a client connection on its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ConnectionTimeout {
    /// The request head did not arrive within `limits.header_read_timeout_ms`.
    Header,
    /// The connection stayed idle longer than `limits.idle_timeout_ms`.
    Idle,
}

impl ConnectionTimeout {
    /// The `phase` label value: `header` or `idle`.
    pub fn as_str(self) -> &'static str {
        match self {
            ConnectionTimeout::Header => "header",
            ConnectionTimeout::Idle => "idle",
        }
    }
}

impl EncodeLabelValue for ConnectionTimeout {
    fn encode(&self, encoder: &mut LabelValueEncoder) -> Result<(), fmt::Error> {
        encoder.write_str(self.as_str())
    }
}

impl EncodeLabelValue for DropReason {
    /// The stable name ([`DropReason::as_str`]).
    fn encode(&self, encoder: &mut LabelValueEncoder) -> Result<(), fmt::Error> {
        encoder.write_str(self.as_str())
    }
}

/// What [`Metrics::dropped`] counts under: a [`DropReason`] or its stable name.
///
/// The name is accepted only while callers still pass `DropReason::….as_str()`; pass the
/// [`DropReason`] itself.
pub trait IntoDropReason {
    /// The reason, or `None` for a name that is no reason's.
    fn into_drop_reason(self) -> Option<DropReason>;
}

impl IntoDropReason for DropReason {
    fn into_drop_reason(self) -> Option<DropReason> {
        Some(self)
    }
}

impl IntoDropReason for &str {
    fn into_drop_reason(self) -> Option<DropReason> {
        DropReason::from_name(self)
    }
}

/// Delivery counters for one sink.
#[derive(Default, Clone, Debug, PartialEq, Eq)]
pub struct SinkCounters {
    /// Events delivered.
    pub delivered: u64,
    /// Delivery attempts that failed.
    pub failed: u64,
    /// Retries after a failure.
    pub retries: u64,
    /// Events the sink gave up on, by the reasons' stable names ([`DropReason::as_str`]).
    pub dropped: BTreeMap<String, u64>,
}

/// A [`DropReason`] as a label value, compared and ordered by its stable name: the series
/// are listed in name order, and the statuses PostHog's refusals are not counted under by
/// name share the one `posthog_rejected_other` series.
#[derive(Clone, Copy, Debug)]
struct ReasonName(DropReason);

impl PartialEq for ReasonName {
    fn eq(&self, other: &Self) -> bool {
        self.0.as_str() == other.0.as_str()
    }
}

impl Eq for ReasonName {}

impl PartialOrd for ReasonName {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for ReasonName {
    fn cmp(&self, other: &Self) -> Ordering {
        self.0.as_str().cmp(other.0.as_str())
    }
}

impl EncodeLabelValue for ReasonName {
    fn encode(&self, encoder: &mut LabelValueEncoder) -> Result<(), fmt::Error> {
        self.0.encode(encoder)
    }
}

/// `reason="…"`: why events were dropped.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, EncodeLabelSet)]
struct ReasonLabel {
    reason: ReasonName,
}

/// `kind="…"`: the detector that redacted a span.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, EncodeLabelSet)]
struct KindLabel {
    kind: String,
}

/// `status="…"`: the HTTP status a request was answered with.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, EncodeLabelSet)]
struct StatusLabel {
    status: u16,
}

/// `route="…"`: a route's template (`/array/{token}/config`, never the token itself), or
/// `unmatched`.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, EncodeLabelSet)]
struct RouteLabel {
    route: String,
}

/// `sink="…"`: a sink's name.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, EncodeLabelSet)]
struct SinkLabel {
    sink: String,
}

/// `sink="…",reason="…"`: why a sink gave up on events.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, EncodeLabelSet)]
struct SinkReasonLabel {
    sink: String,
    reason: ReasonName,
}

/// `sink="…",tenant="…"`: a sink and a configured tenant's name.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, EncodeLabelSet)]
struct SinkTenantLabel {
    sink: String,
    tenant: String,
}

/// `phase="…"`: which timeout closed a connection.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, EncodeLabelSet)]
struct PhaseLabel {
    phase: ConnectionTimeout,
}

/// The delivered, failed and retries counters of one sink.
struct SinkSeries {
    delivered: Counter,
    failed: Counter,
    retries: Counter,
}

impl Default for Metrics {
    /// Every metric at zero, each timeout phase listed from the start.
    fn default() -> Self {
        let mut metrics = Metrics {
            received: AtomicCounter::default(),
            accepted: AtomicCounter::default(),
            dropped: Labelled::default(),
            redactions: Labelled::default(),
            requests: Labelled::default(),
            routes: Labelled::default(),
            queue_bytes: CountGauge::default(),
            queue_depth: Labelled::default(),
            sink_delivered: Labelled::default(),
            sink_failed: Labelled::default(),
            sink_retries: Labelled::default(),
            sink_dropped: Labelled::default(),
            retention_dropped: Labelled::default(),
            connections_open: CountGauge::default(),
            connections_accepted: Counter::default(),
            connections_refused: Counter::default(),
            connections_timed_out: Labelled::default(),
            latency: Histogram::new(LATENCY_BUCKETS),
            registry: Registry::default(),
        };
        for phase in [ConnectionTimeout::Header, ConnectionTimeout::Idle] {
            metrics
                .connections_timed_out
                .get_or_create(PhaseLabel { phase });
        }
        metrics.register();
        metrics
    }
}

impl Metrics {
    /// Puts a handle to every metric in the registry, in the order `/metrics` lists them.
    /// Names and help texts go without `_total` and the final full stop (the library adds
    /// both); the names as scraped are what dashboards query, so they never change.
    fn register(&mut self) {
        let r = &mut self.registry;
        r.register(
            "hush_events_received",
            "Events received in requests",
            self.received.0.clone(),
        );
        r.register(
            "hush_events_accepted",
            "Events durably queued",
            self.accepted.0.clone(),
        );
        r.register(
            "hush_events_dropped",
            "Events dropped by policy or validation",
            self.dropped.clone(),
        );
        r.register(
            "hush_redactions",
            "Spans redacted, by detector kind",
            self.redactions.clone(),
        );
        r.register(
            "hush_http_requests",
            "Requests answered, by status",
            self.requests.clone(),
        );
        r.register(
            "hush_http_route_requests",
            "Requests answered, by route",
            self.routes.clone(),
        );
        r.register(
            "hush_queue_bytes",
            "Bytes of queued events on disk",
            self.queue_bytes.clone(),
        );
        r.register(
            "hush_queue_depth",
            "Events not yet delivered, per sink",
            self.queue_depth.clone(),
        );
        r.register(
            "hush_sink_delivered",
            "Events delivered, per sink",
            self.sink_delivered.clone(),
        );
        r.register(
            "hush_sink_failed",
            "Failed delivery attempts, per sink",
            self.sink_failed.clone(),
        );
        r.register(
            "hush_sink_retries",
            "Delivery retries, per sink",
            self.sink_retries.clone(),
        );
        r.register(
            "hush_sink_dropped",
            "Events a sink gave up on, per sink and reason",
            self.sink_dropped.clone(),
        );
        r.register(
            "hush_retention_dropped_events",
            "Events dropped by retention, per sink and tenant",
            self.retention_dropped.clone(),
        );
        r.register(
            "hush_connections_open",
            "Client connections open",
            self.connections_open.clone(),
        );
        r.register(
            "hush_connections_accepted",
            "Client connections accepted under the cap",
            self.connections_accepted.clone(),
        );
        r.register(
            "hush_connections_refused",
            "Client connections refused with 503 at the connection cap",
            self.connections_refused.clone(),
        );
        r.register(
            "hush_connections_timed_out",
            "Client connections closed by the header-read or idle timeout",
            self.connections_timed_out.clone(),
        );
        r.register(
            "hush_request_duration_seconds",
            "Request latency",
            self.latency.clone(),
        );
    }

    /// Counts `n` events dropped for `reason` (a [`DropReason`]; see [`IntoDropReason`]).
    pub fn dropped(&self, reason: impl IntoDropReason, n: u64) {
        if n == 0 {
            return;
        }
        let Some(reason) = reason.into_drop_reason() else {
            debug_assert!(false, "counted a drop under a name that is no DropReason's");
            tracing::error!("a drop was counted under a name that is no reason's; not counted");
            return;
        };
        let labels = ReasonLabel {
            reason: ReasonName(reason),
        };
        self.dropped.get_or_create(labels).inc_by(n);
    }

    /// Adds redaction counts by kind.
    pub fn redacted<'a>(&self, counts: impl IntoIterator<Item = (&'a String, &'a u64)>) {
        for (kind, n) in counts {
            let labels = KindLabel { kind: kind.clone() };
            self.redactions.get_or_create(labels).inc_by(*n);
        }
    }

    /// Records one answered request.
    pub fn request(&self, route: &str, status: u16, elapsed: Duration) {
        self.requests.get_or_create(StatusLabel { status }).inc();
        self.routes
            .get_or_create(RouteLabel {
                route: route.to_owned(),
            })
            .inc();
        self.latency.observe(elapsed.as_secs_f64());
    }

    /// The delivered, failed and retries counters of `sink`, created together, so a sink
    /// that has only delivered still lists its failures and retries at zero.
    fn sink_series(&self, sink: &str) -> SinkSeries {
        let labels = SinkLabel {
            sink: sink.to_owned(),
        };
        SinkSeries {
            delivered: self.sink_delivered.get_or_create(labels.clone()),
            failed: self.sink_failed.get_or_create(labels.clone()),
            retries: self.sink_retries.get_or_create(labels),
        }
    }

    /// Counts `n` events delivered by `sink`.
    pub fn sink_delivered(&self, sink: &str, n: u64) {
        self.sink_series(sink).delivered.inc_by(n);
    }

    /// Counts one failed delivery attempt by `sink`.
    pub fn sink_failed(&self, sink: &str) {
        self.sink_series(sink).failed.inc();
    }

    /// Counts one retry by `sink`.
    pub fn sink_retry(&self, sink: &str) {
        self.sink_series(sink).retries.inc();
    }

    /// Counts `n` events `sink` gave up on, for `reason`.
    pub fn sink_dropped(&self, sink: &str, reason: DropReason, n: u64) {
        self.sink_series(sink);
        let labels = SinkReasonLabel {
            sink: sink.to_owned(),
            reason: ReasonName(reason),
        };
        self.sink_dropped.get_or_create(labels).inc_by(n);
    }

    /// A copy of one sink's counters (all zero for a sink never counted).
    pub fn sink(&self, sink: &str) -> SinkCounters {
        let labels = SinkLabel {
            sink: sink.to_owned(),
        };
        let count = |family: &Labelled<SinkLabel, Counter>| {
            family.read().get(&labels).map_or(0, Counter::get)
        };
        SinkCounters {
            delivered: count(&self.sink_delivered),
            failed: count(&self.sink_failed),
            retries: count(&self.sink_retries),
            dropped: self
                .sink_dropped
                .read()
                .iter()
                .filter(|(labels, _)| labels.sink == sink)
                .map(|(labels, n)| (labels.reason.0.as_str().to_owned(), n.get()))
                .collect(),
        }
    }

    /// A copy of the drop counts, by the reasons' stable names.
    pub fn drops(&self) -> BTreeMap<String, u64> {
        self.dropped
            .read()
            .iter()
            .map(|(labels, n)| (labels.reason.0.as_str().to_owned(), n.get()))
            .collect()
    }

    /// Counts `n` events of `tenant` that `sink` dropped for retention.
    pub fn retention_dropped(&self, sink: &str, tenant: &str, n: u64) {
        let labels = SinkTenantLabel {
            sink: sink.to_owned(),
            tenant: tenant.to_owned(),
        };
        self.retention_dropped.get_or_create(labels).inc_by(n);
    }

    /// Events of `tenant` that `sink` dropped for retention so far.
    pub fn retention_dropped_count(&self, sink: &str, tenant: &str) -> u64 {
        let labels = SinkTenantLabel {
            sink: sink.to_owned(),
            tenant: tenant.to_owned(),
        };
        self.retention_dropped
            .read()
            .get(&labels)
            .map_or(0, Counter::get)
    }

    /// Counts a connection accepted under the cap (and open until [`Metrics::connection_closed`]).
    pub fn connection_opened(&self) {
        self.connections_accepted.inc();
        self.connections_open.inc();
    }

    /// Counts an accepted connection closed.
    pub fn connection_closed(&self) {
        self.connections_open.dec();
    }

    /// Counts a connection refused because the listener was at its connection cap.
    pub fn connection_refused(&self) {
        self.connections_refused.inc();
    }

    /// Counts a connection closed by a timeout.
    pub fn connection_timed_out(&self, timeout: ConnectionTimeout) {
        let labels = PhaseLabel { phase: timeout };
        self.connections_timed_out.get_or_create(labels).inc();
    }

    /// Connections open now.
    pub fn connections_open(&self) -> u64 {
        self.connections_open.get()
    }

    /// Updates the queue gauges. `depth` replaces the per-sink depths whole.
    pub fn set_queue(&self, bytes: u64, depth: BTreeMap<String, u64>) {
        self.queue_bytes.set(bytes);
        let depth = depth
            .into_iter()
            .map(|(sink, n)| {
                let gauge = CountGauge::default();
                gauge.set(n);
                (SinkLabel { sink }, gauge)
            })
            .collect();
        self.queue_depth.replace(depth);
    }

    /// Renders everything in the Prometheus text exposition format (version 0.0.4): the
    /// metrics in a fixed order, each one's series in label order.
    pub fn render(&self) -> String {
        let mut text = String::new();
        // The one source of an error would be the writer, and a String takes every write;
        // the metrics' own encoders (the library's and `Labelled`'s) pass its errors on only.
        prometheus_text::encode(&mut text, &self.registry)
            .expect("encoding metrics into a String does not fail");
        text
    }
}

#[cfg(test)]
mod tests;
