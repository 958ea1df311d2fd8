//! Internal counters, rendered as Prometheus text at `/metrics`.
//!
//! Counters carry ids, counts and reasons only — never payloads or keys.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Duration;

/// Upper bounds of the request latency histogram, in seconds.
const LATENCY_BUCKETS: [f64; 12] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0,
];

/// All of the collector's counters. Shared behind an `Arc`.
#[derive(Default)]
pub struct Metrics {
    /// Events received in requests (before policy).
    pub received: AtomicU64,
    /// Events accepted into the durable queue.
    pub accepted: AtomicU64,
    /// Requests answered, by status code.
    requests: Mutex<BTreeMap<u16, u64>>,
    /// Events dropped by the pipeline, by reason.
    dropped: Mutex<BTreeMap<String, u64>>,
    /// Redactions made, by detector kind.
    redactions: Mutex<BTreeMap<String, u64>>,
    /// Per-sink counters.
    sinks: Mutex<BTreeMap<String, SinkCounters>>,
    latency: Histogram,
    /// Queue gauges, refreshed by whoever reads the queue's stats.
    queue: Mutex<QueueGauges>,
    connections: ConnectionCounters,
}

/// Why the collector closed a client connection on its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConnectionTimeout {
    /// The request head did not arrive within `limits.header_read_timeout_ms`.
    Header,
    /// The connection stayed idle longer than `limits.idle_timeout_ms`.
    Idle,
}

#[derive(Default)]
struct ConnectionCounters {
    open: AtomicU64,
    accepted: AtomicU64,
    refused: AtomicU64,
    header_timeouts: AtomicU64,
    idle_timeouts: AtomicU64,
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
    /// Events the sink gave up on, by reason.
    pub dropped: BTreeMap<String, u64>,
}

#[derive(Default)]
struct QueueGauges {
    bytes: u64,
    depth: BTreeMap<String, u64>,
}

#[derive(Default)]
struct Histogram {
    buckets: [AtomicU64; LATENCY_BUCKETS.len()],
    count: AtomicU64,
    sum_micros: AtomicU64,
}

fn bump(map: &Mutex<BTreeMap<String, u64>>, key: &str, n: u64) {
    if n == 0 {
        return;
    }
    let mut map = map.lock().unwrap_or_else(|e| e.into_inner());
    *map.entry(key.to_string()).or_default() += n;
}

/// A per-sink counter in the exposition: name, help text, and its value in the counters.
type PerSinkCounter = (&'static str, &'static str, fn(&SinkCounters) -> u64);

impl Metrics {
    /// Counts `n` events dropped for `reason`.
    pub fn dropped(&self, reason: &str, n: u64) {
        bump(&self.dropped, reason, n);
    }

