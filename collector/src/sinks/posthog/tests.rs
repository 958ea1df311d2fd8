//! Against a small PostHog stand-in on 127.0.0.1 that answers from a script.

use super::*;
use crate::metrics::Metrics;
use crate::sinks::runner::{deliver_with_retries, Outcome, Recheck};
use crate::sinks::Backoff;
use crate::stored_event::{tag_of, uuid_of};
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use axum::Router;
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Instant;
use tokio::sync::watch;

const KEY: &str = "phc_forward_key_for_tests";

/// One scripted answer: status, optional `Retry-After`, delay before answering.
type Answer = (u16, Option<&'static str>, Duration);

#[derive(Default)]
struct StandIn {
    script: Mutex<VecDeque<Answer>>,
    /// Bodies over this many bytes get 413, like PostHog's request size limit.
    max_body: Mutex<Option<usize>>,
    /// `uuid`s of events in requests answered 2xx, in arrival order.
    accepted: Mutex<Vec<String>>,
    bodies: Mutex<Vec<Value>>,
    headers: Mutex<Vec<HeaderMap>>,
}

async fn batch(
    State(stand_in): State<Arc<StandIn>>,
    headers: HeaderMap,
    body: bytes::Bytes,
) -> (StatusCode, HeaderMap, &'static str) {
    let limit = *stand_in.max_body.lock().unwrap();
    if limit.is_some_and(|max| body.len() > max) {
        return (StatusCode::PAYLOAD_TOO_LARGE, HeaderMap::new(), "{}");
    }
    let answer = stand_in.script.lock().unwrap().pop_front();
    let (status, retry_after, delay) = answer.unwrap_or((200, None, Duration::ZERO));
    tokio::time::sleep(delay).await;
    let parsed: Value = serde_json::from_slice(&body).unwrap();
    if (200..300).contains(&status) {
        let uuids = parsed["batch"].as_array().unwrap().iter();
        let uuids = uuids.map(|e| tag_of(e["uuid"].as_str().unwrap()));
        stand_in.accepted.lock().unwrap().extend(uuids);
    }
    stand_in.bodies.lock().unwrap().push(parsed);
    stand_in.headers.lock().unwrap().push(headers);
    let mut out = HeaderMap::new();
    if let Some(after) = retry_after {
        out.insert("retry-after", after.parse().unwrap());
    }
    (StatusCode::from_u16(status).unwrap(), out, "{\"status\":1}")
}

/// Starts the stand-in; it is dropped with the test's runtime.
async fn start_stand_in(script: impl IntoIterator<Item = Answer>) -> (Arc<StandIn>, String) {
    let state = Arc::new(StandIn::default());
    state.script.lock().unwrap().extend(script);
    let app = Router::new()
        .route("/batch/", post(batch))
        .with_state(state.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let host = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (state, host)
}

fn config(host: &str) -> PostHogConfig {
    PostHogConfig {
        host: format!("{host}/"),
        api_key: Secret::new(KEY),
        batch_size: 10,
        timeout_ms: 300,
        personal_api_key: None,
        project_id: None,
        api_host: None,
    }
}

fn events(n: usize) -> Vec<StoredEvent> {
    (0..n)
        .map(|i| {
            StoredEvent::for_test(
                "acme",
                "2025-01-02T03:04:05Z",
                json!({
                    "event": "cli_command",
                    "distinct_id": "h:abc",
                    "uuid": uuid_of(&format!("u{i}")),
                    "timestamp": "2025-01-02T03:04:00Z",
                    "properties": {"command": "build", "$ip": "203.0.113.9"}
                }),
            )
        })
        .collect()
}

/// Delivers as the runner does (1–5 ms backoff), returning the outcome.
async fn deliver(sink: &PostHogSink, events: &[StoredEvent], metrics: &Metrics) -> Outcome {
    let mut backoff = Backoff::new(Duration::from_millis(1), Duration::from_millis(5));
    let (_stop, mut stop_rx) = watch::channel(false);
    let mut events = events.to_vec();
    let mut recheck = Recheck {
        erasures: None,
        erased: 0,
    };
    deliver_with_retries(
        sink,
        &mut events,
        &mut recheck,
        metrics,
        &mut backoff,
        &mut stop_rx,
        Duration::from_secs(1),
    )
    .await
}

#[tokio::test]
async fn sends_posthog_batch_body_without_ip_and_with_geoip_disabled() {
    let (stand_in, host) = start_stand_in([]).await;
    let sink = PostHogSink::new(&config(&host)).unwrap();
    // 12 events, batch_size 10: two requests.
    sink.deliver(&events(12)).await.unwrap();

    let bodies = stand_in.bodies.lock().unwrap().clone();
    assert_eq!(bodies.len(), 2);
    let body = &bodies[0];
    let keys: Vec<&str> = body
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(keys, ["api_key", "batch", "sent_at"]);
    assert_eq!(body["api_key"], KEY);
    OffsetDateTime::parse(body["sent_at"].as_str().unwrap(), &Rfc3339).unwrap();
    assert_eq!(body["batch"].as_array().unwrap().len(), 10);
    assert_eq!(bodies[1]["batch"].as_array().unwrap().len(), 2);
    for event in bodies.iter().flat_map(|b| b["batch"].as_array().unwrap()) {
        assert_eq!(event["event"], "cli_command");
        assert_eq!(event["distinct_id"], "h:abc");
        assert_eq!(event["properties"]["$geoip_disable"], true);
        assert_eq!(event["properties"]["command"], "build");
        assert!(event["properties"].get("$ip").is_none());
        assert!(event.get("ip").is_none());
    }
    assert_eq!(
        tag_of(bodies[0]["batch"][0]["uuid"].as_str().unwrap()),
        "u0"
    );
    assert_eq!(
        tag_of(bodies[1]["batch"][1]["uuid"].as_str().unwrap()),
        "u11"
    );
    for headers in stand_in.headers.lock().unwrap().iter() {
        assert!(headers.get("x-forwarded-for").is_none());
        assert!(headers.get("x-real-ip").is_none());
        assert_eq!(headers["content-type"], "application/json");
    }
}

#[tokio::test]
async fn properties_are_added_when_missing() {
    let (stand_in, host) = start_stand_in([]).await;
    let sink = PostHogSink::new(&config(&host)).unwrap();
    let mut event = events(1);
    event[0].properties.clear();
    sink.deliver(&event).await.unwrap();
    let body = stand_in.bodies.lock().unwrap()[0].clone();
    assert_eq!(
        body["batch"][0]["properties"],
        json!({"$geoip_disable": true})
    );
}

#[tokio::test]
async fn server_errors_are_retried_until_accepted() {
    let fail = (503, None, Duration::ZERO);
    let (stand_in, host) = start_stand_in([fail, fail, fail]).await;
    let sink = PostHogSink::new(&config(&host)).unwrap();
    let metrics = Metrics::default();

    assert_eq!(
        deliver(&sink, &events(3), &metrics).await,
        Outcome::Delivered(Delivered::all())
    );

    assert_eq!(
        stand_in.bodies.lock().unwrap().len(),
        4,
        "3 refused, 1 accepted"
    );
    let counters = metrics.sink("posthog");
    assert_eq!(counters.failed, 3);
    assert_eq!(counters.retries, 3);
    assert!(counters.dropped.is_empty());
}

#[tokio::test]
async fn timeouts_and_408_are_retried() {
    let slow = (200, None, Duration::from_secs(2));
    let (stand_in, host) = start_stand_in([slow, (408, None, Duration::ZERO)]).await;
    let sink = PostHogSink::new(&config(&host)).unwrap();
    let metrics = Metrics::default();
    assert_eq!(
        deliver(&sink, &events(1), &metrics).await,
        Outcome::Delivered(Delivered::all())
    );
    assert_eq!(metrics.sink("posthog").retries, 2);
    // The slow answer arrives at the stand-in too; the delivery itself happened on try 3.
    assert!(stand_in.bodies.lock().unwrap().len() >= 2);
}

#[tokio::test]
async fn too_many_requests_honours_retry_after() {
    let (stand_in, host) = start_stand_in([(429, Some("1"), Duration::ZERO)]).await;
    let sink = PostHogSink::new(&config(&host)).unwrap();
    let metrics = Metrics::default();

    let start = Instant::now();
    assert_eq!(
        deliver(&sink, &events(1), &metrics).await,
        Outcome::Delivered(Delivered::all())
    );
    assert!(
        start.elapsed() >= Duration::from_secs(1),
        "{:?}",
        start.elapsed()
    );
    assert_eq!(stand_in.bodies.lock().unwrap().len(), 2);
    assert_eq!(metrics.sink("posthog").retries, 1);

    // And the error itself carries the delay.
    let (_, host) = start_stand_in([(429, Some("7"), Duration::ZERO)]).await;
    let sink = PostHogSink::new(&config(&host)).unwrap();
    let err = sink.deliver(&events(1)).await.unwrap_err();
    assert!(matches!(
        err,
        DeliveryError::Retryable { retry_after: Some(d), .. } if d == Duration::from_secs(7)
    ));
}

/// `n` events; those at `big` carry a 64 KiB property.
fn events_with_big(n: usize, big: &[usize]) -> Vec<StoredEvent> {
    let mut events = events(n);
    for &i in big {
        events[i]
            .properties
            .insert("stack".into(), json!("x".repeat(64 * 1024)));
    }
    events
}

#[tokio::test]
async fn too_large_requests_are_split_until_they_fit() {
    let (stand_in, host) = start_stand_in([]).await;
    // Room for about three small events per request; batch_size is 10.
    *stand_in.max_body.lock().unwrap() = Some(1_000);
    let sink = PostHogSink::new(&config(&host)).unwrap();
    let metrics = Metrics::default();

    assert_eq!(
        deliver(&sink, &events(12), &metrics).await,
        Outcome::Delivered(Delivered::all())
    );
    let want: Vec<String> = (0..12).map(|i| format!("u{i}")).collect();
    assert_eq!(
        *stand_in.accepted.lock().unwrap(),
        want,
        "all, once, in order"
    );
    let counters = metrics.sink("posthog");
    assert_eq!(counters.failed, 0);
    assert!(counters.dropped.is_empty());
}

#[tokio::test]
async fn an_event_too_large_alone_is_dropped_and_counted_and_its_neighbours_delivered() {
    let (stand_in, host) = start_stand_in([]).await;
    *stand_in.max_body.lock().unwrap() = Some(16 * 1024);
    let sink = PostHogSink::new(&config(&host)).unwrap();
    let metrics = Metrics::default();

    assert_eq!(
        deliver(&sink, &events_with_big(10, &[3, 7]), &metrics).await,
        Outcome::Delivered(Delivered {
            refused: vec![(DropReason::PostHogEventTooLarge, 2)]
        })
    );
    let want: Vec<String> = [0, 1, 2, 4, 5, 6, 8, 9]
        .iter()
        .map(|i| format!("u{i}"))
        .collect();
    assert_eq!(*stand_in.accepted.lock().unwrap(), want);
}

#[tokio::test]
async fn the_runner_counts_refused_events_as_dropped_and_the_rest_as_delivered() {
    use crate::queue::{Queue, QueueOptions};
    let (stand_in, host) = start_stand_in([]).await;
    *stand_in.max_body.lock().unwrap() = Some(16 * 1024);
    let sink: Arc<dyn Sink> = Arc::new(PostHogSink::new(&config(&host)).unwrap());
    let dir = tempfile::tempdir().unwrap();
    let queue = Queue::open(dir.path(), QueueOptions::default(), &["posthog"])
        .await
        .unwrap();
    let records: Vec<bytes::Bytes> = events_with_big(6, &[2])
        .iter()
        .map(|e| serde_json::to_vec(e).unwrap().into())
        .collect();
    queue.append(records).await.unwrap();
    let metrics = Arc::new(Metrics::default());
    let (stop, stop_rx) = watch::channel(false);
    let task = crate::sinks::spawn_sink(
        sink,
        queue.reader("posthog").unwrap(),
        metrics.clone(),
        stop_rx,
        10,
        Duration::from_millis(10),
    );
    let deadline = Instant::now() + Duration::from_secs(10);
    while metrics.sink("posthog").delivered < 5 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    stop.send(true).unwrap();
    task.await.unwrap();
    let counters = metrics.sink("posthog");
    assert_eq!(counters.delivered, 5);
    assert_eq!(
        counters
            .dropped
            .get(DropReason::PostHogEventTooLarge.as_str()),
        Some(&1)
    );
    assert_eq!(stand_in.accepted.lock().unwrap().len(), 5);
}

#[tokio::test]
async fn client_errors_drop_the_batch_with_a_counted_reason() {
    let (stand_in, host) = start_stand_in([(400, None, Duration::ZERO)]).await;
    let sink = PostHogSink::new(&config(&host)).unwrap();
    let metrics = Metrics::default();

    assert_eq!(
        deliver(&sink, &events(2), &metrics).await,
        Outcome::Dropped(DropReason::PostHogRejected(400))
    );
    assert_eq!(stand_in.bodies.lock().unwrap().len(), 1, "not retried");
    let counters = metrics.sink("posthog");
    assert_eq!(counters.failed, 1);
    assert_eq!(counters.retries, 0);
}

#[tokio::test]
async fn connection_refused_is_retryable_and_never_names_the_key() {
    // Bind then close a port so nothing listens there.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let host = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    let sink = PostHogSink::new(&config(&host)).unwrap();
    let err = sink.deliver(&events(1)).await.unwrap_err();
    let DeliveryError::Retryable { reason, .. } = &err else {
        panic!("{err:?}")
    };
    assert!(reason.contains("127.0.0.1"), "{reason}");
    assert!(!format!("{err:?} {err}").contains(KEY));
    assert!(!format!("{sink:?}").contains(KEY));
}
