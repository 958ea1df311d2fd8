use super::*;
use crate::drop_reason::DropReason;

#[test]
fn render_lists_per_sink_counters_in_prometheus_text() {
    let metrics = Metrics::default();
    metrics.sink_delivered("posthog", 5);
    metrics.sink_failed("posthog");
    metrics.sink_retry("posthog");
    metrics.sink_dropped("posthog", DropReason::PostHogEventTooLarge, 2);
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

/// The counts of `collector/src/metrics/exposition.txt`, which is what `render` wrote for
/// them before the registry came from prometheus-client.
fn scenario() -> Metrics {
    let metrics = Metrics::default();
    metrics.received.add(3);
    metrics.accepted.add(1);
    metrics.dropped(DropReason::UnknownEvent, 1);
    metrics.dropped(DropReason::ChatResponse, 1);
    metrics.dropped(DropReason::QueueFull, 0);
    let redactions = BTreeMap::from([("email".to_string(), 2), ("api_key".to_string(), 1)]);
    metrics.redacted(&redactions);
    metrics.request("/batch/", 200, Duration::from_micros(1500));
    metrics.request("unmatched", 404, Duration::from_millis(30));
    metrics.request("/batch/", 200, Duration::from_secs(2));
    metrics.sink_delivered("posthog", 5);
    metrics.sink_failed("posthog");
    metrics.sink_retry("posthog");
    metrics.sink_dropped("posthog", DropReason::PostHogEventTooLarge, 2);
    metrics.sink_delivered("local", 7);
    metrics.retention_dropped("local", "acme", 4);
    metrics.retention_dropped("clickhouse", "acme", 2);
    let depth = BTreeMap::from([("local".to_string(), 0), ("posthog".to_string(), 3)]);
    metrics.set_queue(4096, depth);
    for _ in 0..3 {
        metrics.connection_opened();
    }
    metrics.connection_closed();
    metrics.connection_refused();
    metrics.connection_timed_out(ConnectionTimeout::Header);
    metrics.connection_timed_out(ConnectionTimeout::Idle);
    metrics.connection_timed_out(ConnectionTimeout::Idle);
    metrics
}

/// Dashboards query these names, labels and `le` bounds: the exposition is byte for byte
/// the hand-written one it replaced, series in label order.
#[test]
fn render_writes_the_exposition_dashboards_query() {
    let text = scenario().render();
    assert_eq!(text, include_str!("exposition.txt"));
}

/// Every metric is listed, with its type, before anything is counted; and the timeout
/// phases show at zero (tests and alerts read them from the start).
#[test]
fn a_new_registry_lists_every_metric() {
    let text = Metrics::default().render();
    let types: Vec<&str> = text
        .lines()
        .filter_map(|l| l.strip_prefix("# TYPE "))
        .collect();
    assert_eq!(
        types,
        [
            "hush_events_received_total counter",
            "hush_events_accepted_total counter",
            "hush_events_dropped_total counter",
            "hush_redactions_total counter",
            "hush_http_requests_total counter",
            "hush_http_route_requests_total counter",
            "hush_queue_bytes gauge",
            "hush_queue_depth gauge",
            "hush_sink_delivered_total counter",
            "hush_sink_failed_total counter",
            "hush_sink_retries_total counter",
            "hush_sink_dropped_total counter",
            "hush_retention_dropped_events_total counter",
            "hush_connections_open gauge",
            "hush_connections_accepted_total counter",
            "hush_connections_refused_total counter",
            "hush_connections_timed_out_total counter",
            "hush_request_duration_seconds histogram",
        ]
    );
    for line in [
        "hush_connections_timed_out_total{phase=\"header\"} 0",
        "hush_connections_timed_out_total{phase=\"idle\"} 0",
        "hush_request_duration_seconds_count 0",
    ] {
        assert!(
            text.lines().any(|l| l == line),
            "missing {line:?} in\n{text}"
        );
    }
}

/// A label value cannot break the exposition: quotes, backslashes and newlines are
/// escaped by the library (the hand-written text wrote them raw). Reasons are a
/// [`DropReason`], so only a sink's name can carry them.
#[test]
fn label_values_are_escaped() {
    let metrics = Metrics::default();
    metrics.sink_delivered("a\"b\\c\nd", 1);
    metrics.sink_delivered("odd\"sink", 1);
    let text = metrics.render();
    for line in [
        r#"hush_sink_delivered_total{sink="a\"b\\c\nd"} 1"#,
        r#"hush_sink_delivered_total{sink="odd\"sink"} 1"#,
    ] {
        assert!(
            text.lines().any(|l| l == line),
            "missing {line:?} in\n{text}"
        );
    }
    assert!(
        text.lines()
            .all(|l| l.starts_with("# ") || l.starts_with("hush_")),
        "a broken line in\n{text}"
    );
}

#[test]
fn counts_read_back() {
    let metrics = scenario();
    assert_eq!(
        metrics.sink("posthog"),
        SinkCounters {
            delivered: 5,
            failed: 1,
            retries: 1,
            dropped: BTreeMap::from([("posthog_event_too_large".to_string(), 2)]),
        }
    );
    assert_eq!(metrics.sink("local").delivered, 7);
    assert_eq!(metrics.retention_dropped_count("local", "acme"), 4);
    assert_eq!(metrics.retention_dropped_count("local", "beta"), 0);
    assert_eq!(metrics.sink("nowhere"), SinkCounters::default());
    assert_eq!(
        metrics.drops(),
        BTreeMap::from([
            ("chat_response".to_string(), 1),
            ("unknown_event".to_string(), 1)
        ]),
        "a drop of zero events is not listed"
    );
    assert_eq!(metrics.connections_open(), 2);
    metrics.received.add(2);
    assert_eq!(metrics.received.get(), 5);
}

/// A drop is counted under its reason's stable name: the series are listed in name order
/// (not the enum's), the name passed by callers not yet moved to the enum counts in the
/// same series, and PostHog refusals of statuses not named share `posthog_rejected_other`.
#[test]
fn drops_are_counted_under_the_reasons_names() {
    let metrics = Metrics::default();
    metrics.dropped(DropReason::QueueFull, 1);
    metrics.dropped(DropReason::Erased, 2);
    metrics.dropped(DropReason::SessionRecording.as_str(), 1);
    metrics.dropped(DropReason::SessionRecording, 1);
    metrics.sink_dropped("posthog", DropReason::PostHogRejected(418), 1);
    metrics.sink_dropped("posthog", DropReason::PostHogRejected(499), 2);
    metrics.sink_dropped("posthog", DropReason::PostHogRejected(400), 1);
    let text = metrics.render();
    let series = |prefix: &str| -> Vec<String> {
        text.lines()
            .filter(|l| l.starts_with(prefix))
            .map(str::to_owned)
            .collect()
    };
    assert_eq!(
        series("hush_events_dropped_total{"),
        [
            r#"hush_events_dropped_total{reason="erased"} 2"#,
            r#"hush_events_dropped_total{reason="queue_full"} 1"#,
            r#"hush_events_dropped_total{reason="session_recording"} 2"#,
        ]
    );
    assert_eq!(
        series("hush_sink_dropped_total{"),
        [
            r#"hush_sink_dropped_total{sink="posthog",reason="posthog_rejected_400"} 1"#,
            r#"hush_sink_dropped_total{sink="posthog",reason="posthog_rejected_other"} 3"#,
        ]
    );
    assert_eq!(
        metrics.sink("posthog").dropped,
        BTreeMap::from([
            ("posthog_rejected_400".to_string(), 1),
            ("posthog_rejected_other".to_string(), 3)
        ])
    );
}