    /// Adds redaction counts by kind.
    pub fn redacted<'a>(&self, counts: impl IntoIterator<Item = (&'a String, &'a u64)>) {
        let mut map = self.redactions.lock().unwrap_or_else(|e| e.into_inner());
        for (kind, n) in counts {
            *map.entry(kind.clone()).or_default() += n;
        }
    }

    /// Records one answered request.
    pub fn request(&self, status: u16, elapsed: Duration) {
        *self
            .requests
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .entry(status)
            .or_default() += 1;
        let secs = elapsed.as_secs_f64();
        for (i, bound) in LATENCY_BUCKETS.iter().enumerate() {
            if secs <= *bound {
                self.latency.buckets[i].fetch_add(1, Ordering::Relaxed);
            }
        }
        self.latency.count.fetch_add(1, Ordering::Relaxed);
        self.latency
            .sum_micros
            .fetch_add(elapsed.as_micros() as u64, Ordering::Relaxed);
    }

    fn with_sink(&self, sink: &str, f: impl FnOnce(&mut SinkCounters)) {
        let mut sinks = self.sinks.lock().unwrap_or_else(|e| e.into_inner());
        f(sinks.entry(sink.to_string()).or_default());
    }

    /// Counts `n` events delivered by `sink`.
    pub fn sink_delivered(&self, sink: &str, n: u64) {
        self.with_sink(sink, |c| c.delivered += n);
    }

    /// Counts one failed delivery attempt by `sink`.
    pub fn sink_failed(&self, sink: &str) {
        self.with_sink(sink, |c| c.failed += 1);
    }

    /// Counts one retry by `sink`.
    pub fn sink_retry(&self, sink: &str) {
        self.with_sink(sink, |c| c.retries += 1);
    }

    /// Counts `n` events `sink` gave up on, for `reason`.
    pub fn sink_dropped(&self, sink: &str, reason: &str, n: u64) {
        self.with_sink(sink, |c| {
            *c.dropped.entry(reason.to_string()).or_default() += n
        });
    }

    /// A copy of one sink's counters.
    pub fn sink(&self, sink: &str) -> SinkCounters {
        self.sinks
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(sink)
            .cloned()
            .unwrap_or_default()
    }

    /// A copy of the drop counts by reason.
    pub fn drops(&self) -> BTreeMap<String, u64> {
        self.dropped
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Counts a connection accepted under the cap (and open until [`Metrics::connection_closed`]).
    pub fn connection_opened(&self) {
        self.connections.accepted.fetch_add(1, Ordering::Relaxed);
        self.connections.open.fetch_add(1, Ordering::Relaxed);
    }

    /// Counts an accepted connection closed.
    pub fn connection_closed(&self) {
        self.connections.open.fetch_sub(1, Ordering::Relaxed);
    }

    /// Counts a connection refused because the listener was at its connection cap.
    pub fn connection_refused(&self) {
        self.connections.refused.fetch_add(1, Ordering::Relaxed);
    }

    /// Counts a connection closed by a timeout.
    pub fn connection_timed_out(&self, timeout: ConnectionTimeout) {
        let counter = match timeout {
            ConnectionTimeout::Header => &self.connections.header_timeouts,
            ConnectionTimeout::Idle => &self.connections.idle_timeouts,
        };
        counter.fetch_add(1, Ordering::Relaxed);
    }

    /// Connections open now.
    pub fn connections_open(&self) -> u64 {
        self.connections.open.load(Ordering::Relaxed)
    }

    /// Updates the queue gauges.
    pub fn set_queue(&self, bytes: u64, depth: BTreeMap<String, u64>) {
        let mut q = self.queue.lock().unwrap_or_else(|e| e.into_inner());
        q.bytes = bytes;
        q.depth = depth;
    }

    /// Renders everything in the Prometheus text exposition format.
    pub fn render(&self) -> String {
        let mut out = String::new();
        let counter = |out: &mut String, name: &str, help: &str| {
            let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} counter");
        };
        counter(
            &mut out,
            "hush_events_received_total",
            "Events received in requests.",
        );
        let _ = writeln!(
            out,
            "hush_events_received_total {}",
            self.received.load(Ordering::Relaxed)
        );
        counter(
            &mut out,
            "hush_events_accepted_total",
            "Events durably queued.",
        );
        let _ = writeln!(
            out,
            "hush_events_accepted_total {}",
            self.accepted.load(Ordering::Relaxed)
        );
        counter(
            &mut out,
            "hush_events_dropped_total",
            "Events dropped by policy or validation.",
        );
        for (reason, n) in self.drops() {
            let _ = writeln!(out, "hush_events_dropped_total{{reason=\"{reason}\"}} {n}");
        }
        counter(
            &mut out,
            "hush_redactions_total",
            "Spans redacted, by detector kind.",
        );
        for (kind, n) in self
            .redactions
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
        {
            let _ = writeln!(out, "hush_redactions_total{{kind=\"{kind}\"}} {n}");
        }
        counter(
            &mut out,
            "hush_http_requests_total",
            "Requests answered, by status.",
        );
        for (status, n) in self
            .requests
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
        {
            let _ = writeln!(out, "hush_http_requests_total{{status=\"{status}\"}} {n}");
        }
        {
            let q = self.queue.lock().unwrap_or_else(|e| e.into_inner());
            let _ = writeln!(out, "# HELP hush_queue_bytes Bytes of queued events on disk.\n# TYPE hush_queue_bytes gauge\nhush_queue_bytes {}", q.bytes);
            let _ = writeln!(out, "# HELP hush_queue_depth Events not yet delivered, per sink.\n# TYPE hush_queue_depth gauge");
            for (sink, n) in &q.depth {
                let _ = writeln!(out, "hush_queue_depth{{sink=\"{sink}\"}} {n}");
            }
        }
        let sinks = self.sinks.lock().unwrap_or_else(|e| e.into_inner()).clone();
        let per_sink: [PerSinkCounter; 3] = [
            (
                "hush_sink_delivered_total",
                "Events delivered, per sink.",
                |c| c.delivered,
            ),
            (
                "hush_sink_failed_total",
                "Failed delivery attempts, per sink.",
                |c| c.failed,
            ),
            (
                "hush_sink_retries_total",
                "Delivery retries, per sink.",
                |c| c.retries,
            ),
        ];
        for (name, help, value) in per_sink {
            counter(&mut out, name, help);
            for (sink, c) in &sinks {
                let _ = writeln!(out, "{name}{{sink=\"{sink}\"}} {}", value(c));
            }
        }
        counter(
            &mut out,
            "hush_sink_dropped_total",
            "Events a sink gave up on, per sink and reason.",
        );
        for (sink, c) in &sinks {
            for (reason, n) in &c.dropped {
                let _ = writeln!(
                    out,
                    "hush_sink_dropped_total{{sink=\"{sink}\",reason=\"{reason}\"}} {n}"
                );
            }
        }
        let c = &self.connections;
        let _ = writeln!(out, "# HELP hush_connections_open Client connections open.\n# TYPE hush_connections_open gauge\nhush_connections_open {}", c.open.load(Ordering::Relaxed));
        counter(
            &mut out,
            "hush_connections_accepted_total",
            "Client connections accepted under the cap.",
        );
        let _ = writeln!(
            out,
            "hush_connections_accepted_total {}",
            c.accepted.load(Ordering::Relaxed)
        );
        counter(
            &mut out,
            "hush_connections_refused_total",
            "Client connections refused with 503 at the connection cap.",
        );
        let _ = writeln!(
            out,
            "hush_connections_refused_total {}",
            c.refused.load(Ordering::Relaxed)
        );
        counter(
            &mut out,
            "hush_connections_timed_out_total",
            "Client connections closed by the header-read or idle timeout.",
        );
        let _ = writeln!(
            out,
            "hush_connections_timed_out_total{{phase=\"header\"}} {}",
            c.header_timeouts.load(Ordering::Relaxed)
        );
        let _ = writeln!(
            out,
            "hush_connections_timed_out_total{{phase=\"idle\"}} {}",
            c.idle_timeouts.load(Ordering::Relaxed)
        );
        let _ = writeln!(out, "# HELP hush_request_duration_seconds Request latency.\n# TYPE hush_request_duration_seconds histogram");
        for (i, bound) in LATENCY_BUCKETS.iter().enumerate() {
            let _ = writeln!(
                out,
                "hush_request_duration_seconds_bucket{{le=\"{bound}\"}} {}",
                self.latency.buckets[i].load(Ordering::Relaxed)
            );
        }
        let count = self.latency.count.load(Ordering::Relaxed);
        let _ = writeln!(
            out,
            "hush_request_duration_seconds_bucket{{le=\"+Inf\"}} {count}"
        );
        let _ = writeln!(
            out,
            "hush_request_duration_seconds_sum {}",
            self.latency.sum_micros.load(Ordering::Relaxed) as f64 / 1e6
        );
        let _ = writeln!(out, "hush_request_duration_seconds_count {count}");
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn render_lists_per_sink_counters_in_prometheus_text() {
        let metrics = Metrics::default();
        metrics.sink_delivered("posthog", 5);
        metrics.sink_failed("posthog");
        metrics.sink_retry("posthog");
        metrics.sink_dropped("posthog", "posthog_event_too_large", 2);
        metrics.sink_delivered("local", 7);
        let text = metrics.render();
        for line in [
            "# TYPE hush_events_received_total counter",
            "hush_events_received_total 0",
            "# HELP hush_sink_delivered_total Events delivered, per sink.",
            "# TYPE hush_sink_delivered_total counter",
            "hush_sink_delivered_total{sink=\"local\"} 7",
            "hush_sink_delivered_total{sink=\"posthog\"} 5",
            "hush_sink_failed_total{sink=\"local\"} 0",
            "hush_sink_failed_total{sink=\"posthog\"} 1",
            "hush_sink_retries_total{sink=\"posthog\"} 1",
            "hush_sink_dropped_total{sink=\"posthog\",reason=\"posthog_event_too_large\"} 2",
        ] {
            assert!(
                text.lines().any(|l| l == line),
                "missing {line:?} in\n{text}"
            );
        }
    }
}
